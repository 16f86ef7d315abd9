//! Incidents as the desk's callers see them: opened, worked by command,
//! listed, and read with their merged timeline.

use serde::Serialize;
use vigil_model::TenantId;
use vigil_store::{DeskWrite, RecordOrder, RecordQuery, TenantScope};

use super::Desk;
use crate::alarm::Alarm;
use crate::incident::{Incident, IncidentCommand, LinkedAlarm, NewIncident};
use crate::record::{DeskObject, audit, to_record};
use crate::timeline::{TimelineItem, merge};
use crate::{Actor, DeskError, Permission};

/// Evidence events read per linked alarm for the timeline.
const TIMELINE_EVIDENCE_PER_ALARM: usize = 20;

/// An incident with its merged timeline.
#[derive(Debug, Clone, Serialize)]
pub struct IncidentView {
    /// The incident.
    pub incident: Incident,
    /// Evidence, alarm transitions and actions, oldest first.
    pub timeline: Vec<TimelineItem>,
}

impl Desk {
    /// Opens an incident, linking the alarms it names (they must be the
    /// same tenant's and visible to the caller).
    pub async fn open_incident(
        &self,
        actor: &Actor,
        new: NewIncident,
    ) -> Result<Incident, DeskError> {
        let now = self.now();
        let mut incident = Incident::open(actor, self.new_id("inc"), new, now)?;
        let mut write = DeskWrite::default();
        for id in incident.alarms.clone() {
            let stored = self
                .read::<Alarm>(&id.to_string(), &TenantScope::One(incident.tenant.clone()))
                .await?;
            incident.linked.push(LinkedAlarm::of(&stored.value));
            let mut linked = stored.value.clone();
            linked.incident = Some(incident.id.clone());
            linked.updated_at = now;
            write.records.push(to_record(&linked, stored.version)?);
            let detail = serde_json::json!({"incident": incident.id});
            write.audit.push(audit(
                actor,
                "link",
                Some(&stored.value),
                Some(&linked),
                detail,
                now,
            ));
        }
        write.records.push(to_record(&incident, 0)?);
        write.audit.push(audit::<Incident>(
            actor,
            "open",
            None,
            Some(&incident),
            serde_json::json!({"title": incident.title}),
            now,
        ));
        self.commit(write).await?;
        Ok(incident)
    }

    /// Applies an incident command.
    pub async fn incident_command(
        &self,
        actor: &Actor,
        id: &str,
        command: IncidentCommand,
    ) -> Result<Incident, DeskError> {
        let now = self.now();
        let stored = self.read::<Incident>(id, &actor.scope()).await?;
        let mut after = stored.value.apply(actor, &command, now)?;
        let mut write = DeskWrite::default();
        if let IncidentCommand::LinkAlarm { alarm } = &command {
            let a = self
                .read::<Alarm>(&alarm.to_string(), &TenantScope::One(after.tenant.clone()))
                .await?;
            after.linked.push(LinkedAlarm::of(&a.value));
            let mut linked = a.value.clone();
            linked.incident = Some(after.id.clone());
            linked.updated_at = now;
            write.records.push(to_record(&linked, a.version)?);
        }
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
        self.commit(write).await?;
        Ok(after)
    }

    /// Incidents in the caller's scope, newest first.
    pub async fn incidents(
        &self,
        actor: &Actor,
        tenant: Option<&TenantId>,
        include_closed: bool,
        limit: usize,
    ) -> Result<Vec<Incident>, DeskError> {
        actor.require(Permission::View, tenant.or(actor.tenant.as_ref()))?;
        let scope = tenant.map_or_else(|| actor.scope(), |t| TenantScope::One(t.clone()));
        let mut q = RecordQuery::new(Incident::KIND, scope);
        if !include_closed {
            q.not_statuses = vec!["closed".into()];
        }
        q.order = RecordOrder::Newest;
        q.limit = limit.max(1);
        Ok(self
            .list::<Incident>(&q)
            .await?
            .into_iter()
            .map(|s| s.value)
            .collect())
    }

    /// One incident with its timeline.
    pub async fn incident(&self, actor: &Actor, id: &str) -> Result<IncidentView, DeskError> {
        actor.require(Permission::View, actor.tenant.as_ref())?;
        let incident = self.read::<Incident>(id, &actor.scope()).await?.value;
        let scope = TenantScope::One(incident.tenant.clone());
        let mut alarms = Vec::new();
        let mut evidence_ids = Vec::new();
        for a in &incident.alarms {
            if let Ok(stored) = self.read::<Alarm>(&a.to_string(), &scope).await {
                alarms.push(stored.value);
            }
            if let Some(alert) = self.inner.store.alert(*a, &scope).await? {
                evidence_ids.extend(alert.evidence.into_iter().take(TIMELINE_EVIDENCE_PER_ALARM));
            }
        }
        let events = self.inner.store.events_by_id(&evidence_ids, &scope).await?;
        let timeline = merge(&incident, &alarms, &events);
        Ok(IncidentView { incident, timeline })
    }
}
