//! The queue's order: highest priority first, and among alarms of equal
//! priority the oldest first — whether they reached the desk in one triage
//! pass or in several.

mod common;

use common::*;
use vigil_desk::DeskConfig;
use vigil_desk::service::AlarmFilter;
use vigil_model::{Alert, EntityKind, Severity};
use vigil_store::Role;

fn staff() -> vigil_desk::Actor {
    vigil_desk::Actor::person("x", Role::ProviderOperator, None)
}

fn queue_filter() -> AlarmFilter {
    AlarmFilter {
        limit: 100,
        ..Default::default()
    }
}

/// Two medium alarms of one tenant about unrelated hosts: the same
/// priority, no group between them. `older` has evidence at minute 0,
/// `newer` at minute 20.
async fn pair(w: &World, older: &str, newer: &str) -> (Alert, Alert) {
    let a = raise(
        &w.store,
        A,
        "rule-x",
        Severity::Medium,
        EntityKind::Host,
        older,
        0,
    )
    .await;
    let b = raise(
        &w.store,
        A,
        "rule-x",
        Severity::Medium,
        EntityKind::Host,
        newer,
        20,
    )
    .await;
    (a, b)
}

#[tokio::test]
async fn equal_priority_alarms_triaged_together_are_oldest_first() {
    let w = world(DeskConfig::default()).await;
    // Hosts chosen so that the alarms' ids (hashes) order them newest
    // first: an order that fell back on the id would be wrong here.
    let (older, newer) = pair(&w, "ws-0", "ws-1").await;
    assert!(
        newer.id.to_string() < older.id.to_string(),
        "the fixture must make id order disagree with age"
    );
    w.desk.triage_once().await.unwrap();
    let queue = w.desk.alarms(&staff(), &queue_filter()).await.unwrap();
    assert_eq!(queue.len(), 2);
    assert_eq!(queue[0].priority.score, queue[1].priority.score);
    assert_eq!(
        [queue[0].id, queue[1].id],
        [older.id, newer.id],
        "same priority: the alarm whose evidence is older comes first"
    );
}

#[tokio::test]
async fn equal_priority_alarms_triaged_apart_are_oldest_first() {
    let w = world(DeskConfig::default()).await;
    let older = raise(
        &w.store,
        A,
        "rule-x",
        Severity::Medium,
        EntityKind::Host,
        "ws-0",
        0,
    )
    .await;
    w.desk.triage_once().await.unwrap();
    w.clock.set(t0() + chrono::Duration::minutes(25));
    let newer = raise(
        &w.store,
        A,
        "rule-x",
        Severity::Medium,
        EntityKind::Host,
        "ws-1",
        20,
    )
    .await;
    w.desk.triage_once().await.unwrap();
    let queue = w.desk.alarms(&staff(), &queue_filter()).await.unwrap();
    assert_eq!(queue.len(), 2);
    assert_eq!(queue[0].priority.score, queue[1].priority.score);
    assert_eq!([queue[0].id, queue[1].id], [older.id, newer.id]);
}

#[tokio::test]
async fn a_higher_priority_goes_before_an_older_alarm() {
    let w = world(DeskConfig::default()).await;
    let older = raise(
        &w.store,
        A,
        "rule-x",
        Severity::Medium,
        EntityKind::Host,
        "ws-0",
        0,
    )
    .await;
    let urgent = raise(
        &w.store,
        A,
        "rule-y",
        Severity::Critical,
        EntityKind::Host,
        "ws-1",
        20,
    )
    .await;
    w.desk.triage_once().await.unwrap();
    let queue = w.desk.alarms(&staff(), &queue_filter()).await.unwrap();
    assert_eq!([queue[0].id, queue[1].id], [urgent.id, older.id]);
}
