//! What the API tests share: the instant they start from, tenant and site
//! ids, the server on a free port, one authenticated HTTP call, and an
//! alert committed straight into the store with its evidence event.

// Each test file uses a part of this module.
#![allow(dead_code)]

use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::Arc;

use chrono::Duration;
use reqwest::{Method, StatusCode};
use serde_json::Value;
use vigil_model::{
    Alert, AlertStatus, Entity, Event, EventClass, EventId, Severity, SiteId, SourceId, SourceKind,
    SourceRef, TenantId, Timestamp, alert_id_for,
};
use vigil_store::sqlite::SqliteStore;
use vigil_store::{AlertDetection, IngestBatch, Store};

/// No Sigma rules: the API tests commit their alerts themselves.
pub fn no_rules() -> Arc<dyn vigil_detect::Detector> {
    let report = vigil_detect::RuleSet::load_sources(
        Vec::<(String, String)>::new(),
        &vigil_detect::LoadOptions::default(),
    );
    Arc::new(report.ruleset)
}

/// Serves the API over `store` and `desk` (no sessions, no estate view) on
/// a free port, with a pipeline detecting with `detector` on `clock`: the
/// base URL and the pipeline.
pub async fn serve(
    store: Arc<SqliteStore>,
    desk: vigil_desk::service::Desk,
    clock: Arc<vigil_model::ManualClock>,
    detector: Arc<dyn vigil_detect::Detector>,
) -> (String, vigil_ingest::Pipeline) {
    let bus = Arc::new(vigil_store::LocalBus::new(64));
    let pipeline = vigil_ingest::Pipeline::new(
        store.clone(),
        bus.clone(),
        clock,
        detector,
        vigil_ingest::PipelineConfig::default(),
    );
    let app = vigil_server::router(vigil_server::AppState {
        pipeline: pipeline.clone(),
        store,
        bus,
        desk,
        sessions: Default::default(),
        estate: Default::default(),
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{addr}"), pipeline)
}

/// Two client organisations.
pub const A: &str = "northgate";
/// The other one.
pub const B: &str = "riverside";

/// Where the tests' time starts.
pub fn t0() -> Timestamp {
    chrono::DateTime::from_timestamp(1_764_000_000, 0).unwrap()
}

/// A tenant id.
pub fn tenant(id: &str) -> TenantId {
    TenantId::new(id).unwrap()
}

/// A site id.
pub fn site(id: &str) -> SiteId {
    SiteId::new(id).unwrap()
}

/// Calls the API at `base` with `token`; the body, or `null` when it is
/// not JSON.
pub async fn call(
    client: &reqwest::Client,
    base: &str,
    token: &str,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut r = client
        .request(method, format!("{base}{path}"))
        .bearer_auth(token);
    if let Some(b) = body {
        r = r.json(&b);
    }
    let resp = r.send().await.unwrap();
    let status = resp.status();
    (status, resp.json().await.unwrap_or(Value::Null))
}

/// An alert to raise: `rule` about `entity`, first seen `min` minutes
/// after [`t0`].
pub struct Raise<'a> {
    /// Its tenant.
    pub tenant: &'a str,
    /// Its site, if any.
    pub site: Option<&'a str>,
    /// The rule id (its title is "Rule {rule}").
    pub rule: &'a str,
    /// The one entity it is about.
    pub entity: Entity,
    /// Its severity.
    pub severity: Severity,
    /// Minutes after t0.
    pub min: i64,
}

/// Commits the alert `r` describes, with one evidence event, as the
/// pipeline would.
pub async fn raise(store: &SqliteStore, r: Raise<'_>) -> Alert {
    let at = t0() + Duration::minutes(r.min);
    let tenant = tenant(r.tenant);
    let site = r.site.map(site);
    let group = format!("{}:{}", r.entity.kind.as_str(), r.entity.value);
    // Events raised at one instant need distinct ids.
    let mut hasher = DefaultHasher::new();
    (r.tenant, r.rule, &r.entity.value, r.min).hash(&mut hasher);
    let mut random = [0u8; 10];
    random[..8].copy_from_slice(&hasher.finish().to_be_bytes());
    let event = Event {
        id: EventId::new_at(at, random),
        tenant: tenant.clone(),
        site: site.clone(),
        observed_at: at,
        received_at: at,
        source: SourceRef {
            id: SourceId::new(&format!("{}-src", r.tenant)).unwrap(),
            kind: SourceKind::Http,
            product: "vigil".into(),
            device: None,
        },
        class: EventClass::Other,
        severity: r.severity,
        entities: vec![r.entity.clone()],
        fields: Default::default(),
    };
    let window = vigil_model::alert_window_start(at, Duration::hours(1));
    let alert = Alert {
        id: alert_id_for(&tenant, r.rule, &group, window),
        tenant,
        site,
        rule_id: r.rule.into(),
        rule_title: format!("Rule {}", r.rule),
        severity: r.severity,
        status: AlertStatus::New,
        group_key: group,
        window_start: window,
        first_seen: at,
        last_seen: at,
        event_count: 1,
        entities: vec![r.entity],
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
