//! End to end: the desk through the real binary. `vigil serve` raises an
//! alarm from an ingested event; `vigil alarms list` shows it, `vigil alarms
//! ack` takes it, a second operator cannot take it without a reason, `vigil
//! incidents open/list` work from it; then `vigil audit verify`, `vigil
//! audit export` and `vigil audit verify-export` check the record of it all.

mod common;

use std::path::Path;
use std::process::{Command, Output};
use std::time::Duration;

use common::{Vigil, eventually, sha256_hex};
use reqwest::blocking::Client;
use serde_json::Value;

const ADMIN: &str = "vgl_desk_e2e_admin_token_0123456789";
const OPERATOR: &str = "vgl_desk_e2e_operator_token_012345";
const INGEST: &str = "vgl_desk_e2e_ingest_token_01234567";

const RULE: &str = r#"
title: Desk E2E credential dumping
id: 5b7e0f6a-2f0c-4c1e-8d53-0e7f2a9c1d42
status: test
level: high
logsource:
  product: windows
  category: process_creation
detection:
  selection:
    CommandLine|contains: 'sekurlsa::logonpasswords'
  condition: selection
"#;

fn write_config(dir: &Path) {
    let rules = dir.join("rules");
    std::fs::create_dir_all(&rules).unwrap();
    std::fs::write(rules.join("dump.yml"), RULE).unwrap();
    let config = format!(
        r#"
data_dir = "data"
listen = "127.0.0.1:0"
builtin_rules = false
rules = ["rules"]

[[tenants]]
id = "alpha"
name = "Alpha Water"

[[tenants]]
id = "beta"
name = "Beta Hospital"

[[sources]]
id = "alpha-windows"
tenant = "alpha"
kind = "http"
product = "windows"
token_sha256 = "{ingest}"

[[tokens]]
name = "admin"
role = "provider_admin"
token_sha256 = "{admin}"

[[tokens]]
name = "operator"
role = "provider_operator"
token_sha256 = "{operator}"
"#,
        ingest = sha256_hex(INGEST),
        admin = sha256_hex(ADMIN),
        operator = sha256_hex(OPERATOR),
    );
    std::fs::write(dir.join("vigil.toml"), config).unwrap();
}

/// Runs `vigil ARGS…` in `dir` against `url` with `token`.
fn vigil(dir: &Path, url: &str, token: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_vigil"))
        .args(args)
        .current_dir(dir)
        .env("VIGIL_URL", url)
        .env("VIGIL_TOKEN", token)
        .env("VIGIL_LOG", "warn")
        .output()
        .expect("run vigil")
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn the_cli_lists_acknowledges_and_audits_alarms_of_a_running_server() {
    let dir = tempfile::tempdir().unwrap();
    write_config(dir.path());
    let mut server = Vigil::start(dir.path(), &["serve", "--config", "vigil.toml"]);
    let line = server.wait_for_line("vigil serving on", Duration::from_secs(60));
    let addr = line
        .rsplit([' ', '/'])
        .find(|part| part.contains(':'))
        .expect("address")
        .to_owned();
    let url = format!("http://{addr}");
    let http = Client::new();

    let body = r#"{"Channel":"Microsoft-Windows-Sysmon/Operational","EventID":1,"Hostname":"ws-17","Image":"C:\\Temp\\m.exe","CommandLine":"m.exe sekurlsa::logonpasswords exit","@timestamp":"@DAY@T10:00:00.000Z"}"#
        .replace("@DAY@", &common::day());
    let resp = http
        .post(format!("{url}/api/v1/ingest"))
        .bearer_auth(INGEST)
        .body(format!("{body}\n"))
        .send()
        .unwrap();
    assert!(resp.status().is_success(), "{}", resp.status());

    // `vigil alarms list` shows the alarm once triage has raised it.
    let id = eventually(
        "the alarm in `vigil alarms list`",
        Duration::from_secs(20),
        || {
            let out = vigil(dir.path(), &url, ADMIN, &["alarms", "list"]);
            assert!(out.status.success(), "{}", stderr(&out));
            stdout(&out)
                .lines()
                .find(|l| l.contains("Desk E2E credential dumping"))
                .map(|l| l.split_whitespace().next().unwrap_or_default().to_owned())
        },
    );
    let listed = stdout(&vigil(dir.path(), &url, ADMIN, &["alarms", "list"]));
    let row = listed.lines().find(|l| l.starts_with(&id)).unwrap();
    assert!(row.contains("alpha") && row.contains("new"), "{row}");

    // `vigil alarms ack` takes it.
    let out = vigil(dir.path(), &url, ADMIN, &["alarms", "ack", &id]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("acknowledged"), "{}", stdout(&out));
    let shown = vigil(dir.path(), &url, ADMIN, &["alarms", "show", &id]);
    let alarm: Value = serde_json::from_slice(&shown.stdout).expect("alarm JSON");
    assert_eq!(alarm["alarm"]["status"], "acknowledged");
    let owner = alarm["alarm"]["owner"]
        .as_str()
        .expect("an owner")
        .to_owned();

    // A second operator cannot take it silently: acknowledging fails, and a
    // take-over goes through only with a reason, which is recorded.
    let out = vigil(dir.path(), &url, OPERATOR, &["alarms", "ack", &id]);
    assert!(!out.status.success(), "a second ack must be refused");
    let out = vigil(
        dir.path(),
        &url,
        OPERATOR,
        &["alarms", "take-over", &id, "--reason", ""],
    );
    assert!(
        !out.status.success(),
        "a take-over without a reason is refused"
    );
    let shown = vigil(dir.path(), &url, ADMIN, &["alarms", "show", &id]);
    let alarm: Value = serde_json::from_slice(&shown.stdout).unwrap();
    assert_eq!(alarm["alarm"]["owner"], owner.as_str(), "owner unchanged");
    let out = vigil(
        dir.path(),
        &url,
        OPERATOR,
        &["alarms", "take-over", &id, "--reason", "night shift"],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let shown = vigil(dir.path(), &url, ADMIN, &["alarms", "show", &id]);
    let alarm: Value = serde_json::from_slice(&shown.stdout).unwrap();
    assert_ne!(alarm["alarm"]["owner"], owner.as_str());
    assert!(alarm.to_string().contains("night shift"), "{alarm}");

    // Start and close it with a verdict.
    let out = vigil(dir.path(), &url, OPERATOR, &["alarms", "start", &id]);
    assert!(out.status.success(), "{}", stderr(&out));
    let out = vigil(
        dir.path(),
        &url,
        OPERATOR,
        &["alarms", "close", &id, "--verdict", "true_positive"],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("closed"), "{}", stdout(&out));

    // An incident from the alarm, listed and advanced through the CLI.
    let out = vigil(
        dir.path(),
        &url,
        ADMIN,
        &[
            "incidents",
            "open",
            "--tenant",
            "alpha",
            "--title",
            "Credential dumping on ws-17",
            "--severity",
            "high",
            "--category",
            "cyber",
            "--alarm",
            &id,
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let incident = stdout(&out)
        .split_whitespace()
        .nth(1)
        .expect("incident id")
        .to_owned();
    let out = vigil(dir.path(), &url, ADMIN, &["incidents", "list"]);
    assert!(stdout(&out).contains(&incident), "{}", stdout(&out));
    let out = vigil(
        dir.path(),
        &url,
        ADMIN,
        &[
            "incidents",
            "do",
            &incident,
            r#"{"command":"advance","to":"triaged"}"#,
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("triaged"), "{}", stdout(&out));
    // The node's start recorded its configuration and rule set.
    let log: Value = http
        .get(format!("{url}/api/v1/audit?limit=1000"))
        .bearer_auth(ADMIN)
        .send()
        .unwrap()
        .json()
        .unwrap();
    let logged: Vec<&str> = log["items"]
        .as_array()
        .expect("audit items")
        .iter()
        .filter_map(|e| e["action"].as_str())
        .collect();
    for wanted in ["config.load", "rules.load", "alarm.acknowledge"] {
        assert!(logged.contains(&wanted), "no `{wanted}` in {logged:?}");
    }
    drop(server);

    // The record of it all verifies, names the commands, and a client's
    // export verifies on its own.
    let out = vigil(
        dir.path(),
        &url,
        ADMIN,
        &["audit", "verify", "--data", "data"],
    );
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    assert!(
        stdout(&out).contains("audit chain intact"),
        "{}",
        stdout(&out)
    );
    let out = vigil(
        dir.path(),
        &url,
        ADMIN,
        &[
            "audit",
            "export",
            "--data",
            "data",
            "--tenant",
            "alpha",
            "--out",
            "alpha.json",
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let export: Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("alpha.json")).unwrap()).unwrap();
    let actions: Vec<&str> = export["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .filter_map(|e| e["entry"]["action"].as_str())
        .collect();
    for wanted in ["acknowledge", "take_over", "close", "audit.export"] {
        assert!(
            actions.iter().any(|a| a.contains(wanted)),
            "no `{wanted}` in {actions:?}"
        );
    }
    let out = vigil(
        dir.path(),
        &url,
        ADMIN,
        &[
            "audit",
            "verify-export",
            "alpha.json",
            "--public-key",
            "data/audit-signing.key.pub",
        ],
    );
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    assert!(stdout(&out).contains("verifies"), "{}", stdout(&out));

    // A changed byte in the export is caught.
    let text = std::fs::read_to_string(dir.path().join("alpha.json")).unwrap();
    let tampered = text.replacen("night shift", "day shift!!", 1);
    assert_ne!(text, tampered, "the reason is in the export");
    std::fs::write(dir.path().join("tampered.json"), tampered).unwrap();
    let out = vigil(
        dir.path(),
        &url,
        ADMIN,
        &[
            "audit",
            "verify-export",
            "tampered.json",
            "--public-key",
            "data/audit-signing.key.pub",
        ],
    );
    assert!(!out.status.success(), "{}", stdout(&out));
    assert!(
        stderr(&out).contains("EXPORT DOES NOT VERIFY"),
        "{}",
        stderr(&out)
    );
}
