//! Signed checkpoints and the key that signs them.
//!
//! The signing key lives in a file outside the database (by default
//! `audit-signing.key` in the data folder, created on first start with
//! permissions 0600), so that write access to the database is not enough to
//! forge a checkpoint. The public key is written beside it
//! (`audit-signing.pub`) for clients and auditors.

use std::path::{Path, PathBuf};

use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use serde::{Deserialize, Serialize};

use vigil_model::Timestamp;

use super::Hash;

/// A signed statement: "the audit log had `tree_size` entries whose Merkle
/// root was `root`".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checkpoint {
    /// Its position among checkpoints, from 1.
    pub seq: u64,
    /// How many entries it covers.
    pub tree_size: u64,
    /// The Merkle root of those entries.
    #[serde(with = "super::hex_hash")]
    pub root: Hash,
    /// When it was made.
    pub at: Timestamp,
    /// The public key that signed it.
    #[serde(with = "super::hex_hash")]
    pub key: [u8; 32],
    /// The Ed25519 signature over [`Checkpoint::signed_bytes`].
    #[serde(with = "signature_hex")]
    pub signature: [u8; 64],
}

impl Checkpoint {
    /// The bytes the signature covers.
    pub fn signed_bytes(tree_size: u64, root: &Hash, at: Timestamp) -> Vec<u8> {
        let mut out = Vec::with_capacity(80);
        out.extend_from_slice(b"vigil-audit-checkpoint-v1\0");
        out.extend_from_slice(&tree_size.to_be_bytes());
        out.extend_from_slice(root);
        out.extend_from_slice(&at.timestamp_micros().to_be_bytes());
        out
    }
}

/// Whether `checkpoint`'s signature is valid under its own key, and that
/// key is `trusted` when one is given.
pub fn verify_checkpoint(checkpoint: &Checkpoint, trusted: Option<&[u8; 32]>) -> bool {
    if trusted.is_some_and(|t| t != &checkpoint.key) {
        return false;
    }
    let Ok(key) = VerifyingKey::from_bytes(&checkpoint.key) else {
        return false;
    };
    let message = Checkpoint::signed_bytes(checkpoint.tree_size, &checkpoint.root, checkpoint.at);
    key.verify(&message, &Signature::from_bytes(&checkpoint.signature))
        .is_ok()
}

/// Trouble with the signing key file.
#[derive(Debug, thiserror::Error)]
pub enum AuditKeyError {
    /// The file could not be read or written.
    #[error("audit signing key {path}: {reason}")]
    Io {
        /// Which file.
        path: PathBuf,
        /// What went wrong.
        reason: String,
    },
    /// The file's content is not a key.
    #[error(
        "audit signing key {path} is not 64 hexadecimal characters (an Ed25519 secret key): {reason}"
    )]
    Malformed {
        /// Which file.
        path: PathBuf,
        /// What was wrong.
        reason: String,
    },
    /// Someone other than the owner may read the key.
    #[error(
        "audit signing key {path} may be read by others (mode {mode:o}); run `chmod 600` on it"
    )]
    TooOpen {
        /// Which file.
        path: PathBuf,
        /// Its permission bits.
        mode: u32,
    },
    /// The environment variable named for the key is unset or not a key.
    #[error("audit signing key from environment variable {var}: {reason}")]
    Env {
        /// The variable.
        var: String,
        /// What was wrong.
        reason: String,
    },
    /// A public key given on the command line or in the configuration is
    /// neither a file nor 64 hexadecimal characters.
    #[error("`{given}` is neither a file nor a public key (64 hexadecimal characters): {reason}")]
    NotAPublicKey {
        /// What was given.
        given: String,
        /// What was wrong.
        reason: String,
    },
}

/// The checkpoint signer.
#[derive(Clone)]
pub struct AuditSigner {
    key: SigningKey,
}

impl std::fmt::Debug for AuditSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the secret.
        write!(f, "AuditSigner({})", hex::encode(self.public_key()))
    }
}

impl AuditSigner {
    /// Signs a C2SP note's text (see `note.rs`). The note's first line is
    /// an origin without control characters, so its bytes can never be a
    /// checkpoint's (`vigil-audit-checkpoint-v1\0…`).
    pub(crate) fn sign_note(&self, text: &str) -> [u8; 64] {
        self.key.sign(text.as_bytes()).to_bytes()
    }

    /// The default key file name in a data folder.
    pub const FILE_NAME: &'static str = "audit-signing.key";

    /// A signer from a secret key's 32 bytes.
    pub fn from_secret(secret: [u8; 32]) -> Self {
        Self {
            key: SigningKey::from_bytes(&secret),
        }
    }

    /// Reads the key at `path`, or creates it (mode 0600, and its public
    /// key beside it as `<path>.pub`) when there is none. A key file others
    /// may read is refused.
    pub fn load_or_create(path: &Path) -> Result<Self, AuditKeyError> {
        let io = |e: std::io::Error| AuditKeyError::Io {
            path: path.to_owned(),
            reason: e.to_string(),
        };
        match std::fs::read_to_string(path) {
            Ok(text) => {
                check_mode(path)?;
                let signer = Self::parse(path, &text)?;
                Ok(signer)
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Self::create(path),
            Err(e) => Err(io(e)),
        }
    }

    fn parse(path: &Path, text: &str) -> Result<Self, AuditKeyError> {
        let malformed = |reason: String| AuditKeyError::Malformed {
            path: path.to_owned(),
            reason,
        };
        let bytes = hex::decode(text.trim()).map_err(|e| malformed(e.to_string()))?;
        let secret: [u8; 32] = bytes
            .try_into()
            .map_err(|b: Vec<u8>| malformed(format!("{} bytes", b.len())))?;
        Ok(Self::from_secret(secret))
    }

    /// The public key clients verify checkpoints with.
    pub fn public_key(&self) -> [u8; 32] {
        self.key.verifying_key().to_bytes()
    }

    /// Signs a checkpoint of `tree_size` entries with root `root`.
    pub fn sign(&self, seq: u64, tree_size: u64, root: Hash, at: Timestamp) -> Checkpoint {
        let signature = self
            .key
            .sign(&Checkpoint::signed_bytes(tree_size, &root, at))
            .to_bytes();
        Checkpoint {
            seq,
            tree_size,
            root,
            at,
            key: self.public_key(),
            signature,
        }
    }
}

/// The bytes a document signature covers: a fixed prefix, the document's
/// purpose, a zero byte, then the document. A checkpoint's bytes start with
/// another prefix, so neither signature can be passed off as the other.
fn document_bytes(purpose: &str, document: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(32 + purpose.len() + document.len());
    out.extend_from_slice(b"vigil-signed-document-v1\0");
    out.extend_from_slice(purpose.as_bytes());
    out.push(0);
    out.extend_from_slice(document);
    out
}

impl AuditSigner {
    /// Signs a document that is not a checkpoint (a deletion certificate)
    /// for `purpose` (`deletion-certificate`).
    pub fn sign_document(&self, purpose: &str, document: &[u8]) -> [u8; 64] {
        self.key.sign(&document_bytes(purpose, document)).to_bytes()
    }
}

/// Whether `signature` is `key`'s signature of `document` for `purpose`.
pub fn verify_document(
    key: &[u8; 32],
    purpose: &str,
    document: &[u8],
    signature: &[u8; 64],
) -> bool {
    let Ok(key) = VerifyingKey::from_bytes(key) else {
        return false;
    };
    key.verify(
        &document_bytes(purpose, document),
        &Signature::from_bytes(signature),
    )
    .is_ok()
}

/// Where the public key of the key at `path` is written.
pub fn public_key_path(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".pub");
    PathBuf::from(name)
}

#[cfg(unix)]
fn check_mode(path: &Path) -> Result<(), AuditKeyError> {
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(path)
        .map_err(|e| AuditKeyError::Io {
            path: path.to_owned(),
            reason: e.to_string(),
        })?
        .permissions()
        .mode()
        & 0o777;
    if mode & 0o077 != 0 {
        return Err(AuditKeyError::TooOpen {
            path: path.to_owned(),
            mode,
        });
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_mode(_path: &Path) -> Result<(), AuditKeyError> {
    Ok(())
}

mod signature_hex {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(sig: &[u8; 64], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&hex::encode(sig))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<[u8; 64], D::Error> {
        let text = String::deserialize(d)?;
        let bytes = hex::decode(&text).map_err(serde::de::Error::custom)?;
        bytes
            .try_into()
            .map_err(|_| serde::de::Error::custom("a signature is 64 bytes of hex"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t0() -> Timestamp {
        chrono::DateTime::from_timestamp(1_764_000_000, 0).unwrap()
    }

    #[test]
    fn a_key_file_is_created_private_and_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("k").join(AuditSigner::FILE_NAME);
        let a = AuditSigner::load_or_create(&path).unwrap();
        let b = AuditSigner::load_or_create(&path).unwrap();
        assert_eq!(a.public_key(), b.public_key());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
            assert!(matches!(
                AuditSigner::load_or_create(&path),
                Err(AuditKeyError::TooOpen { .. })
            ));
        }
        let public = std::fs::read_to_string(public_key_path(&path)).unwrap();
        assert_eq!(public.trim(), hex::encode(a.public_key()));
        assert!(
            !format!("{a:?}").contains(&std::fs::read_to_string(&path).unwrap().trim().to_string())
        );
    }

    #[test]
    fn a_malformed_key_file_is_refused_with_the_reason() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bad.key");
        std::fs::write(&path, "not hex").unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        }
        let err = AuditSigner::load_or_create(&path).unwrap_err();
        assert!(matches!(err, AuditKeyError::Malformed { .. }), "{err}");
    }

    #[test]
    fn checkpoints_verify_only_untouched_and_under_the_trusted_key() {
        let signer = AuditSigner::from_secret([5; 32]);
        let cp = signer.sign(1, 10, [3; 32], t0());
        assert!(verify_checkpoint(&cp, None));
        assert!(verify_checkpoint(&cp, Some(&signer.public_key())));
        assert!(!verify_checkpoint(&cp, Some(&[0; 32])));
        for tamper in [
            |c: &mut Checkpoint| c.tree_size += 1,
            |c: &mut Checkpoint| c.root[0] ^= 1,
            |c: &mut Checkpoint| c.at += chrono::Duration::seconds(1),
            |c: &mut Checkpoint| c.signature[0] ^= 1,
        ] {
            let mut bad = cp.clone();
            tamper(&mut bad);
            assert!(!verify_checkpoint(&bad, None));
        }
        let other = AuditSigner::from_secret([6; 32]).sign(1, 10, [3; 32], t0());
        let mut forged = cp.clone();
        forged.signature = other.signature;
        assert!(!verify_checkpoint(&forged, None));
    }
}
