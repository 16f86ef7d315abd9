//! The inventory of a client's security systems: every device with its
//! vendor, model, serial, firmware and dates ([`Device`]), kept per tenant
//! with every change on the record ([`Change`]: who, when, from where, what
//! changed field by field).
//!
//! Devices arrive three ways: configuration ([`Inventory::configured`],
//! at start-up), CSV import ([`parse_csv`], then [`Inventory::import`], all
//! or nothing) and what devices report about themselves
//! ([`Inventory::reported`], which says whether the firmware changed so
//! that an unplanned change can raise an alarm).

mod configured;
mod csv_import;
mod device;
mod reported;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use vigil_model::{SiteId, TenantId, Timestamp};

pub use configured::{CONFIGURATION_FIELD, ConfiguredDevice, merge_mentions};
pub use csv_import::{CsvError, parse_csv};
pub use device::{Device, DeviceKind, Position};
pub use reported::{DeviceReport, DeviceReports, FirmwareChange, ReportProtocol, Reported};

/// Where a change came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "origin", rename_all = "snake_case")]
pub enum Origin {
    /// Vigil's configuration (`vigil.toml`, written at every start).
    Configuration,
    /// The device said so itself.
    DeviceReport {
        /// Through which protocol.
        protocol: ReportProtocol,
    },
    /// A file import.
    Import {
        /// The file's name, where known.
        file: Option<String>,
    },
}

/// One field that changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldChange {
    /// The field (`firmware`, `serial`, …).
    pub field: String,
    /// Its value before.
    pub from: Option<String>,
    /// Its value after.
    pub to: Option<String>,
}

/// What happened to a device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ChangeKind {
    /// It entered the inventory.
    Added,
    /// Some of its fields changed.
    Updated {
        /// Which, from what to what.
        fields: Vec<FieldChange>,
    },
    /// It left the inventory.
    Removed,
}

/// One entry of an inventory's history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Change {
    /// When.
    pub at: Timestamp,
    /// Who: a user, a token's name, or the source that heard the device.
    pub by: String,
    /// From where.
    pub origin: Origin,
    /// The device's site.
    pub site: SiteId,
    /// The device's id.
    pub device: String,
    /// What happened.
    pub what: ChangeKind,
}

/// Why the inventory refused a change.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InventoryError {
    /// The device belongs to another tenant.
    #[error("device {site}/{device} belongs to tenant `{found}`, not `{expected}`")]
    OtherTenant {
        /// The inventory's tenant.
        expected: TenantId,
        /// The device's.
        found: TenantId,
        /// The device's site.
        site: SiteId,
        /// The device's id.
        device: String,
    },
    /// Two devices would share a serial number.
    #[error("serial `{serial}` of {site}/{device} is already {other_site}/{other_device}'s")]
    DuplicateSerial {
        /// The serial.
        serial: String,
        /// The device being written.
        site: SiteId,
        /// Its id.
        device: String,
        /// The device that has it.
        other_site: SiteId,
        /// Its id.
        other_device: String,
    },
    /// No such device.
    #[error("no device {site}/{device}")]
    Unknown {
        /// The site.
        site: SiteId,
        /// The device id.
        device: String,
    },
    /// A device id must not be empty.
    #[error("a device id on site {site} is empty")]
    EmptyId {
        /// The site.
        site: SiteId,
    },
}

/// One tenant's devices and their history. Not serialised as a whole (a
/// store keeps devices and changes as rows): see [`Inventory::from_parts`].
#[derive(Debug, Clone)]
pub struct Inventory {
    tenant: TenantId,
    devices: BTreeMap<(SiteId, String), Device>,
    history: Vec<Change>,
}

impl Inventory {
    /// An empty inventory for `tenant`.
    pub fn new(tenant: TenantId) -> Self {
        Self {
            tenant,
            devices: BTreeMap::new(),
            history: Vec::new(),
        }
    }

    /// An inventory rebuilt from what a store kept: the devices as they are
    /// and the history that led there. Devices of another tenant are left
    /// out; a later device with the same site and id replaces an earlier.
    pub fn from_parts(
        tenant: TenantId,
        devices: impl IntoIterator<Item = Device>,
        history: Vec<Change>,
    ) -> Self {
        let devices = devices
            .into_iter()
            .filter(|d| d.tenant == tenant)
            .map(|d| ((d.site.clone(), d.id.clone()), d))
            .collect();
        Self {
            tenant,
            devices,
            history,
        }
    }

    /// Whose inventory this is.
    pub fn tenant(&self) -> &TenantId {
        &self.tenant
    }

    /// Every device, by site then id.
    pub fn devices(&self) -> impl Iterator<Item = &Device> {
        self.devices.values()
    }

    /// One device.
    pub fn device(&self, site: &SiteId, id: &str) -> Option<&Device> {
        self.devices.get(&(site.clone(), id.to_owned()))
    }

    /// Every change, oldest first.
    pub fn history(&self) -> &[Change] {
        &self.history
    }

    /// One device's changes, oldest first.
    pub fn history_of<'a>(
        &'a self,
        site: &'a SiteId,
        id: &'a str,
    ) -> impl Iterator<Item = &'a Change> + 'a {
        self.history
            .iter()
            .filter(move |c| &c.site == site && c.device == id)
    }

    /// Adds or replaces a device. Returns the change recorded, or `None`
    /// when the device was already recorded exactly so.
    pub fn upsert(
        &mut self,
        device: Device,
        origin: Origin,
        by: &str,
        at: Timestamp,
    ) -> Result<Option<Change>, InventoryError> {
        self.check(&device, &[])?;
        Ok(self.apply(device, origin, by, at))
    }

    /// Adds or replaces every device, or none: each is checked (tenant,
    /// serials unique among them and against the devices already here)
    /// before any is written. A replaced device's source and place stay
    /// where the import leaves them empty. Returns the changes recorded.
    pub fn import(
        &mut self,
        devices: Vec<Device>,
        origin: Origin,
        by: &str,
        at: Timestamp,
    ) -> Result<Vec<Change>, InventoryError> {
        for (i, device) in devices.iter().enumerate() {
            self.check(device, &devices[..i])?;
        }
        Ok(devices
            .into_iter()
            .filter_map(|d| {
                let d = self.keep_place(d);
                self.apply(d, origin.clone(), by, at)
            })
            .collect())
    }

    /// An imported device that leaves its source or place empty keeps the
    /// recorded ones: a spreadsheet without those columns must not undo
    /// what the configuration says (and the next start would write them
    /// back as a change).
    fn keep_place(&self, mut device: Device) -> Device {
        if let Some(old) = self.device(&device.site, &device.id) {
            if device.source.is_none() {
                device.source.clone_from(&old.source);
            }
            if device.position.is_none() {
                device.position.clone_from(&old.position);
            }
        }
        device
    }

    /// Removes a device, recording who and why.
    pub fn remove(
        &mut self,
        site: &SiteId,
        id: &str,
        origin: Origin,
        by: &str,
        at: Timestamp,
    ) -> Result<Change, InventoryError> {
        if self
            .devices
            .remove(&(site.clone(), id.to_owned()))
            .is_none()
        {
            return Err(InventoryError::Unknown {
                site: site.clone(),
                device: id.to_owned(),
            });
        }
        let change = Change {
            at,
            by: by.to_owned(),
            origin,
            site: site.clone(),
            device: id.to_owned(),
            what: ChangeKind::Removed,
        };
        self.history.push(change.clone());
        Ok(change)
    }

    /// Checks a device against the inventory and the devices `before` it
    /// in the same import.
    fn check(&self, device: &Device, before: &[Device]) -> Result<(), InventoryError> {
        if device.tenant != self.tenant {
            return Err(InventoryError::OtherTenant {
                expected: self.tenant.clone(),
                found: device.tenant.clone(),
                site: device.site.clone(),
                device: device.id.clone(),
            });
        }
        if device.id.trim().is_empty() {
            return Err(InventoryError::EmptyId {
                site: device.site.clone(),
            });
        }
        let Some(serial) = device.serial.as_deref() else {
            return Ok(());
        };
        let same = |d: &Device| d.site == device.site && d.id == device.id;
        // A device replaced by this import no longer holds its old serial.
        let replaced = |d: &Device| {
            before
                .iter()
                .chain(std::iter::once(device))
                .any(|n| n.site == d.site && n.id == d.id)
        };
        let holder = before
            .iter()
            .rev()
            .find(|d| !same(d) && serial_eq(d.serial.as_deref(), serial))
            .or_else(|| {
                self.devices
                    .values()
                    .find(|d| !same(d) && !replaced(d) && serial_eq(d.serial.as_deref(), serial))
            });
        match holder {
            Some(other) => Err(InventoryError::DuplicateSerial {
                serial: serial.to_owned(),
                site: device.site.clone(),
                device: device.id.clone(),
                other_site: other.site.clone(),
                other_device: other.id.clone(),
            }),
            None => Ok(()),
        }
    }

    fn apply(&mut self, device: Device, origin: Origin, by: &str, at: Timestamp) -> Option<Change> {
        let key = (device.site.clone(), device.id.clone());
        let what = match self.devices.get(&key) {
            None => ChangeKind::Added,
            Some(old) => {
                let fields: Vec<FieldChange> = old
                    .fields()
                    .into_iter()
                    .zip(device.fields())
                    .filter(|((_, a), (_, b))| a != b)
                    .map(|((field, from), (_, to))| FieldChange {
                        field: field.to_owned(),
                        from,
                        to,
                    })
                    .collect();
                if fields.is_empty() {
                    return None;
                }
                ChangeKind::Updated { fields }
            }
        };
        let change = Change {
            at,
            by: by.to_owned(),
            origin,
            site: key.0.clone(),
            device: key.1.clone(),
            what,
        };
        self.devices.insert(key, device);
        self.history.push(change.clone());
        Some(change)
    }
}

/// Serials compare without case or surrounding blanks.
pub(crate) fn serial_eq(a: Option<&str>, b: &str) -> bool {
    a.is_some_and(|a| a.trim().eq_ignore_ascii_case(b.trim()))
}

#[cfg(test)]
mod tests;
