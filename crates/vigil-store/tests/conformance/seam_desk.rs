//! The desk's side of the store: versioned records, the alert change
//! feed, the desk feed, leases, and the audit entries committed with them.

use crate::backend::Backend;
use crate::fixtures::*;
use serde_json::json;
use vigil_model::AlertStatus;
use vigil_store::audit::AuditRecord;
use vigil_store::{
    AlertQuery, DeskRecord, DeskWrite, RecordBody, RecordOrder, RecordQuery, StoreError,
    TenantScope,
};

fn record(
    kind: &str,
    id: &str,
    tenant_id: Option<&str>,
    version: i64,
    status: &str,
    rank: f64,
) -> DeskRecord {
    DeskRecord {
        kind: kind.into(),
        id: id.into(),
        tenant: tenant_id.map(tenant),
        version,
        status: status.into(),
        rank,
        owner: None,
        link: None,
        alert: None,
        at: t(rank as i64),
        due_at: None,
        updated_at: t(0),
        body: RecordBody::of(&json!({"id": id, "status": status})).unwrap(),
    }
}

fn audit_of(action: &str, tenant_id: &str) -> AuditRecord {
    AuditRecord {
        at: t(0),
        actor: "alice".into(),
        tenant: Some(tenant(tenant_id)),
        action: action.into(),
        object: "alarm/x".into(),
        before: None,
        after: Some([1; 32]),
        detail: json!({"why": "test"}),
    }
}

pub async fn writes_are_versioned_and_a_stale_write_changes_nothing(b: &mut Backend) {
    let store = b.store();
    configure(store).await;
    let first = DeskWrite {
        records: vec![record("alarm", "a1", Some(A), 0, "new", 10.0)],
        audit: vec![audit_of("alarm.raise", A)],
        ..Default::default()
    };
    let r = store.desk_commit(first).await.unwrap();
    assert_eq!((r.versions, r.audit_seqs), (vec![1], vec![1]));
    // Creating it again (version 0) conflicts.
    let again = DeskWrite {
        records: vec![record("alarm", "a1", Some(A), 0, "new", 10.0)],
        ..Default::default()
    };
    assert!(matches!(
        store.desk_commit(again).await,
        Err(StoreError::Conflict {
            expected: 0,
            found: 1,
            ..
        })
    ));
    // Two writers read version 1; the first wins, the second conflicts and
    // its audit entry is not written either (one transaction).
    let ack = |who: &str| DeskWrite {
        records: vec![DeskRecord {
            owner: Some(who.into()),
            ..record("alarm", "a1", Some(A), 1, "acknowledged", 10.0)
        }],
        audit: vec![audit_of("alarm.acknowledge", A)],
        ..Default::default()
    };
    assert_eq!(
        store.desk_commit(ack("alice")).await.unwrap().versions,
        vec![2]
    );
    let err = store.desk_commit(ack("bob")).await.unwrap_err();
    assert!(err.to_string().contains("changed by someone else"), "{err}");
    let stored = store
        .desk_record("alarm", "a1", &TenantScope::All)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (stored.version, stored.owner.as_deref()),
        (2, Some("alice"))
    );
    assert_eq!(
        store
            .audit_entries(&TenantScope::All, None, 10)
            .await
            .unwrap()
            .len(),
        2
    );
}

/// A step stored with records it created (a visit at its new version and
/// the watchlist hits its screening found): a retried step, stale, stores
/// none of them — not the new records either.
pub async fn a_write_with_one_stale_record_stores_none_of_its_records(b: &mut Backend) {
    let store = b.store();
    configure(store).await;
    let step = |hit: &str| DeskWrite {
        records: vec![
            record("visit", "v1", Some(A), 1, "arrived", 1.0),
            record("watchlist_hit", hit, Some(A), 0, "pending", 1.0),
        ],
        audit: vec![audit_of("visit.arrive", A), audit_of("hit", A)],
        ..Default::default()
    };
    let created = DeskWrite {
        records: vec![record("visit", "v1", Some(A), 0, "approved", 1.0)],
        ..Default::default()
    };
    store.desk_commit(created).await.unwrap();
    assert_eq!(
        store.desk_commit(step("h1")).await.unwrap().versions,
        vec![2, 1]
    );
    let retried = store.desk_commit(step("h2")).await;
    assert!(
        matches!(
            retried,
            Err(StoreError::Conflict {
                expected: 1,
                found: 2,
                ..
            })
        ),
        "{retried:?}"
    );
    let hits = store
        .desk_records(&RecordQuery::new("watchlist_hit", TenantScope::All))
        .await
        .unwrap();
    let ids: Vec<&str> = hits.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(ids, vec!["h1"]);
    assert_eq!(
        store
            .audit_entries(&TenantScope::All, None, 10)
            .await
            .unwrap()
            .len(),
        2
    );
}

pub async fn records_are_scoped_filtered_and_ordered(b: &mut Backend) {
    let store = b.store();
    configure(store).await;
    let mut write = DeskWrite::default();
    for (id, t_id, status, rank) in [
        ("a", A, "new", 50.0),
        ("b", A, "closed", 90.0),
        ("c", A, "new", 70.0),
        ("d", B, "new", 99.0),
    ] {
        write
            .records
            .push(record("alarm", id, Some(t_id), 0, status, rank));
    }
    write
        .records
        .push(record("model", "m", None, 0, "trained", 0.0));
    store.desk_commit(write).await.unwrap();
    let ids = |v: Vec<DeskRecord>| v.into_iter().map(|r| r.id).collect::<Vec<_>>();
    let mut q = RecordQuery::new("alarm", TenantScope::One(tenant(A)));
    q.not_statuses = vec!["closed".into()];
    assert_eq!(ids(store.desk_records(&q).await.unwrap()), ["c", "a"]);
    q.scope = TenantScope::All;
    assert_eq!(ids(store.desk_records(&q).await.unwrap()), ["d", "c", "a"]);
    q.order = RecordOrder::Newest;
    q.limit = 1;
    assert_eq!(ids(store.desk_records(&q).await.unwrap()), ["d"]);
    // Another tenant's record, or a provider-wide one, is invisible in scope.
    let b_scope = TenantScope::One(tenant(B));
    assert!(
        store
            .desk_record("alarm", "a", &b_scope)
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        store
            .desk_record("model", "m", &b_scope)
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        store
            .desk_record("model", "m", &TenantScope::All)
            .await
            .unwrap()
            .is_some()
    );
    // The desk feed lists the changes in scope.
    let feed = store.desk_feed(0, &b_scope, 100).await.unwrap();
    assert_eq!(
        feed.iter().map(|f| f.id.as_str()).collect::<Vec<_>>(),
        ["d"]
    );
    assert!(store.desk_feed_head().await.unwrap() >= 5);
}

pub async fn records_by_id_are_those_that_exist_of_the_kind_in_scope(b: &mut Backend) {
    let store = b.store();
    configure(store).await;
    let mut write = DeskWrite::default();
    for (id, t_id) in [("a", A), ("b", A), ("c", B)] {
        write
            .records
            .push(record("alarm", id, Some(t_id), 0, "new", 1.0));
    }
    write
        .records
        .push(record("incident", "a", Some(A), 0, "open", 1.0));
    store.desk_commit(write).await.unwrap();
    let ids = |v: Vec<DeskRecord>| {
        let mut ids: Vec<String> = v.into_iter().map(|r| r.id).collect();
        ids.sort();
        ids
    };
    let asked: Vec<String> = ["c", "missing", "a", "b"].map(String::from).to_vec();
    let all = store
        .desk_records_by_id("alarm", &asked, &TenantScope::All)
        .await
        .unwrap();
    assert_eq!(ids(all.clone()), ["a", "b", "c"]);
    // Each is the record one lookup gives, body and version included.
    for r in &all {
        let one = store
            .desk_record("alarm", &r.id, &TenantScope::All)
            .await
            .unwrap();
        assert_eq!(one.as_ref(), Some(r));
    }
    let in_a = store
        .desk_records_by_id("alarm", &asked, &TenantScope::One(tenant(A)))
        .await
        .unwrap();
    assert_eq!(ids(in_a), ["a", "b"], "another tenant's record is not read");
    let incidents = store
        .desk_records_by_id("incident", &asked, &TenantScope::All)
        .await
        .unwrap();
    assert_eq!(ids(incidents), ["a"], "nor another kind's");
    assert!(
        store
            .desk_records_by_id("alarm", &[], &TenantScope::All)
            .await
            .unwrap()
            .is_empty()
    );
}

pub async fn equal_ranks_are_ordered_oldest_first_whatever_the_ids(b: &mut Backend) {
    let store = b.store();
    configure(store).await;
    // Written newest first, and with ids that sort the other way.
    let mut write = DeskWrite::default();
    for (id, secs) in [("a-newest", 30), ("b-middle", 20), ("c-oldest", 10)] {
        write.records.push(DeskRecord {
            at: t(secs),
            ..record("alarm", id, Some(A), 0, "new", 40.0)
        });
    }
    write.records.push(DeskRecord {
        at: t(40),
        ..record("alarm", "d-urgent", Some(A), 0, "new", 41.0)
    });
    store.desk_commit(write).await.unwrap();
    let q = RecordQuery::new("alarm", TenantScope::All);
    let ids: Vec<String> = store
        .desk_records(&q)
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.id)
        .collect();
    assert_eq!(ids, ["d-urgent", "c-oldest", "b-middle", "a-newest"]);
}

pub async fn every_new_or_grown_alert_reaches_the_feed_until_consumed(b: &mut Backend) {
    let store = b.store();
    configure(store).await;
    let e1 = event(A, 10, logon_fields("u1"));
    let e2 = event(A, 11, logon_fields("u1"));
    let a = alert(A, "r1", "host:h1", 0);
    let mut b = batch(vec![e1.clone()]);
    b.detections = vec![detection(a.clone(), &[(&e1, 1)])];
    store.commit(b).await.unwrap();
    let changes = store.alert_changes(0, 100).await.unwrap();
    assert!(!changes.is_empty());
    assert!(changes.iter().all(|c| c.alert.id == a.id));
    let head = changes.last().unwrap().seq;
    // Replay: no new evidence, nothing new in the feed.
    let mut replay = batch(vec![e1.clone()]);
    replay.detections = vec![detection(a.clone(), &[(&e1, 1)])];
    store.commit(replay).await.unwrap();
    assert!(store.alert_changes(head, 100).await.unwrap().is_empty());
    // New evidence: the alert shows up again, with its new count.
    let mut more = batch(vec![e2.clone()]);
    more.detections = vec![detection(a.clone(), &[(&e2, 2)])];
    store.commit(more).await.unwrap();
    let grown = store.alert_changes(head, 100).await.unwrap();
    assert_eq!(grown.last().map(|c| c.alert.event_count), Some(2));
    // A desk write consumes the feed and mirrors the status to the alert.
    let upto = grown.last().unwrap().seq;
    store
        .desk_commit(DeskWrite {
            alert_status: vec![(a.id, AlertStatus::Acknowledged)],
            alert_feed_done: Some(upto),
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(store.alert_changes(0, 100).await.unwrap().is_empty());
    let q = AlertQuery {
        status: Some(AlertStatus::Acknowledged),
        ..AlertQuery::all_in(TenantScope::All, 10)
    };
    assert_eq!(store.alerts(&q).await.unwrap().items.len(), 1);
    // Mirroring the status does not put the alert back in the feed.
    assert!(store.alert_changes(0, 100).await.unwrap().is_empty());
}

pub async fn a_lease_has_one_holder_until_it_expires(b: &mut Backend) {
    let store = b.store();
    let ttl = chrono::Duration::seconds(30);
    assert!(
        store
            .try_lease("escalation", "node-a", t(0), ttl)
            .await
            .unwrap()
    );
    assert!(
        !store
            .try_lease("escalation", "node-b", t(10), ttl)
            .await
            .unwrap()
    );
    assert!(
        store
            .try_lease("escalation", "node-a", t(20), ttl)
            .await
            .unwrap(),
        "renewal"
    );
    assert!(
        !store
            .try_lease("escalation", "node-b", t(49), ttl)
            .await
            .unwrap()
    );
    assert!(
        store
            .try_lease("escalation", "node-b", t(50), ttl)
            .await
            .unwrap(),
        "expired: taken over"
    );
    assert!(
        !store
            .try_lease("escalation", "node-a", t(51), ttl)
            .await
            .unwrap()
    );
    assert!(
        store
            .try_lease("triage", "node-a", t(51), ttl)
            .await
            .unwrap(),
        "leases are independent"
    );
}

/// Writers on several connections (nodes) who all read version 1 of the
/// same record: exactly one wins, every other gets a conflict naming the
/// version now stored, and only the winner's audit entry is written.
pub async fn of_concurrent_writers_of_one_version_exactly_one_wins(b: &mut Backend) {
    let store = b.arc();
    configure(&*store).await;
    store
        .desk_commit(DeskWrite {
            records: vec![record("alarm", "race", Some(A), 0, "new", 1.0)],
            ..Default::default()
        })
        .await
        .unwrap();
    let before = store
        .audit_entries(&TenantScope::All, None, 100)
        .await
        .unwrap()
        .len();
    let tasks: Vec<_> = (0..12)
        .map(|i| {
            let store = store.clone();
            tokio::spawn(async move {
                let write = DeskWrite {
                    records: vec![DeskRecord {
                        owner: Some(format!("op{i}")),
                        ..record("alarm", "race", Some(A), 1, "acknowledged", 1.0)
                    }],
                    audit: vec![audit_of("alarm.acknowledge", A)],
                    ..Default::default()
                };
                store.desk_commit(write).await
            })
        })
        .collect();
    let mut wins = 0;
    for t in tasks {
        match t.await.unwrap() {
            Ok(r) => {
                wins += 1;
                assert_eq!(r.versions, vec![2]);
            }
            Err(StoreError::Conflict {
                expected, found, ..
            }) => {
                assert_eq!((expected, found), (1, 2));
            }
            Err(e) => panic!("unexpected {e}"),
        }
    }
    assert_eq!(wins, 1);
    let after = store
        .audit_entries(&TenantScope::All, None, 100)
        .await
        .unwrap()
        .len();
    assert_eq!(after, before + 1, "only the winner's entry");
}

/// Nodes racing for a free lease: exactly one holds it.
pub async fn of_nodes_racing_for_a_lease_exactly_one_holds_it(b: &mut Backend) {
    let store = b.arc();
    let ttl = chrono::Duration::seconds(30);
    let tasks: Vec<_> = (0..12)
        .map(|i| {
            let store = store.clone();
            tokio::spawn(async move {
                store
                    .try_lease("triage", &format!("node-{i}"), t(0), ttl)
                    .await
                    .unwrap()
            })
        })
        .collect();
    let mut holders = 0;
    for t in tasks {
        holders += usize::from(t.await.unwrap());
    }
    assert_eq!(holders, 1);
}

/// Evidence kept as desk records (a camera's picture at alarm time, a
/// site's floor-plan image) is a few MiB of JSON: it comes back byte for
/// byte, found by its alarm link, and only in its tenant's scope.
pub async fn a_record_of_several_mebibytes_round_trips_unchanged(b: &mut Backend) {
    let store = b.store();
    configure(store).await;
    // 5.5 MB of base64-like text (a 4 MiB picture), every byte position varied.
    let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let data: String = (0..5_600_000usize)
        .map(|i| alphabet[(i * 7 + i / 64) % 64] as char)
        .collect();
    let mut big = record("snapshot", "alarm-1:cam-1", Some(A), 0, "taken", 0.0);
    big.link = Some("alarm-1".into());
    big.body = RecordBody::of(&json!({"camera": "cam-1", "data": data})).unwrap();
    store
        .desk_commit(DeskWrite {
            records: vec![big.clone()],
            ..Default::default()
        })
        .await
        .unwrap();
    let read = store
        .desk_record("snapshot", "alarm-1:cam-1", &TenantScope::One(tenant(A)))
        .await
        .unwrap()
        .expect("the record");
    assert_eq!(read.body, big.body);
    let mut q = RecordQuery::new("snapshot", TenantScope::One(tenant(A)));
    q.link = Some("alarm-1".into());
    assert_eq!(store.desk_records(&q).await.unwrap().len(), 1);
    assert!(
        store
            .desk_record("snapshot", "alarm-1:cam-1", &TenantScope::One(tenant(B)))
            .await
            .unwrap()
            .is_none()
    );
}
