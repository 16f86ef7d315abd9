//! Turning a source's fields into a Vigil [`Event`].
//!
//! The fields are kept whole; normalization only derives the event's time,
//! class, severity, entities and device from well-known field names. It
//! walks the fields once, matching each key by name (flat events, and the
//! `Event.System` / `Event.EventData` of nested Windows events alike), so
//! its cost grows with the number of fields, not of rules.
//!
//! Where several fields could supply the same thing, the first in these
//! lists that holds a usable value wins:
//! - time: `@timestamp`, `TimeCreated` (a string, or `#attributes.SystemTime`
//!   / `SystemTime` inside it, or `TimeCreated_attributes.SystemTime`),
//!   `UtcTime`, `EventTime`, `time`, CEF `rt` and `end`, LEEF `devTime`,
//!   `timestamp` (the syslog header time); else the receive time.
//! - severity: a Vigil severity name in `severity`, CEF `cef.severity`,
//!   LEEF `sev` (1-10), a syslog severity number in `severity`, Windows
//!   `Level`; else info.
//! - device: CEF `dvchost`, `Computer`, `Hostname`, `hostname`, `host`,
//!   `device`, `reader`, `camera`, `sensor`.
//! - class: a `class` field naming a class (Vigil's own JSON); Windows
//!   `EventID` with `Channel` (any case) for Sysmon, Security and
//!   PowerShell; CEF, LEEF and firewall products are network activity, or
//!   authentication when `cef.name`, `cat` or `leef.event_id` speak of a
//!   login; else `Other`.
//!
//! Entities, in this order within each kind, empty and `-` values skipped,
//! duplicates dropped: host (`Computer`, `Hostname`, `hostname`, `host`,
//! CEF `shost`, `dhost`); user (`TargetUserName`, `User`,
//! `SubjectUserName`, `user`, CEF `suser`, `duser`, LEEF `usrName`,
//! `person`); ip, only when it parses as an address (`IpAddress`,
//! `SourceIp`, `DestinationIp`, `src_ip`, `dst_ip`, CEF/LEEF `src`, `dst`);
//! process (`Image`, `NewProcessName`, `SourceImage`, `TargetImage`,
//! `ParentImage`); hash (each value of Sysmon `Hashes`, CEF `fileHash`);
//! domain (`QueryName`); and the physical `door`, `reader`, `device`,
//! `panel` and `gateway` (as devices), `camera`, `sensor`, `badge`, `zone`.
//!
//! Vigil's own JSON for the physical estate (what the estate's listeners
//! produce, and what access-control, video and sensor systems send to the
//! HTTP ingest endpoint) has `time` (RFC 3339), `class`, `action` and the
//! things involved:
//! - `physical_access`: `action` one of `access_granted`, `access_denied`
//!   (with `reason`: `unknown_card`, `expired`, `out_of_schedule`,
//!   `wrong_pin`, `anti_passback`), `door_forced_open`, `door_held_open`,
//!   `duress`, `tamper`, `reader_offline`, `door_opened`, `door_closed`,
//!   `people_counted` (with `count`); `door`, `reader`, `zone`, `badge`,
//!   `person`; a source whose product is `access` defaults to this class.
//!   The people register adds `person_id`, `person_name` and `hr_status`.
//! - `intrusion_alarm` / `fire_alarm` (alarm panels): `action` (`burglary`,
//!   `fire`, `panic`, `duress`, `tamper`, `armed`, `disarmed` …),
//!   `alarm_state` (`alarm` or `restore`), `panel`, `account`, `zone`.
//! - `video_analytics`: `camera`, `action` (`motion`, `tamper`,
//!   `scene_change`, `signal_loss`, `line_crossing` …), `active`, `zone`,
//!   `covers_door`.
//! - `sensor_reading`: `sensor`, `metric`, `value`, `unit`, `zone`, `state`
//!   (`normal`, `high`, `low`, `alarm`) and, when it changes, `transition`.
//! - `device_status`: `device`, `device_type`, `status` (`online`,
//!   `offline`, `fault`), `action` (`transmission_path_lost` …).

use std::borrow::Cow;
use std::net::IpAddr;

use serde_json::Value;
use vigil_model::{
    Entity, EntityKind, Event, EventClass, EventId, Fields, Severity, SourceBinding, SourceRef,
    Timestamp,
};

use crate::cef::CefSeverity;
use crate::timestamp::{from_epoch, from_epoch_float, parse_text};

/// Builds the event for `fields`, received through `binding` at
/// `received_at`, with the id assigned at ingest. Never fails: what cannot
/// be derived takes its default (receive time, `Other`, info, no entities).
pub fn normalize(
    binding: &SourceBinding,
    fields: Fields,
    received_at: Timestamp,
    id: EventId,
) -> Event {
    let mut seen = Seen::default();
    for (key, value) in &fields {
        seen.observe(key, value);
    }
    let derived = seen.derive(binding, received_at);
    derived.into_event(binding, id, received_at, fields)
}

/// As [`normalize`], for fields whose map need not be built: `read` holds
/// the members of `fields` whose names [`normalizes`] (all that
/// normalization looks at), in the fields' order, each once with its value
/// in `fields`. A reader that does not build the whole map (ingest's, for
/// an NDJSON line) gives just those.
pub fn normalize_read(
    binding: &SourceBinding,
    fields: Fields,
    read: &[(&str, Value)],
    received_at: Timestamp,
    id: EventId,
) -> Event {
    let mut seen = Seen::default();
    for (key, value) in read {
        seen.observe(key, value);
    }
    let derived = seen.derive(binding, received_at);
    derived.into_event(binding, id, received_at, fields)
}

/// Whether normalization looks at a top-level field named `key` (see
/// [`normalize_read`]).
pub fn normalizes(key: &str) -> bool {
    role(key).is_some()
}

/// The time `fields` say their event happened (what [`normalize`] makes
/// its `observed_at`), or `None` when no field says; `reference` places
/// times written without a year (syslog). For a hunt over files, where
/// there is no receive time to fall back on.
pub fn event_time(fields: &Fields, reference: Timestamp) -> Option<Timestamp> {
    let mut seen = Seen::default();
    for (key, value) in fields {
        seen.observe(key, value);
    }
    seen.time(reference)
}

/// What normalization derives from the fields, owned, so that the fields
/// can move into the event.
struct Derived {
    observed_at: Timestamp,
    class: EventClass,
    severity: Severity,
    device: Option<String>,
    entities: Vec<Entity>,
}

impl Derived {
    fn into_event(
        self,
        binding: &SourceBinding,
        id: EventId,
        received_at: Timestamp,
        fields: Fields,
    ) -> Event {
        Event {
            id,
            tenant: binding.tenant.clone(),
            site: binding.site.clone(),
            observed_at: self.observed_at,
            received_at,
            source: SourceRef {
                id: binding.id.clone(),
                kind: binding.kind,
                product: binding.product.clone(),
                device: self.device,
            },
            class: self.class,
            severity: self.severity,
            entities: self.entities,
            fields,
        }
    }
}

/// What a top-level field (or a member of a nested Windows event's part)
/// tells normalization, by its name.
#[derive(Debug, Clone, Copy)]
enum Role {
    /// A time, in the slot of its preference.
    Time(usize),
    Class,
    EventId,
    Channel,
    WindowsLevel,
    Severity,
    CefSeverity,
    LeefSev,
    CefOrLeefVendor,
    Description,
    AppName,
    /// An entity of this rank and kind.
    Entity(u8, EntityKind),
    /// An entity that is also the device, in this device slot.
    EntityAndDevice(u8, usize, EntityKind),
    /// The device, in this slot.
    Device(usize),
    /// A part of a nested Windows event, whose members use the flat names.
    Nested,
}

fn role(key: &str) -> Option<Role> {
    use EntityKind as K;
    use Role as R;
    Some(match key {
        "@timestamp" => R::Time(0),
        "TimeCreated" | "TimeCreated_attributes" => R::Time(1),
        "UtcTime" => R::Time(2),
        "EventTime" => R::Time(3),
        "time" => R::Time(4),
        "rt" => R::Time(5),
        "end" => R::Time(6),
        "devTime" => R::Time(7),
        "timestamp" => R::Time(8),

        "class" => R::Class,
        "EventID" => R::EventId,
        "Channel" => R::Channel,
        "Level" => R::WindowsLevel,
        "severity" => R::Severity,
        "cef.severity" => R::CefSeverity,
        "sev" => R::LeefSev,
        "cef.vendor" | "leef.vendor" => R::CefOrLeefVendor,
        "cef.name" | "cat" | "leef.event_id" | "message" => R::Description,
        "app_name" => R::AppName,

        "Computer" => R::EntityAndDevice(0, 1, K::Host),
        "Hostname" => R::EntityAndDevice(1, 2, K::Host),
        "hostname" => R::EntityAndDevice(2, 3, K::Host),
        "host" => R::EntityAndDevice(3, 4, K::Host),
        "shost" => R::Entity(4, K::Host),
        "dhost" => R::Entity(5, K::Host),
        "dvchost" => R::Device(0),

        "TargetUserName" => R::Entity(10, K::User),
        "User" => R::Entity(11, K::User),
        "SubjectUserName" => R::Entity(12, K::User),
        "user" => R::Entity(13, K::User),
        "suser" => R::Entity(14, K::User),
        "duser" => R::Entity(15, K::User),
        "usrName" => R::Entity(16, K::User),
        "person" => R::Entity(17, K::User),

        "IpAddress" => R::Entity(20, K::Ip),
        "SourceIp" => R::Entity(21, K::Ip),
        "DestinationIp" => R::Entity(22, K::Ip),
        "src_ip" => R::Entity(23, K::Ip),
        "dst_ip" => R::Entity(24, K::Ip),
        "src" => R::Entity(25, K::Ip),
        "dst" => R::Entity(26, K::Ip),

        "Image" => R::Entity(30, K::Process),
        "NewProcessName" => R::Entity(31, K::Process),
        "SourceImage" => R::Entity(32, K::Process),
        "TargetImage" => R::Entity(33, K::Process),
        "ParentImage" => R::Entity(34, K::Process),
        "Hashes" | "fileHash" => R::Entity(40, K::Hash),
        "QueryName" => R::Entity(45, K::Domain),

        "door" => R::Entity(50, K::Door),
        "reader" => R::EntityAndDevice(51, 6, K::Device),
        "camera" => R::EntityAndDevice(52, 7, K::Camera),
        "sensor" => R::EntityAndDevice(53, 8, K::Sensor),
        "badge" => R::Entity(54, K::Badge),
        "zone" => R::Entity(55, K::Zone),
        "device" => R::EntityAndDevice(56, 5, K::Device),
        "panel" => R::EntityAndDevice(57, 5, K::Device),
        "gateway" => R::Entity(58, K::Device),

        // A nested Windows event: `Event.System` and `Event.EventData`
        // use the flat events' names.
        "Event" | "System" | "EventData" => R::Nested,
        _ => return None,
    })
}

const TIME_SLOTS: usize = 9;
const DEVICE_SLOTS: usize = 9;

/// What one pass over the fields found, by reference.
#[derive(Default)]
struct Seen<'a> {
    times: [Option<&'a Value>; TIME_SLOTS],
    devices: [Option<&'a Value>; DEVICE_SLOTS],
    class: Option<&'a str>,
    event_id: Option<u32>,
    channel: Option<&'a str>,
    windows_level: Option<&'a Value>,
    severity: Option<&'a Value>,
    cef_severity: Option<&'a str>,
    leef_sev: Option<&'a Value>,
    /// Texts that say what happened, for telling logins from traffic.
    descriptions: Vec<&'a str>,
    is_cef_or_leef: bool,
    /// A Cisco ASA/FTD/PIX syslog message (`%ASA-6-113005`): traffic or
    /// logins, told apart by its text like CEF.
    is_cisco_security: bool,
    /// (rank, kind, value): rank orders entities by how central the field is.
    entities: Vec<(u8, EntityKind, &'a Value)>,
}

impl<'a> Seen<'a> {
    fn observe(&mut self, key: &'a str, value: &'a Value) {
        let Some(role) = role(key) else {
            return;
        };
        match role {
            Role::Time(slot) => self.set_time(slot, value),
            Role::Class => self.class = value.as_str(),
            Role::EventId => self.event_id = self.event_id.or_else(|| event_id_of(value)),
            Role::Channel => self.channel = self.channel.or(value.as_str()),
            Role::WindowsLevel => self.windows_level = self.windows_level.or(Some(value)),
            Role::Severity => self.severity = Some(value),
            Role::CefSeverity => self.cef_severity = value.as_str(),
            Role::LeefSev => self.leef_sev = Some(value),
            Role::CefOrLeefVendor => self.is_cef_or_leef = true,
            Role::Description => self.descriptions.extend(value.as_str()),
            Role::AppName => {
                self.is_cisco_security |= value.as_str().is_some_and(|tag| {
                    ["%ASA-", "%FTD-", "%PIX-"]
                        .iter()
                        .any(|prefix| tag.starts_with(prefix))
                })
            }
            Role::Entity(rank, kind) => self.entity(rank, kind, value),
            Role::EntityAndDevice(rank, slot, kind) => {
                self.entity_and_device(rank, slot, kind, value)
            }
            Role::Device(slot) => self.device(slot, value),
            Role::Nested => {
                for (key, value) in value.as_object().into_iter().flatten() {
                    // `Event` inside `Event` would be another event, not this one's parts.
                    if key != "Event" {
                        self.observe(key, value);
                    }
                }
            }
        }
    }

    /// Everything derived, owned.
    fn derive(mut self, binding: &SourceBinding, received_at: Timestamp) -> Derived {
        let observed_at = self.time(received_at).unwrap_or(received_at);
        let class = self.class(&binding.product);
        let severity = self.severity();
        let device = self
            .devices
            .iter()
            .flatten()
            .find_map(|v| entity_text(v))
            .map(Cow::into_owned);
        let mut entities = self.entities();
        if self.is_cisco_security {
            // ASA messages name the account in their text (`user = jdoe`,
            // `User <jdoe>`); it is what ties a VPN login to a person.
            if let Some(user) = self.descriptions.iter().find_map(|d| asa_user(d))
                && !entities
                    .iter()
                    .any(|e| e.kind == EntityKind::User && e.value == user)
            {
                entities.push(Entity::new(EntityKind::User, user));
            }
        }
        Derived {
            observed_at,
            class,
            severity,
            device,
            entities,
        }
    }

    /// The first usable time, in the order of preference.
    fn time(&self, reference: Timestamp) -> Option<Timestamp> {
        self.times
            .iter()
            .flatten()
            .find_map(|v| time_of(v, reference))
    }

    fn set_time(&mut self, slot: usize, value: &'a Value) {
        self.times[slot] = self.times[slot].or(Some(value));
    }

    fn device(&mut self, slot: usize, value: &'a Value) {
        self.devices[slot] = self.devices[slot].or(Some(value));
    }

    fn entity(&mut self, rank: u8, kind: EntityKind, value: &'a Value) {
        if self.entities.len() < 64 {
            self.entities.push((rank, kind, value));
        }
    }

    fn entity_and_device(&mut self, rank: u8, slot: usize, kind: EntityKind, value: &'a Value) {
        self.entity(rank, kind, value);
        self.device(slot, value);
    }

    fn class(&self, product: &str) -> EventClass {
        if let Some(class) = self.class.and_then(EventClass::parse) {
            return class;
        }
        if product.eq_ignore_ascii_case("access") {
            return EventClass::PhysicalAccess;
        }
        if let (Some(id), Some(channel)) = (self.event_id, self.channel) {
            return windows_class(channel, id);
        }
        if self.is_cef_or_leef || self.is_cisco_security || is_network_gateway(product) {
            return if self.descriptions.iter().any(|d| says_authentication(d)) {
                EventClass::Authentication
            } else {
                EventClass::NetworkActivity
            };
        }
        EventClass::Other
    }

    fn severity(&self) -> Severity {
        let named = self
            .severity
            .and_then(Value::as_str)
            .and_then(|s| s.parse::<Severity>().ok());
        named
            .or_else(|| {
                self.cef_severity
                    .and_then(CefSeverity::parse)
                    .map(CefSeverity::to_severity)
            })
            .or_else(|| {
                let sev = number_of(self.leef_sev?)?;
                u8::try_from(sev)
                    .ok()
                    .filter(|s| *s <= 10)
                    .map(|s| CefSeverity::Level(s).to_severity())
            })
            .or_else(|| syslog_severity(number_of(self.severity?)?))
            .or_else(|| windows_level(number_of(self.windows_level?)?))
            .unwrap_or(Severity::Info)
    }

    fn entities(&mut self) -> Vec<Entity> {
        self.entities.sort_by_key(|(rank, _, _)| *rank);
        let mut out: Vec<Entity> = Vec::with_capacity(self.entities.len());
        let mut add = |kind: EntityKind, text: &str| {
            let text = text.trim();
            if text.is_empty()
                || text == "-"
                || out.iter().any(|e| e.kind == kind && e.value == text)
            {
                return;
            }
            if kind == EntityKind::Ip && text.parse::<IpAddr>().is_err() {
                return;
            }
            out.push(Entity::new(kind, text));
        };
        for (_, kind, value) in &self.entities {
            let Some(text) = entity_text(value) else {
                continue;
            };
            if *kind == EntityKind::Hash {
                // Sysmon: `SHA1=…,MD5=…,SHA256=…,IMPHASH=…`.
                for part in text.split(',') {
                    add(
                        EntityKind::Hash,
                        part.split_once('=').map_or(part, |(_, hash)| hash),
                    );
                }
            } else {
                add(*kind, &text);
            }
        }
        out
    }
}

/// Text of a string or number value.
fn entity_text(value: &Value) -> Option<Cow<'_, str>> {
    match value {
        Value::String(s) if !s.trim().is_empty() && s.trim() != "-" => Some(Cow::Borrowed(s)),
        Value::Number(n) => Some(Cow::Owned(n.to_string())),
        _ => None,
    }
}

fn number_of(value: &Value) -> Option<i64> {
    match value {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// An event id as a number, a numeric string, or an XML-derived object
/// (`{"#text": 4624}`).
fn event_id_of(value: &Value) -> Option<u32> {
    match value {
        Value::Object(map) => map
            .get("#text")
            .or_else(|| map.get("value"))
            .and_then(event_id_of),
        other => number_of(other).and_then(|n| u32::try_from(n).ok()),
    }
}

fn time_of(value: &Value, reference: Timestamp) -> Option<Timestamp> {
    match value {
        Value::String(s) => parse_text(s, reference),
        Value::Number(n) => match n.as_i64() {
            Some(i) => from_epoch(i),
            None => n.as_f64().and_then(from_epoch_float),
        },
        Value::Object(map) => {
            let inner = map
                .get("#attributes")
                .and_then(|a| a.get("SystemTime"))
                .or_else(|| map.get("SystemTime"))?;
            time_of(inner, reference)
        }
        _ => None,
    }
}

fn windows_class(channel: &str, id: u32) -> EventClass {
    use EventClass as C;
    let is = |name: &str| channel.eq_ignore_ascii_case(name);
    if is("Microsoft-Windows-Sysmon/Operational") {
        match id {
            1 | 5 | 8 | 10 => C::ProcessActivity,
            3 => C::NetworkActivity,
            2 | 11 | 15 | 23 | 26 => C::FileActivity,
            12..=14 => C::RegistryActivity,
            22 => C::DnsActivity,
            _ => C::Other,
        }
    } else if is("Security") {
        match id {
            4624 | 4625 | 4634 | 4647 | 4648 | 4768 | 4769 | 4771 | 4776 => C::Authentication,
            4688 | 4689 => C::ProcessActivity,
            5156 | 5157 => C::NetworkActivity,
            _ => C::Other,
        }
    } else if is("Microsoft-Windows-PowerShell/Operational") || is("Windows PowerShell") {
        match id {
            4103 | 4104 => C::ProcessActivity,
            _ => C::Other,
        }
    } else {
        C::Other
    }
}

/// Products whose events are network traffic decisions (or, when their text
/// says so, logins) unless they say otherwise: firewalls and VPN gateways.
fn is_network_gateway(product: &str) -> bool {
    const EXACT: [&str; 7] = [
        "asa",
        "cisco-asa",
        "cisco_asa",
        "srx",
        "fw",
        "pan-os",
        "panos",
    ];
    const PART: [&str; 21] = [
        "firewall",
        "vpn",
        "anyconnect",
        "globalprotect",
        "wireguard",
        "fortigate",
        "fortinet",
        "paloalto",
        "palo-alto",
        "palo_alto",
        "checkpoint",
        "check-point",
        "check_point",
        "pfsense",
        "opnsense",
        "sophos",
        "sonicwall",
        "juniper",
        "watchguard",
        "iptables",
        "meraki",
    ];
    EXACT.iter().any(|name| product.eq_ignore_ascii_case(name))
        || PART.iter().any(|name| contains_ignore_case(product, name))
}

fn says_authentication(text: &str) -> bool {
    const WORDS: [&str; 10] = [
        "login",
        "logon",
        "log on",
        "log in",
        "logged on",
        "logged in",
        "authenticat",
        "sign-in",
        "signin",
        "sign in",
    ];
    WORDS.iter().any(|word| contains_ignore_case(text, word))
}

/// `needle` is lower-case ASCII; no allocation, as this runs per event.
fn contains_ignore_case(haystack: &str, needle: &str) -> bool {
    haystack
        .as_bytes()
        .windows(needle.len())
        .any(|w| w.eq_ignore_ascii_case(needle.as_bytes()))
}

/// The account a Cisco ASA message names: `user = NAME` or `User <NAME>`.
fn asa_user(text: &str) -> Option<&str> {
    let name = if let Some((_, rest)) = text.split_once("user = ") {
        rest.split([' ', ',', ':']).next()
    } else {
        let (_, rest) = text.split_once("User <")?;
        rest.split_once('>').map(|(name, _)| name)
    }?;
    let name = name.trim();
    (!name.is_empty() && name.len() <= 128).then_some(name)
}

/// Syslog severities 0-7 (emergency … debug).
fn syslog_severity(n: i64) -> Option<Severity> {
    Some(match n {
        0..=2 => Severity::Critical,
        3 => Severity::High,
        4 => Severity::Medium,
        5 => Severity::Low,
        6 | 7 => Severity::Info,
        _ => return None,
    })
}

/// Windows event levels: 1 critical, 2 error, 3 warning, 0/4/5 information.
fn windows_level(n: i64) -> Option<Severity> {
    Some(match n {
        1 => Severity::Critical,
        2 => Severity::High,
        3 => Severity::Medium,
        0 | 4 | 5 => Severity::Info,
        _ => return None,
    })
}

#[cfg(test)]
#[path = "normalize_tests.rs"]
mod tests;
