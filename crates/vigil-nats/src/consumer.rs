//! The consumers: every node runs a worker per partition of the ingest
//! log, and a worker consumes only while it holds its partition's lease in
//! the store (`ingest-p<n>`, renewed on every pass). So each partition — and
//! with it each tenant's correlation state — is processed by one node at a
//! time; when that node dies its lease expires and a worker on another node
//! takes the partition over, restoring the partition's correlation state
//! from the store.
//!
//! A batch is acknowledged to JetStream only after the store committed it.
//! A batch that was committed but whose acknowledgement was lost (the node
//! died in between) is delivered again, to whoever holds the partition
//! then; that is harmless, because its event ids derive from the batch id
//! and its evidence from content fingerprints, so nothing is added twice.

use std::sync::Arc;
use std::time::{Duration, Instant};

use async_nats::jetstream::AckKind;
use async_nats::jetstream::consumer::{AckPolicy, PullConsumer, pull};
use futures::StreamExt;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use vigil_ingest::{CorrelationStage, Pipeline};
use vigil_store::{CorrelationStateStore, DeskStore};

use crate::connect::NatsError;
use crate::log::{JetStreamLog, stream_of};
use crate::metrics::LogMetrics;
use crate::wire;

/// How the partition workers behave.
#[derive(Debug, Clone)]
pub struct ConsumerSettings {
    /// How long a partition's lease lasts unrenewed: how long a dead node's
    /// partitions wait before another node takes them.
    pub lease_ttl: Duration,
    /// Batches fetched at once.
    pub fetch_batch: usize,
    /// How long a fetch waits for batches when the partition is idle.
    pub fetch_wait: Duration,
    /// How long JetStream waits for an acknowledgement before delivering a
    /// batch again. Batches a node had fetched when it died come back after
    /// this long, so it is no longer than the lease: they are applied by
    /// the node taking the partition over, not a minute later. A batch
    /// still being applied is kept from redelivery by progress
    /// acknowledgements.
    pub ack_wait: Duration,
    /// How often a held partition's correlation state is saved.
    pub snapshot_every: Duration,
}

impl Default for ConsumerSettings {
    fn default() -> Self {
        Self {
            lease_ttl: Duration::from_secs(15),
            fetch_batch: 16,
            fetch_wait: Duration::from_secs(1),
            ack_wait: Duration::from_secs(15),
            snapshot_every: Duration::from_secs(60),
        }
    }
}

/// What a worker works with.
#[derive(Clone)]
pub struct WorkerContext {
    /// The pipeline batches are applied with.
    pub pipeline: Pipeline,
    /// Where leases are taken.
    pub leases: Arc<dyn DeskStore>,
    /// Where each partition's correlation state is saved.
    pub states: Arc<dyn CorrelationStateStore>,
    /// The correlations (a fresh stage of them per held partition), if any.
    pub correlations: Option<Arc<CorrelationStage>>,
    /// This node's name: the lease holder.
    pub node: String,
}

/// The running workers.
#[derive(Debug)]
pub struct Workers {
    stop: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

impl Workers {
    /// Stops every worker; each saves its partition's correlation state
    /// first, and leaves unacknowledged batches to be delivered again.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        for task in self.tasks {
            let _ = task.await;
        }
    }
}

/// The lease (and correlation state) name of partition `p`.
pub fn lease_name(p: u32) -> String {
    format!("ingest-p{p}")
}

/// Creates (or opens) each partition's durable consumer and starts a
/// worker per partition.
pub async fn start(
    log: &JetStreamLog,
    context: WorkerContext,
    settings: ConsumerSettings,
    metrics: LogMetrics,
) -> Result<Workers, NatsError> {
    let stream_name = stream_of(log.name());
    let stream =
        log.context()
            .get_stream(&stream_name)
            .await
            .map_err(|e| NatsError::JetStream {
                what: format!("open stream {stream_name}"),
                reason: e.to_string(),
            })?;
    let (stop, stop_rx) = watch::channel(false);
    let mut tasks = Vec::new();
    for p in 0..log.partitions() {
        let name = format!("ingest-p{p}");
        let config = pull::Config {
            durable_name: Some(name.clone()),
            filter_subject: format!("{}.ingest.p{p}.>", log.name()),
            ack_policy: AckPolicy::Explicit,
            ack_wait: settings.ack_wait,
            // Unlimited: a batch the store cannot take now is retried until
            // it can, never dropped.
            max_deliver: -1,
            ..Default::default()
        };
        let consumer: PullConsumer =
            stream
                .get_or_create_consumer(&name, config)
                .await
                .map_err(|e| NatsError::JetStream {
                    what: format!("create or open consumer {name}"),
                    reason: e.to_string(),
                })?;
        let worker = Worker {
            partition: p,
            lease: lease_name(p),
            consumer,
            context: context.clone(),
            settings: settings.clone(),
            metrics: metrics.clone(),
            stage: None,
            saved: Instant::now(),
        };
        tasks.push(tokio::spawn(worker.run(stop_rx.clone())));
    }
    Ok(Workers { stop, tasks })
}

struct Worker {
    partition: u32,
    lease: String,
    consumer: PullConsumer,
    context: WorkerContext,
    settings: ConsumerSettings,
    metrics: LogMetrics,
    /// Held partition: its correlation stage (empty `Some(None)` without
    /// correlations); `None` while another node holds it.
    stage: Option<Option<Arc<CorrelationStage>>>,
    saved: Instant,
}

impl Worker {
    async fn run(mut self, mut stop: watch::Receiver<bool>) {
        loop {
            if *stop.borrow() {
                self.release().await;
                return;
            }
            if !self.hold().await {
                // Every node shows every partition's lag, held or not.
                self.report_lag().await;
                tokio::select! {
                    _ = tokio::time::sleep(self.settings.lease_ttl / 3) => {}
                    _ = stop.changed() => {}
                }
                continue;
            }
            if let Err(e) = self.pass().await {
                tracing::warn!(partition = self.partition, error = %e, "ingest log unreachable; retrying");
                tokio::select! {
                    _ = tokio::time::sleep(Duration::from_secs(1)) => {}
                    _ = stop.changed() => {}
                }
            }
            self.report_lag().await;
            if self.saved.elapsed() >= self.settings.snapshot_every {
                self.save().await;
            }
        }
    }

    /// Takes or renews the lease; true when this node holds the partition.
    async fn hold(&mut self) -> bool {
        let ttl = chrono::Duration::from_std(self.settings.lease_ttl)
            .unwrap_or(chrono::Duration::seconds(15));
        let held = match self
            .context
            .leases
            .try_lease(&self.lease, &self.context.node, chrono::Utc::now(), ttl)
            .await
        {
            Ok(held) => held,
            Err(e) => {
                // Unrenewed, the lease runs out and another node may take
                // the partition: stop consuming rather than race it.
                tracing::warn!(partition = self.partition, error = %e, "partition lease not renewed; pausing");
                false
            }
        };
        match (held, self.stage.is_some()) {
            (true, false) => self.take().await,
            (false, true) => {
                tracing::info!(
                    partition = self.partition,
                    "partition taken by another node"
                );
                self.stage = None;
            }
            _ => {}
        }
        self.metrics
            .set_held(self.partition, &self.context.node, held);
        held
    }

    /// The partition was just taken: its correlation state is restored.
    async fn take(&mut self) {
        let stage = match &self.context.correlations {
            Some(base) => {
                let stage = Arc::new(base.fresh());
                match stage
                    .load_from(self.context.states.as_ref(), &self.lease)
                    .await
                {
                    Ok(Some(r)) => tracing::info!(
                        partition = self.partition,
                        groups = r.groups,
                        "partition taken; correlation state restored"
                    ),
                    Ok(None) => tracing::info!(
                        partition = self.partition,
                        "partition taken; no saved correlation state"
                    ),
                    Err(e) => tracing::warn!(
                        partition = self.partition, error = %e,
                        "partition taken; correlation state could not be read, starting empty"
                    ),
                }
                Some(stage)
            }
            None => {
                tracing::info!(partition = self.partition, "partition taken");
                None
            }
        };
        self.stage = Some(stage);
        self.saved = Instant::now();
    }

    /// One fetch: applies each batch and acknowledges it after the commit.
    async fn pass(&mut self) -> Result<(), String> {
        let stage = self.stage.clone().flatten();
        let fetched = Instant::now();
        let mut messages = self
            .consumer
            .fetch()
            .max_messages(self.settings.fetch_batch)
            .expires(self.settings.fetch_wait)
            .messages()
            .await
            .map_err(|e| e.to_string())?;
        while let Some(message) = messages.next().await {
            let message = message.map_err(|e| e.to_string())?;
            if fetched.elapsed() > self.settings.ack_wait / 2 {
                // Slow applies (a loaded store): the batches still waiting
                // here would soon be delivered again while held, and the
                // lease wants renewing. Hand them back at once, in order.
                let _ = message.ack_with(AckKind::Nak(None)).await;
                continue;
            }
            if message.info().is_ok_and(|i| i.delivered > 1) {
                self.metrics.redelivered(self.partition);
            }
            let batch = match wire::decode(&message.payload) {
                Ok(batch) => batch,
                Err(e) => {
                    // Retrying cannot make it readable; keep it out of the
                    // way of the batches behind it, and say so.
                    tracing::error!(partition = self.partition, subject = %message.subject, error = %e,
                        "ingest log message dropped");
                    let _ = message.ack_with(AckKind::Term).await;
                    continue;
                }
            };
            match self.apply(&message, batch, stage.clone()).await {
                Ok(_) => {
                    self.metrics.applied(self.partition);
                    if let Err(e) = message.double_ack().await {
                        tracing::warn!(partition = self.partition, error = %e,
                            "acknowledgement lost; the batch will be delivered again (harmless)");
                    }
                }
                Err(e) => {
                    tracing::warn!(partition = self.partition, error = %e,
                        "batch not committed; it will be delivered again");
                    let _ = message
                        .ack_with(AckKind::Nak(Some(Duration::from_secs(1))))
                        .await;
                    return Ok(());
                }
            }
        }
        Ok(())
    }

    /// Applies `batch`, telling JetStream every third of the ack wait that
    /// `message` is still being worked on: a slow commit (a loaded store)
    /// must not have the batch delivered again meanwhile.
    async fn apply(
        &self,
        message: &async_nats::jetstream::Message,
        batch: vigil_ingest::LoggedBatch,
        stage: Option<Arc<CorrelationStage>>,
    ) -> Result<vigil_ingest::IngestOutcome, vigil_ingest::IngestError> {
        let apply = self.context.pipeline.apply(batch, stage);
        tokio::pin!(apply);
        let every = (self.settings.ack_wait / 3).max(Duration::from_millis(100));
        let mut progress = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
        loop {
            tokio::select! {
                outcome = &mut apply => return outcome,
                _ = progress.tick() => {
                    if let Err(e) = message.ack_with(AckKind::Progress).await {
                        tracing::debug!(partition = self.partition, error = %e, "progress acknowledgement not sent");
                    }
                }
            }
        }
    }

    async fn report_lag(&mut self) {
        if let Ok(info) = self.consumer.info().await {
            self.metrics.set_lag(
                self.partition,
                info.num_pending + info.num_ack_pending as u64,
            );
        }
    }

    async fn save(&mut self) {
        self.saved = Instant::now();
        if let Some(Some(stage)) = &self.stage
            && let Err(e) = stage
                .save_as(
                    self.context.states.as_ref(),
                    &self.lease,
                    chrono::Utc::now(),
                )
                .await
        {
            tracing::warn!(partition = self.partition, error = %e, "partition correlation state not saved");
        }
    }

    /// Stopping: the state is saved so that the next holder starts from it.
    async fn release(&mut self) {
        self.save().await;
        self.metrics
            .set_held(self.partition, &self.context.node, false);
    }
}
