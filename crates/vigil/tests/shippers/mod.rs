//! What the shipper-protocol tests (OTLP, Splunk HEC, Elasticsearch bulk)
//! share: a node with one source of each kind and an NDJSON source, the
//! Python client libraries they drive it with, and reading back what was
//! stored and counted.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use reqwest::StatusCode;
use reqwest::blocking::Client;
use serde_json::Value;

use crate::common::{Vigil, sha256_hex};

/// The administrator's API token.
pub const ADMIN: &str = "vgl_ship_admin_token_0123456789";
/// The `otlp` source's token.
pub const OTLP: &str = "vgl_ship_otlp_token_0123456789";
/// The `hec` source's token.
pub const HEC: &str = "vgl_ship_hec_token_0123456789ab";
/// The `bulk` source's token.
pub const BULK: &str = "vgl_ship_bulk_token_0123456789";
/// The NDJSON (`http`) source's token: refused by the others' endpoints.
pub const NDJSON: &str = "vgl_ship_ndjson_token_0123456789";

/// A running node with sources `alpha-otel` (otlp), `alpha-hec` (hec),
/// `alpha-bulk` (bulk), as asked, and `alpha-app` (http), all of tenant
/// `alpha`.
pub struct Node {
    /// The process (killed when dropped).
    pub vigil: Vigil,
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    /// A client with a generous timeout.
    pub http: Client,
    /// The node's folder (kept while the node runs).
    pub dir: tempfile::TempDir,
}

impl Node {
    /// Writes the configuration, with a source of each of `kinds` beside
    /// the NDJSON one, and starts `vigil serve`.
    pub fn start(kinds: &[&str]) -> Node {
        let dir = tempfile::tempdir().expect("temp dir");
        let config = format!(
            r#"
data_dir = "data"
listen = "127.0.0.1:0"
builtin_rules = false
max_ingest_bytes = 1048576

[[tenants]]
id = "alpha"
name = "Alpha Water"

{shippers}[[sources]]
id = "alpha-app"
tenant = "alpha"
kind = "http"
product = "app"
token_sha256 = "{ndjson}"

[[tokens]]
name = "admin"
role = "provider_admin"
token_sha256 = "{admin}"
"#,
            shippers = shippers(kinds),
            ndjson = sha256_hex(NDJSON),
            admin = sha256_hex(ADMIN),
        );
        std::fs::write(dir.path().join("vigil.toml"), config).expect("write vigil.toml");
        Node::start_in(dir)
    }

    /// Kills the node with SIGKILL (no shutdown: nothing is flushed on the
    /// way out) and starts it again on the same data: what it acknowledged
    /// must still be there.
    pub fn killed_and_restarted(self) -> Node {
        let Node { vigil, dir, .. } = self;
        drop(vigil);
        Node::start_in(dir)
    }

    /// Starts `vigil serve` on the `vigil.toml` already in `dir`.
    pub fn start_in(dir: tempfile::TempDir) -> Node {
        let mut vigil = Vigil::start(dir.path(), &["serve", "--config", "vigil.toml"]);
        let line = vigil.wait_for_line("vigil serving on", Duration::from_secs(60));
        let base = line.split_whitespace().last().expect("address").to_owned();
        let http = Client::builder()
            .timeout(Duration::from_secs(30))
            .build()
            .expect("client");
        Node {
            vigil,
            base,
            http,
            dir,
        }
    }

    /// The events stored from `source`, oldest first.
    pub fn events_of(&self, source: &str) -> Vec<Value> {
        let mut out = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let mut url = format!("{}/api/v1/events?limit=1000", self.base);
            if let Some(c) = &cursor {
                url.push_str(&format!("&cursor={c}"));
            }
            let page: Value = self
                .http
                .get(url)
                .bearer_auth(ADMIN)
                .send()
                .expect("events")
                .json()
                .expect("events json");
            for item in page["items"].as_array().expect("items") {
                if item["source"]["id"] == source {
                    out.push(item.clone());
                }
            }
            match page["next_cursor"].as_str() {
                Some(c) => cursor = Some(c.to_owned()),
                None => break,
            }
        }
        out.reverse();
        out
    }

    /// The dead letters kept for `source`.
    pub fn dead_letters_of(&self, source: &str) -> Vec<Value> {
        let page: Value = self
            .http
            .get(format!("{}/api/v1/dead-letters?limit=1000", self.base))
            .bearer_auth(ADMIN)
            .send()
            .expect("dead letters")
            .json()
            .expect("dead letters json");
        page["items"]
            .as_array()
            .expect("items")
            .iter()
            .filter(|d| d["source"] == source)
            .cloned()
            .collect()
    }

    /// `vigil_events_in_total` of `source` (tenant `alpha`), 0 when absent.
    pub fn events_in(&self, source: &str) -> u64 {
        self.counter("vigil_events_in_total", source)
    }

    /// `vigil_events_resent_total` of `source` (tenant `alpha`), 0 when absent.
    pub fn events_resent(&self, source: &str) -> u64 {
        self.counter("vigil_events_resent_total", source)
    }

    /// The counter `name` of `source` (tenant `alpha`), 0 when absent.
    fn counter(&self, name: &str, source: &str) -> u64 {
        let resp = self
            .http
            .get(format!("{}/metrics", self.base))
            .bearer_auth(ADMIN)
            .send()
            .expect("metrics");
        assert_eq!(resp.status(), StatusCode::OK);
        let text = resp.text().expect("metrics text");
        let prefix = format!(r#"{name}{{tenant="alpha",source="{source}"}} "#);
        text.lines()
            .find_map(|l| l.strip_prefix(&prefix))
            .map_or(0, |n| n.trim().parse().expect("a count"))
    }
}

/// The `[[sources]]` entries of the shipper kinds in `kinds`.
fn shippers(kinds: &[&str]) -> String {
    [
        ("otlp", "alpha-otel", "checkout", OTLP),
        ("hec", "alpha-hec", "app", HEC),
        ("bulk", "alpha-bulk", "beats", BULK),
    ]
    .iter()
    .filter(|(kind, ..)| kinds.contains(kind))
    .map(|(kind, id, product, token)| {
        format!(
            "[[sources]]\nid = \"{id}\"\ntenant = \"alpha\"\nkind = \"{kind}\"\n\
             product = \"{product}\"\ntoken_sha256 = \"{}\"\n\n",
            sha256_hex(token)
        )
    })
    .collect()
}

/// Where the test's Python clients are.
pub fn script(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/shippers")
        .join(name)
}

/// Whether `python3` can import `module`; without it the test is skipped
/// (with a message), except under `CI=true`, where `.ci/run` installs it and
/// its absence fails the test.
pub fn python_has(module: &str, package: &str) -> bool {
    let found = Command::new("python3")
        .args(["-c", &format!("import {module}")])
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "{package} is required under CI (pip install {package})"
        );
        println!("skipped: python3 cannot import {module} (pip install {package})");
    }
    found
}

/// Runs `python3 SCRIPT ARGS…` and returns its last line as JSON; fails
/// the test, with what it printed, when it does not succeed.
pub fn run_python(script_name: &str, args: &[&str]) -> Value {
    let out = Command::new("python3")
        .arg(script(script_name))
        .args(args)
        .output()
        .expect("run python3");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "{script_name} failed:\n{stdout}\n{stderr}"
    );
    let last = stdout.lines().last().unwrap_or_default();
    serde_json::from_str(last)
        .unwrap_or_else(|e| panic!("{script_name} printed no JSON ({e}):\n{stdout}\n{stderr}"))
}
