//! The audit chain through the seam: appended alone and with desk writes,
//! checkpointed with a key outside the database, verified, exported per
//! tenant — and one linear chain however many writers append at once.

use serde_json::json;
use vigil_store::audit::{AuditRecord, AuditSigner, Tamper, verify_export};
use vigil_store::{DeskRecord, DeskWrite, RecordBody, TenantScope};

use crate::backend::Backend;
use crate::fixtures::*;

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

/// 20 entries with checkpoints after 10 and 20.
async fn log_in(b: &Backend) -> AuditSigner {
    let store = b.store();
    let signer = AuditSigner::from_secret(rand::random());
    configure(store).await;
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
    signer
}

pub async fn an_untouched_log_verifies_with_its_checkpoints(b: &mut Backend) {
    let signer = log_in(b).await;
    let report = b.verify_audit(&[signer.public_key()]).await;
    assert!(report.is_ok(), "{report:?}");
    assert_eq!(
        (report.entries, report.checkpoints, report.unsigned_tail),
        (20, 2, 0)
    );
    // Under another key the checkpoints do not verify.
    let other = AuditSigner::from_secret([7; 32]);
    assert!(matches!(
        b.verify_audit(&[other.public_key()]).await.problem,
        Some(Tamper::UnknownKey { checkpoint: 1, .. })
    ));
}

/// A key rotation: the checkpoints of the old key and of the new one both
/// verify while both are trusted; each is reported with its key; the new
/// key alone does not vouch for the old checkpoints.
pub async fn after_a_key_rotation_old_and_new_checkpoints_verify(b: &mut Backend) {
    let old = log_in(b).await;
    let store = b.store();
    let new = AuditSigner::from_secret(rand::random());
    store
        .audit_append((21..=30).map(record).collect())
        .await
        .unwrap();
    store.audit_checkpoint(&new, t(300)).await.unwrap();
    let report = b.verify_audit(&[new.public_key(), old.public_key()]).await;
    assert!(report.is_ok(), "{report:?}");
    let keys: Vec<(u64, u64, [u8; 32])> = report
        .keys
        .iter()
        .map(|k| (k.checkpoint, k.tree_size, k.key))
        .collect();
    assert_eq!(
        keys,
        [
            (1, 10, old.public_key()),
            (2, 20, old.public_key()),
            (3, 30, new.public_key())
        ]
    );
    match b.verify_audit(&[new.public_key()]).await.problem {
        Some(Tamper::UnknownKey {
            checkpoint, key, ..
        }) => {
            assert_eq!((checkpoint, key), (1, hex::encode(old.public_key())));
        }
        other => panic!("expected the old key to be unknown, got {other:?}"),
    }
    // The export proves a client's entries across the rotation.
    let export = store.audit_export(&tenant(A)).await.unwrap();
    let summary = verify_export(&export, Some(&new.public_key())).unwrap();
    assert_eq!(summary.tree_size, 30);
}

pub async fn a_tenant_export_verifies_alone_and_holds_only_its_entries(b: &mut Backend) {
    let signer = log_in(b).await;
    let store = b.store();
    let export = store.audit_export(&tenant(A)).await.unwrap();
    assert_eq!(export.entries.len(), 10);
    assert!(
        export
            .entries
            .iter()
            .all(|e| e.entry.tenant == Some(tenant(A)))
    );
    let text = serde_json::to_string(&export).unwrap();
    assert!(!text.contains(B), "nothing of tenant bravo");
    let summary = verify_export(
        &serde_json::from_str(&text).unwrap(),
        Some(&signer.public_key()),
    )
    .unwrap();
    assert_eq!(
        (summary.entries, summary.tree_size, summary.earlier),
        (10, 20, 1)
    );
    // Client-scoped reads see only their own entries.
    let own = store
        .audit_entries(&TenantScope::One(tenant(B)), None, 100)
        .await
        .unwrap();
    assert_eq!(own.len(), 10);
    assert!(own.iter().all(|e| e.tenant == Some(tenant(B))));
}

/// Many writers at once — plain appends and desk writes carrying entries —
/// make one chain: sequence numbers 1…n each handed out once, every entry
/// linked to the one before, and the whole verifying with a checkpoint.
pub async fn concurrent_appenders_make_one_linear_chain(b: &mut Backend) {
    let store = b.arc();
    configure(&*store).await;
    let mut tasks = Vec::new();
    for w in 0..8usize {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            let mut seqs = Vec::new();
            for i in 0..10usize {
                let n = w * 100 + i;
                if i % 2 == 0 {
                    seqs.extend(
                        store
                            .audit_append(vec![record(n), record(n + 50)])
                            .await
                            .unwrap(),
                    );
                } else {
                    let write = DeskWrite {
                        records: vec![DeskRecord {
                            kind: "note".into(),
                            id: format!("n{n}"),
                            tenant: Some(tenant(A)),
                            version: 0,
                            status: "open".into(),
                            rank: 0.0,
                            owner: None,
                            link: None,
                            alert: None,
                            at: t(0),
                            due_at: None,
                            updated_at: t(0),
                            body: RecordBody::of(&json!({})).unwrap(),
                        }],
                        audit: vec![record(n)],
                        ..Default::default()
                    };
                    seqs.extend(store.desk_commit(write).await.unwrap().audit_seqs);
                }
            }
            seqs
        }));
    }
    let mut seqs = Vec::new();
    for task in tasks {
        seqs.extend(task.await.unwrap());
    }
    seqs.sort_unstable();
    let n = seqs.len() as u64;
    assert_eq!(seqs, (1..=n).collect::<Vec<_>>(), "each position once");
    let signer = AuditSigner::from_secret([3; 32]);
    let cp = store.audit_checkpoint(&signer, t(1_000)).await.unwrap();
    assert_eq!(cp.map(|c| c.tree_size), Some(n));
    let report = b.verify_audit(&[signer.public_key()]).await;
    assert!(report.is_ok(), "{report:?}");
    assert_eq!(report.entries, n);
}
