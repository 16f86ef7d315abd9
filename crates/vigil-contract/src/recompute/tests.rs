use super::*;
use crate::calendar::WeekHours;
use crate::clock::{ClockState, CrossingEvent, PauseState, SlaReading};
use crate::contract::{Measure, PriorityClass};
use crate::holidays::HolidaySet;
use chrono::{Days, Duration, NaiveDate, TimeZone, Utc};
use proptest::prelude::*;

/// Tuesday 25 March 2025, 06:00 UTC: five days before Europe's spring change.
fn base() -> Timestamp {
    Utc.with_ymd_and_hms(2025, 3, 25, 6, 0, 0)
        .single()
        .expect("a valid base")
}

fn at(minutes: i64) -> Timestamp {
    base() + Duration::minutes(minutes)
}

fn target(minutes: i64, warn_fraction: f64) -> SlaTarget {
    SlaTarget {
        class: PriorityClass::P2,
        measure: Measure::Resolve,
        target: Duration::minutes(minutes),
        warn_fraction,
    }
}

fn business(tz: &str, hours: &[String], holidays: &[NaiveDate]) -> Arc<ServiceCalendar> {
    let mut set = HolidaySet::new();
    for h in holidays {
        set.add_date(*h);
    }
    let tz = tz.parse().expect("a known zone");
    let hours = WeekHours::parse(hours).expect("valid hours");
    Arc::new(ServiceCalendar::business("office", tz, hours, set).expect("hours"))
}

fn fold(
    target: &SlaTarget,
    cal: &Arc<ServiceCalendar>,
    ts: &[SlaTransition],
    now: Timestamp,
) -> SlaClock {
    let mut c = SlaClock::new(*target, Arc::clone(cal));
    for t in ts.iter().filter(|t| t.at <= now) {
        // Refusals are part of the behaviour under test: both sides skip them.
        let _ = c.apply(t);
    }
    c
}

#[test]
fn recompute_agrees_on_a_paused_clock_across_the_spring_change() {
    let cal = business("Europe/London", &["mon-fri 08:00-18:00".into()], &[]);
    // Friday 28 March 17:50 GMT, paused over the weekend, resumed Monday 10:00 BST.
    let friday = Utc.with_ymd_and_hms(2025, 3, 28, 17, 50, 0).unwrap();
    let monday_10 = Utc.with_ymd_and_hms(2025, 3, 31, 9, 0, 0).unwrap();
    let ts = [
        SlaTransition::start(friday),
        SlaTransition::pause(
            friday + Duration::minutes(5),
            "awaiting the client's call back",
            PauseState::AwaitingClient,
        ),
        SlaTransition::resume(monday_10),
    ];
    let t = target(30, 0.75);
    let now = monday_10 + Duration::minutes(10);
    let c = recompute(&t, &cal, &ts, now);
    assert_eq!(c, fold(&t, &cal, &ts, now));
    let r = c.evaluate(now);
    assert_eq!(r.due, Some(monday_10 + Duration::minutes(25)));
    assert_eq!(r.elapsed, Duration::minutes(15));
    assert_eq!(r.state, ClockState::Running);
    // Later transitions are not history yet.
    let before = recompute(&t, &cal, &ts, friday + Duration::minutes(1));
    assert_eq!(
        before.evaluate(friday + Duration::minutes(1)).state,
        ClockState::Running
    );
    assert_eq!(
        recompute(&t, &cal, &ts, friday - Duration::minutes(1))
            .evaluate(friday)
            .state,
        ClockState::Pending
    );
}

#[test]
fn transitions_exactly_on_a_threshold_agree() {
    let office = business("Europe/Berlin", &["mon-fri 08:00-18:00".into()], &[]);
    let always = Arc::new(ServiceCalendar::always());
    for cal in [always, office] {
        let t = target(40, 0.75);
        let start = at(180);
        let probe = SlaClock::started(t, Arc::clone(&cal), start);
        let (warn, due) = (probe.warn_at.unwrap(), probe.due.unwrap());
        let pause =
            |when| SlaTransition::pause(when, "on the threshold", PauseState::AwaitingClient);
        let lists = [
            vec![
                SlaTransition::start(start),
                pause(warn),
                SlaTransition::resume(warn),
            ],
            vec![SlaTransition::start(start), pause(due)],
            vec![
                SlaTransition::start(start),
                pause(due),
                SlaTransition::resume(due + Duration::hours(1)),
            ],
            vec![SlaTransition::start(start), SlaTransition::stop(due)],
            vec![SlaTransition::start(start), SlaTransition::stop(warn)],
        ];
        for ts in lists {
            let now = due + Duration::hours(2);
            let c = recompute(&t, &cal, &ts, now);
            assert_eq!(c, fold(&t, &cal, &ts, now), "{ts:?}");
            let r = c.evaluate(now);
            assert_eq!(r.warned_at, Some(warn), "{ts:?}");
            if ts.iter().any(|x| x.at == due) {
                assert_eq!(
                    (r.state, r.breached_at),
                    (ClockState::Breached, Some(due)),
                    "{ts:?}"
                );
            }
        }
    }
}

#[test]
fn a_hundred_thousand_clocks_read_correctly() {
    let holidays = [
        NaiveDate::from_ymd_opt(2025, 4, 18).unwrap(),
        NaiveDate::from_ymd_opt(2025, 4, 21).unwrap(),
    ];
    let office = business(
        "Europe/Berlin",
        &["mon-fri 08:00-18:00".into(), "sat 09:00-13:00".into()],
        &holidays,
    );
    let always = Arc::new(ServiceCalendar::always());
    let now = at(60 * 24 * 40);
    let mut clocks = Vec::with_capacity(100_000);
    for i in 0..100_000i64 {
        let cal = if i % 3 == 0 { &always } else { &office };
        let start = at(i * 34 / 60);
        let mut c = SlaClock::started(target(15 + (i % 7) * 60, 0.75), Arc::clone(cal), start);
        if i % 5 == 0 {
            let _ = c.apply(&SlaTransition::pause(
                start + Duration::minutes(10),
                "awaiting vendor",
                PauseState::AwaitingThirdParty,
            ));
        }
        if i % 11 == 0 {
            let _ = c.apply(&SlaTransition::stop(start + Duration::minutes(20)));
        }
        clocks.push(c);
    }
    let mut counts = std::collections::HashMap::new();
    for c in &clocks {
        let r = c.evaluate(now);
        assert!(r.elapsed >= Duration::zero());
        if matches!(r.state, ClockState::Running | ClockState::Warned) {
            // A running clock's due time is exactly its remaining target away.
            let remaining =
                r.target - (r.elapsed - c.calendar.business_time_between(c.last_at.unwrap(), now));
            assert_eq!(
                c.calendar.add_business_time(c.last_at.unwrap(), remaining),
                r.due.unwrap()
            );
        }
        *counts.entry(r.state).or_insert(0) += 1;
    }
    assert_eq!(counts.values().sum::<i32>(), 100_000);
    // Every clock is past due except the paused-early and met ones.
    assert!(counts[&ClockState::Breached] > 50_000, "{counts:?}");
    assert!(
        counts[&ClockState::Paused] > 0 && counts[&ClockState::Met] > 0,
        "{counts:?}"
    );
}

// --- Property: the incremental clock equals the recomputation. ---

#[derive(Debug, Clone)]
enum Cal {
    Always,
    Business {
        zone: &'static str,
        extra: Option<&'static str>,
        holidays: Vec<u64>,
    },
}

fn calendar_strategy() -> impl Strategy<Value = Cal> {
    let zone = prop::sample::select(vec!["Europe/Berlin", "Europe/London"]);
    // Extra night ranges on the days the clocks change, where gaps and folds bite.
    let extra = prop::option::of(prop::sample::select(vec![
        "sun 01:00-04:00",
        "sun 02:30-03:30",
        "sat 22:00-24:00",
        "sun 00:00-01:30",
    ]));
    prop_oneof![
        Just(Cal::Always),
        (zone, extra, prop::collection::vec(0u64..20, 0..3)).prop_map(|(zone, extra, holidays)| {
            Cal::Business {
                zone,
                extra,
                holidays,
            }
        }),
    ]
}

fn build(cal: &Cal) -> Arc<ServiceCalendar> {
    match cal {
        Cal::Always => Arc::new(ServiceCalendar::always()),
        Cal::Business {
            zone,
            extra,
            holidays,
        } => {
            let mut hours = vec!["mon-fri 08:00-18:00".to_owned()];
            hours.extend(extra.map(str::to_owned));
            let first = base().date_naive();
            let days: Vec<NaiveDate> = holidays.iter().map(|d| first + Days::new(*d)).collect();
            business(zone, &hours, &days)
        }
    }
}

fn transitions_strategy() -> impl Strategy<Value = Vec<SlaTransition>> {
    // (kind, minutes after the previous one (negative ones are out of order), empty reason?, whom)
    prop::collection::vec(
        (
            0u8..5,
            -20i64..3000,
            prop::bool::weighted(0.1),
            any::<bool>(),
        ),
        0..10,
    )
    .prop_map(|raw| {
        let mut t = base() + Duration::minutes(30);
        let mut out = vec![SlaTransition::start(t)];
        for (kind, gap, empty, whom) in raw {
            t += Duration::minutes(gap) + Duration::seconds(gap % 7);
            let state = if whom {
                PauseState::AwaitingClient
            } else {
                PauseState::AwaitingThirdParty
            };
            out.push(match kind {
                0 => SlaTransition::start(t),
                1 | 2 => SlaTransition::pause(t, if empty { "" } else { "waiting" }, state),
                3 => SlaTransition::resume(t),
                _ => SlaTransition::stop(t),
            });
        }
        out
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn incremental_clock_equals_recomputation(
        cal in calendar_strategy(),
        minutes in 1i64..(60 * 24 * 3),
        warn in 0.05f64..0.95,
        ts in transitions_strategy(),
        now_min in 0i64..(60 * 24 * 14),
    ) {
        let cal = build(&cal);
        let target = target(minutes, warn);
        let now = base() + Duration::minutes(now_min);
        // After every prefix, not only at the end.
        for k in 0..=ts.len() {
            let incremental = fold(&target, &cal, &ts[..k], now);
            let from_scratch = recompute(&target, &cal, &ts[..k], now);
            prop_assert_eq!(&incremental, &from_scratch);
            prop_assert_eq!(incremental.evaluate(now), from_scratch.evaluate(now));
        }
    }

    #[test]
    fn each_crossing_is_reported_once_at_its_instant(
        cal in calendar_strategy(),
        minutes in 1i64..(60 * 24 * 2),
        warn in 0.05f64..0.95,
        ts in transitions_strategy(),
        samples in prop::collection::vec(0i64..(60 * 24 * 14), 1..12),
    ) {
        let cal = build(&cal);
        let target = target(minutes, warn);
        let mut ts = ts;
        ts.sort_by_key(|t| t.at);
        let mut times: Vec<Timestamp> = samples.iter().map(|m| base() + Duration::minutes(*m)).collect();
        times.extend(ts.iter().map(|t| t.at));
        times.sort();
        let mut previous: Option<SlaReading> = None;
        let mut seen = Vec::new();
        for &now in &times {
            let reading = recompute(&target, &cal, &ts, now).evaluate(now);
            for c in reading.crossings_since(previous.as_ref()) {
                prop_assert!(c.at <= now, "a crossing is reported after it happened");
                seen.push(c);
            }
            previous = Some(reading);
        }
        let last = previous.expect("at least one sample");
        let warned: Vec<_> = seen.iter().filter(|c| c.event == CrossingEvent::Warned).map(|c| c.at).collect();
        let breached: Vec<_> = seen.iter().filter(|c| c.event == CrossingEvent::Breached).map(|c| c.at).collect();
        prop_assert_eq!(warned, last.warned_at.into_iter().collect::<Vec<_>>());
        prop_assert_eq!(breached, last.breached_at.into_iter().collect::<Vec<_>>());
        if let (Some(w), Some(b)) = (last.warned_at, last.breached_at) {
            prop_assert!(w < b);
        }
    }
}
