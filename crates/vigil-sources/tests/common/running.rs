//! Sources configured from `[[sources]]` entries as a node configures
//! them, started on a temporary store, stopped on drop.

use std::net::SocketAddr;
use std::sync::Arc;

use vigil_estate::supervision::SupervisionHandle;
use vigil_model::{Clock, SystemClock};
use vigil_sources::{Registry, SourceContext, SourceSection};
use vigil_store::Store;
use vigil_store::sqlite::SqliteStore;

/// Started sources and their store; their tasks end on drop.
pub struct Running {
    /// The store they write to.
    pub store: Arc<SqliteStore>,
    /// The ingest path they hand batches to (its metrics).
    pub pipeline: vigil_ingest::Pipeline,
    addrs: Vec<(String, SocketAddr)>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Drop for Running {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

impl Running {
    /// Where source `id` listens.
    pub fn addr(&self, id: &str) -> SocketAddr {
        self.addrs
            .iter()
            .find(|(i, _)| i == id)
            .map(|(_, a)| *a)
            .expect("a listener")
    }
}

/// A `[[sources]]` entry of tenant `acme` listening on a free port, with
/// `tables` (TOML) appended.
pub fn section(id: &str, kind: &str, product: &str, tables: &str) -> SourceSection {
    toml::from_str(&format!(
        "id = \"{id}\"\ntenant = \"acme\"\nkind = \"{kind}\"\nproduct = \"{product}\"\nlisten = \"127.0.0.1:0\"\n{tables}"
    ))
    .expect("a source entry")
}

/// Configures and starts `sections` through the built-in registry.
pub async fn start(sections: &[SourceSection]) -> Running {
    start_with(Arc::new(SystemClock), sections).await
}

/// The same, on `clock`.
pub async fn start_with(clock: Arc<dyn Clock>, sections: &[SourceSection]) -> Running {
    let registry = Registry::built_in();
    let no_env = |_: &str| None;
    let (pipeline, store) = super::pipeline_with(clock, &[]).await;
    let mut configured = Vec::new();
    for s in sections {
        let c = registry.configure(s, &no_env).expect("a valid source");
        store.upsert_source(&c.binding, None).await.unwrap();
        configured.push(c);
    }
    let context = SourceContext {
        pipeline: pipeline.clone(),
        store: store.clone(),
        supervision: SupervisionHandle::new(),
        device_reports: None,
        limits: Default::default(),
    };
    let running = registry.start(&configured, &context).await.unwrap();
    Running {
        store,
        pipeline,
        addrs: running
            .addrs
            .iter()
            .map(|(id, _, a)| (id.to_string(), *a))
            .collect(),
        tasks: running.tasks,
    }
}

/// Waits (30 s at most) until the store holds `n` events.
pub async fn wait_for_events(store: &SqliteStore, n: usize) {
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let have = super::events(store).await.len();
        if have >= n {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{n} events never arrived (have {have})"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}
