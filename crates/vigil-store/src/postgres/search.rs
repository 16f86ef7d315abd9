//! Event search: by id, and by tenant, time range and field values, with
//! the SQLite store's semantics and cursors.
//!
//! A page is read per tenant from the index on (tenant, observed_at, seq)
//! in page order (newest first), stopping after `limit + 1` rows; a search
//! across every tenant runs that scan once per tenant present in the
//! archive (found one index probe each) and merges, all in one snapshot.
//!
//! Field filters compare a field's value, as text, with the text a client
//! gave: strings by their content, other values by their JSON text, JSON
//! null never. Names and values are bound parameters. PostgreSQL text
//! cannot hold the character U+0000 (and its JSON functions refuse the
//! escape `\u0000`), so on both sides of the comparison it is read as
//! U+FFFD: a field holding it is still found by a filter naming it, and
//! one event holding it cannot make a search over others fail.

use std::collections::HashMap;

use tokio_postgres::{Client, Row};
use uuid::Uuid;

use vigil_model::{Event, EventId};

use super::PgResult;
use super::codec::{
    Conditions, EVENT_COLUMNS, Param, event_from_row, int, page_limit, sql_limit, text,
};
use crate::encoding::micros;
use crate::{Cursor, EventQuery, FieldFilter, Page, TenantScope};

pub(crate) async fn events_by_id(
    client: &Client,
    ids: &[EventId],
    scope: &TenantScope,
) -> PgResult<Vec<Event>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let wanted: Vec<Uuid> = ids.iter().map(|e| e.0).collect();
    let mut w = Conditions::default();
    w.and("id = ANY(?)", [Box::new(wanted) as Param]);
    if let TenantScope::One(t) = scope {
        w.and("tenant = ?", [text(t.as_str())]);
    }
    let sql = format!("SELECT {EVENT_COLUMNS} FROM events{}", w.sql());
    let mut found: HashMap<Uuid, Event> = HashMap::new();
    for row in client.query(&sql, &w.refs()).await? {
        let event = event_from_row(&row)?;
        found.insert(event.id.0, event);
    }
    Ok(ids
        .iter()
        .filter_map(|id| found.get(&id.0).cloned())
        .collect())
}

/// The text PostgreSQL can hold for `s`: U+0000 read as U+FFFD.
fn storable(s: &str) -> String {
    s.replace('\0', "\u{fffd}")
}

/// The event's fields as JSON, with the escape PostgreSQL refuses read as
/// U+FFFD (only rows that hold it pay for the replacement).
const FIELDS_JSON: &str = "LATERAL (SELECT (CASE WHEN strpos(fields, '\\u0000') > 0 \
     THEN replace(fields, '\\u0000', '\\ufffd') ELSE fields END)::json AS f) j";

/// The text of the JSON value `x`: a string's content, any other value's
/// JSON text, NULL when absent or JSON null.
fn value_text(x: &str) -> String {
    format!(
        "CASE json_typeof({x}) WHEN 'string' THEN {x} #>> '{{}}' WHEN 'null' THEN NULL \
         ELSE ({x})::text END"
    )
}

/// Adds the condition for one `field = value` filter.
fn field_condition(w: &mut Conditions, filter: &FieldFilter) {
    // As in SQLite (see `sqlite/search.rs`): a `class` field naming a known
    // class is what the class column was set from, so the column narrows
    // the search and lets the partial index of supervision events serve. A
    // literal from the fixed list of class names, as the planner proves a
    // partial index's condition from the query's text.
    if filter.field == "class"
        && let Some(class) = vigil_model::EventClass::parse(&filter.value)
    {
        w.and(
            &format!("class = '{}'", class.as_str()),
            std::iter::empty::<Param>(),
        );
    }
    let name = storable(&filter.field);
    let value = text(&storable(&filter.value));
    let top = value_text("j.f -> ?::text");
    if filter.field.contains('.') {
        let nested: Vec<String> = name.split('.').map(str::to_owned).collect();
        let nested_value = value_text("j.f #> ?::text[]");
        let mut params: Vec<Param> = vec![text(&name)];
        params.extend((0..3).map(|_| text(&name)));
        params.extend((0..3).map(|_| Box::new(nested.clone()) as Param));
        params.push(value);
        w.and(
            &format!(
                "(CASE WHEN j.f -> ?::text IS NOT NULL THEN {top} ELSE {nested_value} END) = ?"
            ),
            params,
        );
    } else {
        w.and(
            &format!("({top}) = ?"),
            [text(&name), text(&name), text(&name), value],
        );
    }
}

/// The per-tenant scan for a page of `limit`: its SQL and parameters, the
/// first of which (the tenant) the caller sets per scan.
fn page_scan(q: &EventQuery, limit: usize) -> (String, Conditions) {
    let mut w = Conditions::default();
    w.and("tenant = ?", [text("")]);
    if let Some(from) = q.from {
        w.and("observed_at >= ?", [int(micros(from))]);
    }
    if let Some(to) = q.to {
        w.and("observed_at < ?", [int(micros(to))]);
    }
    if let Some(Cursor { key, seq }) = q.cursor {
        w.and("(observed_at, seq) < (?, ?)", [int(key), int(seq)]);
    }
    for filter in &q.fields {
        field_condition(&mut w, filter);
    }
    let lateral = if q.fields.is_empty() {
        String::new()
    } else {
        format!(", {FIELDS_JSON}")
    };
    let limit_param = w.push(int(sql_limit(limit).saturating_add(1)));
    let sql = format!(
        "SELECT {EVENT_COLUMNS}, observed_at, seq FROM events{lateral}{} \
         ORDER BY observed_at DESC, seq DESC LIMIT {limit_param}",
        w.sql()
    );
    (sql, w)
}

/// The first tenant after `after` that has archived events.
async fn next_event_tenant(
    tx: &tokio_postgres::Transaction<'_>,
    after: &str,
) -> PgResult<Option<String>> {
    Ok(
        match tx
            .query_opt(
                "SELECT tenant FROM events WHERE tenant > $1 ORDER BY tenant LIMIT 1",
                &[&after],
            )
            .await?
        {
            Some(row) => Some(row.try_get(0)?),
            None => None,
        },
    )
}

pub(crate) async fn events(client: &mut Client, q: &EventQuery) -> PgResult<Page<Event>> {
    let limit = page_limit(q.limit);
    let (sql, mut w) = page_scan(q, limit);
    let tx = client
        .build_transaction()
        .isolation_level(tokio_postgres::IsolationLevel::RepeatableRead)
        .read_only(true)
        .start()
        .await?;
    let scan = tx.prepare(&sql).await?;
    let mut rows: Vec<(i64, i64, Row)> = Vec::new();
    let mut tenant = match &q.scope {
        TenantScope::One(t) => Some(t.as_str().to_owned()),
        TenantScope::All => next_event_tenant(&tx, "").await?,
    };
    while let Some(t) = tenant {
        w.params[0] = text(&t);
        for row in tx.query(&scan, &w.refs()).await? {
            rows.push((row.try_get(13)?, row.try_get(14)?, row));
        }
        tenant = match &q.scope {
            TenantScope::All => next_event_tenant(&tx, &t).await?,
            TenantScope::One(_) => None,
        };
    }
    tx.commit().await?;
    rows.sort_unstable_by_key(|r| std::cmp::Reverse((r.0, r.1)));
    let next_cursor = if rows.len() > limit {
        rows.truncate(limit);
        rows.last()
            .map(|&(key, seq, _)| Cursor { key, seq }.encode())
    } else {
        None
    };
    let items = rows
        .iter()
        .map(|(_, _, row)| event_from_row(row))
        .collect::<PgResult<Vec<_>>>()?;
    Ok(Page { items, next_cursor })
}
