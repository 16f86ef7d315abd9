//! Off-boarding a client: what it owns read out for the export, then all
//! of it deleted — each class in proven batches, then the rest in one
//! purge, every step in the audit chain — and the certificate signed.
//! Refused while any legal hold on the client stands.

use std::collections::BTreeMap;

use chrono::Duration;
use vigil_model::TenantId;
use vigil_store::governance::{DataClass, ExpiryRequest, TenantPurge};
use vigil_store::{DeskRecord, RecordQuery, TenantScope};

use super::Desk;
use super::governance::RETENTION_BATCH;
use crate::offboarding::{DeletedBatch, DeletionCertificate, ManifestEntry};
use crate::{Actor, DeskError, Permission};

/// Every kind of desk record that belongs to a client (provider-wide
/// kinds — the model, cursors — belong to none).
pub const CLIENT_RECORD_KINDS: &[&str] = &[
    "alarm",
    "incident",
    "suppression",
    "maintenance",
    "sop_run",
    "delivery",
    "escalation",
    "sla_crossing",
    "nis2_reminder",
    "legal_hold",
    "visit",
    "watchlist_entry",
    "watchlist_hit",
    "inventory_device",
    "inventory_change",
    "work_order",
];

/// What deleting a client did.
#[derive(Debug, Clone, PartialEq)]
pub struct OffboardDeletion {
    /// Records deleted per class.
    pub deleted: BTreeMap<DataClass, u64>,
    /// Each batch, with the audit entry proving it.
    pub batches: Vec<DeletedBatch>,
    /// The rest of the client.
    pub purge: TenantPurge,
}

impl Desk {
    /// Whether `actor` may off-board `tenant` now: a provider
    /// administrator, a client that exists, and no legal hold on it or any
    /// of its incidents. Checked before anything is exported, so a refusal
    /// leaves nothing behind.
    pub async fn check_offboard(&self, actor: &Actor, tenant: &TenantId) -> Result<(), DeskError> {
        actor.require(Permission::Offboard, Some(tenant))?;
        self.known_tenant(tenant).await?;
        let holds = self.legal_holds(actor, Some(tenant)).await?;
        if let Some(hold) = holds.first() {
            return Err(DeskError::Transition {
                what: "tenant",
                id: tenant.to_string(),
                command: "off-board",
                state: format!(
                    "under legal hold ({} hold(s); the first placed by {}: {})",
                    holds.len(),
                    hold.placed_by,
                    hold.reason
                ),
                hint: "nothing held may be deleted; lift every hold first".into(),
            });
        }
        Ok(())
    }

    /// Every desk record of `tenant`, kind by kind, for the export.
    pub async fn client_records(
        &self,
        actor: &Actor,
        tenant: &TenantId,
    ) -> Result<Vec<DeskRecord>, DeskError> {
        actor.require(Permission::Offboard, Some(tenant))?;
        let mut out = Vec::new();
        for kind in CLIENT_RECORD_KINDS {
            let mut query = RecordQuery::new(kind, TenantScope::One(tenant.clone()));
            query.order = vigil_store::RecordOrder::Newest;
            loop {
                let page = self.inner.store.desk_records(&query).await?;
                let full = page.len() == vigil_store::MAX_PAGE_SIZE;
                out.extend(page);
                if !full {
                    break;
                }
                query.offset += vigil_store::MAX_PAGE_SIZE;
            }
        }
        Ok(out)
    }

    /// Deletes everything `tenant` owns: each class in batches (each with
    /// its proof in the audit chain, action `offboard.delete`), then the
    /// rest in one purge (`offboard.purge`). Checks again first.
    pub async fn offboard_delete(
        &self,
        actor: &Actor,
        tenant: &TenantId,
    ) -> Result<OffboardDeletion, DeskError> {
        self.check_offboard(actor, tenant).await?;
        let now = self.now();
        let mut deleted = BTreeMap::new();
        let mut batches = Vec::new();
        // Visits go with the purge of the client's desk records below.
        for class in DataClass::ALL.into_iter().filter(|c| c.deleted_by_store()) {
            let request = ExpiryRequest {
                class,
                tenant: tenant.clone(),
                // Everything, whatever its time: a record stamped ahead of
                // the clock (a device's skewed clock) goes too.
                before: now + Duration::days(36_525),
                keep_alerts: Vec::new(),
                keep_incidents: Vec::new(),
                limit: RETENTION_BATCH,
                actor: actor.name.clone(),
                action: "offboard.delete".into(),
                at: now,
            };
            let total = deleted.entry(class).or_insert(0);
            loop {
                let deletion = self.inner.store.delete_expired(&request).await?;
                *total += deletion.proof.count;
                if let Some(seq) = deletion.audit_seq {
                    batches.push(DeletedBatch {
                        class,
                        count: deletion.proof.count,
                        ids_sha256: deletion.proof.ids_sha256,
                        audit_seq: seq,
                    });
                }
                if deletion.ids.len() < RETENTION_BATCH {
                    break;
                }
            }
        }
        let purge = self
            .inner
            .store
            .purge_tenant(tenant, &actor.name, now)
            .await?;
        self.inner.changed.send_modify(|n| *n = n.wrapping_add(1));
        Ok(OffboardDeletion {
            deleted,
            batches,
            purge,
        })
    }

    /// The deletion certificate of an off-boarding, signed with the audit
    /// key (a desk without one cannot certify).
    pub fn certify_deletion(
        &self,
        actor: &Actor,
        manifest_sha256: String,
        exported: Vec<ManifestEntry>,
        deletion: OffboardDeletion,
    ) -> Result<DeletionCertificate, DeskError> {
        let Some(signer) = self.signer() else {
            return Err(DeskError::Config {
                source_name: "audit signing key".into(),
                reason: "none is loaded, so no certificate can be signed".into(),
            });
        };
        Ok(DeletionCertificate {
            tenant: deletion.purge.tenant.clone(),
            issued_at: self.now(),
            issued_by: actor.name.clone(),
            manifest_sha256,
            exported,
            deleted: deletion.deleted,
            batches: deletion.batches,
            purge: deletion.purge,
            public_key: String::new(),
            signature: String::new(),
        }
        .sign(signer))
    }
}
