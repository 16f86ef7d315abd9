//! `vigil bench dc09`: SIA DC-09 frames over TCP into the store, from as
//! many panels at once as `--connections`, each waiting for its ACK before
//! its next frame like a real dialler. Prints frames/s and ACK latency
//! percentiles, then reads the store back and checks that every ACKed
//! frame is there.
//!
//! Two ways to offer load:
//! - closed loop (the default): every panel sends its next frame as soon as
//!   the last one is ACKed. This finds the peak rate, but its latency is
//!   about `connections / rate` by construction.
//! - open loop (`--rate N`): frames are due on a fixed schedule, N per
//!   second spread evenly over the connections, whatever the receiver does.
//!   A frame's latency runs from the time it was due, not from when it
//!   could be sent: a panel held up by a late ACK sends late, and that wait
//!   is counted (no coordinated omission).

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration as StdDuration, Instant};

use anyhow::{Context, bail};
use chrono::Utc;
use rand::SeedableRng;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::Barrier;
use vigil_model::{SourceBinding, SourceId, SourceKind, SystemClock, Tenant, TenantId};
use vigil_sources::dc09::{Dc09Receiver, Dc09Sender, PanelAccount, PanelKey, TimeWindow};
use vigil_store::{EventQuery, TenantScope};

use crate::config::Resolved;
use crate::node::{Node, NodeSpec};

/// The benchmark's key, when it encrypts (AES-128; never a real key).
const BENCH_KEY: &str = "2B7E151628AED2A6ABF7158809CF4F3C";

/// In open loop, how long after every panel has connected the schedule
/// starts, so that connecting is not counted.
const SCHEDULE_LEAD: StdDuration = StdDuration::from_millis(100);

/// What the benchmark sends.
#[derive(Debug, Clone)]
pub struct Dc09Bench {
    /// Frames to send in all.
    pub frames: usize,
    /// Panels (TCP connections, one account each).
    pub connections: usize,
    /// Encrypt with AES-128.
    pub encrypted: bool,
    /// The SIA event code every frame carries.
    pub code: String,
    /// Frames per second offered in open loop; `None` for closed loop.
    pub rate: Option<f64>,
}

/// One ACKed frame, as a panel saw it.
struct Answered {
    /// From the time the frame was due (open loop) or sent (closed loop).
    latency: StdDuration,
    /// From the time it was written to the socket.
    service: StdDuration,
    /// How late it was written after it was due (open loop).
    late: StdDuration,
}

/// Runs the DC-09 benchmark.
pub async fn run(bench: Dc09Bench) -> anyhow::Result<()> {
    let Dc09Bench {
        frames,
        connections,
        encrypted,
        ref code,
        rate,
    } = bench;
    if code.len() != 2 || !code.bytes().all(|b| b.is_ascii_uppercase()) {
        bail!("--code must be a two-letter SIA event code, e.g. BA or RP");
    }
    if let Some(r) = rate
        && !(r.is_finite() && r > 0.0)
    {
        bail!("--rate must be a positive number of frames per second");
    }
    let load_before = load_average();
    let data = tempfile::Builder::new()
        .prefix("vigil-bench-dc09-")
        .tempdir()?;
    let tenant = TenantId::new("bench")?;
    let binding = SourceBinding {
        id: SourceId::new("bench-arc")?,
        tenant: tenant.clone(),
        site: None,
        kind: SourceKind::Dc09Tcp,
        product: "sia-dc09".into(),
    };
    let key = PanelKey::from_hex(BENCH_KEY)?;
    let accounts: Vec<String> = (0..connections).map(|i| format!("{:06}", i + 1)).collect();
    let receiver = Dc09Receiver::new(
        accounts.iter().map(|a| {
            let mut account = PanelAccount::new(a);
            account.key = encrypted.then(|| key.clone());
            account
        }),
        TimeWindow::default(),
    );
    let resolved = Resolved {
        tenants: vec![(
            Tenant {
                id: tenant,
                name: "Bench".into(),
            },
            Vec::new(),
        )],
        sources: vec![
            vigil_sources::ConfiguredSource::new(
                binding.clone(),
                None,
                Some("127.0.0.1:0".parse()?),
            )
            .with_settings(vigil_sources::dc09::Dc09Settings::from(receiver)),
        ],
        tokens: Vec::new(),
        plans: Default::default(),
        contracts: Default::default(),
        nis2: Default::default(),
        retention: Default::default(),
        residency: Default::default(),
        response_plans: Default::default(),
        site_images: Vec::new(),
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
        resolved,
        detector: crate::rules::load_for_serving(true, &[])?,
        clock: Arc::new(SystemClock),
        desk: Default::default(),
    })
    .await?;
    let addr = node
        .syslog_addrs
        .get(&binding.id)
        .map(|(_, a)| *a)
        .context("the DC-09 listener did not start")?;
    let mode = match rate {
        Some(r) => format!("open loop, {r:.0} frames/s offered"),
        None => "closed loop".to_owned(),
    };
    eprintln!(
        "bench dc09: {frames} frames over {connections} TCP connections to {addr}{}, {mode}",
        if encrypted { ", AES-128" } else { "" }
    );

    // Closed loop: panels take frames from a shared count until it runs
    // out. Open loop: each panel owns every `connections`-th frame of the
    // schedule.
    let next = Arc::new(AtomicUsize::new(0));
    let ready = Arc::new(Barrier::new(connections + 1));
    let (start_tx, start_rx) = tokio::sync::watch::channel(None::<Instant>);
    let mut workers = Vec::new();
    for (i, account) in accounts.iter().enumerate() {
        let panel = Panel {
            index: i,
            account: account.clone(),
            key: encrypted.then(|| key.clone()),
            code: code.clone(),
        };
        let (next, ready, mut start_rx) = (next.clone(), ready.clone(), start_rx.clone());
        workers.push(tokio::spawn(async move {
            let mut stream = TcpStream::connect(addr).await;
            if let Ok(s) = &stream {
                let _ = s.set_nodelay(true);
            }
            // Everyone waits at the barrier, connected or not, so a failed
            // connection cannot leave the others waiting for ever.
            ready.wait().await;
            let start = *start_rx
                .wait_for(Option::is_some)
                .await
                .context("the benchmark stopped")?;
            let stream = stream
                .as_mut()
                .map_err(|e| anyhow::anyhow!("connect: {e}"))?;
            match (rate, start) {
                (Some(rate), Some(start)) => {
                    panel
                        .open_loop(stream, start, rate, connections, frames)
                        .await
                }
                _ => panel.closed_loop(stream, &next, frames).await,
            }
        }));
    }
    ready.wait().await;
    // Connecting is not counted; the open-loop schedule starts a little
    // after the last panel connected.
    let started = Instant::now() + rate.map_or(StdDuration::ZERO, |_| SCHEDULE_LEAD);
    start_tx.send_replace(Some(started));
    let mut answered = Vec::with_capacity(frames);
    let mut acked = Vec::with_capacity(frames);
    for w in workers {
        let (a, k) = w.await.context("bench client failed")??;
        answered.extend(a);
        acked.extend(k);
    }
    let elapsed = started.elapsed();
    let load_after = load_average();

    let missing = count_missing(&node, &acked).await?;
    node.stop().await?;

    let encryption = if encrypted { ", AES-128" } else { "" };
    println!(
        "frames ACKed   {} of {frames} ({connections} connections{encryption}, {mode})",
        acked.len(),
    );
    let achieved = acked.len() as f64 / elapsed.as_secs_f64();
    match rate {
        Some(r) => println!(
            "rate           offered {r:.0} frames/s, achieved {achieved:.0} frames/s ({:.2}s)",
            elapsed.as_secs_f64()
        ),
        None => println!(
            "throughput     {achieved:.0} frames/s ({:.2}s)",
            elapsed.as_secs_f64()
        ),
    }
    let mut latency: Vec<StdDuration> = answered.iter().map(|a| a.latency).collect();
    let mut service: Vec<StdDuration> = answered.iter().map(|a| a.service).collect();
    let line = |name: &str, v: &mut Vec<StdDuration>| {
        v.sort_unstable();
        let ms = |d: StdDuration| d.as_secs_f64() * 1e3;
        let pct = |p: f64| -> StdDuration {
            let at = ((v.len() as f64 * p) as usize).min(v.len().saturating_sub(1));
            v.get(at).copied().unwrap_or_default()
        };
        println!(
            "{name:<14} p50 {:.2} ms   p90 {:.2} ms   p99 {:.2} ms   p99.9 {:.2} ms   max {:.2} ms",
            ms(pct(0.50)),
            ms(pct(0.90)),
            ms(pct(0.99)),
            ms(pct(0.999)),
            ms(v.last().copied().unwrap_or_default())
        );
    };
    if rate.is_some() {
        line("ACK latency", &mut latency);
        println!("               (from each frame's scheduled send time)");
        line("  after send", &mut service);
        let late = answered
            .iter()
            .filter(|a| a.late > StdDuration::from_millis(2))
            .count();
        println!(
            "late sends     {late} frames sent more than 2 ms after they were due ({:.2}%)",
            100.0 * late as f64 / answered.len().max(1) as f64
        );
    } else {
        line("ACK latency", &mut latency);
    }
    println!(
        "durable        {} of {} ACKed frames found in the store{}",
        acked.len() - missing,
        acked.len(),
        if missing == 0 { "" } else { "  <-- LOST" }
    );
    if let (Some(before), Some(after)) = (load_before, load_after) {
        println!(
            "machine        load average {before:.2} before, {after:.2} after, {} cores",
            std::thread::available_parallelism().map_or(0, |n| n.get())
        );
    }
    if missing > 0 {
        bail!("{missing} ACKed frames are not in the store");
    }
    Ok(())
}

/// One simulated panel: its account, key and the code it sends.
struct Panel {
    index: usize,
    account: String,
    key: Option<PanelKey>,
    code: String,
}

/// What a panel hands back: its answered frames and (account, sequence)
/// of each, for the durability check.
type PanelResult = anyhow::Result<(Vec<Answered>, Vec<(String, String)>)>;

impl Panel {
    fn sender(&self) -> Dc09Sender {
        let sender = Dc09Sender::new(&self.account);
        match &self.key {
            Some(key) => sender.with_key(key.clone()),
            None => sender,
        }
    }

    /// Sends until the shared count reaches `frames`, each frame right
    /// after the previous ACK.
    async fn closed_loop(
        &self,
        stream: &mut TcpStream,
        next: &AtomicUsize,
        frames: usize,
    ) -> PanelResult {
        let mut line = Line::new(self);
        while next.fetch_add(1, Ordering::Relaxed) < frames {
            let sent = Instant::now();
            line.exchange(stream).await?;
            let service = sent.elapsed();
            line.answered.push(Answered {
                latency: service,
                service,
                late: StdDuration::ZERO,
            });
        }
        Ok((line.answered, line.acked))
    }

    /// Sends this panel's share of `frames`, frame `k` of the whole
    /// schedule due at `start + k / rate`.
    async fn open_loop(
        &self,
        stream: &mut TcpStream,
        start: Instant,
        rate: f64,
        connections: usize,
        frames: usize,
    ) -> PanelResult {
        let mut line = Line::new(self);
        let mut k = self.index;
        while k < frames {
            let due = start + StdDuration::from_secs_f64(k as f64 / rate);
            tokio::time::sleep_until(due.into()).await;
            let sent = Instant::now();
            line.exchange(stream).await?;
            let done = Instant::now();
            line.answered.push(Answered {
                latency: done.saturating_duration_since(due),
                service: done.saturating_duration_since(sent),
                late: sent.saturating_duration_since(due),
            });
            k += connections;
        }
        Ok((line.answered, line.acked))
    }
}

/// A panel's side of its connection: builds frames, reads ACKs.
struct Line<'p> {
    panel: &'p Panel,
    sender: Dc09Sender,
    rng: rand_chacha::ChaCha8Rng,
    seq: u16,
    buf: Vec<u8>,
    answer: Vec<u8>,
    answered: Vec<Answered>,
    acked: Vec<(String, String)>,
}

impl<'p> Line<'p> {
    fn new(panel: &'p Panel) -> Self {
        Self {
            panel,
            sender: panel.sender(),
            rng: rand_chacha::ChaCha8Rng::seed_from_u64(panel.index as u64),
            seq: 0,
            buf: vec![0u8; 512],
            answer: Vec::with_capacity(128),
            answered: Vec::new(),
            acked: Vec::new(),
        }
    }

    /// Sends the next frame and waits for its answer, which must be an ACK.
    async fn exchange(&mut self, stream: &mut TcpStream) -> anyhow::Result<()> {
        self.seq = self.seq % 9999 + 1;
        let zone = (self.seq % 64) + 1;
        let payload = format!("Nri1/{}{zone:03}", self.panel.code);
        let frame = self.sender.frame(
            self.seq,
            "SIA-DCS",
            &payload,
            Utc::now(),
            true,
            &mut self.rng,
        );
        stream.write_all(&frame).await?;
        self.answer.clear();
        while !self.answer.ends_with(b"\r") {
            let n = stream.read(&mut self.buf).await?;
            if n == 0 {
                bail!("the receiver closed the connection");
            }
            self.answer
                .extend_from_slice(self.buf.get(..n).unwrap_or_default());
        }
        if !self.answer.windows(4).any(|w| w == b"ACK\"") {
            bail!(
                "frame {} of {} answered {:?}",
                self.seq,
                self.panel.account,
                String::from_utf8_lossy(&self.answer)
            );
        }
        self.acked
            .push((self.panel.account.clone(), format!("{:04}", self.seq)));
        Ok(())
    }
}

/// Reads every stored event back and counts the ACKed frames that are not
/// there. Counted, not just seen: a connection sending more than 9999
/// frames reuses sequence numbers, and each ACK needs its own stored event.
async fn count_missing(node: &Node, acked: &[(String, String)]) -> anyhow::Result<usize> {
    let mut stored: HashMap<(String, String), usize> = HashMap::new();
    let mut cursor = None;
    loop {
        let page = node
            .store
            .events(&EventQuery {
                scope: TenantScope::All,
                from: None,
                to: None,
                fields: Vec::new(),
                cursor,
                limit: vigil_store::MAX_PAGE_SIZE,
            })
            .await?;
        for e in &page.items {
            if let (Some(a), Some(s)) = (
                e.fields.get("account").and_then(|v| v.as_str()),
                e.fields.get("sequence").and_then(|v| v.as_str()),
            ) {
                *stored.entry((a.to_owned(), s.to_owned())).or_default() += 1;
            }
        }
        match page.next_cursor {
            Some(c) => cursor = Some(vigil_store::Cursor::decode(&c).context("cursor")?),
            None => break,
        }
    }
    let mut wanted: HashMap<&(String, String), usize> = HashMap::new();
    for k in acked {
        *wanted.entry(k).or_default() += 1;
    }
    Ok(wanted
        .iter()
        .map(|(k, n)| n.saturating_sub(stored.get(*k).copied().unwrap_or(0)))
        .sum())
}

/// The one-minute load average, where the system tells it (Linux).
fn load_average() -> Option<f64> {
    std::fs::read_to_string("/proc/loadavg")
        .ok()?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}
