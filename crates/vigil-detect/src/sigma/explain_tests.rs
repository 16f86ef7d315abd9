//! Explanations: of a match, of a miss, of an event the rule never sees,
//! and agreement with the fast evaluation on real events.

use std::collections::BTreeSet;
use std::io::Read;
use std::path::Path;

use serde_json::{Value, json};
use vigil_model::{EventClass, Fields};

use crate::{
    Detection, EventLogSource, EventValue, Explanation, LoadOptions, MatchedField, Part, RuleSet,
};

const PROCDUMP: &str = "title: Renamed ProcDump Execution\nid: 4a0b2c7e-7cb2-495d-8b63-5f268e7bfd67\nlogsource:\n  product: windows\n  category: process_creation\ndetection:\n  selection_ofn:\n    OriginalFileName: 'procdump'\n  selection_cli_dump_flag:\n    CommandLine|contains|windash:\n      - ' -ma '\n      - ' -mp '\n  selection_cli_eula_flag:\n    CommandLine|contains|windash: ' /accepteula'\n  filter_main_known_names:\n    Image|endswith:\n      - '\\procdump.exe'\n      - '\\procdump64.exe'\n  condition: (selection_ofn or all of selection_cli_*) and not 1 of filter_main_*\nlevel: high\n";

const RULE_ID: &str = "4a0b2c7e-7cb2-495d-8b63-5f268e7bfd67";

fn fields(v: Value) -> Fields {
    match v {
        Value::Object(m) => m.into(),
        _ => panic!("not an object"),
    }
}

fn rules() -> RuleSet {
    let report = RuleSet::load_sources(
        [("procdump.yml".to_owned(), PROCDUMP.to_owned())],
        &LoadOptions::default(),
    );
    assert!(report.rejected().next().is_none(), "{:?}", report.outcomes);
    report.ruleset
}

fn sysmon(image: &str) -> Fields {
    fields(json!({
        "Channel": "Microsoft-Windows-Sysmon/Operational",
        "EventID": 1,
        "Image": image,
        "CommandLine": format!("{image} -accepteula -ma 1234 C:\\temp\\out.dmp"),
    }))
}

fn detect(set: &RuleSet, event: &Fields) -> Vec<Detection> {
    let source = EventLogSource::derive(event, "windows", EventClass::Other);
    let mut out = Vec::new();
    set.detect_document(event, &source, &mut out);
    out
}

fn explain(set: &RuleSet, event: &Fields, product: &str) -> Explanation {
    let source = EventLogSource::derive(event, product, EventClass::Other);
    set.explain(RULE_ID, event, &source)
        .expect("the rule is loaded")
}

fn selection<'a>(e: &'a Explanation, name: &str) -> &'a crate::SelectionExplanation {
    e.selections
        .iter()
        .find(|s| s.name == name)
        .unwrap_or_else(|| panic!("no selection {name}: {e:#?}"))
}

/// The field items of a part, in order.
fn items(part: &Part) -> Vec<&crate::ItemExplanation> {
    match part {
        Part::Item(item) => vec![item],
        Part::All { parts, .. } | Part::Any { parts, .. } => parts.iter().flat_map(items).collect(),
    }
}

#[test]
fn a_detection_carries_its_selections_and_the_values_that_matched() {
    let set = rules();
    let found = detect(&set, &sysmon("C:\\tools\\dump.exe"));
    assert_eq!(found.len(), 1);
    let detail = &found[0].matched;
    // The filter is under a `not`: it does not make the match, so it is
    // not named even though the rule is matched.
    assert_eq!(
        detail.selections,
        ["selection_cli_dump_flag", "selection_cli_eula_flag"]
    );
    let command = "C:\\tools\\dump.exe -accepteula -ma 1234 C:\\temp\\out.dmp";
    assert_eq!(
        detail.fields,
        [MatchedField {
            field: Some("CommandLine".to_owned()),
            value: command.to_owned(),
        }]
    );
}

#[test]
fn a_match_is_explained_selection_by_selection() {
    let set = rules();
    let e = explain(&set, &sysmon("C:\\tools\\dump.exe"), "windows");
    assert!(e.routed && e.condition_holds && e.matched, "{e:#?}");
    assert_eq!(
        e.condition,
        "(selection_ofn or (selection_cli_dump_flag and selection_cli_eula_flag)) and not filter_main_known_names"
    );
    let ofn = selection(&e, "selection_ofn");
    assert!(!ofn.holds);
    let ofn_items = items(&ofn.body);
    assert_eq!(ofn_items[0].field.as_deref(), Some("OriginalFileName"));
    assert_eq!(ofn_items[0].event, EventValue::Absent);
    assert_eq!(ofn_items[0].test, "'procdump'");
    let dump = selection(&e, "selection_cli_dump_flag");
    assert!(dump.holds);
    let dump_items = items(&dump.body);
    // `windash` makes each flag several alternatives; contains shows as `*…*`.
    assert!(
        dump_items[0].test.starts_with("one of '* -ma *'"),
        "{}",
        dump_items[0].test
    );
    assert_eq!(dump_items[0].matching.len(), 1);
    let filter = selection(&e, "filter_main_known_names");
    assert!(!filter.holds);
    let filter_items = items(&filter.body);
    assert!(filter_items.iter().all(|i| !i.holds));
    assert!(
        filter_items
            .iter()
            .any(|i| i.event == EventValue::Values(vec!["C:\\tools\\dump.exe".to_owned()])),
        "{filter_items:#?}"
    );

    let text = e.to_string();
    assert!(text.contains("result:     MATCHES"), "{text}");
    assert!(text.contains("selection_ofn: does not hold"), "{text}");
    assert!(text.contains("event: absent"), "{text}");
    assert!(
        text.contains("no  Image: one of '*\\procdump.exe', '*\\procdump64.exe'"),
        "{text}"
    );
}

#[test]
fn a_miss_names_the_selection_that_stopped_it() {
    let set = rules();
    let event = sysmon("C:\\tools\\PROCDUMP.exe");
    assert!(detect(&set, &event).is_empty());
    let e = explain(&set, &event, "windows");
    assert!(e.routed && !e.condition_holds && !e.matched, "{e:#?}");
    let filter = selection(&e, "filter_main_known_names");
    assert!(filter.holds, "the filter excludes a procdump.exe");
    let held: Vec<_> = items(&filter.body)
        .into_iter()
        .filter(|i| i.holds)
        .collect();
    assert_eq!(held.len(), 1);
    assert_eq!(held[0].matching, ["C:\\tools\\PROCDUMP.exe"]);
    let text = e.to_string();
    assert!(text.contains("result:     DOES NOT MATCH"), "{text}");
    assert!(text.contains("filter_main_known_names: holds"), "{text}");
    assert!(text.contains("event: 'C:\\tools\\PROCDUMP.exe'"), "{text}");
}

#[test]
fn an_event_the_rule_never_sees_is_said_to_be_unrouted() {
    let set = rules();
    // The same fields with no Windows channel, from a Linux binding.
    let mut event = sysmon("C:\\tools\\dump.exe");
    event.remove("Channel");
    event.remove("EventID");
    let e = explain(&set, &event, "linux");
    assert!(!e.routed && e.condition_holds && !e.matched, "{e:#?}");
    assert!(
        e.event_logsource.iter().any(|v| v == "product linux"),
        "{e:#?}"
    );
    assert!(
        e.to_string()
            .contains("the rule is never tested on this event")
    );
    assert!(detect(&set, &event).is_empty());
}

#[test]
fn security_4688_shows_the_mapped_names() {
    let set = rules();
    let event = fields(json!({
        "Channel": "Security", "EventID": 4688,
        "NewProcessName": "C:\\tools\\procdump.exe",
        "CommandLine": "procdump -accepteula -ma 1",
    }));
    let e = explain(&set, &event, "windows");
    assert!(!e.matched);
    let filter = selection(&e, "filter_main_known_names");
    let names: BTreeSet<_> = items(&filter.body)
        .into_iter()
        .filter_map(|i| i.field.clone())
        .collect();
    assert_eq!(
        names,
        BTreeSet::from(["Image".to_owned(), "NewProcessName".to_owned()])
    );
    assert!(filter.holds);
}

#[test]
fn keywords_neq_all_and_comparisons_are_explained() {
    let rule = "title: Mixed\nid: 00000000-0000-4000-8000-00000000e001\nlogsource:\n  product: acme\ndetection:\n  keywords:\n    - 'forced'\n  sel:\n    count|gte: 3\n    door|all:\n      - 'D-*'\n      - '*-17'\n    state|neq: closed\n    tags|endswith: '-x'\n  condition: keywords and sel\n";
    let set = RuleSet::load_sources(
        [("m.yml".to_owned(), rule.to_owned())],
        &LoadOptions::default(),
    )
    .ruleset;
    let event =
        fields(json!({"door": "D-17", "state": "forced open", "count": 4, "tags": ["a", "b-x"]}));
    let source = EventLogSource::derive(&event, "acme", EventClass::Other);
    let mut out = Vec::new();
    set.detect_document(&event, &source, &mut out);
    assert_eq!(out.len(), 1);
    let e = set
        .explain("00000000-0000-4000-8000-00000000e001", &event, &source)
        .expect("loaded");
    assert!(e.matched, "{e:#?}");
    let all: Vec<_> = e.selections.iter().flat_map(|s| items(&s.body)).collect();
    let keyword = all.iter().find(|i| i.field.is_none()).expect("keyword");
    assert_eq!(keyword.event, EventValue::Anywhere);
    assert_eq!(keyword.matching, ["forced open"]);
    let count = all
        .iter()
        .find(|i| i.field.as_deref() == Some("count"))
        .expect("count");
    assert_eq!(count.test, ">= 3");
    assert_eq!(count.matching, ["4"]);
    let door = all
        .iter()
        .find(|i| i.field.as_deref() == Some("door"))
        .expect("door");
    assert_eq!(door.test, "all of 'd-*', '*-17'");
    let state = all
        .iter()
        .find(|i| i.field.as_deref() == Some("state"))
        .expect("state");
    assert!(
        state.negated && state.holds && state.test == "not 'closed'",
        "{state:#?}"
    );
    // A negated test says nothing about which value made the match.
    let fields: Vec<_> = out[0]
        .matched
        .fields
        .iter()
        .filter_map(|f| f.field.clone())
        .collect();
    assert_eq!(fields, ["count", "door", "tags"]);
    let tags = all
        .iter()
        .find(|i| i.field.as_deref() == Some("tags"))
        .expect("tags");
    assert_eq!(tags.matching, ["b-x"]);
    assert!(
        e.to_string()
            .contains("event: 'a', 'b-x'\n      matched by: 'b-x'"),
        "{e}"
    );
    assert!(
        out[0]
            .matched
            .fields
            .iter()
            .any(|f| f.field.is_none() && f.value == "forced open")
    );
}

/// On real events, the explanation agrees with the fast evaluation: for
/// every detection, and on a sample of events for every rule they are
/// routed to.
#[test]
fn explanations_agree_with_detection_on_security_datasets() {
    const CORPORA: &str = "../../../shared/corpora";
    const DATASETS: [&str; 2] = [
        "security-datasets/atomic/windows/defense_evasion/host/cmd_mshta_vbscript_execute_psh.zip",
        "security-datasets/atomic/windows/defense_evasion/host/empire_launcher_sct_regsvr32.zip",
    ];
    let rules_dir = Path::new(CORPORA).join("sigma/rules/windows");
    let zips: Vec<_> = DATASETS
        .iter()
        .map(|d| Path::new(CORPORA).join(d))
        .collect();
    if !rules_dir.exists() || zips.iter().any(|z| !z.exists()) {
        eprintln!("skipped: the corpora are absent");
        return;
    }
    let set = RuleSet::load_dirs(&[rules_dir], &LoadOptions::default())
        .expect("rules")
        .ruleset;
    let mut events: Vec<Fields> = Vec::new();
    for zip in &zips {
        let mut archive =
            zip::ZipArchive::new(std::fs::File::open(zip).expect("zip")).expect("zip");
        for i in 0..archive.len() {
            let mut bytes = Vec::new();
            archive
                .by_index(i)
                .expect("member")
                .read_to_end(&mut bytes)
                .expect("unzip");
            events.extend(String::from_utf8_lossy(&bytes).lines().filter_map(|l| {
                match serde_json::from_str::<Value>(l) {
                    Ok(Value::Object(m)) => Some(Fields::from(m)),
                    _ => None,
                }
            }));
        }
    }
    assert!(!events.is_empty());
    let (mut compared, mut detections) = (0usize, 0usize);
    for (n, event) in events.iter().enumerate() {
        let source = EventLogSource::derive(event, "windows", EventClass::Other);
        let mut out = Vec::new();
        set.detect_document(event, &source, &mut out);
        let detected: BTreeSet<&str> = out.iter().map(|d| d.rule.id.as_str()).collect();
        for d in &out {
            assert!(
                !d.matched.selections.is_empty(),
                "{} names a selection",
                d.rule.title
            );
        }
        let sampled = n % 40 == 0;
        for (id, holds) in set.explained_conditions(event, &source, |r| {
            sampled || detected.contains(r.id.as_str())
        }) {
            assert_eq!(holds, detected.contains(id.as_str()), "{id} on {event:?}");
            compared += 1;
        }
        detections += detected.len();
    }
    println!(
        "{compared} rule evaluations explained on {} events, {detections} detections",
        events.len()
    );
    assert!(detections > 0);
}
