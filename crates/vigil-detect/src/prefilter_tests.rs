//! The whole-set engine (shared atoms, per-route automata, necessary-atom
//! prefilter, keyword scans) against the reference interpreter, rule by
//! rule, over generated rule sets whose rules share fields and patterns;
//! through both the `serde_json` map and the fast JSON document.

use proptest::prelude::*;
use serde_json::Value;
use vigil_model::EventClass;

use crate::sigma::ast::SigmaDocument;
use crate::sigma::differential_tests::{event, rule_yaml};
use crate::sigma::modifiers::Placeholders;
use crate::sigma::parse::parse_documents;
use crate::sigma::reference::detection_matches;
use crate::{Document, EventLogSource, JsonParser, LoadOptions, RuleSet};

/// Log sources the generated events fit (`product: test`) or do not.
const LOGSOURCES: [&str; 4] = [
    "    product: test\n",
    "    product: test\n    category: other\n",
    "    product: other\n",
    "    service: test\n",
];

fn rule_set() -> impl Strategy<Value = Vec<(usize, String)>> {
    prop::collection::vec((0..LOGSOURCES.len(), rule_yaml()), 2..12)
}

/// The rules as one multi-document file, each with its own id and log source.
fn render(rules: &[(usize, String)]) -> String {
    rules
        .iter()
        .enumerate()
        .map(|(i, (logsource, yaml))| {
            let body = yaml
                .split_once("detection:\n")
                .map_or(yaml.as_str(), |(_, d)| d);
            format!(
                "title: rule {i}\nid: 00000000-0000-4000-8000-{i:012}\nlogsource:\n{}detection:\n{body}",
                LOGSOURCES[*logsource]
            )
        })
        .collect::<Vec<_>>()
        .join("---\n")
}

fn matched<D: Document>(set: &RuleSet, doc: &D) -> Vec<String> {
    let source = EventLogSource::derive(doc, "test", EventClass::Other);
    let mut out = Vec::new();
    set.detect_document(doc, &source, &mut out);
    out.into_iter().map(|d| d.rule.id.clone()).collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn the_whole_set_agrees_with_the_reference_rule_by_rule(
        rules in rule_set(),
        events in prop::collection::vec(event(), 1..6),
    ) {
        let text = render(&rules);
        let report = RuleSet::load_sources([("gen.yml".to_owned(), text.clone())], &LoadOptions::default());
        // Invalid generated documents (`2 of them` with one search …) are left out.
        let parsed = parse_documents(&text);
        let mut expected_rules = Vec::new();
        for (doc, outcome) in parsed.into_iter().zip(&report.outcomes) {
            if outcome.result.is_err() {
                continue;
            }
            let Ok(SigmaDocument::Rule(ast)) = doc.result else {
                continue;
            };
            expected_rules.push(ast);
        }
        prop_assume!(!expected_rules.is_empty());
        let mut parser = JsonParser::new();
        for fields in &events {
            let source = EventLogSource::derive(fields, "test", EventClass::Other);
            let mut expected = Vec::new();
            for ast in &expected_rules {
                let hit = detection_matches(&ast.detection, fields, &Placeholders::new())
                    .expect("loaded rules evaluate");
                if hit && source.admits(&ast.logsource) {
                    expected.push(ast.header.id.clone().unwrap_or_default());
                }
            }
            let json = Value::Object(fields.clone()).to_string();
            prop_assert_eq!(&matched(&report.ruleset, fields), &expected, "rules:\n{}\nevent: {}", text, json);
            let doc = parser.parse(json.as_bytes()).expect("serde_json output parses");
            prop_assert_eq!(&matched(&report.ruleset, &doc), &expected, "fast document; event: {}", json);
        }
    }
}

/// Keyword literals are first looked for in the event as written (ASCII,
/// case ignored) and, when the event is not ASCII, in its folded text:
/// both must find what folding finds.
#[test]
fn keyword_prefilter_finds_literals_in_ascii_and_folded_text() {
    let rule = "title: k\nid: 00000000-0000-4000-8000-000000000001\nlogsource:\n    product: test\ndetection:\n    keywords:\n        - 'kelvin'\n    condition: keywords\n";
    let report = RuleSet::load_sources(
        [("k.yml".to_owned(), rule.to_owned())],
        &LoadOptions::default(),
    );
    assert_eq!(report.loaded(), 1, "{:?}", report.outcomes);
    let mut parser = JsonParser::new();
    for (json, expected) in [
        (r#"{"a": "x KELVIN y"}"#, true),
        (r#"{"a": "x \u212aELVIN y"}"#, true),
        ("{\"a\": \"x \u{212a}ELVIN y\"}", true),
        (r#"{"a": "x KELVI n"}"#, false),
        ("{\"a\": \"caf\u{e9} KELVI\"}", false),
    ] {
        let doc = parser.parse(json.as_bytes()).expect("valid JSON");
        assert_eq!(
            !matched(&report.ruleset, &doc).is_empty(),
            expected,
            "{json}"
        );
    }
}

/// Threads that meet the same new routes at once (each building the
/// route, sharing its field automata out) find what one thread finds.
#[test]
fn threads_building_the_same_routes_at_once_agree_with_one() {
    let mut text = String::new();
    for i in 0..120 {
        let logsource = LOGSOURCES[i % 2];
        text.push_str(&format!(
            "title: rule {i}\nid: r{i}\nlogsource:\n{logsource}detection:\n  s:\n    F{}|contains: 'x{i}y'\n    G{}|endswith: 'z{i}'\n  condition: s\n---\n",
            i % 9,
            i % 5
        ));
    }
    let events: Vec<vigil_model::Fields> = (0..120)
        .map(|i| {
            let mut fields = vigil_model::Fields::new();
            fields.insert(format!("F{}", i % 9), Value::from(format!("ax{i}yb")));
            fields.insert(format!("G{}", i % 5), Value::from(format!("qz{i}")));
            if i % 3 == 0 {
                fields.insert("category".into(), Value::from("other"));
            }
            fields
        })
        .collect();
    let load = || {
        RuleSet::load_sources(
            [("t.yml".to_owned(), text.clone())],
            &LoadOptions::default(),
        )
        .ruleset
    };
    let one = load();
    let expected: Vec<Vec<String>> = events.iter().map(|e| matched(&one, e)).collect();
    assert!(expected.iter().filter(|m| !m.is_empty()).count() >= 60);
    for _ in 0..5 {
        let shared = load();
        let start = std::sync::Barrier::new(4);
        std::thread::scope(|scope| {
            let workers: Vec<_> = (0..4)
                .map(|_| {
                    scope.spawn(|| {
                        start.wait();
                        events
                            .iter()
                            .map(|e| matched(&shared, e))
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            for worker in workers {
                assert_eq!(worker.join().expect("no panic"), expected);
            }
        });
    }
}
