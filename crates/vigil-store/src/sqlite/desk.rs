//! The desk's tables (migration 2) and the [`DeskStore`] implementation.
//!
//! - `desk_records`: every desk object as a JSON document with the columns
//!   the desk filters and sorts by. A write names the version it read and
//!   fails with [`StoreError::Conflict`] if the stored one moved on:
//!   optimistic concurrency, so two operators acting at once cannot both
//!   win, and two nodes cannot both fire the same timer.
//! - `desk_alert_feed`: every alert an ingest batch creates or adds
//!   evidence to is appended here, in the ingest transaction itself (by
//!   `ingest::write`; by triggers before migration 7). Triage reads it with a cursor and drops what it
//!   has handled in the same transaction as its decisions: nothing the
//!   pipeline commits is missed, even when the bus drops notifications or
//!   the node restarts.
//! - `desk_feed`: every desk record written appends (tenant, kind, id,
//!   status) here; the live stream reads it by position.
//! - `desk_leases`: named leases with an expiry, for work that one node at
//!   a time must do.
//! - `audit_entries`, `audit_checkpoints`: the audit chain (`audit_log.rs`).

use std::collections::HashMap;

use rusqlite::types::Value;
use rusqlite::{Connection, OptionalExtension, Row, params, params_from_iter};

use vigil_model::{AlertId, TenantId, Timestamp};

use super::audit_log;
use super::codec::{ALERT_COLUMNS, alert_from_row, corrupt, micros};
use super::read::{Conditions, collect, page_limit, text};
use crate::{
    AlertChange, DeskReceipt, DeskRecord, DeskWrite, FeedEntry, RecordBody, RecordOrder,
    RecordQuery, StoreError, TenantScope,
};

/// Migration 10: records of one kind newest first, every client's and one
/// client's. The other indexes hold records by status and rank, so a read
/// newest first took every matching record into a temporary b-tree to sort
/// it, bodies and all, and did so again for every page: the service-level
/// pass reads every open alarm a page of 1,000 at a time, and with 10,000
/// open alarms (`vigil bench ingest`) that was ten sorts of 10,000 rows,
/// 2–3 s of CPU every pass; triage's read of the alarms a new one may join
/// (the client's newest 200 since a time) took 8–10 ms a pass. `at DESC,
/// id` is the order those reads ask for, so these serve them without a
/// sort, and a page stops at its limit.
pub(crate) const RECORDS_BY_TIME_INDEX: &str = "
CREATE INDEX desk_records_by_time ON desk_records (kind, at DESC, id);
CREATE INDEX desk_records_by_tenant_time ON desk_records (kind, tenant, at DESC, id);
";

/// Migration 2: the desk.
pub(crate) const DESK_SCHEMA: &str = r#"
CREATE TABLE desk_records (
    kind       TEXT NOT NULL,
    id         TEXT NOT NULL,
    tenant     TEXT,
    version    INTEGER NOT NULL,
    status     TEXT NOT NULL,
    rank       REAL NOT NULL,
    owner      TEXT,
    link       TEXT,
    alert      BLOB,
    at         INTEGER NOT NULL,
    due_at     INTEGER,
    updated_at INTEGER NOT NULL,
    body       TEXT NOT NULL,
    UNIQUE (kind, id)
);
CREATE INDEX desk_records_queue ON desk_records (kind, status, rank DESC, at);
CREATE INDEX desk_records_by_tenant ON desk_records (kind, tenant, status, rank DESC, at);
CREATE INDEX desk_records_due ON desk_records (kind, due_at) WHERE due_at IS NOT NULL;
CREATE INDEX desk_records_link ON desk_records (kind, link) WHERE link IS NOT NULL;
CREATE INDEX desk_records_alert ON desk_records (alert) WHERE alert IS NOT NULL;

CREATE TABLE desk_feed (
    seq    INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant TEXT,
    kind   TEXT NOT NULL,
    id     TEXT NOT NULL,
    status TEXT NOT NULL,
    rank   REAL NOT NULL,
    at     INTEGER NOT NULL
);
CREATE INDEX desk_feed_by_tenant ON desk_feed (tenant, seq);

CREATE TABLE desk_alert_feed (
    seq      INTEGER PRIMARY KEY AUTOINCREMENT,
    alert_id BLOB NOT NULL
);
INSERT INTO desk_alert_feed (alert_id) SELECT id FROM alerts ORDER BY seq;
CREATE TRIGGER desk_alert_raised AFTER INSERT ON alerts
BEGIN
    INSERT INTO desk_alert_feed (alert_id) VALUES (NEW.id);
END;
CREATE TRIGGER desk_alert_grew AFTER UPDATE OF event_count ON alerts
WHEN NEW.event_count <> OLD.event_count
BEGIN
    INSERT INTO desk_alert_feed (alert_id) VALUES (NEW.id);
END;

CREATE TABLE desk_leases (
    name       TEXT PRIMARY KEY NOT NULL,
    holder     TEXT NOT NULL,
    expires_at INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE audit_entries (
    seq           INTEGER PRIMARY KEY,
    at            INTEGER NOT NULL,
    actor         TEXT NOT NULL,
    tenant        TEXT,
    action        TEXT NOT NULL,
    object        TEXT NOT NULL,
    before_digest BLOB,
    after_digest  BLOB,
    detail        TEXT NOT NULL,
    prev_hash     BLOB NOT NULL,
    hash          BLOB NOT NULL
);
CREATE INDEX audit_entries_by_tenant ON audit_entries (tenant, seq);

CREATE TABLE audit_checkpoints (
    seq       INTEGER PRIMARY KEY,
    tree_size INTEGER NOT NULL,
    root      BLOB NOT NULL,
    at        INTEGER NOT NULL,
    key       BLOB NOT NULL,
    signature BLOB NOT NULL
);
"#;

/// Desk feed entries kept; older ones are dropped as new ones arrive.
const FEED_KEEP: i64 = 100_000;

const RECORD_COLUMNS: &str =
    "kind, id, tenant, version, status, rank, owner, link, alert, at, due_at, updated_at, body";

fn time(what: &'static str, id: &str, column: &str, v: i64) -> Result<Timestamp, StoreError> {
    chrono::DateTime::from_timestamp_micros(v)
        .ok_or_else(|| corrupt(what, id, format_args!("{column} {v} is out of range")))
}

fn record_from_row(row: &Row<'_>) -> Result<DeskRecord, StoreError> {
    let kind: String = row.get(0)?;
    let id: String = row.get(1)?;
    let what = "desk record";
    let key = format!("{kind}/{id}");
    let body: String = row.get(12)?;
    Ok(DeskRecord {
        tenant: match row.get::<_, Option<String>>(2)? {
            Some(t) => Some(TenantId::new(&t).map_err(|e| corrupt(what, &key, e))?),
            None => None,
        },
        version: row.get(3)?,
        status: row.get(4)?,
        rank: row.get(5)?,
        owner: row.get(6)?,
        link: row.get(7)?,
        alert: row
            .get::<_, Option<[u8; 16]>>(8)?
            .map(|b| AlertId(uuid::Uuid::from_bytes(b))),
        at: time(what, &key, "at", row.get(9)?)?,
        due_at: match row.get::<_, Option<i64>>(10)? {
            Some(v) => Some(time(what, &key, "due_at", v)?),
            None => None,
        },
        updated_at: time(what, &key, "updated_at", row.get(11)?)?,
        body: RecordBody::from_text(body).map_err(|e| corrupt(what, &key, e))?,
        kind,
        id,
    })
}

fn stored_version(conn: &Connection, kind: &str, id: &str) -> Result<i64, StoreError> {
    Ok(conn
        .prepare_cached("SELECT version FROM desk_records WHERE kind = ?1 AND id = ?2")?
        .query_row([kind, id], |r| r.get(0))
        .optional()?
        .unwrap_or(0))
}

fn append_feed(
    conn: &Connection,
    tenant: Option<&TenantId>,
    kind: &str,
    id: &str,
    status: &str,
    rank: f64,
    at: i64,
) -> Result<(), StoreError> {
    conn.prepare_cached(
        "INSERT INTO desk_feed (tenant, kind, id, status, rank, at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![tenant.map(|t| t.as_str()), kind, id, status, rank, at])?;
    let seq = conn.last_insert_rowid();
    if seq % 1000 == 0 {
        conn.prepare_cached("DELETE FROM desk_feed WHERE seq <= ?1")?
            .execute([seq - FEED_KEEP])?;
    }
    Ok(())
}

/// Writes `write`; the caller (the writer thread) owns the transaction.
pub(crate) fn commit(conn: &Connection, write: DeskWrite) -> Result<DeskReceipt, StoreError> {
    let mut receipt = DeskReceipt::default();
    for r in &write.records {
        let found = stored_version(conn, &r.kind, &r.id)?;
        if found != r.version {
            return Err(StoreError::Conflict {
                what: r.kind.clone(),
                id: r.id.clone(),
                expected: r.version,
                found,
            });
        }
        let body = r.body.text();
        let values = params![
            r.kind,
            r.id,
            r.tenant.as_ref().map(|t| t.as_str()),
            r.version + 1,
            r.status,
            r.rank,
            r.owner,
            r.link,
            r.alert.map(|a| a.0.into_bytes()),
            micros(r.at),
            r.due_at.map(micros),
            micros(r.updated_at),
            body,
        ];
        if r.version == 0 {
            conn.prepare_cached(&format!(
                "INSERT INTO desk_records ({RECORD_COLUMNS}) VALUES \
                 (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)"
            ))?
            .execute(values)?;
        } else {
            conn.prepare_cached(
                "UPDATE desk_records SET tenant = ?3, version = ?4, status = ?5, rank = ?6, \
                 owner = ?7, link = ?8, alert = ?9, at = ?10, due_at = ?11, updated_at = ?12, \
                 body = ?13 WHERE kind = ?1 AND id = ?2",
            )?
            .execute(values)?;
        }
        append_feed(
            conn,
            r.tenant.as_ref(),
            &r.kind,
            &r.id,
            &r.status,
            r.rank,
            micros(r.updated_at),
        )?;
        receipt.versions.push(r.version + 1);
    }
    for (kind, id, version) in &write.deletes {
        let found = stored_version(conn, kind, id)?;
        if found != *version {
            return Err(StoreError::Conflict {
                what: kind.clone(),
                id: id.clone(),
                expected: *version,
                found,
            });
        }
        conn.prepare_cached("DELETE FROM desk_records WHERE kind = ?1 AND id = ?2")?
            .execute([kind, id])?;
    }
    for (alert, status) in &write.alert_status {
        conn.prepare_cached("UPDATE alerts SET status = ?2 WHERE id = ?1")?
            .execute(params![alert.0.into_bytes(), status.as_str()])?;
    }
    if let Some(done) = write.alert_feed_done {
        conn.prepare_cached("DELETE FROM desk_alert_feed WHERE seq <= ?1")?
            .execute([done])?;
    }
    for record in &write.audit {
        receipt.audit_seqs.push(audit_log::append(conn, record)?);
    }
    Ok(receipt)
}

/// Takes or renews a lease; the caller owns the transaction.
pub(crate) fn lease(
    conn: &Connection,
    name: &str,
    holder: &str,
    now: Timestamp,
    ttl: chrono::Duration,
) -> Result<bool, StoreError> {
    let changed = conn
        .prepare_cached(
            "INSERT INTO desk_leases (name, holder, expires_at) VALUES (?1, ?2, ?3) \
             ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, \
             expires_at = excluded.expires_at \
             WHERE desk_leases.holder = excluded.holder OR desk_leases.expires_at <= ?4",
        )?
        .execute(params![name, holder, micros(now + ttl), micros(now)])?;
    Ok(changed == 1)
}

fn scope_condition(w: &mut Conditions, scope: &TenantScope) {
    if let TenantScope::One(t) = scope {
        w.and("tenant = ?", [text(t.as_str())]);
    }
}

pub(crate) fn record(
    conn: &Connection,
    kind: &str,
    id: &str,
    scope: &TenantScope,
) -> Result<Option<DeskRecord>, StoreError> {
    let mut w = Conditions::default();
    w.and("kind = ?", [text(kind)]);
    w.and("id = ?", [text(id)]);
    scope_condition(&mut w, scope);
    let sql = format!("SELECT {RECORD_COLUMNS} FROM desk_records{}", w.sql());
    Ok(
        collect(conn, &sql, params_from_iter(w.params), record_from_row)?
            .into_iter()
            .next(),
    )
}

fn in_list(column: &str, negate: bool, values: &[String], w: &mut Conditions) {
    if values.is_empty() {
        return;
    }
    let marks = vec!["?"; values.len()].join(", ");
    let not = if negate { "NOT " } else { "" };
    w.and(
        &format!("{column} {not}IN ({marks})"),
        values.iter().map(|v| text(v)),
    );
}

pub(crate) fn records(conn: &Connection, q: &RecordQuery) -> Result<Vec<DeskRecord>, StoreError> {
    let (sql, params) = records_query(q);
    collect(conn, &sql, params_from_iter(params), record_from_row)
}

/// The statement and parameters of [`records`].
fn records_query(q: &RecordQuery) -> (String, Vec<Value>) {
    let mut w = Conditions::default();
    w.and("kind = ?", [text(&q.kind)]);
    scope_condition(&mut w, &q.scope);
    in_list("status", false, &q.statuses, &mut w);
    in_list("status", true, &q.not_statuses, &mut w);
    if let Some(owner) = &q.owner {
        w.and("owner = ?", [text(owner)]);
    }
    if let Some(link) = &q.link {
        w.and("link = ?", [text(link)]);
    }
    if let Some(t) = q.at_from {
        w.and("at >= ?", [Value::Integer(micros(t))]);
    }
    if let Some(t) = q.at_to {
        w.and("at < ?", [Value::Integer(micros(t))]);
    }
    if let Some(t) = q.due_by {
        w.and("due_at <= ?", [Value::Integer(micros(t))]);
    }
    let order = match q.order {
        RecordOrder::RankThenAge => "rank DESC, at ASC, id",
        RecordOrder::Newest => "at DESC, id",
        RecordOrder::Due => "due_at ASC, id",
    };
    let sql = format!(
        "SELECT {RECORD_COLUMNS} FROM desk_records{} ORDER BY {order} LIMIT ? OFFSET ?",
        w.sql()
    );
    let mut params = w.params;
    params.push(Value::Integer(page_limit(q.limit) as i64));
    params.push(Value::Integer(i64::try_from(q.offset).unwrap_or(i64::MAX)));
    (sql, params)
}

pub(crate) fn alert_changes(
    conn: &Connection,
    after: i64,
    limit: usize,
) -> Result<Vec<AlertChange>, StoreError> {
    let sql = format!(
        "SELECT {ALERT_COLUMNS}, f.seq FROM desk_alert_feed f JOIN alerts a ON a.id = f.alert_id \
         WHERE f.seq > ?1 ORDER BY f.seq LIMIT ?2"
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let mut rows = stmt.query(params![after, page_limit(limit) as i64])?;
    let mut out: Vec<AlertChange> = Vec::new();
    // A busy alert is in the feed once per batch that grew it, and every
    // row of one statement reads the same snapshot of `alerts`: its later
    // rows are the same alert, so it is decoded once and copied.
    let mut first_row_of: HashMap<[u8; 16], usize> = HashMap::new();
    while let Some(row) = rows.next()? {
        let seq: i64 = row.get(15)?;
        let key: [u8; 16] = row.get(0)?;
        let alert = match first_row_of.get(&key).and_then(|&i| out.get(i)) {
            Some(seen) => seen.alert.clone(),
            None => {
                first_row_of.insert(key, out.len());
                alert_from_row(row)?
            }
        };
        out.push(AlertChange { seq, alert });
    }
    Ok(out)
}

pub(crate) fn feed(
    conn: &Connection,
    after: i64,
    scope: &TenantScope,
    limit: usize,
) -> Result<Vec<FeedEntry>, StoreError> {
    let mut w = Conditions::default();
    w.and("seq > ?", [Value::Integer(after)]);
    scope_condition(&mut w, scope);
    let sql = format!(
        "SELECT seq, tenant, kind, id, status, rank, at FROM desk_feed{} ORDER BY seq LIMIT ?",
        w.sql()
    );
    let mut params = w.params;
    params.push(Value::Integer(page_limit(limit) as i64));
    collect(conn, &sql, params_from_iter(params), |row| {
        let seq: i64 = row.get(0)?;
        let key = seq.to_string();
        Ok(FeedEntry {
            seq,
            tenant: match row.get::<_, Option<String>>(1)? {
                Some(t) => Some(TenantId::new(&t).map_err(|e| corrupt("desk feed", &key, e))?),
                None => None,
            },
            kind: row.get(2)?,
            id: row.get(3)?,
            status: row.get(4)?,
            rank: row.get(5)?,
            at: time("desk feed", &key, "at", row.get(6)?)?,
        })
    })
}

pub(crate) fn feed_head(conn: &Connection) -> Result<i64, StoreError> {
    Ok(conn
        .prepare_cached("SELECT coalesce(max(seq), 0) FROM desk_feed")?
        .query_row([], |r| r.get(0))?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(q: &RecordQuery) -> Vec<String> {
        let mut conn = Connection::open_in_memory().unwrap();
        super::super::schema::migrate(&mut conn).unwrap();
        let (sql, params) = records_query(q);
        let mut stmt = conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).unwrap();
        stmt.query_map(params_from_iter(params.iter()), |r| r.get::<_, String>(3))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    }

    /// Triage's read of the alarms a new one may join walks the client's
    /// by-time index and stops at its limit: no temporary b-tree sorting
    /// every alarm of the client.
    #[test]
    fn a_clients_newest_records_are_read_from_the_time_index_without_a_sort() {
        let mut q = RecordQuery::new("alarm", TenantScope::One(TenantId::new("a").unwrap()));
        q.at_from = Some(chrono::DateTime::from_timestamp(0, 0).unwrap());
        q.order = RecordOrder::Newest;
        q.limit = 200;
        let plan = plan(&q);
        assert_eq!(plan.len(), 1, "{plan:?}");
        assert!(
            plan[0].starts_with(
                "SEARCH desk_records USING INDEX desk_records_by_tenant_time (kind=? AND tenant=? AND at"
            ),
            "{plan:?}"
        );
    }

    /// The open alarms of every client newest first (the service-level
    /// pass, the dashboards), page by page, without sorting them all for
    /// each page.
    #[test]
    fn every_clients_open_records_are_read_newest_first_without_a_sort() {
        let mut q = RecordQuery::new("alarm", TenantScope::All);
        q.not_statuses = vec!["closed".into()];
        q.order = RecordOrder::Newest;
        q.limit = 1000;
        q.offset = 5000;
        let plan = plan(&q);
        assert_eq!(plan.len(), 1, "{plan:?}");
        assert!(
            plan[0].starts_with("SEARCH desk_records USING INDEX desk_records_by_time (kind=?)"),
            "{plan:?}"
        );
    }
}
