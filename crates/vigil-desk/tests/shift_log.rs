//! The shift log through the desk service on a real store: notes and items
//! in the current shift, a handover starting the next one, open items
//! carried over until done, every write audited, and no client user
//! reading or writing it.

mod common;

use chrono::Duration;
use common::{A, tenant, world};
use vigil_desk::shift::EntryKind;
use vigil_desk::{Actor, DeskConfig, DeskError};
use vigil_store::{Role, TenantScope};

#[tokio::test]
async fn open_items_carry_over_a_handover_until_done() {
    let w = world(DeskConfig::default()).await;
    let olga = Actor::person("olga", Role::ProviderOperator, None);
    let petra = Actor::person("petra", Role::ProviderLead, None);
    let d = &w.desk;

    d.write_shift_entry(
        &olga,
        EntryKind::Note,
        "Fire panel test at northgate until 03:00",
        Some(tenant(A)),
    )
    .await
    .unwrap();
    w.clock.advance(Duration::minutes(5));
    let item = d
        .write_shift_entry(
            &olga,
            EntryKind::Item,
            "Call the guard company back about door 4",
            None,
        )
        .await
        .unwrap();
    let log = d.shift_log(&olga, 5).await.unwrap();
    assert_eq!(log.since, None);
    assert_eq!(log.entries.len(), 2);
    assert_eq!(log.entries[0].id, item.id, "newest first");
    assert_eq!(log.open.len(), 1);

    w.clock.advance(Duration::hours(8));
    let handover = d
        .hand_over(&olga, "Quiet night; door 4 still open", Some("petra"))
        .await
        .unwrap();
    w.clock.advance(Duration::minutes(1));
    d.write_shift_entry(&petra, EntryKind::Note, "Took over", None)
        .await
        .unwrap();
    let log = d.shift_log(&petra, 5).await.unwrap();
    assert_eq!(log.since, Some(handover.at));
    assert_eq!(log.handovers[0].handed_to.as_deref(), Some("petra"));
    assert_eq!(
        log.entries.len(),
        1,
        "the old shift's notes are not this shift's"
    );
    assert_eq!(log.open.len(), 1, "the item is carried over");
    assert!(log.open[0].at < handover.at);

    let done = d.complete_shift_item(&petra, &item.id).await.unwrap();
    assert_eq!(done.done.as_ref().unwrap().by, "petra");
    assert!(d.shift_log(&petra, 5).await.unwrap().open.is_empty());
    assert!(matches!(
        d.complete_shift_item(&petra, &item.id).await,
        Err(DeskError::Transition { .. })
    ));

    let actions: Vec<String> = w
        .desk
        .store()
        .audit_entries(&TenantScope::All, None, 100)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.action)
        .collect();
    for a in [
        "shift_entry.write",
        "shift_entry.handover",
        "shift_entry.complete",
    ] {
        assert!(actions.iter().any(|x| x == a), "{a} in {actions:?}");
    }
}

#[tokio::test]
async fn client_users_have_no_shift_log() {
    let w = world(DeskConfig::default()).await;
    let olga = Actor::person("olga", Role::ProviderOperator, None);
    let item = w
        .desk
        .write_shift_entry(&olga, EntryKind::Item, "x", None)
        .await
        .unwrap();
    let client = Actor::person("cat", Role::ClientAdmin, Some(tenant(A)));
    assert!(matches!(
        w.desk.shift_log(&client, 5).await,
        Err(DeskError::Forbidden { .. })
    ));
    assert!(matches!(
        w.desk
            .write_shift_entry(&client, EntryKind::Note, "hello", None)
            .await,
        Err(DeskError::Forbidden { .. })
    ));
    assert!(matches!(
        w.desk.complete_shift_item(&client, &item.id).await,
        Err(DeskError::Forbidden { .. })
    ));
    assert!(matches!(
        w.desk.hand_over(&client, "bye", None).await,
        Err(DeskError::Forbidden { .. })
    ));
}
