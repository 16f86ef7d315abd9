//! [`NodeStore`]: every part of the store a node uses, from one engine.

use crate::{CorrelationStateStore, DeskStore, EstateStore};

/// The store, the desk's store, the estate's store and the correlation
/// engine's state, implemented together by each engine (SQLite and
/// PostgreSQL). A node holds one `Arc<dyn NodeStore>` and hands out the
/// parts (`Arc<dyn Store>`, `Arc<dyn DeskStore>` …) by upcasting it.
pub trait NodeStore: DeskStore + EstateStore + CorrelationStateStore {}

impl<T: DeskStore + EstateStore + CorrelationStateStore> NodeStore for T {}
