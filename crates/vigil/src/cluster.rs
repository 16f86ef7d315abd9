//! Several nodes: the `[bus]` section and what a node starts from it.
//!
//! Without `[bus] url` a node runs alone, with the in-process bus. With it,
//! the node connects to NATS and shares the live bus with every node on
//! the same NATS (see `vigil_nats`).

use std::sync::Arc;

use anyhow::Context;
use serde::Deserialize;
use vigil_store::{Bus, LocalBus};

/// Live messages buffered for a slow subscriber on this node.
const BUS_CAPACITY: usize = 4096;

/// The `[bus] section.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BusConfig {
    /// NATS server URL(s), comma separated (`nats://n1:4222,nats://n2:4222`);
    /// absent, the node runs alone with an in-process bus.
    pub url: Option<String>,
    /// This node's name, unique among the nodes sharing the bus (it tags
    /// the node's messages, and names it in NATS' monitoring); absent, the
    /// host name and process id.
    pub node: Option<String>,
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

/// The bus `config` selects: over NATS when it names a URL (reached with
/// retries; an unreachable server is an error naming it), else in process.
pub async fn open_bus(config: &BusConfig) -> anyhow::Result<Arc<dyn Bus>> {
    let Some(url) = &config.url else {
        return Ok(Arc::new(LocalBus::new(BUS_CAPACITY)));
    };
    let node = config.node_name();
    let client = vigil_nats::connect(url, &node, &vigil_nats::ConnectSettings::default())
        .await
        .context("cannot start the shared bus ([bus] url)")?;
    let bus = vigil_nats::NatsBus::start(client, &node, BUS_CAPACITY)
        .await
        .context("cannot start the shared bus ([bus] url)")?;
    tracing::info!(node = %node, "bus: shared over NATS");
    Ok(Arc::new(bus))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bus(url: Option<&str>, node: Option<&str>) -> BusConfig {
        BusConfig {
            url: url.map(str::to_owned),
            node: node.map(str::to_owned),
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
