//! Encoding shared by both engines: stored times and fingerprints, the
//! checked decoding of slugs, enum names, severities and entities (a row
//! that cannot be read is [`StoreError::Corrupt`] naming it), and the
//! parts of the alert merge that do not depend on the engine (capping an
//! alert's entities, cutting a long dead letter).

use std::borrow::Cow;
use std::fmt::Display;

use serde::de::{DeserializeOwned, IntoDeserializer};

use vigil_model::{AlertId, Entity, Event, Severity, SiteId, SourceId, TenantId, Timestamp};

use crate::{MAX_ALERT_ENTITIES, StoreError};

/// A time as stored: microseconds since the Unix epoch.
pub(crate) fn micros(t: Timestamp) -> i64 {
    t.timestamp_micros()
}

/// A content fingerprint as stored: the same 64 bits, read as signed.
pub(crate) fn fingerprint(fp: u64) -> i64 {
    i64::from_ne_bytes(fp.to_ne_bytes())
}

pub(crate) fn corrupt(what: &'static str, id: impl Display, reason: impl Display) -> StoreError {
    StoreError::Corrupt {
        what,
        id: id.to_string(),
        reason: reason.to_string(),
    }
}

pub(crate) fn time(
    what: &'static str,
    id: &dyn Display,
    column: &str,
    v: i64,
) -> Result<Timestamp, StoreError> {
    chrono::DateTime::from_timestamp_micros(v)
        .ok_or_else(|| corrupt(what, id, format_args!("{column} {v} is out of range")))
}

pub(crate) fn slug<T>(
    what: &'static str,
    id: &dyn Display,
    parse: impl FnOnce(&str) -> Result<T, vigil_model::IdError>,
    text: &str,
) -> Result<T, StoreError> {
    parse(text).map_err(|e| corrupt(what, id, e))
}

/// A unit enum variant from its serde name (for types without a `parse`).
pub(crate) fn enum_by_name<T: DeserializeOwned>(name: &str) -> Option<T> {
    let de: serde::de::value::StrDeserializer<'_, serde::de::value::Error> =
        name.into_deserializer();
    T::deserialize(de).ok()
}

pub(crate) fn severity(
    what: &'static str,
    id: &dyn Display,
    rank: i64,
) -> Result<Severity, StoreError> {
    usize::try_from(rank)
        .ok()
        .and_then(|r| Severity::ALL.get(r).copied())
        .ok_or_else(|| corrupt(what, id, format_args!("severity rank {rank} is unknown")))
}

pub(crate) fn entities(
    what: &'static str,
    id: &dyn Display,
    json: &str,
) -> Result<Vec<Entity>, StoreError> {
    serde_json::from_str(json).map_err(|e| corrupt(what, id, format_args!("entities: {e}")))
}

/// Keeps at most `max` bytes of a dead letter's raw input, and says so in
/// the reason when it had to cut.
pub(crate) fn truncate_raw<'a>(
    reason: &'a str,
    raw: &'a [u8],
    max: usize,
) -> (Cow<'a, str>, &'a [u8]) {
    match raw.get(..max) {
        Some(kept) if kept.len() < raw.len() => (
            Cow::Owned(format!(
                "{reason} (raw input truncated from {} to {max} bytes)",
                raw.len()
            )),
            kept,
        ),
        _ => (Cow::Borrowed(reason), raw),
    }
}

/// The first [`MAX_ALERT_ENTITIES`] distinct entities.
pub(crate) fn capped(entities: &[Entity]) -> Vec<&Entity> {
    let mut kept: Vec<&Entity> = Vec::with_capacity(entities.len().min(MAX_ALERT_ENTITIES));
    for e in entities {
        if kept.len() >= MAX_ALERT_ENTITIES {
            break;
        }
        if !kept.contains(&e) {
            kept.push(e);
        }
    }
    kept
}

pub(crate) fn entities_json<T: serde::Serialize>(
    id: AlertId,
    entities: &T,
) -> Result<String, StoreError> {
    serde_json::to_string(entities)
        .map_err(|e| corrupt("alert", id, format_args!("cannot serialise entities: {e}")))
}

/// An event ready for a writer: every value already in its stored form
/// (the same for both engines: times in microseconds, fields as JSON text).
#[derive(Debug)]
pub(crate) struct EncodedEvent {
    pub id: [u8; 16],
    pub tenant: TenantId,
    pub site: Option<SiteId>,
    pub observed_at: i64,
    pub received_at: i64,
    pub source_id: SourceId,
    pub source_kind: &'static str,
    pub product: String,
    pub device: Option<String>,
    pub class: &'static str,
    pub severity: i64,
    pub entities: String,
    pub fields: String,
    pub fingerprint: Option<i64>,
}

impl EncodedEvent {
    /// Encodes `event`, taking its strings rather than copying them, and
    /// the JSON text its fields were read from, when they are unchanged
    /// since (the source's own NDJSON line), rather than serialising them
    /// again.
    pub fn new(event: Event, fingerprint: Option<u64>) -> Result<Self, StoreError> {
        let id = event.id;
        let json = |r: sonic_rs::Result<String>| {
            r.map_err(|e| corrupt("event", id, format_args!("cannot serialise: {e}")))
        };
        Ok(Self {
            id: event.id.0.into_bytes(),
            entities: json(sonic_rs::to_string(&event.entities))?,
            fields: match event.fields.into_json_text() {
                Ok(text) => text,
                Err(fields) => json(sonic_rs::to_string(&fields))?,
            },
            tenant: event.tenant,
            site: event.site,
            observed_at: micros(event.observed_at),
            received_at: micros(event.received_at),
            source_id: event.source.id,
            source_kind: event.source.kind.as_str(),
            product: event.source.product,
            device: event.source.device,
            class: event.class.as_str(),
            severity: i64::from(event.severity.rank()),
            fingerprint: fingerprint.map(self::fingerprint),
        })
    }
}
