//! The audit signing key on the command line: `vigil audit key new` and
//! `vigil audit key public`, where a signing command finds the key
//! (`--key`, `--key-env`, `--config`, else the data folder), and which
//! public keys `vigil audit verify` trusts.

use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::{Args, Subcommand};
use vigil_store::audit::{
    AuditSigner, CheckpointKey, SigningKeySource, public_key_path, read_public_keys,
};

/// Where a command that signs finds the audit signing key.
#[derive(Debug, Clone, Default, Args)]
pub struct KeyArgs {
    /// The signing key file (default: `[desk] signing_key` of `--config`,
    /// else `audit-signing.key` in the data folder).
    #[arg(long, conflicts_with = "key_env")]
    pub key: Option<PathBuf>,
    /// An environment variable holding the signing key (64 hex characters).
    #[arg(long)]
    pub key_env: Option<String>,
}

impl KeyArgs {
    /// The key's source: as given, else the configuration's, else the data
    /// folder's.
    pub fn source(&self, desk: Option<&vigil_desk::DeskConfig>, data: &Path) -> SigningKeySource {
        match (&self.key, &self.key_env, desk) {
            (Some(path), _, _) => SigningKeySource::File(path.clone()),
            (None, Some(var), _) => SigningKeySource::Env(var.clone()),
            (None, None, Some(desk)) => desk.signing_key_source(data),
            (None, None, None) => SigningKeySource::File(data.join(AuditSigner::FILE_NAME)),
        }
    }
}

/// `vigil audit key …`
#[derive(Debug, Subcommand)]
pub enum AuditKeyCommand {
    /// Make a new signing key (mode 0600, never over an existing file) and
    /// its public key beside it (`FILE.pub`). To rotate: make one, name it
    /// in `[desk] signing_key` (or put it in `signing_key_env`'s variable)
    /// and add the old public key to `[desk] trusted_keys`.
    New {
        /// Where to write the key.
        #[arg(long)]
        out: PathBuf,
    },
    /// Print a signing key's public key (hex).
    Public {
        #[command(flatten)]
        key: KeyArgs,
        /// vigil.toml: its `[desk]` signing key.
        #[arg(long)]
        config: Option<PathBuf>,
        /// The data folder, when neither a key nor a configuration names it.
        #[arg(long, default_value = "./vigil-data")]
        data: PathBuf,
    },
}

/// Runs `vigil audit key …`.
pub fn run(command: AuditKeyCommand) -> anyhow::Result<()> {
    match command {
        AuditKeyCommand::New { out } => {
            let signer = AuditSigner::create(&out)?;
            println!("{}", hex::encode(signer.public_key()));
            eprintln!(
                "new audit signing key at {} (mode 0600); public key in {}",
                out.display(),
                public_key_path(&out).display()
            );
            Ok(())
        }
        AuditKeyCommand::Public { key, config, data } => {
            let desk = desk_config(config.as_deref())?;
            let source = key.source(desk.as_ref(), &data);
            let signer = source.existing_signer()?;
            println!("{}", hex::encode(signer.public_key()));
            Ok(())
        }
    }
}

/// The key settings of `config`'s `[desk]` table, when one is given, with
/// its `trusted_keys` read. Only that table is read: whoever verifies the
/// log needs neither the node's tokens nor its clients' secrets.
pub fn desk_config(config: Option<&Path>) -> anyhow::Result<Option<vigil_desk::DeskConfig>> {
    let Some(path) = config else {
        return Ok(None);
    };
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read configuration {}", path.display()))?;
    let table: toml::Table = toml::from_str(&text)
        .with_context(|| format!("configuration {} is not valid", path.display()))?;
    let mut desk: vigil_desk::DeskConfig = match table.get("desk") {
        Some(desk) => desk
            .clone()
            .try_into()
            .with_context(|| format!("configuration {}: [desk]", path.display()))?,
        None => vigil_desk::DeskConfig::default(),
    };
    for given in &desk.trusted_keys {
        let keys = read_public_keys(given)
            .with_context(|| format!("configuration {}: [desk] trusted_keys", path.display()))?;
        desk.earlier_keys.extend(keys);
    }
    Ok(Some(desk))
}

/// The public keys `vigil audit verify` trusts: those given (`--public-key`,
/// each hex or a file of keys), else the configuration's current key and
/// its `trusted_keys`, else the public key file in the data folder; none
/// at all means each checkpoint's own key.
pub fn trusted_keys(
    given: &[String],
    config: Option<&Path>,
    data: &Path,
) -> anyhow::Result<Vec<[u8; 32]>> {
    let mut keys = Vec::new();
    for g in given {
        keys.extend(read_public_keys(g)?);
    }
    if let Some(desk) = desk_config(config)? {
        let source = desk.signing_key_source(data);
        let current = match &source {
            // An auditor may hold the public key without the secret.
            SigningKeySource::File(path) if public_key_path(path).is_file() => {
                read_public_keys(&public_key_path(path).to_string_lossy())?
            }
            _ => vec![
                source
                    .existing_signer()
                    .with_context(|| format!("the configured signing key ({source})"))?
                    .public_key(),
            ],
        };
        keys.extend(current);
        keys.extend(desk.earlier_keys);
    }
    if keys.is_empty() {
        let default = public_key_path(&data.join(AuditSigner::FILE_NAME));
        if default.is_file() {
            keys.extend(read_public_keys(&default.to_string_lossy())?);
        }
    }
    keys.dedup();
    Ok(keys)
}

/// Lines naming the key of each run of checkpoints signed by one key.
pub fn signer_lines(keys: &[CheckpointKey], trusted: &[[u8; 32]]) -> Vec<String> {
    let mut lines = Vec::new();
    let mut start = 0;
    while start < keys.len() {
        let key = keys[start].key;
        let end = keys[start..]
            .iter()
            .position(|k| k.key != key)
            .map_or(keys.len(), |n| start + n);
        let (first, last) = (&keys[start], &keys[end - 1]);
        let which = if first.checkpoint == last.checkpoint {
            format!("checkpoint {}", first.checkpoint)
        } else {
            format!("checkpoints {}–{}", first.checkpoint, last.checkpoint)
        };
        let standing = if trusted.is_empty() {
            "its own key"
        } else if trusted.contains(&key) {
            "trusted"
        } else {
            "NOT TRUSTED"
        };
        lines.push(format!(
            "{which} (up to entry {}): signed by key {} ({standing})",
            last.tree_size,
            hex::encode(key)
        ));
        start = end;
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_of_one_key_are_reported_together() {
        let k = |checkpoint, tree_size, key| CheckpointKey {
            checkpoint,
            tree_size,
            key: [key; 32],
        };
        let keys = [k(1, 5, 1), k(2, 9, 1), k(3, 12, 2)];
        let lines = signer_lines(&keys, &[[1; 32]]);
        assert_eq!(lines.len(), 2, "{lines:?}");
        assert!(lines[0].starts_with("checkpoints 1–2 (up to entry 9)"));
        assert!(lines[0].ends_with("(trusted)"));
        assert!(lines[1].starts_with("checkpoint 3 (up to entry 12)"));
        assert!(lines[1].ends_with("(NOT TRUSTED)"));
    }
}
