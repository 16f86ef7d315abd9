//! Opening the store a configuration names: the embedded SQLite database
//! in the data folder, or a PostgreSQL database several nodes share. Every
//! command that reads or writes the store opens it here.

use std::sync::Arc;

use anyhow::Context;
use vigil_store::postgres::{PgOptions, PgStore};
use vigil_store::sqlite::{SqliteOptions, SqliteStore};
use vigil_store::{NodeStore, Store};

use crate::config::StoreConfig;

/// Opens the embedded store in `data_dir`.
pub fn open_store(data_dir: &std::path::Path) -> anyhow::Result<Arc<dyn Store>> {
    Ok(open_sqlite(data_dir)?)
}

/// Opens the embedded store in `data_dir`, as the SQLite store itself (it
/// is both the [`Store`] and the desk's store).
pub fn open_sqlite(data_dir: &std::path::Path) -> anyhow::Result<Arc<SqliteStore>> {
    std::fs::create_dir_all(data_dir)
        .with_context(|| format!("cannot create data folder {}", data_dir.display()))?;
    let path = data_dir.join("vigil.db");
    let store = SqliteStore::open(&path, SqliteOptions::default())
        .with_context(|| format!("cannot open the store at {}", path.display()))?;
    Ok(Arc::new(store))
}

/// Opens the store `config` selects: PostgreSQL when it names a URL
/// (reached with retries, its migrations run), else SQLite in `data_dir`.
pub async fn open_node_store(
    config: &StoreConfig,
    data_dir: &std::path::Path,
) -> anyhow::Result<Arc<dyn NodeStore>> {
    match &config.url {
        Some(url) => {
            let options = PgOptions {
                schema: config.schema.clone(),
                ..PgOptions::default()
            };
            let store = PgStore::connect(url, options).await.with_context(|| {
                format!(
                    "cannot open the PostgreSQL store at {}",
                    vigil_store::postgres::redact_url(url)
                )
            })?;
            tracing::info!(url = %store.url(), "store: PostgreSQL");
            Ok(Arc::new(store))
        }
        None => Ok(open_sqlite(data_dir)?),
    }
}
