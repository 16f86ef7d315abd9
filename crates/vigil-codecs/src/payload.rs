//! A received message as [`Fields`]: its syslog header, and the CEF or LEEF
//! record it carries.
//!
//! Field names:
//! - syslog header: `facility` and `severity` (numbers), `hostname`,
//!   `app_name`, `procid`, `msgid`, `timestamp` (RFC 3339), `message` (the
//!   whole MSG, always present); structured data flat as
//!   `sd.<SD-ID>.<PARAM-NAME>` (a string, or an array when a name repeats;
//!   `true` for an element without parameters).
//! - CEF: `cef.version` (a number), `cef.vendor`, `cef.product`,
//!   `cef.device_version`, `cef.signature_id`, `cef.name`, `cef.severity`,
//!   and each extension key under its own name (`src`, `suser`, `rt` …).
//! - LEEF: `leef.version` (`1.0`/`2.0`), `leef.vendor`, `leef.product`,
//!   `leef.product_version`, `leef.event_id`, and each attribute under its
//!   own name.
//!
//! Values are strings as the device wrote them. Where a CEF or LEEF key
//! has the same name as a syslog header field, the record's key keeps the
//! name and the header field moves to `syslog.<name>`.

use chrono::SecondsFormat;
use serde_json::Value;
use vigil_model::{Fields, Timestamp};

use crate::cef::{CefError, CefEvent, parse_cef};
use crate::leef::{LeefError, LeefEvent, parse_leef};
use crate::syslog::{SyslogError, SyslogMessage, parse_syslog};

/// Why a message could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MessageError {
    /// The syslog header was malformed.
    #[error(transparent)]
    Syslog(#[from] SyslogError),
    /// The message carried a malformed CEF record (offsets within the record).
    #[error(transparent)]
    Cef(#[from] CefError),
    /// The message carried a malformed LEEF record (offsets within the record).
    #[error(transparent)]
    Leef(#[from] LeefError),
}

/// Decodes one message as it arrives over syslog (a datagram or a TCP
/// frame): the syslog header, and a CEF or LEEF record when MSG holds one.
/// A bare CEF or LEEF record without a syslog header is accepted too.
/// `reference` is the receive time (it supplies the year of BSD times).
pub fn decode_message(input: &[u8], reference: Timestamp) -> Result<Fields, MessageError> {
    let start = input
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(input.len());
    let bare = &input[start..];
    if bare.starts_with(b"CEF:") {
        return Ok(cef_fields(parse_cef(&String::from_utf8_lossy(bare))?));
    }
    if bare.starts_with(b"LEEF:") {
        return Ok(leef_fields(parse_leef(&String::from_utf8_lossy(bare))?));
    }
    let message = parse_syslog(input, reference)?;
    let text = message.message.trim_start();
    let mut fields = if text.starts_with("CEF:") {
        cef_fields(parse_cef(text)?)
    } else if text.starts_with("LEEF:") {
        leef_fields(parse_leef(text)?)
    } else {
        Fields::new()
    };
    add_syslog_fields(&mut fields, message);
    crate::asa::add_fields(&mut fields);
    Ok(fields)
}

/// The fields of a syslog message on its own.
pub fn syslog_fields(message: SyslogMessage) -> Fields {
    let mut fields = Fields::new();
    add_syslog_fields(&mut fields, message);
    fields
}

/// Adds the header fields to a record's fields; a name the record already
/// uses goes under `syslog.<name>` instead.
fn add_syslog_fields(fields: &mut Fields, message: SyslogMessage) {
    let mut put = |name: &str, value: Value| {
        let key = if fields.contains_key(name) {
            format!("syslog.{name}")
        } else {
            name.to_owned()
        };
        fields.insert(key, value);
    };
    put("facility", message.facility.into());
    put("severity", message.severity.into());
    let timestamp = message
        .timestamp
        .map(|t| t.to_rfc3339_opts(SecondsFormat::AutoSi, true));
    let optional = [
        ("hostname", message.hostname),
        ("app_name", message.app_name),
        ("procid", message.procid),
        ("msgid", message.msgid),
        ("timestamp", timestamp),
    ];
    for (name, value) in optional {
        if let Some(value) = value {
            put(name, value.into());
        }
    }
    put("message", message.message.into());
    for element in message.structured_data {
        if element.params.is_empty() {
            fields.insert(format!("sd.{}", element.id), Value::Bool(true));
        }
        for (name, value) in element.params {
            let key = format!("sd.{}.{}", element.id, name);
            match fields.get_mut(&key) {
                Some(Value::Array(values)) => values.push(value.into()),
                Some(first) => *first = Value::Array(vec![first.take(), value.into()]),
                None => {
                    fields.insert(key, value.into());
                }
            }
        }
    }
}

/// The fields of a CEF record.
pub fn cef_fields(event: CefEvent) -> Fields {
    let mut fields: Fields = event
        .extension
        .into_iter()
        .map(|(k, v)| (k, Value::String(v)))
        .collect();
    fields.insert("cef.version".into(), event.version.into());
    fields.insert("cef.vendor".into(), event.vendor.into());
    fields.insert("cef.product".into(), event.product.into());
    fields.insert("cef.device_version".into(), event.device_version.into());
    fields.insert("cef.signature_id".into(), event.signature_id.into());
    fields.insert("cef.name".into(), event.name.into());
    fields.insert("cef.severity".into(), event.severity.to_string().into());
    fields
}

/// The fields of a LEEF record.
pub fn leef_fields(event: LeefEvent) -> Fields {
    let mut fields: Fields = event
        .attributes
        .into_iter()
        .map(|(k, v)| (k, Value::String(v)))
        .collect();
    fields.insert("leef.version".into(), event.version.as_str().into());
    fields.insert("leef.vendor".into(), event.vendor.into());
    fields.insert("leef.product".into(), event.product.into());
    fields.insert("leef.product_version".into(), event.product_version.into());
    fields.insert("leef.event_id".into(), event.event_id.into());
    fields
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{DateTime, Utc};
    use proptest::prelude::*;
    use serde_json::json;

    fn reference() -> Timestamp {
        DateTime::parse_from_rfc3339("2024-03-01T00:00:00Z")
            .unwrap()
            .with_timezone(&Utc)
    }

    fn decode(s: &str) -> Fields {
        decode_message(s.as_bytes(), reference()).unwrap()
    }

    #[test]
    fn syslog_5424_with_structured_data() {
        let f = decode(
            r#"<165>1 2003-10-11T22:14:15.003Z mymachine evntslog - ID47 [exampleSDID@32473 iut="3" eventSource="Application"][origin ip="10.0.0.1" ip="10.0.0.2"][timeQuality] entry"#,
        );
        assert_eq!(f["facility"], json!(20));
        assert_eq!(f["severity"], json!(5));
        assert_eq!(f["hostname"], json!("mymachine"));
        assert_eq!(f["app_name"], json!("evntslog"));
        assert_eq!(f["msgid"], json!("ID47"));
        assert_eq!(f["timestamp"], json!("2003-10-11T22:14:15.003Z"));
        assert_eq!(f["sd.exampleSDID@32473.iut"], json!("3"));
        assert_eq!(f["sd.origin.ip"], json!(["10.0.0.1", "10.0.0.2"]));
        assert_eq!(f["sd.timeQuality"], json!(true));
        assert_eq!(f["message"], json!("entry"));
        assert!(!f.contains_key("procid"));
    }

    #[test]
    fn cef_after_a_bsd_header() {
        let f = decode(
            "<134>Feb 14 19:04:54 fw01 CEF:0|Fortinet|Fortigate|v6.0.3|00013|traffic:forward close|3|src=10.1.100.11 dst=52.53.140.235 FTNTFGTdstcountry=United States",
        );
        assert_eq!(f["cef.vendor"], json!("Fortinet"));
        assert_eq!(f["cef.severity"], json!("3"));
        assert_eq!(f["cef.version"], json!(0));
        assert_eq!(f["FTNTFGTdstcountry"], json!("United States"));
        assert_eq!(f["hostname"], json!("fw01"));
        assert_eq!(f["timestamp"], json!("2024-02-14T19:04:54Z"));
        assert!(f["message"].as_str().unwrap().starts_with("CEF:0|Fortinet"));
    }

    #[test]
    fn leef_in_5424_and_bare_records() {
        let f = decode(
            "<13>1 2024-01-01T00:00:00Z qradar-src app - - - LEEF:2.0|Lancope|StealthWatch|1.0|41|^|src=10.0.1.8^severity=high",
        );
        assert_eq!(f["leef.event_id"], json!("41"));
        assert_eq!(f["src"], json!("10.0.1.8"));
        assert_eq!(
            f["severity"],
            json!("high"),
            "the record's key keeps its name"
        );
        assert_eq!(f["syslog.severity"], json!(5));
        let f = decode("  CEF:0|V|P|1|sig|name|5|suser=alice");
        assert_eq!(
            (f["suser"].clone(), f.contains_key("facility")),
            (json!("alice"), false)
        );
        let f = decode("LEEF:1.0|V|P|1|E|usrName=bob");
        assert_eq!(f["usrName"], json!("bob"));
    }

    #[test]
    fn errors_come_from_the_right_layer() {
        assert!(matches!(
            decode_message(b"garbage", reference()),
            Err(MessageError::Syslog(_))
        ));
        let err = decode_message(
            b"<13>Feb 14 19:04:54 fw01 CEF:0|V|P|1|s|n|99|a=b",
            reference(),
        )
        .unwrap_err();
        assert_eq!(
            err,
            MessageError::Cef(CefError::BadSeverity {
                offset: 16,
                value: "99".into()
            })
        );
        assert!(matches!(
            decode_message(b"<13>1 - - - - - - LEEF:9|x", reference()),
            Err(MessageError::Leef(_))
        ));
    }

    proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
            let _ = decode_message(&bytes, reference());
        }

        #[test]
        fn arbitrary_payloads_behind_a_header_never_panic(prefix in prop_oneof![Just("CEF:0|"), Just("LEEF:2.0|"), Just("LEEF:1.0|a|b|c|d|"), Just("CEF:0|a|b|c|d|e|5|")], body in ".{0,120}") {
            let _ = decode_message(format!("<13>Feb 14 19:04:54 h {prefix}{body}").as_bytes(), reference());
        }
    }
}
