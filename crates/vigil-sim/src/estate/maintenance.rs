//! The maintenance calendar of the simulated month: work orders on the
//! inventory's devices — the firmware upgrades the advisories call for,
//! configuration changes, preventive maintenance — some waiting for the
//! client's approval, some approved, some carried out, one failed and one
//! rolled back.

use chrono::Duration;
use serde::{Deserialize, Serialize};
use vigil_model::{SiteId, Timestamp};

use crate::world::{DeviceKind, TenantWorld};

/// How a work order ends up in the simulation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "fate")]
pub enum WorkFate {
    /// Planned; the client has not approved it yet.
    Planned,
    /// Approved by the client's approver.
    Approved,
    /// Approved and carried out.
    Done {
        /// What was done.
        note: String,
        /// The firmware the devices run now, for an upgrade.
        new_firmware: Option<String>,
    },
    /// Approved, attempted, not achieved.
    Failed {
        /// What went wrong.
        note: String,
    },
    /// Approved, carried out, undone.
    RolledBack {
        /// Why.
        note: String,
    },
}

/// One work order of the calendar.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlannedWork {
    /// `firmware_upgrade`, `configuration_change` or `preventive_maintenance`.
    pub kind: &'static str,
    /// What is to be done.
    pub description: String,
    /// The window's start.
    pub starts_at: Timestamp,
    /// The window's end.
    pub ends_at: Timestamp,
    /// The devices concerned: (site, device id of the inventory).
    pub devices: Vec<(SiteId, String)>,
    /// How it ends up.
    pub fate: WorkFate,
}

impl TenantWorld {
    /// The client's work orders for the month from `start`: windows that
    /// hold `start` (carried out, failed or rolled back at once) and
    /// windows in the coming weeks (planned or approved).
    pub fn maintenance(&self, start: Timestamp) -> Vec<PlannedWork> {
        let tenant = self.tenant.id.as_str();
        let first = self.sites.first().map(|s| s.id.clone());
        let Some(first) = first else {
            return Vec::new();
        };
        let second = self
            .sites
            .get(1)
            .map(|s| s.id.clone())
            .unwrap_or_else(|| first.clone());
        // Night windows from `days` ahead, at 22:00 UTC of that day.
        let night = |days: i64, hours: i64| {
            let day = (start + Duration::days(days)).date_naive();
            let from = day
                .and_hms_opt(22, 0, 0)
                .map(|t| t.and_utc())
                .unwrap_or(start);
            (from, from + Duration::hours(hours))
        };
        // A window already open: work going on as the simulation starts.
        let now = (start - Duration::hours(1), start + Duration::hours(3));
        let doors = |site: &SiteId, n: usize| -> Vec<(SiteId, String)> {
            self.doors()
                .filter(|(d, door)| &d.site == site && door.reader.is_some())
                .take(n)
                .map(|(d, _)| (site.clone(), d.id.clone()))
                .collect()
        };
        let panel = |site: &SiteId, fire: bool| -> Vec<(SiteId, String)> {
            self.devices
                .iter()
                .filter(|d| &d.site == site)
                .filter(|d| match d.kind {
                    DeviceKind::FirePanel => fire,
                    DeviceKind::IntrusionPanel => !fire,
                    _ => false,
                })
                .take(1)
                .map(|d| (site.clone(), d.id.clone()))
                .collect()
        };
        let server = |site: &SiteId, what: &str| vec![(site.clone(), format!("{site}-{what}"))];
        let work = |kind: &'static str,
                    description: &str,
                    (starts_at, ends_at): (Timestamp, Timestamp),
                    devices: Vec<(SiteId, String)>,
                    fate: WorkFate| PlannedWork {
            kind,
            description: description.to_owned(),
            starts_at,
            ends_at,
            devices,
            fate,
        };
        let orders = match tenant {
            "northgate" => vec![
                work("firmware_upgrade", "C•CURE 9000 to 3.00.2 CU02 (ICSA-24-191-04)", night(3, 4), server(&first, "acs"), WorkFate::Planned),
                work("preventive_maintenance", "Door controllers: battery and tamper test", night(1, 3), doors(&first, 4), WorkFate::Approved),
                work("configuration_change", "Recording schedules for the new cages", night(8, 2), server(&first, "vms"), WorkFate::Approved),
                work("firmware_upgrade", "Video Device Pack V13.2 to V13.3", now, server(&second, "vms"), WorkFate::RolledBack {
                    note: "Two camera streams did not come back after the upgrade; rolled back to V13.2".into(),
                }),
                work("preventive_maintenance", "Access-control server health check", night(15, 3), server(&second, "acs"), WorkFate::Planned),
            ],
            "riverside" => vec![
                work("firmware_upgrade", "NetBox to 5.6.2 (ICSA-24-151-01)", night(5, 4), server(&first, "acs"), WorkFate::Approved),
                work("preventive_maintenance", "Intrusion panel battery replacement", now, panel(&second, false), WorkFate::Done {
                    note: "Batteries replaced, panel tested with the receiving centre".into(),
                    new_firmware: None,
                }),
                work("configuration_change", "Door schedules for the winter shift pattern", night(12, 2), doors(&second, 2), WorkFate::Planned),
            ],
            _ => vec![
                work("firmware_upgrade", "Siveillance Control to V3.1.1 (ICSA-24-074-10)", night(7, 4), server(&first, "acs"), WorkFate::Planned),
                work("preventive_maintenance", "Fire panel detector loop test", now, panel(&first, true), WorkFate::Failed {
                    note: "Replacement detector head not delivered; loop 2 untested".into(),
                }),
                work("preventive_maintenance", "Door controllers: battery and tamper test", night(20, 3), doors(&second, 3), WorkFate::Approved),
            ],
        };
        orders
            .into_iter()
            .filter(|o| !o.devices.is_empty())
            .collect()
    }
}
