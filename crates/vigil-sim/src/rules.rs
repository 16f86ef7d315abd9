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
/// `rules/vpn/vpn_authentication_failure.yml`.
pub const VPN_AUTHENTICATION_FAILURE: &str = "4dd66601-fac7-4665-9b94-0a9474a0c7f3";
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
