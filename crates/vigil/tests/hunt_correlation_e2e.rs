//! End to end: `vigil hunt` over a JSON lines file and `vigil serve` fed
//! the same events through the ingest API raise the same correlation
//! alerts (rule, group, window start), for all seven Sigma correlation
//! types and a chain; the hunt's answer does not depend on the order of
//! the lines in its file.

mod common;

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use chrono::{DateTime, Utc};
use common::{Vigil, sha256_hex};
use reqwest::StatusCode;
use reqwest::blocking::Client;
use serde_json::{Value, json};

const ADMIN: &str = "vgl_huntcorr_admin_token_0123456789";
const INGEST: &str = "vgl_huntcorr_ingest_token_0123456789";

const RULES: &str = r#"
title: Failed logon
id: 9f000000-0000-4000-8000-000000000001
name: failed_logon
level: low
logsource: {product: windows, service: security}
detection: {s: {EventID: 4625}, condition: s}
---
title: Successful logon
id: 9f000000-0000-4000-8000-000000000002
name: successful_logon
level: low
logsource: {product: windows, service: security}
detection: {s: {EventID: 4624}, condition: s}
---
title: Connection allowed
id: 9f000000-0000-4000-8000-000000000003
name: connection
level: low
logsource: {product: windows, service: security}
detection: {s: {EventID: 5156}, condition: s}
---
title: Process created
id: 9f000000-0000-4000-8000-000000000004
name: process_created
level: low
logsource: {product: windows, service: security}
detection: {s: {EventID: 4688}, condition: s}
---
title: Many failed logons
id: 9f000000-0000-4000-8000-0000000000a1
name: failed_burst
level: medium
correlation: {type: event_count, rules: [failed_logon], group-by: [TargetUserName], timespan: 5m, condition: {gte: 3}}
---
title: Password spraying
id: 9f000000-0000-4000-8000-0000000000a2
level: high
correlation: {type: value_count, rules: [failed_logon], group-by: [IpAddress], timespan: 5m, condition: {gte: 3, field: TargetUserName}}
---
title: Failure and success
id: 9f000000-0000-4000-8000-0000000000a3
level: medium
correlation: {type: temporal, rules: [failed_logon, successful_logon], group-by: [TargetUserName], timespan: 5m}
---
title: Failure then success
id: 9f000000-0000-4000-8000-0000000000a4
level: high
correlation: {type: temporal_ordered, rules: [failed_logon, successful_logon], group-by: [TargetUserName], timespan: 5m}
---
title: Much data out
id: 9f000000-0000-4000-8000-0000000000a5
level: medium
correlation: {type: value_sum, rules: [connection], group-by: [SourceAddress], timespan: 5m, condition: {gt: 1000, field: Bytes}}
---
title: Large connections
id: 9f000000-0000-4000-8000-0000000000a6
level: low
correlation: {type: value_avg, rules: [connection], group-by: [SourceAddress], timespan: 5m, condition: {gt: 500, field: Bytes}}
---
title: Rare process on a host
id: 9f000000-0000-4000-8000-0000000000a7
level: medium
correlation: {type: value_percentile, rules: [process_created], group-by: [Computer], timespan: 1h, condition: {lte: 20, field: NewProcessName}}
---
title: Burst then success
id: 9f000000-0000-4000-8000-0000000000a8
level: critical
generate: true
correlation: {type: temporal_ordered, rules: [failed_burst, successful_logon], group-by: [TargetUserName], timespan: 10m}
"#;

/// Windows Security events, in time order, `seconds` after 10:00
/// yesterday.
fn events() -> Vec<String> {
    let day = common::day();
    let at = |seconds: u32| {
        format!(
            "{day}T{:02}:{:02}:{:02}.000Z",
            10,
            seconds / 60,
            seconds % 60
        )
    };
    let event = |seconds: u32, id: u32, computer: &str, fields: Value| {
        let mut event = json!({
            "Channel": "Security", "EventID": id, "Computer": computer, "@timestamp": at(seconds)
        });
        if let (Some(e), Some(f)) = (event.as_object_mut(), fields.as_object()) {
            e.extend(f.clone());
        }
        event.to_string()
    };
    let failed = |s, user: &str, ip: &str| {
        event(
            s,
            4625,
            "dc1",
            json!({"TargetUserName": user, "IpAddress": ip}),
        )
    };
    let succeeded = |s, user: &str| {
        event(
            s,
            4624,
            "dc1",
            json!({"TargetUserName": user, "IpAddress": "10.0.0.9"}),
        )
    };
    let connection = |s, source: &str, bytes: u32| {
        event(
            s,
            5156,
            "dc1",
            json!({"SourceAddress": source, "Bytes": bytes}),
        )
    };
    let process =
        |s, computer: &str, image: &str| event(s, 4688, computer, json!({"NewProcessName": image}));
    let mut lines = vec![
        failed(0, "jdoe", "10.0.0.1"),
        failed(30, "jdoe", "10.0.0.1"),
        failed(60, "jdoe", "10.0.0.1"),
        succeeded(90, "jdoe"),
        failed(100, "alice", "10.0.0.7"),
        failed(110, "bob", "10.0.0.7"),
        failed(120, "carol", "10.0.0.7"),
        succeeded(200, "mallory"),
        failed(230, "mallory", "10.0.0.8"),
        connection(300, "10.1.1.1", 600),
        connection(300, "10.1.1.2", 100),
        connection(330, "10.1.1.1", 600),
        connection(330, "10.1.1.2", 200),
        process(400, "ws2", r"C:\Windows\System32\cmd.exe"),
    ];
    for i in 0..9 {
        lines.push(process(410 + i * 50, "dc1", r"C:\Windows\System32\cmd.exe"));
    }
    lines.push(process(900, "ws2", r"C:\Users\Public\evil.exe"));
    lines.push(process(1000, "dc1", r"C:\Users\Public\evil.exe"));
    lines
}

/// What names an alert: (rule id, group, window start).
type AlertKey = (String, String, DateTime<Utc>);

fn key(rule: &Value, group: &Value, start: &Value) -> AlertKey {
    let start = start
        .as_str()
        .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_else(|| panic!("window start {start}"));
    (
        rule.as_str().unwrap_or_default().to_owned(),
        group.as_str().unwrap_or_default().to_owned(),
        start,
    )
}

/// The correlation alerts `vigil hunt --json` prints for `file`.
fn hunt(dir: &Path, file: &str) -> BTreeSet<AlertKey> {
    let out = Command::new(env!("CARGO_BIN_EXE_vigil"))
        .args(["hunt", "--no-progress", "--json", "--rules", "rules", file])
        .current_dir(dir)
        .env("VIGIL_LOG", "warn")
        // Compiled rules are kept in the test's folder, not the user's.
        .env("XDG_CACHE_HOME", dir.join("cache"))
        .output()
        .expect("run vigil hunt");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(!stderr.contains("not loaded"), "{stderr}");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|line| serde_json::from_str::<Value>(line).expect("a JSON line"))
        .filter(|v| v.get("correlation").is_some())
        .map(|v| key(&v["rule"]["id"], &v["group_key"], &v["window_start"]))
        .collect()
}

fn write_config(dir: &Path) {
    let config = format!(
        r#"
data_dir = "data"
listen = "127.0.0.1:0"
builtin_rules = false
rules = ["rules"]

[correlation]
allowed_lateness_seconds = 86400

[[tenants]]
id = "acme"
name = "Acme"

[[sources]]
id = "acme-dc"
tenant = "acme"
kind = "http"
product = "windows"
token_sha256 = "{ingest}"

[[tokens]]
name = "admin"
role = "provider_admin"
token_sha256 = "{admin}"
"#,
        ingest = sha256_hex(INGEST),
        admin = sha256_hex(ADMIN),
    );
    std::fs::write(dir.join("vigil.toml"), config).expect("config");
}

/// The correlation alerts `vigil serve` raises for `lines` sent to its
/// ingest API.
fn serve(dir: &Path, lines: &[String]) -> BTreeSet<AlertKey> {
    write_config(dir);
    let mut vigil = Vigil::start(dir, &["serve", "--config", "vigil.toml"]);
    let line = vigil.wait_for_line("vigil serving on", Duration::from_secs(60));
    let base = line.split_whitespace().last().expect("address").to_owned();
    let client = Client::new();
    let resp = client
        .post(format!("{base}/api/v1/ingest"))
        .bearer_auth(INGEST)
        .body(lines.join("\n"))
        .send()
        .expect("ingest");
    assert_eq!(resp.status(), StatusCode::OK);
    let outcome: Value = resp.json().expect("outcome");
    assert_eq!(outcome["accepted"], lines.len(), "{outcome}");
    let resp = client
        .get(format!("{base}/api/v1/alerts?limit=100"))
        .bearer_auth(ADMIN)
        .send()
        .expect("alerts");
    assert_eq!(resp.status(), StatusCode::OK);
    let body: Value = resp.json().expect("json");
    let correlation_ids: BTreeSet<String> = (0xa1..=0xa8)
        .map(|n| format!("9f000000-0000-4000-8000-0000000000{n:02x}"))
        .collect();
    body["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter(|a| {
            a["rule_id"]
                .as_str()
                .is_some_and(|id| correlation_ids.contains(id))
        })
        .map(|a| key(&a["rule_id"], &a["group_key"], &a["window_start"]))
        .collect()
}

#[test]
fn hunt_and_serve_raise_the_same_correlation_alerts() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::create_dir_all(dir.path().join("rules")).expect("rules folder");
    std::fs::write(dir.path().join("rules/correlations.yml"), RULES).expect("rules");
    let lines = events();
    std::fs::write(dir.path().join("events.jsonl"), lines.join("\n")).expect("events");
    let mut backwards = lines.clone();
    backwards.reverse();
    std::fs::write(dir.path().join("backwards.jsonl"), backwards.join("\n")).expect("events");

    let hunted = hunt(dir.path(), "events.jsonl");
    let titles: BTreeSet<&str> = hunted
        .iter()
        .map(|(id, _, _)| &id[id.len() - 2..])
        .collect();
    assert_eq!(
        titles.into_iter().collect::<Vec<_>>(),
        ["a1", "a2", "a3", "a4", "a5", "a6", "a7", "a8"],
        "every correlation fires at least once: {hunted:#?}"
    );
    let groups: BTreeSet<(&str, &str)> = hunted
        .iter()
        .map(|(id, group, _)| (&id[id.len() - 2..], group.as_str()))
        .collect();
    let expected: BTreeSet<(&str, &str)> = [
        ("a1", "TargetUserName=jdoe"),
        ("a2", "IpAddress=10.0.0.7"),
        ("a3", "TargetUserName=jdoe"),
        ("a3", "TargetUserName=mallory"),
        ("a4", "TargetUserName=jdoe"),
        ("a5", "SourceAddress=10.1.1.1"),
        ("a6", "SourceAddress=10.1.1.1"),
        ("a7", "Computer=dc1"),
        ("a8", "TargetUserName=jdoe"),
    ]
    .into_iter()
    .collect();
    assert_eq!(groups, expected, "{hunted:#?}");
    assert_eq!(
        hunt(dir.path(), "backwards.jsonl"),
        hunted,
        "the order of the lines does not matter to a hunt"
    );

    let served = serve(dir.path(), &lines);
    assert_eq!(served, hunted, "serve and hunt agree");
}
