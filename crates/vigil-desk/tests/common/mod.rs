//! Fixtures: a real SQLite store with two clients, alerts committed the way
//! the pipeline commits them, and a desk on a manual clock.

#![allow(dead_code)]

use std::sync::Arc;

use chrono::Duration;
use vigil_desk::DeskConfig;
use vigil_desk::service::Desk;
use vigil_model::{
    Alert, AlertStatus, Entity, EntityKind, Event, EventClass, EventId, ManualClock, Severity,
    Site, SiteId, SourceBinding, SourceId, SourceKind, SourceRef, Tenant, TenantId, Timestamp,
    alert_id_for,
};
use vigil_store::sqlite::{SqliteOptions, SqliteStore};
use vigil_store::{AlertDetection, IngestBatch, Store};

pub mod visitors;

pub const A: &str = "northgate";
pub const B: &str = "riverside";

pub fn t0() -> Timestamp {
    chrono::DateTime::from_timestamp(1_764_000_000, 0).unwrap()
}

pub fn tenant(id: &str) -> TenantId {
    TenantId::new(id).unwrap()
}

pub struct World {
    pub store: Arc<SqliteStore>,
    pub clock: Arc<ManualClock>,
    pub desk: Desk,
}

pub async fn world(config: DeskConfig) -> World {
    let store = Arc::new(SqliteStore::open_temporary(SqliteOptions::default()).unwrap());
    for id in [A, B] {
        store
            .upsert_tenant(&Tenant {
                id: tenant(id),
                name: id.into(),
            })
            .await
            .unwrap();
        store
            .upsert_site(&Site {
                tenant: tenant(id),
                id: SiteId::new("hq").unwrap(),
                name: "HQ".into(),
                timezone: "UTC".into(),
            })
            .await
            .unwrap();
        store
            .upsert_source(
                &SourceBinding {
                    id: SourceId::new(&format!("{id}-src")).unwrap(),
                    tenant: tenant(id),
                    site: None,
                    kind: SourceKind::Http,
                    product: "vigil".into(),
                },
                None,
            )
            .await
            .unwrap();
    }
    let clock = Arc::new(ManualClock::new(t0()));
    let desk = Desk::new(
        store.clone(),
        clock.clone(),
        config,
        Some(vigil_store::audit::AuditSigner::from_secret([3; 32])),
    )
    .await
    .unwrap();
    World { store, clock, desk }
}

/// Commits one event as evidence of `rule` about `entity` (a door, camera
/// or host) at `min` minutes after t0, as the pipeline would.
pub async fn raise(
    store: &SqliteStore,
    tenant_id: &str,
    rule: &str,
    severity: Severity,
    kind: EntityKind,
    entity: &str,
    min: i64,
) -> Alert {
    let at = t0() + Duration::minutes(min);
    let tenant = tenant(tenant_id);
    let group = format!("{}:{entity}", kind.as_str());
    let window = vigil_model::alert_window_start(at, Duration::hours(1));
    let mut random = [0u8; 10];
    random[..8].copy_from_slice(
        &(min as u64 ^ entity.len() as u64 ^ (rule.len() as u64) << 20).to_be_bytes(),
    );
    random[8] = tenant_id.len() as u8;
    let event = Event {
        id: EventId::new_at(at, random),
        tenant: tenant.clone(),
        site: Some(SiteId::new("hq").unwrap()),
        observed_at: at,
        received_at: at,
        source: SourceRef {
            id: SourceId::new(&format!("{tenant_id}-src")).unwrap(),
            kind: SourceKind::Http,
            product: "vigil".into(),
            device: None,
        },
        class: EventClass::Authentication,
        severity,
        entities: vec![Entity::new(kind, entity)],
        fields: Default::default(),
    };
    let alert = Alert {
        id: alert_id_for(&tenant, rule, &group, window),
        tenant,
        site: Some(SiteId::new("hq").unwrap()),
        rule_id: rule.into(),
        rule_title: format!("Rule {rule}"),
        severity,
        status: AlertStatus::New,
        group_key: group,
        window_start: window,
        first_seen: at,
        last_seen: at,
        event_count: 1,
        entities: vec![Entity::new(kind, entity)],
        evidence: vec![],
        created_at: at,
        updated_at: at,
    };
    let fp = u64::from_be_bytes(event.id.0.as_bytes()[8..16].try_into().unwrap());
    store
        .commit(IngestBatch {
            events: vec![event.clone()],
            fingerprints: vec![fp],
            detections: vec![AlertDetection {
                alert: alert.clone(),
                evidence: vec![(event.id, fp, at)],
            }],
            ..Default::default()
        })
        .await
        .unwrap();
    alert
}
