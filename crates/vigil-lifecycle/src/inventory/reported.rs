//! What devices say about themselves: an ONVIF camera's
//! `GetDeviceInformation` (manufacturer, model, firmware version, serial),
//! a Sparkplug B edge node's birth certificate (its `Properties/…` metrics),
//! an alarm panel's identity in SIA DC-09. Each updates the inventory and
//! says whether the firmware changed — the step after decides whether a
//! work order covered it, and if not raises the unplanned-change alarm.

use serde::{Deserialize, Serialize};
use vigil_model::{SiteId, SourceBinding, Timestamp};

use super::{Change, Device, DeviceKind, Inventory, InventoryError, Origin};
use crate::version::Version;

/// The protocol a device reported through.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReportProtocol {
    /// ONVIF `GetDeviceInformation`.
    Onvif,
    /// A Sparkplug B birth certificate (NBIRTH/DBIRTH).
    Sparkplug,
    /// A SIA DC-09 panel identity.
    Dc09,
}

impl ReportProtocol {
    /// The kind a device first heard through this protocol is recorded as.
    fn kind(self) -> DeviceKind {
        match self {
            Self::Onvif => DeviceKind::Camera,
            Self::Sparkplug => DeviceKind::SensorGateway,
            Self::Dc09 => DeviceKind::Panel,
        }
    }
}

/// What a device said about itself. Fields it did not send are `None` and
/// leave the record as it was.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceReport {
    /// Its site (from the source's binding).
    pub site: SiteId,
    /// Its id as Vigil names it.
    pub device: String,
    /// Through what.
    pub protocol: ReportProtocol,
    /// Manufacturer.
    pub vendor: Option<String>,
    /// Model.
    pub model: Option<String>,
    /// Serial number.
    pub serial: Option<String>,
    /// Firmware or software version.
    pub firmware: Option<String>,
}

/// Where sources hand what devices report about themselves. The sources
/// know no desk: the node implements this with the desk, which updates the
/// inventory and raises the unplanned-firmware-change alarm.
///
/// `reported` is called on a source's receive path, so it must not block:
/// an implementation queues the report (and may drop it, logged, when its
/// queue is full — the device reports again on its next birth, connection
/// or daily call).
pub trait DeviceReports: Send + Sync + 'static {
    /// `report` was heard through the source of `binding` (whose tenant it is).
    fn reported(&self, binding: &SourceBinding, report: DeviceReport);
}

/// A firmware version that changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FirmwareChange {
    /// The version on record before.
    pub from: String,
    /// The version reported now.
    pub to: String,
}

/// What a report did to the inventory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reported {
    /// Whether the device was in the inventory before (a device that was not
    /// is added, of the kind its protocol suggests).
    pub known: bool,
    /// The change recorded, if anything changed.
    pub change: Option<Change>,
    /// The firmware changed from a recorded version to another. A first
    /// version (none on record) is not a change.
    pub firmware_changed: Option<FirmwareChange>,
}

/// Two firmware texts name the same version (`V4.3.10` and `4.3.10`).
fn same_firmware(a: &str, b: &str) -> bool {
    match (Version::parse(a), Version::parse(b)) {
        (Some(x), Some(y)) => x == y,
        _ => a.trim().eq_ignore_ascii_case(b.trim()),
    }
}

impl Inventory {
    /// Records what a device reported, `by` naming the source that heard it.
    pub fn reported(
        &mut self,
        report: &DeviceReport,
        by: &str,
        at: Timestamp,
    ) -> Result<Reported, InventoryError> {
        let before = self.device(&report.site, &report.device).cloned();
        let known = before.is_some();
        let mut device = before.clone().unwrap_or_else(|| {
            Device::new(
                self.tenant().clone(),
                report.site.clone(),
                report.device.clone(),
                report.protocol.kind(),
                "",
                "",
            )
        });
        let set = |field: &mut String, value: &Option<String>| {
            if let Some(v) = value.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
                v.clone_into(field);
            }
        };
        set(&mut device.vendor, &report.vendor);
        set(&mut device.model, &report.model);
        let reported_firmware = report
            .firmware
            .as_deref()
            .map(str::trim)
            .filter(|v| !v.is_empty());
        let mut firmware_changed = None;
        if let Some(new) = reported_firmware {
            match device.firmware.as_deref() {
                Some(old) if same_firmware(old, new) => {}
                Some(old) => {
                    firmware_changed = Some(FirmwareChange {
                        from: old.to_owned(),
                        to: new.to_owned(),
                    });
                    device.firmware = Some(new.to_owned());
                }
                None => device.firmware = Some(new.to_owned()),
            }
        }
        if let Some(serial) = report
            .serial
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            device.serial = Some(serial.to_owned());
        }
        let origin = Origin::DeviceReport {
            protocol: report.protocol,
        };
        let change = self.upsert(device, origin, by, at)?;
        Ok(Reported {
            known,
            change,
            firmware_changed,
        })
    }
}
