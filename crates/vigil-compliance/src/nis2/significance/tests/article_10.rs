//! Art. 10 (managed service and managed security service providers) and
//! the maintenance exclusion of Art. 3(2).

use super::*;

#[test]
fn art10_a_more_than_30_minutes_unavailable() {
    assert!(!met(
        &large(),
        &unavailable(TimeDelta::minutes(30)),
        "art10_a"
    ));
    assert!(met(
        &large(),
        &unavailable(TimeDelta::seconds(30 * 60 + 1)),
        "art10_a"
    ));
    assert!(met(
        &large(),
        &unavailable(TimeDelta::minutes(31)),
        "art10_a"
    ));
    assert_eq!(
        facts_of(&large(), &unavailable(TimeDelta::minutes(31)), "art10_a"),
        "completely unavailable for 31 min; more than 30 min: yes"
    );
}

#[test]
fn art10_b_over_5_percent_for_more_than_an_hour() {
    let p = large();
    assert!(!met(&p, &limited(None, Some(6.0), 59), "art10_b"));
    assert!(!met(&p, &limited(None, Some(6.0), 60), "art10_b"));
    assert!(met(&p, &limited(None, Some(6.0), 61), "art10_b"));
    assert!(
        !met(&p, &limited(None, Some(5.0), 61), "art10_b"),
        "5 % is not over"
    );
}

#[test]
fn art10_b_counts_are_turned_into_shares_with_the_profile() {
    let p = large(); // 1,000,000 users in the Union
    assert!(met(&p, &limited(Some(50_001), None, 61), "art10_b"));
    assert!(!met(&p, &limited(Some(50_000), None, 61), "art10_b"));
    let text = facts_of(&p, &limited(Some(50_001), None, 61), "art10_b");
    assert!(
        text.contains("50,001 of 1,000,000 users in the Union (5.00 %)"),
        "{text}"
    );
    assert!(text.contains("more than 1 h: yes"), "{text}");
}

#[test]
fn art10_b_more_than_a_million_users_whatever_the_share() {
    let mut p = large();
    p.eu_users = Some(100_000_000);
    assert!(!met(&p, &limited(Some(1_000_000), None, 61), "art10_b"));
    assert!(met(&p, &limited(Some(1_000_001), None, 61), "art10_b"));
    p.eu_users = None;
    assert!(met(&p, &limited(Some(1_000_001), None, 61), "art10_b"));
}

#[test]
fn art10_b_an_unknown_share_is_said() {
    let mut p = large();
    p.eu_users = None;
    assert!(!met(&p, &limited(Some(10), None, 120), "art10_b"));
    let text = facts_of(&p, &limited(Some(10), None, 120), "art10_b");
    assert!(text.contains("share unknown"), "{text}");
}

#[test]
fn art10_c_compromise_by_suspectedly_malicious_action() {
    assert!(met(&large(), &compromise(true, None), "art10_c"));
    assert!(!met(&large(), &compromise(false, None), "art10_c"));
    assert!(!met(&large(), &facts(), "art10_c"));
}

#[test]
fn art10_d_compromise_affecting_over_5_percent() {
    assert!(met(&large(), &compromise(false, Some(5.5)), "art10_d"));
    assert!(!met(&large(), &compromise(false, Some(5.0)), "art10_d"));
    assert!(
        assess(&large(), &compromise(false, Some(5.5)))
            .expect("ok")
            .significant
    );
}

#[test]
fn planned_maintenance_excludes_planned_consequences() {
    let mut f = unavailable(TimeDelta::hours(2));
    assert!(assess(&large(), &f).expect("ok").significant);
    f.planned_maintenance = true;
    let a = assess(&large(), &f).expect("ok");
    assert!(!a.significant);
    assert!(a.excluded_by_maintenance);
    assert!(
        a.criterion("art10_a").expect("a").met,
        "the criterion still says what happened"
    );
}

#[test]
fn planned_maintenance_does_not_excuse_malice_or_exfiltration() {
    let mut f = compromise(true, None);
    f.complete_unavailability = Some(TimeDelta::hours(2));
    f.planned_maintenance = true;
    let a = assess(&large(), &f).expect("ok");
    assert!(a.significant);
    assert!(!a.excluded_by_maintenance);

    let f = IncidentFacts {
        trade_secret_exfiltration_suspected: true,
        planned_maintenance: true,
        ..facts()
    };
    assert!(assess(&large(), &f).expect("ok").significant);
}

#[test]
fn planned_maintenance_without_any_criterion_excludes_nothing() {
    let f = IncidentFacts {
        planned_maintenance: true,
        ..facts()
    };
    let a = assess(&large(), &f).expect("ok");
    assert!(!a.significant);
    assert!(!a.excluded_by_maintenance);
}
