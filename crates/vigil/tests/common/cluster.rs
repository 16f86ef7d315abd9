//! Helpers for the tests that run several nodes: the services they share
//! (a PostgreSQL schema, a JetStream deployment, a NATS cluster of their
//! own), each node's configuration, and reading a node's live stream.
//! Everything a test starts or makes is ended or dropped by a guard,
//! whatever the outcome.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use reqwest::blocking::Client;

use super::{Vigil, sha256_hex};

/// The bearer token of the provider admin every cluster test configures.
pub const ADMIN: &str = "vgl_test_admin_token_0123456789";
/// The bearer token of tenant `alpha`'s HTTP source.
pub const INGEST: &str = "vgl_test_ingest_a_token_0123456789";

/// A Sigma rule that fires on every credential-dumping command line.
pub const RULE: &str = r#"
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

/// The URL in `var`; `None` (saying the test is skipped) when it is not
/// set, a panic under `CI=true`, where every service is there.
pub fn env_url(var: &str) -> Option<String> {
    match std::env::var(var) {
        Ok(url) if !url.is_empty() => Some(url),
        _ if std::env::var("CI").is_ok_and(|v| v == "true") => {
            panic!("{var} is not set but CI=true: the cluster tests must run")
        }
        _ => {
            println!("skipped: {var} is not set");
            None
        }
    }
}

/// A port free right now (the OS picks it; the process under test binds it next).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

/// A random name for one run, so that runs sharing a server never meet.
pub fn run_id() -> String {
    format!("{:016x}", rand::random::<u64>())
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime")
}

/// A connection to PostgreSQL for checking what the nodes stored, with its
/// own runtime so that blocking tests can use it.
pub struct Pg {
    rt: tokio::runtime::Runtime,
    client: tokio_postgres::Client,
}

impl Pg {
    /// Connects to `url`, reading `schema` first when given.
    pub fn connect(url: &str, schema: Option<&str>) -> Pg {
        let rt = runtime();
        let client = rt.block_on(async {
            let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls)
                .await
                .expect("connect to PostgreSQL");
            tokio::spawn(connection);
            if let Some(schema) = schema {
                client
                    .batch_execute(&format!("SET search_path TO {schema}"))
                    .await
                    .expect("set the search path");
            }
            client
        });
        Pg { rt, client }
    }

    /// Runs one SQL batch.
    pub fn execute(&self, sql: &str) {
        self.rt
            .block_on(self.client.batch_execute(sql))
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
    }

    /// The rows of `sql`, or the error (a table the nodes have not made yet).
    pub fn query(&self, sql: &str) -> Result<Vec<tokio_postgres::Row>, tokio_postgres::Error> {
        self.rt.block_on(self.client.query(sql, &[]))
    }
}

/// Drops the test's schema when the test ends, passed or not.
pub struct Schema {
    /// The PostgreSQL URL.
    pub url: String,
    /// The schema's name.
    pub name: String,
}

impl Schema {
    /// A schema named after `run` (made by the first node that starts).
    pub fn new(url: &str, run: &str) -> Schema {
        Schema {
            url: url.to_owned(),
            name: format!("vigil_cluster_{run}"),
        }
    }
}

impl Drop for Schema {
    fn drop(&mut self) {
        Pg::connect(&self.url, None)
            .execute(&format!("DROP SCHEMA IF EXISTS {} CASCADE", self.name));
    }
}

/// Deletes the test's JetStream stream when the test ends, passed or not.
pub struct Stream {
    /// The NATS URL(s).
    pub url: String,
    /// The deployment's name.
    pub name: String,
}

impl Drop for Stream {
    fn drop(&mut self) {
        runtime().block_on(async {
            let settings = vigil_nats::ConnectSettings {
                attempts: 2,
                backoff: Duration::from_millis(100),
            };
            if let Ok(client) = vigil_nats::connect(&self.url, "e2e-cleanup", &settings).await {
                let _ = vigil_nats::JetStreamLog::delete(client, &self.name).await;
            }
        });
    }
}

/// One node's settings beyond the shared ones.
pub struct NodeConfig<'a> {
    /// The node's name on the bus.
    pub node: &'a str,
    /// The PostgreSQL URL.
    pub pg: &'a str,
    /// The schema every node shares.
    pub schema: &'a str,
    /// The NATS URL(s), comma separated.
    pub nats: &'a str,
    /// The deployment's name on NATS.
    pub name: &'a str,
    /// Ingest log partitions.
    pub partitions: u32,
    /// JetStream copies of each batch.
    pub replicas: usize,
    /// More TOML appended (sources of the node's own).
    pub extra: &'a str,
}

/// Writes a node's folder: its own data folder, the shared store and bus,
/// tenant `alpha` with its HTTP source, the admin token and [`RULE`].
pub fn write_node(dir: &Path, c: &NodeConfig<'_>) {
    let rules = dir.join("rules");
    std::fs::create_dir_all(&rules).expect("the rules folder");
    std::fs::write(rules.join("dumping.yml"), RULE).expect("the rule");
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
partitions = {partitions}
replicas = {replicas}

[[tenants]]
id = "alpha"
name = "Alpha Water"
sites = [{{ id = "hq", name = "Head office" }}]

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
{extra}
"#,
        pg = c.pg,
        schema = c.schema,
        nats = c.nats,
        node = c.node,
        name = c.name,
        partitions = c.partitions,
        replicas = c.replicas,
        extra = c.extra,
        ingest = sha256_hex(INGEST),
        admin = sha256_hex(ADMIN),
    );
    std::fs::write(dir.join("vigil.toml"), config).expect("vigil.toml");
}

/// Starts `vigil serve` in `dir` and returns it with its base URL.
pub fn serve(dir: &Path) -> (Vigil, String) {
    let mut vigil = Vigil::start(dir, &["serve", "--config", "vigil.toml"]);
    let line = vigil.wait_for_line("vigil serving on", Duration::from_secs(120));
    let addr = line.rsplit(' ').next().unwrap_or_default().to_owned();
    (vigil, addr)
}

/// Lines of `base`'s live stream, read on a thread of their own.
pub fn stream_lines(http: &Client, base: &str) -> mpsc::Receiver<String> {
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

/// The ids of alarms on `live` (the `data:` of each `event: alarm`) until
/// `want` says it has what it waits for, or `limit` from `since` passes.
pub fn wait_for_alarm(
    live: &mpsc::Receiver<String>,
    since: Instant,
    limit: Duration,
    mut want: impl FnMut(&serde_json::Value) -> bool,
) -> Result<serde_json::Value, Vec<String>> {
    let mut seen = Vec::new();
    let mut alarm = false;
    loop {
        let left = limit.saturating_sub(since.elapsed());
        match live.recv_timeout(left) {
            Ok(line) if line == "event: alarm" => alarm = true,
            Ok(line) if alarm && line.starts_with("data:") => {
                alarm = false;
                let data: serde_json::Value =
                    serde_json::from_str(line.trim_start_matches("data:").trim())
                        .unwrap_or_default();
                if want(&data) {
                    return Ok(data);
                }
                seen.push(line);
            }
            Ok(line) => seen.push(line),
            Err(_) => return Err(seen),
        }
    }
}

/// One `nats-server` of a [`NatsCluster`], killed when dropped.
pub struct NatsServer {
    child: Option<Child>,
    /// Its client port.
    pub port: u16,
    /// Its monitoring port.
    pub monitor: u16,
}

impl NatsServer {
    /// Kills it at once (SIGKILL), as a crashed machine would stop.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Whether it still runs.
    pub fn alive(&self) -> bool {
        self.child.is_some()
    }
}

impl Drop for NatsServer {
    fn drop(&mut self) {
        self.kill();
    }
}

/// NATS servers of the test's own, clustered with routes and JetStream on
/// each, in a temporary folder removed when dropped.
pub struct NatsCluster {
    /// The servers, in start order.
    pub servers: Vec<NatsServer>,
    _dir: tempfile::TempDir,
}

/// Where `nats-server` is: `VIGIL_TEST_NATS_SERVER`, else on the path.
fn nats_server_binary() -> PathBuf {
    std::env::var_os("VIGIL_TEST_NATS_SERVER")
        .map(PathBuf::from)
        .unwrap_or_else(|| "nats-server".into())
}

impl NatsCluster {
    /// Starts `n` servers routed to each other (cluster `name`) and waits
    /// until their JetStream has a meta leader and every server is current.
    pub fn start(n: usize, name: &str) -> NatsCluster {
        let dir = tempfile::tempdir().expect("a folder for NATS");
        let routes: Vec<u16> = (0..n).map(|_| free_port()).collect();
        let route_urls = routes
            .iter()
            .map(|p| format!("nats://127.0.0.1:{p}"))
            .collect::<Vec<_>>()
            .join(",");
        let mut servers = Vec::new();
        for (i, route) in routes.iter().enumerate() {
            let (port, monitor) = (free_port(), free_port());
            let store = dir.path().join(format!("n{i}"));
            let mut args = vec![
                "-a".to_owned(),
                "127.0.0.1".into(),
                "-p".into(),
                port.to_string(),
                "-m".into(),
                monitor.to_string(),
                "-n".into(),
                format!("{name}-n{i}"),
                "-js".into(),
                "-sd".into(),
                store.display().to_string(),
            ];
            if n > 1 {
                args.extend([
                    "--cluster_name".into(),
                    name.to_owned(),
                    "--cluster".into(),
                    format!("nats://127.0.0.1:{route}"),
                    "--routes".into(),
                    route_urls.clone(),
                ]);
            }
            let log = std::fs::File::create(dir.path().join(format!("n{i}.log")))
                .expect("a NATS log file");
            let child = Command::new(nats_server_binary())
                .args(&args)
                .stdout(Stdio::null())
                .stderr(log)
                .spawn()
                .expect("start nats-server (set VIGIL_TEST_NATS_SERVER to its path)");
            servers.push(NatsServer {
                child: Some(child),
                port,
                monitor,
            });
        }
        let cluster = NatsCluster { servers, _dir: dir };
        cluster.wait_ready(Duration::from_secs(60));
        cluster
    }

    /// The client URLs of the servers still running, comma separated.
    pub fn urls(&self) -> String {
        self.servers
            .iter()
            .map(|s| format!("nats://127.0.0.1:{}", s.port))
            .collect::<Vec<_>>()
            .join(",")
    }

    /// Waits until every running server's JetStream knows a meta leader.
    pub fn wait_ready(&self, limit: Duration) {
        let http = Client::builder()
            .timeout(Duration::from_secs(5))
            .build()
            .expect("an HTTP client");
        let started = Instant::now();
        loop {
            let ready = self.servers.iter().filter(|s| s.alive()).all(|s| {
                http.get(format!("http://127.0.0.1:{}/jsz", s.monitor))
                    .send()
                    .and_then(|r| r.json::<serde_json::Value>())
                    .is_ok_and(|jsz| {
                        self.servers.len() == 1
                            || jsz["meta_cluster"]["leader"]
                                .as_str()
                                .is_some_and(|l| !l.is_empty())
                    })
            });
            if ready {
                return;
            }
            assert!(
                started.elapsed() < limit,
                "the NATS cluster has no JetStream leader within {limit:?}"
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// `stream` as the first running server reports it (state, consumers).
    pub fn stream_detail(&self, stream: &str) -> Option<serde_json::Value> {
        let server = self.servers.iter().find(|s| s.alive())?;
        let jsz: serde_json::Value = reqwest::blocking::get(format!(
            "http://127.0.0.1:{}/jsz?accounts=true&streams=true&consumers=true&config=true",
            server.monitor
        ))
        .ok()?
        .json()
        .ok()?;
        jsz["account_details"]
            .as_array()?
            .iter()
            .flat_map(|a| a["stream_detail"].as_array().cloned().unwrap_or_default())
            .find(|s| s["name"] == stream)
    }

    /// Messages in `stream` as the first running server reports it.
    pub fn stream_messages(&self, stream: &str) -> Option<u64> {
        self.stream_detail(stream)?["state"]["messages"].as_u64()
    }
}
