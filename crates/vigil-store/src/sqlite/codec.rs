//! Translation between domain types and SQLite values.
//!
//! Encoding happens once per event, outside the writer thread where it can
//! (see [`EncodedEvent`]): the writer is the one serial stage of ingest, so
//! everything that can run in parallel — JSON serialisation above all — runs
//! in the committing task instead. Serialisation uses `sonic-rs` (already in
//! the build for parsing): on ~1 KB Windows events it took ~4.5 µs against
//! serde_json's ~6 µs on this machine. Its output is plain JSON, read back
//! with serde_json and searched with SQLite's JSON functions. Decoding checks what it reads (slugs,
//! enum names, times) and reports a row it cannot read as
//! [`StoreError::Corrupt`] naming the row, rather than panicking or inventing
//! a value.

use std::fmt::Display;

use rusqlite::Row;
use serde::de::{DeserializeOwned, IntoDeserializer};
use uuid::Uuid;

use vigil_model::{
    Alert, AlertId, AlertStatus, DeadLetter, Entity, Event, EventClass, EventId, Severity, Site,
    SiteId, SourceBinding, SourceId, SourceRef, Tenant, TenantId, Timestamp,
};

use crate::{ApiToken, Role, StoreError};

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        StoreError::Database(e.to_string())
    }
}

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

fn time(
    what: &'static str,
    id: &dyn Display,
    column: &str,
    v: i64,
) -> Result<Timestamp, StoreError> {
    chrono::DateTime::from_timestamp_micros(v)
        .ok_or_else(|| corrupt(what, id, format_args!("{column} {v} is out of range")))
}

fn slug<T>(
    what: &'static str,
    id: &dyn Display,
    parse: impl FnOnce(&str) -> Result<T, vigil_model::IdError>,
    text: &str,
) -> Result<T, StoreError> {
    parse(text).map_err(|e| corrupt(what, id, e))
}

/// A unit enum variant from its serde name (for types without a `parse`).
fn enum_by_name<T: DeserializeOwned>(name: &str) -> Option<T> {
    let de: serde::de::value::StrDeserializer<'_, serde::de::value::Error> =
        name.into_deserializer();
    T::deserialize(de).ok()
}

fn severity(what: &'static str, id: &dyn Display, rank: i64) -> Result<Severity, StoreError> {
    usize::try_from(rank)
        .ok()
        .and_then(|r| Severity::ALL.get(r).copied())
        .ok_or_else(|| corrupt(what, id, format_args!("severity rank {rank} is unknown")))
}

fn entities(what: &'static str, id: &dyn Display, json: &str) -> Result<Vec<Entity>, StoreError> {
    serde_json::from_str(json).map_err(|e| corrupt(what, id, format_args!("entities: {e}")))
}

fn uuid(row: &Row<'_>, idx: usize) -> rusqlite::Result<Uuid> {
    row.get::<_, [u8; 16]>(idx).map(Uuid::from_bytes)
}

/// An event ready for the writer: every value already in its stored form.
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
    /// taking `fields_json` (the fields' JSON text, when the caller has it)
    /// rather than serialising the fields again.
    pub fn new(
        event: Event,
        fingerprint: Option<u64>,
        fields_json: Option<String>,
    ) -> Result<Self, StoreError> {
        let id = event.id;
        let json = |r: sonic_rs::Result<String>| {
            r.map_err(|e| corrupt("event", id, format_args!("cannot serialise: {e}")))
        };
        Ok(Self {
            id: event.id.0.into_bytes(),
            entities: json(sonic_rs::to_string(&event.entities))?,
            fields: match fields_json {
                Some(text) => text,
                None => json(sonic_rs::to_string(&event.fields))?,
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

/// Columns read by [`event_from_row`], in its order.
pub(crate) const EVENT_COLUMNS: &str = "id, tenant, site, observed_at, received_at, source_id, \
     source_kind, product, device, class, severity, entities, fields";

pub(crate) fn event_from_row(row: &Row<'_>) -> Result<Event, StoreError> {
    const WHAT: &str = "event";
    let id = EventId(uuid(row, 0)?);
    let idd: &dyn Display = &id;
    let kind: String = row.get(6)?;
    let class: String = row.get(9)?;
    let fields: String = row.get(12)?;
    Ok(Event {
        id,
        tenant: slug(WHAT, idd, TenantId::new, &row.get::<_, String>(1)?)?,
        site: match row.get::<_, Option<String>>(2)? {
            Some(s) => Some(slug(WHAT, idd, SiteId::new, &s)?),
            None => None,
        },
        observed_at: time(WHAT, idd, "observed_at", row.get(3)?)?,
        received_at: time(WHAT, idd, "received_at", row.get(4)?)?,
        source: SourceRef {
            id: slug(WHAT, idd, SourceId::new, &row.get::<_, String>(5)?)?,
            kind: enum_by_name(&kind).ok_or_else(|| {
                corrupt(WHAT, idd, format_args!("source kind `{kind}` is unknown"))
            })?,
            product: row.get(7)?,
            device: row.get(8)?,
        },
        class: EventClass::parse(&class)
            .ok_or_else(|| corrupt(WHAT, idd, format_args!("class `{class}` is unknown")))?,
        severity: severity(WHAT, idd, row.get(10)?)?,
        entities: entities(WHAT, idd, &row.get::<_, String>(11)?)?,
        fields: serde_json::from_str(&fields)
            .map_err(|e| corrupt(WHAT, idd, format_args!("fields: {e}")))?,
    })
}

/// Columns read by [`alert_from_row`], in its order.
pub(crate) const ALERT_COLUMNS: &str = "id, tenant, site, rule_id, rule_title, severity, status, \
     group_key, window_start, first_seen, last_seen, event_count, entities, created_at, updated_at";

/// An alert without its evidence ids (the caller reads those).
pub(crate) fn alert_from_row(row: &Row<'_>) -> Result<Alert, StoreError> {
    const WHAT: &str = "alert";
    let id = AlertId(uuid(row, 0)?);
    let idd: &dyn Display = &id;
    let status: String = row.get(6)?;
    let count: i64 = row.get(11)?;
    Ok(Alert {
        id,
        tenant: slug(WHAT, idd, TenantId::new, &row.get::<_, String>(1)?)?,
        site: match row.get::<_, Option<String>>(2)? {
            Some(s) => Some(slug(WHAT, idd, SiteId::new, &s)?),
            None => None,
        },
        rule_id: row.get(3)?,
        rule_title: row.get(4)?,
        severity: severity(WHAT, idd, row.get(5)?)?,
        status: AlertStatus::parse(&status)
            .ok_or_else(|| corrupt(WHAT, idd, format_args!("status `{status}` is unknown")))?,
        group_key: row.get(7)?,
        window_start: time(WHAT, idd, "window_start", row.get(8)?)?,
        first_seen: time(WHAT, idd, "first_seen", row.get(9)?)?,
        last_seen: time(WHAT, idd, "last_seen", row.get(10)?)?,
        event_count: u64::try_from(count)
            .map_err(|_| corrupt(WHAT, idd, format_args!("event_count {count} is negative")))?,
        entities: entities(WHAT, idd, &row.get::<_, String>(12)?)?,
        evidence: Vec::new(),
        created_at: time(WHAT, idd, "created_at", row.get(13)?)?,
        updated_at: time(WHAT, idd, "updated_at", row.get(14)?)?,
    })
}

/// Columns read by [`dead_letter_from_row`], in its order.
pub(crate) const DEAD_LETTER_COLUMNS: &str = "seq, tenant, source, received_at, reason, raw";

pub(crate) fn dead_letter_from_row(row: &Row<'_>) -> Result<DeadLetter, StoreError> {
    const WHAT: &str = "dead letter";
    let id: i64 = row.get(0)?;
    let idd: &dyn Display = &id;
    Ok(DeadLetter {
        id,
        tenant: slug(WHAT, idd, TenantId::new, &row.get::<_, String>(1)?)?,
        source: slug(WHAT, idd, SourceId::new, &row.get::<_, String>(2)?)?,
        received_at: time(WHAT, idd, "received_at", row.get(3)?)?,
        reason: row.get(4)?,
        raw: row.get(5)?,
    })
}

pub(crate) fn tenant_from_row(row: &Row<'_>) -> Result<Tenant, StoreError> {
    let id: String = row.get(0)?;
    Ok(Tenant {
        id: slug("tenant", &id, TenantId::new, &id)?,
        name: row.get(1)?,
    })
}

/// Columns read by [`site_from_row`], in its order.
pub(crate) const SITE_COLUMNS: &str = "tenant, id, name, timezone";

pub(crate) fn site_from_row(row: &Row<'_>) -> Result<Site, StoreError> {
    let tenant: String = row.get(0)?;
    let id: String = row.get(1)?;
    let key = format!("{tenant}/{id}");
    Ok(Site {
        tenant: slug("site", &key, TenantId::new, &tenant)?,
        id: slug("site", &key, SiteId::new, &id)?,
        name: row.get(2)?,
        timezone: row.get(3)?,
    })
}

/// Columns read by [`source_from_row`], in its order.
pub(crate) const SOURCE_COLUMNS: &str = "id, tenant, site, kind, product";

pub(crate) fn source_from_row(row: &Row<'_>) -> Result<SourceBinding, StoreError> {
    const WHAT: &str = "source";
    let id: String = row.get(0)?;
    let idd: &dyn Display = &id;
    let kind: String = row.get(3)?;
    Ok(SourceBinding {
        id: slug(WHAT, idd, SourceId::new, &id)?,
        tenant: slug(WHAT, idd, TenantId::new, &row.get::<_, String>(1)?)?,
        site: match row.get::<_, Option<String>>(2)? {
            Some(s) => Some(slug(WHAT, idd, SiteId::new, &s)?),
            None => None,
        },
        kind: enum_by_name(&kind)
            .ok_or_else(|| corrupt(WHAT, idd, format_args!("kind `{kind}` is unknown")))?,
        product: row.get(4)?,
    })
}

/// Columns read by [`api_token_from_row`], in its order.
pub(crate) const API_TOKEN_COLUMNS: &str = "hash, name, role, tenant";

pub(crate) fn api_token_from_row(row: &Row<'_>) -> Result<ApiToken, StoreError> {
    const WHAT: &str = "api token";
    let name: String = row.get(1)?;
    let idd: &dyn Display = &name;
    let role: String = row.get(2)?;
    Ok(ApiToken {
        hash: row.get(0)?,
        role: Role::parse(&role)
            .ok_or_else(|| corrupt(WHAT, idd, format_args!("role `{role}` is unknown")))?,
        tenant: match row.get::<_, Option<String>>(3)? {
            Some(t) => Some(slug(WHAT, idd, TenantId::new, &t)?),
            None => None,
        },
        name,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use vigil_model::SourceKind;

    #[test]
    fn fingerprints_keep_every_bit() {
        for fp in [0u64, 1, u64::MAX, 1 << 63, 0x0123_4567_89ab_cdef] {
            let stored = fingerprint(fp);
            assert_eq!(u64::from_ne_bytes(stored.to_ne_bytes()), fp);
        }
    }

    #[test]
    fn source_kinds_decode_from_their_names() {
        for kind in [
            SourceKind::Http,
            SourceKind::SyslogUdp,
            SourceKind::SyslogTcp,
            SourceKind::File,
        ] {
            assert_eq!(enum_by_name::<SourceKind>(kind.as_str()), Some(kind));
        }
        assert_eq!(enum_by_name::<SourceKind>("carrier_pigeon"), None);
    }
}
