//! Planned work on a client's devices: firmware upgrades, configuration
//! changes, preventive maintenance. Each work order has a window, an
//! approver on the client's side and the devices concerned; its window
//! tells the desk which alarms to hold back ([`WorkOrder::suppresses`]) and
//! which firmware changes were planned ([`WorkOrder::covers`]); its outcome
//! (done, failed, rolled back, with the new firmware version) is recorded.
//!
//! Only approved work counts: a planned order nobody approved neither
//! covers a firmware change nor suppresses an alarm, because an
//! unapproved change to a security system is exactly what the
//! unplanned-change alarm is for.

use std::fmt;

use chrono::Duration;
use serde::{Deserialize, Serialize};
use vigil_model::{SiteId, TenantId, Timestamp};

/// How long after its window a work order still covers a firmware change:
/// the device's next report (an ONVIF poll, a Sparkplug rebirth, a panel's
/// next call) may come after the window has closed.
pub const REPORT_GRACE: Duration = Duration::hours(1);

/// What the work is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WorkKind {
    /// New firmware or software.
    FirmwareUpgrade,
    /// A change of configuration.
    ConfigurationChange,
    /// Cleaning, testing, replacing batteries.
    PreventiveMaintenance,
}

/// Where a work order stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WorkStatus {
    /// Planned, awaiting the client's approval.
    Planned,
    /// Approved by the client.
    Approved,
    /// Carried out.
    Done,
    /// Attempted, did not succeed.
    Failed,
    /// Carried out, then undone.
    RolledBack,
}

impl fmt::Display for WorkStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Planned => "planned",
            Self::Approved => "approved",
            Self::Done => "done",
            Self::Failed => "failed",
            Self::RolledBack => "rolled_back",
        })
    }
}

/// Why a work order or a step of it was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WorkOrderError {
    /// The window does not start before it ends.
    #[error("window: the end ({end}) is not after the start ({start})")]
    Window {
        /// Its start.
        start: Timestamp,
        /// Its end.
        end: Timestamp,
    },
    /// No device named.
    #[error("devices: a work order needs at least one device")]
    NoDevices,
    /// The approver is not the one named.
    #[error("approval: `{by}` is not the approver (`{approver}`)")]
    NotApprover {
        /// Who the order names.
        approver: String,
        /// Who tried.
        by: String,
    },
    /// A step that does not follow from the current status.
    #[error("status: cannot go from {from} to {to}")]
    Transition {
        /// The current status.
        from: WorkStatus,
        /// The one asked for.
        to: WorkStatus,
    },
}

/// A window of time, its start before its end.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Window {
    start: Timestamp,
    end: Timestamp,
}

impl Window {
    /// A window from `start` (inclusive) to `end` (exclusive).
    pub fn new(start: Timestamp, end: Timestamp) -> Result<Self, WorkOrderError> {
        if start < end {
            Ok(Self { start, end })
        } else {
            Err(WorkOrderError::Window { start, end })
        }
    }

    /// Its start.
    pub fn start(&self) -> Timestamp {
        self.start
    }

    /// Its end.
    pub fn end(&self) -> Timestamp {
        self.end
    }

    /// Whether `at` is inside.
    pub fn contains(&self, at: Timestamp) -> bool {
        self.start <= at && at < self.end
    }
}

/// A device a work order concerns.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct DeviceRef {
    /// Its site.
    pub site: SiteId,
    /// Its id.
    pub device: String,
}

/// How the work ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Outcome {
    /// When it was recorded as ended.
    pub at: Timestamp,
    /// Who recorded it.
    pub by: String,
    /// What happened, in words.
    pub note: String,
    /// The firmware version the devices run now, for an upgrade.
    pub new_firmware: Option<String>,
}

/// One piece of planned work.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkOrder {
    /// Its id.
    pub id: String,
    /// The client.
    pub tenant: TenantId,
    /// What the work is.
    pub kind: WorkKind,
    /// What is to be done, in words.
    pub description: String,
    /// When.
    pub window: Window,
    /// The devices concerned.
    pub devices: Vec<DeviceRef>,
    /// Who approves it on the client's side.
    pub approver: String,
    /// When it was approved.
    pub approved_at: Option<Timestamp>,
    /// Where it stands.
    pub status: WorkStatus,
    /// How it ended, once it has.
    pub outcome: Option<Outcome>,
}

impl WorkOrder {
    /// A planned work order; its window must start before it ends and it
    /// must name a device.
    #[allow(clippy::too_many_arguments)]
    pub fn plan(
        id: impl Into<String>,
        tenant: TenantId,
        kind: WorkKind,
        description: impl Into<String>,
        start: Timestamp,
        end: Timestamp,
        devices: Vec<DeviceRef>,
        approver: impl Into<String>,
    ) -> Result<Self, WorkOrderError> {
        let window = Window::new(start, end)?;
        if devices.is_empty() {
            return Err(WorkOrderError::NoDevices);
        }
        Ok(Self {
            id: id.into(),
            tenant,
            kind,
            description: description.into(),
            window,
            devices,
            approver: approver.into(),
            approved_at: None,
            status: WorkStatus::Planned,
            outcome: None,
        })
    }

    /// The named approver approves it.
    pub fn approve(&mut self, by: &str, at: Timestamp) -> Result<(), WorkOrderError> {
        if self.status != WorkStatus::Planned {
            return Err(WorkOrderError::Transition {
                from: self.status,
                to: WorkStatus::Approved,
            });
        }
        if by != self.approver {
            return Err(WorkOrderError::NotApprover {
                approver: self.approver.clone(),
                by: by.to_owned(),
            });
        }
        self.status = WorkStatus::Approved;
        self.approved_at = Some(at);
        Ok(())
    }

    /// Records how approved work ended: `Done`, `Failed` or `RolledBack`.
    pub fn record(&mut self, status: WorkStatus, outcome: Outcome) -> Result<(), WorkOrderError> {
        let ends = matches!(
            status,
            WorkStatus::Done | WorkStatus::Failed | WorkStatus::RolledBack
        );
        if self.status != WorkStatus::Approved || !ends {
            return Err(WorkOrderError::Transition {
                from: self.status,
                to: status,
            });
        }
        self.status = status;
        self.outcome = Some(outcome);
        Ok(())
    }

    fn concerns(&self, site: &SiteId, device: &str) -> bool {
        self.devices
            .iter()
            .any(|d| &d.site == site && d.device == device)
    }

    fn approved(&self) -> bool {
        self.status != WorkStatus::Planned
    }

    /// The stretch this order counts as planned maintenance of its devices
    /// (for the SLA calendar and availability): approved work, from the
    /// window's start to its end or the recorded outcome, whichever comes
    /// first — the same stretch [`WorkOrder::suppresses`] holds alarms back.
    /// `None` for an order nobody approved, or one ended before its window.
    pub fn planned_maintenance(&self) -> Option<Window> {
        if !self.approved() {
            return None;
        }
        let end = self
            .outcome
            .as_ref()
            .map_or(self.window.end, |o| o.at.min(self.window.end));
        Window::new(self.window.start, end).ok()
    }

    /// Whether a firmware change of `device` seen at `at` was planned: an
    /// approved firmware upgrade of that device whose window holds `at`,
    /// or closed at most [`REPORT_GRACE`] before.
    pub fn covers(&self, site: &SiteId, device: &str, at: Timestamp) -> bool {
        self.kind == WorkKind::FirmwareUpgrade
            && self.approved()
            && self.concerns(site, device)
            && self.window.start <= at
            && at < self.window.end + REPORT_GRACE
    }

    /// Whether the desk holds back `device`'s alarms at `at`: approved work
    /// of any kind on it, inside the window, and not yet recorded as ended.
    pub fn suppresses(&self, site: &SiteId, device: &str, at: Timestamp) -> bool {
        self.approved()
            && self.concerns(site, device)
            && self.window.contains(at)
            && self.outcome.as_ref().is_none_or(|o| at < o.at)
    }
}

/// The first of `orders` that covers a firmware change of `device` at `at`.
pub fn covering<'a>(
    orders: &'a [WorkOrder],
    site: &SiteId,
    device: &str,
    at: Timestamp,
) -> Option<&'a WorkOrder> {
    orders.iter().find(|o| o.covers(site, device, at))
}

/// The first of `orders` that suppresses `device`'s alarms at `at`.
pub fn suppressing<'a>(
    orders: &'a [WorkOrder],
    site: &SiteId,
    device: &str,
    at: Timestamp,
) -> Option<&'a WorkOrder> {
    orders.iter().find(|o| o.suppresses(site, device, at))
}

#[cfg(test)]
mod tests;
