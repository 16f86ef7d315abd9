//! The pipeline's counters, exposed as Prometheus text by the server.

use std::sync::Mutex;
use std::sync::atomic::AtomicU64;
use std::time::Duration;

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

/// The label naming a stage of ingest.
#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct StageLabels {
    /// `parse`, `detect` or `commit`.
    stage: String,
}

/// Seconds spent in one stage, summed over every batch (batches processed
/// at once each add their own time).
type StageCounter = Counter<f64, AtomicU64>;

/// Time spent in each stage of ingest since the pipeline started, summed
/// over every batch; batches processed at once each add their own time, so
/// the sums may exceed the time elapsed.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct PipelineTimings {
    /// Decoding and normalising records into events (and enriching them,
    /// and deriving their ids and fingerprints).
    pub parse: Duration,
    /// Running the rules and correlations over the events and grouping
    /// their detections into alerts.
    pub detect: Duration,
    /// Committing the batch: the store's encoding, waiting for the writer,
    /// writing, and the fsync that makes it durable.
    pub commit: Duration,
}

/// Counters of what went through the pipeline, per source.
#[derive(Debug)]
pub struct Metrics {
    registry: Mutex<Registry>,
    events_in: Family<SourceLabels, Counter>,
    events_resent: Family<SourceLabels, Counter>,
    stage_parse: StageCounter,
    stage_detect: StageCounter,
    stage_commit: StageCounter,
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
        let events_resent = Family::<SourceLabels, Counter>::default();
        let stages = Family::<StageLabels, StageCounter>::default();
        let stage = |name: &str| {
            stages
                .get_or_create(&StageLabels {
                    stage: name.to_owned(),
                })
                .clone()
        };
        let (stage_parse, stage_detect, stage_commit) =
            (stage("parse"), stage("detect"), stage("commit"));
        let dead_letters = Family::<SourceLabels, Counter>::default();
        let detections = Family::<SourceLabels, Counter>::default();
        let alerts_raised = Family::<SourceLabels, Counter>::default();
        registry.register(
            "events_in",
            "Events stored: each event once, however often its batch was sent",
            events_in.clone(),
        );
        registry.register(
            "events_resent",
            "Events accepted again from a batch sent again (a client's retry, a redelivery), \
             already stored and not stored again",
            events_resent.clone(),
        );
        registry.register(
            "ingest_stage_seconds",
            "Time spent parsing, detecting and committing, summed over batches",
            stages,
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
            events_resent,
            stage_parse,
            stage_detect,
            stage_commit,
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

    /// Counts a committed batch: `stored` events newly stored, `resent`
    /// events accepted but already stored (the batch was sent before, and
    /// the store, which writes an event id once, kept the first copy), and
    /// `rejected` records that went to dead letters.
    pub(crate) fn record_ingest(
        &self,
        binding: &SourceBinding,
        stored: u64,
        resent: u64,
        rejected: u64,
    ) {
        let labels = Self::labels(binding);
        self.events_in.get_or_create(&labels).inc_by(stored);
        if resent > 0 {
            self.events_resent.get_or_create(&labels).inc_by(resent);
        }
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

    /// Adds a batch's time in each stage.
    pub(crate) fn record_stages(&self, timings: PipelineTimings) {
        self.stage_parse.inc_by(timings.parse.as_secs_f64());
        self.stage_detect.inc_by(timings.detect.as_secs_f64());
        self.stage_commit.inc_by(timings.commit.as_secs_f64());
    }

    /// Time spent in each stage so far (`vigil_ingest_stage_seconds_total`).
    pub fn timings(&self) -> PipelineTimings {
        let read = |c: &StageCounter| Duration::try_from_secs_f64(c.get()).unwrap_or_default();
        PipelineTimings {
            parse: read(&self.stage_parse),
            detect: read(&self.stage_detect),
            commit: read(&self.stage_commit),
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
