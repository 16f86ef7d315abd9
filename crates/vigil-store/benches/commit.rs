//! Throughput of the ingest write path: `Store::commit` on the embedded
//! SQLite store, for ~1 KB events in batches of various sizes, with and
//! without alert evidence, and with several committers at once (group
//! commit). Every commit is durable (`synchronous=FULL`), as in production.
//!
//! Run with `cargo bench -p vigil-store --bench commit`; throughput is
//! reported in events per second.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use criterion::{BatchSize, BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use serde_json::json;
use vigil_model::{
    Alert, AlertStatus, Entity, EntityKind, Event, EventClass, EventId, Severity, SiteId, SourceId,
    SourceKind, SourceRef, TenantId, Timestamp, alert_id_for,
};
use vigil_store::sqlite::{SqliteOptions, SqliteStore};
use vigil_store::{AlertDetection, IngestBatch, Store};

static NEXT: AtomicU64 = AtomicU64::new(1);

fn at(secs: u64) -> Timestamp {
    chrono::DateTime::from_timestamp(1_735_689_600 + (secs % 86_400) as i64, 0).unwrap_or_default()
}

/// A Windows logon event whose fields serialise to about 1 KB.
fn event(tenant: &TenantId) -> Event {
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let mut random = [0u8; 10];
    random[2..].copy_from_slice(&n.to_be_bytes());
    let observed = at(n / 100);
    let fields = json!({
        "EventID": 4624,
        "Channel": "Security",
        "Provider": "Microsoft-Windows-Security-Auditing",
        "Computer": format!("ws-{:04}.corp.example.com", n % 5000),
        "EventRecordID": n,
        "TimeCreated": observed.to_rfc3339(),
        "SubjectUserSid": "S-1-5-18",
        "SubjectUserName": "WS-0042$",
        "SubjectDomainName": "CORP",
        "SubjectLogonId": "0x3e7",
        "TargetUserSid": format!("S-1-5-21-3623811015-3361044348-30300820-{}", 1000 + n % 900),
        "TargetUserName": format!("user{}", n % 900),
        "TargetDomainName": "CORP",
        "TargetLogonId": format!("0x{:x}", n * 7919),
        "LogonType": 3,
        "LogonProcessName": "NtLmSsp",
        "AuthenticationPackageName": "NTLM",
        "WorkstationName": format!("WS-{:04}", n % 5000),
        "LogonGuid": "{00000000-0000-0000-0000-000000000000}",
        "TransmittedServices": "-",
        "LmPackageName": "NTLM V2",
        "KeyLength": 128,
        "ProcessId": "0x0",
        "ProcessName": "-",
        "IpAddress": format!("10.{}.{}.{}", n % 200, (n / 200) % 250, n % 250),
        "IpPort": 49152 + n % 10000,
        "ImpersonationLevel": "%%1833",
        "ElevatedToken": "%%1842",
        "Message": "An account was successfully logged on.",
    });
    Event {
        id: EventId::new_at(observed, random),
        tenant: tenant.clone(),
        site: Some(SiteId::new("hq").unwrap_or_else(|_| unreachable!())),
        observed_at: observed,
        received_at: observed,
        source: SourceRef {
            id: SourceId::new("dc-logs").unwrap_or_else(|_| unreachable!()),
            kind: SourceKind::Http,
            product: "windows".into(),
            device: Some(format!("dc{:02}", n % 4)),
        },
        class: EventClass::Authentication,
        severity: Severity::Info,
        entities: vec![
            Entity::new(EntityKind::User, format!("user{}", n % 900)),
            Entity::new(EntityKind::Host, format!("ws-{:04}", n % 5000)),
            Entity::new(EntityKind::Ip, format!("10.0.{}.{}", n % 250, n % 200)),
        ],
        fields: match fields {
            serde_json::Value::Object(map) => map.into(),
            _ => unreachable!(),
        },
    }
}

/// `size` events, and `alerts` detections with ten pieces of evidence each.
fn batch(size: usize, alerts: usize) -> IngestBatch {
    let tenant = TenantId::new("bench").unwrap_or_else(|_| unreachable!());
    let events: Vec<Event> = (0..size).map(|_| event(&tenant)).collect();
    let detections = events
        .chunks(10)
        .take(alerts)
        .map(|chunk| {
            let first = &chunk[0];
            let group = first
                .entity(EntityKind::User)
                .unwrap_or_default()
                .to_owned();
            let window = at(0);
            AlertDetection {
                alert: Alert {
                    id: alert_id_for(&tenant, "brute-force", &group, window),
                    tenant: tenant.clone(),
                    site: first.site.clone(),
                    rule_id: "brute-force".into(),
                    rule_title: "Many logons from one account".into(),
                    severity: Severity::High,
                    status: AlertStatus::New,
                    group_key: group,
                    window_start: window,
                    first_seen: first.observed_at,
                    last_seen: first.observed_at,
                    event_count: 0,
                    entities: first.entities.clone(),
                    evidence: Vec::new(),
                    created_at: first.received_at,
                    updated_at: first.received_at,
                },
                evidence: chunk
                    .iter()
                    .map(|e| (e.id, e.id.0.as_u64_pair().1, e.observed_at))
                    .collect(),
            }
        })
        .collect();
    IngestBatch {
        fingerprints: events.iter().map(|e| e.id.0.as_u64_pair().1).collect(),
        events,
        dead_letters: Vec::new(),
        detections,
    }
}

fn store() -> SqliteStore {
    SqliteStore::open_temporary(SqliteOptions::default()).unwrap_or_else(|e| panic!("{e}"))
}

fn sequential(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap_or_else(|e| panic!("{e}"));
    let mut group = c.benchmark_group("commit");
    group
        .sample_size(20)
        .measurement_time(Duration::from_secs(6));
    for (size, alerts) in [(100, 0), (1_000, 0), (5_000, 0), (1_000, 10)] {
        let store = store();
        group.throughput(Throughput::Elements(size as u64));
        let name = if alerts == 0 {
            "events"
        } else {
            "events+alerts"
        };
        group.bench_with_input(BenchmarkId::new(name, size), &size, |b, &size| {
            b.iter_batched(
                || batch(size, alerts),
                |batch| {
                    rt.block_on(store.commit(batch))
                        .unwrap_or_else(|e| panic!("{e}"))
                },
                BatchSize::PerIteration,
            )
        });
    }
    group.finish();
}

/// Several pipeline workers committing at once: the writer groups their
/// batches into shared transactions.
fn concurrent(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .unwrap_or_else(|e| panic!("{e}"));
    let mut group = c.benchmark_group("commit-concurrent");
    group
        .sample_size(20)
        .measurement_time(Duration::from_secs(6));
    let store = Arc::new(store());
    for committers in [4usize, 16] {
        let size = 1_000;
        group.throughput(Throughput::Elements((committers * size) as u64));
        group.bench_with_input(
            BenchmarkId::new(format!("{committers}x"), size),
            &size,
            |b, &size| {
                b.iter_batched(
                    || (0..committers).map(|_| batch(size, 0)).collect::<Vec<_>>(),
                    |batches| {
                        rt.block_on(async {
                            let tasks: Vec<_> = batches
                                .into_iter()
                                .map(|batch| {
                                    let store = Arc::clone(&store);
                                    tokio::spawn(async move { store.commit(batch).await })
                                })
                                .collect();
                            for t in tasks {
                                t.await
                                    .unwrap_or_else(|e| panic!("{e}"))
                                    .unwrap_or_else(|e| panic!("{e}"));
                            }
                        })
                    },
                    BatchSize::PerIteration,
                )
            },
        );
    }
    group.finish();
}

criterion_group!(benches, sequential, concurrent);
criterion_main!(benches);
