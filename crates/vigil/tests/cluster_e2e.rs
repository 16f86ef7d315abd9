//! End to end with several nodes: two `vigil serve` processes sharing one
//! PostgreSQL schema and one NATS server (`[store] url`, `[bus] url`). An
//! event ingested over HTTP on node A goes through the JetStream ingest log
//! and makes an alarm appear on node B's live stream; when A dies, B takes
//! over A's partitions and an event sent to B is applied too.
//!
//! Runs when `VIGIL_TEST_POSTGRES_URL` and `VIGIL_TEST_NATS_URL` are set;
//! without them the test says it is skipped, and fails under `CI=true`.

mod common;

use std::path::Path;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use common::cluster::{
    ADMIN, INGEST, NodeConfig, Schema, Stream, env_url, run_id, serve, stream_lines,
    wait_for_alarm, write_node,
};
use reqwest::StatusCode;
use reqwest::blocking::Client;

/// Writes node `node`'s folder: one NATS server, four partitions, one copy.
fn node(dir: &Path, node: &str, pg: &str, schema: &str, nats: &str, name: &str) {
    write_node(
        dir,
        &NodeConfig {
            node,
            pg,
            schema,
            nats,
            name,
            partitions: 4,
            replicas: 1,
            extra: "",
        },
    );
}

#[test]
fn an_event_ingested_on_node_a_raises_an_alarm_on_node_bs_live_stream() {
    let (Some(pg), Some(nats)) = (
        env_url("VIGIL_TEST_POSTGRES_URL"),
        env_url("VIGIL_TEST_NATS_URL"),
    ) else {
        return;
    };
    let run = run_id();
    let schema = Schema::new(&pg, &run);
    let (dir_a, dir_b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let name = format!("t{run}");
    let _stream = Stream {
        url: nats.clone(),
        name: name.clone(),
    };
    node(
        dir_a.path(),
        &format!("a-{run}"),
        &pg,
        &schema.name,
        &nats,
        &name,
    );
    node(
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
    assert_eq!(
        (&outcome["logged"], &outcome["logged_records"]),
        (&true.into(), &1.into()),
        "through the ingest log, one line taken: {outcome}"
    );
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
    match wait_for_alarm(live, since, limit, |a| a["id"].as_str() != except) {
        Ok(alarm) => alarm["id"].as_str().unwrap_or_default().to_owned(),
        Err(seen) => panic!(
            "no alarm on node B's stream within {limit:?}; it sent:\n{}",
            seen.join("\n")
        ),
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
    let run = run_id();
    let schema = Schema::new(&pg, &run);
    // A port nobody listens on: bind one, learn it, free it.
    let port = common::cluster::free_port();
    let dir = tempfile::tempdir().unwrap();
    let nats = format!("nats://vigil:secret@127.0.0.1:{port}");
    node(
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
