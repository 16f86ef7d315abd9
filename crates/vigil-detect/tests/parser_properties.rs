//! Outside input never panics the parser: arbitrary text, YAML-shaped
//! noise, and condition strings.

use proptest::prelude::*;
use vigil_detect::sigma::condition::parse_condition;
use vigil_detect::{LoadOptions, RuleSet};

fn load(text: String) -> usize {
    let report = RuleSet::load_sources([("fuzz.yml".to_owned(), text)], &LoadOptions::default());
    report.outcomes.len()
}

/// Lines that look like Sigma, in random order and indentation.
fn sigma_like() -> impl Strategy<Value = String> {
    let key = prop::sample::select(vec![
        "title",
        "id",
        "level",
        "status",
        "logsource",
        "product",
        "category",
        "service",
        "detection",
        "selection",
        "filter",
        "condition",
        "keywords",
        "tags",
        "action",
        "correlation",
        "rules",
        "Image|endswith",
        "CommandLine|contains|all",
        "x|re",
        "x|re|i",
        "x|base64offset|contains",
        "x|utf16le|base64",
        "x|windash",
        "x|cidr",
        "x|exists",
        "x|gt",
        "x|hour",
        "x|expand",
        "x|fieldref",
        "x|bogus",
        "'|all'",
        "x|",
    ]);
    let value = prop::sample::select(vec![
        "",
        "selection",
        "1 of them",
        "all of sel*",
        "not (a or",
        "a and not b",
        "high",
        "urgent",
        "'C:\\Windows\\*'",
        "[a, b, '']",
        "{a: 1}",
        "null",
        "true",
        "42",
        "1.5",
        "&anchor x",
        "*anchor",
        "!tag v",
        "'10.0.0.0/8'",
        "'%placeholder%'",
        "'(?=x)'",
        "'[a-'",
        "global",
        "repeat",
        "reset",
        "- item",
        "|",
        ">",
        "'unterminated",
        "\"esc\\u0041\"",
        "~",
    ]);
    let line = (0usize..4, key, value)
        .prop_map(|(indent, k, v)| format!("{}{k}: {v}", "    ".repeat(indent)));
    prop::collection::vec(
        prop_oneof![8 => line, 1 => Just("---".to_owned()), 1 => Just("- x".to_owned())],
        0..30,
    )
    .prop_map(|lines| lines.join("\n"))
}

fn condition_like() -> impl Strategy<Value = String> {
    let token = prop::sample::select(vec![
        "sel", "filter_1", "sel*", "and", "or", "not", "of", "them", "all", "any", "1", "2", "0",
        "(", ")", "|", "count()", "é", "-", "_x", "*", " ",
    ]);
    prop::collection::vec(token, 0..25).prop_map(|t| t.join(" "))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_text_never_panics(text in any::<String>()) {
        let _ = load(text);
    }

    #[test]
    fn sigma_shaped_noise_never_panics(text in sigma_like()) {
        let _ = load(text);
    }

    #[test]
    fn arbitrary_conditions_never_panic(text in any::<String>()) {
        if let Err(e) = parse_condition(&text) {
            prop_assert!(e.column >= 1 && e.column <= text.chars().count() + 1);
        }
    }

    #[test]
    fn condition_shaped_noise_reports_columns_inside_the_text(text in condition_like()) {
        if let Err(e) = parse_condition(&text) {
            prop_assert!(e.column >= 1 && e.column <= text.chars().count() + 1, "{e} in {text:?}");
        }
    }
}
