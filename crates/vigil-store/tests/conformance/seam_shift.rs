//! The shift log's reads: provider-wide records (no tenant) listed by
//! status and from a time, newest first — and never in a client's scope,
//! listing or feed.

use crate::backend::Backend;
use crate::fixtures::*;
use serde_json::json;
use vigil_store::{DeskRecord, DeskWrite, RecordBody, RecordOrder, RecordQuery, TenantScope};

fn entry(id: &str, status: &str, min: i64) -> DeskRecord {
    DeskRecord {
        kind: "shift_entry".into(),
        id: id.into(),
        tenant: None,
        version: 0,
        status: status.into(),
        rank: 0.0,
        owner: Some("olga".into()),
        link: None,
        alert: None,
        at: t(min),
        due_at: None,
        updated_at: t(min),
        body: RecordBody::of(&json!({"id": id, "status": status})).unwrap(),
    }
}

pub async fn provider_wide_records_list_by_status_and_time_in_the_providers_scope_only(
    b: &mut Backend,
) {
    let store = b.store();
    configure(store).await;
    let mut write = DeskWrite::default();
    for (id, status, min) in [
        ("old-item", "open", 1),
        ("old-note", "note", 2),
        ("handover-1", "handover", 10),
        ("new-note", "note", 11),
        ("new-done", "done", 12),
        ("new-item", "open", 13),
    ] {
        write.records.push(entry(id, status, min));
    }
    store.desk_commit(write).await.unwrap();
    let ids = |v: Vec<DeskRecord>| v.into_iter().map(|r| r.id).collect::<Vec<_>>();

    // The current shift: since the last handover, newest first.
    let mut q = RecordQuery::new("shift_entry", TenantScope::All);
    q.statuses = vec!["note".into(), "open".into(), "done".into()];
    q.at_from = Some(t(10));
    q.order = RecordOrder::Newest;
    assert_eq!(
        ids(store.desk_records(&q).await.unwrap()),
        ["new-item", "new-done", "new-note"]
    );
    // Open items, whatever shift wrote them (the old one carried over).
    let mut q = RecordQuery::new("shift_entry", TenantScope::All);
    q.statuses = vec!["open".into()];
    q.order = RecordOrder::Newest;
    assert_eq!(
        ids(store.desk_records(&q).await.unwrap()),
        ["new-item", "old-item"]
    );
    // A client's scope reaches none of it.
    q.scope = TenantScope::One(tenant(A));
    q.statuses.clear();
    assert!(store.desk_records(&q).await.unwrap().is_empty());
    assert!(
        store
            .desk_record("shift_entry", "old-item", &TenantScope::One(tenant(A)))
            .await
            .unwrap()
            .is_none()
    );
    let feed = store
        .desk_feed(0, &TenantScope::One(tenant(A)), 100)
        .await
        .unwrap();
    assert!(feed.iter().all(|f| f.kind != "shift_entry"), "{feed:?}");
    let feed = store.desk_feed(0, &TenantScope::All, 100).await.unwrap();
    assert_eq!(feed.iter().filter(|f| f.kind == "shift_entry").count(), 6);

    // Marking an item done is a new version of it.
    let mut done = entry("old-item", "done", 1);
    done.version = 1;
    store
        .desk_commit(DeskWrite {
            records: vec![done],
            ..Default::default()
        })
        .await
        .unwrap();
    let mut q = RecordQuery::new("shift_entry", TenantScope::All);
    q.statuses = vec!["open".into()];
    assert_eq!(ids(store.desk_records(&q).await.unwrap()), ["new-item"]);
}
