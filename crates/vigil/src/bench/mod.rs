//! `vigil bench`: throughput figures, printed (never asserted by tests).

mod cluster;
mod cluster_procs;
mod dc09;
mod hunt;
mod ingest;
mod sla;
mod triage;

use std::path::PathBuf;
use std::time::Duration as StdDuration;

use anyhow::Context;
use clap::Subcommand;

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
        } => {
            ingest::run(ingest::IngestBench {
                events,
                batch: batch.max(1),
                connections: connections.max(1),
                rules,
                rule_count,
            })
            .await
        }
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

fn ms(d: StdDuration) -> f64 {
    d.as_secs_f64() * 1e3
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
