//! NIS-2 Art. 23 over a real server and store: an operator assesses an
//! incident, confirms it significant, drafts the early warning (JSON and
//! PDF) and records its submission; bad input is a 400 that changes
//! nothing; a client's users see their own client's drafts and never
//! another's; a client viewer may read but not draft.

use std::sync::Arc;

use reqwest::StatusCode;
use serde_json::{Value, json};
use vigil_compliance::nis2::Nis2ProfileConfig;
use vigil_desk::DeskConfig;
use vigil_desk::service::{Desk, ServiceLevels};
use vigil_detect::{LoadOptions, RuleSet};
use vigil_ingest::{Pipeline, PipelineConfig};
use vigil_model::{Clock, ManualClock, Tenant};
use vigil_server::AppState;
use vigil_server::auth::hash_token;
use vigil_store::sqlite::{SqliteOptions, SqliteStore};
use vigil_store::{ApiToken, LocalBus, Role, Store};

mod common;

use common::{A, B, t0, tenant};

struct Server {
    base: String,
    client: reqwest::Client,
    clock: Arc<ManualClock>,
}

impl Server {
    async fn send(
        &self,
        token: &str,
        method: &str,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let url = format!("{}{path}", self.base);
        let request = match method {
            "GET" => self.client.get(url),
            _ => self.client.post(url),
        };
        let request = match body {
            Some(b) => request.json(&b),
            None => request,
        };
        let r = request.bearer_auth(token).send().await.unwrap();
        let status = r.status();
        (status, r.json().await.unwrap_or(Value::Null))
    }
}

fn profile(client: &str) -> vigil_compliance::nis2::Nis2Profile {
    Nis2ProfileConfig::from_toml_str(
        client,
        r#"
        sector = "ict_service_management"
        entity_type = "essential"
        managed_security_service_provider = true
        annual_turnover_eur = 42000000
        member_state = "AT"
        [authority]
        name = "CERT.at"
        contact = "reports@cert.at"
        "#,
    )
    .unwrap()
    .validate(&tenant(client))
    .unwrap()
}

async fn server() -> Server {
    let store = Arc::new(SqliteStore::open_temporary(SqliteOptions::default()).unwrap());
    for id in [A, B] {
        store
            .upsert_tenant(&Tenant {
                id: tenant(id),
                name: id.into(),
            })
            .await
            .unwrap();
    }
    for (name, role, t) in [
        ("operator", Role::ProviderOperator, None),
        ("a-viewer", Role::ClientViewer, Some(A)),
        ("b-admin", Role::ClientAdmin, Some(B)),
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
    let clock = Arc::new(ManualClock::new(t0()));
    let desk = Desk::new(store.clone(), clock.clone(), DeskConfig::default(), None)
        .await
        .unwrap();
    let mut levels = ServiceLevels::default();
    for id in [A, B] {
        levels.nis2.insert(tenant(id), profile(id));
    }
    desk.set_service_levels(levels);
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
        estate: Default::default(),
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    Server {
        base: format!("http://{addr}"),
        client: reqwest::Client::new(),
        clock,
    }
}

/// An incident of client A, assessed (45 minutes of complete
/// unavailability: significant under Art. 10(a)) and confirmed.
async fn significant(s: &Server) -> String {
    let (status, opened) = s
        .send(
            "operator",
            "POST",
            "/api/v1/incidents",
            Some(
                json!({"tenant": A, "title": "Managed SOC console down", "severity": "high",
                        "category": "cyber", "sites": [], "assets": [], "alarms": []}),
            ),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{opened}");
    let id = opened["incident"]["id"].as_str().unwrap().to_owned();
    let facts =
        json!({"facts": {"occurred_at": s.clock.now(), "complete_unavailability_seconds": 2700}});
    let (status, assessed) = s
        .send(
            "operator",
            "POST",
            &format!("/api/v1/incidents/{id}/nis2/assessment"),
            Some(facts),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{assessed}");
    assert_eq!(
        assessed["incident"]["nis2"]["assessment"]["significant"],
        true
    );
    let (status, decided) = s
        .send(
            "operator",
            "POST",
            &format!("/api/v1/incidents/{id}/nis2/decision"),
            Some(json!({"significant": true})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{decided}");
    id
}

fn early_warning() -> Value {
    json!({"kind": "early_warning", "impact": "console unavailable for 45 minutes",
           "suspected_cause": {"unlawful_or_malicious": "unknown"},
           "cross_border": {"possible": "no"}})
}

#[tokio::test]
async fn an_early_warning_is_drafted_read_as_json_and_pdf_and_its_submission_recorded() {
    let s = server().await;
    let id = significant(&s).await;
    let (status, drafted) = s
        .send(
            "operator",
            "POST",
            &format!("/api/v1/incidents/{id}/nis2/drafts"),
            Some(early_warning()),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{drafted}");
    let digest = drafted["draft"]["digest"].as_str().unwrap().to_owned();
    assert_eq!(drafted["draft"]["version"], 1);
    assert_eq!(
        drafted["incident"]["nis2"]["drafts"][0]["digest"],
        digest.as_str()
    );

    // The client's viewer reads it as drafted.
    let path = format!("/api/v1/incidents/{id}/nis2/drafts/early_warning/1");
    let (status, read) = s.send("a-viewer", "GET", &path, None).await;
    assert_eq!(status, StatusCode::OK, "{read}");
    assert_eq!(read["digest"], digest.as_str());
    let pdf = s
        .client
        .get(format!("{}{path}?format=pdf", s.base))
        .bearer_auth("a-viewer")
        .send()
        .await
        .unwrap();
    assert_eq!(pdf.status(), StatusCode::OK);
    assert_eq!(pdf.headers()["content-type"], "application/pdf");
    assert!(pdf.bytes().await.unwrap().starts_with(b"%PDF-"));

    let (status, sent) = s
        .send(
            "operator",
            "POST",
            &format!("/api/v1/incidents/{id}/nis2/submissions"),
            Some(json!({"kind": "early_warning", "version": 1, "to": "CERT.at portal"})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{sent}");
    assert_eq!(sent["submission"]["digest"], digest.as_str());
    assert_eq!(sent["submission"]["by"], "operator");
    let early = sent["incident"]["nis2_deadlines"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["kind"] == "early_warning")
        .cloned()
        .unwrap();
    assert!(
        early["state"].to_string().contains("submitted_on_time"),
        "{early}"
    );
}

#[tokio::test]
async fn bad_input_is_a_400_that_changes_nothing_and_a_viewer_may_not_draft() {
    let s = server().await;
    let id = significant(&s).await;
    let drafts = format!("/api/v1/incidents/{id}/nis2/drafts");
    for (body, says) in [
        (json!({"kind": "weekly_digest"}), "unknown variant"),
        (
            json!({"kind": "final_report", "impact": "x"}),
            "suspected_cause",
        ),
        (
            json!({"kind": "early_warning", "colour": "red"}),
            "unknown field",
        ),
    ] {
        let (status, e) = s.send("operator", "POST", &drafts, Some(body)).await;
        assert!(status.is_client_error(), "{status} {e}");
        assert!(e.to_string().contains(says), "{says}: {e}");
    }
    let (status, e) = s
        .send(
            "operator",
            "GET",
            &format!("{drafts}/weekly_digest/1"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{e}");
    assert!(e.to_string().contains("early_warning"), "{e}");
    let (status, e) = s
        .send(
            "operator",
            "POST",
            &format!("/api/v1/incidents/{id}/nis2/submissions"),
            Some(json!({"kind": "early_warning", "version": 1, "to": "CERT.at"})),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{e}");
    assert!(e.to_string().contains("no early_warning version 1"), "{e}");
    let (status, _) = s
        .send("a-viewer", "POST", &drafts, Some(early_warning()))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // Nothing was drafted by any of it.
    let (_, incident) = s
        .send("operator", "GET", &format!("/api/v1/incidents/{id}"), None)
        .await;
    assert_eq!(
        incident["incident"]["nis2"]["drafts"],
        json!([]),
        "{incident}"
    );
}

#[tokio::test]
async fn another_clients_user_sees_none_of_it() {
    let s = server().await;
    let id = significant(&s).await;
    let (status, _) = s
        .send(
            "operator",
            "POST",
            &format!("/api/v1/incidents/{id}/nis2/drafts"),
            Some(early_warning()),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let base = format!("/api/v1/incidents/{id}/nis2");
    for (method, path, body) in [
        (
            "POST",
            format!("{base}/assessment"),
            Some(json!({"facts": {"occurred_at": s.clock.now()}})),
        ),
        (
            "POST",
            format!("{base}/decision"),
            Some(json!({"significant": false, "reason": "x"})),
        ),
        ("POST", format!("{base}/drafts"), Some(early_warning())),
        ("GET", format!("{base}/drafts/early_warning/1"), None),
        (
            "GET",
            format!("{base}/drafts/early_warning/1?format=pdf"),
            None,
        ),
        (
            "POST",
            format!("{base}/submissions"),
            Some(json!({"kind": "early_warning", "version": 1, "to": "CERT.at"})),
        ),
    ] {
        let (status, body) = s.send("b-admin", method, &path, body).await;
        assert!(
            status == StatusCode::NOT_FOUND || status == StatusCode::FORBIDDEN,
            "{method} {path}: {status} {body}"
        );
        assert!(
            !body.to_string().contains("digest"),
            "{method} {path}: {body}"
        );
    }
}
