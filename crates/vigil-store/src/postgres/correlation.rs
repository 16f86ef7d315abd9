//! [`CorrelationStateStore`] for [`PgStore`]: one row per engine, replaced
//! whole on every save.

use async_trait::async_trait;
use vigil_model::Timestamp;

use super::{PgError, PgStore, transaction};
use crate::{CorrelationStateStore, SavedCorrelationState, StoreError};

#[async_trait]
impl CorrelationStateStore for PgStore {
    async fn save_correlation_state(
        &self,
        engine: &str,
        snapshot: Vec<u8>,
        saved_at: Timestamp,
    ) -> Result<(), StoreError> {
        let saved_at = saved_at.timestamp_micros();
        transaction!(self, |tx| {
            tx.execute(
                "INSERT INTO correlation_state (engine, snapshot, saved_at) VALUES ($1, $2, $3) \
                 ON CONFLICT (engine) DO UPDATE SET snapshot = excluded.snapshot, \
                 saved_at = excluded.saved_at",
                &[&engine, &snapshot, &saved_at],
            )
            .await?
        })?;
        Ok(())
    }

    async fn load_correlation_state(
        &self,
        engine: &str,
    ) -> Result<Option<SavedCorrelationState>, StoreError> {
        let client = self.client().await?;
        let row = client
            .query_opt(
                "SELECT snapshot, saved_at FROM correlation_state WHERE engine = $1",
                &[&engine],
            )
            .await
            .map_err(PgError::from)?;
        let Some(row) = row else { return Ok(None) };
        let snapshot: Vec<u8> = row.try_get(0).map_err(PgError::from)?;
        let micros: i64 = row.try_get(1).map_err(PgError::from)?;
        Ok(Some(SavedCorrelationState {
            snapshot,
            saved_at: chrono::DateTime::from_timestamp_micros(micros).unwrap_or_default(),
        }))
    }
}
