//! Checking the whole audit log: the chain, and every signed checkpoint.

use std::collections::HashMap;

use serde::Serialize;

use super::{AuditEntry, Checkpoint, GENESIS, Hash, MerkleTree, verify_checkpoint};

/// The first thing found wrong with the log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Tamper {
    /// An entry's content no longer gives the hash stored with it.
    #[error("audit entry {seq} was changed: its content no longer matches its hash")]
    Changed {
        /// The entry.
        seq: u64,
    },
    /// Sequence numbers jump: entries are missing.
    #[error("audit entry {seq} was removed (the log jumps from {before} to {after})")]
    Removed {
        /// The first missing entry.
        seq: u64,
        /// The last entry before the gap.
        before: u64,
        /// The first entry after the gap.
        after: u64,
    },
    /// An entry sits at a place its link says it does not belong.
    #[error("audit entry {seq} is out of order: it follows entry {belongs_after} in the chain")]
    Reordered {
        /// Where it was found.
        seq: u64,
        /// The entry its link names as its predecessor.
        belongs_after: u64,
    },
    /// An entry's link names no entry of the log.
    #[error(
        "audit entry {seq} does not follow entry {previous}: entry {previous} was changed and re-hashed, or entries between them were removed"
    )]
    Unlinked {
        /// The entry.
        seq: u64,
        /// The entry before it in the log.
        previous: u64,
    },
    /// The log ends before a signed checkpoint does.
    #[error(
        "audit entries {first_missing} to {tree_size} were removed: checkpoint {checkpoint} covers {tree_size} entries but the log has {entries}"
    )]
    Truncated {
        /// The checkpoint that covers them.
        checkpoint: u64,
        /// How many entries it covers.
        tree_size: u64,
        /// How many the log has.
        entries: u64,
        /// The first entry missing.
        first_missing: u64,
    },
    /// A checkpoint's signature is not valid under the key it names.
    #[error("checkpoint {checkpoint} has an invalid signature")]
    BadSignature {
        /// The checkpoint.
        checkpoint: u64,
    },
    /// A checkpoint was signed by a key that is not among the trusted ones:
    /// an earlier key left out of the list after a rotation, or a history
    /// re-signed by someone else.
    #[error(
        "checkpoint {checkpoint} was signed by key {key}, which is not a trusted key (trusted: {trusted}); if it is one of the provider's earlier keys, trust it too (`--public-key`, `[desk] trusted_keys`)"
    )]
    UnknownKey {
        /// The checkpoint.
        checkpoint: u64,
        /// The key it names (hex).
        key: String,
        /// The trusted keys (hex prefixes, comma-separated).
        trusted: String,
    },
    /// The entries a checkpoint covers no longer give its root: they were
    /// rewritten consistently (every hash recomputed) after it was signed.
    #[error(
        "audit entries {first} to {last} were rewritten after checkpoint {checkpoint} was signed (its root no longer matches)"
    )]
    Rewritten {
        /// The checkpoint.
        checkpoint: u64,
        /// The first entry of the range that must contain the change (the
        /// entries up to the previous good checkpoint still match).
        first: u64,
        /// The last.
        last: u64,
    },
    /// Checkpoints go back in size.
    #[error("checkpoint {checkpoint} covers fewer entries than the one before it")]
    CheckpointShrank {
        /// The checkpoint.
        checkpoint: u64,
    },
}

/// Which key signed a checkpoint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CheckpointKey {
    /// The checkpoint.
    pub checkpoint: u64,
    /// How many entries it covers.
    pub tree_size: u64,
    /// The public key it names.
    #[serde(with = "super::hex_hash")]
    pub key: [u8; 32],
}

/// What `verify` found.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VerifyReport {
    /// Entries read.
    pub entries: u64,
    /// Checkpoints read.
    pub checkpoints: u64,
    /// Entries after the newest checkpoint: chained, but not yet signed.
    pub unsigned_tail: u64,
    /// Every checkpoint with the key that signed it, in order.
    pub keys: Vec<CheckpointKey>,
    /// The first problem, if any.
    pub problem: Option<Tamper>,
}

impl VerifyReport {
    /// Whether the log is intact.
    pub fn is_ok(&self) -> bool {
        self.problem.is_none()
    }
}

/// Checks a log: `entries` in stored order (by sequence number) and its
/// `checkpoints` in order. With `trusted` keys (the current one and those
/// it replaced), every checkpoint must be signed by one of them; with none,
/// each checkpoint's own key is taken.
pub fn verify_log<E>(
    entries: impl IntoIterator<Item = Result<AuditEntry, E>>,
    checkpoints: &[Checkpoint],
    trusted: &[[u8; 32]],
) -> Result<VerifyReport, E> {
    struct Seen {
        seq: u64,
        stored: Hash,
        computed: Hash,
        prev: Hash,
    }
    let mut seen = Vec::new();
    for entry in entries {
        let entry = entry?;
        seen.push(Seen {
            seq: entry.seq,
            stored: entry.hash,
            computed: entry.compute_hash(),
            prev: entry.prev_hash,
        });
    }
    let position_of: HashMap<Hash, u64> = seen.iter().map(|s| (s.stored, s.seq)).collect();
    let mut problem = None;
    let mut previous: Option<&Seen> = None;
    for s in &seen {
        let expected_seq = previous.map_or(1, |p| p.seq + 1);
        if s.seq != expected_seq {
            problem = Some(Tamper::Removed {
                seq: expected_seq,
                before: previous.map_or(0, |p| p.seq),
                after: s.seq,
            });
            break;
        }
        if s.computed != s.stored {
            problem = Some(Tamper::Changed { seq: s.seq });
            break;
        }
        let expected_prev = previous.map_or(GENESIS, |p| p.computed);
        if s.prev != expected_prev {
            problem = Some(match (position_of.get(&s.prev), previous) {
                (Some(&q), _) => Tamper::Reordered {
                    seq: s.seq,
                    belongs_after: q,
                },
                (None, Some(p)) => Tamper::Unlinked {
                    seq: s.seq,
                    previous: p.seq,
                },
                (None, None) => Tamper::Unlinked {
                    seq: s.seq,
                    previous: 0,
                },
            });
            break;
        }
        previous = Some(s);
    }

    let count = seen.len() as u64;
    let tree = MerkleTree::new(seen.iter().map(|s| s.computed).collect());
    let mut last_good = 0u64;
    let mut last_size = 0u64;
    for cp in checkpoints {
        if problem.is_some() {
            break;
        }
        if !trusted.is_empty() && !trusted.contains(&cp.key) {
            problem = Some(Tamper::UnknownKey {
                checkpoint: cp.seq,
                key: hex::encode(cp.key),
                trusted: trusted
                    .iter()
                    .map(|k| format!("{}…", &hex::encode(k)[..16]))
                    .collect::<Vec<_>>()
                    .join(", "),
            });
            break;
        }
        if !verify_checkpoint(cp, None) {
            problem = Some(Tamper::BadSignature { checkpoint: cp.seq });
            break;
        }
        if cp.tree_size < last_size {
            problem = Some(Tamper::CheckpointShrank { checkpoint: cp.seq });
            break;
        }
        last_size = cp.tree_size;
        match tree.root(cp.tree_size) {
            None => {
                problem = Some(Tamper::Truncated {
                    checkpoint: cp.seq,
                    tree_size: cp.tree_size,
                    entries: count,
                    first_missing: count + 1,
                });
            }
            Some(root) if root != cp.root => {
                problem = Some(Tamper::Rewritten {
                    checkpoint: cp.seq,
                    first: last_good + 1,
                    last: cp.tree_size,
                });
            }
            Some(_) => last_good = cp.tree_size,
        }
    }
    Ok(VerifyReport {
        entries: count,
        checkpoints: checkpoints.len() as u64,
        unsigned_tail: count.saturating_sub(last_size),
        keys: checkpoints
            .iter()
            .map(|cp| CheckpointKey {
                checkpoint: cp.seq,
                tree_size: cp.tree_size,
                key: cp.key,
            })
            .collect(),
        problem,
    })
}

#[cfg(test)]
mod tests {
    use super::super::{AuditRecord, AuditSigner};
    use super::*;

    fn chain(n: u64) -> Vec<AuditEntry> {
        let mut prev = GENESIS;
        (1..=n)
            .map(|seq| {
                let record = AuditRecord {
                    at: chrono::DateTime::from_timestamp(1_764_000_000 + seq as i64, 0).unwrap(),
                    actor: format!("user{}", seq % 3),
                    tenant: None,
                    action: "alarm.acknowledge".into(),
                    object: format!("alarm/{seq}"),
                    before: None,
                    after: None,
                    detail: serde_json::Value::Null,
                };
                let e = AuditEntry::from_record(seq, &record, prev);
                prev = e.hash;
                e
            })
            .collect()
    }

    fn check(entries: &[AuditEntry], cps: &[Checkpoint]) -> VerifyReport {
        verify_log::<()>(entries.iter().cloned().map(Ok), cps, &[]).unwrap()
    }

    fn checkpoint(entries: &[AuditEntry], size: u64, seq: u64) -> Checkpoint {
        let tree = MerkleTree::new(entries.iter().map(|e| e.hash).collect());
        AuditSigner::from_secret([1; 32]).sign(
            seq,
            size,
            tree.root(size).unwrap(),
            chrono::DateTime::from_timestamp(1_764_100_000, 0).unwrap(),
        )
    }

    #[test]
    fn an_intact_log_verifies() {
        let log = chain(20);
        let cps = [checkpoint(&log, 10, 1), checkpoint(&log, 20, 2)];
        let report = check(&log, &cps);
        assert!(report.is_ok(), "{report:?}");
        assert_eq!(
            (report.entries, report.checkpoints, report.unsigned_tail),
            (20, 2, 0)
        );
        assert!(check(&[], &[]).is_ok());
    }

    #[test]
    fn each_kind_of_tampering_is_named_at_its_entry() {
        let log = chain(10);
        let mut changed = log.clone();
        changed[4].actor = "mallory".into();
        assert_eq!(
            check(&changed, &[]).problem,
            Some(Tamper::Changed { seq: 5 })
        );

        let mut rehashed = log.clone();
        rehashed[4].actor = "mallory".into();
        rehashed[4].hash = rehashed[4].compute_hash();
        assert_eq!(
            check(&rehashed, &[]).problem,
            Some(Tamper::Unlinked {
                seq: 6,
                previous: 5
            })
        );

        let mut removed = log.clone();
        removed.remove(6);
        assert_eq!(
            check(&removed, &[]).problem,
            Some(Tamper::Removed {
                seq: 7,
                before: 6,
                after: 8
            })
        );

        let mut reordered = log.clone();
        reordered.swap(3, 4);
        reordered[3].seq = 4;
        reordered[4].seq = 5;
        assert_eq!(
            check(&reordered, &[]).problem,
            Some(Tamper::Reordered {
                seq: 4,
                belongs_after: 5
            })
        );

        let truncated = log[..8].to_vec();
        let cp = checkpoint(&log, 10, 1);
        assert_eq!(
            check(&truncated, std::slice::from_ref(&cp)).problem,
            Some(Tamper::Truncated {
                checkpoint: 1,
                tree_size: 10,
                entries: 8,
                first_missing: 9
            })
        );
    }

    #[test]
    fn a_consistent_rewrite_is_caught_by_the_checkpoint_after_it() {
        let log = chain(12);
        let cps = [
            checkpoint(&log, 4, 1),
            checkpoint(&log, 8, 2),
            checkpoint(&log, 12, 3),
        ];
        // Rewrite entry 6 and re-chain everything after it.
        let mut forged = log.clone();
        forged[5].actor = "mallory".into();
        for i in 5..forged.len() {
            if i > 5 {
                forged[i].prev_hash = forged[i - 1].hash;
            }
            forged[i].hash = forged[i].compute_hash();
        }
        assert_eq!(
            check(&forged, &cps).problem,
            Some(Tamper::Rewritten {
                checkpoint: 2,
                first: 5,
                last: 8
            })
        );
        let mut bad_sig = cps.clone();
        bad_sig[1].signature[3] ^= 1;
        assert_eq!(
            check(&log, &bad_sig).problem,
            Some(Tamper::BadSignature { checkpoint: 2 })
        );
        let other_key = [9u8; 32];
        let report = verify_log::<()>(log.iter().cloned().map(Ok), &cps, &[other_key]).unwrap();
        assert!(
            matches!(&report.problem, Some(Tamper::UnknownKey { checkpoint: 1, key, .. }) if key == &hex::encode(cps[0].key)),
            "{report:?}"
        );
    }

    #[test]
    fn after_a_rotation_both_keys_verify_their_own_checkpoints() {
        let log = chain(12);
        let tree = MerkleTree::new(log.iter().map(|e| e.hash).collect());
        let at = chrono::DateTime::from_timestamp(1_764_100_000, 0).unwrap();
        let (old, new) = (
            AuditSigner::from_secret([1; 32]),
            AuditSigner::from_secret([2; 32]),
        );
        let cps = [
            old.sign(1, 4, tree.root(4).unwrap(), at),
            old.sign(2, 8, tree.root(8).unwrap(), at),
            new.sign(3, 12, tree.root(12).unwrap(), at),
        ];
        let both = [new.public_key(), old.public_key()];
        let report = verify_log::<()>(log.iter().cloned().map(Ok), &cps, &both).unwrap();
        assert!(report.is_ok(), "{report:?}");
        let signers: Vec<[u8; 32]> = report.keys.iter().map(|k| k.key).collect();
        assert_eq!(
            signers,
            [old.public_key(), old.public_key(), new.public_key()]
        );
        // The new key alone does not vouch for what the old one signed.
        let report =
            verify_log::<()>(log.iter().cloned().map(Ok), &cps, &[new.public_key()]).unwrap();
        assert!(
            matches!(
                report.problem,
                Some(Tamper::UnknownKey { checkpoint: 1, .. })
            ),
            "{report:?}"
        );
    }
}
