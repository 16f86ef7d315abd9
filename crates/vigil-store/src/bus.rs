//! The live stream of what just happened.
//!
//! The bus carries notifications, not the record: the store is the truth,
//! the bus tells listeners (the console's live view, other nodes) that
//! something changed so that they can read it. A slow listener loses
//! notifications, never data.

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use tokio::sync::broadcast;

use vigil_model::{AlertId, Severity, TenantId};

/// Something that happened, for live listeners.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum BusMessage {
    /// An alert was raised.
    AlertRaised {
        /// Its id.
        id: AlertId,
        /// Its tenant (listeners filter by it).
        tenant: TenantId,
        /// Its severity.
        severity: Severity,
        /// The rule's title.
        title: String,
    },
    /// An existing alert gained evidence.
    AlertUpdated {
        /// Its id.
        id: AlertId,
        /// Its tenant.
        tenant: TenantId,
    },
}

impl BusMessage {
    /// The tenant the message is about.
    pub fn tenant(&self) -> &TenantId {
        match self {
            BusMessage::AlertRaised { tenant, .. } | BusMessage::AlertUpdated { tenant, .. } => {
                tenant
            }
        }
    }
}

/// Publishes and subscribes to [`BusMessage`]s.
pub trait Bus: Send + Sync + std::fmt::Debug {
    /// Sends a message to every current subscriber.
    fn publish(&self, message: BusMessage);
    /// A new subscription, receiving messages published from now on.
    fn subscribe(&self) -> broadcast::Receiver<BusMessage>;
    /// Whether the bus reaches the other nodes now (for `/healthz`); an
    /// in-process bus always does. The error says what is wrong.
    fn reachable(&self) -> Result<(), String> {
        Ok(())
    }
    /// What the bus is, for `/healthz`: `local`, or `nats` for one shared
    /// with other nodes.
    fn kind(&self) -> &'static str {
        "local"
    }
}

/// The in-process bus used by a single node.
#[derive(Debug, Clone)]
pub struct LocalBus {
    sender: Arc<broadcast::Sender<BusMessage>>,
}

impl LocalBus {
    /// A bus that buffers up to `capacity` messages per slow subscriber.
    pub fn new(capacity: usize) -> Self {
        let (sender, _) = broadcast::channel(capacity.max(1));
        Self {
            sender: Arc::new(sender),
        }
    }
}

impl Bus for LocalBus {
    fn publish(&self, message: BusMessage) {
        // No subscribers is normal (nobody watching); nothing is lost, the
        // store has the record.
        let _ = self.sender.send(message);
    }

    fn subscribe(&self) -> broadcast::Receiver<BusMessage> {
        self.sender.subscribe()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn subscribers_receive_what_is_published_after_they_join() {
        let bus = LocalBus::new(8);
        let tenant = TenantId::new("a").unwrap();
        bus.publish(BusMessage::AlertUpdated {
            id: AlertId(uuid::Uuid::nil()),
            tenant: tenant.clone(),
        });
        let mut rx = bus.subscribe();
        let msg = BusMessage::AlertUpdated {
            id: AlertId(uuid::Uuid::max()),
            tenant,
        };
        bus.publish(msg.clone());
        assert_eq!(rx.recv().await.unwrap(), msg);
    }
}
