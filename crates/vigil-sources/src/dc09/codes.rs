//! Event code tables: SIA DC-03 two-letter codes and Contact ID (DC-05)
//! three-digit codes, each to an [`AlarmKind`], a restore flag and a
//! description. Codes not listed are kept as [`AlarmKind::Other`] with
//! their code: an unknown code is still an event worth an operator's eye.

use vigil_estate::panel_event::AlarmKind;

/// A SIA code's meaning: kind, restore, description.
pub fn sia_code(code: &str) -> (AlarmKind, bool, &'static str) {
    use AlarmKind as K;
    match code {
        "BA" => (K::Burglary, false, "burglary alarm"),
        "BR" => (K::Burglary, true, "burglary restoral"),
        "BH" => (K::Burglary, true, "burglary alarm restore"),
        "BV" => (K::Burglary, false, "burglary verified"),
        "BT" => (K::Trouble, false, "burglary trouble"),
        "BJ" => (K::Trouble, true, "burglary trouble restore"),
        "FA" => (K::Fire, false, "fire alarm"),
        "FR" => (K::Fire, true, "fire restoral"),
        "FH" => (K::Fire, true, "fire alarm restore"),
        "KA" => (K::Fire, false, "heat alarm"),
        "KR" => (K::Fire, true, "heat restoral"),
        "FT" => (K::Trouble, false, "fire trouble"),
        "FJ" => (K::Trouble, true, "fire trouble restore"),
        "PA" => (K::Panic, false, "panic alarm"),
        "PR" => (K::Panic, true, "panic restoral"),
        "PH" => (K::Panic, true, "panic alarm restore"),
        "HA" => (K::Duress, false, "hold-up (duress) alarm"),
        "HR" => (K::Duress, true, "hold-up restoral"),
        "HH" => (K::Duress, true, "hold-up alarm restore"),
        "MA" => (K::Medical, false, "medical alarm"),
        "MR" => (K::Medical, true, "medical restoral"),
        "QA" => (K::Medical, false, "emergency alarm"),
        "QR" => (K::Medical, true, "emergency restoral"),
        "TA" => (K::Tamper, false, "tamper alarm"),
        "TR" => (K::Tamper, true, "tamper restoral"),
        "ES" => (K::Tamper, false, "expansion device tamper"),
        "EJ" => (K::Tamper, true, "expansion device tamper restore"),
        "JA" => (K::Tamper, false, "user code tamper"),
        "AT" => (K::AcPowerLoss, false, "AC power trouble"),
        "AR" => (K::AcPowerLoss, true, "AC power restoral"),
        "YT" => (K::LowBattery, false, "system battery trouble"),
        "YR" => (K::LowBattery, true, "system battery restoral"),
        "XT" => (K::LowBattery, false, "transmitter battery trouble"),
        "XR" => (K::LowBattery, true, "transmitter battery restoral"),
        "OP" => (K::Opening, false, "opening report"),
        "OA" => (K::Opening, false, "automatic opening"),
        "OG" => (K::Opening, false, "area opened"),
        "OR" => (K::Opening, false, "disarm from alarm"),
        "CL" => (K::Closing, false, "closing report"),
        "CA" => (K::Closing, false, "automatic closing"),
        "CG" => (K::Closing, false, "area closed"),
        "CP" => (K::Closing, false, "automatic arm"),
        "RP" => (K::Test, false, "automatic test"),
        "RX" => (K::Test, false, "manual test"),
        "TX" => (K::Test, false, "test report"),
        "TS" => (K::Test, false, "test start"),
        "TE" => (K::Test, false, "test end"),
        "LT" => (K::Trouble, false, "phone line trouble"),
        "LR" => (K::Trouble, true, "phone line restoral"),
        "YC" => (K::Trouble, false, "communications fail"),
        "YK" => (K::Trouble, true, "communications restoral"),
        "YP" => (K::Trouble, false, "power supply trouble"),
        "YQ" => (K::Trouble, true, "power supply restored"),
        "GA" => (K::Environmental, false, "gas alarm"),
        "GR" => (K::Environmental, true, "gas restoral"),
        "WA" => (K::Environmental, false, "water alarm"),
        "WR" => (K::Environmental, true, "water restoral"),
        "ZA" => (K::Environmental, false, "freeze alarm"),
        "ZR" => (K::Environmental, true, "freeze restoral"),
        "UA" => (K::Burglary, false, "untyped zone alarm"),
        "UR" => (K::Burglary, true, "untyped zone restoral"),
        _ => (K::Other, false, "unclassified SIA code"),
    }
}

/// Whether a SIA code's number is a user number rather than a zone.
pub fn sia_code_names_user(code: &str) -> bool {
    matches!(
        code,
        "OP" | "CL"
            | "OR"
            | "JA"
            | "OK"
            | "CK"
            | "OC"
            | "CE"
            | "CF"
            | "CJ"
            | "CQ"
            | "CR"
            | "OJ"
            | "OL"
            | "OT"
            | "RX"
    )
}

/// Whether a SIA code's number is an area number rather than a zone.
pub fn sia_code_names_area(code: &str) -> bool {
    matches!(
        code,
        "OA" | "CA" | "OG" | "CG" | "CP" | "CI" | "CT" | "CW" | "OI"
    )
}

/// A Contact ID code's meaning for qualifier `q`: kind, restore, description.
/// Qualifier 3 is a restore, except for opening/closing codes, where 1 is
/// an opening (unset) and 3 a closing (set).
pub fn contact_id_code(code: u16, q: char) -> (AlarmKind, bool, &'static str) {
    use AlarmKind as K;
    let restore = q == '3';
    let (kind, description) = match code {
        100 => (K::Medical, "medical"),
        101 => (K::Medical, "personal emergency"),
        102 => (K::Medical, "fail to report in"),
        110 => (K::Fire, "fire alarm"),
        111 => (K::Fire, "smoke"),
        112 => (K::Fire, "combustion"),
        113 => (K::Fire, "water flow"),
        114 => (K::Fire, "heat"),
        115 => (K::Fire, "pull station"),
        116 => (K::Fire, "duct"),
        117 => (K::Fire, "flame"),
        118 => (K::Fire, "fire near alarm"),
        120 => (K::Panic, "panic alarm"),
        121 => (K::Duress, "duress"),
        122 => (K::Panic, "silent panic"),
        123 => (K::Panic, "audible panic"),
        124 => (K::Duress, "duress, access granted"),
        125 => (K::Duress, "duress, egress granted"),
        130 => (K::Burglary, "burglary"),
        131 => (K::Burglary, "perimeter burglary"),
        132 => (K::Burglary, "interior burglary"),
        133 => (K::Burglary, "24-hour burglary"),
        134 => (K::Burglary, "entry/exit burglary"),
        135 => (K::Burglary, "day/night burglary"),
        136 => (K::Burglary, "outdoor burglary"),
        137 => (K::Tamper, "tamper"),
        138 => (K::Burglary, "burglary near alarm"),
        139 => (K::Burglary, "intrusion verifier"),
        140 => (K::Burglary, "general alarm"),
        144 => (K::Tamper, "sensor tamper"),
        145 => (K::Tamper, "expansion module tamper"),
        150 => (K::Environmental, "24-hour non-burglary"),
        151 => (K::Environmental, "gas detected"),
        152 => (K::Environmental, "refrigeration"),
        153 => (K::Environmental, "loss of heat"),
        154 => (K::Environmental, "water leakage"),
        158 => (K::Environmental, "high temperature"),
        159 => (K::Environmental, "low temperature"),
        162 => (K::Environmental, "carbon monoxide"),
        300 => (K::Trouble, "system trouble"),
        301 => (K::AcPowerLoss, "AC loss"),
        302 => (K::LowBattery, "low system battery"),
        309 => (K::LowBattery, "battery test failure"),
        311 => (K::LowBattery, "battery missing"),
        338 => (K::LowBattery, "expansion module low battery"),
        341 => (K::Tamper, "expansion module tamper"),
        350 => (K::Trouble, "communication trouble"),
        351 => (K::Trouble, "telco 1 fault"),
        352 => (K::Trouble, "telco 2 fault"),
        354 => (K::Trouble, "failure to communicate event"),
        373 => (K::Trouble, "fire trouble"),
        380 => (K::Trouble, "sensor trouble"),
        381 => (K::Trouble, "loss of supervision (RF)"),
        383 => (K::Tamper, "sensor tamper"),
        384 => (K::LowBattery, "RF low battery"),
        400 | 401 | 402 | 403 | 407 | 408 | 409 | 441 | 442 => {
            let kind = if restore { K::Closing } else { K::Opening };
            let description = match code {
                401 => "open/close by user",
                402 => "group open/close",
                403 => "automatic open/close",
                407 => "remote arm/disarm",
                408 => "quick arm",
                409 => "keyswitch open/close",
                441 | 442 => "armed stay",
                _ => "open/close",
            };
            return (kind, false, description);
        }
        461 => (K::Tamper, "wrong code entry"),
        601 => (K::Test, "manual trigger test"),
        602 => (K::Test, "periodic test report"),
        603 => (K::Test, "periodic RF transmission"),
        604 => (K::Test, "fire test"),
        607 => (K::Test, "walk test mode"),
        _ => (K::Other, "unclassified Contact ID code"),
    };
    (kind, restore && !kind.is_report(), description)
}

/// Whether a Contact ID code's last group is a user number.
pub fn contact_id_code_names_user(code: u16) -> bool {
    matches!(code, 121 | 313 | 400..=409 | 411..=415 | 421 | 422 | 424 | 425 | 429..=431 | 441 | 442 | 450..=459 | 462..=464 | 466 | 574 | 604 | 607 | 625 | 642 | 652 | 653)
}

#[cfg(test)]
mod tests {
    use super::*;
    use AlarmKind as K;

    #[test]
    fn sia_codes_cover_the_categories_operators_act_on() {
        for (code, kind, restore) in [
            ("FA", K::Fire, false),
            ("FR", K::Fire, true),
            ("BA", K::Burglary, false),
            ("BR", K::Burglary, true),
            ("PA", K::Panic, false),
            ("HA", K::Duress, false),
            ("TA", K::Tamper, false),
            ("TR", K::Tamper, true),
            ("AT", K::AcPowerLoss, false),
            ("AR", K::AcPowerLoss, true),
            ("YT", K::LowBattery, false),
            ("OP", K::Opening, false),
            ("CL", K::Closing, false),
            ("RP", K::Test, false),
            ("ZZ", K::Other, false),
        ] {
            let (k, r, _) = sia_code(code);
            assert_eq!((k, r), (kind, restore), "{code}");
        }
        assert!(sia_code_names_user("OP") && !sia_code_names_user("BA"));
        assert!(sia_code_names_area("CG"));
    }

    #[test]
    fn contact_id_qualifiers_make_restores_and_set_unset() {
        assert_eq!(contact_id_code(130, '1').0, K::Burglary);
        assert!(!contact_id_code(130, '1').1);
        assert!(contact_id_code(130, '3').1, "3 restores an alarm");
        assert_eq!(contact_id_code(110, '1').0, K::Fire);
        assert_eq!(contact_id_code(121, '1').0, K::Duress);
        assert_eq!(contact_id_code(120, '1').0, K::Panic);
        assert_eq!(contact_id_code(137, '1').0, K::Tamper);
        assert_eq!(contact_id_code(301, '1').0, K::AcPowerLoss);
        assert_eq!(contact_id_code(302, '1').0, K::LowBattery);
        assert_eq!(contact_id_code(602, '1').0, K::Test);
        assert_eq!(
            contact_id_code(401, '1'),
            (K::Opening, false, "open/close by user")
        );
        assert_eq!(contact_id_code(401, '3').0, K::Closing);
        assert_eq!(contact_id_code(999, '1').0, K::Other);
        assert!(contact_id_code_names_user(401) && !contact_id_code_names_user(130));
    }
}
