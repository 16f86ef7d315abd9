//! Case folding at speed: the same result as [`crate::sigma::values::fold`]
//! (each character to its lowercase form), with runs of ASCII folded a
//! whole run at a time.

/// Appends `text`, case-folded, to `out`.
pub(crate) fn fold_append(text: &str, out: &mut String) {
    let mut rest = text;
    while !rest.is_empty() {
        let ascii = lowercase_ascii_prefix(rest, out);
        let mut chars = rest.get(ascii..).unwrap_or_default().chars();
        if let Some(c) = chars.next() {
            out.extend(c.to_lowercase());
        }
        rest = chars.as_str();
    }
}

/// Appends the ASCII bytes at the start of `bytes`, lowercased, to `out`;
/// returns how many there were.
///
/// Keyword rules make every byte of an event go through here (their cover
/// check folds the whole document), so with AVX2 the check, the copy and
/// the lowercasing are one pass over 32 bytes at a time; the plain
/// version took three passes a byte at a time.
fn lowercase_ascii_prefix(text: &str, out: &mut String) -> usize {
    #[cfg(target_arch = "x86_64")]
    if text.len() >= 32 && std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: AVX2 is present (checked above).
        let done = unsafe { avx2::lowercase_ascii_blocks(text.as_bytes(), out) };
        // `done` bytes were ASCII, so it is a character boundary.
        return done + lowercase_ascii_plain(text.get(done..).unwrap_or_default(), out);
    }
    lowercase_ascii_plain(text, out)
}

fn lowercase_ascii_plain(text: &str, out: &mut String) -> usize {
    let len = ascii_prefix_len(text.as_bytes());
    // The bytes before `len` are ASCII, so it is a character boundary.
    let start = out.len();
    out.push_str(text.get(..len).unwrap_or_default());
    if let Some(added) = out.get_mut(start..) {
        added.make_ascii_lowercase();
    }
    len
}

/// How many bytes at the start of `bytes` are ASCII, read a word at a time.
fn ascii_prefix_len(bytes: &[u8]) -> usize {
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let mut i = 0;
    while let Some(chunk) = bytes.get(i..i + 8) {
        let word = u64::from_le_bytes(chunk.try_into().unwrap_or([0x80; 8]));
        if word & HIGH != 0 {
            break;
        }
        i += 8;
    }
    while bytes.get(i).is_some_and(u8::is_ascii) {
        i += 1;
    }
    i
}

#[cfg(target_arch = "x86_64")]
mod avx2 {
    use std::arch::x86_64::{
        __m256i, _mm256_add_epi8, _mm256_and_si256, _mm256_cmpgt_epi8, _mm256_loadu_si256,
        _mm256_movemask_epi8, _mm256_or_si256, _mm256_set1_epi8, _mm256_storeu_si256,
    };

    /// Lowercases and appends whole 32-byte blocks of ASCII from the start
    /// of `bytes`, stopping before the first block holding a byte ≥ 0x80
    /// or shorter than 32; returns how many bytes it appended.
    ///
    /// # Safety
    /// The CPU must support AVX2.
    #[target_feature(enable = "avx2")]
    pub(super) unsafe fn lowercase_ascii_blocks(bytes: &[u8], out: &mut String) -> usize {
        let blocks = bytes.len() / 32;
        // SAFETY: only ASCII bytes are written (a block with any byte
        // ≥ 0x80 stops the loop before it is stored), so `out` stays UTF-8.
        let vec = unsafe { out.as_mut_vec() };
        vec.reserve(blocks * 32);
        // 'A'..='Z' shifted to the bottom of the signed range: one signed
        // comparison then finds the capitals.
        let shift = _mm256_set1_epi8((0x80u8 - b'A') as i8);
        let below = _mm256_set1_epi8((0x80u8 + 26) as i8);
        let case_bit = _mm256_set1_epi8(0x20);
        let mut done = 0;
        while done < blocks * 32 {
            // SAFETY: `done + 32 <= bytes.len()`, and `vec` has room for
            // `blocks * 32` more bytes (reserved above).
            unsafe {
                let v = _mm256_loadu_si256(bytes.as_ptr().add(done).cast::<__m256i>());
                if _mm256_movemask_epi8(v) != 0 {
                    break;
                }
                let capital = _mm256_cmpgt_epi8(below, _mm256_add_epi8(v, shift));
                let lower = _mm256_or_si256(v, _mm256_and_si256(capital, case_bit));
                let end = vec.len();
                _mm256_storeu_si256(vec.as_mut_ptr().add(end).cast::<__m256i>(), lower);
                vec.set_len(end + 32);
            }
            done += 32;
        }
        done
    }
}

/// `text` case-folded into `out` (emptied first).
pub(crate) fn fold_into(text: &str, out: &mut String) {
    out.clear();
    fold_append(text, out);
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::sigma::values::fold;

    proptest! {
        #[test]
        fn same_as_folding_each_character(text in "\\PC{0,40}") {
            let mut out = String::from("kept ");
            fold_append(&text, &mut out);
            prop_assert_eq!(out, format!("kept {}", fold(&text)));
        }

        /// Long mostly-ASCII text crosses the 32-byte blocks, with the
        /// non-ASCII characters anywhere in them.
        #[test]
        fn long_text_same_as_folding_each_character(text in "[\\x00-\\x7F]{0,100}(\\PC{0,3}[\\x00-\\x7F]{0,70}){0,4}") {
            let mut out = String::from("kept ");
            fold_append(&text, &mut out);
            prop_assert_eq!(out, format!("kept {}", fold(&text)));
        }
    }

    #[test]
    fn mixed_text() {
        let mut out = String::new();
        fold_into("Microsoft® Windows® ÄÖ \u{212a}elvin İ", &mut out);
        assert_eq!(out, fold("Microsoft® Windows® ÄÖ \u{212a}elvin İ"));
    }
}
