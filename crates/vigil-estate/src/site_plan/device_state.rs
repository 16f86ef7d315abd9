//! What is known of each device of a site, merged from every source, and the
//! one state the plan shows for it.

use std::collections::{BTreeMap, BTreeSet};

use vigil_model::{Entity, EntityKind, EventClass, Timestamp};

use super::SiteFacts;

/// Everything the sources say about one device, merged.
#[derive(Default)]
pub(super) struct Known {
    pub(super) name: Option<String>,
    pub(super) kind: Option<String>,
    pub(super) zone: Option<String>,
    pub(super) pos: Option<(f64, f64)>,
    pub(super) last_event_at: Option<Timestamp>,
    pub(super) last_seen: Option<Timestamp>,
    lost: bool,
    armed: Option<bool>,
    status: Option<bool>,
    door_open: Option<bool>,
}

impl Known {
    /// The strongest thing known, in the order the module documents.
    pub(super) fn state(&self, alarmed: bool) -> &'static str {
        if alarmed {
            "alarm"
        } else if self.lost || self.status == Some(false) {
            "offline"
        } else if self.door_open == Some(true) {
            "door_open"
        } else if self.armed == Some(true) {
            "armed"
        } else if self.armed == Some(false) {
            "disarmed"
        } else if self.last_seen.is_some() || self.last_event_at.is_some() || self.status.is_some()
        {
            "online"
        } else {
            "unknown"
        }
    }
}

/// The entity kinds that name devices in alarms.
pub const DEVICE_ENTITIES: [EntityKind; 4] = [
    EntityKind::Device,
    EntityKind::Door,
    EntityKind::Camera,
    EntityKind::Sensor,
];

/// The ids of the devices among `entities` (of a site's open alarms).
pub fn alarmed_devices<'a>(entities: impl IntoIterator<Item = &'a Entity>) -> BTreeSet<String> {
    entities
        .into_iter()
        .filter(|e| DEVICE_ENTITIES.contains(&e.kind))
        .map(|e| e.value.clone())
        .collect()
}

/// The device fields of events, with the kind they imply.
const EVENT_DEVICE_FIELDS: [(&str, &str); 7] = [
    ("door", "door"),
    ("reader", "reader"),
    ("camera", "camera"),
    ("sensor", "sensor"),
    ("panel", "panel"),
    ("gateway", "gateway"),
    ("device", "sensor"),
];

/// The plan's kind of a device kind as the estate names it.
pub fn plan_kind(kind: &str) -> &'static str {
    let k = kind.to_ascii_lowercase();
    if k.contains("door") {
        "door"
    } else if k.contains("camera") || k.contains("video") {
        "camera"
    } else if k.contains("panel") {
        "panel"
    } else if k.contains("reader") {
        "reader"
    } else if k.contains("gateway") || k.contains("node") {
        "gateway"
    } else {
        "sensor"
    }
}

fn event_kind(class: EventClass) -> &'static str {
    match class {
        EventClass::PhysicalAccess => "reader",
        EventClass::IntrusionAlarm | EventClass::FireAlarm => "panel",
        EventClass::VideoAnalytics => "camera",
        EventClass::DeviceStatus => "gateway",
        _ => "sensor",
    }
}

/// Merges what the plan, the register, supervision and the events say about
/// each device, by id. Configuration wins over the register, the register
/// over what events imply.
pub(super) fn gather(facts: &SiteFacts<'_>) -> BTreeMap<String, Known> {
    let mut known: BTreeMap<String, Known> = BTreeMap::new();
    if let Some(plan) = facts.plan {
        for d in &plan.devices {
            let k = known.entry(d.id.clone()).or_default();
            k.name = d.name.clone();
            k.kind = d.kind.as_deref().map(|s| plan_kind(s).to_owned());
            k.zone = d.zone.clone();
            k.pos = d.x.zip(d.y);
        }
    }
    for d in &facts.devices {
        let k = known.entry(d.id.clone()).or_default();
        k.name = k.name.take().or(d.name.clone());
        k.kind = k.kind.take().or(Some(plan_kind(&d.kind).to_owned()));
        k.zone = k.zone.take().or(d.zone.clone());
    }
    for p in &facts.panels {
        let k = known.entry(p.panel.clone()).or_default();
        k.kind = k.kind.take().or(Some("panel".into()));
    }
    for s in &facts.supervision {
        let k = known.entry(s.device.clone()).or_default();
        k.kind = k.kind.take().or(Some(plan_kind(&s.device_type).to_owned()));
        k.last_seen = k.last_seen.max(Some(s.last_seen));
        k.lost |= s.lost_since.is_some();
        k.armed = k.armed.or(s.armed);
    }
    // Newest first: the first event that says something about a device wins.
    for e in facts.events {
        let action = e.fields.get("action").and_then(|v| v.as_str());
        let mut named: Vec<(&str, &str)> = Vec::new();
        for (field, kind) in EVENT_DEVICE_FIELDS {
            if let Some(id) = e.fields.get(field).and_then(|v| v.as_str())
                && !id.is_empty()
                && !named.iter().any(|(n, _)| *n == id)
            {
                named.push((id, kind));
            }
        }
        if let Some(id) = e.device.as_deref()
            && !named.iter().any(|(n, _)| *n == id)
        {
            named.push((id, event_kind(e.class)));
        }
        for (id, kind) in named {
            let k = known.entry(id.to_owned()).or_default();
            if k.kind.is_none() {
                k.kind = Some(kind.to_owned());
            }
            if k.zone.is_none() {
                k.zone = e
                    .fields
                    .get("zone")
                    .and_then(|v| v.as_str())
                    .map(str::to_owned);
            }
            k.last_event_at = k.last_event_at.max(Some(e.observed_at));
            if kind == "door" && k.door_open.is_none() {
                k.door_open = match action {
                    Some("door_forced_open" | "door_held_open" | "door_opened") => Some(true),
                    Some("door_closed") => Some(false),
                    _ => None,
                };
            }
            if matches!(e.class, EventClass::IntrusionAlarm | EventClass::FireAlarm)
                && k.armed.is_none()
            {
                k.armed = match action {
                    Some("armed") => Some(true),
                    Some("disarmed") => Some(false),
                    _ => None,
                };
            }
            if e.class == EventClass::DeviceStatus && k.status.is_none() {
                k.status = match e.fields.get("status").and_then(|v| v.as_str()) {
                    Some("online") => Some(true),
                    Some("offline") => Some(false),
                    _ => None,
                };
            }
        }
    }
    known
}
