//! Translation between domain types and PostgreSQL rows, and the pieces
//! every query is built from.
//!
//! Decoding checks what it reads with the same helpers as the SQLite store
//! (`crate::encoding`), so a row either engine cannot read is reported the
//! same way ([`StoreError::Corrupt`] naming the row).

use std::fmt::Display;

use tokio_postgres::Row;
use tokio_postgres::types::ToSql;

use vigil_model::{
    Alert, AlertId, AlertStatus, DeadLetter, Event, EventClass, EventId, Site, SiteId,
    SourceBinding, SourceId, SourceRef, Tenant, TenantId,
};

use super::PgResult;
use crate::encoding::{corrupt, entities, enum_by_name, severity, slug, time};
use crate::{ApiToken, MAX_PAGE_SIZE, Role, StoreError};

/// A bound parameter.
pub(crate) type Param = Box<dyn ToSql + Sync + Send>;

/// A `WHERE` clause under construction, with its parameters in order.
/// Conditions are written with `?` for each value; they are numbered
/// (`$1`, `$2` …) as they are added.
#[derive(Default)]
pub(crate) struct Conditions {
    sql: String,
    pub params: Vec<Param>,
}

impl Conditions {
    /// Adds `condition` and the values its `?`s bind, in order.
    pub fn and(&mut self, condition: &str, values: impl IntoIterator<Item = Param>) {
        self.sql.push_str(if self.sql.is_empty() {
            " WHERE "
        } else {
            " AND "
        });
        let mut values = values.into_iter();
        for (i, part) in condition.split('?').enumerate() {
            if i > 0 {
                match values.next() {
                    Some(value) => self.params.push(value),
                    None => debug_assert!(false, "too few values for `{condition}`"),
                }
                self.sql.push_str(&format!("${}", self.params.len()));
            }
            self.sql.push_str(part);
        }
    }

    /// A placeholder for one more parameter after the conditions (`LIMIT`).
    pub fn push(&mut self, value: Param) -> String {
        self.params.push(value);
        format!("${}", self.params.len())
    }

    /// The clause, empty when there are no conditions.
    pub fn sql(&self) -> &str {
        &self.sql
    }

    /// The parameters as the driver takes them.
    pub fn refs(&self) -> Vec<&(dyn ToSql + Sync)> {
        self.params
            .iter()
            .map(|p| p.as_ref() as &(dyn ToSql + Sync))
            .collect()
    }
}

/// A text parameter.
pub(crate) fn text(s: &str) -> Param {
    Box::new(s.to_owned())
}

/// A bigint parameter.
pub(crate) fn int(v: i64) -> Param {
    Box::new(v)
}

/// The page size actually used: at least one row (so that paging always
/// moves forward), at most [`MAX_PAGE_SIZE`].
pub(crate) fn page_limit(asked: usize) -> usize {
    asked.clamp(1, MAX_PAGE_SIZE)
}

/// `limit` as a bigint for SQL.
pub(crate) fn sql_limit(limit: usize) -> i64 {
    i64::try_from(limit).unwrap_or(i64::MAX)
}

/// Decodes every row with `decode`.
pub(crate) fn decode_all<T>(
    rows: &[Row],
    decode: impl Fn(&Row) -> PgResult<T>,
) -> PgResult<Vec<T>> {
    rows.iter().map(decode).collect()
}

fn opt_site(what: &'static str, id: &dyn Display, s: Option<String>) -> PgResult<Option<SiteId>> {
    Ok(match s {
        Some(s) => Some(slug(what, id, SiteId::new, &s)?),
        None => None,
    })
}

/// Columns read by [`event_from_row`], in its order.
pub(crate) const EVENT_COLUMNS: &str = "id, tenant, site, observed_at, received_at, source_id, \
     source_kind, product, device, class, severity, entities, fields";

pub(crate) fn event_from_row(row: &Row) -> PgResult<Event> {
    const WHAT: &str = "event";
    let id = EventId(row.try_get(0)?);
    let idd: &dyn Display = &id;
    let kind: String = row.try_get(6)?;
    let class: String = row.try_get(9)?;
    let fields: String = row.try_get(12)?;
    Ok(Event {
        id,
        tenant: slug(WHAT, idd, TenantId::new, &row.try_get::<_, String>(1)?)?,
        site: opt_site(WHAT, idd, row.try_get(2)?)?,
        observed_at: time(WHAT, idd, "observed_at", row.try_get(3)?)?,
        received_at: time(WHAT, idd, "received_at", row.try_get(4)?)?,
        source: SourceRef {
            id: slug(WHAT, idd, SourceId::new, &row.try_get::<_, String>(5)?)?,
            kind: enum_by_name(&kind).ok_or_else(|| {
                corrupt(WHAT, idd, format_args!("source kind `{kind}` is unknown"))
            })?,
            product: row.try_get(7)?,
            device: row.try_get(8)?,
        },
        class: EventClass::parse(&class)
            .ok_or_else(|| corrupt(WHAT, idd, format_args!("class `{class}` is unknown")))?,
        severity: severity(WHAT, idd, row.try_get(10)?)?,
        entities: entities(WHAT, idd, &row.try_get::<_, String>(11)?)?,
        fields: serde_json::from_str(&fields)
            .map_err(|e| corrupt(WHAT, idd, format_args!("fields: {e}")))?,
    })
}

/// Columns read by [`alert_from_row`], in its order.
pub(crate) const ALERT_COLUMNS: &str = "id, tenant, site, rule_id, rule_title, severity, status, \
     group_key, window_start, first_seen, last_seen, event_count, entities, created_at, updated_at";

/// An alert without its evidence ids (the caller reads those).
pub(crate) fn alert_from_row(row: &Row) -> PgResult<Alert> {
    const WHAT: &str = "alert";
    let id = AlertId(row.try_get(0)?);
    let idd: &dyn Display = &id;
    let status: String = row.try_get(6)?;
    let count: i64 = row.try_get(11)?;
    Ok(Alert {
        id,
        tenant: slug(WHAT, idd, TenantId::new, &row.try_get::<_, String>(1)?)?,
        site: opt_site(WHAT, idd, row.try_get(2)?)?,
        rule_id: row.try_get(3)?,
        rule_title: row.try_get(4)?,
        severity: severity(WHAT, idd, row.try_get(5)?)?,
        status: AlertStatus::parse(&status)
            .ok_or_else(|| corrupt(WHAT, idd, format_args!("status `{status}` is unknown")))?,
        group_key: row.try_get(7)?,
        window_start: time(WHAT, idd, "window_start", row.try_get(8)?)?,
        first_seen: time(WHAT, idd, "first_seen", row.try_get(9)?)?,
        last_seen: time(WHAT, idd, "last_seen", row.try_get(10)?)?,
        event_count: u64::try_from(count)
            .map_err(|_| corrupt(WHAT, idd, format_args!("event_count {count} is negative")))?,
        entities: entities(WHAT, idd, &row.try_get::<_, String>(12)?)?,
        evidence: Vec::new(),
        created_at: time(WHAT, idd, "created_at", row.try_get(13)?)?,
        updated_at: time(WHAT, idd, "updated_at", row.try_get(14)?)?,
    })
}

/// Columns read by [`dead_letter_from_row`], in its order.
pub(crate) const DEAD_LETTER_COLUMNS: &str = "seq, tenant, source, received_at, reason, raw";

pub(crate) fn dead_letter_from_row(row: &Row) -> PgResult<DeadLetter> {
    const WHAT: &str = "dead letter";
    let id: i64 = row.try_get(0)?;
    let idd: &dyn Display = &id;
    Ok(DeadLetter {
        id,
        tenant: slug(WHAT, idd, TenantId::new, &row.try_get::<_, String>(1)?)?,
        source: slug(WHAT, idd, SourceId::new, &row.try_get::<_, String>(2)?)?,
        received_at: time(WHAT, idd, "received_at", row.try_get(3)?)?,
        reason: row.try_get(4)?,
        raw: row.try_get(5)?,
    })
}

pub(crate) fn tenant_from_row(row: &Row) -> PgResult<Tenant> {
    let id: String = row.try_get(0)?;
    Ok(Tenant {
        id: slug("tenant", &id, TenantId::new, &id)?,
        name: row.try_get(1)?,
    })
}

/// Columns read by [`site_from_row`], in its order.
pub(crate) const SITE_COLUMNS: &str = "tenant, id, name, timezone";

pub(crate) fn site_from_row(row: &Row) -> PgResult<Site> {
    let tenant: String = row.try_get(0)?;
    let id: String = row.try_get(1)?;
    let key = format!("{tenant}/{id}");
    Ok(Site {
        tenant: slug("site", &key, TenantId::new, &tenant)?,
        id: slug("site", &key, SiteId::new, &id)?,
        name: row.try_get(2)?,
        timezone: row.try_get(3)?,
    })
}

/// Columns read by [`source_from_row`], in its order.
pub(crate) const SOURCE_COLUMNS: &str = "id, tenant, site, kind, product";

pub(crate) fn source_from_row(row: &Row) -> PgResult<SourceBinding> {
    const WHAT: &str = "source";
    let id: String = row.try_get(0)?;
    let idd: &dyn Display = &id;
    let kind: String = row.try_get(3)?;
    Ok(SourceBinding {
        id: slug(WHAT, idd, SourceId::new, &id)?,
        tenant: slug(WHAT, idd, TenantId::new, &row.try_get::<_, String>(1)?)?,
        site: opt_site(WHAT, idd, row.try_get(2)?)?,
        kind: enum_by_name(&kind)
            .ok_or_else(|| corrupt(WHAT, idd, format_args!("kind `{kind}` is unknown")))?,
        product: row.try_get(4)?,
    })
}

/// Columns read by [`api_token_from_row`], in its order.
pub(crate) const API_TOKEN_COLUMNS: &str = "hash, name, role, tenant";

pub(crate) fn api_token_from_row(row: &Row) -> PgResult<ApiToken> {
    const WHAT: &str = "api token";
    let name: String = row.try_get(1)?;
    let idd: &dyn Display = &name;
    let role: String = row.try_get(2)?;
    let hash: Vec<u8> = row.try_get(0)?;
    Ok(ApiToken {
        hash: hash
            .try_into()
            .map_err(|_| corrupt(WHAT, idd, "hash is not 32 bytes"))?,
        role: Role::parse(&role)
            .ok_or_else(|| corrupt(WHAT, idd, format_args!("role `{role}` is unknown")))?,
        tenant: match row.try_get::<_, Option<String>>(3)? {
            Some(t) => Some(slug(WHAT, idd, TenantId::new, &t)?),
            None => None,
        },
        name,
    })
}

/// A stored time that must be readable, for rows decoded outside the
/// archive (desk, estate).
pub(crate) fn stored_time(
    what: &'static str,
    id: &str,
    column: &str,
    v: i64,
) -> Result<vigil_model::Timestamp, StoreError> {
    time(what, &id, column, v)
}
