//! `vigil bench`: throughput figures, printed (never asserted by tests).

mod cluster;
mod cluster_procs;
mod dc09;
mod hunt;
mod sla;
mod triage;

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration as StdDuration, Instant};

use anyhow::{Context, bail};
use clap::Subcommand;
use vigil_model::{SourceBinding, SourceId, SourceKind, SystemClock, Tenant, TenantId};
use vigil_server::auth::{hash_token, new_token};
use vigil_sim::{Payload as SimPayload, Simulator, World};

use crate::config::Resolved;
use crate::node::{Node, NodeSpec};

/// `vigil bench …`
#[derive(Debug, Subcommand)]
pub enum BenchCommand {
    /// SIA DC-09 frames over TCP, each ACKed once durable: frames/s and ACK
    /// latency percentiles, and a check that every ACKed frame is stored.
    Dc09 {
        /// Frames to send in all.
        #[arg(long, default_value_t = 200_000)]
        frames: usize,
        /// Panels sending at once (one TCP connection and account each).
        #[arg(long, default_value_t = 256)]
        connections: usize,
        /// Encrypt the frames (AES-128).
        #[arg(long)]
        encrypted: bool,
        /// The SIA event code the frames carry: `RP` automatic test reports
        /// (stored, no alert: the bulk of a receiving centre's traffic) or
        /// `BA` burglary, where every frame also updates an alert.
        #[arg(long, default_value = "RP")]
        code: String,
        /// Open loop: offer this many frames per second in all, spread
        /// evenly over the connections, and measure each ACK from the
        /// frame's scheduled send time. Without it, closed loop (each panel
        /// sends as soon as its last frame is ACKed: peak throughput).
        #[arg(long)]
        rate: Option<f64>,
    },
    /// A simulated month of three clients through detection, triage and
    /// simulated analysts: alarm reduction and attacks found, against ground truth.
    Triage(triage::TriageArgs),
    /// Several nodes on this machine (NATS started here, a PostgreSQL
    /// schema of its own): events/s through 1, 2 and 3 nodes, ingest to
    /// alarm on another node's live stream, and partition takeover after a
    /// node is killed.
    Cluster(cluster::ClusterArgs),
    /// Service-level clocks: every open alarm's clocks read again, as the
    /// desk's service-level job does on each pass (100,000 by default).
    Sla(sla::SlaArgs),
    /// `vigil hunt` side by side with a reference engine (rsigma), whole
    /// process, in alternating rounds: wall time, CPU time, peak memory,
    /// events/s and detections of each, and the ratio.
    Hunt(hunt::HuntBenchArgs),
    /// NDJSON over HTTP into the store, with detection on.
    Ingest {
        /// Events to send in all.
        #[arg(long, default_value_t = 500_000)]
        events: usize,
        /// Events per HTTP request.
        #[arg(long, default_value_t = 1_000)]
        batch: usize,
        /// Concurrent HTTP clients.
        #[arg(long, default_value_t = 4)]
        connections: usize,
        /// Sigma rule folder to load rules from.
        #[arg(
            long,
            default_value = "../shared/corpora/sigma/rules/windows/process_creation"
        )]
        rules: PathBuf,
        /// How many of its rules to load (in path order).
        #[arg(long, default_value_t = 100)]
        rule_count: usize,
    },
}

/// Runs `vigil bench …`.
pub async fn run(command: BenchCommand) -> anyhow::Result<()> {
    match command {
        BenchCommand::Ingest {
            events,
            batch,
            connections,
            rules,
            rule_count,
        } => ingest(events, batch.max(1), connections.max(1), &rules, rule_count).await,
        BenchCommand::Dc09 {
            frames,
            connections,
            encrypted,
            code,
            rate,
        } => {
            dc09::run(dc09::Dc09Bench {
                frames,
                connections: connections.clamp(1, 4000),
                encrypted,
                code,
                rate,
            })
            .await
        }
        BenchCommand::Triage(args) => triage::run(args).await,
        BenchCommand::Sla(args) => sla::run(args),
        // Blocking on purpose: it only spawns processes and waits for them.
        BenchCommand::Hunt(args) => hunt::run(args),
        BenchCommand::Cluster(args) => cluster::run(args).await,
    }
}

async fn ingest(
    events: usize,
    batch: usize,
    connections: usize,
    rules: &std::path::Path,
    rule_count: usize,
) -> anyhow::Result<()> {
    if !rules.exists() {
        bail!(
            "rule folder {} not found; run from the project root (the SigmaHQ rules are in ../shared/corpora) or pass --rules",
            rules.display()
        );
    }
    let detector = crate::rules::load_first(rules, rule_count)?;
    let loaded = detector.rule_count();
    let data = tempfile_dir()?;
    let token = new_token();
    let tenant = TenantId::new("bench")?;
    let binding = SourceBinding {
        id: SourceId::new("bench-http")?,
        tenant: tenant.clone(),
        site: None,
        kind: SourceKind::Http,
        product: "windows".into(),
    };
    let node = Node::start(NodeSpec {
        data_dir: data.path().to_path_buf(),
        store: Default::default(),
        tls: None,
        bus: Default::default(),
        listen: "127.0.0.1:0".parse()?,
        retention: Default::default(),
        alert_window: chrono::Duration::hours(1),
        limits: Default::default(),
        resolved: Resolved {
            tenants: vec![(
                Tenant {
                    id: tenant,
                    name: "Bench".into(),
                },
                Vec::new(),
            )],
            sources: vec![
                vigil_sources::ConfiguredSource::new(binding, Some(hash_token(&token)), None)
                    .with_settings(None::<vigil_sources::access::live::AccessConfig>),
            ],
            tokens: Vec::new(),
            plans: Default::default(),
            contracts: Default::default(),
            nis2: Default::default(),
            retention: Default::default(),
            residency: Default::default(),
            response_plans: Default::default(),
            site_images: Vec::new(),
            visitors: Default::default(),
        },
        detector,
        clock: Arc::new(SystemClock),
        desk: Default::default(),
    })
    .await?;

    let bodies = Arc::new(make_bodies(batch)?);
    let line_count: usize = bodies.iter().map(|(_, n)| n).sum::<usize>() / bodies.len().max(1);
    let requests = events.div_ceil(line_count.max(1));
    eprintln!(
        "bench ingest: {requests} requests × ~{line_count} events, {connections} connections, {loaded} rules loaded"
    );
    let url = format!("http://{}/api/v1/ingest", node.http_addr);
    let next = Arc::new(AtomicUsize::new(0));
    let client = reqwest::Client::new();
    let started = Instant::now();
    let mut workers = Vec::new();
    for _ in 0..connections {
        let (bodies, next, client, url, token) = (
            bodies.clone(),
            next.clone(),
            client.clone(),
            url.clone(),
            token.clone(),
        );
        workers.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut sent = 0usize;
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= requests {
                    return Ok::<_, anyhow::Error>((latencies, sent));
                }
                let (body, n) = &bodies[i % bodies.len()];
                let t = Instant::now();
                client
                    .post(&url)
                    .bearer_auth(&token)
                    .body(body.clone())
                    .send()
                    .await?
                    .error_for_status()?;
                latencies.push(t.elapsed());
                sent += n;
            }
        }));
    }
    let mut latencies = Vec::new();
    let mut sent = 0;
    for w in workers {
        let (l, n) = w.await.context("bench client failed")??;
        latencies.extend(l);
        sent += n;
    }
    let elapsed = started.elapsed();
    latencies.sort();
    let pct = |p: f64| -> StdDuration {
        latencies
            .get(((latencies.len() as f64 * p) as usize).min(latencies.len().saturating_sub(1)))
            .copied()
            .unwrap_or_default()
    };
    let alerts = node
        .store
        .alerts(&vigil_store::AlertQuery::all_in(
            vigil_store::TenantScope::All,
            vigil_store::MAX_PAGE_SIZE,
        ))
        .await?
        .items
        .len();
    node.stop().await?;
    let db_bytes: u64 = std::fs::read_dir(data.path())?
        .filter_map(|e| e.ok()?.metadata().ok())
        .map(|m| m.len())
        .sum();
    println!("machine        {}", machine());
    println!("rules loaded   {loaded}");
    println!("events sent    {sent} in {requests} requests of ~{line_count}");
    println!(
        "throughput     {:.0} events/s ({:.2}s)",
        sent as f64 / elapsed.as_secs_f64(),
        elapsed.as_secs_f64()
    );
    println!(
        "request p50    {:.1} ms   p90 {:.1} ms   p99 {:.1} ms   max {:.1} ms",
        ms(pct(0.50)),
        ms(pct(0.90)),
        ms(pct(0.99)),
        ms(latencies.last().copied().unwrap_or_default())
    );
    println!(
        "alerts         {alerts}{}",
        if alerts == vigil_store::MAX_PAGE_SIZE {
            "+"
        } else {
            ""
        }
    );
    println!(
        "store on disk  {:.1} MiB",
        db_bytes as f64 / (1 << 20) as f64
    );
    println!("peak memory    {}", peak_rss());
    Ok(())
}

fn ms(d: StdDuration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// NDJSON bodies of `batch` simulated events each (Windows, firewall-less:
/// the JSON sources), from a few simulated hours of the demo world.
fn make_bodies(batch: usize) -> anyhow::Result<Vec<(Vec<u8>, usize)>> {
    let world = World::generate(7);
    let start = chrono::DateTime::from_timestamp(1_767_225_600, 0).context("start time")?;
    let mut sim = Simulator::new(&world, 7, start);
    let mut lines = Vec::new();
    let mut hour = 0;
    while lines.len() < 50_000 && hour < 24 * 7 {
        hour += 1;
        for e in sim.advance_to(start + chrono::Duration::hours(hour)) {
            if let SimPayload::Json(fields) = e.payload {
                lines.push(serde_json::to_vec(&fields)?);
            }
        }
    }
    if lines.is_empty() {
        bail!("the simulator produced no JSON events");
    }
    Ok(lines
        .chunks(batch)
        .map(|chunk| {
            let mut body = Vec::new();
            for line in chunk {
                body.extend_from_slice(line);
                body.push(b'\n');
            }
            (body, chunk.len())
        })
        .collect())
}

fn tempfile_dir() -> anyhow::Result<tempfile::TempDir> {
    tempfile::Builder::new()
        .prefix("vigil-bench-")
        .tempdir()
        .context("cannot create a temporary folder")
}

/// Peak resident memory of this process (Linux), for the report.
fn peak_rss() -> String {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .map(|l| l.trim_start_matches("VmHWM:").trim().to_owned())
        })
        .unwrap_or_else(|| "unknown".into())
}

/// A line describing the machine, for recording figures.
fn machine() -> String {
    let cpus = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(0);
    let model = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|m| m.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown cpu".into());
    format!("{cpus} cores, {model}")
}
