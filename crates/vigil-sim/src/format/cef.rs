//! Firewall traffic logs: CEF in an RFC 5424 syslog line, as FortiGate and
//! PAN-OS send them to a collector.

use vigil_model::Timestamp;

use super::rfc3339_millis;

/// The firewall product, which decides the CEF header and vocabulary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Firewall {
    /// Fortinet FortiGate: `act=accept|deny`, numeric `proto`.
    FortiGate,
    /// Palo Alto Networks PAN-OS: `act=allow|deny`, named `proto`.
    PanOs,
}

/// One forwarded (or refused) session.
#[derive(Debug, Clone)]
pub struct Traffic<'a> {
    /// The firewall's host name.
    pub device: &'a str,
    /// Source address.
    pub src: &'a str,
    /// Source port.
    pub spt: u16,
    /// Destination address.
    pub dst: &'a str,
    /// Destination port.
    pub dpt: u16,
    /// IP protocol number (6 TCP, 17 UDP).
    pub proto: u8,
    /// Whether the policy allowed it.
    pub allowed: bool,
    /// Interface (zone) it came in on.
    pub inbound: &'a str,
    /// Interface (zone) it would leave by.
    pub outbound: &'a str,
    /// The policy (rule) that matched.
    pub policy: &'a str,
    /// The application or service name.
    pub app: &'a str,
    /// The user the firewall knows for the source, if any.
    pub user: Option<&'a str>,
    /// Bytes sent.
    pub bytes_out: u64,
    /// Bytes received.
    pub bytes_in: u64,
}

/// Escapes a CEF extension value (`\` and `=`; newlines as `\n`).
fn ext(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('=', "\\=")
        .replace('\n', "\\n")
        .replace('\r', "\\r")
}

/// The syslog line for `t` at `at`.
pub fn traffic(at: Timestamp, firewall: Firewall, t: &Traffic<'_>) -> String {
    let pri = if t.allowed { 134 } else { 132 };
    let (header, act, proto) = match firewall {
        Firewall::FortiGate => (
            if t.allowed {
                "CEF:0|Fortinet|FortiGate|7.2.8|0000000013|traffic allowed|3|"
            } else {
                "CEF:0|Fortinet|FortiGate|7.2.8|0000000013|traffic denied|5|"
            },
            if t.allowed { "accept" } else { "deny" },
            t.proto.to_string(),
        ),
        Firewall::PanOs => (
            if t.allowed {
                "CEF:0|Palo Alto Networks|PAN-OS|10.2.7|end|TRAFFIC|1|"
            } else {
                "CEF:0|Palo Alto Networks|PAN-OS|10.2.7|deny|TRAFFIC|3|"
            },
            if t.allowed { "allow" } else { "deny" },
            match t.proto {
                6 => "tcp".to_owned(),
                17 => "udp".to_owned(),
                other => other.to_string(),
            },
        ),
    };
    let mut line = format!(
        "<{pri}>1 {} {} CEF - - - {header}rt={} src={} spt={} dst={} dpt={} proto={proto} act={act} deviceInboundInterface={} deviceOutboundInterface={} app={} out={} in={} cs1Label=policy cs1={}",
        rfc3339_millis(at),
        t.device,
        at.timestamp_millis(),
        ext(t.src),
        t.spt,
        ext(t.dst),
        t.dpt,
        ext(t.inbound),
        ext(t.outbound),
        ext(t.app),
        t.bytes_out,
        t.bytes_in,
        ext(t.policy),
    );
    if let Some(user) = t.user {
        line.push_str(" suser=");
        line.push_str(&ext(user));
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fortigate_accept_is_rfc5424_with_cef() {
        let at = chrono::DateTime::from_timestamp_millis(1_795_000_000_123).unwrap();
        let t = Traffic {
            device: "fw-ot-01",
            src: "10.20.20.31",
            spt: 51000,
            dst: "10.50.1.14",
            dpt: 502,
            proto: 6,
            allowed: true,
            inbound: "it-lan",
            outbound: "ot-field",
            policy: "legacy=eng",
            app: "Modbus",
            user: Some("RIVERSIDE\\jdoe"),
            bytes_out: 10,
            bytes_in: 20,
        };
        let line = traffic(at, Firewall::FortiGate, &t);
        assert!(line.starts_with(
            "<134>1 2026-11-18T11:06:40.123Z fw-ot-01 CEF - - - CEF:0|Fortinet|FortiGate|"
        ));
        assert!(line.contains(" dpt=502 proto=6 act=accept deviceInboundInterface=it-lan "));
        assert!(line.contains("cs1=legacy\\=eng"));
        assert!(line.ends_with("suser=RIVERSIDE\\\\jdoe"));
        let deny = traffic(
            at,
            Firewall::PanOs,
            &Traffic {
                allowed: false,
                ..t
            },
        );
        assert!(deny.starts_with("<132>1 "));
        assert!(deny.contains("act=deny") && deny.contains("proto=tcp"));
    }
}
