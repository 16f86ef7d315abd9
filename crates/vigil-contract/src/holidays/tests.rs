use super::*;

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("a valid test date")
}

fn ics(events: &str) -> String {
    format!("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n{events}END:VCALENDAR\r\n")
}

fn refused(text: &str) -> IcsError {
    parse_ics(text).expect_err("this calendar is refused")
}

fn set_of(holidays: &[Holiday]) -> HolidaySet {
    let mut set = HolidaySet::new();
    for h in holidays {
        set.add(h);
    }
    set
}

#[test]
fn all_day_events_with_folding_crlf_and_nested_alarms() {
    let text = ics(concat!(
        "BEGIN:VEVENT\r\n",
        "UID:1@test\r\n",
        "DTSTART;VALUE=DATE:20251225\r\n",
        "DTEND;VALUE=DATE:20251226\r\n",
        "SUMMARY:Christmas\r\n",
        "  Day\r\n",
        "BEGIN:VALARM\r\n",
        "DTSTART:20251224T090000\r\n",
        "END:VALARM\r\n",
        "END:VEVENT\r\n",
        "BEGIN:VEVENT\r\n",
        "DTSTART:20251226\r\n",
        "SUMMARY:Boxing Day\\, UK\r\n",
        "END:VEVENT\r\n",
    ));
    let got = parse_ics(&text).unwrap();
    assert_eq!(got.len(), 2);
    assert_eq!(got[0].date, date(2025, 12, 25));
    assert_eq!(got[0].days, 1);
    assert_eq!(got[0].summary.as_deref(), Some("Christmas Day"));
    assert_eq!(got[1].date, date(2025, 12, 26));
    assert_eq!(got[1].summary.as_deref(), Some("Boxing Day, UK"));
    let set = set_of(&got);
    assert!(set.contains(date(2025, 12, 25)) && set.contains(date(2025, 12, 26)));
    assert!(!set.contains(date(2025, 12, 24)));
}

#[test]
fn multi_day_events_by_dtend_or_duration() {
    let text = ics(concat!(
        "BEGIN:VEVENT\nDTSTART;VALUE=DATE:20250418\nDTEND;VALUE=DATE:20250422\nEND:VEVENT\n",
        "BEGIN:VEVENT\nDTSTART;VALUE=DATE:20250801\nDURATION:P2D\nEND:VEVENT\n",
        "BEGIN:VEVENT\nDTSTART;VALUE=DATE:20250901\nDURATION:P1W\nEND:VEVENT\n",
    ));
    let got = parse_ics(&text).unwrap();
    assert_eq!(
        got.iter().map(|h| h.days).collect::<Vec<_>>(),
        vec![4, 2, 7]
    );
    let set = set_of(&got);
    assert_eq!(set.len(), 13);
    assert!(set.contains(date(2025, 4, 21)) && !set.contains(date(2025, 4, 22)));
    assert!(set.any_in(date(2025, 8, 2), date(2025, 8, 3)));
    assert!(!set.any_in(date(2025, 8, 3), date(2025, 8, 31)));
}

#[test]
fn yearly_rules_with_count_until_interval_and_exdate() {
    let text = ics(concat!(
        "BEGIN:VEVENT\nDTSTART;VALUE=DATE:20200101\nRRULE:FREQ=YEARLY\nEXDATE;VALUE=DATE:20230101\nEND:VEVENT\n",
        "BEGIN:VEVENT\nDTSTART;VALUE=DATE:20200501\nRRULE:FREQ=YEARLY;COUNT=3\nEND:VEVENT\n",
        "BEGIN:VEVENT\nDTSTART;VALUE=DATE:20200601\nRRULE:FREQ=YEARLY;UNTIL=20221231T235959Z\nEND:VEVENT\n",
        "BEGIN:VEVENT\nDTSTART;VALUE=DATE:20200701\nRRULE:FREQ=YEARLY;INTERVAL=2\nEND:VEVENT\n",
        "BEGIN:VEVENT\nDTSTART;VALUE=DATE:20200229\nRRULE:FREQ=YEARLY;COUNT=2\nEND:VEVENT\n",
    ));
    let set = set_of(&parse_ics(&text).unwrap());
    assert!(set.contains(date(2025, 1, 1)) && set.contains(date(YEARLY_HORIZON, 1, 1)));
    assert!(!set.contains(date(2023, 1, 1)), "EXDATE leaves one out");
    assert!(set.contains(date(2022, 5, 1)) && !set.contains(date(2023, 5, 1)));
    assert!(set.contains(date(2022, 6, 1)) && !set.contains(date(2023, 6, 1)));
    assert!(set.contains(date(2022, 7, 1)) && !set.contains(date(2023, 7, 1)));
    // 29 February only exists in leap years; COUNT counts real occurrences.
    assert!(set.contains(date(2020, 2, 29)) && set.contains(date(2024, 2, 29)));
    assert!(!set.contains(date(2028, 2, 29)));
    assert!(!set.contains(date(2021, 3, 1)));
}

#[test]
fn cancelled_events_are_skipped() {
    let text = ics("BEGIN:VEVENT\nDTSTART;VALUE=DATE:20250505\nSTATUS:CANCELLED\nEND:VEVENT\n");
    assert!(parse_ics(&text).unwrap().is_empty());
}

#[test]
fn errors_name_the_line() {
    let cases: &[(&str, usize, &str)] = &[
        ("hello\n", 1, "expected BEGIN:VCALENDAR"),
        ("", 1, "empty file"),
        ("\n\n", 1, "empty file"),
        (" folded\nBEGIN:VCALENDAR\n", 1, "nothing to continue"),
        (
            "BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART:20251225T090000\nEND:VEVENT\nEND:VCALENDAR\n",
            3,
            "has a time of day",
        ),
        (
            "BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART;VALUE=DATE:20251345\nEND:VEVENT\nEND:VCALENDAR\n",
            3,
            "is not a date",
        ),
        (
            "BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART;VALUE=DATE:2025-12-25\nEND:VEVENT\nEND:VCALENDAR\n",
            3,
            "is not a date",
        ),
        (
            "BEGIN:VCALENDAR\nBEGIN:VEVENT\nSUMMARY:x\nEND:VEVENT\nEND:VCALENDAR\n",
            2,
            "no DTSTART",
        ),
        (
            "BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART:20251225\nEND:VCALENDAR\n",
            4,
            "BEGIN:VEVENT (line 2) is still open",
        ),
        (
            "BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART:20251225\nEND:VEVENT\n",
            1,
            "never closed",
        ),
        (
            "BEGIN:VCALENDAR\nEND:VCALENDAR\nEND:VEVENT\n",
            3,
            "without a BEGIN",
        ),
        (
            "BEGIN:VCALENDAR\nBEGIN:VEVENT\ngarbage line here\nEND:VEVENT\nEND:VCALENDAR\n",
            3,
            "not a NAME:VALUE line",
        ),
        (
            "BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART:20251225\nRRULE:FREQ=MONTHLY\nEND:VEVENT\nEND:VCALENDAR\n",
            4,
            "FREQ=MONTHLY is not supported",
        ),
        (
            "BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART:20250526\nRRULE:FREQ=YEARLY;BYDAY=-1MO\nEND:VEVENT\nEND:VCALENDAR\n",
            4,
            "BYDAY is not supported",
        ),
        (
            "BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART:20251225\nDTEND:20251225\nEND:VEVENT\nEND:VCALENDAR\n",
            4,
            "must be 1 to 366 days after",
        ),
        (
            "BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART:20251225\nDURATION:PT4H\nEND:VEVENT\nEND:VCALENDAR\n",
            4,
            "not a whole number of days",
        ),
        (
            "BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART:20251225\nEXDATE:2025\nEND:VEVENT\nEND:VCALENDAR\n",
            4,
            "EXDATE `2025`",
        ),
        (
            "BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART:20251225\nRRULE:FREQ=YEARLY;COUNT=x\nEND:VEVENT\nEND:VCALENDAR\n",
            4,
            "COUNT `x`",
        ),
    ];
    for (text, line, want) in cases {
        let e = refused(text);
        assert_eq!(e.line, *line, "{text:?}: {e}");
        assert!(e.reason.contains(want), "{text:?}: {e}");
    }
}

#[test]
fn folded_lines_report_the_line_they_start_on() {
    let text = "BEGIN:VCALENDAR\nBEGIN:VEVENT\nSUMMARY:a long\n  name\nDTSTART;VALUE=DATE:2025\n 1399\nEND:VEVENT\nEND:VCALENDAR\n";
    let e = refused(text);
    assert_eq!(e.line, 5);
    assert!(e.reason.contains("`20251399`"), "{e}");
}

#[test]
fn files_name_their_path_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bank.ics");
    std::fs::write(
        &path,
        "BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART:2025122\nEND:VEVENT\nEND:VCALENDAR\n",
    )
    .unwrap();
    match read_ics_file(&path).unwrap_err() {
        Problem::HolidayFile {
            path: p,
            line,
            reason,
        } => {
            assert!(p.ends_with("bank.ics"), "{p}");
            assert_eq!(line, 3);
            assert!(reason.contains("2025122"), "{reason}");
        }
        other => panic!("{other:?}"),
    }
    let missing = dir.path().join("missing.ics");
    assert!(matches!(
        read_ics_file(&missing).unwrap_err(),
        Problem::HolidayFileUnreadable { path, .. } if path.ends_with("missing.ics")
    ));
    std::fs::write(&path, b"BEGIN:VCALENDAR\nSUMMARY:caf\xe9\nEND:VCALENDAR\n").unwrap();
    assert!(matches!(
        read_ics_file(&path).unwrap_err(),
        Problem::HolidayFile { line: 2, reason, .. } if reason.contains("UTF-8")
    ));
    std::fs::write(
        &path,
        ics("BEGIN:VEVENT\nDTSTART;VALUE=DATE:20250101\nEND:VEVENT\n"),
    )
    .unwrap();
    assert_eq!(read_ics_file(&path).unwrap()[0].date, date(2025, 1, 1));
}

#[test]
fn holiday_set_range_queries() {
    let mut set = HolidaySet::new();
    assert!(set.is_empty());
    set.add_date(date(2025, 5, 5));
    set.add_date(date(2025, 5, 5));
    set.add_date(date(2025, 1, 1));
    assert_eq!(set.len(), 2);
    assert!(set.any_in(date(2025, 5, 1), date(2025, 5, 8)));
    assert!(set.any_in(date(2025, 5, 5), date(2025, 5, 6)));
    assert!(!set.any_in(date(2025, 5, 6), date(2025, 5, 13)));
    assert!(
        !set.any_in(date(2025, 4, 28), date(2025, 5, 5)),
        "the end is exclusive"
    );
}
