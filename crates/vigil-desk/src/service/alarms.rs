//! The alarm queue and the commands on alarms.

use vigil_model::{AlertId, TenantId};
use vigil_store::{DeskWrite, RecordQuery};

use super::Desk;
use crate::alarm::{Alarm, AlarmCommand, AlarmStatus};
use crate::escalation::Escalation;
use crate::record::{DeskObject, audit, to_record};
use crate::sop::SopRun;
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
        if matches!(command, AlarmCommand::Close { .. }) {
            self.check_close(&stored.value).await?;
        }
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
        // Acknowledging starts the procedure the alarm's type and client
        // call for (starting work does, for an alarm taken before it had one).
        if matches!(
            command,
            AlarmCommand::Acknowledge | AlarmCommand::TakeOver { .. } | AlarmCommand::Start
        ) && let Some(procedure) = self.resolve_procedure(&after)
            && self.alarm_run(&after).await?.is_none()
        {
            let run = SopRun::start(actor, self.new_id("sop"), &procedure, &after, now)?;
            write.records.push(to_record(&run, 0)?);
            let detail =
                serde_json::json!({"sop": procedure.sop_id, "version": procedure.sop_version});
            write.audit.push(audit::<SopRun>(
                actor,
                "start",
                None,
                Some(&run),
                detail,
                now,
            ));
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

    /// The alarm ids of a group.
    pub async fn group(&self, actor: &Actor, group: &str) -> Result<Vec<AlertId>, DeskError> {
        actor.require(Permission::View, actor.tenant.as_ref())?;
        let mut q = RecordQuery::new(Alarm::KIND, actor.scope());
        q.link = Some(group.to_owned());
        Ok(self
            .list::<Alarm>(&q)
            .await?
            .into_iter()
            .map(|s| s.value.id)
            .collect())
    }
}
