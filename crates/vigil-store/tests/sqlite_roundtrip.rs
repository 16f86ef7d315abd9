//! The SQLite file itself: data stays after a reopen, the schema is not
//! migrated twice, a newer schema is refused, WAL and a temporary store's
//! cleanup. (What is written coming back as it was is checked against every
//! engine in `conformance/`.)

mod common;

use common::*;
use serde_json::json;
use vigil_store::sqlite::{SqliteOptions, SqliteStore};
use vigil_store::{EventQuery, Store, StoreError, TenantScope};

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
