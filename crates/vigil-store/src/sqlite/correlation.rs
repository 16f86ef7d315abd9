//! [`CorrelationStateStore`] for [`SqliteStore`]: one row per engine,
//! written through the writer thread (so a save is one small savepoint in
//! whatever group is committing), read from the read pool.

use async_trait::async_trait;
use rusqlite::{Connection, OptionalExtension};
use vigil_model::Timestamp;

use super::SqliteStore;
use crate::{CorrelationStateStore, SavedCorrelationState, StoreError};

/// Schema version 4.
pub(crate) const CORRELATION_SCHEMA: &str = r#"
CREATE TABLE correlation_state (
    engine   TEXT PRIMARY KEY NOT NULL,
    snapshot BLOB NOT NULL,
    saved_at INTEGER NOT NULL
) WITHOUT ROWID;
"#;

fn save(
    conn: &Connection,
    engine: &str,
    snapshot: &[u8],
    saved_at: Timestamp,
) -> Result<(), StoreError> {
    conn.prepare_cached(
        "INSERT INTO correlation_state (engine, snapshot, saved_at) VALUES (?1, ?2, ?3)
         ON CONFLICT (engine) DO UPDATE SET snapshot = excluded.snapshot, saved_at = excluded.saved_at",
    )?
    .execute((engine, snapshot, saved_at.timestamp_micros()))?;
    Ok(())
}

fn load(conn: &Connection, engine: &str) -> Result<Option<SavedCorrelationState>, StoreError> {
    let row: Option<(Vec<u8>, i64)> = conn
        .prepare_cached("SELECT snapshot, saved_at FROM correlation_state WHERE engine = ?1")?
        .query_row([engine], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    Ok(row.map(|(snapshot, micros)| SavedCorrelationState {
        snapshot,
        saved_at: chrono::DateTime::from_timestamp_micros(micros).unwrap_or_default(),
    }))
}

#[async_trait]
impl CorrelationStateStore for SqliteStore {
    async fn save_correlation_state(
        &self,
        engine: &str,
        snapshot: Vec<u8>,
        saved_at: Timestamp,
    ) -> Result<(), StoreError> {
        let engine = engine.to_owned();
        self.writer
            .run_custom(move |conn| save(conn, &engine, &snapshot, saved_at))
            .await
    }

    async fn load_correlation_state(
        &self,
        engine: &str,
    ) -> Result<Option<SavedCorrelationState>, StoreError> {
        let engine = engine.to_owned();
        self.readers.run(move |c| load(c, &engine)).await
    }
}
