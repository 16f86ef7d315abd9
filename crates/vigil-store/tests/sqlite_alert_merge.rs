//! The alert merge on the hot path: batches full of evidence for the same
//! alerts, the desk's alert feed written with them, the time index kept
//! only for an alert's earliest evidence, and ingest batches written without
//! savepoints (a failing one must still leave its group's others durable).

mod common;

use std::sync::Arc;

use common::*;
use serde_json::json;
use vigil_model::{Alert, Event};
use vigil_store::{Store, StoreError, TenantScope};

/// The alert as the detector would build it from one event.
fn alert_for(e: &Event) -> Alert {
    let mut a = alert(A, "r1", "h", 0);
    a.first_seen = e.observed_at;
    a.last_seen = e.observed_at;
    a.created_at = e.received_at;
    a.updated_at = e.received_at;
    a.entities = e.entities.clone();
    a
}

fn fp(e: &Event) -> u64 {
    e.id.0.as_u64_pair().1
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_failing_batch_leaves_the_other_batches_of_its_group_durable() {
    let store = Arc::new(store());
    // An alert whose stored entities cannot be read: merging into it fails.
    let broken = alert(A, "broken", "h", 0);
    let e0 = event(A, 0, json!({}));
    let mut b = batch(vec![e0.clone()]);
    b.detections = vec![detection(broken.clone(), &[(&e0, 1)])];
    store.commit(b).await.unwrap();
    {
        let conn = rusqlite::Connection::open(store.path()).unwrap();
        conn.busy_timeout(std::time::Duration::from_secs(10))
            .unwrap();
        conn.execute(
            "UPDATE alerts SET entities = 'not json' WHERE id = ?1",
            [broken.id.0.into_bytes()],
        )
        .unwrap();
    }

    let mut tasks = Vec::new();
    for i in 1..=40i64 {
        let (store, broken) = (Arc::clone(&store), broken.clone());
        tasks.push(tokio::spawn(async move {
            let e = event(A, i, json!({ "i": i }));
            let mut b = batch(vec![e.clone()]);
            if i % 5 == 0 {
                b.detections = vec![detection(broken, &[(&e, i as u64 + 100)])];
            } else {
                b.detections = vec![detection(alert_for(&e), &[(&e, fp(&e))])];
            }
            (i, e.id, store.commit(b).await)
        }));
    }
    let mut kept = Vec::new();
    for t in tasks {
        let (i, id, result) = t.await.unwrap();
        if i % 5 == 0 {
            assert!(
                matches!(result, Err(StoreError::Corrupt { what: "alert", .. })),
                "{result:?}"
            );
        } else {
            assert_eq!(result.unwrap().events_written, 1);
            kept.push(id);
        }
    }
    let good = store
        .alert(alert(A, "r1", "h", 0).id, &TenantScope::All)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(good.event_count, 32, "every good batch's evidence");
    let mut events = Vec::new();
    let mut q = vigil_store::EventQuery {
        scope: TenantScope::All,
        from: None,
        to: None,
        fields: vec![],
        cursor: None,
        limit: vigil_store::MAX_PAGE_SIZE,
    };
    loop {
        let page = store.events(&q).await.unwrap();
        events.extend(page.items.iter().map(|e| e.id));
        match page.next_cursor {
            Some(c) => q.cursor = Some(vigil_store::Cursor::decode(&c).unwrap()),
            None => break,
        }
    }
    assert_eq!(
        events.len(),
        1 + kept.len(),
        "no failed batch's event stored"
    );
    for id in kept {
        assert!(events.contains(&id));
    }
}
