//! The correlation stage: after detection, each event's detections of
//! rules that correlations refer to feed the correlation engine, the
//! detections of rules that correlations keep silent (`generate: false`)
//! raise no alerts of their own, and correlation firings become alerts.
//!
//! The engine's state is shared by every batch, behind a mutex. A batch
//! reads what it contributes from its events without the lock
//! ([`vigil_correlate::CorrelationSet::prepare`]), then takes the lock
//! once to feed them all: the critical section is window bookkeeping only.
//!
//! Alerts from correlations are named by (tenant, correlation, group,
//! episode start), so a replay after a failed commit lands on the same
//! alert; their evidence is the events that made the window (bounded).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric};
use prometheus_client::metrics::counter::ConstCounter;
use prometheus_client::metrics::gauge::ConstGauge;
use vigil_correlate::{
    CorrelationEngine, CorrelationSet, EngineConfig, EngineMetrics, Firing, Prepared,
    RestoreReport, Snapshot, SnapshotError,
};
use vigil_detect::Detection;
use vigil_model::{Alert, AlertStatus, Entity, Event, SourceBinding, Timestamp, alert_id_for};
use vigil_store::{CorrelationStateStore, MAX_ALERT_ENTITIES, StoreError};

use crate::alerts::AlertAccumulator;

/// The name the pipeline's engine state is saved under.
pub const CORRELATION_STATE_NAME: &str = "pipeline";

/// The correlation settings of a node's configuration (`[correlation]` in
/// `vigil.toml`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CorrelationSettings {
    /// How late (behind the newest event time of its tenant) an event may
    /// arrive and still count, in seconds.
    pub allowed_lateness_seconds: u32,
    /// Most correlation groups kept (least recently fed evicted first).
    pub max_groups: usize,
    /// Most entries kept in one group's window (oldest evicted first).
    pub max_entries_per_group: usize,
    /// Most events cited as evidence by one correlation alert.
    pub max_evidence: usize,
    /// How often the state is saved to the store, in seconds of real time
    /// (it is also saved on shutdown).
    pub snapshot_every_seconds: u32,
}

impl Default for CorrelationSettings {
    fn default() -> Self {
        let engine = EngineConfig::default();
        Self {
            allowed_lateness_seconds: u32::try_from(engine.allowed_lateness.num_seconds())
                .unwrap_or(300),
            max_groups: engine.max_groups,
            max_entries_per_group: engine.max_entries_per_group,
            max_evidence: engine.max_evidence,
            snapshot_every_seconds: 60,
        }
    }
}

impl CorrelationSettings {
    /// The engine configuration these settings make.
    pub fn engine_config(&self) -> EngineConfig {
        EngineConfig {
            allowed_lateness: chrono::Duration::seconds(i64::from(self.allowed_lateness_seconds)),
            max_groups: self.max_groups.max(1),
            max_entries_per_group: self.max_entries_per_group.max(1),
            max_evidence: self.max_evidence.max(1),
            ..EngineConfig::default()
        }
    }
}

/// Saves `stage`'s state to `store` every `every` of real time, until the
/// task is aborted; a failed save is logged and retried at the next tick.
pub async fn save_periodically(
    stage: Arc<CorrelationStage>,
    store: Arc<dyn CorrelationStateStore>,
    clock: Arc<dyn vigil_model::Clock>,
    every: std::time::Duration,
) {
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    // The first tick is immediate; the state was just restored.
    tick.tick().await;
    loop {
        tick.tick().await;
        if let Err(e) = stage.save(store.as_ref(), clock.now()).await {
            tracing::warn!(error = %e, "correlation state not saved");
        }
    }
}

/// Correlations and their running state.
#[derive(Debug)]
pub struct CorrelationStage {
    set: Arc<CorrelationSet>,
    config: EngineConfig,
    engine: Mutex<CorrelationEngine>,
}

impl CorrelationStage {
    /// A stage running `set` with no state yet.
    pub fn new(set: Arc<CorrelationSet>, config: EngineConfig) -> Self {
        Self {
            engine: Mutex::new(CorrelationEngine::new(Arc::clone(&set), config.clone())),
            set,
            config,
        }
    }

    /// A stage of the same correlations and limits, with no state: one per
    /// partition of a shared ingest log, each saved under its own name.
    pub fn fresh(&self) -> Self {
        Self::new(Arc::clone(&self.set), self.config.clone())
    }

    /// The correlations.
    pub fn set(&self) -> &Arc<CorrelationSet> {
        &self.set
    }

    fn engine(&self) -> std::sync::MutexGuard<'_, CorrelationEngine> {
        self.engine.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// What the engine has counted, and how many groups and entries it holds.
    pub fn metrics(&self) -> (EngineMetrics, usize, usize) {
        let engine = self.engine();
        (engine.metrics(), engine.group_count(), engine.entry_count())
    }

    /// The state now (expired groups dropped first), as bytes.
    pub fn snapshot_bytes(&self) -> Vec<u8> {
        let snapshot = {
            let mut engine = self.engine();
            engine.expire();
            engine.snapshot()
        };
        snapshot.to_bytes()
    }

    /// Replaces the state with the one in `bytes`.
    pub fn restore_bytes(&self, bytes: &[u8]) -> Result<RestoreReport, SnapshotError> {
        let snapshot = Snapshot::from_bytes(bytes)?;
        let (engine, report) =
            CorrelationEngine::restore(Arc::clone(&self.set), self.config.clone(), snapshot);
        *self.engine() = engine;
        Ok(report)
    }

    /// Saves the state to `store` (durable when it returns).
    pub async fn save(
        &self,
        store: &dyn CorrelationStateStore,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        self.save_as(store, CORRELATION_STATE_NAME, now).await
    }

    /// Saves the state to `store` under `name` (a partition's stage).
    pub async fn save_as(
        &self,
        store: &dyn CorrelationStateStore,
        name: &str,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let bytes = self.snapshot_bytes();
        store.save_correlation_state(name, bytes, now).await
    }

    /// Restores the state saved in `store`, if there is one. A snapshot
    /// that cannot be read is reported and left behind (the stage starts
    /// empty): losing windows must not keep a node from starting.
    pub async fn load(
        &self,
        store: &dyn CorrelationStateStore,
    ) -> Result<Option<RestoreReport>, StoreError> {
        self.load_from(store, CORRELATION_STATE_NAME).await
    }

    /// As [`CorrelationStage::load`], from the state saved under `name`.
    pub async fn load_from(
        &self,
        store: &dyn CorrelationStateStore,
        name: &str,
    ) -> Result<Option<RestoreReport>, StoreError> {
        let Some(saved) = store.load_correlation_state(name).await? else {
            return Ok(None);
        };
        match self.restore_bytes(&saved.snapshot) {
            Ok(report) => Ok(Some(report)),
            Err(e) => {
                tracing::warn!(error = %e, saved_at = %saved.saved_at, "correlation state not restored");
                Ok(None)
            }
        }
    }

    fn observe(&self, inputs: Vec<Prepared>, now: Timestamp) -> Vec<Firing> {
        let mut out = Vec::new();
        let mut engine = self.engine();
        for input in inputs {
            engine.observe(input, now, &mut out);
        }
        out
    }
}

/// One batch's part in correlation.
pub(crate) struct BatchCorrelation<'a> {
    stage: &'a CorrelationStage,
    prepared: Vec<Prepared>,
}

impl<'a> BatchCorrelation<'a> {
    pub fn new(stage: &'a CorrelationStage) -> Self {
        Self {
            stage,
            prepared: Vec::new(),
        }
    }
}

/// Turns one event's detections into alerts, except those a correlation
/// keeps silent, and readies what the event feeds to correlations.
pub(crate) fn route(
    correlation: Option<&mut BatchCorrelation<'_>>,
    event: &Event,
    fingerprint: u64,
    detections: &mut Vec<Detection>,
    alerts: &mut AlertAccumulator,
) {
    let Some(batch) = correlation else {
        alerts.add_all(event, fingerprint, detections.drain(..));
        return;
    };
    let set = &batch.stage.set;
    if let Some(prepared) = set.prepare_detections(event, fingerprint, detections) {
        batch.prepared.push(prepared);
    }
    alerts.add_all(
        event,
        fingerprint,
        detections.drain(..).filter(|d| set.generates(&d.rule.id)),
    );
}

/// Feeds the batch's prepared events to the engine and adds an alert for
/// every firing. `events` are the batch's events (for the entities of the
/// evidence that is among them).
pub(crate) fn finish(
    batch: BatchCorrelation<'_>,
    events: &[Event],
    binding: &SourceBinding,
    now: Timestamp,
    alerts: &mut AlertAccumulator,
) {
    if batch.prepared.is_empty() {
        return;
    }
    let firings = batch.stage.observe(batch.prepared, now);
    if firings.is_empty() {
        return;
    }
    let by_id: HashMap<_, &Event> = events.iter().map(|e| (e.id, e)).collect();
    for firing in firings {
        let group = firing.group_key();
        let id = alert_id_for(
            &binding.tenant,
            &firing.correlation.id,
            &group,
            firing.window_start,
        );
        let mut entities: Vec<Entity> = Vec::new();
        for evidence in &firing.evidence {
            let Some(event) = by_id.get(&evidence.event) else {
                continue;
            };
            for entity in &event.entities {
                if entities.len() < MAX_ALERT_ENTITIES && !entities.contains(entity) {
                    entities.push(entity.clone());
                }
            }
        }
        let first_seen = firing
            .evidence
            .iter()
            .map(|e| e.time)
            .min()
            .unwrap_or(firing.time);
        let meta = &firing.correlation;
        let alert = Alert {
            id,
            tenant: binding.tenant.clone(),
            site: binding.site.clone(),
            rule_id: meta.id.clone(),
            rule_title: meta.title.clone(),
            severity: meta.level,
            status: AlertStatus::New,
            group_key: group,
            window_start: firing.window_start,
            first_seen,
            last_seen: firing.time,
            event_count: 0,
            entities,
            evidence: Vec::new(),
            created_at: now,
            updated_at: now,
        };
        let evidence = firing
            .evidence
            .iter()
            .map(|e| (e.event, e.fingerprint, e.time));
        alerts.add_alert(alert, evidence);
    }
}

/// The engine's counters and sizes in the metrics exposition, read from
/// whichever stage is installed at scrape time.
#[derive(Debug)]
pub(crate) struct CorrelationCollector(pub Arc<RwLock<Option<Arc<CorrelationStage>>>>);

impl Collector for CorrelationCollector {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let stage = self.0.read().unwrap_or_else(|p| p.into_inner()).clone();
        let Some(stage) = stage else { return Ok(()) };
        let (m, groups, entries) = stage.metrics();
        let counters: [(&str, &str, u64); 9] = [
            (
                "correlation_observed",
                "Events that fed a correlation",
                m.observed,
            ),
            (
                "correlation_late_dropped",
                "Detections dropped for arriving later than the allowed lateness",
                m.late_dropped,
            ),
            (
                "correlation_duplicates",
                "Detections already in their window (replays)",
                m.duplicates,
            ),
            (
                "correlation_missing_group_field",
                "Detections lacking a group-by field",
                m.missing_group_field,
            ),
            (
                "correlation_missing_value",
                "Detections lacking the field a value correlation aggregates",
                m.missing_value,
            ),
            (
                "correlation_groups_evicted",
                "Correlation groups evicted at the group cap (least recently fed first)",
                m.groups_evicted,
            ),
            (
                "correlation_entries_evicted",
                "Window entries evicted at the per-group cap",
                m.entries_evicted,
            ),
            (
                "correlation_groups_expired",
                "Correlation groups dropped once they could no longer matter",
                m.groups_expired,
            ),
            (
                "correlation_firings",
                "Correlation episodes started",
                m.firings,
            ),
        ];
        for (name, help, value) in counters {
            let counter = ConstCounter::new(value);
            counter.encode(encoder.encode_descriptor(
                name,
                help,
                None,
                counter.metric_type(),
            )?)?;
        }
        for (name, help, value) in [
            ("correlation_groups", "Correlation groups held", groups),
            (
                "correlation_entries",
                "Correlation window entries held",
                entries,
            ),
        ] {
            let gauge = ConstGauge::new(i64::try_from(value).unwrap_or(i64::MAX));
            gauge.encode(encoder.encode_descriptor(name, help, None, gauge.metric_type())?)?;
        }
        Ok(())
    }
}
