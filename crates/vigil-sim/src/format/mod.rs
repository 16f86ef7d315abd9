//! The sources' own formats: Windows event JSON (Security and Sysmon, flat as
//! in the OTRF Security-Datasets), CEF over RFC 5424 for firewalls, RFC 3164
//! Cisco ASA lines for the VPN gateway, and Vigil's physical-security JSON.

pub mod asa;
pub mod cef;
pub mod physical;
pub mod windows;

use chrono::SecondsFormat;
use vigil_model::Timestamp;

/// RFC 3339 UTC with milliseconds (`2026-11-26T10:00:00.123Z`), as every JSON
/// source and RFC 5424 header here writes time.
pub fn rfc3339_millis(t: Timestamp) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_utc_with_millis() {
        let t = chrono::DateTime::from_timestamp_millis(1_795_000_000_123).unwrap();
        assert_eq!(rfc3339_millis(t), "2026-11-18T11:06:40.123Z");
    }
}
