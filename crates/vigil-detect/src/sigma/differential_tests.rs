//! The compiled matcher against the reference interpreter, over generated
//! rules and generated events: both must give the same answer.

use proptest::prelude::*;
use serde_json::{Map, Value, json};
use vigil_model::EventClass;

use super::ast::SigmaDocument;
use super::modifiers::Placeholders;
use super::parse::parse_documents;
use super::reference::detection_matches;
use crate::{EventLogSource, LoadOptions, RuleSet};

const FIELDS: [&str; 3] = ["A", "B", "C"];

/// Characters chosen to exercise case folding, wildcards, escapes and dashes.
fn text(max: usize) -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop::sample::select(vec![
            'a', 'b', 'A', 'B', 'é', 'É', '-', '/', ' ', '1', 'K', '\\', '*', '?', '\u{212a}',
        ]),
        0..max,
    )
    .prop_map(|chars| chars.into_iter().collect())
}

/// Rule values may also hold wildcards and backslashes.
fn rule_text() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            4 => prop::sample::select(vec!["a", "b", "A", "é", "É", "-", "/", " ", "1", "K"]),
            1 => prop::sample::select(vec!["*", "?", "\\", "\\*", "\\?", "\\\\"]),
        ],
        1..4,
    )
    .prop_map(|parts| parts.concat())
}

fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// One `key: value` line of a search map.
fn item() -> impl Strategy<Value = String> {
    let field = prop::sample::select(FIELDS.to_vec());
    let strings = prop::collection::vec(rule_text(), 1..4);
    prop_oneof![
        // String matching with the common modifiers.
        8 => (
            field.clone(),
            prop::sample::select(vec![
                "",
                "|contains",
                "|startswith",
                "|endswith",
                "|contains|all",
                "|cased",
                "|contains|cased",
                "|neq",
                "|contains|neq",
                "|windash",
                "|windash|contains",
                "|all",
            ]),
            strings,
        )
            .prop_map(|(f, m, vs)| format!(
                "{f}{m}: [{}]",
                vs.iter().map(|v| quote(v)).collect::<Vec<_>>().join(", ")
            )),
        // Regular expressions from a fixed, valid set.
        1 => (
            field.clone(),
            prop::sample::select(vec!["|re", "|re|i"]),
            prop::sample::select(vec!["a", "^a", "b$", "a.b", "[ab]+", "A|é", "^$", "1"])
        )
            .prop_map(|(f, m, r)| format!("{f}{m}: {}", quote(r))),
        // Numbers.
        1 => (
            field.clone(),
            prop::sample::select(vec!["", "|gt", "|gte", "|lt", "|lte"]),
            0i64..12
        )
            .prop_map(|(f, m, n)| format!("{f}{m}: {n}")),
        1 => (field.clone(), any::<bool>()).prop_map(|(f, b)| format!("{f}: {b}")),
        1 => (field.clone(), any::<bool>()).prop_map(|(f, b)| format!("{f}|exists: {b}")),
        1 => field.clone().prop_map(|f| format!("{f}: null")),
        1 => (field.clone(), prop::sample::select(vec!["10.0.0.0/8", "10.1.0.0/16", "::/0"]))
            .prop_map(|(f, c)| format!("{f}|cidr: {}", quote(c))),
        1 => (field.clone(), prop::sample::select(FIELDS.to_vec()), prop::sample::select(vec!["", "|contains", "|startswith"]))
            .prop_map(|(f, other, m)| format!("{f}|fieldref{m}: {other}")),
        1 => (field, text(4)).prop_map(|(f, v)| format!("{f}|base64offset|contains: {}", quote(&v))),
    ]
}

/// A search body, rendered under a search name at indentation 4.
fn search_body() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::collection::vec(item(), 1..4)
            .prop_map(|items| items.iter().map(|i| format!("        {i}\n")).collect()),
        prop::collection::vec(prop::collection::vec(item(), 1..3), 1..3).prop_map(|maps| {
            maps.iter()
                .map(|items| {
                    let mut out = String::new();
                    for (n, i) in items.iter().enumerate() {
                        let lead = if n == 0 { "        - " } else { "          " };
                        out.push_str(&format!("{lead}{i}\n"));
                    }
                    out
                })
                .collect()
        }),
        prop::collection::vec(rule_text(), 1..3).prop_map(|kws| {
            kws.iter()
                .map(|k| format!("        - {}\n", quote(k)))
                .collect()
        }),
    ]
}

fn condition(names: Vec<String>) -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        prop::sample::select(names),
        Just("1 of sel_*".to_owned()),
        Just("all of sel_*".to_owned()),
        Just("1 of them".to_owned()),
        Just("all of them".to_owned()),
        Just("2 of them".to_owned()),
    ];
    leaf.prop_recursive(3, 12, 3, |inner| {
        prop_oneof![
            inner.clone().prop_map(|c| format!("not {c}")),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("{a} and {b}")),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("{a} or {b}")),
            inner.prop_map(|c| format!("({c})")),
        ]
    })
}

pub(crate) fn rule_yaml() -> impl Strategy<Value = String> {
    prop::collection::vec(search_body(), 2..4).prop_flat_map(|bodies| {
        let names: Vec<String> = bodies
            .iter()
            .enumerate()
            .map(|(i, _)| {
                if i == 0 {
                    "filter_x".to_owned()
                } else {
                    format!("sel_{i}")
                }
            })
            .collect();
        condition(names.clone()).prop_map(move |cond| {
            let mut yaml =
                String::from("title: generated\nlogsource:\n    product: test\ndetection:\n");
            for (name, body) in names.iter().zip(&bodies) {
                yaml.push_str(&format!("    {name}:\n{body}"));
            }
            yaml.push_str(&format!("    condition: {cond}\n"));
            yaml
        })
    })
}

fn scalar() -> impl Strategy<Value = Value> {
    prop_oneof![
        8 => text(5).prop_map(Value::String),
        1 => prop::sample::select(vec!["10.2.3.4", "10.1.9.9", "192.168.1.1", "::1", "ABé", "a-b"])
            .prop_map(|s| Value::String(s.to_owned())),
        1 => (0i64..12).prop_map(|n| json!(n)),
        1 => (0i64..12).prop_map(|n| Value::String(n.to_string())),
        1 => prop::sample::select(vec![1.5f64, 10.0, 2.0]).prop_map(|f| json!(f)),
        1 => any::<bool>().prop_map(Value::Bool),
        1 => Just(Value::Null),
    ]
}

/// An event with a value for each field of `FIELDS` that has one.
fn event_of(values: Vec<Option<Value>>) -> Map<String, Value> {
    FIELDS
        .iter()
        .zip(values)
        .filter_map(|(f, v)| v.map(|v| ((*f).to_owned(), v)))
        .collect()
}

pub(crate) fn event() -> impl Strategy<Value = Map<String, Value>> {
    let value = prop_oneof![
        4 => scalar(),
        1 => prop::collection::vec(scalar(), 0..3).prop_map(Value::Array),
    ];
    prop::collection::vec(prop::option::weighted(0.8, value), 3).prop_map(event_of)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1500, ..ProptestConfig::default() })]

    #[test]
    fn compiled_matcher_agrees_with_the_reference(yaml in rule_yaml(), events in prop::collection::vec(event(), 1..6)) {
        let report = RuleSet::load_sources([("gen.yml".to_owned(), yaml.clone())], &LoadOptions::default());
        // Generated rules that are not valid Sigma (`2 of them` with one
        // search, say) are not this test's subject.
        prop_assume!(report.rejected().count() == 0);
        let parsed = parse_documents(&yaml);
        let Some(Ok(SigmaDocument::Rule(ast))) = parsed.into_iter().next().map(|d| d.result) else {
            panic!("loaded rule does not parse");
        };
        for doc in &events {
            let source = EventLogSource::derive(doc, "test", EventClass::Other);
            let mut out = Vec::new();
            report.ruleset.detect_document(doc, &source, &mut out);
            let reference = detection_matches(&ast.detection, doc, &Placeholders::new());
            prop_assert_eq!(reference, Ok(!out.is_empty()), "rule:\n{}\nevent: {}", yaml, Value::Object(doc.clone()));
        }
    }
}

/// A one-selection rule over a tiny alphabet, so that the literals of rules
/// compiled together often sit inside one another (and some hold a line
/// break, which keeps long values from being scanned line by line).
fn small_rule() -> impl Strategy<Value = String> {
    let value = prop::collection::vec(prop::sample::select(vec!["a", "b", "A", "*", "\n"]), 1..4)
        .prop_map(|parts| parts.concat());
    (
        prop::sample::select(FIELDS.to_vec()),
        prop::sample::select(vec![
            "",
            "|contains",
            "|startswith",
            "|endswith",
            "|cased",
            "|startswith|cased",
            "|endswith|cased",
        ]),
        prop::collection::vec(value, 1..3),
    )
        .prop_map(|(field, modifier, values)| {
            // Double-quoted, so that a line break is one.
            let values: Vec<String> = values
                .iter()
                .map(|v| format!("\"{}\"", v.replace('\n', "\\n")))
                .collect();
            format!(
                "logsource:\n    product: test\ndetection:\n    sel:\n        {field}{modifier}: [{}]\n    condition: sel\n",
                values.join(", ")
            )
        })
}

/// An event whose values are strings over the same tiny alphabet: mostly
/// short, some longer than the values whose scans are remembered whole
/// (so scanned line by line, lines remembered).
fn small_event() -> impl Strategy<Value = Map<String, Value>> {
    let piece = |max| {
        prop::collection::vec(prop::sample::select(vec!['a', 'b', 'A', 'B', '\n']), 0..max)
            .prop_map(|chars| chars.into_iter().collect::<String>())
    };
    let text = prop_oneof![
        3 => piece(6).prop_map(Value::String),
        1 => (piece(6), piece(5), piece(6)).prop_map(|(head, middle, tail)| {
            let middle = if middle.is_empty() { "B".to_owned() } else { middle };
            Value::String(format!("{head}{}{tail}", middle.repeat(1100 / middle.len())))
        }),
    ];
    prop::collection::vec(prop::option::weighted(0.9, text), 3).prop_map(event_of)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1000, ..ProptestConfig::default() })]

    /// Rules compiled together share one automaton per field, so one rule's
    /// literals sit beside (and inside) another's: each rule must still
    /// match exactly where the reference says it does.
    #[test]
    fn rules_compiled_together_each_agree_with_the_reference(
        rules in prop::collection::vec(small_rule(), 2..8),
        events in prop::collection::vec(small_event(), 1..8),
    ) {
        let yamls: Vec<String> = rules
            .iter()
            .enumerate()
            .map(|(i, rule)| format!("title: generated {i}\n{rule}"))
            .collect();
        let sources = yamls.iter().enumerate().map(|(i, y)| (format!("gen{i}.yml"), y.clone()));
        let report = RuleSet::load_sources(sources, &LoadOptions::default());
        let rejected: Vec<String> = report.rejected().map(ToString::to_string).collect();
        prop_assert!(rejected.is_empty(), "{:?}", rejected);
        let asts: Vec<_> = yamls
            .iter()
            .map(|y| match parse_documents(y).into_iter().next().map(|d| d.result) {
                Some(Ok(SigmaDocument::Rule(ast))) => ast,
                _ => panic!("loaded rule does not parse"),
            })
            .collect();
        for doc in &events {
            let source = EventLogSource::derive(doc, "test", EventClass::Other);
            let mut out = Vec::new();
            report.ruleset.detect_document(doc, &source, &mut out);
            for (i, ast) in asts.iter().enumerate() {
                let title = format!("generated {i}");
                let compiled = out.iter().any(|d| d.rule.title == title);
                let reference = detection_matches(&ast.detection, doc, &Placeholders::new());
                prop_assert_eq!(reference, Ok(compiled), "rule {}:\n{}\nevent: {}", i, yamls[i], Value::Object(doc.clone()));
            }
        }
    }
}
