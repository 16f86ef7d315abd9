//! Checking an exported evidence pack against the audit chain: its own
//! digests (`vigil_compliance::evidence::check_digests`), then the audit
//! entry it names — proven in the client's audit export against the newest
//! signed checkpoint, exactly as `vigil audit verify-export` proves it —
//! and the digests that entry recorded.

use serde::Serialize;
use serde_json::Value;
use vigil_compliance::evidence::{PackError, RecordedPack, check_digests, check_record};
use vigil_model::TenantId;
use vigil_store::audit::{ExportError, verify_export};
use vigil_store::{DeskStore, StoreError};

/// What a verified pack showed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PackVerification {
    /// The client.
    pub tenant: String,
    /// The framework.
    pub framework: String,
    /// The pack's digest.
    pub digest: String,
    /// Entries whose digests matched the record.
    pub entries: usize,
    /// The audit entry that recorded it.
    pub seq: u64,
    /// The signed checkpoint it was proven under.
    pub checkpoint: u64,
    /// The entries that checkpoint covers.
    pub tree_size: u64,
    /// The key that signed it (hex).
    pub key: String,
}

/// Why a pack does not verify against the audit chain.
#[derive(Debug, thiserror::Error)]
pub enum VerifyPackError {
    /// The pack's own digests, or their match with the record, fail.
    #[error(transparent)]
    Pack(#[from] PackError),
    /// The pack names a client id that cannot be one.
    #[error("the pack's client `{0}` is not a valid client id")]
    Tenant(String),
    /// The client's audit export does not verify.
    #[error("the client's audit export does not verify: {0}")]
    Export(#[from] ExportError),
    /// The audit log could not be read.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// No signed checkpoint covers the pack's entry yet.
    #[error(
        "audit entry {seq} is not yet covered by a signed checkpoint (the newest covers {tree_size} entries); sign one and verify again"
    )]
    NotCovered {
        /// The entry.
        seq: u64,
        /// What the newest checkpoint covers (0: there is none).
        tree_size: u64,
    },
    /// The log has no such entry of the client.
    #[error("audit entry {seq} is not one of client `{tenant}`'s entries in this log")]
    Missing {
        /// The entry.
        seq: u64,
        /// The client.
        tenant: String,
    },
    /// The entry in the log is not the one the pack names.
    #[error("audit entry {seq} in the log has hash {found}; the pack names {stated}")]
    EntryHash {
        /// The entry.
        seq: u64,
        /// Its hash in the log.
        found: String,
        /// The hash the pack names.
        stated: String,
    },
}

/// Checks `pack` (an exported pack's JSON) against the audit chain in
/// `store`, with checkpoints signed by `trusted` when given.
pub async fn verify_evidence_pack(
    store: &dyn DeskStore,
    pack: &Value,
    trusted: Option<&[u8; 32]>,
) -> Result<PackVerification, VerifyPackError> {
    let digests = check_digests(pack)?;
    let record = digests.record.clone().ok_or(PackError::Unrecorded)?;
    let tenant = TenantId::new(&digests.tenant)
        .map_err(|_| VerifyPackError::Tenant(digests.tenant.clone()))?;
    let export = match store.audit_export(&tenant).await {
        Ok(e) => e,
        Err(StoreError::NotFound { .. }) => {
            return Err(VerifyPackError::NotCovered {
                seq: record.seq,
                tree_size: 0,
            });
        }
        Err(e) => return Err(e.into()),
    };
    let proven = verify_export(&export, trusted)?;
    let Some(exported) = export.entries.iter().find(|e| e.entry.seq == record.seq) else {
        return Err(if record.seq > export.checkpoint.tree_size {
            VerifyPackError::NotCovered {
                seq: record.seq,
                tree_size: export.checkpoint.tree_size,
            }
        } else {
            VerifyPackError::Missing {
                seq: record.seq,
                tenant: digests.tenant.clone(),
            }
        });
    };
    let entry = &exported.entry;
    let found = hex::encode(entry.hash);
    if found != record.entry_hash {
        return Err(VerifyPackError::EntryHash {
            seq: record.seq,
            found,
            stated: record.entry_hash,
        });
    }
    let detail: Value = serde_json::from_str(&entry.detail).unwrap_or(Value::Null);
    let after = entry.after.map(hex::encode);
    check_record(
        &digests,
        &RecordedPack {
            seq: entry.seq,
            action: &entry.action,
            tenant: entry.tenant.as_ref().map(|t| t.as_str()),
            after: after.as_deref(),
            detail: &detail,
        },
    )?;
    Ok(PackVerification {
        tenant: digests.tenant,
        framework: digests.framework,
        digest: digests.digest,
        entries: digests.entries.len(),
        seq: entry.seq,
        checkpoint: export.checkpoint.seq,
        tree_size: proven.tree_size,
        key: proven.key,
    })
}
