//! Tenant scoping on every read, and pagination that visits every row once.

use std::collections::HashSet;

use crate::backend::Backend;
use crate::fixtures::*;
use serde_json::json;
use vigil_model::{AlertStatus, Severity};
use vigil_store::{
    AlertQuery, Cursor, DeadLetterQuery, EventQuery, IngestBatch, NodeStore, StoreError,
    TenantScope,
};

fn alerts_query(scope: TenantScope, limit: usize) -> AlertQuery {
    AlertQuery::all_in(scope, limit)
}

fn events_query(scope: TenantScope, limit: usize) -> EventQuery {
    EventQuery {
        scope,
        from: None,
        to: None,
        fields: vec![],
        cursor: None,
        limit,
    }
}

fn dead_letters_query(scope: TenantScope, limit: usize) -> DeadLetterQuery {
    DeadLetterQuery {
        scope,
        source: None,
        cursor: None,
        limit,
    }
}

/// Both tenants get events, an alert and a dead letter.
async fn two_tenants(store: &dyn NodeStore) {
    configure(store).await;
    for (i, id) in [A, B].into_iter().enumerate() {
        let e = event(id, 10 * i as i64, logon_fields("shared-user"));
        let mut b = batch(vec![e.clone()]);
        b.detections = vec![detection(alert(id, "r1", "h", 0), &[(&e, 1)])];
        b.dead_letters = vec![dead_letter(id, 5, b"junk")];
        store.commit(b).await.unwrap();
    }
}

pub async fn a_scoped_caller_sees_only_its_own_tenant(b: &mut Backend) {
    let store = b.store();
    two_tenants(store).await;
    let a = TenantScope::One(tenant(A));

    let tenants = store.tenants(&a).await.unwrap();
    assert_eq!(
        tenants.iter().map(|t| t.id.as_str()).collect::<Vec<_>>(),
        [A]
    );
    assert!(
        store
            .sites(&a)
            .await
            .unwrap()
            .iter()
            .all(|s| s.tenant.as_str() == A)
    );
    assert_eq!(store.sites(&a).await.unwrap().len(), 1);
    assert!(
        store
            .sources(&a)
            .await
            .unwrap()
            .iter()
            .all(|s| s.tenant.as_str() == A)
    );
    assert_eq!(store.sources(&a).await.unwrap().len(), 1);

    let alerts = store
        .alerts(&alerts_query(a.clone(), 100))
        .await
        .unwrap()
        .items;
    assert_eq!(alerts.len(), 1);
    assert_eq!(alerts[0].tenant.as_str(), A);
    let b_alert = alert(B, "r1", "h", 0).id;
    assert_eq!(store.alert(b_alert, &a).await.unwrap(), None);
    assert!(
        store
            .alert(b_alert, &TenantScope::All)
            .await
            .unwrap()
            .is_some()
    );

    let events = store
        .events(&events_query(a.clone(), 100))
        .await
        .unwrap()
        .items;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].tenant.as_str(), A);
    let all = store
        .events(&events_query(TenantScope::All, 100))
        .await
        .unwrap()
        .items;
    assert_eq!(all.len(), 2);
    let b_event = all.iter().find(|e| e.tenant.as_str() == B).unwrap().id;
    assert!(store.events_by_id(&[b_event], &a).await.unwrap().is_empty());
    assert_eq!(
        store
            .events_by_id(&[b_event], &TenantScope::All)
            .await
            .unwrap()
            .len(),
        1
    );

    // A field search that matches both tenants' data still stays in scope.
    let mut q = events_query(a.clone(), 100);
    q.fields = vec![vigil_store::FieldFilter {
        field: "TargetUserName".into(),
        value: "shared-user".into(),
    }];
    let found = store.events(&q).await.unwrap().items;
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].tenant.as_str(), A);

    let dls = store
        .dead_letters(&dead_letters_query(a.clone(), 100))
        .await
        .unwrap()
        .items;
    assert_eq!(dls.len(), 1);
    assert_eq!(dls[0].tenant.as_str(), A);
    // Naming another tenant's source does not widen the scope.
    let mut q = dead_letters_query(a, 100);
    q.source = Some(source_id(B));
    assert!(store.dead_letters(&q).await.unwrap().items.is_empty());
}

pub async fn alert_filters_select_what_they_say(b: &mut Backend) {
    let store = b.store();
    configure(store).await;
    let mut low = alert(A, "low-rule", "h", 0);
    low.severity = Severity::Low;
    let mut closed = alert(A, "closed-rule", "h", 3_600);
    closed.status = AlertStatus::Closed;
    let late = alert(A, "late-rule", "h", 7_200);
    let b = IngestBatch {
        detections: [&low, &closed, &late]
            .into_iter()
            .map(|a| detection(a.clone(), &[]))
            .collect(),
        ..IngestBatch::default()
    };
    store.commit(b).await.unwrap();
    let ids = |page: vigil_store::Page<vigil_model::Alert>| {
        page.items
            .into_iter()
            .map(|a| a.rule_id)
            .collect::<Vec<_>>()
    };
    let all = TenantScope::All;

    let mut q = alerts_query(all.clone(), 10);
    q.min_severity = Some(Severity::Medium);
    assert_eq!(
        ids(store.alerts(&q).await.unwrap()),
        ["late-rule", "closed-rule"]
    );

    let mut q = alerts_query(all.clone(), 10);
    q.status = Some(AlertStatus::Closed);
    assert_eq!(ids(store.alerts(&q).await.unwrap()), ["closed-rule"]);

    // Last seen at or after `since`: 3_600 + 20 is the closed alert's.
    let mut q = alerts_query(all.clone(), 10);
    q.since = Some(t(3_620));
    assert_eq!(
        ids(store.alerts(&q).await.unwrap()),
        ["late-rule", "closed-rule"]
    );

    // First seen before `until`: 3_600 + 10 is the closed alert's.
    let mut q = alerts_query(all, 10);
    q.until = Some(t(3_610));
    assert_eq!(ids(store.alerts(&q).await.unwrap()), ["low-rule"]);
}

pub async fn paging_visits_every_row_exactly_once(b: &mut Backend) {
    let store = b.store();
    configure(store).await;
    // Many events share an observed time, so ties must break by sequence.
    for round in 0..5 {
        let mut events = Vec::new();
        for i in 0..40 {
            let tenant_id = if i % 3 == 0 { B } else { A };
            events.push(event(
                tenant_id,
                (i % 7) + round,
                json!({"i": i, "round": round}),
            ));
        }
        let mut b = batch(events);
        b.detections = (0..9)
            .map(|i| detection(alert(A, &format!("r{round}-{i}"), "h", 0), &[]))
            .collect();
        b.dead_letters = (0..7).map(|i| dead_letter(B, i, b"x")).collect();
        store.commit(b).await.unwrap();
    }

    for (scope, expected) in [
        (TenantScope::All, 200),
        (TenantScope::One(tenant(A)), 130),
        (TenantScope::One(tenant(B)), 70),
    ] {
        let mut q = events_query(scope.clone(), 17);
        let mut seen = HashSet::new();
        let mut last: Option<(chrono::DateTime<chrono::Utc>, usize)> = None;
        loop {
            let page = store.events(&q).await.unwrap();
            assert!(page.items.len() <= 17);
            for e in &page.items {
                assert!(scope.allows(&e.tenant));
                assert!(seen.insert(e.id), "event {} seen twice", e.id);
                if let Some((prev, _)) = last {
                    assert!(e.observed_at <= prev, "newest observed first");
                }
                last = Some((e.observed_at, seen.len()));
            }
            match page.next_cursor {
                Some(c) => q.cursor = Some(Cursor::decode(&c).unwrap()),
                None => break,
            }
        }
        assert_eq!(seen.len(), expected, "{scope:?}");
    }

    let mut q = alerts_query(TenantScope::One(tenant(A)), 4);
    let mut seen = HashSet::new();
    loop {
        let page = store.alerts(&q).await.unwrap();
        for a in &page.items {
            assert!(seen.insert(a.id));
        }
        match page.next_cursor {
            Some(c) => q.cursor = Some(Cursor::decode(&c).unwrap()),
            None => break,
        }
    }
    assert_eq!(seen.len(), 45);

    let mut q = dead_letters_query(TenantScope::All, 6);
    let mut seen = HashSet::new();
    let mut pages = 0;
    loop {
        let page = store.dead_letters(&q).await.unwrap();
        pages += 1;
        for d in &page.items {
            assert!(seen.insert(d.id));
        }
        match page.next_cursor {
            Some(c) => q.cursor = Some(Cursor::decode(&c).unwrap()),
            None => break,
        }
    }
    assert_eq!(seen.len(), 35);
    // 35 rows in pages of 6: the last page is short and ends the walk.
    assert_eq!(pages, 6);
}

pub async fn an_exactly_full_last_page_has_no_next_cursor(b: &mut Backend) {
    let store = b.store();
    store
        .commit(batch((0..4).map(|i| event(A, i, json!({}))).collect()))
        .await
        .unwrap();
    let page = store
        .events(&events_query(TenantScope::All, 4))
        .await
        .unwrap();
    assert_eq!(page.items.len(), 4);
    assert_eq!(page.next_cursor, None);
}

pub async fn cursors_the_store_never_issues_are_refused(b: &mut Backend) {
    let store = b.store();
    let mut q = alerts_query(TenantScope::All, 5);
    q.cursor = Some(Cursor { key: 7, seq: 1 });
    assert!(matches!(
        store.alerts(&q).await,
        Err(StoreError::BadCursor(_))
    ));
    let mut q = dead_letters_query(TenantScope::All, 5);
    q.cursor = Some(Cursor { key: -1, seq: 1 });
    assert!(matches!(
        store.dead_letters(&q).await,
        Err(StoreError::BadCursor(_))
    ));
}
