//! Retention and legal holds over a real store: what is past its period
//! goes, with a proof in the audit chain that verifies against the ids;
//! held clients and held incidents (with their alarms and evidence) stay;
//! holds are placed and lifted on the record, by those allowed to.

mod common;

use std::collections::BTreeMap;

use chrono::Duration;
use common::*;
use vigil_desk::governance::{DataClass, HoldScope, RetentionPolicy};
use vigil_desk::incident::{Category, NewIncident};
use vigil_desk::{Actor, DeskConfig, DeskError};
use vigil_model::{EntityKind, Severity};
use vigil_store::governance::verify_deletion;
use vigil_store::{DeskStore, Role, Store, TenantScope};

fn lead() -> Actor {
    Actor::person("lead", Role::ProviderLead, None)
}

async fn alert_ids(w: &World, tenant_id: &str) -> Vec<String> {
    let q = vigil_store::AlertQuery::all_in(TenantScope::One(tenant(tenant_id)), 100);
    let mut ids: Vec<String> = w
        .store
        .alerts(&q)
        .await
        .unwrap()
        .items
        .iter()
        .map(|a| a.id.to_string())
        .collect();
    ids.sort();
    ids
}

async fn event_ids(w: &World, tenant_id: &str) -> Vec<String> {
    let q = vigil_store::EventQuery {
        scope: TenantScope::One(tenant(tenant_id)),
        from: None,
        to: None,
        fields: vec![],
        cursor: None,
        limit: 100,
    };
    let mut ids: Vec<String> = w
        .store
        .events(&q)
        .await
        .unwrap()
        .items
        .iter()
        .map(|e| e.id.to_string())
        .collect();
    ids.sort();
    ids
}

#[tokio::test]
async fn retention_deletes_what_is_past_its_period_with_proof_and_spares_what_is_held() {
    let w = world(DeskConfig::default()).await;
    let held = raise(
        &w.store,
        A,
        "door-forced",
        Severity::High,
        EntityKind::Door,
        "d1",
        0,
    )
    .await;
    let old = raise(
        &w.store,
        A,
        "door-held",
        Severity::Low,
        EntityKind::Door,
        "d2",
        1,
    )
    .await;
    raise(
        &w.store,
        B,
        "vpn-brute",
        Severity::Medium,
        EntityKind::User,
        "bob",
        0,
    )
    .await;
    w.desk.triage_once().await.unwrap();
    let events_before = event_ids(&w, A).await;
    let incident = w
        .desk
        .open_incident(
            &lead(),
            NewIncident {
                tenant: tenant(A),
                title: "Forced door".into(),
                severity: Severity::High,
                category: Category::Physical,
                sites: vec![],
                assets: vec![],
                alarms: vec![held.id],
            },
        )
        .await
        .unwrap();
    w.desk
        .place_legal_hold(
            &lead(),
            &tenant(A),
            HoldScope::Incident {
                incident: incident.id.clone(),
            },
            "Police request 4711",
        )
        .await
        .unwrap();
    let mut policy = RetentionPolicy::events_only(Some(Duration::days(1)));
    policy.defaults.insert(DataClass::Alerts, Duration::days(1));
    policy
        .config_holds
        .insert(tenant(B), "Litigation hold".into());
    w.desk.set_retention_policy(policy);

    // Not yet past the period: nothing goes.
    assert!(w.desk.enforce_retention().await.unwrap().is_empty());
    w.clock.advance(Duration::days(2));
    let outcomes = w.desk.enforce_retention().await.unwrap();
    let count = |class| {
        outcomes
            .iter()
            .filter(|o| o.class == class)
            .map(|o| (o.tenant.to_string(), o.deleted))
            .collect::<Vec<_>>()
    };
    assert_eq!(count(DataClass::Alerts), [(A.to_string(), 1)]);
    assert_eq!(count(DataClass::Events), [(A.to_string(), 1)]);

    // The deleted rows are gone; the held incident's alarm and evidence
    // and the held client's data stay.
    assert_eq!(alert_ids(&w, A).await, [held.id.to_string()]);
    assert_eq!(event_ids(&w, A).await.len(), 1);
    assert_eq!(alert_ids(&w, B).await.len(), 1);
    assert_eq!(event_ids(&w, B).await.len(), 1);
    let alarm_gone = w
        .store
        .desk_record("alarm", &old.id.to_string(), &TenantScope::All)
        .await
        .unwrap();
    assert!(alarm_gone.is_none(), "the alarm went with its alert");

    // The proofs verify against the ids that went, and not against others.
    let entries = w
        .store
        .audit_entries(&TenantScope::One(tenant(A)), None, 100)
        .await
        .unwrap();
    let proof_of = |class: DataClass| {
        let seq = outcomes
            .iter()
            .find(|o| o.class == class)
            .unwrap()
            .audit_seqs[0];
        entries.iter().find(|e| e.seq == seq).unwrap().clone()
    };
    let alerts_entry = proof_of(DataClass::Alerts);
    assert_eq!(alerts_entry.actor, "system:retention");
    verify_deletion(&alerts_entry, &[old.id.to_string()]).unwrap();
    assert!(verify_deletion(&alerts_entry, &[held.id.to_string()]).is_err());
    let remaining = event_ids(&w, A).await;
    let gone: Vec<String> = events_before
        .into_iter()
        .filter(|id| !remaining.contains(id))
        .collect();
    verify_deletion(&proof_of(DataClass::Events), &gone).unwrap();
    assert!(
        entries
            .iter()
            .any(|e| e.action == "legal_hold.place" && e.actor == "lead"),
        "the hold is on the record"
    );

    // Lifted (on the record), the incident's alarm ages out like any other.
    w.desk
        .lift_legal_hold(
            &lead(),
            &tenant(A),
            HoldScope::Incident {
                incident: incident.id.clone(),
            },
        )
        .await
        .unwrap();
    let outcomes = w.desk.enforce_retention().await.unwrap();
    assert_eq!(outcomes.len(), 2, "{outcomes:?}");
    assert!(alert_ids(&w, A).await.is_empty());
    assert_eq!(
        alert_ids(&w, B).await.len(),
        1,
        "still held by configuration"
    );
    let report = vigil_store::sqlite::SqliteStore::verify_audit(
        w.store.path(),
        &[vigil_store::audit::AuditSigner::from_secret([3; 32]).public_key()],
    )
    .unwrap();
    assert!(report.is_ok(), "{report:?}");
}

#[tokio::test]
async fn holds_are_placed_and_lifted_by_those_allowed_and_bad_requests_change_nothing() {
    let w = world(DeskConfig::default()).await;
    let mut policy = RetentionPolicy::default();
    policy
        .config_holds
        .insert(tenant(B), "Litigation hold".into());
    policy.tenants.insert(tenant(A), BTreeMap::new());
    w.desk.set_retention_policy(policy);
    let client_admin = Actor::person("ca", Role::ClientAdmin, Some(tenant(A)));
    let operator = Actor::person("op", Role::ProviderOperator, None);
    for who in [&client_admin, &operator] {
        let err = w
            .desk
            .place_legal_hold(who, &tenant(A), HoldScope::Tenant, "x")
            .await
            .unwrap_err();
        assert!(matches!(err, DeskError::Forbidden { .. }), "{err}");
    }
    let err = w
        .desk
        .place_legal_hold(&lead(), &tenant(A), HoldScope::Tenant, "  ")
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            DeskError::Invalid {
                field: "reason",
                ..
            }
        ),
        "{err}"
    );
    let err = w
        .desk
        .place_legal_hold(
            &lead(),
            &tenant(A),
            HoldScope::Incident {
                incident: "inc-nope".into(),
            },
            "matter 1",
        )
        .await
        .unwrap_err();
    assert!(matches!(err, DeskError::NotFound { .. }), "{err}");
    let unknown = vigil_model::TenantId::new("nobody").unwrap();
    let err = w
        .desk
        .place_legal_hold(&lead(), &unknown, HoldScope::Tenant, "matter 1")
        .await
        .unwrap_err();
    assert!(err.to_string().contains("`nobody`"), "{err}");
    let err = w
        .desk
        .place_legal_hold(&lead(), &tenant(B), HoldScope::Tenant, "matter 1")
        .await
        .unwrap_err();
    assert!(err.to_string().contains("already held (by config"), "{err}");
    let err = w
        .desk
        .lift_legal_hold(&lead(), &tenant(B), HoldScope::Tenant)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("set in configuration"), "{err}");
    assert!(
        w.store
            .audit_entries(&TenantScope::All, None, 10)
            .await
            .unwrap()
            .is_empty(),
        "refused requests leave nothing on the record"
    );

    w.desk
        .place_legal_hold(&lead(), &tenant(A), HoldScope::Tenant, "matter 1")
        .await
        .unwrap();
    let err = w
        .desk
        .place_legal_hold(&lead(), &tenant(A), HoldScope::Tenant, "matter 2")
        .await
        .unwrap_err();
    assert!(matches!(err, DeskError::Transition { .. }), "{err}");
    assert!(w.desk.is_held(&tenant(A)).await.unwrap());

    // A client sees its own holds only; a provider sees every client's.
    let mine = w.desk.legal_holds(&client_admin, None).await.unwrap();
    assert_eq!(mine.len(), 1);
    assert_eq!(mine[0].tenant, tenant(A));
    let err = w
        .desk
        .legal_holds(&client_admin, Some(&tenant(B)))
        .await
        .unwrap_err();
    assert!(matches!(err, DeskError::Forbidden { .. }), "{err}");
    assert_eq!(w.desk.legal_holds(&lead(), None).await.unwrap().len(), 2);

    let lifted = w
        .desk
        .lift_legal_hold(&lead(), &tenant(A), HoldScope::Tenant)
        .await
        .unwrap();
    assert_eq!(lifted.reason, "matter 1");
    assert!(!w.desk.is_held(&tenant(A)).await.unwrap());
    let actions: Vec<String> = w
        .store
        .audit_entries(&TenantScope::One(tenant(A)), None, 10)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.action)
        .collect();
    assert_eq!(actions, ["legal_hold.lift", "legal_hold.place"]);
}
