//! Console sessions over a real server: logging in with an API token sets
//! an HttpOnly cookie that then authenticates reads; writes need the
//! session's CSRF value; logging out ends it; bearer auth is unchanged; and
//! logins and logouts are in the audit log.

use std::sync::Arc;

use reqwest::StatusCode;
use reqwest::header::{COOKIE, SET_COOKIE};
use serde_json::{Value, json};
use vigil_desk::DeskConfig;
use vigil_desk::service::Desk;
use vigil_detect::{LoadOptions, RuleSet};
use vigil_ingest::{Pipeline, PipelineConfig};
use vigil_model::{ManualClock, Tenant, TenantId};
use vigil_server::AppState;
use vigil_server::auth::hash_token;
use vigil_store::sqlite::{SqliteOptions, SqliteStore};
use vigil_store::{ApiToken, LocalBus, Role, Store};

const OPERATOR: &str = "vgl_session_test_operator";
const VIEWER: &str = "vgl_session_test_viewer";

async fn server() -> String {
    let store = Arc::new(SqliteStore::open_temporary(SqliteOptions::default()).unwrap());
    let tenant = TenantId::new("northgate").unwrap();
    store
        .upsert_tenant(&Tenant {
            id: tenant.clone(),
            name: "Northgate".into(),
        })
        .await
        .unwrap();
    for (token, name, role, t) in [
        (OPERATOR, "op", Role::ProviderAdmin, None),
        (VIEWER, "viewer", Role::ClientViewer, Some(tenant.clone())),
    ] {
        store
            .upsert_api_token(&ApiToken {
                name: name.into(),
                role,
                tenant: t,
                hash: hash_token(token),
            })
            .await
            .unwrap();
    }
    let clock = Arc::new(ManualClock::new(
        chrono::DateTime::from_timestamp(1_764_000_000, 0).unwrap(),
    ));
    let desk = Desk::new(store.clone(), clock.clone(), DeskConfig::default(), None)
        .await
        .unwrap();
    let bus = Arc::new(LocalBus::new(64));
    let rules = RuleSet::load_sources(Vec::<(String, String)>::new(), &LoadOptions::default());
    let pipeline = Pipeline::new(
        store.clone(),
        bus.clone(),
        clock,
        Arc::new(rules.ruleset),
        PipelineConfig::default(),
    );
    let app = vigil_server::router(AppState {
        pipeline,
        store,
        bus,
        desk,
        sessions: Default::default(),
        estate: Default::default(),
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}")
}

/// Logs in and returns the cookie pair and the CSRF value.
async fn login(client: &reqwest::Client, base: &str, token: &str) -> (String, String, Value) {
    let resp = client
        .post(format!("{base}/api/v1/session"))
        .json(&json!({ "token": token }))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let set = resp
        .headers()
        .get(SET_COOKIE)
        .expect("a session cookie")
        .to_str()
        .unwrap()
        .to_owned();
    assert!(set.contains("HttpOnly"), "{set}");
    assert!(set.contains("SameSite=Strict"), "{set}");
    assert!(set.contains("Path=/"), "{set}");
    assert!(
        !set.contains(token),
        "the cookie must not carry the API token"
    );
    let pair = set.split(';').next().unwrap().to_owned();
    let body: Value = resp.json().await.unwrap();
    let csrf = body["csrf"].as_str().expect("csrf").to_owned();
    (pair, csrf, body)
}

#[tokio::test]
async fn a_session_cookie_authenticates_reads_and_csrf_guards_writes() {
    let base = server().await;
    let client = reqwest::Client::new();

    let bad = client
        .post(format!("{base}/api/v1/session"))
        .json(&json!({ "token": "vgl_nope" }))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), StatusCode::UNAUTHORIZED);

    let (cookie, csrf, who) = login(&client, &base, OPERATOR).await;
    assert_eq!(who["role"], "provider_admin");
    assert_eq!(who["name"], "op");
    assert!(who["tenant"].is_null());

    let me: Value = client
        .get(format!("{base}/api/v1/session"))
        .header(COOKIE, &cookie)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me["name"], "op");
    assert_eq!(me["csrf"], csrf.as_str());

    let alarms = client
        .get(format!("{base}/api/v1/alarms"))
        .header(COOKIE, &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(alarms.status(), StatusCode::OK);

    // A write with the cookie but without (or with a wrong) CSRF value.
    let open = json!({"tenant": "northgate", "title": "Door forced", "severity": "high", "category": "physical"});
    for csrf_sent in [None, Some("wrong")] {
        let mut r = client
            .post(format!("{base}/api/v1/incidents"))
            .header(COOKIE, &cookie)
            .json(&open);
        if let Some(c) = csrf_sent {
            r = r.header("X-CSRF-Token", c);
        }
        assert_eq!(r.send().await.unwrap().status(), StatusCode::FORBIDDEN);
    }
    let ok = client
        .post(format!("{base}/api/v1/incidents"))
        .header(COOKIE, &cookie)
        .header("X-CSRF-Token", &csrf)
        .json(&open)
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), StatusCode::OK, "{:?}", ok.text().await);

    // Bearer auth still works as before, and wins over a stale cookie.
    let bearer = client
        .get(format!("{base}/api/v1/alarms"))
        .bearer_auth(OPERATOR)
        .header(COOKIE, "vigil_session=stale")
        .send()
        .await
        .unwrap();
    assert_eq!(bearer.status(), StatusCode::OK);
    let none = client
        .get(format!("{base}/api/v1/alarms"))
        .send()
        .await
        .unwrap();
    assert_eq!(none.status(), StatusCode::UNAUTHORIZED);

    // Logging out needs the CSRF value too, and ends the session.
    let out = client
        .delete(format!("{base}/api/v1/session"))
        .header(COOKIE, &cookie)
        .header("X-CSRF-Token", &csrf)
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), StatusCode::NO_CONTENT);
    assert!(
        out.headers()
            .get(SET_COOKIE)
            .unwrap()
            .to_str()
            .unwrap()
            .contains("Max-Age=0")
    );
    let after = client
        .get(format!("{base}/api/v1/alarms"))
        .header(COOKIE, &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(after.status(), StatusCode::UNAUTHORIZED);

    // Both are on the record.
    let audit: Value = client
        .get(format!("{base}/api/v1/audit"))
        .bearer_auth(OPERATOR)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let text = audit.to_string();
    assert!(text.contains("session.login"), "{text}");
    assert!(text.contains("session.logout"), "{text}");
}

#[tokio::test]
async fn a_client_session_keeps_the_client_scope() {
    let base = server().await;
    let client = reqwest::Client::new();
    let (cookie, _, who) = login(&client, &base, VIEWER).await;
    assert_eq!(who["role"], "client_viewer");
    assert_eq!(who["tenant"], "northgate");
    let other = client
        .get(format!("{base}/api/v1/alarms?tenant=riverside"))
        .header(COOKIE, &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(other.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn failed_authentication_is_limited_recorded_and_answers_are_never_cached() {
    let base = server().await;
    let client = reqwest::Client::new();
    // Guesses sharing a prefix, as a brute force against one token family.
    let mut statuses = Vec::new();
    let mut retry_after = None;
    for i in 0..vigil_server::throttle::MAX_FAILURES + 3 {
        let resp = client
            .get(format!("{base}/api/v1/alarms"))
            .bearer_auth(format!("vgl_guessing_{i:04}"))
            .send()
            .await
            .unwrap();
        if resp.status() == StatusCode::TOO_MANY_REQUESTS {
            retry_after = resp
                .headers()
                .get("retry-after")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.parse::<u64>().ok());
        }
        statuses.push(resp.status());
    }
    let refused = vigil_server::throttle::MAX_FAILURES as usize;
    assert!(
        statuses[..refused]
            .iter()
            .all(|s| *s == StatusCode::UNAUTHORIZED),
        "{statuses:?}"
    );
    assert!(
        statuses[refused..]
            .iter()
            .all(|s| *s == StatusCode::TOO_MANY_REQUESTS),
        "{statuses:?}"
    );
    assert!(
        retry_after.is_some_and(|s| (1..=60).contains(&s)),
        "{retry_after:?}"
    );
    // The console's login is held to the same count.
    let resp = client
        .post(format!("{base}/api/v1/session"))
        .json(&serde_json::json!({"token": "vgl_guessing_9999"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::TOO_MANY_REQUESTS);
    // A good token still works, and its answers carry no-store and nosniff.
    let resp = client
        .get(format!("{base}/api/v1/audit?limit=500"))
        .bearer_auth(OPERATOR)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.headers()["cache-control"], "no-store");
    assert_eq!(resp.headers()["x-content-type-options"], "nosniff");
    // Each failure is on the record, without the token.
    let entries: Value = resp.json().await.unwrap();
    let failed: Vec<&Value> = entries["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "auth.failed")
        .collect();
    assert_eq!(failed.len(), refused, "{entries}");
    assert!(!entries.to_string().contains("vgl_guessing"));
}
