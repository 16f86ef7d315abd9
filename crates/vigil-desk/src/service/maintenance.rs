//! Maintenance windows: declared, cancelled, listed.

use vigil_model::{TenantId, Timestamp};
use vigil_store::{RecordOrder, RecordQuery};

use super::Desk;
use crate::record::DeskObject;
use crate::suppression::{MaintenanceTarget, MaintenanceWindow};
use crate::{Actor, DeskError};

impl Desk {
    /// Declares a maintenance window.
    pub async fn declare_maintenance(
        &self,
        actor: &Actor,
        tenant: TenantId,
        target: MaintenanceTarget,
        starts_at: Timestamp,
        ends_at: Timestamp,
        reason: &str,
    ) -> Result<MaintenanceWindow, DeskError> {
        let now = self.now();
        let w = MaintenanceWindow::declare(
            actor,
            self.new_id("mw"),
            tenant,
            target,
            starts_at,
            ends_at,
            reason,
            now,
        )?;
        self.commit_one(
            actor,
            "declare",
            None,
            &w,
            serde_json::json!({"reason": w.reason}),
            now,
        )
        .await?;
        Ok(w)
    }

    /// Cancels a maintenance window.
    pub async fn cancel_maintenance(
        &self,
        actor: &Actor,
        id: &str,
    ) -> Result<MaintenanceWindow, DeskError> {
        let now = self.now();
        let stored = self.read::<MaintenanceWindow>(id, &actor.scope()).await?;
        let after = stored.value.cancel(actor, now)?;
        self.commit_one(
            actor,
            "cancel",
            Some(&stored),
            &after,
            serde_json::Value::Null,
            now,
        )
        .await?;
        Ok(after)
    }

    /// Maintenance windows not yet over, in the caller's scope.
    pub async fn maintenance(
        &self,
        actor: &Actor,
        tenant: Option<&TenantId>,
    ) -> Result<Vec<MaintenanceWindow>, DeskError> {
        let scope = self.scope_for(actor, tenant)?;
        let now = self.now();
        let mut q = RecordQuery::new(MaintenanceWindow::KIND, scope);
        q.statuses = vec!["declared".into()];
        q.order = RecordOrder::Newest;
        Ok(self
            .list::<MaintenanceWindow>(&q)
            .await?
            .into_iter()
            .map(|s| s.value)
            .filter(|w| w.ends_at > now)
            .collect())
    }
}
