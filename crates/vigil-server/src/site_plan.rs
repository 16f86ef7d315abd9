//! Floor plans and the live state of a site's devices, for the control
//! room's site view.
//!
//! A site's plan comes from configuration ([`FloorPlan`]: the drawing's
//! size, its areas, and devices with optional positions). What the plan
//! does not say is filled in deterministically so that every site has a
//! usable plan: without areas, one area per zone is laid out in a grid;
//! a device without a position is placed on a grid inside its zone's area.
//!
//! A device's state is derived from what the store knows, strongest first:
//! an open alarm about it (`alarm`), lost supervision or a `device_status`
//! saying offline (`offline`), its latest door event (`door_open`), its
//! panel's set state (`armed` / `disarmed`), any sign of life (`online`),
//! else `unknown`.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use vigil_model::{EntityKind, EventClass, SiteId, TenantId, Timestamp};
use vigil_store::{DeviceRecord, PanelAccountRecord, SiteEvent, SiteViewStore, SupervisionRecord};

/// The width of a plan that does not say.
pub const DEFAULT_PLAN_WIDTH: f64 = 1000.0;
/// The height of a plan that does not say.
pub const DEFAULT_PLAN_HEIGHT: f64 = 600.0;
/// Space around and between laid-out areas, in plan units.
const MARGIN: f64 = 20.0;

fn default_width() -> f64 {
    DEFAULT_PLAN_WIDTH
}
fn default_height() -> f64 {
    DEFAULT_PLAN_HEIGHT
}

/// A site's floor plan as configured (`floor_plan = { … }` on a site).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FloorPlan {
    /// The drawing's width in plan units (default 1000).
    #[serde(default = "default_width")]
    pub width: f64,
    /// The drawing's height in plan units (default 600).
    #[serde(default = "default_height")]
    pub height: f64,
    /// Rooms or zones drawn as rectangles; an area's id is the zone name
    /// devices and events use.
    #[serde(default)]
    pub areas: Vec<PlanArea>,
    /// Devices to show, with their positions when known.
    #[serde(default)]
    pub devices: Vec<PlannedDevice>,
}

impl Default for FloorPlan {
    fn default() -> Self {
        Self {
            width: DEFAULT_PLAN_WIDTH,
            height: DEFAULT_PLAN_HEIGHT,
            areas: Vec::new(),
            devices: Vec::new(),
        }
    }
}

/// A rectangle of a plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PlanArea {
    /// Its id: the zone it draws.
    pub id: String,
    /// A name for people (default: the id).
    #[serde(default)]
    pub name: String,
    /// Left edge.
    pub x: f64,
    /// Top edge.
    pub y: f64,
    /// Width.
    pub w: f64,
    /// Height.
    pub h: f64,
}

/// A device as a plan configures it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlannedDevice {
    /// Its id, as events name it (`door`, `reader`, `camera`, `panel` …).
    pub id: String,
    /// A name for people.
    #[serde(default)]
    pub name: Option<String>,
    /// `door`, `camera`, `panel`, `reader`, `sensor` or `gateway` (other
    /// words are mapped: `intrusion_panel` is a panel …).
    #[serde(default)]
    pub kind: Option<String>,
    /// The zone (area id) it is in.
    #[serde(default)]
    pub zone: Option<String>,
    /// Its position across the plan.
    #[serde(default)]
    pub x: Option<f64>,
    /// Its position down the plan.
    #[serde(default)]
    pub y: Option<f64>,
}

/// A floor plan that cannot be drawn, and where.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PlanError {
    /// A size or coordinate that is not a finite number in range.
    #[error("floor_plan.{field} is {value}; expected {expected}")]
    OutOfRange {
        /// The field (`width`, `areas[2].w`, `devices[0].x`).
        field: String,
        /// The value given.
        value: f64,
        /// What was expected.
        expected: &'static str,
    },
    /// Two areas or two devices with one id.
    #[error("floor_plan.{field} repeats the id `{id}`")]
    Duplicate {
        /// `areas` or `devices`.
        field: &'static str,
        /// The repeated id.
        id: String,
    },
}

impl FloorPlan {
    /// Checks sizes and coordinates: positive finite sizes, coordinates
    /// finite and inside the plan, ids unique.
    pub fn check(&self) -> Result<(), PlanError> {
        let bad = |field: String, value: f64, expected| {
            Err(PlanError::OutOfRange {
                field,
                value,
                expected,
            })
        };
        for (field, v) in [("width", self.width), ("height", self.height)] {
            if !(v.is_finite() && v > 0.0 && v <= 100_000.0) {
                return bad(field.into(), v, "a number in (0, 100000]");
            }
        }
        let inside = |v: f64, max: f64| v.is_finite() && (0.0..=max).contains(&v);
        let mut ids = BTreeSet::new();
        for (i, a) in self.areas.iter().enumerate() {
            if !ids.insert(a.id.as_str()) {
                return Err(PlanError::Duplicate {
                    field: "areas",
                    id: a.id.clone(),
                });
            }
            for (name, v, max) in [
                ("x", a.x, self.width),
                ("y", a.y, self.height),
                ("w", a.w, self.width - a.x),
                ("h", a.h, self.height - a.y),
            ] {
                if !inside(v, max) {
                    return bad(format!("areas[{i}].{name}"), v, "inside the plan");
                }
            }
        }
        let mut ids = BTreeSet::new();
        for (i, d) in self.devices.iter().enumerate() {
            if !ids.insert(d.id.as_str()) {
                return Err(PlanError::Duplicate {
                    field: "devices",
                    id: d.id.clone(),
                });
            }
            for (name, v, max) in [("x", d.x, self.width), ("y", d.y, self.height)] {
                if let Some(v) = v
                    && !inside(v, max)
                {
                    return bad(format!("devices[{i}].{name}"), v, "inside the plan");
                }
            }
        }
        Ok(())
    }
}

/// Floor plans by tenant and site.
pub type SitePlans = BTreeMap<(TenantId, SiteId), FloorPlan>;

/// What a rule is, for sorting its alarms into categories (the desk's type).
pub use vigil_desk::reporting::RuleFacts;

/// What the site view and the dashboards read besides the core store.
#[derive(Debug, Clone, Default)]
pub struct EstateView {
    /// The estate's store; `None` on a node without one (the site
    /// endpoints then answer `503`).
    pub store: Option<Arc<dyn SiteViewStore>>,
    /// The configured floor plans.
    pub plans: Arc<SitePlans>,
    /// Facts about the loaded rules, by rule id; rules not in it are
    /// categorised by their alarms' entities.
    pub rules: Arc<HashMap<String, RuleFacts>>,
}

/// A device on a plan, in its live state.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct PlanDevice {
    /// Its id.
    pub id: String,
    /// A name for people.
    pub name: String,
    /// `door`, `camera`, `panel`, `reader`, `sensor` or `gateway`.
    pub kind: String,
    /// The zone it is in.
    pub zone: Option<String>,
    /// Across the plan.
    pub x: f64,
    /// Down the plan.
    pub y: f64,
    /// `online`, `offline`, `armed`, `disarmed`, `door_open`, `alarm` or `unknown`.
    pub state: String,
    /// When its latest event happened.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub last_event_at: Option<Timestamp>,
    /// When supervision last heard it.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub last_seen: Option<Timestamp>,
}

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

/// Everything known about a site, to be drawn.
#[derive(Debug, Default)]
pub struct SiteFacts<'a> {
    /// The configured plan, if any.
    pub plan: Option<&'a FloorPlan>,
    /// Registered devices of the site.
    pub devices: Vec<&'a DeviceRecord>,
    /// Panel accounts of the site.
    pub panels: Vec<&'a PanelAccountRecord>,
    /// Supervision states of the site.
    pub supervision: Vec<&'a SupervisionRecord>,
    /// Recent physical events of the site, newest first.
    pub events: &'a [SiteEvent],
    /// Ids of devices named by open alarms of the site.
    pub alarmed: BTreeSet<String>,
}

/// What a site's plan draws.
#[derive(Debug, Clone, PartialEq)]
pub struct DrawnPlan {
    /// Width.
    pub width: f64,
    /// Height.
    pub height: f64,
    /// Areas.
    pub areas: Vec<PlanArea>,
    /// Devices, by id.
    pub devices: Vec<PlanDevice>,
}

#[derive(Default)]
struct Known {
    name: Option<String>,
    kind: Option<String>,
    zone: Option<String>,
    pos: Option<(f64, f64)>,
    last_event_at: Option<Timestamp>,
    last_seen: Option<Timestamp>,
    lost: bool,
    armed: Option<bool>,
    status: Option<bool>,
    door_open: Option<bool>,
}

/// The entity kinds that name devices in alarms.
pub const DEVICE_ENTITIES: [EntityKind; 4] = [
    EntityKind::Device,
    EntityKind::Door,
    EntityKind::Camera,
    EntityKind::Sensor,
];

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

/// Draws a site: merges what is known of each device, derives its state,
/// and lays out what the configuration does not place.
pub fn draw(facts: &SiteFacts<'_>) -> DrawnPlan {
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
    let (width, height) = facts
        .plan
        .map_or((DEFAULT_PLAN_WIDTH, DEFAULT_PLAN_HEIGHT), |p| {
            (p.width, p.height)
        });
    let areas = match facts.plan {
        Some(p) if !p.areas.is_empty() => p.areas.clone(),
        _ => {
            let zones: BTreeSet<String> = known
                .values()
                .map(|k| k.zone.clone().unwrap_or_else(|| UNZONED.to_owned()))
                .collect();
            grid_areas(&zones.into_iter().collect::<Vec<_>>(), width, height)
        }
    };
    let positions = place(&known, &areas, width, height);
    let devices = known
        .into_iter()
        .map(|(id, k)| {
            let state = if facts.alarmed.contains(&id) {
                "alarm"
            } else if k.lost || k.status == Some(false) {
                "offline"
            } else if k.door_open == Some(true) {
                "door_open"
            } else if k.armed == Some(true) {
                "armed"
            } else if k.armed == Some(false) {
                "disarmed"
            } else if k.last_seen.is_some() || k.last_event_at.is_some() || k.status.is_some() {
                "online"
            } else {
                "unknown"
            };
            let (x, y) = positions.get(&id).copied().unwrap_or((0.0, 0.0));
            PlanDevice {
                name: k.name.unwrap_or_else(|| id.clone()),
                kind: k.kind.unwrap_or_else(|| "sensor".into()),
                zone: k.zone,
                x,
                y,
                state: state.into(),
                last_event_at: k.last_event_at,
                last_seen: k.last_seen,
                id,
            }
        })
        .collect();
    DrawnPlan {
        width,
        height,
        areas,
        devices,
    }
}

/// The area of devices with no zone, when areas are laid out.
pub const UNZONED: &str = "unzoned";

fn event_kind(class: EventClass) -> &'static str {
    match class {
        EventClass::PhysicalAccess => "reader",
        EventClass::IntrusionAlarm | EventClass::FireAlarm => "panel",
        EventClass::VideoAnalytics => "camera",
        EventClass::DeviceStatus => "gateway",
        _ => "sensor",
    }
}

/// Columns and rows of a near-square grid of `n` cells in a `w`×`h` box.
fn grid(n: usize, w: f64, h: f64) -> (usize, usize) {
    if n == 0 {
        return (1, 1);
    }
    let aspect = if h > 0.0 { w / h } else { 1.0 };
    let cols = ((n as f64 * aspect).sqrt().ceil() as usize).clamp(1, n);
    (cols, n.div_ceil(cols))
}

/// One area per zone, in a grid filling the plan, in the order given.
pub fn grid_areas(zones: &[String], width: f64, height: f64) -> Vec<PlanArea> {
    let (cols, rows) = grid(zones.len(), width, height);
    // Small plans get narrower gaps, so that the areas still fit.
    let gap_x = MARGIN.min(width / (cols as f64 * 4.0));
    let gap_y = MARGIN.min(height / (rows as f64 * 4.0));
    let cell_w = (width - gap_x) / cols as f64 - gap_x;
    let cell_h = (height - gap_y) / rows as f64 - gap_y;
    zones
        .iter()
        .enumerate()
        .map(|(i, zone)| {
            let (c, r) = (i % cols, i / cols);
            PlanArea {
                id: zone.clone(),
                name: zone.clone(),
                x: gap_x + c as f64 * (cell_w + gap_x),
                y: gap_y + r as f64 * (cell_h + gap_y),
                w: cell_w,
                h: cell_h,
            }
        })
        .collect()
}

/// Positions: configured ones as given; the rest on a grid inside their
/// zone's area, or along the plan's bottom edge when no area is theirs.
fn place(
    known: &BTreeMap<String, Known>,
    areas: &[PlanArea],
    width: f64,
    height: f64,
) -> HashMap<String, (f64, f64)> {
    let mut out = HashMap::new();
    let mut by_area: BTreeMap<usize, Vec<&str>> = BTreeMap::new();
    let mut homeless = Vec::new();
    for (id, k) in known {
        if let Some(p) = k.pos {
            out.insert(id.clone(), p);
            continue;
        }
        let zone = k.zone.as_deref().unwrap_or(UNZONED);
        match areas.iter().position(|a| a.id == zone) {
            Some(i) => by_area.entry(i).or_default().push(id),
            None => homeless.push(id.as_str()),
        }
    }
    for (i, ids) in by_area {
        let Some(a) = areas.get(i) else { continue };
        let (cols, rows) = grid(ids.len(), a.w, a.h);
        for (j, id) in ids.into_iter().enumerate() {
            let (c, r) = (j % cols, j / cols);
            let x = a.x + a.w * (c as f64 + 0.5) / cols as f64;
            let y = a.y + a.h * (r as f64 + 0.5) / rows as f64;
            out.insert(id.to_owned(), (x, y));
        }
    }
    let n = homeless.len();
    for (j, id) in homeless.into_iter().enumerate() {
        let x = width * (j as f64 + 0.5) / n as f64;
        out.insert(id.to_owned(), (x, (height - MARGIN / 2.0).max(0.0)));
    }
    out
}

#[cfg(test)]
mod tests;
