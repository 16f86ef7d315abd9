//! The audit chain in a real database file: appended with desk commands,
//! checkpointed with a key outside the database, verified end to end — and
//! tampered with directly in the file (rusqlite), to see verification name
//! the entry that was changed, removed or reordered. (An untouched log, and
//! exports, are verified against every engine in `conformance/`.)

mod common;

use common::*;
use rusqlite::Connection;
use serde_json::json;
use vigil_store::DeskStore;
use vigil_store::audit::{AuditRecord, AuditSigner, Tamper};
use vigil_store::sqlite::{SqliteOptions, SqliteStore};

fn record(i: usize) -> AuditRecord {
    AuditRecord {
        at: t(i as i64),
        actor: format!("user{}", i % 3),
        tenant: Some(tenant(if i.is_multiple_of(2) { A } else { B })),
        action: "alarm.acknowledge".into(),
        object: format!("alarm/{i}"),
        before: Some([i as u8; 32]),
        after: Some([i as u8 + 1; 32]),
        detail: json!({"n": i}),
    }
}

/// A database with 20 entries and checkpoints after 10 and 20, in `dir`.
async fn log_in(dir: &std::path::Path) -> (std::path::PathBuf, AuditSigner) {
    let path = dir.join("vigil.db");
    let signer = AuditSigner::load_or_create(&dir.join(AuditSigner::FILE_NAME)).unwrap();
    let store = SqliteStore::open(&path, SqliteOptions::default()).unwrap();
    configure(&store).await;
    store
        .audit_append((1..=10).map(record).collect())
        .await
        .unwrap();
    assert!(
        store
            .audit_checkpoint(&signer, t(100))
            .await
            .unwrap()
            .is_some()
    );
    assert!(
        store
            .audit_checkpoint(&signer, t(101))
            .await
            .unwrap()
            .is_none(),
        "nothing new"
    );
    store
        .audit_append((11..=20).map(record).collect())
        .await
        .unwrap();
    store.audit_checkpoint(&signer, t(200)).await.unwrap();
    drop(store);
    (path, signer)
}

fn verify(path: &std::path::Path, signer: &AuditSigner) -> Option<Tamper> {
    SqliteStore::verify_audit(path, &[signer.public_key()])
        .unwrap()
        .problem
}

fn tamper(path: &std::path::Path, sql: &str) {
    let conn = Connection::open(path).unwrap();
    conn.execute_batch(sql).unwrap();
}

#[tokio::test]
async fn a_changed_entry_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let (path, signer) = log_in(dir.path()).await;
    tamper(
        &path,
        "UPDATE audit_entries SET actor = 'mallory' WHERE seq = 7",
    );
    assert_eq!(verify(&path, &signer), Some(Tamper::Changed { seq: 7 }));
}

#[tokio::test]
async fn a_changed_field_of_any_type_is_named() {
    for (sql, seq) in [
        (
            "UPDATE audit_entries SET tenant = 'Not A Slug' WHERE seq = 3",
            3,
        ),
        (
            "UPDATE audit_entries SET before_digest = x'00' WHERE seq = 4",
            4,
        ),
        ("UPDATE audit_entries SET detail = 42 WHERE seq = 5", 5),
        ("UPDATE audit_entries SET at = at + 1 WHERE seq = 12", 12),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let (path, signer) = log_in(dir.path()).await;
        tamper(&path, sql);
        assert_eq!(
            verify(&path, &signer),
            Some(Tamper::Changed { seq }),
            "{sql}"
        );
    }
}

#[tokio::test]
async fn a_deleted_entry_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let (path, signer) = log_in(dir.path()).await;
    tamper(&path, "DELETE FROM audit_entries WHERE seq = 13");
    assert_eq!(
        verify(&path, &signer),
        Some(Tamper::Removed {
            seq: 13,
            before: 12,
            after: 14
        })
    );
}

#[tokio::test]
async fn a_deleted_entry_with_the_rest_renumbered_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let (path, signer) = log_in(dir.path()).await;
    tamper(
        &path,
        "DELETE FROM audit_entries WHERE seq = 13; UPDATE audit_entries SET seq = seq - 1 WHERE seq > 13",
    );
    assert_eq!(
        verify(&path, &signer),
        Some(Tamper::Unlinked {
            seq: 13,
            previous: 12
        })
    );
}

#[tokio::test]
async fn deleting_the_newest_entries_is_caught_by_the_checkpoint() {
    let dir = tempfile::tempdir().unwrap();
    let (path, signer) = log_in(dir.path()).await;
    tamper(&path, "DELETE FROM audit_entries WHERE seq > 17");
    assert_eq!(
        verify(&path, &signer),
        Some(Tamper::Truncated {
            checkpoint: 2,
            tree_size: 20,
            entries: 17,
            first_missing: 18
        })
    );
}

#[tokio::test]
async fn reordered_entries_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let (path, signer) = log_in(dir.path()).await;
    tamper(
        &path,
        "UPDATE audit_entries SET seq = -1 WHERE seq = 8;
         UPDATE audit_entries SET seq = 8 WHERE seq = 9;
         UPDATE audit_entries SET seq = 9 WHERE seq = -1;",
    );
    assert_eq!(
        verify(&path, &signer),
        Some(Tamper::Reordered {
            seq: 8,
            belongs_after: 9
        })
    );
}

#[tokio::test]
async fn a_consistent_rewrite_is_caught_by_the_signed_checkpoint() {
    use vigil_store::audit::{AuditEntry, GENESIS};
    let dir = tempfile::tempdir().unwrap();
    let (path, signer) = log_in(dir.path()).await;
    // Rewrite entry 15 and recompute every hash after it, as someone with
    // the database but without the key would.
    let conn = Connection::open(&path).unwrap();
    conn.execute(
        "UPDATE audit_entries SET actor = 'mallory' WHERE seq = 15",
        [],
    )
    .unwrap();
    let mut prev = GENESIS;
    for seq in 1..=20u64 {
        let mut entry: AuditEntry = {
            let rec = record(seq as usize);
            let mut e = AuditEntry::from_record(seq, &rec, prev);
            if seq == 15 {
                e.actor = "mallory".into();
            }
            e
        };
        entry.prev_hash = prev;
        entry.hash = entry.compute_hash();
        conn.execute(
            "UPDATE audit_entries SET prev_hash = ?1, hash = ?2 WHERE seq = ?3",
            rusqlite::params![entry.prev_hash.to_vec(), entry.hash.to_vec(), seq as i64],
        )
        .unwrap();
        prev = entry.hash;
    }
    drop(conn);
    assert_eq!(
        verify(&path, &signer),
        Some(Tamper::Rewritten {
            checkpoint: 2,
            first: 11,
            last: 20
        })
    );
}
