//! Visitors over a real server, store and pipeline (with the visitor rules
//! behind the detector seam, as `vigil serve` runs them): a visit from
//! pre-registration to sign-out, each role's steps, illegal steps `409`,
//! bad fields `400` naming them, a badge into a zone not granted and a
//! watchlist hit each raising an alarm (also when the entry is added after
//! the visit was approved; the desk raises a hit as the very alarm the
//! pipeline raised for it), the roll call before and after sign-out — and
//! another client's users getting `404` on every endpoint.

use std::sync::Arc;

use chrono::Duration;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use vigil_desk::DeskConfig;
use vigil_desk::service::Desk;
use vigil_desk::visitors::{VisitorSecrets, VisitorSetup};
use vigil_ingest::{Payload, Pipeline};
use vigil_model::{ManualClock, SourceBinding, SourceId, SourceKind, Tenant, Timestamp};
use vigil_server::auth::hash_token;
use vigil_store::sqlite::{SqliteOptions, SqliteStore};
use vigil_store::{ApiToken, Role, Store};
use vigil_visitors::TenantSecret;
use vigil_visitors::detector::VisitorDetector;
use vigil_visitors::live::VisitorsLive;

mod common;

use common::{A, B, site, t0, tenant};

struct Server {
    base: String,
    desk: Desk,
    pipeline: Pipeline,
    clock: Arc<ManualClock>,
    store: Arc<SqliteStore>,
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

    async fn post(&self, token: &str, path: &str, body: Value) -> (StatusCode, Value) {
        self.call(token, Method::POST, path, Some(body)).await
    }

    /// `POST /api/v1/visits` with an `Idempotency-Key` header.
    async fn post_visit_keyed(&self, token: &str, key: &str, body: &Value) -> (StatusCode, Value) {
        let resp = self
            .client
            .post(format!("{}/api/v1/visits", self.base))
            .bearer_auth(token)
            .header("Idempotency-Key", key)
            .json(body)
            .send()
            .await
            .unwrap();
        let status = resp.status();
        (status, resp.json().await.unwrap_or(Value::Null))
    }

    async fn get(&self, token: &str, path: &str) -> (StatusCode, Value) {
        self.call(token, Method::GET, path, None).await
    }

    /// A badge read at tenant A's site `lon1`, as the access source sends it.
    async fn badge(&self, badge: &str, zone: &str, at: Timestamp) {
        let line = json!({
            "class": "physical_access", "action": "access_granted",
            "time": at.to_rfc3339(), "badge": badge, "door": format!("{zone}-door"), "zone": zone,
        });
        let binding = SourceBinding {
            id: SourceId::new("a-acs").unwrap(),
            tenant: tenant(A),
            site: Some(site("lon1")),
            kind: SourceKind::Http,
            product: "vigil".into(),
        };
        let body = format!("{line}\n").into_bytes();
        let payload = Payload::Ndjson {
            body,
            first_line: 1,
            origin: None,
        };
        self.pipeline.ingest(&binding, payload).await.unwrap();
    }

    /// The titles of the open alarms the operator sees, after triage.
    async fn alarm_titles(&self) -> Vec<String> {
        self.desk.triage_once().await.unwrap();
        let (st, r) = self.get("op", "/api/v1/alarms").await;
        assert_eq!(st, StatusCode::OK, "{r}");
        r["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["rule_title"].as_str().unwrap_or_default().to_owned())
            .collect()
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
    }
    for (name, role, t) in [
        ("admin", Role::ProviderAdmin, None),
        ("op", Role::ProviderOperator, None),
        ("a-admin", Role::ClientAdmin, Some(A)),
        ("a-host", Role::ClientViewer, Some(A)),
        ("b-admin", Role::ClientAdmin, Some(B)),
        ("b-host", Role::ClientViewer, Some(B)),
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
    let mut secrets = VisitorSecrets {
        provider: Some(TenantSecret::new(*b"the-provider-watchlist-key").unwrap()),
        ..Default::default()
    };
    secrets.tenants.insert(
        tenant(A),
        TenantSecret::new(*b"northgate-visitors-secret").unwrap(),
    );
    desk.set_visitor_setup(VisitorSetup {
        secrets,
        settings: Default::default(),
    });
    let live = Arc::new(VisitorsLive::default());
    desk.set_visitors_live(live.clone()).await.unwrap();
    let detector = Arc::new(VisitorDetector::new(common::no_rules(), live));
    let (base, pipeline) =
        common::serve(store.clone(), desk.clone(), clock.clone(), detector).await;
    Server {
        base,
        desk,
        pipeline,
        clock,
        store: store.clone(),
        client: reqwest::Client::new(),
    }
}

fn visit_body(name: &str, start: Timestamp, end: Timestamp) -> Value {
    json!({
        "visitor_name": name, "company": "Acme Lifts", "purpose": "Lift maintenance",
        "host": "emp-042", "site": "lon1",
        "window_start": start.to_rfc3339(), "window_end": end.to_rfc3339(),
        "zones": ["lobby", "plant-room"],
    })
}

fn on_site(r: &Value) -> Vec<String> {
    r["on_site"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap_or_default().to_owned())
        .collect()
}

#[tokio::test]
async fn a_visit_from_pre_registration_to_sign_out_raises_an_alarm_for_a_zone_not_granted() {
    let s = server().await;
    let start = t0() + Duration::hours(1);
    let end = t0() + Duration::hours(5);

    // A window that ends before it starts: 400 naming the field.
    let (st, r) = s
        .post(
            "a-host",
            "/api/v1/visits",
            visit_body("Zoë Kowalski", end, start),
        )
        .await;
    assert_eq!(st, StatusCode::BAD_REQUEST, "{r}");
    assert!(r["message"].as_str().unwrap().contains("window_end"), "{r}");

    let (st, r) = s
        .post(
            "a-host",
            "/api/v1/visits",
            visit_body("Zoë Kowalski", start, end),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{r}");
    assert_eq!(r["visit"]["state"], "pre_registered");
    let id = r["visit"]["id"].as_str().unwrap().to_owned();
    let path = |step: &str| format!("/api/v1/visits/{id}/{step}");

    // Roles: a host does not approve, nor the front desk; the approver does.
    let (st, _) = s.post("a-host", &path("approve"), json!({})).await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let (st, _) = s.post("op", &path("approve"), json!({})).await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let (st, r) = s
        .post("a-admin", &path("approve"), json!({"zones": ["vault"]}))
        .await;
    assert_eq!(st, StatusCode::BAD_REQUEST, "a zone not requested: {r}");
    assert!(r["message"].as_str().unwrap().contains("zones"), "{r}");
    let (st, r) = s
        .post("a-admin", &path("approve"), json!({"zones": ["lobby"]}))
        .await;
    assert_eq!(st, StatusCode::OK, "{r}");
    let (st, r) = s.post("a-admin", &path("approve"), json!({})).await;
    assert_eq!(st, StatusCode::CONFLICT, "approved twice: {r}");
    // A badge before arrival is an illegal step.
    let (st, _) = s.post("op", &path("badge"), json!({"badge": "V-1"})).await;
    assert_eq!(st, StatusCode::CONFLICT);

    // The front desk, at the window's start.
    s.clock.set(start);
    let doc = json!({"document": {"kind": "passport", "number": "PA1234567"}});
    let (st, _) = s.post("a-admin", &path("arrive"), doc.clone()).await;
    assert_eq!(st, StatusCode::FORBIDDEN, "the approver is not the desk");
    let (st, r) = s.post("op", &path("arrive"), doc).await;
    assert_eq!(st, StatusCode::OK, "{r}");
    assert_eq!(r["visit"]["arrival"]["document"]["recorded"], "keyed_hash");
    assert!(
        !r.to_string().contains("PA1234567"),
        "the number is not kept"
    );
    let (st, r) = s.post("op", &path("badge"), json!({"badge": "V-1"})).await;
    assert_eq!(st, StatusCode::OK, "{r}");
    assert_eq!(r["visit"]["state"], "badge_issued");

    let (st, r) = s
        .get("a-host", "/api/v1/sites/northgate/lon1/roll-call")
        .await;
    assert_eq!(st, StatusCode::OK, "{r}");
    assert_eq!(on_site(&r), vec![id.clone()]);

    // The approved zone is no alarm; the vault is.
    s.badge("V-1", "lobby", start + Duration::minutes(5)).await;
    assert!(s.alarm_titles().await.is_empty());
    s.badge("V-1", "vault", start + Duration::minutes(6)).await;
    let titles = s.alarm_titles().await;
    assert_eq!(
        titles,
        vec!["Visitor Badge Granted Into a Zone Not Approved".to_owned()]
    );

    s.clock.set(start + Duration::minutes(30));
    let (st, r) = s.post("op", &path("sign-out"), json!({})).await;
    assert_eq!(st, StatusCode::OK, "{r}");
    let (st, _) = s.post("op", &path("sign-out"), json!({})).await;
    assert_eq!(st, StatusCode::CONFLICT);
    let (_, r) = s.get("op", "/api/v1/sites/northgate/lon1/roll-call").await;
    assert!(on_site(&r).is_empty(), "{r}");

    // Every step is in the audit chain with identifiers only.
    let (st, r) = s.get("admin", "/api/v1/audit?limit=100").await;
    assert_eq!(st, StatusCode::OK, "{r}");
    let steps: Vec<&str> = r["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["object"] == format!("visit/{id}"))
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    for action in [
        "visit.pre_register",
        "visit.approve",
        "visit.arrive",
        "visit.issue_badge",
        "visit.sign_out",
    ] {
        assert!(steps.contains(&action), "{action} in {steps:?}");
    }
    let text = r.to_string();
    for personal in ["Zoë", "Kowalski", "Acme", "Lift maintenance"] {
        assert!(!text.contains(personal), "{personal} in the audit chain");
    }
}

#[tokio::test]
async fn a_watchlisted_visitor_raises_an_alarm_and_the_host_is_not_told() {
    let s = server().await;
    let (st, r) = s
        .post(
            "a-admin",
            "/api/v1/watchlist",
            json!({"name": "Mallory Crane", "reason": "banned after an incident"}),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{r}");
    let (st, _) = s.get("a-host", "/api/v1/watchlist").await;
    assert_eq!(st, StatusCode::FORBIDDEN, "a host does not read the list");
    let (st, r) = s.get("a-admin", "/api/v1/watchlist").await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(r["entries"].as_array().unwrap().len(), 1);

    let start = t0() + Duration::hours(1);
    let (st, r) = s
        .post(
            "a-host",
            "/api/v1/visits",
            visit_body("crane, MALLORY", start, start + Duration::hours(2)),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{r}");
    assert!(!r.to_string().contains("watchlist"), "{r}");
    assert_eq!(
        s.alarm_titles().await,
        vec!["Visitor Matches the Client's Watchlist".to_owned()]
    );

    // At arrival, a document listed under another name is a hit too.
    let (st, r) = s
        .post(
            "admin",
            "/api/v1/watchlist",
            json!({"tenant": A, "name": "Someone Else", "reason": "stolen passport",
                   "document": {"kind": "passport", "number": "ZX 998877"}}),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{r}");
    assert!(
        !r.to_string().contains("998877"),
        "the number is hashed: {r}"
    );
    let (_, r) = s
        .post(
            "a-host",
            "/api/v1/visits",
            visit_body("Jon Smith", start, start + Duration::hours(2)),
        )
        .await;
    let id = r["visit"]["id"].as_str().unwrap().to_owned();
    let (st, _) = s
        .post(
            "a-admin",
            &format!("/api/v1/visits/{id}/approve"),
            json!({}),
        )
        .await;
    assert_eq!(st, StatusCode::OK);
    s.clock.set(start);
    let doc = json!({"document": {"kind": "passport", "number": "zx998877"}});
    let (st, r) = s
        .post("op", &format!("/api/v1/visits/{id}/arrive"), doc)
        .await;
    assert_eq!(st, StatusCode::OK, "{r}");
    let titles = s.alarm_titles().await;
    assert_eq!(
        titles
            .iter()
            .filter(|t| *t == "Visitor Matches the Client's Watchlist")
            .count(),
        2,
        "{titles:?}"
    );

    // The provider's list: leads and administrators only; hashes only.
    let (st, _) = s.get("op", "/api/v1/watchlist/provider").await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let (st, r) = s
        .post(
            "admin",
            "/api/v1/watchlist/provider",
            json!({"name": "Eve Tanaka"}),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{r}");
    assert!(!r.to_string().contains("Tanaka"), "{r}");
}

/// The watchlist alarms the operator sees, after triage: (tenant, title).
async fn watchlist_alarms(s: &Server) -> Vec<(String, String)> {
    s.desk.triage_once().await.unwrap();
    let (st, r) = s.get("op", "/api/v1/alarms").await;
    assert_eq!(st, StatusCode::OK, "{r}");
    let mut out: Vec<(String, String)> = r["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            let field = |k: &str| a[k].as_str().unwrap_or_default().to_owned();
            (field("tenant"), field("rule_title"))
        })
        .filter(|(_, title)| title.contains("Watchlist"))
        .collect();
    out.sort();
    out
}

#[tokio::test]
async fn an_entry_added_after_approval_screens_the_visit_again_within_its_client() {
    let s = server().await;
    let start = t0() + Duration::hours(1);
    for (host, admin) in [("a-host", "a-admin"), ("b-host", "b-admin")] {
        let (st, r) = s
            .post(
                host,
                "/api/v1/visits",
                visit_body("Zoë Kowalski", start, start + Duration::hours(2)),
            )
            .await;
        assert_eq!(st, StatusCode::OK, "{r}");
        let id = r["visit"]["id"].as_str().unwrap().to_owned();
        let (st, r) = s
            .post(admin, &format!("/api/v1/visits/{id}/approve"), json!({}))
            .await;
        assert_eq!(st, StatusCode::OK, "{r}");
    }
    assert!(watchlist_alarms(&s).await.is_empty(), "nobody listed yet");

    // Client B lists her: B's visit is hit, A's is not B's business.
    let entry = json!({"name": "KOWALSKI Zoe", "reason": "threatened reception"});
    let (st, r) = s.post("b-admin", "/api/v1/watchlist", entry.clone()).await;
    assert_eq!(st, StatusCode::OK, "{r}");
    assert!(
        !r.to_string().contains("visit"),
        "the caller is not told: {r}"
    );
    let client_title = "Visitor Matches the Client's Watchlist".to_owned();
    assert_eq!(
        watchlist_alarms(&s).await,
        vec![(B.to_owned(), client_title.clone())]
    );
    // Saved twice: no second alarm.
    let (st, _) = s.post("b-admin", "/api/v1/watchlist", entry.clone()).await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(watchlist_alarms(&s).await.len(), 1);

    // The provider's list reaches every client, as a signal only.
    let (st, r) = s
        .post(
            "admin",
            "/api/v1/watchlist/provider",
            json!({"name": "Zoe Kowalski"}),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{r}");
    let provider_title = "Visitor Matches the Provider's Watchlist".to_owned();
    assert_eq!(
        watchlist_alarms(&s).await,
        vec![
            (A.to_owned(), provider_title.clone()),
            (B.to_owned(), client_title.clone()),
            (B.to_owned(), provider_title.clone()),
        ]
    );
    let (st, r) = s.get("a-admin", "/api/v1/alarms").await;
    assert_eq!(st, StatusCode::OK, "{r}");
    assert_eq!(r["items"].as_array().map(Vec::len), Some(1), "{r}");
    let seen = r.to_string();
    for secret in ["Kowalski", "KOWALSKI", "threatened", "pwatch-", "watch-"] {
        assert!(!seen.contains(secret), "{secret} shown to client A: {seen}");
    }
}

#[tokio::test]
async fn another_clients_users_get_404_on_every_visitor_endpoint() {
    let s = server().await;
    let start = t0() + Duration::hours(1);
    let (_, r) = s
        .post(
            "a-host",
            "/api/v1/visits",
            visit_body("Zoë Kowalski", start, start + Duration::hours(2)),
        )
        .await;
    let id = r["visit"]["id"].as_str().unwrap().to_owned();
    let doc = json!({"document": {"kind": "passport", "number": "PA1234567"}});
    for token in ["b-admin", "b-host"] {
        let (st, r) = s.get(token, &format!("/api/v1/visits/{id}")).await;
        assert_eq!(st, StatusCode::NOT_FOUND, "{token}: {r}");
        for (step, body) in [
            ("approve", json!({})),
            ("refuse", json!({"reason": "no"})),
            ("arrive", doc.clone()),
            ("badge", json!({"badge": "V-1"})),
            ("sign-out", json!({})),
        ] {
            let (st, r) = s
                .post(token, &format!("/api/v1/visits/{id}/{step}"), body)
                .await;
            assert_eq!(st, StatusCode::NOT_FOUND, "{token} {step}: {r}");
        }
        let (st, r) = s.get(token, "/api/v1/visits").await;
        assert_eq!(st, StatusCode::OK);
        assert!(r["visits"].as_array().unwrap().is_empty(), "{r}");
        let (st, _) = s.get(token, "/api/v1/sites/northgate/lon1/roll-call").await;
        assert_eq!(st, StatusCode::NOT_FOUND, "{token} roll call");
        let (st, _) = s.get(token, "/api/v1/watchlist?tenant=northgate").await;
        assert_eq!(st, StatusCode::NOT_FOUND, "{token} watchlist");
        let mut body = visit_body("X Y", start, start + Duration::hours(1));
        body["tenant"] = json!(A);
        let (st, _) = s.post(token, "/api/v1/visits", body).await;
        assert_eq!(st, StatusCode::NOT_FOUND, "{token} pre-register at A");
        let (st, _) = s
            .post(
                token,
                "/api/v1/watchlist",
                json!({"tenant": A, "name": "X", "reason": "y"}),
            )
            .await;
        assert_eq!(st, StatusCode::NOT_FOUND, "{token} watchlist add at A");
        let (st, _) = s.get(token, "/api/v1/watchlist/provider").await;
        assert_eq!(st, StatusCode::FORBIDDEN, "{token} provider list");
        let (st, _) = s
            .post(token, "/api/v1/watchlist/provider", json!({"name": "X"}))
            .await;
        assert_eq!(st, StatusCode::FORBIDDEN, "{token} provider add");
    }
    // A's own users see it.
    let (st, _) = s.get("a-host", &format!("/api/v1/visits/{id}")).await;
    assert_eq!(st, StatusCode::OK);
}

/// The watchlist alerts stored, once one of them has evidence from
/// `events` events (or a minute passed).
async fn watchlist_alerts_with(s: &Server, events: u64) -> Vec<vigil_model::Alert> {
    let limit = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        let page = s
            .store
            .alerts(&vigil_store::AlertQuery::all_in(
                vigil_store::TenantScope::All,
                100,
            ))
            .await
            .unwrap();
        let alerts: Vec<_> = page
            .items
            .into_iter()
            .filter(|a| a.rule_title.contains("Watchlist"))
            .collect();
        if alerts.iter().any(|a| a.event_count >= events) || std::time::Instant::now() > limit {
            return alerts;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn a_watchlist_hit_the_desk_raises_is_the_alarm_the_pipeline_raised_for_it() {
    let s = server().await;
    let (st, r) = s
        .post(
            "a-admin",
            "/api/v1/watchlist",
            json!({"name": "Mallory Crane", "reason": "banned after an incident"}),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{r}");
    let entry = r["entry"]["entry"]["id"].as_str().unwrap().to_owned();
    let start = t0() + Duration::hours(1);
    let (st, r) = s
        .post(
            "a-host",
            "/api/v1/visits",
            visit_body("Mallory Crane", start, start + Duration::hours(2)),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{r}");
    let id = r["visit"]["id"].as_str().unwrap().to_owned();
    let raised = watchlist_alerts_with(&s, 1).await;
    assert_eq!(raised.len(), 1, "{raised:?}");

    // The same hit as the server handed it to the pipeline before the desk
    // raised hits itself: the pipeline's alarm is the desk's alarm (the
    // same alert: rule, visit, window), and its event the desk's event.
    let op = vigil_desk::Actor::person("op", Role::ProviderOperator, None);
    let visit = s.desk.visit(&op, &id).await.unwrap();
    let hit = vigil_visitors::watchlist::WatchlistMatch {
        list: vigil_visitors::watchlist::MatchedList::Client { entry },
        basis: vigil_visitors::watchlist::MatchBasis::Name,
    };
    let candidate = vigil_visitors::rules::watchlist_alarm(
        &visit,
        &hit,
        vigil_model::Clock::now(s.clock.as_ref()),
    );
    let fields = vigil_visitors::detector::watchlist_event(&candidate);
    let raw = serde_json::to_vec(&fields).unwrap();
    let binding = vigil_visitors::detector::source_binding(&candidate);
    s.pipeline
        .ingest(&binding, Payload::Records(vec![(Ok(fields), raw)]))
        .await
        .unwrap();
    let both = watchlist_alerts_with(&s, 2).await;
    assert_eq!(both.len(), 1, "one alarm, not two: {both:?}");
    let (desk, pipeline) = (&raised[0], &both[0]);
    assert_eq!(pipeline.id, desk.id);
    assert_eq!(pipeline.event_count, 2);
    assert_eq!(
        (&pipeline.rule_id, &pipeline.rule_title, pipeline.severity),
        (&desk.rule_id, &desk.rule_title, desk.severity)
    );
    assert_eq!(
        (&pipeline.group_key, &pipeline.entities, &pipeline.site),
        (&desk.group_key, &desk.entities, &desk.site)
    );
    let events = s
        .store
        .events_by_id(&pipeline.evidence, &vigil_store::TenantScope::All)
        .await
        .unwrap();
    assert_eq!(events.len(), 2, "{events:?}");
    let (a, b) = (&events[0], &events[1]);
    assert_eq!(
        (&a.class, a.severity, &a.entities, &a.fields, a.observed_at),
        (&b.class, b.severity, &b.entities, &b.fields, b.observed_at)
    );
    assert_eq!(
        (&a.source.id, &a.source.kind, &a.source.product, &a.site),
        (&b.source.id, &b.source.kind, &b.source.product, &b.site)
    );
}

#[tokio::test]
async fn a_pre_registration_retried_with_its_idempotency_key_is_one_visit() {
    let s = server().await;
    let start = t0() + Duration::hours(1);
    let end = t0() + Duration::hours(5);
    let body = visit_body("Zoë Kowalski", start, end);
    let key = "0b9e6f0e-2a49-4d5c-8c7e-4b1f0d3a9e21";

    let (st, first) = s.post_visit_keyed("a-host", key, &body).await;
    assert_eq!(st, StatusCode::OK, "{first}");
    // The answer lost, the client sends it again; and as a Structured
    // Field string, as the draft writes the header.
    for sent_as in [key.to_owned(), format!("\"{key}\"")] {
        let (st, again) = s.post_visit_keyed("a-host", &sent_as, &body).await;
        assert_eq!(st, StatusCode::OK, "{again}");
        assert_eq!(again["visit"], first["visit"]);
    }
    let (st, list) = s.get("a-host", "/api/v1/visits").await;
    assert_eq!(st, StatusCode::OK, "{list}");
    assert_eq!(list["visits"].as_array().unwrap().len(), 1, "{list}");

    // The key with another body: 422, naming the key; nothing made.
    let other = visit_body("Someone Else", start, end);
    let (st, r) = s.post_visit_keyed("a-host", key, &other).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{r}");
    assert!(r["message"].as_str().unwrap().contains(key), "{r}");
    // A key that is not one: 400, naming the header.
    let (st, r) = s.post_visit_keyed("a-host", "two words", &body).await;
    assert_eq!(st, StatusCode::BAD_REQUEST, "{r}");
    assert!(
        r["message"].as_str().unwrap().contains("Idempotency-Key"),
        "{r}"
    );
    let (_, list) = s.get("a-host", "/api/v1/visits").await;
    assert_eq!(list["visits"].as_array().unwrap().len(), 1, "{list}");

    // Without the header each request is a visit, as before.
    let (st, _) = s.post("a-host", "/api/v1/visits", body.clone()).await;
    assert_eq!(st, StatusCode::OK);
    let (_, list) = s.get("a-host", "/api/v1/visits").await;
    assert_eq!(list["visits"].as_array().unwrap().len(), 2, "{list}");
}
