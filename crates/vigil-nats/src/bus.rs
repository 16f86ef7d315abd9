//! The live bus over NATS core pub/sub.
//!
//! Each message goes to this node's own subscribers at once (in process, as
//! the [`LocalBus`](vigil_store::LocalBus) would) and to NATS on subject
//! `vigil.bus.<tenant>` for the other nodes. Every message carries the id
//! of the node that published it, so that when NATS hands a node its own
//! message back, the node drops it instead of delivering it twice.
//!
//! Like the local bus, this one carries notifications, not the record: a
//! message lost while NATS is away costs a listener a wake-up, never data
//! (the console's stream also polls the store's desk feed).

use std::sync::Arc;

use futures::StreamExt;
use serde::{Deserialize, Serialize};
use tokio::sync::{broadcast, mpsc};
use tokio::task::JoinHandle;
use vigil_store::{Bus, BusMessage};

use crate::connect::NatsError;

/// Messages waiting to go out to NATS; past this, new ones are dropped
/// (NATS is away or slow) rather than growing without bound.
const OUTBOUND_CAPACITY: usize = 4096;

/// What travels on NATS: the message and who published it.
#[derive(Debug, Serialize, Deserialize)]
struct Envelope {
    origin: String,
    message: BusMessage,
}

/// The bus of a node that shares it with others over NATS. Cheap to clone;
/// clones share the connection and subscribers.
#[derive(Debug, Clone)]
pub struct NatsBus {
    node: Arc<str>,
    /// The connection, for its state (`/healthz`).
    client: async_nats::Client,
    local: broadcast::Sender<BusMessage>,
    outbound: mpsc::Sender<BusMessage>,
    _tasks: Arc<Tasks>,
}

/// The reader and writer tasks, stopped when the last clone goes.
#[derive(Debug)]
struct Tasks(Vec<JoinHandle<()>>);

impl Drop for Tasks {
    fn drop(&mut self) {
        for task in &self.0 {
            task.abort();
        }
    }
}

impl NatsBus {
    /// Starts the bus for `node` of deployment `name` (subjects
    /// `<name>.bus.<tenant>`) over `client`: subscribes to every node's
    /// messages (before returning, so that nothing published after this is
    /// missed) and starts forwarding this node's own. `capacity` bounds the
    /// messages buffered for a slow local subscriber.
    pub async fn start(
        client: async_nats::Client,
        name: &str,
        node: &str,
        capacity: usize,
    ) -> Result<NatsBus, NatsError> {
        let prefix = format!("{name}.bus");
        let subject = format!("{prefix}.>");
        let mut incoming =
            client
                .subscribe(subject.clone())
                .await
                .map_err(|e| NatsError::Subscribe {
                    subject: subject.clone(),
                    reason: e.to_string(),
                })?;
        // The subscription is registered with the server once the flush
        // returns; only then can a message from another node reach it.
        client.flush().await.map_err(|e| NatsError::Subscribe {
            subject,
            reason: e.to_string(),
        })?;
        let (local, _) = broadcast::channel(capacity.max(1));
        let node: Arc<str> = Arc::from(node);

        let reader = {
            let local = local.clone();
            let node = node.clone();
            tokio::spawn(async move {
                while let Some(msg) = incoming.next().await {
                    match serde_json::from_slice::<Envelope>(&msg.payload) {
                        // Our own message: already delivered at publish.
                        Ok(envelope) if *envelope.origin == *node => {}
                        Ok(envelope) => {
                            let _ = local.send(envelope.message);
                        }
                        Err(e) => tracing::warn!(
                            subject = %msg.subject, error = %e,
                            "bus: a message on NATS is not a Vigil bus message; ignored"
                        ),
                    }
                }
                tracing::warn!("bus: NATS subscription ended");
            })
        };

        let writer_client = client.clone();
        let (outbound, mut queue) = mpsc::channel::<BusMessage>(OUTBOUND_CAPACITY);
        let writer = {
            let node = node.clone();
            tokio::spawn(async move {
                while let Some(message) = queue.recv().await {
                    let subject = format!("{prefix}.{}", message.tenant().as_str());
                    let envelope = Envelope {
                        origin: node.to_string(),
                        message,
                    };
                    let payload = match serde_json::to_vec(&envelope) {
                        Ok(p) => p,
                        Err(e) => {
                            tracing::warn!(error = %e, "bus: message not encodable; not sent");
                            continue;
                        }
                    };
                    if let Err(e) = client.publish(subject, payload.into()).await {
                        tracing::warn!(error = %e, "bus: NATS publish failed; other nodes miss one notification");
                    }
                }
            })
        };

        Ok(NatsBus {
            node,
            client: writer_client,
            local,
            outbound,
            _tasks: Arc::new(Tasks(vec![reader, writer])),
        })
    }

    /// This node's id, as carried on its messages.
    pub fn node(&self) -> &str {
        &self.node
    }
}

impl Bus for NatsBus {
    fn publish(&self, message: BusMessage) {
        // This node's listeners hear it now; the others through NATS.
        let _ = self.local.send(message.clone());
        if let Err(mpsc::error::TrySendError::Full(_)) = self.outbound.try_send(message) {
            tracing::warn!("bus: NATS outbound queue full; other nodes miss one notification");
        }
    }

    fn subscribe(&self) -> broadcast::Receiver<BusMessage> {
        self.local.subscribe()
    }

    fn reachable(&self) -> Result<(), String> {
        match self.client.connection_state() {
            async_nats::connection::State::Connected => Ok(()),
            state => Err(format!("NATS {state}")),
        }
    }

    fn kind(&self) -> &'static str {
        "nats"
    }
}
