//! Alarm commands, suppressions and maintenance windows.

use vigil_model::{AlertId, SiteId, TenantId, Timestamp};
use vigil_store::{DeskWrite, RecordOrder, RecordQuery};

use super::Desk;
use crate::alarm::{Alarm, AlarmCommand, AlarmStatus};
use crate::escalation::Escalation;
use crate::record::{DeskObject, audit, to_record};
use crate::sop::SopRun;
use crate::suppression::{MaintenanceTarget, MaintenanceWindow, Suppression};
use crate::{Actor, DeskError, Permission};

/// Which alarms to list.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AlarmFilter {
    /// Only this tenant (client users: always their own).
    pub tenant: Option<TenantId>,
    /// Only these statuses (empty: every status but closed).
    pub statuses: Vec<AlarmStatus>,
    /// Only alarms held by this person.
    pub owner: Option<String>,
    /// Only this group.
    pub group: Option<String>,
    /// Skip this many.
    pub offset: usize,
    /// At most this many.
    pub limit: usize,
}

impl Desk {
    fn scope_for(
        &self,
        actor: &Actor,
        tenant: Option<&TenantId>,
    ) -> Result<vigil_store::TenantScope, DeskError> {
        actor.require(Permission::View, tenant)?;
        Ok(match tenant {
            Some(t) => vigil_store::TenantScope::One(t.clone()),
            None => actor.scope(),
        })
    }

    /// The queue: highest priority first, then oldest.
    pub async fn alarms(
        &self,
        actor: &Actor,
        filter: &AlarmFilter,
    ) -> Result<Vec<Alarm>, DeskError> {
        let scope = self.scope_for(actor, filter.tenant.as_ref())?;
        let mut q = RecordQuery::new(Alarm::KIND, scope);
        if filter.statuses.is_empty() {
            q.not_statuses = vec![AlarmStatus::Closed.as_str().into()];
        } else {
            q.statuses = filter.statuses.iter().map(|s| s.as_str().into()).collect();
        }
        q.owner = filter.owner.clone();
        q.link = filter.group.clone();
        q.offset = filter.offset;
        q.limit = filter.limit.max(1);
        Ok(self
            .list::<Alarm>(&q)
            .await?
            .into_iter()
            .map(|s| s.value)
            .collect())
    }

    /// One alarm.
    pub async fn alarm(&self, actor: &Actor, id: AlertId) -> Result<Alarm, DeskError> {
        actor.require(Permission::View, actor.tenant.as_ref())?;
        Ok(self
            .read::<Alarm>(&id.to_string(), &actor.scope())
            .await?
            .value)
    }

    /// Applies an alarm command; commits the alarm, its audit entry, the
    /// alert's mirrored status, and what follows from it (escalation
    /// stopped, SOP run started, the model learning from a verdict).
    pub async fn alarm_command(
        &self,
        actor: &Actor,
        id: AlertId,
        command: AlarmCommand,
    ) -> Result<Alarm, DeskError> {
        let now = self.now();
        let stored = self.read::<Alarm>(&id.to_string(), &actor.scope()).await?;
        let after = stored.value.apply(actor, &command, now)?;
        let mut write = DeskWrite::default();
        write.records.push(to_record(&after, stored.version)?);
        let detail = serde_json::to_value(&command).unwrap_or_default();
        write.audit.push(audit(
            actor,
            command.name(),
            Some(&stored.value),
            Some(&after),
            detail,
            now,
        ));
        write
            .alert_status
            .push((after.id, after.status.alert_status()));

        // Whoever acknowledges or closes stops the escalation clock.
        if after.status != AlarmStatus::New
            && let Ok(esc) = self
                .read::<Escalation>(&id.to_string(), &vigil_store::TenantScope::All)
                .await
            && esc.value.is_active()
        {
            let stopped = esc
                .value
                .stop(&format!("{} by {}", command.name(), actor.name), now);
            write.records.push(to_record(&stopped, esc.version)?);
            write.audit.push(audit(
                actor,
                "stop",
                Some(&esc.value),
                Some(&stopped),
                serde_json::Value::Null,
                now,
            ));
        }
        // Acknowledging starts the SOP the alarm's type and client call for.
        if matches!(
            command,
            AlarmCommand::Acknowledge | AlarmCommand::TakeOver { .. }
        ) && let Some(sop) = self.inner.sops.select(&after)
        {
            let mut q = RecordQuery::new(
                SopRun::KIND,
                vigil_store::TenantScope::One(after.tenant.clone()),
            );
            q.link = Some(after.id.to_string());
            if self.list::<SopRun>(&q).await?.is_empty() {
                let run = SopRun::start(actor, self.new_id("sop"), sop, &after, now)?;
                write.records.push(to_record(&run, 0)?);
                let detail = serde_json::json!({"sop": sop.id, "version": sop.version});
                write.audit.push(audit::<SopRun>(
                    actor,
                    "start",
                    None,
                    Some(&run),
                    detail,
                    now,
                ));
            }
        }
        let mut saved_model = false;
        if let AlarmCommand::Close { verdict, .. } = &command
            && let Some(false_alarm) = verdict.is_false_alarm()
            && let Some((record, version)) = self.learn(&after, false_alarm)
        {
            write.records.push(to_record(&record, version)?);
            saved_model = true;
        }
        let receipt = self.commit(write).await?;
        if saved_model && let Some(v) = receipt.versions.last() {
            self.model_saved(*v);
        }
        Ok(after)
    }

    /// Sets an analyst suppression.
    #[allow(clippy::too_many_arguments)]
    pub async fn suppress(
        &self,
        actor: &Actor,
        tenant: TenantId,
        rule_id: Option<String>,
        entity: Option<String>,
        site: Option<SiteId>,
        expires_at: Timestamp,
        reason: &str,
    ) -> Result<Suppression, DeskError> {
        let now = self.now();
        let s = Suppression::set(
            actor,
            self.new_id("sup"),
            tenant,
            rule_id,
            entity,
            site,
            expires_at,
            reason,
            now,
        )?;
        self.commit_one(
            actor,
            "set",
            None,
            &s,
            serde_json::json!({"reason": s.reason}),
            now,
        )
        .await?;
        Ok(s)
    }

    /// Lifts a suppression.
    pub async fn lift_suppression(
        &self,
        actor: &Actor,
        id: &str,
    ) -> Result<Suppression, DeskError> {
        let now = self.now();
        let stored = self.read::<Suppression>(id, &actor.scope()).await?;
        let after = stored.value.lift(actor, now)?;
        self.commit_one(
            actor,
            "lift",
            Some(&stored),
            &after,
            serde_json::Value::Null,
            now,
        )
        .await?;
        Ok(after)
    }

    /// Suppressions in force in the caller's scope.
    pub async fn suppressions(
        &self,
        actor: &Actor,
        tenant: Option<&TenantId>,
    ) -> Result<Vec<Suppression>, DeskError> {
        let scope = self.scope_for(actor, tenant)?;
        let now = self.now();
        let mut q = RecordQuery::new(Suppression::KIND, scope);
        q.statuses = vec!["set".into()];
        q.order = RecordOrder::Newest;
        Ok(self
            .list::<Suppression>(&q)
            .await?
            .into_iter()
            .map(|s| s.value)
            .filter(|s| s.is_active(now))
            .collect())
    }

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

    /// SOP runs of an alarm.
    pub async fn sop_runs(&self, actor: &Actor, alarm: AlertId) -> Result<Vec<SopRun>, DeskError> {
        let a = self.alarm(actor, alarm).await?;
        let mut q = RecordQuery::new(SopRun::KIND, vigil_store::TenantScope::One(a.tenant));
        q.link = Some(alarm.to_string());
        q.order = RecordOrder::Newest;
        Ok(self
            .list::<SopRun>(&q)
            .await?
            .into_iter()
            .map(|s| s.value)
            .collect())
    }

    /// Records an SOP step's outcome.
    pub async fn sop_step(
        &self,
        actor: &Actor,
        run: &str,
        step: &str,
        outcome: crate::sop::StepOutcome,
        note: Option<&str>,
    ) -> Result<SopRun, DeskError> {
        let now = self.now();
        let stored = self.read::<SopRun>(run, &actor.scope()).await?;
        let after = stored.value.record(actor, step, outcome, note, now)?;
        let detail = serde_json::json!({"step": step, "outcome": outcome, "note": note});
        self.commit_one(actor, "step", Some(&stored), &after, detail, now)
            .await?;
        Ok(after)
    }
}
