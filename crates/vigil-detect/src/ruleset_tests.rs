use base64::Engine as _;
use serde_json::{Value, json};
use vigil_model::{EventClass, Fields};

use super::*;
use crate::derive_rule_id;

fn fields(v: Value) -> Fields {
    match v {
        Value::Object(m) => m.into(),
        other => panic!("not an object: {other}"),
    }
}

fn load(yaml: &str, options: &LoadOptions) -> LoadReport {
    RuleSet::load_sources([("test.yml".to_owned(), yaml.to_owned())], options)
}

/// A set of one rule with this detection section (indented by 4).
fn rule(detection: &str) -> RuleSet {
    rule_with(detection, &LoadOptions::default())
}

fn rule_with(detection: &str, options: &LoadOptions) -> RuleSet {
    let yaml = format!("title: t\nid: r1\nlogsource:\n    product: test\ndetection:\n{detection}");
    let report = load(&yaml, options);
    let errors: Vec<String> = report.rejected().map(ToString::to_string).collect();
    assert!(errors.is_empty(), "{errors:?}\n{yaml}");
    report.ruleset
}

fn hits(set: &RuleSet, event: Value) -> bool {
    detects(set, &fields(event))
}

/// Whether some rule of `set` detects in `doc`.
fn detects<D: Document>(set: &RuleSet, doc: &D) -> bool {
    let source = EventLogSource::derive(doc, "test", EventClass::Other);
    let mut out = Vec::new();
    set.detect_document(doc, &source, &mut out);
    !out.is_empty()
}

#[test]
fn spec_example_matches_case_insensitively() {
    let set = rule(
        "    selection:\n        Image: 'C:\\Windows\\System32\\whoami.exe'\n    condition: selection\n",
    );
    assert!(hits(
        &set,
        json!({"Image": "C:\\Windows\\System32\\whoami.exe"})
    ));
    assert!(hits(
        &set,
        json!({"Image": "c:\\windows\\system32\\WHOAMI.EXE"})
    ));
    assert!(!hits(
        &set,
        json!({"Image": "C:\\Windows\\System32\\whoami.exe2"})
    ));
    assert!(!hits(
        &set,
        json!({"image": "C:\\Windows\\System32\\whoami.exe"})
    ));
}

#[test]
fn numbers_match_numbers_and_their_text() {
    let set = rule("    s:\n        EventID: 4688\n    condition: s\n");
    assert!(hits(&set, json!({"EventID": 4688})));
    assert!(hits(&set, json!({"EventID": "4688"})));
    assert!(!hits(&set, json!({"EventID": 46880})));
    let set = rule("    s:\n        Signed: true\n    condition: s\n");
    assert!(hits(&set, json!({"Signed": "true"})));
    assert!(hits(&set, json!({"Signed": true})));
    assert!(hits(&set, json!({"Signed": "TRUE"})));
}

#[test]
fn maps_are_and_lists_are_or() {
    let set = rule(
        "    selection:\n        EventLog: Security\n        EventID:\n            - 517\n            - 1102\n    condition: selection\n",
    );
    assert!(hits(&set, json!({"EventLog": "Security", "EventID": 517})));
    assert!(hits(&set, json!({"EventLog": "security", "EventID": 1102})));
    assert!(!hits(
        &set,
        json!({"EventLog": "Security", "EventID": 4624})
    ));
    assert!(!hits(&set, json!({"EventID": 517})));
    let set = rule(
        "    selection:\n        - Image|endswith: '\\example.exe'\n        - Description|contains: 'Test executable'\n    condition: selection\n",
    );
    assert!(hits(&set, json!({"Image": "C:\\x\\EXAMPLE.exe"})));
    assert!(hits(&set, json!({"Description": "a test executable here"})));
    assert!(!hits(&set, json!({"Image": "C:\\x\\example.exe.bak"})));
}

#[test]
fn null_and_empty_values() {
    let set = rule(
        "    selection:\n        EventID: 4738\n    filter:\n        PasswordLastSet: null\n    condition: selection and not filter\n",
    );
    assert!(hits(&set, json!({"EventID": 4738, "PasswordLastSet": "x"})));
    assert!(!hits(&set, json!({"EventID": 4738})));
    assert!(!hits(
        &set,
        json!({"EventID": 4738, "PasswordLastSet": null})
    ));
    let set = rule(
        "    selection_main:\n        FieldA: 'something'\n    selection_empty1:\n        FieldB: ''\n    selection_empty2:\n        FieldB: null\n    condition: selection_main and 1 of selection_empty*\n",
    );
    assert!(hits(&set, json!({"FieldA": "something", "FieldB": ""})));
    assert!(hits(&set, json!({"FieldA": "something"})));
    assert!(!hits(&set, json!({"FieldA": "something", "FieldB": "x"})));
}

#[test]
fn exists_checks_presence_only() {
    let set = rule(
        "    selection:\n        EventID: 4738\n        PasswordLastSet|exists: true\n    condition: selection\n",
    );
    assert!(hits(
        &set,
        json!({"EventID": 4738, "PasswordLastSet": null})
    ));
    assert!(hits(&set, json!({"EventID": 4738, "PasswordLastSet": ""})));
    assert!(!hits(&set, json!({"EventID": 4738})));
    let set = rule("    s:\n        X|exists: false\n    condition: s\n");
    assert!(hits(&set, json!({"Y": 1})));
    assert!(!hits(&set, json!({"X": 1})));
}

#[test]
fn keywords_search_every_value() {
    let set = rule(
        "    keywords:\n        - 'event::clear'\n        - 'event::drop'\n    condition: keywords\n",
    );
    assert!(hits(
        &set,
        json!({"CommandLine": "mimikatz EVENT::Clear exit"})
    ));
    assert!(hits(&set, json!({"a": {"b": ["x", "event::drop"]}})));
    assert!(!hits(&set, json!({"CommandLine": "event::other"})));
    let set = rule(
        "    keywords_cmdlet:\n        '|all':\n            - 'OabVirtualDirectory'\n            - ' -ExternalUrl '\n    condition: keywords_cmdlet\n",
    );
    assert!(hits(
        &set,
        json!({"Payload": "Set-OabVirtualDirectory -ExternalUrl 'x'"})
    ));
    assert!(hits(
        &set,
        json!({"a": "OabVirtualDirectory", "b": "y -ExternalUrl z"})
    ));
    assert!(!hits(&set, json!({"a": "OabVirtualDirectory"})));
}

/// Whether `set` detects in `event` written as JSON and read back as
/// hunting reads it (whose covering text the keyword check searches).
fn hits_json(set: &RuleSet, event: Value) -> bool {
    let text = event.to_string();
    let mut parser = crate::JsonParser::new();
    let doc = parser.parse(text.as_bytes()).expect("test JSON");
    detects(set, &doc)
}

#[test]
fn keyword_rules_over_parsed_json_see_long_multiline_and_escaped_values() {
    let set = rule("    keywords:\n        - 'event::clear'\n    condition: keywords\n");
    let x = "x".repeat(100);
    // Again: nothing remembered from one event may change the next answer.
    for _ in 0..3 {
        let message = format!("{x}\nline {x} Event::Clear {x}\n\"{x}\"");
        assert!(hits_json(&set, json!({"Message": message, "Other": x})));
        let message = format!("{x}\nline {x} Event::Other\n{x}");
        assert!(!hits_json(&set, json!({ "Message": message })));
    }
    // Literals holding a quote or a line break (escaped in the input).
    let set = rule("    keywords:\n        - 'say \"hi'\n    condition: keywords\n");
    assert!(hits_json(&set, json!({"M": format!("{x} say \"hi {x}")})));
    assert!(!hits_json(&set, json!({"M": format!("{x} say hi {x}")})));
    let set = rule("    keywords:\n        - \"a\\nb\"\n    condition: keywords\n");
    assert!(hits_json(&set, json!({"M": format!("{x}a\nb{x}")})));
    assert!(!hits_json(&set, json!({"M": format!("{x}a\n\nb{x}")})));
}

/// Whether `set` detects the JSON object `text`, written as it is (its
/// escapes as given), read as hunting reads it.
fn hits_written(set: &RuleSet, text: &str) -> bool {
    let mut parser = crate::JsonParser::new();
    let doc = parser.parse(text.as_bytes()).expect("test JSON");
    detects(set, &doc)
}

#[test]
fn keyword_rules_see_through_the_escapes_of_the_text_as_written() {
    // The keyword check searches the text as written where its escapes
    // cannot hide a literal, and the values unescaped where they can.
    let set = rule("    keywords:\n        - '\\mimilib.dll'\n    condition: keywords\n");
    assert!(hits_written(&set, r#"{"Image":"C:\\x\\MimiLib.dll"}"#));
    assert!(!hits_written(&set, r#"{"Image":"C:\\x\\mimilib.exe"}"#));
    let set = rule("    keywords:\n        - 'c:\\windows\\evil'\n    condition: keywords\n");
    assert!(hits_written(&set, r#"{"M":"run C:\\Windows\\Evil now"}"#));
    assert!(!hits_written(&set, r#"{"M":"run C:\\Windows\\Good now"}"#));
    let set = rule("    keywords:\n        - 'sb://'\n    condition: keywords\n");
    assert!(hits_written(&set, r#"{"M":"to sb:\/\/host"}"#));
    let set = rule("    keywords:\n        - 'say \"hi'\n    condition: keywords\n");
    assert!(hits_written(&set, r#"{"M":"they say \"Hi\""}"#));
    // A `\u` escape can stand for any character.
    let set = rule("    keywords:\n        - 'abc'\n    condition: keywords\n");
    assert!(hits_written(&set, r#"{"M":"x\u0041bc"}"#));
    assert!(hits_written(&set, r#"{"M":"\ud83d\ude00 abc \n"}"#));
    // Literals that only the escapes as written hold are not matched.
    let set = rule("    keywords:\n        - 'nfoo'\n    condition: keywords\n");
    assert!(!hits_written(&set, r#"{"M":"a\nfoo"}"#));
    assert!(hits_written(&set, r#"{"M":"a\nnfoo"}"#));
}

#[test]
fn wildcards_and_escapes() {
    let set = rule("    s:\n        Image: 'prog?.exe'\n    condition: s\n");
    assert!(hits(&set, json!({"Image": "progA.exe"})));
    assert!(!hits(&set, json!({"Image": "prog.exe"})));
    let set = rule("    s:\n        Image: 'antivirus_V*.exe'\n    condition: s\n");
    assert!(hits(&set, json!({"Image": "antivirus_V21.2.1.exe"})));
    let set = rule("    s:\n        Text: 'a\\*b'\n    condition: s\n");
    assert!(hits(&set, json!({"Text": "a*b"})));
    assert!(!hits(&set, json!({"Text": "axb"})));
    let set = rule("    s:\n        Text|contains: '\\\\*'\n    condition: s\n");
    assert!(hits(&set, json!({"Text": "x\\yz"})));
}

#[test]
fn lists_in_events_match_if_any_element_does() {
    let set = rule("    s:\n        Tags|contains: evil\n    condition: s\n");
    assert!(hits(&set, json!({"Tags": ["good", "very-EVIL"]})));
    assert!(!hits(&set, json!({"Tags": ["good", "fine"]})));
    let set = rule("    s:\n        Tags|contains|all: [a1, b2]\n    condition: s\n");
    assert!(hits(&set, json!({"Tags": ["xa1", "b2y"]})));
    assert!(!hits(&set, json!({"Tags": ["xa1"]})));
}

#[test]
fn dotted_names_reach_nested_objects() {
    let set = rule("    s:\n        process.name: cmd.exe\n    condition: s\n");
    assert!(hits(&set, json!({"process": {"name": "CMD.exe"}})));
    assert!(hits(&set, json!({"process.name": "cmd.exe"})));
}

#[test]
fn neq_cased_windash() {
    let set = rule("    s:\n        User|neq: SYSTEM\n    condition: s\n");
    assert!(hits(&set, json!({"User": "alice"})));
    assert!(!hits(&set, json!({"User": "system"})));
    let set = rule("    s:\n        Name|cased: Evil\n    condition: s\n");
    assert!(hits(&set, json!({"Name": "Evil"})));
    assert!(!hits(&set, json!({"Name": "evil"})));
    let set = rule("    s:\n        CommandLine|windash|contains: ' -enc '\n    condition: s\n");
    assert!(hits(&set, json!({"CommandLine": "powershell /enc AAA"})));
    assert!(hits(
        &set,
        json!({"CommandLine": "powershell \u{2013}ENC AAA"})
    ));
    assert!(!hits(&set, json!({"CommandLine": "powershell enc AAA"})));
}

#[test]
fn regular_expressions() {
    let set = rule("    s:\n        CommandLine|re: '\\s-[eE]nc\\s'\n    condition: s\n");
    assert!(hits(&set, json!({"CommandLine": "powershell -enc x"})));
    assert!(!hits(&set, json!({"CommandLine": "powershell -ENC x"})));
    let set = rule("    s:\n        CommandLine|re|i: '\\s-enc\\s'\n    condition: s\n");
    assert!(hits(&set, json!({"CommandLine": "powershell -ENC x"})));
}

#[test]
fn base64_modifiers_find_encoded_commands() {
    let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
    let set =
        rule("    s:\n        CommandLine|base64offset|contains: 'http://'\n    condition: s\n");
    for prefix in ["", "a", "ab", "abc"] {
        let cmd = format!("powershell -e {}", b64(&format!("{prefix}IEX http://evil")));
        assert!(hits(&set, json!({ "CommandLine": cmd })), "{prefix}");
    }
    assert!(!hits(&set, json!({"CommandLine": b64("https only")})));
    let set = rule(
        "    s:\n        CommandLine|utf16le|base64offset|contains: 'Invoke-'\n    condition: s\n",
    );
    let wide: Vec<u8> = "x; Invoke-Mimikatz"
        .encode_utf16()
        .flat_map(u16::to_le_bytes)
        .collect();
    let encoded = base64::engine::general_purpose::STANDARD.encode(wide);
    assert!(hits(
        &set,
        json!({ "CommandLine": format!("powershell -enc {encoded}") })
    ));
}

#[test]
fn numeric_time_and_network_modifiers() {
    let set = rule("    s:\n        Count|gt: 10\n        Count|lte: 20\n    condition: s\n");
    assert!(hits(&set, json!({"Count": 11})));
    assert!(hits(&set, json!({"Count": "20"})));
    assert!(hits(&set, json!({"Count": 15.5})));
    assert!(!hits(&set, json!({"Count": 10})));
    assert!(!hits(&set, json!({"Count": "many"})));
    let set = rule("    s:\n        UtcTime|hour: 3\n    condition: s\n");
    assert!(hits(&set, json!({"UtcTime": "2019-03-02 03:51:00.008"})));
    assert!(!hits(&set, json!({"UtcTime": "2019-03-02 13:51:00.008"})));
    let set = rule(
        "    s:\n        DestinationIp|cidr:\n            - 10.0.0.0/8\n            - 'fe80::/10'\n    condition: s\n",
    );
    assert!(hits(&set, json!({"DestinationIp": "10.20.30.40"})));
    assert!(hits(&set, json!({"DestinationIp": "fe80::1"})));
    assert!(!hits(&set, json!({"DestinationIp": "192.168.0.1"})));
    assert!(!hits(&set, json!({"DestinationIp": "not an ip"})));
}

#[test]
fn expand_uses_configured_values_and_rejects_missing_ones() {
    let detection = "    s:\n        User|expand: '%Administrators%'\n    condition: s\n";
    let options = LoadOptions::default().with_placeholder("Administrators", ["admin", "adm_*"]);
    let set = rule_with(detection, &options);
    assert!(hits(&set, json!({"User": "ADMIN"})));
    assert!(hits(&set, json!({"User": "adm_bob"})));
    assert!(!hits(&set, json!({"User": "bob"})));
    let yaml = format!("title: t\nlogsource: {{product: test}}\ndetection:\n{detection}");
    let report = load(&yaml, &LoadOptions::default());
    assert_eq!(report.loaded(), 0);
    assert_eq!(
        report.outcomes[0].result,
        Err(RuleError::UnfilledPlaceholder {
            field: "User".into(),
            placeholder: "Administrators".into()
        })
    );
}

#[test]
fn fieldref_compares_two_fields() {
    let set = rule("    s:\n        TargetUserName|fieldref: SubjectUserName\n    condition: s\n");
    assert!(hits(
        &set,
        json!({"TargetUserName": "Bob", "SubjectUserName": "bob"})
    ));
    assert!(!hits(
        &set,
        json!({"TargetUserName": "Bob", "SubjectUserName": "alice"})
    ));
    assert!(!hits(&set, json!({"TargetUserName": "Bob"})));
}

#[test]
fn quantified_conditions() {
    let searches = "    sel_a:\n        A: 1\n    sel_b:\n        B: 1\n    sel_c:\n        C: 1\n";
    let two = rule(&format!("{searches}    condition: 2 of sel_*\n"));
    assert!(hits(&two, json!({"A": 1, "C": 1})));
    assert!(!hits(&two, json!({"A": 1})));
    let all = rule(&format!("{searches}    condition: all of them\n"));
    assert!(hits(&all, json!({"A": 1, "B": 1, "C": 1})));
    assert!(!hits(&all, json!({"A": 1, "B": 1})));
    let list = rule(&format!(
        "{searches}    condition:\n        - sel_a and sel_b\n        - sel_c\n"
    ));
    assert!(hits(&list, json!({"C": 1})));
    assert!(hits(&list, json!({"A": 1, "B": 1})));
    assert!(!hits(&list, json!({"A": 1})));
}

#[test]
fn filters_narrow_the_rules_they_name() {
    let rules = "title: rar\nid: 6f3e2987-db24-4c78-a860-b4f4095a7095\nlogsource: {category: process_creation, product: windows}\ndetection:\n  s:\n    Image|endswith: '\\rar.exe'\n  condition: s\n---\ntitle: other\nid: other-rule\nlogsource: {category: process_creation, product: windows}\ndetection:\n  s:\n    Image|endswith: '\\rar.exe'\n  condition: s\n";
    let filter = "title: Filter Administrator account\nlogsource:\n    category: process_creation\n    product: windows\nfilter:\n    rules:\n        - 6f3e2987-db24-4c78-a860-b4f4095a7095\n    selection:\n        User|startswith: 'adm_'\n    condition: not selection\n";
    let report = RuleSet::load_sources(
        [
            ("rules.yml".to_owned(), rules.to_owned()),
            ("mf_admins.yml".to_owned(), filter.to_owned()),
        ],
        &LoadOptions::default(),
    );
    assert_eq!(report.rejected().count(), 0);
    assert_eq!(report.loaded(), 2);
    assert_eq!(report.outcomes[2].kind, DocumentKind::Filter);
    let set = report.ruleset;
    let fired = |user: &str| -> Vec<String> {
        let doc = fields(
            json!({"Channel": "Security", "EventID": 4688, "Image": "C:\\rar.exe", "User": user}),
        );
        let source = EventLogSource::derive(&doc, "windows", EventClass::ProcessActivity);
        let mut out = Vec::new();
        set.detect_document(&doc, &source, &mut out);
        out.iter().map(|d| d.rule.id.clone()).collect()
    };
    assert_eq!(
        fired("bob"),
        ["6f3e2987-db24-4c78-a860-b4f4095a7095", "other-rule"]
    );
    assert_eq!(fired("adm_bob"), ["other-rule"]);
}

#[test]
fn filters_with_another_logsource_do_not_apply() {
    let rule_text = "title: r\nid: r1\nlogsource: {product: windows, service: security}\ndetection:\n  s: {EventID: 1}\n  condition: s\n";
    let filter = "title: f\nlogsource: {category: process_creation}\nfilter:\n  rules: any\n  sel: {EventID: 1}\n  condition: not sel\n";
    let report = RuleSet::load_sources(
        [
            ("a.yml".to_owned(), rule_text.to_owned()),
            ("b.yml".to_owned(), filter.to_owned()),
        ],
        &LoadOptions::default(),
    );
    let doc = fields(json!({"Channel": "Security", "EventID": 1}));
    let source = EventLogSource::derive(&doc, "windows", EventClass::Other);
    let mut out = Vec::new();
    report.ruleset.detect_document(&doc, &source, &mut out);
    assert_eq!(out.len(), 1);
}

#[test]
fn load_errors_are_precise() {
    let report = load(
        "title: t\nlogsource: {product: x}\ndetection:\n  selection: {a: 1}\n  condition: selection and not filter\n",
        &LoadOptions::default(),
    );
    assert_eq!(
        report.outcomes[0].result,
        Err(RuleError::UnknownIdentifier {
            condition: "selection and not filter".into(),
            identifier: "filter".into(),
            column: 19
        })
    );
    let report = load(
        "title: a\nid: same\nlogsource: {product: x}\ndetection:\n  s: {a: 1}\n  condition: s\n---\ntitle: b\nid: same\nlogsource: {product: x}\ndetection:\n  s: {a: 1}\n  condition: s\n",
        &LoadOptions::default(),
    );
    assert_eq!(report.loaded(), 1);
    assert_eq!(report.outcomes[1].document, 1);
    assert!(matches!(
        &report.outcomes[1].result,
        Err(RuleError::DuplicateId { id, first }) if id == "same" && first == "test.yml"
    ));
    let report = load("title: [broken\n", &LoadOptions::default());
    assert!(matches!(
        report.outcomes[0].result,
        Err(RuleError::Yaml { line: 2, .. })
    ));
    assert_eq!(report.outcomes[0].kind, DocumentKind::Unknown);
    let groups = report.rejections_by_kind();
    assert_eq!(groups.keys().copied().collect::<Vec<_>>(), ["yaml syntax"]);
}

#[test]
fn metadata_defaults_and_derived_ids() {
    let report = load(
        "title: No id here\nlogsource: {product: x}\ndetection:\n  s: {a: 1}\n  condition: s\n---\ntitle: Second\nlevel: high\ntags: [attack.t1059]\nfalsepositives: Unknown\nlogsource: {product: X, service: Sysmon}\ndetection:\n  s: {a: 1}\n  condition: s\n",
        &LoadOptions::default(),
    );
    let metas: Vec<_> = report.ruleset.rules().cloned().collect();
    assert_eq!(metas.len(), 2);
    assert_eq!(metas[0].level, vigil_model::Severity::Medium);
    assert!(metas[0].id_derived);
    assert_eq!(metas[0].id, derive_rule_id("test.yml", "No id here"));
    assert_eq!(metas[0].origin, "test.yml");
    assert_eq!(metas[1].origin, "test.yml#1");
    assert_eq!(metas[1].id, derive_rule_id("test.yml#1", "Second"));
    assert_eq!(metas[1].level, vigil_model::Severity::High);
    assert_eq!(metas[1].tags, ["attack.t1059"]);
    assert_eq!(metas[1].falsepositives, ["Unknown"]);
    assert_eq!(metas[1].logsource.product.as_deref(), Some("x"));
    assert_eq!(metas[1].logsource.service.as_deref(), Some("sysmon"));
}

fn event(product: &str, class: EventClass, fields: Fields) -> vigil_model::Event {
    use vigil_model::{EventId, Severity, SourceId, SourceKind, SourceRef, TenantId};
    let at = chrono::DateTime::from_timestamp(1_700_000_000, 0).unwrap_or_default();
    vigil_model::Event {
        id: EventId(uuid::Uuid::nil()),
        tenant: TenantId::new("acme").unwrap(),
        site: None,
        observed_at: at,
        received_at: at,
        source: SourceRef {
            id: SourceId::new("src").unwrap(),
            kind: SourceKind::Http,
            product: product.to_owned(),
            device: None,
        },
        class,
        severity: Severity::Info,
        entities: Vec::new(),
        fields,
    }
}

#[test]
fn detector_routes_events_by_log_source() {
    let rules = "title: sysmon proc\nid: p\nlogsource: {product: windows, category: process_creation}\ndetection:\n  s: {Image|endswith: '\\cmd.exe'}\n  condition: s\n---\ntitle: dns\nid: d\nlogsource: {product: windows, category: dns_query}\ndetection:\n  s: {Image|endswith: '\\cmd.exe'}\n  condition: s\n---\ntitle: door\nid: door\nlogsource: {product: vigil, category: physical_access}\ndetection:\n  s: {door_state: forced}\n  condition: s\n";
    let report = load(rules, &LoadOptions::default());
    let set: Arc<dyn Detector> = Arc::new(report.ruleset);
    assert_eq!(set.rule_count(), 3);
    let mut out = Vec::new();
    let proc_event = event(
        "windows",
        EventClass::ProcessActivity,
        fields(
            json!({"Channel": "Microsoft-Windows-Sysmon/Operational", "EventID": 1, "Image": "C:\\Windows\\cmd.exe"}),
        ),
    );
    set.detect(&proc_event, &mut out);
    assert_eq!(
        out.iter().map(|d| d.rule.id.as_str()).collect::<Vec<_>>(),
        ["p"]
    );
    out.clear();
    let door = event(
        "lenel",
        EventClass::PhysicalAccess,
        fields(json!({"door_state": "FORCED"})),
    );
    set.detect(&door, &mut out);
    assert_eq!(
        out.iter().map(|d| d.rule.id.as_str()).collect::<Vec<_>>(),
        ["door"]
    );
}

#[test]
fn load_dirs_walks_folders_and_reports_missing_ones() {
    let dir = tempfile::tempdir().unwrap();
    let sub = dir.path().join("windows");
    std::fs::create_dir_all(&sub).unwrap();
    std::fs::write(
        sub.join("a.yml"),
        "title: a\nlogsource: {product: x}\ndetection:\n  s: {a: 1}\n  condition: s\n",
    )
    .unwrap();
    std::fs::write(sub.join("b.yaml"), "title: b\n").unwrap();
    std::fs::write(sub.join("notes.txt"), "not a rule").unwrap();
    std::fs::write(sub.join("c.yml"), [0xff, 0xfe, 0x00]).unwrap();
    let report = RuleSet::load_dirs(&[dir.path().to_path_buf()], &LoadOptions::default()).unwrap();
    assert_eq!(report.outcomes.len(), 3);
    assert_eq!(report.loaded(), 1);
    let rule = report.ruleset.rules().next().unwrap();
    assert_eq!(rule.id, derive_rule_id("windows/a.yml", "a"));
    assert_eq!(
        report.outcomes[1].result,
        Err(RuleError::MissingKey("logsource".into()))
    );
    assert!(matches!(report.outcomes[2].result, Err(RuleError::Read(_))));
    assert!(RuleSet::load_dirs(&[dir.path().join("missing")], &LoadOptions::default()).is_err());
}

#[test]
fn ruleset_is_send_sync_and_cheap_to_clone() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<RuleSet>();
    assert_send_sync::<LoadReport>();
}

/// Titles of the rules of `set` that match `event`.
fn matching_titles(set: &RuleSet, event: Value) -> Vec<String> {
    let doc = fields(event);
    let source = EventLogSource::derive(&doc, "test", EventClass::Other);
    let mut out = Vec::new();
    set.detect_document(&doc, &source, &mut out);
    let mut titles: Vec<String> = out.iter().map(|d| d.rule.title.clone()).collect();
    titles.sort();
    titles
}

#[test]
fn a_suffix_or_prefix_of_one_rule_inside_another_rules_does_not_match_for_it() {
    let rules = [
        ("cmd", "Image|endswith: '.cmd'"),
        ("cmdline", "Image|endswith: '.cmdline'"),
        ("windows", "Image|startswith: 'windows\\'"),
        ("c-windows", "Image|startswith: 'c:\\windows\\'"),
    ];
    let sources = rules.iter().map(|(title, selection)| {
        let yaml = format!(
            "title: {title}\nlogsource:\n    product: test\ndetection:\n    sel:\n        {selection}\n    condition: sel\n"
        );
        (format!("{title}.yml"), yaml)
    });
    let report = RuleSet::load_sources(sources, &LoadOptions::default());
    assert_eq!(report.rejected().count(), 0);
    let set = &report.ruleset;
    assert_eq!(
        matching_titles(set, json!({"Image": "C:\\Windows\\Temp\\a.cmdline"})),
        ["c-windows", "cmdline"]
    );
    assert_eq!(
        matching_titles(set, json!({"Image": "Windows\\a.CMD"})),
        ["cmd", "windows"]
    );
}

#[test]
fn detector_works_out_what_matched_an_alerts_evidence() {
    let rules = "title: sysmon proc\nid: p\nlogsource: {product: windows, category: process_creation}\ndetection:\n  s: {Image|endswith: '\\cmd.exe'}\n  condition: s\n---\ntitle: dns\nid: d\nlogsource: {product: windows, category: dns_query}\ndetection:\n  s: {Image|endswith: '\\cmd.exe'}\n  condition: s\n";
    let set: Arc<dyn Detector> = Arc::new(load(rules, &LoadOptions::default()).ruleset);
    let sysmon = |image: &str| {
        event(
            "windows",
            EventClass::ProcessActivity,
            fields(
                json!({"Channel": "Microsoft-Windows-Sysmon/Operational", "EventID": 1, "Image": image}),
            ),
        )
    };
    let cmd = sysmon("C:\\Windows\\cmd.exe");
    let detail = set.matched("p", &cmd).expect("the rule matches");
    assert_eq!(detail.selections, ["s"]);
    assert_eq!(detail.fields.len(), 1);
    assert_eq!(detail.fields[0].field.as_deref(), Some("Image"));
    assert_eq!(detail.fields[0].value, "C:\\Windows\\cmd.exe");
    // A rule the event is not routed to, one that does not match, one not loaded.
    assert!(set.matched("d", &cmd).is_none());
    assert!(
        set.matched("p", &sysmon("C:\\Windows\\notepad.exe"))
            .is_none()
    );
    assert!(set.matched("nope", &cmd).is_none());
}

/// Many rules (compiled in parts on a machine with several cores), sharing
/// fields and patterns across the parts: each event matches exactly its
/// own rule, and an id repeated in a later part names the first.
#[test]
fn rules_compiled_in_parts_match_as_one_set() {
    let count = RULES_PER_THREAD * 5;
    let mut yaml = String::new();
    for i in 0..count {
        // Fields shared by rules of every part; a pattern shared by two
        // rules in different parts (`shared`), each with its own field test.
        yaml.push_str(&format!(
            "title: rule {i:03}\nid: r{i}\nlogsource: {{product: test}}\ndetection:\n  s:\n    F{}|contains: '-v{i}-'\n    Shared|re: '^shared{i}$'\n  c:\n    Common: shared\n  condition: s and c\n---\n",
            i % 7
        ));
    }
    yaml.push_str(
        "title: again\nid: r3\nlogsource: {product: test}\ndetection:\n  s: {F0: x}\n  condition: s\n",
    );
    let report = load(&yaml, &LoadOptions::default());
    assert_eq!(report.loaded(), count);
    assert!(matches!(
        &report.outcomes[count].result,
        Err(RuleError::DuplicateId { id, first }) if id == "r3" && first == "test.yml#3"
    ));
    for i in [0, 1, count / 2, count - 1] {
        let event = json!({
            format!("F{}", i % 7): format!("a-v{i}-b"),
            "Shared": format!("shared{i}"),
            "Common": "shared",
        });
        assert_eq!(
            matching_titles(&report.ruleset, event),
            [format!("rule {i:03}")],
            "rule {i}"
        );
    }
}

/// Loading checks a regex's syntax and rejects a malformed one; a regex
/// that parses but compiles over the size limit loads, matches nothing,
/// and is found by [`RuleSet::uncompilable_regexes`]; good regexes match
/// once compiled on first use.
#[test]
fn regexes_are_checked_at_load_and_compiled_when_needed() {
    let report = load(
        "title: t\nid: r1\nlogsource:\n    product: test\ndetection:\n    s:\n        a|re: 'x(y'\n    condition: s\n",
        &LoadOptions::default(),
    );
    let errors: Vec<String> = report.rejected().map(ToString::to_string).collect();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(errors[0].contains("unclosed group"), "{errors:?}");

    let huge = rule(
        "    s:\n        a|re: '\\w{1000}{1000}'\n    t:\n        b|re|i: '^AB+C$'\n    condition: s or t\n",
    );
    assert!(!hits(&huge, json!({"a": "x".repeat(2000)})));
    assert!(hits(&huge, json!({"b": "abbbc"})));
    let found = huge.uncompilable_regexes();
    assert_eq!(found.len(), 1);
    let (
        meta,
        RuleError::BadRegex {
            field,
            pattern,
            reason,
        },
    ) = &found[0]
    else {
        panic!("{found:?}");
    };
    assert_eq!((meta.id.as_str(), field.as_str()), ("r1", "a"));
    assert_eq!(pattern, "\\w{1000}{1000}");
    assert!(reason.contains("exceeds size limit"), "{reason}");

    assert!(
        rule("    s:\n        a|re: 'b+'\n    condition: s\n")
            .uncompilable_regexes()
            .is_empty()
    );
}
