//! Each built-in pipeline on real events: Security-Datasets (flat Windows
//! JSON and a Linux audit log), SigmaHQ's regression data (nested Windows
//! JSON), with the SigmaHQ rules. Skipped, saying so, when the corpora are
//! absent.

use std::collections::{BTreeSet, HashMap};
use std::io::Read;
use std::path::{Path, PathBuf};

use serde_json::Value;
use vigil_model::{EventClass, Fields};

use super::super::Pipeline;
use crate::{Document, EventLogSource, FieldValue, LoadOptions, RuleSet, Scalar};

const CORPORA: &str = "../../../shared/corpora";

fn corpus(path: &str) -> Option<PathBuf> {
    let p = Path::new(CORPORA).join(path);
    if p.exists() {
        Some(p)
    } else {
        eprintln!("skipped: {} is absent", p.display());
        None
    }
}

/// The text of every file in a zip.
fn unzip(path: &Path) -> Vec<String> {
    let file = std::fs::File::open(path).expect("open zip");
    let mut zip = zip::ZipArchive::new(file).expect("read zip");
    let mut out = Vec::new();
    for i in 0..zip.len() {
        let mut entry = zip.by_index(i).expect("zip entry");
        let mut bytes = Vec::new();
        entry.read_to_end(&mut bytes).expect("unzip");
        out.push(String::from_utf8_lossy(&bytes).into_owned());
    }
    out
}

/// The JSON-lines events of a Security-Datasets zip (bad lines skipped).
fn dataset(path: &str) -> Option<Vec<Fields>> {
    let zip = corpus(path)?;
    Some(
        unzip(&zip)
            .iter()
            .flat_map(|text| text.lines())
            .filter_map(|line| match serde_json::from_str::<Value>(line) {
                Ok(Value::Object(map)) => Some(Fields::from(map)),
                _ => None,
            })
            .collect(),
    )
}

fn load(dir: &str, pipelines: &[&str]) -> Option<RuleSet> {
    let dir = corpus(dir)?;
    // Each pipeline is measured by itself, without the mappings that go
    // with routing.
    let mut options = LoadOptions {
        without_routed_mappings: true,
        ..LoadOptions::default()
    };
    for p in pipelines {
        options = options.with_pipeline(Pipeline::resolve(p).expect("built-in"));
    }
    Some(
        RuleSet::load_dirs(&[dir], &options)
            .expect("load rules")
            .ruleset,
    )
}

fn detect<D: Document>(
    set: &RuleSet,
    doc: &D,
    source_doc: &Fields,
    product: &str,
) -> BTreeSet<String> {
    let source = EventLogSource::derive(source_doc, product, EventClass::Other);
    let mut out = Vec::new();
    set.detect_document(doc, &source, &mut out);
    out.into_iter().map(|d| d.rule.id.clone()).collect()
}

#[test]
fn windows_flat_finds_system_fields_under_their_exported_names() {
    let (Some(events), Some(plain), Some(mapped)) = (
        dataset(
            "security-datasets/atomic/windows/credential_access/host/cmd_psexec_lsa_secrets_dump.zip",
        ),
        load("sigma/rules/windows/builtin/system", &[]),
        load("sigma/rules/windows/builtin/system", &["windows"]),
    ) else {
        return;
    };
    let (mut before, mut after) = (0, 0);
    for event in &events {
        let without = detect(&plain, event, event, "windows");
        let with = detect(&mapped, event, event, "windows");
        assert!(
            without.is_subset(&with),
            "the pipeline only adds alternatives"
        );
        before += without.len();
        after += with.len();
    }
    // The PsExec service install (System 7045, `SourceName: Service
    // Control Manager`) is found only once `Provider_Name` is mapped.
    println!("windows (flat): {before} detections without the pipeline, {after} with");
    assert!(after > before, "{after} > {before}");
}

#[test]
fn security_4688_matches_process_creation_rules() {
    let (Some(events), Some(plain), Some(mapped)) = (
        dataset(
            "security-datasets/atomic/windows/defense_evasion/host/cmd_mshta_vbscript_execute_psh.zip",
        ),
        load("sigma/rules/windows/process_creation", &[]),
        load(
            "sigma/rules/windows/process_creation",
            &["windows-4688", "windows"],
        ),
    ) else {
        return;
    };
    let is = |e: &Fields, id: u64| e.get("EventID").and_then(Value::as_u64) == Some(id);
    let mut sysmon_by_command: HashMap<String, BTreeSet<String>> = HashMap::new();
    for e in events.iter().filter(|e| is(e, 1)) {
        if let Some(cmd) = e.get("CommandLine").and_then(Value::as_str) {
            sysmon_by_command.insert(cmd.to_owned(), detect(&mapped, e, e, "windows"));
        }
    }
    let (mut hits_before, mut hits_after, mut agreeing) = (0, 0, 0);
    for e in events.iter().filter(|e| is(e, 4688)) {
        hits_before += detect(&plain, e, e, "windows").len();
        let with = detect(&mapped, e, e, "windows");
        hits_after += with.len();
        let twin = e
            .get("CommandLine")
            .and_then(Value::as_str)
            .and_then(|c| sysmon_by_command.get(c));
        if let Some(twin) = twin
            && !twin.is_empty()
            && !twin.is_disjoint(&with)
        {
            agreeing += 1;
        }
    }
    println!(
        "windows-4688: {hits_before} detections on 4688 events without the pipeline, {hits_after} with; {agreeing} events share a rule with their Sysmon twin"
    );
    assert!(hits_after > hits_before && agreeing > 0);
}

/// Looks fields up by exact name or dotted path only: no nested-Windows
/// fallback, to show the pipeline makes it unnecessary for matching.
struct Strict<'a>(&'a Fields);

impl Document for Strict<'_> {
    fn field(&self, name: &str) -> Option<FieldValue<'_>> {
        if self.0.contains_key(name) || name.contains('.') {
            self.0.field(name)
        } else {
            None
        }
    }

    fn any_value<'a>(&'a self, visit: &mut impl FnMut(Scalar<'a>) -> bool) -> bool {
        self.0.any_value(visit)
    }
}

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

#[test]
fn windows_nested_matches_the_regression_data_without_the_fallback() {
    let Some(root) = corpus("sigma") else { return };
    let folders: Vec<PathBuf> = ["rules", "rules-emerging-threats", "rules-threat-hunting"]
        .iter()
        .map(|f| root.join(f))
        .collect();
    let options = LoadOptions::default()
        .with_pipeline(Pipeline::builtin("windows-nested").expect("built-in"));
    let set = RuleSet::load_dirs(&folders, &options)
        .expect("load")
        .ruleset;
    let mut infos = Vec::new();
    info_files(&root.join("regression_data"), &mut infos);
    let (mut total, mut missed) = (0usize, Vec::new());
    for info in &infos {
        let meta: Value = serde_yaml_ng::from_str(&std::fs::read_to_string(info).expect("info"))
            .expect("info.yml");
        let Some(rule_id) = meta["rule_metadata"][0]["id"].as_str() else {
            continue;
        };
        let dir = info.parent().expect("folder");
        let Some(json) = std::fs::read_dir(dir)
            .expect("list")
            .filter_map(Result::ok)
            .map(|e| e.path())
            .find(|p| p.extension().is_some_and(|e| e == "json"))
        else {
            continue;
        };
        total += 1;
        let text = std::fs::read_to_string(&json).expect("event");
        let found = serde_json::Deserializer::from_str(&text)
            .into_iter::<Value>()
            .filter_map(|v| match v {
                Ok(Value::Object(map)) => Some(Fields::from(map)),
                _ => None,
            })
            .any(|event| detect(&set, &Strict(&event), &event, "windows").contains(rule_id));
        if !found {
            missed.push(json.display().to_string());
        }
    }
    println!(
        "windows-nested: {}/{total} labelled events detected with exact and dotted lookups only",
        total - missed.len()
    );
    for m in &missed {
        println!("  MISSED {m}");
    }
    assert!(total >= 200, "{total} labelled events");
    assert!(missed.is_empty(), "{} missed", missed.len());
}

/// An audit record's `key=value` pairs (values unquoted), as a forwarder
/// that parses audit.log delivers them.
fn audit_record(line: &str) -> Fields {
    let mut fields = Fields::new();
    let mut rest = line.trim();
    while !rest.is_empty() {
        let Some(eq) = rest.find('=') else { break };
        let key = rest[..eq].trim().to_owned();
        let after = &rest[eq + 1..];
        let (value, next) = if let Some(quoted) = after.strip_prefix('"') {
            let end = quoted.find('"').unwrap_or(quoted.len());
            (&quoted[..end], quoted.get(end + 1..).unwrap_or(""))
        } else {
            let end = after.find(' ').unwrap_or(after.len());
            (&after[..end], &after[end..])
        };
        fields.insert(key, Value::String(value.to_owned()));
        rest = next.trim_start();
    }
    fields
}

#[test]
fn linux_auditd_rules_match_audit_records_of_linux_sources() {
    let (Some(zip), Some(plain), Some(mapped)) = (
        corpus("security-datasets/atomic/linux/defense_evasion/host/sh_binary_padding_dd.zip"),
        load("sigma/rules/linux/auditd", &[]),
        load("sigma/rules/linux/auditd", &["linux-auditd"]),
    ) else {
        return;
    };
    let records: Vec<Fields> = unzip(&zip)
        .iter()
        .flat_map(|t| t.lines().map(audit_record).collect::<Vec<_>>())
        .collect();
    assert!(records.len() >= 5);
    let titles = |set: &RuleSet| -> BTreeSet<String> {
        let mut out = BTreeSet::new();
        for r in &records {
            let source = EventLogSource::derive(r, "linux", EventClass::Other);
            let mut d = Vec::new();
            set.detect_document(r, &source, &mut d);
            out.extend(d.into_iter().map(|d| d.rule.title.clone()));
        }
        out
    };
    assert!(titles(&plain).is_empty(), "no binding says service auditd");
    let found = titles(&mapped);
    println!("linux-auditd: {found:?}");
    assert!(
        found.iter().any(|t| t.contains("Binary Padding")),
        "{found:?}"
    );
    // Not an audit record: the added condition keeps auditd rules off it.
    let not_audit = audit_record("type=EXECVE a0=\"dd\" a1=\"if=/dev/zero\" a2=\"bs=1\"");
    let source = EventLogSource::derive(&not_audit, "linux", EventClass::Other);
    let mut d = Vec::new();
    mapped.detect_document(&not_audit, &source, &mut d);
    assert!(d.is_empty(), "{d:?}");
}

#[test]
fn vigil_maps_the_firewall_taxonomy_onto_normalized_network_events() {
    let (Some(plain), Some(mapped)) = (
        load("sigma/rules/network/firewall", &[]),
        load("sigma/rules/network/firewall", &["vigil"]),
    ) else {
        return;
    };
    // A FortiGate CEF record as Vigil decodes it (extension keys at the top).
    let cef: Fields = serde_json::from_str(
        r#"{"cef.version":0,"cef.vendor":"Fortinet","cef.product":"Fortigate","cef.name":"forward traffic accept",
            "cef.severity":"3","src":"10.1.100.11","spt":51000,"dst":"192.0.2.10","dpt":21,"proto":6,"act":"accept",
            "hostname":"fw01"}"#,
    )
    .expect("json");
    let run = |set: &RuleSet| {
        let source = EventLogSource::derive(&cef, "fortigate", EventClass::NetworkActivity);
        let mut d = Vec::new();
        set.detect_document(&cef, &source, &mut d);
        d.len()
    };
    assert_eq!(run(&plain), 0);
    assert_eq!(
        run(&mapped),
        1,
        "cleartext FTP allowed through the firewall"
    );
}
