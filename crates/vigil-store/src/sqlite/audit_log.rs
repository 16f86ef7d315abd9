//! The audit chain's rows: appending, reading, checkpointing, exporting,
//! and verifying a database file.
//!
//! Appends run on the writer thread inside the transaction of the change
//! they describe, so the chain's order is the commit order and there is one
//! next sequence number at any time.

use std::path::Path;

use rusqlite::{Connection, OpenFlags, OptionalExtension, Row, params};

use vigil_model::TenantId;

use super::codec::micros;
use super::read::{collect, page_limit};
use crate::audit::{
    AuditEntry, AuditRecord, AuditSigner, Checkpoint, GENESIS, Hash, MerkleTree, TenantExport,
    VerifyReport, build_export, verify_log,
};
use crate::{StoreError, TenantScope};

const ENTRY_COLUMNS: &str =
    "seq, at, actor, tenant, action, object, before_digest, after_digest, detail, prev_hash, hash";

/// Appends `record` after the newest entry; returns its sequence number.
pub(crate) fn append(conn: &Connection, record: &AuditRecord) -> Result<u64, StoreError> {
    let last: Option<(i64, Vec<u8>)> = conn
        .prepare_cached("SELECT seq, hash FROM audit_entries ORDER BY seq DESC LIMIT 1")?
        .query_row([], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    let (seq, prev) = match last {
        Some((seq, hash)) => (
            u64::try_from(seq).unwrap_or(0) + 1,
            hash.try_into().map_err(|_| StoreError::Corrupt {
                what: "audit entry",
                id: seq.to_string(),
                reason: "stored hash is not 32 bytes; run `vigil audit verify`".into(),
            })?,
        ),
        None => (1, GENESIS),
    };
    let entry = AuditEntry::from_record(seq, record, prev);
    conn.prepare_cached(&format!(
        "INSERT INTO audit_entries ({ENTRY_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)"
    ))?
    .execute(params![
        seq as i64,
        micros(entry.at),
        entry.actor,
        entry.tenant.as_ref().map(|t| t.as_str()),
        entry.action,
        entry.object,
        entry.before.map(|h| h.to_vec()),
        entry.after.map(|h| h.to_vec()),
        entry.detail,
        entry.prev_hash.to_vec(),
        entry.hash.to_vec(),
    ])?;
    Ok(seq)
}

/// A text column, or `None` when someone stored something else there.
fn text_column(row: &Row<'_>, idx: usize) -> Result<Option<String>, StoreError> {
    use rusqlite::types::ValueRef;
    Ok(match row.get_ref(idx)? {
        ValueRef::Text(t) => Some(String::from_utf8_lossy(t).into_owned()),
        _ => None,
    })
}

fn hash32(v: Option<Vec<u8>>) -> Option<Hash> {
    v.and_then(|b| b.try_into().ok())
}

/// Decodes a row as faithfully as it can. A field that cannot be decoded
/// (a tenant that is no slug, a hash of the wrong length) is kept in a form
/// whose hash can no longer match, so verification reports the entry as
/// changed instead of failing to read the log.
fn entry_from_row(row: &Row<'_>) -> Result<AuditEntry, StoreError> {
    let seq: i64 = row.get(0)?;
    let mut damaged = false;
    let at = chrono::DateTime::from_timestamp_micros(row.get(1)?).unwrap_or_else(|| {
        damaged = true;
        chrono::DateTime::UNIX_EPOCH
    });
    let tenant = match row.get::<_, Option<String>>(3)? {
        Some(t) => match TenantId::new(&t) {
            Ok(t) => Some(t),
            Err(_) => {
                damaged = true;
                None
            }
        },
        None => None,
    };
    let mut text = |idx: usize| -> Result<String, StoreError> {
        Ok(text_column(row, idx)?.unwrap_or_else(|| {
            damaged = true;
            String::new()
        }))
    };
    let (actor, action, object, detail) = (text(2)?, text(4)?, text(5)?, text(8)?);
    let before: Option<Vec<u8>> = row.get(6)?;
    let after: Option<Vec<u8>> = row.get(7)?;
    damaged |= before.as_ref().is_some_and(|b| b.len() != 32);
    damaged |= after.as_ref().is_some_and(|b| b.len() != 32);
    let prev_hash = hash32(row.get(9)?).unwrap_or_else(|| {
        damaged = true;
        [0xff; 32]
    });
    let mut entry = AuditEntry {
        seq: u64::try_from(seq).unwrap_or(0),
        at,
        actor,
        tenant,
        action,
        object,
        before: hash32(before),
        after: hash32(after),
        detail,
        prev_hash,
        hash: hash32(row.get(10)?).unwrap_or([0; 32]),
    };
    if damaged {
        // What is left cannot be what was hashed: make sure it says so.
        let mut h = entry.compute_hash();
        h[0] ^= 0xff;
        entry.hash = h;
    }
    Ok(entry)
}

fn checkpoint_from_row(row: &Row<'_>) -> Result<Checkpoint, StoreError> {
    let seq: i64 = row.get(0)?;
    let bad = |what: &str| StoreError::Corrupt {
        what: "audit checkpoint",
        id: seq.to_string(),
        reason: format!("{what} has the wrong length"),
    };
    let root: Vec<u8> = row.get(2)?;
    let key: Vec<u8> = row.get(4)?;
    let signature: Vec<u8> = row.get(5)?;
    Ok(Checkpoint {
        seq: u64::try_from(seq).unwrap_or(0),
        tree_size: u64::try_from(row.get::<_, i64>(1)?).unwrap_or(0),
        root: root.try_into().map_err(|_| bad("root"))?,
        at: chrono::DateTime::from_timestamp_micros(row.get(3)?)
            .unwrap_or(chrono::DateTime::UNIX_EPOCH),
        key: key.try_into().map_err(|_| bad("key"))?,
        signature: signature.try_into().map_err(|_| bad("signature"))?,
    })
}

/// Every checkpoint, oldest first.
pub(crate) fn checkpoints(conn: &Connection) -> Result<Vec<Checkpoint>, StoreError> {
    collect(
        conn,
        "SELECT seq, tree_size, root, at, key, signature FROM audit_checkpoints ORDER BY seq",
        [],
        checkpoint_from_row,
    )
}

/// The stored hash of every entry, in order (index `seq − 1`).
fn all_hashes(conn: &Connection) -> Result<Vec<Hash>, StoreError> {
    collect(
        conn,
        "SELECT hash FROM audit_entries ORDER BY seq",
        [],
        |row| Ok(hash32(row.get(0)?).unwrap_or([0; 32])),
    )
}

/// Entries in scope, newest first, before `before`.
pub(crate) fn entries(
    conn: &Connection,
    scope: &TenantScope,
    before: Option<u64>,
    limit: usize,
) -> Result<Vec<AuditEntry>, StoreError> {
    let before = before.map_or(i64::MAX, |b| i64::try_from(b).unwrap_or(i64::MAX));
    let limit = page_limit(limit) as i64;
    match scope {
        TenantScope::All => collect(
            conn,
            &format!(
                "SELECT {ENTRY_COLUMNS} FROM audit_entries WHERE seq < ?1 ORDER BY seq DESC LIMIT ?2"
            ),
            params![before, limit],
            entry_from_row,
        ),
        TenantScope::One(t) => collect(
            conn,
            &format!(
                "SELECT {ENTRY_COLUMNS} FROM audit_entries WHERE tenant = ?1 AND seq < ?2 \
                 ORDER BY seq DESC LIMIT ?3"
            ),
            params![t.as_str(), before, limit],
            entry_from_row,
        ),
    }
}

/// Signs a checkpoint of the log as it is, unless the newest one covers it
/// already. Runs on the writer thread.
pub(crate) fn checkpoint(
    conn: &Connection,
    signer: &AuditSigner,
    now: vigil_model::Timestamp,
) -> Result<Option<Checkpoint>, StoreError> {
    let (count, last_size, last_seq): (i64, i64, i64) = conn.query_row(
        "SELECT (SELECT count(*) FROM audit_entries), \
                coalesce((SELECT tree_size FROM audit_checkpoints ORDER BY seq DESC LIMIT 1), 0), \
                coalesce((SELECT max(seq) FROM audit_checkpoints), 0)",
        [],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
    )?;
    if count == 0 || count == last_size {
        return Ok(None);
    }
    let tree = MerkleTree::new(all_hashes(conn)?);
    let size = tree.len();
    let root = tree.root(size).unwrap_or_else(crate::audit::empty_root);
    let cp = signer.sign(u64::try_from(last_seq).unwrap_or(0) + 1, size, root, now);
    conn.prepare_cached(
        "INSERT INTO audit_checkpoints (seq, tree_size, root, at, key, signature) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![
        cp.seq as i64,
        cp.tree_size as i64,
        cp.root.to_vec(),
        micros(cp.at),
        cp.key.to_vec(),
        cp.signature.to_vec(),
    ])?;
    Ok(Some(cp))
}

/// `tenant`'s export, proven against the newest checkpoint.
pub(crate) fn export(conn: &Connection, tenant: &TenantId) -> Result<TenantExport, StoreError> {
    // One snapshot for hashes, entries and checkpoints.
    let tx = conn.unchecked_transaction()?;
    let all = all_hashes(&tx)?;
    let own = collect(
        &tx,
        &format!("SELECT {ENTRY_COLUMNS} FROM audit_entries WHERE tenant = ?1 ORDER BY seq"),
        [tenant.as_str()],
        entry_from_row,
    )?;
    let cps = checkpoints(&tx)?;
    build_export(tenant, all, own, &cps).map_err(|e| match e {
        crate::audit::ExportError::NoCheckpoint => StoreError::NotFound {
            what: "audit checkpoint",
            id: "newest".into(),
        },
        other => StoreError::Database(other.to_string()),
    })
}

/// Verifies the audit log of the database at `path`, read-only.
/// The stored entry hashes and the checkpoints of the log at `path`, read
/// in one snapshot: what a witness request is made from.
pub(crate) fn tree_file(path: &Path) -> Result<(Vec<Hash>, Vec<Checkpoint>), StoreError> {
    let conn =
        Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY).map_err(|e| {
            StoreError::Open {
                path: path.display().to_string(),
                reason: e.to_string(),
            }
        })?;
    let tx = conn.unchecked_transaction()?;
    Ok((all_hashes(&tx)?, checkpoints(&tx)?))
}

pub(crate) fn verify_file(path: &Path, trusted: &[[u8; 32]]) -> Result<VerifyReport, StoreError> {
    let conn =
        Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY).map_err(|e| {
            StoreError::Open {
                path: path.display().to_string(),
                reason: e.to_string(),
            }
        })?;
    let tx = conn.unchecked_transaction()?;
    let cps = checkpoints(&tx)?;
    let mut stmt = tx.prepare(&format!(
        "SELECT {ENTRY_COLUMNS} FROM audit_entries ORDER BY seq"
    ))?;
    let mut rows = stmt.query([])?;
    let mut entries = Vec::new();
    while let Some(row) = rows.next()? {
        entries.push(entry_from_row(row));
    }
    verify_log(entries, &cps, trusted)
}
