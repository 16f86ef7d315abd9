//! The site view and the dashboards over a real server and store: the sites
//! listing, a site's floor plan with its devices' live state (changing when
//! a door-open event is ingested over HTTP), tenant scoping (a client viewer
//! gets 404 for another tenant's site), and the statistics on a small known
//! set of alarms worked through the desk.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::Duration;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use vigil_desk::DeskConfig;
use vigil_desk::service::Desk;
use vigil_detect::{LoadOptions, RuleSet};
use vigil_ingest::{Pipeline, PipelineConfig};
use vigil_model::{
    Alert, Entity, EntityKind, ManualClock, Severity, Site, SourceBinding, SourceId, SourceKind,
    Tenant, Timestamp,
};
use vigil_server::AppState;
use vigil_server::auth::hash_token;
use vigil_server::site_plan::{EstateView, FloorPlan, PlanArea, PlannedDevice, RuleFacts};
use vigil_store::sqlite::{SqliteOptions, SqliteStore};
use vigil_store::{ApiToken, DeviceRecord, EstateStore, LocalBus, Role, Store, SupervisionRecord};

mod common;

use common::{A, B, site, t0, tenant};

struct Server {
    base: String,
    store: Arc<SqliteStore>,
    desk: Desk,
    clock: Arc<ManualClock>,
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

    async fn get(&self, token: &str, path: &str) -> (StatusCode, Value) {
        self.call(token, Method::GET, path, None).await
    }

    async fn ingest(&self, token: &str, lines: &[Value]) {
        let body: String = lines.iter().map(|l| format!("{l}\n")).collect();
        let resp = self
            .client
            .post(format!("{}/api/v1/ingest", self.base))
            .bearer_auth(token)
            .header("content-type", "application/x-ndjson")
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::OK);
    }
}

fn plan() -> FloorPlan {
    FloorPlan {
        areas: vec![
            PlanArea {
                id: "hall".into(),
                name: "Hall".into(),
                x: 20.0,
                y: 20.0,
                w: 460.0,
                h: 560.0,
            },
            PlanArea {
                id: "server-room".into(),
                name: "Server room".into(),
                x: 520.0,
                y: 20.0,
                w: 460.0,
                h: 560.0,
            },
        ],
        devices: vec![PlannedDevice {
            id: "d1".into(),
            name: Some("Front door".into()),
            kind: Some("door".into()),
            zone: Some("hall".into()),
            x: Some(100.0),
            y: Some(300.0),
        }],
        ..Default::default()
    }
}

async fn server() -> Server {
    let store = Arc::new(SqliteStore::open_temporary(SqliteOptions::default()).unwrap());
    for (id, site_id, name) in [(A, "lon1", "London 1"), (B, "riv1", "Riverside 1")] {
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
                id: site(site_id),
                name: name.into(),
                timezone: "UTC".into(),
            })
            .await
            .unwrap();
        store
            .upsert_source(
                &SourceBinding {
                    id: SourceId::new(&format!("{id}-access")).unwrap(),
                    tenant: tenant(id),
                    site: Some(site(site_id)),
                    kind: SourceKind::Http,
                    product: "access".into(),
                },
                Some(hash_token(&format!("{id}-ingest"))),
            )
            .await
            .unwrap();
    }
    for (name, role, t) in [
        ("admin", Role::ProviderAdmin, None),
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
    store
        .upsert_devices(&[DeviceRecord {
            tenant: tenant(A),
            id: "cam1".into(),
            site: Some(site("lon1")),
            kind: "camera".into(),
            zone: Some("server-room".into()),
            name: Some("Server room camera".into()),
            covers_door: Some("d1".into()),
            heartbeat_secs: None,
        }])
        .await
        .unwrap();
    store
        .save_supervision(&[SupervisionRecord {
            tenant: tenant(A),
            source: SourceId::new("northgate-arc").unwrap(),
            site: Some(site("lon1")),
            device: "p1".into(),
            device_type: "intrusion_panel".into(),
            interval_secs: 180,
            last_seen: t0() - Duration::minutes(10),
            lost_since: Some(t0() - Duration::minutes(7)),
            armed: Some(true),
        }])
        .await
        .unwrap();
    let clock = Arc::new(ManualClock::new(t0()));
    let desk = Desk::new(store.clone(), clock.clone(), DeskConfig::default(), None)
        .await
        .unwrap();
    let bus = Arc::new(LocalBus::new(64));
    let rules = RuleSet::load_sources(Vec::<(String, String)>::new(), &LoadOptions::default());
    let pipeline = Pipeline::new(
        store.clone(),
        bus.clone(),
        clock.clone(),
        Arc::new(rules.ruleset),
        PipelineConfig::default(),
    );
    let mut plans = vigil_server::site_plan::SitePlans::new();
    plans.insert((tenant(A), site("lon1")), plan());
    let mut rules = HashMap::new();
    rules.insert(
        "badge-vpn".to_owned(),
        RuleFacts {
            tags: vec!["vigil.converged".into()],
            logsource_category: None,
        },
    );
    // Events come in through the NDJSON source's endpoint, as on a node.
    let sources = vigil_sources::SourceContext {
        pipeline: pipeline.clone(),
        store: store.clone(),
        supervision: vigil_estate::supervision::SupervisionHandle::new(),
        device_reports: None,
        limits: Default::default(),
    };
    let ndjson = vigil_sources::Registry::empty()
        .with(vigil_sources::http::HttpSource)
        .start(&[], &sources)
        .await
        .unwrap()
        .router;
    let app = vigil_server::router(AppState {
        pipeline,
        store: store.clone(),
        bus,
        desk: desk.clone(),
        sessions: Default::default(),
        estate: EstateView {
            store: Some(store.clone()),
            plans: Arc::new(plans),
            rules: Arc::new(rules),
        },
    })
    .merge(ndjson);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    Server {
        base: format!("http://{addr}"),
        store,
        desk,
        clock,
        client: reqwest::Client::new(),
    }
}

/// Raises an alert of `rule` about `entity` at `site`, first seen `min`
/// minutes after t0.
async fn raise(
    s: &Server,
    tenant_id: &str,
    site_id: &str,
    rule: &str,
    entity: Entity,
    min: i64,
) -> Alert {
    common::raise(
        &s.store,
        common::Raise {
            tenant: tenant_id,
            site: Some(site_id),
            rule,
            entity,
            severity: Severity::High,
            min,
        },
    )
    .await
}

fn device<'a>(plan: &'a Value, id: &str) -> &'a Value {
    plan["devices"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["id"] == id)
        .unwrap_or_else(|| panic!("no device {id} in {plan}"))
}

#[tokio::test]
async fn sites_and_plans_show_devices_in_their_live_state() {
    let s = server().await;
    let (st, sites) = s.get("admin", "/api/v1/sites").await;
    assert_eq!(st, StatusCode::OK, "{sites}");
    let lon1 = sites
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["site"] == "lon1")
        .unwrap();
    // d1 (plan), cam1 (register), p1 (supervision, lost).
    assert_eq!(
        (
            lon1["tenant"].clone(),
            lon1["name"].clone(),
            lon1["devices"].clone(),
            lon1["offline"].clone(),
            lon1["alarms"].clone()
        ),
        (json!(A), json!("London 1"), json!(3), json!(1), json!(0))
    );
    assert_eq!(sites.as_array().unwrap().len(), 2);

    let (st, plan) = s.get("a-viewer", "/api/v1/sites/northgate/lon1/plan").await;
    assert_eq!(st, StatusCode::OK, "{plan}");
    assert_eq!(
        (plan["width"].clone(), plan["height"].clone()),
        (json!(1000.0), json!(600.0))
    );
    assert_eq!(plan["areas"][1]["id"], "server-room");
    let d1 = device(&plan, "d1");
    assert_eq!(
        (
            d1["kind"].clone(),
            d1["x"].clone(),
            d1["y"].clone(),
            d1["state"].clone()
        ),
        (json!("door"), json!(100.0), json!(300.0), json!("unknown"))
    );
    assert_eq!(d1["last_event_at"], Value::Null);
    let cam = device(&plan, "cam1");
    assert_eq!(
        (cam["kind"].clone(), cam["name"].clone()),
        (json!("camera"), json!("Server room camera"))
    );
    let (x, y) = (cam["x"].as_f64().unwrap(), cam["y"].as_f64().unwrap());
    assert!(
        (520.0..=980.0).contains(&x) && (20.0..=580.0).contains(&y),
        "camera placed in its zone"
    );
    let p1 = device(&plan, "p1");
    assert_eq!(
        (p1["kind"].clone(), p1["state"].clone()),
        (json!("panel"), json!("offline"))
    );
    assert!(p1["last_seen"].is_string());

    // A door opens: the plan shows it open; it closes: online again.
    let at = |m: i64| (t0() - Duration::minutes(m)).to_rfc3339();
    s.ingest("northgate-ingest", &[json!({"time": at(3), "action": "door_opened", "door": "d1", "reader": "r1", "zone": "hall"})]).await;
    let (_, plan) = s.get("a-viewer", "/api/v1/sites/northgate/lon1/plan").await;
    let d1 = device(&plan, "d1");
    assert_eq!(d1["state"], "door_open");
    let seen: Timestamp = serde_json::from_value(d1["last_event_at"].clone()).unwrap();
    assert_eq!(seen, t0() - Duration::minutes(3));
    assert_eq!(device(&plan, "r1")["kind"], "reader");
    s.ingest(
        "northgate-ingest",
        &[json!({"time": at(1), "action": "door_closed", "door": "d1", "zone": "hall"})],
    )
    .await;
    let (_, plan) = s.get("a-viewer", "/api/v1/sites/northgate/lon1/plan").await;
    assert_eq!(device(&plan, "d1")["state"], "online");

    // An open alarm about the door puts it in alarm, and counts on the site.
    raise(
        &s,
        A,
        "lon1",
        "door-forced",
        Entity::new(EntityKind::Door, "d1"),
        0,
    )
    .await;
    s.desk.triage_once().await.unwrap();
    let (_, plan) = s.get("admin", "/api/v1/sites/northgate/lon1/plan").await;
    assert_eq!(device(&plan, "d1")["state"], "alarm");
    let (_, sites) = s.get("a-viewer", "/api/v1/sites").await;
    assert_eq!(sites.as_array().unwrap().len(), 1, "{sites}");
    assert_eq!(sites[0]["alarms"], 1);
    // Riverside has no plan: its site still draws (no devices yet).
    let (st, plan) = s.get("admin", "/api/v1/sites/riverside/riv1/plan").await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(plan["devices"], json!([]));
}

#[tokio::test]
async fn a_client_viewer_never_sees_another_tenants_site() {
    let s = server().await;
    let (st, sites) = s.get("b-viewer", "/api/v1/sites").await;
    assert_eq!(st, StatusCode::OK);
    let ids: Vec<_> = sites
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["site"].clone())
        .collect();
    assert_eq!(ids, [json!("riv1")]);
    for path in [
        "/api/v1/sites/northgate/lon1/plan",
        "/api/v1/sites/northgate/nowhere/plan",
        "/api/v1/sites/NOT%20A%20SLUG/lon1/plan",
    ] {
        let (st, body) = s.get("b-viewer", path).await;
        assert_eq!(st, StatusCode::NOT_FOUND, "{path}: {body}");
        assert!(!body.to_string().contains("London"), "{body}");
    }
    let (st, _) = s.get("admin", "/api/v1/sites/northgate/nowhere/plan").await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    let (st, _) = s.get("b-viewer", "/api/v1/stats?tenant=northgate").await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let (st, _) = s
        .client
        .get(format!("{}/api/v1/sites", s.base))
        .send()
        .await
        .map(|r| (r.status(), ()))
        .unwrap();
    assert_eq!(st, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn stats_count_alarms_rates_and_mean_times() {
    let s = server().await;
    let door = |id: &str| Entity::new(EntityKind::Door, id);
    let a1 = raise(&s, A, "lon1", "door-forced", door("d1"), 5)
        .await
        .id
        .to_string();
    let a2 = raise(
        &s,
        A,
        "lon1",
        "brute-force",
        Entity::new(EntityKind::Host, "pc1"),
        10,
    )
    .await
    .id
    .to_string();
    raise(
        &s,
        B,
        "riv1",
        "badge-vpn",
        Entity::new(EntityKind::Badge, "4021"),
        5,
    )
    .await;
    s.clock.set(t0() + Duration::minutes(15));
    s.desk.triage_once().await.unwrap();
    let post = |id: &str, cmd: &str, body: Option<Value>| {
        let path = format!("/api/v1/alarms/{id}/{cmd}");
        let s = &s;
        async move {
            let (st, b) = s.call("op", Method::POST, &path, body).await;
            assert_eq!(st, StatusCode::OK, "{path}: {b}");
        }
    };
    s.clock.set(t0() + Duration::minutes(20));
    post(&a1, "acknowledge", None).await;
    s.clock.set(t0() + Duration::minutes(25));
    post(&a2, "acknowledge", None).await;
    s.clock.set(t0() + Duration::minutes(30));
    post(&a1, "close", Some(json!({"verdict": "false_positive"}))).await;
    s.clock.set(t0() + Duration::minutes(75));
    raise(&s, A, "lon1", "door-forced", door("d2"), 70).await;
    s.desk.triage_once().await.unwrap();
    s.clock.set(t0() + Duration::minutes(80));
    post(&a2, "close", Some(json!({"verdict": "true_positive"}))).await;
    s.clock.set(t0() + Duration::minutes(90));

    let (st, stats) = s.get("a-viewer", "/api/v1/stats?hours=2").await;
    assert_eq!(st, StatusCode::OK, "{stats}");
    assert_eq!(stats["from"], json!(t0()));
    assert_eq!(stats["to"], json!(t0() + Duration::minutes(90)));
    let hour = |h: i64| json!(t0() + Duration::hours(h));
    assert_eq!(
        stats["alarms_per_hour"],
        json!([
            {"hour": hour(0), "cyber": 1, "physical": 1, "converged": 0, "environmental": 0},
            {"hour": hour(1), "cyber": 0, "physical": 1, "converged": 0, "environmental": 0},
        ])
    );
    assert_eq!(
        stats["false_alarm_rate"],
        json!([
            {"hour": hour(0), "rate": 1.0, "closed": 1, "false_positive": 1},
            {"hour": hour(1), "rate": 0.0, "closed": 1, "false_positive": 0},
        ])
    );
    // Acknowledged 5 and 10 minutes after triage; closed 15 and 65.
    assert_eq!(stats["mtta_seconds"], json!(450.0));
    assert_eq!(stats["mttr_seconds"], json!(2400.0));
    assert_eq!(
        stats["top_rules"],
        json!([
            {"rule_id": "door-forced", "title": "Rule door-forced", "count": 2},
            {"rule_id": "brute-force", "title": "Rule brute-force", "count": 1},
        ])
    );
    assert_eq!(
        stats["devices_offline"],
        json!([{"tenant": A, "site": "lon1", "device": "p1", "name": "p1", "since": t0() - Duration::minutes(7)}])
    );
    assert_eq!(
        stats["by_tenant"],
        json!([{"tenant": A, "open": 1, "new": 1}])
    );

    // Across clients: riverside's converged alarm, and both tenants' counts.
    let (_, all) = s.get("admin", "/api/v1/stats?hours=2").await;
    assert_eq!(all["alarms_per_hour"][0]["converged"], 1);
    assert_eq!(
        all["by_tenant"],
        json!([{"tenant": A, "open": 1, "new": 1}, {"tenant": B, "open": 1, "new": 1}])
    );
    let (_, narrowed) = s
        .get("admin", "/api/v1/stats?hours=2&tenant=riverside")
        .await;
    assert_eq!(narrowed["top_rules"][0]["rule_id"], "badge-vpn");
    assert_eq!(narrowed["devices_offline"], json!([]));
    // Without `hours`: the last 24.
    let (_, one) = s.get("admin", "/api/v1/stats").await;
    assert_eq!(one["alarms_per_hour"].as_array().unwrap().len(), 24);
    for bad in ["0", "721", "x"] {
        let (st, _) = s.get("admin", &format!("/api/v1/stats?hours={bad}")).await;
        assert_eq!(st, StatusCode::BAD_REQUEST, "hours={bad}");
    }
    // The OpenAPI document lists the new endpoints.
    let doc = serde_json::to_value(vigil_server::openapi_document()).unwrap();
    for path in [
        "/api/v1/sites",
        "/api/v1/sites/{tenant}/{site}/plan",
        "/api/v1/stats",
    ] {
        assert!(doc["paths"][path]["get"].is_object(), "{path}");
    }
}
