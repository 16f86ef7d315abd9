//! Several nodes: the `[bus]` section and what a node starts from it.
//!
//! Without `[bus] url` a node runs alone, with the in-process bus, and
//! processes each batch where it arrives. With it, the node connects to
//! NATS, shares the live bus with every node on the same NATS, appends
//! each accepted batch to the JetStream ingest log, and runs a consumer
//! per log partition that applies batches while it holds the partition's
//! lease (see `vigil_nats`).

use std::sync::Arc;

use anyhow::Context;
use serde::Deserialize;
use vigil_ingest::{CorrelationStage, Pipeline};
use vigil_nats::consumer::{self, ConsumerSettings, WorkerContext, Workers};
use vigil_nats::{JetStreamLog, LogMetrics, LogSettings};
use vigil_store::{Bus, CorrelationStateStore, DeskStore, LocalBus};

/// Live messages buffered for a slow subscriber on this node.
const BUS_CAPACITY: usize = 4096;

/// The `[bus] section.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BusConfig {
    /// NATS server URL(s), comma separated (`nats://n1:4222,nats://n2:4222`);
    /// absent, the node runs alone with an in-process bus.
    pub url: Option<String>,
    /// This node's name, unique among the nodes sharing the bus (it tags
    /// the node's messages, and names it in NATS' monitoring); absent, the
    /// host name and process id.
    pub node: Option<String>,
    /// The deployment's name on NATS (default `vigil`): subjects
    /// `<name>.bus.…` and `<name>.ingest.…`, stream `<NAME>_INGEST`. Nodes
    /// of one deployment say the same; another deployment sharing the NATS
    /// server picks another.
    #[serde(default = "default_name")]
    pub name: String,
    /// Partitions of the ingest log (default 8): how many consumers the
    /// work is spread over. Every node must say the same.
    #[serde(default = "default_partitions")]
    pub partitions: u32,
    /// Copies JetStream keeps of each logged batch (default 1; 3 on a
    /// three-server NATS cluster, so that one server may fail). Read when
    /// the stream is first created.
    #[serde(default = "default_replicas")]
    pub replicas: usize,
}

fn default_name() -> String {
    vigil_nats::DEFAULT_NAME.into()
}

fn default_partitions() -> u32 {
    LogSettings::default().partitions
}

fn default_replicas() -> usize {
    LogSettings::default().replicas
}

impl Default for BusConfig {
    fn default() -> Self {
        Self {
            url: None,
            node: None,
            name: default_name(),
            partitions: default_partitions(),
            replicas: default_replicas(),
        }
    }
}

impl BusConfig {
    /// Checks the section against the store's: nodes that share a bus must
    /// share the store the bus tells them about.
    pub fn check(&self, store_url: Option<&str>) -> anyhow::Result<()> {
        let Some(url) = &self.url else {
            if self.node.is_some() {
                anyhow::bail!("[bus] node is set without a url: a node name is for a shared bus");
            }
            return Ok(());
        };
        for one in url.split(',').map(str::trim) {
            if !(one.starts_with("nats://") || one.starts_with("tls://")) {
                anyhow::bail!(
                    "[bus] url `{}` is not a NATS URL (nats://host:4222 or tls://…)",
                    vigil_nats::redact_url(one)
                );
            }
        }
        if store_url.is_none() {
            anyhow::bail!(
                "[bus] url is set but [store] has no url: nodes sharing a bus must share one \
                 PostgreSQL store ([store] url = \"postgres://…\")"
            );
        }
        if let Some(node) = &self.node
            && (node.is_empty()
                || !node
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'))
        {
            anyhow::bail!("[bus] node `{node}` must be letters, digits, `-` or `_`");
        }
        if self.name.is_empty()
            || !self
                .name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-')
        {
            anyhow::bail!(
                "[bus] name `{}` must be lowercase letters, digits, `-` or `_`",
                self.name
            );
        }
        if !(1..=256).contains(&self.partitions) {
            anyhow::bail!("[bus] partitions = {} must be 1 to 256", self.partitions);
        }
        if !matches!(self.replicas, 1 | 3 | 5) {
            anyhow::bail!(
                "[bus] replicas = {} must be 1, 3 or 5 (JetStream's replica counts)",
                self.replicas
            );
        }
        Ok(())
    }

    /// This node's name: the configured one, else host name and process id.
    pub fn node_name(&self) -> String {
        if let Some(node) = &self.node {
            return node.clone();
        }
        let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
            .ok()
            .map(|h| h.trim().to_owned())
            .filter(|h| !h.is_empty())
            .unwrap_or_else(|| "node".into());
        let host: String = host
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
            .collect();
        format!("{host}-{}", std::process::id())
    }
}

/// What `[bus]` gave a node.
pub struct Cluster {
    /// The bus the node publishes and listens on.
    pub bus: Arc<dyn Bus>,
    shared: Option<Shared>,
}

/// A node sharing its bus and ingest with others.
struct Shared {
    node: String,
    log: JetStreamLog,
}

impl Cluster {
    /// The bus `config` selects: over NATS, with the JetStream ingest log,
    /// when it names a URL (reached with retries; an unreachable server is
    /// an error naming it), else in process.
    pub async fn open(config: &BusConfig) -> anyhow::Result<Cluster> {
        let Some(url) = &config.url else {
            return Ok(Cluster {
                bus: Arc::new(LocalBus::new(BUS_CAPACITY)),
                shared: None,
            });
        };
        let node = config.node_name();
        let why = "cannot start the shared bus ([bus] url)";
        let client = vigil_nats::connect(url, &node, &vigil_nats::ConnectSettings::default())
            .await
            .context(why)?;
        let bus = vigil_nats::NatsBus::start(client.clone(), &config.name, &node, BUS_CAPACITY)
            .await
            .context(why)?;
        let settings = LogSettings {
            name: config.name.clone(),
            partitions: config.partitions,
            replicas: config.replicas,
            ..LogSettings::default()
        };
        let log = JetStreamLog::open(client, &settings)
            .await
            .context("cannot open the ingest log on JetStream ([bus] url)")?;
        tracing::info!(node = %node, partitions = config.partitions, "bus and ingest log shared over NATS");
        Ok(Cluster {
            bus: Arc::new(bus),
            shared: Some(Shared { node, log }),
        })
    }

    /// Whether the node shares its ingest (then the partitions' consumers
    /// own correlation state, not the node).
    pub fn is_shared(&self) -> bool {
        self.shared.is_some()
    }

    /// With a shared bus: routes `pipeline`'s ingest through the log and
    /// starts the partition consumers, which apply batches with
    /// `correlations` (a stage per held partition).
    pub async fn start_consumers(
        &self,
        pipeline: &Pipeline,
        leases: Arc<dyn DeskStore>,
        states: Arc<dyn CorrelationStateStore>,
        correlations: Option<Arc<CorrelationStage>>,
        snapshot_every: std::time::Duration,
    ) -> anyhow::Result<Option<Workers>> {
        let Some(shared) = &self.shared else {
            return Ok(None);
        };
        let metrics = LogMetrics::default();
        pipeline.metrics().with_registry(|r| metrics.register(r));
        let context = WorkerContext {
            pipeline: pipeline.clone(),
            leases,
            states,
            correlations,
            node: shared.node.clone(),
        };
        let settings = ConsumerSettings {
            snapshot_every: snapshot_every.max(std::time::Duration::from_secs(1)),
            ..ConsumerSettings::default()
        };
        let workers = consumer::start(&shared.log, context, settings, metrics)
            .await
            .context("cannot start the ingest log's consumers")?;
        pipeline.set_log(Some(Arc::new(shared.log.clone())));
        Ok(Some(workers))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bus(url: Option<&str>, node: Option<&str>) -> BusConfig {
        BusConfig {
            url: url.map(str::to_owned),
            node: node.map(str::to_owned),
            ..BusConfig::default()
        }
    }

    #[test]
    fn a_bus_needs_a_nats_url_and_a_shared_store() {
        let pg = Some("postgres://db/vigil");
        assert!(bus(None, None).check(None).is_ok());
        assert!(
            bus(Some("nats://n1:4222, nats://n2:4222"), Some("vigil-1"))
                .check(pg)
                .is_ok()
        );
        let err = bus(Some("http://u:secret@n1"), None)
            .check(pg)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("not a NATS URL") && !err.contains("secret"),
            "{err}"
        );
        let err = bus(Some("nats://n1:4222"), None)
            .check(None)
            .unwrap_err()
            .to_string();
        assert!(err.contains("[store] has no url"), "{err}");
        let err = bus(None, Some("x")).check(pg).unwrap_err().to_string();
        assert!(err.contains("without a url"), "{err}");
        let err = bus(Some("nats://n1"), Some("a b"))
            .check(pg)
            .unwrap_err()
            .to_string();
        assert!(err.contains("node `a b`"), "{err}");
        let mut odd = bus(Some("nats://n1"), None);
        odd.replicas = 2;
        let err = odd.check(pg).unwrap_err().to_string();
        assert!(err.contains("replicas = 2"), "{err}");
        odd.replicas = 3;
        odd.partitions = 0;
        let err = odd.check(pg).unwrap_err().to_string();
        assert!(err.contains("partitions = 0"), "{err}");
        odd.partitions = 4;
        odd.name = "Vigil.prod".into();
        let err = odd.check(pg).unwrap_err().to_string();
        assert!(err.contains("name `Vigil.prod`"), "{err}");
    }

    #[test]
    fn the_readme_several_nodes_configuration_resolves() {
        let readme = include_str!("../../../README.md");
        let marker = "```toml\ndata_dir = \"data\"\nlisten = \"127.0.0.1:8091\"";
        let start = readme.find(marker).expect("the example") + "```toml\n".len();
        let end = start + readme[start..].find("```").expect("its end");
        let hash = "0".repeat(64);
        let text = readme[start..end]
            .replace("<SHA-256 of the ingest token>", &hash)
            .replace("<SHA-256 of the admin token>", &"1".repeat(64));
        let config: crate::config::Config = toml::from_str(&text).expect("parses");
        config.resolve(&|_| None).expect("resolves");
        assert_eq!(config.bus.replicas, 3);
        assert_eq!(config.bus.node.as_deref(), Some("vigil-1"));
    }

    #[test]
    fn a_node_without_a_name_is_named_after_its_host_and_process() {
        let name = bus(Some("nats://n1"), None).node_name();
        assert!(
            name.ends_with(&format!("-{}", std::process::id())),
            "{name}"
        );
    }
}
