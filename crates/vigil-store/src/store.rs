//! The [`Store`] trait and the types that cross it.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use vigil_model::{
    Alert, AlertId, DeadLetter, Event, EventId, Site, SourceBinding, Tenant, TenantId, Timestamp,
};

use crate::query::{AlertQuery, DeadLetterQuery, EventQuery, Page, TenantScope};

/// A failure of the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database engine reported an error.
    #[error("database error: {0}")]
    Database(String),
    /// The stored schema is newer than this build understands.
    #[error(
        "database schema version {found} is newer than this build's {supported}; upgrade Vigil"
    )]
    SchemaTooNew {
        /// The version found in the database.
        found: i64,
        /// The newest version this build knows.
        supported: i64,
    },
    /// A row could not be decoded into the domain type.
    #[error("stored {what} `{id}` could not be read: {reason}")]
    Corrupt {
        /// What kind of row.
        what: &'static str,
        /// Its id.
        id: String,
        /// What was wrong.
        reason: String,
    },
    /// A cursor given by a client was not one the store issued.
    #[error("invalid cursor: {0}")]
    BadCursor(String),
    /// A referenced object does not exist.
    #[error("{what} `{id}` does not exist")]
    NotFound {
        /// What kind of object.
        what: &'static str,
        /// Its id.
        id: String,
    },
    /// The store is shutting down or its worker has stopped.
    #[error("store is closed")]
    Closed,
    /// A write was based on a version of an object that has changed since
    /// it was read (someone else changed it first).
    #[error(
        "{what} `{id}` was changed by someone else (read version {expected}, now {found}); reload it and try again"
    )]
    Conflict {
        /// What kind of object.
        what: String,
        /// Its id.
        id: String,
        /// The version the writer had read (0: it expected none).
        expected: i64,
        /// The version stored now (0: there is none).
        found: i64,
    },
    /// File system trouble opening the store.
    #[error("cannot open store at {path}: {reason}")]
    Open {
        /// Where.
        path: String,
        /// Why.
        reason: String,
    },
}

/// SHA-256 of a bearer token. Tokens are random and long, so a plain hash is
/// the right tool: it keeps the secret out of the database without the cost
/// of a password hash on every request.
pub type TokenHash = [u8; 32];

/// What a token lets its bearer do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Provider administrator: everything, every tenant.
    ProviderAdmin,
    /// Provider shift lead: operate every tenant, manage the shift.
    ProviderLead,
    /// Provider operator: operate every tenant.
    ProviderOperator,
    /// Client administrator: its own tenant, including its users.
    ClientAdmin,
    /// Client viewer: read its own tenant.
    ClientViewer,
}

impl Role {
    /// The role's name in configuration and storage.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::ProviderAdmin => "provider_admin",
            Role::ProviderLead => "provider_lead",
            Role::ProviderOperator => "provider_operator",
            Role::ClientAdmin => "client_admin",
            Role::ClientViewer => "client_viewer",
        }
    }

    /// Parses a role name as written by [`Role::as_str`].
    pub fn parse(name: &str) -> Option<Self> {
        [
            Role::ProviderAdmin,
            Role::ProviderLead,
            Role::ProviderOperator,
            Role::ClientAdmin,
            Role::ClientViewer,
        ]
        .into_iter()
        .find(|r| r.as_str() == name)
    }

    /// Whether the role belongs to the provider (sees every tenant).
    pub fn is_provider(self) -> bool {
        matches!(
            self,
            Role::ProviderAdmin | Role::ProviderLead | Role::ProviderOperator
        )
    }
}

/// An API token as stored: who it is for and what it may see.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiToken {
    /// A name for people (`admin`, `northgate-viewer`).
    pub name: String,
    /// What it may do.
    pub role: Role,
    /// The tenant it is bound to; `None` only for provider roles.
    pub tenant: Option<TenantId>,
    /// SHA-256 of the token.
    #[serde(skip)]
    pub hash: TokenHash,
}

/// One rule's detections on one alert, to be merged into the stored alert.
#[derive(Debug, Clone, PartialEq)]
pub struct AlertDetection {
    /// The alert as it would be if new; on conflict the store merges.
    pub alert: Alert,
    /// Evidence to add: the event, its content fingerprint (replays of the
    /// same content do not add evidence twice) and its observed time.
    pub evidence: Vec<(EventId, u64, Timestamp)>,
}

/// Everything one ingest step writes, committed in one transaction.
#[derive(Debug, Clone, Default)]
pub struct IngestBatch {
    /// Accepted events.
    pub events: Vec<Event>,
    /// Content fingerprints of `events`, index for index.
    pub fingerprints: Vec<u64>,
    /// Input that could not be accepted.
    pub dead_letters: Vec<DeadLetter>,
    /// Alerts raised or updated by the events.
    pub detections: Vec<AlertDetection>,
}

/// What a commit did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CommitReceipt {
    /// Alerts that did not exist before this commit.
    pub alerts_created: Vec<AlertId>,
    /// Alerts that existed and gained evidence.
    pub alerts_updated: Vec<AlertId>,
    /// Events written.
    pub events_written: usize,
    /// Dead letters written.
    pub dead_letters_written: usize,
}

/// The durable record. Every method is scoped: queries take a
/// [`TenantScope`] that the caller derives from the authenticated principal,
/// never from the request body.
#[async_trait]
pub trait Store: Send + Sync + std::fmt::Debug {
    // --- configuration ---

    /// Creates or renames a tenant.
    async fn upsert_tenant(&self, tenant: &Tenant) -> Result<(), StoreError>;
    /// Creates or updates a site (its tenant must exist).
    async fn upsert_site(&self, site: &Site) -> Result<(), StoreError>;
    /// Creates or updates a source binding, and its ingest token when given.
    async fn upsert_source(
        &self,
        source: &SourceBinding,
        token: Option<TokenHash>,
    ) -> Result<(), StoreError>;
    /// Creates or updates an API token (keyed by its hash).
    async fn upsert_api_token(&self, token: &ApiToken) -> Result<(), StoreError>;
    /// Tenants in scope.
    async fn tenants(&self, scope: &TenantScope) -> Result<Vec<Tenant>, StoreError>;
    /// Sites in scope.
    async fn sites(&self, scope: &TenantScope) -> Result<Vec<Site>, StoreError>;
    /// Sources in scope.
    async fn sources(&self, scope: &TenantScope) -> Result<Vec<SourceBinding>, StoreError>;
    /// The source an ingest token belongs to.
    async fn source_by_token(&self, hash: &TokenHash) -> Result<Option<SourceBinding>, StoreError>;
    /// The API token with this hash.
    async fn api_token(&self, hash: &TokenHash) -> Result<Option<ApiToken>, StoreError>;
    /// Every API token stored, by name: what an access review reads (a
    /// token removed from the configuration stays here, and still opens
    /// the API, until it is deleted).
    async fn api_tokens(&self) -> Result<Vec<ApiToken>, StoreError>;

    // --- the ingest path ---

    /// Writes a batch in one transaction; returns only once it is durable.
    async fn commit(&self, batch: IngestBatch) -> Result<CommitReceipt, StoreError>;

    // --- reading ---

    /// Alerts matching the query, newest first.
    async fn alerts(&self, query: &AlertQuery) -> Result<Page<Alert>, StoreError>;
    /// One alert, if it exists and is in scope.
    async fn alert(&self, id: AlertId, scope: &TenantScope) -> Result<Option<Alert>, StoreError>;
    /// Events by id, in scope, in the order asked (missing ones left out).
    async fn events_by_id(
        &self,
        ids: &[EventId],
        scope: &TenantScope,
    ) -> Result<Vec<Event>, StoreError>;
    /// Events matching the query, newest observed first.
    async fn events(&self, query: &EventQuery) -> Result<Page<Event>, StoreError>;
    /// Dead letters matching the query, newest first.
    async fn dead_letters(&self, query: &DeadLetterQuery) -> Result<Page<DeadLetter>, StoreError>;

    // --- housekeeping ---

    /// Deletes archived events observed before `cutoff`; returns how many.
    /// Alerts keep their evidence ids; the events behind them are gone.
    async fn purge_events_before(&self, cutoff: Timestamp) -> Result<u64, StoreError>;
}

/// Entities are merged into alerts up to this many; beyond it, new ones are
/// dropped (the evidence events still name them).
pub const MAX_ALERT_ENTITIES: usize = 32;

/// Evidence ids kept on an alert; the count goes on past it.
pub const MAX_ALERT_EVIDENCE: usize = 100;
