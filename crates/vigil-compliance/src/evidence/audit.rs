//! The integrity of the platform's own record (A.8.15's protection of
//! logs, A.5.28, A.5.33): the audit chain's verification, link by link
//! and against its signed checkpoints.

use serde::Serialize;
use serde_json::json;
use vigil_model::Timestamp;

use super::{EvidenceEntry, EvidenceError, Status};

/// The newest signed checkpoint the chain was checked against.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CheckpointFact {
    /// Its number.
    pub seq: u64,
    /// The entries it covers.
    pub tree_size: u64,
    /// When it was signed.
    pub at: Timestamp,
    /// The public key that signed it (hex).
    pub key: String,
}

/// What the integrity evidence is computed from: the chain's verification.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AuditFacts {
    /// Entries checked.
    pub entries: u64,
    /// Signed checkpoints checked.
    pub checkpoints: u64,
    /// The newest of them.
    pub newest: Option<CheckpointFact>,
    /// Entries after the newest checkpoint: chained, not yet signed.
    pub unsigned_tail: u64,
    /// The first thing found wrong, in words (naming the entry).
    pub problem: Option<String>,
    /// Whether every entry was read (false when a cap stopped the reading).
    pub complete: bool,
}

/// The entry `audit.integrity`.
pub fn evidence(facts: &AuditFacts) -> Result<EvidenceEntry, EvidenceError> {
    let (status, finding) = match (&facts.problem, &facts.newest) {
        (Some(p), _) => (
            Status::NotEvidenced,
            format!("The audit chain does not verify: {p}."),
        ),
        (None, _) if !facts.complete => (
            Status::Partially,
            format!(
                "Only the newest {} audit entries were read; the chain was not checked in full.",
                facts.entries
            ),
        ),
        (None, None) => (
            Status::Partially,
            format!(
                "The audit chain's {} entries link intact, but no signed checkpoint covers them.",
                facts.entries
            ),
        ),
        (None, Some(cp)) => (
            Status::Evidenced,
            format!(
                "The audit chain's {} entries link intact and {} signed checkpoints verify (the newest, {}, covers {} entries); {} entries after it are chained, not yet signed.",
                facts.entries,
                facts.checkpoints,
                cp.at.to_rfc3339(),
                cp.tree_size,
                facts.unsigned_tail
            ),
        ),
    };
    EvidenceEntry::new(
        "audit.integrity",
        "Integrity of the audit record",
        &["A.8.15", "A.5.28", "A.5.33"],
        status,
        finding,
        json!({
            "entries": facts.entries,
            "checkpoints": facts.checkpoints,
            "newest_checkpoint": facts.newest,
            "unsigned_tail": facts.unsigned_tail,
            "problem": facts.problem,
            "complete": facts.complete,
        }),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn intact() -> AuditFacts {
        AuditFacts {
            entries: 40,
            checkpoints: 2,
            newest: Some(CheckpointFact {
                seq: 2,
                tree_size: 38,
                at: chrono::Utc::now(),
                key: "ab".repeat(32),
            }),
            unsigned_tail: 2,
            problem: None,
            complete: true,
        }
    }

    #[test]
    fn an_intact_signed_chain_is_evidence_and_a_broken_one_names_the_entry() {
        let e = evidence(&intact()).expect("entry");
        assert_eq!(e.status, Status::Evidenced, "{}", e.finding);
        assert!(e.finding.contains("40 entries link intact"));

        let broken = AuditFacts {
            problem: Some("audit entry 7 was changed".into()),
            ..intact()
        };
        let e = evidence(&broken).expect("entry");
        assert_eq!(e.status, Status::NotEvidenced);
        assert!(e.finding.contains("entry 7"), "{}", e.finding);

        let unsigned = AuditFacts {
            newest: None,
            checkpoints: 0,
            ..intact()
        };
        assert_eq!(
            evidence(&unsigned).expect("entry").status,
            Status::Partially
        );
    }
}
