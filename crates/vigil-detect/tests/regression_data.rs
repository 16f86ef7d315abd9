//! SigmaHQ's labelled positives: every event in `regression_data` must be
//! detected by the rule its `info.yml` names.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_json::Value;
use vigil_detect::{
    Detector, EventLogSource, LoadOptions, LogSourceView, RuleMeta, RuleSet, Services,
};
use vigil_model::{EventClass, EventId, Severity, SourceId, SourceKind, SourceRef, TenantId};

const CORPUS: &str = "../../../shared/corpora/sigma";

fn info_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<_> = entries.filter_map(Result::ok).map(|e| e.path()).collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            info_files(&path, out);
        } else if path.file_name().is_some_and(|n| n == "info.yml") {
            out.push(path);
        }
    }
}

fn event(fields: serde_json::Map<String, Value>) -> vigil_model::Event {
    let at = chrono::DateTime::from_timestamp(1_700_000_000, 0).unwrap_or_default();
    vigil_model::Event {
        id: EventId(uuid::Uuid::nil()),
        tenant: TenantId::new("regression").expect("tenant"),
        site: None,
        observed_at: at,
        received_at: at,
        source: SourceRef {
            id: SourceId::new("evtx").expect("source"),
            kind: SourceKind::File,
            product: "windows".into(),
            device: None,
        },
        class: EventClass::Other,
        severity: Severity::Info,
        entities: Vec::new(),
        fields: fields.into(),
    }
}

/// The JSON objects of a file that may hold several, one after another.
fn events(path: &Path) -> Vec<serde_json::Map<String, Value>> {
    let text = std::fs::read_to_string(path).expect("read event");
    serde_json::Deserializer::from_str(&text)
        .into_iter::<Value>()
        .filter_map(|v| match v.expect("valid JSON") {
            Value::Object(map) => Some(map),
            _ => None,
        })
        .collect()
}

#[test]
fn regression_events_are_detected_by_their_rules() {
    let root = Path::new(CORPUS);
    let folders: Vec<PathBuf> = ["rules", "rules-emerging-threats", "rules-threat-hunting"]
        .iter()
        .map(|f| root.join(f))
        .collect();
    if !folders.iter().all(|f| f.is_dir()) || !root.join("regression_data").is_dir() {
        eprintln!("skipped: the Sigma corpus is absent");
        return;
    }
    let report = RuleSet::load_dirs(&folders, &LoadOptions::default()).expect("load rules");
    let set = report.ruleset;
    let by_id: HashMap<String, Arc<RuleMeta>> =
        set.rules().map(|r| (r.id.clone(), Arc::clone(r))).collect();

    let mut infos = Vec::new();
    info_files(&root.join("regression_data"), &mut infos);
    let (mut passed, mut failures, mut skipped) = (0usize, Vec::new(), Vec::new());
    let (mut passed_raw, mut raw_tests) = (0usize, 0usize);
    for info in &infos {
        let meta: Value =
            serde_yaml_ng::from_str(&std::fs::read_to_string(info).expect("read info"))
                .expect("info.yml parses");
        let Some(rule_id) = meta["rule_metadata"][0]["id"].as_str() else {
            failures.push(format!("{}: no rule id", info.display()));
            continue;
        };
        let Some(rule) = by_id.get(rule_id) else {
            failures.push(format!("{}: rule {rule_id} is not loaded", info.display()));
            continue;
        };
        let dir = info.parent().expect("folder");
        let json = std::fs::read_dir(dir)
            .expect("list folder")
            .filter_map(Result::ok)
            .map(|e| e.path())
            .find(|p| p.extension().is_some_and(|e| e == "json"));
        let Some(json) = json else {
            // Non-Windows tests ship raw log lines: each line is an event
            // whose one value is the line, from the rule's own log source
            // (what a syslog listener bound to that product would give).
            let detected = raw_lines_detected(&set, rule, dir);
            raw_tests += usize::from(detected.is_some());
            match detected {
                Some(true) => passed_raw += 1,
                Some(false) => failures.push(format!(
                    "{} ({}): no raw line matched",
                    dir.display(),
                    rule.title
                )),
                None => skipped.push(dir.display().to_string()),
            }
            continue;
        };
        let mut detected = false;
        let mut reasons = Vec::new();
        for fields in events(&json) {
            let ev = event(fields);
            let mut out = Vec::new();
            set.detect(&ev, &mut out);
            if out.iter().any(|d| d.rule.id == rule_id) {
                detected = true;
                break;
            }
            let source = EventLogSource::of_event(&ev);
            reasons.push(if source.admits(&rule.logsource) {
                "the detection did not match".to_owned()
            } else {
                format!(
                    "log source {:?} not admitted by {:?}",
                    rule.logsource,
                    source.views()
                )
            });
        }
        if detected {
            passed += 1;
        } else {
            failures.push(format!(
                "{} ({}): {}",
                rule.title,
                rule.origin,
                reasons.join("; ")
            ));
        }
    }
    let total = infos.len() - skipped.len() - raw_tests;
    println!(
        "regression data: {passed}/{total} JSON events detected ({:.1}%), \
         {passed_raw}/{raw_tests} raw-line tests detected, {} skipped",
        100.0 * passed as f64 / total.max(1) as f64,
        skipped.len()
    );
    for s in &skipped {
        println!("  SKIPPED (no event file, or a rule with a category) {s}");
    }
    for failure in &failures {
        println!("  MISSED {failure}");
    }
    assert!(
        total >= 200,
        "expected about 200 labelled events, found {total}"
    );
    assert!(
        failures.is_empty(),
        "{} of {total} labelled events were not detected",
        failures.len()
    );
}

/// Whether a line of the `.raw` files in `dir` matches `rule`, each line an
/// event whose one value (`message`) is the line, from the rule's own log
/// source; `None` when there is no raw file, or the rule names a category
/// (which a raw line cannot be given).
fn raw_lines_detected(set: &RuleSet, rule: &RuleMeta, dir: &Path) -> Option<bool> {
    let mut raws: Vec<PathBuf> = std::fs::read_dir(dir)
        .ok()?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "raw"))
        .collect();
    raws.sort();
    if raws.is_empty() || rule.logsource.category.is_some() {
        return None;
    }
    let view = LogSourceView {
        product: rule.logsource.product.clone().unwrap_or_default().into(),
        services: Services::Named(rule.logsource.service.clone().unwrap_or_default().into()),
        categories: &[],
    };
    let source = EventLogSource::from_views(vec![view]);
    let mut out = Vec::new();
    for raw in raws {
        let text = std::fs::read_to_string(&raw).expect("read raw event");
        for line in text.lines().filter(|l| !l.trim().is_empty()) {
            let mut fields = serde_json::Map::new();
            fields.insert("message".to_owned(), Value::String(line.to_owned()));
            out.clear();
            set.detect_document(&fields, &source, &mut out);
            if out.iter().any(|d| d.rule.id == rule.id) {
                return Some(true);
            }
        }
    }
    Some(false)
}
