use super::*;
use chrono::{Datelike, Days, Duration, TimeZone, Utc};
use proptest::prelude::*;

fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> Timestamp {
    Utc.with_ymd_and_hms(y, mo, d, h, mi, 0)
        .single()
        .expect("a valid test instant")
}

fn date(y: i32, mo: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, mo, d).expect("a valid test date")
}

fn calendar(tz: &str, hours: &[&str], holidays: &[NaiveDate]) -> ServiceCalendar {
    let mut set = HolidaySet::new();
    for h in holidays {
        set.add_date(*h);
    }
    let tz: Tz = tz.parse().expect("a known zone");
    ServiceCalendar::business(
        "office",
        tz,
        WeekHours::parse(hours).expect("valid hours"),
        set,
    )
    .expect("a calendar with hours")
}

fn london_office() -> ServiceCalendar {
    calendar("Europe/London", &["mon-fri 08:00-18:00"], &[])
}

fn problem(lines: &[&str]) -> HoursError {
    WeekHours::parse(lines).expect_err("these hours are refused")
}

#[test]
fn hours_parse_day_ranges_lists_and_several_ranges() {
    let week = WeekHours::parse(&["mon-fri 08:00-18:00", "sat 09:00-13:00"]).unwrap();
    assert_eq!(week.ranges(Weekday::Mon), &[(8 * 3600, 18 * 3600)]);
    assert_eq!(week.ranges(Weekday::Sat), &[(9 * 3600, 13 * 3600)]);
    assert!(week.ranges(Weekday::Sun).is_empty());
    assert_eq!(week.weekly_seconds(), (5 * 10 + 4) * 3600);

    let week = WeekHours::parse(&["Mon,wednesday 08:00-12:00 13:00-17:00"]).unwrap();
    assert_eq!(
        week.ranges(Weekday::Wed),
        &[(8 * 3600, 12 * 3600), (13 * 3600, 17 * 3600)]
    );
    assert!(week.ranges(Weekday::Tue).is_empty());
}

#[test]
fn a_day_range_may_wrap_the_week() {
    let week = WeekHours::parse(&["sun-thu 08:00-16:00"]).unwrap();
    for d in [
        Weekday::Sun,
        Weekday::Mon,
        Weekday::Tue,
        Weekday::Wed,
        Weekday::Thu,
    ] {
        assert_eq!(week.ranges(d).len(), 1, "{d}");
    }
    assert!(week.ranges(Weekday::Fri).is_empty());
    assert!(week.ranges(Weekday::Sat).is_empty());
}

#[test]
fn ranges_that_meet_are_joined_and_24_00_ends_the_day() {
    let week = WeekHours::parse(&["mon 12:00-18:00", "mon 08:00-12:00"]).unwrap();
    assert_eq!(week.ranges(Weekday::Mon), &[(8 * 3600, 18 * 3600)]);
    let week = WeekHours::parse(&["mon-sun 00:00-24:00"]).unwrap();
    assert_eq!(week.weekly_seconds(), 7 * 86_400);
}

#[test]
fn overlapping_hours_name_the_day_and_both_ranges() {
    let e = problem(&["mon-fri 08:00-18:00", "fri 17:00-20:00"]);
    assert_eq!(e.index, 1);
    assert_eq!(
        e.problem,
        Problem::OverlappingHours {
            day: "fri".into(),
            first: "08:00-18:00 (hours[0])".into(),
            second: "17:00-20:00 (hours[1])".into(),
        }
    );
    // Within one line too.
    let e = problem(&["mon 08:00-12:00 11:00-13:00"]);
    assert_eq!(e.index, 0);
    assert!(matches!(e.problem, Problem::OverlappingHours { ref day, .. } if day == "mon"));
    // Near miss: the same ranges on different days, or meeting, are fine.
    assert!(WeekHours::parse(&["mon-thu 08:00-18:00", "fri 17:00-20:00"]).is_ok());
    assert!(WeekHours::parse(&["fri 08:00-17:00", "fri 17:00-20:00"]).is_ok());
}

#[test]
fn malformed_hours_are_refused_with_the_reason() {
    let cases: &[(&str, &str)] = &[
        ("mon-fry 08:00-18:00", "`fry` is not a day"),
        ("mon-fri", "no times after `mon-fri`"),
        ("", "empty"),
        ("mon 25:00-26:00", "`25:00` is not a time of day"),
        ("mon 08:60-09:00", "`08:60` is not a time of day"),
        ("mon 8-18", "`8` is not a time of day"),
        ("mon 08:00-07:00", "ends before it starts"),
        ("mon 08:00-08:00", "ends before it starts"),
        ("mon 24:00-24:00", "starts at 24:00"),
        ("mon 08:00-24:30", "`24:30` is not a time of day"),
        ("mon 0800-1800", "`0800` is not a time of day"),
        ("mon 08:00", "not a range of times"),
    ];
    for (line, want) in cases {
        let e = problem(&["tue 08:00-09:00", line]);
        assert_eq!(e.index, 1, "{line}");
        let text = e.to_string();
        assert!(text.contains(want), "{line}: {text}");
        assert!(text.starts_with("hours[1]: "), "{text}");
    }
    // Near misses that parse.
    for line in [
        "mon 8:00-18:00",
        "MON 08:00-18:00",
        "mon 00:00-00:01",
        "sun 23:59-24:00",
    ] {
        assert!(WeekHours::parse(&[line]).is_ok(), "{line}");
    }
}

#[test]
fn a_business_calendar_needs_hours() {
    let tz: Tz = "Europe/London".parse().unwrap();
    let none = WeekHours::parse::<&str>(&[]).unwrap();
    assert_eq!(
        ServiceCalendar::business("x", tz, none, HolidaySet::new()).unwrap_err(),
        Problem::NoHours
    );
}

#[test]
fn friday_1750_plus_30_business_minutes_is_monday_0820() {
    let cal = london_office();
    let friday = utc(2025, 1, 10, 17, 50);
    let due = cal.add_business_time(friday, Duration::minutes(30));
    assert_eq!(due, utc(2025, 1, 13, 8, 20));
    assert_eq!(
        cal.business_time_between(friday, due),
        Duration::minutes(30)
    );
    // The last ten minutes of Friday are used up exactly at closing time.
    assert_eq!(
        cal.add_business_time(friday, Duration::minutes(10)),
        utc(2025, 1, 10, 18, 0)
    );
    // A start outside hours counts from the next opening.
    assert_eq!(
        cal.add_business_time(utc(2025, 1, 11, 12, 0), Duration::minutes(30)),
        utc(2025, 1, 13, 8, 30)
    );
}

#[test]
fn london_weekends_with_a_clock_change_keep_wall_clock_hours() {
    let cal = london_office();
    // Spring forward on Sunday 30 March 2025: Monday 08:20 BST is 07:20 UTC.
    let friday = utc(2025, 3, 28, 17, 50);
    assert_eq!(
        cal.add_business_time(friday, Duration::minutes(30)),
        utc(2025, 3, 31, 7, 20)
    );
    // Fall back on Sunday 26 October 2025: Friday 17:50 BST is 16:50 UTC.
    let friday = utc(2025, 10, 24, 16, 50);
    assert_eq!(
        cal.add_business_time(friday, Duration::minutes(30)),
        utc(2025, 10, 27, 8, 20)
    );
    assert_eq!(
        cal.business_time_between(friday, utc(2025, 10, 27, 8, 20)),
        Duration::minutes(30)
    );
}

#[test]
fn berlin_spring_forward_day_has_two_hours_between_01_and_04() {
    let cal = calendar("Europe/Berlin", &["mon-sun 01:00-04:00"], &[]);
    // 30 March 2025: 02:00 CET jumps to 03:00 CEST (01:00 UTC).
    assert_eq!(
        cal.windows_on(date(2025, 3, 30)),
        vec![(utc(2025, 3, 30, 0, 0), utc(2025, 3, 30, 2, 0))]
    );
    assert_eq!(
        cal.windows_on(date(2025, 3, 29)),
        vec![(utc(2025, 3, 29, 0, 0), utc(2025, 3, 29, 3, 0))]
    );
    assert_eq!(
        cal.windows_on(date(2025, 3, 31)),
        vec![(utc(2025, 3, 30, 23, 0), utc(2025, 3, 31, 2, 0))]
    );
    let day = cal.business_time_between(utc(2025, 3, 29, 22, 0), utc(2025, 3, 30, 22, 0));
    assert_eq!(day, Duration::hours(2));
    assert_eq!(
        cal.add_business_time(utc(2025, 3, 30, 0, 0), Duration::minutes(90)),
        utc(2025, 3, 30, 1, 30)
    );
    // Past the day's two hours, the rest comes from Monday 01:00 CEST.
    assert_eq!(
        cal.add_business_time(utc(2025, 3, 30, 0, 0), Duration::minutes(150)),
        utc(2025, 3, 30, 23, 30)
    );
}

#[test]
fn berlin_fall_back_day_has_four_hours_between_01_and_04() {
    let cal = calendar("Europe/Berlin", &["mon-sun 01:00-04:00"], &[]);
    // 26 October 2025: 03:00 CEST falls back to 02:00 CET (01:00 UTC).
    assert_eq!(
        cal.windows_on(date(2025, 10, 26)),
        vec![(utc(2025, 10, 25, 23, 0), utc(2025, 10, 26, 3, 0))]
    );
    let start = utc(2025, 10, 25, 23, 0);
    assert_eq!(
        cal.add_business_time(start, Duration::minutes(210)),
        utc(2025, 10, 26, 2, 30)
    );
    assert_eq!(
        cal.business_time_between(start, utc(2025, 10, 26, 12, 0)),
        Duration::hours(4)
    );
}

#[test]
fn wall_times_in_a_gap_resolve_to_its_end_and_in_a_fold_to_the_first_showing() {
    // A range starting inside the gap starts when the gap ends.
    let cal = calendar("Europe/Berlin", &["sun 02:30-05:00"], &[]);
    assert_eq!(
        cal.windows_on(date(2025, 3, 30)),
        vec![(utc(2025, 3, 30, 1, 0), utc(2025, 3, 30, 3, 0))]
    );
    // A range wholly inside the gap is empty that day and 40 minutes on other Sundays.
    let cal = calendar("Europe/Berlin", &["sun 02:10-02:50"], &[]);
    assert_eq!(
        cal.business_time_between(utc(2025, 3, 29, 0, 0), utc(2025, 3, 31, 0, 0)),
        Duration::zero()
    );
    assert_eq!(
        cal.business_time_between(utc(2025, 3, 22, 0, 0), utc(2025, 3, 24, 0, 0)),
        Duration::minutes(40)
    );
    // Inside the fold both ends take the first showing: 02:00-02:30 CEST.
    let cal = calendar("Europe/Berlin", &["sun 02:00-02:30"], &[]);
    assert_eq!(
        cal.windows_on(date(2025, 10, 26)),
        vec![(utc(2025, 10, 26, 0, 0), utc(2025, 10, 26, 0, 30))]
    );
}

#[test]
fn holidays_are_skipped() {
    let cal = calendar(
        "Europe/London",
        &["mon-fri 08:00-18:00"],
        &[date(2025, 12, 25), date(2025, 12, 26)],
    );
    let christmas_eve = utc(2025, 12, 24, 17, 50);
    assert_eq!(
        cal.add_business_time(christmas_eve, Duration::minutes(30)),
        utc(2025, 12, 29, 8, 20)
    );
    assert!(cal.windows_on(date(2025, 12, 25)).is_empty());
    assert!(!cal.contains(utc(2025, 12, 25, 12, 0)));
    // Near miss: without the holidays it is Christmas morning.
    let plain = london_office();
    assert_eq!(
        plain.add_business_time(christmas_eve, Duration::minutes(30)),
        utc(2025, 12, 25, 8, 20)
    );
}

#[test]
fn zero_and_backwards_spans() {
    let cal = london_office();
    let t = utc(2025, 1, 11, 12, 0);
    assert_eq!(cal.add_business_time(t, Duration::zero()), t);
    assert_eq!(cal.add_business_time(t, Duration::minutes(-5)), t);
    assert_eq!(
        cal.business_time_between(t, t - Duration::hours(1)),
        Duration::zero()
    );
    let always = ServiceCalendar::always();
    assert_eq!(
        always.business_time_between(t, t + Duration::hours(3)),
        Duration::hours(3)
    );
    assert_eq!(
        always.add_business_time(t, Duration::hours(3)),
        t + Duration::hours(3)
    );
    assert!(always.contains(t));
    assert_eq!(always.name(), ALWAYS);
    assert!(always.is_always() && !cal.is_always());
    assert_eq!(cal.time_zone().map(|z| z.name()), Some("Europe/London"));
}

#[test]
fn contains_is_half_open() {
    let cal = london_office();
    assert!(cal.contains(utc(2025, 1, 10, 8, 0)));
    assert!(cal.contains(utc(2025, 1, 10, 17, 59)));
    assert!(!cal.contains(utc(2025, 1, 10, 18, 0)));
    assert!(!cal.contains(utc(2025, 1, 11, 12, 0)));
}

#[test]
fn long_spans_skip_weeks_and_agree_with_day_by_day_sums() {
    let cal = calendar(
        "Europe/Berlin",
        &["mon-fri 09:00-17:00"],
        &[date(2025, 4, 18), date(2025, 4, 21), date(2025, 5, 1)],
    );
    let a = utc(2025, 3, 3, 10, 0);
    let b = utc(2025, 11, 3, 10, 0);
    let whole = cal.business_time_between(a, b);
    let mut by_day = Duration::zero();
    let mut t = a;
    while t < b {
        let next = (t + Duration::days(1)).min(b);
        by_day += cal.business_time_between(t, next);
        t = next;
    }
    assert_eq!(whole, by_day);
    assert_eq!(
        cal.add_business_time(a, whole),
        cal.add_business_time(a, by_day)
    );
    assert_eq!(
        cal.business_time_between(a, cal.add_business_time(a, whole)),
        whole
    );
}

// --- Against a reference that resolves every wall time independently. ---

/// The first instant whose wall time is at or after `naive`, stepping minutes through a gap.
fn reference_resolve(tz: Tz, date: NaiveDate, secs: u32) -> Timestamp {
    let mut naive = date.and_time(NaiveTime::MIN) + Duration::seconds(i64::from(secs));
    loop {
        if let Some(t) = tz.from_local_datetime(&naive).earliest() {
            return t.to_utc();
        }
        naive += Duration::minutes(1);
    }
}

struct Reference {
    windows: Vec<(Timestamp, Timestamp)>,
}

impl Reference {
    fn new(
        tz: Tz,
        week: &[Vec<(u32, u32)>; 7],
        holidays: &[NaiveDate],
        from: NaiveDate,
        to: NaiveDate,
    ) -> Self {
        let mut windows = Vec::new();
        let mut d = from;
        while d <= to {
            if !holidays.contains(&d) {
                for &(s, e) in &week[d.weekday().num_days_from_monday() as usize] {
                    windows.push((reference_resolve(tz, d, s), reference_resolve(tz, d, e)));
                }
            }
            d = d.succ_opt().unwrap();
        }
        Self { windows }
    }

    /// Sums the overlap with every window, without any skipping.
    fn between(&self, a: Timestamp, b: Timestamp) -> Duration {
        self.windows
            .iter()
            .map(|(s, e)| ((*e).min(b) - (*s).max(a)).max(Duration::zero()))
            .sum()
    }
}

fn zone() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec![
        "Europe/Berlin",
        "Europe/London",
        "America/New_York",
        // A 30-minute daylight-saving shift.
        "Australia/Lord_Howe",
        // Changed at midnight (until 2019), so a day could start at 01:00.
        "America/Sao_Paulo",
        "UTC",
    ])
}

fn week_hours() -> impl Strategy<Value = [Vec<(u32, u32)>; 7]> {
    // Up to two ranges a day on a half-hour grid, biased towards the night so
    // that gaps and folds (01:00–03:00) are often inside or at the edge of one.
    let day = prop::collection::vec((0u32..48, 1u32..16), 0..=2).prop_map(|raw| {
        let mut ranges: Vec<(u32, u32)> = Vec::new();
        for (start, len) in raw {
            let s = start * 1800;
            let e = (s + len * 1800).min(DAY_SECS);
            if ranges.iter().all(|(a, b)| e <= *a || s >= *b) {
                ranges.push((s, e));
            }
        }
        ranges
    });
    prop::array::uniform7(day)
}

fn hours_lines(week: &[Vec<(u32, u32)>; 7]) -> Vec<String> {
    let hm = |s: u32| format!("{:02}:{:02}", s / 3600, s % 3600 / 60);
    let mut lines = Vec::new();
    for (d, ranges) in week.iter().enumerate() {
        for (s, e) in ranges {
            lines.push(format!("{} {}-{}", DAY_NAMES[d], hm(*s), hm(*e)));
        }
    }
    lines
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn business_time_matches_an_independent_reference(
        zone in zone(),
        week in week_hours(),
        season in 0usize..3,
        holiday_offsets in prop::collection::vec(0u64..30, 0..4),
        start_min in 0i64..(24 * 60 * 30),
        span_min in 0i64..(24 * 60 * 12),
        add_min in 0i64..(60 * 24 * 7),
    ) {
        prop_assume!(week.iter().any(|d| !d.is_empty()));
        let tz: Tz = zone.parse().unwrap();
        // Most zones change clocks within the 30 days after these; São Paulo
        // did on 4 November 2018, at midnight.
        let first = [date(2025, 3, 5), date(2025, 10, 1), date(2018, 10, 20)][season];
        let base = first.and_time(NaiveTime::MIN).and_utc();
        let holidays: Vec<NaiveDate> = holiday_offsets.iter().map(|o| first + Days::new(*o)).collect();
        let mut set = HolidaySet::new();
        for h in &holidays {
            set.add_date(*h);
        }
        let cal = ServiceCalendar::business("p", tz, WeekHours::parse(&hours_lines(&week)).unwrap(), set).unwrap();
        let reference = Reference::new(tz, &week, &holidays, first - Days::new(2), first + Days::new(130));

        let a = base + Duration::minutes(start_min);
        let b = a + Duration::minutes(span_min);
        let got = cal.business_time_between(a, b);
        prop_assert_eq!(got, reference.between(a, b));

        // Adding time back gives the earliest instant that much has elapsed
        // (at most eight weeks' worth, so the answer stays inside the reference).
        let weekly_min = week.iter().flatten().map(|(s, e)| i64::from(e - s) / 60).sum::<i64>();
        let add_min = add_min % (weekly_min * 8 + 1);
        let d = Duration::minutes(add_min);
        let t = cal.add_business_time(a, d);
        prop_assert!(t >= a);
        prop_assert_eq!(cal.business_time_between(a, t), d);
        if add_min > 0 {
            prop_assert!(cal.business_time_between(a, t - Duration::minutes(1)) < d);
            prop_assert!(reference.windows.iter().any(|(s, e)| *s < t && t <= *e));
        }
        // Splitting a span anywhere adds up.
        let mid = a + Duration::minutes(span_min / 3);
        prop_assert_eq!(cal.business_time_between(a, mid) + cal.business_time_between(mid, b), got);
    }
}

#[test]
fn a_week_whose_clock_changes_cancel_out_is_not_skipped_whole() {
    // Recife kept summer time for one week in October 2000: 00:00 on Sunday
    // 8 October did not exist, and on Sunday 15 October the clocks went back
    // at midnight. The week from the 8th is seven days long all the same.
    let cal = calendar("America/Recife", &["sun 00:00-00:30"], &[]);
    assert!(
        cal.windows_on(date(2000, 10, 8))
            .iter()
            .all(|(s, e)| s == e)
    );
    let a = utc(2000, 10, 1, 12, 0);
    let b = utc(2000, 10, 29, 12, 0);
    let mut by_day = Duration::zero();
    let mut t = a;
    while t < b {
        let next = (t + Duration::days(1)).min(b);
        by_day += cal.business_time_between(t, next);
        t = next;
    }
    // Sundays 8, 15, 22 and 29 October: nothing, then three half hours.
    assert_eq!(by_day, Duration::minutes(90));
    assert_eq!(cal.business_time_between(a, b), by_day);
    let from = utc(2000, 10, 2, 0, 0);
    assert_eq!(
        cal.add_business_time(from, Duration::minutes(30)),
        utc(2000, 10, 15, 3, 30)
    );
}
