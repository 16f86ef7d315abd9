//! Finding where a JSON string's plain run ends: the first quote,
//! backslash or control byte, noting any byte above 0x7f passed on the way.
//! Sixteen bytes at a time with SSE2 (every x86_64 has it); past the first
//! block of a string, thirty-two at a time with AVX2 where the CPU has it
//! — rendered messages and paths make long strings most of an event's
//! bytes, and the string scan was the parser's largest cost. Also the
//! search of an object's key prints, four at a time.

/// The bytes [`block_masks`] reads at a time.
pub(super) const BLOCK: usize = 16;

/// For each byte of `block` (bit `i` for byte `i`): whether it is a quote,
/// backslash or control character, and whether it is above 0x7f.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
pub(super) fn block_masks(block: &[u8; BLOCK]) -> (u32, u32) {
    use std::arch::x86_64::{
        _mm_cmpeq_epi8, _mm_loadu_si128, _mm_max_epu8, _mm_movemask_epi8, _mm_or_si128,
        _mm_set1_epi8,
    };
    // SAFETY: SSE2 is part of every x86_64 target, and the unaligned load
    // reads exactly the 16 bytes `block` borrows.
    unsafe {
        let v = _mm_loadu_si128(block.as_ptr().cast());
        let quote = _mm_cmpeq_epi8(v, _mm_set1_epi8(b'"' as i8));
        let backslash = _mm_cmpeq_epi8(v, _mm_set1_epi8(b'\\' as i8));
        // Unsigned `byte <= 0x1f` as `max(byte, 0x1f) == 0x1f`.
        let limit = _mm_set1_epi8(0x1f);
        let control = _mm_cmpeq_epi8(_mm_max_epu8(v, limit), limit);
        let special = _mm_or_si128(_mm_or_si128(quote, backslash), control);
        (
            _mm_movemask_epi8(special) as u32,
            _mm_movemask_epi8(v) as u32,
        )
    }
}

/// [`block_masks`] one byte at a time, where SSE2 is not there.
#[cfg(not(target_arch = "x86_64"))]
pub(super) fn block_masks(block: &[u8; BLOCK]) -> (u32, u32) {
    let (mut special, mut high) = (0u32, 0u32);
    for (i, &b) in block.iter().enumerate() {
        special |= u32::from(b == b'"' || b == b'\\' || b < 0x20) << i;
        high |= u32::from(b >= 0x80) << i;
    }
    (special, high)
}

/// [`block_masks`] over every 32-byte block from `from` while 32 bytes
/// remain: returns where the run stops (the first special byte, or where
/// fewer than 32 bytes are left), whether it found a special byte, and
/// whether a byte above 0x7f came before the stop.
///
/// # Safety
/// The CPU must support AVX2.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
pub(super) unsafe fn long_run_avx2(input: &[u8], from: usize) -> (usize, bool, bool) {
    use std::arch::x86_64::{
        __m256i, _mm256_cmpeq_epi8, _mm256_loadu_si256, _mm256_max_epu8, _mm256_movemask_epi8,
        _mm256_or_si256, _mm256_set1_epi8,
    };
    let quote = _mm256_set1_epi8(b'"' as i8);
    let backslash = _mm256_set1_epi8(b'\\' as i8);
    let limit = _mm256_set1_epi8(0x1f);
    let mut i = from;
    let mut non_ascii = false;
    while i.checked_add(32).is_some_and(|end| end <= input.len()) {
        // SAFETY: `i + 32 <= input.len()`, so the unaligned load reads
        // inside `input`.
        let v = unsafe { _mm256_loadu_si256(input.as_ptr().add(i).cast::<__m256i>()) };
        let control = _mm256_cmpeq_epi8(_mm256_max_epu8(v, limit), limit);
        let special = _mm256_or_si256(
            _mm256_or_si256(_mm256_cmpeq_epi8(v, quote), _mm256_cmpeq_epi8(v, backslash)),
            control,
        );
        let special = _mm256_movemask_epi8(special) as u32;
        let high = _mm256_movemask_epi8(v) as u32;
        if special != 0 {
            let at = special.trailing_zeros();
            non_ascii |= high & ((1u32 << at) - 1) != 0;
            return (i + at as usize, true, non_ascii);
        }
        non_ascii |= high != 0;
        i += 32;
    }
    (i, false, non_ascii)
}

/// The position of the last `print` in `prints` (the key prints of an
/// object's members): four compared at a time from the end with SSE2, as
/// a lookup of a field the event lacks passes every member.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
pub(super) fn last_print(prints: &[u32], print: u32) -> Option<usize> {
    use std::arch::x86_64::{
        _mm_castsi128_ps, _mm_cmpeq_epi32, _mm_loadu_si128, _mm_movemask_ps, _mm_set1_epi32,
    };
    let mut end = prints.len();
    // SAFETY: SSE2 is part of every x86_64 target.
    let wanted = unsafe { _mm_set1_epi32(print as i32) };
    while end >= 4 {
        let four = &prints[end - 4..end];
        // SAFETY: the unaligned load reads exactly the 16 bytes of `four`.
        let hits = unsafe {
            let v = _mm_loadu_si128(four.as_ptr().cast());
            _mm_movemask_ps(_mm_castsi128_ps(_mm_cmpeq_epi32(v, wanted))) as u32
        };
        end -= 4;
        if hits != 0 {
            return Some(end + 31 - hits.leading_zeros() as usize);
        }
    }
    prints[..end].iter().rposition(|&p| p == print)
}

/// [`last_print`] one print at a time, where SSE2 is not there.
#[cfg(not(target_arch = "x86_64"))]
pub(super) fn last_print(prints: &[u32], print: u32) -> Option<usize> {
    prints.iter().rposition(|&p| p == print)
}

#[cfg(test)]
mod block_tests {
    use proptest::prelude::*;

    use super::{BLOCK, block_masks};

    proptest! {
        #[test]
        fn block_masks_mark_each_special_and_high_byte(block in prop::array::uniform16(any::<u8>())) {
            let (special, high) = block_masks(&block);
            for (i, &b) in block.iter().enumerate().take(BLOCK) {
                prop_assert_eq!(special >> i & 1 == 1, b == b'"' || b == b'\\' || b < 0x20, "byte {}", i);
                prop_assert_eq!(high >> i & 1 == 1, b >= 0x80, "byte {}", i);
            }
        }
    }

    proptest! {
        /// The vector search finds the same print as a plain one.
        #[test]
        fn last_print_is_the_last_equal_one(
            prints in prop::collection::vec(0u32..4, 0..40),
            print in 0u32..4,
        ) {
            prop_assert_eq!(
                super::last_print(&prints, print),
                prints.iter().rposition(|&p| p == print)
            );
        }
    }

    proptest! {
        /// The AVX2 run stops where a byte-by-byte scan does.
        #[test]
        #[cfg(target_arch = "x86_64")]
        fn long_run_stops_at_the_first_special_byte(
            input in prop::collection::vec(prop::sample::select(vec![b'a', b'"', b'\\', 0x01, 0xc3, 0xa9, b'Z']), 0..200),
            from in 0usize..40,
        ) {
            prop_assume!(std::arch::is_x86_feature_detected!("avx2"));
            let from = from.min(input.len());
            // SAFETY: AVX2 is present (assumed above).
            let (stop, found, high) = unsafe { super::long_run_avx2(&input, from) };
            let first = input[from..].iter().position(|&b| b == b'"' || b == b'\\' || b < 0x20);
            let whole_blocks = from + (input.len() - from) / 32 * 32;
            match first {
                Some(p) if from + p < whole_blocks => {
                    prop_assert!(found);
                    prop_assert_eq!(stop, from + p);
                }
                _ => {
                    prop_assert!(!found);
                    prop_assert_eq!(stop, whole_blocks);
                }
            }
            prop_assert_eq!(high, input[from..stop].iter().any(|&b| b >= 0x80));
        }
    }
}
