//! [`DeskStore`] for [`SqliteStore`]: writes go to the writer thread (so a
//! desk command and its audit entry share one transaction and one fsync
//! with whatever else is committing), reads to the read pool.

use std::path::Path;

use async_trait::async_trait;

use vigil_model::{TenantId, Timestamp};

use super::{SqliteStore, audit_log, desk, governance};
use crate::audit::{AuditEntry, AuditRecord, AuditSigner, Checkpoint, TenantExport, VerifyReport};
use crate::governance::{Deletion, ExpiryRequest};
use crate::{
    AlertChange, DeskReceipt, DeskRecord, DeskStore, DeskWrite, FeedEntry, RecordQuery, StoreError,
    TenantScope,
};

impl SqliteStore {
    /// Verifies the audit chain and every checkpoint of the database file at
    /// `path`, opened read-only (a running server may keep writing). With
    /// `trusted` keys (after a rotation, the current one and those before
    /// it), every checkpoint must be signed by one of them.
    pub fn verify_audit(path: &Path, trusted: &[[u8; 32]]) -> Result<VerifyReport, StoreError> {
        audit_log::verify_file(path, trusted)
    }

    /// The audit log's entry hashes (in order) and its signed checkpoints,
    /// read from the database file at `path` without opening it for writing.
    pub fn audit_tree(
        path: &Path,
    ) -> Result<(Vec<crate::audit::Hash>, Vec<crate::audit::Checkpoint>), StoreError> {
        audit_log::tree_file(path)
    }
}

#[async_trait]
impl DeskStore for SqliteStore {
    async fn desk_commit(&self, write: DeskWrite) -> Result<DeskReceipt, StoreError> {
        self.writer
            .run_custom(move |conn| desk::commit(conn, write))
            .await
    }

    async fn desk_record(
        &self,
        kind: &str,
        id: &str,
        scope: &TenantScope,
    ) -> Result<Option<DeskRecord>, StoreError> {
        let (kind, id, scope) = (kind.to_owned(), id.to_owned(), scope.clone());
        self.readers
            .run(move |c| desk::record(c, &kind, &id, &scope))
            .await
    }

    async fn desk_records(&self, query: &RecordQuery) -> Result<Vec<DeskRecord>, StoreError> {
        let query = query.clone();
        self.readers.run(move |c| desk::records(c, &query)).await
    }

    async fn desk_records_by_id(
        &self,
        kind: &str,
        ids: &[String],
        scope: &TenantScope,
    ) -> Result<Vec<DeskRecord>, StoreError> {
        let ids = ids.to_vec();
        let (kind, scope) = (kind.to_owned(), scope.clone());
        // One reader task, one cached statement run per id: each is a
        // primary-key lookup, and the task's hand-off was the cost.
        self.readers
            .run(move |c| {
                let mut out = Vec::new();
                for id in &ids {
                    out.extend(desk::record(c, &kind, id, &scope)?);
                }
                Ok(out)
            })
            .await
    }

    async fn alert_changes(
        &self,
        after: i64,
        limit: usize,
    ) -> Result<Vec<AlertChange>, StoreError> {
        self.readers
            .run(move |c| desk::alert_changes(c, after, limit))
            .await
    }

    async fn desk_feed(
        &self,
        after: i64,
        scope: &TenantScope,
        limit: usize,
    ) -> Result<Vec<FeedEntry>, StoreError> {
        let scope = scope.clone();
        self.readers
            .run(move |c| desk::feed(c, after, &scope, limit))
            .await
    }

    async fn desk_feed_head(&self) -> Result<i64, StoreError> {
        self.readers.run(desk::feed_head).await
    }

    async fn try_lease(
        &self,
        name: &str,
        holder: &str,
        now: Timestamp,
        ttl: chrono::Duration,
    ) -> Result<bool, StoreError> {
        let (name, holder) = (name.to_owned(), holder.to_owned());
        self.writer
            .run_custom(move |conn| desk::lease(conn, &name, &holder, now, ttl))
            .await
    }

    async fn audit_append(&self, records: Vec<AuditRecord>) -> Result<Vec<u64>, StoreError> {
        self.writer
            .run_custom(move |conn| {
                records
                    .iter()
                    .map(|r| audit_log::append(conn, r))
                    .collect::<Result<Vec<_>, _>>()
            })
            .await
    }

    async fn audit_checkpoint(
        &self,
        signer: &AuditSigner,
        now: Timestamp,
    ) -> Result<Option<Checkpoint>, StoreError> {
        let signer = signer.clone();
        self.writer
            .run_custom(move |conn| audit_log::checkpoint(conn, &signer, now))
            .await
    }

    async fn audit_entries(
        &self,
        scope: &TenantScope,
        before: Option<u64>,
        limit: usize,
    ) -> Result<Vec<AuditEntry>, StoreError> {
        let scope = scope.clone();
        self.readers
            .run(move |c| audit_log::entries(c, &scope, before, limit))
            .await
    }

    async fn audit_export(&self, tenant: &TenantId) -> Result<TenantExport, StoreError> {
        let tenant = tenant.clone();
        self.readers
            .run(move |c| audit_log::export(c, &tenant))
            .await
    }

    async fn delete_expired(&self, request: &ExpiryRequest) -> Result<Deletion, StoreError> {
        let request = request.clone();
        self.writer
            .run_custom(move |conn| governance::delete_expired(conn, &request))
            .await
    }

    async fn purge_tenant(
        &self,
        tenant: &TenantId,
        actor: &str,
        at: Timestamp,
    ) -> Result<crate::governance::TenantPurge, StoreError> {
        let (tenant, actor) = (tenant.clone(), actor.to_owned());
        self.writer
            .run_custom(move |conn| governance::purge_tenant(conn, &tenant, &actor, at))
            .await
    }
}
