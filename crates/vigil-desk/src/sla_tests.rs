use chrono::Duration;
use vigil_contract::{ClockState, ContractConfig, Measure};
use vigil_model::{Alert, Severity, TenantId};
use vigil_store::Role;

use super::*;
use crate::Actor;
use crate::alarm::{AlarmCommand, Verdict};
use crate::incident::{IncidentCommand, NewIncident, ResolutionKind};

/// A Monday 09:00 UTC (2025-11-24), so that business hours are exact.
fn t(min: i64) -> Timestamp {
    chrono::DateTime::from_timestamp(1_763_974_800, 0).unwrap() + Duration::minutes(min)
}

fn contract() -> Contract {
    ContractConfig::from_toml_str(
        "northgate",
        r#"
        [calendars.office]
        time_zone = "Europe/London"
        hours = ["mon-fri 08:00-18:00"]

        [classes.P1]
        acknowledge = "5m"
        notify = "15m"
        contain = "1h"
        resolve = "4h"

        [classes.P3]
        calendar = "office"
        acknowledge = "30m"
        resolve = "3d"

        [[rules]]
        min_score = 80
        class = "P1"
        [[rules]]
        min_severity = "high"
        class = "P1"
        "#,
    )
    .unwrap()
    .validate("northgate", None)
    .unwrap()
}

fn op() -> Actor {
    Actor::person("alice", Role::ProviderOperator, None)
}

fn alarm(score: f64) -> Alarm {
    let tenant = TenantId::new("northgate").unwrap();
    let alert = Alert {
        id: vigil_model::alert_id_for(&tenant, "r1", "door:d1", t(0)),
        tenant,
        site: None,
        rule_id: "r1".into(),
        rule_title: "Door forced".into(),
        severity: Severity::High,
        status: vigil_model::AlertStatus::New,
        group_key: "door:d1".into(),
        window_start: t(0),
        first_seen: t(0),
        last_seen: t(0),
        event_count: 1,
        entities: vec![],
        evidence: vec![],
        created_at: t(0),
        updated_at: t(0),
    };
    let mut a = Alarm::from_alert(&alert, t(0));
    a.priority.score = score;
    a
}

fn reading(clocks: &SlaClocks, measure: Measure) -> &SlaReading {
    clocks.clocks.iter().find(|c| c.measure == measure).unwrap()
}

#[test]
fn an_urgent_alarm_runs_p1_clocks_that_stop_when_acknowledged_and_closed() {
    let c = contract();
    let a = alarm(90.0);
    let open = alarm_clocks(&c, &a, Category::Physical, t(4));
    assert_eq!(open.class, PriorityClass::P1);
    let ack = reading(&open, Measure::Acknowledge);
    assert_eq!(ack.state, ClockState::Warned, "4 of 5 minutes is past 75 %");
    assert_eq!(ack.due, Some(t(5)));
    assert_eq!(
        reading(
            &alarm_clocks(&c, &a, Category::Physical, t(6)),
            Measure::Acknowledge
        )
        .state,
        ClockState::Breached
    );

    let acked = a.apply(&op(), &AlarmCommand::Acknowledge, t(3)).unwrap();
    let closed = acked
        .apply(
            &op(),
            &AlarmCommand::Close {
                verdict: Verdict::TruePositive,
                note: None,
            },
            t(100),
        )
        .unwrap();
    let done = alarm_clocks(&c, &closed, Category::Physical, t(500));
    let ack = reading(&done, Measure::Acknowledge);
    assert_eq!((ack.state, ack.stopped_at), (ClockState::Met, Some(t(3))));
    let resolve = reading(&done, Measure::Resolve);
    assert_eq!(
        (resolve.state, resolve.stopped_at),
        (ClockState::Met, Some(t(100)))
    );
    // The same records give the same clocks whenever they are read.
    assert_eq!(done, alarm_clocks(&c, &closed, Category::Physical, t(5000)));
}

#[test]
fn a_routine_alarm_counts_only_business_hours() {
    let c = contract();
    // Friday 17:50 London (UTC in November) + 30 business minutes = Monday 08:20.
    let friday = t(4 * 24 * 60 + 8 * 60 + 50);
    let mut a = alarm(10.0);
    a.raised_at = friday;
    let clocks = alarm_clocks(&c, &a, Category::Cyber, friday);
    assert_eq!(clocks.class, PriorityClass::P3);
    assert_eq!(
        reading(&clocks, Measure::Acknowledge).due,
        Some(t(7 * 24 * 60 - 40))
    );
}

fn incident() -> Incident {
    Incident::open(
        &op(),
        "inc-1".into(),
        NewIncident {
            tenant: TenantId::new("northgate").unwrap(),
            title: "Data hall door forced".into(),
            severity: Severity::High,
            category: Category::Physical,
            sites: vec![],
            assets: vec![],
            alarms: vec![],
        },
        t(0),
    )
    .unwrap()
}

#[test]
fn an_incident_s_clocks_pause_while_it_waits_and_stop_as_it_moves_on() {
    let c = contract();
    let i = incident();
    let apply =
        |i: &Incident, cmd: IncidentCommand, min: i64| i.apply(&op(), &cmd, t(min)).unwrap();
    let i = apply(
        &i,
        IncidentCommand::Advance {
            to: IncidentState::Triaged,
        },
        2,
    );
    let i = apply(
        &i,
        IncidentCommand::PauseSla {
            state: PauseState::AwaitingClient,
            reason: "waiting for the client to unlock the hall".into(),
        },
        10,
    );
    let paused = incident_clocks(&c, &i, t(40));
    assert_eq!(paused.class, PriorityClass::P1);
    assert_eq!(
        reading(&paused, Measure::Acknowledge).state,
        ClockState::Met
    );
    let notify = reading(&paused, Measure::Notify);
    assert_eq!(notify.state, ClockState::Paused);
    assert_eq!(notify.due, None, "no due time while paused");
    assert_eq!(notify.elapsed, Duration::minutes(10));

    let i = apply(&i, IncidentCommand::ResumeSla, 40);
    let notify = reading(&incident_clocks(&c, &i, t(40)), Measure::Notify).clone();
    assert_eq!(
        notify.due,
        Some(t(45)),
        "15 min less the 10 counted, from 40"
    );
    let i = apply(
        &i,
        IncidentCommand::NotifyClient {
            how: "phoned the duty manager".into(),
        },
        44,
    );
    let i = apply(
        &i,
        IncidentCommand::Advance {
            to: IncidentState::Contained,
        },
        80,
    );
    let read = incident_clocks(&c, &i, t(90));
    assert_eq!(reading(&read, Measure::Notify).state, ClockState::Met);
    let contain = reading(&read, Measure::Contain);
    // 60 minutes allowed, 30 of them paused: due at 90, contained at 80.
    assert_eq!((contain.state, contain.due), (ClockState::Met, Some(t(90))));
    assert_eq!(reading(&read, Measure::Resolve).state, ClockState::Running);
}

#[test]
fn pausing_needs_a_reason_and_cannot_be_doubled() {
    let i = incident();
    let pause = |reason: &str| IncidentCommand::PauseSla {
        state: PauseState::AwaitingThirdParty,
        reason: reason.into(),
    };
    assert!(i.apply(&op(), &pause("  "), t(1)).is_err());
    assert!(i.apply(&op(), &IncidentCommand::ResumeSla, t(1)).is_err());
    let paused = i
        .apply(&op(), &pause("carrier fixing the line"), t(1))
        .unwrap();
    assert!(paused.sla_paused());
    assert!(paused.apply(&op(), &pause("again"), t(2)).is_err());
    assert!(
        !paused
            .apply(&op(), &IncidentCommand::ResumeSla, t(3))
            .unwrap()
            .sla_paused()
    );
}

#[test]
fn an_incident_closed_early_stops_containment_and_resolution() {
    let c = contract();
    // Closing is a lead's decision.
    let i = incident()
        .apply(
            &Actor::person("lee", Role::ProviderLead, None),
            &IncidentCommand::Close {
                resolution: ResolutionKind::FalseAlarm,
                summary: "a cleaner's badge".into(),
                lessons_learned: "none".into(),
            },
            t(20),
        )
        .unwrap();
    let read = incident_clocks(&c, &i, t(30));
    assert_eq!(reading(&read, Measure::Contain).stopped_at, Some(t(20)));
    assert_eq!(reading(&read, Measure::Resolve).state, ClockState::Met);
    assert_eq!(
        reading(&read, Measure::Acknowledge).state,
        ClockState::Breached
    );
}

#[test]
fn approved_maintenance_of_the_alarms_device_pauses_its_clocks() {
    use crate::planned_maintenance::PlannedMaintenance;
    use vigil_lifecycle::work_order::{DeviceRef, WorkKind, WorkOrder};
    use vigil_model::{Entity, EntityKind, SiteId};

    let c = contract();
    let mut a = alarm(90.0);
    a.entities = vec![Entity::new(EntityKind::Camera, "cam-7")];
    let mut order = WorkOrder::plan(
        "wo-1",
        TenantId::new("northgate").unwrap(),
        WorkKind::FirmwareUpgrade,
        "cam-7 to 11.0",
        t(2),
        t(12),
        vec![DeviceRef {
            site: SiteId::new("hq").unwrap(),
            device: "cam-7".into(),
        }],
        "facilities",
    )
    .unwrap();
    let unapproved = PlannedMaintenance::of([&order]);
    assert!(unapproved.of_alarm(&a).is_empty(), "nobody approved it yet");
    order.approve("facilities", t(1)).unwrap();
    let calendar = PlannedMaintenance::of([&order]);
    let spans = calendar.of_alarm(&a);
    assert_eq!(spans.len(), 1);
    let at = |min: i64| {
        reading(
            &alarm_clocks_planned(&c, &a, Category::Physical, &spans, t(min)),
            Measure::Acknowledge,
        )
        .clone()
    };
    assert_eq!(at(1).state, ClockState::Running);
    // Paused from t(2) to t(12): two minutes counted, ten not.
    assert_eq!(at(10).state, ClockState::Paused);
    let resumed = at(14);
    assert_eq!(resumed.state, ClockState::Warned, "4 of 5 minutes counted");
    assert_eq!(resumed.due, Some(t(15)));
    assert_eq!(at(16).state, ClockState::Breached);
    // Without the calendar (or for another device) the clock ran through.
    assert_eq!(
        reading(
            &alarm_clocks(&c, &a, Category::Physical, t(10)),
            Measure::Acknowledge
        )
        .state,
        ClockState::Breached
    );
    let mut other = a.clone();
    other.entities = vec![Entity::new(EntityKind::Camera, "cam-8")];
    assert!(calendar.of_alarm(&other).is_empty());
    // Acknowledged during the window: met, the pause closed by the stop.
    let acked = a.apply(&op(), &AlarmCommand::Acknowledge, t(9)).unwrap();
    let done = reading(
        &alarm_clocks_planned(
            &c,
            &acked,
            Category::Physical,
            &calendar.of_alarm(&acked),
            t(30),
        ),
        Measure::Acknowledge,
    )
    .clone();
    assert_eq!((done.state, done.stopped_at), (ClockState::Met, Some(t(9))));
}
