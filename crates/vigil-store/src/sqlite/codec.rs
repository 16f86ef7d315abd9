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
use uuid::Uuid;

use vigil_model::{
    Alert, AlertId, AlertStatus, DeadLetter, Event, EventClass, EventId, Site, SiteId,
    SourceBinding, SourceId, SourceRef, Tenant, TenantId,
};

use crate::{ApiToken, Role, StoreError};

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        StoreError::Database(e.to_string())
    }
}

pub(crate) use crate::encoding::{EncodedEvent, corrupt, fingerprint, micros};
use crate::encoding::{entities, enum_by_name, severity, slug, time};

fn uuid(row: &Row<'_>, idx: usize) -> rusqlite::Result<Uuid> {
    row.get::<_, [u8; 16]>(idx).map(Uuid::from_bytes)
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
