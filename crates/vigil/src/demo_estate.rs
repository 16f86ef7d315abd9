//! The physical estate in `vigil demo`: the simulated clients' alarm panels
//! reporting over SIA DC-09 to per-client receivers, their cameras pushing
//! ONVIF notifications, their sensor gateways publishing Sparkplug B (when
//! a broker is given with `--mqtt`), the people register loaded from the
//! simulated HR records, and a receiver on 127.0.0.1:9000 (TCP and UDP) for
//! any real dialler, with the demo accounts the README gives.

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration as StdDuration;

use chrono::Duration;
use prost::Message;
use rand::SeedableRng;
use rand::rngs::StdRng;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use vigil_model::{Clock, SiteId, SourceBinding, SourceId, SourceKind, TenantId, Timestamp};
use vigil_sim::{DeviceKind, Payload as SimPayload, SensorMetric, TenantWorld, World};
use vigil_sources::ConfiguredSource;
use vigil_sources::access::live::AccessConfig;
use vigil_sources::dc09::{
    Dc09Receiver, Dc09Sender, Dc09Settings, PanelAccount, PanelKey, TimeWindow,
};
use vigil_sources::mqtt::sensors::ThresholdRule;
use vigil_sources::mqtt::sparkplug::proto::{DataType, Metric, MetricValue};
use vigil_sources::mqtt::{MqttSettings, MqttSetup};
use vigil_sources::onvif::OnvifSettings;
use vigil_sources::onvif::config::{CameraConfig, OnvifConfig};
use vigil_sources::syslog::SyslogSettings;
use vigil_store::PersonRecord;

/// The demo's plain account for real diallers.
pub const DIALLER_PLAIN_ACCOUNT: &str = "9000";
/// The demo's encrypted account for real diallers.
pub const DIALLER_AES_ACCOUNT: &str = "9001";
/// Its AES-128 key (a demo key; never use it for a real panel).
pub const DIALLER_AES_KEY: &str = "000102030405060708090A0B0C0D0E0F";
/// The key of the simulated riverside panels, which encrypt (also a demo key).
const RIVERSIDE_KEY: &str = "2B7E151628AED2A6ABF7158809CF4F3C";
/// Simulated panels report under EN 50136 category SP4 (3 minutes).
const SIM_SUPERVISION: i64 = 180;

fn key(text: &str) -> Option<PanelKey> {
    PanelKey::from_hex(text).ok()
}

/// A simulated client's source with the settings its kind runs with
/// (`None` for an MQTT feed when no broker is given: it stays silent).
pub fn configure(
    source: ConfiguredSource,
    tw: &TenantWorld,
    mqtt: Option<&str>,
) -> Option<ConfiguredSource> {
    let binding = source.binding.clone();
    Some(match binding.kind {
        SourceKind::Dc09Tcp => source.with_settings(Dc09Settings::from(panel_receiver(tw))),
        SourceKind::OnvifPush => {
            source.with_settings(OnvifSettings::Push(camera_config(tw, &binding)))
        }
        SourceKind::Mqtt => source.with_settings(mqtt_setup(tw, &binding, mqtt?)?),
        SourceKind::Http => source.with_settings(None::<AccessConfig>),
        SourceKind::SyslogTcp | SourceKind::SyslogUdp => {
            source.with_settings(SyslogSettings::plain())
        }
        _ => source,
    })
}

/// The receiver of a simulated client's alarm panels.
pub fn panel_receiver(tw: &TenantWorld) -> Dc09Receiver {
    let accounts = tw.panel_accounts().into_iter().map(|p| {
        let mut a = PanelAccount::new(&p.account);
        a.site = Some(p.site.clone());
        a.panel = p.panel.clone();
        a.supervision = Some(Duration::seconds(SIM_SUPERVISION));
        a.zones.insert("1".into(), p.zone.clone());
        if tw.tenant.id.as_str() == "riverside" {
            a.key = key(RIVERSIDE_KEY);
        }
        a
    });
    Dc09Receiver::new(accounts, TimeWindow::default())
}

fn camera_config(tw: &TenantWorld, binding: &SourceBinding) -> OnvifConfig {
    OnvifConfig {
        cameras: tw
            .cameras()
            .into_iter()
            .filter(|c| Some(&c.site) == binding.site.as_ref())
            .map(|c| CameraConfig {
                id: c.id,
                zone: Some(c.zone),
                covers_door: c.covers_door,
                url: None,
                username: None,
                password_env: None,
                media_url: None,
                recording_url: None,
                device_url: None,
            })
            .collect(),
        heartbeat_secs: None,
        termination_secs: 60,
        pull_timeout_secs: 5,
        device_info_secs: None,
        media: Vec::new(),
        device_info: Vec::new(),
    }
}

fn mqtt_setup(tw: &TenantWorld, binding: &SourceBinding, url: &str) -> Option<MqttSetup> {
    let site = binding.site.as_ref()?;
    let mut zones = BTreeMap::new();
    let mut thresholds = Vec::new();
    for d in tw.devices.iter().filter(|d| &d.site == site) {
        if let DeviceKind::Sensor {
            metric: SensorMetric::Temperature,
            high,
            ..
        } = &d.kind
        {
            zones.insert(d.id.clone(), d.zone.clone());
            thresholds.push(ThresholdRule {
                metric: "temperature".into(),
                zone: Some(d.zone.clone()),
                high: Some(*high),
                low: None,
                hysteresis: 0.5,
            });
        }
    }
    Some(MqttSetup {
        settings: MqttSettings {
            url: url.to_owned(),
            topics: vec![format!("spBv1.0/{}/#", tw.sparkplug_group(site))],
            client_id: Some(format!("vigil-demo-{}", binding.id)),
            username: None,
            password_env: None,
            thresholds,
            zones,
            gateway_heartbeat_secs: Some(600),
        },
        tls: None,
        password: None,
    })
}

/// The dialler of a simulated client's panel `account`, as the receivers
/// of [`panel_receiver`] expect it (riverside's panels encrypt).
pub fn panel_sender(tenant: &TenantId, account: &str) -> Dc09Sender {
    let sender = Dc09Sender::new(account);
    match key(RIVERSIDE_KEY) {
        Some(k) if tenant.as_str() == "riverside" => sender.with_key(k),
        _ => sender,
    }
}

/// The receiver on `addr` (`--dc09-listen`) for real diallers, TCP and UDP:
/// northgate's first site, accounts 9000 (plain) and 9001 (AES-128).
pub fn dialler_sources(world: &World, addr: SocketAddr) -> Vec<ConfiguredSource> {
    let Some(tw) = world.tenants.first() else {
        return Vec::new();
    };
    let site: Option<SiteId> = tw.sites.first().map(|s| s.id.clone());
    let receiver = || {
        let mut plain = PanelAccount::new(DIALLER_PLAIN_ACCOUNT);
        plain.site = site.clone();
        plain.panel = "demo-dialler-plain".into();
        let mut aes = PanelAccount::new(DIALLER_AES_ACCOUNT);
        aes.site = site.clone();
        aes.panel = "demo-dialler-aes".into();
        aes.key = key(DIALLER_AES_KEY);
        // A real dialler's timestamps are real: they are held to wall time
        // and SIA DC-09's window (20 s behind, 40 s ahead), though the
        // demo's own clock runs fast, so that a replayed frame is refused.
        Dc09Receiver::new([plain, aes], TimeWindow::default()).on_wall_clock()
    };
    [
        ("dialler-tcp", SourceKind::Dc09Tcp),
        ("dialler-udp", SourceKind::Dc09Udp),
    ]
    .into_iter()
    .filter_map(|(suffix, kind)| {
        let binding = SourceBinding {
            id: SourceId::new(&format!("{}-{suffix}", tw.tenant.id)).ok()?,
            tenant: tw.tenant.id.clone(),
            site: site.clone(),
            kind,
            product: "sia-dc09".into(),
        };
        Some(
            ConfiguredSource::new(binding, None, Some(addr))
                .with_settings(Dc09Settings::from(receiver())),
        )
    })
    .collect()
}

/// The simulated clients' HR records as people registers.
pub fn people(world: &World) -> Vec<(TenantId, Vec<PersonRecord>)> {
    world
        .tenants
        .iter()
        .map(|tw| {
            let people = tw
                .people
                .iter()
                .enumerate()
                .map(|(i, p)| PersonRecord {
                    tenant: tw.tenant.id.clone(),
                    id: p
                        .username
                        .clone()
                        .unwrap_or_else(|| format!("p{:04}", i + 1)),
                    name: p.name.clone(),
                    status: p.status,
                    status_from: None,
                    status_until: None,
                    badges: p.badges.iter().map(|b| b.id.clone()).collect(),
                    accounts: p.username.iter().cloned().collect(),
                })
                .collect();
            (tw.tenant.id.clone(), people)
        })
        .collect()
}

/// Delivers the simulator's protocol traffic: DC-09 frames over TCP, ONVIF
/// notifications over HTTP, Sparkplug B over MQTT.
pub struct EstateDriver {
    clock: Arc<dyn Clock>,
    http: reqwest::Client,
    http_addr: SocketAddr,
    dc09_addrs: BTreeMap<SourceId, SocketAddr>,
    streams: BTreeMap<SourceId, TcpStream>,
    senders: HashMap<String, (Dc09Sender, u16)>,
    onvif_tokens: BTreeMap<SourceId, String>,
    mqtt: Option<rumqttc::AsyncClient>,
    rng: StdRng,
}

impl EstateDriver {
    /// A driver for a node at `http_addr` whose DC-09 listeners are at
    /// `dc09_addrs`; `onvif_tokens` are the push sources' tokens.
    pub fn new(
        world: &World,
        clock: Arc<dyn Clock>,
        http_addr: SocketAddr,
        dc09_addrs: BTreeMap<SourceId, SocketAddr>,
        onvif_tokens: BTreeMap<SourceId, String>,
        mqtt: Option<&str>,
    ) -> Self {
        let mut senders = HashMap::new();
        for tw in &world.tenants {
            for p in tw.panel_accounts() {
                let sender = panel_sender(&tw.tenant.id, &p.account);
                senders.insert(format!("{}/{}", tw.tenant.id, p.account), (sender, 0));
            }
        }
        let mqtt = mqtt.and_then(|url| {
            let (host, port) = vigil_sources::mqtt::broker_address(url).ok()?;
            let (client, mut eventloop) = rumqttc::AsyncClient::new(
                rumqttc::MqttOptions::new("vigil-demo-gateways", host, port),
                1024,
            );
            tokio::spawn(async move {
                loop {
                    if eventloop.poll().await.is_err() {
                        tokio::time::sleep(StdDuration::from_secs(1)).await;
                    }
                }
            });
            Some(client)
        });
        Self {
            clock,
            http: reqwest::Client::new(),
            http_addr,
            dc09_addrs,
            streams: BTreeMap::new(),
            senders,
            onvif_tokens,
            mqtt,
            rng: StdRng::from_os_rng(),
        }
    }

    /// Delivers one batch of the simulator's protocol emissions, in order.
    pub async fn deliver(&mut self, items: Vec<(SourceId, Timestamp, SimPayload)>) {
        for (source, _at, payload) in items {
            let result = match payload {
                SimPayload::Dc09 {
                    account,
                    message_type,
                    payload,
                } => self.dc09(&source, &account, &message_type, &payload).await,
                SimPayload::Onvif {
                    camera,
                    topic,
                    operation,
                    source: items,
                    data,
                } => {
                    self.onvif(&source, &camera, &topic, &operation, &items, &data)
                        .await
                }
                SimPayload::Sparkplug { topic, metrics } => self.sparkplug(&topic, &metrics).await,
                _ => Ok(()),
            };
            if let Err(e) = result {
                tracing::warn!(%source, error = %format!("{e:#}"), "demo could not deliver estate traffic");
            }
        }
    }

    async fn dc09(
        &mut self,
        source: &SourceId,
        account: &str,
        message_type: &str,
        payload: &str,
    ) -> anyhow::Result<()> {
        let Some(addr) = self.dc09_addrs.get(source).copied() else {
            return Ok(());
        };
        let tenant = source.as_str().strip_suffix("-arc").unwrap_or_default();
        let Some((sender, seq)) = self.senders.get_mut(&format!("{tenant}/{account}")) else {
            return Ok(());
        };
        *seq = *seq % 9999 + 1;
        let frame = sender.frame(
            *seq,
            message_type,
            payload,
            self.clock.now(),
            true,
            &mut self.rng,
        );
        if !self.streams.contains_key(source) {
            self.streams
                .insert(source.clone(), TcpStream::connect(addr).await?);
        }
        let Some(stream) = self.streams.get_mut(source) else {
            return Ok(());
        };
        let exchange = async {
            stream.write_all(&frame).await?;
            let mut answer = Vec::new();
            let mut buf = [0u8; 512];
            while !answer.ends_with(b"\r") {
                let n = stream.read(&mut buf).await?;
                if n == 0 {
                    anyhow::bail!("the receiver closed the connection");
                }
                answer.extend_from_slice(buf.get(..n).unwrap_or_default());
            }
            Ok(answer)
        };
        match tokio::time::timeout(StdDuration::from_secs(10), exchange).await {
            Ok(Ok(answer)) if answer.windows(4).any(|w| w == b"ACK\"") => Ok(()),
            Ok(Ok(answer)) => {
                anyhow::bail!("DC-09 answered {:?}", String::from_utf8_lossy(&answer))
            }
            Ok(Err(e)) => {
                self.streams.remove(source);
                Err(e)
            }
            Err(_) => {
                self.streams.remove(source);
                anyhow::bail!("no DC-09 answer within 10 s")
            }
        }
    }

    async fn onvif(
        &self,
        source: &SourceId,
        camera: &str,
        topic: &str,
        operation: &str,
        items: &[(String, String)],
        data: &[(String, String)],
    ) -> anyhow::Result<()> {
        let Some(token) = self.onvif_tokens.get(source) else {
            return Ok(());
        };
        let body =
            vigil_sources::onvif::build_notify(topic, operation, self.clock.now(), items, data);
        self.http
            .post(format!(
                "http://{}/onvif/notify/{token}/{camera}",
                self.http_addr
            ))
            .header("content-type", "application/soap+xml; charset=utf-8")
            .body(body)
            .send()
            .await?
            .error_for_status()?;
        Ok(())
    }

    async fn sparkplug(&self, topic: &str, metrics: &[(String, f64)]) -> anyhow::Result<()> {
        let Some(client) = &self.mqtt else {
            return Ok(());
        };
        let now = self.clock.now().timestamp_millis().max(0) as u64;
        let payload = vigil_sources::mqtt::sparkplug::Payload {
            timestamp: Some(now),
            metrics: metrics
                .iter()
                .map(|(name, value)| {
                    let (datatype, value) = if name == "bdSeq" {
                        (DataType::Int64, MetricValue::LongValue(*value as u64))
                    } else {
                        (DataType::Double, MetricValue::DoubleValue(*value))
                    };
                    Metric {
                        name: Some(name.clone()),
                        datatype: Some(datatype as u32),
                        value: Some(value),
                        ..Default::default()
                    }
                })
                .collect(),
            seq: Some(0),
            ..Default::default()
        };
        client
            .publish(
                topic,
                rumqttc::QoS::AtLeastOnce,
                false,
                payload.encode_to_vec(),
            )
            .await?;
        Ok(())
    }
}

/// A floor plan for every simulated site: its zones laid out in a grid
/// (in the world's zone order), and its devices — doors with their readers,
/// cameras, panels, cooling units and sensors — placed inside their zones
/// by the site view's automatic layout.
pub fn floor_plans(world: &World) -> vigil_server::site_plan::SitePlans {
    use vigil_server::site_plan::{FloorPlan, PlannedDevice, grid_areas};
    let mut plans = vigil_server::site_plan::SitePlans::new();
    for tw in &world.tenants {
        for site in &tw.sites {
            let zones: Vec<_> = tw.zones.iter().filter(|z| z.site == site.id).collect();
            let mut plan = FloorPlan::default();
            let ids: Vec<String> = zones.iter().map(|z| z.id.clone()).collect();
            plan.areas = grid_areas(&ids, plan.width, plan.height);
            for (area, zone) in plan.areas.iter_mut().zip(&zones) {
                area.name = zone.name.clone();
            }
            let device = |id: &str, name: &str, kind: &str, zone: &str| PlannedDevice {
                id: id.to_owned(),
                name: Some(name.to_owned()),
                kind: Some(kind.to_owned()),
                zone: Some(zone.to_owned()),
                x: None,
                y: None,
            };
            for d in tw.devices.iter().filter(|d| d.site == site.id) {
                let kind = match &d.kind {
                    DeviceKind::Door(door) => {
                        if let Some(reader) = &door.reader
                            && !plan.devices.iter().any(|p| &p.id == reader)
                        {
                            let name = format!("{} reader", d.name);
                            plan.devices.push(device(reader, &name, "reader", &d.zone));
                        }
                        "door"
                    }
                    DeviceKind::Camera { .. } => "camera",
                    DeviceKind::IntrusionPanel | DeviceKind::FirePanel => "panel",
                    DeviceKind::CoolingUnit | DeviceKind::Sensor { .. } => "sensor",
                };
                if !plan.devices.iter().any(|p| p.id == d.id) {
                    plan.devices.push(device(&d.id, &d.name, kind, &d.zone));
                }
            }
            plans.insert((tw.tenant.id.clone(), site.id.clone()), plan);
        }
    }
    plans
}

#[cfg(test)]
mod plan_tests {
    use super::*;

    #[test]
    fn every_simulated_site_has_a_plan_with_its_zones_and_devices() {
        let world = World::generate(7);
        let plans = floor_plans(&world);
        for tw in &world.tenants {
            for site in &tw.sites {
                let plan = plans
                    .get(&(tw.tenant.id.clone(), site.id.clone()))
                    .unwrap_or_else(|| panic!("no plan for {}/{}", tw.tenant.id, site.id));
                plan.check().unwrap();
                let zones = tw.zones.iter().filter(|z| z.site == site.id).count();
                assert_eq!(plan.areas.len(), zones);
                for d in tw.devices.iter().filter(|d| d.site == site.id) {
                    let p = plan.devices.iter().find(|p| p.id == d.id).unwrap();
                    assert!(plan.areas.iter().any(|a| Some(&a.id) == p.zone.as_ref()));
                }
            }
        }
        assert_eq!(floor_plans(&World::generate(7)), plans, "deterministic");
    }
}
