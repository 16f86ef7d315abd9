//! String values with escapes, unescaped when they are read (see
//! [`super::json_scan`]).

use super::json_simd::{BLOCK, block_masks};

/// Appends `raw`, the text of a string as written (checked by the
/// scanner), unescaped to `out`. The runs between escapes are found as the
/// scanner finds them, sixteen bytes at a time: Windows paths hold an
/// escape every few bytes, and a call per run cost more than the copy.
pub(crate) fn unescape(raw: &str, out: &mut String) {
    let bytes = raw.as_bytes();
    let mut run = 0;
    loop {
        let at = next_backslash(bytes, run);
        // Runs end at a backslash or the end: character boundaries.
        out.push_str(raw.get(run..at).unwrap_or_default());
        if at >= bytes.len() {
            return;
        }
        let (c, used) = match bytes.get(at + 1) {
            Some(b'b') => ('\u{8}', 2),
            Some(b'f') => ('\u{c}', 2),
            Some(b'n') => ('\n', 2),
            Some(b'r') => ('\r', 2),
            Some(b't') => ('\t', 2),
            Some(b'u') => {
                let first = hex4(bytes, at + 2);
                match first {
                    0xD800..=0xDBFF => {
                        let low = hex4(bytes, at + 8);
                        let code = 0x10000 + ((first - 0xD800) << 10) + low.wrapping_sub(0xDC00);
                        (char::from_u32(code).unwrap_or('\u{fffd}'), 12)
                    }
                    code => (char::from_u32(code).unwrap_or('\u{fffd}'), 6),
                }
            }
            Some(&b) => (char::from(b), 2),
            None => ('\\', 1),
        };
        out.push(c);
        run = at + used;
    }
}

/// The offset of the first backslash at or after `from` in the text of a
/// checked string (which holds no other byte [`block_masks`] stops at but
/// the quotes right after a backslash), or its length.
fn next_backslash(bytes: &[u8], from: usize) -> usize {
    let mut i = from;
    while let Some(block) = bytes
        .get(i..i + BLOCK)
        .and_then(|b| <&[u8; BLOCK]>::try_from(b).ok())
    {
        let (special, _) = block_masks(block);
        if special != 0 {
            return i + special.trailing_zeros() as usize;
        }
        i += BLOCK;
    }
    while let Some(&b) = bytes.get(i) {
        if b == b'\\' {
            break;
        }
        i += 1;
    }
    i.min(bytes.len())
}

/// The four hex digits at `at` (checked by the scanner).
fn hex4(bytes: &[u8], at: usize) -> u32 {
    bytes
        .get(at..at + 4)
        .and_then(|digits| std::str::from_utf8(digits).ok())
        .and_then(|digits| u32::from_str_radix(digits, 16).ok())
        .unwrap_or(0xFFFD)
}
