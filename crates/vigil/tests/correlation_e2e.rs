//! End to end: a correlation whose first step arrives before `vigil serve`
//! is stopped (SIGTERM) and whose last step arrives after it is started
//! again still fires: its window survives the restart in the store.

mod common;

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use common::{Vigil, sha256_hex};
use reqwest::StatusCode;
use reqwest::blocking::Client;
use serde_json::Value;

const ADMIN: &str = "vgl_corr_admin_token_0123456789";
const INGEST: &str = "vgl_corr_ingest_token_0123456789";

const RULES: &str = r#"
title: Badge denied
id: 7a000000-0000-4000-8000-000000000001
name: badge_denied
level: low
tags: [physical]
logsource: {product: vigil, category: physical_access}
detection:
  selection: {action: access_denied}
  condition: selection
---
title: Door forced open
id: 7a000000-0000-4000-8000-000000000002
name: door_forced
level: high
logsource: {product: vigil, category: physical_access}
detection:
  selection: {action: door_forced_open}
  condition: selection
---
title: Badge probing
id: 7a000000-0000-4000-8000-00000000000b
name: badge_probing
correlation:
  type: event_count
  rules: [badge_denied]
  group-by: [door]
  timespan: 10m
  condition: {gte: 3}
---
title: Badge probing then a forced door
id: 7a000000-0000-4000-8000-00000000000c
level: critical
correlation:
  type: temporal_ordered
  rules: [badge_probing, door_forced]
  group-by: [door]
  timespan: 15m
"#;

fn write_config(dir: &Path) {
    std::fs::create_dir_all(dir.join("rules")).unwrap();
    std::fs::write(dir.join("rules/probing.yml"), RULES).unwrap();
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
id = "acme-access"
tenant = "acme"
kind = "http"
product = "access"
token_sha256 = "{ingest}"

[[tokens]]
name = "admin"
role = "provider_admin"
token_sha256 = "{admin}"
"#,
        ingest = sha256_hex(INGEST),
        admin = sha256_hex(ADMIN),
    );
    std::fs::write(dir.join("vigil.toml"), config).unwrap();
}

fn serve(dir: &Path) -> (Vigil, String) {
    let mut vigil = Vigil::start(dir, &["serve", "--config", "vigil.toml"]);
    let line = vigil.wait_for_line("vigil serving on", Duration::from_secs(60));
    let base = line.split_whitespace().last().expect("address").to_owned();
    (vigil, base)
}

fn ingest(base: &str, lines: &[&str]) -> Value {
    let resp = Client::new()
        .post(format!("{base}/api/v1/ingest"))
        .bearer_auth(INGEST)
        .body(lines.join("\n"))
        .send()
        .expect("ingest");
    assert_eq!(resp.status(), StatusCode::OK);
    resp.json().expect("outcome")
}

fn event(time: &str, action: &str) -> String {
    format!(
        r#"{{"time":"{day}T{time}Z","class":"physical_access","action":"{action}","door":"dh1-east","badge":"b-{time}"}}"#,
        day = common::day()
    )
}

#[test]
fn a_window_survives_a_restart_of_serve() {
    let dir = tempfile::tempdir().unwrap();
    write_config(dir.path());
    let denied: Vec<String> = ["10:00:00", "10:01:00", "10:02:00"]
        .iter()
        .map(|t| event(t, "access_denied"))
        .collect();
    {
        let (mut vigil, base) = serve(dir.path());
        let refs: Vec<&str> = denied.iter().map(String::as_str).collect();
        let outcome = ingest(&base, &refs);
        assert_eq!(
            (
                outcome["accepted"].as_u64(),
                outcome["alerts_created"].as_u64()
            ),
            (Some(3), Some(0)),
            "the denied badges only feed the correlation: {outcome}"
        );
        // A graceful stop saves the correlation state.
        let status = Command::new("kill")
            .args(["-TERM", &vigil.child.id().to_string()])
            .status()
            .expect("kill");
        assert!(status.success());
        let exit = vigil.child.wait().expect("wait");
        assert!(exit.success(), "serve exited with {exit}");
    }
    let (_vigil, base) = serve(dir.path());
    let outcome = ingest(&base, &[&event("10:05:00", "door_forced_open")]);
    assert_eq!(outcome["alerts_created"], 1, "{outcome}");
    let resp = Client::new()
        .get(format!("{base}/api/v1/alerts?limit=100"))
        .bearer_auth(ADMIN)
        .send()
        .expect("alerts");
    let body: Value = resp.json().expect("json");
    let alerts = body["items"].as_array().expect("items");
    assert_eq!(alerts.len(), 1, "{body}");
    assert_eq!(alerts[0]["rule_title"], "Badge probing then a forced door");
    assert_eq!(alerts[0]["group_key"], "door=dh1-east");
    assert_eq!(
        alerts[0]["event_count"], 4,
        "the three denied badges and the forced door"
    );
}
