//! NIS-2 on the desk: an analyst records an incident's facts, Vigil
//! proposes its significance under the client's profile, the analyst
//! decides (a change needs a reason), and a significant incident's Art. 23
//! deadlines count from the first assessment.

mod common;

use chrono::Duration;
use common::*;
use sha2::{Digest, Sha256};
use vigil_compliance::nis2::{
    IncidentFacts, Nis2ProfileConfig, ObligationState, ReportKind, canonical_json,
};
use vigil_desk::config::ClientConfig;
use vigil_desk::escalation::{ContactRole, EscalationLevel, EscalationPolicy, Recipient};
use vigil_desk::incident::{Category, NewIncident};
use vigil_desk::regulation::DraftContent;
use vigil_desk::response::Purpose;
use vigil_desk::service::{Desk, ServiceLevels};
use vigil_desk::{Actor, DeskConfig, DeskError};
use vigil_model::{Clock, Severity};
use vigil_store::{DeskStore, Role, TenantScope};

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

async fn significant_incident(w: &World) -> String {
    let id = incident(w, A).await;
    w.desk
        .assess_nis2(&op(), &id, outage(w, 45, 0))
        .await
        .unwrap();
    w.desk.decide_nis2(&op(), &id, true, "").await.unwrap();
    id
}

fn content() -> DraftContent {
    serde_json::from_value(serde_json::json!({
        "impact": "Managed SOC console unavailable to all clients for 45 minutes",
        "suspected_cause": {"unlawful_or_malicious": "unknown"},
        "cross_border": {"possible": "yes", "member_states": ["de", "AT"]},
        "mitigation": {"applied": ["failed over to the second site"], "ongoing": []},
    }))
    .unwrap()
}

#[tokio::test]
async fn reports_are_drafted_in_versions_and_each_submission_is_on_the_record() {
    let w = world(DeskConfig::default()).await;
    w.desk.set_service_levels(levels());
    let id = significant_incident(&w).await;

    let (_, v1) = w
        .desk
        .draft_nis2_report(&op(), &id, ReportKind::EarlyWarning, content())
        .await
        .unwrap();
    assert_eq!(v1.version, 1);
    // The digest is of the canonical JSON, so anyone can check it.
    let canonical = canonical_json(&v1.document).unwrap();
    assert_eq!(v1.digest, hex::encode(Sha256::digest(canonical.as_bytes())));
    assert_eq!(v1.document["incident"]["reference"], id.as_str());
    assert_eq!(
        v1.document["cross_border_impact"]["member_states"],
        serde_json::json!(["AT", "DE"])
    );
    w.clock.advance(Duration::hours(2));
    let (_, v2) = w
        .desk
        .draft_nis2_report(&op(), &id, ReportKind::EarlyWarning, content())
        .await
        .unwrap();
    assert_eq!(v2.version, 2);
    // Version 1 stays as it was drafted.
    let again = w
        .desk
        .nis2_report(&op(), &id, ReportKind::EarlyWarning, 1)
        .await
        .unwrap();
    assert_eq!(again, v1);

    // Sending a version that was never drafted, or to nobody, is refused
    // and changes nothing.
    let e = w
        .desk
        .submit_nis2_report(&op(), &id, ReportKind::EarlyWarning, 3, "CERT.at")
        .await
        .unwrap_err();
    assert!(e.to_string().contains("no early_warning version 3"), "{e}");
    let e = w
        .desk
        .submit_nis2_report(&op(), &id, ReportKind::EarlyWarning, 2, "  ")
        .await
        .unwrap_err();
    assert!(e.to_string().contains("`to`"), "{e}");

    let (inc, sent) = w
        .desk
        .submit_nis2_report(&op(), &id, ReportKind::EarlyWarning, 2, "CERT.at portal")
        .await
        .unwrap();
    assert_eq!(
        (sent.version, sent.digest.as_str(), sent.by.as_str()),
        (2, v2.digest.as_str(), "alice")
    );
    assert_eq!(sent.at, w.clock.now());
    assert_eq!(
        inc.nis2.as_ref().unwrap().submissions,
        std::slice::from_ref(&sent)
    );
    // The deadline reads the submission: sent within 24 hours.
    let early = w
        .desk
        .nis2_deadlines(&inc)
        .into_iter()
        .find(|o| o.kind == ReportKind::EarlyWarning)
        .unwrap();
    assert!(
        matches!(early.state, ObligationState::SubmittedOnTime { at } if at == sent.at),
        "{:?}",
        early.state
    );
    // Each draft and the submission are in the audit chain with the digest.
    let entries = w
        .store
        .audit_entries(&TenantScope::One(tenant(A)), None, 100)
        .await
        .unwrap();
    let with = |action: &str, digest: &str| {
        entries
            .iter()
            .filter(|e| e.action.contains(action) && e.detail.contains(digest))
            .count()
    };
    assert_eq!(with("nis2_draft", &v1.digest), 1);
    assert_eq!(with("nis2_draft", &v2.digest), 1);
    assert_eq!(with("nis2_submit", &v2.digest), 1);

    // The PDF of a draft is a PDF.
    let pdf = vigil_desk::reporting::render::nis2_draft_pdf(&v2);
    assert!(pdf.starts_with(b"%PDF-"));
}

#[tokio::test]
async fn no_report_for_an_incident_that_is_not_significant_and_a_final_report_needs_a_cause() {
    let w = world(DeskConfig::default()).await;
    w.desk.set_service_levels(levels());
    let id = incident(&w, A).await;
    w.desk
        .assess_nis2(&op(), &id, outage(&w, 20, 0))
        .await
        .unwrap();
    let e = w
        .desk
        .draft_nis2_report(&op(), &id, ReportKind::EarlyWarning, content())
        .await
        .unwrap_err();
    assert!(e.to_string().contains("not significant"), "{e}");
    let unchanged = w.desk.incident(&op(), &id).await.unwrap();
    assert!(unchanged.incident.nis2.as_ref().unwrap().drafts.is_empty());

    let id = significant_incident(&w).await;
    let e = w
        .desk
        .draft_nis2_report(&op(), &id, ReportKind::FinalReport, content())
        .await
        .unwrap_err();
    assert!(e.to_string().contains("suspected_cause"), "{e}");
    let mut with_cause = content();
    with_cause.suspected_cause.root_cause = Some("expired certificate on the load balancer".into());
    let (_, fin) = w
        .desk
        .draft_nis2_report(&op(), &id, ReportKind::FinalReport, with_cause)
        .await
        .unwrap();
    assert_eq!(
        fin.document["threat"]["root_cause"],
        "expired certificate on the load balancer"
    );
    // Another client's analyst cannot see the draft.
    let other = Actor::person("bob", Role::ClientAdmin, Some(tenant(B)));
    assert!(
        w.desk
            .nis2_report(&other, &id, ReportKind::FinalReport, 1)
            .await
            .is_err()
    );
}

fn chain() -> DeskConfig {
    let person = |name: &str, role| Recipient {
        name: name.into(),
        role,
        email: Some(format!("{name}@northgate.example")),
        webhook: None,
    };
    DeskConfig {
        clients: vec![ClientConfig {
            tenant: tenant(A),
            tier: "gold".into(),
            endpoints: vec![],
            escalation: Some(EscalationPolicy {
                min_severity: Severity::Critical,
                levels: vec![
                    EscalationLevel {
                        after_minutes: 30,
                        notify: vec![person("lead", ContactRole::ShiftLead)],
                    },
                    EscalationLevel {
                        after_minutes: 60,
                        notify: vec![person("ciso", ContactRole::ClientContact)],
                    },
                ],
            }),
        }],
        ..Default::default()
    }
}

#[tokio::test]
async fn deadlines_coming_near_and_passing_are_told_once_even_with_two_desks() {
    let w = world(chain()).await;
    w.desk.set_service_levels(levels());
    let other = Desk::new(w.store.clone(), w.clock.clone(), chain(), None)
        .await
        .unwrap();
    other.set_service_levels(levels());
    let id = significant_incident(&w).await;
    let aware = w.clock.now();
    let both = || async {
        let (x, y) = tokio::join!(w.desk.check_nis2_deadlines(), other.check_nis2_deadlines());
        x.unwrap() + y.unwrap()
    };
    assert_eq!(both().await, 0, "nothing is near yet");

    // The early warning is due soon from hour 18 (inclusive), not a
    // millisecond before.
    w.clock
        .set(aware + Duration::hours(18) - Duration::milliseconds(1));
    assert_eq!(both().await, 0);
    w.clock.set(aware + Duration::hours(18));
    assert_eq!(both().await, 1, "early warning due soon, once");
    assert_eq!(both().await, 0, "and not again");

    // Past hour 24 without a submission: overdue, once.
    w.clock
        .set(aware + Duration::hours(24) + Duration::seconds(1));
    assert_eq!(both().await, 1, "early warning overdue, once");

    // Submitted late; the notification's lead (hour 66) still comes.
    w.desk
        .draft_nis2_report(&op(), &id, ReportKind::EarlyWarning, content())
        .await
        .unwrap();
    w.desk
        .submit_nis2_report(&op(), &id, ReportKind::EarlyWarning, 1, "CERT.at")
        .await
        .unwrap();
    w.clock.set(aware + Duration::hours(66));
    assert_eq!(both().await, 1, "notification due soon, once");

    // Due soon went to the first level, overdue to every level.
    let deliveries = w.desk.deliveries(&op(), None, 100).await.unwrap();
    let mut told: Vec<(String, String)> = deliveries
        .iter()
        .filter_map(|d| match &d.purpose {
            Purpose::RegulatoryDeadline { event, recipient } => {
                let mut parts = event.rsplit(':');
                let what = parts.next().unwrap();
                let kind = parts.next().unwrap();
                Some((format!("{kind}:{what}"), recipient.clone()))
            }
            _ => None,
        })
        .collect();
    told.sort();
    let expected: Vec<(String, String)> = [
        ("early_warning:due_soon", "lead"),
        ("early_warning:overdue", "ciso"),
        ("early_warning:overdue", "lead"),
        ("incident_notification:due_soon", "lead"),
    ]
    .iter()
    .map(|(a, b)| (a.to_string(), b.to_string()))
    .collect();
    assert_eq!(told, expected);
    let audited = w
        .store
        .audit_entries(&TenantScope::All, None, 1000)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.action.starts_with("nis2_reminder."))
        .count();
    assert_eq!(audited, 3);
}

#[tokio::test]
async fn an_incident_that_is_not_significant_has_no_reminders() {
    let w = world(chain()).await;
    w.desk.set_service_levels(levels());
    let id = incident(&w, A).await;
    w.desk
        .assess_nis2(&op(), &id, outage(&w, 30, 0))
        .await
        .unwrap();
    w.clock.advance(Duration::days(40));
    assert_eq!(w.desk.check_nis2_deadlines().await.unwrap(), 0);
}
