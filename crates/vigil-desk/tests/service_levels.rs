//! Service-level clocks on a running desk: an alarm's clocks in its reads,
//! and each warning and breach recorded and sent to the client's escalation
//! chain once, even with two desk nodes on one store.

mod common;

use chrono::Duration;
use common::*;
use vigil_contract::{ClockState, ContractConfig, ContractSet, CrossingEvent, Measure};
use vigil_desk::alarm::AlarmCommand;
use vigil_desk::config::ClientConfig;
use vigil_desk::escalation::{ContactRole, EscalationLevel, EscalationPolicy, Recipient};
use vigil_desk::service::{Desk, ServiceLevels, SlaCrossingRecord};
use vigil_desk::{Actor, DeskConfig};
use vigil_model::{Clock as _, EntityKind, Severity};
use vigil_store::{DeskStore, RecordQuery, Role, TenantScope};

fn op() -> Actor {
    Actor::person("alice", Role::ProviderOperator, None)
}

fn recipient(name: &str, role: ContactRole) -> Recipient {
    Recipient {
        name: name.into(),
        role,
        email: Some(format!("{name}@northgate.example")),
        webhook: None,
    }
}

fn config() -> DeskConfig {
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
                        notify: vec![recipient("lead", ContactRole::ShiftLead)],
                    },
                    EscalationLevel {
                        after_minutes: 60,
                        notify: vec![
                            recipient("lead", ContactRole::ShiftLead),
                            recipient("client", ContactRole::ClientContact),
                        ],
                    },
                ],
            }),
        }],
        ..Default::default()
    }
}

fn levels() -> ServiceLevels {
    let contract = ContractConfig::from_toml_str(
        A,
        r#"
        [classes.P1]
        acknowledge = "5m"
        resolve = "4h"
        [[rules]]
        min_score = 0
        class = "P1"
        "#,
    )
    .unwrap()
    .validate(A, None)
    .unwrap();
    let mut contracts = ContractSet::default();
    contracts.insert(tenant(A), contract);
    ServiceLevels {
        contracts,
        ..Default::default()
    }
}

/// A high "door-forced" alert on door `door` of tenant A, triaged into an
/// alarm, with the P1 contract ([`levels`]) in force.
async fn door_forced_alarm(w: &World, door: &str) -> vigil_model::Alert {
    w.desk.set_service_levels(levels());
    let alert = raise(
        &w.store,
        A,
        "door-forced",
        Severity::High,
        EntityKind::Door,
        door,
        0,
    )
    .await;
    w.desk.triage_once().await.unwrap();
    alert
}

async fn crossings(w: &World) -> Vec<String> {
    let mut q = RecordQuery::new("sla_crossing", TenantScope::All);
    q.limit = 100;
    let mut ids: Vec<String> = w
        .store
        .desk_records(&q)
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.id)
        .collect();
    ids.sort();
    ids
}

#[tokio::test]
async fn a_breach_is_recorded_and_escalated_once_with_two_desks_on_one_store() {
    let w = world(config()).await;
    w.desk.set_service_levels(levels());
    let other = Desk::new(w.store.clone(), w.clock.clone(), config(), None)
        .await
        .unwrap();
    other.set_service_levels(levels());
    let alert = raise(
        &w.store,
        A,
        "door-forced",
        Severity::High,
        EntityKind::Door,
        "d1",
        0,
    )
    .await;
    w.desk.triage_once().await.unwrap();

    // The alarm carries its clocks: P1, acknowledge due 5 minutes after it was raised.
    let alarm = w.desk.alarm(&op(), alert.id).await.unwrap();
    let sla = w.desk.alarm_sla(&alarm);
    let ack = sla
        .clocks
        .iter()
        .find(|c| c.measure == Measure::Acknowledge)
        .unwrap();
    assert_eq!(ack.state, ClockState::Running);
    assert_eq!(ack.due, Some(alarm.raised_at + Duration::minutes(5)));

    // Nothing has crossed yet.
    let (x, y) = tokio::join!(w.desk.check_service_levels(), other.check_service_levels());
    assert_eq!(x.unwrap() + y.unwrap(), 0);

    // Past 75 %: one warning, recorded once between the two nodes.
    w.clock.advance(Duration::seconds(4 * 60));
    let (x, y) = tokio::join!(w.desk.check_service_levels(), other.check_service_levels());
    assert_eq!(x.unwrap() + y.unwrap(), 1, "warned once");
    // Past due: one breach, and a pass later nothing new.
    w.clock.advance(Duration::seconds(2 * 60));
    let (x, y) = tokio::join!(w.desk.check_service_levels(), other.check_service_levels());
    assert_eq!(x.unwrap() + y.unwrap(), 1, "breached once");
    let (x, y) = tokio::join!(w.desk.check_service_levels(), other.check_service_levels());
    assert_eq!(x.unwrap() + y.unwrap(), 0, "nothing twice");
    let id = alert.id.to_string();
    assert_eq!(
        crossings(&w).await,
        vec![
            SlaCrossingRecord::key("alarm", &id, Measure::Acknowledge, CrossingEvent::Breached),
            SlaCrossingRecord::key("alarm", &id, Measure::Acknowledge, CrossingEvent::Warned),
        ]
    );

    // The warning went to the first level, the breach to every level, each person once.
    let deliveries = w.desk.deliveries(&op(), None, 100).await.unwrap();
    let mut to: Vec<(String, String)> = deliveries
        .iter()
        .filter_map(|d| match &d.purpose {
            vigil_desk::response::Purpose::ServiceLevel { event, recipient } => Some((
                event.rsplit(':').next().unwrap().to_owned(),
                recipient.clone(),
            )),
            _ => None,
        })
        .collect();
    to.sort();
    assert_eq!(
        to,
        vec![
            ("breached".into(), "client".into()),
            ("breached".into(), "lead".into()),
            ("warned".into(), "lead".into()),
        ]
    );
    // On the record: one audit entry per crossing.
    let audited = w
        .store
        .audit_entries(&TenantScope::All, None, 1000)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.action.starts_with("sla_crossing."))
        .count();
    assert_eq!(audited, 2);

    // Acknowledged late, the clock stays breached: the record is what it was.
    w.desk
        .alarm_command(&op(), alert.id, AlarmCommand::Acknowledge)
        .await
        .unwrap();
    let alarm = w.desk.alarm(&op(), alert.id).await.unwrap();
    let ack = w
        .desk
        .alarm_sla(&alarm)
        .clocks
        .into_iter()
        .find(|c| c.measure == Measure::Acknowledge)
        .unwrap();
    assert_eq!(ack.state, ClockState::Breached);
}

#[tokio::test]
async fn an_alarm_acknowledged_in_time_never_breaches() {
    let w = world(config()).await;
    let alert = door_forced_alarm(&w, "d2").await;
    w.clock.advance(Duration::seconds(60));
    w.desk
        .alarm_command(&op(), alert.id, AlarmCommand::Acknowledge)
        .await
        .unwrap();
    w.clock.advance(Duration::minutes(30));
    w.desk.check_service_levels().await.unwrap();
    assert!(
        crossings(&w)
            .await
            .iter()
            .all(|id| !id.contains("acknowledge")),
        "{:?}",
        crossings(&w).await
    );
}

#[tokio::test]
async fn the_timer_passes_at_the_next_breach_and_at_most_five_seconds_apart() {
    let w = world(config()).await;
    let first = door_forced_alarm(&w, "d1").await;
    let alarm = w.desk.alarm(&op(), first.id).await.unwrap();
    let due = alarm.raised_at + Duration::minutes(5);
    let id = first.id.to_string();
    let key = |event| SlaCrossingRecord::key("alarm", &id, Measure::Acknowledge, event);

    // A pass; the next is due 5 s later at the latest.
    assert_eq!(w.desk.check_service_levels_when_due().await.unwrap(), 0);
    // Past the warning point (75 %): noticed by the pass after, within 5 s.
    w.clock.advance(Duration::seconds(4 * 60));
    assert_eq!(w.desk.check_service_levels_when_due().await.unwrap(), 1);
    assert_eq!(crossings(&w).await, vec![key(CrossingEvent::Warned)]);
    // A pass ran just now: none again before 5 s have passed, and none is
    // needed.
    w.clock.advance(Duration::seconds(2));
    assert_eq!(w.desk.check_service_levels_when_due().await.unwrap(), 0);

    // A pass 2 s before the breach sets the next at the breach (not 5 s
    // later), so it is noticed at its very time.
    w.clock.advance(due - Duration::seconds(2) - w.clock.now());
    assert_eq!(w.desk.check_service_levels_when_due().await.unwrap(), 0);
    w.clock.advance(Duration::seconds(2));
    assert_eq!(w.desk.check_service_levels_when_due().await.unwrap(), 1);
    assert_eq!(w.desk.check_service_levels_when_due().await.unwrap(), 0);
    let mut expected = vec![key(CrossingEvent::Breached), key(CrossingEvent::Warned)];
    expected.sort();
    assert_eq!(crossings(&w).await, expected);

    // New contracts: the next tick passes at once.
    w.desk.set_service_levels(levels());
    assert_eq!(w.desk.check_service_levels_when_due().await.unwrap(), 0);
}
