//! Vigil's hot path: from input that arrived through a bound source to
//! durable events, dead letters and alerts.
//!
//! ```text
//! payload ──parse──► fields ──normalize──► Event ──detect──► detections ──group──► alerts
//!    └──── unparseable ─────────────────────────────────────────────► dead letters
//!                                 all of it committed in one transaction, then acknowledged
//! ```
//!
//! The CPU-bound part (parse, normalize, detect) is a pure function of the
//! payload, the binding, the rules and `now`; it runs on a blocking thread so
//! that a large batch never stalls the async runtime. The only I/O is the
//! store commit at the end, and the bus notification after it.

#![warn(missing_docs)]

mod alert_ids;
mod alerts;
mod correlation;
mod log;
mod metrics;
mod people_register;
mod process;

use std::sync::{Arc, RwLock};

use chrono::Duration;
use vigil_detect::Detector;
use vigil_model::{Clock, SourceBinding};
use vigil_store::{Bus, BusMessage, Store, StoreError};

pub use alerts::group_key;
pub use correlation::{
    CORRELATION_STATE_NAME, CorrelationSettings, CorrelationStage, save_periodically,
};
pub use log::{IngestLog, LogError, LoggedBatch};
pub use metrics::{Metrics, PipelineTimings};
pub use people_register::{PeopleRegister, account_key, status_on};
pub use process::{LineRejection, MAX_DEAD_LETTER_BYTES, Payload};

/// How the pipeline behaves.
#[derive(Debug, Clone)]
pub struct PipelineConfig {
    /// Detections of one rule about one group within a window of this length
    /// land on one alert.
    pub alert_window: Duration,
}

impl Default for PipelineConfig {
    fn default() -> Self {
        Self {
            alert_window: Duration::hours(1),
        }
    }
}

/// A failure to ingest a payload. Nothing of the payload was acknowledged.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    /// The store could not make the batch durable.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The processing thread was lost (a bug; reported, never swallowed).
    #[error("processing task failed: {0}")]
    Worker(String),
    /// The shared ingest log did not take the batch.
    #[error(transparent)]
    Log(#[from] LogError),
}

/// What became of a payload.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct IngestOutcome {
    /// Records accepted as events (0 when `logged`: see `logged_records`).
    pub accepted: usize,
    /// Records that went to dead letters, with where and why (none listed
    /// when `logged`).
    pub rejected: Vec<LineRejection>,
    /// Alerts raised for the first time (0 when `logged`).
    pub alerts_created: usize,
    /// Existing alerts that gained evidence (0 when `logged`).
    pub alerts_updated: usize,
    /// The batch went to the cluster's ingest log: it is durable there and
    /// is processed by the node that consumes its partition, so the counts
    /// above are not known yet (they are zero).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub logged: bool,
    /// With `logged`: the records (non-blank lines, frames) the log took.
    /// Each becomes an event or a dead letter when the batch is applied;
    /// both are searchable then (`/api/v1/events`, `/api/v1/dead-letters`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub logged_records: Option<usize>,
}

/// The ingest pipeline. Cheap to clone; clones share everything.
#[derive(Debug, Clone)]
pub struct Pipeline {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    store: Arc<dyn Store>,
    bus: Arc<dyn Bus>,
    clock: Arc<dyn Clock>,
    detector: RwLock<Arc<dyn Detector>>,
    people: RwLock<Arc<PeopleRegister>>,
    /// The correlation stage, when correlations are loaded (shared with
    /// the metrics collector that reports on it).
    correlation: Arc<RwLock<Option<Arc<CorrelationStage>>>>,
    metrics: Metrics,
    config: PipelineConfig,
    /// The shared ingest log, when the node shares its ingest with others.
    log: RwLock<Option<Arc<dyn IngestLog>>>,
    /// One permit per core for parsing and matching batches: more batches
    /// at once than cores only queue the store's writer (the one serial
    /// stage) behind the matchers for a core.
    processing: tokio::sync::Semaphore,
}

impl Pipeline {
    /// A pipeline writing to `store`, notifying `bus`, detecting with
    /// `detector`, and reading the time from `clock`.
    pub fn new(
        store: Arc<dyn Store>,
        bus: Arc<dyn Bus>,
        clock: Arc<dyn Clock>,
        detector: Arc<dyn Detector>,
        config: PipelineConfig,
    ) -> Self {
        let correlation = Arc::new(RwLock::new(None));
        let metrics = Metrics::new();
        metrics.with_registry(|r| {
            r.register_collector(Box::new(correlation::CorrelationCollector(Arc::clone(
                &correlation,
            ))))
        });
        Self {
            inner: Arc::new(Inner {
                store,
                bus,
                clock,
                detector: RwLock::new(detector),
                people: RwLock::new(Arc::new(PeopleRegister::default())),
                correlation,
                metrics,
                config,
                log: RwLock::new(None),
                processing: tokio::sync::Semaphore::new(
                    std::thread::available_parallelism().map_or(1, std::num::NonZero::get),
                ),
            }),
        }
    }

    /// Replaces the rules; batches already in flight finish with the old ones.
    pub fn set_detector(&self, detector: Arc<dyn Detector>) {
        let mut slot = self
            .inner
            .detector
            .write()
            .unwrap_or_else(|p| p.into_inner());
        *slot = detector;
    }

    /// The rules in use.
    pub fn detector(&self) -> Arc<dyn Detector> {
        self.inner
            .detector
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Replaces the people register events are enriched with; batches
    /// already in flight finish with the old one.
    pub fn set_people(&self, people: Arc<PeopleRegister>) {
        *self.inner.people.write().unwrap_or_else(|p| p.into_inner()) = people;
    }

    /// The people register in use.
    pub fn people(&self) -> Arc<PeopleRegister> {
        self.inner
            .people
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Installs (or removes) the correlation stage; batches already in
    /// flight finish with the old one. Install it together with the rules
    /// it was compiled against ([`Pipeline::set_detector`]).
    pub fn set_correlations(&self, stage: Option<Arc<CorrelationStage>>) {
        *self
            .inner
            .correlation
            .write()
            .unwrap_or_else(|p| p.into_inner()) = stage;
    }

    /// The correlation stage in use.
    pub fn correlations(&self) -> Option<Arc<CorrelationStage>> {
        self.inner
            .correlation
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// The pipeline's counters.
    pub fn metrics(&self) -> &Metrics {
        &self.inner.metrics
    }

    /// The clock the pipeline reads.
    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.inner.clock
    }

    /// The store the pipeline writes to.
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.inner.store
    }

    /// Installs (or removes) the shared ingest log: with one, [`Pipeline::ingest`]
    /// appends to it instead of processing, and [`Pipeline::apply`] processes
    /// what it delivers.
    pub fn set_log(&self, log: Option<Arc<dyn IngestLog>>) {
        *self.inner.log.write().unwrap_or_else(|p| p.into_inner()) = log;
    }

    fn log(&self) -> Option<Arc<dyn IngestLog>> {
        self.inner
            .log
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Ingests a payload that arrived through `binding`. Returns once every
    /// accepted event, dead letter and alert is durable — only then may the
    /// source be acknowledged. With a shared ingest log installed, "durable"
    /// means held by the log (the outcome says `logged`); the batch is
    /// processed when its partition's consumer [applies](Pipeline::apply) it.
    pub async fn ingest(
        &self,
        binding: &SourceBinding,
        payload: Payload,
    ) -> Result<IngestOutcome, IngestError> {
        let received_at = self.inner.clock.now();
        if let Some(log) = self.log() {
            let records = payload.records();
            log.append(LoggedBatch {
                // From the content: a client's resend of the same batch is
                // logged under the same key and applies as nothing new.
                id: process::batch_key(binding, &payload),
                binding: binding.clone(),
                received_at,
                payload,
            })
            .await?;
            return Ok(IngestOutcome {
                logged: true,
                logged_records: Some(records),
                ..IngestOutcome::default()
            });
        }
        self.run(binding, payload, received_at, None, self.correlations())
            .await
    }

    /// Processes a batch the ingest log delivered, with `correlation` (the
    /// stage of the batch's partition) in place of the pipeline's own.
    /// Applying the same batch again adds no event (its event ids derive
    /// from the batch's id) and no evidence (fingerprints).
    pub async fn apply(
        &self,
        batch: LoggedBatch,
        correlation: Option<Arc<CorrelationStage>>,
    ) -> Result<IngestOutcome, IngestError> {
        self.run(
            &batch.binding,
            batch.payload,
            batch.received_at,
            Some(batch.id),
            correlation,
        )
        .await
    }

    async fn run(
        &self,
        binding: &SourceBinding,
        payload: Payload,
        received_at: vigil_model::Timestamp,
        seed: Option<u128>,
        correlation: Option<Arc<CorrelationStage>>,
    ) -> Result<IngestOutcome, IngestError> {
        let detector = self.detector();
        let window = self.inner.config.alert_window;
        let owned_binding = binding.clone();
        let people = self.people();
        let permit = self
            .inner
            .processing
            .acquire()
            .await
            .map_err(|e| IngestError::Worker(e.to_string()))?;
        let processed = tokio::task::spawn_blocking(move || {
            let started = std::time::Instant::now();
            let processed = process::process_with(
                &owned_binding,
                payload,
                process::Context {
                    received_at,
                    detector: detector.as_ref(),
                    alert_window: window,
                    people: &people,
                    correlation: correlation.as_deref(),
                    seed,
                },
            );
            (processed, started.elapsed())
        })
        .await
        .map_err(|e| IngestError::Worker(e.to_string()))?;
        drop(permit);
        let (processed, processing_time) = processed;

        let accepted = processed.batch.events.len();
        let rejected = processed.rejections;
        let detections = processed.batch.detections.len();
        let committing = std::time::Instant::now();
        let receipt = self.inner.store.commit(processed.batch).await?;

        let m = &self.inner.metrics;
        m.record_stages(PipelineTimings {
            parse: processing_time.saturating_sub(processed.detect_time),
            detect: processed.detect_time,
            commit: committing.elapsed(),
        });
        // Counted once: events already stored (the batch was sent before
        // and its answer lost, or the log redelivered it) count as resent.
        let stored = receipt.events_written.min(accepted);
        m.record_ingest(
            binding,
            stored as u64,
            (accepted - stored) as u64,
            rejected.len() as u64,
        );
        m.record_detections(
            binding,
            detections as u64,
            receipt.alerts_created.len() as u64,
        );
        for (id, tenant, severity, title) in processed.alert_heads {
            if receipt.alerts_created.contains(&id) {
                self.inner.bus.publish(BusMessage::AlertRaised {
                    id,
                    tenant,
                    severity,
                    title,
                });
            } else if receipt.alerts_updated.contains(&id) {
                self.inner
                    .bus
                    .publish(BusMessage::AlertUpdated { id, tenant });
            }
        }
        Ok(IngestOutcome {
            accepted,
            rejected,
            alerts_created: receipt.alerts_created.len(),
            alerts_updated: receipt.alerts_updated.len(),
            logged: false,
            logged_records: None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use vigil_detect::{LoadOptions, RuleSet};
    use vigil_model::{ManualClock, SourceId, SourceKind, Tenant, TenantId};
    use vigil_store::sqlite::{SqliteOptions, SqliteStore};
    use vigil_store::{AlertQuery, LocalBus, TenantScope};

    const RULE: &str = r#"
title: Camera tamper
id: 21111111-2222-3333-4444-555555555555
level: critical
logsource:
  product: vigil
  category: video_analytics
detection:
  selection:
    action: tamper
  condition: selection
"#;

    /// A temporary store holding the tenant `acme`.
    async fn store_with_acme() -> (Arc<dyn Store>, TenantId) {
        let store: Arc<dyn Store> =
            Arc::new(SqliteStore::open_temporary(SqliteOptions::default()).unwrap());
        let tenant = TenantId::new("acme").unwrap();
        store
            .upsert_tenant(&Tenant {
                id: tenant.clone(),
                name: "Acme".into(),
            })
            .await
            .unwrap();
        (store, tenant)
    }

    /// An HTTP source `id` of `tenant`, product `video`.
    fn video_source(id: &str, tenant: TenantId) -> SourceBinding {
        SourceBinding {
            id: SourceId::new(id).unwrap(),
            tenant,
            site: None,
            kind: SourceKind::Http,
            product: "video".into(),
        }
    }

    #[tokio::test]
    async fn ingest_is_durable_notifies_counts_and_replays_converge() {
        let (store, tenant) = store_with_acme().await;
        let bus = Arc::new(LocalBus::new(16));
        let mut live = bus.subscribe();
        let clock = Arc::new(ManualClock::new(
            chrono::DateTime::from_timestamp(1_764_000_000, 0).unwrap(),
        ));
        let rules = RuleSet::load_sources([("t".into(), RULE.into())], &LoadOptions::default());
        let pipeline = Pipeline::new(
            store.clone(),
            bus.clone(),
            clock,
            Arc::new(rules.ruleset),
            PipelineConfig::default(),
        );
        let binding = video_source("acme-video", tenant);
        let body = br#"{"time":"2026-11-26T02:00:00Z","class":"video_analytics","camera":"cam-7","action":"tamper"}
{"time":"2026-11-26T02:00:05Z","class":"video_analytics","camera":"cam-7","action":"motion"}
not json
"#;
        let payload = || Payload::Ndjson {
            body: body.to_vec(),
            first_line: 1,
            origin: None,
        };
        let first = pipeline.ingest(&binding, payload()).await.unwrap();
        assert_eq!(
            (first.accepted, first.rejected.len(), first.alerts_created),
            (2, 1, 1)
        );
        match live.try_recv().unwrap() {
            BusMessage::AlertRaised {
                severity, title, ..
            } => {
                assert_eq!(severity, vigil_model::Severity::Critical);
                assert_eq!(title, "Camera tamper");
            }
            other => panic!("unexpected {other:?}"),
        }

        let again = pipeline.ingest(&binding, payload()).await.unwrap();
        assert_eq!((again.accepted, again.alerts_created), (2, 0));
        let alerts = store
            .alerts(&AlertQuery::all_in(TenantScope::All, 10))
            .await
            .unwrap()
            .items;
        assert_eq!(alerts.len(), 1);
        assert_eq!(alerts[0].event_count, 1, "a replay adds no evidence");

        let text = pipeline.metrics().encode();
        // The resent batch's events were stored once, and counted once;
        // the resend is counted on its own.
        assert!(
            text.contains(r#"vigil_events_in_total{tenant="acme",source="acme-video"} 2"#),
            "{text}"
        );
        assert!(
            text.contains(r#"vigil_events_resent_total{tenant="acme",source="acme-video"} 2"#),
            "{text}"
        );
        let timings = pipeline.metrics().timings();
        assert!(
            timings.parse > std::time::Duration::ZERO && timings.commit > std::time::Duration::ZERO,
            "{timings:?}"
        );
        assert!(
            text.contains(r#"vigil_ingest_stage_seconds_total{stage="detect"}"#),
            "{text}"
        );
        assert!(text.contains(r#"vigil_dead_letters_total{tenant="acme",source="acme-video"} 2"#));
    }

    /// Counts the events being matched at once, and the most ever.
    #[derive(Debug, Default)]
    struct Overlap {
        now: std::sync::atomic::AtomicUsize,
        most: std::sync::atomic::AtomicUsize,
    }

    impl vigil_detect::Detector for Overlap {
        fn detect(&self, _: &vigil_model::Event, _: &mut Vec<vigil_detect::Detection>) {
            use std::sync::atomic::Ordering::SeqCst;
            let now = self.now.fetch_add(1, SeqCst) + 1;
            self.most.fetch_max(now, SeqCst);
            std::thread::sleep(std::time::Duration::from_millis(2));
            self.now.fetch_sub(1, SeqCst);
        }
        fn detect_read(
            &self,
            event: &vigil_model::Event,
            _: &vigil_detect::JsonDocument<'_>,
            out: &mut Vec<vigil_detect::Detection>,
        ) {
            self.detect(event, out);
        }
        fn rule_count(&self) -> usize {
            0
        }
        fn matched(&self, _: &str, _: &vigil_model::Event) -> Option<vigil_detect::MatchDetail> {
            None
        }
    }

    /// Many batches at once are parsed and matched at most one per core,
    /// so that the store's writer is not queued behind more matchers than
    /// there are cores.
    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn batches_are_matched_at_most_one_per_core() {
        let (store, tenant) = store_with_acme().await;
        let overlap = Arc::new(Overlap::default());
        let pipeline = Pipeline::new(
            store,
            Arc::new(LocalBus::new(16)),
            Arc::new(vigil_model::SystemClock),
            overlap.clone(),
            PipelineConfig::default(),
        );
        let binding = video_source("acme-http", tenant);
        let sends = (0..12).map(|batch| {
            let (pipeline, binding) = (pipeline.clone(), binding.clone());
            tokio::spawn(async move {
                let body: String = (0..5)
                    .map(|n| format!("{{\"batch\":{batch},\"n\":{n}}}\n"))
                    .collect();
                pipeline
                    .ingest(
                        &binding,
                        Payload::Ndjson {
                            body: body.into_bytes(),
                            first_line: 1,
                            origin: None,
                        },
                    )
                    .await
                    .unwrap()
                    .accepted
            })
        });
        let mut accepted = 0;
        for send in sends.collect::<Vec<_>>() {
            accepted += send.await.unwrap();
        }
        assert_eq!(accepted, 60);
        let cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
        let most = overlap.most.load(std::sync::atomic::Ordering::SeqCst);
        assert!(
            most >= 1 && most <= cores,
            "{most} batches matched at once on {cores} cores"
        );
    }
}
