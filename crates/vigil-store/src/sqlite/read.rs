//! Reads: configuration, alerts and dead letters.
//!
//! Every query that lists a tenant's data takes its tenant condition from
//! the [`TenantScope`] and puts it in the SQL, so a row of another tenant is
//! never even decoded for a scoped caller. Queries are built from fixed SQL
//! fragments; every value a client supplies is bound as a parameter.
//!
//! Pages are keyset-paginated: the cursor carries the sort key of the last
//! row returned and the next page starts strictly after it, so rows that
//! arrive between pages neither repeat nor shift the page boundaries. A
//! page asks for one row more than it returns, to know whether to hand out
//! a next cursor at all.

use rusqlite::types::Value;
use rusqlite::{Connection, OptionalExtension, Params, Row, params_from_iter};

use vigil_model::{Alert, AlertId, DeadLetter, EventId, Site, SourceBinding, Tenant};

use super::codec::{
    ALERT_COLUMNS, API_TOKEN_COLUMNS, DEAD_LETTER_COLUMNS, SITE_COLUMNS, SOURCE_COLUMNS,
    alert_from_row, api_token_from_row, dead_letter_from_row, micros, site_from_row,
    source_from_row, tenant_from_row,
};
use crate::{
    AlertQuery, ApiToken, Cursor, DeadLetterQuery, MAX_ALERT_EVIDENCE, MAX_PAGE_SIZE, Page,
    StoreError, TenantScope, TokenHash,
};

/// The page size actually used: at least one row (so that paging always
/// moves forward), at most [`MAX_PAGE_SIZE`].
pub(crate) fn page_limit(asked: usize) -> usize {
    asked.clamp(1, MAX_PAGE_SIZE)
}

/// The SQL `LIMIT` for a page of `limit`: one more, to see whether there
/// is a next page.
pub(crate) fn row_limit(limit: usize) -> Value {
    Value::Integer(i64::try_from(limit).map_or(i64::MAX, |l| l.saturating_add(1)))
}

/// The sequence number in a cursor of a list ordered by sequence alone,
/// whose cursors the store issues with `key` 0.
fn seq_cursor(cursor: &Cursor) -> Result<i64, StoreError> {
    if cursor.key != 0 {
        return Err(StoreError::BadCursor(cursor.encode()));
    }
    Ok(cursor.seq)
}

/// A `WHERE` clause under construction, with its parameters in order.
#[derive(Debug, Default)]
pub(crate) struct Conditions {
    sql: String,
    pub params: Vec<Value>,
}

impl Conditions {
    /// Adds `condition` (with `?` placeholders) and the values it binds.
    pub fn and(&mut self, condition: &str, values: impl IntoIterator<Item = Value>) {
        self.sql.push_str(if self.sql.is_empty() {
            " WHERE "
        } else {
            " AND "
        });
        self.sql.push_str(condition);
        self.params.extend(values);
    }

    /// The clause, empty when there are no conditions.
    pub fn sql(&self) -> &str {
        &self.sql
    }
}

pub(crate) fn text(s: &str) -> Value {
    Value::Text(s.to_owned())
}

/// Every row of the (cached) statement `sql`, each decoded by `decode`.
pub(crate) fn collect<T>(
    conn: &Connection,
    sql: &str,
    params: impl Params,
    decode: impl Fn(&Row<'_>) -> Result<T, StoreError>,
) -> Result<Vec<T>, StoreError> {
    let mut stmt = conn.prepare_cached(sql)?;
    let mut rows = stmt.query(params)?;
    let mut out = Vec::new();
    while let Some(row) = rows.next()? {
        out.push(decode(row)?);
    }
    Ok(out)
}

fn scope_condition(scope: &TenantScope, column: &str) -> Conditions {
    let mut w = Conditions::default();
    if let TenantScope::One(t) = scope {
        w.and(&format!("{column} = ?"), [text(t.as_str())]);
    }
    w
}

pub(crate) fn tenants(conn: &Connection, scope: &TenantScope) -> Result<Vec<Tenant>, StoreError> {
    let w = scope_condition(scope, "id");
    let sql = format!("SELECT id, name FROM tenants{} ORDER BY id", w.sql());
    collect(conn, &sql, params_from_iter(w.params), tenant_from_row)
}

pub(crate) fn sites(conn: &Connection, scope: &TenantScope) -> Result<Vec<Site>, StoreError> {
    let w = scope_condition(scope, "tenant");
    let sql = format!(
        "SELECT {SITE_COLUMNS} FROM sites{} ORDER BY tenant, id",
        w.sql()
    );
    collect(conn, &sql, params_from_iter(w.params), site_from_row)
}

pub(crate) fn sources(
    conn: &Connection,
    scope: &TenantScope,
) -> Result<Vec<SourceBinding>, StoreError> {
    let w = scope_condition(scope, "tenant");
    let sql = format!(
        "SELECT {SOURCE_COLUMNS} FROM sources{} ORDER BY id",
        w.sql()
    );
    collect(conn, &sql, params_from_iter(w.params), source_from_row)
}

pub(crate) fn source_by_token(
    conn: &Connection,
    hash: &TokenHash,
) -> Result<Option<SourceBinding>, StoreError> {
    let sql = format!("SELECT {SOURCE_COLUMNS} FROM sources WHERE token_hash = ?1");
    let found = collect(conn, &sql, [hash], source_from_row)?;
    Ok(found.into_iter().next())
}

pub(crate) fn api_token(
    conn: &Connection,
    hash: &TokenHash,
) -> Result<Option<ApiToken>, StoreError> {
    let sql = format!("SELECT {API_TOKEN_COLUMNS} FROM api_tokens WHERE hash = ?1");
    let found = collect(conn, &sql, [hash], api_token_from_row)?;
    Ok(found.into_iter().next())
}

/// Every API token, by name.
pub(crate) fn api_tokens(conn: &Connection) -> Result<Vec<ApiToken>, StoreError> {
    let sql = format!("SELECT {API_TOKEN_COLUMNS} FROM api_tokens ORDER BY name, hash");
    collect(conn, &sql, [], api_token_from_row)
}

/// The evidence ids shown on an alert: the earliest observed first.
fn evidence(conn: &Connection, alert: AlertId) -> Result<Vec<EventId>, StoreError> {
    let mut stmt = conn.prepare_cached(super::evidence::SHOWN_EVIDENCE)?;
    let limit = i64::try_from(MAX_ALERT_EVIDENCE).unwrap_or(i64::MAX);
    let ids = stmt
        .query_map((alert.0.into_bytes(), limit), |row| {
            row.get::<_, [u8; 16]>(0)
        })?
        .map(|r| r.map(|b| EventId(uuid::Uuid::from_bytes(b))))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(ids)
}

pub(crate) fn alert(
    conn: &Connection,
    id: AlertId,
    scope: &TenantScope,
) -> Result<Option<Alert>, StoreError> {
    let mut w = Conditions::default();
    w.and("id = ?", [Value::Blob(id.0.into_bytes().to_vec())]);
    if let TenantScope::One(t) = scope {
        w.and("tenant = ?", [text(t.as_str())]);
    }
    let sql = format!("SELECT {ALERT_COLUMNS} FROM alerts{}", w.sql());
    // One snapshot for the alert and its evidence.
    let tx = conn.unchecked_transaction()?;
    let found = tx
        .prepare_cached(&sql)?
        .query_row(params_from_iter(w.params), |row| Ok(alert_from_row(row)))
        .optional()?;
    match found {
        None => Ok(None),
        Some(decoded) => {
            let mut alert = decoded?;
            alert.evidence = evidence(&tx, alert.id)?;
            Ok(Some(alert))
        }
    }
}

pub(crate) fn alerts(conn: &Connection, q: &AlertQuery) -> Result<Page<Alert>, StoreError> {
    let limit = page_limit(q.limit);
    let mut w = scope_condition(&q.scope, "tenant");
    if let Some(s) = q.min_severity {
        w.and("severity >= ?", [Value::Integer(i64::from(s.rank()))]);
    }
    if let Some(s) = q.status {
        w.and("status = ?", [text(s.as_str())]);
    }
    if let Some(t) = q.since {
        w.and("last_seen >= ?", [Value::Integer(micros(t))]);
    }
    if let Some(t) = q.until {
        w.and("first_seen < ?", [Value::Integer(micros(t))]);
    }
    if let Some(c) = &q.cursor {
        w.and("seq < ?", [Value::Integer(seq_cursor(c)?)]);
    }
    let sql = format!(
        "SELECT {ALERT_COLUMNS}, seq FROM alerts{} ORDER BY seq DESC LIMIT ?",
        w.sql()
    );
    w.params.push(row_limit(limit));
    let tx = conn.unchecked_transaction()?;
    let mut rows = collect(&tx, &sql, params_from_iter(w.params), |row| {
        Ok((row.get::<_, i64>(15)?, alert_from_row(row)?))
    })?;
    let next_cursor = next_seq_cursor(&mut rows, limit);
    let mut items = Vec::with_capacity(rows.len());
    for (_, mut alert) in rows {
        alert.evidence = evidence(&tx, alert.id)?;
        items.push(alert);
    }
    Ok(Page { items, next_cursor })
}

/// Cuts `rows` (fetched with one extra) to `limit`; the cursor after the
/// last one kept when the extra row showed there is more.
fn next_seq_cursor<T>(rows: &mut Vec<(i64, T)>, limit: usize) -> Option<String> {
    if rows.len() <= limit {
        return None;
    }
    rows.truncate(limit);
    rows.last()
        .map(|(seq, _)| Cursor { key: 0, seq: *seq }.encode())
}

pub(crate) fn dead_letters(
    conn: &Connection,
    q: &DeadLetterQuery,
) -> Result<Page<DeadLetter>, StoreError> {
    let limit = page_limit(q.limit);
    let mut w = scope_condition(&q.scope, "tenant");
    if let Some(source) = &q.source {
        w.and("source = ?", [text(source.as_str())]);
    }
    if let Some(c) = &q.cursor {
        w.and("seq < ?", [Value::Integer(seq_cursor(c)?)]);
    }
    let sql = format!(
        "SELECT {DEAD_LETTER_COLUMNS} FROM dead_letters{} ORDER BY seq DESC LIMIT ?",
        w.sql()
    );
    w.params.push(row_limit(limit));
    let mut rows = collect(conn, &sql, params_from_iter(w.params), |row| {
        let dl = dead_letter_from_row(row)?;
        Ok((dl.id, dl))
    })?;
    let next_cursor = next_seq_cursor(&mut rows, limit);
    Ok(Page {
        items: rows.into_iter().map(|(_, dl)| dl).collect(),
        next_cursor,
    })
}
