//! What the simulator hands to the demo: one payload for one source at one time.

use vigil_model::{Fields, SourceId, Timestamp};

/// One event as a source would send it.
#[derive(Debug, Clone, PartialEq)]
pub struct Emission {
    /// When it happened (simulated time, millisecond precision); the payload
    /// carries the same time in its own format.
    pub at: Timestamp,
    /// The binding to deliver it through.
    pub source: SourceId,
    /// The event as the source sends it.
    pub payload: Payload,
}

/// An event in its source's own format.
#[derive(Debug, Clone, PartialEq)]
pub enum Payload {
    /// A JSON object for the NDJSON HTTP ingest (Windows events, Vigil's
    /// physical-security JSON).
    Json(Fields),
    /// A full syslog line without transport framing (RFC 5424 with CEF for
    /// firewalls, RFC 3164 for the VPN gateway).
    Syslog(String),
    /// An alarm panel's SIA DC-09 message; the demo's dialler frames it
    /// (sequence, CRC, encryption) and sends it to the DC-09 receiver.
    Dc09 {
        /// The panel's account.
        account: String,
        /// `SIA-DCS`, `ADM-CID` or `NULL`.
        message_type: String,
        /// The DC-03 or Contact ID payload (`Nri1/BA001`), empty for NULL.
        payload: String,
    },
    /// An ONVIF event notification a camera pushes.
    Onvif {
        /// The camera's id.
        camera: String,
        /// The topic without prefix (`RuleEngine/TamperDetector/Tamper`).
        topic: String,
        /// `Initialized`, `Changed` or `Deleted`.
        operation: String,
        /// `Source` simple items.
        source: Vec<(String, String)>,
        /// `Data` simple items.
        data: Vec<(String, String)>,
    },
    /// A Sparkplug B message from a sensor gateway: the topic and the
    /// metrics (name, value); the publisher encodes the protobuf.
    Sparkplug {
        /// `spBv1.0/<group>/<type>/<node>[/<device>]`.
        topic: String,
        /// The metrics.
        metrics: Vec<(String, f64)>,
    },
}

impl Payload {
    /// The payload as one line of text: compact JSON for [`Payload::Json`]
    /// (one NDJSON line), the line itself for [`Payload::Syslog`]. Neither
    /// contains a newline.
    pub fn to_line(&self) -> String {
        match self {
            Payload::Json(fields) => serde_json::to_string(fields).unwrap_or_default(),
            Payload::Syslog(line) => line.clone(),
            Payload::Dc09 {
                account,
                message_type,
                payload,
            } => format!("DC-09 #{account} {message_type} [{payload}]"),
            Payload::Onvif {
                camera,
                topic,
                operation,
                data,
                ..
            } => format!("ONVIF {camera} {operation} {topic} {data:?}"),
            Payload::Sparkplug { topic, metrics } => format!("MQTT {topic} {metrics:?}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_single_lines() {
        let mut f = Fields::new();
        f.insert("CommandLine".into(), "a\nb".into());
        let line = Payload::Json(f).to_line();
        assert!(!line.contains('\n'));
        assert!(line.contains("a\\nb"));
        assert_eq!(Payload::Syslog("<134>1 x".into()).to_line(), "<134>1 x");
    }
}
