//! Vigil across several nodes: NATS carries what the nodes must share
//! beside the store.
//!
//! - [`NatsBus`]: the live [`Bus`](vigil_store::Bus) over NATS core
//!   pub/sub, so that every node's listeners hear what any node raised.
//!
//! The store stays the truth; NATS carries notifications (the bus). A node
//! started without `[bus] url` runs the in-process bus and never links
//! anything here into its path.

#![warn(missing_docs)]

mod bus;
mod connect;

pub use bus::{BUS_SUBJECT_PREFIX, NatsBus};
pub use connect::{ConnectSettings, NatsError, connect, redact_url};
