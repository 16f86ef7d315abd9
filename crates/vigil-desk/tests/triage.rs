//! Triage over a real store: alerts committed by ingest become alarms;
//! suppression, maintenance, grouping, scoring; commands with their audit
//! entries in the same transaction.

mod common;

use chrono::Duration;
use common::*;
use vigil_desk::alarm::{AlarmCommand, AlarmStatus, Closure, Verdict};
use vigil_desk::service::AlarmFilter;
use vigil_desk::suppression::MaintenanceTarget;
use vigil_desk::{Actor, DeskConfig, DeskError};
use vigil_model::{EntityKind, Severity};
use vigil_store::{DeskStore, Role, Store, TenantScope};

fn op(name: &str) -> Actor {
    Actor::person(name, Role::ProviderOperator, None)
}

fn all() -> AlarmFilter {
    AlarmFilter {
        limit: 100,
        ..Default::default()
    }
}

#[tokio::test]
async fn every_committed_alert_becomes_one_alarm_and_growth_refreshes_it() {
    let w = world(DeskConfig::default()).await;
    let a = raise(
        &w.store,
        A,
        "door-forced",
        Severity::High,
        EntityKind::Door,
        "d1",
        0,
    )
    .await;
    raise(
        &w.store,
        B,
        "vpn-brute",
        Severity::Medium,
        EntityKind::User,
        "bob",
        1,
    )
    .await;
    let r = w.desk.triage_once().await.unwrap();
    assert_eq!((r.raised, r.refreshed), (2, 0));
    // The same alert again (a second detection in the window): one alarm, refreshed.
    raise(
        &w.store,
        A,
        "door-forced",
        Severity::High,
        EntityKind::Door,
        "d1",
        2,
    )
    .await;
    let r = w.desk.triage_once().await.unwrap();
    assert_eq!((r.raised, r.refreshed), (0, 1));
    assert_eq!(
        w.desk.triage_once().await.unwrap().changes,
        0,
        "the feed is consumed"
    );
    let alarm = w.desk.alarm(&op("x"), a.id).await.unwrap();
    assert_eq!(alarm.event_count, 2);
    assert_eq!(alarm.first_seen, t0(), "first seen stays");
    assert_eq!(
        alarm.last_seen,
        t0() + Duration::minutes(2),
        "last seen moves"
    );
    let rows = w
        .desk
        .alarms(&op("x"), &all())
        .await
        .unwrap()
        .into_iter()
        .filter(|x| x.rule_id == "door-forced")
        .count();
    assert_eq!(rows, 1, "a repeat updates the alarm instead of adding one");
    assert!(alarm.priority.score > 0.0);
    // A client sees only its own queue.
    let viewer = Actor::person("v", Role::ClientViewer, Some(tenant(B)));
    let own = w
        .desk
        .alarms(
            &viewer,
            &AlarmFilter {
                tenant: Some(tenant(B)),
                ..all()
            },
        )
        .await
        .unwrap();
    assert_eq!(own.len(), 1);
    assert!(own.iter().all(|a| a.tenant == tenant(B)));
    assert!(matches!(
        w.desk.alarm(&viewer, a.id).await,
        Err(DeskError::NotFound { .. })
    ));
    // Provider staff see one queue across tenants, highest priority first.
    let queue = w.desk.alarms(&op("x"), &all()).await.unwrap();
    assert_eq!(queue.len(), 2);
    assert!(queue[0].priority.score >= queue[1].priority.score);
}

#[tokio::test]
async fn ownership_is_enforced_through_the_store_and_every_command_is_audited() {
    let w = world(DeskConfig::default()).await;
    let a = raise(
        &w.store,
        A,
        "door-forced",
        Severity::High,
        EntityKind::Door,
        "d1",
        0,
    )
    .await;
    w.desk.triage_once().await.unwrap();
    let before = w
        .store
        .audit_entries(&TenantScope::All, None, 1000)
        .await
        .unwrap()
        .len();
    w.desk
        .alarm_command(&op("alice"), a.id, AlarmCommand::Acknowledge)
        .await
        .unwrap();
    let err = w
        .desk
        .alarm_command(&op("bob"), a.id, AlarmCommand::Acknowledge)
        .await
        .unwrap_err();
    assert!(matches!(err, DeskError::NotOwner { .. }), "{err}");
    let taken = w
        .desk
        .alarm_command(
            &op("bob"),
            a.id,
            AlarmCommand::TakeOver {
                reason: "alice left the shift".into(),
            },
        )
        .await
        .unwrap();
    assert_eq!(taken.owner.as_deref(), Some("bob"));
    w.desk
        .alarm_command(
            &op("bob"),
            a.id,
            AlarmCommand::Close {
                verdict: Verdict::TruePositive,
                note: None,
            },
        )
        .await
        .unwrap();
    let entries = w
        .store
        .audit_entries(&TenantScope::All, None, 1000)
        .await
        .unwrap();
    let actions: Vec<&str> = entries[..entries.len() - before]
        .iter()
        .rev()
        .map(|e| e.action.as_str())
        .collect();
    // Acknowledging also started the SOP run for it; the refused command left nothing.
    assert_eq!(
        actions,
        [
            "alarm.acknowledge",
            "sop_run.start",
            "alarm.take_over",
            "alarm.close"
        ]
    );
    let take_over = entries
        .iter()
        .find(|e| e.action == "alarm.take_over")
        .unwrap();
    assert!(take_over.detail.contains("alice left the shift"));
    assert_eq!(take_over.actor, "bob");
    assert!(
        take_over.before.is_some()
            && take_over.after.is_some()
            && take_over.before != take_over.after
    );
    // The mirrored alert status agrees.
    let alert = w
        .store
        .alert(a.id, &TenantScope::All)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(alert.status, vigil_model::AlertStatus::Closed);
    let runs = w.desk.sop_runs(&op("bob"), a.id).await.unwrap();
    assert_eq!(runs.len(), 1);
}

#[tokio::test]
async fn suppressions_and_maintenance_close_new_alarms_until_they_end() {
    let w = world(DeskConfig::default()).await;
    let lead = Actor::person("lee", Role::ProviderLead, None);
    let client = Actor::person("facilities", Role::ClientAdmin, Some(tenant(A)));
    let now = t0();
    w.desk
        .declare_maintenance(
            &client,
            tenant(A),
            MaintenanceTarget::Device("cam-7".into()),
            now,
            now + Duration::hours(1),
            "lens cleaning",
        )
        .await
        .unwrap();
    let s = w
        .desk
        .suppress(
            &op("alice"),
            tenant(A),
            Some("noisy-rule".into()),
            None,
            None,
            now + Duration::minutes(30),
            "known bug, ticket 7",
        )
        .await
        .unwrap();
    let in_window = raise(
        &w.store,
        A,
        "cam-tamper",
        Severity::High,
        EntityKind::Camera,
        "cam-7",
        10,
    )
    .await;
    let other_cam = raise(
        &w.store,
        A,
        "cam-tamper",
        Severity::High,
        EntityKind::Camera,
        "cam-8",
        10,
    )
    .await;
    let noisy = raise(
        &w.store,
        A,
        "noisy-rule",
        Severity::Low,
        EntityKind::Host,
        "h1",
        10,
    )
    .await;
    let r = w.desk.triage_once().await.unwrap();
    assert_eq!((r.raised, r.suppressed), (3, 2));
    let get = |id| w.desk.alarm(&lead, id);
    let closed = get(in_window.id).await.unwrap();
    assert_eq!(closed.status, AlarmStatus::Closed);
    assert!(
        matches!(closed.closure, Some(Closure::Suppression { ref reason, .. }) if reason.contains("lens cleaning"))
    );
    assert_eq!(get(other_cam.id).await.unwrap().status, AlarmStatus::New);
    assert!(
        matches!(get(noisy.id).await.unwrap().closure, Some(Closure::Suppression { ref id, .. }) if id == &s.id)
    );
    // After expiry, the same rule raises again.
    w.clock.advance(Duration::minutes(31));
    let later = raise(
        &w.store,
        A,
        "noisy-rule",
        Severity::Low,
        EntityKind::Host,
        "h2",
        41,
    )
    .await;
    w.desk.triage_once().await.unwrap();
    assert_eq!(get(later.id).await.unwrap().status, AlarmStatus::New);
    // A suppressed alarm can be reopened into the queue, on the record.
    let back = w
        .desk
        .alarm_command(
            &lead,
            noisy.id,
            AlarmCommand::Reopen {
                reason: "check it anyway".into(),
            },
        )
        .await
        .unwrap();
    assert_eq!((back.status, back.owner), (AlarmStatus::New, None));
    assert_eq!(
        w.desk.suppressions(&lead, None).await.unwrap().len(),
        0,
        "expired"
    );
}

#[tokio::test]
async fn related_alarms_share_a_group() {
    let w = world(DeskConfig::default()).await;
    let cam = raise(
        &w.store,
        A,
        "cam-tamper",
        Severity::High,
        EntityKind::Camera,
        "cam-1",
        0,
    )
    .await;
    w.desk.triage_once().await.unwrap();
    let door = raise(
        &w.store,
        A,
        "door-forced",
        Severity::Critical,
        EntityKind::Door,
        "door-1",
        2,
    )
    .await;
    let elsewhere = raise(
        &w.store,
        B,
        "door-forced",
        Severity::Critical,
        EntityKind::Door,
        "door-1",
        2,
    )
    .await;
    let r = w.desk.triage_once().await.unwrap();
    assert_eq!(r.grouped, 1);
    let staff = op("x");
    let cam_alarm = w.desk.alarm(&staff, cam.id).await.unwrap();
    let door_alarm = w.desk.alarm(&staff, door.id).await.unwrap();
    assert_eq!(door_alarm.group, cam_alarm.group);
    assert_eq!(door_alarm.related, 1);
    assert_ne!(
        w.desk.alarm(&staff, elsewhere.id).await.unwrap().group,
        cam_alarm.group,
        "never across tenants"
    );
    assert_eq!(
        w.desk.group(&staff, &cam_alarm.group).await.unwrap().len(),
        2
    );
}

/// A pass reads a client's stored alarms once and again only for an alarm
/// looking further back: here the pass's first alarm (five hours later)
/// looks back less far than the second, which must still find the stored
/// camera alarm it relates to.
#[tokio::test]
async fn an_alarm_looking_further_back_than_the_pass_read_still_groups() {
    let w = world(DeskConfig::default()).await;
    let cam = raise(
        &w.store,
        A,
        "cam-tamper",
        Severity::High,
        EntityKind::Camera,
        "cam-1",
        0,
    )
    .await;
    w.desk.triage_once().await.unwrap();
    // Five hours on: an alarm looks back from its first evidence or now,
    // whichever is earlier.
    w.clock.advance(Duration::minutes(300));
    let late = raise(
        &w.store,
        A,
        "vpn-brute",
        Severity::Medium,
        EntityKind::User,
        "bob",
        300,
    )
    .await;
    let door = raise(
        &w.store,
        A,
        "door-forced",
        Severity::Critical,
        EntityKind::Door,
        "door-1",
        2,
    )
    .await;
    let r = w.desk.triage_once().await.unwrap();
    assert_eq!((r.raised, r.grouped), (2, 1));
    let staff = op("x");
    let cam_alarm = w.desk.alarm(&staff, cam.id).await.unwrap();
    assert_eq!(
        w.desk.alarm(&staff, door.id).await.unwrap().group,
        cam_alarm.group
    );
    assert_ne!(
        w.desk.alarm(&staff, late.id).await.unwrap().group,
        cam_alarm.group
    );
}

#[tokio::test]
async fn verdicts_train_the_model_and_it_closes_what_it_is_sure_of_reversibly() {
    let config = DeskConfig {
        auto_close_min_verdicts: 30,
        auto_close_threshold: 0.8,
        ..Default::default()
    };
    let w = world(config).await;
    let alice = op("alice");
    // Thirty false alarms from one noisy badge reader.
    for i in 0..30 {
        let a = raise(
            &w.store,
            A,
            "badge-denied",
            Severity::Medium,
            EntityKind::Door,
            "reader-9",
            i * 61,
        )
        .await;
        w.desk.triage_once().await.unwrap();
        w.desk
            .alarm_command(&alice, a.id, AlarmCommand::Acknowledge)
            .await
            .unwrap();
        w.desk
            .alarm_command(
                &alice,
                a.id,
                AlarmCommand::Close {
                    verdict: Verdict::FalsePositive,
                    note: None,
                },
            )
            .await
            .unwrap();
        w.clock.advance(Duration::minutes(61));
    }
    assert_eq!(w.desk.model().updates, 30);
    let next = raise(
        &w.store,
        A,
        "badge-denied",
        Severity::Medium,
        EntityKind::Door,
        "reader-9",
        40 * 61,
    )
    .await;
    let r = w.desk.triage_once().await.unwrap();
    assert_eq!(r.auto_closed, 1);
    let closed = w.desk.alarm(&alice, next.id).await.unwrap();
    assert!(
        matches!(closed.closure, Some(Closure::Model { probability, .. }) if probability >= 0.8)
    );
    let entry = w
        .store
        .audit_entries(&TenantScope::All, None, 5)
        .await
        .unwrap()
        .into_iter()
        .find(|e| e.object == format!("alarm/{}", next.id))
        .unwrap();
    assert_eq!(entry.actor, "system:triage");
    // Reversible: reopening puts it back into the queue.
    let back = w
        .desk
        .alarm_command(
            &alice,
            next.id,
            AlarmCommand::Reopen {
                reason: "double-check".into(),
            },
        )
        .await
        .unwrap();
    assert_eq!(back.status, AlarmStatus::New);
    // A critical alarm is never auto-closed.
    let critical = raise(
        &w.store,
        A,
        "badge-denied-critical",
        Severity::Critical,
        EntityKind::Door,
        "reader-9",
        41 * 61,
    )
    .await;
    w.desk.triage_once().await.unwrap();
    assert_eq!(
        w.desk.alarm(&alice, critical.id).await.unwrap().status,
        AlarmStatus::New
    );
    // Nor one another rule's alarm corroborates: the same noisy rule on the
    // same reader, a minute after a door was forced there, stays for a person.
    raise(
        &w.store,
        A,
        "door-forced",
        Severity::Critical,
        EntityKind::Door,
        "reader-9",
        43 * 61,
    )
    .await;
    let corroborated = raise(
        &w.store,
        A,
        "badge-denied",
        Severity::Medium,
        EntityKind::Door,
        "reader-9",
        43 * 61 + 1,
    )
    .await;
    w.desk.triage_once().await.unwrap();
    let kept = w.desk.alarm(&alice, corroborated.id).await.unwrap();
    assert!(kept.false_alarm.is_some_and(|p| p >= 0.8), "{kept:?}");
    assert_eq!(kept.status, AlarmStatus::New);
    // The model survives a restart.
    w.desk.save_model().await.unwrap();
    let again = vigil_desk::service::Desk::new(
        w.store.clone(),
        w.clock.clone(),
        DeskConfig::default(),
        None,
    )
    .await
    .unwrap();
    assert_eq!(again.model().updates, 30);
}

#[tokio::test]
async fn growth_after_an_alarm_changed_here_or_on_another_node_keeps_both_changes() {
    let w = world(DeskConfig::default()).await;
    let door = |min| {
        raise(
            &w.store,
            A,
            "door-forced",
            Severity::High,
            EntityKind::Door,
            "d1",
            min,
        )
    };
    let a = door(0).await;
    let r = w.desk.triage_once().await.unwrap();
    assert_eq!((r.raised, r.refreshed), (1, 0));
    door(2).await;
    let r = w.desk.triage_once().await.unwrap();
    assert_eq!((r.raised, r.refreshed), (0, 1));

    // Changed through this desk, then grown.
    w.desk
        .alarm_command(&op("alice"), a.id, AlarmCommand::Acknowledge)
        .await
        .unwrap();
    door(3).await;
    let r = w.desk.triage_once().await.unwrap();
    assert_eq!((r.raised, r.refreshed), (0, 1));
    let alarm = w.desk.alarm(&op("x"), a.id).await.unwrap();
    assert_eq!(alarm.status, AlarmStatus::Acknowledged);
    assert_eq!(alarm.event_count, 3);

    // Changed through another node's desk over the same store, then grown:
    // this desk's pass still succeeds and keeps the other node's change.
    let other = vigil_desk::service::Desk::new(
        w.store.clone(),
        w.clock.clone(),
        DeskConfig::default(),
        None,
    )
    .await
    .unwrap();
    other
        .alarm_command(
            &op("bob"),
            a.id,
            AlarmCommand::TakeOver {
                reason: "alice left the shift".into(),
            },
        )
        .await
        .unwrap();
    door(4).await;
    let r = w.desk.triage_once().await.unwrap();
    assert_eq!((r.changes, r.raised, r.refreshed), (1, 0, 1));
    let alarm = w.desk.alarm(&op("x"), a.id).await.unwrap();
    assert_eq!(alarm.owner.as_deref(), Some("bob"));
    assert_eq!(alarm.event_count, 4);
    assert_eq!(alarm.last_seen, t0() + Duration::minutes(4));
    assert_eq!(w.desk.triage_once().await.unwrap().changes, 0);

    // Grown again with nobody else writing: refreshed from memory.
    door(5).await;
    let r = w.desk.triage_once().await.unwrap();
    assert_eq!((r.raised, r.refreshed), (0, 1));
    assert_eq!(w.desk.alarm(&op("x"), a.id).await.unwrap().event_count, 5);
}
