//! The seam between Vigil's logic and its engines.
//!
//! Two traits sit here: [`Store`], the durable record (tenants, sources,
//! tokens, the event archive, alerts, dead letters), and [`Bus`], the live
//! stream of what just happened. Nothing above them knows which engine runs:
//! SQLite embedded by default ([`sqlite::SqliteStore`]), PostgreSQL when
//! scaled out ([`postgres::PgStore`]). [`NodeStore`] is everything a node
//! needs of one engine.

#![warn(missing_docs)]

pub mod audit;
mod bus;
mod correlation;
mod desk;
mod encoding;
mod estate;
pub mod governance;
mod node;
pub mod postgres;
mod query;
pub mod sqlite;
mod store;
pub mod token;

pub use bus::{Bus, BusMessage, LocalBus};
pub use correlation::{CorrelationStateStore, SavedCorrelationState};
pub use desk::{
    AlertChange, DeskReceipt, DeskRecord, DeskStore, DeskWrite, FeedEntry, RecordBody, RecordOrder,
    RecordQuery,
};
pub use estate::{
    DeviceRecord, EstateStore, PHYSICAL_EVENT_CLASSES, PanelAccountRecord, PeopleImport,
    PersonRecord, SiteEvent, SupervisionRecord,
};
pub use node::NodeStore;
pub use query::{
    AlertQuery, Cursor, DeadLetterQuery, EventQuery, FieldFilter, MAX_PAGE_SIZE, Page, TenantScope,
};
pub use store::{
    AlertDetection, ApiToken, CommitReceipt, IngestBatch, MAX_ALERT_ENTITIES, MAX_ALERT_EVIDENCE,
    Role, Store, StoreError, TokenHash,
};
/// The status a [`PersonRecord`] holds; the model's type, re-exported for
/// code that reads people through the store.
pub use vigil_model::PersonStatus;
