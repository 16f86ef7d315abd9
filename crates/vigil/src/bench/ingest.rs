//! `vigil bench ingest`: NDJSON over HTTP into the store, detection on —
//! events/s, request latency, and where the time went.
//!
//! The time shares come from the pipeline's own stage timers
//! (`vigil_ingest_stage_seconds_total`: parse, detect, commit, summed over
//! batches) set against the summed latency of the requests, so every run
//! prints them without a profiler; the rest of a request's time is HTTP,
//! the client, and waiting for a core. The CPU each thread used
//! (`/proc/self/task/*/schedstat`) says which one is the limit: the store's
//! writer thread, busy the whole run, is the one serial stage.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration as StdDuration, Instant};

use anyhow::{Context, bail};
use vigil_model::{SourceBinding, SourceId, SourceKind, SystemClock, Tenant, TenantId};
use vigil_server::auth::{hash_token, new_token};
use vigil_sim::{Payload as SimPayload, Simulator, World};

use super::{machine, ms, peak_rss, tempfile_dir};
use crate::config::Resolved;
use crate::node::{Node, NodeSpec};

/// What `vigil bench ingest` was asked for.
pub(super) struct IngestBench {
    /// Events to send in all.
    pub events: usize,
    /// Events per request.
    pub batch: usize,
    /// Concurrent clients.
    pub connections: usize,
    /// The Sigma rule folder.
    pub rules: PathBuf,
    /// How many of its rules to load.
    pub rule_count: usize,
}

/// Runs the bench and prints its figures.
pub(super) async fn run(bench: IngestBench) -> anyhow::Result<()> {
    let IngestBench {
        events,
        batch,
        connections,
        rules,
        rule_count,
    } = bench;
    if !rules.exists() {
        bail!(
            "rule folder {} not found; run from the project root (the SigmaHQ rules are in ../shared/corpora) or pass --rules",
            rules.display()
        );
    }
    let detector = crate::rules::load_first(&rules, rule_count)?;
    let loaded = detector.rule_count();
    let data = tempfile_dir()?;
    let token = new_token();
    let node = start_node(data.path().to_path_buf(), detector, &token).await?;

    let (bodies, span) = make_bodies(batch)?;
    let bodies = Arc::new(bodies);
    let line_count: usize = bodies.iter().map(|(_, n)| n).sum::<usize>() / bodies.len().max(1);
    let requests = events.div_ceil(line_count.max(1));
    eprintln!(
        "bench ingest: {requests} requests × ~{line_count} events, {connections} connections, {loaded} rules loaded"
    );
    let url = format!("http://{}/api/v1/ingest", node.http_addr);
    let next = Arc::new(AtomicUsize::new(0));
    let client = reqwest::Client::new();
    let stages_before = node.pipeline.metrics().timings();
    let cpu_before = thread_cpu();
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
                // Sent again as they are, the bodies would be resends the
                // store keeps once: each pass after the first makes them
                // new events.
                let body = match i / bodies.len() {
                    0 => body.clone(),
                    pass => anew(body, pass, span),
                };
                let t = Instant::now();
                client
                    .post(&url)
                    .bearer_auth(&token)
                    // `Bytes`: a clone shares the body rather than copying it.
                    .body(body)
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
    let cpu_after = thread_cpu();
    let cpu = cpu_used(&cpu_before, &cpu_after);
    let writer_waits = writer_run_queue_wait(&cpu_before, &cpu_after);
    let stages = node.pipeline.metrics().timings();
    latencies.sort();
    let pct = |p: f64| -> StdDuration {
        latencies
            .get(((latencies.len() as f64 * p) as usize).min(latencies.len().saturating_sub(1)))
            .copied()
            .unwrap_or_default()
    };
    let metrics = node.pipeline.metrics().encode();
    let (stored, resent) = (
        counter_sum(&metrics, "vigil_events_in_total"),
        counter_sum(&metrics, "vigil_events_resent_total"),
    );
    // Each raised alert is an alarm for the desk to triage: its work grows
    // with them, not with the events.
    let alerts = counter_sum(&metrics, "vigil_alerts_raised_total");
    node.stop().await?;
    let db_bytes: u64 = std::fs::read_dir(data.path())?
        .filter_map(|e| e.ok()?.metadata().ok())
        .map(|m| m.len())
        .sum();
    println!("machine        {}", machine());
    println!("load average   {}", load_average());
    println!("rules loaded   {loaded}");
    println!("events sent    {sent} in {requests} requests of ~{line_count}");
    println!("events stored  {stored} new, {resent} resent");
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
    let requests_time: StdDuration = latencies.iter().sum();
    print_stages(
        StageTimes {
            parse: stages.parse.saturating_sub(stages_before.parse),
            detect: stages.detect.saturating_sub(stages_before.detect),
            commit: stages.commit.saturating_sub(stages_before.commit),
        },
        requests_time,
        sent,
    );
    print_cpu(&cpu, elapsed, sent);
    print_writer(&cpu, writer_waits, elapsed);
    println!(
        "alerts raised  {alerts} (one for every {:.0} events)",
        sent as f64 / alerts.max(1) as f64
    );
    println!(
        "store on disk  {:.1} MiB ({:.2} KB per event)",
        db_bytes as f64 / (1 << 20) as f64,
        db_bytes as f64 / 1000.0 / sent.max(1) as f64
    );
    println!("peak memory    {}", peak_rss());
    Ok(())
}

/// A node with one tenant and one HTTP source whose token is `token`.
async fn start_node(
    data_dir: PathBuf,
    detector: Arc<dyn vigil_detect::Detector>,
    token: &str,
) -> anyhow::Result<Node> {
    let tenant = TenantId::new("bench")?;
    let binding = SourceBinding {
        id: SourceId::new("bench-http")?,
        tenant: tenant.clone(),
        site: None,
        kind: SourceKind::Http,
        product: "windows".into(),
    };
    Node::start(NodeSpec {
        data_dir,
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
                vigil_sources::ConfiguredSource::new(binding, Some(hash_token(token)), None)
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
    .await
}

/// The pipeline's stage times over the run.
type StageTimes = vigil_ingest::PipelineTimings;

/// Prints the time per event in each stage and each stage's share of the
/// requests' time (the rest: HTTP, the client, waiting for a core).
fn print_stages(stages: StageTimes, requests_time: StdDuration, events: usize) {
    let per_event = |d: StdDuration| d.as_secs_f64() * 1e6 / events.max(1) as f64;
    println!(
        "stage time     parse {:.1} µs   detect {:.1} µs   commit {:.1} µs per event (summed over batches in flight)",
        per_event(stages.parse),
        per_event(stages.detect),
        per_event(stages.commit),
    );
    let total = requests_time.as_secs_f64().max(f64::MIN_POSITIVE);
    let share = |d: StdDuration| 100.0 * d.as_secs_f64() / total;
    let rest = 100.0 - share(stages.parse) - share(stages.detect) - share(stages.commit);
    println!(
        "time share     parse {:.0} %   detect {:.0} %   commit {:.0} %   rest (HTTP, client, waiting) {:.0} % of request time",
        share(stages.parse),
        share(stages.detect),
        share(stages.commit),
        rest.max(0.0),
    );
}

/// Prints the cores busy, per kind of thread, and the CPU per event.
fn print_cpu(cpu: &BTreeMap<String, StdDuration>, elapsed: StdDuration, events: usize) {
    if cpu.is_empty() {
        println!("cpu            unknown (no /proc/self/task/*/schedstat)");
        return;
    }
    let wall = elapsed.as_secs_f64().max(f64::MIN_POSITIVE);
    let total: StdDuration = cpu.values().sum();
    let parts: Vec<String> = cpu
        .iter()
        .filter(|(_, d)| d.as_secs_f64() / wall >= 0.005)
        .map(|(name, d)| format!("{name} {:.2}", d.as_secs_f64() / wall))
        .collect();
    println!(
        "cores busy     {:.2} ({}); {:.1} µs CPU per event",
        total.as_secs_f64() / wall,
        parts.join(", "),
        total.as_secs_f64() * 1e6 / events.max(1) as f64
    );
}

/// A thread's name, its CPU time so far and its time so far waiting for a
/// core (runnable, not running).
type ThreadTimes = (String, StdDuration, StdDuration);

/// CPU time and run-queue wait of each of this process's threads so far,
/// by thread id, with the thread's name (Linux; empty elsewhere).
fn thread_cpu() -> BTreeMap<u64, ThreadTimes> {
    let mut out = BTreeMap::new();
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return out;
    };
    for task in tasks.flatten() {
        let Some(tid) = task.file_name().to_str().and_then(|t| t.parse().ok()) else {
            continue;
        };
        let path = task.path();
        let name = std::fs::read_to_string(path.join("comm")).unwrap_or_default();
        // schedstat: nanoseconds on a core, nanoseconds waiting for one, slices.
        let times = std::fs::read_to_string(path.join("schedstat"))
            .ok()
            .and_then(|s| {
                let mut fields = s.split_whitespace().map(|f| f.parse::<u64>().ok());
                Some((fields.next()??, fields.next()??))
            });
        if let Some((running, waiting)) = times {
            out.insert(
                tid,
                (
                    name.trim().to_owned(),
                    StdDuration::from_nanos(running),
                    StdDuration::from_nanos(waiting),
                ),
            );
        }
    }
    out
}

/// CPU used between two [`thread_cpu`] readings, by thread kind (the
/// store's writer, the tokio runtime with its blocking pool, …).
fn cpu_used(
    before: &BTreeMap<u64, ThreadTimes>,
    after: &BTreeMap<u64, ThreadTimes>,
) -> BTreeMap<String, StdDuration> {
    let mut used: BTreeMap<String, StdDuration> = BTreeMap::new();
    for (tid, (name, now, _)) in after {
        let then = before.get(tid).map(|(_, d, _)| *d).unwrap_or_default();
        // Linux keeps 15 bytes of a thread's name.
        let kind = match name.as_str() {
            "tokio-rt-worker" | "tokio-runtime-w" => "runtime and blocking pool".to_owned(),
            "vigil-store-wri" => "store writer".to_owned(),
            "vigil-store-che" => "store checkpoint".to_owned(),
            other => other.to_owned(),
        };
        *used.entry(kind).or_default() += now.saturating_sub(then);
    }
    used
}

/// How long the store's writer thread waited for a core between two
/// [`thread_cpu`] readings.
fn writer_run_queue_wait(
    before: &BTreeMap<u64, ThreadTimes>,
    after: &BTreeMap<u64, ThreadTimes>,
) -> StdDuration {
    after
        .iter()
        .filter(|(_, (name, _, _))| name == "vigil-store-wri")
        .map(|(tid, (_, _, now))| {
            let then = before.get(tid).map(|(_, _, d)| *d).unwrap_or_default();
            now.saturating_sub(then)
        })
        .sum()
}

/// Prints how the store's writer — the one serial stage — spent the run:
/// on a core, waiting for one (the machine is busy), and the rest
/// (waiting for the disk's fsync, or for work).
fn print_writer(cpu: &BTreeMap<String, StdDuration>, waiting: StdDuration, elapsed: StdDuration) {
    let Some(running) = cpu.get("store writer") else {
        return;
    };
    let wall = elapsed.as_secs_f64().max(f64::MIN_POSITIVE);
    let share = |d: StdDuration| 100.0 * d.as_secs_f64() / wall;
    let rest = 100.0 - share(*running) - share(waiting);
    println!(
        "store writer   on a core {:.0} %   waiting for a core {:.0} %   rest (fsync, idle) {:.0} % of the run",
        share(*running),
        share(waiting),
        rest.max(0.0),
    );
}

/// The machine's load average (1, 5, 15 minutes) when the run ended: other
/// work on the machine shares its cores.
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|| "unknown".into())
}

/// `body` made into new events for the `pass`-th time round the bodies: a
/// `bench_pass` field first in each line (other bytes, so other ids and
/// fingerprints), and each line's `@timestamp` moved on by `pass` × `span`,
/// so that the passes follow one another in time as a live stream does.
/// Sent again at the same times, each pass's events would land between the
/// earlier passes' in the store's time-ordered indexes (an event id begins
/// with the event's time): a pattern no live source makes, and one that
/// cost the store's writer more (on a core 52 % of a run rather than
/// 46–48 %).
fn anew(body: &axum::body::Bytes, pass: usize, span: chrono::Duration) -> axum::body::Bytes {
    const TIME: &[u8] = b"\"@timestamp\":\"";
    let field = format!("{{\"bench_pass\":{pass},");
    let shift = span * i32::try_from(pass).unwrap_or(i32::MAX);
    let mut out = Vec::with_capacity(body.len() + body.len() / 64);
    // The client's work counts in the figures: lines are found with memchr
    // rather than a byte at a time.
    let mut start = 0;
    let ends = memchr::memchr_iter(b'\n', body).map(|i| i + 1);
    for end in ends.chain((!body.is_empty()).then_some(body.len())) {
        if end <= start {
            continue;
        }
        let line = &body[start..end];
        start = end;
        let Some(mut rest) = line.strip_prefix(b"{") else {
            out.extend_from_slice(line);
            continue;
        };
        out.extend_from_slice(field.as_bytes());
        if rest.trim_ascii_start().starts_with(b"}") {
            // An empty object: the field is its only one.
            out.pop();
        }
        if let Some(at) = memchr::memmem::find(rest, TIME) {
            let from = at + TIME.len();
            let shifted = rest[from..]
                .iter()
                .position(|b| *b == b'"')
                .and_then(|len| {
                    let text = std::str::from_utf8(&rest[from..from + len]).ok()?;
                    let time = chrono::DateTime::parse_from_rfc3339(text).ok()? + shift;
                    Some((
                        len,
                        time.to_utc()
                            .to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
                    ))
                });
            if let Some((len, time)) = shifted {
                out.extend_from_slice(&rest[..from]);
                out.extend_from_slice(time.as_bytes());
                rest = &rest[from + len..];
            }
        }
        out.extend_from_slice(rest);
    }
    out.into()
}

/// The counter `name` summed over its labels (sources), from the
/// pipeline's metrics in the text exposition format.
fn counter_sum(metrics: &str, name: &str) -> u64 {
    metrics
        .lines()
        .filter(|l| l.starts_with(name) && l[name.len()..].starts_with('{'))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum::<f64>() as u64
}

/// NDJSON bodies of `batch` simulated events each (Windows, firewall-less:
/// the JSON sources), from a few simulated hours of the demo world, and
/// the time they span.
fn make_bodies(
    batch: usize,
) -> anyhow::Result<(Vec<(axum::body::Bytes, usize)>, chrono::Duration)> {
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
    let bodies = lines
        .chunks(batch)
        .map(|chunk| {
            let mut body = Vec::new();
            for line in chunk {
                body.extend_from_slice(line);
                body.push(b'\n');
            }
            (axum::body::Bytes::from(body), chunk.len())
        })
        .collect();
    Ok((bodies, chrono::Duration::hours(hour)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_body_made_anew_is_the_same_events_with_the_pass_first_and_later() {
        let body = axum::body::Bytes::from_static(
            b"{\"@timestamp\":\"2026-11-18T11:06:40.123Z\",\"a\":1}\n{}\n\n{\"b\":[2]}",
        );
        let again = anew(&body, 3, chrono::Duration::hours(2));
        let lines: Vec<serde_json::Value> = again
            .split(|b| *b == b'\n')
            .filter(|l| !l.is_empty())
            .map(|l| serde_json::from_slice(l).unwrap())
            .collect();
        assert_eq!(
            lines,
            [
                serde_json::json!({"bench_pass": 3, "@timestamp": "2026-11-18T17:06:40.123Z", "a": 1}),
                serde_json::json!({"bench_pass": 3}),
                serde_json::json!({"bench_pass": 3, "b": [2]}),
            ]
        );
    }

    #[test]
    fn a_time_that_does_not_read_is_left_as_it_is() {
        let body = axum::body::Bytes::from_static(b"{\"@timestamp\":\"yesterday\"}\n");
        let again = anew(&body, 1, chrono::Duration::hours(2));
        assert_eq!(
            &again[..],
            b"{\"bench_pass\":1,\"@timestamp\":\"yesterday\"}\n"
        );
    }

    #[test]
    fn counters_are_summed_over_sources() {
        let metrics = "# HELP vigil_events_in_total x\n\
            vigil_events_in_total{tenant=\"a\",source=\"s\"} 10\n\
            vigil_events_in_total{tenant=\"b\",source=\"t\"} 5\n\
            vigil_events_resent_total{tenant=\"a\",source=\"s\"} 7\n\
            vigil_events_in_totally{x=\"y\"} 100\n";
        assert_eq!(counter_sum(metrics, "vigil_events_in_total"), 15);
        assert_eq!(counter_sum(metrics, "vigil_events_resent_total"), 7);
        assert_eq!(counter_sum(metrics, "vigil_alerts_raised_total"), 0);
    }
}
