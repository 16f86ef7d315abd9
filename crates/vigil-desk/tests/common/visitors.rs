//! Visitors at the desk: visits through their steps, the visitor setup
//! with both clients' secrets and the provider's key, and the watchlist
//! alerts and alarms a test reads back.

use chrono::Duration;
use vigil_desk::service::{AlarmFilter, Desk, VisitStep};
use vigil_desk::visitors::{VisitorSecrets, VisitorSetup};
use vigil_desk::{Actor, DeskConfig};
use vigil_model::SiteId;
use vigil_store::sqlite::SqliteStore;
use vigil_store::{AlertQuery, Role, Store, TenantScope};
use vigil_visitors::TenantSecret;
use vigil_visitors::rules::VisitorRule;
use vigil_visitors::visit::{DocumentKind, IdentityDocument, PreRegistration};
use vigil_visitors::watchlist::NewEntry;

use super::{A, B, World, tenant};

/// A host's request for Zoë Kowalski's visit, its window from `now`.
pub fn zoe_request(now: vigil_model::Timestamp) -> PreRegistration {
    PreRegistration {
        visitor_name: "Zoë Kowalski".into(),
        company: "Acme Lifts".into(),
        purpose: "Lift maintenance".into(),
        host: "emp-042".into(),
        site: SiteId::new("hq").unwrap(),
        window_start: now,
        window_end: now + Duration::hours(2),
        zones: vec!["lobby".into()],
    }
}

/// A world whose tenant A lists Zoe Kowalski on its watchlist.
pub async fn zoe_listed_world() -> World {
    let w = super::world(vigil_desk::DeskConfig::default()).await;
    w.desk.set_visitor_setup(setup());
    let admin = Actor::person("northgate-admin", Role::ClientAdmin, Some(tenant(A)));
    w.desk
        .add_client_watchlist_entry(&admin, &tenant(A), &listing("Zoe Kowalski"))
        .await
        .unwrap();
    w
}

/// A visit of tenant `t` pre-registered and approved, its window from `now`.
pub async fn approved_visit(desk: &Desk, t: &str, now: vigil_model::Timestamp) -> String {
    let host = Actor::person(&format!("{t}-host"), Role::ClientViewer, Some(tenant(t)));
    let approver = Actor::person(&format!("{t}-admin"), Role::ClientAdmin, Some(tenant(t)));
    let request = zoe_request(now);
    let v = desk
        .pre_register_visit(&host, &tenant(t), &request, None)
        .await
        .unwrap()
        .visit;
    let id = v.id.to_string();
    let approve = VisitStep::Approve {
        zones: None,
        reason: None,
    };
    desk.visit_step(&approver, &id, approve).await.unwrap();
    id
}

pub async fn visit_through(
    desk: &Desk,
    t: &str,
    now: vigil_model::Timestamp,
    sign_out: bool,
) -> String {
    let desk_op = Actor::person("op", Role::ProviderOperator, None);
    let id = approved_visit(desk, t, now).await;
    let document = IdentityDocument {
        kind: DocumentKind::Passport,
        number: "PA1234567".into(),
    };
    desk.visit_step(&desk_op, &id, VisitStep::Arrive { document })
        .await
        .unwrap();
    if sign_out {
        desk.visit_step(&desk_op, &id, VisitStep::SignOut)
            .await
            .unwrap();
    }
    id
}

pub fn setup() -> VisitorSetup {
    let secret = |s: &[u8]| TenantSecret::new(s.to_vec()).unwrap();
    VisitorSetup {
        secrets: VisitorSecrets {
            tenants: [
                (tenant(A), secret(b"northgate-visitors-secret")),
                (tenant(B), secret(b"riverside-visitors-secret")),
            ]
            .into(),
            provider: Some(secret(b"provider-watchlist-key-1")),
        },
        ..Default::default()
    }
}

pub fn listing(name: &str) -> NewEntry {
    NewEntry {
        name: name.into(),
        birth_date: None,
        document: None,
        reason: "threatened the reception staff".into(),
    }
}

/// The watchlist alerts in the store: (tenant, rule, evidence count),
/// sorted.
pub async fn watchlist_alerts(store: &SqliteStore) -> Vec<(String, String, u64)> {
    let page = store
        .alerts(&AlertQuery::all_in(TenantScope::All, 100))
        .await
        .unwrap();
    let rules = [
        VisitorRule::ClientWatchlist.id(),
        VisitorRule::ProviderWatchlist.id(),
    ];
    let mut out: Vec<_> = page
        .items
        .into_iter()
        .filter(|a| rules.contains(&a.rule_id.as_str()))
        .map(|a| (a.tenant.to_string(), a.rule_id, a.event_count))
        .collect();
    out.sort();
    out
}

/// The watchlist alarms on the desk after triage: (tenant, rule), sorted.
pub async fn watchlist_alarms(desk: &Desk) -> Vec<(String, String)> {
    desk.triage_once().await.unwrap();
    let admin = Actor::person("admin", Role::ProviderAdmin, None);
    let every = AlarmFilter {
        limit: 100,
        ..Default::default()
    };
    let mut out: Vec<_> = desk
        .alarms(&admin, &every)
        .await
        .unwrap()
        .into_iter()
        .filter(|a| a.rule_title.contains("Watchlist"))
        .map(|a| (a.tenant.to_string(), a.rule_id))
        .collect();
    out.sort();
    out
}

/// A desk started on `w`'s store, as a node starting (or another node).
pub async fn another_node(w: &World, setup: Option<VisitorSetup>) -> Desk {
    let desk = Desk::new(
        w.store.clone(),
        w.clock.clone(),
        DeskConfig::default(),
        Some(vigil_store::audit::AuditSigner::from_secret([3; 32])),
    )
    .await
    .unwrap();
    if let Some(setup) = setup {
        desk.set_visitor_setup(setup);
    }
    desk
}
