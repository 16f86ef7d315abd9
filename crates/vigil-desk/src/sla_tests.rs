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

/// An approved work order on `device` at site hq from `from` to `to` minutes.
fn approved_order(
    id: &str,
    device: &str,
    from: i64,
    to: i64,
) -> vigil_lifecycle::work_order::WorkOrder {
    use vigil_lifecycle::work_order::{DeviceRef, WorkKind, WorkOrder};
    let mut order = WorkOrder::plan(
        id,
        TenantId::new("northgate").unwrap(),
        WorkKind::FirmwareUpgrade,
        "upgrade",
        t(from),
        t(to),
        vec![DeviceRef {
            site: vigil_model::SiteId::new("hq").unwrap(),
            device: device.into(),
        }],
        "facilities",
    )
    .unwrap();
    order.approve("facilities", t(from - 60)).unwrap();
    order
}

/// An incident opened at `opened` from one alarm per device in `devices`.
fn incident_about(devices: &[&str], opened: i64) -> Incident {
    use crate::incident::LinkedAlarm;
    use vigil_model::{Entity, EntityKind};
    let mut i = incident();
    i.opened_at = t(opened);
    for d in devices {
        let mut a = alarm(90.0);
        a.id = vigil_model::alert_id_for(&i.tenant, "r1", d, t(opened));
        a.entities = vec![Entity::new(EntityKind::Camera, *d)];
        i.alarms.push(a.id);
        i.linked.push(LinkedAlarm::of(&a));
    }
    i
}

fn notify_at(
    i: &Incident,
    calendar: &crate::planned_maintenance::PlannedMaintenance,
    min: i64,
) -> SlaReading {
    reading(
        &incident_clocks_planned(&contract(), i, &calendar.of_incident(i), t(min)),
        Measure::Notify,
    )
    .clone()
}

#[test]
fn an_incident_about_a_device_in_approved_maintenance_pauses_for_the_window() {
    use crate::planned_maintenance::PlannedMaintenance;
    let i = incident_about(&["cam-7"], 0);
    let calendar = PlannedMaintenance::of([&approved_order("wo-1", "cam-7", 2, 12)]);
    assert_eq!(notify_at(&i, &calendar, 1).state, ClockState::Running);
    // The window starts inside the clock's life: paused from 2, saying why.
    let paused = notify_at(&i, &calendar, 10);
    assert_eq!(paused.state, ClockState::Paused);
    let pause = paused.pause.expect("paused");
    assert_eq!(pause.state, PauseState::PlannedMaintenance);
    assert_eq!(pause.since, t(2));
    assert!(pause.reason.contains("wo-1"), "{}", pause.reason);
    // The window ends at 12: 2 minutes counted, 13 left, due at 25.
    let resumed = notify_at(&i, &calendar, 14);
    assert_eq!(resumed.state, ClockState::Running);
    assert_eq!(resumed.due, Some(t(25)));
    assert_eq!(resumed.paused, Duration::minutes(10));
    assert_eq!(notify_at(&i, &calendar, 26).state, ClockState::Breached);
    // Without the calendar the same incident breached at 15.
    let plain = reading(&incident_clocks(&contract(), &i, t(16)), Measure::Notify).clone();
    assert_eq!(plain.state, ClockState::Breached);
}

#[test]
fn a_window_open_before_the_incident_pauses_it_from_its_opening() {
    use crate::planned_maintenance::PlannedMaintenance;
    let i = incident_about(&["cam-7"], 10);
    let calendar = PlannedMaintenance::of([&approved_order("wo-1", "cam-7", 0, 30)]);
    let paused = notify_at(&i, &calendar, 20);
    assert_eq!(paused.state, ClockState::Paused);
    assert_eq!(paused.elapsed, Duration::zero());
    assert_eq!(paused.pause.map(|p| p.since), Some(t(10)));
    // Resumed at 30 with nothing counted: due at 45.
    assert_eq!(notify_at(&i, &calendar, 31).due, Some(t(45)));
}

#[test]
fn overlapping_windows_pause_once_and_only_while_every_device_is_in_one() {
    use crate::planned_maintenance::PlannedMaintenance;
    // Two orders on cam-7 overlap (2–8, 6–12); cam-8's runs 4–20.
    let calendar = PlannedMaintenance::of([
        &approved_order("wo-1", "cam-7", 2, 8),
        &approved_order("wo-2", "cam-7", 6, 12),
        &approved_order("wo-3", "cam-8", 4, 20),
    ]);
    let one = incident_about(&["cam-7"], 0);
    let stretches = calendar.of_incident(&one);
    assert_eq!(stretches.len(), 1, "{stretches:?}");
    assert_eq!((stretches[0].start, stretches[0].end), (t(2), t(12)));
    assert_eq!(stretches[0].work_orders, ["wo-1", "wo-2"]);
    // Both cameras: only from 4 (cam-8's start) to 12 (cam-7's end).
    let both = incident_about(&["cam-7", "cam-8"], 0);
    let stretches = calendar.of_incident(&both);
    assert_eq!(stretches.len(), 1, "{stretches:?}");
    assert_eq!((stretches[0].start, stretches[0].end), (t(4), t(12)));
    assert_eq!(stretches[0].work_orders, ["wo-1", "wo-2", "wo-3"]);
    let resumed = notify_at(&both, &calendar, 13);
    assert_eq!(resumed.elapsed, Duration::minutes(5), "0–4 and 12–13");
}

#[test]
fn an_incident_that_also_concerns_a_device_outside_maintenance_runs_on() {
    use crate::planned_maintenance::PlannedMaintenance;
    let calendar = PlannedMaintenance::of([&approved_order("wo-1", "cam-7", 2, 12)]);
    // A second alarm, about a door no work order covers.
    let with_door = incident_about(&["cam-7", "d1"], 0);
    assert!(calendar.of_incident(&with_door).is_empty());
    assert_eq!(
        notify_at(&with_door, &calendar, 10).state,
        ClockState::Running
    );
    // An asset listed by hand counts the same way.
    let mut with_asset = incident_about(&["cam-7"], 0);
    with_asset.assets = vec!["server-room-door".into()];
    assert!(calendar.of_incident(&with_asset).is_empty());
    with_asset.assets = vec!["CAM-7".into()];
    assert_eq!(calendar.of_incident(&with_asset).len(), 1);
    // An alarm whose devices the incident did not keep cannot be placed.
    let mut unplaced = incident_about(&["cam-7"], 0);
    unplaced.linked.clear();
    assert!(calendar.of_incident(&unplaced).is_empty());
    // Nothing concerned, nothing paused.
    assert!(calendar.of_incident(&incident()).is_empty());
}

#[test]
fn an_order_not_approved_pauses_no_incident() {
    use crate::planned_maintenance::PlannedMaintenance;
    use vigil_lifecycle::work_order::{DeviceRef, WorkKind, WorkOrder};
    let planned = WorkOrder::plan(
        "wo-1",
        TenantId::new("northgate").unwrap(),
        WorkKind::FirmwareUpgrade,
        "upgrade",
        t(2),
        t(12),
        vec![DeviceRef {
            site: vigil_model::SiteId::new("hq").unwrap(),
            device: "cam-7".into(),
        }],
        "facilities",
    )
    .unwrap();
    let calendar = PlannedMaintenance::of([&planned]);
    let i = incident_about(&["cam-7"], 0);
    assert!(calendar.of_incident(&i).is_empty());
    assert_eq!(notify_at(&i, &calendar, 16).state, ClockState::Breached);
}

#[test]
fn a_person_s_pause_inside_maintenance_shows_and_the_time_is_left_out_once() {
    use crate::planned_maintenance::PlannedMaintenance;
    let calendar = PlannedMaintenance::of([&approved_order("wo-1", "cam-7", 2, 12)]);
    let i = incident_about(&["cam-7"], 0)
        .apply(
            &op(),
            &IncidentCommand::PauseSla {
                state: PauseState::AwaitingClient,
                reason: "client to confirm the upgrade".into(),
            },
            t(10),
        )
        .unwrap();
    let during = notify_at(&i, &calendar, 11).pause.expect("paused");
    assert_eq!(during.state, PauseState::AwaitingClient);
    let i = i.apply(&op(), &IncidentCommand::ResumeSla, t(20)).unwrap();
    let after = notify_at(&i, &calendar, 25);
    assert_eq!(after.state, ClockState::Running);
    assert_eq!(after.elapsed, Duration::minutes(7), "0–2 and 20–25");
    assert_eq!(after.paused, Duration::minutes(18), "2–20, counted once");
    // Read from the records alone, long after: the same.
    let transitions = incident_transitions_planned(&i, &calendar.of_incident(&i), None);
    let notify: Vec<&SlaTransition> = transitions
        .iter()
        .find(|(m, _)| *m == Measure::Notify)
        .map(|(_, ts)| ts.iter().collect())
        .unwrap();
    let at: Vec<Timestamp> = notify.iter().map(|t| t.at).collect();
    assert_eq!(at, [t(0), t(2), t(10), t(10), t(20)]);
}
