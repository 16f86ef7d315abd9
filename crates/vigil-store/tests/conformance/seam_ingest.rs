//! The write path: alert merge, replay, concurrent commits, retention.

use std::sync::Arc;

use crate::backend::Backend;
use crate::fixtures::*;
use serde_json::json;
use vigil_model::{Entity, EntityKind, Site, SiteId};
use vigil_store::{AlertQuery, EventQuery, MAX_ALERT_ENTITIES, NodeStore, StoreError, TenantScope};

fn count_events(scope: TenantScope) -> EventQuery {
    EventQuery {
        scope,
        from: None,
        to: None,
        fields: vec![],
        cursor: None,
        limit: vigil_store::MAX_PAGE_SIZE,
    }
}

/// Every archived event in scope, however many pages that takes.
async fn count_all(store: &dyn NodeStore, scope: TenantScope) -> usize {
    let mut q = count_events(scope);
    let mut n = 0;
    loop {
        let page = store.events(&q).await.unwrap();
        n += page.items.len();
        match page.next_cursor {
            Some(c) => q.cursor = Some(vigil_store::Cursor::decode(&c).unwrap()),
            None => return n,
        }
    }
}

pub async fn replaying_a_batch_changes_nothing(b: &mut Backend) {
    let store = b.store();
    let e1 = event(A, 1, json!({"n": 1}));
    let e2 = event(A, 2, json!({"n": 2}));
    let a = alert(A, "r1", "h", 0);
    let mut b = batch(vec![e1.clone(), e2.clone()]);
    b.detections = vec![detection(a.clone(), &[(&e1, 1), (&e2, 2)])];

    let first = store.commit(b.clone()).await.unwrap();
    assert_eq!(first.events_written, 2);
    assert_eq!(first.alerts_created, vec![a.id]);

    let again = store.commit(b).await.unwrap();
    assert_eq!(again.events_written, 0, "same ids are not written twice");
    assert!(again.alerts_created.is_empty());
    assert!(again.alerts_updated.is_empty());

    let stored = store.alert(a.id, &TenantScope::All).await.unwrap().unwrap();
    assert_eq!(stored.event_count, 2);
    assert_eq!(stored.evidence, vec![e1.id, e2.id]);
    let page = store.events(&count_events(TenantScope::All)).await.unwrap();
    assert_eq!(page.items.len(), 2);
}

pub async fn new_evidence_merges_into_the_existing_alert(b: &mut Backend) {
    let store = b.store();
    let e1 = event(A, 15, json!({}));
    let mut b = batch(vec![e1.clone()]);
    b.detections = vec![detection(alert(A, "r1", "h", 0), &[(&e1, 1)])];
    store.commit(b).await.unwrap();

    // Later evidence: an earlier first_seen, a later last_seen, a new
    // entity, one repeated fingerprint (same content, new event id).
    let e0 = event(A, 5, json!({}));
    let e3 = event(A, 50, json!({}));
    let repeat = event(A, 60, json!({}));
    let mut later = alert(A, "r1", "h", 0);
    later.first_seen = t(5);
    later.last_seen = t(50);
    later.updated_at = t(100);
    later.created_at = t(100);
    later.entities.push(Entity::new(EntityKind::User, "bob"));
    let mut b = batch(vec![e0.clone(), e3.clone(), repeat.clone()]);
    b.detections = vec![detection(
        later.clone(),
        &[(&e0, 0), (&e3, 3), (&repeat, 1)],
    )];
    let receipt = store.commit(b).await.unwrap();
    assert!(receipt.alerts_created.is_empty());
    assert_eq!(receipt.alerts_updated, vec![later.id]);

    let stored = store
        .alert(later.id, &TenantScope::All)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.event_count, 3);
    assert_eq!(stored.first_seen, t(5));
    assert_eq!(stored.last_seen, t(50));
    assert_eq!(stored.updated_at, t(100));
    assert_eq!(
        stored.created_at,
        alert(A, "r1", "h", 0).created_at,
        "creation time stays"
    );
    assert_eq!(
        stored.entities,
        vec![
            Entity::new(EntityKind::Host, "h"),
            Entity::new(EntityKind::User, "bob")
        ]
    );
    // Earliest observed first.
    assert_eq!(stored.evidence, vec![e0.id, e1.id, e3.id]);
}

pub async fn alerts_keep_a_bounded_list_of_entities_and_evidence(b: &mut Backend) {
    let store = b.store();
    let events: Vec<_> = (0..150).map(|i| event(A, i, json!({}))).collect();
    let mut a = alert(A, "r1", "h", 0);
    a.entities = (0..MAX_ALERT_ENTITIES + 10)
        .map(|i| Entity::new(EntityKind::Ip, format!("10.0.0.{i}")))
        .collect();
    let evidence: Vec<_> = events
        .iter()
        .rev()
        .map(|e| (e, e.observed_at.timestamp() as u64))
        .collect();
    let mut b = batch(events.clone());
    b.detections = vec![detection(a.clone(), &evidence)];
    store.commit(b).await.unwrap();
    let stored = store.alert(a.id, &TenantScope::All).await.unwrap().unwrap();
    assert_eq!(stored.event_count, 150);
    assert_eq!(stored.entities.len(), MAX_ALERT_ENTITIES);
    assert_eq!(stored.evidence.len(), vigil_store::MAX_ALERT_EVIDENCE);
    let earliest: Vec<_> = events[..vigil_store::MAX_ALERT_EVIDENCE]
        .iter()
        .map(|e| e.id)
        .collect();
    assert_eq!(stored.evidence, earliest);
}

pub async fn concurrent_commits_all_land(b: &mut Backend) {
    let store = b.arc();
    let tasks: Vec<_> = (0..32)
        .map(|task| {
            let store = Arc::clone(&store);
            tokio::spawn(async move {
                let mut ids = Vec::new();
                for round in 0..5 {
                    let tenant_id = if task % 2 == 0 { A } else { B };
                    let events: Vec<_> = (0..20)
                        .map(|i| {
                            event(
                                tenant_id,
                                task * 100 + round * 20 + i,
                                json!({"task": task}),
                            )
                        })
                        .collect();
                    ids.extend(events.iter().map(|e| e.id));
                    let mut b = batch(events.clone());
                    // Every task raises evidence on one shared alert.
                    b.detections = vec![detection(
                        alert(A, "shared", "h", 0),
                        &[(&events[0], (task * 10 + round) as u64)],
                    )];
                    let receipt = store.commit(b).await.unwrap();
                    assert_eq!(receipt.events_written, 20);
                }
                ids
            })
        })
        .collect();
    let mut all_ids = Vec::new();
    for t in tasks {
        all_ids.extend(t.await.unwrap());
    }
    assert_eq!(all_ids.len(), 32 * 5 * 20);
    for chunk in all_ids.chunks(500) {
        let found = store.events_by_id(chunk, &TenantScope::All).await.unwrap();
        assert_eq!(found.len(), chunk.len());
    }
    let shared = store
        .alert(alert(A, "shared", "h", 0).id, &TenantScope::All)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(shared.event_count, 32 * 5);
}

pub async fn reads_run_alongside_writes(b: &mut Backend) {
    let store = b.arc();
    let writers: Vec<_> = (0..4)
        .map(|w| {
            let store = Arc::clone(&store);
            tokio::spawn(async move {
                for round in 0..20 {
                    let events =
                        (0..50).map(|i| event(A, w * 10_000 + round * 50 + i, json!({"w": w})));
                    store.commit(batch(events.collect())).await.unwrap();
                }
            })
        })
        .collect();
    let readers: Vec<_> = (0..4)
        .map(|_| {
            let store = Arc::clone(&store);
            tokio::spawn(async move {
                let mut last = 0;
                for _ in 0..20 {
                    // What a reader sees only grows: no commit is undone.
                    let seen = count_all(&*store, TenantScope::All).await;
                    assert!(seen >= last);
                    last = seen;
                }
            })
        })
        .collect();
    for t in writers.into_iter().chain(readers) {
        t.await.unwrap();
    }
    assert_eq!(count_all(&*store, TenantScope::All).await, 4 * 20 * 50);
}

pub async fn a_failing_write_does_not_take_its_group_down(b: &mut Backend) {
    let store = b.arc();
    configure(&*store).await;
    let mut tasks = Vec::new();
    for i in 0..20i64 {
        let store = Arc::clone(&store);
        tasks.push(tokio::spawn(async move {
            if i % 4 == 0 {
                let orphan = Site {
                    tenant: tenant("nobody"),
                    id: SiteId::new("x").unwrap(),
                    name: "x".into(),
                    timezone: "UTC".into(),
                };
                let err = store.upsert_site(&orphan).await.unwrap_err();
                assert!(
                    matches!(err, StoreError::NotFound { what: "tenant", .. }),
                    "{err}"
                );
                0
            } else {
                store
                    .commit(batch(vec![event(A, i, json!({}))]))
                    .await
                    .unwrap()
                    .events_written
            }
        }));
    }
    let mut written = 0;
    for t in tasks {
        written += t.await.unwrap();
    }
    assert_eq!(written, 15);
    let page = store.events(&count_events(TenantScope::All)).await.unwrap();
    assert_eq!(page.items.len(), 15);
}

pub async fn purge_deletes_only_older_events_and_keeps_alerts(b: &mut Backend) {
    let store = b.store();
    // More than one purge chunk (5,000 rows) across two tenants.
    for tenant_id in [A, B] {
        for start in (0..6_000).step_by(1_000) {
            let events = (start..start + 1_000)
                .map(|i| event(tenant_id, i, json!({})))
                .collect();
            store.commit(batch(events)).await.unwrap();
        }
    }
    let keep = event(A, 9_000, json!({}));
    let mut b = batch(vec![keep.clone()]);
    b.detections = vec![detection(alert(A, "r1", "h", 0), &[(&keep, 1)])];
    store.commit(b).await.unwrap();

    let deleted = store.purge_events_before(t(5_600)).await.unwrap();
    assert_eq!(deleted, 2 * 5_600);
    let left = store.events(&count_events(TenantScope::All)).await.unwrap();
    assert_eq!(left.items.len(), 2 * 400 + 1);
    assert!(left.items.iter().all(|e| e.observed_at >= t(5_600)));
    assert_eq!(store.purge_events_before(t(5_600)).await.unwrap(), 0);
    assert!(
        store
            .alert(alert(A, "r1", "h", 0).id, &TenantScope::All)
            .await
            .unwrap()
            .is_some()
    );
    let q = AlertQuery::all_in(TenantScope::All, 10);
    assert_eq!(store.alerts(&q).await.unwrap().items.len(), 1);
}

/// On PostgreSQL, retention drops the partitions of whole days before the
/// cutoff rather than deleting their rows, and a later event for a dropped
/// day is still stored (its partition is made again).
pub async fn purge_drops_whole_days_and_old_days_can_come_back(b: &mut Backend) {
    let store = b.store();
    let day = chrono::Duration::days(1);
    let now = chrono::Utc::now();
    let at = |days_ago: i64| now - day * days_ago as i32;
    let mut events = Vec::new();
    for days_ago in [5i64, 4, 3, 2] {
        for i in 0..3 {
            let mut e = event(A, i, json!({ "d": days_ago }));
            e.observed_at = at(days_ago) + chrono::Duration::seconds(i);
            events.push(e);
        }
    }
    store.commit(batch(events)).await.unwrap();
    let partitions = |b: &Backend| {
        let (url, schema) = b
            .postgres_schema()
            .map(|(u, s)| (u.to_owned(), s.to_owned()))?;
        Some(async move {
            let rows = crate::backend::execute(
                &url,
                &format!("SELECT count(*) FROM {schema}.event_partitions"),
            )
            .await;
            rows.iter()
                .find_map(|m| match m {
                    tokio_postgres::SimpleQueryMessage::Row(r) => {
                        r.get(0).and_then(|v| v.parse::<i64>().ok())
                    }
                    _ => None,
                })
                .unwrap_or(-1)
        })
    };
    let before = match partitions(b) {
        Some(f) => Some(f.await),
        None => None,
    };
    let deleted = store.purge_events_before(at(3)).await.unwrap();
    assert_eq!(deleted, 6, "the days five and four days ago");
    assert_eq!(count_all(store, TenantScope::All).await, 6);
    if let (Some(before), Some(f)) = (before, partitions(b)) {
        assert!(before >= 4, "{before}");
        assert_eq!(f.await, before - 2, "two whole days dropped");
    }
    let mut old = event(A, 0, json!({ "late": true }));
    old.observed_at = at(5);
    assert_eq!(
        store.commit(batch(vec![old])).await.unwrap().events_written,
        1
    );
    assert_eq!(count_all(store, TenantScope::All).await, 7);
}
