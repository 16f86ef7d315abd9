//! NIS-2 on the desk: an analyst records an incident's facts, Vigil
//! proposes its significance under the client's profile, the analyst
//! decides (a change needs a reason), and a significant incident's Art. 23
//! deadlines count from the first assessment.

mod common;

use chrono::Duration;
use common::*;
use vigil_compliance::nis2::{IncidentFacts, Nis2ProfileConfig};
use vigil_desk::incident::{Category, NewIncident};
use vigil_desk::service::ServiceLevels;
use vigil_desk::{Actor, DeskConfig, DeskError};
use vigil_model::{Clock, Severity};
use vigil_store::Role;

fn op() -> Actor {
    Actor::person("alice", Role::ProviderOperator, None)
}

fn levels() -> ServiceLevels {
    let profile = Nis2ProfileConfig::from_toml_str(
        A,
        r#"
        sector = "ict_service_management"
        entity_type = "essential"
        managed_security_service_provider = true
        annual_turnover_eur = 42000000
        member_state = "AT"
        [authority]
        name = "CERT.at"
        contact = "reports@cert.at"
        "#,
    )
    .unwrap()
    .validate(&tenant(A))
    .unwrap();
    let mut levels = ServiceLevels::default();
    levels.nis2.insert(tenant(A), profile);
    levels
}

async fn incident(w: &World, client: &str) -> String {
    w.desk
        .open_incident(
            &op(),
            NewIncident {
                tenant: tenant(client),
                title: "Managed SOC platform down".into(),
                severity: Severity::High,
                category: Category::Cyber,
                sites: vec![],
                assets: vec![],
                alarms: vec![],
            },
        )
        .await
        .unwrap()
        .id
}

fn outage(w: &World, minutes: i64, seconds: i64) -> IncidentFacts {
    serde_json::from_value(serde_json::json!({
        "occurred_at": w.clock.now(),
        "complete_unavailability_seconds": minutes * 60 + seconds,
    }))
    .unwrap()
}

#[tokio::test]
async fn a_significant_incident_gets_its_art_23_deadlines_from_awareness() {
    let w = world(DeskConfig::default()).await;
    w.desk.set_service_levels(levels());
    let id = incident(&w, A).await;
    let aware = w.clock.now();

    // 30 minutes unavailable is not more than 30: not significant.
    let near = w
        .desk
        .assess_nis2(&op(), &id, outage(&w, 30, 0))
        .await
        .unwrap();
    let record = near.nis2.as_ref().unwrap();
    assert!(!record.assessment.significant);
    assert!(w.desk.nis2_deadlines(&near).is_empty());

    // A second more is; the moment of awareness stays the first assessment's.
    w.clock.advance(Duration::minutes(10));
    let inc = w
        .desk
        .assess_nis2(&op(), &id, outage(&w, 30, 1))
        .await
        .unwrap();
    let record = inc.nis2.as_ref().unwrap();
    assert!(record.assessment.significant);
    assert_eq!(record.aware_at, aware);
    let met: Vec<&str> = record.assessment.met().map(|c| c.id.as_str()).collect();
    assert_eq!(met, ["art10_a"], "{met:?}");

    // Changing the proposal needs a reason; confirming does not.
    let refused = w
        .desk
        .decide_nis2(&op(), &id, false, " ")
        .await
        .unwrap_err();
    assert!(
        matches!(
            refused,
            DeskError::Invalid {
                field: "reason",
                ..
            }
        ),
        "{refused}"
    );
    let inc = w.desk.decide_nis2(&op(), &id, true, "").await.unwrap();
    let deadlines = w.desk.nis2_deadlines(&inc);
    let early = deadlines
        .iter()
        .find(|o| format!("{:?}", o.kind).contains("EarlyWarning"))
        .expect("an early warning is due");
    assert_eq!(early.due, Some(aware + Duration::hours(24)));
    let notification = deadlines
        .iter()
        .find(|o| format!("{:?}", o.kind).contains("Notification"))
        .expect("a notification is due");
    assert_eq!(notification.due, Some(aware + Duration::hours(72)));
    // On the record, step by step.
    let steps: Vec<&str> = inc.activity.iter().map(|a| a.action.as_str()).collect();
    assert_eq!(steps, ["open", "nis2_assess", "nis2_assess", "nis2_decide"]);
}

#[tokio::test]
async fn a_client_without_a_profile_or_another_clients_analyst_is_refused() {
    let w = world(DeskConfig::default()).await;
    w.desk.set_service_levels(levels());
    let b = incident(&w, B).await;
    let e = w
        .desk
        .assess_nis2(&op(), &b, outage(&w, 90, 0))
        .await
        .unwrap_err();
    assert!(e.to_string().contains("no NIS-2 profile"), "{e}");
    let a = incident(&w, A).await;
    let other = Actor::person("bob", Role::ClientAdmin, Some(tenant(B)));
    assert!(
        w.desk
            .assess_nis2(&other, &a, outage(&w, 90, 0))
            .await
            .is_err()
    );
    let e = w.desk.decide_nis2(&op(), &a, true, "").await.unwrap_err();
    assert!(e.to_string().contains("not been assessed"), "{e}");
}
