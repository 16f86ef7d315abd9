//! The monthly service report over a real server and store: a client
//! viewer gets its own client's report and a 403 for another's, a bad
//! month or format is a 400 with a JSON error, each format comes back with
//! its content type, and a provider gets every client's.

use std::sync::Arc;

use chrono::Duration;
use reqwest::StatusCode;
use serde_json::Value;
use vigil_desk::service::Desk;
use vigil_desk::{Actor, DeskConfig};
use vigil_detect::{LoadOptions, RuleSet};
use vigil_ingest::{Pipeline, PipelineConfig};
use vigil_model::{Entity, EntityKind, ManualClock, Severity, Site, Tenant};
use vigil_server::AppState;
use vigil_server::auth::hash_token;
use vigil_server::site_plan::EstateView;
use vigil_store::sqlite::{SqliteOptions, SqliteStore};
use vigil_store::{ApiToken, LocalBus, Role, Store};

mod common;

use common::{A, B, Raise, raise, site, t0, tenant};

/// t0 is 2025-11-24 16:00 UTC.
const MONTH: &str = "2025-11";

struct Server {
    base: String,
    client: reqwest::Client,
}

impl Server {
    async fn get(&self, token: &str, path: &str) -> reqwest::Response {
        self.client
            .get(format!("{}{path}", self.base))
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
    }

    async fn json(&self, token: &str, path: &str) -> (StatusCode, Value) {
        let r = self.get(token, path).await;
        let status = r.status();
        (status, r.json().await.unwrap_or(Value::Null))
    }
}

/// Two clients: three alarms for northgate (one acknowledged after 30 s),
/// one for riverside.
async fn server() -> Server {
    let store = Arc::new(SqliteStore::open_temporary(SqliteOptions::default()).unwrap());
    for (id, name, site_id) in [
        (A, "Northgate Colocation", "lon1"),
        (B, "Riverside", "riv1"),
    ] {
        store
            .upsert_tenant(&Tenant {
                id: tenant(id),
                name: name.into(),
            })
            .await
            .unwrap();
        store
            .upsert_site(&Site {
                tenant: tenant(id),
                id: site(site_id),
                name: site_id.into(),
                timezone: "Europe/London".into(),
            })
            .await
            .unwrap();
    }
    for (name, role, t) in [
        ("admin", Role::ProviderAdmin, None),
        ("a-viewer", Role::ClientViewer, Some(A)),
    ] {
        store
            .upsert_api_token(&ApiToken {
                name: name.into(),
                role,
                tenant: t.map(tenant),
                hash: hash_token(name),
            })
            .await
            .unwrap();
    }
    for (t, rule, min) in [(A, "r1", 0), (A, "r2", 5), (A, "r3", 10), (B, "r1", 0)] {
        raise(
            &store,
            Raise {
                tenant: t,
                site: None,
                rule,
                entity: Entity::new(EntityKind::Door, "d1"),
                severity: Severity::High,
                min,
            },
        )
        .await;
    }
    let clock = Arc::new(ManualClock::new(t0() + Duration::minutes(11)));
    let desk = Desk::new(store.clone(), clock.clone(), DeskConfig::default(), None)
        .await
        .unwrap();
    desk.triage_once().await.unwrap();
    let first = desk
        .alarms_since(
            &vigil_store::TenantScope::One(tenant(A)),
            t0() - Duration::hours(1),
        )
        .await
        .unwrap()
        .into_iter()
        .find(|a| a.rule_id == "r1")
        .unwrap();
    clock.advance(Duration::seconds(30));
    desk.alarm_command(
        &Actor::person("alice", Role::ProviderOperator, None),
        first.id,
        vigil_desk::alarm::AlarmCommand::Acknowledge,
    )
    .await
    .unwrap();
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
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    Server {
        base: format!("http://{addr}"),
        client: reqwest::Client::new(),
    }
}

#[tokio::test]
async fn a_client_viewer_gets_only_its_own_report() {
    let s = server().await;
    let path = format!("/api/v1/reports/service?month={MONTH}");
    let (status, own) = s.json("a-viewer", &path).await;
    assert_eq!(status, StatusCode::OK, "{own}");
    assert_eq!(
        own["client"]["tenant"], A,
        "no tenant named: the viewer's own"
    );
    assert_eq!(own["client"]["name"], "Northgate Colocation");
    assert_eq!(own["period"]["time_zone"], "Europe/London");
    assert_eq!(own["summary"]["key"]["alarms"], 3);
    let alarms = own["rows"]["alarms"].as_array().unwrap();
    assert!(alarms.iter().all(|a| a["tenant"] == A), "{alarms:?}");
    let within_60 = &own["summary"]["acknowledged_within"][1];
    assert_eq!(
        (within_60["acknowledged"].as_u64(), within_60["of"].as_u64()),
        (Some(1), Some(3))
    );

    let (status, same) = s.json("a-viewer", &format!("{path}&tenant={A}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(same["summary"], own["summary"]);

    let (status, body) = s.json("a-viewer", &format!("{path}&tenant={B}")).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(body["error"], "forbidden");

    let (status, all) = s.json("admin", &path).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(all["client"]["name"], "All clients");
    assert_eq!(all["period"]["time_zone"], "UTC");
    assert_eq!(all["summary"]["key"]["alarms"], 4);
}

#[tokio::test]
async fn a_bad_month_or_format_is_a_400_saying_what_was_wrong() {
    let s = server().await;
    for (query, words) in [
        ("month=2025-13", "no month 13"),
        ("month=November", "YYYY-MM"),
        ("month=2025-11&format=docx", "format `docx`"),
    ] {
        let (status, body) = s
            .json("a-viewer", &format!("/api/v1/reports/service?{query}"))
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}: {body}");
        assert_eq!(body["error"], "bad_request");
        assert!(body["message"].as_str().unwrap().contains(words), "{body}");
    }
    let (status, body) = s.json("a-viewer", "/api/v1/reports/service").await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "month is required: {body}");
}

#[tokio::test]
async fn each_format_comes_with_its_content_type() {
    let s = server().await;
    let path = |f: &str| format!("/api/v1/reports/service?month={MONTH}&format={f}");
    let pdf = s.get("a-viewer", &path("pdf")).await;
    assert_eq!(pdf.status(), StatusCode::OK);
    assert_eq!(pdf.headers()["content-type"], "application/pdf");
    assert_eq!(
        pdf.headers()["content-disposition"],
        "attachment; filename=\"service-report-northgate-2025-11.pdf\""
    );
    assert!(pdf.bytes().await.unwrap().starts_with(b"%PDF-"));

    let csv = s.get("a-viewer", &path("csv")).await;
    assert_eq!(csv.headers()["content-type"], "text/csv; charset=utf-8");
    let text = csv.text().await.unwrap();
    assert!(text.starts_with("record,id,tenant,"));
    assert_eq!(text.lines().filter(|l| l.starts_with("alarm,")).count(), 3);
    assert!(text.contains("summary,,northgate,,true,"));

    let html = s.get("a-viewer", &path("html")).await;
    assert_eq!(html.headers()["content-type"], "text/html; charset=utf-8");
    let page = html.text().await.unwrap();
    assert!(page.contains("Northgate Colocation") && page.contains("<svg"));
}
