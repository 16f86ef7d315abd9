//! Event search: by id, and by tenant, time range and field values.
//!
//! The archive's only secondary index is (tenant, observed_at), whose
//! entries also carry the rowid `seq`; the page order (observed_at DESC,
//! seq DESC) is exactly that index read backwards, so a tenant's page is an
//! index range scan that stops after `limit + 1` matches. A search across
//! every tenant runs that scan once per tenant present in the archive and
//! merges the results, rather than sorting the whole archive by time.
//!
//! A search is two steps inside one read transaction: first the sort keys
//! (observed_at, seq) of the page — index-only when there are no field
//! filters — then the full rows of just that page by rowid. Rows that lose
//! the merge are never decoded.
//!
//! Field filters compare a field's value, as text, with the text a client
//! gave. The field name reaches SQLite only as a bound JSON path whose
//! label is written as a JSON string literal (quotes and backslashes
//! escaped), so a name can hold any character without changing the SQL or
//! the path's meaning. Strings compare by their content, other values by
//! their JSON text: `EventID = "4624"` matches the number 4624, `Enabled =
//! "true"` the boolean.

use rusqlite::types::Value;
use rusqlite::{Connection, OptionalExtension, params_from_iter};

use vigil_model::{Event, EventId};

use super::codec::{EVENT_COLUMNS, event_from_row, micros};
use super::read::{Conditions, page_limit, row_limit, text};
use super::retention::next_event_tenant;
use crate::{Cursor, EventQuery, FieldFilter, Page, StoreError, TenantScope};

pub(crate) fn events_by_id(
    conn: &Connection,
    ids: &[EventId],
    scope: &TenantScope,
) -> Result<Vec<Event>, StoreError> {
    let mut w = Conditions::default();
    w.and("id = ?", [Value::Null]);
    if let TenantScope::One(t) = scope {
        w.and("tenant = ?", [text(t.as_str())]);
    }
    let sql = format!("SELECT {EVENT_COLUMNS} FROM events{}", w.sql());
    let tx = conn.unchecked_transaction()?;
    let mut stmt = tx.prepare_cached(&sql)?;
    let mut params = w.params;
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        params[0] = Value::Blob(id.0.into_bytes().to_vec());
        let found = stmt
            .query_row(params_from_iter(params.iter()), |row| {
                Ok(event_from_row(row))
            })
            .optional()?;
        if let Some(event) = found {
            out.push(event?);
        }
    }
    Ok(out)
}

/// A JSON string literal for `label`, as used inside a JSON path.
fn quoted_label(label: &str) -> String {
    serde_json::Value::String(label.to_owned()).to_string()
}

/// The path to the top-level key `name`, whatever characters it holds.
fn top_level_path(name: &str) -> String {
    format!("$.{}", quoted_label(name))
}

/// The path into nested objects along the dot-separated parts of `name`.
fn nested_path(name: &str) -> String {
    let mut path = String::from("$");
    for part in name.split('.') {
        path.push('.');
        path.push_str(&quoted_label(part));
    }
    path
}

/// The text of the value at the path bound to each `?`: a string's content,
/// any other value's JSON text, NULL when absent or JSON null.
const VALUE_AT_PATH: &str = "CASE json_type(fields, ?) WHEN 'text' THEN json_extract(fields, ?) \
     WHEN 'null' THEN NULL ELSE fields -> ? END";

/// Migration 9: the supervision history (`device_status` events) of a
/// client by time, for the service report's device availability, which
/// would otherwise read every event of the client's month. Partial, so
/// that the other events' inserts do not pay for it.
pub(crate) const DEVICE_STATUS_INDEX: &str = "
CREATE INDEX events_device_status_by_time ON events (tenant, observed_at)
    WHERE class = 'device_status';
";

/// Adds the condition for one `field = value` filter.
fn field_condition(w: &mut Conditions, filter: &FieldFilter) {
    // A `class` field naming a known class is what normalization sets the
    // event's class column from, so the column may narrow the search first
    // (and lets a partial index on it serve). Written as a literal, from
    // the fixed list of class names, because SQLite matches a partial
    // index's condition only against the query's text, not a parameter.
    if filter.field == "class"
        && let Some(class) = vigil_model::EventClass::parse(&filter.value)
    {
        w.and(&format!("class = '{}'", class.as_str()), std::iter::empty());
    }
    let top = top_level_path(&filter.field);
    let value = text(&filter.value);
    if filter.field.contains('.') {
        let nested = nested_path(&filter.field);
        w.and(
            &format!(
                "(CASE WHEN json_type(fields, ?) IS NOT NULL THEN {VALUE_AT_PATH} \
                 ELSE {VALUE_AT_PATH} END) = ?"
            ),
            [
                text(&top),
                text(&top),
                text(&top),
                text(&top),
                text(&nested),
                text(&nested),
                text(&nested),
                value,
            ],
        );
    } else {
        w.and(
            &format!("({VALUE_AT_PATH}) = ?"),
            [text(&top), text(&top), text(&top), value],
        );
    }
}

/// The per-tenant scan for a page of `limit`: its SQL and parameters, the
/// first of which (the tenant) the caller binds per scan.
fn page_scan(q: &EventQuery, limit: usize) -> (String, Vec<Value>) {
    let mut w = Conditions::default();
    // The tenant is bound per scan below.
    w.and("tenant = ?", [Value::Null]);
    if let Some(from) = q.from {
        w.and("observed_at >= ?", [Value::Integer(micros(from))]);
    }
    if let Some(to) = q.to {
        w.and("observed_at < ?", [Value::Integer(micros(to))]);
    }
    if let Some(Cursor { key, seq }) = q.cursor {
        w.and(
            "(observed_at, seq) < (?, ?)",
            [Value::Integer(key), Value::Integer(seq)],
        );
    }
    for filter in &q.fields {
        field_condition(&mut w, filter);
    }
    let sql = format!(
        "SELECT observed_at, seq FROM events{} ORDER BY observed_at DESC, seq DESC LIMIT ?",
        w.sql()
    );
    let mut params = w.params;
    params.push(row_limit(limit));
    (sql, params)
}

pub(crate) fn events(conn: &Connection, q: &EventQuery) -> Result<Page<Event>, StoreError> {
    let limit = page_limit(q.limit);
    let (sql, mut params) = page_scan(q, limit);
    let tx = conn.unchecked_transaction()?;
    let mut keys: Vec<(i64, i64)> = Vec::new();
    {
        let mut scan = tx.prepare_cached(&sql)?;
        let mut tenant = match &q.scope {
            TenantScope::One(t) => Some(t.as_str().to_owned()),
            TenantScope::All => next_event_tenant(&tx, "")?,
        };
        while let Some(t) = tenant {
            params[0] = text(&t);
            let found = scan
                .query_map(params_from_iter(params.iter()), |row| {
                    Ok((row.get::<_, i64>(0)?, row.get::<_, i64>(1)?))
                })?
                .collect::<Result<Vec<_>, _>>()?;
            keys.extend(found);
            tenant = match &q.scope {
                TenantScope::All => next_event_tenant(&tx, &t)?,
                TenantScope::One(_) => None,
            };
        }
    }
    keys.sort_unstable_by(|a, b| b.cmp(a));
    let next_cursor = if keys.len() > limit {
        keys.truncate(limit);
        keys.last().map(|&(key, seq)| Cursor { key, seq }.encode())
    } else {
        None
    };

    let mut fetch = tx.prepare_cached(&format!(
        "SELECT {EVENT_COLUMNS} FROM events WHERE seq = ?1"
    ))?;
    let mut items = Vec::with_capacity(keys.len());
    for (_, seq) in keys {
        let found = fetch
            .query_row([seq], |row| Ok(event_from_row(row)))
            .optional()?;
        if let Some(event) = found {
            items.push(event?);
        }
    }
    Ok(Page { items, next_cursor })
}

#[cfg(test)]
mod tests {
    use super::*;
    use vigil_model::TenantId;

    /// The page scan must be an index range scan in page order: no sort of
    /// the matching rows, whatever the filters.
    #[test]
    fn a_page_is_read_from_the_index_in_order() {
        let mut conn = Connection::open_in_memory().unwrap();
        super::super::schema::migrate(&mut conn).unwrap();
        let q = EventQuery {
            scope: TenantScope::One(TenantId::new("a").unwrap()),
            from: Some(chrono::DateTime::from_timestamp(0, 0).unwrap()),
            to: Some(chrono::DateTime::from_timestamp(10, 0).unwrap()),
            fields: vec![FieldFilter {
                field: "Process.Name".into(),
                value: "x".into(),
            }],
            cursor: Some(Cursor { key: 5, seq: 9 }),
            limit: 10,
        };
        let (sql, mut params) = page_scan(&q, 10);
        params[0] = text("a");
        let mut stmt = conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).unwrap();
        let plan: Vec<String> = stmt
            .query_map(params_from_iter(params.iter()), |r| r.get::<_, String>(3))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(plan.len(), 1, "{plan:?}");
        assert!(
            plan[0].starts_with("SEARCH events USING INDEX events_by_tenant_time (tenant=?"),
            "{plan:?}"
        );
    }

    /// The service report's read of a client's supervision history is
    /// served by the partial index of `device_status` events, not by a
    /// walk over every event of the client's month.
    #[test]
    fn a_device_status_search_reads_the_supervision_index() {
        let mut conn = Connection::open_in_memory().unwrap();
        super::super::schema::migrate(&mut conn).unwrap();
        let q = EventQuery {
            scope: TenantScope::One(TenantId::new("a").unwrap()),
            from: Some(chrono::DateTime::from_timestamp(0, 0).unwrap()),
            to: Some(chrono::DateTime::from_timestamp(10, 0).unwrap()),
            fields: vec![FieldFilter {
                field: "class".into(),
                value: "device_status".into(),
            }],
            cursor: None,
            limit: 10,
        };
        let (sql, mut params) = page_scan(&q, 10);
        params[0] = text("a");
        let mut stmt = conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).unwrap();
        let plan: Vec<String> = stmt
            .query_map(params_from_iter(params.iter()), |r| r.get::<_, String>(3))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(plan.len(), 1, "{plan:?}");
        assert!(
            plan[0].starts_with("SEARCH events USING INDEX events_device_status_by_time (tenant=?"),
            "{plan:?}"
        );
    }

    #[test]
    fn labels_are_json_string_literals() {
        assert_eq!(top_level_path("EventID"), r#"$."EventID""#);
        assert_eq!(top_level_path(r#"a"b\c"#), r#"$."a\"b\\c""#);
        assert_eq!(nested_path("a.b"), r#"$."a"."b""#);
        assert_eq!(nested_path("a..b."), r##"$."a".""."b"."""##);
    }
}
