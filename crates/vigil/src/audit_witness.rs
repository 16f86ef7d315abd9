//! `vigil audit witness-request`, `vigil audit witness` and the
//! cosignatures `vigil audit verify` reports: the provider's side makes
//! an add-checkpoint request from the data folder (its newest signed
//! checkpoint as a C2SP note, and a consistency proof from the size the
//! witness last cosigned); the witness's side — run by a client or an
//! independent party, with its own key and state file — cosigns only a
//! checkpoint that extends what it cosigned before. The protocol is
//! `vigil_store::audit::{note, witness}`; this reads files and prints.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use vigil_store::audit::note::{NoteCheckpoint, cosigned_at, sign_checkpoint};
use vigil_store::audit::witness::{Witness, WitnessState, request};
use vigil_store::audit::{AuditSigner, Checkpoint, MerkleTree, SigningKeySource};
use vigil_store::sqlite::SqliteStore;

/// The origin a log is known by when none is given: its key's first bytes,
/// so two providers' logs never share one.
pub fn default_origin(log_key: &[u8; 32]) -> String {
    format!("vigil-audit/{}", &hex::encode(log_key)[..16])
}

/// The add-checkpoint request for the newest checkpoint of the log in
/// `data`, proving consistency from size `old`.
pub fn witness_request(
    data: &Path,
    key: &SigningKeySource,
    origin: Option<&str>,
    old: u64,
) -> anyhow::Result<String> {
    let db = data.join("vigil.db");
    if !db.is_file() {
        bail!("no database at {}", db.display());
    }
    let signer = key.existing_signer()?;
    let (hashes, checkpoints) = SqliteStore::audit_tree(&db)?;
    let newest: &Checkpoint = checkpoints
        .last()
        .context("the log has no signed checkpoint yet (the desk signs one periodically)")?;
    if newest.key != signer.public_key() {
        bail!(
            "the newest checkpoint was signed by key {}, not by {key}'s",
            &hex::encode(newest.key)[..16],
        );
    }
    if old > newest.tree_size {
        bail!(
            "--old {old} is past the newest checkpoint's size {}",
            newest.tree_size
        );
    }
    let tree = MerkleTree::new(hashes);
    let proof = if old == 0 {
        Vec::new()
    } else {
        tree.consistency_proof(old, newest.tree_size)
            .context("no consistency proof between these sizes")?
    };
    let origin = origin.map_or_else(|| default_origin(&signer.public_key()), str::to_owned);
    let checkpoint = NoteCheckpoint {
        origin: origin.clone(),
        size: newest.tree_size,
        root: newest.root,
    };
    let note = sign_checkpoint(&checkpoint, &origin, &signer)?;
    Ok(request(old, &proof, &note))
}

/// What the witness is given on the command line.
pub struct WitnessArgs<'a> {
    /// The request body.
    pub request: &'a str,
    /// The log's public key.
    pub log_key: [u8; 32],
    /// The log's origin (default from its key).
    pub origin: Option<&'a str>,
    /// The witness's key file (created on first use).
    pub key: &'a Path,
    /// The witness's state file (created on first use).
    pub state: &'a Path,
    /// The witness's name on its cosignatures.
    pub name: &'a str,
    /// Now, Unix seconds.
    pub time: u64,
}

/// Cosigns a request as a witness; the cosignature line, and the state
/// file moved on.
pub fn witness(args: WitnessArgs<'_>) -> anyhow::Result<String> {
    let key = AuditSigner::load_or_create(args.key)?;
    let state: Option<WitnessState> = match std::fs::read_to_string(args.state) {
        Ok(text) => Some(
            serde_json::from_str(&text)
                .with_context(|| format!("{} is not a witness state", args.state.display()))?,
        ),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", args.state.display())),
    };
    let origin = args
        .origin
        .map_or_else(|| default_origin(&args.log_key), str::to_owned);
    let witness = Witness {
        origin: &origin,
        log_key: args.log_key,
        name: args.name,
        key: &key,
    };
    let (line, next) = witness.add_checkpoint(state.as_ref(), args.request, args.time)?;
    let partial: PathBuf = args.state.with_extension("partial");
    std::fs::write(&partial, serde_json::to_string_pretty(&next)?)
        .with_context(|| format!("cannot write {}", partial.display()))?;
    std::fs::rename(&partial, args.state)
        .with_context(|| format!("cannot write {}", args.state.display()))?;
    Ok(line)
}

/// A checkpoint's sequence number and size, and the witnesses that
/// cosigned it with the time each did.
pub struct Cosigned {
    /// The checkpoint's position among checkpoints.
    pub seq: u64,
    /// Its tree size.
    pub size: u64,
    /// `(witness, Unix seconds)`.
    pub by: Vec<(String, u64)>,
}

/// For each checkpoint, the witnesses (`name`, key) whose cosignature in
/// `lines` holds for it, with the time they cosigned.
pub fn cosignatures(
    checkpoints: &[Checkpoint],
    origin: &str,
    lines: &str,
    witnesses: &[(String, [u8; 32])],
) -> Vec<Cosigned> {
    checkpoints
        .iter()
        .map(|cp| {
            let note = NoteCheckpoint {
                origin: origin.to_owned(),
                size: cp.tree_size,
                root: cp.root,
            };
            let by = witnesses
                .iter()
                .filter_map(|(name, key)| {
                    cosigned_at(&note, lines, name, key).map(|t| (name.clone(), t))
                })
                .collect();
            Cosigned {
                seq: cp.seq,
                size: cp.tree_size,
                by,
            }
        })
        .collect()
}

/// Parses `NAME=HEX` (a witness and its public key).
pub fn parse_witness(text: &str) -> Result<(String, [u8; 32]), String> {
    let (name, key) = text
        .split_once('=')
        .ok_or_else(|| format!("`{text}` is not NAME=PUBLIC_KEY_HEX"))?;
    let key: [u8; 32] = hex::decode(key.trim())
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| format!("the key of witness `{name}` is not 32 bytes of hex"))?;
    Ok((name.to_owned(), key))
}
