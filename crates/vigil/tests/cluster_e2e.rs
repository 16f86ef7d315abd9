//! End to end with several nodes: two `vigil serve` processes sharing one
//! PostgreSQL schema and one NATS server (`[store] url`, `[bus] url`). An
//! event ingested over HTTP on node A goes through the JetStream ingest log
//! and makes an alarm appear on node B's live stream; when A dies, B takes
//! over A's partitions and an event sent to B is applied too.
//!
//! Runs when `VIGIL_TEST_POSTGRES_URL` and `VIGIL_TEST_NATS_URL` are set;
//! without them the test says it is skipped, and fails under `CI=true`.

mod common;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use common::{Vigil, sha256_hex};
use reqwest::StatusCode;
use reqwest::blocking::Client;

const ADMIN: &str = "vgl_test_admin_token_0123456789";
const INGEST: &str = "vgl_test_ingest_a_token_0123456789";

const RULE: &str = r#"
title: Cluster e2e credential dumping
id: 5e0f7d0a-2c3b-4f7e-9a51-0c8d1e2f3a41
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

fn env_url(var: &str) -> Option<String> {
    match std::env::var(var) {
        Ok(url) if !url.is_empty() => Some(url),
        _ if std::env::var("CI").is_ok_and(|v| v == "true") => {
            panic!("{var} is not set but CI=true: the cluster e2e test must run")
        }
        _ => {
            println!("skipped: {var} is not set");
            None
        }
    }
}

/// Runs one SQL batch on a connection of its own.
fn execute(url: &str, sql: &str) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls)
            .await
            .expect("connect to PostgreSQL");
        let task = tokio::spawn(connection);
        client.batch_execute(sql).await.expect(sql);
        drop(client);
        let _ = task.await;
    });
}

/// Drops the test's schema when the test ends, passed or not.
struct Schema {
    url: String,
    name: String,
}

impl Drop for Schema {
    fn drop(&mut self) {
        execute(
            &self.url,
            &format!("DROP SCHEMA IF EXISTS {} CASCADE", self.name),
        );
    }
}

/// Deletes the test's JetStream stream when the test ends, passed or not.
struct Stream {
    url: String,
    name: String,
}

impl Drop for Stream {
    fn drop(&mut self) {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            let settings = vigil_nats::ConnectSettings::default();
            if let Ok(client) = vigil_nats::connect(&self.url, "e2e-cleanup", &settings).await {
                let _ = vigil_nats::JetStreamLog::delete(client, &self.name).await;
            }
        });
    }
}

/// Writes node `node`'s folder: its own data folder, the shared store and bus.
fn write_node(dir: &Path, node: &str, pg: &str, schema: &str, nats: &str, name: &str) {
    let rules = dir.join("rules");
    std::fs::create_dir_all(&rules).unwrap();
    std::fs::write(rules.join("dumping.yml"), RULE).unwrap();
    let config = format!(
        r#"
data_dir = "data"
listen = "127.0.0.1:0"
builtin_rules = false
rules = ["rules"]

[store]
url = "{pg}"
schema = "{schema}"

[bus]
url = "{nats}"
node = "{node}"
# A deployment of its own on the shared server: test runs never meet.
name = "{name}"
partitions = 4

[[tenants]]
id = "alpha"
name = "Alpha Water"

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
"#,
        ingest = sha256_hex(INGEST),
        admin = sha256_hex(ADMIN),
    );
    std::fs::write(dir.join("vigil.toml"), config).unwrap();
}

fn serve(dir: &Path) -> (Vigil, String) {
    let mut vigil = Vigil::start(dir, &["serve", "--config", "vigil.toml"]);
    let line = vigil.wait_for_line("vigil serving on", Duration::from_secs(90));
    let addr = line.rsplit(' ').next().unwrap_or_default().to_owned();
    (vigil, addr)
}

/// Lines of `base`'s live stream, read on a thread of their own.
fn stream_lines(http: &Client, base: &str) -> mpsc::Receiver<String> {
    let resp = http
        .get(format!("{base}/api/v1/stream"))
        .bearer_auth(ADMIN)
        .send()
        .expect("open the stream");
    assert_eq!(resp.status(), StatusCode::OK);
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(resp).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

#[test]
fn an_event_ingested_on_node_a_raises_an_alarm_on_node_bs_live_stream() {
    let (Some(pg), Some(nats)) = (
        env_url("VIGIL_TEST_POSTGRES_URL"),
        env_url("VIGIL_TEST_NATS_URL"),
    ) else {
        return;
    };
    let run = format!("{:016x}", rand::random::<u64>());
    let schema = Schema {
        url: pg.clone(),
        name: format!("vigil_cluster_{run}"),
    };
    let (dir_a, dir_b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let name = format!("t{run}");
    let _stream = Stream {
        url: nats.clone(),
        name: name.clone(),
    };
    write_node(
        dir_a.path(),
        &format!("a-{run}"),
        &pg,
        &schema.name,
        &nats,
        &name,
    );
    write_node(
        dir_b.path(),
        &format!("b-{run}"),
        &pg,
        &schema.name,
        &nats,
        &name,
    );
    // One after the other: the first creates the schema's tables.
    let (a, base_a) = serve(dir_a.path());
    let (_b, base_b) = serve(dir_b.path());
    let http = Client::builder()
        .timeout(Duration::from_secs(120))
        .build()
        .unwrap();
    let live_b = stream_lines(&http, &base_b);
    let health: serde_json::Value = http
        .get(format!("{base_b}/healthz"))
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(
        (
            &health["status"],
            &health["store"],
            &health["bus"],
            &health["bus_kind"]
        ),
        (&"ok".into(), &"ok".into(), &"ok".into(), &"nats".into()),
        "{health}"
    );

    let sent = Instant::now();
    let outcome = ingest(&http, &base_a, "ws-17");
    assert_eq!(outcome["logged"], true, "through the ingest log: {outcome}");
    let first = next_alarm(&live_b, sent, None);
    println!(
        "alarm on node B's stream {:?} after ingest on A",
        sent.elapsed()
    );

    // A dies without a word: its leases run out and B takes its partitions
    // (with their correlation state from the store).
    drop(a);
    let sent = Instant::now();
    ingest(&http, &base_b, "ws-18");
    next_alarm(&live_b, sent, Some(&first));
    println!(
        "after A died, alarm on B {:?} after ingest on B",
        sent.elapsed()
    );
    let metrics = http
        .get(format!("{base_b}/metrics"))
        .bearer_auth(ADMIN)
        .send()
        .unwrap()
        .text()
        .unwrap();
    assert!(
        metrics.contains(&format!(",node=\"b-{run}\"}} 1")),
        "B holds partitions: {metrics}"
    );
    assert!(metrics.contains("vigil_ingest_log_lag"), "{metrics}");
}

/// Sends one credential-dumping event from `host` to `base`'s ingest.
fn ingest(http: &Client, base: &str, host: &str) -> serde_json::Value {
    let line = format!(
        r#"{{"Channel":"Microsoft-Windows-Sysmon/Operational","EventID":1,"Hostname":"{host}","CommandLine":"m.exe sekurlsa::logonpasswords exit","@timestamp":"{}T10:00:00.000Z"}}"#,
        common::day()
    );
    let resp = http
        .post(format!("{base}/api/v1/ingest"))
        .bearer_auth(INGEST)
        .body(format!("{line}\n"))
        .send()
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    resp.json().unwrap()
}

/// The id of the next alarm on `live` other than `except`, waiting generously.
fn next_alarm(live: &mpsc::Receiver<String>, since: Instant, except: Option<&str>) -> String {
    let limit = Duration::from_secs(90);
    let mut seen = Vec::new();
    let mut alarm = false;
    loop {
        let left = limit.saturating_sub(since.elapsed());
        match live.recv_timeout(left) {
            Ok(line) if line == "event: alarm" => alarm = true,
            Ok(line) if alarm && line.starts_with("data:") => {
                alarm = false;
                let data: serde_json::Value =
                    serde_json::from_str(line.trim_start_matches("data:").trim()).unwrap();
                let id = data["id"].as_str().unwrap_or_default().to_owned();
                if Some(id.as_str()) != except {
                    return id;
                }
            }
            Ok(line) => seen.push(line),
            Err(_) => panic!(
                "no alarm on node B's stream within {limit:?}; it sent:\n{}",
                seen.join("\n")
            ),
        }
    }
}

#[test]
fn serve_with_nats_unreachable_retries_then_fails_naming_the_server() {
    let (Some(pg), Some(_)) = (
        env_url("VIGIL_TEST_POSTGRES_URL"),
        env_url("VIGIL_TEST_NATS_URL"),
    ) else {
        return;
    };
    let run = format!("{:016x}", rand::random::<u64>());
    let schema = Schema {
        url: pg.clone(),
        name: format!("vigil_cluster_{run}"),
    };
    // A port nobody listens on: bind one, learn it, free it.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let dir = tempfile::tempdir().unwrap();
    let nats = format!("nats://vigil:secret@127.0.0.1:{port}");
    write_node(
        dir.path(),
        "a",
        &pg,
        &schema.name,
        &nats,
        &format!("t{run}"),
    );
    let started = Instant::now();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_vigil"))
        .args(["serve", "--config", "vigil.toml"])
        .current_dir(dir.path())
        .env("VIGIL_LOG", "warn")
        .output()
        .expect("run vigil serve");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "NATS is unreachable at nats://vigil:***@127.0.0.1:{port} after 8 attempts"
        )),
        "{stderr}"
    );
    assert!(
        stderr.contains("retrying in"),
        "each retry is said: {stderr}"
    );
    assert!(!stderr.contains("secret"), "{stderr}");
    // Retried with backoff, not given up at once.
    assert!(
        started.elapsed() > Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
}
