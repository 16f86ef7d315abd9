//! A client's own audit entries, with the proofs that they are in the
//! provider's signed log — verifiable without any other client's data.
//!
//! The export holds the tenant's entries, each with its index in the log
//! and an RFC 6962 inclusion proof to the newest signed checkpoint, plus
//! earlier checkpoints with consistency proofs to the newest, so that a
//! client who kept an earlier export can check that the log only grew. The
//! proofs are sibling hashes: they reveal neither the content nor the
//! tenant of anyone else's entries.

use serde::{Deserialize, Serialize};

use vigil_model::TenantId;

use super::{
    AuditEntry, Checkpoint, Hash, MerkleTree, verify_checkpoint, verify_consistency,
    verify_inclusion,
};

/// The format name written into exports.
pub const EXPORT_FORMAT: &str = "vigil-audit-export-v1";

/// Earlier checkpoints carried in an export (the newest ones).
const EARLIER_CHECKPOINTS: usize = 32;

/// One entry and its proof.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExportedEntry {
    /// The entry.
    pub entry: AuditEntry,
    /// Its inclusion proof in the checkpoint's tree (index `seq − 1`).
    #[serde(with = "super::hex_list")]
    pub proof: Vec<Hash>,
}

/// An earlier checkpoint and the proof that the newest extends it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExportedCheckpoint {
    /// The checkpoint.
    pub checkpoint: Checkpoint,
    /// Consistency proof from it to the export's checkpoint.
    #[serde(with = "super::hex_list")]
    pub consistency: Vec<Hash>,
}

/// A tenant's audit export.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TenantExport {
    /// [`EXPORT_FORMAT`].
    pub format: String,
    /// Whose entries these are.
    pub tenant: TenantId,
    /// The newest signed checkpoint; every entry is proven against it.
    pub checkpoint: Checkpoint,
    /// The tenant's entries up to the checkpoint, oldest first.
    pub entries: Vec<ExportedEntry>,
    /// Earlier checkpoints, each with a consistency proof to `checkpoint`.
    pub earlier: Vec<ExportedCheckpoint>,
    /// The tenant's entries newer than the checkpoint (not in the export).
    pub pending: u64,
}

/// Why an export could not be made or does not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExportError {
    /// There is no signed checkpoint to prove entries against.
    #[error("the audit log has no signed checkpoint yet; make one first")]
    NoCheckpoint,
    /// The stored log is shorter than its newest checkpoint.
    #[error("the audit log has {entries} entries but its newest checkpoint covers {tree_size}")]
    Truncated {
        /// Entries stored.
        entries: u64,
        /// Entries the checkpoint covers.
        tree_size: u64,
    },
    /// Not an export of a format this build reads.
    #[error("unknown export format `{0}`; expected `{EXPORT_FORMAT}`")]
    Format(String),
    /// The checkpoint's signature is invalid or not by the trusted key.
    #[error("checkpoint {0} has an invalid signature or was not signed by the trusted key")]
    Signature(u64),
    /// An entry belongs to another tenant.
    #[error("entry {seq} belongs to another tenant")]
    ForeignEntry {
        /// The entry.
        seq: u64,
    },
    /// An entry's content does not give its hash.
    #[error("entry {seq} was changed: its content no longer matches its hash")]
    EntryChanged {
        /// The entry.
        seq: u64,
    },
    /// An entry's proof does not lead to the checkpoint's root.
    #[error("entry {seq} is not in the log the checkpoint signs (its inclusion proof fails)")]
    NotIncluded {
        /// The entry.
        seq: u64,
    },
    /// An earlier checkpoint is not a prefix of the newest.
    #[error("checkpoint {0} is not consistent with the newest: the log was rewritten between them")]
    Inconsistent(u64),
}

/// What a verified export showed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ExportSummary {
    /// Whose entries.
    pub tenant: TenantId,
    /// Entries proven.
    pub entries: usize,
    /// The checkpoint they were proven against.
    pub tree_size: u64,
    /// The key that signed it (hex).
    pub key: String,
    /// Earlier checkpoints proven consistent.
    pub earlier: usize,
}

/// Builds `tenant`'s export from the hashes of every entry of the log
/// (`all`, index `seq − 1`), the tenant's own entries and the checkpoints.
pub fn build_export(
    tenant: &TenantId,
    all: Vec<Hash>,
    own: Vec<AuditEntry>,
    checkpoints: &[Checkpoint],
) -> Result<TenantExport, ExportError> {
    let latest = checkpoints.last().ok_or(ExportError::NoCheckpoint)?.clone();
    let tree = MerkleTree::new(all);
    if tree.len() < latest.tree_size {
        return Err(ExportError::Truncated {
            entries: tree.len(),
            tree_size: latest.tree_size,
        });
    }
    let mut entries = Vec::new();
    let mut pending = 0;
    for entry in own {
        if entry.tenant.as_ref() != Some(tenant) {
            continue;
        }
        let index = entry.seq.saturating_sub(1);
        match tree.inclusion_proof(index, latest.tree_size) {
            Some(proof) => entries.push(ExportedEntry { entry, proof }),
            None => pending += 1,
        }
    }
    let earlier_from = checkpoints.len().saturating_sub(EARLIER_CHECKPOINTS + 1);
    let earlier = checkpoints[earlier_from..checkpoints.len() - 1]
        .iter()
        .filter_map(|cp| {
            tree.consistency_proof(cp.tree_size, latest.tree_size)
                .map(|consistency| ExportedCheckpoint {
                    checkpoint: cp.clone(),
                    consistency,
                })
        })
        .collect();
    Ok(TenantExport {
        format: EXPORT_FORMAT.into(),
        tenant: tenant.clone(),
        checkpoint: latest,
        entries,
        earlier,
        pending,
    })
}

/// Checks an export on its own: the checkpoint's signature (by `trusted`
/// when given), every entry's hash and inclusion proof, and every earlier
/// checkpoint's signature and consistency proof.
pub fn verify_export(
    export: &TenantExport,
    trusted: Option<&[u8; 32]>,
) -> Result<ExportSummary, ExportError> {
    if export.format != EXPORT_FORMAT {
        return Err(ExportError::Format(
            export.format.chars().take(60).collect(),
        ));
    }
    let cp = &export.checkpoint;
    if !verify_checkpoint(cp, trusted) {
        return Err(ExportError::Signature(cp.seq));
    }
    for e in &export.entries {
        let seq = e.entry.seq;
        if e.entry.tenant.as_ref() != Some(&export.tenant) {
            return Err(ExportError::ForeignEntry { seq });
        }
        let hash = e.entry.compute_hash();
        if hash != e.entry.hash {
            return Err(ExportError::EntryChanged { seq });
        }
        if seq == 0 || !verify_inclusion(&hash, seq - 1, cp.tree_size, &e.proof, &cp.root) {
            return Err(ExportError::NotIncluded { seq });
        }
    }
    for earlier in &export.earlier {
        let old = &earlier.checkpoint;
        // An earlier checkpoint may predate a key rotation, so it is held
        // to the key it names; what ties it to the trusted newest one is
        // the consistency proof below.
        if !verify_checkpoint(old, None) {
            return Err(ExportError::Signature(old.seq));
        }
        if !verify_consistency(
            old.tree_size,
            cp.tree_size,
            &old.root,
            &cp.root,
            &earlier.consistency,
        ) {
            return Err(ExportError::Inconsistent(old.seq));
        }
    }
    Ok(ExportSummary {
        tenant: export.tenant.clone(),
        entries: export.entries.len(),
        tree_size: cp.tree_size,
        key: hex::encode(cp.key),
        earlier: export.earlier.len(),
    })
}

#[cfg(test)]
mod tests {
    use super::super::{AuditRecord, AuditSigner, GENESIS};
    use super::*;

    fn tenant(name: &str) -> TenantId {
        TenantId::new(name).unwrap()
    }

    fn log() -> Vec<AuditEntry> {
        let mut prev = GENESIS;
        (1..=30u64)
            .map(|seq| {
                let record = AuditRecord {
                    at: chrono::DateTime::from_timestamp(1_764_000_000 + seq as i64, 0).unwrap(),
                    actor: "op".into(),
                    tenant: Some(tenant(if seq % 3 == 0 { "a" } else { "b" })),
                    action: "alarm.close".into(),
                    object: format!("alarm/{seq}"),
                    before: None,
                    after: None,
                    detail: serde_json::json!({"secret of": if seq % 3 == 0 { "a" } else { "b" }}),
                };
                let e = AuditEntry::from_record(seq, &record, prev);
                prev = e.hash;
                e
            })
            .collect()
    }

    fn export_of(t: &str, log: &[AuditEntry], signer: &AuditSigner) -> TenantExport {
        let hashes: Vec<Hash> = log.iter().map(|e| e.hash).collect();
        let tree = MerkleTree::new(hashes.clone());
        let at = chrono::DateTime::from_timestamp(1_764_100_000, 0).unwrap();
        let cps = [
            signer.sign(1, 10, tree.root(10).unwrap(), at),
            signer.sign(2, 25, tree.root(25).unwrap(), at),
        ];
        build_export(&tenant(t), hashes, log.to_vec(), &cps).unwrap()
    }

    #[test]
    fn an_export_verifies_on_its_own_and_holds_nothing_of_others() {
        let signer = AuditSigner::from_secret([2; 32]);
        let log = log();
        let export = export_of("a", &log, &signer);
        assert_eq!(
            export.entries.len(),
            8,
            "entries 3, 6, … 24 are a's and checkpointed"
        );
        assert_eq!(export.pending, 2, "27 and 30 come after the checkpoint");
        let text = serde_json::to_string(&export).unwrap();
        assert!(!text.contains("\"b\""), "nothing of tenant b leaks: {text}");
        let back: TenantExport = serde_json::from_str(&text).unwrap();
        let summary = verify_export(&back, Some(&signer.public_key())).unwrap();
        assert_eq!(
            (summary.entries, summary.tree_size, summary.earlier),
            (8, 25, 1)
        );
    }

    #[test]
    fn a_tampered_export_fails_at_the_entry() {
        let signer = AuditSigner::from_secret([2; 32]);
        let export = export_of("a", &log(), &signer);
        let mut changed = export.clone();
        changed.entries[2].entry.actor = "mallory".into();
        assert_eq!(
            verify_export(&changed, None),
            Err(ExportError::EntryChanged { seq: 9 })
        );
        let mut rehashed = export.clone();
        rehashed.entries[2].entry.actor = "mallory".into();
        rehashed.entries[2].entry.hash = rehashed.entries[2].entry.compute_hash();
        assert_eq!(
            verify_export(&rehashed, None),
            Err(ExportError::NotIncluded { seq: 9 })
        );
        let mut moved = export.clone();
        moved.entries[2].entry.seq = 10;
        assert_eq!(
            verify_export(&moved, None),
            Err(ExportError::NotIncluded { seq: 10 })
        );
        assert_eq!(
            verify_export(&export, Some(&[0; 32])),
            Err(ExportError::Signature(2))
        );
        let mut inconsistent = export.clone();
        inconsistent.earlier[0].consistency[0][0] ^= 1;
        assert_eq!(
            verify_export(&inconsistent, None),
            Err(ExportError::Inconsistent(1))
        );
        assert!(matches!(
            build_export(&tenant("a"), vec![], vec![], &[]),
            Err(ExportError::NoCheckpoint)
        ));
    }
}
