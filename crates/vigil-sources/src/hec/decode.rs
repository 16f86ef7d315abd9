//! HEC requests as Vigil's records: one event per HEC event (the event
//! endpoint) or per line (the raw endpoint).
//!
//! | field | from |
//! |---|---|
//! | the event's own keys | `event` when it is a JSON object, as an NDJSON line's |
//! | `message` | `event` when it is text (or a number, a list …) |
//! | `time` | the envelope's `time` (epoch seconds, fractions allowed), RFC 3339 |
//! | `host`, `source`, `sourcetype`, `index` | the envelope's (the raw endpoint: the query's) |
//! | each indexed field | the envelope's `fields` object, by key |
//!
//! A key the event already has is never overwritten by the envelope.

use serde_json::{Map, Value};
use vigil_model::Fields;

/// One record, decoded or refused, with the bytes it came as.
pub type Record = (Result<Fields, String>, Vec<u8>);

/// The envelope keys copied into an event's fields.
const ENVELOPE_KEYS: [&str; 4] = ["host", "source", "sourcetype", "index"];

/// Why an event was refused, as HEC numbers it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// HEC's status code (6 invalid data format, 12 event field required,
    /// 13 event field blank, 15 indexed fields).
    pub code: u16,
    /// HEC's text for the code.
    pub text: &'static str,
    /// The refused event's place in the request, from 0 (HEC's
    /// `invalid-event-number`).
    pub event_number: usize,
}

/// What a request held: every record in order (refused ones as dead
/// letters to be), and the first refusal.
#[derive(Debug, Default)]
pub struct Decoded {
    /// The records.
    pub records: Vec<Record>,
    /// The first refused event, if any.
    pub problem: Option<Problem>,
}

impl Decoded {
    fn refuse(&mut self, code: u16, text: &'static str, reason: String, raw: &[u8]) {
        let event_number = self.records.len();
        self.problem.get_or_insert(Problem {
            code,
            text,
            event_number,
        });
        self.records.push((Err(reason), raw.to_vec()));
    }
}

/// The events of an event-endpoint body: JSON objects one after another,
/// with or without whitespace between them. Text that does not parse ends
/// the request there: the rest is one dead letter.
pub fn events(body: &[u8]) -> Decoded {
    let mut out = Decoded::default();
    let mut stream = serde_json::Deserializer::from_slice(body).into_iter::<Value>();
    let mut start = 0;
    loop {
        let item = stream.next();
        let end = stream.byte_offset();
        let raw = body[start..end.max(start)].trim_ascii();
        match item {
            None => break,
            Some(Ok(Value::Object(envelope))) => match fields_of(envelope) {
                Ok(fields) => out.records.push((Ok(fields), raw.to_vec())),
                Err((code, text, reason)) => out.refuse(code, text, reason, raw),
            },
            Some(Ok(other)) => out.refuse(
                6,
                "Invalid data format",
                format!("a HEC event is a JSON object, not {}", kind_of(&other)),
                raw,
            ),
            Some(Err(e)) => {
                let rest = body[start..].trim_ascii();
                out.refuse(
                    6,
                    "Invalid data format",
                    format!("the events do not parse as JSON here: {e}"),
                    rest,
                );
                break;
            }
        }
        start = end;
    }
    out
}

/// The fields of one HEC event envelope, or HEC's code, text and the reason.
pub fn fields_of(mut envelope: Map<String, Value>) -> Result<Fields, (u16, &'static str, String)> {
    let mut fields = match envelope.remove("event") {
        None => {
            return Err((
                12,
                "Event field is required",
                "the HEC event has no `event` field".into(),
            ));
        }
        Some(Value::Null) => return Err(blank()),
        Some(Value::String(text)) if text.trim().is_empty() => return Err(blank()),
        Some(Value::Object(map)) => map.into(),
        Some(other) => {
            let mut fields = Fields::new();
            fields.insert("message".into(), other);
            fields
        }
    };
    if let Some(time) = envelope.get("time") {
        let time = time_of(time).ok_or_else(|| {
            (
                6,
                "Invalid data format",
                format!("the HEC event's `time` {time} is not epoch seconds"),
            )
        })?;
        fields.entry("time").or_insert(Value::String(time));
    }
    for key in ENVELOPE_KEYS {
        if let Some(value) = envelope.remove(key) {
            fields.entry(key).or_insert(value);
        }
    }
    match envelope.remove("fields") {
        None | Some(Value::Null) => {}
        Some(Value::Object(indexed)) => {
            for (key, value) in indexed {
                fields.entry(key).or_insert(value);
            }
        }
        Some(other) => {
            return Err((
                15,
                "Error in handling indexed fields",
                format!(
                    "the HEC event's `fields` is {}, not an object",
                    kind_of(&other)
                ),
            ));
        }
    }
    Ok(fields)
}

fn blank() -> (u16, &'static str, String) {
    (
        13,
        "Event field cannot be blank",
        "the HEC event's `event` field is blank".into(),
    )
}

/// The lines of a raw-endpoint body, each an event: a line that is a JSON
/// object gives its keys as fields, any other line is the `message`.
/// `meta` (the query's `host`, `source`, `sourcetype`) is added to each.
pub fn lines(body: &[u8], meta: &[(&'static str, String)]) -> Vec<Record> {
    body.split(|&b| b == b'\n')
        .map(|line| line.strip_suffix(b"\r").unwrap_or(line))
        .filter(|line| !line.trim_ascii().is_empty())
        .map(|line| {
            let fields = match serde_json::from_slice::<Value>(line) {
                Ok(Value::Object(map)) => Ok(map.into()),
                _ => match std::str::from_utf8(line) {
                    Ok(text) => {
                        let mut fields = Fields::new();
                        fields.insert("message".into(), Value::String(text.to_owned()));
                        Ok(fields)
                    }
                    Err(_) => Err("the line is not UTF-8 text".to_owned()),
                },
            };
            let fields = fields.map(|mut fields| {
                for (key, value) in meta {
                    fields
                        .entry(*key)
                        .or_insert_with(|| Value::String(value.clone()));
                }
                fields
            });
            (fields, line.to_vec())
        })
        .collect()
}

/// HEC's `time`: epoch seconds as a number or as text, with fractions,
/// as RFC 3339 (to the millisecond, HEC's precision).
fn time_of(value: &Value) -> Option<String> {
    let seconds = match value {
        Value::Number(n) => n.as_f64()?,
        Value::String(s) => s.trim().parse::<f64>().ok()?,
        _ => return None,
    };
    if !seconds.is_finite() || seconds < 0.0 {
        return None;
    }
    let millis = (seconds * 1000.0).round();
    if millis > i64::MAX as f64 {
        return None;
    }
    let time = chrono::DateTime::from_timestamp_millis(millis as i64)?;
    Some(time.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true))
}

fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}
