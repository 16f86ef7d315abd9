//! Data governance over a real server and store: legal holds placed,
//! listed and lifted through the API, scoped to the caller's client and
//! role, bad requests refused with a clear error and nothing recorded.

use std::sync::Arc;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use vigil_desk::DeskConfig;
use vigil_desk::governance::Residency;
use vigil_desk::service::Desk;
use vigil_detect::{LoadOptions, RuleSet};
use vigil_ingest::{Pipeline, PipelineConfig};
use vigil_model::{ManualClock, Tenant, TenantId};
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
    desk: Desk,
}

impl Server {
    async fn call(
        &self,
        token: &str,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut r = self
            .client
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(token);
        if let Some(b) = body {
            r = r.json(&b);
        }
        let resp = r.send().await.expect("request");
        let status = resp.status();
        (status, resp.json().await.unwrap_or(Value::Null))
    }

    /// The audit chain's actions, newest first, failed logins left out.
    async fn audit_actions(&self) -> Vec<String> {
        self.store
            .audit_entries(&TenantScope::All, None, 1_000)
            .await
            .expect("audit")
            .into_iter()
            .map(|e| e.action)
            .filter(|a| a != "auth.failed")
            .collect()
    }
}

/// Every token the tests use: provider roles, and a client admin and
/// viewer of each client.
const TOKENS: &[(&str, Role, Option<&str>)] = &[
    ("admin", Role::ProviderAdmin, None),
    ("lead", Role::ProviderLead, None),
    ("op", Role::ProviderOperator, None),
    ("a-admin", Role::ClientAdmin, Some(A)),
    ("a-viewer", Role::ClientViewer, Some(A)),
    ("b-admin", Role::ClientAdmin, Some(B)),
];

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
    for (name, role, t) in TOKENS {
        store
            .upsert_api_token(&ApiToken {
                name: (*name).into(),
                role: *role,
                tenant: t.map(tenant),
                hash: hash_token(name),
            })
            .await
            .expect("token");
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
    let desk_handle = desk.clone();
    let rules = RuleSet::load_sources(Vec::<(String, String)>::new(), &LoadOptions::default());
    let bus = Arc::new(LocalBus::new(64));
    let pipeline = Pipeline::new(
        store.clone(),
        bus.clone(),
        clock,
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
        desk: desk_handle,
    }
}

#[tokio::test]
async fn every_governance_endpoint_keeps_a_client_to_its_own_data() {
    let s = server().await;
    let hold = json!({ "reason": "Matter 4711" });
    // Another client's: 403 on every endpoint, whatever the role.
    for (method, path, body) in [
        (
            Method::GET,
            format!("/api/v1/tenants/{B}/legal-holds"),
            None,
        ),
        (
            Method::POST,
            format!("/api/v1/tenants/{B}/legal-hold"),
            Some(hold.clone()),
        ),
        (
            Method::DELETE,
            format!("/api/v1/tenants/{B}/legal-hold"),
            None,
        ),
    ] {
        for token in ["a-admin", "a-viewer"] {
            let (status, body) = s.call(token, method.clone(), &path, body.clone()).await;
            assert_eq!(
                status,
                StatusCode::FORBIDDEN,
                "{token} {method} {path}: {body}"
            );
        }
        let (status, _) = s.call("nobody", method.clone(), &path, body.clone()).await;
        assert_eq!(
            status,
            StatusCode::UNAUTHORIZED,
            "{method} {path} without a token"
        );
    }
    // Its own: it may look, not place or lift.
    let own = format!("/api/v1/tenants/{A}/legal-holds");
    let (status, body) = s.call("a-viewer", Method::GET, &own, None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let place = format!("/api/v1/tenants/{A}/legal-hold");
    for token in ["a-admin", "op"] {
        let (status, body) = s
            .call(token, Method::POST, &place, Some(hold.clone()))
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{token}: {body}");
    }
    let actions = s.audit_actions().await;
    assert!(actions.is_empty(), "refusals leave no record: {actions:?}");

    // A provider lead places it; each client sees only its own.
    let (status, body) = s
        .call("lead", Method::POST, &place, Some(hold.clone()))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["hold"]["scope"], "tenant");
    let (_, mine) = s.call("a-viewer", Method::GET, &own, None).await;
    assert_eq!(mine["items"].as_array().map(Vec::len), Some(1), "{mine}");
    let (_, theirs) = s
        .call(
            "b-admin",
            Method::GET,
            &format!("/api/v1/tenants/{B}/legal-holds"),
            None,
        )
        .await;
    assert_eq!(theirs["items"], json!([]), "{theirs}");
    let (status, _) = s.call("b-admin", Method::DELETE, &place, None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    let (status, body) = s.call("admin", Method::DELETE, &place, None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["hold"]["reason"], "Matter 4711");
    assert_eq!(
        s.audit_actions().await,
        ["legal_hold.lift", "legal_hold.place"]
    );
}

#[tokio::test]
async fn bad_hold_requests_are_named_and_change_nothing() {
    let s = server().await;
    let place = format!("/api/v1/tenants/{A}/legal-hold");
    for (path, body, want, says) in [
        (
            place.clone(),
            json!({ "reason": " " }),
            StatusCode::BAD_REQUEST,
            "reason",
        ),
        (
            place.clone(),
            json!({ "why": "x" }),
            StatusCode::BAD_REQUEST,
            "why",
        ),
        (
            place.clone(),
            json!({ "reason": "x", "incident": "inc-nope" }),
            StatusCode::NOT_FOUND,
            "inc-nope",
        ),
        (
            "/api/v1/tenants/Bad%20Id/legal-hold".to_string(),
            json!({ "reason": "x" }),
            StatusCode::BAD_REQUEST,
            "tenant",
        ),
        (
            "/api/v1/tenants/nobody/legal-hold".to_string(),
            json!({ "reason": "x" }),
            StatusCode::NOT_FOUND,
            "`nobody`",
        ),
    ] {
        let (status, answer) = s
            .call("admin", Method::POST, &path, Some(body.clone()))
            .await;
        assert_eq!(status, want, "{path} {body}: {answer}");
        let message = answer["message"].as_str().unwrap_or_default();
        assert!(message.contains(says), "{path} {body}: {message}");
    }
    let (status, answer) = s.call("admin", Method::DELETE, &place, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{answer}");
    let hold = json!({ "reason": "Matter 1" });
    s.call("admin", Method::POST, &place, Some(hold.clone()))
        .await;
    let (status, answer) = s.call("admin", Method::POST, &place, Some(hold)).await;
    assert_eq!(status, StatusCode::CONFLICT, "{answer}");
    assert_eq!(s.audit_actions().await, ["legal_hold.place"]);
}

#[tokio::test]
async fn residency_is_shown_with_each_client_to_those_who_see_it() {
    let s = server().await;
    s.desk.set_residency(
        [(tenant(A), Residency::parse("EU/DE").unwrap())]
            .into_iter()
            .collect(),
    );
    let (status, all) = s.call("admin", Method::GET, "/api/v1/tenants", None).await;
    assert_eq!(status, StatusCode::OK, "{all}");
    let by_id = |v: &Value, id: &str| {
        v.as_array()
            .unwrap()
            .iter()
            .find(|t| t["id"] == id)
            .cloned()
            .unwrap_or(Value::Null)
    };
    assert_eq!(by_id(&all, A)["residency"], "EU/DE");
    assert_eq!(by_id(&all, B)["residency"], Value::Null);
    let (_, mine) = s
        .call("b-admin", Method::GET, "/api/v1/tenants", None)
        .await;
    assert_eq!(mine.as_array().map(Vec::len), Some(1), "{mine}");
    assert_eq!(mine[0]["id"], B);

    let month = chrono::Utc::now().format("%Y-%m").to_string();
    let (status, report) = s
        .call(
            "a-viewer",
            Method::GET,
            &format!("/api/v1/reports/service?tenant={A}&month={month}"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(
        report["client"]["residency"], "EU/DE",
        "{}",
        report["client"]
    );
}

#[tokio::test]
async fn an_access_review_lists_who_reaches_the_client_with_their_last_act() {
    let s = server().await;
    // The lead acts on client A (a hold), client B's admin on B.
    let place = format!("/api/v1/tenants/{A}/legal-hold");
    s.call(
        "lead",
        Method::POST,
        &place,
        Some(json!({ "reason": "Matter 1" })),
    )
    .await;
    s.call(
        "admin",
        Method::POST,
        &format!("/api/v1/tenants/{B}/legal-hold"),
        Some(json!({ "reason": "Matter 2" })),
    )
    .await;
    let path = format!("/api/v1/tenants/{A}/access-review");
    for token in ["a-viewer", "op"] {
        let (status, body) = s.call(token, Method::GET, &path, None).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{token}: {body}");
    }
    let (status, body) = s.call("a-admin", Method::GET, &path, None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let holders = body["review"]["holders"].as_array().unwrap();
    let names: Vec<&str> = holders
        .iter()
        .map(|h| h["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        ["a-admin", "a-viewer", "admin", "lead", "op"],
        "B's tokens are not A's business"
    );
    let holder = |name: &str| holders.iter().find(|h| h["name"] == name).unwrap();
    assert_eq!(holder("a-viewer")["reach"], "client");
    assert_eq!(holder("lead")["reach"], "all_clients");
    assert_eq!(holder("lead")["role"], "provider_lead");
    assert_eq!(holder("lead")["last_action"], "legal_hold.place");
    assert!(holder("lead")["last_used"].is_string());
    // The admin acted only on B: not visible in A's review.
    assert_eq!(holder("admin")["last_used"], Value::Null);
    assert_eq!(body["review"]["searched_all"], true);

    // The review is on the record; the lead (a provider) may take it too.
    let (status, again) = s.call("lead", Method::GET, &path, None).await;
    assert_eq!(status, StatusCode::OK, "{again}");
    let holders = again["review"]["holders"].as_array().unwrap();
    let a_admin = holders.iter().find(|h| h["name"] == "a-admin").unwrap();
    assert_eq!(a_admin["last_action"], "access.review");
    let (status, _) = s
        .call(
            "admin",
            Method::GET,
            "/api/v1/tenants/nobody/access-review",
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}
