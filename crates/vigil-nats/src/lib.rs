//! Vigil across several nodes: NATS carries what the nodes must share
//! beside the store.
//!
//! - [`NatsBus`]: the live [`Bus`](vigil_store::Bus) over NATS core
//!   pub/sub, so that every node's listeners hear what any node raised.
//! - [`JetStreamLog`]: the ingest log. Sources on any node append each
//!   accepted batch to a JetStream stream and are acknowledged once
//!   JetStream has it; [`consumer`] workers on every node apply the
//!   batches to the store, one node per partition at a time.
//!
//! The store stays the truth. A node started without `[bus] url` runs the
//! in-process bus and processes batches where they arrive, as before.

#![warn(missing_docs)]

mod bus;
mod connect;
pub mod consumer;
mod log;
mod metrics;
mod wire;

pub use bus::NatsBus;
pub use connect::{ConnectSettings, NatsError, connect, redact_url};
pub use log::{DEFAULT_NAME, JetStreamLog, LogSettings, partition_of, stream_of, subject_of};
pub use metrics::LogMetrics;
pub use wire::{DecodeError, decode, encode};
