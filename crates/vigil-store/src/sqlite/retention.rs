//! Retention: deleting archived events older than a cutoff, in chunks.
//!
//! A purge of a month of events can be millions of rows. Deleting them in
//! one transaction would hold SQLite's single write lock for the whole time
//! and stall ingest behind it, so the purge is a series of small writer jobs
//! of at most [`PURGE_CHUNK_ROWS`] rows each; ingest jobs queue between
//! them and commit as usual.
//!
//! The archive is indexed by (tenant, observed_at), not by time alone (a
//! second index on every event would slow ingest for the sake of a job that
//! runs once a day). A chunk therefore walks the tenants present in the
//! archive — found by a skip-scan of that index, one seek per tenant — and
//! deletes each tenant's oldest rows through the index.

use rusqlite::{Connection, OptionalExtension};

use crate::StoreError;

/// Most rows one purge job deletes.
pub(crate) const PURGE_CHUNK_ROWS: u64 = 5_000;

/// The first tenant after `after` (in byte order) that has archived events.
pub(crate) fn next_event_tenant(
    conn: &Connection,
    after: &str,
) -> Result<Option<String>, StoreError> {
    Ok(conn
        .prepare_cached("SELECT tenant FROM events WHERE tenant > ?1 ORDER BY tenant LIMIT 1")?
        .query_row([after], |row| row.get(0))
        .optional()?)
}

/// Deletes up to `max_rows` events observed before `cutoff` (microseconds);
/// returns how many it deleted. Fewer than `max_rows` means none are left.
pub(crate) fn purge_chunk(
    conn: &Connection,
    cutoff: i64,
    max_rows: u64,
) -> Result<u64, StoreError> {
    let mut delete = conn.prepare_cached(
        "DELETE FROM events WHERE seq IN \
         (SELECT seq FROM events WHERE tenant = ?1 AND observed_at < ?2 LIMIT ?3)",
    )?;
    let mut deleted: u64 = 0;
    let mut tenant = next_event_tenant(conn, "")?;
    while let Some(t) = tenant.take() {
        let want = max_rows - deleted;
        if want == 0 {
            break;
        }
        let n = delete.execute((t.as_str(), cutoff, i64::try_from(want).unwrap_or(i64::MAX)))?;
        let n = n as u64;
        deleted += n;
        // Fewer than asked: this tenant has nothing older left.
        tenant = if n < want {
            next_event_tenant(conn, &t)?
        } else {
            Some(t)
        };
    }
    Ok(deleted)
}
