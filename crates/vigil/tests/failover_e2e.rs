//! Failover, as the issue asks for it: three NATS servers in a cluster of
//! the test's own (JetStream, stream replicas 3), one PostgreSQL schema and
//! three `vigil serve` nodes. A client streams numbered events over HTTP
//! (each unique, resending whatever was not answered 200 to any live node)
//! and two panels dial DC-09 frames to nodes A and B (falling back to the
//! other on a NAK or a lost connection). At a random moment the node that
//! holds the tenant's partition is killed with SIGKILL, and at another one
//! NATS server of the three. Afterwards every event and frame that was
//! acknowledged is stored exactly once, every alert has exactly one alarm,
//! and the surviving nodes still serve the console and the live stream.
//!
//! `VIGIL_FAILOVER_TRIALS` trials (default 2); each prints its figures.
//! When the log does not drain, the failure names the stream and its
//! consumers, the leases, PostgreSQL's busy sessions and each node's
//! health; `VIGIL_FAILOVER_HOLD_SECS` keeps everything running that long
//! first, for a look at the live processes.
//! Runs when `VIGIL_TEST_POSTGRES_URL` and `VIGIL_TEST_NATS_URL` are set
//! (the second says NATS is installed: the test starts `nats-server`
//! itself, from the path or `VIGIL_TEST_NATS_SERVER`).

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use common::cluster::{
    ADMIN, INGEST, NatsCluster, NodeConfig, Pg, Schema, env_url, free_port, run_id, serve,
    stream_lines, wait_for_alarm, write_node,
};
use common::{Vigil, eventually};
use reqwest::StatusCode;
use reqwest::blocking::Client;
use vigil_model::TenantId;

#[path = "failover_e2e/dialler.rs"]
mod dialler;

/// How long the client and the panels send in each trial.
const SENDING: Duration = Duration::from_secs(30);
/// Ingest log partitions in the test deployment.
const PARTITIONS: u32 = 4;
/// The DC-09 source every DC-09 node configures (the same binding, so a
/// frame sent again to another node is the same batch).
const PANELS: &str = "alpha-panels";

#[test]
fn acknowledged_events_and_frames_survive_a_killed_node_and_a_killed_nats_server() {
    let (Some(pg), Some(_)) = (
        env_url("VIGIL_TEST_POSTGRES_URL"),
        env_url("VIGIL_TEST_NATS_URL"),
    ) else {
        return;
    };
    let trials: usize = std::env::var("VIGIL_FAILOVER_TRIALS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2);
    let mut all = Vec::new();
    for t in 1..=trials {
        let figures = trial(&pg);
        println!("trial {t}/{trials}: {figures}");
        all.push(figures);
    }
    summary(&all);
}

/// What one trial measured.
#[derive(Debug, Default)]
struct Figures {
    events_sent: u64,
    events_acked: usize,
    events_refused: u64,
    events_unanswered: u64,
    events_stored: usize,
    event_duplicates: i64,
    frames_sent: u64,
    frames_acked: usize,
    frames_refused: u64,
    frames_unanswered: u64,
    frames_stored: usize,
    frame_duplicates: i64,
    alerts: usize,
    alarms: usize,
    node_killed_at: Duration,
    nats_killed_at: Duration,
    partitions_moved: Duration,
    drained: Duration,
    /// Batches the survivors applied, and how many of them they had been
    /// delivered before (by the dead node's fetches, or their own).
    applied: u64,
    redelivered: u64,
}

impl std::fmt::Display for Figures {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "events sent {} acked {} (answers 503 {}, no answer {}) stored {} duplicates {}; \
             frames sent {} acked {} (NAK {}, no answer {}) stored {} duplicates {}; \
             alerts {} alarms {}; node killed at {:.1}s, NATS server at {:.1}s; \
             partitions moved in {:.1}s; log drained {:.1}s after sending stopped; \
             survivors applied {} batches, {} of them redelivered",
            self.events_sent,
            self.events_acked,
            self.events_refused,
            self.events_unanswered,
            self.events_stored,
            self.event_duplicates,
            self.frames_sent,
            self.frames_acked,
            self.frames_refused,
            self.frames_unanswered,
            self.frames_stored,
            self.frame_duplicates,
            self.alerts,
            self.alarms,
            self.node_killed_at.as_secs_f64(),
            self.nats_killed_at.as_secs_f64(),
            self.partitions_moved.as_secs_f64(),
            self.drained.as_secs_f64(),
            self.applied,
            self.redelivered,
        )
    }
}

fn summary(all: &[Figures]) {
    let moved: Vec<f64> = all
        .iter()
        .map(|f| f.partitions_moved.as_secs_f64())
        .collect();
    let drained: Vec<f64> = all.iter().map(|f| f.drained.as_secs_f64()).collect();
    let (min, max) = moved
        .iter()
        .fold((f64::MAX, 0f64), |(lo, hi), m| (lo.min(*m), hi.max(*m)));
    println!(
        "{} trials: events acked {} (503 {}, no answer {}, each sent again), frames acked {} \
         (NAK {}, no answer {}, each sent again), duplicates {}, acknowledged but lost 0; \
         partitions moved in {:.1}–{:.1}s (mean {:.1}s); log drained {:.1}–{:.1}s after \
         sending stopped; batches redelivered {} of {} applied",
        all.len(),
        all.iter().map(|f| f.events_acked).sum::<usize>(),
        all.iter().map(|f| f.events_refused).sum::<u64>(),
        all.iter().map(|f| f.events_unanswered).sum::<u64>(),
        all.iter().map(|f| f.frames_acked).sum::<usize>(),
        all.iter().map(|f| f.frames_refused).sum::<u64>(),
        all.iter().map(|f| f.frames_unanswered).sum::<u64>(),
        all.iter()
            .map(|f| f.event_duplicates + f.frame_duplicates)
            .sum::<i64>(),
        min,
        max,
        moved.iter().sum::<f64>() / moved.len().max(1) as f64,
        drained.iter().copied().fold(f64::MAX, f64::min),
        drained.iter().copied().fold(0f64, f64::max),
        all.iter().map(|f| f.redelivered).sum::<u64>(),
        all.iter().map(|f| f.applied).sum::<u64>(),
    );
}

/// A DC-09 receiver on `port` for tenant alpha's panels.
fn dc09_source(port: u16) -> String {
    format!(
        r#"
[[sources]]
id = "{PANELS}"
tenant = "alpha"
site = "hq"
kind = "dc09_tcp"
listen = "127.0.0.1:{port}"
product = "sia-dc09"
[[sources.dc09.accounts]]
account = "{a}"
[[sources.dc09.accounts]]
account = "{b}"
"#,
        a = dialler::ACCOUNTS[0],
        b = dialler::ACCOUNTS[1],
    )
}

/// One trial: everything started, sent, killed, checked and torn down.
fn trial(pg: &str) -> Figures {
    let run = run_id();
    let schema = Schema::new(pg, &run);
    let mut nats = NatsCluster::start(3, &format!("c{run}"));
    let urls = nats.urls();
    let name = format!("f{run}");
    let dirs: Vec<_> = (0..3).map(|_| tempfile::tempdir().unwrap()).collect();
    let dc09_ports = [free_port(), free_port()];
    let node_names: Vec<String> = (0..3).map(|i| format!("n{i}-{run}")).collect();
    for (i, dir) in dirs.iter().enumerate() {
        let extra = dc09_ports
            .get(i)
            .map(|p| dc09_source(*p))
            .unwrap_or_default();
        write_node(
            dir.path(),
            &NodeConfig {
                node: &node_names[i],
                pg,
                schema: &schema.name,
                nats: &urls,
                name: &name,
                partitions: PARTITIONS,
                replicas: 3,
                extra: &extra,
            },
        );
    }
    // One after the other: the first creates the schema's tables.
    let mut nodes: Vec<Option<(Vigil, String)>> =
        dirs.iter().map(|dir| Some(serve(dir.path()))).collect();
    let bases: Vec<String> = nodes
        .iter()
        .map(|n| n.as_ref().map(|(_, b)| b.clone()).unwrap_or_default())
        .collect();
    let db = Pg::connect(pg, Some(&schema.name));
    let http = Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap();
    let live: Vec<_> = bases.iter().map(|b| stream_lines(&http, b)).collect();

    // The victim: whoever holds tenant alpha's partition once the nodes are up.
    let lease = format!(
        "ingest-p{}",
        vigil_nats::partition_of(&TenantId::new("alpha").unwrap(), PARTITIONS)
    );
    let victim_name = eventually(
        "a node holds alpha's partition",
        Duration::from_secs(60),
        || holder(&db, &lease),
    );
    let victim = node_names
        .iter()
        .position(|n| *n == victim_name)
        .expect("the holder is one of the nodes");
    let stream = vigil_nats::stream_of(&name);
    let detail = nats.stream_detail(&stream).unwrap_or_default();
    assert_eq!(
        detail["config"]["num_replicas"], 3,
        "the ingest log is on every NATS server: {detail:#}"
    );
    let observed = chrono::Utc::now() - chrono::Duration::minutes(5);

    let stop = Arc::new(AtomicBool::new(false));
    let client = {
        let (bases, stop) = (bases.clone(), stop.clone());
        std::thread::spawn(move || stream_events(&bases, observed, &stop))
    };
    let panels: Vec<_> = dialler::ACCOUNTS
        .iter()
        .enumerate()
        .map(|(i, account)| {
            // Each panel dials its own node first, the other when that fails.
            let ports = [dc09_ports[i % 2], dc09_ports[(i + 1) % 2]];
            let stop = stop.clone();
            let account = (*account).to_owned();
            std::thread::spawn(move || dialler::dial(&account, ports, &stop))
        })
        .collect();

    let started = Instant::now();
    let mut figures = Figures {
        node_killed_at: random_between(Duration::from_secs(3), SENDING / 2),
        nats_killed_at: random_between(Duration::from_secs(3), SENDING * 3 / 4),
        ..Figures::default()
    };
    let nats_victim = rand::random_range(0..3usize);
    let (mut node_killed, mut nats_killed) = (None, false);
    while started.elapsed() < SENDING {
        if node_killed.is_none() && started.elapsed() >= figures.node_killed_at {
            if let Some((mut vigil, _)) = nodes[victim].take() {
                let _ = vigil.child.kill();
                let _ = vigil.child.wait();
            }
            node_killed = Some(Instant::now());
        }
        if !nats_killed && started.elapsed() >= figures.nats_killed_at {
            nats.servers[nats_victim].kill();
            nats_killed = true;
        }
        if let Some(at) = node_killed
            && figures.partitions_moved.is_zero()
            && moved_off(&db, &victim_name)
        {
            figures.partitions_moved = at.elapsed();
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    stop.store(true, Ordering::SeqCst);
    let sent_events = client.join().expect("the client thread");
    let sent_frames: Vec<dialler::Sent> = panels
        .into_iter()
        .map(|p| p.join().expect("a panel thread"))
        .collect();
    let killed_at = node_killed.expect("the node was killed");
    if figures.partitions_moved.is_zero() {
        eventually("the partitions move", Duration::from_secs(120), || {
            moved_off(&db, &victim_name).then_some(())
        });
        figures.partitions_moved = killed_at.elapsed();
    }

    // Everything logged is applied: the work queue empties.
    let stopped = Instant::now();
    let drain_limit = Duration::from_secs(180);
    while nats.stream_messages(&stream) != Some(0) {
        if stopped.elapsed() > drain_limit {
            let holders = db
                .query("SELECT name, holder, expires_at FROM desk_leases")
                .map(|rows| {
                    rows.iter()
                        .map(|r| {
                            format!(
                                "{} {} {}",
                                r.get::<_, String>(0),
                                r.get::<_, String>(1),
                                r.get::<_, i64>(2)
                            )
                        })
                        .collect::<Vec<_>>()
                });
            let pids: Vec<u32> = nodes.iter().flatten().map(|(v, _)| v.child.id()).collect();
            eprintln!("the ingest log is not draining; surviving node processes: {pids:?}");
            if let Some(hold) = std::env::var("VIGIL_FAILOVER_HOLD_SECS")
                .ok()
                .and_then(|s| s.parse().ok())
            {
                std::thread::sleep(Duration::from_secs(hold));
            }
            panic!(
                "the ingest log did not drain within {drain_limit:?}: {:#}\nleases: {holders:?}\n\
                 PostgreSQL sessions: {:#?}\nnodes: {:#?}",
                nats.stream_detail(&stream).unwrap_or_default(),
                sessions(&db),
                nodes_answer(&bases),
            );
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    figures.drained = stopped.elapsed();
    let survivors: Vec<usize> = (0..3).filter(|i| *i != victim).collect();
    (figures.applied, figures.redelivered) = log_counters(&http, &bases, &survivors);

    check_events(&db, &sent_events, &mut figures);
    check_frames(&db, &sent_frames, &mut figures);
    check_alarms(&db, &mut figures);
    check_survivors(&http, &db, &bases, &live, &survivors, observed);
    drop(nodes);
    figures
}

/// The database's busy sessions, for a failure.
fn sessions(db: &Pg) -> Vec<String> {
    db.query(
        "SELECT pid::text, coalesce(state, ''), coalesce(wait_event_type, ''), \
         coalesce(wait_event, ''), coalesce((now() - xact_start)::text, ''), left(query, 160) \
         FROM pg_stat_activity WHERE datname = current_database() \
         AND pid <> pg_backend_pid() AND state <> 'idle'",
    )
    .map(|rows| {
        rows.iter()
            .map(|r| {
                (0..6)
                    .map(|i| r.get::<_, String>(i))
                    .collect::<Vec<_>>()
                    .join(" | ")
            })
            .collect()
    })
    .unwrap_or_else(|e| vec![e.to_string()])
}

/// What each node's `/healthz` answers within five seconds, for a failure.
fn nodes_answer(bases: &[String]) -> Vec<String> {
    let http = Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    bases
        .iter()
        .map(|b| match http.get(format!("{b}/healthz")).send() {
            Ok(r) => format!("{b}: {} {}", r.status(), r.text().unwrap_or_default()),
            Err(e) => format!("{b}: {e}"),
        })
        .collect()
}

/// The survivors' `/metrics` sums of batches applied and redelivered.
fn log_counters(http: &Client, bases: &[String], survivors: &[usize]) -> (u64, u64) {
    let (mut applied, mut redelivered) = (0, 0);
    for &i in survivors {
        let text = http
            .get(format!("{}/metrics", bases[i]))
            .bearer_auth(ADMIN)
            .send()
            .and_then(|r| r.error_for_status())
            .and_then(|r| r.text())
            .expect("a survivor's metrics");
        let sum = |name: &str| -> u64 {
            text.lines()
                .filter(|l| l.starts_with(name))
                .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
                .sum::<f64>() as u64
        };
        applied += sum("vigil_ingest_log_applied_total");
        redelivered += sum("vigil_ingest_log_redeliveries_total");
    }
    (applied, redelivered)
}

fn random_between(from: Duration, to: Duration) -> Duration {
    Duration::from_millis(rand::random_range(
        from.as_millis() as u64..to.as_millis() as u64,
    ))
}

/// The node holding lease `name`, if anyone does.
fn holder(db: &Pg, name: &str) -> Option<String> {
    db.query(&format!(
        "SELECT holder FROM desk_leases WHERE name = '{name}'"
    ))
    .ok()?
    .first()
    .map(|row| row.get(0))
}

/// Whether every ingest partition is held by a node other than `dead`.
fn moved_off(db: &Pg, dead: &str) -> bool {
    let Ok(rows) = db.query("SELECT holder FROM desk_leases WHERE name LIKE 'ingest-p%'") else {
        return false;
    };
    rows.len() == PARTITIONS as usize && rows.iter().all(|r| r.get::<_, String>(0) != dead)
}

/// What the client sent.
struct SentEvents {
    sent: u64,
    acked: BTreeSet<u64>,
    /// Answers other than 200 (503 while the log cannot take a batch).
    refused: u64,
    /// Requests without an answer (a dead node, a lost connection).
    unanswered: u64,
    /// Answers neither 200 nor 503: none is expected.
    unexpected: Vec<String>,
}

/// Event `n`: every fifth one dumps credentials on one of three hosts.
fn event(n: u64, observed: chrono::DateTime<chrono::Utc>) -> String {
    let command = if n.is_multiple_of(5) {
        "m.exe sekurlsa::logonpasswords exit".to_owned()
    } else {
        format!("cmd.exe /c echo {n}")
    };
    serde_json::json!({
        "Channel": "Microsoft-Windows-Sysmon/Operational",
        "EventID": 1,
        "n": n,
        "Hostname": format!("h-{}", n % 3),
        "CommandLine": command,
        "@timestamp": observed.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
    })
    .to_string()
}

/// Sends events 0, 1, 2, … one per request until `stop`, each to the next
/// node in turn, again to the next whenever one is not answered 200.
fn stream_events(
    bases: &[String],
    observed: chrono::DateTime<chrono::Utc>,
    stop: &AtomicBool,
) -> SentEvents {
    let http = Client::builder()
        .timeout(Duration::from_secs(15))
        .build()
        .unwrap();
    let mut out = SentEvents {
        sent: 0,
        acked: BTreeSet::new(),
        refused: 0,
        unanswered: 0,
        unexpected: Vec::new(),
    };
    let mut target = 0usize;
    let mut n = 0u64;
    while !stop.load(Ordering::SeqCst) {
        let body = format!("{}\n", event(n, observed));
        out.sent += 1;
        // An event is resent until it is taken, also after `stop`: the
        // client does not walk away from what it was sending.
        let given_up = Instant::now() + Duration::from_secs(120);
        loop {
            let base = &bases[target % bases.len()];
            let answer = http
                .post(format!("{base}/api/v1/ingest"))
                .bearer_auth(INGEST)
                .body(body.clone())
                .send();
            match answer {
                Ok(r) if r.status() == StatusCode::OK => {
                    out.acked.insert(n);
                    break;
                }
                other => {
                    match other {
                        Ok(r) if r.status() == StatusCode::SERVICE_UNAVAILABLE => out.refused += 1,
                        Ok(r) => out.unexpected.push(format!(
                            "{}: {}",
                            r.status(),
                            r.text().unwrap_or_default()
                        )),
                        Err(_) => out.unanswered += 1,
                    }
                    target += 1;
                    if Instant::now() > given_up {
                        break;
                    }
                    std::thread::sleep(Duration::from_millis(20));
                }
            }
        }
        target += 1;
        n += 1;
    }
    out
}

/// Every acknowledged event is stored, and nothing is stored twice.
fn check_events(db: &Pg, sent: &SentEvents, figures: &mut Figures) {
    assert!(
        sent.unexpected.is_empty(),
        "refusals other than 503: {:?}",
        sent.unexpected
    );
    let stored: BTreeMap<u64, i64> = eventually(
        "every acknowledged event is stored",
        Duration::from_secs(120),
        || {
            let rows = db
                .query(
                    "SELECT (fields::jsonb->>'n')::bigint, count(*) FROM events \
                     WHERE source_id = 'alpha-windows' GROUP BY 1",
                )
                .ok()?;
            let stored: BTreeMap<u64, i64> = rows
                .iter()
                .filter_map(|r| Some((r.get::<_, Option<i64>>(0)? as u64, r.get(1))))
                .collect();
            sent.acked
                .iter()
                .all(|n| stored.contains_key(n))
                .then_some(stored)
        },
    );
    figures.events_sent = sent.sent;
    figures.events_acked = sent.acked.len();
    figures.events_refused = sent.refused;
    figures.events_unanswered = sent.unanswered;
    figures.events_stored = stored.len();
    figures.event_duplicates = stored.values().map(|c| c - 1).sum();
    let twice: Vec<_> = stored.iter().filter(|(_, c)| **c > 1).collect();
    assert!(twice.is_empty(), "events stored more than once: {twice:?}");
    assert!(
        stored.keys().all(|n| *n < sent.sent),
        "an event nobody sent is stored"
    );
}

/// Every acknowledged frame is stored, and nothing is stored twice.
fn check_frames(db: &Pg, sent: &[dialler::Sent], figures: &mut Figures) {
    let unexpected: Vec<_> = sent.iter().flat_map(|s| &s.unexpected).collect();
    assert!(
        unexpected.is_empty(),
        "answers other than ACK and NAK: {unexpected:?}"
    );
    let acked: BTreeSet<(String, String)> = sent.iter().flat_map(|s| s.acked.clone()).collect();
    let stored: BTreeMap<(String, String), i64> = eventually(
        "every acknowledged frame is stored",
        Duration::from_secs(120),
        || {
            let rows = db
                .query(&format!(
                    "SELECT fields::jsonb->>'account', fields::jsonb->>'sequence', count(*) \
                     FROM events WHERE source_id = '{PANELS}' GROUP BY 1, 2"
                ))
                .ok()?;
            let stored: BTreeMap<(String, String), i64> = rows
                .iter()
                .filter_map(|r| {
                    Some((
                        (
                            r.get::<_, Option<String>>(0)?,
                            r.get::<_, Option<String>>(1)?,
                        ),
                        r.get(2),
                    ))
                })
                .collect();
            acked
                .iter()
                .all(|k| stored.contains_key(k))
                .then_some(stored)
        },
    );
    figures.frames_sent = sent.iter().map(|s| s.sent).sum();
    figures.frames_acked = acked.len();
    figures.frames_refused = sent.iter().map(|s| s.refused).sum();
    figures.frames_unanswered = sent.iter().map(|s| s.unanswered).sum();
    figures.frames_stored = stored.len();
    figures.frame_duplicates = stored.values().map(|c| c - 1).sum();
    let twice: Vec<_> = stored.iter().filter(|(_, c)| **c > 1).collect();
    assert!(twice.is_empty(), "frames stored more than once: {twice:?}");
}

/// One alert per host that dumped credentials, counting each stored event
/// once, and exactly one alarm per alert.
fn check_alarms(db: &Pg, figures: &mut Figures) {
    let expected: BTreeMap<String, i64> = db
        .query(
            "SELECT fields::jsonb->>'Hostname', count(*) FROM events \
             WHERE source_id = 'alpha-windows' AND fields LIKE '%sekurlsa%' GROUP BY 1",
        )
        .expect("the dumping events")
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    let alerts = db
        .query(
            "SELECT a.id::text, a.group_key, a.event_count, \
             (SELECT count(*) FROM alert_evidence e WHERE e.alert_id = a.id) FROM alerts a",
        )
        .expect("the alerts");
    assert_eq!(
        alerts.len(),
        expected.len(),
        "one alert per host: {expected:?}"
    );
    for a in &alerts {
        let (group, count, evidence): (String, i64, i64) = (a.get(1), a.get(2), a.get(3));
        let host = expected
            .iter()
            .find(|(h, _)| group.contains(h.as_str()))
            .unwrap_or_else(|| panic!("alert for `{group}` names no host that dumped credentials"));
        assert_eq!(
            (count, evidence),
            (*host.1, *host.1),
            "alert `{group}` counts each of its events once"
        );
    }
    let ids: BTreeSet<String> = alerts.iter().map(|a| a.get(0)).collect();
    let alarms: BTreeSet<String> =
        eventually("an alarm for every alert", Duration::from_secs(90), || {
            let rows = db
                .query("SELECT id FROM desk_records WHERE kind = 'alarm'")
                .ok()?;
            let alarms: BTreeSet<String> = rows.iter().map(|r| r.get(0)).collect();
            (alarms == ids).then_some(alarms)
        });
    figures.alerts = ids.len();
    figures.alarms = alarms.len();
}

/// The survivors serve the console and the API, and an alarm raised after
/// the failover reaches both their live streams.
fn check_survivors(
    http: &Client,
    db: &Pg,
    bases: &[String],
    live: &[std::sync::mpsc::Receiver<String>],
    survivors: &[usize],
    observed: chrono::DateTime<chrono::Utc>,
) {
    let line = event(0, observed).replace("h-0", "h-after");
    let sent = Instant::now();
    let resp = http
        .post(format!("{}/api/v1/ingest", bases[survivors[0]]))
        .bearer_auth(INGEST)
        .body(format!("{line}\n"))
        .send()
        .expect("ingest on a survivor");
    assert_eq!(resp.status(), StatusCode::OK);
    let id: String = eventually("the alert after failover", Duration::from_secs(90), || {
        db.query("SELECT id::text FROM alerts WHERE group_key LIKE '%h-after%'")
            .ok()?
            .first()
            .map(|r| r.get(0))
    });
    for &i in survivors {
        let base = &bases[i];
        if let Err(seen) = wait_for_alarm(&live[i], sent, Duration::from_secs(90), |a| {
            a["id"] == id.as_str()
        }) {
            panic!(
                "no alarm {id} on {base}'s stream; it sent:\n{}",
                seen.join("\n")
            );
        }
        let page = http
            .get(format!("{base}/queue"))
            .send()
            .expect("the console");
        assert_eq!(page.status(), StatusCode::OK, "{base} serves the console");
        let alarms = http
            .get(format!("{base}/api/v1/alarms"))
            .bearer_auth(ADMIN)
            .send()
            .expect("the alarms");
        assert_eq!(alarms.status(), StatusCode::OK, "{base} serves the alarms");
    }
}
