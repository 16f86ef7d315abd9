//! Compliance evidence packs over a real server and store: a client viewer
//! gets its own client's pack (JSON or PDF) and a 403 for another's; a
//! provider must name the client; an unknown framework, a bad period or
//! format is a 400 naming the value and what is accepted, and records
//! nothing; a pack that was served is on the audit record.

use std::sync::Arc;

use chrono::Duration;
use reqwest::StatusCode;
use serde_json::Value;
use vigil_desk::DeskConfig;
use vigil_desk::service::{Desk, EvidenceSettings};
use vigil_detect::{LoadOptions, RuleSet};
use vigil_ingest::{Pipeline, PipelineConfig};
use vigil_model::{ManualClock, Tenant, TenantId, Timestamp};
use vigil_server::AppState;
use vigil_server::auth::hash_token;
use vigil_server::site_plan::EstateView;
use vigil_store::audit::AuditSigner;
use vigil_store::sqlite::{SqliteOptions, SqliteStore};
use vigil_store::{ApiToken, DeskStore, LocalBus, Role, Store, TenantScope};

const A: &str = "northgate";
const B: &str = "riverside";

fn tenant(id: &str) -> TenantId {
    TenantId::new(id).expect("tenant id")
}

struct Server {
    base: String,
    client: reqwest::Client,
    store: Arc<SqliteStore>,
    now: Timestamp,
}

impl Server {
    async fn get(&self, token: &str, path: &str) -> reqwest::Response {
        self.client
            .get(format!("{}{path}", self.base))
            .bearer_auth(token)
            .send()
            .await
            .expect("request")
    }

    async fn json(&self, token: &str, path: &str) -> (StatusCode, Value) {
        let r = self.get(token, path).await;
        let status = r.status();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    /// `from=…&to=…` for the last week.
    fn week(&self) -> String {
        format!(
            "from={}&to={}",
            (self.now - Duration::days(7)).date_naive(),
            self.now.date_naive()
        )
    }

    async fn audit_len(&self) -> usize {
        self.store
            .audit_entries(&TenantScope::All, None, 10_000)
            .await
            .expect("audit")
            .len()
    }
}

async fn server() -> Server {
    let now = chrono::Utc::now();
    let store = Arc::new(SqliteStore::open_temporary(SqliteOptions::default()).expect("store"));
    for id in [A, B] {
        store
            .upsert_tenant(&Tenant {
                id: tenant(id),
                name: format!("{id} Ltd"),
            })
            .await
            .expect("tenant");
    }
    let tokens: Vec<ApiToken> = [
        ("admin", Role::ProviderAdmin, None),
        ("a-viewer", Role::ClientViewer, Some(A)),
        ("b-viewer", Role::ClientViewer, Some(B)),
    ]
    .into_iter()
    .map(|(name, role, t)| ApiToken {
        name: name.into(),
        role,
        tenant: t.map(tenant),
        hash: hash_token(name),
    })
    .collect();
    for t in &tokens {
        store.upsert_api_token(t).await.expect("token");
    }
    let clock = Arc::new(ManualClock::new(now));
    let desk = Desk::new(
        store.clone(),
        clock.clone(),
        DeskConfig::default(),
        Some(AuditSigner::from_secret([5; 32])),
    )
    .await
    .expect("desk");
    desk.set_evidence_settings(EvidenceSettings {
        tokens: Some(tokens),
        ..Default::default()
    });
    let rules = RuleSet::load_sources(Vec::<(String, String)>::new(), &LoadOptions::default());
    let bus = Arc::new(LocalBus::new(64));
    let pipeline = Pipeline::new(
        store.clone(),
        bus.clone(),
        clock.clone(),
        Arc::new(rules.ruleset),
        PipelineConfig::default(),
    );
    let app = vigil_server::router(AppState {
        pipeline,
        store: store.clone(),
        bus,
        desk,
        sessions: Default::default(),
        estate: EstateView {
            store: Some(store.clone()),
            ..Default::default()
        },
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("address");
    tokio::spawn(async move { axum::serve(listener, app).await });
    Server {
        base: format!("http://{addr}"),
        client: reqwest::Client::new(),
        store,
        now,
    }
}

#[tokio::test]
async fn a_client_gets_its_own_pack_and_never_another_s() {
    let s = server().await;
    let week = s.week();
    let (status, pack) = s
        .json(
            "a-viewer",
            &format!("/api/v1/compliance/iso27001/report?{week}"),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{pack}");
    assert_eq!(pack["tenant"], A);
    assert_eq!(pack["controls"].as_array().map(Vec::len), Some(93));
    let rights = pack["entries"]
        .as_array()
        .and_then(|es| es.iter().find(|e| e["id"] == "access.rights"))
        .expect("access.rights");
    let names: Vec<&str> = rights["data"]["holders"]
        .as_array()
        .expect("holders")
        .iter()
        .filter_map(|h| h["name"].as_str())
        .collect();
    assert_eq!(names, ["admin", "a-viewer"], "no other client's user");
    let text = pack.to_string();
    assert!(!text.contains(B), "nothing of riverside: {text}");

    // The pack is on the record, by the viewer, for its client.
    let last = s
        .store
        .audit_entries(&TenantScope::One(tenant(A)), None, 1)
        .await
        .expect("audit");
    assert_eq!(last[0].action, "compliance.report");
    assert_eq!(last[0].actor, "a-viewer");
    assert_eq!(
        last[0].after.map(hex::encode).as_deref(),
        pack["digest"].as_str()
    );

    // Another client's pack: 403, and nothing recorded.
    let before = s.audit_len().await;
    let (status, body) = s
        .json(
            "a-viewer",
            &format!("/api/v1/compliance/iso27001/report?tenant={B}&{week}"),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(s.audit_len().await, before);

    // A provider names the client, and gets NIS-2 as PDF.
    let (status, body) = s
        .json("admin", &format!("/api/v1/compliance/nis2/report?{week}"))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(
        body["message"].as_str().unwrap_or("").contains("tenant="),
        "{body}"
    );
    let r = s
        .get(
            "admin",
            &format!("/api/v1/compliance/nis2/report?tenant={B}&{week}&format=pdf"),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(
        r.headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some("application/pdf")
    );
    let disposition = r
        .headers()
        .get("content-disposition")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert!(
        disposition.starts_with("attachment; filename=\"evidence-nis2-riverside-"),
        "{disposition}"
    );
    assert!(r.bytes().await.expect("body").starts_with(b"%PDF-"));

    let (status, _) = s
        .json(
            "b-viewer",
            &format!("/api/v1/compliance/iso27001/report?tenant=nobody&{week}"),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = s
        .json(
            "nobody",
            &format!("/api/v1/compliance/iso27001/report?{week}"),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn bad_input_names_the_value_and_what_is_accepted_and_records_nothing() {
    let s = server().await;
    let week = s.week();
    let before = s.audit_len().await;
    let cases = [
        (
            format!("/api/v1/compliance/soc2/report?{week}"),
            "unknown framework `soc2`; expected iso27001 or nis2",
        ),
        (
            format!("/api/v1/compliance/iso27001/report?{week}&format=docx"),
            "format `docx` is not one of json, pdf",
        ),
        (
            "/api/v1/compliance/iso27001/report?from=yesterday&to=2099-01-01".to_owned(),
            "from: period end `yesterday` is neither a date",
        ),
        (
            format!(
                "/api/v1/compliance/iso27001/report?from={}&to={}",
                s.now.date_naive(),
                (s.now - Duration::days(2)).date_naive()
            ),
            "must come after the start",
        ),
        (
            "/api/v1/compliance/iso27001/report".to_owned(),
            "invalid query parameters",
        ),
    ];
    for (path, says) in cases {
        let (status, body) = s.json("a-viewer", &path).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{path}: {body}");
        assert!(
            body["message"].as_str().unwrap_or("").contains(says),
            "{path}: {body}"
        );
    }
    assert_eq!(s.audit_len().await, before, "bad input records nothing");
}

#[test]
fn the_openapi_document_describes_the_endpoint() {
    let doc = serde_json::to_value(vigil_server::openapi_document()).expect("json");
    let op = &doc["paths"]["/api/v1/compliance/{framework}/report"]["get"];
    assert_eq!(op["operationId"], "get_api_v1_compliance_framework_report");
    let params: Vec<&str> = op["parameters"]
        .as_array()
        .expect("parameters")
        .iter()
        .filter_map(|p| p["name"].as_str())
        .collect();
    for p in ["framework", "tenant", "from", "to", "format"] {
        assert!(params.contains(&p), "{p} in {params:?}");
    }
}
