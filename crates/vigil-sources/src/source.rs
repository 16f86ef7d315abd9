//! The one trait every source sits behind.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use tokio::task::JoinHandle;
use vigil_estate::supervision::SupervisionHandle;
use vigil_ingest::Pipeline;
use vigil_lifecycle::inventory::DeviceReports;
use vigil_model::{SourceBinding, SourceId, SourceKind};
use vigil_store::{DeviceRecord, PanelAccountRecord, Store};

use crate::config::{Env, SourceSection};

/// Limits on what sources accept.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Largest NDJSON ingest body accepted; larger ones get `413`.
    pub max_ingest_bytes: usize,
    /// Largest syslog frame accepted over TCP; longer ones go to dead letters.
    pub max_syslog_frame: usize,
    /// Failed authentications allowed per client address and per token
    /// prefix within a minute before `429`; `None` is the HTTP server's
    /// default. Raised where many people share one address (a control room
    /// behind NAT) or for a property-based test of the API.
    pub max_failed_auth_per_minute: Option<u32>,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_ingest_bytes: 16 * 1024 * 1024,
            max_syslog_frame: 64 * 1024,
            max_failed_auth_per_minute: None,
        }
    }
}

/// What the binding of a kind needs beside its own table.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Needs {
    /// An address to listen on (`listen`).
    pub listen: bool,
    /// An ingest token (`token_sha256` or `token_env`).
    pub token: bool,
}

/// What a node gives its sources: the ingest path every accepted batch is
/// handed to, the store (for token look-ups), supervision (for the devices
/// they hear from), where device reports go and the limits on input.
#[derive(Clone)]
pub struct SourceContext {
    /// The ingest path: [`Pipeline::ingest`] returns once a batch is
    /// durable, and only then may a source acknowledge it.
    pub pipeline: Pipeline,
    /// The store.
    pub store: Arc<dyn Store>,
    /// Supervision of the devices sources hear from.
    pub supervision: SupervisionHandle,
    /// Where what devices say about themselves goes (ONVIF
    /// `GetDeviceInformation`, Sparkplug births, DC-09 panel identity);
    /// `None` where nothing keeps an inventory.
    pub device_reports: Option<Arc<dyn DeviceReports>>,
    /// Limits on input.
    pub limits: Limits,
}

impl std::fmt::Debug for SourceContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SourceContext")
            .field("limits", &self.limits)
            .finish_non_exhaustive()
    }
}

/// One configured source of a type: its binding, where it listens, and the
/// settings its type resolved.
#[derive(Debug, Clone)]
pub struct Configured<S> {
    /// The binding: the source, its tenant and site, kind and product.
    pub binding: SourceBinding,
    /// Where it listens, for listening kinds.
    pub listen: Option<SocketAddr>,
    /// Its settings.
    pub settings: S,
}

/// What starting a type's sources gave.
#[derive(Default)]
pub struct Started {
    /// Its running tasks (listeners, subscribers, pullers).
    pub tasks: Vec<JoinHandle<()>>,
    /// Bound addresses of its listeners.
    pub addrs: Vec<(SourceId, SourceKind, SocketAddr)>,
    /// Its HTTP endpoints, merged into the node's router.
    pub router: axum::Router,
    /// The devices it knows of, for the device register.
    pub devices: Vec<DeviceRecord>,
    /// The alarm-panel accounts it serves, for the register.
    pub panels: Vec<PanelAccountRecord>,
    /// What answers `GET /` to API clients, when it serves that path.
    pub api_root: Option<crate::bulk::ApiRoot>,
}

/// A type of source: how its `[[sources]]` entries are checked, and how
/// its configured sources run.
///
/// A type starts all its sources at once, because sources of one kind may
/// share an endpoint (every `onvif_push` source answers on one path, told
/// apart by token).
pub trait Source: Send + Sync + 'static {
    /// The settings one source of this type runs with, secrets resolved.
    type Settings: Clone + Send + Sync + std::fmt::Debug + 'static;

    /// The kinds it serves, as configuration names them (`dc09_tcp`).
    fn kinds(&self) -> &'static [&'static str];

    /// The tables of a `[[sources]]` entry it reads (`dc09`).
    fn tables(&self) -> &'static [&'static str] {
        &[]
    }

    /// What a source of `kind` needs beside its table.
    fn needs(&self, kind: SourceKind) -> Needs;

    /// Checks one entry and resolves its settings; the error says what is
    /// wrong (the registry names the source).
    fn configure(&self, section: &SourceSection, env: Env<'_>) -> anyhow::Result<Self::Settings>;

    /// Starts every configured source of this type on a node.
    fn start(
        &self,
        sources: Vec<Configured<Self::Settings>>,
        context: &SourceContext,
    ) -> impl Future<Output = anyhow::Result<Started>> + Send;
}
