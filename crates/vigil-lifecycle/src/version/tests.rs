use std::cmp::Ordering;

use proptest::prelude::*;

use super::*;

fn v(text: &str) -> Version {
    Version::parse(text).unwrap_or_else(|| panic!("{text} should read as a version"))
}

fn order(a: &str, b: &str) -> Option<Ordering> {
    v(a).compare(&v(b))
}

#[test]
fn numbers_compare_as_numbers_and_labels_do_not_count() {
    assert_eq!(order("V4.3.9", "4.3.10"), Some(Ordering::Less));
    assert_eq!(order("v.32.011", "32.11"), Some(Ordering::Equal));
    assert_eq!(order("V05.30", "5.30"), Some(Ordering::Equal));
    assert_eq!(order("Ver.2.60", "2.61"), Some(Ordering::Less));
    assert_eq!(order("Firmware__20.011", "20.11"), Some(Ordering::Equal));
    assert_eq!(order("R9.01", "R10.04"), Some(Ordering::Less));
    assert_eq!(
        order("12345678901234567890123", "12345678901234567890124"),
        Some(Ordering::Less)
    );
}

#[test]
fn missing_parts_are_zero() {
    assert_eq!(order("1.0", "1.0.0"), Some(Ordering::Equal));
    assert_eq!(order("1", "1.0.1"), Some(Ordering::Less));
}

#[test]
fn suffixes_order_after_their_release_and_before_the_next() {
    assert_eq!(order("3.2", "3.2 SP1"), Some(Ordering::Less));
    assert_eq!(order("3.2_SP1", "3.2.1"), Some(Ordering::Less));
    assert_eq!(order("V18", "V18_Update_2"), Some(Ordering::Less));
    assert_eq!(order("V18 Update 2", "V18_Update_10"), Some(Ordering::Less));
    assert_eq!(order("3.00.2", "3.00.2 CU02"), Some(Ordering::Less));
    assert_eq!(order("1.04E", "1.05F"), Some(Ordering::Less));
    assert_eq!(order("1.04", "1.04E"), Some(Ordering::Less));
    assert_eq!(
        order("R520.2_TCU4_HF2", "R520.2_TCU5"),
        Some(Ordering::Less)
    );
}

#[test]
fn pre_releases_come_before_the_release() {
    assert_eq!(order("1.0-rc1", "1.0"), Some(Ordering::Less));
    assert_eq!(order("2.0 beta 3", "2.0.0"), Some(Ordering::Less));
    assert_eq!(order("2.0 alpha", "2.0 beta"), Some(Ordering::Less));
}

#[test]
fn versions_that_start_differently_do_not_compare() {
    assert_eq!(order("MP4", "MP8_SR4"), Some(Ordering::Less));
    assert_eq!(order("MP4", "IP8"), None);
    assert_eq!(order("MP4", "4.1"), None);
    assert_eq!(order("MX-V4.0.1.15", "MX-V4.0.2.33"), Some(Ordering::Less));
}

#[test]
fn text_that_is_no_version_is_refused() {
    for text in [
        "",
        "  ",
        "8/30/2024",
        "serial No. \"26061\"",
        "(Windows)",
        "...",
    ] {
        assert!(Version::parse(text).is_none(), "{text:?}");
    }
}

#[test]
fn wildcards_name_a_release_line() {
    assert!(v("4.5.x").ends_in_wildcard());
    assert!(v("R15x").ends_in_wildcard());
    assert!(!v("x").ends_in_wildcard());
    assert!(v("7.6.3").starts_with(&v("V7.6x").without_wildcard()));
    assert!(!v("7.7").starts_with(&v("7.6x").without_wildcard()));
}

fn version_text() -> impl Strategy<Value = String> {
    proptest::collection::vec(
        prop_oneof![
            "[0-9]{1,3}",
            "(sp|update|rc|beta|hf|a|e|x)",
            "(V|v|R)[0-9]{1,2}",
        ],
        1..6,
    )
    .prop_flat_map(|parts| {
        let n = parts.len();
        (Just(parts), proptest::collection::vec("[._ -]", n))
    })
    .prop_map(|(parts, seps)| {
        parts
            .iter()
            .zip(seps)
            .map(|(p, s)| format!("{p}{s}"))
            .collect::<String>()
    })
}

proptest! {
    #[test]
    fn parse_never_panics(text in "\\PC{0,40}") {
        let _ = Version::parse(&text);
    }

    #[test]
    fn order_is_reflexive_and_antisymmetric(a in version_text(), b in version_text()) {
        if let (Some(a), Some(b)) = (Version::parse(&a), Version::parse(&b)) {
            prop_assert_eq!(a.compare(&a), Some(Ordering::Equal));
            prop_assert_eq!(a.compare(&b), b.compare(&a).map(Ordering::reverse));
        }
    }

    #[test]
    fn order_is_transitive(a in version_text(), b in version_text(), c in version_text()) {
        if let (Some(a), Some(b), Some(c)) =
            (Version::parse(&a), Version::parse(&b), Version::parse(&c))
            && let (Some(ab), Some(bc), Some(ac)) = (a.compare(&b), b.compare(&c), a.compare(&c))
            && ab == bc
        {
            prop_assert_eq!(ac, ab);
        }
    }

    #[test]
    fn numbers_order_like_integers(x in 0u64..100_000, y in 0u64..100_000, zeros in 0usize..3) {
        let a = v(&format!("V1.{}{x}", "0".repeat(zeros)));
        let b = v(&format!("1.{y}"));
        prop_assert_eq!(a.compare(&b), Some(x.cmp(&y)));
    }
}
