//! End to end: `vigil serve` on a real configuration, fed by the system's
//! `logger` over syslog and by NDJSON over HTTP, read back through the API.

mod common;

use std::io::Write;
use std::net::TcpStream;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use common::{Vigil, eventually, sha256_hex};
use reqwest::StatusCode;
use reqwest::blocking::Client;
use serde_json::Value;

const ADMIN: &str = "vgl_test_admin_token_0123456789";
const VIEWER_B: &str = "vgl_test_viewer_b_token_0123456789";
const INGEST_A: &str = "vgl_test_ingest_a_token_0123456789";

const MARKER_RULE: &str = r#"
title: E2E syslog marker
id: 8f1b8d6e-0c61-4c1e-9a53-4d7e2f0a9b01
status: test
level: high
logsource:
  product: vigil
  service: testfw
detection:
  keywords:
    - 'vigil-e2e-marker'
  condition: keywords
"#;

const MIMIKATZ_RULE: &str = r#"
title: E2E credential dumping command line
id: 0d5c3c4e-7d84-4b0e-8a0a-6b9c7b3f2e11
status: test
level: critical
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
    std::fs::write(rules.join("marker.yml"), MARKER_RULE).unwrap();
    std::fs::write(rules.join("mimikatz.yml"), MIMIKATZ_RULE).unwrap();
    let config = format!(
        r#"
data_dir = "data"
listen = "127.0.0.1:0"
builtin_rules = false
rules = ["rules"]
max_ingest_bytes = 1048576

[[tenants]]
id = "alpha"
name = "Alpha Water"
[[tenants.sites]]
id = "plant"
name = "Treatment plant"

[[tenants]]
id = "beta"
name = "Beta Hospital"

[[sources]]
id = "alpha-windows"
tenant = "alpha"
site = "plant"
kind = "http"
product = "windows"
token_sha256 = "{ingest}"

[[sources]]
id = "alpha-fw-tcp"
tenant = "alpha"
kind = "syslog_tcp"
product = "testfw"
listen = "127.0.0.1:0"

[[sources]]
id = "alpha-fw-udp"
tenant = "alpha"
kind = "syslog_udp"
product = "testfw"
listen = "127.0.0.1:0"

[[tokens]]
name = "admin"
role = "provider_admin"
token_sha256 = "{admin}"

[[tokens]]
name = "beta-viewer"
role = "client_viewer"
tenant = "beta"
token_sha256 = "{viewer}"
"#,
        ingest = sha256_hex(INGEST_A),
        admin = sha256_hex(ADMIN),
        viewer = sha256_hex(VIEWER_B),
    );
    std::fs::write(dir.join("vigil.toml"), config).unwrap();
}

/// The address printed after `needle` (`… on ADDR` / `… http://ADDR`).
fn address(line: &str) -> String {
    line.rsplit([' ', '/'])
        .find(|part| part.contains(':'))
        .unwrap_or_else(|| panic!("no address in `{line}`"))
        .to_owned()
}

struct Api {
    base: String,
    http: Client,
}

impl Api {
    fn get(&self, token: Option<&str>, path: &str) -> (StatusCode, Value) {
        let mut req = self.http.get(format!("{}{path}", self.base));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let resp = req.send().expect("request");
        let status = resp.status();
        let text = resp.text().unwrap_or_default();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    fn alerts_for_rule(&self, rule_id: &str) -> Vec<Value> {
        let (status, body) = self.get(Some(ADMIN), "/api/v1/alerts?limit=1000");
        assert_eq!(status, StatusCode::OK, "{body}");
        body["items"]
            .as_array()
            .expect("items")
            .iter()
            .filter(|a| a["rule_id"] == rule_id)
            .cloned()
            .collect()
    }
}

#[test]
fn serve_ingests_syslog_and_http_detects_and_scopes_by_tenant() {
    if Command::new("logger").arg("--version").output().is_err() {
        assert!(
            std::env::var("CI").is_err(),
            "`logger` (bsdutils) is required under CI"
        );
        eprintln!("skipped: the `logger` command is not installed");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    write_config(dir.path());
    let mut vigil = Vigil::start(dir.path(), &["serve", "--config", "vigil.toml"]);
    let http = address(&vigil.wait_for_line("vigil serving on", Duration::from_secs(60)));
    let tcp = address(&vigil.wait_for_line("alpha-fw-tcp", Duration::from_secs(5)));
    let udp = address(&vigil.wait_for_line("alpha-fw-udp", Duration::from_secs(5)));
    let api = Api {
        base: format!("http://{http}"),
        http: Client::new(),
    };
    assert_eq!(api.get(None, "/healthz").0, StatusCode::OK);

    // 1. Syslog over TCP from the system's own `logger`, RFC 5424.
    let (host, port) = tcp.rsplit_once(':').unwrap();
    let status = Command::new("logger")
        .args(["--server", host, "--port", port, "--tcp", "--rfc5424"])
        .args([
            "--tag",
            "e2e",
            "suspicious vigil-e2e-marker seen on the edge",
        ])
        .status()
        .expect("run logger");
    assert!(status.success());
    let alert = eventually("syslog marker alert", Duration::from_secs(20), || {
        api.alerts_for_rule("8f1b8d6e-0c61-4c1e-9a53-4d7e2f0a9b01")
            .into_iter()
            .next()
    });
    assert_eq!(alert["tenant"], "alpha");
    assert_eq!(alert["severity"], "high");
    let (status, detail) = api.get(
        Some(ADMIN),
        &format!("/api/v1/alerts/{}", alert["id"].as_str().unwrap()),
    );
    assert_eq!(status, StatusCode::OK, "{detail}");
    let evidence = detail["evidence"].as_array().unwrap();
    assert_eq!(evidence.len(), 1);
    assert_eq!(evidence[0]["tenant"], "alpha");
    assert_eq!(evidence[0]["source"]["id"], "alpha-fw-tcp");
    assert!(
        evidence[0]["fields"]
            .to_string()
            .contains("vigil-e2e-marker")
    );
    // What made the keyword rule match: the message, found anywhere.
    assert_eq!(detail["matched"][0]["event"], evidence[0]["id"], "{detail}");
    assert_eq!(detail["matched"][0]["selections"][0], "keywords");
    let keyword = &detail["matched"][0]["fields"][0];
    assert!(keyword["field"].is_null(), "{detail}");
    assert!(
        keyword["value"]
            .as_str()
            .unwrap()
            .contains("vigil-e2e-marker")
    );

    // 2. Syslog over UDP, RFC 3164.
    let (host, port) = udp.rsplit_once(':').unwrap();
    let status = Command::new("logger")
        .args(["--server", host, "--port", port, "--udp", "--rfc3164"])
        .args(["--tag", "e2e", "udp vigil-e2e-marker again"])
        .status()
        .expect("run logger");
    assert!(status.success());
    eventually("udp event archived", Duration::from_secs(20), || {
        let (_, page) = api.get(Some(ADMIN), "/api/v1/events?tenant=alpha&limit=100");
        page["items"]
            .as_array()?
            .iter()
            .find(|e| e["source"]["id"] == "alpha-fw-udp")
            .cloned()
    });

    // 3. NDJSON over HTTP: one good line, one malformed, and a tenant claim that is ignored.
    let body = concat!(
        r#"{"Channel":"Microsoft-Windows-Sysmon/Operational","EventID":1,"Hostname":"ws-17","tenant":"beta","Image":"C:\\Temp\\m.exe","CommandLine":"m.exe sekurlsa::logonpasswords exit","@timestamp":"@DAY@T10:00:00.000Z"}"#,
        "\n",
        "{not json at all\n",
    )
    .replace("@DAY@", &common::day());
    let resp = api
        .http
        .post(format!("{}/api/v1/ingest", api.base))
        .bearer_auth(INGEST_A)
        .body(body.clone())
        .send()
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let outcome: Value = resp.json().unwrap();
    assert_eq!(outcome["accepted"], 1, "{outcome}");
    assert_eq!(outcome["rejected"][0]["line"], 2, "{outcome}");
    assert_eq!(outcome["alerts_created"], 1, "{outcome}");
    let dumping = api.alerts_for_rule("0d5c3c4e-7d84-4b0e-8a0a-6b9c7b3f2e11");
    assert_eq!(dumping.len(), 1);
    assert_eq!(
        dumping[0]["tenant"], "alpha",
        "the binding decides the tenant"
    );
    assert_eq!(dumping[0]["site"], "plant");
    // The alert's evidence says which field matched, for the alarm page.
    let (status, detail) = api.get(
        Some(ADMIN),
        &format!("/api/v1/alerts/{}", dumping[0]["id"].as_str().unwrap()),
    );
    assert_eq!(status, StatusCode::OK, "{detail}");
    assert_eq!(
        detail["matched"][0]["fields"],
        serde_json::json!([{"field": "CommandLine", "value": "m.exe sekurlsa::logonpasswords exit"}]),
        "{detail}"
    );
    assert_eq!(
        detail["matched"][0]["selections"],
        serde_json::json!(["selection"])
    );

    // Re-sending the same batch raises no second alert and no new evidence.
    let again: Value = api
        .http
        .post(format!("{}/api/v1/ingest", api.base))
        .bearer_auth(INGEST_A)
        .body(body)
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(again["alerts_created"], 0, "{again}");
    let dumping = api.alerts_for_rule("0d5c3c4e-7d84-4b0e-8a0a-6b9c7b3f2e11");
    assert_eq!(dumping.len(), 1);
    assert_eq!(dumping[0]["event_count"], 1);

    // Field search.
    let (status, found) = api.get(
        Some(ADMIN),
        "/api/v1/events?tenant=alpha&field=EventID=1&field=Hostname=ws-17",
    );
    assert_eq!(status, StatusCode::OK, "{found}");
    assert!(!found["items"].as_array().unwrap().is_empty());

    // 4. Malformed syslog over TCP goes to dead letters; the server keeps serving.
    let mut raw = TcpStream::connect(&tcp).unwrap();
    raw.write_all(b"\x00\xff\xfe garbage without a header\n")
        .unwrap();
    raw.write_all(b"<999>1 not syslog\n").unwrap();
    drop(raw);
    let letters = eventually("dead letters", Duration::from_secs(20), || {
        let (_, page) = api.get(Some(ADMIN), "/api/v1/dead-letters?source=alpha-fw-tcp");
        let items = page["items"].as_array()?.clone();
        (items.len() >= 2).then_some(items)
    });
    assert!(
        letters
            .iter()
            .all(|d| !d["reason"].as_str().unwrap().is_empty())
    );
    let (_, page) = api.get(Some(ADMIN), "/api/v1/dead-letters?source=alpha-windows");
    assert!(
        page["items"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("line 2")
    );
    assert_eq!(api.get(None, "/healthz").0, StatusCode::OK);

    // 5. Limits and authentication.
    let big = vec![b'x'; 2 * 1024 * 1024];
    // Its own client: the server closes the connection after refusing the
    // body, and a pooled connection reused afterwards would fail the next
    // request for a reason that is not the server's.
    let resp = Client::new()
        .post(format!("{}/api/v1/ingest", api.base))
        .bearer_auth(INGEST_A)
        .body(big)
        .send()
        .unwrap();
    assert_eq!(resp.status(), StatusCode::PAYLOAD_TOO_LARGE);
    for path in [
        "/api/v1/alerts",
        "/api/v1/events",
        "/api/v1/dead-letters",
        "/api/v1/tenants",
        "/metrics",
        "/api/openapi.json",
    ] {
        assert_eq!(api.get(None, path).0, StatusCode::UNAUTHORIZED, "{path}");
        assert_eq!(
            api.get(Some("vgl_wrong"), path).0,
            StatusCode::UNAUTHORIZED,
            "{path}"
        );
        // An ingest token is not an API token.
        assert_eq!(
            api.get(Some(INGEST_A), path).0,
            StatusCode::UNAUTHORIZED,
            "{path}"
        );
    }
    let resp = api
        .http
        .post(format!("{}/api/v1/ingest", api.base))
        .bearer_auth(ADMIN)
        .body("{}\n")
        .send()
        .unwrap();
    assert_eq!(
        resp.status(),
        StatusCode::UNAUTHORIZED,
        "an API token cannot ingest"
    );

    // 6. A client viewer of beta sees none of alpha's data, not even by id or by asking.
    let (status, page) = api.get(Some(VIEWER_B), "/api/v1/alerts");
    assert_eq!(status, StatusCode::OK);
    assert!(page["items"].as_array().unwrap().is_empty(), "{page}");
    let (status, _) = api.get(
        Some(VIEWER_B),
        &format!("/api/v1/alerts/{}", alert["id"].as_str().unwrap()),
    );
    assert_eq!(status, StatusCode::NOT_FOUND);
    for path in [
        "/api/v1/alerts?tenant=alpha",
        "/api/v1/events?tenant=alpha",
        "/api/v1/dead-letters?tenant=alpha",
    ] {
        assert_eq!(
            api.get(Some(VIEWER_B), path).0,
            StatusCode::FORBIDDEN,
            "{path}"
        );
    }
    let (_, events) = api.get(Some(VIEWER_B), "/api/v1/events");
    assert!(events["items"].as_array().unwrap().is_empty());
    let (_, letters) = api.get(Some(VIEWER_B), "/api/v1/dead-letters");
    assert!(letters["items"].as_array().unwrap().is_empty());
    let (_, tenants) = api.get(Some(VIEWER_B), "/api/v1/tenants");
    assert_eq!(tenants.as_array().unwrap().len(), 1);
    assert_eq!(tenants[0]["id"], "beta");
    assert_eq!(api.get(Some(VIEWER_B), "/metrics").0, StatusCode::FORBIDDEN);

    // 7. Metrics and the API document.
    let resp = api
        .http
        .get(format!("{}/metrics", api.base))
        .bearer_auth(ADMIN)
        .send()
        .unwrap();
    let metrics = resp.text().unwrap();
    // The batch sent twice above is stored once: its event counts once in
    // events_in and once more as resent.
    assert!(
        metrics.contains("vigil_events_in_total{tenant=\"alpha\",source=\"alpha-windows\"} 1"),
        "{metrics}"
    );
    assert!(
        metrics.contains("vigil_events_resent_total{tenant=\"alpha\",source=\"alpha-windows\"} 1"),
        "{metrics}"
    );
    assert!(metrics.contains("vigil_dead_letters_total"), "{metrics}");
    let (status, doc) = api.get(Some(ADMIN), "/api/openapi.json");
    assert_eq!(status, StatusCode::OK);
    for path in [
        "/api/v1/alerts",
        "/api/v1/alerts/{id}",
        "/api/v1/events",
        "/api/v1/ingest",
        "/api/v1/dead-letters",
    ] {
        assert!(
            doc["paths"][path].is_object(),
            "{path} missing from the OpenAPI document"
        );
    }
}
