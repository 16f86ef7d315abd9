//! The ingest log on JetStream: every accepted batch is appended to the
//! stream `<NAME>_INGEST` on subject `<name>.ingest.p<partition>.<tenant>`
//! (`VIGIL_INGEST`, `vigil.ingest.…` by default) before its source is
//! acknowledged.
//!
//! A tenant's batches always land in the same partition (a stable hash of
//! the tenant id), so one partition's consumer sees all of a tenant's
//! events in order — which is what keeps a tenant's correlation state in
//! one place (see `consumer`). The stream is a work queue: a batch leaves
//! it once its partition's consumer has committed it to the store.

use std::time::Duration;

use async_nats::jetstream::{self, stream};
use futures::future::try_join_all;
use vigil_ingest::{IngestLog, LogError, LoggedBatch};
use vigil_model::TenantId;

use crate::connect::NatsError;
use crate::wire;

/// The deployment name used unless another is configured.
pub const DEFAULT_NAME: &str = "vigil";

/// How the log is laid out and written.
#[derive(Debug, Clone)]
pub struct LogSettings {
    /// The deployment's name on the NATS server: several deployments (or
    /// test runs) share one server under different names.
    pub name: String,
    /// Partitions (at least 1). Every node must use the same number: it
    /// decides which subject a tenant's batches go to.
    pub partitions: u32,
    /// Copies JetStream keeps of each batch (1, or 3 on a three-server
    /// cluster so that one server may fail).
    pub replicas: usize,
    /// How long an append may wait for JetStream's acknowledgement before
    /// the source is refused.
    pub ack_timeout: Duration,
    /// How long a batch nobody consumes stays in the log.
    pub max_age: Duration,
}

impl Default for LogSettings {
    fn default() -> Self {
        Self {
            name: DEFAULT_NAME.into(),
            partitions: 8,
            replicas: 1,
            ack_timeout: Duration::from_secs(5),
            max_age: Duration::from_secs(7 * 24 * 3600),
        }
    }
}

/// The partition of `tenant`'s batches among `partitions`: FNV-1a of the
/// id, fixed here (not a library's hasher) so that it never changes
/// between versions or nodes.
pub fn partition_of(tenant: &TenantId, partitions: u32) -> u32 {
    let mut hash: u32 = 0x811c_9dc5;
    for b in tenant.as_str().bytes() {
        hash ^= u32::from(b);
        hash = hash.wrapping_mul(0x0100_0193);
    }
    hash % partitions.max(1)
}

/// The subject of `tenant`'s batches in the log of deployment `name`.
pub fn subject_of(name: &str, tenant: &TenantId, partitions: u32) -> String {
    format!(
        "{name}.ingest.p{}.{}",
        partition_of(tenant, partitions),
        tenant.as_str()
    )
}

/// The stream of deployment `name`'s ingest log.
pub fn stream_of(name: &str) -> String {
    format!("{}_INGEST", name.to_uppercase())
}

/// The log, as a node's pipeline appends to it.
#[derive(Debug, Clone)]
pub struct JetStreamLog {
    js: jetstream::Context,
    client: async_nats::Client,
    name: String,
    partitions: u32,
}

impl JetStreamLog {
    /// Opens the log over `client`, creating the stream if it does not exist.
    pub async fn open(
        client: async_nats::Client,
        settings: &LogSettings,
    ) -> Result<JetStreamLog, NatsError> {
        let mut js = jetstream::new(client.clone());
        js.set_timeout(settings.ack_timeout);
        let name = settings.name.clone();
        let stream_name = stream_of(&name);
        let config = stream::Config {
            name: stream_name.clone(),
            subjects: vec![format!("{name}.ingest.>")],
            // A batch is gone once committed: the store is the record.
            retention: stream::RetentionPolicy::WorkQueue,
            storage: stream::StorageType::File,
            num_replicas: settings.replicas.max(1),
            max_age: settings.max_age,
            // A publish retried after a lost ack is stored once.
            duplicate_window: Duration::from_secs(120),
            ..Default::default()
        };
        let mut stream =
            js.get_or_create_stream(config)
                .await
                .map_err(|e| NatsError::JetStream {
                    what: format!("create or open stream {stream_name}"),
                    reason: e.to_string(),
                })?;
        if let Ok(info) = stream.info().await
            && info.config.num_replicas != settings.replicas.max(1)
        {
            tracing::warn!(
                stream = %stream_name,
                existing = info.config.num_replicas,
                configured = settings.replicas,
                "the ingest stream exists with another replica count; keeping the existing one"
            );
        }
        Ok(JetStreamLog {
            js,
            client,
            name,
            partitions: settings.partitions.max(1),
        })
    }

    /// Deletes deployment `name`'s ingest log, batches and consumers with it
    /// (for tests, and a deployment taken down for good). Deleting one
    /// that does not exist is not an error.
    pub async fn delete(client: async_nats::Client, name: &str) -> Result<(), NatsError> {
        let stream = stream_of(name);
        match jetstream::new(client).delete_stream(&stream).await {
            Ok(_) => Ok(()),
            Err(e) if e.to_string().contains("not found") => Ok(()),
            Err(e) => Err(NatsError::JetStream {
                what: format!("delete stream {stream}"),
                reason: e.to_string(),
            }),
        }
    }

    /// The JetStream context (for the consumers).
    pub fn context(&self) -> &jetstream::Context {
        &self.js
    }

    /// The deployment's name (subjects `<name>.ingest.…`).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// How many partitions the log has.
    pub fn partitions(&self) -> u32 {
        self.partitions
    }

    /// Appends `batch` (in parts if it is larger than a message may be) and
    /// waits for JetStream to acknowledge every part.
    pub async fn append_batch(&self, batch: LoggedBatch) -> Result<(), LogError> {
        // Half the server's limit: room for JSON escaping and the envelope.
        let budget = self.client.server_info().max_payload / 2;
        let subject = subject_of(&self.name, &batch.binding.tenant, self.partitions);
        let parts = wire::split(batch, budget);
        let acks = parts.iter().map(|part| {
            let subject = subject.clone();
            let payload = wire::encode(part);
            let mut headers = async_nats::HeaderMap::new();
            headers.insert(
                async_nats::header::NATS_MESSAGE_ID,
                format!("{:032x}", part.id).as_str(),
            );
            async move {
                let ack = self
                    .js
                    .publish_with_headers(subject, headers, payload.into())
                    .await
                    .map_err(|e| LogError::Unavailable(format!("JetStream publish: {e}")))?;
                ack.await
                    .map(|_| ())
                    .map_err(|e| LogError::Unavailable(format!("JetStream acknowledgement: {e}")))
            }
        });
        try_join_all(acks).await.map(|_| ())
    }
}

impl IngestLog for JetStreamLog {
    fn append(
        &self,
        batch: LoggedBatch,
    ) -> std::pin::Pin<Box<dyn Future<Output = Result<(), LogError>> + Send + '_>> {
        Box::pin(self.append_batch(batch))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tenant_always_lands_in_the_same_partition_and_tenants_spread() {
        let t = |s: &str| TenantId::new(s).unwrap();
        assert_eq!(partition_of(&t("acme"), 8), partition_of(&t("acme"), 8));
        assert_eq!(subject_of("vigil", &t("acme"), 1), "vigil.ingest.p0.acme");
        assert_eq!(stream_of("vigil"), "VIGIL_INGEST");
        let used: std::collections::BTreeSet<u32> = (0..64)
            .map(|i| partition_of(&t(&format!("tenant-{i}")), 8))
            .collect();
        assert_eq!(used.len(), 8, "{used:?}");
    }
}
