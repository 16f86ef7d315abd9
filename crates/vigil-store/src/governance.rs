//! Data governance at the seam: deleting one class of one client's records
//! before a cutoff, and the proof that it happened.
//!
//! A deletion leaves proof, not data. The store deletes the records and,
//! in the same transaction, appends an audit entry naming the class, the
//! client, the cutoff, how many records went and the SHA-256 of their
//! sorted ids ([`ids_digest`]): there is no deletion without its entry and
//! no entry without its deletion. The ids themselves are returned to the
//! caller once and kept nowhere; whoever holds a list of ids (an earlier
//! export, the client's own records) can check it against the entry with
//! [`verify_deletion`].
//!
//! Both engines implement [`crate::DeskStore::delete_expired`]; the digest,
//! the audit record and the check live here, shared, so the proof is the
//! same bytes whichever engine wrote it.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use vigil_model::{AlertId, TenantId, Timestamp};

use crate::audit::{AuditEntry, AuditRecord, Hash};

/// A class of a client's data that retention and off-boarding act on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DataClass {
    /// The event archive, by observed time.
    Events,
    /// Alerts (with their evidence index) and the desk's alarms over them,
    /// by the alert's last evidence.
    Alerts,
    /// Closed incidents and the desk records linked to them, by their last
    /// change. Open incidents never age out.
    Incidents,
    /// Input that could not be accepted, by receipt time.
    DeadLetters,
    /// Visitors' personal data, from the end of each visit. It is erased,
    /// not deleted: the desk blanks it on the visit record (which stays, as
    /// identifiers) and records the count and a digest of the visit ids in
    /// the audit chain; the store deletes nothing of this class.
    Visitors,
}

impl DataClass {
    /// Every class, in the order the retention job visits them (incidents
    /// before the alerts they hold, alerts before the events they cite).
    pub const ALL: [DataClass; 5] = [
        DataClass::Incidents,
        DataClass::Alerts,
        DataClass::Events,
        DataClass::DeadLetters,
        DataClass::Visitors,
    ];

    /// Whether the store deletes records of this class (every class but
    /// visitors' data, which the desk erases in place).
    pub fn deleted_by_store(self) -> bool {
        self != DataClass::Visitors
    }

    /// Its name in configuration, the API and the audit chain.
    pub fn as_str(self) -> &'static str {
        match self {
            DataClass::Events => "events",
            DataClass::Alerts => "alerts",
            DataClass::Incidents => "incidents",
            DataClass::DeadLetters => "dead_letters",
            DataClass::Visitors => "visitors",
        }
    }
}

impl fmt::Display for DataClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A name that is not a [`DataClass`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a data class; expected events, alerts, incidents, dead_letters or visitors")]
pub struct UnknownDataClass(pub String);

impl FromStr for DataClass {
    type Err = UnknownDataClass;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        DataClass::ALL
            .into_iter()
            .find(|c| c.as_str() == s)
            .ok_or_else(|| UnknownDataClass(s.chars().take(64).collect()))
    }
}

/// What to delete: one class of one client, before a cutoff, sparing what
/// is held.
#[derive(Debug, Clone, PartialEq)]
pub struct ExpiryRequest {
    /// The class.
    pub class: DataClass,
    /// The client.
    pub tenant: TenantId,
    /// Records older than this go (see [`DataClass`] for which time).
    pub before: Timestamp,
    /// Alerts that stay whatever their age, with the events they cite
    /// (the alarms of incidents under legal hold).
    pub keep_alerts: Vec<AlertId>,
    /// Incidents that stay whatever their age (under legal hold).
    pub keep_incidents: Vec<String>,
    /// Most records deleted by this call: the caller calls again while a
    /// full batch came back, so neither a transaction nor the list of ids
    /// grows without bound.
    pub limit: usize,
    /// Who deletes (`system:retention`, an administrator's token name).
    pub actor: String,
    /// The audit action recorded (`retention.delete`, `offboard.delete`).
    pub action: String,
    /// When (the caller's clock).
    pub at: Timestamp,
}

/// What a deletion did: the proof recorded, and the ids (sorted) for the
/// caller to hand on or drop.
#[derive(Debug, Clone, PartialEq)]
pub struct Deletion {
    /// The ids deleted, sorted byte-wise (the order the digest is over).
    pub ids: Vec<String>,
    /// The proof recorded in the audit chain.
    pub proof: DeletionProof,
    /// The audit entry holding the proof; `None` when nothing was deleted
    /// (an empty deletion is not recorded).
    pub audit_seq: Option<u64>,
}

/// The proof of one deletion, as recorded in an audit entry's detail.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeletionProof {
    /// The class.
    pub class: DataClass,
    /// The client.
    pub tenant: TenantId,
    /// Records older than this went.
    pub before: Timestamp,
    /// How many.
    pub count: u64,
    /// SHA-256 of the sorted ids, each followed by a line feed, as hex.
    pub ids_sha256: String,
}

/// SHA-256 over `ids` sorted byte-wise, each followed by `\n`. Sorts `ids`
/// in place: the digest does not depend on the order rows were found in.
pub fn ids_digest(ids: &mut [String]) -> Hash {
    ids.sort_unstable();
    let mut hash = Sha256::new();
    for id in ids.iter() {
        hash.update(id.as_bytes());
        hash.update(b"\n");
    }
    hash.finalize().into()
}

/// The proof of deleting `ids` (sorted by this call) for `request`.
pub fn proof_of(request: &ExpiryRequest, ids: &mut [String]) -> DeletionProof {
    DeletionProof {
        class: request.class,
        tenant: request.tenant.clone(),
        before: request.before,
        count: ids.len() as u64,
        ids_sha256: hex::encode(ids_digest(ids)),
    }
}

/// The audit record that carries `proof`: the digest is also its `after`
/// digest, so the entry's hash (and every checkpoint over it) binds it.
pub fn proof_record(request: &ExpiryRequest, proof: &DeletionProof) -> AuditRecord {
    AuditRecord {
        at: request.at,
        actor: request.actor.clone(),
        tenant: Some(request.tenant.clone()),
        action: request.action.clone(),
        object: format!("{}/{}", request.class, request.tenant),
        before: None,
        after: hex::decode(&proof.ids_sha256)
            .ok()
            .and_then(|b| b.try_into().ok()),
        detail: serde_json::to_value(proof).unwrap_or(serde_json::Value::Null),
    }
}

/// The tables off-boarding empties of a client after its classes went,
/// in an order that satisfies every foreign key, each with the column that
/// names the client. Desk records (whose ids are proven) and the alert feed
/// (keyed by alert) are handled before these.
pub const PURGE_TABLES: &[(&str, &str)] = &[
    ("desk_feed", "tenant"),
    ("alerts", "tenant"),
    ("events", "tenant"),
    ("dead_letters", "tenant"),
    ("person_badges", "tenant"),
    ("person_accounts", "tenant"),
    ("people", "tenant"),
    ("devices", "tenant"),
    ("panel_accounts", "tenant"),
    ("supervision", "tenant"),
    ("api_tokens", "tenant"),
    ("sources", "tenant"),
    ("sites", "tenant"),
    ("tenants", "id"),
];

/// What purging a client deleted: every row of it that no class deletion
/// took, down to the client itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TenantPurge {
    /// The client.
    pub tenant: TenantId,
    /// Desk records deleted (every kind).
    pub desk_records: u64,
    /// SHA-256 of their sorted `kind/id`, each followed by a line feed.
    pub desk_records_sha256: String,
    /// Rows deleted per table (tables with none left out).
    pub rows: BTreeMap<String, u64>,
    /// The audit entry recording the purge.
    pub audit_seq: u64,
}

/// The audit record of a purge (its seq not yet known: 0 in `purge`).
pub fn purge_record(purge: &TenantPurge, actor: &str, at: Timestamp) -> AuditRecord {
    AuditRecord {
        at,
        actor: actor.to_owned(),
        tenant: Some(purge.tenant.clone()),
        action: "offboard.purge".into(),
        object: format!("tenant/{}", purge.tenant),
        before: None,
        after: Some(crate::audit::digest_json(purge)),
        detail: serde_json::to_value(purge).unwrap_or(serde_json::Value::Null),
    }
}

/// Why a deletion proof did not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProofError {
    /// The audit entry holds no deletion proof.
    #[error("audit entry {seq} (`{action}`) holds no deletion proof: {reason}")]
    NotAProof {
        /// The entry.
        seq: u64,
        /// Its action.
        action: String,
        /// What is missing.
        reason: String,
    },
    /// The number of ids given is not the number recorded.
    #[error("audit entry {seq} records {recorded} deleted records; {given} ids were given")]
    CountDiffers {
        /// The entry.
        seq: u64,
        /// Recorded.
        recorded: u64,
        /// Given.
        given: u64,
    },
    /// The ids given hash to another digest.
    #[error("audit entry {seq} records ids digest {recorded}; the ids given hash to {given}")]
    DigestDiffers {
        /// The entry.
        seq: u64,
        /// Recorded.
        recorded: String,
        /// Given.
        given: String,
    },
}

/// Checks that `ids` are exactly the records whose deletion `entry`
/// records: the same count and the same digest (the entry's detail and its
/// `after` digest must agree, or the entry was edited). Returns the proof.
pub fn verify_deletion(entry: &AuditEntry, ids: &[String]) -> Result<DeletionProof, ProofError> {
    let not_a_proof = |reason: String| ProofError::NotAProof {
        seq: entry.seq,
        action: entry.action.chars().take(64).collect(),
        reason,
    };
    if entry.compute_hash() != entry.hash {
        return Err(not_a_proof(
            "its content does not hash to its recorded hash (it was altered)".into(),
        ));
    }
    let proof: DeletionProof = serde_json::from_str(&entry.detail)
        .map_err(|e| not_a_proof(format!("its detail is not a proof ({e})")))?;
    if entry.after.map(hex::encode).as_deref() != Some(proof.ids_sha256.as_str()) {
        return Err(not_a_proof(
            "its detail's digest is not the entry's after digest".into(),
        ));
    }
    let given = ids.len() as u64;
    if given != proof.count {
        return Err(ProofError::CountDiffers {
            seq: entry.seq,
            recorded: proof.count,
            given,
        });
    }
    let mut sorted = ids.to_vec();
    let digest = hex::encode(ids_digest(&mut sorted));
    if digest != proof.ids_sha256 {
        return Err(ProofError::DigestDiffers {
            seq: entry.seq,
            recorded: proof.ids_sha256,
            given: digest,
        });
    }
    Ok(proof)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request() -> ExpiryRequest {
        ExpiryRequest {
            class: DataClass::DeadLetters,
            tenant: TenantId::new("acme").unwrap(),
            before: chrono::DateTime::from_timestamp(1_000, 0).unwrap(),
            keep_alerts: Vec::new(),
            keep_incidents: Vec::new(),
            limit: 10,
            actor: "system:retention".into(),
            action: "retention.delete".into(),
            at: chrono::DateTime::from_timestamp(2_000, 0).unwrap(),
        }
    }

    fn entry_for(ids: &[&str]) -> AuditEntry {
        let mut ids: Vec<String> = ids.iter().map(|s| s.to_string()).collect();
        let req = request();
        let proof = proof_of(&req, &mut ids);
        AuditEntry::from_record(7, &proof_record(&req, &proof), crate::audit::GENESIS)
    }

    #[test]
    fn the_digest_does_not_depend_on_order() {
        let mut a = vec!["b".to_string(), "a".into(), "c".into()];
        let mut b = vec!["c".to_string(), "b".into(), "a".into()];
        assert_eq!(ids_digest(&mut a), ids_digest(&mut b));
        assert_eq!(a, ["a", "b", "c"]);
    }

    #[test]
    fn a_proof_verifies_against_its_ids_and_nothing_else() {
        let entry = entry_for(&["3", "1", "2"]);
        let ids = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let proof = verify_deletion(&entry, &ids(&["1", "2", "3"])).unwrap();
        assert_eq!(proof.count, 3);
        assert!(matches!(
            verify_deletion(&entry, &ids(&["1", "2"])),
            Err(ProofError::CountDiffers { given: 2, .. })
        ));
        assert!(matches!(
            verify_deletion(&entry, &ids(&["1", "2", "4"])),
            Err(ProofError::DigestDiffers { .. })
        ));
        let mut edited = entry.clone();
        edited.detail = edited
            .detail
            .replace(&hex::encode(edited.after.unwrap()), "00");
        assert!(matches!(
            verify_deletion(&edited, &ids(&["1", "2", "3"])),
            Err(ProofError::NotAProof { .. })
        ));
    }

    #[test]
    fn classes_read_as_they_are_written() {
        for c in DataClass::ALL {
            assert_eq!(c.as_str().parse::<DataClass>().unwrap(), c);
        }
        let err = "audit".parse::<DataClass>().unwrap_err();
        assert!(err.to_string().contains("`audit`"), "{err}");
    }
}
