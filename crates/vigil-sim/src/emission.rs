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
}

impl Payload {
    /// The payload as one line of text: compact JSON for [`Payload::Json`]
    /// (one NDJSON line), the line itself for [`Payload::Syslog`]. Neither
    /// contains a newline.
    pub fn to_line(&self) -> String {
        match self {
            Payload::Json(fields) => serde_json::to_string(fields).unwrap_or_default(),
            Payload::Syslog(line) => line.clone(),
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
