//! A site's floor plan as configured, and the checks that keep it drawable.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use vigil_model::{SiteId, TenantId};

/// The width of a plan that does not say.
pub const DEFAULT_PLAN_WIDTH: f64 = 1000.0;
/// The height of a plan that does not say.
pub const DEFAULT_PLAN_HEIGHT: f64 = 600.0;

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
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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
