use super::*;
use chrono::{TimeZone, Utc};

const GOOD: &str = r#"
warn_fraction = 0.8
default_class = "P3"

[calendars.office]
time_zone = "Europe/London"
hours = ["mon-fri 08:00-18:00", "sat 09:00-13:00"]
holidays = ["2025-12-25", "2025-12-26"]

[classes.P1]
acknowledge = "5m"
notify = "15m"
contain = "1h"
resolve = "4h"
warn_fraction = 0.5

[classes.P2]
calendar = "office"
acknowledge = "30m"
resolve = "1d"

[classes.P3]
calendar = "office"
acknowledge = "4h"

[[rules]]
category = "physical"
min_score = 80
class = "P1"

[[rules]]
min_severity = "high"
class = "P2"
"#;

fn validate(text: &str) -> Result<Contract, ContractError> {
    ContractConfig::from_toml_str("northgate", text)?.validate("northgate", None)
}

/// The contract is refused at `place` with `problem`.
fn refused(text: &str, place: &str, problem: Problem) {
    let e = validate(text).expect_err("this contract is refused");
    assert_eq!(e.client, "northgate");
    assert_eq!((e.place.as_str(), &e.problem), (place, &problem), "{e}");
}

fn with(old: &str, new: &str) -> String {
    assert!(
        GOOD.contains(old),
        "the test edits `{old}`, which GOOD lacks"
    );
    GOOD.replacen(old, new, 1)
}

#[test]
fn a_full_contract_validates() {
    let c = validate(GOOD).unwrap();
    assert_eq!(c.client(), "northgate");
    assert_eq!(c.default_class(), PriorityClass::P3);
    let p1 = c.terms(PriorityClass::P1).unwrap();
    assert_eq!(p1.warn_fraction, 0.5);
    assert!(p1.calendar.is_always());
    assert_eq!(
        p1.targets,
        [
            Some(TimeDelta::minutes(5)),
            Some(TimeDelta::minutes(15)),
            Some(TimeDelta::hours(1)),
            Some(TimeDelta::hours(4))
        ]
    );
    let p2 = c.terms(PriorityClass::P2).unwrap();
    assert_eq!(p2.warn_fraction, 0.8, "the contract's fraction");
    assert_eq!(p2.calendar.name(), "office");
    assert!(
        Arc::ptr_eq(&p2.calendar, &c.terms(PriorityClass::P3).unwrap().calendar),
        "classes share a calendar"
    );
    assert_eq!(
        p2.targets[Measure::Resolve.index()],
        Some(TimeDelta::days(1))
    );
    assert!(c.terms(PriorityClass::P4).is_none());
    assert_eq!(c.rules().len(), 2);
    assert_eq!(c.calendar("office").unwrap().name(), "office");
    let christmas = Utc.with_ymd_and_hms(2025, 12, 25, 12, 0, 0).unwrap();
    assert!(!c.calendar("office").unwrap().contains(christmas));
}

#[test]
fn defaults_are_24x7_at_three_quarters_with_the_least_urgent_class() {
    let c = validate("[classes.P2]\nacknowledge = \"15m\"\n[classes.P1]\nacknowledge = \"5m\"\n")
        .unwrap();
    assert_eq!(c.default_class(), PriorityClass::P2);
    let p1 = c.terms(PriorityClass::P1).unwrap();
    assert_eq!(p1.warn_fraction, DEFAULT_WARN_FRACTION);
    assert_eq!(p1.calendar.name(), "24x7");
    // A contract-wide calendar applies to classes that name none.
    let text = GOOD.replacen(
        "default_class = \"P3\"",
        "default_class = \"P3\"\ncalendar = \"office\"",
        1,
    );
    let c = validate(&text).unwrap();
    assert_eq!(
        c.terms(PriorityClass::P1).unwrap().calendar.name(),
        "office"
    );
}

#[test]
fn durations_take_units_and_refuse_zero_negative_bare_and_too_long() {
    for (text, want) in [
        ("30s", TimeDelta::seconds(30)),
        ("15m", TimeDelta::minutes(15)),
        ("4h", TimeDelta::hours(4)),
        ("1d", TimeDelta::days(1)),
        ("1h 30m", TimeDelta::minutes(90)),
        ("366d", TimeDelta::days(366)),
    ] {
        let c = validate(&with(
            "acknowledge = \"5m\"",
            &format!("acknowledge = \"{text}\""),
        ))
        .unwrap();
        assert_eq!(
            c.terms(PriorityClass::P1).unwrap().targets[0],
            Some(want),
            "{text}"
        );
    }
    let place = "classes.P1.acknowledge";
    refused(
        &with("acknowledge = \"5m\"", "acknowledge = \"-5m\""),
        place,
        Problem::NonPositiveDuration("-5m".into()),
    );
    refused(
        &with("acknowledge = \"5m\"", "acknowledge = \"0m\""),
        place,
        Problem::NonPositiveDuration("0m".into()),
    );
    refused(
        &with("acknowledge = \"5m\"", "acknowledge = \"367d\""),
        place,
        Problem::TooLong("367d".into()),
    );
    let e = validate(&with("acknowledge = \"5m\"", "acknowledge = \"soon\"")).unwrap_err();
    assert_eq!(e.place, place);
    assert!(
        matches!(e.problem, Problem::BadDuration { ref text, .. } if text == "soon"),
        "{e}"
    );
    let e = validate(&with("acknowledge = \"5m\"", "acknowledge = 300")).unwrap_err();
    assert!(
        matches!(e.problem, Problem::BadDuration { ref reason, .. } if reason.contains("without a unit")),
        "{e}"
    );
    let e = validate(&with("resolve = \"1d\"", "resolve = \"1x\"")).unwrap_err();
    assert_eq!(e.place, "classes.P2.resolve");
    assert_eq!(
        e.to_string().split(':').next(),
        Some("contract of client `northgate`, at `classes.P2.resolve`")
    );
}

#[test]
fn warning_fractions_must_lie_strictly_between_0_and_1() {
    for bad in ["0", "0.0", "1.0", "1.5", "-0.25", "nan"] {
        let e = validate(&with(
            "warn_fraction = 0.8",
            &format!("warn_fraction = {bad}"),
        ))
        .unwrap_err();
        assert_eq!(e.place, "warn_fraction", "{bad}");
        assert!(matches!(e.problem, Problem::BadWarnFraction(_)), "{bad}");
        let e = validate(&with(
            "warn_fraction = 0.5",
            &format!("warn_fraction = {bad}"),
        ))
        .unwrap_err();
        assert_eq!(e.place, "classes.P1.warn_fraction", "{bad}");
    }
    for good in ["0.01", "0.99"] {
        assert!(
            validate(&with(
                "warn_fraction = 0.8",
                &format!("warn_fraction = {good}")
            ))
            .is_ok()
        );
    }
}

#[test]
fn classes_must_be_p1_to_p4_and_defined_where_used() {
    refused(
        &with("[classes.P3]", "[classes.P5]"),
        "classes.P5",
        Problem::UnknownClass("P5".into()),
    );
    // Near miss: lower case is the same class.
    assert!(validate(&with("[classes.P3]", "[classes.p3]")).is_ok());
    refused(
        &with("class = \"P2\"", "class = \"P0\""),
        "rules[1].class",
        Problem::UnknownClass("P0".into()),
    );
    refused(
        &with("class = \"P2\"", "class = \"P4\""),
        "rules[1].class",
        Problem::UndefinedClass("P4".into()),
    );
    refused(
        &with("default_class = \"P3\"", "default_class = \"P9\""),
        "default_class",
        Problem::UnknownClass("P9".into()),
    );
    refused(
        &with("default_class = \"P3\"", "default_class = \"P4\""),
        "default_class",
        Problem::UndefinedClass("P4".into()),
    );
    refused("warn_fraction = 0.5\n", "classes", Problem::NoClasses);
}

#[test]
fn calendars_must_exist_parse_and_not_overlap() {
    refused(
        &with(
            "calendar = \"office\"\nacknowledge = \"30m\"",
            "calendar = \"ofice\"\nacknowledge = \"30m\"",
        ),
        "classes.P2.calendar",
        Problem::UnknownCalendar("ofice".into()),
    );
    refused(
        &with(
            "default_class = \"P3\"",
            "default_class = \"P3\"\ncalendar = \"shop\"",
        ),
        "calendar",
        Problem::UnknownCalendar("shop".into()),
    );
    refused(
        &with("[calendars.office]", "[calendars.24x7]"),
        "calendars.24x7",
        Problem::ReservedCalendar,
    );
    refused(
        &with("\"Europe/London\"", "\"Europe/Londn\""),
        "calendars.office.time_zone",
        Problem::UnknownTimeZone("Europe/Londn".into()),
    );
    refused(
        &with("\"sat 09:00-13:00\"", "\"fri 17:00-19:00\""),
        "calendars.office.hours[1]",
        Problem::OverlappingHours {
            day: "fri".into(),
            first: "08:00-18:00 (hours[0])".into(),
            second: "17:00-19:00 (hours[1])".into(),
        },
    );
    let e = validate(&with("\"sat 09:00-13:00\"", "\"sat 9am-1pm\"")).unwrap_err();
    assert_eq!(e.place, "calendars.office.hours[1]");
    assert!(
        matches!(e.problem, Problem::BadHours { ref text, .. } if text == "sat 9am-1pm"),
        "{e}"
    );
    refused(
        &with(
            "hours = [\"mon-fri 08:00-18:00\", \"sat 09:00-13:00\"]",
            "hours = []",
        ),
        "calendars.office.hours",
        Problem::NoHours,
    );
    // Near misses: another IANA zone, meeting ranges.
    assert!(validate(&with("\"Europe/London\"", "\"America/New_York\"")).is_ok());
    assert!(validate(&with("\"sat 09:00-13:00\"", "\"fri 18:00-19:00\"")).is_ok());
}

#[test]
fn holiday_dates_and_files_name_what_is_wrong() {
    refused(
        &with("\"2025-12-26\"", "\"26/12/2025\""),
        "calendars.office.holidays[1]",
        Problem::BadHolidayDate("26/12/2025".into()),
    );
    refused(
        &with("\"2025-12-26\"", "\"2025-02-30\""),
        "calendars.office.holidays[1]",
        Problem::BadHolidayDate("2025-02-30".into()),
    );

    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("bank.ics"),
        "BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART;VALUE=DATE:20250505\nEND:VEVENT\nEND:VCALENDAR\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("bad.ics"),
        "BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART;VALUE=DATE:2025-05-05\nEND:VEVENT\nEND:VCALENDAR\n",
    )
    .unwrap();
    let text = |file: &str| {
        with(
            "holidays = [",
            &format!("holiday_files = [\"{file}\"]\nholidays = ["),
        )
    };
    let config = |file: &str| ContractConfig::from_toml_str("northgate", &text(file)).unwrap();

    // Relative to the folder of vigil.toml.
    let c = config("bank.ics")
        .validate("northgate", Some(dir.path()))
        .unwrap();
    let may_day = Utc.with_ymd_and_hms(2025, 5, 5, 10, 0, 0).unwrap();
    assert!(!c.calendar("office").unwrap().contains(may_day));
    let absolute = dir.path().join("bank.ics");
    assert!(
        config(absolute.to_str().unwrap())
            .validate("northgate", None)
            .is_ok()
    );

    let e = config("bad.ics")
        .validate("northgate", Some(dir.path()))
        .unwrap_err();
    assert_eq!(e.place, "calendars.office.holiday_files[0]");
    match &e.problem {
        Problem::HolidayFile { path, line, reason } => {
            assert!(path.ends_with("bad.ics"), "{path}");
            assert_eq!(*line, 3);
            assert!(reason.contains("2025-05-05"), "{reason}");
        }
        other => panic!("{other:?}"),
    }
    assert!(e.to_string().contains("bad.ics`, line 3"), "{e}");
    let e = config("none.ics")
        .validate("northgate", Some(dir.path()))
        .unwrap_err();
    assert!(
        matches!(e.problem, Problem::HolidayFileUnreadable { ref path, .. } if path.ends_with("none.ics")),
        "{e}"
    );
}

#[test]
fn rules_check_category_severity_and_scores() {
    refused(
        &with("category = \"physical\"", "category = \"fire\""),
        "rules[0].category",
        Problem::UnknownCategory("fire".into()),
    );
    refused(
        &with("min_severity = \"high\"", "min_severity = \"urgent\""),
        "rules[1].min_severity",
        Problem::UnknownSeverity("urgent".into()),
    );
    refused(
        &with("min_score = 80", "min_score = 120"),
        "rules[0].min_score",
        Problem::ScoreOutOfRange(120.0),
    );
    refused(
        &with("min_score = 80", "max_score = -1"),
        "rules[0].max_score",
        Problem::ScoreOutOfRange(-1.0),
    );
    refused(
        &with("min_score = 80", "min_score = 80\nmax_score = 50"),
        "rules[0].min_score",
        Problem::EmptyScoreBand {
            min: 80.0,
            max: 50.0,
        },
    );
    // Near misses: a one-point band, the scale's ends, a fractional bound.
    assert!(validate(&with("min_score = 80", "min_score = 50\nmax_score = 50")).is_ok());
    assert!(validate(&with("min_score = 80", "min_score = 0\nmax_score = 100")).is_ok());
    assert!(validate(&with("min_score = 80", "min_score = 79.5")).is_ok());
}

#[test]
fn shape_errors_name_the_client_and_the_line() {
    let e = validate(&with("acknowledge = \"5m\"", "acknowledg = \"5m\"")).unwrap_err();
    assert_eq!(e.place, "[tenants.contract]");
    let Problem::Shape(message) = &e.problem else {
        panic!("{e:?}")
    };
    assert!(
        message.starts_with("line 11: unknown field `acknowledg`"),
        "{message}"
    );
    let value: toml::Value = toml::from_str("[classes.P1]\nacknowledge = [1]\n").unwrap();
    let e = ContractConfig::from_toml_value("acme", value).unwrap_err();
    assert_eq!(e.client, "acme");
    assert!(matches!(e.problem, Problem::Shape(_)));
}

#[test]
fn a_config_round_trips_through_toml() {
    let config = ContractConfig::from_toml_str("northgate", GOOD).unwrap();
    let text = toml::to_string(&config).unwrap();
    assert_eq!(
        ContractConfig::from_toml_str("northgate", &text).unwrap(),
        config
    );
}
