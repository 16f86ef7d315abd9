//! The inventory at the desk: what the configuration names (at start-up),
//! CSV import (all or nothing, one transaction), the list with each
//! device's findings, and what devices report about themselves — with the
//! unplanned firmware change.

use std::collections::BTreeMap;

use serde::Serialize;
use vigil_lifecycle::inventory::{
    Change, ChangeKind, ConfiguredDevice, DeviceReport, Inventory, Origin, Reported, parse_csv,
};
use vigil_lifecycle::unplanned::{UnplannedChange, unplanned_change};
use vigil_lifecycle::work_order::WorkOrder;
use vigil_model::{AlertId, SourceRef, TenantId, Timestamp};
use vigil_store::{DeskWrite, RecordOrder, RecordQuery, TenantScope};

use crate::lifecycle::{DeviceView, HistoryEntry, InventoryEntry, InventoryImport, device_key};
use crate::record::{DeskObject, Stored, audit, to_record};
use crate::service::Desk;
use crate::{Actor, DeskError, Permission};

/// What a device report did.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DeviceReportOutcome {
    /// Whether the device was in the inventory before.
    pub known: bool,
    /// Whether its record changed.
    pub changed: bool,
    /// The firmware change no approved work order covers, if any: the
    /// desk raised the alarm.
    pub unplanned: Option<UnplannedChange>,
    /// The alert it was raised as.
    pub alert: Option<AlertId>,
}

impl Desk {
    /// The stored devices of `tenant`, keyed by record id.
    async fn stored_devices(
        &self,
        tenant: &TenantId,
    ) -> Result<BTreeMap<String, Stored<InventoryEntry>>, DeskError> {
        let q = RecordQuery::new(InventoryEntry::KIND, TenantScope::One(tenant.clone()));
        Ok(self
            .list_all::<InventoryEntry>(q)
            .await?
            .into_iter()
            .map(|s| (s.value.id(), s))
            .collect())
    }

    /// A tenant's inventory with its history, oldest change first.
    pub async fn inventory(
        &self,
        actor: &Actor,
        tenant: &TenantId,
    ) -> Result<Inventory, DeskError> {
        let scope = self.scope_for(actor, Some(tenant))?;
        let devices = self.stored_devices(tenant).await?;
        Ok(Inventory::from_parts(
            tenant.clone(),
            devices.into_values().map(|s| s.value.device),
            self.inventory_history(scope).await?,
        ))
    }

    /// The inventory changes of `scope`, oldest first.
    async fn inventory_history(&self, scope: TenantScope) -> Result<Vec<Change>, DeskError> {
        let mut q = RecordQuery::new(HistoryEntry::KIND, scope);
        q.order = RecordOrder::Newest;
        let mut history: Vec<Change> = self
            .list_all::<HistoryEntry>(q)
            .await?
            .into_iter()
            .map(|s| s.value.change)
            .collect();
        history.reverse();
        Ok(history)
    }

    /// A tenant's devices, each with the advisories affecting it and its
    /// end-of-support flag (on the desk clock's date).
    pub async fn inventory_findings(
        &self,
        actor: &Actor,
        tenant: &TenantId,
    ) -> Result<Vec<DeviceView>, DeskError> {
        self.scope_for(actor, Some(tenant))?;
        let devices = self.stored_devices(tenant).await?;
        let catalogue = self.catalogue().await?;
        let now = self.now();
        Ok(devices
            .into_values()
            .map(|s| {
                let findings = catalogue.match_device(&s.value.device, now);
                DeviceView {
                    device: s.value.device,
                    findings,
                }
            })
            .collect())
    }

    /// Imports an inventory CSV into `tenant`'s inventory: every line is
    /// checked (the CSV's own rules, then serials against the inventory)
    /// before anything is written, and all of it is written in one
    /// transaction with one audit entry per device changed. `file` names
    /// the file in the history (and in errors).
    pub async fn import_inventory(
        &self,
        actor: &Actor,
        tenant: &TenantId,
        text: &str,
        file: Option<&str>,
    ) -> Result<InventoryImport, DeskError> {
        actor.require(Permission::ManageInventory, Some(tenant))?;
        self.known_tenant(tenant).await?;
        let devices = parse_csv(tenant, text).map_err(|e| DeskError::Invalid {
            field: "csv",
            reason: match file {
                Some(f) => format!("{f}: {e}"),
                None => e.to_string(),
            },
        })?;
        let count = devices.len();
        let stored = self.stored_devices(tenant).await?;
        let mut inventory = Inventory::from_parts(
            tenant.clone(),
            stored.values().map(|s| s.value.device.clone()),
            Vec::new(),
        );
        let now = self.now();
        let changes = inventory
            .import(
                devices,
                Origin::Import {
                    file: file.map(str::to_owned),
                },
                &actor.name,
                now,
            )
            .map_err(|e| DeskError::invalid("inventory", e.to_string()))?;
        let mut result = InventoryImport {
            devices: count,
            ..Default::default()
        };
        let write = self.inventory_write(actor, &inventory, &stored, &changes, "import", now)?;
        for c in &changes {
            match c.what {
                ChangeKind::Added => result.added += 1,
                _ => result.updated += 1,
            }
        }
        result.unchanged = count - changes.len();
        if !write.records.is_empty() {
            self.commit(write).await?;
        }
        Ok(result)
    }

    /// Writes what the configuration names about `tenant`'s devices (see
    /// [`Inventory::configured`]): new devices added, a changed source or
    /// place updated, devices it names no more marked so; all in one
    /// transaction with one audit entry per device changed. The same
    /// configuration again writes nothing. Returns the changes recorded.
    pub async fn configure_inventory(
        &self,
        actor: &Actor,
        tenant: &TenantId,
        devices: Vec<ConfiguredDevice>,
    ) -> Result<Vec<Change>, DeskError> {
        actor.require(Permission::ManageInventory, Some(tenant))?;
        self.known_tenant(tenant).await?;
        // Whether configuration names a device is on its history.
        let history = self
            .inventory_history(TenantScope::One(tenant.clone()))
            .await?;
        let stored = self.stored_devices(tenant).await?;
        let mut inventory = Inventory::from_parts(
            tenant.clone(),
            stored.values().map(|s| s.value.device.clone()),
            history,
        );
        let now = self.now();
        let changes = inventory
            .configured(devices, &actor.name, now)
            .map_err(|e| DeskError::invalid("configuration", e.to_string()))?;
        let write = self.inventory_write(actor, &inventory, &stored, &changes, "configure", now)?;
        if !write.records.is_empty() {
            self.commit(write).await?;
        }
        Ok(changes)
    }

    /// The write for `changes` made to `inventory` (read from `stored`):
    /// each device's record over the version read, a history entry, and an
    /// audit entry naming the device and the fields changed.
    fn inventory_write(
        &self,
        actor: &Actor,
        inventory: &Inventory,
        stored: &BTreeMap<String, Stored<InventoryEntry>>,
        changes: &[Change],
        action: &str,
        now: Timestamp,
    ) -> Result<DeskWrite, DeskError> {
        let tenant = inventory.tenant();
        let mut write = DeskWrite::default();
        for change in changes {
            let key = device_key(tenant, &change.site, &change.device);
            let before = stored.get(&key);
            let Some(device) = inventory.device(&change.site, &change.device) else {
                continue;
            };
            let after = InventoryEntry {
                device: device.clone(),
                updated_at: now,
            };
            write
                .records
                .push(to_record(&after, before.map_or(0, |b| b.version))?);
            let entry = HistoryEntry {
                id: self.new_id("ic"),
                tenant: tenant.clone(),
                change: change.clone(),
            };
            write.records.push(to_record(&entry, 0)?);
            let fields: Vec<&str> = match &change.what {
                ChangeKind::Updated { fields } => fields.iter().map(|f| f.field.as_str()).collect(),
                _ => Vec::new(),
            };
            write.audit.push(audit(
                actor,
                action,
                before.map(|b| &b.value),
                Some(&after),
                serde_json::json!({"change": entry.status(), "fields": fields}),
                now,
            ));
        }
        Ok(write)
    }

    /// Records what a device reported about itself (`actor` names the
    /// source that heard it, `source` is that source). A firmware change no
    /// approved work order of the tenant covers is raised as an alarm (rule
    /// [`super::UNPLANNED_FIRMWARE_RULE`]) and returned as `unplanned`.
    pub async fn device_reported(
        &self,
        actor: &Actor,
        tenant: &TenantId,
        report: &DeviceReport,
        source: &SourceRef,
    ) -> Result<DeviceReportOutcome, DeskError> {
        actor.require(Permission::ManageInventory, Some(tenant))?;
        let stored = self.stored_devices(tenant).await?;
        let mut inventory = Inventory::from_parts(
            tenant.clone(),
            stored.values().map(|s| s.value.device.clone()),
            Vec::new(),
        );
        let now = self.now();
        let reported: Reported = inventory
            .reported(report, &actor.name, now)
            .map_err(|e| DeskError::invalid("report", e.to_string()))?;
        let changes: Vec<Change> = reported.change.iter().cloned().collect();
        let write = self.inventory_write(actor, &inventory, &stored, &changes, "report", now)?;
        if !write.records.is_empty() {
            self.commit(write).await?;
        }
        let unplanned = if reported.firmware_changed.is_some() {
            let orders: Vec<WorkOrder> = self.work_orders_of(tenant).await?;
            unplanned_change(&reported, &report.site, &report.device, &orders, now)
        } else {
            None
        };
        let alert = match &unplanned {
            Some(change) => Some(self.raise_unplanned(tenant, change, source).await?.id),
            None => None,
        };
        Ok(DeviceReportOutcome {
            known: reported.known,
            changed: !changes.is_empty(),
            unplanned,
            alert,
        })
    }
}
