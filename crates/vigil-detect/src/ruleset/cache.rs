//! Compiled rule sets kept on disk between runs.
//!
//! Parsing the YAML and compiling is most of loading a large rule set
//! (some 125 ms of a one-second hunt with the 2,407 Windows rules), and a
//! hunt usually runs over the same rules again and again. So the compiled
//! rules, their vocabulary and the report on every document are stored,
//! keyed by everything they are made from: each file's path and content,
//! the load options, and this build of Vigil (the executable's path, size
//! and time). A change to any rule, option or binary is a new key; nothing
//! is ever taken from an entry made from something else.
//!
//! The index by log source and the automata are rebuilt from the stored
//! rules at every load: that takes a few milliseconds and keeps the stored
//! form to plain data.
//!
//! An entry is written to a file of its own and renamed into place, so a
//! concurrent run sees the whole entry or none; an entry that cannot be
//! read (cut short, from another format) is compiled again and replaced.
//! The least recently used entries beyond [`RuleCache::keep`] are removed.
//! The folder is made the user's alone, and one that others may write to is
//! not used: its entries are trusted as compiled rules.

use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use xxhash_rust::xxh3::{Xxh3, xxh3_64};

use super::{Compiled, LoadOptions, LoadReport, LoadedRule, RuleOutcome, SourceText, compile};
use crate::sigma::matcher::FieldSlots;

/// What an entry begins with; the number changes with the stored layout.
const MAGIC: &[u8; 8] = b"VIGILRS2";
/// Header: the magic, the key (16 bytes) and the payload's hash (8 bytes).
const HEADER: usize = 8 + 16 + 8;
/// The file name's ending.
const EXTENSION: &str = "rules";

/// A folder of compiled rule sets (see the module documentation).
#[derive(Debug, Clone)]
pub struct RuleCache {
    dir: PathBuf,
    keep: usize,
}

/// How a load went with the cache.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CacheUse {
    /// The compiled set was read from the cache.
    Hit,
    /// The rules were compiled and the result stored.
    Stored,
    /// The rules were compiled; they could not be stored, for this reason.
    NotStored(String),
}

impl RuleCache {
    /// A cache in `dir`, made when first stored to, keeping the 8 entries
    /// used last.
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self {
            dir: dir.into(),
            keep: 8,
        }
    }

    /// The cache keeping `keep` entries (at least one).
    pub fn keep(mut self, keep: usize) -> Self {
        self.keep = keep.max(1);
        self
    }

    /// The report for `sources` compiled with `options`: from the cache
    /// when there, else compiled and stored.
    pub(super) fn load(
        &self,
        sources: Vec<SourceText>,
        options: &LoadOptions,
    ) -> (LoadReport, CacheUse) {
        let key = match build_identity() {
            Ok(build) => key(&build, &sources, options),
            Err(e) => {
                let why = format!("this build cannot be identified: {e}");
                return (compile(sources, options).finish(), CacheUse::NotStored(why));
            }
        };
        if let Some(why) = open_to_others(&self.dir) {
            return (compile(sources, options).finish(), CacheUse::NotStored(why));
        }
        let path = self.entry(key);
        if let Some(compiled) = read_entry(&path, key) {
            touch(&path);
            return (compiled.finish(), CacheUse::Hit);
        }
        let compiled = compile(sources, options);
        let stored = match self.store(&path, key, &compiled) {
            Ok(()) => {
                self.prune();
                CacheUse::Stored
            }
            Err(e) => CacheUse::NotStored(format!("{}: {e}", self.dir.display())),
        };
        (compiled.finish(), stored)
    }

    fn entry(&self, key: u128) -> PathBuf {
        self.dir.join(format!("{key:032x}.{EXTENSION}"))
    }

    fn store(&self, path: &Path, key: u128, compiled: &Compiled) -> std::io::Result<()> {
        let payload = encode(compiled).map_err(std::io::Error::other)?;
        create_private_dir(&self.dir)?;
        let temporary = self
            .dir
            .join(format!(".{key:032x}.{}.tmp", std::process::id()));
        let written = (|| {
            let mut file = fs::File::create_new(&temporary)?;
            file.write_all(MAGIC)?;
            file.write_all(&key.to_le_bytes())?;
            file.write_all(&xxh3_64(&payload).to_le_bytes())?;
            file.write_all(&payload)?;
            file.sync_all()?;
            fs::rename(&temporary, path)
        })();
        if written.is_err() {
            let _ = fs::remove_file(&temporary);
        }
        written
    }

    /// Removes the entries beyond `keep`, least recently used first, and
    /// the temporary files of runs that died while writing one.
    fn prune(&self) {
        let Ok(listing) = fs::read_dir(&self.dir) else {
            return;
        };
        let stale_before = SystemTime::now()
            .checked_sub(STALE_TEMPORARY)
            .unwrap_or(SystemTime::UNIX_EPOCH);
        let mut entries: Vec<(SystemTime, PathBuf)> = Vec::new();
        for entry in listing.filter_map(Result::ok) {
            let path = entry.path();
            let Ok(modified) = entry.metadata().and_then(|m| m.modified()) else {
                continue;
            };
            if path.extension().is_some_and(|x| x == EXTENSION) {
                entries.push((modified, path));
            } else if is_temporary(&path) && modified < stale_before {
                let _ = fs::remove_file(path);
            }
        }
        if entries.len() <= self.keep {
            return;
        }
        entries.sort_by_key(|entry| std::cmp::Reverse(entry.0));
        for (_, path) in entries.into_iter().skip(self.keep) {
            // Another run may have removed it first.
            let _ = fs::remove_file(path);
        }
    }
}

/// How old a temporary file must be to belong to a run that died: writing
/// an entry takes well under a second, and a live run's file is renamed
/// into place at once.
const STALE_TEMPORARY: std::time::Duration = std::time::Duration::from_secs(3600);

/// Whether `path` is one of [`RuleCache::store`]'s temporary files
/// (`.<key>.<pid>.tmp`).
fn is_temporary(path: &Path) -> bool {
    path.file_name()
        .and_then(|name| name.to_str())
        .is_some_and(|name| name.starts_with('.') && name.ends_with(".tmp"))
}

/// Why `dir` must not be used, if it must not: an entry is taken for the
/// compiled rules without compiling anything, so anyone who may write to
/// the folder could change what a hunt detects. A folder group or others
/// may write to is refused, as ssh refuses such a key folder.
fn open_to_others(dir: &Path) -> Option<String> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        // Absent: it is made private when first stored to.
        let mode = fs::metadata(dir).ok()?.permissions().mode();
        if mode & 0o022 != 0 {
            return Some(format!(
                "{} may be written by others (mode {:o}); a rule cache must be the user's alone",
                dir.display(),
                mode & 0o7777
            ));
        }
    }
    #[cfg(not(unix))]
    let _ = dir;
    None
}

/// Makes `dir` (and any missing parent) readable and writable by the user
/// alone.
fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}

/// The entry at `path` if it is whole and made for `key`.
fn read_entry(path: &Path, key: u128) -> Option<Compiled> {
    let bytes = fs::read(path).ok()?;
    let (header, payload) = bytes.split_at_checked(HEADER)?;
    let (magic, rest) = header.split_at(MAGIC.len());
    let (stored_key, hash) = rest.split_at(16);
    let whole =
        magic == MAGIC && stored_key == key.to_le_bytes() && hash == xxh3_64(payload).to_le_bytes();
    if !whole {
        tracing::debug!(path = %path.display(), "a compiled rule set in the cache is not whole; compiling again");
        return None;
    }
    match decode(payload) {
        Ok(compiled) => Some(compiled),
        Err(e) => {
            tracing::debug!(path = %path.display(), error = %e, "a compiled rule set in the cache cannot be read; compiling again");
            None
        }
    }
}

/// Rules per stored part, so that a load reads the parts on every core.
const RULES_PER_PART: usize = 256;

/// The payload: the vocabulary, outcomes and correlations, then the rules
/// in parts; each part MessagePack, after its length (8 bytes).
fn encode(compiled: &Compiled) -> Result<Vec<u8>, rmp_serde::encode::Error> {
    let mut payload = Vec::new();
    let mut frame = |part: Vec<u8>| {
        payload.extend_from_slice(&(part.len() as u64).to_le_bytes());
        payload.extend_from_slice(&part);
    };
    frame(rmp_serde::to_vec(&(
        &compiled.slots,
        &compiled.outcomes,
        &compiled.correlations,
    ))?);
    for part in compiled.rules.chunks(RULES_PER_PART) {
        frame(rmp_serde::to_vec(part)?);
    }
    Ok(payload)
}

/// The parts of a payload: they are decoded on every core (one thread
/// decoded the 2,407 Windows rules in 29 ms, two thirds of a load from the
/// cache).
fn decode(mut payload: &[u8]) -> Result<Compiled, String> {
    let mut parts: Vec<&[u8]> = Vec::new();
    while !payload.is_empty() {
        let (length, rest) = payload
            .split_first_chunk::<8>()
            .ok_or("a part's length is cut short")?;
        let length = usize::try_from(u64::from_le_bytes(*length)).map_err(|e| e.to_string())?;
        let (part, rest) = rest.split_at_checked(length).ok_or("a part is cut short")?;
        parts.push(part);
        payload = rest;
    }
    let (&head, rule_parts) = parts.split_first().ok_or("no parts")?;
    type Head = (
        FieldSlots,
        Vec<RuleOutcome>,
        Vec<crate::sigma::correlation::LoadedCorrelation>,
    );
    let (head, rules) = std::thread::scope(|scope| {
        let head = scope.spawn(move || rmp_serde::from_slice::<Head>(head));
        let rules = super::by_parts(rule_parts, 1, |parts| {
            parts
                .iter()
                .map(|part| rmp_serde::from_slice::<Vec<LoadedRule>>(part))
                .collect::<Result<Vec<_>, _>>()
        });
        let head = head
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        (head, rules)
    });
    let (slots, outcomes, correlations) = head.map_err(|e| e.to_string())?;
    let mut all = Vec::new();
    for part in rules {
        for rules in part.map_err(|e| e.to_string())? {
            all.extend(rules);
        }
    }
    Ok(Compiled {
        rules: all,
        slots,
        outcomes,
        correlations,
    })
}

/// Marks the entry as used now, for pruning.
fn touch(path: &Path) {
    if let Ok(file) = fs::File::options().append(true).open(path) {
        let _ = file.set_modified(SystemTime::now());
    }
}

/// What tells this build of Vigil from any other: the executable's path,
/// size and modification time, with the version.
fn build_identity() -> std::io::Result<Vec<u8>> {
    let exe = std::env::current_exe()?;
    let meta = fs::metadata(&exe)?;
    let modified = meta
        .modified()?
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap_or_default();
    let mut identity = env!("CARGO_PKG_VERSION").as_bytes().to_vec();
    identity.extend_from_slice(exe.as_os_str().as_encoded_bytes());
    identity.extend_from_slice(&meta.len().to_le_bytes());
    identity.extend_from_slice(&modified.as_nanos().to_le_bytes());
    Ok(identity)
}

/// The key of `sources` compiled with `options` by `build`.
fn key(build: &[u8], sources: &[SourceText], options: &LoadOptions) -> u128 {
    let mut hash = Xxh3::new();
    let mut field = |bytes: &[u8]| {
        hash.update(&(bytes.len() as u64).to_le_bytes());
        hash.update(bytes);
    };
    field(MAGIC);
    field(build);
    // The options' rendering holds every setting (placeholders, each
    // pipeline's items and vars), in a fixed order: all are vectors and
    // ordered maps.
    field(format!("{options:?}").as_bytes());
    for source in sources {
        field(source.origin.as_bytes());
        field(source.id_key.as_bytes());
        match &source.text {
            Ok(text) => {
                field(b"text");
                field(text.as_bytes());
            }
            Err(e) => {
                field(b"error");
                field(e.to_string().as_bytes());
            }
        }
    }
    hash.digest128()
}

#[cfg(test)]
#[path = "cache_tests.rs"]
mod tests;
