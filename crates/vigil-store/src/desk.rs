//! The desk's side of the store: versioned documents, the alert change
//! feed, the desk's own change feed, leases, and the audit chain.
//!
//! The store does not know what an alarm or an incident is: the desk
//! (`vigil-desk`) owns those types and hands the store [`DeskRecord`]s — a
//! JSON document plus the few columns the desk queries by (status, rank,
//! owner, link, due time). Every write is a [`DeskWrite`]: records (each
//! guarded by the version it was read at, so two operators acting on the
//! same alarm at once cannot both win), the audit entries describing the
//! change, and feed positions consumed — all committed in one transaction.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use vigil_model::{Alert, AlertId, AlertStatus, TenantId, Timestamp};

use crate::audit::{AuditEntry, AuditRecord, AuditSigner, Checkpoint, TenantExport};
use crate::governance::{Deletion, ExpiryRequest, TenantPurge};
use crate::{Store, StoreError, TenantScope};

/// A desk object as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeskRecord {
    /// What kind of object (`alarm`, `incident`, `suppression` …).
    pub kind: String,
    /// Its id, unique within the kind.
    pub id: String,
    /// The tenant it belongs to; `None` for provider-wide objects.
    pub tenant: Option<TenantId>,
    /// The version stored. A write carries the version it read (0 for a
    /// new object); the store refuses it if the stored one differs, and
    /// stores it as `version + 1`.
    pub version: i64,
    /// Its state, for filtering (`new`, `closed` …).
    pub status: String,
    /// Sort key, highest first (an alarm's priority).
    pub rank: f64,
    /// Who holds it, if anyone.
    pub owner: Option<String>,
    /// Another object it belongs to (an alarm's group, a run's incident).
    pub link: Option<String>,
    /// The alert it is the desk's view of, for alarms.
    pub alert: Option<AlertId>,
    /// The time it is about (an alarm's first evidence, an incident's
    /// opening); ties in rank go to the older.
    pub at: Timestamp,
    /// When something must happen to it (an escalation's next level).
    pub due_at: Option<Timestamp>,
    /// When it last changed.
    pub updated_at: Timestamp,
    /// The document.
    pub body: RecordBody,
}

/// A desk record's document, kept as its JSON text: reading an object
/// checks the stored text (a scan that builds nothing) and parses it
/// straight into the object's type, and writing one serialises it once. As
/// a `serde_json::Value` each built a tree of values on the way (text to
/// value to object, and back), and the desk's reads of open alarms spent
/// more time on that than on their queries.
///
/// It serialises as the document itself, not as a string.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(transparent)]
pub struct RecordBody(Box<serde_json::value::RawValue>);

impl RecordBody {
    /// The document of `value`.
    pub fn of<T: Serialize + ?Sized>(value: &T) -> Result<Self, serde_json::Error> {
        serde_json::value::to_raw_value(value).map(Self)
    }

    /// The document whose JSON text is `text`; an error if it is not JSON.
    pub fn from_text(text: String) -> Result<Self, serde_json::Error> {
        serde_json::value::RawValue::from_string(text).map(Self)
    }

    /// Its JSON text.
    pub fn text(&self) -> &str {
        self.0.get()
    }

    /// The document read as a `T`.
    pub fn read<T: serde::de::DeserializeOwned>(&self) -> Result<T, serde_json::Error> {
        serde_json::from_str(self.0.get())
    }
}

/// Two bodies are equal when their texts are: both come from the same
/// serialiser, which writes equal documents alike.
impl PartialEq for RecordBody {
    fn eq(&self, other: &Self) -> bool {
        self.text() == other.text()
    }
}

/// Everything one desk command writes, committed in one transaction.
#[derive(Debug, Clone, Default)]
pub struct DeskWrite {
    /// Records to create or replace, each guarded by its `version`.
    pub records: Vec<DeskRecord>,
    /// Records to delete, each guarded by `(kind, id, version)`.
    pub deletes: Vec<(String, String, i64)>,
    /// Audit entries to append, in order.
    pub audit: Vec<AuditRecord>,
    /// Statuses to mirror onto the alerts the desk's alarms view, so that
    /// `/api/v1/alerts?status=` agrees with the desk.
    pub alert_status: Vec<(AlertId, AlertStatus)>,
    /// The alert change feed up to (and including) this position has been
    /// handled: the store drops those entries.
    pub alert_feed_done: Option<i64>,
}

/// What a desk write did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeskReceipt {
    /// The new version of each record written, in order.
    pub versions: Vec<i64>,
    /// The audit sequence number of each entry appended, in order (1-based).
    pub audit_seqs: Vec<u64>,
}

/// Which records to list.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordQuery {
    /// The kind.
    pub kind: String,
    /// Tenants visible to the caller (provider-wide records only with `All`).
    pub scope: TenantScope,
    /// Only records in one of these statuses (empty: any).
    pub statuses: Vec<String>,
    /// Only records not in any of these statuses.
    pub not_statuses: Vec<String>,
    /// Only records held by this owner.
    pub owner: Option<String>,
    /// Only records linked to this.
    pub link: Option<String>,
    /// Only records whose `at` is at or after this.
    pub at_from: Option<Timestamp>,
    /// Only records whose `at` is before this.
    pub at_to: Option<Timestamp>,
    /// Only records due at or before this.
    pub due_by: Option<Timestamp>,
    /// The order.
    pub order: RecordOrder,
    /// Skip this many.
    pub offset: usize,
    /// At most this many (capped at [`crate::MAX_PAGE_SIZE`]).
    pub limit: usize,
}

impl RecordQuery {
    /// Every record of `kind` in `scope`, highest rank first.
    pub fn new(kind: &str, scope: TenantScope) -> Self {
        Self {
            kind: kind.to_owned(),
            scope,
            statuses: Vec::new(),
            not_statuses: Vec::new(),
            owner: None,
            link: None,
            at_from: None,
            at_to: None,
            due_by: None,
            order: RecordOrder::RankThenAge,
            offset: 0,
            limit: crate::MAX_PAGE_SIZE,
        }
    }
}

/// How records are ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordOrder {
    /// Highest rank first, then oldest `at` first (the alarm queue).
    RankThenAge,
    /// Newest `at` first.
    Newest,
    /// Earliest `due_at` first.
    Due,
}

/// An alert that was raised or gained evidence, at a position of the
/// alert change feed.
#[derive(Debug, Clone, PartialEq)]
pub struct AlertChange {
    /// Its position in the feed.
    pub seq: i64,
    /// The alert as it is now (without its evidence ids).
    pub alert: Alert,
}

/// One change to a desk record, at a position of the desk feed (what the
/// live stream sends).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeedEntry {
    /// Its position in the feed.
    pub seq: i64,
    /// The record's tenant.
    pub tenant: Option<TenantId>,
    /// The record's kind.
    pub kind: String,
    /// The record's id.
    pub id: String,
    /// The record's status after the change.
    pub status: String,
    /// The record's rank after the change.
    pub rank: f64,
    /// When it changed.
    pub at: Timestamp,
}

/// The desk's store. Implemented by the same engines as [`Store`].
#[async_trait]
pub trait DeskStore: Store {
    /// Writes `write` in one transaction; returns once it is durable. A
    /// record whose version does not match the stored one fails the whole
    /// write with [`StoreError::Conflict`].
    async fn desk_commit(&self, write: DeskWrite) -> Result<DeskReceipt, StoreError>;
    /// One record, if it exists and is in scope.
    async fn desk_record(
        &self,
        kind: &str,
        id: &str,
        scope: &TenantScope,
    ) -> Result<Option<DeskRecord>, StoreError>;
    /// Records matching the query.
    async fn desk_records(&self, query: &RecordQuery) -> Result<Vec<DeskRecord>, StoreError>;
    /// The records of `kind` with these ids in scope, those that exist, in
    /// no particular order: one read for many lookups (triage asks for
    /// the alarm of every alert in a pass, most of them new).
    async fn desk_records_by_id(
        &self,
        kind: &str,
        ids: &[String],
        scope: &TenantScope,
    ) -> Result<Vec<DeskRecord>, StoreError>;
    /// Alerts raised or updated after feed position `after`, oldest first.
    async fn alert_changes(&self, after: i64, limit: usize)
    -> Result<Vec<AlertChange>, StoreError>;
    /// Desk changes after feed position `after` in scope, oldest first.
    async fn desk_feed(
        &self,
        after: i64,
        scope: &TenantScope,
        limit: usize,
    ) -> Result<Vec<FeedEntry>, StoreError>;
    /// The newest desk feed position (0 when empty).
    async fn desk_feed_head(&self) -> Result<i64, StoreError>;
    /// Takes or renews the lease `name` for `holder` until `now + ttl`.
    /// True when `holder` holds it now; false when someone else does.
    async fn try_lease(
        &self,
        name: &str,
        holder: &str,
        now: Timestamp,
        ttl: chrono::Duration,
    ) -> Result<bool, StoreError>;
    /// Appends audit entries outside a desk command (logins, configuration
    /// changes, exports).
    async fn audit_append(&self, records: Vec<AuditRecord>) -> Result<Vec<u64>, StoreError>;
    /// Signs a checkpoint of the audit log as it is now, unless the newest
    /// checkpoint already covers every entry.
    async fn audit_checkpoint(
        &self,
        signer: &AuditSigner,
        now: Timestamp,
    ) -> Result<Option<Checkpoint>, StoreError>;
    /// Audit entries in scope, newest first, before sequence `before`.
    async fn audit_entries(
        &self,
        scope: &TenantScope,
        before: Option<u64>,
        limit: usize,
    ) -> Result<Vec<AuditEntry>, StoreError>;
    /// A tenant's own audit entries with proofs against the newest
    /// checkpoint (make one first with [`DeskStore::audit_checkpoint`]).
    async fn audit_export(&self, tenant: &TenantId) -> Result<TenantExport, StoreError>;
    /// Deletes up to `request.limit` records of one class of one client
    /// older than the cutoff, sparing what the request keeps, and appends
    /// the deletion's proof to the audit chain in the same transaction
    /// (nothing is appended when nothing was deleted). See
    /// [`crate::governance`].
    async fn delete_expired(&self, request: &ExpiryRequest) -> Result<Deletion, StoreError>;
    /// Deletes everything of `tenant` that is left — every desk record,
    /// the estate, sources, sites, tokens and the client itself (see
    /// [`crate::governance::PURGE_TABLES`]) — and records the purge in the
    /// audit chain, in one transaction. The audit chain keeps the client's
    /// entries: removing them would break every later hash.
    async fn purge_tenant(
        &self,
        tenant: &TenantId,
        actor: &str,
        at: Timestamp,
    ) -> Result<TenantPurge, StoreError>;
}
