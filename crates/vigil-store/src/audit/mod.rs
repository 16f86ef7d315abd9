//! The audit chain: an append-only, hash-linked, Merkle-tree-backed,
//! Ed25519-checkpointed record of everything people (and the desk's own
//! automation) do.
//!
//! - Each [`AuditEntry`] records who did what to which object of which
//!   tenant, when, with digests of the object before and after, and the
//!   hash of the entry before it. Its own hash is the RFC 6962 leaf hash of
//!   its canonical encoding ([`AuditEntry::encode`]), so the same value both
//!   links the chain and is the entry's leaf in the Merkle tree.
//! - Entries are appended in the same transaction as the change they
//!   describe (see [`crate::DeskStore::desk_commit`]): there is no change
//!   without its entry, and no entry without its change.
//! - Periodically a [`Checkpoint`] — the tree's size and root — is signed
//!   with an Ed25519 key kept outside the database ([`AuditSigner`]).
//!   Someone who can write the database file but not read the key can
//!   rewrite entries only after the last checkpoint, and `verify` says so.
//! - [`verify_log`] walks the chain and every checkpoint and names the
//!   first entry that was changed, removed or reordered; [`TenantExport`]
//!   gives a client its own entries with inclusion proofs that it can check
//!   against the signed root without seeing other clients' entries.

mod export;
mod keys;
mod merkle;
pub mod note;
mod signing;
mod verify;
pub mod witness;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use vigil_model::{TenantId, Timestamp};

pub use export::{
    ExportError, ExportSummary, ExportedCheckpoint, ExportedEntry, TenantExport, build_export,
    verify_export,
};
pub use keys::{SigningKeySource, parse_public_keys, read_public_keys};
pub use merkle::{
    Hash, MerkleTree, empty_root, leaf_hash, node_hash, verify_consistency, verify_inclusion,
};
pub use signing::{
    AuditKeyError, AuditSigner, Checkpoint, public_key_path, verify_checkpoint, verify_document,
};
pub use verify::{CheckpointKey, Tamper, VerifyReport, verify_log};

/// The hash the first entry links to.
pub const GENESIS: Hash = [0; 32];

/// SHA-256 of a value's JSON text: the "before" and "after" digests of an
/// object. Equal documents give equal digests.
pub fn digest_json<T: Serialize + ?Sized>(value: &T) -> Hash {
    let bytes = serde_json::to_vec(value).unwrap_or_default();
    Sha256::digest(bytes).into()
}

/// What a command tells the audit chain about itself.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditRecord {
    /// When it happened (the desk's clock).
    pub at: Timestamp,
    /// Who did it: a token name (`alice`), or `system:triage` for the desk's
    /// own automation.
    pub actor: String,
    /// The tenant whose object it touched; `None` for provider-wide acts.
    pub tenant: Option<TenantId>,
    /// What was done (`alarm.acknowledge`, `incident.close`, `login` …).
    pub action: String,
    /// What it was done to (`alarm/0193…`, `incident/…`, `config`).
    pub object: String,
    /// Digest of the object before, if it existed.
    pub before: Option<Hash>,
    /// Digest of the object after, if it still exists.
    pub after: Option<Hash>,
    /// A few words of context (a reason, a verdict), as JSON.
    pub detail: serde_json::Value,
}

/// An entry as stored: the record, its position, and its links.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditEntry {
    /// Position in the log, from 1.
    pub seq: u64,
    /// When it happened.
    pub at: Timestamp,
    /// Who did it.
    pub actor: String,
    /// The tenant, if any.
    pub tenant: Option<TenantId>,
    /// What was done.
    pub action: String,
    /// To what.
    pub object: String,
    /// Digest of the object before.
    #[serde(with = "opt_hex")]
    pub before: Option<Hash>,
    /// Digest of the object after.
    #[serde(with = "opt_hex")]
    pub after: Option<Hash>,
    /// The detail's JSON text exactly as hashed.
    pub detail: String,
    /// The hash of the entry before (zeros for the first).
    #[serde(with = "hex_hash")]
    pub prev_hash: Hash,
    /// This entry's hash, as stored.
    #[serde(with = "hex_hash")]
    pub hash: Hash,
}

impl AuditEntry {
    /// Builds the entry that follows `prev_hash` at `seq`.
    pub fn from_record(seq: u64, record: &AuditRecord, prev_hash: Hash) -> Self {
        let mut entry = Self {
            seq,
            at: record.at,
            actor: record.actor.clone(),
            tenant: record.tenant.clone(),
            action: record.action.clone(),
            object: record.object.clone(),
            before: record.before,
            after: record.after,
            detail: serde_json::to_string(&record.detail).unwrap_or_else(|_| "null".into()),
            prev_hash,
            hash: [0; 32],
        };
        entry.hash = entry.compute_hash();
        entry
    }

    /// The canonical encoding the hash covers: every field but `seq` and
    /// `hash`, length-prefixed. The position is bound by `prev_hash` and by
    /// the entry's place in the Merkle tree, so a moved entry shows up as a
    /// broken link rather than as a changed one.
    pub fn encode(&self) -> Vec<u8> {
        fn text(out: &mut Vec<u8>, s: &str) {
            out.extend_from_slice(&(s.len() as u64).to_be_bytes());
            out.extend_from_slice(s.as_bytes());
        }
        fn digest(out: &mut Vec<u8>, d: &Option<Hash>) {
            match d {
                Some(h) => {
                    out.push(1);
                    out.extend_from_slice(h);
                }
                None => out.push(0),
            }
        }
        let mut out = Vec::with_capacity(160 + self.detail.len() + self.object.len());
        out.extend_from_slice(b"vigil-audit-entry-v1\0");
        out.extend_from_slice(&self.at.timestamp_micros().to_be_bytes());
        text(&mut out, &self.actor);
        match &self.tenant {
            Some(t) => {
                out.push(1);
                text(&mut out, t.as_str());
            }
            None => out.push(0),
        }
        text(&mut out, &self.action);
        text(&mut out, &self.object);
        digest(&mut out, &self.before);
        digest(&mut out, &self.after);
        text(&mut out, &self.detail);
        out.extend_from_slice(&self.prev_hash);
        out
    }

    /// The hash the entry's content gives (its leaf hash).
    pub fn compute_hash(&self) -> Hash {
        leaf_hash(&self.encode())
    }
}

/// Hashes as lower-case hex in JSON.
pub(crate) mod hex_hash {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(h: &[u8; 32], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&hex::encode(h))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<[u8; 32], D::Error> {
        let text = String::deserialize(d)?;
        parse(&text).map_err(serde::de::Error::custom)
    }

    pub fn parse(text: &str) -> Result<[u8; 32], String> {
        let bytes = hex::decode(text).map_err(|e| format!("`{text}` is not hex: {e}"))?;
        bytes
            .try_into()
            .map_err(|_| format!("`{text}` is not 32 bytes of hex"))
    }
}

/// Optional hashes as hex or null.
pub(crate) mod opt_hex {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(h: &Option<[u8; 32]>, s: S) -> Result<S::Ok, S::Error> {
        match h {
            Some(h) => s.serialize_some(&hex::encode(h)),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<[u8; 32]>, D::Error> {
        match Option::<String>::deserialize(d)? {
            Some(text) => super::hex_hash::parse(&text)
                .map(Some)
                .map_err(serde::de::Error::custom),
            None => Ok(None),
        }
    }
}

/// Lists of hashes as hex strings.
pub(crate) mod hex_list {
    use serde::{Deserialize, Deserializer, Serializer, ser::SerializeSeq};

    pub fn serialize<S: Serializer>(list: &[[u8; 32]], s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(list.len()))?;
        for h in list {
            seq.serialize_element(&hex::encode(h))?;
        }
        seq.end()
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<[u8; 32]>, D::Error> {
        Vec::<String>::deserialize(d)?
            .iter()
            .map(|t| super::hex_hash::parse(t).map_err(serde::de::Error::custom))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(action: &str) -> AuditRecord {
        AuditRecord {
            at: chrono::DateTime::from_timestamp(1_764_000_000, 0).unwrap(),
            actor: "alice".into(),
            tenant: Some(TenantId::new("northgate").unwrap()),
            action: action.into(),
            object: "alarm/1".into(),
            before: None,
            after: Some([7; 32]),
            detail: serde_json::json!({"reason": "x"}),
        }
    }

    #[test]
    fn every_field_is_covered_by_the_hash() {
        let base = AuditEntry::from_record(1, &record("alarm.acknowledge"), GENESIS);
        assert_eq!(base.hash, base.compute_hash());
        let mut variants = Vec::new();
        let mut e = base.clone();
        e.at += chrono::Duration::microseconds(1);
        variants.push(e);
        let mut e = base.clone();
        e.actor.push('x');
        variants.push(e);
        let mut e = base.clone();
        e.tenant = None;
        variants.push(e);
        let mut e = base.clone();
        e.action.push('x');
        variants.push(e);
        let mut e = base.clone();
        e.object.push('x');
        variants.push(e);
        let mut e = base.clone();
        e.before = Some([0; 32]);
        variants.push(e);
        let mut e = base.clone();
        e.after = None;
        variants.push(e);
        let mut e = base.clone();
        e.detail = "{}".into();
        variants.push(e);
        let mut e = base.clone();
        e.prev_hash = [1; 32];
        variants.push(e);
        for v in variants {
            assert_ne!(v.compute_hash(), base.hash, "{v:?}");
        }
    }

    #[test]
    fn entries_round_trip_through_json() {
        let e = AuditEntry::from_record(3, &record("x"), [9; 32]);
        let back: AuditEntry = serde_json::from_str(&serde_json::to_string(&e).unwrap()).unwrap();
        assert_eq!(back, e);
        assert_eq!(back.compute_hash(), e.hash);
    }
}
