//! The engines the suite runs against, and how each test gets a fresh one.
//!
//! SQLite: a database in a new temporary directory. PostgreSQL: a new
//! schema (`vigil_test_<random>`) in the database `VIGIL_TEST_POSTGRES_URL`
//! names, which every pooled connection uses through its `search_path`, so
//! tests run in parallel and again without meeting each other's rows; it is
//! dropped when the test ends, passed or not. Without the variable a
//! PostgreSQL test says it is skipped and passes — unless `CI=true`, where
//! it fails.

use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;

use vigil_store::NodeStore;
use vigil_store::audit::VerifyReport;
use vigil_store::postgres::{PgOptions, PgStore};
use vigil_store::sqlite::{SqliteOptions, SqliteStore};

/// The variable naming the PostgreSQL database tests may use.
pub const POSTGRES_URL_VAR: &str = "VIGIL_TEST_POSTGRES_URL";

/// An engine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Sqlite,
    Postgres,
}

/// What a test may tune.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    pub max_dead_letter_bytes: usize,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            max_dead_letter_bytes: 64 * 1024,
        }
    }
}

enum Engine {
    Sqlite {
        path: PathBuf,
        store: Arc<SqliteStore>,
        // Last: the directory goes after the store closed.
        _dir: tempfile::TempDir,
    },
    Postgres {
        url: String,
        schema: String,
        store: Arc<PgStore>,
    },
}

/// A fresh store of one engine, for one test.
pub struct Backend {
    pub kind: Kind,
    options: Options,
    engine: Option<Engine>,
}

/// The PostgreSQL URL for tests, or `None` (after saying so) to skip.
pub fn postgres_url(test: &str) -> Option<String> {
    match std::env::var(POSTGRES_URL_VAR) {
        Ok(url) if !url.is_empty() => Some(url),
        _ if std::env::var("CI").is_ok_and(|v| v == "true") => {
            panic!("{POSTGRES_URL_VAR} is not set but CI=true: PostgreSQL tests must run in CI")
        }
        _ => {
            println!("{test}: skipped on PostgreSQL ({POSTGRES_URL_VAR} is not set)");
            None
        }
    }
}

impl Backend {
    /// A fresh store, or `None` when the engine is not available here.
    pub async fn open(kind: Kind, test: &str, options: Options) -> Option<Self> {
        let engine = match kind {
            Kind::Sqlite => {
                let dir = tempfile::tempdir().expect("temporary directory");
                let path = dir.path().join("vigil.db");
                let store = Arc::new(sqlite(&path, options));
                Engine::Sqlite {
                    path,
                    store,
                    _dir: dir,
                }
            }
            Kind::Postgres => {
                let url = postgres_url(test)?;
                let schema = format!("vigil_test_{:016x}", rand::random::<u64>());
                let store = Arc::new(postgres(&url, &schema, options).await);
                Engine::Postgres { url, schema, store }
            }
        };
        Some(Self {
            kind,
            options,
            engine: Some(engine),
        })
    }

    /// Another fresh store of the same engine, tuned by `options`.
    pub async fn variant(&self, options: Options) -> Backend {
        Box::pin(Backend::open(self.kind, "variant", options))
            .await
            .expect("the engine was available a moment ago")
    }

    /// The store, shared (for tasks).
    pub fn arc(&self) -> Arc<dyn NodeStore> {
        match self.engine() {
            Engine::Sqlite { store, .. } => store.clone(),
            Engine::Postgres { store, .. } => store.clone(),
        }
    }

    /// The store.
    pub fn store(&self) -> &dyn NodeStore {
        match self.engine() {
            Engine::Sqlite { store, .. } => &**store,
            Engine::Postgres { store, .. } => &**store,
        }
    }

    fn engine(&self) -> &Engine {
        self.engine
            .as_ref()
            .expect("a backend has its engine until dropped")
    }

    /// Closes the store and opens the same database again (as a restart
    /// does). Nothing else may hold the store meanwhile.
    pub async fn reopen(&mut self) {
        let engine = self.engine.take().expect("engine");
        self.engine = Some(match engine {
            Engine::Sqlite { path, store, _dir } => {
                drop(store);
                let store = Arc::new(sqlite(&path, self.options));
                Engine::Sqlite { path, store, _dir }
            }
            Engine::Postgres { url, schema, store } => {
                drop(store);
                let store = Arc::new(postgres(&url, &schema, self.options).await);
                Engine::Postgres { url, schema, store }
            }
        });
    }

    /// `vigil audit verify` for this engine.
    pub async fn verify_audit(&self, trusted: &[[u8; 32]]) -> VerifyReport {
        match self.engine() {
            Engine::Sqlite { path, .. } => SqliteStore::verify_audit(path, trusted).unwrap(),
            Engine::Postgres { store, .. } => store.verify_audit(trusted).await.unwrap(),
        }
    }

    /// For PostgreSQL, the store's schema name.
    pub fn postgres_schema(&self) -> Option<(&str, &str)> {
        match self.engine() {
            Engine::Postgres { url, schema, .. } => Some((url, schema)),
            Engine::Sqlite { .. } => None,
        }
    }
}

fn sqlite(path: &std::path::Path, options: Options) -> SqliteStore {
    SqliteStore::open(
        path,
        SqliteOptions {
            max_dead_letter_bytes: options.max_dead_letter_bytes,
            ..SqliteOptions::default()
        },
    )
    .expect("open SQLite")
}

async fn postgres(url: &str, schema: &str, options: Options) -> PgStore {
    PgStore::connect(
        url,
        PgOptions {
            schema: Some(schema.to_owned()),
            max_dead_letter_bytes: options.max_dead_letter_bytes,
            max_connections: 8,
            ..PgOptions::default()
        },
    )
    .await
    .expect("connect to PostgreSQL")
}

/// Runs a SQL batch on a connection of its own (for checks and cleanup).
pub async fn execute(url: &str, sql: &str) -> Vec<tokio_postgres::SimpleQueryMessage> {
    let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls)
        .await
        .expect("connect to PostgreSQL");
    let task = tokio::spawn(connection);
    let out = client.simple_query(sql).await.expect(sql);
    drop(client);
    let _ = task.await;
    out
}

impl Drop for Backend {
    fn drop(&mut self) {
        if let Some(Engine::Postgres { url, schema, store }) = self.engine.take() {
            drop(store);
            // Dropped on a thread of its own: this may run inside the test's
            // runtime (or while a failed test unwinds), which cannot block.
            let cleanup = std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("runtime");
                rt.block_on(execute(
                    &url,
                    &format!("DROP SCHEMA IF EXISTS {schema} CASCADE"),
                ));
            });
            let _ = cleanup.join();
        }
    }
}

/// A test body: runs against the backend it is given.
pub type Body = for<'a> fn(&'a mut Backend) -> Pin<Box<dyn Future<Output = ()> + 'a>>;

/// Runs `body` against a fresh store of `kind` (or skips it).
pub fn run(kind: Kind, test: &str, body: Body) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(4)
        .enable_all()
        .build()
        .expect("runtime");
    let backend = rt.block_on(Backend::open(kind, test, Options::default()));
    if let Some(mut backend) = backend {
        rt.block_on(body(&mut backend));
        drop(backend);
    }
}

/// Instantiates every test body listed once per engine: `sqlite::<name>`
/// and `postgres::<name>`.
macro_rules! conformance {
    ($($module:ident :: $name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[test]
                fn $name() {
                    crate::backend::run(crate::backend::Kind::Sqlite, stringify!($name), |b| {
                        Box::pin(crate::$module::$name(b))
                    });
                }
            )*
        }
        mod postgres {
            $(
                #[test]
                fn $name() {
                    crate::backend::run(crate::backend::Kind::Postgres, stringify!($name), |b| {
                        Box::pin(crate::$module::$name(b))
                    });
                }
            )*
        }
    };
}
pub(crate) use conformance;
