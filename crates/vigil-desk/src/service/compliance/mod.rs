//! Compliance evidence packs at work: the facts each evidence query needs,
//! read from the store in the client's scope (`gather.rs`); the pack
//! computed by `vigil_compliance::evidence`; its digests written to the
//! audit chain and covered by a signed checkpoint; and the check of an
//! exported pack against that record (`verify.rs`).

mod gather;
mod verify;

use std::sync::{Arc, RwLock};

use vigil_compliance::FrameworkId;
use vigil_compliance::evidence::logging::Retention;
use vigil_compliance::evidence::{
    AUDIT_ACTION, EvidenceInput, EvidencePack, PackRecord, PeriodSpec, evidence_pack,
};
use vigil_model::{TenantId, Timestamp};
use vigil_store::audit::AuditRecord;
use vigil_store::{ApiToken, EstateStore, TenantScope};

use super::Desk;
use crate::reporting::service::{local_midnight, report_time_zone};
use crate::{Actor, DeskError};

pub use verify::{PackVerification, VerifyPackError, verify_evidence_pack};

/// What the evidence reads from the node rather than the store: its
/// retention setting and its token register (the store answers for one
/// token at a time, by hash; the register says which to ask about).
#[derive(Debug, Clone)]
pub struct EvidenceSettings {
    /// How long the node keeps events.
    pub retention: Retention,
    /// The API tokens the node registers; `None` when not known (a reading
    /// of a data folder without its configuration).
    pub tokens: Option<Vec<ApiToken>>,
}

impl Default for EvidenceSettings {
    fn default() -> Self {
        Self {
            retention: Retention::Unknown,
            tokens: None,
        }
    }
}

/// The settings as the desk holds them.
#[derive(Default)]
pub(crate) struct EvidenceState {
    settings: RwLock<Arc<EvidenceSettings>>,
}

/// Which pack to make.
#[derive(Debug, Clone, PartialEq)]
pub struct ComplianceRequest {
    /// The client.
    pub tenant: TenantId,
    /// The framework.
    pub framework: FrameworkId,
    /// The period, dates cut in the client's time zone.
    pub period: PeriodSpec,
}

impl Desk {
    /// Sets the node's retention and token register for evidence packs.
    pub fn set_evidence_settings(&self, settings: EvidenceSettings) {
        *self
            .inner
            .evidence
            .settings
            .write()
            .unwrap_or_else(|p| p.into_inner()) = Arc::new(settings);
    }

    pub(crate) fn evidence_settings(&self) -> Arc<EvidenceSettings> {
        self.inner
            .evidence
            .settings
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// A client's evidence pack ([`vigil_compliance::evidence`]), recorded
    /// in the audit chain as [`AUDIT_ACTION`] by `actor` — the pack's
    /// digest and each entry's — and covered by a fresh signed checkpoint
    /// when the desk signs them. Refuses a client outside the actor's
    /// scope, and an unknown client or an empty period, before anything is
    /// read or written.
    pub async fn compliance_report(
        &self,
        actor: &Actor,
        request: &ComplianceRequest,
        estate: Option<&dyn EstateStore>,
    ) -> Result<EvidencePack, DeskError> {
        let tenant = &request.tenant;
        if let TenantScope::One(own) = actor.scope()
            && &own != tenant
        {
            return Err(DeskError::Forbidden {
                actor: actor.name.clone(),
                role: actor.role.map_or("system", |r| r.as_str()).to_owned(),
                action: format!("read the compliance evidence of client `{tenant}`"),
            });
        }
        let now = self.now();
        let store = &self.inner.store;
        let scope = TenantScope::One(tenant.clone());
        let client = store
            .tenants(&scope)
            .await?
            .into_iter()
            .find(|t| &t.id == tenant)
            .ok_or_else(|| DeskError::NotFound {
                what: "client",
                id: tenant.to_string(),
            })?;
        let levels = self.service_levels();
        let tz = report_time_zone(
            levels
                .contracts
                .has_own(tenant)
                .then(|| levels.contracts.contract_for(tenant)),
            &store.sites(&scope).await?,
        );
        let span = request
            .period
            .resolve(|d| local_midnight(d, tz))
            .map_err(|e| DeskError::invalid("period", e.to_string()))?;

        let settings = self.evidence_settings();
        let facts = self.gather(tenant, span, now, &settings, estate).await?;
        let mut notes = facts.notes.clone();
        notes.push(format!(
            "Dates are cut at midnight in the client's time zone ({tz})."
        ));
        let mut pack = evidence_pack(&EvidenceInput {
            framework: request.framework,
            tenant: tenant.as_str(),
            client: &client.name,
            period: span,
            generated_at: now,
            logging: &facts.logging,
            supervision: &facts.supervision,
            incidents: &facts.incidents,
            physical: &facts.physical,
            access: &facts.access,
            audit: &facts.audit,
            notes: &notes,
        })
        .map_err(|e| DeskError::Config {
            source_name: "compliance catalogue".into(),
            reason: e.to_string(),
        })?;
        pack.record = Some(self.record_pack(actor, &pack, now).await?);
        Ok(pack)
    }

    /// Writes the pack's digests to the audit chain and signs a checkpoint
    /// over them; returns where they are.
    async fn record_pack(
        &self,
        actor: &Actor,
        pack: &EvidencePack,
        now: Timestamp,
    ) -> Result<PackRecord, DeskError> {
        let digest = hex::decode(&pack.digest)
            .ok()
            .and_then(|b| <[u8; 32]>::try_from(b).ok())
            .ok_or_else(|| DeskError::invalid("digest", "the pack's digest is not SHA-256 hex"))?;
        let tenant =
            TenantId::new(&pack.tenant).map_err(|e| DeskError::invalid("tenant", e.to_string()))?;
        let store = &self.inner.store;
        let seqs = store
            .audit_append(vec![AuditRecord {
                at: now,
                actor: actor.name.clone(),
                tenant: Some(tenant.clone()),
                action: AUDIT_ACTION.into(),
                object: pack.audit_object(),
                before: None,
                after: Some(digest),
                detail: pack.audit_detail(),
            }])
            .await?;
        let seq = seqs.first().copied().unwrap_or(0);
        let checkpoint = match &self.inner.signer {
            Some(signer) => store.audit_checkpoint(signer, now).await?,
            None => None,
        };
        let entry = store
            .audit_entries(&TenantScope::One(tenant), Some(seq + 1), 1)
            .await?
            .into_iter()
            .find(|e| e.seq == seq)
            .ok_or_else(|| DeskError::NotFound {
                what: "audit entry",
                id: seq.to_string(),
            })?;
        Ok(PackRecord {
            seq,
            entry_hash: hex::encode(entry.hash),
            checkpoint: checkpoint.as_ref().map(|c| c.seq),
            tree_size: checkpoint.as_ref().map(|c| c.tree_size),
        })
    }
}
