//! Pipelines on rules written by hand, and every built-in pipeline on real
//! events from the corpora.

use serde_json::{Value, json};
use vigil_model::{EventClass, Fields};

use super::*;
use crate::sigma::ast::{SearchBody, SigmaDocument};
use crate::sigma::parse::parse_documents;
use crate::{Document, EventLogSource, LoadOptions, RuleSet};

fn fields(v: Value) -> Fields {
    match v {
        Value::Object(m) => m.into(),
        _ => panic!("not an object"),
    }
}

/// Loads `rules` with `pipelines` only (not the mappings of routed events).
fn load(rules: &str, pipelines: &[&str]) -> crate::LoadReport {
    let mut options = LoadOptions {
        without_routed_mappings: true,
        ..LoadOptions::default()
    };
    for p in pipelines {
        options = options.with_pipeline(Pipeline::resolve(p).expect("pipeline"));
    }
    RuleSet::load_sources([("t.yml".to_owned(), rules.to_owned())], &options)
}

/// The titles of the rules that match `doc`, as an event of `product`/`class`.
fn matches<D: Document>(set: &RuleSet, doc: &D, product: &str, class: EventClass) -> Vec<String> {
    let source = EventLogSource::derive(doc, product, class);
    let mut out = Vec::new();
    set.detect_document(doc, &source, &mut out);
    out.into_iter().map(|d| d.rule.title.clone()).collect()
}

#[test]
fn every_builtin_parses() {
    for (name, _) in Pipeline::builtins() {
        let text = BUILTIN.iter().find(|(n, _, _)| *n == name).unwrap().2;
        let p = Pipeline::from_yaml(text, name).unwrap_or_else(|e| panic!("{e}"));
        assert!(!p.is_empty(), "{name}");
        assert_eq!(Pipeline::builtin(name).unwrap().name(), name);
    }
    let e = Pipeline::resolve("no-such-pipeline").unwrap_err();
    assert!(e.message.contains("built-ins: windows"), "{e}");
}

const PROCESS_RULE: &str = "title: Mshta from PowerShell\nid: 00000000-0000-4000-8000-000000000001\nlogsource:\n  product: windows\n  category: process_creation\ndetection:\n  selection:\n    Image|endswith: '\\mshta.exe'\n    ParentImage|endswith: '\\powershell.exe'\n  condition: selection\n";

#[test]
fn mapping_to_several_fields_makes_alternatives_and_keeps_the_original() {
    let report = load(PROCESS_RULE, &["windows-4688"]);
    assert!(report.rejected().next().is_none(), "{:?}", report.outcomes);
    let set = report.ruleset;
    let sysmon = fields(
        json!({"Channel": "Microsoft-Windows-Sysmon/Operational", "EventID": 1,
        "Image": "C:\\Windows\\System32\\mshta.exe", "ParentImage": "C:\\x\\powershell.exe"}),
    );
    let security = fields(json!({"Channel": "Security", "EventID": 4688,
        "NewProcessName": "C:\\Windows\\System32\\mshta.exe", "ParentProcessName": "C:\\x\\powershell.exe"}));
    let other_parent = fields(json!({"Channel": "Security", "EventID": 4688,
        "NewProcessName": "C:\\Windows\\System32\\mshta.exe", "ParentProcessName": "C:\\x\\explorer.exe"}));
    assert_eq!(
        matches(&set, &sysmon, "windows", EventClass::Other).len(),
        1
    );
    assert_eq!(
        matches(&set, &security, "windows", EventClass::Other).len(),
        1
    );
    assert!(matches(&set, &other_parent, "windows", EventClass::Other).is_empty());
    // Without the pipeline, 4688 does not match.
    let plain = load(PROCESS_RULE, &[]).ruleset;
    assert!(matches(&plain, &security, "windows", EventClass::Other).is_empty());
}

#[test]
fn rule_conditions_decide_which_rules_an_item_touches() {
    let text = "name: t\ntransformations:\n  - type: field_name_prefix\n    prefix: 'x.'\n    rule_conditions:\n      - type: logsource\n        product: linux\n  - type: field_name_suffix\n    suffix: '_s'\n    rule_cond_not: true\n    rule_conditions:\n      - type: tag\n        tag: keep\n";
    let pipeline = Pipeline::from_yaml(text, "t.yml").unwrap();
    let rule = |product: &str, tag: &str| {
        format!(
            "title: r\ntags: [{tag}]\nlogsource: {{product: {product}}}\ndetection:\n  s: {{a: 1}}\n  condition: s\n"
        )
    };
    let field_of = |text: &str| {
        let mut doc = parse_documents(text).remove(0).result.unwrap();
        pipeline.apply(&mut doc).unwrap();
        let SigmaDocument::Rule(r) = doc else {
            panic!()
        };
        let SearchBody::AllOf(items) = &r.detection.searches[0].body else {
            panic!()
        };
        items[0].field.clone().unwrap()
    };
    assert_eq!(field_of(&rule("linux", "other")), "x.a_s");
    assert_eq!(field_of(&rule("windows", "other")), "a_s");
    assert_eq!(field_of(&rule("windows", "keep")), "a");
}

#[test]
fn add_condition_and_change_logsource() {
    let text = "name: t\ntransformations:\n  - type: add_condition\n    conditions:\n      host|startswith: web\n  - type: add_condition\n    negated: true\n    conditions:\n      test: true\n  - type: change_logsource\n    product: vigil\n    category: other\n";
    let pipeline = Pipeline::from_yaml(text, "t.yml").unwrap();
    let mut options = LoadOptions::default().with_pipeline(pipeline);
    options.placeholders.clear();
    let rules =
        "title: r\nlogsource: {product: appliance}\ndetection:\n  s: {a: 1}\n  condition: s\n";
    let report = RuleSet::load_sources([("t.yml".into(), rules.into())], &options);
    let set = report.ruleset;
    assert_eq!(
        set.rules().next().unwrap().logsource.product.as_deref(),
        Some("vigil")
    );
    let hit = fields(json!({"a": 1, "host": "web01"}));
    let wrong_host = fields(json!({"a": 1, "host": "db01"}));
    let test = fields(json!({"a": 1, "host": "web01", "test": true}));
    assert_eq!(matches(&set, &hit, "appliance", EventClass::Other).len(), 1);
    assert!(matches(&set, &wrong_host, "appliance", EventClass::Other).is_empty());
    assert!(matches(&set, &test, "appliance", EventClass::Other).is_empty());
}

#[test]
fn a_user_pipeline_from_a_yaml_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("edr.yml");
    std::fs::write(
        &path,
        "name: edr\ntransformations:\n  - id: edr_names\n    type: field_name_mapping\n    mapping:\n      Image: process.executable\n      ParentImage: process.parent.executable\n",
    )
    .unwrap();
    let pipeline = Pipeline::resolve(path.to_str().unwrap()).unwrap();
    assert_eq!((pipeline.name(), pipeline.len()), ("edr", 1));
    let set = load_with(PROCESS_RULE, pipeline);
    let edr = fields(
        json!({"Channel": "Microsoft-Windows-Sysmon/Operational", "EventID": 1,
        "process": {"executable": "C:\\Windows\\System32\\mshta.exe",
                    "parent": {"executable": "C:\\x\\powershell.exe"}}}),
    );
    assert_eq!(matches(&set, &edr, "windows", EventClass::Other).len(), 1);

    std::fs::write(&path, "name: edr\ntransformations:\n  - type: field_name_mapping\n    mapping:\n      Image: []\n").unwrap();
    let e = Pipeline::load(&path).unwrap_err();
    assert_eq!(e.line, Some(3));
    assert!(
        e.to_string().contains(
            "edr.yml, line 3: transformations[0]: `mapping.Image` must name at least one field"
        ),
        "{e}"
    );
}

fn load_with(rules: &str, pipeline: Pipeline) -> RuleSet {
    let report = RuleSet::load_sources(
        [("t.yml".to_owned(), rules.to_owned())],
        &LoadOptions::default().with_pipeline(pipeline),
    );
    assert!(report.rejected().next().is_none(), "{:?}", report.outcomes);
    report.ruleset
}

#[test]
fn correlation_fields_are_mapped_too() {
    let text = "name: t\ntransformations:\n  - type: field_name_mapping\n    mapping:\n      User: [TargetUserName, User]\n      Ip: src_ip\n    rule_conditions:\n      - type: is_sigma_correlation_rule\n";
    let pipeline = Pipeline::from_yaml(text, "t.yml").unwrap();
    let docs = "title: c\ncorrelation:\n  type: value_count\n  rules: [a, b]\n  group-by: [User, host]\n  timespan: 1h\n  aliases:\n    host:\n      a: Computer\n      b: Ip\n  condition:\n    field: Ip\n    gte: 3\n";
    let report = RuleSet::load_sources(
        [("t.yml".to_owned(), docs.to_owned())],
        &LoadOptions::default().with_pipeline(pipeline),
    );
    let c = &report.correlations[0].ast;
    assert_eq!(c.group_by, ["TargetUserName", "host"]);
    assert_eq!(c.aliases["host"]["b"], "src_ip");
    assert_eq!(c.condition.as_ref().unwrap().fields, ["src_ip"]);
}

#[test]
fn too_many_alternatives_is_a_precise_error() {
    let mut mapping = String::new();
    for f in ["A", "B", "C", "D", "E"] {
        mapping.push_str(&format!("      {f}: [{f}1, {f}2, {f}3, {f}4]\n"));
    }
    let text = format!(
        "name: wide\ntransformations:\n  - id: wide\n    type: field_name_mapping\n    mapping:\n{mapping}"
    );
    let report = RuleSet::load_sources(
        [("t.yml".to_owned(), "title: r\nlogsource: {product: x}\ndetection:\n  s: {A: 1, B: 1, C: 1, D: 1, E: 1}\n  condition: s\n".to_owned())],
        &LoadOptions::default().with_pipeline(Pipeline::from_yaml(&text, "w.yml").unwrap()),
    );
    let e = report.outcomes[0].result.clone().unwrap_err();
    assert!(
        e.to_string()
            .contains("pipeline `wide`, item `wide`: search `s` would become 1024 alternatives"),
        "{e}"
    );
}

mod corpus;
mod routed;
mod values;
