use super::*;
use chrono::{Duration, TimeDelta, TimeZone, Utc};

use crate::clock::ClockState;
use crate::contract::Measure;

fn tenant(id: &str) -> TenantId {
    TenantId::new(id).expect("a valid tenant id")
}

const VIGIL_TOML: &str = r#"
data_dir = "/var/lib/vigil"

[[tenants]]
id = "northgate"
name = "Northgate Colocation"

[tenants.contract]
default_class = "P2"

[tenants.contract.calendars.office]
time_zone = "Europe/London"
hours = ["mon-fri 08:00-18:00"]

[tenants.contract.classes.P1]
acknowledge = "5m"

[tenants.contract.classes.P2]
calendar = "office"
acknowledge = "30m"
notify = "2h"

[[tenants.contract.rules]]
category = "physical"
min_score = 80
class = "P1"

[[tenants.sites]]
id = "lon1"
name = "London 1"

[[tenants]]
id = "alpha"
name = "Alpha Water"
"#;

#[test]
fn the_default_contract_is_valid_and_as_documented() {
    let c = Contract::default_terms();
    assert_eq!(c.client(), DEFAULT_CLIENT);
    assert_eq!(c.default_class(), PriorityClass::P4);
    let want: [(PriorityClass, [Option<i64>; 4]); 4] = [
        (PriorityClass::P1, [Some(5), Some(15), Some(60), Some(240)]),
        (
            PriorityClass::P2,
            [Some(15), Some(60), Some(240), Some(1440)],
        ),
        (
            PriorityClass::P3,
            [Some(60), Some(240), None, Some(3 * 1440)],
        ),
        (PriorityClass::P4, [Some(240), None, None, Some(7 * 1440)]),
    ];
    for (class, minutes) in want {
        let terms = c.terms(class).unwrap();
        assert!(terms.calendar.is_always(), "{class}");
        assert_eq!(terms.warn_fraction, 0.75);
        assert_eq!(
            terms.targets,
            minutes.map(|m| m.map(TimeDelta::minutes)),
            "{class}"
        );
    }
    assert_eq!(c.class_for_alarm(Category::Cyber, 90.0), PriorityClass::P1);
    assert_eq!(c.class_for_alarm(Category::Cyber, 89.9), PriorityClass::P2);
    assert_eq!(
        c.class_for_alarm(Category::Physical, 70.0),
        PriorityClass::P2
    );
    assert_eq!(
        c.class_for_alarm(Category::Physical, 40.0),
        PriorityClass::P3
    );
    assert_eq!(
        c.class_for_alarm(Category::Physical, 39.0),
        PriorityClass::P4
    );
    assert_eq!(
        c.class_for_incident(Category::Converged, Severity::Critical),
        PriorityClass::P1
    );
    assert_eq!(
        c.class_for_incident(Category::Converged, Severity::High),
        PriorityClass::P2
    );
    assert_eq!(
        c.class_for_incident(Category::Converged, Severity::Medium),
        PriorityClass::P3
    );
    assert_eq!(
        c.class_for_incident(Category::Converged, Severity::Low),
        PriorityClass::P4
    );
}

#[test]
fn contracts_come_from_the_tenants_tables_of_vigil_toml() {
    let set = ContractSet::from_vigil_toml(VIGIL_TOML, None).unwrap();
    let (northgate, alpha) = (tenant("northgate"), tenant("alpha"));
    assert!(set.has_own(&northgate) && !set.has_own(&alpha));
    assert_eq!(set.contract_for(&northgate).client(), "northgate");
    assert_eq!(set.contract_for(&alpha).client(), DEFAULT_CLIENT);
    assert_eq!(
        set.class_for(&northgate, Category::Physical, 85.0),
        PriorityClass::P1
    );
    assert_eq!(
        set.class_for(&northgate, Category::Cyber, 99.0),
        PriorityClass::P2
    );
    assert_eq!(
        set.class_for(&alpha, Category::Cyber, 99.0),
        PriorityClass::P1,
        "the default contract"
    );
    assert_eq!(
        set.class_for_incident(&alpha, Category::Cyber, Severity::Low),
        PriorityClass::P4
    );
    assert_eq!(
        set.class_for(&tenant("unknown"), Category::Cyber, 0.0),
        PriorityClass::P4
    );

    // Friday 17:50 in London: the office-hours clocks wait for Monday.
    let friday = Utc.with_ymd_and_hms(2025, 1, 10, 17, 50, 0).unwrap();
    let clocks = set.clocks_for(&northgate, PriorityClass::P2, friday);
    assert_eq!(
        clocks
            .iter()
            .map(|c| c.target().measure)
            .collect::<Vec<_>>(),
        vec![Measure::Acknowledge, Measure::Notify]
    );
    let r = clocks[0].evaluate(friday + Duration::hours(1));
    assert_eq!(
        r.due,
        Some(Utc.with_ymd_and_hms(2025, 1, 13, 8, 20, 0).unwrap())
    );
    assert_eq!(r.state, ClockState::Running);
    assert_eq!(set.clocks_for(&alpha, PriorityClass::P1, friday).len(), 4);
    assert_eq!(set.default_contract().client(), DEFAULT_CLIENT);
}

#[test]
fn a_bad_contract_in_vigil_toml_names_its_tenant() {
    let text = VIGIL_TOML.replace("acknowledge = \"30m\"", "acknowledge = \"0s\"");
    let e = ContractSet::from_vigil_toml(&text, None).unwrap_err();
    assert_eq!(
        (e.client.as_str(), e.place.as_str()),
        ("northgate", "classes.P2.acknowledge")
    );
    let text = VIGIL_TOML.replace("id = \"alpha\"", "id = \"Alpha Water\"");
    let e = ContractSet::from_vigil_toml(&text, None).unwrap_err();
    assert_eq!((e.client.as_str(), e.place.as_str()), ("Alpha Water", "id"));
    let e = ContractSet::from_vigil_toml("tenants = 3\n", None).unwrap_err();
    assert_eq!(e.place, "tenants");
    let e = ContractSet::from_vigil_toml("[[tenants]]\nname = \"x\"\n", None).unwrap_err();
    assert_eq!((e.client.as_str(), e.place.as_str()), ("tenants[0]", "id"));
    assert!(ContractSet::from_vigil_toml("data_dir = \"/tmp\"\n", None).is_ok());
}

#[test]
fn a_set_can_be_built_by_hand() {
    let mut set = ContractSet::default();
    let own = ContractConfig::from_toml_str("acme", "[classes.P1]\nresolve = \"1h\"\n")
        .and_then(|c| c.validate("acme", None))
        .unwrap();
    assert!(set.insert(tenant("acme"), own.clone()).is_none());
    assert_eq!(set.contract_for(&tenant("acme")), &own);
    assert_eq!(
        set.class_for(&tenant("acme"), Category::Cyber, 100.0),
        PriorityClass::P1
    );
}

#[test]
fn unparseable_vigil_toml_names_the_line() {
    let e =
        ContractSet::from_vigil_toml("[[tenants]]\nid = \"a\"\nid = \"b\"\n", None).unwrap_err();
    let Problem::Shape(message) = &e.problem else {
        panic!("{e:?}")
    };
    assert!(message.starts_with("line 3: "), "{message}");
}
