//! Data governance at the seam: one class of one client deleted before a
//! cutoff, what is held spared, and the proof in the audit chain.

use crate::backend::Backend;
use crate::fixtures::*;
use serde_json::json;
use vigil_model::AlertId;
use vigil_store::governance::{DataClass, ExpiryRequest, verify_deletion};
use vigil_store::{
    AlertQuery, DeadLetterQuery, DeskRecord, DeskWrite, EventQuery, NodeStore, RecordBody,
    RecordQuery, TenantScope,
};

fn record(kind: &str, id: &str, tenant_id: &str, status: &str) -> DeskRecord {
    DeskRecord {
        kind: kind.into(),
        id: id.into(),
        tenant: Some(tenant(tenant_id)),
        version: 0,
        status: status.into(),
        rank: 1.0,
        owner: None,
        link: None,
        alert: None,
        at: t(0),
        due_at: None,
        updated_at: t(0),
        body: RecordBody::of(&json!({"id": id})).unwrap(),
    }
}

fn expiry(class: DataClass, tenant_id: &str, before: i64) -> ExpiryRequest {
    ExpiryRequest {
        class,
        tenant: tenant(tenant_id),
        before: t(before),
        keep_alerts: Vec::new(),
        keep_incidents: Vec::new(),
        limit: 1_000,
        actor: "system:retention".into(),
        action: "retention.delete".into(),
        at: t(5_000),
    }
}

async fn event_ids(store: &dyn NodeStore, tenant_id: &str) -> Vec<String> {
    let page = store
        .events(&EventQuery {
            scope: TenantScope::One(tenant(tenant_id)),
            from: None,
            to: None,
            fields: vec![],
            cursor: None,
            limit: vigil_store::MAX_PAGE_SIZE,
        })
        .await
        .unwrap();
    let mut ids: Vec<String> = page.items.iter().map(|e| e.id.to_string()).collect();
    ids.sort();
    ids
}

async fn kinds(store: &dyn NodeStore, kind: &str) -> Vec<String> {
    let mut ids: Vec<String> = store
        .desk_records(&RecordQuery::new(kind, TenantScope::All))
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.id)
        .collect();
    ids.sort();
    ids
}

/// Each class of client A before the cutoff goes — not B's, not newer
/// records, not held ones, not open incidents — with what hangs off it;
/// each deletion's proof is in the audit chain and verifies against the
/// ids it returned; a second pass deletes and records nothing.
pub async fn expiry_deletes_one_class_of_one_client_and_records_the_proof(b: &mut Backend) {
    let store = b.store();
    configure(store).await;
    let old_a: Vec<_> = (0..10).map(|i| event(A, i, json!({}))).collect();
    let new_a: Vec<_> = (1_000..1_005).map(|i| event(A, i, json!({}))).collect();
    let old_b: Vec<_> = (0..10).map(|i| event(B, i, json!({}))).collect();
    let held = alert(A, "held", "h", 0);
    let gone = alert(A, "gone", "g", 0);
    let mut write = batch([old_a.clone(), new_a.clone(), old_b.clone()].concat());
    write.detections = vec![
        detection(held.clone(), &[(&old_a[0], 1)]),
        detection(gone.clone(), &[(&old_a[1], 2)]),
    ];
    write.dead_letters = vec![
        dead_letter(A, 1, b"x"),
        dead_letter(A, 2, b"y"),
        dead_letter(A, 2_000, b"new"),
        dead_letter(B, 1, b"z"),
    ];
    store.commit(write).await.unwrap();
    let mut alarm = record("alarm", &gone.id.to_string(), A, "closed");
    alarm.alert = Some(gone.id);
    let mut crossing = record("sla_crossing", "c1", A, "breached");
    crossing.link = Some(format!("alarm:{}", gone.id));
    let mut delivery = record("delivery", "d1", A, "sent");
    delivery.link = Some("inc-old".into());
    store
        .desk_commit(DeskWrite {
            records: vec![
                record("incident", "inc-old", A, "closed"),
                record("incident", "inc-held", A, "closed"),
                record("incident", "inc-open", A, "triaged"),
                record("incident", "inc-b", B, "closed"),
                alarm,
                crossing,
                delivery,
            ],
            ..Default::default()
        })
        .await
        .unwrap();

    let mut deletions = Vec::new();
    let mut incidents = expiry(DataClass::Incidents, A, 500);
    incidents.keep_incidents = vec!["inc-held".into()];
    let d = store.delete_expired(&incidents).await.unwrap();
    assert_eq!(d.ids, ["inc-old"]);
    assert_eq!(
        kinds(store, "incident").await,
        ["inc-b", "inc-held", "inc-open"]
    );
    assert_eq!(kinds(store, "delivery").await, Vec::<String>::new());
    deletions.push(d);

    let mut alerts = expiry(DataClass::Alerts, A, 500);
    alerts.keep_alerts = vec![held.id];
    let d = store.delete_expired(&alerts).await.unwrap();
    assert_eq!(d.ids, [gone.id.to_string()]);
    let left = store
        .alerts(&AlertQuery::all_in(TenantScope::All, 10))
        .await
        .unwrap();
    assert_eq!(
        left.items.iter().map(|a| a.id).collect::<Vec<AlertId>>(),
        [held.id]
    );
    assert_eq!(kinds(store, "alarm").await, Vec::<String>::new());
    assert_eq!(kinds(store, "sla_crossing").await, Vec::<String>::new());
    deletions.push(d);

    // In batches: a full batch means "call again".
    let mut events = expiry(DataClass::Events, A, 500);
    events.keep_alerts = vec![held.id];
    events.limit = 4;
    let first = store.delete_expired(&events).await.unwrap();
    assert_eq!(first.ids.len(), 4);
    let second = store.delete_expired(&events).await.unwrap();
    assert_eq!(second.ids.len(), 4);
    let third = store.delete_expired(&events).await.unwrap();
    assert_eq!(third.ids.len(), 1, "fewer than a batch: none left");
    let mut expected: Vec<String> = old_a[1..].iter().map(|e| e.id.to_string()).collect();
    expected.sort();
    let mut got = [first.ids.clone(), second.ids.clone(), third.ids.clone()].concat();
    got.sort();
    assert_eq!(
        got, expected,
        "every old event of A but the held alert's evidence"
    );
    let mut kept: Vec<String> = std::iter::once(&old_a[0])
        .chain(new_a.iter())
        .map(|e| e.id.to_string())
        .collect();
    kept.sort();
    assert_eq!(event_ids(store, A).await, kept);
    assert_eq!(
        event_ids(store, B).await.len(),
        10,
        "B's events are untouched"
    );
    deletions.push(first);
    deletions.push(second);
    deletions.push(third);

    let d = store
        .delete_expired(&expiry(DataClass::DeadLetters, A, 500))
        .await
        .unwrap();
    assert_eq!(d.ids.len(), 2);
    let letters = store
        .dead_letters(&DeadLetterQuery {
            scope: TenantScope::All,
            source: None,
            cursor: None,
            limit: 10,
        })
        .await
        .unwrap();
    assert_eq!(letters.items.len(), 2, "A's new one and B's");
    deletions.push(d);

    // Every deletion's proof is an audit entry of A's that verifies.
    let entries = store
        .audit_entries(&TenantScope::One(tenant(A)), None, 100)
        .await
        .unwrap();
    assert_eq!(entries.len(), deletions.len());
    for d in &deletions {
        let seq = d.audit_seq.expect("a deletion is recorded");
        let entry = entries.iter().find(|e| e.seq == seq).unwrap();
        assert_eq!(entry.action, "retention.delete");
        let proof = verify_deletion(entry, &d.ids).unwrap();
        assert_eq!(proof, d.proof);
        assert!(verify_deletion(entry, &d.ids[1..]).is_err());
    }
    assert!(b.verify_audit(&[]).await.is_ok());

    // Nothing left to delete: nothing deleted, nothing recorded.
    for class in DataClass::ALL {
        let mut again = expiry(class, A, 500);
        again.keep_alerts = vec![held.id];
        again.keep_incidents = vec!["inc-held".into()];
        let d = store.delete_expired(&again).await.unwrap();
        assert!(d.ids.is_empty(), "{class}: {:?}", d.ids);
        assert_eq!(d.audit_seq, None);
    }
    let after = store
        .audit_entries(&TenantScope::All, None, 100)
        .await
        .unwrap();
    assert_eq!(after.len(), deletions.len());
}

/// Purging a client deletes every row of it that is left — desk records
/// of every kind, the estate, tokens, sources, sites and the client — and
/// records the purge; the other client keeps everything, and the audit
/// chain (the purged client's entries included) still verifies.
pub async fn purging_a_client_leaves_nothing_of_it_and_everything_of_the_others(b: &mut Backend) {
    let store = b.store();
    configure(store).await;
    for id in [A, B] {
        let mut write = batch(vec![event(id, 1, json!({})), event(id, 2, json!({}))]);
        write.detections = vec![detection(alert(id, "r", "h", 0), &[])];
        write.dead_letters = vec![dead_letter(id, 1, b"x")];
        store.commit(write).await.unwrap();
        store
            .desk_commit(DeskWrite {
                records: vec![
                    record("incident", &format!("inc-{id}"), id, "triaged"),
                    record("suppression", &format!("sup-{id}"), id, "active"),
                ],
                audit: vec![vigil_store::audit::AuditRecord {
                    at: t(3),
                    actor: "alice".into(),
                    tenant: Some(tenant(id)),
                    action: "incident.open".into(),
                    object: format!("incident/inc-{id}"),
                    before: None,
                    after: None,
                    detail: json!(null),
                }],
                ..Default::default()
            })
            .await
            .unwrap();
        store
            .replace_people(
                &tenant(id),
                &[vigil_store::PersonRecord {
                    tenant: tenant(id),
                    id: "p1".into(),
                    name: "Person".into(),
                    status: vigil_store::PersonStatus::Active,
                    status_from: None,
                    status_until: None,
                    badges: vec!["b1".into()],
                    accounts: vec!["a1".into()],
                }],
            )
            .await
            .unwrap();
        store
            .upsert_devices(&[vigil_store::DeviceRecord {
                tenant: tenant(id),
                id: "cam-1".into(),
                site: None,
                kind: "camera".into(),
                zone: None,
                name: None,
                covers_door: None,
                heartbeat_secs: None,
            }])
            .await
            .unwrap();
        store
            .upsert_api_token(&vigil_store::ApiToken {
                name: format!("{id}-viewer"),
                role: vigil_store::Role::ClientViewer,
                tenant: Some(tenant(id)),
                hash: token_hash(&format!("{id}-viewer")),
            })
            .await
            .unwrap();
    }

    let purge = store
        .purge_tenant(&tenant(A), "admin", t(10))
        .await
        .unwrap();
    assert_eq!(purge.desk_records, 2);
    for table in [
        "events",
        "alerts",
        "dead_letters",
        "people",
        "devices",
        "api_tokens",
        "sources",
        "sites",
        "tenants",
    ] {
        assert!(
            purge.rows.get(table).is_some_and(|n| *n > 0),
            "{table}: {:?}",
            purge.rows
        );
    }
    let mut records = vec![format!("incident/inc-{A}"), format!("suppression/sup-{A}")];
    assert_eq!(
        purge.desk_records_sha256,
        hex::encode(vigil_store::governance::ids_digest(&mut records))
    );

    let a = TenantScope::One(tenant(A));
    assert!(
        store
            .tenants(&TenantScope::All)
            .await
            .unwrap()
            .iter()
            .all(|t| t.id != tenant(A))
    );
    assert!(event_ids(store, A).await.is_empty());
    assert!(
        store
            .alerts(&AlertQuery::all_in(a.clone(), 10))
            .await
            .unwrap()
            .items
            .is_empty()
    );
    assert!(store.people(&a).await.unwrap().is_empty());
    assert!(store.devices(&a).await.unwrap().is_empty());
    assert!(store.sources(&a).await.unwrap().is_empty());
    assert!(
        store
            .api_token(&token_hash(&format!("{A}-viewer")))
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        store
            .source_by_token(&token_hash(A))
            .await
            .unwrap()
            .is_none()
    );
    assert!(kinds(store, "incident").await == [format!("inc-{B}")]);

    let bs = TenantScope::One(tenant(B));
    assert_eq!(event_ids(store, B).await.len(), 2);
    assert_eq!(
        store
            .alerts(&AlertQuery::all_in(bs.clone(), 10))
            .await
            .unwrap()
            .items
            .len(),
        1
    );
    assert_eq!(store.people(&bs).await.unwrap().len(), 1);
    assert_eq!(store.devices(&bs).await.unwrap().len(), 1);
    assert!(
        store
            .api_token(&token_hash(&format!("{B}-viewer")))
            .await
            .unwrap()
            .is_some()
    );

    let entries = store.audit_entries(&a, None, 10).await.unwrap();
    let recorded = entries.iter().find(|e| e.seq == purge.audit_seq).unwrap();
    assert_eq!(recorded.action, "offboard.purge");
    assert_eq!(entries.len(), 2, "the client's audit entries stay");
    assert!(b.verify_audit(&[]).await.is_ok());
}

/// Every stored API token is listed, by name, with its role and client —
/// what an access review starts from.
pub async fn every_stored_token_is_listed_by_name(b: &mut Backend) {
    let store = b.store();
    configure(store).await;
    for (name, role, t) in [
        ("zed", vigil_store::Role::ProviderOperator, None),
        ("amy", vigil_store::Role::ClientAdmin, Some(A)),
        ("bob", vigil_store::Role::ClientViewer, Some(B)),
    ] {
        store
            .upsert_api_token(&vigil_store::ApiToken {
                name: name.into(),
                role,
                tenant: t.map(tenant),
                hash: token_hash(name),
            })
            .await
            .unwrap();
    }
    let tokens = store.api_tokens().await.unwrap();
    let listed: Vec<(&str, &str, Option<&str>)> = tokens
        .iter()
        .map(|t| {
            (
                t.name.as_str(),
                t.role.as_str(),
                t.tenant.as_ref().map(|t| t.as_str()),
            )
        })
        .collect();
    assert_eq!(
        listed,
        [
            ("amy", "client_admin", Some(A)),
            ("bob", "client_viewer", Some(B)),
            ("zed", "provider_operator", None),
        ]
    );
    assert!(tokens.iter().all(|t| t.hash == token_hash(&t.name)));
}

/// The number of day partitions on PostgreSQL (`None` on SQLite).
async fn partitions(b: &Backend) -> Option<i64> {
    let (url, schema) = b.postgres_schema()?;
    let rows = crate::backend::execute(
        url,
        &format!("SELECT count(*) FROM {schema}.event_partitions"),
    )
    .await;
    rows.iter().find_map(|m| match m {
        tokio_postgres::SimpleQueryMessage::Row(r) => r.get(0).and_then(|v| v.parse().ok()),
        _ => None,
    })
}

/// Retention per client empties a day only when the last client's events
/// of it go; on PostgreSQL the day's partition is then dropped (and made
/// again if an event of that day arrives later).
pub async fn a_day_emptied_by_every_client_s_retention_is_dropped(b: &mut Backend) {
    let store = b.store();
    let day = chrono::Duration::days(1);
    let now = chrono::Utc::now();
    let mut events = Vec::new();
    for id in [A, B] {
        for days_ago in [5, 4, 2] {
            let mut e = event(id, 0, json!({ "d": days_ago }));
            e.observed_at = now - day * days_ago;
            events.push(e);
        }
    }
    store.commit(batch(events)).await.unwrap();
    let at_start = partitions(b).await;
    let mut request = expiry(DataClass::Events, A, 0);
    request.before = now - day * 3;
    assert_eq!(store.delete_expired(&request).await.unwrap().ids.len(), 2);
    assert_eq!(
        partitions(b).await,
        at_start,
        "B still has events of those days"
    );
    request.tenant = tenant(B);
    assert_eq!(store.delete_expired(&request).await.unwrap().ids.len(), 2);
    assert_eq!(
        partitions(b).await,
        at_start.map(|n| n - 2),
        "both days dropped"
    );
    assert_eq!(event_ids(store, A).await.len(), 1);
    assert_eq!(event_ids(store, B).await.len(), 1);

    let mut late = event(A, 0, json!({ "late": true }));
    late.observed_at = now - day * 5;
    store.commit(batch(vec![late])).await.unwrap();
    assert_eq!(
        event_ids(store, A).await.len(),
        2,
        "an old day can come back"
    );
}
