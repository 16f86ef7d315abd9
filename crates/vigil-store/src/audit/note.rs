//! The audit log's checkpoints as C2SP signed notes, and witnesses'
//! cosignatures on them, so that an independent party can hold the
//! provider to one history (c2sp.org/tlog-checkpoint, c2sp.org/signed-note,
//! c2sp.org/tlog-cosignature, c2sp.org/tlog-witness).
//!
//! A checkpoint note's text is three lines: the log's origin, the tree size
//! in decimal, and the Merkle root in standard base64; then a blank line
//! and one signature line per signer: `— <name> <base64(key id ‖
//! signature)>`. The log signs the text with its Ed25519 audit key (key id:
//! the first four bytes of SHA-256(name ‖ "\n" ‖ 0x01 ‖ public key)). A
//! witness cosigns `cosignature/v1\ntime <seconds>\n` followed by the
//! text (key id with 0x04; the line carries the time, big-endian, before
//! the signature).
//!
//! Written here rather than taken from a crate: no maintained Rust crate
//! implements these notes on the `ed25519-dalek` keys the log already uses.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use ed25519_dalek::{Signature, Verifier, VerifyingKey};
use sha2::{Digest, Sha256};

use super::{AuditSigner, Hash};

/// The em dash every signature line starts with.
const DASH: &str = "\u{2014} ";
/// Signature type of an Ed25519 note signature.
const ED25519: u8 = 0x01;
/// Signature type of a timestamped Ed25519 cosignature.
const COSIGNATURE_V1: u8 = 0x04;

/// A checkpoint as its note's text says it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoteCheckpoint {
    /// The log's origin line.
    pub origin: String,
    /// How many entries the tree holds.
    pub size: u64,
    /// Its Merkle root.
    pub root: Hash,
}

impl NoteCheckpoint {
    /// The note's text (signed by the log, cosigned by witnesses).
    pub fn text(&self) -> String {
        format!(
            "{}\n{}\n{}\n",
            self.origin,
            self.size,
            STANDARD.encode(self.root)
        )
    }
}

/// A note that cannot be read or whose signature does not hold.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NoteError {
    /// The note is not text, blank line, signature lines.
    #[error("malformed note: {0}")]
    Malformed(String),
    /// An origin with control characters or an empty one.
    #[error("origin `{0}` must be one line of printable text")]
    Origin(String),
    /// No signature by the expected key verifies.
    #[error("no valid signature by `{0}` on the note")]
    Unsigned(String),
}

fn key_id(name: &str, kind: u8, key: &[u8; 32]) -> [u8; 4] {
    let mut h = Sha256::new();
    h.update(name.as_bytes());
    h.update(b"\n");
    h.update([kind]);
    h.update(key);
    let digest = h.finalize();
    [digest[0], digest[1], digest[2], digest[3]]
}

/// Checks an origin: one non-empty line of printable characters.
pub fn check_origin(origin: &str) -> Result<(), NoteError> {
    if origin.is_empty() || origin.chars().any(|c| c.is_control()) {
        return Err(NoteError::Origin(origin.to_owned()));
    }
    Ok(())
}

/// The log's signed note for `checkpoint`, signed by `signer` as `name`.
pub fn sign_checkpoint(
    checkpoint: &NoteCheckpoint,
    name: &str,
    signer: &AuditSigner,
) -> Result<String, NoteError> {
    check_origin(&checkpoint.origin)?;
    check_origin(name)?;
    let text = checkpoint.text();
    let mut blob = key_id(name, ED25519, &signer.public_key()).to_vec();
    blob.extend_from_slice(&signer.sign_note(&text));
    Ok(format!("{text}\n{DASH}{name} {}\n", STANDARD.encode(blob)))
}

/// A signature line: the signer's name and the decoded blob.
type SignatureLine = (String, Vec<u8>);

/// Splits a note into its text and its signature lines.
fn split(note: &str) -> Result<(&str, Vec<SignatureLine>), NoteError> {
    let at = note
        .find("\n\n")
        .ok_or_else(|| NoteError::Malformed("no blank line after the text".into()))?;
    let (text, rest) = note.split_at(at + 1);
    let mut signatures = Vec::new();
    for line in rest[1..].lines().filter(|l| !l.is_empty()) {
        let line = line
            .strip_prefix(DASH)
            .ok_or_else(|| NoteError::Malformed(format!("`{line}` is not a signature line")))?;
        let (name, blob) = line
            .rsplit_once(' ')
            .ok_or_else(|| NoteError::Malformed(format!("`{line}` has no signature")))?;
        let blob = STANDARD
            .decode(blob)
            .map_err(|e| NoteError::Malformed(format!("signature of `{name}`: {e}")))?;
        signatures.push((name.to_owned(), blob));
    }
    Ok((text, signatures))
}

/// Reads a checkpoint note's text.
pub fn parse_checkpoint(text: &str) -> Result<NoteCheckpoint, NoteError> {
    let mut lines = text.lines();
    let (Some(origin), Some(size), Some(root)) = (lines.next(), lines.next(), lines.next()) else {
        return Err(NoteError::Malformed(
            "a checkpoint has an origin, a size and a root".into(),
        ));
    };
    let size = size
        .parse()
        .map_err(|_| NoteError::Malformed(format!("tree size `{size}` is not a number")))?;
    let root: Hash = STANDARD
        .decode(root)
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| NoteError::Malformed(format!("root `{root}` is not 32 bytes of base64")))?;
    Ok(NoteCheckpoint {
        origin: origin.to_owned(),
        size,
        root,
    })
}

/// The checkpoint of a note the log `name` with public key `key` signed.
pub fn open_checkpoint(
    note: &str,
    name: &str,
    key: &[u8; 32],
) -> Result<NoteCheckpoint, NoteError> {
    let (text, signatures) = split(note)?;
    let id = key_id(name, ED25519, key);
    let verifying = VerifyingKey::from_bytes(key).map_err(|_| NoteError::Unsigned(name.into()))?;
    let signed = signatures.iter().any(|(n, blob)| {
        n == name
            && blob.len() == 68
            && blob[..4] == id
            && <[u8; 64]>::try_from(&blob[4..])
                .map(|s| {
                    verifying
                        .verify(text.as_bytes(), &Signature::from_bytes(&s))
                        .is_ok()
                })
                .unwrap_or(false)
    });
    if !signed {
        return Err(NoteError::Unsigned(name.into()));
    }
    parse_checkpoint(text)
}

/// A witness's cosignature line on `checkpoint` at `time` (Unix seconds),
/// signed with the witness's own key.
pub fn cosign(checkpoint: &NoteCheckpoint, name: &str, key: &AuditSigner, time: u64) -> String {
    let message = format!("cosignature/v1\ntime {time}\n{}", checkpoint.text());
    let signature = key.sign_note(&message);
    let mut blob = key_id(name, COSIGNATURE_V1, &key.public_key()).to_vec();
    blob.extend_from_slice(&time.to_be_bytes());
    blob.extend_from_slice(&signature);
    format!("{DASH}{name} {}", STANDARD.encode(blob))
}

/// When the witness `name` with public key `key` cosigned `checkpoint`, if
/// one of `lines` is its valid cosignature.
pub fn cosigned_at(
    checkpoint: &NoteCheckpoint,
    lines: &str,
    name: &str,
    key: &[u8; 32],
) -> Option<u64> {
    let id = key_id(name, COSIGNATURE_V1, key);
    let verifying = VerifyingKey::from_bytes(key).ok()?;
    lines.lines().find_map(|line| {
        let (n, blob) = line.strip_prefix(DASH)?.rsplit_once(' ')?;
        let blob = STANDARD.decode(blob).ok()?;
        if n != name || blob.len() != 76 || blob[..4] != id {
            return None;
        }
        let time = u64::from_be_bytes(blob[4..12].try_into().ok()?);
        let signature = Signature::from_bytes(&blob[12..].try_into().ok()?);
        let message = format!("cosignature/v1\ntime {time}\n{}", checkpoint.text());
        verifying.verify(message.as_bytes(), &signature).ok()?;
        Some(time)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn checkpoint() -> NoteCheckpoint {
        NoteCheckpoint {
            origin: "vigil.example/audit".into(),
            size: 42,
            root: [7; 32],
        }
    }

    #[test]
    fn a_signed_note_opens_with_its_key_only() {
        let log = AuditSigner::from_secret([1; 32]);
        let note = sign_checkpoint(&checkpoint(), "vigil.example/audit", &log).unwrap();
        assert!(note.starts_with("vigil.example/audit\n42\nBwcH"));
        assert_eq!(
            open_checkpoint(&note, "vigil.example/audit", &log.public_key()).unwrap(),
            checkpoint()
        );
        let other = AuditSigner::from_secret([2; 32]);
        assert!(open_checkpoint(&note, "vigil.example/audit", &other.public_key()).is_err());
        // One changed character of the text and the signature fails.
        let forged = note.replacen("\n42\n", "\n43\n", 1);
        assert!(open_checkpoint(&forged, "vigil.example/audit", &log.public_key()).is_err());
        assert!(
            sign_checkpoint(
                &NoteCheckpoint {
                    origin: "two\nlines".into(),
                    ..checkpoint()
                },
                "x",
                &log
            )
            .is_err()
        );
    }

    #[test]
    fn a_cosignature_verifies_for_its_checkpoint_and_witness() {
        let witness = AuditSigner::from_secret([3; 32]);
        let line = cosign(&checkpoint(), "witness.example", &witness, 1_700_000_000);
        let key = witness.public_key();
        assert_eq!(
            cosigned_at(&checkpoint(), &line, "witness.example", &key),
            Some(1_700_000_000)
        );
        let mut other = checkpoint();
        other.size = 41;
        assert_eq!(cosigned_at(&other, &line, "witness.example", &key), None);
        assert_eq!(
            cosigned_at(&checkpoint(), &line, "someone.else", &key),
            None
        );
    }
}
