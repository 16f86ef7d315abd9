use super::*;

fn inside(range: &str, version: &str) -> Containment {
    let v = Version::parse(version).unwrap_or_else(|| panic!("{version} is a version"));
    Range::parse(range).contains(&v)
}

use Containment::{Inside, Outside, Unknown};

#[test]
fn vers_ranges() {
    assert_eq!(inside("vers:all/*", "1.0"), Inside);
    assert_eq!(inside("vers:all/<V3.1.4", "V3.1.3"), Inside);
    assert_eq!(inside("vers:all/<V3.1.4", "3.1.4"), Outside);
    assert_eq!(inside("vers:all/>=V11.5.1|<V11.6.2", "11.5.1"), Inside);
    assert_eq!(inside("vers:all/>=V11.5.1|<V11.6.2", "11.6.2"), Outside);
    assert_eq!(inside("vers:all/>=V11.5.1|<V11.6.2", "11.5.0"), Outside);
    assert_eq!(inside("vers:generic/1.2.3|>=2.0.0|<5.0.0", "1.2.3"), Inside);
    assert_eq!(
        inside("vers:generic/1.2.3|>=2.0.0|<5.0.0", "1.2.4"),
        Outside
    );
    assert_eq!(inside("vers:generic/1.2.3|>=2.0.0|<5.0.0", "4.9"), Inside);
    assert_eq!(inside("vers:generic/<2|>=3|<4|!=3.5", "3.5"), Outside);
    assert_eq!(inside("vers:generic/<2|>=3|<4|!=3.5", "2.5"), Outside);
    assert_eq!(inside("vers:generic/<2|>=3|<4|!=3.5", "1.9"), Inside);
}

#[test]
fn cisa_free_forms() {
    assert_eq!(inside("<=2.80", "2.80"), Inside);
    assert_eq!(inside("<=2.80", "2.81"), Outside);
    assert_eq!(inside(">=V2.8<V3.1.1", "3.1.0"), Inside);
    assert_eq!(inside(">=V2.8<V3.1.1", "2.7.9"), Outside);
    assert_eq!(inside(">=R9.01|<=R10.04", "R10.04"), Inside);
    assert_eq!(inside(">v33.011|<v33.015", "33.011"), Outside);
    assert_eq!(inside(">=\"05\"|<=\"07\"", "06"), Inside);
    assert_eq!(inside("12.0|13.0|14.0", "13.0"), Inside);
    assert_eq!(inside("12.0|13.0|14.0", "13.1"), Outside);
    assert_eq!(inside("v3.00.2", "3.00.2"), Inside);
    assert_eq!(inside("v3.00.2", "3.00.2 CU02"), Outside);
    assert_eq!(inside("<V18_Update_2", "V18 Update 1"), Inside);
    assert_eq!(inside("<V18_Update_2", "V18 Update 2"), Outside);
    assert_eq!(
        inside("All versions < V223.0 Update 10", "V223.0 Update 9"),
        Inside
    );
    assert_eq!(inside("9.90 SP10 and prior", "9.90 SP10"), Inside);
    assert_eq!(inside("9.90 SP10 and prior", "9.90 SP11"), Outside);
    assert_eq!(inside("versions 2.0 and later", "2.1"), Inside);
    assert_eq!(inside("prior to 4.1", "4.0.9"), Inside);
    assert_eq!(inside("SW_4.1.1.10", "4.1.1.10"), Inside);
    assert_eq!(inside("1.4.0_(Build_6221)", "1.4.0 Build 6221"), Inside);
    assert_eq!(inside("1.4.0_(Build_6221)", "1.4.0 Build 6222"), Outside);
    assert_eq!(inside("Firmware__20.011", "V20.011"), Inside);
    assert_eq!(
        inside(
            "<=firmware_FullImg-1023-1007-1011-1009",
            "FullImg-1023-1007-1011-1008"
        ),
        Inside
    );
}

#[test]
fn wildcards() {
    assert_eq!(inside(">=4.0|<4.5.x", "4.4.9"), Inside);
    assert_eq!(inside(">=4.0|<4.5.x", "4.5.1"), Outside);
    assert_eq!(inside("V7.6x", "7.6.3"), Inside);
    assert_eq!(inside("V7.6x", "7.7"), Outside);
    assert_eq!(inside(">=R16x|<=R162.10", "R16.2"), Inside);
}

#[test]
fn one_fix_per_release_line() {
    let r = "<v36.011_v35.013_v34.014";
    assert_eq!(inside(r, "v35.012"), Inside);
    assert_eq!(inside(r, "v35.013"), Outside);
    assert_eq!(inside(r, "v36.010"), Inside);
    assert_eq!(inside(r, "v33.999"), Inside);
    assert_eq!(inside(r, "v37.001"), Outside);
    assert_eq!(
        inside("<V33.017_V34.014_V35.013_V36.011", "V34.013"),
        Inside
    );
}

#[test]
fn conditions_are_kept() {
    let r = Range::parse("<V9.62_installed_on_CP150_and_CP300_devices");
    assert_eq!(r.condition(), Some("installed on CP150 and CP300 devices"));
    assert_eq!(r.contains(&Version::parse("9.61").unwrap()), Inside);
    let r = Range::parse("All versions with maxView Storage Manager < V4.14.00.26068 on Windows");
    assert!(matches!(r.kind(), RangeKind::All));
    assert!(r.condition().unwrap().starts_with("with maxView"));
    let r = Range::parse("vers:all/*_installed_on_CP200_devices");
    assert!(matches!(r.kind(), RangeKind::All));
    let r = Range::parse(">=V3.2.3_<V3.3.0_only_when_manufactured_between_LQN231003");
    assert_eq!(r.contains(&Version::parse("3.2.9").unwrap()), Inside);
    assert!(r.condition().unwrap().starts_with("only when"));
    let r = Range::parse("<V6.23_in_connection_with_using_Create_MyConfig_CMC_<=V6.6");
    assert_eq!(r.contains(&Version::parse("6.22").unwrap()), Inside);
    assert!(r.condition().is_some());
}

#[test]
fn what_cannot_be_read_is_unknown() {
    for range in [
        "<May_1_2024",
        "<8/30/2024",
        "<=The_first_5_digits_of_serial_No._\"26061\"",
        "<with_Nozomi_Guardian_/_CMC_23.4.1",
        "",
        "<",
    ] {
        assert_eq!(inside(range, "1.0"), Unknown, "{range}");
    }
    // A readable range whose versions start differently from the device's.
    assert_eq!(inside("<MP4", "4.0"), Unknown);
    assert_eq!(inside("<MP4", "MP3"), Inside);
}

proptest::proptest! {
    #[test]
    fn parse_and_contains_never_panic(range in "\\PC{0,40}", version in "[0-9a-zA-Z._ -]{1,20}") {
        let r = Range::parse(&range);
        if let Some(v) = Version::parse(&version) {
            let _ = r.contains(&v);
        }
    }
}

fn dotted() -> impl proptest::strategy::Strategy<Value = String> {
    use proptest::prelude::*;
    (
        proptest::collection::vec(0u32..20, 1..4),
        proptest::option::of("(SP|Update|rc)[1-3]"),
    )
        .prop_map(|(nums, suffix)| {
            let mut s = nums
                .iter()
                .map(u32::to_string)
                .collect::<Vec<_>>()
                .join(".");
            if let Some(suffix) = suffix {
                s.push('_');
                s.push_str(&suffix);
            }
            s
        })
}

proptest::proptest! {
    /// A one-sided range agrees with the comparator, and a two-sided one is
    /// the intersection of its sides.
    #[test]
    fn ranges_agree_with_the_comparator(a in dotted(), b in dotted(), c in dotted()) {
        let (va, vb, vc) = (
            Version::parse(&a).expect("a version"),
            Version::parse(&b).expect("a version"),
            Version::parse(&c).expect("a version"),
        );
        let order = va.compare(&vb).expect("numbers first: comparable");
        let expect = |yes: bool| if yes { Inside } else { Outside };
        proptest::prop_assert_eq!(Range::parse(&format!("<V{b}")).contains(&va), expect(order.is_lt()));
        proptest::prop_assert_eq!(Range::parse(&format!("vers:all/<={b}")).contains(&va), expect(order.is_le()));
        proptest::prop_assert_eq!(Range::parse(&format!(">{b}")).contains(&va), expect(order.is_gt()));
        proptest::prop_assert_eq!(Range::parse(&format!(">={b}")).contains(&va), expect(order.is_ge()));
        proptest::prop_assert_eq!(Range::parse(&b).contains(&va), expect(order.is_eq()));
        if vb.compare(&vc).is_some_and(|o| o.is_lt()) {
            let inside = va.compare(&vb).is_some_and(|o| o.is_ge()) && va.compare(&vc).is_some_and(|o| o.is_lt());
            proptest::prop_assert_eq!(Range::parse(&format!(">={b}|<{c}")).contains(&va), expect(inside));
        }
    }
}
