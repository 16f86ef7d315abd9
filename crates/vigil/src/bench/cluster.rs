//! `vigil bench cluster`: several `vigil serve` nodes on this machine,
//! sharing NATS (one server, or three in a cluster with stream replicas 3)
//! and a PostgreSQL schema of the run's own (dropped after). For 1, 2 and
//! 3 nodes it prints:
//!
//! - events/s: NDJSON batches posted round-robin to every node, measured
//!   twice — until every batch was acknowledged (held by the JetStream
//!   ingest log) and until every event was in PostgreSQL (applied by the
//!   partitions' consumers);
//! - ingest to alarm: a probe event sent to one node, until its alarm
//!   appears on the live stream (`/api/v1/stream`) of another node, p50 and
//!   p99;
//! - with two nodes or more, partition takeover: the node holding most
//!   partitions is killed with SIGKILL, and the time until every partition
//!   is held by a survivor, and until a probe's alarm shows on a survivor's
//!   stream, is measured from the kill.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration as StdDuration, Instant};

use anyhow::{Context, bail};
use vigil_server::auth::{hash_token, new_token};

use super::cluster_procs::{Db, Nats, NodeProcess};
use super::ms;

/// `vigil bench cluster` options.
#[derive(Debug, clap::Args)]
pub struct ClusterArgs {
    /// PostgreSQL the nodes share; the run makes a schema of its own there
    /// and drops it at the end.
    #[arg(long, env = "VIGIL_BENCH_POSTGRES_URL")]
    postgres: String,
    /// NATS servers to start: 3 (a cluster, stream replicas 3, as in
    /// production) or 1 (one server, one copy).
    #[arg(long, default_value_t = 3)]
    nats_servers: usize,
    /// The `nats-server` binary.
    #[arg(long, default_value = "nats-server")]
    nats_server: PathBuf,
    /// Node counts to measure, in turn.
    #[arg(long, value_delimiter = ',', default_values_t = [1usize, 2, 3])]
    nodes: Vec<usize>,
    /// Events sent for each node count.
    #[arg(long, default_value_t = 100_000)]
    events: usize,
    /// Events per HTTP request.
    #[arg(long, default_value_t = 100)]
    batch: usize,
    /// Concurrent HTTP clients.
    #[arg(long, default_value_t = 8)]
    connections: usize,
    /// Client tenants the events are spread over (each its own partition
    /// of the ingest log as far as the hash spreads them).
    #[arg(long, default_value_t = 8)]
    tenants: usize,
    /// Ingest log partitions.
    #[arg(long, default_value_t = 8)]
    partitions: u32,
    /// Probe events for the ingest-to-alarm latency.
    #[arg(long, default_value_t = 40)]
    probes: usize,
}

/// The rule the probes match (and nothing else does).
const PROBE_RULE: &str = r#"
title: Bench probe
id: 0b3c9a4e-9d51-4c1e-8f7a-6a2d3c4b5e61
status: test
level: high
logsource:
  product: windows
  category: process_creation
detection:
  selection:
    CommandLine|contains: 'vigil-bench-probe'
  condition: selection
"#;

/// What one node count measured.
struct Row {
    nodes: usize,
    acked: StdDuration,
    applied: StdDuration,
    held: String,
    latencies: Vec<StdDuration>,
    takeover: Option<(StdDuration, StdDuration)>,
}

/// Runs the benchmark.
pub async fn run(args: ClusterArgs) -> anyhow::Result<()> {
    if !matches!(args.nats_servers, 1 | 3) {
        bail!("--nats-servers must be 1 or 3");
    }
    if args.nodes.is_empty() || args.nodes.iter().any(|n| !(1..=8).contains(n)) {
        bail!("--nodes takes node counts from 1 to 8, e.g. 1,2,3");
    }
    let dir = super::tempfile_dir()?;
    let nats = Nats::start(&args.nats_server, args.nats_servers, dir.path()).await?;
    eprintln!(
        "bench cluster: NATS {} on this machine; PostgreSQL {}",
        if args.nats_servers == 3 {
            "three servers in a cluster, ingest stream replicas 3"
        } else {
            "one server, ingest stream replicas 1"
        },
        vigil_store::postgres::redact_url(&args.postgres)
    );
    let run = format!("{:08x}", rand::random::<u32>());
    let mut rows = Vec::new();
    for &count in &args.nodes {
        let schema = format!("vigil_bench_{run}_{count}");
        let db = Db::connect(&args.postgres, &schema).await?;
        let outcome = measure(&args, &nats, &dir, &run, count, &schema, &db).await;
        let dropped = db.drop_schema(&schema).await;
        let deployment = format!("bench{run}n{count}");
        if let Ok(client) = vigil_nats::connect(&nats.urls(), "bench", &Default::default()).await {
            let _ = vigil_nats::JetStreamLog::delete(client, &deployment).await;
        }
        rows.push(outcome?);
        dropped?;
    }
    print(&args, &rows);
    Ok(())
}

/// Tokens: tenant `t<i>`'s ingest token for each load tenant, then the
/// probe tenant's, then the admin's.
struct Tokens {
    tenants: Vec<String>,
    probe: String,
    admin: String,
}

fn write_config(
    dir: &std::path::Path,
    args: &ClusterArgs,
    nats: &str,
    node: &str,
    deployment: &str,
    schema: &str,
    tokens: &Tokens,
) -> anyhow::Result<()> {
    let rules = dir.join("rules");
    std::fs::create_dir_all(&rules)?;
    std::fs::write(rules.join("probe.yml"), PROBE_RULE)?;
    let mut config = format!(
        r#"data_dir = "data"
listen = "127.0.0.1:0"
builtin_rules = true
rules = ["rules"]

[store]
url = "{pg}"
schema = "{schema}"

[bus]
url = "{nats}"
node = "{node}"
name = "{deployment}"
partitions = {partitions}
replicas = {replicas}

[[tokens]]
name = "admin"
role = "provider_admin"
token_sha256 = "{admin}"
"#,
        pg = args.postgres,
        partitions = args.partitions,
        replicas = args.nats_servers,
        admin = hex::encode(hash_token(&tokens.admin)),
    );
    let tenants = tokens
        .tenants
        .iter()
        .enumerate()
        .map(|(i, t)| (format!("t{i}"), t))
        .chain([("probe".to_owned(), &tokens.probe)]);
    for (tenant, token) in tenants {
        config.push_str(&format!(
            r#"
[[tenants]]
id = "{tenant}"
name = "Bench {tenant}"

[[sources]]
id = "{tenant}-windows"
tenant = "{tenant}"
kind = "http"
product = "windows"
token_sha256 = "{hash}"
"#,
            hash = hex::encode(hash_token(token))
        ));
    }
    std::fs::write(dir.join("vigil.toml"), config)?;
    Ok(())
}

async fn measure(
    args: &ClusterArgs,
    nats: &Nats,
    dir: &tempfile::TempDir,
    run: &str,
    count: usize,
    schema: &str,
    db: &Db,
) -> anyhow::Result<Row> {
    let tokens = Tokens {
        tenants: (0..args.tenants.max(1)).map(|_| new_token()).collect(),
        probe: new_token(),
        admin: new_token(),
    };
    let deployment = format!("bench{run}n{count}");
    let mut nodes = Vec::new();
    // One after the other: the first makes the schema's tables.
    for i in 0..count {
        let name = format!("bench-{count}-{i}");
        let node_dir = dir.path().join(&name);
        std::fs::create_dir_all(&node_dir)?;
        write_config(
            &node_dir,
            args,
            &nats.urls(),
            &name,
            &deployment,
            schema,
            &tokens,
        )?;
        nodes.push(NodeProcess::start(&node_dir, &name).await?);
    }
    let http = reqwest::Client::builder()
        .timeout(StdDuration::from_secs(60))
        .build()?;
    let held = holders_by_node(db).await?;

    let (acked, applied) = throughput(args, &http, &nodes, &tokens, db).await?;
    eprintln!(
        "  {count} node(s): {} events acknowledged in {:.1}s, applied in {:.1}s",
        args.events,
        acked.as_secs_f64(),
        applied.as_secs_f64()
    );

    // The console watching on the last node, probes sent to each in turn.
    let watcher = nodes.last().context("at least one node")?;
    let mut stream = AlarmStream::open(&watcher.base, &tokens.admin).await?;
    let mut latencies = Vec::new();
    for i in 0..args.probes {
        let node = &nodes[i % nodes.len()];
        let sent = Instant::now();
        probe(&http, &node.base, &tokens.probe, &format!("probe-{i}")).await?;
        stream
            .next_probe_alarm(StdDuration::from_secs(60))
            .await
            .with_context(|| format!("probe {i}: {}", watcher.log_tail()))?;
        latencies.push(sent.elapsed());
    }

    let takeover = if count >= 2 {
        Some(takeover(&http, &mut nodes, &tokens, db).await?)
    } else {
        None
    };
    for node in &mut nodes {
        node.kill().await;
    }
    Ok(Row {
        nodes: count,
        acked,
        applied,
        held,
        latencies,
        takeover,
    })
}

/// "node: partitions held" for each node holding any.
async fn holders_by_node(db: &Db) -> anyhow::Result<String> {
    let mut by: std::collections::BTreeMap<String, usize> = Default::default();
    for (_, holder) in db.holders().await? {
        *by.entry(holder).or_default() += 1;
    }
    Ok(by
        .iter()
        .map(|(n, c)| format!("{}:{c}", n.rsplit('-').next().unwrap_or(n)))
        .collect::<Vec<_>>()
        .join(" "))
}

/// One synthetic process-creation line, unique by `n`.
fn line(n: usize, now: &str) -> String {
    serde_json::json!({
        "Channel": "Microsoft-Windows-Sysmon/Operational",
        "EventID": 1,
        "Hostname": format!("ws-{}", n % 500),
        "User": format!("CORP\\u{}", n % 200),
        "Image": "C:\\Windows\\System32\\cmd.exe",
        "ParentImage": "C:\\Windows\\explorer.exe",
        "CommandLine": format!("cmd.exe /c echo bench {n}"),
        "@timestamp": now,
        "bench_seq": n,
    })
    .to_string()
}

/// Posts `args.events` events in batches, round-robin over the nodes, and
/// returns how long until all were acknowledged, and until all were stored.
async fn throughput(
    args: &ClusterArgs,
    http: &reqwest::Client,
    nodes: &[NodeProcess],
    tokens: &Tokens,
    db: &Db,
) -> anyhow::Result<(StdDuration, StdDuration)> {
    let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let batch = args.batch.max(1);
    let requests = args.events.div_ceil(batch);
    let bases: Arc<Vec<String>> = Arc::new(nodes.iter().map(|n| n.base.clone()).collect());
    let tenant_tokens = Arc::new(tokens.tenants.clone());
    let next = Arc::new(AtomicUsize::new(0));
    let before = db.events().await.unwrap_or(0);
    let started = Instant::now();
    let mut clients = Vec::new();
    for _ in 0..args.connections.max(1) {
        let (http, bases, tokens, next, now) = (
            http.clone(),
            bases.clone(),
            tenant_tokens.clone(),
            next.clone(),
            now.clone(),
        );
        let total = args.events;
        clients.push(tokio::spawn(async move {
            loop {
                let r = next.fetch_add(1, Ordering::Relaxed);
                if r >= requests {
                    return Ok::<_, anyhow::Error>(());
                }
                let body: String = (r * batch..((r + 1) * batch).min(total))
                    .map(|n| line(n, &now) + "\n")
                    .collect();
                let token = &tokens[r % tokens.len()];
                // A refusal is sent again, to the next node.
                let mut attempt = 0;
                loop {
                    let base = &bases[(r + attempt) % bases.len()];
                    let answer = http
                        .post(format!("{base}/api/v1/ingest"))
                        .bearer_auth(token)
                        .body(body.clone())
                        .send()
                        .await;
                    match answer {
                        Ok(a) if a.status().is_success() => break,
                        Ok(a) if attempt > 20 => bail!("ingest answered {}", a.status()),
                        Err(e) if attempt > 20 => bail!("ingest failed: {e}"),
                        _ => attempt += 1,
                    }
                    tokio::time::sleep(StdDuration::from_millis(100)).await;
                }
            }
        }));
    }
    for client in clients {
        client.await.context("a bench client failed")??;
    }
    let acked = started.elapsed();
    let want = before + args.events as i64;
    loop {
        if db.events().await? >= want {
            break;
        }
        if started.elapsed() > StdDuration::from_secs(1800) {
            bail!("the events were not all applied within 30 minutes");
        }
        tokio::time::sleep(StdDuration::from_millis(100)).await;
    }
    Ok((acked, started.elapsed()))
}

/// Sends one probe event (an alarm of its own) from `host`.
async fn probe(http: &reqwest::Client, base: &str, token: &str, host: &str) -> anyhow::Result<()> {
    let body = serde_json::json!({
        "Channel": "Microsoft-Windows-Sysmon/Operational",
        "EventID": 1,
        "Hostname": host,
        "CommandLine": "vigil-bench-probe.exe --alarm",
        "@timestamp": chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
    })
    .to_string();
    for attempt in 0.. {
        let answer = http
            .post(format!("{base}/api/v1/ingest"))
            .bearer_auth(token)
            .body(body.clone() + "\n")
            .send()
            .await;
        match answer {
            Ok(a) if a.status().is_success() => return Ok(()),
            Ok(a) if attempt > 50 => bail!("the probe was answered {}", a.status()),
            Err(e) if attempt > 50 => bail!("the probe failed: {e}"),
            _ => tokio::time::sleep(StdDuration::from_millis(100)).await,
        }
    }
    Ok(())
}

/// Kills the node holding most partitions; returns the time until every
/// partition is held by a survivor, and until a probe sent to a survivor
/// after the kill raised an alarm on a survivor's live stream.
async fn takeover(
    http: &reqwest::Client,
    nodes: &mut [NodeProcess],
    tokens: &Tokens,
    db: &Db,
) -> anyhow::Result<(StdDuration, StdDuration)> {
    let holders = db.holders().await?;
    let victim = (0..nodes.len())
        .max_by_key(|i| holders.iter().filter(|(_, h)| *h == nodes[*i].name).count())
        .context("a node")?;
    let survivor = (victim + 1) % nodes.len();
    let mut stream = AlarmStream::open(&nodes[survivor].base, &tokens.admin).await?;
    let dead = nodes[victim].name.clone();
    nodes[victim].kill().await;
    let killed = Instant::now();
    let base = nodes[survivor].base.clone();
    let alarm = async {
        probe(http, &base, &tokens.probe, "probe-after-kill").await?;
        stream.next_probe_alarm(StdDuration::from_secs(180)).await?;
        Ok::<_, anyhow::Error>(killed.elapsed())
    };
    let moved = async {
        loop {
            let holders = db.holders().await?;
            if !holders.is_empty() && holders.iter().all(|(_, h)| *h != dead) {
                return Ok::<_, anyhow::Error>(killed.elapsed());
            }
            if killed.elapsed() > StdDuration::from_secs(180) {
                bail!("the dead node's partitions did not move within 3 minutes");
            }
            tokio::time::sleep(StdDuration::from_millis(100)).await;
        }
    };
    let (moved, alarm) = tokio::try_join!(moved, alarm)?;
    Ok((moved, alarm))
}

/// A node's live stream, read for the probe tenant's new alarms.
struct AlarmStream {
    response: reqwest::Response,
    pending: String,
    seen: std::collections::HashSet<String>,
}

impl AlarmStream {
    async fn open(base: &str, admin: &str) -> anyhow::Result<AlarmStream> {
        // A client of its own: the stream stays open for the whole run, so
        // it has no overall timeout.
        let response = reqwest::Client::new()
            .get(format!("{base}/api/v1/stream"))
            .bearer_auth(admin)
            .send()
            .await?
            .error_for_status()?;
        Ok(AlarmStream {
            response,
            pending: String::new(),
            seen: Default::default(),
        })
    }

    /// Waits for an alarm of the probe tenant not seen before.
    async fn next_probe_alarm(&mut self, limit: StdDuration) -> anyhow::Result<()> {
        let deadline = Instant::now() + limit;
        loop {
            while let Some(end) = self.pending.find("\n\n") {
                let message: String = self.pending.drain(..end + 2).collect();
                if !message.lines().any(|l| l == "event: alarm") {
                    continue;
                }
                let Some(data) = message.lines().find_map(|l| l.strip_prefix("data:")) else {
                    continue;
                };
                let entry: serde_json::Value =
                    serde_json::from_str(data.trim()).unwrap_or_default();
                if entry["tenant"] == "probe"
                    && let Some(id) = entry["id"].as_str()
                    && self.seen.insert(id.to_owned())
                {
                    return Ok(());
                }
            }
            let left = deadline.saturating_duration_since(Instant::now());
            match tokio::time::timeout(left, self.response.chunk()).await {
                Ok(Ok(Some(chunk))) => self
                    .pending
                    .push_str(&String::from_utf8_lossy(&chunk).replace('\r', "")),
                Ok(Ok(None)) => bail!("the live stream ended"),
                Ok(Err(e)) => bail!("the live stream failed: {e}"),
                Err(_) => bail!("no alarm on the live stream within {limit:?}"),
            }
        }
    }
}

fn percentile(sorted: &[StdDuration], p: f64) -> StdDuration {
    if sorted.is_empty() {
        return StdDuration::ZERO;
    }
    let i = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[i]
}

fn print(args: &ClusterArgs, rows: &[Row]) {
    println!("vigil bench cluster — {}", super::machine());
    println!(
        "NATS: {}; {} events per node count in batches of {}, {} clients, {} tenants, {} partitions",
        if args.nats_servers == 3 {
            "3 servers (cluster, stream replicas 3)"
        } else {
            "1 server (replicas 1)"
        },
        args.events,
        args.batch,
        args.connections,
        args.tenants,
        args.partitions
    );
    println!(
        "{:>5}  {:>12}  {:>12}  {:>18}  {:>13}  {:>13}  {:>16}  {:>16}",
        "nodes",
        "acked ev/s",
        "stored ev/s",
        "partitions held",
        "alarm p50 ms",
        "alarm p99 ms",
        "takeover s",
        "alarm after kill s"
    );
    for row in rows {
        let mut sorted = row.latencies.clone();
        sorted.sort();
        let (moved, alarm) = row
            .takeover
            .map(|(m, a)| {
                (
                    format!("{:.1}", m.as_secs_f64()),
                    format!("{:.1}", a.as_secs_f64()),
                )
            })
            .unwrap_or(("-".into(), "-".into()));
        println!(
            "{:>5}  {:>12.0}  {:>12.0}  {:>18}  {:>13.1}  {:>13.1}  {:>16}  {:>16}",
            row.nodes,
            args.events as f64 / row.acked.as_secs_f64().max(1e-9),
            args.events as f64 / row.applied.as_secs_f64().max(1e-9),
            row.held,
            ms(percentile(&sorted, 0.50)),
            ms(percentile(&sorted, 0.99)),
            moved,
            alarm,
        );
    }
}
