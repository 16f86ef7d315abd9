//! The service report's figures on a hand-built month (March 2026, cut in
//! London: GMT until the 29th, then BST), with fixed instants throughout.

use std::collections::HashMap;

use chrono::{Duration, TimeZone, Utc};
use vigil_contract::{ContractSet, Measure, PauseState, PriorityClass};
use vigil_model::{Alert, Severity, TenantId, Timestamp};
use vigil_store::{Role, SupervisionRecord};

use super::*;
use crate::Actor;
use crate::alarm::{Alarm, AlarmCommand, Verdict};
use crate::incident::{Category, Incident, IncidentCommand, IncidentState, NewIncident};

fn at(d: u32, h: u32, m: u32, s: u32) -> Timestamp {
    Utc.with_ymd_and_hms(2026, 3, d, h, m, s).unwrap()
}

fn tenant() -> TenantId {
    TenantId::new("northgate").unwrap()
}

fn period() -> Period {
    Period::new(Month::parse("2026-03").unwrap(), chrono_tz::Europe::London)
}

fn as_of() -> Timestamp {
    Utc.with_ymd_and_hms(2026, 4, 2, 0, 0, 0).unwrap()
}

fn alice() -> Actor {
    Actor::person("alice", Role::ProviderOperator, None)
}

fn bob() -> Actor {
    Actor::person("bob", Role::ProviderOperator, None)
}

/// An alarm raised at `raised`, its first evidence `detect` seconds before.
fn alarm(rule: &str, raised: Timestamp, detect: i64, score: f64) -> Alarm {
    let first = raised - Duration::seconds(detect);
    let alert = Alert {
        id: vigil_model::alert_id_for(&tenant(), rule, "door:d1", raised),
        tenant: tenant(),
        site: None,
        rule_id: rule.into(),
        rule_title: format!("Rule {rule}"),
        severity: Severity::High,
        status: vigil_model::AlertStatus::New,
        group_key: "door:d1".into(),
        window_start: first,
        first_seen: first,
        last_seen: first,
        event_count: 1,
        entities: vec![vigil_model::Entity::new(
            vigil_model::EntityKind::Door,
            "d1",
        )],
        evidence: vec![],
        created_at: raised,
        updated_at: raised,
    };
    let mut a = Alarm::from_alert(&alert, raised);
    a.priority.score = score;
    a
}

/// `a` acknowledged by `who` after `ack` s and closed with `verdict` after `close` s.
fn worked(a: Alarm, who: &Actor, ack: i64, close: i64, verdict: Verdict) -> Alarm {
    let t0 = a.raised_at;
    a.apply(who, &AlarmCommand::Acknowledge, t0 + Duration::seconds(ack))
        .unwrap()
        .apply(
            who,
            &AlarmCommand::Close {
                verdict,
                note: None,
            },
            t0 + Duration::seconds(close),
        )
        .unwrap()
}

fn report_of(
    alarms: &[Alarm],
    incidents: &[Incident],
    supervision: &[SupervisionRecord],
    device_marks: &[DeviceMark],
    platform_marks: &[PlatformMark],
) -> ServiceReport {
    let none = crate::planned_maintenance::PlannedMaintenance::default();
    report_planned(
        alarms,
        incidents,
        supervision,
        device_marks,
        platform_marks,
        &none,
    )
}

fn report_planned(
    alarms: &[Alarm],
    incidents: &[Incident],
    supervision: &[SupervisionRecord],
    device_marks: &[DeviceMark],
    platform_marks: &[PlatformMark],
    maintenance: &crate::planned_maintenance::PlannedMaintenance,
) -> ServiceReport {
    let client = Client {
        tenant: Some("northgate".into()),
        name: "Northgate Colocation".into(),
        residency: None,
    };
    let period = period();
    service_report(&ServiceInput {
        client: &client,
        period: &period,
        as_of: as_of(),
        contracts: &ContractSet::default(),
        rules: &HashMap::new(),
        alarms,
        incidents,
        supervision,
        devices: &[],
        device_marks,
        maintenance,
        flapping: &FlapRule::default(),
        platform_marks,
        notes: &[],
    })
}

/// Five alarms in March, one in February, one before the trends and one
/// on April's first second (London).
fn month_of_alarms() -> Vec<Alarm> {
    let model = Actor::system("learner");
    vec![
        worked(
            alarm("a", at(2, 10, 0, 0), 10, 90.0),
            &alice(),
            20,
            600,
            Verdict::FalsePositive,
        ),
        worked(
            alarm("b", at(9, 10, 0, 0), 30, 90.0),
            &alice(),
            45,
            900,
            Verdict::TruePositive,
        ),
        worked(
            alarm("c", at(16, 10, 0, 0), 50, 10.0),
            &bob(),
            200,
            4000,
            Verdict::Benign,
        ),
        alarm("d", at(20, 3, 0, 0), 5, 10.0)
            .apply(
                &model,
                &AlarmCommand::AutoClose {
                    probability: 0.99,
                    threshold: 0.9,
                },
                at(20, 3, 0, 1),
            )
            .unwrap(),
        // The last second of March in London (BST from the 29th).
        alarm("e", at(31, 22, 59, 59), 1, 90.0),
        // April's first second in London: not March's.
        alarm("f", at(31, 23, 0, 0), 1, 90.0),
        worked(
            alarm(
                "g",
                Utc.with_ymd_and_hms(2026, 2, 10, 9, 0, 0).unwrap(),
                3,
                90.0,
            ),
            &bob(),
            10,
            100,
            Verdict::TruePositive,
        ),
        alarm(
            "h",
            Utc.with_ymd_and_hms(2025, 12, 31, 23, 0, 0).unwrap(),
            3,
            90.0,
        ),
    ]
}

/// A month with alarms of every kind, an incident and supervised devices,
/// for the renderers' tests.
pub(crate) fn sample_report() -> ServiceReport {
    let supervision = [device("panel-1", None)];
    let marks = [
        mark("panel-1", at(10, 0, 0, 0), true),
        mark("panel-1", at(10, 6, 0, 0), false),
    ];
    report_of(&month_of_alarms(), &[], &supervision, &marks, &[])
}

#[test]
fn months_parse_and_say_what_is_wrong() {
    assert_eq!(
        Month::parse("2026-03").unwrap(),
        Month {
            year: 2026,
            month: 3
        }
    );
    assert_eq!(Month::parse("2026-03").unwrap().to_string(), "2026-03");
    assert!(matches!(Month::parse("2026-3"), Err(MonthError::Shape(_))));
    assert!(matches!(Month::parse("March"), Err(MonthError::Shape(_))));
    assert!(matches!(
        Month::parse("2026-13"),
        Err(MonthError::MonthNumber(_, 13))
    ));
    assert!(matches!(
        Month::parse("2026-00"),
        Err(MonthError::MonthNumber(_, 0))
    ));
    assert!(matches!(
        Month::parse("1969-12"),
        Err(MonthError::Year(_, 1969))
    ));
    let jan = Month::parse("2026-01").unwrap();
    assert_eq!(jan.minus(2).to_string(), "2025-11");
    assert_eq!(Month::parse("2025-12").unwrap().next(), jan);
}

#[test]
fn a_month_is_cut_at_local_midnight_and_its_weeks_are_iso_weeks() {
    let p = period();
    assert_eq!(p.from, at(1, 0, 0, 0), "GMT on 1 March");
    assert_eq!(p.to, at(31, 23, 0, 0), "BST on 1 April");
    assert_eq!(
        p.trend_from,
        Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap()
    );
    let first = p.weeks.first().unwrap();
    // 1 January 2026 is a Thursday of ISO week 1.
    assert_eq!((first.label.as_str(), first.partial), ("2026-W01", true));
    assert_eq!(first.from, p.trend_from);
    let last = p.weeks.last().unwrap();
    assert_eq!(
        (last.label.as_str(), last.partial, last.to),
        ("2026-W14", true, p.to)
    );
    assert_eq!(p.weeks.len(), 14);
    assert!(p.weeks.windows(2).all(|w| w[0].to == w[1].from));
    let utc = Period::new(Month::parse("2026-03").unwrap(), chrono_tz::Tz::UTC);
    assert_eq!(utc.to, Utc.with_ymd_and_hms(2026, 4, 1, 0, 0, 0).unwrap());
}

#[test]
fn a_client_s_zone_is_its_contract_s_else_most_of_its_sites() {
    let site = |id: &str, tz: &str| vigil_model::Site {
        tenant: tenant(),
        id: vigil_model::SiteId::new(id).unwrap(),
        name: id.into(),
        timezone: tz.into(),
    };
    let sites = [
        site("ams1", "Europe/Amsterdam"),
        site("lon1", "Europe/London"),
        site("lon2", "Europe/London"),
        site("bad", "Mars/Olympus"),
    ];
    assert_eq!(report_time_zone(None, &sites), chrono_tz::Europe::London);
    assert_eq!(
        report_time_zone(None, &sites[..1]),
        chrono_tz::Europe::Amsterdam
    );
    assert_eq!(report_time_zone(None, &[]), chrono_tz::Tz::UTC);
    let contract = vigil_contract::ContractConfig::from_toml_str(
        "northgate",
        r#"
        [calendars.office]
        time_zone = "America/New_York"
        hours = ["mon-fri 08:00-18:00"]
        [classes.P3]
        calendar = "office"
        acknowledge = "30m"
        "#,
    )
    .unwrap()
    .validate("northgate", None)
    .unwrap();
    assert_eq!(
        report_time_zone(Some(&contract), &sites),
        chrono_tz::America::New_York
    );
    let round_the_clock = vigil_contract::Contract::default_terms();
    assert_eq!(
        report_time_zone(Some(&round_the_clock), &sites),
        chrono_tz::Europe::London
    );
}

#[test]
fn the_month_s_alarm_figures_count_from_their_rows() {
    let r = report_of(&month_of_alarms(), &[], &[], &[], &[]);
    let month: Vec<&AlarmRow> = r.rows.alarms.iter().filter(|a| a.in_month).collect();
    let ids: Vec<&str> = month.iter().map(|a| a.title.as_str()).collect();
    assert_eq!(ids, ["Rule a", "Rule b", "Rule c", "Rule d", "Rule e"]);
    assert_eq!(
        r.rows.alarms.len(),
        6,
        "February's alarm is in the trends' rows"
    );
    let s = &r.summary;
    assert_eq!(
        (s.key.alarms, s.key.for_people),
        (5, 4),
        "the model's close is not for people"
    );
    let shares: Vec<(u32, u64, u64)> = s
        .acknowledged_within
        .iter()
        .map(|w| (w.seconds, w.acknowledged, w.of))
        .collect();
    assert_eq!(shares, [(30, 1, 4), (60, 2, 4), (180, 2, 4)]);
    assert_eq!(s.acknowledged_within[1].share, Some(0.5));
    let timing = |subject: &str, measure: &str| {
        s.timings
            .iter()
            .find(|t| t.subject == subject && t.measure == measure)
            .unwrap()
            .clone()
    };
    let ack = timing("alarm", "acknowledge");
    assert_eq!(
        (ack.count, ack.median_s, ack.p90_s),
        (3, Some(45.0), Some(200.0))
    );
    let detect = timing("alarm", "detect");
    // 10, 30, 50, 5, 1: median 10, p90 50.
    assert_eq!(
        (detect.count, detect.median_s, detect.p90_s),
        (5, Some(10.0), Some(50.0))
    );
    let resolve = timing("alarm", "resolve");
    assert_eq!((resolve.count, resolve.median_s), (3, Some(900.0)));
    assert_eq!(s.verdicts.false_positive, 1);
    assert_eq!(s.verdicts.closed_by_model, 1);
    assert_eq!(
        s.verdicts.false_alarm_rate,
        Some(1.0 / 3.0),
        "benign counts, FP is the false alarm"
    );
    let physical = s
        .alarms_by_category
        .iter()
        .find(|c| c.category == Category::Physical)
        .unwrap();
    assert_eq!(
        physical.count, 5,
        "door alarms without rule facts are physical"
    );
    let ops: Vec<(&str, u64, Option<f64>, u64)> = s
        .operators
        .iter()
        .map(|o| {
            (
                o.operator.as_str(),
                o.acknowledged,
                o.median_acknowledge_s,
                o.closed,
            )
        })
        .collect();
    assert_eq!(
        ops,
        [("alice", 2, Some(20.0), 2), ("bob", 1, Some(200.0), 1)]
    );
}

#[test]
fn sla_clocks_are_counted_per_class_and_measure() {
    let r = report_of(&month_of_alarms(), &[], &[], &[], &[]);
    let cell = |class: Option<PriorityClass>, measure: Option<Measure>| {
        r.summary
            .sla
            .iter()
            .find(|c| c.class == class && c.measure == measure)
            .unwrap()
            .clone()
    };
    // Default contract: a score of 90 is P1 (acknowledge 5 min, resolve 4 h).
    let p1_ack = cell(Some(PriorityClass::P1), Some(Measure::Acknowledge));
    // a and b acknowledged in time; e never, and 5 minutes passed by as_of.
    assert_eq!((p1_ack.met, p1_ack.breached, p1_ack.open), (2, 1, 0));
    let counted = r
        .rows
        .clocks
        .iter()
        .filter(|c| c.in_month && c.counted && c.class == PriorityClass::P1)
        .filter(|c| c.measure == Measure::Acknowledge && c.outcome == Outcome::Met)
        .count() as u64;
    assert_eq!(counted, p1_ack.met, "the figure is a count of rows");
    let d_clocks: Vec<&ClockRow> = r
        .rows
        .clocks
        .iter()
        .filter(|c| !c.counted && c.in_month)
        .collect();
    assert!(!d_clocks.is_empty(), "the model's close is listed …");
    let all = cell(None, None);
    assert_eq!(
        all.met + all.breached + all.open,
        r.rows
            .clocks
            .iter()
            .filter(|c| c.in_month && c.counted)
            .count() as u64,
        "… but not counted"
    );
    assert_eq!(r.summary.key.sla_met, all.met);
}

#[test]
fn a_month_without_alarms_has_no_figures_but_all_its_weeks() {
    let r = report_of(&[], &[], &[], &[], &[]);
    let s = &r.summary;
    assert_eq!(s.key.alarms, 0);
    assert_eq!(s.key.acknowledged_60s, None);
    assert_eq!(s.key.false_alarm_rate, None);
    assert_eq!(s.key.sla_compliance, None);
    assert!(
        s.timings
            .iter()
            .all(|t| t.count == 0 && t.median_s.is_none())
    );
    assert_eq!(s.devices.availability, None);
    assert_eq!(s.platform.availability, None);
    assert_eq!(r.weeks.len(), 14);
    assert!(r.weeks.iter().all(|w| w.figures.alarms == 0));
}

#[test]
fn a_paused_incident_s_times_leave_out_the_pause() {
    let lead = Actor::person("lee", Role::ProviderLead, None);
    let t0 = at(10, 9, 0, 0);
    let mins = |m: i64| t0 + Duration::minutes(m);
    let i = Incident::open(
        &alice(),
        "inc-1".into(),
        NewIncident {
            tenant: tenant(),
            title: "Data hall door forced".into(),
            severity: Severity::High,
            category: Category::Physical,
            sites: vec![],
            assets: vec![],
            alarms: vec![],
        },
        t0,
    )
    .unwrap();
    let step = |i: Incident, who: &Actor, cmd: IncidentCommand, m: i64| {
        i.apply(who, &cmd, mins(m)).unwrap()
    };
    let i = step(
        i,
        &alice(),
        IncidentCommand::Advance {
            to: IncidentState::Triaged,
        },
        2,
    );
    let i = step(
        i,
        &alice(),
        IncidentCommand::PauseSla {
            state: PauseState::AwaitingClient,
            reason: "client to unlock the hall".into(),
        },
        5,
    );
    let paused = report_of(&[], std::slice::from_ref(&i), &[], &[], &[]);
    let row = &paused.rows.incidents[0];
    assert_eq!(row.acknowledge_s, Some(120.0));
    assert_eq!(row.notify_s, None, "not told yet");
    assert!(row.paused_s > 0.0, "still paused at as_of");
    let notify_clock = paused
        .rows
        .clocks
        .iter()
        .find(|c| c.measure == Measure::Notify)
        .unwrap();
    assert_eq!(
        notify_clock.outcome,
        Outcome::Open,
        "paused before its due time"
    );

    let i = step(i, &alice(), IncidentCommand::ResumeSla, 35);
    let i = step(
        i,
        &alice(),
        IncidentCommand::NotifyClient {
            how: "phoned".into(),
        },
        40,
    );
    let i = step(
        i,
        &alice(),
        IncidentCommand::Advance {
            to: IncidentState::Contained,
        },
        60,
    );
    let i = step(
        i,
        &lead,
        IncidentCommand::Close {
            resolution: crate::incident::ResolutionKind::FalseAlarm,
            summary: "a cleaner".into(),
            lessons_learned: "none".into(),
        },
        90,
    );
    let r = report_of(&[], &[i], &[], &[], &[]);
    let row = &r.rows.incidents[0];
    assert_eq!(row.paused_s, 30.0 * 60.0);
    assert_eq!(row.notify_s, Some(10.0 * 60.0), "40 minutes less 30 paused");
    assert_eq!(row.contain_s, Some(30.0 * 60.0));
    assert_eq!(row.resolve_s, Some(60.0 * 60.0));
    let notify = r
        .summary
        .timings
        .iter()
        .find(|t| t.subject == "incident" && t.measure == "notify")
        .unwrap();
    assert_eq!(notify.median_s, Some(600.0));
    assert_eq!(r.summary.key.incidents, 1);
}

#[test]
fn planned_maintenance_of_everything_an_incident_concerns_is_left_out_of_its_times() {
    use crate::incident::LinkedAlarm;
    use crate::planned_maintenance::PlannedMaintenance;
    use vigil_lifecycle::work_order::{DeviceRef, WorkKind, WorkOrder};
    use vigil_model::{Entity, EntityKind, SiteId};

    let t0 = at(10, 9, 0, 0);
    let mins = |m: i64| t0 + Duration::minutes(m);
    let mut camera = alarm("cam-tamper", t0, 0, 90.0);
    camera.entities = vec![Entity::new(EntityKind::Camera, "cam-7")];
    let mut i = Incident::open(
        &alice(),
        "inc-1".into(),
        NewIncident {
            tenant: tenant(),
            title: "Camera tampered".into(),
            severity: Severity::High,
            category: Category::Physical,
            sites: vec![],
            assets: vec![],
            alarms: vec![camera.id],
        },
        t0,
    )
    .unwrap();
    i.linked.push(LinkedAlarm::of(&camera));
    let i = i
        .apply(
            &alice(),
            &IncidentCommand::NotifyClient {
                how: "phoned".into(),
            },
            mins(40),
        )
        .unwrap();
    let mut order = WorkOrder::plan(
        "wo-1",
        tenant(),
        WorkKind::FirmwareUpgrade,
        "cam-7 to 11.0",
        mins(5),
        mins(35),
        vec![DeviceRef {
            site: SiteId::new("hq").unwrap(),
            device: "cam-7".into(),
        }],
        "facilities",
    )
    .unwrap();
    let unapproved = PlannedMaintenance::of([&order]);
    let r = report_planned(&[], std::slice::from_ref(&i), &[], &[], &[], &unapproved);
    assert_eq!(r.rows.incidents[0].notify_s, Some(40.0 * 60.0));
    order.approve("facilities", t0).unwrap();
    let calendar = PlannedMaintenance::of([&order]);
    let r = report_planned(&[], &[i], &[], &[], &[], &calendar);
    let row = &r.rows.incidents[0];
    assert_eq!(
        row.notify_s,
        Some(10.0 * 60.0),
        "40 minutes less 30 in maintenance"
    );
    assert!(row.paused_s >= 30.0 * 60.0, "{}", row.paused_s);
}

fn device(name: &str, lost_since: Option<Timestamp>) -> SupervisionRecord {
    SupervisionRecord {
        tenant: tenant(),
        source: vigil_model::SourceId::new("northgate-arc").unwrap(),
        site: None,
        device: name.into(),
        device_type: "intrusion_panel".into(),
        interval_secs: 180,
        last_seen: at(1, 0, 0, 0),
        lost_since,
        armed: None,
    }
}

fn mark(name: &str, t: Timestamp, lost: bool) -> DeviceMark {
    DeviceMark {
        tenant: "northgate".into(),
        device: name.into(),
        at: t,
        lost,
    }
}

#[test]
fn the_weeks_count_the_same_rows_as_the_month() {
    let r = report_of(&month_of_alarms(), &[], &[], &[], &[]);
    let total: u64 = r.weeks.iter().map(|w| w.figures.alarms).sum();
    assert_eq!(total, r.rows.alarms.len() as u64);
    let w14 = r.weeks.iter().find(|w| w.week.label == "2026-W14").unwrap();
    assert_eq!(
        w14.figures.alarms, 1,
        "the last second of March is in its last week"
    );
    let february = r.weeks.iter().find(|w| w.week.label == "2026-W07").unwrap();
    assert_eq!(february.figures.alarms, 1);
    assert_eq!(february.figures.acknowledged_60s, Some(1.0));
}

#[test]
fn percentiles_are_nearest_rank() {
    assert_eq!(percentile(&[], 50.0), None);
    assert_eq!(percentile(&[7.0], 90.0), Some(7.0));
    assert_eq!(percentile(&[4.0, 1.0, 3.0, 2.0], 50.0), Some(2.0));
    let hundred: Vec<f64> = (1..=100).map(f64::from).collect();
    assert_eq!(percentile(&hundred, 90.0), Some(90.0));
}
