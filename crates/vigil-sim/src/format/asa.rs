//! The remote-access VPN: a Cisco ASA (AnyConnect) sending RFC 3164 syslog,
//! facility local4, messages `%ASA-<level>-<id>: <text>`.

use vigil_model::Timestamp;

/// The RFC 3164 header and ASA tag for message `id` at `level`.
fn line(at: Timestamp, gateway: &str, level: u8, id: u32, text: &str) -> String {
    // Facility local4 (20); the syslog severity is the ASA level.
    let pri = 20 * 8 + u32::from(level);
    format!(
        "<{pri}>{} {gateway} %ASA-{level}-{id}: {text}",
        at.format("%b %e %H:%M:%S")
    )
}

/// 113005: the AAA server rejected the user's credentials.
pub fn auth_rejected(at: Timestamp, gateway: &str, server: &str, user: &str, peer: &str) -> String {
    line(
        at,
        gateway,
        6,
        113005,
        &format!(
            "AAA user authentication Rejected : reason = AAA failure : server = {server} : user = {user} : user IP = {peer}"
        ),
    )
}

/// 113004: the AAA server accepted the user's credentials.
pub fn auth_success(at: Timestamp, gateway: &str, server: &str, user: &str) -> String {
    line(
        at,
        gateway,
        6,
        113004,
        &format!("AAA user authentication Successful : server = {server} : user = {user}"),
    )
}

/// 113039: an AnyConnect parent session started.
pub fn session_started(
    at: Timestamp,
    gateway: &str,
    group: &str,
    user: &str,
    peer: &str,
) -> String {
    line(
        at,
        gateway,
        6,
        113039,
        &format!("Group <{group}> User <{user}> IP <{peer}> AnyConnect parent session started."),
    )
}

/// 722051: the tunnel got its inside address.
pub fn address_assigned(
    at: Timestamp,
    gateway: &str,
    group: &str,
    user: &str,
    peer: &str,
    assigned: &str,
) -> String {
    line(
        at,
        gateway,
        4,
        722051,
        &format!(
            "Group <{group}> User <{user}> IP <{peer}> IPv4 Address <{assigned}> IPv6 address <::> assigned to session"
        ),
    )
}

/// 113019: the session ended.
#[allow(clippy::too_many_arguments)]
pub fn session_disconnected(
    at: Timestamp,
    gateway: &str,
    group: &str,
    user: &str,
    peer: &str,
    duration_secs: i64,
    bytes_out: u64,
    bytes_in: u64,
    reason: &str,
) -> String {
    let d = duration_secs.max(0);
    line(
        at,
        gateway,
        4,
        113019,
        &format!(
            "Group = {group}, Username = {user}, IP = {peer}, Session disconnected. Session Type: SSL, Duration: {}h:{:02}m:{:02}s, Bytes xmt: {bytes_out}, Bytes rcv: {bytes_in}, Reason: {reason}",
            d / 3600,
            (d / 60) % 60,
            d % 60
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_rfc3164_with_asa_tags() {
        let at = chrono::DateTime::from_timestamp(1_796_119_200, 0).unwrap(); // 2026-12-01T10:00:00Z
        let l = auth_rejected(at, "vpn-gw01", "10.20.1.10", "jdoe", "203.0.113.9");
        assert_eq!(
            l,
            "<166>Dec  1 10:00:00 vpn-gw01 %ASA-6-113005: AAA user authentication Rejected : reason = AAA failure : server = 10.20.1.10 : user = jdoe : user IP = 203.0.113.9"
        );
        let d = session_disconnected(
            at,
            "vpn-gw01",
            "Engineers",
            "jdoe",
            "203.0.113.9",
            3723,
            1,
            2,
            "User Requested",
        );
        assert!(d.starts_with("<164>Dec  1 10:00:00 vpn-gw01 %ASA-4-113019: "));
        assert!(d.contains("Duration: 1h:02m:03s"));
    }
}
