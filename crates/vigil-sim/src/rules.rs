//! The ids of Vigil's shipped Sigma rules (in the repository's `rules/`
//! folder) that the simulator's attack stories are expected to fire, and of
//! the general rules for the same sources.

/// `rules/physical/door_forced_open.yml`.
pub const DOOR_FORCED_OPEN: &str = "15dd5974-2a8d-4baf-8695-9b32aa3355d1";
/// `rules/video/camera_tamper.yml`.
pub const CAMERA_TAMPER: &str = "b4d4c47e-ab65-46c9-99fc-eaa29a41f86d";
/// `rules/windows/powershell_encoded_download_cradle.yml`.
pub const ENCODED_POWERSHELL_DOWNLOAD: &str = "baa912a8-cd37-498b-baa5-ba8e49ff0d15";
/// `rules/windows/lsass_dump_comsvcs.yml`.
pub const LSASS_DUMP_COMSVCS: &str = "371328e4-d850-4708-9a26-7ab4ef8d7d71";
/// `rules/windows/mimikatz_command_line.yml`.
pub const MIMIKATZ_COMMAND_LINE: &str = "ea4bd46c-e49d-4821-a1c9-38dbca522782";
/// `rules/network/ot_protocol_from_it.yml`.
pub const OT_PROTOCOL_FROM_IT: &str = "e6fe7372-a997-4edd-85df-de277b3330ee";
/// `rules/vpn/vpn_authentication_failure.yml`: every failure; it feeds the
/// brute-force correlation and raises no alert of its own.
pub const VPN_AUTHENTICATION_FAILURE: &str = "4dd66601-fac7-4665-9b94-0a9474a0c7f3";
/// `rules/vpn/vpn_session_started.yml`: every VPN session; it feeds the
/// brute-force correlation and raises no alert of its own.
pub const VPN_SESSION_STARTED: &str = "0b6f7c52-3c1e-4d7a-9f0e-5a2d8c9e1b47";
/// `rules/vpn/vpn_failure_burst.yml`: the correlation of ten failures for one
/// user from one address (a step of the brute force; no alert of its own).
pub const VPN_FAILURE_BURST: &str = "6a0c3d1e-8f4b-4e2a-b7d9-2c5e1f3a9d80";
/// `rules/vpn/vpn_brute_force.yml`: the correlation of a failure burst then a
/// session for the same user from the same address within ten minutes.
pub const VPN_BRUTE_FORCE: &str = "9c2e7b14-5d3a-4f81-a6c0-7e9b2d4f1a35";
/// `rules/physical/terminated_badge_access_granted.yml`.
pub const TERMINATED_BADGE_ACCESS_GRANTED: &str = "d68f8d25-e3c8-4473-8f77-cb9f818ab2b2";
/// `rules/physical/door_held_open.yml`.
pub const DOOR_HELD_OPEN: &str = "3eb609a1-e515-4792-a438-8052743dff6e";
/// `rules/video/camera_signal_loss.yml`.
pub const CAMERA_SIGNAL_LOSS: &str = "728d27f7-279a-42ec-aba8-abf13b5cc9fe";
/// `rules/sensors/temperature_high.yml`.
pub const TEMPERATURE_HIGH: &str = "8d65aa0c-81cb-4ac7-a1be-db9177a42027";
/// `rules/sensors/water_leak.yml`.
pub const WATER_LEAK: &str = "e881bd9e-a32a-412e-b2e4-a72c0c968b0c";
/// `rules/device/device_offline.yml`.
pub const DEVICE_OFFLINE: &str = "7a137aa5-8df3-4a70-bf36-f1289d3ae6f9";
/// `rules/physical/access_denied_anti_passback.yml`.
pub const ACCESS_DENIED_ANTI_PASSBACK: &str = "9b05943b-6a28-4b9f-99a2-e116cc3df178";

/// Every shipped rule: (id, path under `rules/`).
pub const ALL: &[(&str, &str)] = &[
    (DOOR_FORCED_OPEN, "physical/door_forced_open.yml"),
    (CAMERA_TAMPER, "video/camera_tamper.yml"),
    (
        ENCODED_POWERSHELL_DOWNLOAD,
        "windows/powershell_encoded_download_cradle.yml",
    ),
    (LSASS_DUMP_COMSVCS, "windows/lsass_dump_comsvcs.yml"),
    (MIMIKATZ_COMMAND_LINE, "windows/mimikatz_command_line.yml"),
    (OT_PROTOCOL_FROM_IT, "network/ot_protocol_from_it.yml"),
    (
        VPN_AUTHENTICATION_FAILURE,
        "vpn/vpn_authentication_failure.yml",
    ),
    (VPN_SESSION_STARTED, "vpn/vpn_session_started.yml"),
    (VPN_FAILURE_BURST, "vpn/vpn_failure_burst.yml"),
    (VPN_BRUTE_FORCE, "vpn/vpn_brute_force.yml"),
    (
        TERMINATED_BADGE_ACCESS_GRANTED,
        "physical/terminated_badge_access_granted.yml",
    ),
    (DOOR_HELD_OPEN, "physical/door_held_open.yml"),
    (CAMERA_SIGNAL_LOSS, "video/camera_signal_loss.yml"),
    (TEMPERATURE_HIGH, "sensors/temperature_high.yml"),
    (WATER_LEAK, "sensors/water_leak.yml"),
    (DEVICE_OFFLINE, "device/device_offline.yml"),
    (
        ACCESS_DENIED_ANTI_PASSBACK,
        "physical/access_denied_anti_passback.yml",
    ),
];

/// `rules/device/transmission_path_lost.yml`: a supervised device missed
/// its reporting interval.
pub const TRANSMISSION_PATH_LOST: &str = "638c8a3c-6b9d-4723-8e03-84a6db87f44f";
/// `rules/device/panel_intrusion_alarm.yml`: a panel reports a burglary
/// or tamper alarm.
pub const PANEL_INTRUSION_ALARM: &str = "9c01e7fc-0f7a-468b-b92e-e62788e7b046";
/// `rules/device/panel_life_safety_alarm.yml`: a panel reports fire, panic,
/// duress or a medical emergency.
pub const PANEL_LIFE_SAFETY_ALARM: &str = "75830c89-a8ad-4311-9a3b-4bf88972e125";
/// `rules/converged/mr_door_open_camera_blinded.yml` (correlation).
pub const DOOR_OPEN_CAMERA_BLINDED: &str = "3b96c8f2-6f89-449e-9445-6ca75ab8fd5f";
/// `rules/converged/mr_present_in_two_places.yml` (correlation).
pub const PRESENT_IN_TWO_PLACES: &str = "3f94477b-993a-4d00-9a23-8c3e9497f7b5";
/// `rules/converged/badge_of_absent_person_used.yml`.
pub const BADGE_OF_ABSENT_PERSON_USED: &str = "624e6d90-c94b-4828-b417-f4b2dbd5c284";
/// `rules/converged/mr_card_trying.yml` (correlation).
pub const CARD_TRYING: &str = "f1930273-9561-47f8-80ad-c01ca2632a21";
/// `rules/converged/mr_path_lost_then_intrusion.yml` (correlation).
pub const PATH_LOST_THEN_INTRUSION: &str = "8df75348-a5a9-4fb8-ad9c-8f5818ac6417";
/// `rules/converged/transmission_path_lost_while_armed.yml`.
pub const PATH_LOST_WHILE_ARMED: &str = "a9a5a61d-ebaf-42fc-904b-0ef7203eab92";
/// `rules/converged/mr_temperature_rise_with_cooling_fault.yml` (correlation).
pub const TEMPERATURE_RISE_WITH_COOLING_FAULT: &str = "fe76b1a2-846b-4c37-b9a9-eb6b9db48ef8";
/// The tailgating rule, written in code (`vigil_estate::converged`): more
/// people counted through a door than badges granted.
pub const TAILGATING: &str = "c5d91e27-8a4b-4f0e-b3c6-29e8f1a7d053";
/// Rules written in code rather than in `rules/` that stories may expect.
pub const CODE_RULES: &[&str] = &[TAILGATING];

/// The inputs of the converged correlations (no alerts of their own).
const CONVERGED_INPUTS: &[(&str, &str)] = &[
    (
        "6e3ed88e-48cd-4003-94f8-390482e4910f",
        "converged/access_denied_at_door.yml",
    ),
    (
        "d2d1dcd8-22be-4c2a-b84a-c4254390ef49",
        "converged/access_granted_at_door.yml",
    ),
    (
        "e192f7b9-065c-4d9e-a078-e7a58b9a32ee",
        "converged/badge_granted_for_known_person.yml",
    ),
    (
        "d0eef0f1-38c4-4357-a97b-12ac04a5eb8f",
        "converged/cooling_unit_fault.yml",
    ),
    (
        "d2862bfb-36b9-4743-bce0-97559c25633f",
        "converged/covering_camera_blinded_or_lost.yml",
    ),
    (
        "a24c4baf-4644-47a5-a638-71c47796fbba",
        "converged/door_forced_or_held_open.yml",
    ),
    (
        "84d20d91-964d-4076-b484-043b5f056c9c",
        "converged/mr_denials_at_one_door.yml",
    ),
    (
        "5abfe2c9-a69b-4006-94c4-8f2d24b9914a",
        "converged/panel_intrusion_alarm.yml",
    ),
    (
        "1953dc85-aba9-4ae3-8c14-dfb9a1a65c4d",
        "converged/panel_transmission_path_lost.yml",
    ),
    (
        "237358bf-39e9-453c-bd78-d9d55eb49779",
        "converged/vpn_login_for_known_person.yml",
    ),
    (
        "d147c94d-281b-4289-b95c-e6af9bcd255b",
        "converged/zone_temperature_high.yml",
    ),
];

/// The estate's shipped rules: (id, path under `rules/`).
pub const ESTATE: &[(&str, &str)] = &[
    (TRANSMISSION_PATH_LOST, "device/transmission_path_lost.yml"),
    (PANEL_INTRUSION_ALARM, "device/panel_intrusion_alarm.yml"),
    (
        PANEL_LIFE_SAFETY_ALARM,
        "device/panel_life_safety_alarm.yml",
    ),
    (
        DOOR_OPEN_CAMERA_BLINDED,
        "converged/mr_door_open_camera_blinded.yml",
    ),
    (
        PRESENT_IN_TWO_PLACES,
        "converged/mr_present_in_two_places.yml",
    ),
    (
        BADGE_OF_ABSENT_PERSON_USED,
        "converged/badge_of_absent_person_used.yml",
    ),
    (CARD_TRYING, "converged/mr_card_trying.yml"),
    (
        PATH_LOST_THEN_INTRUSION,
        "converged/mr_path_lost_then_intrusion.yml",
    ),
    (
        PATH_LOST_WHILE_ARMED,
        "converged/transmission_path_lost_while_armed.yml",
    ),
    (
        TEMPERATURE_RISE_WITH_COOLING_FAULT,
        "converged/mr_temperature_rise_with_cooling_fault.yml",
    ),
];

/// Every estate rule file, outermost rules and correlation inputs alike.
pub fn estate_files() -> impl Iterator<Item = (&'static str, &'static str)> {
    ESTATE.iter().chain(CONVERGED_INPUTS).copied()
}
