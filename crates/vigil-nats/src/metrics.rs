//! What `/metrics` shows of the ingest log, per partition: its consumer's
//! lag, the batches this node applied and how many of them were
//! redeliveries, and whether this node holds the partition's lease (the
//! lease holders across the cluster are the nodes reporting 1).

use std::sync::Arc;

use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;

type Labels = Vec<(String, String)>;

/// The ingest log's metrics; cheap to clone, clones share the values.
#[derive(Debug, Clone, Default)]
pub struct LogMetrics {
    inner: Arc<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    lag: Family<Labels, Gauge>,
    applied: Family<Labels, Counter>,
    redelivered: Family<Labels, Counter>,
    held: Family<Labels, Gauge>,
}

fn partition(p: u32) -> Labels {
    vec![("partition".into(), p.to_string())]
}

impl LogMetrics {
    /// Registers the metrics in `registry` (the node's, prefix `vigil`).
    pub fn register(&self, registry: &mut Registry) {
        let m = &self.inner;
        registry.register(
            "ingest_log_lag",
            "Batches of a partition not yet applied (pending and unacknowledged), as this node last saw",
            m.lag.clone(),
        );
        registry.register(
            "ingest_log_applied",
            "Batches of a partition this node applied to the store",
            m.applied.clone(),
        );
        registry.register(
            "ingest_log_redeliveries",
            "Batches of a partition this node received again (applied without adding anything twice)",
            m.redelivered.clone(),
        );
        registry.register(
            "ingest_log_partition_held",
            "1 when this node holds the partition's lease (consumes it)",
            m.held.clone(),
        );
    }

    pub(crate) fn set_lag(&self, p: u32, lag: u64) {
        self.inner
            .lag
            .get_or_create(&partition(p))
            .set(i64::try_from(lag).unwrap_or(i64::MAX));
    }

    pub(crate) fn applied(&self, p: u32) {
        self.inner.applied.get_or_create(&partition(p)).inc();
    }

    pub(crate) fn redelivered(&self, p: u32) {
        self.inner.redelivered.get_or_create(&partition(p)).inc();
    }

    pub(crate) fn set_held(&self, p: u32, node: &str, held: bool) {
        let mut labels = partition(p);
        labels.push(("node".into(), node.to_owned()));
        self.inner.held.get_or_create(&labels).set(i64::from(held));
    }
}
