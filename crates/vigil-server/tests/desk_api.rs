//! The desk's HTTP API over a real server and store: what each role may do,
//! and — for every desk endpoint — that a client user never sees or touches
//! another client's alarms, incidents, suppressions, maintenance windows,
//! SOP runs, deliveries, escalations or audit entries.

use std::sync::Arc;
use std::time::Duration as StdDuration;

use chrono::Duration;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use vigil_desk::DeskConfig;
use vigil_desk::config::{ClientConfig, Endpoint};
use vigil_desk::escalation::{ContactRole, EscalationLevel, EscalationPolicy, Recipient};
use vigil_desk::service::Desk;
use vigil_model::{Alert, Entity, EntityKind, ManualClock, Severity, SourceId, SourceKind, Tenant};
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
}

/// A critical alert of `rule` about the door `entity`.
async fn raise(store: &SqliteStore, tenant_id: &str, rule: &str, entity: &str, min: i64) -> Alert {
    common::raise(
        store,
        common::Raise {
            tenant: tenant_id,
            site: None,
            rule,
            entity: Entity::new(EntityKind::Door, entity),
            severity: Severity::Critical,
            min,
        },
    )
    .await
}

const TOKENS: [(&str, Role, Option<&str>); 7] = [
    ("admin", Role::ProviderAdmin, None),
    ("lead", Role::ProviderLead, None),
    ("op", Role::ProviderOperator, None),
    ("a-admin", Role::ClientAdmin, Some(A)),
    ("a-viewer", Role::ClientViewer, Some(A)),
    ("b-admin", Role::ClientAdmin, Some(B)),
    ("b-viewer", Role::ClientViewer, Some(B)),
];

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
    for (name, role, t) in TOKENS {
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
    let escalation = EscalationPolicy {
        min_severity: Severity::High,
        levels: vec![EscalationLevel {
            after_minutes: 30,
            notify: vec![Recipient {
                name: "lead".into(),
                role: ContactRole::ShiftLead,
                email: Some("lead@example.org".into()),
                webhook: None,
            }],
        }],
    };
    let config = DeskConfig {
        clients: vec![ClientConfig {
            tenant: tenant(A),
            tier: "gold".into(),
            endpoints: vec![Endpoint {
                name: "acs".into(),
                url: "http://127.0.0.1:9/acs".into(),
                secret_env: None,
                actions: vec!["lock_down_door".into()],
                secret: Some(b"s".to_vec()),
            }],
            escalation: Some(escalation),
        }],
        ..Default::default()
    };
    let desk = Desk::new(
        store.clone(),
        clock.clone(),
        config,
        Some(vigil_store::audit::AuditSigner::from_secret([4; 32])),
    )
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

/// Tenant A's objects, one of each kind.
struct Fixtures {
    alarm: String,
    run: String,
    incident: String,
    suppression: String,
    maintenance: String,
}

async fn fixtures(s: &Server) -> Fixtures {
    let alert = raise(&s.store, A, "door-forced", "d1", 0).await;
    raise(&s.store, B, "door-forced", "b1", 0).await;
    s.desk.triage_once().await.unwrap();
    let alarm = alert.id.to_string();
    let (st, _) = s
        .call(
            "op",
            Method::POST,
            &format!("/api/v1/alarms/{alarm}/acknowledge"),
            None,
        )
        .await;
    assert_eq!(st, StatusCode::OK);
    let (_, runs) = s
        .call(
            "op",
            Method::GET,
            &format!("/api/v1/alarms/{alarm}/sop"),
            None,
        )
        .await;
    let run = runs["items"][0]["id"].as_str().unwrap().to_owned();
    let (st, inc) = s
        .call("op", Method::POST, "/api/v1/incidents", Some(json!({"tenant": A, "title": "Door forced", "severity": "critical", "category": "physical", "alarms": [alarm]})))
        .await;
    assert_eq!(st, StatusCode::OK, "{inc}");
    let incident = inc["incident"]["id"].as_str().unwrap().to_owned();
    let (st, d) = s
        .call(
            "op",
            Method::POST,
            &format!("/api/v1/incidents/{incident}/actions"),
            Some(json!({"type": "lock_down_door", "door": "d1"})),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{d}");
    let expires = (t0() + Duration::days(1)).to_rfc3339();
    let (st, sup) = s.call("op", Method::POST, "/api/v1/suppressions", Some(json!({"tenant": A, "rule_id": "noisy", "expires_at": expires, "reason": "known noise"}))).await;
    assert_eq!(st, StatusCode::OK, "{sup}");
    let (st, mw) = s
        .call("a-admin", Method::POST, "/api/v1/maintenance", Some(json!({"tenant": A, "target": {"kind": "device", "id": "cam-1"}, "starts_at": t0().to_rfc3339(), "ends_at": expires, "reason": "lens cleaning"})))
        .await;
    assert_eq!(st, StatusCode::OK, "{mw}");
    Fixtures {
        alarm,
        run,
        incident,
        suppression: sup["suppression"]["id"].as_str().unwrap().to_owned(),
        maintenance: mw["window"]["id"].as_str().unwrap().to_owned(),
    }
}

#[tokio::test]
async fn no_desk_endpoint_shows_or_touches_another_tenants_objects() {
    let s = server().await;
    let f = fixtures(&s).await;
    let expires = (t0() + Duration::days(1)).to_rfc3339();
    let window = json!({"tenant": A, "target": {"kind": "site", "id": "hq"}, "starts_at": t0().to_rfc3339(), "ends_at": expires, "reason": "x-x-x"});
    // (method, path, body): every desk endpoint, aimed at tenant A's objects.
    let aimed: Vec<(Method, String, Option<Value>)> = vec![
        (Method::GET, format!("/api/v1/alarms/{}", f.alarm), None),
        (Method::GET, format!("/api/v1/alarms?tenant={A}"), None),
        (
            Method::POST,
            format!("/api/v1/alarms/{}/acknowledge", f.alarm),
            None,
        ),
        (
            Method::POST,
            format!("/api/v1/alarms/{}/take-over", f.alarm),
            Some(json!({"reason": "mine now"})),
        ),
        (
            Method::POST,
            format!("/api/v1/alarms/{}/start", f.alarm),
            None,
        ),
        (
            Method::POST,
            format!("/api/v1/alarms/{}/close", f.alarm),
            Some(json!({"verdict": "benign"})),
        ),
        (
            Method::POST,
            format!("/api/v1/alarms/{}/reopen", f.alarm),
            Some(json!({"reason": "again"})),
        ),
        (Method::GET, format!("/api/v1/alarms/{}/sop", f.alarm), None),
        (
            Method::POST,
            format!("/api/v1/sop-runs/{}/steps/evidence", f.run),
            Some(json!({"outcome": "done"})),
        ),
        (
            Method::GET,
            format!("/api/v1/suppressions?tenant={A}"),
            None,
        ),
        (
            Method::POST,
            "/api/v1/suppressions".into(),
            Some(json!({"tenant": A, "rule_id": "r", "expires_at": expires, "reason": "x-x-x"})),
        ),
        (
            Method::POST,
            format!("/api/v1/suppressions/{}/lift", f.suppression),
            None,
        ),
        (Method::GET, format!("/api/v1/maintenance?tenant={A}"), None),
        (Method::POST, "/api/v1/maintenance".into(), Some(window)),
        (
            Method::POST,
            format!("/api/v1/maintenance/{}/cancel", f.maintenance),
            None,
        ),
        (Method::GET, format!("/api/v1/incidents?tenant={A}"), None),
        (
            Method::POST,
            "/api/v1/incidents".into(),
            Some(json!({"tenant": A, "title": "t", "severity": "low", "category": "cyber"})),
        ),
        (
            Method::GET,
            format!("/api/v1/incidents/{}", f.incident),
            None,
        ),
        (
            Method::POST,
            format!("/api/v1/incidents/{}/commands", f.incident),
            Some(json!({"command": "note", "text": "hello"})),
        ),
        (
            Method::POST,
            format!("/api/v1/incidents/{}/actions", f.incident),
            Some(json!({"type": "lock_down_door", "door": "d1"})),
        ),
        (
            Method::GET,
            format!("/api/v1/audit/export?tenant={A}"),
            None,
        ),
    ];
    for token in ["b-admin", "b-viewer"] {
        for (method, path, body) in &aimed {
            let (status, v) = s.call(token, method.clone(), path, body.clone()).await;
            assert!(
                status == StatusCode::NOT_FOUND || status == StatusCode::FORBIDDEN,
                "{token} {method} {path}: {status} {v}"
            );
            let text = v.to_string();
            // Errors may echo the id the caller sent, nothing about the object.
            assert!(
                !text.contains("Door forced") && !text.contains("\"d1\"") && !text.contains(A),
                "{token} {path} leaked: {text}"
            );
        }
        // Lists in their own scope hold nothing of A's.
        for path in [
            "/api/v1/alarms?status=new,acknowledged,in_progress,closed",
            "/api/v1/suppressions",
            "/api/v1/maintenance",
            "/api/v1/incidents?closed=true",
            "/api/v1/deliveries",
            "/api/v1/escalations",
            "/api/v1/audit",
        ] {
            let (status, v) = s.call(token, Method::GET, path, None).await;
            if status == StatusCode::FORBIDDEN {
                assert_eq!(
                    (token, path),
                    ("b-viewer", "/api/v1/audit"),
                    "only the viewer is refused the audit log"
                );
                continue;
            }
            assert_eq!(status, StatusCode::OK, "{token} {path}: {v}");
            let text = v.to_string();
            assert!(!text.contains(A), "{token} {path} shows {A}: {text}");
        }
    }
    // B's own alarm is visible to B; nothing of A's changed.
    let (_, b_alarms) = s
        .call("b-viewer", Method::GET, "/api/v1/alarms", None)
        .await;
    assert_eq!(b_alarms["items"].as_array().unwrap().len(), 1);
    let (_, a) = s
        .call(
            "op",
            Method::GET,
            &format!("/api/v1/alarms/{}", f.alarm),
            None,
        )
        .await;
    assert_eq!(
        (a["alarm"]["status"].as_str(), a["alarm"]["owner"].as_str()),
        (Some("acknowledged"), Some("op"))
    );
    let (_, inc) = s
        .call(
            "op",
            Method::GET,
            &format!("/api/v1/incidents/{}", f.incident),
            None,
        )
        .await;
    assert!(!inc.to_string().contains("hello"));
    // A's own client users see A's objects.
    let (st, v) = s
        .call(
            "a-viewer",
            Method::GET,
            &format!("/api/v1/incidents/{}", f.incident),
            None,
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert!(
        v["timeline"].as_array().unwrap().len() >= 3,
        "evidence, alarm, actions: {v}"
    );
}

#[tokio::test]
async fn roles_decide_what_each_caller_may_do() {
    let s = server().await;
    let f = fixtures(&s).await;
    // Client users may not work alarms, even their own.
    let (st, _) = s
        .call(
            "a-admin",
            Method::POST,
            &format!("/api/v1/alarms/{}/start", f.alarm),
            None,
        )
        .await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    // Another operator cannot silently take it; with a reason, they can.
    let (st, v) = s
        .call(
            "lead",
            Method::POST,
            &format!("/api/v1/alarms/{}/acknowledge", f.alarm),
            None,
        )
        .await;
    assert_eq!(st, StatusCode::CONFLICT, "{v}");
    assert!(v["message"].as_str().unwrap().contains("held by op"));
    let (st, _) = s
        .call(
            "lead",
            Method::POST,
            &format!("/api/v1/alarms/{}/take-over", f.alarm),
            Some(json!({"reason": ""})),
        )
        .await;
    assert_eq!(st, StatusCode::BAD_REQUEST);
    let (st, _) = s
        .call(
            "lead",
            Method::POST,
            &format!("/api/v1/alarms/{}/take-over", f.alarm),
            Some(json!({"reason": "op is on a call"})),
        )
        .await;
    assert_eq!(st, StatusCode::OK);
    // Client admins note their own incidents but do not close them; operators do not close either.
    let (st, _) = s
        .call(
            "a-admin",
            Method::POST,
            &format!("/api/v1/incidents/{}/commands", f.incident),
            Some(json!({"command": "note", "text": "guard on site"})),
        )
        .await;
    assert_eq!(st, StatusCode::OK);
    let close = json!({"command": "close", "resolution": "false_alarm", "summary": "drill", "lessons_learned": "announce drills"});
    for who in ["a-admin", "op"] {
        let (st, _) = s
            .call(
                who,
                Method::POST,
                &format!("/api/v1/incidents/{}/commands", f.incident),
                Some(close.clone()),
            )
            .await;
        assert_eq!(st, StatusCode::FORBIDDEN, "{who}");
    }
    let (st, v) = s
        .call(
            "lead",
            Method::POST,
            &format!("/api/v1/incidents/{}/commands", f.incident),
            Some(close),
        )
        .await;
    assert_eq!(
        (st, v["incident"]["state"].as_str()),
        (StatusCode::OK, Some("closed"))
    );
    // Wrong transitions are 409 with the reason.
    let (st, v) = s
        .call(
            "op",
            Method::POST,
            &format!("/api/v1/incidents/{}/commands", f.incident),
            Some(json!({"command": "advance", "to": "triaged"})),
        )
        .await;
    assert_eq!(st, StatusCode::CONFLICT);
    assert!(v["message"].as_str().unwrap().contains("reopen it first"));
    // SOP steps in order; client viewers see the run but cannot record it.
    let (st, _) = s
        .call(
            "a-viewer",
            Method::POST,
            &format!("/api/v1/sop-runs/{}/steps/verify", f.run),
            Some(json!({"outcome": "done"})),
        )
        .await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    // Audit: the client admin exports and reads only its own entries; operators may not read the log.
    let (st, _) = s.call("op", Method::GET, "/api/v1/audit", None).await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let (st, v) = s
        .call("a-admin", Method::GET, "/api/v1/audit/export", None)
        .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    let export: vigil_store::audit::TenantExport = serde_json::from_value(v).unwrap();
    let summary = vigil_store::audit::verify_export(&export, None).unwrap();
    assert!(summary.entries >= 5);
    assert!(!serde_json::to_string(&export).unwrap().contains(B));
}

#[tokio::test]
async fn the_stream_delivers_new_alarms_of_the_callers_tenant_within_a_second() {
    let s = server().await;
    let response = s
        .client
        .get(format!("{}/api/v1/stream", s.base))
        .bearer_auth("b-viewer")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let mut body = response.bytes_stream();
    // One alarm for A, then one for B.
    raise(&s.store, A, "door-forced", "a9", 0).await;
    raise(&s.store, B, "door-forced", "b9", 1).await;
    let started = std::time::Instant::now();
    s.desk.triage_once().await.unwrap();
    use futures::StreamExt;
    let mut text = String::new();
    let deadline = tokio::time::Instant::now() + StdDuration::from_secs(1);
    while !text.contains("event: alarm") {
        match tokio::time::timeout_at(deadline, body.next()).await {
            Ok(Some(Ok(chunk))) => text.push_str(&String::from_utf8_lossy(&chunk)),
            other => panic!(
                "no alarm event within a second (after {:?}): {other:?} {text}",
                started.elapsed()
            ),
        }
    }
    assert!(text.contains(B) && !text.contains(A), "{text}");
}

#[tokio::test]
async fn a_viewer_asking_for_a_response_action_is_refused_before_learning_any_endpoint() {
    let s = server().await;
    let f = fixtures(&s).await;
    // `disable_badge` has no endpoint for this client: an operator is told
    // so (400); a viewer is refused for its role (403) and told nothing more.
    let path = format!("/api/v1/incidents/{}/actions", f.incident);
    let action = json!({"type": "disable_badge", "badge": "1001"});
    let (status, v) = s
        .call("op", Method::POST, &path, Some(action.clone()))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{v}");
    let (status, v) = s.call("a-viewer", Method::POST, &path, Some(action)).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{v}");
    assert!(!v.to_string().contains("endpoint"), "{v}");
}
