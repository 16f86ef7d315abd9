//! MQTT sensors: a subscriber on a real broker, for plain JSON readings and
//! Sparkplug B, acknowledging each QoS 1 message (PUBACK) only once its
//! readings are durable.
//!
//! The client uses a persistent session (`clean_session = false`, a fixed
//! client id), so messages published while Vigil is away wait at the broker,
//! and manual acknowledgements, so a message whose events could not be
//! stored is never acknowledged. Messages are decoded and committed in
//! batches (whatever arrived while the previous commit ran), and their
//! PUBACKs sent in the order they arrived, as MQTT requires.
//!
//! [`MqttDecoder`] is the pure part: topic and payload in, records and
//! device-state changes out.
//!
//! An `mqtts://` broker is reached over TLS (rustls), its certificate
//! checked against `[sources.tls] ca` (else the platform's authorities),
//! with the client certificate `[sources.tls]` names, if any.

pub mod config;
pub mod sensors;
mod source;
pub mod sparkplug;

pub use source::{MqttSetup, MqttSource};

use std::collections::BTreeMap;

use chrono::Duration;
use std::sync::Arc;

use rumqttc::{AsyncClient, Event, MqttOptions, Packet, Publish, QoS, TlsConfiguration, Transport};
use serde::Deserialize;
use serde_json::Value;
use tokio::sync::mpsc;
use vigil_ingest::{Payload, Pipeline};
use vigil_model::{Fields, SourceBinding, Timestamp};

use crate::mqtt::sensors::{Reading, ThresholdRule, Thresholds, decode_json};
use crate::mqtt::sparkplug::identity::BirthIdentity;
use crate::mqtt::sparkplug::{SparkplugState, metric_of, parse_topic};
use vigil_estate::supervision::{Heard, SupervisionHandle};
use vigil_lifecycle::inventory::{DeviceReport, DeviceReports, ReportProtocol};

/// An `mqtt` source's settings in `vigil.toml`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MqttSettings {
    /// The broker: `mqtt://host:port` (port 1883 by default), or
    /// `mqtts://host:port` over TLS (port 8883 by default; see
    /// `[sources.tls]`).
    pub url: String,
    /// Topic filters to subscribe to (`spBv1.0/lon1/#`, `sensors/lon1/#`).
    pub topics: Vec<String>,
    /// The client id (default `vigil-<source id>`); keep it stable, the
    /// broker keeps the session under it.
    #[serde(default)]
    pub client_id: Option<String>,
    /// User name, when the broker wants one.
    #[serde(default)]
    pub username: Option<String>,
    /// Environment variable holding the password.
    #[serde(default)]
    pub password_env: Option<String>,
    /// Threshold rules for this source's (site's) readings.
    #[serde(default)]
    pub thresholds: Vec<ThresholdRule>,
    /// Sensor or device id → zone, for readings that do not say.
    #[serde(default)]
    pub zones: BTreeMap<String, String>,
    /// Supervise each Sparkplug edge node (gateway) with this interval.
    #[serde(default)]
    pub gateway_heartbeat_secs: Option<u32>,
}

/// A device or gateway state change found in a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeviceChange {
    /// Heard from (a birth or data).
    Heard(String),
    /// Said it went offline (NDEATH).
    Offline(String),
}

/// What one message became.
#[derive(Debug, Default, PartialEq)]
pub struct DecodedMessage {
    /// Records to ingest.
    pub records: Vec<(Result<Fields, String>, Vec<u8>)>,
    /// Gateway state changes, for supervision.
    pub gateways: Vec<DeviceChange>,
    /// What births said the nodes and devices are, for the inventory.
    pub identities: Vec<BirthIdentity>,
}

/// Decodes messages of one source: Sparkplug state and thresholds.
#[derive(Debug)]
pub struct MqttDecoder {
    sparkplug: SparkplugState,
    thresholds: Thresholds,
    zones: BTreeMap<String, String>,
}

fn raw(topic: &str, payload: &[u8], index: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(topic.len() + payload.len() + 8);
    out.extend_from_slice(topic.as_bytes());
    out.push(0);
    out.extend_from_slice(payload);
    out.extend_from_slice(format!("\u{0}{index}").as_bytes());
    out
}

impl MqttDecoder {
    /// A decoder with `thresholds` and `zones`.
    pub fn new(thresholds: Vec<ThresholdRule>, zones: BTreeMap<String, String>) -> Self {
        Self {
            sparkplug: SparkplugState::new(),
            thresholds: Thresholds::new(thresholds),
            zones,
        }
    }

    /// Decodes a message on `topic` received at `now`.
    pub fn decode(&mut self, topic: &str, payload: &[u8], now: Timestamp) -> DecodedMessage {
        let mut out = DecodedMessage::default();
        if topic.starts_with("spBv1.0/") {
            self.sparkplug_message(topic, payload, now, &mut out);
            return out;
        }
        match decode_json(topic, payload, now) {
            Ok(readings) => {
                for (i, mut reading) in readings.into_iter().enumerate() {
                    if reading.zone.is_none() {
                        reading.zone = self.zones.get(&reading.sensor).cloned();
                    }
                    let mut f = reading.fields(&mut self.thresholds);
                    f.insert("topic".into(), topic.into());
                    out.records.push((Ok(f), raw(topic, payload, i)));
                }
            }
            Err(e) => out.records.push((
                Err(format!("MQTT message on `{topic}`: {e}")),
                raw(topic, payload, 0),
            )),
        }
        out
    }

    fn sparkplug_message(
        &mut self,
        topic: &str,
        payload: &[u8],
        now: Timestamp,
        out: &mut DecodedMessage,
    ) {
        let decoded = parse_topic(topic)
            .and_then(|t| self.sparkplug.handle(&t, payload, now).map(|d| (t, d)));
        let (t, d) = match decoded {
            Ok(x) => x,
            Err(e) => {
                out.records.push((
                    Err(format!("Sparkplug message on `{topic}`: {e}")),
                    raw(topic, payload, 0),
                ));
                return;
            }
        };
        let gateway = t.node.clone();
        out.identities.extend(d.identity.clone());
        let mut index = 0;
        let mut status = |device: &str,
                          device_type: &str,
                          online: bool,
                          reason: &str,
                          out: &mut DecodedMessage| {
            let mut f = Fields::new();
            f.insert(
                "time".into(),
                now.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
                    .into(),
            );
            f.insert("class".into(), "device_status".into());
            f.insert("device".into(), device.into());
            f.insert("device_type".into(), device_type.into());
            f.insert(
                "status".into(),
                if online { "online" } else { "offline" }.into(),
            );
            f.insert("action".into(), reason.into());
            f.insert("gateway".into(), gateway.clone().into());
            f.insert("sparkplug_group".into(), t.group.clone().into());
            f.insert(
                "severity".into(),
                if online { "info" } else { "medium" }.into(),
            );
            out.records.push((Ok(f), raw(topic, payload, index)));
            index += 1;
        };
        if d.node_offline {
            status(&gateway, "sensor_gateway", false, "node_death", out);
            out.gateways.push(DeviceChange::Offline(gateway.clone()));
            return;
        }
        if d.stale_death {
            return;
        }
        if d.node_online {
            status(&gateway, "sensor_gateway", true, "node_birth", out);
        }
        if let Some(device) = &d.device_online {
            status(device, "sensor", true, "device_birth", out);
        }
        if let Some(device) = &d.device_offline {
            status(device, "sensor", false, "device_death", out);
        }
        out.gateways.push(DeviceChange::Heard(gateway.clone()));
        for r in d.readings {
            let reading = Reading {
                sensor: r.source.clone(),
                metric: metric_of(&r.name),
                value: r.value,
                unit: r.unit,
                zone: self.zones.get(&r.source).cloned(),
                at: r.at,
            };
            let mut f = reading.fields(&mut self.thresholds);
            f.insert("metric_name".into(), r.name.into());
            f.insert("gateway".into(), gateway.clone().into());
            f.insert("sparkplug_group".into(), t.group.clone().into());
            f.insert("topic".into(), topic.into());
            if r.from_birth {
                f.insert("birth".into(), Value::Bool(true));
            }
            if let Some(seq) = d.seq {
                f.insert("seq".into(), seq.into());
            }
            out.records.push((Ok(f), raw(topic, payload, index)));
            index += 1;
        }
    }
}

/// Errors that stop the subscriber from starting.
#[derive(Debug, thiserror::Error)]
pub enum MqttError {
    /// The broker URL is not `mqtt://host[:port]` or `mqtts://host[:port]`.
    #[error("broker URL `{0}` is not mqtt://host[:port] or mqtts://host[:port]")]
    Url(String),
    /// TLS to the broker could not be set up.
    #[error(transparent)]
    Tls(#[from] crate::tls::TlsError),
}

/// Where the broker is, and whether it is reached over TLS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Broker {
    /// Its host name or address.
    pub host: String,
    /// Its port.
    pub port: u16,
    /// `mqtts://`: over TLS.
    pub tls: bool,
}

/// The broker of `mqtt://host[:port]` (also `tcp://`) or
/// `mqtts://host[:port]` (also `ssl://`).
pub fn broker(url: &str) -> Result<Broker, MqttError> {
    let (rest, tls) = [
        ("mqtt://", false),
        ("tcp://", false),
        ("mqtts://", true),
        ("ssl://", true),
    ]
    .into_iter()
    .find_map(|(scheme, tls)| url.strip_prefix(scheme).map(|rest| (rest, tls)))
    .ok_or_else(|| MqttError::Url(url.into()))?;
    let rest = rest.trim_end_matches('/');
    let default_port = if tls { 8883 } else { 1883 };
    let (host, port) = match rest.rsplit_once(':') {
        Some((host, port)) if !host.is_empty() => {
            (host, port.parse().map_err(|_| MqttError::Url(url.into()))?)
        }
        None if !rest.is_empty() => (rest, default_port),
        _ => return Err(MqttError::Url(url.into())),
    };
    Ok(Broker {
        host: host.to_owned(),
        port,
        tls,
    })
}

/// Host and port of the broker's URL.
pub fn broker_address(url: &str) -> Result<(String, u16), MqttError> {
    broker(url).map(|b| (b.host, b.port))
}

/// Publishes waiting to be processed at most.
const QUEUE: usize = 4096;
/// Most publishes committed together.
const MAX_BATCH: usize = 1024;

/// Runs the subscriber for `binding` until dropped. `password` is the
/// resolved password, when the settings name one.
pub async fn run(
    binding: SourceBinding,
    settings: MqttSettings,
    password: Option<String>,
    pipeline: Pipeline,
    supervision: Option<SupervisionHandle>,
) -> Result<(), MqttError> {
    run_with_tls(
        binding,
        settings,
        password,
        None,
        pipeline,
        supervision,
        None,
    )
    .await
}

/// [`run`], with the TLS an `mqtts://` broker is reached with (`None`: the
/// platform's authorities, no client certificate) and where the births'
/// identities are reported.
pub async fn run_with_tls(
    binding: SourceBinding,
    settings: MqttSettings,
    password: Option<String>,
    tls: Option<Arc<rustls::ClientConfig>>,
    pipeline: Pipeline,
    supervision: Option<SupervisionHandle>,
    reports: Option<Arc<dyn DeviceReports>>,
) -> Result<(), MqttError> {
    let Broker {
        host,
        port,
        tls: over_tls,
    } = broker(&settings.url)?;
    let client_id = settings
        .client_id
        .clone()
        .unwrap_or_else(|| format!("vigil-{}", binding.id));
    let mut options = MqttOptions::new(client_id, host, port);
    options
        .set_keep_alive(std::time::Duration::from_secs(30))
        .set_clean_session(false)
        .set_manual_acks(true)
        .set_max_packet_size(1 << 20, 1 << 20);
    if let Some(user) = &settings.username {
        options.set_credentials(user.clone(), password.unwrap_or_default());
    }
    if over_tls {
        let config = match tls {
            Some(config) => config,
            None => crate::tls::TlsSettings::default().client()?,
        };
        options.set_transport(Transport::tls_with_config(TlsConfiguration::Rustls(config)));
    }
    let (client, mut eventloop) = AsyncClient::new(options, 1024);
    let (tx, rx) = mpsc::channel::<Publish>(QUEUE);
    let decoder = MqttDecoder::new(settings.thresholds.clone(), settings.zones.clone());
    let heartbeat = settings
        .gateway_heartbeat_secs
        .map(|s| Duration::seconds(i64::from(s.max(1))));
    tokio::spawn(worker(
        rx,
        client.clone(),
        decoder,
        pipeline,
        binding.clone(),
        supervision,
        heartbeat,
        reports,
    ));
    loop {
        match eventloop.poll().await {
            Ok(Event::Incoming(Packet::ConnAck(ack))) => {
                tracing::info!(source = %binding.id, session_present = ack.session_present, "mqtt connected");
                for topic in &settings.topics {
                    if let Err(e) = client.subscribe(topic.clone(), QoS::AtLeastOnce).await {
                        tracing::warn!(source = %binding.id, %topic, error = %e, "mqtt subscribe failed");
                    }
                }
            }
            Ok(Event::Incoming(Packet::Publish(p))) => {
                if tx.send(p).await.is_err() {
                    return Ok(());
                }
            }
            Ok(_) => {}
            Err(e) => {
                tracing::warn!(source = %binding.id, error = %e, "mqtt connection lost; reconnecting");
                tokio::time::sleep(std::time::Duration::from_secs(1)).await;
            }
        }
    }
}

// One task's whole context, passed once when it is spawned.
#[allow(clippy::too_many_arguments)]
async fn worker(
    mut rx: mpsc::Receiver<Publish>,
    client: AsyncClient,
    mut decoder: MqttDecoder,
    pipeline: Pipeline,
    binding: SourceBinding,
    supervision: Option<SupervisionHandle>,
    heartbeat: Option<Duration>,
    reports: Option<Arc<dyn DeviceReports>>,
) {
    while let Some(first) = rx.recv().await {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(p) => batch.push(p),
                Err(_) => break,
            }
        }
        let now = pipeline.clock().now();
        let mut records = Vec::new();
        let mut identities = Vec::new();
        for p in &batch {
            let decoded = decoder.decode(&p.topic, &p.payload, now);
            records.extend(decoded.records);
            identities.extend(decoded.identities);
            if let (Some(s), Some(interval)) = (&supervision, heartbeat) {
                for change in decoded.gateways {
                    let (device, offline) = match change {
                        DeviceChange::Heard(d) => (d, false),
                        DeviceChange::Offline(d) => (d, true),
                    };
                    let heard = Heard {
                        binding: binding.clone(),
                        device,
                        device_type: "sensor_gateway".into(),
                        interval,
                        at: now,
                        armed: None,
                    };
                    if offline {
                        s.went_offline(heard, "gateway sent NDEATH");
                    } else {
                        s.heard(heard);
                    }
                }
            }
        }
        // Durable first, then PUBACK; a failed commit is retried (the
        // broker holds the messages meanwhile), never acknowledged.
        let mut pause = std::time::Duration::from_millis(100);
        loop {
            match pipeline
                .ingest(&binding, Payload::Records(records.clone()))
                .await
            {
                Ok(_) => break,
                Err(e) => {
                    tracing::error!(source = %binding.id, error = %e, "mqtt readings could not be stored; retrying");
                    tokio::time::sleep(pause).await;
                    pause = (pause * 2).min(std::time::Duration::from_secs(30));
                }
            }
        }
        if let Some(reports) = &reports {
            report_identities(reports.as_ref(), &binding, identities);
        }
        for p in &batch {
            if p.qos != QoS::AtMostOnce
                && let Err(e) = client.ack(p).await
            {
                tracing::warn!(source = %binding.id, error = %e, "mqtt acknowledgement failed");
            }
        }
    }
}

/// Hands what births said to the inventory. The inventory keys devices by
/// site, so a source bound to no site reports nothing (logged).
fn report_identities(
    reports: &dyn DeviceReports,
    binding: &SourceBinding,
    identities: Vec<BirthIdentity>,
) {
    for identity in identities {
        let Some(site) = binding.site.clone() else {
            tracing::debug!(source = %binding.id, device = %identity.device, "sparkplug birth identity not reported: the source names no site");
            continue;
        };
        reports.reported(
            binding,
            DeviceReport {
                site,
                device: identity.device,
                protocol: ReportProtocol::Sparkplug,
                vendor: identity.vendor,
                model: identity.model,
                serial: identity.serial,
                firmware: identity.firmware,
            },
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mqtt::sparkplug::proto::{DataType, Metric, MetricValue};
    use chrono::TimeZone;
    use prost::Message;

    fn now() -> Timestamp {
        chrono::Utc
            .with_ymd_and_hms(2026, 11, 27, 10, 0, 0)
            .unwrap()
    }

    fn decoder() -> MqttDecoder {
        let mut zones = BTreeMap::new();
        zones.insert("t1".to_string(), "lon1-hall-1".to_string());
        MqttDecoder::new(
            vec![ThresholdRule {
                metric: "temperature".into(),
                zone: Some("lon1-hall-*".into()),
                high: Some(27.0),
                low: None,
                hysteresis: 0.5,
            }],
            zones,
        )
    }

    #[test]
    fn broker_urls() {
        assert_eq!(
            broker_address("mqtt://127.0.0.1:1883").unwrap(),
            ("127.0.0.1".into(), 1883)
        );
        assert_eq!(
            broker_address("mqtt://broker").unwrap(),
            ("broker".into(), 1883)
        );
        assert_eq!(
            broker("mqtts://broker").unwrap(),
            Broker {
                host: "broker".into(),
                port: 8883,
                tls: true
            }
        );
        assert!(broker("ssl://b:8884").unwrap().tls);
        assert!(!broker("mqtt://b").unwrap().tls);
        assert!(broker_address("http://x").is_err());
        assert!(broker_address("mqtt://h:port").is_err());
    }

    #[test]
    fn json_messages_become_judged_readings_and_bad_ones_dead_letters() {
        let mut d = decoder();
        let out = d.decode(
            "sensors/lon1/t1",
            br#"{"metric": "temperature", "value": 28.5}"#,
            now(),
        );
        let f = out.records[0].0.as_ref().unwrap();
        assert_eq!(
            (
                f["zone"].as_str(),
                f["state"].as_str(),
                f["transition"].as_str()
            ),
            (Some("lon1-hall-1"), Some("high"), Some("high"))
        );
        let bad = d.decode("sensors/lon1/t1", b"not json", now());
        assert!(
            bad.records[0]
                .0
                .as_ref()
                .unwrap_err()
                .contains("sensors/lon1/t1")
        );
    }

    #[test]
    fn sparkplug_births_data_and_deaths() {
        let mut d = decoder();
        let payload = |metrics: Vec<Metric>| {
            crate::mqtt::sparkplug::Payload {
                timestamp: Some(1),
                metrics,
                seq: Some(0),
                ..Default::default()
            }
            .encode_to_vec()
        };
        let m = |name: Option<&str>, alias: u64, v: f64| Metric {
            name: name.map(str::to_owned),
            alias: Some(alias),
            datatype: Some(DataType::Double as u32),
            value: Some(MetricValue::DoubleValue(v)),
            ..Default::default()
        };
        let nb = d.decode("spBv1.0/lon1/NBIRTH/gw-1", &payload(vec![]), now());
        assert_eq!(nb.records[0].0.as_ref().unwrap()["action"], "node_birth");
        assert_eq!(nb.gateways, vec![DeviceChange::Heard("gw-1".into())]);
        d.decode(
            "spBv1.0/lon1/DBIRTH/gw-1/t1",
            &payload(vec![m(Some("Temperature"), 1, 22.0)]),
            now(),
        );
        let data = d.decode(
            "spBv1.0/lon1/DDATA/gw-1/t1",
            &payload(vec![m(None, 1, 27.6)]),
            now(),
        );
        let f = data.records[0].0.as_ref().unwrap();
        assert_eq!(
            (
                f["sensor"].as_str(),
                f["metric"].as_str(),
                f["zone"].as_str()
            ),
            (Some("t1"), Some("temperature"), Some("lon1-hall-1"))
        );
        assert_eq!(f["state"], "high");
        let death = d.decode("spBv1.0/lon1/NDEATH/gw-1", &payload(vec![]), now());
        assert_eq!(death.gateways, vec![DeviceChange::Offline("gw-1".into())]);
        assert_eq!(death.records[0].0.as_ref().unwrap()["status"], "offline");
        let broken = d.decode("spBv1.0/lon1/DDATA/gw-1/t1", b"\xff\x01", now());
        assert!(broken.records[0].0.is_err());
    }
}

#[cfg(test)]
mod identity_tests {
    use super::*;
    use crate::mqtt::sparkplug::proto::{DataType, Metric, MetricValue};
    use prost::Message;
    use std::sync::Mutex;
    use vigil_model::{SiteId, SourceId, SourceKind, TenantId};

    #[derive(Default)]
    struct Collected(Mutex<Vec<DeviceReport>>);

    impl DeviceReports for Collected {
        fn reported(&self, _binding: &SourceBinding, report: DeviceReport) {
            self.0.lock().unwrap().push(report);
        }
    }

    fn birth(metrics: &[(&str, &str)]) -> Vec<u8> {
        crate::mqtt::sparkplug::Payload {
            timestamp: Some(1),
            seq: Some(0),
            metrics: metrics
                .iter()
                .map(|(name, value)| Metric {
                    name: Some((*name).into()),
                    datatype: Some(DataType::String as u32),
                    value: Some(MetricValue::StringValue((*value).into())),
                    ..Default::default()
                })
                .collect(),
            ..Default::default()
        }
        .encode_to_vec()
    }

    #[test]
    fn births_report_what_the_node_and_its_devices_are() {
        let mut d = MqttDecoder::new(Vec::new(), BTreeMap::new());
        let now = chrono::Utc::now();
        let node = d.decode(
            "spBv1.0/lon1/NBIRTH/gw-1",
            &birth(&[
                ("Properties/Hardware Make", "Moxa"),
                ("Properties/Hardware Model", "ioLogik E1212"),
                ("Properties/FW", "3.2"),
            ]),
            now,
        );
        let device = d.decode(
            "spBv1.0/lon1/DBIRTH/gw-1/t1",
            &birth(&[("Properties/Serial", "T1-0007")]),
            now,
        );
        let data = d.decode(
            "spBv1.0/lon1/NDATA/gw-1",
            &birth(&[("Properties/FW", "3.3")]),
            now,
        );
        assert!(
            data.identities.is_empty(),
            "only births say what a device is"
        );
        let mut binding = SourceBinding {
            id: SourceId::new("lon1-mqtt").unwrap(),
            tenant: TenantId::new("acme").unwrap(),
            site: None,
            kind: SourceKind::Mqtt,
            product: "sparkplug".into(),
        };
        let collected = Collected::default();
        let identities: Vec<BirthIdentity> = node
            .identities
            .into_iter()
            .chain(device.identities)
            .collect();
        report_identities(&collected, &binding, identities.clone());
        assert!(collected.0.lock().unwrap().is_empty(), "no site, no report");
        binding.site = Some(SiteId::new("lon1").unwrap());
        report_identities(&collected, &binding, identities);
        let reports = collected.0.lock().unwrap().clone();
        assert_eq!(reports.len(), 2);
        assert_eq!(
            (
                reports[0].device.as_str(),
                reports[0].vendor.as_deref(),
                reports[0].model.as_deref(),
                reports[0].firmware.as_deref(),
                reports[0].protocol
            ),
            (
                "gw-1",
                Some("Moxa"),
                Some("ioLogik E1212"),
                Some("3.2"),
                ReportProtocol::Sparkplug
            )
        );
        assert_eq!(
            (
                reports[1].device.as_str(),
                reports[1].serial.as_deref(),
                reports[1].firmware.as_deref()
            ),
            ("t1", Some("T1-0007"), None)
        );
    }
}
