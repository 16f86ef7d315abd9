//! Sparkplug B over MQTT: topics, payloads, and the per-edge-node state
//! that turns them into readings and online/offline changes.
//!
//! `spBv1.0/{group}/{NBIRTH|NDEATH|NDATA|DBIRTH|DDEATH|DDATA}/{node}[/{device}]`
//! - BIRTH messages declare metrics with names and aliases; DATA messages
//!   may carry only the alias, resolved here from the births.
//! - NDEATH (the node's MQTT will) means the gateway is offline — unless
//!   its `bdSeq` differs from the current birth's, which makes it the stale
//!   will of an earlier session, ignored.
//! - DDEATH means one device behind the gateway is offline.
//! - A BIRTH's `Properties/…` metrics say what the node or device is
//!   ([`identity`]): make, model, serial, firmware.

pub mod identity;
pub mod proto;

use std::collections::HashMap;

use prost::Message;
use serde_json::Value;
use vigil_model::Timestamp;

pub use proto::Payload;

/// The Sparkplug B message types.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageType {
    /// Edge node birth.
    NBirth,
    /// Edge node death.
    NDeath,
    /// Edge node data.
    NData,
    /// Device birth.
    DBirth,
    /// Device death.
    DDeath,
    /// Device data.
    DData,
    /// Commands and host state: not readings.
    Other,
}

/// A parsed Sparkplug topic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Topic {
    /// The group id.
    pub group: String,
    /// The message type.
    pub message_type: MessageType,
    /// The edge node id.
    pub node: String,
    /// The device id, for D* messages.
    pub device: Option<String>,
}

/// What was wrong with a Sparkplug message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SparkplugError {
    /// The topic is not `spBv1.0/group/type/node[/device]`.
    #[error("topic `{0}` is not spBv1.0/<group>/<type>/<node>[/<device>]")]
    Topic(String),
    /// The payload is not a Sparkplug B protobuf.
    #[error("payload is not a Sparkplug B protobuf: {0}")]
    Payload(String),
    /// A metric names an alias no birth defined.
    #[error("metric alias {alias} of node `{node}` was not defined by a birth message")]
    UnknownAlias {
        /// The alias.
        alias: u64,
        /// The edge node.
        node: String,
    },
}

/// Parses a Sparkplug B topic.
pub fn parse_topic(topic: &str) -> Result<Topic, SparkplugError> {
    let bad = || SparkplugError::Topic(topic.chars().take(200).collect());
    let mut parts = topic.split('/');
    if parts.next() != Some("spBv1.0") {
        return Err(bad());
    }
    let group = parts.next().filter(|s| !s.is_empty()).ok_or_else(bad)?;
    let kind = parts.next().ok_or_else(bad)?;
    let node = parts.next().filter(|s| !s.is_empty()).ok_or_else(bad)?;
    let device = parts.next().map(str::to_owned);
    if parts.next().is_some() {
        return Err(bad());
    }
    let message_type = match kind {
        "NBIRTH" => MessageType::NBirth,
        "NDEATH" => MessageType::NDeath,
        "NDATA" => MessageType::NData,
        "DBIRTH" => MessageType::DBirth,
        "DDEATH" => MessageType::DDeath,
        "DDATA" => MessageType::DData,
        "NCMD" | "DCMD" | "STATE" => MessageType::Other,
        _ => return Err(bad()),
    };
    let needs_device = matches!(
        message_type,
        MessageType::DBirth | MessageType::DDeath | MessageType::DData
    );
    if needs_device != device.as_ref().is_some_and(|d| !d.is_empty())
        && message_type != MessageType::Other
    {
        return Err(bad());
    }
    Ok(Topic {
        group: group.to_owned(),
        message_type,
        node: node.to_owned(),
        device,
    })
}

/// One metric value from a BIRTH or DATA message.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricReading {
    /// The device (D* messages) or the edge node (N* messages).
    pub source: String,
    /// The metric's full name (`Sensors/Temperature`).
    pub name: String,
    /// The value.
    pub value: Value,
    /// When it was measured.
    pub at: Timestamp,
    /// Engineering unit, when the birth declared one.
    pub unit: Option<String>,
    /// From a BIRTH (the initial value) rather than a DATA message.
    pub from_birth: bool,
}

/// What one Sparkplug message means.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Decoded {
    /// Metric values.
    pub readings: Vec<MetricReading>,
    /// The edge node came online (NBIRTH).
    pub node_online: bool,
    /// The edge node went offline (a current NDEATH).
    pub node_offline: bool,
    /// A device came online (DBIRTH).
    pub device_online: Option<String>,
    /// A device went offline (DDEATH).
    pub device_offline: Option<String>,
    /// The payload's sequence number.
    pub seq: Option<u64>,
    /// The NDEATH was the stale will of an earlier session.
    pub stale_death: bool,
    /// What a BIRTH says the node or device is, when it says anything.
    pub identity: Option<identity::BirthIdentity>,
}

#[derive(Debug, Default)]
struct NodeState {
    aliases: HashMap<u64, String>,
    units: HashMap<String, String>,
    bd_seq: Option<u64>,
}

/// Most edge nodes tracked, and most aliases per node.
pub const MAX_NODES: usize = 10_000;
const MAX_ALIASES: usize = 10_000;

/// The alias tables and birth sequences of the edge nodes seen.
#[derive(Debug, Default)]
pub struct SparkplugState {
    nodes: HashMap<(String, String), NodeState>,
}

fn millis(ms: Option<u64>, fallback: Timestamp) -> Timestamp {
    ms.and_then(|m| i64::try_from(m).ok())
        .and_then(chrono::DateTime::from_timestamp_millis)
        .unwrap_or(fallback)
}

fn bd_seq(payload: &Payload) -> Option<u64> {
    payload
        .metrics
        .iter()
        .find(|m| m.name.as_deref() == Some("bdSeq"))
        .and_then(|m| match m.value {
            Some(proto::MetricValue::LongValue(v)) => Some(v),
            Some(proto::MetricValue::IntValue(v)) => Some(u64::from(v)),
            _ => None,
        })
}

impl SparkplugState {
    /// An empty state.
    pub fn new() -> Self {
        Self::default()
    }

    /// Decodes one message received at `now`.
    pub fn handle(
        &mut self,
        topic: &Topic,
        bytes: &[u8],
        now: Timestamp,
    ) -> Result<Decoded, SparkplugError> {
        let payload = Payload::decode(bytes).map_err(|e| SparkplugError::Payload(e.to_string()))?;
        let key = (topic.group.clone(), topic.node.clone());
        if !self.nodes.contains_key(&key) && self.nodes.len() >= MAX_NODES {
            // Bounded: an unknown node beyond the limit is still decoded,
            // with no alias table of its own.
            self.nodes.clear();
        }
        let node = self.nodes.entry(key).or_default();
        let at = millis(payload.timestamp, now);
        let mut out = Decoded {
            seq: payload.seq,
            ..Default::default()
        };
        let source = topic.device.clone().unwrap_or_else(|| topic.node.clone());
        match topic.message_type {
            MessageType::NBirth | MessageType::DBirth => {
                if topic.message_type == MessageType::NBirth {
                    // A new session: the old aliases are void.
                    node.aliases.clear();
                    node.units.clear();
                    node.bd_seq = bd_seq(&payload);
                    out.node_online = true;
                } else {
                    out.device_online = Some(source.clone());
                }
                out.identity = identity::identity_of(&source, &payload.metrics);
                for m in &payload.metrics {
                    let Some(name) = m.name.clone() else { continue };
                    if let Some(alias) = m.alias
                        && node.aliases.len() < MAX_ALIASES
                    {
                        node.aliases.insert(alias, name.clone());
                    }
                    let unit = m.property("engUnit").or_else(|| m.property("Units"));
                    if let Some(u) = &unit
                        && node.units.len() < MAX_ALIASES
                    {
                        node.units.insert(format!("{source}\u{0}{name}"), u.clone());
                    }
                    if name == "bdSeq"
                        || name.starts_with("Node Control/")
                        || name.starts_with("Device Control/")
                    {
                        continue;
                    }
                    if let Some(value) = m.json_value() {
                        out.readings.push(MetricReading {
                            source: source.clone(),
                            name,
                            value,
                            at: millis(m.timestamp, at),
                            unit,
                            from_birth: true,
                        });
                    }
                }
            }
            MessageType::NData | MessageType::DData => {
                for m in &payload.metrics {
                    let name = match (&m.name, m.alias) {
                        (Some(n), _) => n.clone(),
                        (None, Some(alias)) => {
                            node.aliases.get(&alias).cloned().ok_or_else(|| {
                                SparkplugError::UnknownAlias {
                                    alias,
                                    node: topic.node.clone(),
                                }
                            })?
                        }
                        (None, None) => continue,
                    };
                    if let Some(value) = m.json_value() {
                        let unit = node.units.get(&format!("{source}\u{0}{name}")).cloned();
                        out.readings.push(MetricReading {
                            source: source.clone(),
                            name,
                            value,
                            at: millis(m.timestamp, at),
                            unit,
                            from_birth: false,
                        });
                    }
                }
            }
            MessageType::NDeath => {
                let death = bd_seq(&payload);
                if death.is_some() && node.bd_seq.is_some() && death != node.bd_seq {
                    out.stale_death = true;
                } else {
                    out.node_offline = true;
                }
            }
            MessageType::DDeath => out.device_offline = Some(source),
            MessageType::Other => {}
        }
        Ok(out)
    }
}

/// The metric a Sparkplug metric name stands for: its last path part in
/// snake case (`Sensors/Temperature` → `temperature`, `Water Leak` →
/// `water_leak`).
pub fn metric_of(name: &str) -> String {
    let last = name.rsplit('/').next().unwrap_or(name);
    let mut out = String::with_capacity(last.len());
    for c in last.trim().chars() {
        if c.is_alphanumeric() {
            out.extend(c.to_lowercase());
        } else if !out.ends_with('_') && !out.is_empty() {
            out.push('_');
        }
    }
    out.trim_end_matches('_').to_owned()
}

#[cfg(test)]
mod tests;
