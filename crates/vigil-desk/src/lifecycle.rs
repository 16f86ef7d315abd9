//! The lifecycle of a client's security systems at the desk: how the
//! domain of `vigil-lifecycle` (inventory, CSAF advisories, work orders) is
//! kept as desk records, and what the desk's lifecycle commands answer.
//!
//! Each kind is an ordinary desk record, so both store engines keep it
//! through the same seam, every write goes with its audit entries in one
//! transaction, and off-boarding a client purges it with the rest:
//!
//! | kind | id | tenant | what |
//! |---|---|---|---|
//! | `inventory_device` | `tenant/site/device` | the client | one device as it is now |
//! | `inventory_change` | time-ordered | the client | one change of the history |
//! | `advisory` | tracking id | provider-wide | one CSAF advisory, its newest revision |
//! | `advisory_catalogue` | `catalogue` | provider-wide | bumped by every advisory import (cache key) |
//! | `work_order` | `wo-…` | the client | planned work, its approval and outcome |
//!
//! Audit entries name identifiers only: the device key, the advisory id,
//! the work order id, and which fields changed — never their values.

use serde::{Deserialize, Serialize};
use vigil_lifecycle::advisory::Advisory;
use vigil_lifecycle::inventory::{Change, Device};
use vigil_lifecycle::matching::DeviceFindings;
use vigil_lifecycle::work_order::WorkOrder;
use vigil_model::{SiteId, TenantId, Timestamp};

use crate::record::DeskObject;

/// The record id of a device: `tenant/site/device` (slugs hold no `/`, so
/// the device id, which may, is everything after the second).
pub fn device_key(tenant: &TenantId, site: &SiteId, device: &str) -> String {
    format!("{tenant}/{site}/{device}")
}

/// One device of the inventory as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InventoryEntry {
    /// The device.
    pub device: Device,
    /// When its record last changed.
    pub updated_at: Timestamp,
}

impl DeskObject for InventoryEntry {
    const KIND: &'static str = "inventory_device";
    fn id(&self) -> String {
        device_key(&self.device.tenant, &self.device.site, &self.device.id)
    }
    fn tenant(&self) -> Option<TenantId> {
        Some(self.device.tenant.clone())
    }
    fn status(&self) -> String {
        "installed".into()
    }
    fn link(&self) -> Option<String> {
        Some(self.device.site.to_string())
    }
    fn at(&self) -> Timestamp {
        self.updated_at
    }
    fn updated_at(&self) -> Timestamp {
        self.updated_at
    }
}

/// One change of a tenant's inventory history as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HistoryEntry {
    /// Its id (time-ordered).
    pub id: String,
    /// The client.
    pub tenant: TenantId,
    /// The change.
    pub change: Change,
}

impl DeskObject for HistoryEntry {
    const KIND: &'static str = "inventory_change";
    fn id(&self) -> String {
        self.id.clone()
    }
    fn tenant(&self) -> Option<TenantId> {
        Some(self.tenant.clone())
    }
    fn status(&self) -> String {
        match self.change.what {
            vigil_lifecycle::inventory::ChangeKind::Added => "added",
            vigil_lifecycle::inventory::ChangeKind::Updated { .. } => "updated",
            vigil_lifecycle::inventory::ChangeKind::Removed => "removed",
        }
        .into()
    }
    fn owner(&self) -> Option<String> {
        Some(self.change.by.clone())
    }
    fn link(&self) -> Option<String> {
        Some(device_key(
            &self.tenant,
            &self.change.site,
            &self.change.device,
        ))
    }
    fn at(&self) -> Timestamp {
        self.change.at
    }
    fn updated_at(&self) -> Timestamp {
        self.change.at
    }
}

/// A vendor advisory as stored: the typed CSAF document (the parts Vigil
/// reads) and who imported it when.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AdvisoryRecord {
    /// The advisory.
    pub advisory: Advisory,
    /// When it was imported.
    pub imported_at: Timestamp,
    /// Who imported it.
    pub imported_by: String,
}

impl DeskObject for AdvisoryRecord {
    const KIND: &'static str = "advisory";
    fn id(&self) -> String {
        self.advisory.document.tracking.id.clone()
    }
    fn tenant(&self) -> Option<TenantId> {
        None
    }
    fn status(&self) -> String {
        "imported".into()
    }
    fn at(&self) -> Timestamp {
        self.advisory.document.tracking.current_release_date
    }
    fn updated_at(&self) -> Timestamp {
        self.imported_at
    }
}

/// The mark every advisory import moves, so that a node knows its cached
/// catalogue is stale by reading one record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CatalogueMark {
    /// Advisories written by the last import.
    pub written: usize,
    /// When.
    pub updated_at: Timestamp,
}

impl DeskObject for CatalogueMark {
    const KIND: &'static str = "advisory_catalogue";
    fn id(&self) -> String {
        "catalogue".into()
    }
    fn tenant(&self) -> Option<TenantId> {
        None
    }
    fn status(&self) -> String {
        "current".into()
    }
    fn at(&self) -> Timestamp {
        self.updated_at
    }
    fn updated_at(&self) -> Timestamp {
        self.updated_at
    }
}

impl DeskObject for WorkOrder {
    const KIND: &'static str = "work_order";
    fn id(&self) -> String {
        self.id.clone()
    }
    fn tenant(&self) -> Option<TenantId> {
        Some(self.tenant.clone())
    }
    fn status(&self) -> String {
        self.status.to_string()
    }
    fn owner(&self) -> Option<String> {
        Some(self.approver.clone())
    }
    fn at(&self) -> Timestamp {
        self.window.start()
    }
    fn due_at(&self) -> Option<Timestamp> {
        Some(self.window.end())
    }
    fn updated_at(&self) -> Timestamp {
        self.outcome
            .as_ref()
            .map(|o| o.at)
            .or(self.approved_at)
            .unwrap_or_else(|| self.window.start())
    }
}

/// What an inventory import did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct InventoryImport {
    /// Devices in the file.
    pub devices: usize,
    /// Devices new to the inventory.
    pub added: usize,
    /// Devices whose record changed.
    pub updated: usize,
    /// Devices already recorded exactly so.
    pub unchanged: usize,
}

/// What an advisory import did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AdvisoryImport {
    /// Documents given.
    pub documents: usize,
    /// Advisories new to the catalogue.
    pub added: usize,
    /// Advisories replaced by a newer revision.
    pub replaced: usize,
    /// Documents not written: the same or an older revision is held.
    pub unchanged: usize,
}

/// One device with what the advisories say about it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeviceView {
    /// The device.
    pub device: Device,
    /// Advisories affecting it and its end of support.
    pub findings: DeviceFindings,
}
