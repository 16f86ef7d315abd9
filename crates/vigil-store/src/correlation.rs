//! Where the correlation engine keeps its state across restarts: one
//! opaque snapshot per engine, replaced whole each time it is saved.
//!
//! The store does not read the snapshot; the pipeline's correlation stage
//! writes what `vigil_correlate::CorrelationEngine::snapshot` produced and
//! reads it back at start-up.

use async_trait::async_trait;
use vigil_model::Timestamp;

use crate::StoreError;

/// A saved snapshot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SavedCorrelationState {
    /// The snapshot's bytes, as written.
    pub snapshot: Vec<u8>,
    /// When it was saved (the saver's clock).
    pub saved_at: Timestamp,
}

/// Saving and loading correlation engine state.
#[async_trait]
pub trait CorrelationStateStore: Send + Sync {
    /// Replaces the state saved under `engine` (durable when it returns).
    async fn save_correlation_state(
        &self,
        engine: &str,
        snapshot: Vec<u8>,
        saved_at: Timestamp,
    ) -> Result<(), StoreError>;

    /// The state saved under `engine`, if any.
    async fn load_correlation_state(
        &self,
        engine: &str,
    ) -> Result<Option<SavedCorrelationState>, StoreError>;
}
