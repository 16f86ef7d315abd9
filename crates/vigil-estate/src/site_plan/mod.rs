//! Floor plans and the live state of a site's devices, which the control
//! room's site view draws.
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
//!
//! [`draw`] is pure; [`draw_site`] reads a site's facts from the estate
//! store ([`EstateRecords`] once for many sites, the site's recent events
//! per site) and draws it. Open alarms belong to the desk, so the caller
//! names the alarmed devices ([`alarmed_devices`]).

mod device_state;
mod floor_plan;
mod from_store;
mod layout;

use std::collections::BTreeSet;

use vigil_model::Timestamp;
use vigil_store::{DeviceRecord, PanelAccountRecord, SiteEvent, SupervisionRecord};

pub use device_state::{DEVICE_ENTITIES, alarmed_devices, plan_kind};
pub use floor_plan::{
    DEFAULT_PLAN_HEIGHT, DEFAULT_PLAN_WIDTH, FloorPlan, PlanArea, PlanError, PlannedDevice,
    SitePlans,
};
pub use from_store::{EstateRecords, draw_site};
pub use layout::{UNZONED, grid_areas};

/// A device on a plan, in its live state.
#[derive(Debug, Clone, PartialEq)]
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
    pub last_event_at: Option<Timestamp>,
    /// When supervision last heard it.
    pub last_seen: Option<Timestamp>,
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

/// Draws a site: merges what is known of each device, derives its state,
/// and lays out what the configuration does not place.
pub fn draw(facts: &SiteFacts<'_>) -> DrawnPlan {
    let known = device_state::gather(facts);
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
    let positions = layout::place(
        known
            .iter()
            .map(|(id, k)| (id.as_str(), k.zone.as_deref(), k.pos)),
        &areas,
        width,
        height,
    );
    let devices = known
        .into_iter()
        .map(|(id, k)| {
            let state = k.state(facts.alarmed.contains(&id));
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

#[cfg(test)]
mod tests;
