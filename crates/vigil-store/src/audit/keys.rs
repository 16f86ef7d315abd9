//! Where the signing key comes from, and which public keys a verifier
//! trusts.
//!
//! The key that signs checkpoints may live apart from the data: in a file
//! named by the configuration (outside the data folder, so that a copy of
//! the folder cannot re-sign a rewritten history) or in an environment
//! variable (a secret manager's injection). Keys rotate: the newest signs,
//! and the public keys of earlier ones stay trusted so that the
//! checkpoints they signed keep verifying.

use std::io::Write;
use std::path::{Path, PathBuf};

use super::signing::{AuditKeyError, AuditSigner, public_key_path};

/// Where a node's signing key is read from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SigningKeySource {
    /// A key file (created, mode 0600, when missing).
    File(PathBuf),
    /// An environment variable holding the secret key as 64 hex characters.
    Env(String),
}

impl SigningKeySource {
    /// Reads the signer: from the environment, or from the file (created
    /// with its `.pub` beside it when missing; refused when others may
    /// read it).
    pub fn signer(&self) -> Result<AuditSigner, AuditKeyError> {
        match self {
            Self::File(path) => AuditSigner::load_or_create(path),
            Self::Env(var) => AuditSigner::from_env(var),
        }
    }

    /// Reads the signer without ever creating a key file (a command that
    /// signs for an existing log must not mint a key nobody trusts).
    pub fn existing_signer(&self) -> Result<AuditSigner, AuditKeyError> {
        match self {
            Self::File(path) if !path.is_file() => Err(AuditKeyError::Io {
                path: path.clone(),
                reason: "no such key file".into(),
            }),
            _ => self.signer(),
        }
    }
}

impl std::fmt::Display for SigningKeySource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::File(path) => write!(f, "{}", path.display()),
            Self::Env(var) => write!(f, "environment variable {var}"),
        }
    }
}

impl AuditSigner {
    /// A signer from the environment variable `var` (the secret key as 64
    /// hexadecimal characters).
    pub fn from_env(var: &str) -> Result<Self, AuditKeyError> {
        let text = std::env::var(var).map_err(|e| AuditKeyError::Env {
            var: var.to_owned(),
            reason: match e {
                std::env::VarError::NotPresent => "is not set".into(),
                other => other.to_string(),
            },
        })?;
        let secret = parse_hex_32(&text).map_err(|reason| AuditKeyError::Env {
            var: var.to_owned(),
            reason: format!("not 64 hexadecimal characters (an Ed25519 secret key): {reason}"),
        })?;
        Ok(Self::from_secret(secret))
    }

    /// Makes a new key at `path` (mode 0600; never over an existing file)
    /// and its public key beside it as `<path>.pub`.
    pub fn create(path: &Path) -> Result<Self, AuditKeyError> {
        let io = |e: std::io::Error| AuditKeyError::Io {
            path: path.to_owned(),
            reason: e.to_string(),
        };
        if let Some(parent) = path.parent()
            && !parent.as_os_str().is_empty()
        {
            std::fs::create_dir_all(parent).map_err(io)?;
        }
        let secret: [u8; 32] = rand::random();
        let signer = Self::from_secret(secret);
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let mut file = options.open(path).map_err(io)?;
        file.write_all(hex::encode(secret).as_bytes())
            .and_then(|()| file.write_all(b"\n"))
            .and_then(|()| file.sync_all())
            .map_err(io)?;
        let public = public_key_path(path);
        std::fs::write(&public, format!("{}\n", hex::encode(signer.public_key()))).map_err(
            |e| AuditKeyError::Io {
                path: public.clone(),
                reason: e.to_string(),
            },
        )?;
        Ok(signer)
    }
}

/// 32 bytes from their hex text.
pub(crate) fn parse_hex_32(text: &str) -> Result<[u8; 32], String> {
    let bytes = hex::decode(text.trim()).map_err(|e| e.to_string())?;
    bytes
        .try_into()
        .map_err(|b: Vec<u8>| format!("{} bytes, not 32", b.len()))
}

/// Public keys from text: one hex key a line; blank lines and lines
/// starting with `#` are skipped.
pub fn parse_public_keys(text: &str) -> Result<Vec<[u8; 32]>, String> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| parse_hex_32(l).map_err(|e| format!("`{l}` is not a public key: {e}")))
        .collect()
}

/// Public keys given as hex, or as a file holding one or more (one a
/// line).
pub fn read_public_keys(given: &str) -> Result<Vec<[u8; 32]>, AuditKeyError> {
    let path = Path::new(given);
    if path.is_file() {
        let text = std::fs::read_to_string(path).map_err(|e| AuditKeyError::Io {
            path: path.to_owned(),
            reason: e.to_string(),
        })?;
        let keys = parse_public_keys(&text).map_err(|reason| AuditKeyError::Malformed {
            path: path.to_owned(),
            reason,
        })?;
        if keys.is_empty() {
            return Err(AuditKeyError::Malformed {
                path: path.to_owned(),
                reason: "no public key in it".into(),
            });
        }
        return Ok(keys);
    }
    parse_hex_32(given)
        .map(|k| vec![k])
        .map_err(|reason| AuditKeyError::NotAPublicKey {
            given: given.to_owned(),
            reason,
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_comes_from_the_environment_or_a_clear_error() {
        let secret = [9u8; 32];
        let var = "VIGIL_TEST_AUDIT_KEY_FROM_ENV_4711";
        // SAFETY: the variable's name is this test's own; no other thread
        // reads it.
        unsafe { std::env::set_var(var, hex::encode(secret)) };
        let signer = SigningKeySource::Env(var.into()).signer().unwrap();
        assert_eq!(
            signer.public_key(),
            AuditSigner::from_secret(secret).public_key()
        );
        unsafe { std::env::set_var(var, "abc") };
        let err = AuditSigner::from_env(var).unwrap_err().to_string();
        assert!(err.contains(var) && err.contains("hexadecimal"), "{err}");
        unsafe { std::env::remove_var(var) };
        let err = AuditSigner::from_env(var).unwrap_err().to_string();
        assert!(err.contains(var) && err.contains("is not set"), "{err}");
    }

    #[test]
    fn a_new_key_is_private_and_never_overwrites() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keys/new.key");
        let signer = AuditSigner::create(&path).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
        }
        assert!(AuditSigner::create(&path).is_err(), "never over a key");
        let public = read_public_keys(public_key_path(&path).to_str().unwrap()).unwrap();
        assert_eq!(public, vec![signer.public_key()]);
        let missing = SigningKeySource::File(dir.path().join("none.key"));
        assert!(missing.existing_signer().is_err());
        assert!(!dir.path().join("none.key").exists());
    }

    #[test]
    fn public_keys_are_read_from_hex_or_a_file_of_lines() {
        let (a, b) = ([1u8; 32], [2u8; 32]);
        assert_eq!(read_public_keys(&hex::encode(a)).unwrap(), vec![a]);
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("trusted.pub");
        std::fs::write(
            &file,
            format!("# rotated keys\n{}\n\n{}\n", hex::encode(a), hex::encode(b)),
        )
        .unwrap();
        assert_eq!(
            read_public_keys(file.to_str().unwrap()).unwrap(),
            vec![a, b]
        );
        let err = read_public_keys("zz").unwrap_err().to_string();
        assert!(err.contains("`zz`"), "{err}");
    }
}
