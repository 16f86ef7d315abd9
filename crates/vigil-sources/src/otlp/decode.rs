//! OTLP log records as Vigil's fields: one event per record.
//!
//! | field | from |
//! |---|---|
//! | `time`, `observed_time` | `time_unix_nano`, `observed_time_unix_nano` (RFC 3339; `time` falls back to the observed time) |
//! | `message` / `body` | a string body / any other body, as JSON |
//! | `severity` | `severity_number` in Vigil's words (FATAL critical, ERROR high, WARN medium, else info) |
//! | `severity_text`, `severity_number` | as sent |
//! | every record attribute | its own key (one that clashes with the above goes under `attributes`) |
//! | `resource` | the resource attributes, by key; `host.name` and `service.name` also as `host` and `service` |
//! | `scope` | the instrumentation scope's name |
//! | `trace_id`, `span_id`, `event_name` | as sent (ids in hex) |

use base64::Engine;
use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_proto::tonic::common::v1::{AnyValue, KeyValue, any_value};
use opentelemetry_proto::tonic::logs::v1::LogRecord;
use serde_json::{Map, Value};
use vigil_model::Fields;

use crate::wire::time_of_unix_nanos;

/// One record, decoded, with the bytes it is kept as (its OTLP/JSON).
pub type Record = (Result<Fields, String>, Vec<u8>);

/// The records of a request body, OTLP/JSON when `json`, else protobuf;
/// the error says why the body is not an `ExportLogsServiceRequest`.
pub fn records_of_body(json: bool, body: &[u8]) -> Result<Vec<Record>, String> {
    use prost::Message;
    let request = if json {
        serde_json::from_slice(body).map_err(|e| e.to_string())?
    } else {
        ExportLogsServiceRequest::decode(body).map_err(|e| e.to_string())?
    };
    Ok(records(&request))
}

/// Every log record of a request, in order.
pub fn records(request: &ExportLogsServiceRequest) -> Vec<Record> {
    let mut out = Vec::new();
    for resource_logs in &request.resource_logs {
        let resource = resource_logs
            .resource
            .as_ref()
            .map(|r| attributes(&r.attributes))
            .unwrap_or_default();
        for scope_logs in &resource_logs.scope_logs {
            let scope = scope_logs.scope.as_ref().map(|s| s.name.as_str());
            for record in &scope_logs.log_records {
                // The record as sent, for the fingerprint (a resend is the
                // same event) and as the dead letter when it is refused.
                let raw = serde_json::to_vec(record).unwrap_or_default();
                out.push((fields_of(record, &resource, scope), raw));
            }
        }
    }
    out
}

/// The fields of one record, or why it is refused.
pub fn fields_of(
    record: &LogRecord,
    resource: &Map<String, Value>,
    scope: Option<&str>,
) -> Result<Fields, String> {
    let body = record.body.as_ref().and_then(value_of);
    if body.is_none() && record.attributes.is_empty() {
        return Err("the log record has neither a body nor attributes".into());
    }
    let mut fields = Fields::new();
    let time = time_field(record.time_unix_nano, "time_unix_nano")?;
    let observed = time_field(record.observed_time_unix_nano, "observed_time_unix_nano")?;
    if let Some(time) = time.clone().or_else(|| observed.clone()) {
        fields.insert("time".into(), Value::String(time));
    }
    if let Some(observed) = observed {
        fields.insert("observed_time".into(), Value::String(observed));
    }
    if let Some(word) = severity_word(record.severity_number) {
        fields.insert("severity".into(), Value::String(word.into()));
    }
    if record.severity_number != 0 {
        fields.insert("severity_number".into(), record.severity_number.into());
    }
    if !record.severity_text.is_empty() {
        fields.insert(
            "severity_text".into(),
            Value::String(record.severity_text.clone()),
        );
    }
    match body {
        Some(Value::String(text)) => {
            fields.insert("message".into(), Value::String(text));
        }
        Some(other) => {
            fields.insert("body".into(), other);
        }
        None => {}
    }
    if !record.trace_id.is_empty() {
        fields.insert("trace_id".into(), hex::encode(&record.trace_id).into());
    }
    if !record.span_id.is_empty() {
        fields.insert("span_id".into(), hex::encode(&record.span_id).into());
    }
    if !record.event_name.is_empty() {
        fields.insert("event_name".into(), record.event_name.clone().into());
    }
    if let Some(scope) = scope.filter(|s| !s.is_empty()) {
        fields.insert("scope".into(), scope.into());
    }
    if !resource.is_empty() {
        fields.insert("resource".into(), Value::Object(resource.clone()));
    }
    let mut clashing = Map::new();
    for (key, value) in attributes(&record.attributes) {
        if fields.contains_key(&key) {
            clashing.insert(key, value);
        } else {
            fields.insert(key, value);
        }
    }
    if !clashing.is_empty() {
        fields.insert("attributes".into(), Value::Object(clashing));
    }
    // The resource names the machine and the service: what the host entity
    // and the device are drawn from, unless the record names its own.
    for (from, to) in [("host.name", "host"), ("service.name", "service")] {
        if let Some(value) = resource.get(from)
            && !fields.contains_key(to)
        {
            fields.insert(to.into(), value.clone());
        }
    }
    Ok(fields)
}

fn time_field(nanos: u64, name: &str) -> Result<Option<String>, String> {
    if nanos == 0 {
        return Ok(None);
    }
    time_of_unix_nanos(nanos)
        .map(Some)
        .ok_or_else(|| format!("`{name}` {nanos} is past the year 2262"))
}

/// OTLP's severity ranges (TRACE 1–4, DEBUG 5–8, INFO 9–12, WARN 13–16,
/// ERROR 17–20, FATAL 21–24) in Vigil's words, as syslog's are.
fn severity_word(number: i32) -> Option<&'static str> {
    Some(match number {
        1..=12 => "info",
        13..=16 => "medium",
        17..=20 => "high",
        21..=24 => "critical",
        _ => return None,
    })
}

/// Attributes as a JSON object; a key given twice keeps its first value.
pub fn attributes(list: &[KeyValue]) -> Map<String, Value> {
    let mut out = Map::new();
    for kv in list {
        if kv.key.is_empty() || out.contains_key(&kv.key) {
            continue;
        }
        let value = kv.value.as_ref().and_then(value_of).unwrap_or(Value::Null);
        out.insert(kv.key.clone(), value);
    }
    out
}

/// An OTLP value as JSON: bytes in base64, a non-finite double as its name,
/// an empty value as nothing.
pub fn value_of(value: &AnyValue) -> Option<Value> {
    use any_value::Value as V;
    Some(match value.value.as_ref()? {
        V::StringValue(s) => Value::String(s.clone()),
        V::BoolValue(b) => Value::Bool(*b),
        V::IntValue(i) => Value::from(*i),
        V::DoubleValue(d) => serde_json::Number::from_f64(*d)
            .map(Value::Number)
            .unwrap_or_else(|| Value::String(d.to_string())),
        V::ArrayValue(array) => Value::Array(
            array
                .values
                .iter()
                .map(|v| value_of(v).unwrap_or(Value::Null))
                .collect(),
        ),
        V::KvlistValue(list) => Value::Object(attributes(&list.values)),
        V::BytesValue(bytes) => {
            Value::String(base64::engine::general_purpose::STANDARD.encode(bytes))
        }
        // An index into a profiles dictionary, which logs do not carry.
        V::StringValueStrindex(_) => return None,
    })
}
