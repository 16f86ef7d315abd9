//! The normalized event.

use serde::{Deserialize, Serialize};

use crate::clock::Timestamp;
use crate::ids::{EventId, SiteId, SourceId, TenantId};
use crate::severity::Severity;

use crate::fields::Fields;

/// One normalized event: what happened, where, when, according to which
/// source, and the source's own words.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Event {
    /// Assigned once when Vigil first accepts the event.
    pub id: EventId,
    /// The tenant of the binding the event arrived through — never the
    /// event's own claim.
    pub tenant: TenantId,
    /// The site of the binding, when it names one.
    pub site: Option<SiteId>,
    /// When the source says it happened (or the receive time, when it says nothing).
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub observed_at: Timestamp,
    /// When Vigil received it.
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub received_at: Timestamp,
    /// Which source it came from.
    pub source: SourceRef,
    /// What kind of thing happened.
    pub class: EventClass,
    /// How bad the source says it is.
    pub severity: Severity,
    /// The things it touches.
    pub entities: Vec<Entity>,
    /// The source's own fields, whole.
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub fields: Fields,
}

impl Event {
    /// The first entity of `kind`, if any.
    pub fn entity(&self, kind: EntityKind) -> Option<&str> {
        self.entities
            .iter()
            .find(|e| e.kind == kind)
            .map(|e| e.value.as_str())
    }
}

/// Where an event came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SourceRef {
    /// The configured source (binding) it arrived through.
    pub id: SourceId,
    /// The transport or format.
    pub kind: SourceKind,
    /// The product that produced it (`windows`, `sysmon`, `fortigate`, `lenel` …).
    pub product: String,
    /// The device that emitted it (host name, panel account, camera id), when known.
    pub device: Option<String>,
}

/// How an event reached Vigil: the kind of the source it came through
/// (`http`, `syslog_tcp`, `dc09_udp`, …), as configuration names it.
///
/// Open rather than an enum, so that adding a source is one folder and one
/// line of registration: a source type registers its kinds at start
/// ([`SourceKind::register`]); the built-in kinds are always known. Only
/// known kinds deserialize, so a stored event never names a kind this
/// binary does not run.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SourceKind(&'static str);

// The constants keep the names they had as enum variants, so that matching
// on a kind reads as it did.
#[allow(non_upper_case_globals)]
impl SourceKind {
    /// NDJSON posted to the HTTP ingest endpoint.
    pub const Http: SourceKind = SourceKind("http");
    /// Syslog over UDP.
    pub const SyslogUdp: SourceKind = SourceKind("syslog_udp");
    /// Syslog over TCP.
    pub const SyslogTcp: SourceKind = SourceKind("syslog_tcp");
    /// A JSON-lines file imported with `vigil ingest`.
    pub const File: SourceKind = SourceKind("file");
    /// SIA DC-09 alarm-panel frames over TCP.
    pub const Dc09Tcp: SourceKind = SourceKind("dc09_tcp");
    /// SIA DC-09 alarm-panel frames over UDP.
    pub const Dc09Udp: SourceKind = SourceKind("dc09_udp");
    /// Sensor readings from an MQTT broker (plain JSON or Sparkplug B).
    pub const Mqtt: SourceKind = SourceKind("mqtt");
    /// ONVIF event notifications pushed by cameras over HTTP.
    pub const OnvifPush: SourceKind = SourceKind("onvif_push");
    /// ONVIF events pulled from cameras (PullPoint subscriptions).
    pub const OnvifPull: SourceKind = SourceKind("onvif_pull");

    const BUILT_IN: [SourceKind; 9] = [
        Self::Http,
        Self::SyslogUdp,
        Self::SyslogTcp,
        Self::File,
        Self::Dc09Tcp,
        Self::Dc09Udp,
        Self::Mqtt,
        Self::OnvifPush,
        Self::OnvifPull,
    ];

    /// The configuration name of the kind.
    pub fn as_str(self) -> &'static str {
        self.0
    }

    /// The kind named `name`, if it is built in or registered.
    pub fn known(name: &str) -> Option<SourceKind> {
        if let Some(k) = Self::BUILT_IN.iter().find(|k| k.0 == name) {
            return Some(*k);
        }
        registered()
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .find(|k| k.0 == name)
            .copied()
    }

    /// Makes `name` a known kind (idempotent). Names are lower-case ASCII
    /// letters, digits and `_`, at most 32 bytes; at most 64 kinds can be
    /// registered beside the built-in ones.
    pub fn register(name: &'static str) -> Result<SourceKind, InvalidSourceKind> {
        let valid = !name.is_empty()
            && name.len() <= 32
            && name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        if !valid {
            return Err(InvalidSourceKind(name.to_owned()));
        }
        if let Some(k) = Self::known(name) {
            return Ok(k);
        }
        let mut kinds = registered().lock().unwrap_or_else(|p| p.into_inner());
        if kinds.len() >= 64 {
            return Err(InvalidSourceKind(name.to_owned()));
        }
        let kind = SourceKind(name);
        kinds.push(kind);
        Ok(kind)
    }
}

fn registered() -> &'static std::sync::Mutex<Vec<SourceKind>> {
    static KINDS: std::sync::OnceLock<std::sync::Mutex<Vec<SourceKind>>> =
        std::sync::OnceLock::new();
    KINDS.get_or_init(Default::default)
}

/// A source kind name that is not a lower-case slug of at most 32 bytes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("source kind `{0}` is not a lower-case name of letters, digits and `_` (at most 32)")]
pub struct InvalidSourceKind(pub String);

impl std::fmt::Debug for SourceKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0)
    }
}

impl std::fmt::Display for SourceKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0)
    }
}

impl Serialize for SourceKind {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.0)
    }
}

impl<'de> Deserialize<'de> for SourceKind {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let name = std::borrow::Cow::<'de, str>::deserialize(d)?;
        SourceKind::known(&name)
            .ok_or_else(|| serde::de::Error::custom(format!("unknown source kind `{name}`")))
    }
}

#[cfg(feature = "openapi")]
impl utoipa::PartialSchema for SourceKind {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::schema::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .description(Some(
                "The kind of source: http, syslog_udp, syslog_tcp, file, dc09_tcp, dc09_udp, mqtt, onvif_push, onvif_pull, or a kind a source type registered",
            ))
            .examples([serde_json::json!("syslog_tcp")])
            .into()
    }
}

#[cfg(feature = "openapi")]
impl utoipa::ToSchema for SourceKind {}

/// What kind of thing an event records. IT classes follow OCSF where one
/// fits; physical classes are Vigil's own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum EventClass {
    /// A logon, logoff, or authentication attempt (OCSF 3002).
    Authentication,
    /// A process started, stopped or injected (OCSF 1007).
    ProcessActivity,
    /// A file created, changed or deleted (OCSF 1001).
    FileActivity,
    /// A registry key or value changed (OCSF 201001, Windows).
    RegistryActivity,
    /// A network connection, flow or firewall decision (OCSF 4001).
    NetworkActivity,
    /// A DNS query or answer (OCSF 4003).
    DnsActivity,
    /// Another product's detection or alert (OCSF 2004).
    DetectionFinding,
    /// A badge read, door open, door forced or held.
    PhysicalAccess,
    /// An intrusion panel alarm, arm or disarm.
    IntrusionAlarm,
    /// A fire panel alarm or fault.
    FireAlarm,
    /// A building sensor reading (temperature, humidity, leak, power).
    SensorReading,
    /// A camera's analytics or health event.
    VideoAnalytics,
    /// A visitor registered, arrived or left.
    Visitor,
    /// A device came online, went offline or reported a fault.
    DeviceStatus,
    /// Anything else.
    Other,
}

impl EventClass {
    /// Every class.
    pub const ALL: [EventClass; 15] = [
        EventClass::Authentication,
        EventClass::ProcessActivity,
        EventClass::FileActivity,
        EventClass::RegistryActivity,
        EventClass::NetworkActivity,
        EventClass::DnsActivity,
        EventClass::DetectionFinding,
        EventClass::PhysicalAccess,
        EventClass::IntrusionAlarm,
        EventClass::FireAlarm,
        EventClass::SensorReading,
        EventClass::VideoAnalytics,
        EventClass::Visitor,
        EventClass::DeviceStatus,
        EventClass::Other,
    ];

    /// The class's name as it appears in JSON and queries.
    pub fn as_str(self) -> &'static str {
        match self {
            EventClass::Authentication => "authentication",
            EventClass::ProcessActivity => "process_activity",
            EventClass::FileActivity => "file_activity",
            EventClass::RegistryActivity => "registry_activity",
            EventClass::NetworkActivity => "network_activity",
            EventClass::DnsActivity => "dns_activity",
            EventClass::DetectionFinding => "detection_finding",
            EventClass::PhysicalAccess => "physical_access",
            EventClass::IntrusionAlarm => "intrusion_alarm",
            EventClass::FireAlarm => "fire_alarm",
            EventClass::SensorReading => "sensor_reading",
            EventClass::VideoAnalytics => "video_analytics",
            EventClass::Visitor => "visitor",
            EventClass::DeviceStatus => "device_status",
            EventClass::Other => "other",
        }
    }

    /// Parses a class name as written by [`EventClass::as_str`].
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == name)
    }
}

/// A thing an event touches.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Entity {
    /// What kind of thing.
    pub kind: EntityKind,
    /// Its name or address as the source wrote it.
    pub value: String,
}

impl Entity {
    /// An entity of `kind` named `value`.
    pub fn new(kind: EntityKind, value: impl Into<String>) -> Self {
        Self {
            kind,
            value: value.into(),
        }
    }
}

/// The kinds of things events touch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum EntityKind {
    /// An account name.
    User,
    /// A computer by name.
    Host,
    /// An IP address.
    Ip,
    /// A physical device (panel, reader, gateway) by id.
    Device,
    /// A door.
    Door,
    /// A camera.
    Camera,
    /// A sensor.
    Sensor,
    /// An access badge.
    Badge,
    /// A zone or area of a site.
    Zone,
    /// A process image path.
    Process,
    /// A file hash.
    Hash,
    /// A domain name.
    Domain,
}

impl EntityKind {
    /// The kind's name as it appears in JSON and queries.
    pub fn as_str(self) -> &'static str {
        match self {
            EntityKind::User => "user",
            EntityKind::Host => "host",
            EntityKind::Ip => "ip",
            EntityKind::Device => "device",
            EntityKind::Door => "door",
            EntityKind::Camera => "camera",
            EntityKind::Sensor => "sensor",
            EntityKind::Badge => "badge",
            EntityKind::Zone => "zone",
            EntityKind::Process => "process",
            EntityKind::Hash => "hash",
            EntityKind::Domain => "domain",
        }
    }
}
