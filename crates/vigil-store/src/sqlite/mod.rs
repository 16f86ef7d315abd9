//! The embedded store: SQLite in WAL mode behind the [`Store`] trait.
//!
//! The shape follows from SQLite's one-writer-many-readers model:
//! - every write (ingest batches, configuration, retention) goes to one
//!   dedicated writer thread that owns the only write connection and does
//!   group commit (`writer.rs`): one transaction and one fsync for every
//!   job that queued up while the previous group was committing;
//! - WAL checkpoints run on a thread of their own (`checkpoint.rs`), so
//!   copying the log back into the database never stalls a commit;
//! - reads run on a small pool of read-only connections on tokio's blocking
//!   pool (`pool.rs`); WAL lets them read a consistent snapshot while the
//!   writer appends.
//!
//! Durability: `synchronous=FULL`, so when [`Store::commit`] returns the
//! batch has been fsynced and survives power loss — the promise Vigil makes
//! when it acknowledges a source. Group commit is what makes that promise
//! affordable: the fsync is paid per group, not per caller.
//!
//! The write path keeps per-event work small and off the writer thread
//! where possible: events are encoded (fields serialised to JSON once, ids
//! to 16-byte blobs, times to microseconds) by the committing caller — on
//! the blocking pool for large batches — before they are queued, so the
//! single writer only binds and steps prepared statements, and several
//! callers encode in parallel while it writes.
//!
//! Measured on the 2-core development VM (`benches/commit.rs`, ~1 KB
//! Windows events): the writer spends ~8 µs of CPU per event (three b-tree
//! inserts and the WAL), the caller ~5 µs encoding; one caller committing
//! 1,000-event batches reaches ~40k events/s, several callers together
//! ~55–60k. Plain SQLite on the same machine, same schema and pragmas, rows
//! pre-encoded, reaches ~65–70k: the store is close to the engine's floor
//! here, and every byte is written twice (log, then database file).

mod audit_log;
mod checkpoint;
mod codec;
mod config;
mod correlation;
mod desk;
mod desk_impl;
mod estate;
mod evidence;
mod governance;
mod ingest;
mod pool;
mod read;
mod retention;
mod schema;
mod search;
mod site_events;
mod writer;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use rusqlite::{Connection, OpenFlags};

use vigil_model::{
    Alert, AlertId, DeadLetter, Event, EventId, Site, SourceBinding, Tenant, Timestamp,
};

use crate::{
    AlertQuery, ApiToken, CommitReceipt, DeadLetterQuery, EventQuery, IngestBatch, Page, Store,
    StoreError, TenantScope, TokenHash,
};
use config::ConfigChange;
use ingest::EncodedBatch;
use pool::{ReadPool, ReaderSettings};
use retention::PURGE_CHUNK_ROWS;
use writer::{Job, Writer, WriterLimits};

/// How the embedded store is tuned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SqliteOptions {
    /// Read-only connections for queries (at least one is opened).
    pub readers: usize,
    /// Raw bytes kept per dead letter; longer input is cut and the reason
    /// says so.
    pub max_dead_letter_bytes: usize,
    /// Page cache per connection, in KiB.
    pub cache_size_kib: u32,
    /// How long a connection waits for a lock held by another process
    /// before failing.
    pub busy_timeout: Duration,
    /// Write jobs that may wait for the writer before callers are held
    /// back (backpressure on ingest). With ~1,000-event batches each job
    /// holds about a megabyte, so this bounds the memory queued writes use.
    pub writer_queue: usize,
    /// Most write jobs committed together in one transaction.
    pub max_group_jobs: usize,
}

impl Default for SqliteOptions {
    fn default() -> Self {
        Self {
            readers: 4,
            max_dead_letter_bytes: 64 * 1024,
            cache_size_kib: 16 * 1024,
            busy_timeout: Duration::from_secs(5),
            writer_queue: 64,
            max_group_jobs: 32,
        }
    }
}

/// The embedded SQLite store.
///
/// Dropping it closes the write queue and waits for the writer to commit
/// what was already queued.
#[derive(Debug)]
pub struct SqliteStore {
    path: PathBuf,
    writer: Writer,
    readers: Arc<ReadPool>,
    // Last: a temporary database is deleted after its connections close.
    _temporary: Option<tempfile::TempDir>,
}

fn open_error(path: &Path, reason: impl std::fmt::Display) -> StoreError {
    StoreError::Open {
        path: path.display().to_string(),
        reason: reason.to_string(),
    }
}

impl SqliteStore {
    /// Opens (creating if needed) the database at `path`, creating its
    /// parent directory, and brings its schema up to date.
    ///
    /// Blocks while it opens the file and runs migrations; call it at
    /// start-up, or from `spawn_blocking`.
    pub fn open(path: &Path, options: SqliteOptions) -> Result<Self, StoreError> {
        if let Some(parent) = path.parent()
            && !parent.as_os_str().is_empty()
        {
            std::fs::create_dir_all(parent).map_err(|e| open_error(path, e))?;
        }
        let mut conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE
                | OpenFlags::SQLITE_OPEN_CREATE
                | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(|e| open_error(path, e))?;
        configure_writer(&conn, &options).map_err(|e| open_error(path, e))?;
        let applied = schema::migrate(&mut conn)?;
        if !applied.is_empty() {
            tracing::info!(path = %path.display(), ?applied, "store schema migrated");
        }
        let readers = ReadPool::open(
            ReaderSettings {
                path: path.to_owned(),
                busy_timeout: options.busy_timeout,
                cache_size_kib: options.cache_size_kib,
            },
            options.readers,
        )
        .map_err(|e| open_error(path, e))?;
        let checkpoint_conn = open_checkpoint_connection(path, &options)?;
        let writer = Writer::start(
            conn,
            checkpoint_conn,
            options.writer_queue,
            WriterLimits {
                max_group_jobs: options.max_group_jobs.max(1),
                max_dead_letter_bytes: options.max_dead_letter_bytes,
            },
        )
        .map_err(|e| open_error(path, format_args!("cannot start the writer thread: {e}")))?;
        Ok(Self {
            path: path.to_owned(),
            writer,
            readers,
            _temporary: None,
        })
    }

    /// A store in a new temporary directory, deleted when the store is
    /// dropped. For tests and demos.
    pub fn open_temporary(options: SqliteOptions) -> Result<Self, StoreError> {
        let dir = tempfile::Builder::new()
            .prefix("vigil-store-")
            .tempdir()
            .map_err(|e| open_error(Path::new("<temporary>"), e))?;
        let mut store = Self::open(&dir.path().join("vigil.db"), options)?;
        store._temporary = Some(dir);
        Ok(store)
    }

    /// The schema version this build reads and writes.
    pub fn schema_version() -> i64 {
        schema::current_version()
    }

    /// Where the database file is.
    pub fn path(&self) -> &Path {
        &self.path
    }

    async fn configure(&self, change: ConfigChange) -> Result<(), StoreError> {
        self.writer
            .submit(|reply| Job::Config { change, reply })
            .await
    }
}

/// Batches with more events than this are encoded on the blocking pool.
const INLINE_ENCODE_MAX_EVENTS: usize = 32;

/// Page size of new databases.
const PAGE_SIZE: i64 = 16 * 1024;

/// Pragmas for the write connection. `journal_mode` and `synchronous` are
/// read back: a database that silently stayed in rollback-journal mode or
/// lost its fsyncs would break the durability promise without a sound.
fn configure_writer(conn: &Connection, options: &SqliteOptions) -> Result<(), String> {
    let sql = |e: rusqlite::Error| e.to_string();
    conn.busy_timeout(options.busy_timeout).map_err(sql)?;
    // Only takes effect while the file is still empty (a new database).
    // Events are ~1 KB; with 4 KiB pages the WAL is written as four times
    // as many frames, one pair of write calls each, and ingest measured
    // ~30% slower.
    conn.pragma_update(None, "page_size", PAGE_SIZE)
        .map_err(sql)?;
    let mode: String = conn
        .pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get(0))
        .map_err(sql)?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(format!("journal_mode is `{mode}`; WAL is required"));
    }
    conn.pragma_update(None, "synchronous", "FULL")
        .map_err(sql)?;
    let synchronous: i64 = conn
        .pragma_query_value(None, "synchronous", |row| row.get(0))
        .map_err(sql)?;
    if synchronous < 2 {
        return Err(format!(
            "synchronous is {synchronous}; FULL (2) is required"
        ));
    }
    conn.pragma_update(None, "foreign_keys", true)
        .map_err(sql)?;
    // Checkpoints are the checkpoint thread's job; this is the backstop.
    conn.pragma_update(None, "wal_autocheckpoint", checkpoint::BACKSTOP_PAGES)
        .map_err(sql)?;
    conn.pragma_update(None, "cache_size", -i64::from(options.cache_size_kib))
        .map_err(sql)?;
    // Keep a checkpointed WAL from staying at its high-water mark.
    conn.pragma_update(None, "journal_size_limit", 64 * 1024 * 1024)
        .map_err(sql)?;
    conn.pragma_update(None, "temp_store", "MEMORY")
        .map_err(sql)?;
    conn.set_prepared_statement_cache_capacity(64);
    Ok(())
}

/// The checkpoint thread's connection. Checkpoints fsync the database
/// file, so it too runs with `synchronous=FULL`.
fn open_checkpoint_connection(
    path: &Path,
    options: &SqliteOptions,
) -> Result<Connection, StoreError> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|e| open_error(path, e))?;
    conn.busy_timeout(options.busy_timeout)
        .and_then(|()| conn.pragma_update(None, "synchronous", "FULL"))
        .and_then(|()| conn.pragma_update(None, "wal_autocheckpoint", 0))
        .map_err(|e| open_error(path, e))?;
    Ok(conn)
}

#[async_trait]
impl Store for SqliteStore {
    async fn upsert_tenant(&self, tenant: &Tenant) -> Result<(), StoreError> {
        self.configure(ConfigChange::Tenant(tenant.clone())).await
    }

    async fn upsert_site(&self, site: &Site) -> Result<(), StoreError> {
        self.configure(ConfigChange::Site(site.clone())).await
    }

    async fn upsert_source(
        &self,
        source: &SourceBinding,
        token: Option<TokenHash>,
    ) -> Result<(), StoreError> {
        self.configure(ConfigChange::Source(source.clone(), token))
            .await
    }

    async fn upsert_api_token(&self, token: &ApiToken) -> Result<(), StoreError> {
        self.configure(ConfigChange::ApiToken(token.clone())).await
    }

    async fn tenants(&self, scope: &TenantScope) -> Result<Vec<Tenant>, StoreError> {
        let scope = scope.clone();
        self.readers.run(move |c| read::tenants(c, &scope)).await
    }

    async fn sites(&self, scope: &TenantScope) -> Result<Vec<Site>, StoreError> {
        let scope = scope.clone();
        self.readers.run(move |c| read::sites(c, &scope)).await
    }

    async fn sources(&self, scope: &TenantScope) -> Result<Vec<SourceBinding>, StoreError> {
        let scope = scope.clone();
        self.readers.run(move |c| read::sources(c, &scope)).await
    }

    async fn source_by_token(&self, hash: &TokenHash) -> Result<Option<SourceBinding>, StoreError> {
        let hash = *hash;
        self.readers
            .run(move |c| read::source_by_token(c, &hash))
            .await
    }

    async fn api_token(&self, hash: &TokenHash) -> Result<Option<ApiToken>, StoreError> {
        let hash = *hash;
        self.readers.run(move |c| read::api_token(c, &hash)).await
    }

    async fn api_tokens(&self) -> Result<Vec<ApiToken>, StoreError> {
        self.readers.run(read::api_tokens).await
    }

    async fn commit(&self, batch: IngestBatch) -> Result<CommitReceipt, StoreError> {
        if batch.events.is_empty() && batch.dead_letters.is_empty() && batch.detections.is_empty() {
            return Ok(CommitReceipt::default());
        }
        // Encoding a large batch (and dropping its events) is milliseconds
        // of CPU: too long to hold an async worker, so it moves to the
        // blocking pool; a small one is cheaper to do in place.
        let batch = if batch.events.len() > INLINE_ENCODE_MAX_EVENTS {
            tokio::task::spawn_blocking(move || EncodedBatch::new(batch))
                .await
                .map_err(|e| StoreError::Database(format!("encoding task failed: {e}")))??
        } else {
            EncodedBatch::new(batch)?
        };
        tracing::trace!(events = batch.event_count(), "queueing ingest batch");
        self.writer
            .submit(|reply| Job::Ingest { batch, reply })
            .await
    }

    async fn alerts(&self, query: &AlertQuery) -> Result<Page<Alert>, StoreError> {
        let query = query.clone();
        self.readers.run(move |c| read::alerts(c, &query)).await
    }

    async fn alert(&self, id: AlertId, scope: &TenantScope) -> Result<Option<Alert>, StoreError> {
        let scope = scope.clone();
        self.readers.run(move |c| read::alert(c, id, &scope)).await
    }

    async fn events_by_id(
        &self,
        ids: &[EventId],
        scope: &TenantScope,
    ) -> Result<Vec<Event>, StoreError> {
        let ids = ids.to_vec();
        let scope = scope.clone();
        self.readers
            .run(move |c| search::events_by_id(c, &ids, &scope))
            .await
    }

    async fn events(&self, query: &EventQuery) -> Result<Page<Event>, StoreError> {
        let query = query.clone();
        self.readers.run(move |c| search::events(c, &query)).await
    }

    async fn dead_letters(&self, query: &DeadLetterQuery) -> Result<Page<DeadLetter>, StoreError> {
        let query = query.clone();
        self.readers
            .run(move |c| read::dead_letters(c, &query))
            .await
    }

    async fn purge_events_before(&self, cutoff: Timestamp) -> Result<u64, StoreError> {
        let cutoff_micros = codec::micros(cutoff);
        let mut total = 0;
        loop {
            // One chunk per job: ingest queued meanwhile commits in between.
            let deleted = self
                .writer
                .submit(|reply| Job::Purge {
                    cutoff_micros,
                    max_rows: PURGE_CHUNK_ROWS,
                    reply,
                })
                .await?;
            total += deleted;
            if deleted < PURGE_CHUNK_ROWS {
                return Ok(total);
            }
        }
    }
}
