//! Reads of alerts and dead letters, keyset-paginated as in SQLite: the
//! cursor carries the sequence number of the last row returned, and a page
//! asks for one row more than it returns to know whether there is a next.
//!
//! An alert and its evidence are read by one statement (the evidence as an
//! array subquery), so they come from one snapshot.

use tokio_postgres::{Client, Row};
use uuid::Uuid;

use vigil_model::{Alert, AlertId, DeadLetter, EventId};

use super::PgResult;
use super::codec::{
    ALERT_COLUMNS, Conditions, DEAD_LETTER_COLUMNS, alert_from_row, dead_letter_from_row, int,
    page_limit, sql_limit, text,
};
use super::config::scope_condition;
use crate::encoding::micros;
use crate::{
    AlertQuery, Cursor, DeadLetterQuery, MAX_ALERT_EVIDENCE, Page, StoreError, TenantScope,
};

/// The alert's columns followed by its shown evidence (earliest observed
/// first) and its `seq`; `a` is the alert's alias.
fn alert_select() -> String {
    let columns: Vec<String> = ALERT_COLUMNS
        .split(", ")
        .map(|c| format!("a.{c}"))
        .collect();
    format!(
        "SELECT {}, ARRAY(SELECT event_id FROM alert_evidence e WHERE e.alert_id = a.id \
         ORDER BY e.observed_at, e.event_id LIMIT {MAX_ALERT_EVIDENCE}) AS evidence, a.seq \
         FROM alerts a",
        columns.join(", ")
    )
}

/// An alert with its evidence, from a row of [`alert_select`].
fn alert_with_evidence(row: &Row) -> PgResult<Alert> {
    let mut alert = alert_from_row(row)?;
    let evidence: Vec<Uuid> = row.try_get(15)?;
    alert.evidence = evidence.into_iter().map(EventId).collect();
    Ok(alert)
}

/// The sequence number in a cursor of a list ordered by sequence alone,
/// whose cursors the store issues with `key` 0.
fn seq_cursor(cursor: &Cursor) -> Result<i64, StoreError> {
    if cursor.key != 0 {
        return Err(StoreError::BadCursor(cursor.encode()));
    }
    Ok(cursor.seq)
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

pub(crate) async fn alert(
    client: &Client,
    id: AlertId,
    scope: &TenantScope,
) -> PgResult<Option<Alert>> {
    let mut w = Conditions::default();
    w.and("a.id = ?", [Box::new(id.0) as super::codec::Param]);
    if let TenantScope::One(t) = scope {
        w.and("a.tenant = ?", [text(t.as_str())]);
    }
    let sql = format!("{}{}", alert_select(), w.sql());
    client
        .query_opt(&sql, &w.refs())
        .await?
        .map(|row| alert_with_evidence(&row))
        .transpose()
}

pub(crate) async fn alerts(client: &Client, q: &AlertQuery) -> PgResult<Page<Alert>> {
    let limit = page_limit(q.limit);
    let mut w = scope_condition(&q.scope, "a.tenant");
    if let Some(s) = q.min_severity {
        w.and("a.severity >= ?", [int(i64::from(s.rank()))]);
    }
    if let Some(s) = q.status {
        w.and("a.status = ?", [text(s.as_str())]);
    }
    if let Some(t) = q.since {
        w.and("a.last_seen >= ?", [int(micros(t))]);
    }
    if let Some(t) = q.until {
        w.and("a.first_seen < ?", [int(micros(t))]);
    }
    if let Some(c) = &q.cursor {
        w.and("a.seq < ?", [int(seq_cursor(c)?)]);
    }
    let limit_param = w.push(int(sql_limit(limit).saturating_add(1)));
    let sql = format!(
        "{}{} ORDER BY a.seq DESC LIMIT {limit_param}",
        alert_select(),
        w.sql()
    );
    let mut rows = client
        .query(&sql, &w.refs())
        .await?
        .iter()
        .map(|row| Ok((row.try_get::<_, i64>(16)?, alert_with_evidence(row)?)))
        .collect::<PgResult<Vec<_>>>()?;
    let next_cursor = next_seq_cursor(&mut rows, limit);
    Ok(Page {
        items: rows.into_iter().map(|(_, a)| a).collect(),
        next_cursor,
    })
}

pub(crate) async fn dead_letters(
    client: &Client,
    q: &DeadLetterQuery,
) -> PgResult<Page<DeadLetter>> {
    let limit = page_limit(q.limit);
    let mut w = scope_condition(&q.scope, "tenant");
    if let Some(source) = &q.source {
        w.and("source = ?", [text(source.as_str())]);
    }
    if let Some(c) = &q.cursor {
        w.and("seq < ?", [int(seq_cursor(c)?)]);
    }
    let limit_param = w.push(int(sql_limit(limit).saturating_add(1)));
    let sql = format!(
        "SELECT {DEAD_LETTER_COLUMNS} FROM dead_letters{} ORDER BY seq DESC LIMIT {limit_param}",
        w.sql()
    );
    let mut rows = client
        .query(&sql, &w.refs())
        .await?
        .iter()
        .map(|row| {
            let dl = dead_letter_from_row(row)?;
            Ok((dl.id, dl))
        })
        .collect::<PgResult<Vec<_>>>()?;
    let next_cursor = next_seq_cursor(&mut rows, limit);
    Ok(Page {
        items: rows.into_iter().map(|(_, dl)| dl).collect(),
        next_cursor,
    })
}
