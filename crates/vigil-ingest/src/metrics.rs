//! The pipeline's counters, exposed as Prometheus text by the server.

use std::sync::Mutex;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::registry::Registry;
use vigil_model::SourceBinding;

/// Labels naming the source (and its tenant) a count belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
pub struct SourceLabels {
    /// The tenant slug.
    pub tenant: String,
    /// The source slug.
    pub source: String,
}

/// Counters of what went through the pipeline, per source.
#[derive(Debug)]
pub struct Metrics {
    registry: Mutex<Registry>,
    events_in: Family<SourceLabels, Counter>,
    dead_letters: Family<SourceLabels, Counter>,
    detections: Family<SourceLabels, Counter>,
    alerts_raised: Family<SourceLabels, Counter>,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    /// A fresh set of counters, registered.
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("vigil");
        let events_in = Family::<SourceLabels, Counter>::default();
        let dead_letters = Family::<SourceLabels, Counter>::default();
        let detections = Family::<SourceLabels, Counter>::default();
        let alerts_raised = Family::<SourceLabels, Counter>::default();
        registry.register(
            "events_in",
            "Events accepted and made durable",
            events_in.clone(),
        );
        registry.register(
            "dead_letters",
            "Input records that could not be accepted and went to dead letters",
            dead_letters.clone(),
        );
        registry.register(
            "detections",
            "Rule matches on accepted events",
            detections.clone(),
        );
        registry.register(
            "alerts_raised",
            "Alerts raised for the first time",
            alerts_raised.clone(),
        );
        Self {
            registry: Mutex::new(registry),
            events_in,
            dead_letters,
            detections,
            alerts_raised,
        }
    }

    fn labels(binding: &SourceBinding) -> SourceLabels {
        SourceLabels {
            tenant: binding.tenant.to_string(),
            source: binding.id.to_string(),
        }
    }

    pub(crate) fn record_ingest(&self, binding: &SourceBinding, accepted: u64, rejected: u64) {
        let labels = Self::labels(binding);
        self.events_in.get_or_create(&labels).inc_by(accepted);
        if rejected > 0 {
            self.dead_letters.get_or_create(&labels).inc_by(rejected);
        }
    }

    pub(crate) fn record_detections(&self, binding: &SourceBinding, detections: u64, raised: u64) {
        let labels = Self::labels(binding);
        if detections > 0 {
            self.detections.get_or_create(&labels).inc_by(detections);
        }
        if raised > 0 {
            self.alerts_raised.get_or_create(&labels).inc_by(raised);
        }
    }

    /// Lets other components add their own metrics to the same exposition.
    pub fn with_registry<R>(&self, f: impl FnOnce(&mut Registry) -> R) -> R {
        let mut registry = self.registry.lock().unwrap_or_else(|p| p.into_inner());
        f(&mut registry)
    }

    /// The metrics in Prometheus text exposition format.
    pub fn encode(&self) -> String {
        let mut out = String::new();
        let registry = self.registry.lock().unwrap_or_else(|p| p.into_inner());
        // Writing into a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut out, &registry);
        out
    }
}
