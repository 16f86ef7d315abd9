//! Attack stories: what they are, when they happen, and the ground truth
//! each occurrence leaves behind.
//!
//! Every story runs once within the first ten simulated minutes for each
//! client it applies to (so a short demo sees them all), then again every
//! few simulated hours. Ground truth lists attacks only; the benign
//! look-alikes in everyday life are never in it.

mod converged;
mod network;
mod physical;
mod regulation;
mod windows;

use chrono::Duration;
use rand::Rng;
use serde::{Deserialize, Serialize};
use vigil_model::{Entity, SiteId, TenantId, Timestamp};

use crate::activity::{Out, Slot};
use crate::calendar::is_night;
use crate::rng::{SimRng, stream, stream_at};
use crate::tenant_sim::TenantSim;

/// One occurrence of an attack story: what happened, where, when, and which
/// of Vigil's rules must fire for it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroundTruth {
    /// The story's name (`encoded-powershell-download`).
    pub story: String,
    /// Unique per occurrence (`encoded-powershell-download-st-aurelia-0001`).
    pub instance: String,
    /// The client it happened to.
    pub tenant: TenantId,
    /// The site it happened at, if it is site-specific.
    pub site: Option<SiteId>,
    /// Time of its first event.
    pub started_at: Timestamp,
    /// Time of its last event.
    pub ended_at: Timestamp,
    /// What happened, for a person reading the record.
    pub description: String,
    /// Ids of the rules in `rules/` that must fire for it.
    pub expected_rules: Vec<String>,
    /// The people, hosts, addresses, doors and cameras involved.
    pub entities: Vec<Entity>,
    /// What an analyst records about it under NIS-2 once it is an
    /// incident, for stories that become one (see `regulation.rs`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nis2_facts: Option<vigil_compliance::nis2::IncidentFacts>,
}

/// The attack stories the simulator tells.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum StoryKind {
    /// Northgate: a data-hall door forced at night after the camera covering
    /// it is blinded.
    DoorForcedDataHall,
    /// St Aurelia and Northgate: a hidden, encoded PowerShell download cradle
    /// on a workstation, then LSASS credential dumping.
    EncodedPowershellDownload,
    /// Riverside: a host on the IT network talks Modbus/TCP to a PLC through
    /// the IT/OT firewall.
    OtModbusFromIt,
    /// Riverside: a burst of VPN password failures for one account from one
    /// address, then a success.
    VpnBruteForce,
    /// St Aurelia: a terminated pharmacist's badge, never revoked, opens the
    /// pharmacy and the controlled-drugs room.
    TerminatedBadgePharmacy,
    /// Northgate: the camera over a plant or data-hall door reports tamper
    /// over ONVIF, then the door is held open.
    CameraBlindedDoorHeld,
    /// St Aurelia: unknown cards tried at a critical door, then a grant.
    CardTrying,
    /// Northgate: two people through the mantrap on one badge.
    Tailgating,
    /// Riverside: a set pumping station's alarm line is cut, then its
    /// intrusion alarm arrives over DC-09.
    PanelLineCut,
    /// Riverside: an engineer badges in on site while their account logs in
    /// over the VPN from abroad.
    PresentInTwoPlaces,
}

/// Every story, in a fixed order.
pub const STORIES: [StoryKind; 10] = [
    StoryKind::DoorForcedDataHall,
    StoryKind::EncodedPowershellDownload,
    StoryKind::OtModbusFromIt,
    StoryKind::VpnBruteForce,
    StoryKind::TerminatedBadgePharmacy,
    StoryKind::CameraBlindedDoorHeld,
    StoryKind::CardTrying,
    StoryKind::Tailgating,
    StoryKind::PanelLineCut,
    StoryKind::PresentInTwoPlaces,
];

impl StoryKind {
    /// The story's name in ground truth.
    pub fn name(self) -> &'static str {
        match self {
            StoryKind::DoorForcedDataHall => "door-forced-data-hall",
            StoryKind::EncodedPowershellDownload => "encoded-powershell-download",
            StoryKind::OtModbusFromIt => "ot-modbus-from-it",
            StoryKind::VpnBruteForce => "vpn-brute-force",
            StoryKind::TerminatedBadgePharmacy => "terminated-badge-pharmacy",
            StoryKind::CameraBlindedDoorHeld => "camera-blinded-door-held",
            StoryKind::CardTrying => "card-trying",
            StoryKind::Tailgating => "tailgating",
            StoryKind::PanelLineCut => "panel-line-cut",
            StoryKind::PresentInTwoPlaces => "present-in-two-places",
        }
    }

    /// The clients it happens to.
    pub fn tenants(self) -> &'static [&'static str] {
        match self {
            StoryKind::DoorForcedDataHall => &["northgate"],
            StoryKind::EncodedPowershellDownload => &["st-aurelia", "northgate"],
            StoryKind::OtModbusFromIt | StoryKind::VpnBruteForce => &["riverside"],
            StoryKind::TerminatedBadgePharmacy => &["st-aurelia"],
            StoryKind::CameraBlindedDoorHeld | StoryKind::Tailgating => &["northgate"],
            StoryKind::CardTrying => &["st-aurelia"],
            StoryKind::PanelLineCut | StoryKind::PresentInTwoPlaces => &["riverside"],
        }
    }

    /// Whether it only happens at night (local time of the client's first site).
    fn nocturnal(self) -> bool {
        self == StoryKind::DoorForcedDataHall
    }

    fn play(self, t: &TenantSim, rng: &mut SimRng, at: Timestamp, out: &mut Out) -> Option<Told> {
        match self {
            StoryKind::DoorForcedDataHall => physical::door_forced(t, rng, at, out),
            StoryKind::EncodedPowershellDownload => windows::encoded_download(t, rng, at, out),
            StoryKind::OtModbusFromIt => network::modbus_from_it(t, rng, at, out),
            StoryKind::VpnBruteForce => network::vpn_brute_force(t, rng, at, out),
            StoryKind::TerminatedBadgePharmacy => physical::terminated_badge(t, rng, at, out),
            StoryKind::CameraBlindedDoorHeld => {
                converged::camera_blinded_door_held(t, rng, at, out)
            }
            StoryKind::CardTrying => converged::card_trying(t, rng, at, out),
            StoryKind::Tailgating => converged::tailgating(t, rng, at, out),
            StoryKind::PanelLineCut => converged::panel_line_cut(t, rng, at, out),
            StoryKind::PresentInTwoPlaces => converged::present_in_two_places(t, rng, at, out),
        }
    }
}

/// What a story reports about one telling; times come from its events.
#[derive(Debug)]
struct Told {
    site: Option<SiteId>,
    description: String,
    expected_rules: Vec<&'static str>,
    entities: Vec<Entity>,
}

/// One story's schedule at one client.
#[derive(Debug, Clone)]
struct Plot {
    kind: StoryKind,
    tenant: usize,
    next: Timestamp,
    told: u64,
}

/// Decides when stories happen and tells them.
#[derive(Debug, Clone)]
pub struct Storyteller {
    plots: Vec<Plot>,
}

impl Storyteller {
    /// Schedules the first telling of every story at every client it
    /// applies to, between 15 seconds and 9 minutes after `start`.
    pub fn new(seed: u64, start: Timestamp, tenants: &[TenantSim]) -> Self {
        let mut plots = Vec::new();
        for kind in STORIES {
            for name in kind.tenants() {
                let Some(tenant) = tenants.iter().position(|t| t.slug == *name) else {
                    continue;
                };
                let mut rng = stream(seed, &["story-first", kind.name(), name]);
                let offset = Duration::milliseconds(rng.random_range(15_000..540_000));
                plots.push(Plot {
                    kind,
                    tenant,
                    next: start + offset,
                    told: 0,
                });
            }
        }
        Self { plots }
    }

    /// Tells every story due in `slot`; returns the ground truth of each.
    pub fn tell(&mut self, slot: &Slot, tenants: &[TenantSim], out: &mut Out) -> Vec<GroundTruth> {
        let mut truths = Vec::new();
        for plot in &mut self.plots {
            while plot.next < slot.end {
                let Some(t) = tenants.get(plot.tenant) else {
                    break;
                };
                let at = plot.next.max(slot.start);
                plot.told += 1;
                let name = plot.kind.name();
                let mut rng = stream_at(slot.seed, &["story", name, &t.slug], &[plot.told]);
                let mut told_out = Out::default();
                if let Some(told) = plot.kind.play(t, &mut rng, at, &mut told_out) {
                    // A story never reaches back before its slot.
                    for e in &mut told_out.emissions {
                        e.at = e.at.max(slot.start);
                    }
                    let started_at = told_out.emissions.iter().map(|e| e.at).min().unwrap_or(at);
                    let ended_at = told_out.emissions.iter().map(|e| e.at).max().unwrap_or(at);
                    truths.push(GroundTruth {
                        story: name.to_owned(),
                        instance: format!("{name}-{}-{:04}", t.slug, plot.told),
                        tenant: t.world.tenant.id.clone(),
                        site: told.site,
                        started_at,
                        ended_at,
                        description: told.description,
                        expected_rules: told
                            .expected_rules
                            .iter()
                            .map(|r| (*r).to_owned())
                            .collect(),
                        entities: told.entities,
                        nis2_facts: regulation::nis2_facts(plot.kind, started_at),
                    });
                    out.emissions.append(&mut told_out.emissions);
                }
                plot.next = next_time(plot.kind, t, &mut rng, at);
            }
        }
        truths
    }
}

/// When a story happens again: a few hours later; stories that need the
/// dark wait for the next night.
fn next_time(kind: StoryKind, t: &TenantSim, rng: &mut SimRng, after: Timestamp) -> Timestamp {
    let mut next = after + Duration::milliseconds(rng.random_range(120 * 60_000..360 * 60_000));
    if kind.nocturnal() {
        let tz = t.main_tz();
        for _ in 0..24 {
            if is_night(next, tz) {
                break;
            }
            next += Duration::hours(1);
        }
    }
    next
}
