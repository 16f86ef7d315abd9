//! Visitors through the desk service on a real store: retention erases a
//! visit's personal data once the client's period for visitor data has
//! passed after the visit ended — not a second before, never while the
//! visitor is on site, never under a legal hold — and records the count
//! (no names) in the audit chain.

mod common;

use chrono::Duration;
use common::{A, B, tenant, world};
use vigil_desk::DeskConfig;
use vigil_desk::governance::{DataClass, HoldScope, RetentionPolicy};
use vigil_desk::service::VisitStep;
use vigil_desk::{Actor, service::Desk};
use vigil_model::{Clock, SiteId};
use vigil_store::Role;
use vigil_visitors::visit::{DocumentKind, IdentityDocument, PreRegistration};

async fn visit_through(
    desk: &Desk,
    t: &str,
    now: vigil_model::Timestamp,
    sign_out: bool,
) -> String {
    let host = Actor::person(&format!("{t}-host"), Role::ClientViewer, Some(tenant(t)));
    let approver = Actor::person(&format!("{t}-admin"), Role::ClientAdmin, Some(tenant(t)));
    let desk_op = Actor::person("op", Role::ProviderOperator, None);
    let request = PreRegistration {
        visitor_name: "Zoë Kowalski".into(),
        company: "Acme Lifts".into(),
        purpose: "Lift maintenance".into(),
        host: "emp-042".into(),
        site: SiteId::new("hq").unwrap(),
        window_start: now,
        window_end: now + Duration::hours(2),
        zones: vec!["lobby".into()],
    };
    let v = desk
        .pre_register_visit(&host, &tenant(t), &request)
        .await
        .unwrap()
        .visit;
    let id = v.id.to_string();
    let approve = VisitStep::Approve {
        zones: None,
        reason: None,
    };
    desk.visit_step(&approver, &id, approve).await.unwrap();
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

#[tokio::test]
async fn visitor_data_is_erased_after_the_clients_period_and_the_count_is_audited() {
    let w = world(DeskConfig::default()).await;
    let d = &w.desk;
    d.set_retention_policy(RetentionPolicy {
        defaults: [(DataClass::Visitors, Duration::days(30))].into(),
        ..Default::default()
    });
    let start = w.clock.now();
    let gone = visit_through(d, A, start, true).await;
    let on_site = visit_through(d, A, start, false).await;
    let held = visit_through(d, B, start, true).await;
    let admin = Actor::person("admin", Role::ProviderAdmin, None);
    d.place_legal_hold(&admin, &tenant(B), HoldScope::Tenant, "matter 12")
        .await
        .unwrap();

    w.clock.advance(Duration::days(30) - Duration::seconds(1));
    assert!(
        d.erase_due_visits().await.unwrap().is_empty(),
        "not a second before"
    );
    w.clock.advance(Duration::seconds(1));
    let done = d.erase_due_visits().await.unwrap();
    assert_eq!(done, vec![(tenant(A), 1)]);

    let v = d.visit(&admin, &gone).await.unwrap();
    assert!(v.erased_at.is_some());
    assert_eq!(v.visitor.name, "");
    assert_eq!(v.purpose, "");
    assert_eq!(v.host, "emp-042", "identifiers stay");
    assert!(d.visit(&admin, &on_site).await.unwrap().erased_at.is_none());
    assert!(d.visit(&admin, &held).await.unwrap().erased_at.is_none());
    assert!(d.erase_due_visits().await.unwrap().is_empty(), "done once");

    let entries = d.audit_entries(&admin, None, 200).await.unwrap();
    let erase: Vec<_> = entries
        .iter()
        .filter(|e| e.action == "visit.retention_erase")
        .collect();
    assert_eq!(erase.len(), 1);
    assert!(
        erase[0].detail.contains("\"count\":1"),
        "{}",
        erase[0].detail
    );
    for e in &entries {
        assert!(!e.detail.contains("Kowalski"), "{}", e.detail);
    }
}
