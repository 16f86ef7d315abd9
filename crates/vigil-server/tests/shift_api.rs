//! A shift's API over a real server and store. `POST /api/v1/alarms/bulk`:
//! several alarms acknowledged or closed in one request, each audited as
//! the single command is, failures reported per alarm, and only for roles
//! that may work alarms. `/api/v1/shift-log`: provider staff only.

use std::sync::Arc;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use vigil_desk::DeskConfig;
use vigil_desk::service::Desk;
use vigil_model::{Entity, EntityKind, ManualClock, Severity, SourceId, SourceKind, Tenant};
use vigil_server::auth::hash_token;
use vigil_store::sqlite::{SqliteOptions, SqliteStore};
use vigil_store::{ApiToken, Role, Store};

mod common;

use common::{A, B, t0, tenant};

struct Server {
    base: String,
    store: Arc<SqliteStore>,
    desk: Desk,
    client: reqwest::Client,
}

impl Server {
    async fn call(
        &self,
        token: &str,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        common::call(&self.client, &self.base, token, method, path, body).await
    }

    /// Raises a critical alarm at tenant `t` about door `door`; its id.
    async fn alarm(&self, t: &str, door: &str) -> String {
        let alert = common::raise(
            &self.store,
            common::Raise {
                tenant: t,
                site: None,
                rule: "door-forced",
                entity: Entity::new(EntityKind::Door, door),
                severity: Severity::Critical,
                min: 0,
            },
        )
        .await;
        alert.id.to_string()
    }
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
        store
            .upsert_source(
                &vigil_model::SourceBinding {
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
    for (name, role, t) in [
        ("admin", Role::ProviderAdmin, None),
        ("op", Role::ProviderOperator, None),
        ("op2", Role::ProviderOperator, None),
        ("a-admin", Role::ClientAdmin, Some(A)),
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
    let (base, _) = common::serve(
        store.clone(),
        desk.clone(),
        clock.clone(),
        common::no_rules(),
    )
    .await;
    Server {
        base,
        store,
        desk,
        client: reqwest::Client::new(),
    }
}

fn audited(entries: &Value, action: &str, id: &str) -> usize {
    entries["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == action && e["object"] == format!("alarm/{id}"))
        .count()
}

#[tokio::test]
async fn five_alarms_are_acknowledged_in_one_request_each_on_the_record() {
    let s = server().await;
    let mut ids = Vec::new();
    for i in 0..5 {
        ids.push(s.alarm(A, &format!("d{i}")).await);
    }
    s.desk.triage_once().await.unwrap();

    let (st, r) = s
        .call(
            "op",
            Method::POST,
            "/api/v1/alarms/bulk",
            Some(json!({"action": "acknowledge", "ids": ids})),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{r}");
    assert_eq!(r["applied"], 5, "{r}");
    assert_eq!(r["failed"], 0, "{r}");
    let (_, audit) = s
        .call("admin", Method::GET, "/api/v1/audit?limit=1000", None)
        .await;
    for id in &ids {
        let (_, a) = s
            .call("op", Method::GET, &format!("/api/v1/alarms/{id}"), None)
            .await;
        assert_eq!(a["alarm"]["status"], "acknowledged", "{a}");
        assert_eq!(a["alarm"]["owner"], "op");
        assert_eq!(
            audited(&audit, "alarm.acknowledge", id),
            1,
            "{id} audited once"
        );
    }
}

#[tokio::test]
async fn failures_are_reported_per_alarm_and_the_rest_goes_through() {
    let s = server().await;
    let mine = s.alarm(A, "m1").await;
    let fresh = s.alarm(B, "f1").await;
    let held = s.alarm(A, "h1").await;
    s.desk.triage_once().await.unwrap();
    let (st, _) = s
        .call(
            "op2",
            Method::POST,
            &format!("/api/v1/alarms/{held}/acknowledge"),
            None,
        )
        .await;
    assert_eq!(st, StatusCode::OK);
    let (st, _) = s
        .call(
            "op",
            Method::POST,
            &format!("/api/v1/alarms/{mine}/acknowledge"),
            None,
        )
        .await;
    assert_eq!(st, StatusCode::OK);

    // Close with one verdict: the one held by someone else is refused (409),
    // an unknown id is 404, a malformed one 400, the new one is
    // acknowledged then closed, named twice it counts once.
    let unknown = "0193a000-0000-7000-8000-000000000000";
    let (st, r) = s
        .call(
            "op",
            Method::POST,
            "/api/v1/alarms/bulk",
            Some(json!({
            "action": "close", "verdict": "false_positive", "note": "storm test",
            "ids": [mine, fresh, held, unknown, "not-an-id", mine]})),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{r}");
    assert_eq!(r["applied"], 2, "{r}");
    assert_eq!(r["failed"], 3, "{r}");
    let items = r["items"].as_array().unwrap();
    assert_eq!(items.len(), 5);
    let outcome = |id: &str| items.iter().find(|o| o["id"] == id).unwrap().clone();
    assert_eq!(outcome(&mine)["status"], "closed");
    assert_eq!(outcome(&fresh)["status"], "closed");
    assert_eq!(outcome(&held)["code"], 409, "{r}");
    assert_eq!(outcome(unknown)["code"], 404, "{r}");
    assert_eq!(outcome("not-an-id")["code"], 400, "{r}");
    assert!(
        outcome(&held)["error"].as_str().unwrap().contains("op2"),
        "{r}"
    );

    let (_, audit) = s
        .call("admin", Method::GET, "/api/v1/audit?limit=1000", None)
        .await;
    assert_eq!(audited(&audit, "alarm.acknowledge", &fresh), 1);
    assert_eq!(audited(&audit, "alarm.close", &fresh), 1);
    assert_eq!(audited(&audit, "alarm.close", &held), 0);
    let (_, a) = s
        .call("op", Method::GET, &format!("/api/v1/alarms/{held}"), None)
        .await;
    assert_eq!(a["alarm"]["status"], "acknowledged");
}

#[tokio::test]
async fn only_roles_that_work_alarms_may_and_the_request_is_checked() {
    let s = server().await;
    let id = s.alarm(A, "x1").await;
    s.desk.triage_once().await.unwrap();
    let body = json!({"action": "acknowledge", "ids": [id]});
    let (st, _) = s
        .call(
            "a-admin",
            Method::POST,
            "/api/v1/alarms/bulk",
            Some(body.clone()),
        )
        .await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let (st, _) = s
        .call("nobody", Method::POST, "/api/v1/alarms/bulk", Some(body))
        .await;
    assert_eq!(st, StatusCode::UNAUTHORIZED);
    let (st, e) = s
        .call(
            "op",
            Method::POST,
            "/api/v1/alarms/bulk",
            Some(json!({"action": "acknowledge", "ids": []})),
        )
        .await;
    assert_eq!(st, StatusCode::BAD_REQUEST, "{e}");
    let many: Vec<String> = (0..501).map(|i| format!("x{i}")).collect();
    let (st, e) = s
        .call(
            "op",
            Method::POST,
            "/api/v1/alarms/bulk",
            Some(json!({"action": "acknowledge", "ids": many})),
        )
        .await;
    assert_eq!(st, StatusCode::BAD_REQUEST, "{e}");
    let (st, e) = s
        .call(
            "op",
            Method::POST,
            "/api/v1/alarms/bulk",
            Some(json!({"action": "explode", "ids": [id]})),
        )
        .await;
    assert_eq!(st, StatusCode::BAD_REQUEST, "{e}");
    let doc = vigil_server::openapi_document();
    let doc = serde_json::to_value(doc).unwrap();
    assert!(doc["paths"]["/api/v1/alarms/bulk"]["post"].is_object());
}

#[tokio::test]
async fn the_shift_log_is_the_providers_alone() {
    let s = server().await;
    let (st, e) = s
        .call(
            "op",
            Method::POST,
            "/api/v1/shift-log/entries",
            Some(json!({"kind": "item", "text": "Call the guard company"})),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{e}");
    let id = e["entry"]["id"].as_str().unwrap().to_owned();
    let (st, h) = s
        .call(
            "op",
            Method::POST,
            "/api/v1/shift-log/handovers",
            Some(json!({"summary": "Quiet", "to": "op2"})),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{h}");
    let (st, log) = s.call("op2", Method::GET, "/api/v1/shift-log", None).await;
    assert_eq!(st, StatusCode::OK, "{log}");
    assert_eq!(log["open"][0]["id"], id.as_str(), "carried over: {log}");
    assert_eq!(log["since"], h["entry"]["at"]);

    // A client user reaches none of it, read or write.
    let calls = [
        (Method::GET, "/api/v1/shift-log".to_owned(), None),
        (
            Method::POST,
            "/api/v1/shift-log/entries".to_owned(),
            Some(json!({"kind": "note", "text": "hi"})),
        ),
        (
            Method::POST,
            format!("/api/v1/shift-log/entries/{id}/done"),
            None,
        ),
        (
            Method::POST,
            "/api/v1/shift-log/handovers".to_owned(),
            Some(json!({"summary": "bye"})),
        ),
    ];
    for (method, path, body) in calls {
        let (st, b) = s.call("a-admin", method.clone(), &path, body.clone()).await;
        assert_eq!(st, StatusCode::FORBIDDEN, "{method} {path}: {b}");
        let (st, _) = s.call("nobody", method.clone(), &path, body).await;
        assert_eq!(st, StatusCode::UNAUTHORIZED, "{method} {path}");
    }
    // Bad input says what was wrong.
    let (st, e) = s
        .call(
            "op",
            Method::POST,
            "/api/v1/shift-log/entries",
            Some(json!({"kind": "handover", "text": "x"})),
        )
        .await;
    assert_eq!(st, StatusCode::BAD_REQUEST, "{e}");
    let (st, e) = s
        .call(
            "op",
            Method::POST,
            "/api/v1/shift-log/entries",
            Some(json!({"kind": "note", "text": "  "})),
        )
        .await;
    assert_eq!(st, StatusCode::BAD_REQUEST, "{e}");
    assert!(e["message"].as_str().unwrap().contains("text"), "{e}");
    let (st, _) = s
        .call(
            "op",
            Method::POST,
            &format!("/api/v1/shift-log/entries/{id}/done"),
            None,
        )
        .await;
    assert_eq!(st, StatusCode::OK);
    let (st, e) = s
        .call(
            "op",
            Method::POST,
            &format!("/api/v1/shift-log/entries/{id}/done"),
            None,
        )
        .await;
    assert_eq!(st, StatusCode::CONFLICT, "{e}");
    let (st, _) = s
        .call(
            "op",
            Method::POST,
            "/api/v1/shift-log/entries/nope/done",
            None,
        )
        .await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    let doc = serde_json::to_value(vigil_server::openapi_document()).unwrap();
    for path in [
        "/api/v1/shift-log",
        "/api/v1/shift-log/entries",
        "/api/v1/shift-log/entries/{id}/done",
        "/api/v1/shift-log/handovers",
    ] {
        assert!(
            doc["paths"][path].is_object(),
            "{path} in the OpenAPI document"
        );
    }
}
