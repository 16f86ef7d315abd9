//! Everything written comes back as it was: configuration, events, alerts
//! and dead letters.

use crate::backend::{Backend, Options};
use crate::fixtures::*;
use serde_json::json;
use vigil_model::{Site, SiteId, SourceBinding, SourceKind, Tenant};
use vigil_store::{
    AlertQuery, ApiToken, DeadLetterQuery, IngestBatch, Role, StoreError, TenantScope,
};

fn all_alerts() -> AlertQuery {
    AlertQuery::all_in(TenantScope::All, 100)
}

pub async fn configuration_round_trips(b: &mut Backend) {
    let store = b.store();
    configure(store).await;

    let tenants = store.tenants(&TenantScope::All).await.unwrap();
    assert_eq!(
        tenants,
        vec![
            Tenant {
                id: tenant(A),
                name: "alpha corp".into()
            },
            Tenant {
                id: tenant(B),
                name: "bravo corp".into()
            },
        ]
    );
    let sites = store.sites(&TenantScope::One(tenant(A))).await.unwrap();
    assert_eq!(
        sites,
        vec![Site {
            tenant: tenant(A),
            id: SiteId::new("hq").unwrap(),
            name: "Head office".into(),
            timezone: "Europe/London".into(),
        }]
    );
    let source = SourceBinding {
        id: source_id(A),
        tenant: tenant(A),
        site: Some(SiteId::new("hq").unwrap()),
        kind: SourceKind::SyslogTcp,
        product: "fortigate".into(),
    };
    assert_eq!(
        store.sources(&TenantScope::One(tenant(A))).await.unwrap(),
        vec![source.clone()]
    );
    assert_eq!(
        store.source_by_token(&token_hash(A)).await.unwrap(),
        Some(source.clone())
    );
    assert_eq!(
        store.source_by_token(&token_hash("nobody")).await.unwrap(),
        None
    );

    // Renaming keeps one row; an upsert without a token keeps the old one.
    store
        .upsert_tenant(&Tenant {
            id: tenant(A),
            name: "Alpha Ltd".into(),
        })
        .await
        .unwrap();
    let renamed = SourceBinding {
        product: "paloalto".into(),
        kind: SourceKind::Http,
        ..source
    };
    store.upsert_source(&renamed, None).await.unwrap();
    assert_eq!(
        store.source_by_token(&token_hash(A)).await.unwrap(),
        Some(renamed)
    );
    assert_eq!(
        store.tenants(&TenantScope::One(tenant(A))).await.unwrap(),
        vec![Tenant {
            id: tenant(A),
            name: "Alpha Ltd".into()
        }]
    );

    for (role, scope) in [
        (Role::ProviderAdmin, None),
        (Role::ClientViewer, Some(tenant(B))),
    ] {
        let token = ApiToken {
            name: format!("{}-token", role.as_str()),
            role,
            tenant: scope,
            hash: token_hash(role.as_str()),
        };
        store.upsert_api_token(&token).await.unwrap();
        assert_eq!(store.api_token(&token.hash).await.unwrap(), Some(token));
    }
    assert_eq!(store.api_token(&token_hash("missing")).await.unwrap(), None);
}

pub async fn references_to_missing_configuration_are_named(b: &mut Backend) {
    let store = b.store();
    let site = Site {
        tenant: tenant("ghost"),
        id: SiteId::new("hq").unwrap(),
        name: "x".into(),
        timezone: "UTC".into(),
    };
    match store.upsert_site(&site).await {
        Err(StoreError::NotFound { what: "tenant", id }) => assert_eq!(id, "ghost"),
        other => panic!("expected NotFound tenant, got {other:?}"),
    }
    configure(store).await;
    let source = SourceBinding {
        id: source_id("x"),
        tenant: tenant(A),
        site: Some(SiteId::new("annex").unwrap()),
        kind: SourceKind::File,
        product: "csv".into(),
    };
    match store.upsert_source(&source, None).await {
        Err(StoreError::NotFound { what: "site", id }) => assert_eq!(id, "alpha/annex"),
        other => panic!("expected NotFound site, got {other:?}"),
    }
    // The failed writes changed nothing.
    assert_eq!(store.sources(&TenantScope::All).await.unwrap().len(), 2);
}

pub async fn events_alerts_and_dead_letters_round_trip(b: &mut Backend) {
    let store = b.store();
    configure(store).await;
    let mut e1 = event(A, 100, logon_fields("bob"));
    e1.site = None;
    e1.source.device = None;
    let e2 = event(
        A,
        200,
        json!({"msg": "ünïcode ✓", "nested": {"deep": [1, 2.5, null]}}),
    );
    let alert = alert(A, "r1", "fw01", 0);
    let mut batch = batch(vec![e1.clone(), e2.clone()]);
    batch.detections = vec![detection(alert.clone(), &[(&e1, 11), (&e2, 22)])];
    batch.dead_letters = vec![dead_letter(A, 300, b"{\"broken\": \xff")];
    let receipt = store.commit(batch).await.unwrap();
    assert_eq!(receipt.events_written, 2);
    assert_eq!(receipt.dead_letters_written, 1);
    assert_eq!(receipt.alerts_created, vec![alert.id]);
    assert!(receipt.alerts_updated.is_empty());

    let scope = TenantScope::One(tenant(A));
    let got = store.events_by_id(&[e2.id, e1.id], &scope).await.unwrap();
    assert_eq!(got, vec![e2.clone(), e1.clone()]);

    let stored = store.alert(alert.id, &scope).await.unwrap().unwrap();
    let expected = vigil_model::Alert {
        event_count: 2,
        evidence: vec![e1.id, e2.id],
        ..alert.clone()
    };
    assert_eq!(stored, expected);
    assert_eq!(
        store.alerts(&all_alerts()).await.unwrap().items,
        vec![expected]
    );

    let dls = store
        .dead_letters(&DeadLetterQuery {
            scope,
            source: None,
            cursor: None,
            limit: 10,
        })
        .await
        .unwrap();
    assert_eq!(dls.items.len(), 1);
    let dl = &dls.items[0];
    assert!(dl.id > 0);
    assert_eq!(
        dl,
        &vigil_model::DeadLetter {
            id: dl.id,
            ..dead_letter(A, 300, b"{\"broken\": \xff")
        }
    );
}

pub async fn long_dead_letters_are_cut_to_the_limit_with_a_note(b: &mut Backend) {
    let limited = b
        .variant(Options {
            max_dead_letter_bytes: 8,
        })
        .await;
    let store = limited.store();
    let batch = IngestBatch {
        dead_letters: vec![dead_letter(A, 1, b"0123456789abcdef")],
        ..IngestBatch::default()
    };
    store.commit(batch).await.unwrap();
    let page = store
        .dead_letters(&DeadLetterQuery {
            scope: TenantScope::All,
            source: None,
            cursor: None,
            limit: 10,
        })
        .await
        .unwrap();
    assert_eq!(page.items[0].raw, b"01234567");
    assert!(
        page.items[0]
            .reason
            .ends_with("(raw input truncated from 16 to 8 bytes)"),
        "{}",
        page.items[0].reason
    );
}
