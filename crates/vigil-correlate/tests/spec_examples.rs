//! The specification's own correlation examples load and behave: every
//! file of `sigma-spec/tests/schema/correlation/`, and the complete
//! example at the end of the correlation specification.

use std::path::Path;
use std::sync::Arc;

use serde_json::json;
use vigil_correlate::{CorrelationEngine, CorrelationSet, EngineConfig, Evidence};
use vigil_detect::{LoadOptions, RuleSet};
use vigil_model::{EventId, Fields};

const SPEC: &str = "../../../shared/corpora/sigma-spec";

/// Stand-ins for the rules the examples refer to (they name rules that are
/// not part of the specification).
const REFERRED: &str = "
title: Failed logon
id: 5638f7c0-ac70-491d-8465-2a65075e0d86
logsource: {product: windows, service: security}
detection: {s: {EventID: 4625}, condition: s}
---
title: Recon A
name: recon_cmd_a
logsource: {product: windows, category: process_creation}
detection: {s: {CommandLine|contains: whoami}, condition: s}
---
title: Recon B
name: recon_cmd_b
logsource: {product: windows, category: process_creation}
detection: {s: {CommandLine|contains: ipconfig}, condition: s}
---
title: Recon C
name: recon_cmd_c
logsource: {product: windows, category: process_creation}
detection: {s: {CommandLine|contains: net user}, condition: s}
---
title: Network traffic
name: rule_a_id
logsource: {category: firewall}
detection: {s: {action: accept}, condition: s}
---
title: Process creation
name: process_creation
logsource: {product: windows, category: process_creation}
detection: {s: {EventID: 1}, condition: s}
---
title: Website access
name: website_access
logsource: {category: proxy}
detection: {s: {cs-method: POST}, condition: s}
";

#[test]
fn every_example_of_the_schema_tests_loads() {
    let dir = Path::new(SPEC).join("tests/schema/correlation");
    let Ok(entries) = std::fs::read_dir(&dir) else {
        eprintln!("skipped: {} is absent", dir.display());
        return;
    };
    let mut files: Vec<_> = entries.filter_map(Result::ok).map(|e| e.path()).collect();
    files.sort();
    let mut loaded = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).expect("read example");
        let report = RuleSet::load_sources(
            [
                ("referred.yml".to_owned(), REFERRED.to_owned()),
                (file.display().to_string(), text),
            ],
            &LoadOptions::default(),
        );
        assert!(report.rejected().next().is_none(), "{:?}", report.outcomes);
        let (set, outcomes) = CorrelationSet::compile(&report);
        assert_eq!(outcomes.len(), 1, "{}", file.display());
        if let Err(e) = &outcomes[0].result {
            panic!("{}: {e}", file.display());
        }
        let meta = set.correlations().next().expect("a correlation");
        loaded.push(format!("{} ({})", meta.title, meta.kind));
    }
    println!(
        "{} of {} correlation examples loaded:",
        loaded.len(),
        files.len()
    );
    for l in &loaded {
        println!("  {l}");
    }
    assert_eq!(loaded.len(), 8);
}

/// The last ```yml block of the correlation specification: its complete
/// example (failed logins followed by a successful login).
fn complete_example() -> Option<String> {
    let path = Path::new(SPEC).join("specification/sigma-correlation-rules-specification.md");
    let text = std::fs::read_to_string(path).ok()?;
    let start = text.rfind("```yml\n")? + "```yml\n".len();
    let end = start + text[start..].find("```")?;
    Some(text[start..end].to_owned())
}

#[test]
fn the_complete_example_detects_a_brute_force() {
    let Some(example) = complete_example() else {
        eprintln!("skipped: the specification is absent");
        return;
    };
    let report = RuleSet::load_sources(
        [("example.yml".to_owned(), example)],
        &LoadOptions::default(),
    );
    assert!(report.rejected().next().is_none(), "{:?}", report.outcomes);
    assert_eq!((report.loaded(), report.correlations.len()), (2, 2));
    let (set, outcomes) = CorrelationSet::compile(&report);
    assert!(outcomes.iter().all(|o| o.result.is_ok()), "{outcomes:?}");
    let set = Arc::new(set);
    let rules = report.ruleset;
    // The base rules only feed the correlation.
    for rule in rules.rules() {
        assert!(!set.generates(&rule.id), "{}", rule.title);
    }
    let mut engine = CorrelationEngine::new(Arc::clone(&set), EngineConfig::default());
    let start = chrono::DateTime::from_timestamp(1_764_000_000, 0).expect("time");
    let mut fired = Vec::new();
    let mut feed = |n: u64, event: serde_json::Value| {
        let Ok(fields) = serde_json::from_value::<Fields>(event) else {
            panic!("not an object")
        };
        let time = start + chrono::Duration::seconds(n as i64 * 20);
        let doc = vigil_model::Event {
            id: EventId(uuid::Uuid::from_u128(u128::from(n))),
            tenant: vigil_model::TenantId::new("acme").expect("tenant"),
            site: None,
            observed_at: time,
            received_at: time,
            source: vigil_model::SourceRef {
                id: vigil_model::SourceId::new("dc").expect("source"),
                kind: vigil_model::SourceKind::Http,
                product: "windows".into(),
                device: None,
            },
            class: vigil_model::EventClass::Authentication,
            severity: vigil_model::Severity::Info,
            entities: Vec::new(),
            fields,
        };
        let mut detections = Vec::new();
        vigil_detect::Detector::detect(&rules, &doc, &mut detections);
        let evidence = Evidence {
            event: doc.id,
            fingerprint: n,
            time,
        };
        let prepared = set.prepare(
            "acme",
            time,
            evidence,
            &doc,
            detections.iter().map(|d| d.rule.id.as_str()),
        );
        engine.observe(prepared, time, &mut fired);
    };
    for n in 0..10 {
        feed(
            n,
            json!({"Channel": "Security", "EventID": 4625, "User": "jdoe"}),
        );
    }
    feed(
        10,
        json!({"Channel": "Security", "EventID": 4624, "User": "other"}),
    );
    feed(
        11,
        json!({"Channel": "Security", "EventID": 4624, "User": "jdoe"}),
    );
    assert_eq!(fired.len(), 1, "{fired:#?}");
    assert_eq!(
        fired[0].correlation.title,
        "Correlation - Multiple Failed Logins Followed by Successful Login"
    );
    assert_eq!(fired[0].group_key(), "User=jdoe");
    assert_eq!(fired[0].correlation.level, vigil_model::Severity::High);
}
