//! Everything written comes back as it was, and stays after a reopen.

mod common;

use common::*;
use serde_json::json;
use vigil_model::{Site, SiteId, SourceBinding, SourceKind, Tenant};
use vigil_store::sqlite::{SqliteOptions, SqliteStore};
use vigil_store::{
    AlertQuery, ApiToken, DeadLetterQuery, EventQuery, IngestBatch, Role, Store, StoreError,
    TenantScope,
};

fn all_alerts() -> AlertQuery {
    AlertQuery::all_in(TenantScope::All, 100)
}

#[tokio::test]
async fn configuration_round_trips() {
    let store = store();
    configure(&store).await;

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

#[tokio::test]
async fn references_to_missing_configuration_are_named() {
    let store = store();
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
    configure(&store).await;
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

#[tokio::test]
async fn events_alerts_and_dead_letters_round_trip() {
    let store = store();
    configure(&store).await;
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

#[tokio::test]
async fn long_dead_letters_are_cut_to_the_limit_with_a_note() {
    let options = SqliteOptions {
        max_dead_letter_bytes: 8,
        ..SqliteOptions::default()
    };
    let store = SqliteStore::open_temporary(options).unwrap();
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

#[tokio::test]
async fn data_survives_a_reopen_without_migrating_again() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nested/dir/vigil.db");
    let e = event(B, 5, logon_fields("eve"));
    {
        let store = SqliteStore::open(&path, SqliteOptions::default()).unwrap();
        configure(&store).await;
        store.commit(batch(vec![e.clone()])).await.unwrap();
    }
    let store = SqliteStore::open(&path, SqliteOptions::default()).unwrap();
    assert_eq!(store.tenants(&TenantScope::All).await.unwrap().len(), 2);
    assert_eq!(
        store
            .events_by_id(&[e.id], &TenantScope::All)
            .await
            .unwrap(),
        vec![e]
    );
    let conn = rusqlite::Connection::open(&path).unwrap();
    let steps: i64 = conn
        .query_row("SELECT count(*) FROM schema_migrations", [], |r| r.get(0))
        .unwrap();
    assert_eq!(steps, SqliteStore::schema_version());
}

#[tokio::test]
async fn a_temporary_store_is_deleted_when_dropped() {
    let store = store();
    store
        .commit(batch(vec![event(A, 1, json!({}))]))
        .await
        .unwrap();
    let path = store.path().to_owned();
    assert!(path.exists());
    drop(store);
    assert!(!path.exists());
    assert!(!path.parent().unwrap().exists());
}

#[tokio::test]
async fn a_database_from_a_newer_build_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("vigil.db");
    drop(SqliteStore::open(&path, SqliteOptions::default()).unwrap());
    let newer = SqliteStore::schema_version() + 1;
    rusqlite::Connection::open(&path)
        .unwrap()
        .execute(
            "INSERT INTO schema_migrations (version, name) VALUES (?1, 'future')",
            [newer],
        )
        .unwrap();
    match SqliteStore::open(&path, SqliteOptions::default()) {
        Err(StoreError::SchemaTooNew { found, supported }) => {
            assert_eq!((found, supported), (newer, SqliteStore::schema_version()));
        }
        other => panic!("expected SchemaTooNew, got {other:?}"),
    }
}

#[tokio::test]
async fn the_database_is_in_wal_mode_with_full_sync() {
    let store = store();
    let conn = rusqlite::Connection::open(store.path()).unwrap();
    let mode: String = conn
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
    // `synchronous` is per connection; the writer's is checked on open.
    let empty = EventQuery {
        scope: TenantScope::All,
        from: None,
        to: None,
        fields: vec![],
        cursor: None,
        limit: 10,
    };
    assert!(store.events(&empty).await.unwrap().items.is_empty());
}
