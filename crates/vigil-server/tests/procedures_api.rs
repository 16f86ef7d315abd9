//! Procedures over HTTP: `GET /api/v1/alarms/{id}/procedure` before and
//! after acknowledgement (with the rule's description and false positives),
//! and `POST …/close` refused with `409` naming the steps the client's
//! contract requires until they are recorded.

use std::sync::Arc;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use vigil_desk::DeskConfig;
use vigil_desk::procedure::{Callee, ResponsePlan, RuleNotes};
use vigil_desk::service::Desk;
use vigil_model::{Entity, EntityKind, ManualClock, Severity, SourceId, SourceKind, Tenant};
use vigil_server::auth::hash_token;
use vigil_store::sqlite::{SqliteOptions, SqliteStore};
use vigil_store::{ApiToken, Role, Store};

mod common;

use common::{A, B, t0, tenant};

/// The built-in "Door Forced Open" rule.
const DOOR_FORCED: &str = "15dd5974-2a8d-4baf-8695-9b32aa3355d1";

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
        ("op", Role::ProviderOperator, None),
        ("a-viewer", Role::ClientViewer, Some(A)),
        ("b-viewer", Role::ClientViewer, Some(B)),
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
    let plan = ResponsePlan {
        required_before_close: vec!["verify-camera".into(), "call-keyholders".into()],
        keyholders: vec![Callee {
            name: "Jonas".into(),
            role: None,
            phone: "+49 170 5550101".into(),
            sites: Vec::new(),
        }],
        ..Default::default()
    };
    desk.set_response_plans([(tenant(A), plan)].into_iter().collect());
    desk.set_rule_notes(
        [(
            DOOR_FORCED.to_owned(),
            RuleNotes {
                description: Some("A door opened without a valid badge read.".into()),
                falsepositives: vec!["Faulty door contacts".into()],
            },
        )]
        .into_iter()
        .collect(),
    );
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

#[tokio::test]
async fn closing_is_refused_naming_the_steps_the_contract_requires() {
    let s = server().await;
    let alert = common::raise(
        &s.store,
        common::Raise {
            tenant: A,
            site: None,
            rule: DOOR_FORCED,
            entity: Entity::new(EntityKind::Door, "d1"),
            severity: Severity::High,
            min: 0,
        },
    )
    .await;
    s.desk.triage_once().await.unwrap();
    let alarm = alert.id.to_string();
    let path = format!("/api/v1/alarms/{alarm}/procedure");

    // Before acknowledgement: the procedure, its call list, the rule's notes.
    let (st, view) = s.call("op", Method::GET, &path, None).await;
    assert_eq!(st, StatusCode::OK, "{view}");
    assert_eq!(view["procedure"]["sop_id"], "door");
    assert!(view["run"].is_null());
    assert_eq!(view["category"], "physical");
    assert_eq!(view["rule"]["falsepositives"][0], "Faulty door contacts");
    let steps = view["procedure"]["steps"].as_array().unwrap();
    let keyholders = steps.iter().find(|s| s["id"] == "call-keyholders").unwrap();
    assert_eq!(keyholders["calls"][0]["phone"], "+49 170 5550101");
    assert_eq!(keyholders["before_close"], true);
    assert_eq!(view["outstanding"].as_array().unwrap().len(), 2);
    // The client sees its own; another client gets 404.
    assert_eq!(
        s.call("a-viewer", Method::GET, &path, None).await.0,
        StatusCode::OK
    );
    assert_eq!(
        s.call("b-viewer", Method::GET, &path, None).await.0,
        StatusCode::NOT_FOUND
    );

    let (st, _) = s
        .call(
            "op",
            Method::POST,
            &format!("/api/v1/alarms/{alarm}/acknowledge"),
            None,
        )
        .await;
    assert_eq!(st, StatusCode::OK);
    let close_path = format!("/api/v1/alarms/{alarm}/close");
    let verdict = json!({"verdict": "true_positive"});
    let (st, body) = s
        .call("op", Method::POST, &close_path, Some(verdict.clone()))
        .await;
    assert_eq!(st, StatusCode::CONFLICT, "{body}");
    let message = body["message"].as_str().unwrap();
    assert!(
        message.contains("`verify-camera`") && message.contains("`call-keyholders`"),
        "{message}"
    );

    let (_, view) = s.call("op", Method::GET, &path, None).await;
    let run = view["run"]["id"].as_str().unwrap().to_owned();
    for step in ["verify-camera", "call-keyholders", "dispatch-guard"] {
        let (st, body) = s
            .call(
                "op",
                Method::POST,
                &format!("/api/v1/sop-runs/{run}/steps/{step}"),
                Some(json!({"outcome": "done"})),
            )
            .await;
        assert_eq!(st, StatusCode::OK, "{step}: {body}");
    }
    let (_, view) = s.call("op", Method::GET, &path, None).await;
    assert_eq!(view["outstanding"], json!([]));
    let (st, body) = s.call("op", Method::POST, &close_path, Some(verdict)).await;
    assert_eq!(st, StatusCode::OK, "{body}");
    assert_eq!(body["alarm"]["status"], "closed");
}
