use super::*;
use crate::nis2::profile::{AuthorityConfig, EntityType, Sector, Turnover, TurnoverBand};
use chrono::{TimeZone, Utc};
use proptest::prelude::*;
use vigil_model::TenantId;

mod article_10;

fn at(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> Timestamp {
    Utc.with_ymd_and_hms(y, mo, d, h, mi, 0)
        .single()
        .expect("valid fixed instant")
}

fn t0() -> Timestamp {
    at(2025, 8, 31, 10, 0)
}

fn profile(turnover: Turnover, msp: bool) -> Nis2Profile {
    Nis2Profile {
        client: TenantId::new("northgate").expect("slug"),
        sector: Sector::IctServiceManagement,
        entity_type: EntityType::Essential,
        managed_service_provider: msp,
        managed_security_service_provider: false,
        turnover,
        member_state: "AT".into(),
        authority: AuthorityConfig {
            name: "CERT.at".into(),
            contact: "reports@cert.at".into(),
        },
        eu_users: Some(1_000_000),
    }
}

fn large() -> Nis2Profile {
    profile(Turnover::Exact(42_000_000), true)
}

fn facts() -> IncidentFacts {
    IncidentFacts {
        occurred_at: t0(),
        ..IncidentFacts::default()
    }
}

fn met(p: &Nis2Profile, f: &IncidentFacts, id: &str) -> bool {
    let a = assess(p, f).expect("assessable");
    a.criterion(id)
        .unwrap_or_else(|| panic!("criterion {id}"))
        .met
}

fn facts_of(p: &Nis2Profile, f: &IncidentFacts, id: &str) -> String {
    let a = assess(p, f).expect("assessable");
    a.criterion(id).expect("criterion").facts.clone()
}

fn loss(eur: u64) -> IncidentFacts {
    IncidentFacts {
        direct_financial_loss_eur: eur,
        ..facts()
    }
}

#[test]
fn nothing_happened_is_not_significant_and_every_criterion_is_listed() {
    let a = assess(&large(), &facts()).expect("assessable");
    assert!(!a.significant);
    assert!(!a.excluded_by_maintenance);
    let ids: Vec<&str> = a.criteria.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "art3_1_a", "art3_1_b", "art3_1_c", "art3_1_d", "art3_1_e", "art4", "art10_a",
            "art10_b", "art10_c", "art10_d"
        ]
    );
    assert!(
        a.criteria
            .iter()
            .all(|c| c.article.starts_with("Reg. (EU) 2024/2690, Art."))
    );
    assert_eq!(a.met().count(), 0);
}

#[test]
fn article_10_is_assessed_only_for_managed_service_providers() {
    let a = assess(&profile(Turnover::Exact(42_000_000), false), &facts()).expect("ok");
    assert!(a.criteria.iter().all(|c| !c.id.starts_with("art10")));
    let mut mssp = profile(Turnover::Exact(42_000_000), false);
    mssp.managed_security_service_provider = true;
    assert!(
        assess(&mssp, &facts())
            .expect("ok")
            .criterion("art10_a")
            .is_some()
    );
}

#[test]
fn art3_1_a_loss_must_exceed_500_000() {
    assert!(!met(&large(), &loss(500_000), "art3_1_a"));
    assert!(met(&large(), &loss(500_001), "art3_1_a"));
    assert!(assess(&large(), &loss(500_001)).expect("ok").significant);
    let text = facts_of(&large(), &loss(500_000), "art3_1_a");
    assert_eq!(
        text,
        "direct financial loss EUR 500,000 does not exceed the threshold EUR 500,000 (5 % of the annual turnover EUR 42,000,000 is EUR 2,100,000)"
    );
}

#[test]
fn art3_1_a_small_entity_uses_5_percent_of_turnover() {
    let small = profile(Turnover::Exact(2_000_000), false);
    assert!(!met(&small, &loss(100_000), "art3_1_a"));
    assert!(met(&small, &loss(100_001), "art3_1_a"));
    let text = facts_of(&small, &loss(100_001), "art3_1_a");
    assert!(
        text.contains("exceeds the threshold EUR 100,000 (5 % of the annual turnover EUR 2,000,000, lower than EUR 500,000)"),
        "{text}"
    );
}

#[test]
fn art3_1_a_five_percent_is_compared_to_the_cent() {
    // 5 % of EUR 2,000,010 is EUR 100,000.50: EUR 100,000 is under it,
    // EUR 100,001 over.
    let p = profile(Turnover::Exact(2_000_010), false);
    assert!(!met(&p, &loss(100_000), "art3_1_a"));
    assert!(met(&p, &loss(100_001), "art3_1_a"));
    assert!(facts_of(&p, &loss(100_000), "art3_1_a").contains("EUR 100,000.50"));
}

#[test]
fn art3_1_a_at_ten_million_both_bounds_are_500_000() {
    let p = profile(Turnover::Exact(10_000_000), false);
    assert!(!met(&p, &loss(500_000), "art3_1_a"));
    assert!(met(&p, &loss(500_001), "art3_1_a"));
}

#[test]
fn art3_1_a_with_a_band_uses_500_000() {
    let p = profile(Turnover::Band(TurnoverBand::Medium), false);
    assert!(!met(&p, &loss(500_000), "art3_1_a"));
    assert!(met(&p, &loss(500_001), "art3_1_a"));
    assert!(facts_of(&p, &loss(1), "art3_1_a").contains("band medium"));
}

#[test]
fn art3_1_b_trade_secrets() {
    let f = IncidentFacts {
        trade_secret_exfiltration_suspected: true,
        ..facts()
    };
    assert!(met(&large(), &f, "art3_1_b"));
    assert!(!met(&large(), &facts(), "art3_1_b"));
}

#[test]
fn art3_1_c_death_caused_or_possible() {
    let died = IncidentFacts {
        deaths: 1,
        ..facts()
    };
    let possible = IncidentFacts {
        death_possible: true,
        ..facts()
    };
    assert!(met(&large(), &died, "art3_1_c"));
    assert!(met(&large(), &possible, "art3_1_c"));
    assert!(!met(&large(), &facts(), "art3_1_c"));
    assert_eq!(
        facts_of(&large(), &died, "art3_1_c"),
        "deaths: 1; capable of causing a death: no"
    );
}

#[test]
fn art3_1_d_health() {
    let f = IncidentFacts {
        considerable_health_damage: true,
        ..facts()
    };
    assert!(met(&large(), &f, "art3_1_d"));
    assert!(!met(&large(), &facts(), "art3_1_d"));
}

#[test]
fn art3_1_e_needs_success_malice_and_severe_disruption() {
    let access = |successful, suspectedly_malicious, capable_of_severe_disruption| IncidentFacts {
        unauthorised_access: Some(UnauthorisedAccess {
            successful,
            suspectedly_malicious,
            capable_of_severe_disruption,
        }),
        ..facts()
    };
    assert!(met(&large(), &access(true, true, true), "art3_1_e"));
    assert!(!met(&large(), &access(true, true, false), "art3_1_e"));
    assert!(!met(&large(), &access(false, true, true), "art3_1_e"));
    assert!(!met(&large(), &access(true, false, true), "art3_1_e"));
}

fn recurring(current_eur: u64, previous: Vec<PreviousIncident>) -> IncidentFacts {
    IncidentFacts {
        direct_financial_loss_eur: current_eur,
        apparent_root_cause: Some("Unpatched  VPN appliance".into()),
        previous_incidents: previous,
        ..facts()
    }
}

fn earlier(when: Timestamp, cause: &str, eur: u64) -> PreviousIncident {
    PreviousIncident {
        reference: Some("INC-7".into()),
        at: when,
        apparent_root_cause: cause.into(),
        direct_financial_loss_eur: eur,
        significant: false,
    }
}

#[test]
fn art4_twice_within_six_months_with_the_same_cause_together_over_the_threshold() {
    let f = recurring(
        300_000,
        vec![earlier(
            at(2025, 5, 31, 10, 0),
            "unpatched vpn appliance",
            250_000,
        )],
    );
    let a = assess(&large(), &f).expect("ok");
    assert!(
        !a.criterion("art3_1_a").expect("a").met,
        "each alone is under"
    );
    assert!(a.criterion("art4").expect("art4").met);
    assert!(a.significant);
    let text = &a.criterion("art4").expect("art4").facts;
    assert!(text.contains("2 incident(s)"), "{text}");
    assert!(text.contains("since 2025-02-28 10:00 UTC"), "{text}");
    assert!(
        text.contains("INC-7 on 2025-05-31 10:00 UTC (EUR 250,000)"),
        "{text}"
    );
    assert!(text.contains("together EUR 550,000 exceed"), "{text}");
}

#[test]
fn art4_six_months_counts_calendar_months_clamped_at_the_month_end() {
    // 31 August back six months is 28 February (2025 is not a leap year).
    let edge = recurring(
        300_000,
        vec![earlier(
            at(2025, 2, 28, 10, 0),
            "unpatched vpn appliance",
            250_000,
        )],
    );
    assert!(met(&large(), &edge, "art4"), "exactly six months is within");
    let day_more = recurring(
        300_000,
        vec![earlier(
            at(2025, 2, 27, 10, 0),
            "unpatched vpn appliance",
            250_000,
        )],
    );
    assert!(
        !met(&large(), &day_more, "art4"),
        "six months and a day is not"
    );
    let minute_more = recurring(
        300_000,
        vec![earlier(
            at(2025, 2, 28, 9, 59),
            "unpatched vpn appliance",
            250_000,
        )],
    );
    assert!(!met(&large(), &minute_more, "art4"));
}

#[test]
fn art4_near_misses() {
    let p = large();
    // Together exactly EUR 500,000: does not exceed.
    let exact = recurring(
        250_000,
        vec![earlier(
            at(2025, 6, 1, 0, 0),
            "unpatched vpn appliance",
            250_000,
        )],
    );
    assert!(!met(&p, &exact, "art4"));
    // Another root cause.
    let other = recurring(
        300_000,
        vec![earlier(at(2025, 6, 1, 0, 0), "phishing", 250_000)],
    );
    assert!(!met(&p, &other, "art4"));
    // The earlier one was itself significant (and reported).
    let mut reported = earlier(at(2025, 6, 1, 0, 0), "unpatched vpn appliance", 250_000);
    reported.significant = true;
    assert!(!met(&p, &recurring(300_000, vec![reported]), "art4"));
    // Once only, however large.
    let once = recurring(900_000, vec![]);
    assert!(!met(&p, &once, "art4"));
    assert!(met(&p, &once, "art3_1_a"));
    // No root cause recorded for this incident.
    let mut unknown = recurring(
        300_000,
        vec![earlier(
            at(2025, 6, 1, 0, 0),
            "unpatched vpn appliance",
            250_000,
        )],
    );
    unknown.apparent_root_cause = Some("  ".into());
    assert!(!met(&p, &unknown, "art4"));
    assert!(facts_of(&p, &unknown, "art4").contains("no apparent root cause"));
}

#[test]
fn art4_small_entity_uses_its_own_threshold_and_three_occurrences_add_up() {
    let small = profile(Turnover::Exact(2_000_000), false);
    let f = recurring(
        40_000,
        vec![
            earlier(at(2025, 4, 1, 0, 0), "unpatched vpn appliance", 30_000),
            earlier(at(2025, 7, 1, 0, 0), "UNPATCHED VPN APPLIANCE", 30_001),
        ],
    );
    assert!(met(&small, &f, "art4"), "EUR 100,001 over EUR 100,000");
    let f = recurring(
        40_000,
        vec![
            earlier(at(2025, 4, 1, 0, 0), "unpatched vpn appliance", 30_000),
            earlier(at(2025, 7, 1, 0, 0), "unpatched vpn appliance", 30_000),
        ],
    );
    assert!(!met(&small, &f, "art4"), "EUR 100,000 is not over");
}

fn unavailable(d: TimeDelta) -> IncidentFacts {
    IncidentFacts {
        complete_unavailability: Some(d),
        ..facts()
    }
}

fn limited(affected: Option<u64>, percent: Option<f64>, minutes: i64) -> IncidentFacts {
    IncidentFacts {
        limited_availability: Some(LimitedAvailability {
            users: UserShare { affected, percent },
            lasted: TimeDelta::minutes(minutes),
        }),
        ..facts()
    }
}

fn compromise(suspectedly_malicious: bool, percent: Option<f64>) -> IncidentFacts {
    IncidentFacts {
        data_compromise: Some(DataCompromise {
            suspectedly_malicious,
            users: UserShare {
                affected: None,
                percent,
            },
        }),
        ..facts()
    }
}

#[test]
fn bad_facts_are_refused_naming_the_field() {
    let err = assess(&large(), &unavailable(TimeDelta::minutes(-1))).expect_err("negative");
    assert_eq!(
        err,
        FactsError::NegativeDuration {
            field: "complete_unavailability_seconds"
        }
    );
    let err = assess(&large(), &limited(None, Some(101.0), 61)).expect_err("percent");
    assert!(
        err.to_string()
            .contains("limited_availability.users.percent"),
        "{err}"
    );
    assert!(assess(&large(), &compromise(false, Some(f64::NAN))).is_err());

    let later = recurring(1, vec![earlier(at(2025, 9, 1, 0, 0), "x", 1)]);
    let err = assess(&large(), &later).expect_err("after");
    assert!(
        err.to_string().contains("previous_incidents[0].at"),
        "{err}"
    );
    let blank = recurring(1, vec![earlier(at(2025, 7, 1, 0, 0), " ", 1)]);
    assert_eq!(
        assess(&large(), &blank).expect_err("blank"),
        FactsError::BlankRootCause { index: 0 }
    );
}

#[test]
fn an_analyst_confirms_or_changes_the_proposal() {
    let a = assess(&large(), &loss(600_000)).expect("ok");
    let when = at(2025, 8, 31, 11, 0);
    let c = a.confirm("j.doe", when).expect("confirmed");
    assert!(c.significant && c.proposed && !c.changed());
    assert_eq!(c.reason, None);

    assert_eq!(
        a.decide("j.doe", when, false, "  ").expect_err("no reason"),
        ConfirmationError::ChangeWithoutReason { proposed: true }
    );
    let c = a
        .decide(
            "j.doe",
            when,
            false,
            "loss estimate revised to EUR 50,000 by the client's CFO",
        )
        .expect("changed with reason");
    assert!(c.changed());
    assert!(!c.significant);
    assert_eq!(c.by, "j.doe");
    assert_eq!(c.at, when);

    assert_eq!(
        a.confirm(" ", when).expect_err("nobody"),
        ConfirmationError::NoAnalyst
    );
    let msg = a
        .decide("j.doe", when, false, "")
        .expect_err("x")
        .to_string();
    assert!(msg.contains("proposed significant"), "{msg}");
}

#[test]
fn facts_read_from_json_with_durations_in_seconds() {
    let json = r#"{
        "occurred_at": "2025-08-31T10:00:00Z",
        "complete_unavailability_seconds": 1860,
        "limited_availability": {"users": {"percent": 6.0}, "lasted_seconds": 3660},
        "data_compromise": {"suspectedly_malicious": false},
        "apparent_root_cause": "phishing",
        "previous_incidents": [{"at": "2025-07-01T00:00:00Z", "apparent_root_cause": "phishing"}]
    }"#;
    let f: IncidentFacts = serde_json::from_str(json).expect("facts");
    assert_eq!(f.complete_unavailability, Some(TimeDelta::minutes(31)));
    assert!(met(&large(), &f, "art10_a"));
    assert!(met(&large(), &f, "art10_b"));
    let back: IncidentFacts =
        serde_json::from_str(&serde_json::to_string(&f).expect("ser")).expect("de");
    assert_eq!(back, f);
    assert!(
        serde_json::from_str::<IncidentFacts>(r#"{"occurred_at":"2025-08-31T10:00:00Z","loss":1}"#)
            .is_err()
    );
}

proptest! {
    // Any facts are either assessed or refused; assessment never panics, and
    // `significant` agrees with the criteria met.
    #[test]
    fn assessment_is_total_and_consistent(
        loss in any::<u64>(),
        turnover in any::<u64>(),
        unavailable_s in proptest::option::of(-10_000i64..10_000_000),
        percent in proptest::option::of(-1.0f64..120.0),
        affected in proptest::option::of(any::<u64>()),
        previous in proptest::collection::vec((0i64..400, any::<u64>(), any::<bool>()), 0..4),
        maintenance in any::<bool>(),
    ) {
        let p = profile(Turnover::Exact(turnover), true);
        let f = IncidentFacts {
            direct_financial_loss_eur: loss,
            complete_unavailability: unavailable_s.map(TimeDelta::seconds),
            data_compromise: Some(DataCompromise {
                suspectedly_malicious: false,
                users: UserShare { affected, percent },
            }),
            apparent_root_cause: Some("cause".into()),
            previous_incidents: previous
                .into_iter()
                .map(|(days, eur, significant)| PreviousIncident {
                    reference: None,
                    at: t0() - TimeDelta::days(days),
                    apparent_root_cause: "cause".into(),
                    direct_financial_loss_eur: eur,
                    significant,
                })
                .collect(),
            planned_maintenance: maintenance,
            ..facts()
        };
        if let Ok(a) = assess(&p, &f) {
            let any_met = a.met().count() > 0;
            prop_assert_eq!(a.significant || a.excluded_by_maintenance, any_met);
        }
    }

    // A larger loss never turns Art. 3(1)(a) from met to not met.
    #[test]
    fn the_loss_criterion_is_monotonic(a in any::<u64>(), b in any::<u64>(), t in any::<u64>()) {
        let p = profile(Turnover::Exact(t), false);
        let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
        prop_assert!(!met(&p, &loss(lo), "art3_1_a") || met(&p, &loss(hi), "art3_1_a"));
    }
}
