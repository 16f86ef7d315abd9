//! A witness of the audit log (c2sp.org/tlog-witness): it cosigns a
//! checkpoint only if the log signed it and it extends, by a valid
//! consistency proof, the last checkpoint the witness cosigned. A provider
//! that showed one party one history and another a different one would
//! need a witness to cosign both: the second is refused.
//!
//! The request is tlog-witness's `add-checkpoint` body: `old <size>`, the
//! consistency proof from that size (one base64 hash per line), a blank
//! line, then the log's signed checkpoint note. The answer is the
//! cosignature line. What the witness remembers between requests is
//! [`WitnessState`]; keeping it (a file) is the caller's.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde::{Deserialize, Serialize};

use super::note::{NoteCheckpoint, NoteError, cosign, open_checkpoint};
use super::{AuditSigner, Hash, verify_consistency};

/// What a witness remembers of a log: the last checkpoint it cosigned.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WitnessState {
    /// The log's origin.
    pub origin: String,
    /// The tree size last cosigned.
    pub size: u64,
    /// Its root, base64.
    pub root: String,
}

/// Who the witness is and which log it watches.
#[derive(Debug)]
pub struct Witness<'a> {
    /// The log's origin (also the name its notes are signed under).
    pub origin: &'a str,
    /// The log's public key.
    pub log_key: [u8; 32],
    /// The witness's name on its cosignatures.
    pub name: &'a str,
    /// The witness's key.
    pub key: &'a AuditSigner,
}

/// Why a checkpoint was not cosigned (with tlog-witness's HTTP status).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WitnessError {
    /// The request cannot be read (400).
    #[error("malformed request: {0}")]
    Malformed(String),
    /// Not the log's note, or not signed by its key (403).
    #[error("{0}")]
    Note(#[from] NoteError),
    /// The request's `old` is not the size the witness last cosigned (409).
    #[error(
        "the request proves consistency from size {asked}, but this witness last cosigned size {known}: send a proof from {known}"
    )]
    Conflict {
        /// The `old` the request gave.
        asked: u64,
        /// The size the witness knows.
        known: u64,
    },
    /// The checkpoint does not extend the one cosigned before (422): the
    /// log shows a forked or rewritten history.
    #[error(
        "refused: the checkpoint of size {size} is not consistent with the one cosigned at size {known} — a forked or rewritten history"
    )]
    Inconsistent {
        /// The new checkpoint's size.
        size: u64,
        /// The size cosigned before.
        known: u64,
    },
}

/// The body of an add-checkpoint request.
pub fn request(old: u64, proof: &[Hash], note: &str) -> String {
    let mut out = format!("old {old}\n");
    for hash in proof {
        out.push_str(&STANDARD.encode(hash));
        out.push('\n');
    }
    out.push('\n');
    out.push_str(note);
    out
}

/// Reads a request: `(old, proof, note)`.
fn parse_request(body: &str) -> Result<(u64, Vec<Hash>, &str), WitnessError> {
    let at = body
        .find("\n\n")
        .ok_or_else(|| WitnessError::Malformed("no blank line before the note".into()))?;
    let (head, note) = (&body[..at], &body[at + 2..]);
    let mut lines = head.lines();
    let old = lines
        .next()
        .and_then(|l| l.strip_prefix("old "))
        .and_then(|n| n.parse().ok())
        .ok_or_else(|| WitnessError::Malformed("the first line is not `old <size>`".into()))?;
    let proof = lines
        .map(|l| {
            STANDARD
                .decode(l)
                .ok()
                .and_then(|b| Hash::try_from(b).ok())
                .ok_or_else(|| WitnessError::Malformed(format!("proof line `{l}` is not a hash")))
        })
        .collect::<Result<_, _>>()?;
    Ok((old, proof, note))
}

impl Witness<'_> {
    /// Cosigns the request's checkpoint at `time` (Unix seconds) if it is
    /// the log's and consistent with `state`; returns the cosignature line
    /// and the state to keep. Trust on first use: with no state, the first
    /// checkpoint (from `old 0`) is taken as it is.
    pub fn add_checkpoint(
        &self,
        state: Option<&WitnessState>,
        body: &str,
        time: u64,
    ) -> Result<(String, WitnessState), WitnessError> {
        let (old, proof, note) = parse_request(body)?;
        let checkpoint: NoteCheckpoint = open_checkpoint(note, self.origin, &self.log_key)?;
        if checkpoint.origin != self.origin {
            return Err(NoteError::Malformed(format!(
                "origin `{}` is not the log's `{}`",
                checkpoint.origin, self.origin
            ))
            .into());
        }
        let known = match state {
            Some(s) => {
                let root = STANDARD
                    .decode(&s.root)
                    .ok()
                    .and_then(|b| Hash::try_from(b).ok())
                    .ok_or_else(|| WitnessError::Malformed("the witness's state root".into()))?;
                Some((s.size, root))
            }
            None => None,
        };
        let known_size = known.map_or(0, |k| k.0);
        if old != known_size {
            return Err(WitnessError::Conflict {
                asked: old,
                known: known_size,
            });
        }
        if let Some((size, root)) = known {
            let consistent = checkpoint.size >= size
                && verify_consistency(size, checkpoint.size, &root, &checkpoint.root, &proof);
            if !consistent {
                return Err(WitnessError::Inconsistent {
                    size: checkpoint.size,
                    known: size,
                });
            }
        }
        let line = cosign(&checkpoint, self.name, self.key, time);
        let state = WitnessState {
            origin: checkpoint.origin.clone(),
            size: checkpoint.size,
            root: STANDARD.encode(checkpoint.root),
        };
        Ok((line, state))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::note::{cosigned_at, sign_checkpoint};
    use crate::audit::{MerkleTree, leaf_hash};

    const ORIGIN: &str = "vigil.example/audit";

    fn log(entries: &[&str]) -> MerkleTree {
        MerkleTree::new(entries.iter().map(|e| leaf_hash(e.as_bytes())).collect())
    }

    fn note(tree: &MerkleTree, size: u64, signer: &AuditSigner) -> String {
        let cp = NoteCheckpoint {
            origin: ORIGIN.into(),
            size,
            root: tree.root(size).unwrap(),
        };
        sign_checkpoint(&cp, ORIGIN, signer).unwrap()
    }

    #[test]
    fn a_witness_cosigns_a_growing_log_and_refuses_a_fork() {
        let signer = AuditSigner::from_secret([9; 32]);
        let key = AuditSigner::from_secret([5; 32]);
        let witness = Witness {
            origin: ORIGIN,
            log_key: signer.public_key(),
            name: "witness.example",
            key: &key,
        };
        let honest = log(&["a", "b", "c", "d", "e", "f"]);

        // First sight: trust on first use, from size 0.
        let (line, state) = witness
            .add_checkpoint(None, &request(0, &[], &note(&honest, 4, &signer)), 100)
            .unwrap();
        let cp4 = NoteCheckpoint {
            origin: ORIGIN.into(),
            size: 4,
            root: honest.root(4).unwrap(),
        };
        assert_eq!(
            cosigned_at(&cp4, &line, "witness.example", &key.public_key()),
            Some(100)
        );

        // The log grows: a proof from 4 to 6 is cosigned.
        let proof = honest.consistency_proof(4, 6).unwrap();
        let (_, state6) = witness
            .add_checkpoint(
                Some(&state),
                &request(4, &proof, &note(&honest, 6, &signer)),
                200,
            )
            .unwrap();
        assert_eq!(state6.size, 6);

        // The provider shows someone a history where entry 3 was rewritten:
        // signed by the same key, with a proof that holds for that history,
        // and refused by a witness that cosigned the honest one.
        let forked = log(&["a", "b", "C", "d", "e", "f", "g"]);
        let proof = forked.consistency_proof(6, 7).unwrap();
        let e = witness
            .add_checkpoint(
                Some(&state6),
                &request(6, &proof, &note(&forked, 7, &signer)),
                300,
            )
            .unwrap_err();
        assert_eq!(e, WitnessError::Inconsistent { size: 7, known: 6 });
        assert!(e.to_string().contains("forked"));

        // A request from the wrong size, or a note by another key.
        let e = witness
            .add_checkpoint(
                Some(&state6),
                &request(4, &[], &note(&honest, 6, &signer)),
                300,
            )
            .unwrap_err();
        assert_eq!(e, WitnessError::Conflict { asked: 4, known: 6 });
        let impostor = AuditSigner::from_secret([8; 32]);
        assert!(matches!(
            witness.add_checkpoint(None, &request(0, &[], &note(&honest, 6, &impostor)), 300),
            Err(WitnessError::Note(_))
        ));
    }
}
