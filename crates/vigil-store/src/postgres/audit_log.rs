//! The audit chain's rows in PostgreSQL: appending, reading, checkpointing,
//! exporting and verifying.
//!
//! Every append and checkpoint runs with the audit advisory lock held
//! ([`super::Lock::Audit`], taken by the caller in the same transaction), so
//! across every node there is one appender at a time and the chain stays one
//! linear log: the next entry reads the newest entry's sequence number and
//! hash under the lock and links to it. The hashing, the Merkle tree, the
//! signatures and verification are `crate::audit`'s, shared with SQLite.

use tokio_postgres::{Client, Row, Transaction};

use vigil_model::TenantId;

use super::PgResult;
use super::codec::{decode_all, page_limit, sql_limit};
use crate::audit::{
    AuditEntry, AuditRecord, AuditSigner, Checkpoint, GENESIS, Hash, MerkleTree, TenantExport,
    VerifyReport, build_export, verify_log,
};
use crate::encoding::micros;
use crate::{StoreError, TenantScope};

const ENTRY_COLUMNS: &str =
    "seq, at, actor, tenant, action, object, before_digest, after_digest, detail, prev_hash, hash";

/// Appends `record` after the newest entry; returns its sequence number.
/// The caller holds the audit lock.
pub(crate) async fn append(tx: &Transaction<'_>, record: &AuditRecord) -> PgResult<u64> {
    let last = tx
        .query_opt(
            "SELECT seq, hash FROM audit_entries ORDER BY seq DESC LIMIT 1",
            &[],
        )
        .await?;
    let (seq, prev) = match last {
        Some(row) => {
            let seq: i64 = row.try_get(0)?;
            let hash: Vec<u8> = row.try_get(1)?;
            (
                u64::try_from(seq).unwrap_or(0) + 1,
                hash.try_into().map_err(|_| StoreError::Corrupt {
                    what: "audit entry",
                    id: seq.to_string(),
                    reason: "stored hash is not 32 bytes; run `vigil audit verify`".into(),
                })?,
            )
        }
        None => (1, GENESIS),
    };
    let entry = AuditEntry::from_record(seq, record, prev);
    let seq_sql = i64::try_from(seq).unwrap_or(i64::MAX);
    tx.execute(
        &format!(
            "INSERT INTO audit_entries ({ENTRY_COLUMNS}) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
        ),
        &[
            &seq_sql,
            &micros(entry.at),
            &entry.actor,
            &entry.tenant.as_ref().map(|t| t.as_str()),
            &entry.action,
            &entry.object,
            &entry.before.map(|h| h.to_vec()),
            &entry.after.map(|h| h.to_vec()),
            &entry.detail,
            &entry.prev_hash.to_vec(),
            &entry.hash.to_vec(),
        ],
    )
    .await?;
    Ok(seq)
}

fn hash32(v: Option<Vec<u8>>) -> Option<Hash> {
    v.and_then(|b| b.try_into().ok())
}

/// Decodes a row as faithfully as it can. A field that cannot be decoded
/// (a tenant that is no slug, a hash of the wrong length) is kept in a form
/// whose hash can no longer match, so verification reports the entry as
/// changed instead of failing to read the log — as the SQLite store does.
fn entry_from_row(row: &Row) -> PgResult<AuditEntry> {
    let seq: i64 = row.try_get(0)?;
    let mut damaged = false;
    let at = chrono::DateTime::from_timestamp_micros(row.try_get(1)?).unwrap_or_else(|| {
        damaged = true;
        chrono::DateTime::UNIX_EPOCH
    });
    let tenant = match row.try_get::<_, Option<String>>(3)? {
        Some(t) => match TenantId::new(&t) {
            Ok(t) => Some(t),
            Err(_) => {
                damaged = true;
                None
            }
        },
        None => None,
    };
    let before: Option<Vec<u8>> = row.try_get(6)?;
    let after: Option<Vec<u8>> = row.try_get(7)?;
    damaged |= before.as_ref().is_some_and(|b| b.len() != 32);
    damaged |= after.as_ref().is_some_and(|b| b.len() != 32);
    let prev_hash = hash32(row.try_get(9)?).unwrap_or_else(|| {
        damaged = true;
        [0xff; 32]
    });
    let mut entry = AuditEntry {
        seq: u64::try_from(seq).unwrap_or(0),
        at,
        actor: row.try_get(2)?,
        tenant,
        action: row.try_get(4)?,
        object: row.try_get(5)?,
        before: hash32(before),
        after: hash32(after),
        detail: row.try_get(8)?,
        prev_hash,
        hash: hash32(row.try_get(10)?).unwrap_or([0; 32]),
    };
    if damaged {
        // What is left cannot be what was hashed: make sure it says so.
        let mut h = entry.compute_hash();
        h[0] ^= 0xff;
        entry.hash = h;
    }
    Ok(entry)
}

fn checkpoint_from_row(row: &Row) -> PgResult<Checkpoint> {
    let seq: i64 = row.try_get(0)?;
    let bad = |what: &str| StoreError::Corrupt {
        what: "audit checkpoint",
        id: seq.to_string(),
        reason: format!("{what} has the wrong length"),
    };
    let root: Vec<u8> = row.try_get(2)?;
    let key: Vec<u8> = row.try_get(4)?;
    let signature: Vec<u8> = row.try_get(5)?;
    Ok(Checkpoint {
        seq: u64::try_from(seq).unwrap_or(0),
        tree_size: u64::try_from(row.try_get::<_, i64>(1)?).unwrap_or(0),
        root: root.try_into().map_err(|_| bad("root"))?,
        at: chrono::DateTime::from_timestamp_micros(row.try_get(3)?)
            .unwrap_or(chrono::DateTime::UNIX_EPOCH),
        key: key.try_into().map_err(|_| bad("key"))?,
        signature: signature.try_into().map_err(|_| bad("signature"))?,
    })
}

async fn checkpoints(tx: &Transaction<'_>) -> PgResult<Vec<Checkpoint>> {
    let rows = tx
        .query(
            "SELECT seq, tree_size, root, at, key, signature FROM audit_checkpoints ORDER BY seq",
            &[],
        )
        .await?;
    decode_all(&rows, checkpoint_from_row)
}

/// The stored hash of every entry, in order (index `seq − 1`).
async fn all_hashes(tx: &Transaction<'_>) -> PgResult<Vec<Hash>> {
    let rows = tx
        .query("SELECT hash FROM audit_entries ORDER BY seq", &[])
        .await?;
    decode_all(&rows, |row| Ok(hash32(row.try_get(0)?).unwrap_or([0; 32])))
}

/// Entries in scope, newest first, before `before`.
pub(crate) async fn entries(
    client: &Client,
    scope: &TenantScope,
    before: Option<u64>,
    limit: usize,
) -> PgResult<Vec<AuditEntry>> {
    let before = before.map_or(i64::MAX, |b| i64::try_from(b).unwrap_or(i64::MAX));
    let limit = sql_limit(page_limit(limit));
    let rows =
        match scope {
            TenantScope::All => {
                client
                    .query(
                        &format!(
                            "SELECT {ENTRY_COLUMNS} FROM audit_entries WHERE seq < $1 \
                         ORDER BY seq DESC LIMIT $2"
                        ),
                        &[&before, &limit],
                    )
                    .await?
            }
            TenantScope::One(t) => client
                .query(
                    &format!(
                        "SELECT {ENTRY_COLUMNS} FROM audit_entries WHERE tenant = $1 AND seq < $2 \
                         ORDER BY seq DESC LIMIT $3"
                    ),
                    &[&t.as_str(), &before, &limit],
                )
                .await?,
        };
    decode_all(&rows, entry_from_row)
}

/// Signs a checkpoint of the log as it is, unless the newest one covers it
/// already. The caller holds the audit lock.
pub(crate) async fn checkpoint(
    tx: &Transaction<'_>,
    signer: &AuditSigner,
    now: vigil_model::Timestamp,
) -> PgResult<Option<Checkpoint>> {
    let row = tx
        .query_one(
            "SELECT (SELECT count(*) FROM audit_entries)::BIGINT, \
                coalesce((SELECT tree_size FROM audit_checkpoints ORDER BY seq DESC LIMIT 1), 0)::BIGINT, \
                coalesce((SELECT max(seq) FROM audit_checkpoints), 0)::BIGINT",
            &[],
        )
        .await?;
    let (count, last_size, last_seq): (i64, i64, i64) =
        (row.try_get(0)?, row.try_get(1)?, row.try_get(2)?);
    if count == 0 || count == last_size {
        return Ok(None);
    }
    let tree = MerkleTree::new(all_hashes(tx).await?);
    let size = tree.len();
    let root = tree.root(size).unwrap_or_else(crate::audit::empty_root);
    let cp = signer.sign(u64::try_from(last_seq).unwrap_or(0) + 1, size, root, now);
    let (seq, tree_size) = (
        i64::try_from(cp.seq).unwrap_or(i64::MAX),
        i64::try_from(cp.tree_size).unwrap_or(i64::MAX),
    );
    tx.execute(
        "INSERT INTO audit_checkpoints (seq, tree_size, root, at, key, signature) \
         VALUES ($1, $2, $3, $4, $5, $6)",
        &[
            &seq,
            &tree_size,
            &cp.root.to_vec(),
            &micros(cp.at),
            &cp.key.to_vec(),
            &cp.signature.to_vec(),
        ],
    )
    .await?;
    Ok(Some(cp))
}

/// A read-only transaction seeing one snapshot.
async fn snapshot(client: &mut Client) -> PgResult<Transaction<'_>> {
    Ok(client
        .build_transaction()
        .isolation_level(tokio_postgres::IsolationLevel::RepeatableRead)
        .read_only(true)
        .start()
        .await?)
}

/// `tenant`'s export, proven against the newest checkpoint.
pub(crate) async fn export(client: &mut Client, tenant: &TenantId) -> PgResult<TenantExport> {
    let tx = snapshot(client).await?;
    let all = all_hashes(&tx).await?;
    let rows = tx
        .query(
            &format!("SELECT {ENTRY_COLUMNS} FROM audit_entries WHERE tenant = $1 ORDER BY seq"),
            &[&tenant.as_str()],
        )
        .await?;
    let own = decode_all(&rows, entry_from_row)?;
    let cps = checkpoints(&tx).await?;
    tx.commit().await?;
    build_export(tenant, all, own, &cps).map_err(|e| {
        match e {
            crate::audit::ExportError::NoCheckpoint => StoreError::NotFound {
                what: "audit checkpoint",
                id: "newest".into(),
            },
            other => StoreError::Database(other.to_string()),
        }
        .into()
    })
}

/// Verifies the whole log and every checkpoint, from one snapshot.
pub(crate) async fn verify(client: &mut Client, trusted: &[[u8; 32]]) -> PgResult<VerifyReport> {
    let tx = snapshot(client).await?;
    let cps = checkpoints(&tx).await?;
    let rows = tx
        .query(
            &format!("SELECT {ENTRY_COLUMNS} FROM audit_entries ORDER BY seq"),
            &[],
        )
        .await?;
    tx.commit().await?;
    verify_log(rows.iter().map(entry_from_row), &cps, trusted)
}
