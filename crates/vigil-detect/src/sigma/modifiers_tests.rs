use base64::Engine as _;

use super::*;

fn item(field: Option<&str>, modifiers: &str, values: Vec<RawValue>) -> SearchItem {
    SearchItem {
        field: field.map(str::to_owned),
        modifiers: modifiers
            .split('|')
            .filter(|m| !m.is_empty())
            .map(|m| Modifier::parse(m).unwrap_or_else(|| panic!("modifier {m}")))
            .collect(),
        list: values.len() > 1,
        values,
    }
}

fn s(text: &str) -> RawValue {
    RawValue::Str(text.to_owned())
}

fn lower(field: Option<&str>, modifiers: &str, values: Vec<RawValue>) -> LoweredItem {
    lower_item(&item(field, modifiers, values), &Placeholders::new()).unwrap()
}

fn lower_err(field: Option<&str>, modifiers: &str, values: Vec<RawValue>) -> RuleError {
    lower_item(&item(field, modifiers, values), &Placeholders::new()).unwrap_err()
}

/// The patterns of every alternative of every value, rendered with `*`/`?`.
fn patterns(lowered: &LoweredItem) -> Vec<Vec<String>> {
    lowered
        .values
        .iter()
        .map(|alts| {
            alts.iter()
                .map(|op| match op {
                    Operand::Pattern { pattern, .. } => render(pattern),
                    other => panic!("not a pattern: {other:?}"),
                })
                .collect()
        })
        .collect()
}

fn render(pattern: &SigmaString) -> String {
    pattern
        .parts()
        .iter()
        .map(|p| match p {
            Part::Lit(l) => l.clone(),
            Part::AnyRun => "*".into(),
            Part::AnyChar => "?".into(),
            Part::Placeholder(n) => format!("%{n}%"),
        })
        .collect()
}

#[test]
fn position_modifiers_add_wildcards_once() {
    let l = lower(Some("Image"), "endswith", vec![s(r"\\example.exe")]);
    assert_eq!(patterns(&l), [[r"*\example.exe"]]);
    let l = lower(Some("CommandLine"), "contains", vec![s("*abc")]);
    assert_eq!(patterns(&l), [["*abc*"]]);
    let l = lower(Some("User"), "startswith", vec![s("adm_")]);
    assert_eq!(patterns(&l), [["adm_*"]]);
    // Values keep their own wildcards inside.
    let l = lower(Some("x"), "contains", vec![s("a*b")]);
    assert_eq!(patterns(&l), [["*a*b*"]]);
}

#[test]
fn all_and_neq_and_cased_apply_to_the_item() {
    let l = lower(Some("CommandLine"), "contains|all", vec![s("a"), s("b")]);
    assert_eq!(l.link, Link::All);
    assert_eq!(patterns(&l), [["*a*"], ["*b*"]]);
    let l = lower(Some("x"), "neq", vec![s("a")]);
    assert!(l.negate);
    let l = lower(Some("x"), "cased", vec![s("ABC")]);
    assert!(matches!(
        &l.values[0][0],
        Operand::Pattern { cased: true, .. }
    ));
    let l = lower(Some("x"), "", vec![s("ABC")]);
    assert!(matches!(
        &l.values[0][0],
        Operand::Pattern { cased: false, .. }
    ));
}

#[test]
fn exists_takes_one_boolean_on_a_field() {
    let l = lower(
        Some("PasswordLastSet"),
        "exists",
        vec![RawValue::Bool(true)],
    );
    assert!(matches!(l.values[0][0], Operand::Exists(true)));
    assert!(matches!(
        lower_err(Some("x"), "exists", vec![s("yes")]),
        RuleError::BadModifier { .. }
    ));
    assert!(matches!(
        lower_err(None, "exists", vec![RawValue::Bool(true)]),
        RuleError::BadModifier { .. }
    ));
    assert!(matches!(
        lower_err(Some("x"), "exists|contains", vec![RawValue::Bool(true)]),
        RuleError::BadModifier { .. }
    ));
}

#[test]
fn windash_varies_option_dashes_only() {
    let l = lower(Some("CommandLine"), "contains|windash", vec![s(" -f ")]);
    let mut got = patterns(&l).remove(0);
    got.sort();
    let mut want: Vec<String> = ['-', '/', '\u{2013}', '\u{2014}', '\u{2015}']
        .iter()
        .map(|d| format!("* {d}f *"))
        .collect();
    want.sort();
    assert_eq!(got, want);
    // A dash inside a word is not an option dash.
    let l = lower(Some("x"), "windash", vec![s("a-b")]);
    assert_eq!(patterns(&l), [["a-b"]]);
    // Two option dashes: 25 spellings.
    let l = lower(Some("x"), "windash", vec![s("-a -b")]);
    assert_eq!(l.values[0].len(), 25);
    // Alternatives of one value stay together under `all`.
    let l = lower(Some("x"), "windash|contains|all", vec![s("-a"), s("b")]);
    assert_eq!(l.values.len(), 2);
    assert_eq!(l.values[0].len(), 5);
}

#[test]
fn regular_expressions_with_flags_and_refusals() {
    let l = lower(Some("x"), "re", vec![s("^a.c$")]);
    let Operand::Regex(re) = &l.values[0][0] else {
        panic!()
    };
    assert!(re.is_match("abc"));
    assert!(!re.is_match("ABC"));
    let l = lower(Some("x"), "re|i", vec![s("^a.c$")]);
    let Operand::Regex(re) = &l.values[0][0] else {
        panic!()
    };
    assert!(re.is_match("ABC"));
    let l = lower(Some("x"), "re|m", vec![s("^b$")]);
    let Operand::Regex(re) = &l.values[0][0] else {
        panic!()
    };
    assert!(re.is_match("a\nb\nc"));
    let l = lower(Some("x"), "re|s", vec![s("a.b")]);
    let Operand::Regex(re) = &l.values[0][0] else {
        panic!()
    };
    assert!(re.is_match("a\nb"));
    // Wildcard escapes are not interpreted in a regular expression.
    let l = lower(Some("x"), "re", vec![s(r"a\\b")]);
    let Operand::Regex(re) = &l.values[0][0] else {
        panic!()
    };
    assert!(re.is_match(r"a\b"));
    let err = lower_err(Some("CommandLine"), "re", vec![s("foo(?=bar)")]);
    let RuleError::BadRegex { field, pattern, .. } = err else {
        panic!("{err:?}")
    };
    assert_eq!(
        (field.as_str(), pattern.as_str()),
        ("CommandLine", "foo(?=bar)")
    );
    assert!(matches!(
        lower_err(Some("x"), "contains|re", vec![s("a")]),
        RuleError::BadModifier { .. }
    ));
    assert!(matches!(
        lower_err(Some("x"), "i", vec![s("a")]),
        RuleError::BadModifier { .. }
    ));
}

#[test]
fn base64_encodes_plain_values_only() {
    let l = lower(Some("x"), "base64", vec![s("cmd")]);
    assert_eq!(patterns(&l), [["Y21k"]]);
    let l = lower(Some("x"), "base64|contains", vec![s("cmd")]);
    assert_eq!(patterns(&l), [["*Y21k*"]]);
    assert!(matches!(
        lower_err(Some("x"), "base64", vec![s("a*b")]),
        RuleError::BadModifier { .. }
    ));
}

#[test]
fn base64offset_finds_the_value_at_every_alignment() {
    let b64 = |b: &[u8]| base64::engine::general_purpose::STANDARD.encode(b);
    for value in [
        "IEX",
        "Invoke-Expression",
        "http://",
        "a",
        "ab",
        "/bin/bash -i",
    ] {
        let l = lower(Some("x"), "base64offset|contains", vec![s(value)]);
        let alternatives: Vec<String> = patterns(&l)
            .remove(0)
            .into_iter()
            .map(|p| p.trim_matches('*').to_owned())
            .collect();
        assert_eq!(alternatives.len(), 3);
        for prefix in ["", "x", "xy", "xyz", "wxyz"] {
            for suffix in ["", "1", "12", "123"] {
                let text = format!("{prefix}{value}{suffix}");
                let encoded = b64(text.as_bytes());
                assert!(
                    alternatives.iter().any(|a| encoded.contains(a.as_str())),
                    "{value} in {text}: {encoded} lacks all of {alternatives:?}"
                );
            }
        }
    }
}

#[test]
fn utf16_encodings() {
    let l = lower(Some("x"), "utf16le", vec![s("cmd")]);
    assert_eq!(patterns(&l), [["c\0m\0d\0"]]);
    let l = lower(Some("x"), "wide", vec![s("cmd")]);
    assert_eq!(patterns(&l), [["c\0m\0d\0"]]);
    let l = lower(Some("x"), "utf16be", vec![s("cmd")]);
    assert_eq!(patterns(&l), [["\0c\0m\0d"]]);
    let l = lower(Some("x"), "utf16", vec![s("cmd")]);
    assert_eq!(patterns(&l), [["\u{feff}c\0m\0d\0"]]);
    // With base64 the byte-order mark is FF FE.
    let l = lower(Some("x"), "utf16|base64", vec![s("cmd")]);
    assert_eq!(patterns(&l), [["//5jAG0AZAA="]]);
    let l = lower(Some("x"), "wide|base64offset|contains", vec![s("ping")]);
    let encoded = base64::engine::general_purpose::STANDARD.encode(
        "cmd /c ping x"
            .encode_utf16()
            .flat_map(u16::to_le_bytes)
            .collect::<Vec<u8>>(),
    );
    assert!(
        patterns(&l)[0]
            .iter()
            .any(|p| encoded.contains(p.trim_matches('*')))
    );
}

#[test]
fn numeric_comparisons_need_numbers() {
    let l = lower(Some("x"), "gte", vec![RawValue::Number(Number::Int(5))]);
    assert!(matches!(
        l.values[0][0],
        Operand::Compare {
            op: CmpOp::Gte,
            bound: Number::Int(5)
        }
    ));
    let l = lower(Some("x"), "lt", vec![s("2.5")]);
    assert!(matches!(
        l.values[0][0],
        Operand::Compare { op: CmpOp::Lt, .. }
    ));
    for m in ["lt", "lte", "gt", "gte"] {
        assert!(matches!(
            lower_err(Some("x"), m, vec![s("abc")]),
            RuleError::BadModifier { .. }
        ));
    }
}

#[test]
fn time_parts_need_whole_numbers() {
    for (m, part) in [
        ("minute", TimePart::Minute),
        ("hour", TimePart::Hour),
        ("day", TimePart::Day),
        ("week", TimePart::Week),
        ("month", TimePart::Month),
        ("year", TimePart::Year),
    ] {
        let l = lower(Some("t"), m, vec![RawValue::Number(Number::Int(3))]);
        assert!(matches!(l.values[0][0], Operand::Time { part: p, value: 3 } if p == part));
    }
    assert!(matches!(
        lower_err(
            Some("t"),
            "hour",
            vec![RawValue::Number(Number::Float(1.5))]
        ),
        RuleError::BadModifier { .. }
    ));
}

#[test]
fn cidr_parses_networks() {
    let l = lower(
        Some("DestinationIp"),
        "cidr",
        vec![s("10.0.0.0/8"), s("fe80::/10")],
    );
    assert!(matches!(l.values[0][0], Operand::Cidr(_)));
    assert!(matches!(l.values[1][0], Operand::Cidr(_)));
    assert!(matches!(
        lower_err(Some("x"), "cidr", vec![s("10.0.0.0/99")]),
        RuleError::BadModifier { .. }
    ));
}

#[test]
fn expand_fills_placeholders_or_names_the_missing_one() {
    let mut placeholders = Placeholders::new();
    placeholders.insert(
        "Administrators".into(),
        vec!["admin".into(), "adm_*".into()],
    );
    let it = item(Some("User"), "expand", vec![s("%Administrators%")]);
    let l = lower_item(&it, &placeholders).unwrap();
    assert_eq!(patterns(&l), [["admin", "adm_*"]]);
    let it = item(
        Some("Attributes"),
        "contains|expand",
        vec![s("%known_cdcs%")],
    );
    let err = lower_item(&it, &placeholders).unwrap_err();
    assert_eq!(
        err,
        RuleError::UnfilledPlaceholder {
            field: "Attributes".into(),
            placeholder: "known_cdcs".into()
        }
    );
    placeholders.insert("known_cdcs".into(), vec!["dc1".into(), "dc2".into()]);
    let l = lower_item(&it, &placeholders).unwrap();
    assert_eq!(patterns(&l), [["*dc1*", "*dc2*"]]);
    // Without `expand`, percent signs are plain text.
    let l = lower(Some("x"), "", vec![s("%Administrators%")]);
    assert_eq!(patterns(&l), [["%Administrators%"]]);
}

#[test]
fn fieldref_names_another_field() {
    let l = lower(
        Some("TargetUserName"),
        "fieldref",
        vec![s("SubjectUserName")],
    );
    assert!(matches!(
        &l.values[0][0],
        Operand::FieldRef { field, mode: RefMode::Equal, .. } if field == "SubjectUserName"
    ));
    let l = lower(Some("a"), "fieldref|endswith", vec![s("b")]);
    assert!(matches!(
        &l.values[0][0],
        Operand::FieldRef {
            mode: RefMode::Suffix,
            ..
        }
    ));
    assert!(matches!(
        lower_err(Some("a"), "fieldref", vec![s("b*")]),
        RuleError::BadModifier { .. }
    ));
}

#[test]
fn keywords_match_anywhere_unless_positioned() {
    let l = lower(None, "", vec![s("event::clear")]);
    assert_eq!(patterns(&l), [["*event::clear*"]]);
    let l = lower(None, "all", vec![s("a"), s("b")]);
    assert_eq!(l.link, Link::All);
    assert_eq!(patterns(&l), [["*a*"], ["*b*"]]);
    let l = lower(None, "startswith", vec![s("x")]);
    assert_eq!(patterns(&l), [["x*"]]);
    assert!(matches!(
        lower_err(None, "", vec![RawValue::Null]),
        RuleError::BadModifier { .. }
    ));
}

#[test]
fn numbers_and_booleans_match_as_text() {
    let l = lower(
        Some("EventID"),
        "",
        vec![RawValue::Number(Number::Int(4688))],
    );
    assert_eq!(patterns(&l), [["4688"]]);
    let l = lower(Some("Signed"), "", vec![RawValue::Bool(true)]);
    assert_eq!(patterns(&l), [["true"]]);
    let l = lower(
        Some("x"),
        "contains",
        vec![RawValue::Number(Number::Int(12))],
    );
    assert_eq!(patterns(&l), [["*12*"]]);
}
