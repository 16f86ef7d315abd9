//! `vigil bench dc09`: SIA DC-09 frames over TCP into the store, as many
//! panels at once as `--connections`, each waiting for its ACK before the
//! next frame like a real dialler. Prints frames/s and ACK latency
//! percentiles, then reads the store back and checks that every ACKed
//! frame is there.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration as StdDuration, Instant};

use anyhow::{Context, bail};
use chrono::Utc;
use rand::SeedableRng;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use vigil_estate::dc09::{Dc09Receiver, Dc09Sender, PanelAccount, PanelKey, TimeWindow};
use vigil_model::{SourceBinding, SourceId, SourceKind, SystemClock, Tenant, TenantId};
use vigil_store::{EventQuery, TenantScope};

use crate::config::{Resolved, SourceSetup};
use crate::estate::EstateSetup;
use crate::node::{Node, NodeSpec};

/// The benchmark's key, when it encrypts (AES-128; never a real key).
const BENCH_KEY: &str = "2B7E151628AED2A6ABF7158809CF4F3C";

/// Runs the DC-09 benchmark.
pub async fn run(
    frames: usize,
    connections: usize,
    encrypted: bool,
    code: &str,
) -> anyhow::Result<()> {
    if code.len() != 2 || !code.bytes().all(|b| b.is_ascii_uppercase()) {
        bail!("--code must be a two-letter SIA event code, e.g. BA or RP");
    }
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
    let mut resolved = Resolved {
        tenants: vec![(
            Tenant {
                id: tenant,
                name: "Bench".into(),
            },
            Vec::new(),
        )],
        sources: vec![SourceSetup {
            binding: binding.clone(),
            token: None,
            listen: Some("127.0.0.1:0".parse()?),
        }],
        tokens: Vec::new(),
        estate: Default::default(),
        plans: Default::default(),
    };
    resolved
        .estate
        .insert(binding.id.clone(), EstateSetup::Dc09(receiver));
    let node = Node::start(NodeSpec {
        data_dir: data.path().to_path_buf(),
        listen: "127.0.0.1:0".parse()?,
        retention: None,
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
    eprintln!(
        "bench dc09: {frames} frames over {connections} TCP connections to {addr}{}",
        if encrypted { ", AES-128" } else { "" }
    );

    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut workers = Vec::new();
    for (i, account) in accounts.iter().enumerate() {
        let (next, account, key, code) =
            (next.clone(), account.clone(), key.clone(), code.to_owned());
        workers.push(tokio::spawn(async move {
            let mut sender = Dc09Sender::new(&account);
            if encrypted {
                sender = sender.with_key(key);
            }
            let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(i as u64);
            let mut stream = TcpStream::connect(addr).await?;
            stream.set_nodelay(true)?;
            let mut buf = vec![0u8; 512];
            let mut latencies = Vec::new();
            let mut acked = Vec::new();
            let mut seq: u16 = 0;
            loop {
                if next.fetch_add(1, Ordering::Relaxed) >= frames {
                    return Ok::<_, anyhow::Error>((latencies, acked));
                }
                seq = seq % 9999 + 1;
                let zone = (seq % 64) + 1;
                let payload = format!("Nri1/{code}{zone:03}");
                let frame = sender.frame(seq, "SIA-DCS", &payload, Utc::now(), true, &mut rng);
                let t = Instant::now();
                stream.write_all(&frame).await?;
                let mut answer = Vec::new();
                while !answer.ends_with(b"\r") {
                    let n = stream.read(&mut buf).await?;
                    if n == 0 {
                        bail!("the receiver closed the connection");
                    }
                    answer.extend_from_slice(&buf[..n]);
                }
                latencies.push(t.elapsed());
                let text = String::from_utf8_lossy(&answer);
                if text.contains("ACK\"") {
                    acked.push((account.clone(), format!("{seq:04}")));
                } else {
                    bail!("frame {seq} of {account} answered {text:?}");
                }
            }
        }));
    }
    let mut latencies = Vec::new();
    let mut acked = Vec::new();
    for w in workers {
        let (l, a) = w.await.context("bench client failed")??;
        latencies.extend(l);
        acked.extend(a);
    }
    let elapsed = started.elapsed();
    latencies.sort();
    let pct = |p: f64| -> StdDuration {
        latencies
            .get(((latencies.len() as f64 * p) as usize).min(latencies.len().saturating_sub(1)))
            .copied()
            .unwrap_or_default()
    };

    // Every ACKed frame must be in the store: read them all back.
    // Counted, not just seen: a connection sending more than 9999 frames
    // reuses sequence numbers, and each ACK needs its own stored event.
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
    for k in &acked {
        *wanted.entry(k).or_default() += 1;
    }
    let missing: usize = wanted
        .iter()
        .map(|(k, n)| n.saturating_sub(stored.get(*k).copied().unwrap_or(0)))
        .sum();
    node.stop().await?;
    let ms = |d: StdDuration| d.as_secs_f64() * 1e3;
    println!(
        "frames ACKed   {} of {frames} ({connections} connections{})",
        acked.len(),
        if encrypted { ", AES-128" } else { "" }
    );
    println!(
        "throughput     {:.0} frames/s ({:.2}s)",
        acked.len() as f64 / elapsed.as_secs_f64(),
        elapsed.as_secs_f64()
    );
    println!(
        "ACK latency    p50 {:.2} ms   p95 {:.2} ms   p99 {:.2} ms   max {:.2} ms",
        ms(pct(0.50)),
        ms(pct(0.95)),
        ms(pct(0.99)),
        ms(latencies.last().copied().unwrap_or_default())
    );
    println!(
        "durable        {} of {} ACKed frames found in the store{}",
        acked.len() - missing,
        acked.len(),
        if missing == 0 { "" } else { "  <-- LOST" }
    );
    if missing > 0 {
        bail!("{missing} ACKed frames are not in the store");
    }
    Ok(())
}
