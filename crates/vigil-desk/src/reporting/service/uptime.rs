//! Availability: of the client's supervised devices, and of the platform
//! itself.
//!
//! **Devices.** Every device supervision knows of now (its records) counts
//! for the whole measured part of the month. A device is down from a
//! `transmission_path_lost` event to the next `transmission_path_restored`
//! one (the `device_status` events supervision writes); a first event in
//! the month that is a restore means it was lost when the month began; a
//! loss still open at the end counts to the end, and a device whose record
//! says it is lost with no event in the month (events past retention) is
//! down from `lost_since`. Time in the client's approved planned
//! maintenance is neither measured nor down, and failures, MTBF and
//! flapping follow from the same intervals ([`super::health`]).
//! Approximations: a path is declared lost only once the device has been
//! silent for its whole interval, so each loss starts up to one interval
//! late (availability is an upper bound by that much); devices added or
//! removed during the month count for all of it (removed ones not at all).
//!
//! **The platform.** Each node start writes `config.load` (`config/desk`)
//! to the audit chain, and a running node writes entries as the desk works.
//! A node cannot write without running, nor start again without having
//! stopped, so the platform is counted down from the last entry before
//! each start to that start, and up otherwise; the measured part begins
//! with the first entry if the log begins inside the month. Approximations:
//! an idle node writes nothing, so the silence before a restart counts as
//! down even if the node was still running (availability is a lower
//! bound); a node stopped for good after its last entry looks up; with
//! several nodes, one node's start is read as a restart of the platform.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;
use vigil_model::{Event, Timestamp};
use vigil_store::audit::AuditEntry;
use vigil_store::{DeviceRecord, SupervisionRecord};

use super::health::{ClientHealth, FlapRule, device_health};
use super::rows::seconds;
use crate::planned_maintenance::{PlannedMaintenance, merged};

/// A supervision transition read from a `device_status` event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceMark {
    /// The client.
    pub tenant: String,
    /// The device's id.
    pub device: String,
    /// When the path was lost or restored.
    pub at: Timestamp,
    /// Lost (true) or restored (false).
    pub lost: bool,
}

impl DeviceMark {
    /// The mark an event is, if it is a supervision transition.
    pub fn from_event(event: &Event) -> Option<Self> {
        let field = |k: &str| event.fields.get(k).and_then(|v| v.as_str());
        if field("class") != Some("device_status") {
            return None;
        }
        let lost = match field("action")? {
            "transmission_path_lost" => true,
            "transmission_path_restored" => false,
            _ => return None,
        };
        Some(Self {
            tenant: event.tenant.to_string(),
            device: field("device")?.to_owned(),
            at: event.observed_at,
            lost,
        })
    }
}

/// An audit entry as the platform's availability reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlatformMark {
    /// When it was written.
    pub at: Timestamp,
    /// Whether it records a node start.
    pub start: bool,
}

impl PlatformMark {
    /// The audit action and object a node start records.
    pub const START: (&'static str, &'static str) = ("config.load", "config/desk");

    /// The mark of an audit entry.
    pub fn from_entry(entry: &AuditEntry) -> Self {
        Self {
            at: entry.at,
            start: (entry.action.as_str(), entry.object.as_str()) == Self::START,
        }
    }
}

/// One supervised device over the month.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DeviceRow {
    /// The client.
    pub tenant: String,
    /// Its site.
    pub site: Option<String>,
    /// Its id.
    pub device: String,
    /// Its name (its id without one).
    pub name: String,
    /// What it is.
    pub kind: String,
    /// Seconds measured (the month so far, less planned maintenance).
    pub measured_s: f64,
    /// Seconds of approved planned maintenance in the month.
    pub maintenance_s: f64,
    /// Seconds its path was lost within them (outside planned maintenance).
    pub down_s: f64,
    /// How many losses overlapped the month.
    pub losses: u32,
    /// Losses that began in the month outside planned maintenance.
    pub failures: u32,
    /// 1 − down / measured.
    pub availability: Option<f64>,
    /// Mean time between failures (seconds up per failure).
    pub mtbf_s: Option<f64>,
    /// The most transitions within one flapping window.
    pub most_transitions: u32,
    /// Whether it flapped.
    pub flapping: bool,
}

/// The devices' availability.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct DeviceAvailability {
    /// Supervised devices.
    pub devices: u64,
    /// Device-seconds measured (planned maintenance left out).
    pub device_seconds: f64,
    /// Device-seconds of planned maintenance.
    pub maintenance_seconds: f64,
    /// Device-seconds lost.
    pub down_seconds: f64,
    /// Losses overlapping the month.
    pub losses: u64,
    /// Losses that began in the month outside planned maintenance.
    pub failures: u64,
    /// 1 − down / measured (none without devices).
    pub availability: Option<f64>,
    /// Device-seconds up per failure (none without a failure).
    pub mtbf_s: Option<f64>,
    /// Devices that flapped.
    pub flapping: u64,
    /// Per client.
    pub clients: Vec<ClientHealth>,
}

/// What device availability reads besides supervision: the client's
/// approved planned maintenance and when a device flaps.
#[derive(Debug, Clone, Copy)]
pub struct HealthInput<'a> {
    /// Approved work orders' windows.
    pub maintenance: &'a PlannedMaintenance,
    /// When a device counts as flapping.
    pub flapping: &'a FlapRule,
}

/// The devices' rows and figure over `[from, to)`.
pub(crate) fn device_availability(
    supervision: &[SupervisionRecord],
    devices: &[DeviceRecord],
    marks: &[DeviceMark],
    health: HealthInput<'_>,
    from: Timestamp,
    to: Timestamp,
) -> (Vec<DeviceRow>, DeviceAvailability) {
    let names: HashMap<(String, String), &DeviceRecord> = devices
        .iter()
        .map(|d| ((d.tenant.to_string(), d.id.clone()), d))
        .collect();
    let mut by_device: HashMap<(String, String), Vec<&DeviceMark>> = HashMap::new();
    for m in marks.iter().filter(|m| m.at < to) {
        by_device
            .entry((m.tenant.clone(), m.device.clone()))
            .or_default()
            .push(m);
    }
    // One row per (tenant, device): a device may report through two sources.
    let mut unique: BTreeMap<(String, String), &SupervisionRecord> = BTreeMap::new();
    for s in supervision {
        unique
            .entry((s.tenant.to_string(), s.device.clone()))
            .or_insert(s);
    }
    let mut rows = Vec::new();
    let mut total = DeviceAvailability::default();
    let mut clients: BTreeMap<String, ClientHealth> = BTreeMap::new();
    for ((tenant, device), record) in unique {
        let mut own = by_device
            .remove(&(tenant.clone(), device.clone()))
            .unwrap_or_default();
        own.sort_by_key(|m| m.at);
        let (down, losses) = down_intervals(&own, record.lost_since, from, to);
        let transitions: Vec<Timestamp> = own.iter().map(|m| m.at).collect();
        let planned = merged(health.maintenance.of_device(
            &record.tenant,
            record.site.as_ref(),
            &device,
        ));
        let h = device_health(&down, &transitions, &planned, from, to, health.flapping);
        clients
            .entry(tenant.clone())
            .or_insert_with(|| ClientHealth::new(&tenant))
            .add(&h);
        let named = names.get(&(tenant.clone(), device.clone()));
        total.devices += 1;
        total.device_seconds += h.measured_s;
        total.maintenance_seconds += h.maintenance_s;
        total.down_seconds += h.down_s;
        total.losses += u64::from(losses);
        total.failures += u64::from(h.failures);
        total.flapping += u64::from(h.flapping);
        rows.push(DeviceRow {
            site: record.site.as_ref().map(|s| s.to_string()),
            name: named
                .and_then(|d| d.name.clone())
                .unwrap_or_else(|| device.clone()),
            kind: record.device_type.clone(),
            measured_s: h.measured_s,
            maintenance_s: h.maintenance_s,
            down_s: h.down_s,
            losses,
            failures: h.failures,
            availability: h.availability,
            mtbf_s: h.mtbf_s,
            most_transitions: h.most_transitions,
            flapping: h.flapping,
            tenant,
            device,
        });
    }
    total.availability =
        (total.device_seconds > 0.0).then(|| 1.0 - total.down_seconds / total.device_seconds);
    total.mtbf_s = (total.failures > 0)
        .then(|| (total.device_seconds - total.down_seconds).max(0.0) / total.failures as f64);
    total.clients = clients.into_values().collect();
    (rows, total)
}

/// The lost intervals (clipped to `[from, to)`, in order) and the losses
/// overlapping it, from one device's marks in time order and its record's
/// `lost_since`. A loss already running at `from` whose start is not known
/// (its first mark in the period is a restore) starts just before `from`:
/// it began in an earlier period, so it is not one of this one's failures.
fn down_intervals(
    marks: &[&DeviceMark],
    lost_since: Option<Timestamp>,
    from: Timestamp,
    to: Timestamp,
) -> (Vec<(Timestamp, Timestamp)>, u32) {
    let mut intervals = Vec::new();
    let before = marks.iter().rev().find(|m| m.at < from);
    let first_inside = marks.iter().find(|m| m.at >= from);
    // Where the device stood when the month began.
    let mut down_since: Option<Timestamp> = match (before, first_inside) {
        (Some(m), _) => m.lost.then_some(m.at),
        (None, Some(m)) => (!m.lost).then(|| from - chrono::Duration::milliseconds(1)),
        (None, None) => lost_since.filter(|l| *l < to),
    };
    for m in marks.iter().filter(|m| m.at >= from) {
        match (m.lost, down_since) {
            (true, None) => down_since = Some(m.at),
            (false, Some(since)) => {
                intervals.push((since, m.at));
                down_since = None;
            }
            _ => {}
        }
    }
    if let Some(since) = down_since {
        intervals.push((since, to));
    }
    // A loss begun before the month keeps its start (it is not one of the
    // month's failures); its time is clipped by the health figures.
    let kept: Vec<(Timestamp, Timestamp)> = intervals
        .into_iter()
        .filter(|(a, b)| (*a).max(from) < (*b).min(to))
        .map(|(a, b)| (a, b.min(to)))
        .collect();
    let losses = kept.len() as u32;
    (kept, losses)
}

/// A stretch the platform is counted down.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PlatformGap {
    /// The last audit entry before a node start.
    pub from: Timestamp,
    /// The start.
    pub to: Timestamp,
    /// Seconds of it within the measured part of the month.
    pub seconds: f64,
}

/// The platform's availability.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct PlatformAvailability {
    /// The first instant measured.
    pub from: Option<Timestamp>,
    /// The end measured.
    pub to: Option<Timestamp>,
    /// Seconds measured.
    pub measured_seconds: f64,
    /// Seconds counted down.
    pub down_seconds: f64,
    /// Node starts in the measured part.
    pub starts: u64,
    /// 1 − down / measured (none without audit entries).
    pub availability: Option<f64>,
}

/// The platform's gaps and figure over `[from, to)` from the audit marks
/// (any order): those in it and at least the last one before it, if any.
pub(crate) fn platform_availability(
    marks: &[PlatformMark],
    from: Timestamp,
    to: Timestamp,
) -> (Vec<PlatformGap>, PlatformAvailability) {
    let mut marks: Vec<PlatformMark> = marks.iter().filter(|m| m.at < to).copied().collect();
    marks.sort_by_key(|m| m.at);
    let Some(first) = marks.first() else {
        return (Vec::new(), PlatformAvailability::default());
    };
    // The log begins inside the month: nothing ran before it.
    let from = from.max(first.at);
    let measured = seconds(from, to).max(0.0);
    let mut gaps = Vec::new();
    let mut starts = 0;
    for pair in marks.windows(2) {
        let (before, start) = (pair[0], pair[1]);
        if !start.start || start.at < from {
            continue;
        }
        starts += 1;
        let counted = seconds(before.at.max(from), start.at.min(to)).max(0.0);
        if counted > 0.0 {
            gaps.push(PlatformGap {
                from: before.at,
                to: start.at,
                seconds: counted,
            });
        }
    }
    if first.start && first.at >= from && first.at < to {
        starts += 1;
    }
    // Folded from +0: an empty f64 sum is -0, which prints as "-0".
    let down = gaps.iter().fold(0.0, |sum, g| sum + g.seconds);
    let figure = PlatformAvailability {
        from: Some(from),
        to: Some(to),
        measured_seconds: measured,
        down_seconds: down,
        starts,
        availability: (measured > 0.0).then(|| 1.0 - down / measured),
    };
    (gaps, figure)
}

#[cfg(test)]
mod tests;
