//! The ingest log: where a node that shares its ingest with others puts an
//! accepted batch before acknowledging its source.
//!
//! With a log installed ([`crate::Pipeline::set_log`]), `ingest` appends the
//! batch and returns once the log holds it durably; the batch is processed
//! into the store later, by whichever node consumes its partition, through
//! [`crate::Pipeline::apply`]. The batch's id makes that processing
//! repeatable: the same batch applied twice gives the same event ids, so a
//! redelivered batch adds no second event.

use std::future::Future;
use std::pin::Pin;

use vigil_model::{SourceBinding, Timestamp};

use crate::process::Payload;

/// A batch as the log carries it: everything processing needs, fixed at
/// the moment the source handed it over.
#[derive(Debug, Clone)]
pub struct LoggedBatch {
    /// Unique per batch (and per part of a batch split to fit the log):
    /// event ids are derived from it.
    pub id: u128,
    /// The source it came through.
    pub binding: SourceBinding,
    /// When it was received (the events' `received_at`).
    pub received_at: Timestamp,
    /// What the source sent.
    pub payload: Payload,
}

/// Why the log did not take a batch; the source must not be acknowledged.
#[derive(Debug, thiserror::Error)]
pub enum LogError {
    /// The log cannot be reached or did not confirm in time: nothing was
    /// taken, the source should send again.
    #[error("the ingest log is unavailable ({0}); nothing was taken, send again")]
    Unavailable(String),
}

/// A durable, shared log of accepted batches.
pub trait IngestLog: Send + Sync + std::fmt::Debug {
    /// Appends `batch`; resolves once the log holds it durably.
    fn append(
        &self,
        batch: LoggedBatch,
    ) -> Pin<Box<dyn Future<Output = Result<(), LogError>> + Send + '_>>;
}
