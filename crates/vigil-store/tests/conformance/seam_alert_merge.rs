//! The alert merge on the hot path: batches full of evidence for the same
//! alerts, and the desk's alert feed written with them.

use crate::backend::{Backend, Options};
use crate::fixtures::*;
use serde_json::json;
use vigil_model::{Alert, Entity, EntityKind, Event};
use vigil_store::{IngestBatch, MAX_ALERT_EVIDENCE, NodeStore, TenantScope};

/// Events for one alert, observed in a scrambled order (so some evidence
/// arrives earlier than evidence already held), each naming its own IP.
fn scrambled_events(n: i64) -> Vec<Event> {
    (0..n)
        .map(|i| {
            let secs = (i * 37) % n;
            let mut e = event(A, secs, json!({ "n": i }));
            e.entities = vec![Entity::new(
                EntityKind::Ip,
                format!("10.0.{}.{}", i / 200, i % 200),
            )];
            e
        })
        .collect()
}

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

/// A batch of `events`, each with its own detection of the same alert (as a
/// batch with many detections of one alert arrives from several sources).
fn one_alert_batch(events: &[Event]) -> IngestBatch {
    let mut b = batch(events.to_vec());
    b.detections = events
        .iter()
        .map(|e| detection(alert_for(e), &[(e, fp(e))]))
        .collect();
    b
}

fn fp(e: &Event) -> u64 {
    e.id.0.as_u64_pair().1
}

/// What the alert looks like to a reader, without the times the store
/// stamps on its own.
async fn alert_state(store: &dyn NodeStore) -> (u64, String, String, Vec<Entity>, Vec<String>) {
    let id = alert(A, "r1", "h", 0).id;
    let a = store.alert(id, &TenantScope::All).await.unwrap().unwrap();
    (
        a.event_count,
        a.first_seen.to_rfc3339(),
        a.last_seen.to_rfc3339(),
        a.entities,
        a.evidence.iter().map(|e| e.to_string()).collect(),
    )
}

pub async fn many_detections_of_one_alert_in_a_batch_store_what_one_at_a_time_does(
    b: &mut Backend,
) {
    let events = scrambled_events(260);
    let other = b.variant(Options::default()).await;
    let (batched, single) = (b.store(), other.store());
    for chunk in events.chunks(65) {
        batched.commit(one_alert_batch(chunk)).await.unwrap();
        // A replay of the same batch adds nothing.
        let again = batched.commit(one_alert_batch(chunk)).await.unwrap();
        assert!(again.alerts_updated.is_empty() && again.alerts_created.is_empty());
    }
    for e in &events {
        single
            .commit(one_alert_batch(std::slice::from_ref(e)))
            .await
            .unwrap();
    }
    let state = alert_state(batched).await;
    assert_eq!(state, alert_state(single).await);

    // The earliest evidence, whatever order it came in.
    let mut sorted = events.clone();
    sorted.sort_by_key(|e| (e.observed_at, e.id.0.into_bytes()));
    let earliest: Vec<String> = sorted[..MAX_ALERT_EVIDENCE]
        .iter()
        .map(|e| e.id.to_string())
        .collect();
    assert_eq!(state.0, 260);
    assert_eq!(state.4, earliest);
    assert_eq!(state.1, sorted[0].observed_at.to_rfc3339());
    assert_eq!(state.2, sorted[259].observed_at.to_rfc3339());
}

pub async fn every_alert_a_batch_creates_or_grows_reaches_the_desk_feed(b: &mut Backend) {
    let store = b.store();
    let e = event(A, 1, json!({}));
    let mut b = batch(vec![e.clone()]);
    let other = alert(A, "r2", "h", 0);
    b.detections = vec![
        detection(alert_for(&e), &[(&e, fp(&e))]),
        detection(other.clone(), &[(&e, fp(&e))]),
    ];
    store.commit(b.clone()).await.unwrap();
    let changes = store.alert_changes(0, 100).await.unwrap();
    let ids: Vec<_> = changes.iter().map(|c| c.alert.id).collect();
    assert_eq!(ids, vec![alert(A, "r1", "h", 0).id, other.id]);

    // A replay changes nothing, so the desk hears nothing.
    let last = changes.last().unwrap().seq;
    store.commit(b).await.unwrap();
    assert!(store.alert_changes(last, 100).await.unwrap().is_empty());

    // New evidence on one of them: only that one.
    let later = event(A, 2, json!({}));
    let mut grow = batch(vec![later.clone()]);
    grow.detections = vec![detection(other.clone(), &[(&later, fp(&later))])];
    store.commit(grow).await.unwrap();
    let grown = store.alert_changes(last, 100).await.unwrap();
    assert_eq!(grown.len(), 1);
    assert_eq!(grown[0].alert.id, other.id);
    assert_eq!(grown[0].alert.event_count, 2);
}

pub async fn an_alert_grown_by_several_batches_is_in_the_feed_once_per_batch_as_it_is_now(
    b: &mut Backend,
) {
    let store = b.store();
    let first = event(A, 1, json!({}));
    let other = alert(A, "r2", "h", 0);
    let mut b = batch(vec![first.clone()]);
    b.detections = vec![
        detection(alert_for(&first), &[(&first, fp(&first))]),
        detection(other.clone(), &[(&first, fp(&first))]),
    ];
    store.commit(b).await.unwrap();
    for n in 2..5 {
        let e = event(A, n, json!({}));
        let mut grow = batch(vec![e.clone()]);
        grow.detections = vec![detection(other.clone(), &[(&e, fp(&e))])];
        store.commit(grow).await.unwrap();
    }
    let changes = store.alert_changes(0, 100).await.unwrap();
    let ids: Vec<_> = changes.iter().map(|c| c.alert.id).collect();
    let r1 = alert_for(&first).id;
    assert_eq!(ids, vec![r1, other.id, other.id, other.id, other.id]);
    assert!(changes.windows(2).all(|w| w[0].seq < w[1].seq));
    // Every row of a busy alert is the alert as it is now, as a lone read
    // of it would give.
    for c in &changes {
        let mut now = store
            .alert(c.alert.id, &TenantScope::All)
            .await
            .unwrap()
            .unwrap();
        now.evidence.clear();
        assert_eq!(c.alert, now);
    }
    assert_eq!(changes[4].alert.event_count, 4);
    // A page boundary inside a busy alert's rows keeps the order.
    let page = store.alert_changes(changes[1].seq, 2).await.unwrap();
    let seqs: Vec<_> = page.iter().map(|c| c.seq).collect();
    assert_eq!(seqs, vec![changes[2].seq, changes[3].seq]);
}
