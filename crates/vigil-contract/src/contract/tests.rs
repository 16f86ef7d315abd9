use super::*;
use crate::clock::ClockState;
use crate::config::ContractConfig;
use chrono::{Duration, TimeZone, Utc};

fn contract(text: &str) -> Contract {
    ContractConfig::from_toml_str("acme", text)
        .and_then(|c| c.validate("acme", None))
        .expect("a valid contract")
}

const RULES: &str = r#"
default_class = "P4"
[classes.P1]
acknowledge = "5m"
[classes.P2]
acknowledge = "15m"
notify = "1h"
[classes.P3]
acknowledge = "1h"
[classes.P4]

[[rules]]
category = "physical"
min_score = 80
class = "P1"

[[rules]]
min_severity = "critical"
class = "P1"

[[rules]]
min_score = 50
max_score = 79.99
min_severity = "high"
class = "P2"

[[rules]]
category = "environmental"
class = "P3"
"#;

#[test]
fn the_first_matching_rule_wins_and_bands_are_inclusive() {
    let c = contract(RULES);
    assert_eq!(
        c.class_for_alarm(Category::Physical, 80.0),
        PriorityClass::P1
    );
    assert_eq!(
        c.class_for_alarm(Category::Physical, 100.0),
        PriorityClass::P1
    );
    // Near miss: just under the band falls to the next rule.
    assert_eq!(
        c.class_for_alarm(Category::Physical, 79.99),
        PriorityClass::P2
    );
    assert_eq!(
        c.class_for_alarm(Category::Cyber, 85.0),
        PriorityClass::P4,
        "physical only, and above P2's band"
    );
    assert_eq!(c.class_for_alarm(Category::Cyber, 50.0), PriorityClass::P2);
    assert_eq!(c.class_for_alarm(Category::Cyber, 49.0), PriorityClass::P4);
    assert_eq!(
        c.class_for_alarm(Category::Environmental, 10.0),
        PriorityClass::P3
    );
}

#[test]
fn score_bands_apply_to_alarms_and_severities_to_incidents() {
    let c = contract(RULES);
    // The severity-only rule never takes an alarm; the score-only one never an incident.
    assert_eq!(
        c.class_for_incident(Category::Physical, Severity::Critical),
        PriorityClass::P1
    );
    assert_eq!(
        c.class_for_incident(Category::Physical, Severity::High),
        PriorityClass::P2
    );
    assert_eq!(
        c.class_for_incident(Category::Cyber, Severity::Medium),
        PriorityClass::P4
    );
    // A category-only rule takes both.
    assert_eq!(
        c.class_for_incident(Category::Environmental, Severity::Low),
        PriorityClass::P3
    );
    // A score that is not a number falls in no band.
    assert_eq!(
        c.class_for_alarm(Category::Physical, f64::NAN),
        PriorityClass::P4
    );
    let rule = &c.rules()[1];
    assert!(!rule.matches(&Subject::Alarm {
        category: Category::Cyber,
        score: 100.0
    }));
}

#[test]
fn clocks_are_made_for_measured_targets_only() {
    let c = contract(RULES);
    let start = Utc.with_ymd_and_hms(2025, 1, 13, 9, 0, 0).unwrap();
    let clocks = c.clocks(PriorityClass::P2, start);
    assert_eq!(clocks.len(), 2);
    assert_eq!(clocks[0].target().measure, Measure::Acknowledge);
    assert_eq!(clocks[1].target().measure, Measure::Notify);
    let r = clocks[1].evaluate(start + Duration::minutes(50));
    assert_eq!(
        (r.state, r.due),
        (ClockState::Warned, Some(start + Duration::hours(1)))
    );
    assert!(
        c.clocks(PriorityClass::P4, start).is_empty(),
        "P4 measures nothing"
    );
    let terms = c.terms(PriorityClass::P2).unwrap();
    assert_eq!(terms.target(Measure::Contain), None);
    assert_eq!(terms.measured().count(), 2);
    let folded = terms
        .clock(
            Measure::Notify,
            &[crate::SlaTransition::start(start)],
            start,
        )
        .unwrap();
    assert_eq!(folded, clocks[1]);
    assert!(terms.clock(Measure::Resolve, &[], start).is_none());
}

#[test]
fn names_parse_both_ways() {
    for class in PriorityClass::ALL {
        assert_eq!(PriorityClass::parse(class.as_str()), Some(class));
        assert_eq!(
            PriorityClass::parse(&class.as_str().to_lowercase()),
            Some(class)
        );
    }
    assert_eq!(PriorityClass::parse("P5"), None);
    for category in Category::ALL {
        assert_eq!(category.as_str().parse::<Category>(), Ok(category));
    }
    assert!("fire".parse::<Category>().is_err());
    assert_eq!(serde_json::to_string(&PriorityClass::P3).unwrap(), "\"P3\"");
    assert_eq!(
        serde_json::to_string(&Measure::Contain).unwrap(),
        "\"contain\""
    );
    assert_eq!(
        Measure::ALL.map(|m| m.to_string()).join(","),
        "acknowledge,notify,contain,resolve"
    );
}
