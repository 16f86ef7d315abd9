//! Fixtures of the conformance suite: two tenants, and builders for
//! events, detections and dead letters, at times counted from now.

#![allow(dead_code)]

use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};

use serde_json::json;
use vigil_model::{
    Alert, AlertStatus, DeadLetter, Entity, EntityKind, Event, EventClass, EventId, Fields,
    Severity, Site, SiteId, SourceBinding, SourceId, SourceKind, SourceRef, Tenant, TenantId,
    Timestamp, alert_id_for,
};
use vigil_store::{AlertDetection, IngestBatch, NodeStore};

pub const A: &str = "alpha";
pub const B: &str = "bravo";

/// A time `secs` seconds after a base thirty days before the test run
/// started (whole seconds, the same for every call), with a microsecond part
/// so that round trips prove microsecond precision.
pub fn t(secs: i64) -> Timestamp {
    static BASE: OnceLock<i64> = OnceLock::new();
    let base = *BASE.get_or_init(|| (chrono::Utc::now() - chrono::Duration::days(30)).timestamp());
    chrono::DateTime::from_timestamp_micros((base + secs) * 1_000_000 + 123_456).unwrap()
}

pub fn tenant(id: &str) -> TenantId {
    TenantId::new(id).unwrap()
}

pub fn source_id(tenant: &str) -> SourceId {
    SourceId::new(&format!("{tenant}-fw")).unwrap()
}

/// Tenants A and B, each with a site `hq` and a source `<tenant>-fw`.
pub async fn configure(store: &dyn NodeStore) {
    for id in [A, B] {
        store
            .upsert_tenant(&Tenant {
                id: tenant(id),
                name: format!("{id} corp"),
            })
            .await
            .unwrap();
        store
            .upsert_site(&Site {
                tenant: tenant(id),
                id: SiteId::new("hq").unwrap(),
                name: "Head office".into(),
                timezone: "Europe/London".into(),
            })
            .await
            .unwrap();
        store
            .upsert_source(
                &SourceBinding {
                    id: source_id(id),
                    tenant: tenant(id),
                    site: Some(SiteId::new("hq").unwrap()),
                    kind: SourceKind::SyslogTcp,
                    product: "fortigate".into(),
                },
                Some(token_hash(id)),
            )
            .await
            .unwrap();
    }
}

pub fn token_hash(seed: &str) -> [u8; 32] {
    let mut h = [0u8; 32];
    for (i, b) in seed.bytes().enumerate() {
        h[i % 32] ^= b;
    }
    h[31] = 0xee;
    h
}

static NEXT: AtomicU64 = AtomicU64::new(1);

/// A fresh event id (unique within the test process).
pub fn event_id(at: Timestamp) -> EventId {
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let mut random = [0u8; 10];
    random[2..].copy_from_slice(&n.to_be_bytes());
    EventId::new_at(at, random)
}

/// An event of `tenant` observed at `t(secs)` with the given fields.
pub fn event(tenant_id: &str, secs: i64, fields: serde_json::Value) -> Event {
    let fields: Fields = match fields {
        serde_json::Value::Object(map) => map.into(),
        other => panic!("fields must be an object, got {other}"),
    };
    Event {
        id: event_id(t(secs)),
        tenant: tenant(tenant_id),
        site: Some(SiteId::new("hq").unwrap()),
        observed_at: t(secs),
        received_at: t(secs + 1),
        source: SourceRef {
            id: source_id(tenant_id),
            kind: SourceKind::SyslogTcp,
            product: "fortigate".into(),
            device: Some("fw01".into()),
        },
        class: EventClass::NetworkActivity,
        severity: Severity::Low,
        entities: vec![
            Entity::new(EntityKind::Ip, "10.0.0.1"),
            Entity::new(EntityKind::Host, "fw01"),
        ],
        fields,
    }
}

/// A batch of `events` with fingerprints taken from their ids.
pub fn batch(events: Vec<Event>) -> IngestBatch {
    IngestBatch {
        fingerprints: events.iter().map(|e| e.id.0.as_u64_pair().1).collect(),
        events,
        ..IngestBatch::default()
    }
}

/// The alert a rule `rule` raises for `group` in the hour starting at
/// `t(window)`, as the detector would first build it.
pub fn alert(tenant_id: &str, rule: &str, group: &str, window: i64) -> Alert {
    let tenant = tenant(tenant_id);
    Alert {
        id: alert_id_for(&tenant, rule, group, t(window)),
        tenant,
        site: Some(SiteId::new("hq").unwrap()),
        rule_id: rule.into(),
        rule_title: format!("Rule {rule}"),
        severity: Severity::High,
        status: AlertStatus::New,
        group_key: group.into(),
        window_start: t(window),
        first_seen: t(window + 10),
        last_seen: t(window + 20),
        event_count: 0,
        entities: vec![Entity::new(EntityKind::Host, group)],
        evidence: Vec::new(),
        created_at: t(window + 30),
        updated_at: t(window + 30),
    }
}

/// A detection of `alert` with `events` as evidence, fingerprinted by
/// `fingerprint(event)`.
pub fn detection(alert: Alert, events: &[(&Event, u64)]) -> AlertDetection {
    AlertDetection {
        alert,
        evidence: events
            .iter()
            .map(|(e, fp)| (e.id, *fp, e.observed_at))
            .collect(),
    }
}

pub fn dead_letter(tenant_id: &str, secs: i64, raw: &[u8]) -> DeadLetter {
    DeadLetter {
        id: 0,
        tenant: tenant(tenant_id),
        source: source_id(tenant_id),
        received_at: t(secs),
        reason: "line 1, column 3: expected `:`".into(),
        raw: raw.to_vec(),
    }
}

/// A typical Windows logon event's fields.
pub fn logon_fields(user: &str) -> serde_json::Value {
    json!({
        "EventID": 4624,
        "Channel": "Security",
        "TargetUserName": user,
        "LogonType": 3,
        "IpAddress": "10.1.2.3",
        "Elevated": true,
        "Process": {"Name": "lsass.exe", "Id": 612},
    })
}
