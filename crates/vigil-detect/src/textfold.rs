//! Case folding at speed: the same result as [`crate::sigma::values::fold`]
//! (each character to its lowercase form), with runs of ASCII folded a
//! whole run at a time.

/// Appends `text`, case-folded, to `out`.
pub(crate) fn fold_append(text: &str, out: &mut String) {
    if text.is_ascii() {
        push_lowercase(text, out);
        return;
    }
    let mut rest = text;
    while !rest.is_empty() {
        let (run, tail) = rest.split_at(ascii_prefix_len(rest.as_bytes()));
        push_lowercase(run, out);
        let mut chars = tail.chars();
        if let Some(c) = chars.next() {
            out.extend(c.to_lowercase());
        }
        rest = chars.as_str();
    }
}

fn push_lowercase(ascii: &str, out: &mut String) {
    let start = out.len();
    out.push_str(ascii);
    if let Some(added) = out.get_mut(start..) {
        added.make_ascii_lowercase();
    }
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
    }

    #[test]
    fn mixed_text() {
        let mut out = String::new();
        fold_into("Microsoft® Windows® ÄÖ \u{212a}elvin İ", &mut out);
        assert_eq!(out, fold("Microsoft® Windows® ÄÖ \u{212a}elvin İ"));
    }
}
