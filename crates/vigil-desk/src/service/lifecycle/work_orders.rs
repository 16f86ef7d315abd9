//! Work orders at the desk: planned (by provider staff or the client's
//! administrator) on devices of the inventory, approved by the client's
//! approver — which declares one desk maintenance window per device, so
//! that a camera being upgraded does not alarm —, and ended with an
//! outcome, which closes those windows.

use serde::Deserialize;
use vigil_lifecycle::work_order::{DeviceRef, Outcome, WorkKind, WorkOrder, WorkStatus};
use vigil_model::{TenantId, Timestamp};
use vigil_store::{DeskWrite, RecordOrder, RecordQuery, TenantScope};

use crate::lifecycle::{InventoryEntry, device_key};
use crate::record::{DeskObject, audit, to_record};
use crate::service::Desk;
use crate::suppression::{MAX_MAINTENANCE, MaintenanceTarget, MaintenanceWindow};
use crate::{Actor, DeskError, Permission};

/// What planning a work order needs.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WorkOrderPlan {
    /// `firmware_upgrade`, `configuration_change` or `preventive_maintenance`.
    #[cfg_attr(feature = "openapi", schema(value_type = String, example = "firmware_upgrade"))]
    pub kind: WorkKind,
    /// What is to be done.
    pub description: String,
    /// The window's start.
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub starts_at: Timestamp,
    /// The window's end (after the start, at most 14 days later).
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub ends_at: Timestamp,
    /// The devices concerned, each in the client's inventory.
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<Object>))]
    pub devices: Vec<DeviceRef>,
    /// The client's approver (the name of a client administrator's token).
    pub approver: String,
}

/// The maintenance window id for a work order's `n`th device.
fn window_id(order: &str, n: usize) -> String {
    format!("mw-{order}-{n}")
}

impl Desk {
    /// Every work order of `tenant` (for the unplanned-change check).
    pub(crate) async fn work_orders_of(
        &self,
        tenant: &TenantId,
    ) -> Result<Vec<WorkOrder>, DeskError> {
        let q = RecordQuery::new(WorkOrder::KIND, TenantScope::One(tenant.clone()));
        Ok(self
            .list_all::<WorkOrder>(q)
            .await?
            .into_iter()
            .map(|s| s.value)
            .collect())
    }

    /// A tenant's work orders, newest window first.
    pub async fn work_orders(
        &self,
        actor: &Actor,
        tenant: &TenantId,
    ) -> Result<Vec<WorkOrder>, DeskError> {
        let scope = self.scope_for(actor, Some(tenant))?;
        let mut q = RecordQuery::new(WorkOrder::KIND, scope);
        q.order = RecordOrder::Newest;
        Ok(self
            .list_all::<WorkOrder>(q)
            .await?
            .into_iter()
            .map(|s| s.value)
            .collect())
    }

    /// One work order of `tenant`.
    pub async fn work_order(
        &self,
        actor: &Actor,
        tenant: &TenantId,
        id: &str,
    ) -> Result<WorkOrder, DeskError> {
        let scope = self.scope_for(actor, Some(tenant))?;
        let stored = self.read::<WorkOrder>(id, &scope).await?;
        if &stored.value.tenant != tenant {
            return Err(DeskError::NotFound {
                what: WorkOrder::KIND,
                id: id.chars().take(80).collect(),
            });
        }
        Ok(stored.value)
    }

    /// Plans a work order.
    pub async fn plan_work(
        &self,
        actor: &Actor,
        tenant: &TenantId,
        plan: WorkOrderPlan,
    ) -> Result<WorkOrder, DeskError> {
        actor.require(Permission::PlanWork, Some(tenant))?;
        self.known_tenant(tenant).await?;
        let description = plan.description.trim();
        if description.is_empty() {
            return Err(DeskError::invalid("description", "is empty"));
        }
        if plan.approver.trim().is_empty() {
            return Err(DeskError::invalid("approver", "is empty"));
        }
        if plan.ends_at - plan.starts_at > MAX_MAINTENANCE {
            return Err(DeskError::invalid(
                "ends_at",
                format!(
                    "a work order's window may last at most {} days (split longer work)",
                    MAX_MAINTENANCE.num_days()
                ),
            ));
        }
        let scope = TenantScope::One(tenant.clone());
        for d in &plan.devices {
            let key = device_key(tenant, &d.site, &d.device);
            if self
                .store()
                .desk_record(InventoryEntry::KIND, &key, &scope)
                .await?
                .is_none()
            {
                return Err(DeskError::invalid(
                    "devices",
                    format!("no device {}/{} in the inventory", d.site, d.device),
                ));
            }
        }
        let order = WorkOrder::plan(
            self.new_id("wo"),
            tenant.clone(),
            plan.kind,
            description,
            plan.starts_at,
            plan.ends_at,
            plan.devices,
            plan.approver.trim(),
        )
        .map_err(work_error)?;
        let now = self.now();
        self.commit_one(actor, "plan", None, &order, serde_json::Value::Null, now)
            .await?;
        Ok(order)
    }

    /// The client's approver approves a work order: from now on its window
    /// holds back the alarms of its devices (one maintenance window each,
    /// written in the same transaction) and covers their firmware changes.
    pub async fn approve_work(
        &self,
        actor: &Actor,
        tenant: &TenantId,
        id: &str,
    ) -> Result<WorkOrder, DeskError> {
        actor.require(Permission::ApproveWork, Some(tenant))?;
        let stored = self
            .read::<WorkOrder>(id, &TenantScope::One(tenant.clone()))
            .await?;
        let mut order = stored.value.clone();
        let now = self.now();
        order.approve(&actor.name, now).map_err(work_error)?;
        let mut write = DeskWrite::default();
        write.records.push(to_record(&order, stored.version)?);
        write.audit.push(audit(
            actor,
            "approve",
            Some(&stored.value),
            Some(&order),
            serde_json::Value::Null,
            now,
        ));
        for (n, d) in order.devices.iter().enumerate() {
            let window = MaintenanceWindow::declare(
                actor,
                window_id(&order.id, n),
                tenant.clone(),
                MaintenanceTarget::Device(d.device.clone()),
                order.window.start(),
                order.window.end(),
                &format!("work order {}", order.id),
                now,
            )?;
            write.records.push(to_record(&window, 0)?);
            write.audit.push(audit(
                actor,
                "declare",
                None,
                Some(&window),
                serde_json::json!({"work_order": order.id}),
                now,
            ));
        }
        self.commit(write).await?;
        self.planned_maintenance_changed().await;
        Ok(order)
    }

    /// Records how approved work ended; its maintenance windows close now.
    pub async fn record_work(
        &self,
        actor: &Actor,
        tenant: &TenantId,
        id: &str,
        status: WorkStatus,
        note: &str,
        new_firmware: Option<String>,
    ) -> Result<WorkOrder, DeskError> {
        actor.require(Permission::RecordWork, Some(tenant))?;
        let scope = TenantScope::One(tenant.clone());
        let stored = self.read::<WorkOrder>(id, &scope).await?;
        let mut order = stored.value.clone();
        let now = self.now();
        order
            .record(
                status,
                Outcome {
                    at: now,
                    by: actor.name.clone(),
                    note: note.trim().to_owned(),
                    new_firmware: new_firmware.filter(|f| !f.trim().is_empty()),
                },
            )
            .map_err(work_error)?;
        let mut write = DeskWrite::default();
        write.records.push(to_record(&order, stored.version)?);
        write.audit.push(audit(
            actor,
            "record",
            Some(&stored.value),
            Some(&order),
            serde_json::json!({"status": order.status.to_string()}),
            now,
        ));
        for n in 0..order.devices.len() {
            let Ok(w) = self
                .read::<MaintenanceWindow>(&window_id(&order.id, n), &scope)
                .await
            else {
                continue;
            };
            if w.value.cancelled.is_some() || w.value.ends_at <= now {
                continue;
            }
            // Closed by the work order's outcome, not by a person's
            // cancel (which needs the maintenance permission).
            let closed = MaintenanceWindow {
                cancelled: Some((actor.name.clone(), now)),
                ..w.value.clone()
            };
            write.records.push(to_record(&closed, w.version)?);
            write.audit.push(audit(
                actor,
                "cancel",
                Some(&w.value),
                Some(&closed),
                serde_json::json!({"work_order": order.id}),
                now,
            ));
        }
        self.commit(write).await?;
        self.planned_maintenance_changed().await;
        Ok(order)
    }
}

impl Desk {
    /// The SLA calendar reads the approved windows again; a failure leaves
    /// the last reading (the next service-level pass reads them anyway).
    async fn planned_maintenance_changed(&self) {
        if let Err(e) = self.refresh_planned_maintenance().await {
            tracing::warn!(error = %e, "planned maintenance could not be read again");
        }
    }
}

fn work_error(e: vigil_lifecycle::work_order::WorkOrderError) -> DeskError {
    use vigil_lifecycle::work_order::WorkOrderError as E;
    let field = match &e {
        E::Window { .. } => "window",
        E::NoDevices => "devices",
        E::NotApprover { .. } => "approver",
        E::Transition { .. } => "status",
    };
    DeskError::invalid(field, e.to_string())
}
