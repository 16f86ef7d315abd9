use super::*;
use crate::calendar::WeekHours;
use crate::holidays::HolidaySet;
use chrono::{Duration, TimeZone, Utc};

/// Monday 13 January 2025, 09:00 UTC (09:00 in London): the base of most tests.
fn base() -> Timestamp {
    Utc.with_ymd_and_hms(2025, 1, 13, 9, 0, 0)
        .single()
        .expect("a valid base")
}

fn at(minutes: i64) -> Timestamp {
    base() + Duration::minutes(minutes)
}

fn target(minutes: i64) -> SlaTarget {
    SlaTarget {
        class: PriorityClass::P1,
        measure: Measure::Acknowledge,
        target: Duration::minutes(minutes),
        warn_fraction: 0.75,
    }
}

fn always() -> Arc<ServiceCalendar> {
    Arc::new(ServiceCalendar::always())
}

fn office() -> Arc<ServiceCalendar> {
    let tz = "Europe/London".parse().expect("a known zone");
    let hours = WeekHours::parse(&["mon-fri 08:00-18:00"]).expect("valid hours");
    Arc::new(ServiceCalendar::business("office", tz, hours, HolidaySet::new()).expect("hours"))
}

fn clock(minutes: i64, cal: Arc<ServiceCalendar>, transitions: &[SlaTransition]) -> SlaClock {
    let mut c = SlaClock::new(target(minutes), cal);
    for t in transitions {
        c.apply(t).expect("an applicable transition");
    }
    c
}

fn waiting(minutes: i64) -> SlaTransition {
    SlaTransition::pause(
        at(minutes),
        "waiting for the keyholder",
        PauseState::AwaitingClient,
    )
}

#[test]
fn a_running_clock_warns_then_breaches_at_exact_instants() {
    let c = SlaClock::started(target(60), always(), at(0));
    let r = c.evaluate(at(30));
    assert_eq!(r.state, ClockState::Running);
    assert_eq!(r.due, Some(at(60)));
    assert_eq!(r.elapsed, Duration::minutes(30));
    assert_eq!(r.warned_at, None);
    let r = c.evaluate(at(45));
    assert_eq!((r.state, r.warned_at), (ClockState::Warned, Some(at(45))));
    let r = c.evaluate(at(60) - Duration::nanoseconds(1));
    assert_eq!(r.state, ClockState::Warned);
    let r = c.evaluate(at(60));
    assert_eq!(
        (r.state, r.breached_at),
        (ClockState::Breached, Some(at(60)))
    );
    assert_eq!(
        c.evaluate(at(90)).elapsed,
        Duration::minutes(90),
        "it keeps counting the overrun"
    );
}

#[test]
fn pauses_push_the_due_time_and_are_totalled() {
    let c = clock(
        60,
        always(),
        &[
            SlaTransition::start(at(0)),
            waiting(10),
            SlaTransition::resume(at(40)),
        ],
    );
    let r = c.evaluate(at(50));
    assert_eq!(r.due, Some(at(90)));
    assert_eq!(r.elapsed, Duration::minutes(20));
    assert_eq!(r.paused, Duration::minutes(30));
    // Warning at 45 counted minutes: 10 before the pause, 35 after it.
    assert_eq!(c.evaluate(at(75)).warned_at, Some(at(75)));
    assert_eq!(c.evaluate(at(74)).state, ClockState::Running);

    let paused = clock(60, always(), &[SlaTransition::start(at(0)), waiting(10)]);
    let r = paused.evaluate(at(25));
    assert_eq!(r.state, ClockState::Paused);
    assert_eq!(r.due, None, "no due time while paused");
    assert_eq!(r.paused, Duration::minutes(15));
    assert_eq!(r.elapsed, Duration::minutes(10));
    let pause = r.pause.expect("the pause is shown");
    assert_eq!(
        (pause.since, pause.state),
        (at(10), PauseState::AwaitingClient)
    );
    assert_eq!(pause.reason, "waiting for the keyholder");
}

#[test]
fn friday_evening_alarm_is_due_monday_morning() {
    // Friday 10 January 2025, 17:50 in London; 30 business minutes.
    let friday = Utc.with_ymd_and_hms(2025, 1, 10, 17, 50, 0).unwrap();
    let c = SlaClock::started(target(30), office(), friday);
    let r = c.evaluate(friday + Duration::hours(3));
    assert_eq!(r.due, Some(base() - Duration::minutes(40)), "Monday 08:20");
    assert_eq!(r.elapsed, Duration::minutes(10));
    assert_eq!(r.state, ClockState::Running);
    // 22.5 minutes: the ten on Friday and 12.5 on Monday.
    assert_eq!(
        c.evaluate(base()).warned_at,
        Some(base() - Duration::seconds(47 * 60 + 30))
    );
    assert_eq!(c.evaluate(base()).state, ClockState::Breached);
}

#[test]
fn pauses_on_a_business_calendar() {
    // 4 business hours from Monday 09:00; paused 10:00 to 15:00 → due 18:00.
    let c = clock(
        240,
        office(),
        &[
            SlaTransition::start(at(0)),
            waiting(60),
            SlaTransition::resume(at(360)),
        ],
    );
    assert_eq!(c.evaluate(at(360)).due, Some(at(540)));
    // Paused overnight until Tuesday 09:00 → due Tuesday 12:00.
    let tuesday = at(24 * 60);
    let c = clock(
        240,
        office(),
        &[
            SlaTransition::start(at(0)),
            waiting(60),
            SlaTransition::resume(tuesday),
        ],
    );
    let r = c.evaluate(tuesday + Duration::minutes(30));
    assert_eq!(r.due, Some(tuesday + Duration::hours(3)));
    assert_eq!(r.elapsed, Duration::minutes(90));
    assert_eq!(r.paused, Duration::hours(23));
}

#[test]
fn stopping_before_due_is_met_and_after_is_breached_for_good() {
    let met = clock(
        30,
        always(),
        &[SlaTransition::start(at(0)), SlaTransition::stop(at(25))],
    );
    let r = met.evaluate(at(500));
    assert_eq!(r.state, ClockState::Met);
    assert_eq!(r.due, Some(at(30)), "the due time stays to show the margin");
    assert_eq!(r.warned_at, Some(at(22) + Duration::seconds(30)));
    assert_eq!(r.breached_at, None);
    assert_eq!(r.stopped_at, Some(at(25)));
    assert_eq!(r.elapsed, Duration::minutes(25));

    let early = clock(
        30,
        always(),
        &[SlaTransition::start(at(0)), SlaTransition::stop(at(5))],
    );
    assert_eq!(early.evaluate(at(100)).warned_at, None);

    let exactly = clock(
        30,
        always(),
        &[SlaTransition::start(at(0)), SlaTransition::stop(at(30))],
    );
    assert_eq!(exactly.evaluate(at(30)).state, ClockState::Breached);

    let late = clock(
        30,
        always(),
        &[SlaTransition::start(at(0)), SlaTransition::stop(at(50))],
    );
    let r = late.evaluate(at(1000));
    assert_eq!(
        (r.state, r.breached_at),
        (ClockState::Breached, Some(at(30)))
    );
}

#[test]
fn a_clock_paused_after_breaching_stays_breached() {
    let c = clock(10, always(), &[SlaTransition::start(at(0)), waiting(20)]);
    let r = c.evaluate(at(30));
    assert_eq!(r.state, ClockState::Breached);
    assert_eq!((r.due, r.breached_at), (Some(at(10)), Some(at(10))));
    let mut c = c;
    c.apply(&SlaTransition::resume(at(40))).unwrap();
    c.apply(&SlaTransition::stop(at(41))).unwrap();
    assert_eq!(c.evaluate(at(50)).state, ClockState::Breached);
    assert_eq!(c.evaluate(at(50)).breached_at, Some(at(10)));
}

#[test]
fn stopping_while_paused_is_met_when_not_yet_due() {
    let c = clock(
        60,
        always(),
        &[
            SlaTransition::start(at(0)),
            waiting(10),
            SlaTransition::stop(at(100)),
        ],
    );
    let r = c.evaluate(at(200));
    assert_eq!(r.state, ClockState::Met);
    assert_eq!(r.paused, Duration::minutes(90));
    assert_eq!(r.pause, None);
}

#[test]
fn refused_transitions_leave_the_clock_as_it_was() {
    let mut c = SlaClock::new(target(30), always());
    assert_eq!(c.evaluate(at(5)).state, ClockState::Pending);
    assert_eq!(
        c.apply(&SlaTransition::stop(at(0))),
        Err(TransitionError::NotNow {
            what: "stop",
            state: "pending"
        })
    );
    c.apply(&SlaTransition::start(at(0))).unwrap();
    let before = c.clone();
    let cases = [
        (
            SlaTransition::start(at(1)),
            TransitionError::NotNow {
                what: "start",
                state: "running",
            },
        ),
        (
            SlaTransition::resume(at(1)),
            TransitionError::NotNow {
                what: "resume",
                state: "running",
            },
        ),
        (
            SlaTransition::pause(at(1), "  ", PauseState::AwaitingThirdParty),
            TransitionError::EmptyReason,
        ),
    ];
    for (t, want) in cases {
        assert_eq!(c.apply(&t), Err(want));
        assert_eq!(c, before);
    }
    c.apply(&waiting(5)).unwrap();
    assert_eq!(
        c.apply(&waiting(6)),
        Err(TransitionError::NotNow {
            what: "pause",
            state: "paused"
        })
    );
    assert_eq!(
        c.apply(&SlaTransition::resume(at(4))),
        Err(TransitionError::OutOfOrder {
            at: at(4),
            last: at(5)
        })
    );
    c.apply(&SlaTransition::stop(at(7))).unwrap();
    assert_eq!(
        c.apply(&SlaTransition::stop(at(8)))
            .unwrap_err()
            .to_string(),
        "cannot stop a clock that is stopped"
    );
    // Near miss: a transition at the same instant as the last is in order.
    let mut c = SlaClock::started(target(30), always(), at(0));
    assert!(c.apply(&SlaTransition::stop(at(0))).is_ok());
}

#[test]
fn now_before_the_last_transition_reads_at_that_transition() {
    let c = clock(60, always(), &[SlaTransition::start(at(0)), waiting(10)]);
    assert_eq!(c.evaluate(at(5)), c.evaluate(at(10)));
}

#[test]
fn crossings_are_reported_once_with_the_instant_they_happened() {
    let c = SlaClock::started(target(60), always(), at(0));
    let early = c.evaluate(at(10));
    assert!(early.crossings_since(None).is_empty());
    // Read late: both crossings at once, at their own instants, earliest first.
    let late = c.evaluate(at(120));
    assert_eq!(
        crossings(Some(&early), &late),
        vec![
            SlaCrossing {
                event: CrossingEvent::Warned,
                at: at(45)
            },
            SlaCrossing {
                event: CrossingEvent::Breached,
                at: at(60)
            },
        ]
    );
    let warned = c.evaluate(at(50));
    assert_eq!(
        warned.crossings_since(Some(&early)),
        vec![SlaCrossing {
            event: CrossingEvent::Warned,
            at: at(45)
        }]
    );
    assert_eq!(
        late.crossings_since(Some(&warned)),
        vec![SlaCrossing {
            event: CrossingEvent::Breached,
            at: at(60)
        }]
    );
    assert!(late.crossings_since(Some(&late)).is_empty());
    assert!(c.evaluate(at(130)).crossings_since(Some(&late)).is_empty());
}

#[test]
fn next_change_is_the_next_threshold_while_running() {
    let c = SlaClock::started(target(60), always(), at(0));
    assert_eq!(c.next_change_after(at(0)), Some(at(45)));
    assert_eq!(c.next_change_after(at(45)), Some(at(60)));
    assert_eq!(c.next_change_after(at(60)), None);
    let paused = clock(60, always(), &[SlaTransition::start(at(0)), waiting(1)]);
    assert_eq!(paused.next_change_after(at(2)), None);
}

#[test]
fn warning_point_is_strictly_inside_the_target() {
    let mut t = target(1);
    t.warn_fraction = 0.75;
    assert_eq!(t.warn_after(), Duration::seconds(45));
    t.warn_fraction = 0.999_999_999_999;
    assert!(t.warn_after() < t.target);
    t.warn_fraction = 1e-15;
    assert!(t.warn_after() > Duration::zero());
}

#[test]
fn the_reading_serialises_as_the_api_shows_it() {
    let c = clock(
        30,
        office(),
        &[
            SlaTransition::start(at(0)),
            SlaTransition::pause(at(25), "vendor on site", PauseState::AwaitingThirdParty),
        ],
    );
    let json = serde_json::to_value(c.evaluate(at(40))).unwrap();
    assert_eq!(
        json,
        serde_json::json!({
            "class": "P1",
            "measure": "acknowledge",
            "calendar": "office",
            "state": "paused",
            "target": 1800,
            "started_at": "2025-01-13T09:00:00Z",
            "due": null,
            "warned_at": "2025-01-13T09:22:30Z",
            "breached_at": null,
            "stopped_at": null,
            "elapsed": 1500,
            "paused": 900,
            "pause": { "since": "2025-01-13T09:25:00Z", "reason": "vendor on site", "state": "awaiting_third_party" }
        })
    );
    let back: SlaReading = serde_json::from_value(json).unwrap();
    assert_eq!(back, c.evaluate(at(40)));
    let fractional = SlaClock::started(target(1), always(), at(0))
        .evaluate(at(0) + Duration::milliseconds(1500));
    assert_eq!(
        serde_json::to_value(&fractional).unwrap()["elapsed"],
        serde_json::json!(1.5)
    );
}

#[test]
fn transitions_serialise_flat_with_a_kind() {
    let t = SlaTransition::pause(at(0), "client asked to wait", PauseState::AwaitingClient);
    let json = serde_json::to_value(&t).unwrap();
    assert_eq!(
        json,
        serde_json::json!({ "at": "2025-01-13T09:00:00Z", "kind": "pause", "reason": "client asked to wait", "state": "awaiting_client" })
    );
    assert_eq!(serde_json::from_value::<SlaTransition>(json).unwrap(), t);
    let stop = serde_json::json!({ "at": "2025-01-13T09:00:00Z", "kind": "stop" });
    assert_eq!(
        serde_json::from_value::<SlaTransition>(stop).unwrap(),
        SlaTransition::stop(at(0))
    );
}
