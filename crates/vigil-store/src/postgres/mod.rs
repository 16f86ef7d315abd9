//! The scaled-out store: PostgreSQL behind the same traits as the embedded
//! SQLite store, for several nodes sharing one database.
//!
//! The shape follows from PostgreSQL being a server many nodes write to at
//! once, where SQLite had one writer thread:
//! - every write is one transaction on a pooled connection
//!   (`deadpool-postgres` over `tokio-postgres`); concurrent commits run in
//!   parallel and PostgreSQL's row locks order them;
//! - the feeds readers follow by position (the desk's alert feed, the desk
//!   feed) and the audit chain take a transaction-scoped advisory lock just
//!   before they append, held to commit: positions are handed out in commit
//!   order, so a reader that saw position n never later finds a smaller one
//!   appear (a plain sequence would let a slow transaction commit a smaller
//!   number after a larger one was read), and the audit chain has a single
//!   appender at a time across every node;
//! - events are archived in a table partitioned by day of observation
//!   (`ingest.rs` creates partitions on demand), so retention drops whole
//!   days (`retention.rs`);
//! - an ingest commit or a desk write that loses a deadlock is retried (it
//!   has not changed anything), a bounded number of times.
//!
//! Behaviour at the seam is the SQLite store's: the same scoping, the same
//! idempotency (replays change nothing), the same alert merge, the same
//! errors, the same audit hashes and checkpoint signatures (the chain's code
//! in `crate::audit` is shared). `tests/conformance/` runs one suite against
//! both.
//!
//! Times are stored as integer microseconds and JSON as text, as in SQLite:
//! the values and their text round-trip exactly, and the codecs agree.

mod audit_log;
mod codec;
mod config;
mod correlation;
mod desk;
mod estate;
mod governance;
mod ingest;
mod read;
mod retention;
mod schema;
mod search;

use std::str::FromStr;
use std::sync::Mutex;
use std::time::Duration;

use async_trait::async_trait;
use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod};
use tokio_postgres::NoTls;
use tokio_postgres::error::SqlState;

use vigil_model::{
    Alert, AlertId, DeadLetter, Event, EventId, Site, SourceBinding, Tenant, Timestamp,
};

use crate::audit::VerifyReport;
use crate::{
    AlertQuery, ApiToken, CommitReceipt, DeadLetterQuery, EventQuery, IngestBatch, Page, Store,
    StoreError, TenantScope, TokenHash,
};

/// How the PostgreSQL store connects and is tuned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PgOptions {
    /// Most connections the pool holds.
    pub max_connections: usize,
    /// The schema the store's tables live in, created if missing; `None`
    /// uses the connection's default (`public`). Letters, digits and `_`.
    pub schema: Option<String>,
    /// Attempts to reach the server at start before giving up.
    pub connect_attempts: u32,
    /// The wait before the second attempt; each later one waits twice as
    /// long as the one before, up to [`MAX_CONNECT_BACKOFF`].
    pub connect_backoff: Duration,
    /// Raw bytes kept per dead letter; longer input is cut and the reason
    /// says so.
    pub max_dead_letter_bytes: usize,
}

/// The longest wait between two attempts to reach the server at start.
pub const MAX_CONNECT_BACKOFF: Duration = Duration::from_secs(5);

impl Default for PgOptions {
    fn default() -> Self {
        Self {
            max_connections: 16,
            schema: None,
            connect_attempts: 6,
            connect_backoff: Duration::from_millis(250),
            max_dead_letter_bytes: 64 * 1024,
        }
    }
}

/// The PostgreSQL store.
pub struct PgStore {
    pool: Pool,
    /// The URL with any password replaced, for messages.
    url: String,
    /// The first key of every advisory lock this store takes: derived from
    /// the schema, so stores in different schemas of one database do not
    /// wait for each other.
    lock_space: i32,
    max_dead_letter_bytes: usize,
    /// Day partitions of `events` known to exist (by their lower bound).
    partitions: Mutex<std::collections::HashSet<i64>>,
}

impl std::fmt::Debug for PgStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgStore").field("url", &self.url).finish()
    }
}

/// What an advisory lock guards (the second key of the lock).
#[derive(Debug, Clone, Copy)]
#[repr(i32)]
pub(crate) enum Lock {
    /// Applying migrations.
    Migrate = 1,
    /// Appending to the audit chain (and signing checkpoints).
    Audit = 2,
    /// Appending to the desk's alert feed.
    AlertFeed = 3,
    /// Appending to the desk feed.
    DeskFeed = 4,
    /// Creating or dropping event partitions.
    Partitions = 5,
}

/// An error inside the PostgreSQL store: either a store error to hand on,
/// or a database error whose code decides whether the work is retried.
#[derive(Debug)]
pub(crate) enum PgError {
    Store(StoreError),
    Db(tokio_postgres::Error),
}

impl From<StoreError> for PgError {
    fn from(e: StoreError) -> Self {
        PgError::Store(e)
    }
}

impl From<tokio_postgres::Error> for PgError {
    fn from(e: tokio_postgres::Error) -> Self {
        PgError::Db(e)
    }
}

impl From<deadpool_postgres::PoolError> for PgError {
    fn from(e: deadpool_postgres::PoolError) -> Self {
        PgError::Store(StoreError::Database(format!(
            "no PostgreSQL connection: {e}"
        )))
    }
}

impl PgError {
    /// Whether running the same transaction again may succeed (it lost a
    /// deadlock or a serialisation check, and changed nothing).
    pub(crate) fn retryable(&self) -> bool {
        matches!(self, PgError::Db(e) if matches!(
            e.code(),
            Some(c) if *c == SqlState::T_R_DEADLOCK_DETECTED
                || *c == SqlState::T_R_SERIALIZATION_FAILURE
        ))
    }

    /// The SQLSTATE of a database error.
    pub(crate) fn code(&self) -> Option<&SqlState> {
        match self {
            PgError::Db(e) => e.code(),
            PgError::Store(_) => None,
        }
    }
}

/// A database error's text, with the server's detail when it gave one.
fn describe(e: &tokio_postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => match db.detail() {
            Some(detail) => format!("{} ({detail})", db.message()),
            None => db.message().to_owned(),
        },
        None => e.to_string(),
    }
}

impl From<PgError> for StoreError {
    fn from(e: PgError) -> Self {
        match e {
            PgError::Store(e) => e,
            PgError::Db(e) => StoreError::Database(describe(&e)),
        }
    }
}

pub(crate) type PgResult<T> = Result<T, PgError>;

/// Transactions retried after a deadlock, at most.
pub(crate) const RETRIES: u32 = 5;

/// `url` with its password (in the URL's user part or a `password=`
/// setting) replaced by `***`, for messages and logs.
pub fn redact_url(url: &str) -> String {
    let mut out = url.to_owned();
    if let Some(scheme_end) = out.find("://") {
        let rest = &out[scheme_end + 3..];
        let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
        if let Some(at) = rest[..authority_end].rfind('@')
            && let Some(colon) = rest[..at].find(':')
        {
            let start = scheme_end + 3 + colon + 1;
            let end = scheme_end + 3 + at;
            out.replace_range(start..end, "***");
        }
    }
    // Key-value settings (`password=…`), in a query string or a DSN.
    let lower = out.to_ascii_lowercase();
    if let Some(p) = lower.find("password=") {
        let start = p + "password=".len();
        let end = out[start..]
            .find(['&', ' '])
            .map_or(out.len(), |e| start + e);
        out.replace_range(start..end, "***");
    }
    out
}

/// Stable across builds and machines (every node must derive the same lock
/// keys): FNV-1a of the schema's name, folded to 32 bits.
fn lock_space_of(schema: &str) -> i32 {
    let mut h: u32 = 0x811c_9dc5;
    for b in schema.bytes() {
        h ^= u32::from(b);
        h = h.wrapping_mul(0x0100_0193);
    }
    i32::from_ne_bytes(h.to_ne_bytes())
}

fn valid_schema_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 63
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
        && !name.as_bytes()[0].is_ascii_digit()
}

impl PgStore {
    /// Connects to the database at `url` (`postgres://user:password@host/db`),
    /// retrying with backoff while the server cannot be reached, and brings
    /// its schema up to date (this store's migrations, run once across nodes
    /// under an advisory lock).
    pub async fn connect(url: &str, options: PgOptions) -> Result<Self, StoreError> {
        let redacted = redact_url(url);
        let open_error = |reason: String| StoreError::Open {
            path: redacted.clone(),
            reason,
        };
        let mut config = tokio_postgres::Config::from_str(url)
            .map_err(|e| open_error(format!("not a PostgreSQL URL: {e}")))?;
        if let Some(schema) = &options.schema {
            if !valid_schema_name(schema) {
                return Err(open_error(format!(
                    "schema `{schema}` must be letters, digits and `_`"
                )));
            }
            config.options(format!("-c search_path={schema}"));
        }
        if config.get_application_name().is_none() {
            config.application_name("vigil");
        }
        let manager = Manager::from_config(
            config,
            NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(options.max_connections.max(1))
            .build()
            .map_err(|e| open_error(format!("cannot build the connection pool: {e}")))?;

        let client = Self::first_connection(&pool, &redacted, &options)
            .await
            .map_err(open_error)?;
        if let Some(schema) = &options.schema {
            // The name was checked above: letters, digits and `_` only.
            client
                .batch_execute(&format!("CREATE SCHEMA IF NOT EXISTS {schema}"))
                .await
                .map_err(|e| open_error(format!("cannot create schema `{schema}`: {e}")))?;
        }
        let current: Option<String> = client
            .query_one("SELECT current_schema()", &[])
            .await
            .and_then(|row| row.try_get(0))
            .map_err(|e| open_error(describe(&e)))?;
        let current = current.ok_or_else(|| {
            open_error("no schema to create tables in (check search_path)".into())
        })?;
        let lock_space = lock_space_of(&current);
        drop(client);

        let mut client = pool
            .get()
            .await
            .map_err(|e| open_error(format!("no connection: {e}")))?;
        let applied = schema::migrate(&mut client, lock_space).await?;
        if !applied.is_empty() {
            tracing::info!(url = %redacted, schema = %current, ?applied, "store schema migrated");
        }
        Ok(Self {
            pool,
            url: redacted,
            lock_space,
            max_dead_letter_bytes: options.max_dead_letter_bytes,
            partitions: Mutex::new(Default::default()),
        })
    }

    /// The first connection, retried with backoff: a node started together
    /// with its database must not fail because the database is a few
    /// seconds slower to accept connections.
    async fn first_connection(
        pool: &Pool,
        redacted: &str,
        options: &PgOptions,
    ) -> Result<deadpool_postgres::Object, String> {
        let attempts = options.connect_attempts.max(1);
        let mut wait = options.connect_backoff;
        let mut attempt = 1;
        loop {
            match pool.get().await {
                Ok(client) => return Ok(client),
                Err(e) if attempt >= attempts => {
                    return Err(format!(
                        "PostgreSQL is unreachable after {attempts} attempts: {e}"
                    ));
                }
                Err(e) => {
                    tracing::warn!(
                        url = %redacted, attempt, of = attempts, error = %e,
                        "PostgreSQL unreachable; retrying in {wait:?}"
                    );
                    tokio::time::sleep(wait).await;
                    wait = (wait * 2).min(MAX_CONNECT_BACKOFF);
                    attempt += 1;
                }
            }
        }
    }

    /// The schema version this build reads and writes.
    pub fn schema_version() -> i64 {
        schema::current_version()
    }

    /// The URL it connected to, without the password.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Verifies the audit chain and every checkpoint, reading one snapshot
    /// (nodes may keep appending). With `trusted` keys (after a rotation,
    /// the current one and those before it), every checkpoint must be
    /// signed by one of them.
    pub async fn verify_audit(&self, trusted: &[[u8; 32]]) -> Result<VerifyReport, StoreError> {
        let mut client = self.client().await?;
        Ok(audit_log::verify(&mut client, trusted).await?)
    }

    /// A pooled connection.
    pub(crate) async fn client(&self) -> PgResult<deadpool_postgres::Object> {
        Ok(self.pool.get().await?)
    }

    /// Takes the advisory lock `lock` until the end of `tx`.
    pub(crate) async fn lock(
        &self,
        tx: &tokio_postgres::Transaction<'_>,
        lock: Lock,
    ) -> PgResult<()> {
        tx.execute(
            "SELECT pg_advisory_xact_lock($1, $2)",
            &[&self.lock_space, &(lock as i32)],
        )
        .await?;
        Ok(())
    }
}

/// Runs `$body` (an expression using the transaction `$tx`, which may use
/// `?` on [`PgResult`]s) in a transaction on a pooled connection of
/// `$store` and commits it; a deadlock or serialisation failure runs it
/// again, up to [`RETRIES`] times. Evaluates to a [`PgResult`].
macro_rules! transaction {
    ($store:expr, |$tx:ident| $body:expr) => {{
        let mut attempt: u32 = 0;
        loop {
            let result: $crate::postgres::PgResult<_> = async {
                let mut client = $store.client().await?;
                let $tx = client.transaction().await?;
                let value = $body;
                $tx.commit().await?;
                Ok(value)
            }
            .await;
            match result {
                Err(e) if e.retryable() && attempt < $crate::postgres::RETRIES => {
                    attempt += 1;
                    tracing::debug!(attempt, "transaction lost a deadlock; retrying");
                }
                other => break other,
            }
        }
    }};
}
pub(crate) use transaction;

#[async_trait]
impl Store for PgStore {
    async fn upsert_tenant(&self, tenant: &Tenant) -> Result<(), StoreError> {
        Ok(transaction!(self, |tx| config::tenant(&tx, tenant).await?)?)
    }

    async fn upsert_site(&self, site: &Site) -> Result<(), StoreError> {
        Ok(transaction!(self, |tx| config::site(&tx, site).await?)?)
    }

    async fn upsert_source(
        &self,
        source: &SourceBinding,
        token: Option<TokenHash>,
    ) -> Result<(), StoreError> {
        Ok(transaction!(self, |tx| config::source(&tx, source, token).await?)?)
    }

    async fn upsert_api_token(&self, token: &ApiToken) -> Result<(), StoreError> {
        Ok(transaction!(self, |tx| config::api_token(&tx, token).await?)?)
    }

    async fn tenants(&self, scope: &TenantScope) -> Result<Vec<Tenant>, StoreError> {
        Ok(config::tenants(&**self.client().await?, scope).await?)
    }

    async fn sites(&self, scope: &TenantScope) -> Result<Vec<Site>, StoreError> {
        Ok(config::sites(&**self.client().await?, scope).await?)
    }

    async fn sources(&self, scope: &TenantScope) -> Result<Vec<SourceBinding>, StoreError> {
        Ok(config::sources(&**self.client().await?, scope).await?)
    }

    async fn source_by_token(&self, hash: &TokenHash) -> Result<Option<SourceBinding>, StoreError> {
        Ok(config::source_by_token(&**self.client().await?, hash).await?)
    }

    async fn api_token(&self, hash: &TokenHash) -> Result<Option<ApiToken>, StoreError> {
        Ok(config::read_api_token(&**self.client().await?, hash).await?)
    }

    async fn api_tokens(&self) -> Result<Vec<ApiToken>, StoreError> {
        Ok(config::read_api_tokens(&**self.client().await?).await?)
    }

    async fn commit(&self, batch: IngestBatch) -> Result<CommitReceipt, StoreError> {
        if batch.events.is_empty() && batch.dead_letters.is_empty() && batch.detections.is_empty() {
            return Ok(CommitReceipt::default());
        }
        Ok(self.commit_batch(batch).await?)
    }

    async fn alerts(&self, query: &AlertQuery) -> Result<Page<Alert>, StoreError> {
        Ok(read::alerts(&**self.client().await?, query).await?)
    }

    async fn alert(&self, id: AlertId, scope: &TenantScope) -> Result<Option<Alert>, StoreError> {
        Ok(read::alert(&**self.client().await?, id, scope).await?)
    }

    async fn events_by_id(
        &self,
        ids: &[EventId],
        scope: &TenantScope,
    ) -> Result<Vec<Event>, StoreError> {
        Ok(search::events_by_id(&**self.client().await?, ids, scope).await?)
    }

    async fn events(&self, query: &EventQuery) -> Result<Page<Event>, StoreError> {
        let mut client = self.client().await?;
        Ok(search::events(&mut client, query).await?)
    }

    async fn dead_letters(&self, query: &DeadLetterQuery) -> Result<Page<DeadLetter>, StoreError> {
        Ok(read::dead_letters(&**self.client().await?, query).await?)
    }

    async fn purge_events_before(&self, cutoff: Timestamp) -> Result<u64, StoreError> {
        Ok(self.purge(cutoff).await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_left_out_of_urls() {
        assert_eq!(
            redact_url("postgres://vigil:s3cret@db.example:5432/vigil"),
            "postgres://vigil:***@db.example:5432/vigil"
        );
        assert_eq!(
            redact_url("postgres://postgres@127.0.0.1:5432/test"),
            "postgres://postgres@127.0.0.1:5432/test"
        );
        assert_eq!(
            redact_url("postgres://u@h/db?password=hunter2&sslmode=disable"),
            "postgres://u@h/db?password=***&sslmode=disable"
        );
        assert_eq!(
            redact_url("host=db user=u password=x dbname=v"),
            "host=db user=u password=*** dbname=v"
        );
    }

    #[test]
    fn lock_spaces_are_stable_and_differ_by_schema() {
        assert_eq!(lock_space_of("public"), lock_space_of("public"));
        assert_ne!(lock_space_of("public"), lock_space_of("vigil_test_1"));
    }

    #[test]
    fn schema_names_are_plain_identifiers() {
        assert!(valid_schema_name("vigil_test_0a"));
        assert!(!valid_schema_name("x; DROP TABLE y"));
        assert!(!valid_schema_name("1abc"));
        assert!(!valid_schema_name(""));
    }

    #[tokio::test]
    async fn an_unreachable_server_is_retried_then_named_without_its_password() {
        // Nothing listens on port 1 of the loopback address.
        let options = PgOptions {
            connect_attempts: 3,
            connect_backoff: Duration::from_millis(10),
            ..PgOptions::default()
        };
        let started = std::time::Instant::now();
        let err = PgStore::connect("postgres://vigil:s3cret@127.0.0.1:1/vigil", options)
            .await
            .map(|_| ())
            .unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("postgres://vigil:***@127.0.0.1:1/vigil"),
            "{text}"
        );
        assert!(!text.contains("s3cret"), "{text}");
        assert!(text.contains("unreachable after 3 attempts"), "{text}");
        assert!(
            started.elapsed() >= Duration::from_millis(30),
            "it waited between attempts"
        );
    }
}
