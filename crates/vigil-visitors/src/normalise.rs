//! Names as a watchlist compares them: case, accents, punctuation and
//! spacing do not matter, nor the order of the parts ("García, José" is
//! "Jose Garcia").

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// Letters that carry no combining mark to drop but are written without
/// their stroke or as two letters where a keyboard lacks them.
fn fold(c: char) -> Option<&'static str> {
    Some(match c {
        'ß' => "ss",
        'æ' => "ae",
        'œ' => "oe",
        'ø' => "o",
        'ł' => "l",
        'đ' | 'ð' => "d",
        'þ' => "th",
        'ı' => "i",
        'ħ' => "h",
        _ => return None,
    })
}

/// Apostrophes join the parts they sit between ("O'Brien" is "obrien").
fn is_apostrophe(c: char) -> bool {
    matches!(c, '\'' | '’' | '‘' | 'ʼ' | '`' | '´')
}

fn one_pass(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut gap = false;
    let lowered: String = name.chars().flat_map(char::to_lowercase).collect();
    for c in lowered.nfkd() {
        if is_combining_mark(c) || is_apostrophe(c) {
            continue;
        }
        for c in c.to_lowercase() {
            if let Some(folded) = fold(c) {
                if gap && !out.is_empty() {
                    out.push(' ');
                }
                gap = false;
                out.push_str(folded);
            } else if c.is_alphanumeric() {
                if gap && !out.is_empty() {
                    out.push(' ');
                }
                gap = false;
                out.push(c);
            } else if !is_combining_mark(c) {
                // Spaces, hyphens, commas, dots: all one separator.
                gap = true;
            }
        }
    }
    out
}

/// A name in canonical form: lower case, accents dropped, every run of
/// spaces and punctuation one space, apostrophes dropped, no space at either
/// end. Order of the parts is kept (see [`name_key`] for comparing).
pub fn normalise_name(name: &str) -> String {
    // Lower-casing can produce marks and NFKD can produce capitals
    // (compatibility forms); a second pass reaches the fixed point.
    let once = one_pass(name);
    let twice = one_pass(&once);
    if twice == once {
        once
    } else {
        one_pass(&twice)
    }
}

/// The key two names are compared by: the parts of the normalised name,
/// sorted, so that "Garcia Jose" and "José García" are one person.
pub fn name_key(name: &str) -> String {
    let normal = normalise_name(name);
    let mut parts: Vec<&str> = normal.split(' ').filter(|p| !p.is_empty()).collect();
    parts.sort_unstable();
    parts.join(" ")
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn case_accents_punctuation_and_spacing_do_not_matter() {
        assert_eq!(normalise_name("  José   GARCÍA "), "jose garcia");
        assert_eq!(normalise_name("Anne-Marie O'Brien"), "anne marie obrien");
        assert_eq!(normalise_name("Straße\tKøbenhavn"), "strasse kobenhavn");
        assert_eq!(normalise_name("Łukasz Żółć"), "lukasz zolc");
        assert_eq!(normalise_name("Ｊｏｈｎ"), "john");
        assert_eq!(normalise_name("  "), "");
        assert_eq!(name_key("García, José"), name_key("jose garcia"));
    }

    #[test]
    fn near_misses_stay_apart() {
        assert_ne!(name_key("Jose Garcia"), name_key("Jose Garcias"));
        assert_ne!(name_key("Jose Garcia"), name_key("Josef Garcia"));
        assert_ne!(name_key("Jo Se Garcia"), name_key("Jose Garcia"));
        assert_ne!(name_key("Jose Garcia Lopez"), name_key("Jose Garcia"));
    }

    proptest! {
        #[test]
        fn normalising_is_idempotent_and_tidy(name in "\\PC{0,40}") {
            let n = normalise_name(&name);
            prop_assert_eq!(&normalise_name(&n), &n);
            prop_assert!(!n.starts_with(' ') && !n.ends_with(' '));
            prop_assert!(!n.contains("  "));
            prop_assert!(n.chars().all(|c| c == ' ' || c.is_alphanumeric()));
            prop_assert_eq!(n.to_lowercase(), n.clone());
        }

        #[test]
        fn case_and_spacing_never_change_the_key(
            parts in proptest::collection::vec("[a-zA-ZàéîõüçñÀÉÎÕÜÇÑ]{1,8}", 1..4),
            pad in "[ \t,.-]{1,3}",
        ) {
            let plain = parts.join(" ");
            let shouted = parts.iter().map(|p| p.to_uppercase()).collect::<Vec<_>>().join(&pad);
            let reversed = parts.iter().rev().cloned().collect::<Vec<_>>().join(&pad);
            prop_assert_eq!(name_key(&plain), name_key(&shouted));
            prop_assert_eq!(name_key(&plain), name_key(&reversed));
        }

        #[test]
        fn accents_never_change_the_key(name in "[a-z ]{1,20}") {
            let accented: String = name
                .chars()
                .map(|c| match c { 'a' => 'á', 'e' => 'è', 'o' => 'ô', 'u' => 'ü', 'c' => 'ç', c => c })
                .collect();
            prop_assert_eq!(name_key(&name), name_key(&accented));
        }
    }
}
