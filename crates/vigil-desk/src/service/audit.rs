//! The audit log: read, exported with proofs, and written for acts that
//! are not desk commands.

use vigil_model::TenantId;
use vigil_store::audit::{AuditEntry, AuditRecord, TenantExport};

use super::Desk;
use crate::{Actor, DeskError, Permission};

impl Desk {
    /// Audit entries in the caller's scope, newest first.
    pub async fn audit_entries(
        &self,
        actor: &Actor,
        before: Option<u64>,
        limit: usize,
    ) -> Result<Vec<AuditEntry>, DeskError> {
        actor.require(Permission::Audit, actor.tenant.as_ref())?;
        Ok(self
            .inner
            .store
            .audit_entries(&actor.scope(), before, limit)
            .await?)
    }

    /// A tenant's audit export with proofs (a fresh checkpoint is signed
    /// first, so the export covers everything up to now). The export itself
    /// is recorded.
    pub async fn audit_export(
        &self,
        actor: &Actor,
        tenant: &TenantId,
    ) -> Result<TenantExport, DeskError> {
        actor.require(Permission::Audit, Some(tenant))?;
        let now = self.now();
        self.inner
            .store
            .audit_append(vec![AuditRecord {
                at: now,
                actor: actor.name.clone(),
                tenant: Some(tenant.clone()),
                action: "audit.export".into(),
                object: format!("tenant/{tenant}"),
                before: None,
                after: None,
                detail: serde_json::Value::Null,
            }])
            .await?;
        if let Some(signer) = &self.inner.signer {
            self.inner.store.audit_checkpoint(signer, now).await?;
        }
        Ok(self.inner.store.audit_export(tenant).await?)
    }

    /// Records an act that is not a desk command (a configuration change,
    /// a login, a data export) in the audit chain.
    pub async fn record_act(
        &self,
        actor: &Actor,
        tenant: Option<TenantId>,
        action: &str,
        object: &str,
        detail: serde_json::Value,
    ) -> Result<u64, DeskError> {
        let seqs = self
            .inner
            .store
            .audit_append(vec![AuditRecord {
                at: self.now(),
                actor: actor.name.clone(),
                tenant,
                action: action.to_owned(),
                object: object.to_owned(),
                before: None,
                after: None,
                detail,
            }])
            .await?;
        Ok(seqs.first().copied().unwrap_or(0))
    }

    /// The newest entry recording `action` on `object` among the last
    /// `within` entries of the log (to tell a changed configuration or rule
    /// set from one loaded again unchanged).
    pub async fn last_act(
        &self,
        action: &str,
        object: &str,
        within: usize,
    ) -> Result<Option<AuditEntry>, DeskError> {
        let entries = self
            .inner
            .store
            .audit_entries(&vigil_store::TenantScope::All, None, within.max(1))
            .await?;
        Ok(entries
            .into_iter()
            .filter(|e| e.action == action && e.object == object)
            .max_by_key(|e| e.seq))
    }
}
