//! Incidents, response actions, deliveries, escalations and the audit log
//! as the desk's callers see them.

use serde::Serialize;
use vigil_model::{AlertId, TenantId};
use vigil_store::audit::{AuditEntry, AuditRecord, TenantExport};
use vigil_store::{DeskWrite, RecordOrder, RecordQuery, TenantScope};

use super::Desk;
use crate::alarm::Alarm;
use crate::escalation::Escalation;
use crate::incident::{Incident, IncidentCommand, NewIncident};
use crate::record::{DeskObject, audit, to_record};
use crate::response::{Delivery, ResponseAction};
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
        let incident = Incident::open(actor, self.new_id("inc"), new, now)?;
        let mut write = DeskWrite::default();
        for id in &incident.alarms {
            let stored = self
                .read::<Alarm>(&id.to_string(), &TenantScope::One(incident.tenant.clone()))
                .await?;
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
        let after = stored.value.apply(actor, &command, now)?;
        let mut write = DeskWrite::default();
        if let IncidentCommand::LinkAlarm { alarm } = &command {
            let a = self
                .read::<Alarm>(&alarm.to_string(), &TenantScope::One(after.tenant.clone()))
                .await?;
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

    /// Runs a response action: records a signed webhook delivery to the
    /// client's endpoint for it; the delivery worker sends it.
    pub async fn respond(
        &self,
        actor: &Actor,
        incident: &str,
        action: ResponseAction,
    ) -> Result<Delivery, DeskError> {
        let now = self.now();
        let inc = self.read::<Incident>(incident, &actor.scope()).await?.value;
        let endpoint = self
            .inner
            .config
            .endpoint_for(&inc.tenant, action.name())
            .ok_or_else(|| {
                DeskError::invalid(
                    "action",
                    format!(
                        "{} has no endpoint configured for {}",
                        inc.tenant,
                        action.name()
                    ),
                )
            })?;
        let delivery = Delivery::action(
            actor,
            self.new_id("dlv"),
            inc.tenant.clone(),
            action,
            Some(inc.id.clone()),
            &endpoint.name,
            &endpoint.url,
            self.inner.config.delivery_backoff,
            now,
        )?;
        let detail = serde_json::json!({"incident": inc.id, "payload": delivery.payload});
        self.commit_one(actor, "request", None, &delivery, detail, now)
            .await?;
        Ok(delivery)
    }

    /// Deliveries in the caller's scope, newest first.
    pub async fn deliveries(
        &self,
        actor: &Actor,
        link: Option<&str>,
        limit: usize,
    ) -> Result<Vec<Delivery>, DeskError> {
        actor.require(Permission::View, actor.tenant.as_ref())?;
        let mut q = RecordQuery::new(Delivery::KIND, actor.scope());
        q.link = link.map(str::to_owned);
        q.order = RecordOrder::Newest;
        q.limit = limit.max(1);
        Ok(self
            .list::<Delivery>(&q)
            .await?
            .into_iter()
            .map(|s| s.value)
            .collect())
    }

    /// Escalations still running in the caller's scope, soonest first.
    pub async fn escalations(&self, actor: &Actor) -> Result<Vec<Escalation>, DeskError> {
        actor.require(Permission::View, actor.tenant.as_ref())?;
        let mut q = RecordQuery::new(Escalation::KIND, actor.scope());
        q.statuses = vec!["active".into()];
        q.order = RecordOrder::Due;
        Ok(self
            .list::<Escalation>(&q)
            .await?
            .into_iter()
            .map(|s| s.value)
            .collect())
    }

    /// Audit entries in the caller's scope, newest first.
    pub async fn audit_entries(
        &self,
        actor: &Actor,
        before: Option<u64>,
        limit: usize,
    ) -> Result<Vec<AuditEntry>, DeskError> {
        actor.require(Permission::Audit, actor.tenant.as_ref())?;
        Ok(self
            .inner
            .store
            .audit_entries(&actor.scope(), before, limit)
            .await?)
    }

    /// A tenant's audit export with proofs (a fresh checkpoint is signed
    /// first, so the export covers everything up to now). The export itself
    /// is recorded.
    pub async fn audit_export(
        &self,
        actor: &Actor,
        tenant: &TenantId,
    ) -> Result<TenantExport, DeskError> {
        actor.require(Permission::Audit, Some(tenant))?;
        let now = self.now();
        self.inner
            .store
            .audit_append(vec![AuditRecord {
                at: now,
                actor: actor.name.clone(),
                tenant: Some(tenant.clone()),
                action: "audit.export".into(),
                object: format!("tenant/{tenant}"),
                before: None,
                after: None,
                detail: serde_json::Value::Null,
            }])
            .await?;
        if let Some(signer) = &self.inner.signer {
            self.inner.store.audit_checkpoint(signer, now).await?;
        }
        Ok(self.inner.store.audit_export(tenant).await?)
    }

    /// Records an act that is not a desk command (a configuration change,
    /// a login, a data export) in the audit chain.
    pub async fn record_act(
        &self,
        actor: &Actor,
        tenant: Option<TenantId>,
        action: &str,
        object: &str,
        detail: serde_json::Value,
    ) -> Result<u64, DeskError> {
        let seqs = self
            .inner
            .store
            .audit_append(vec![AuditRecord {
                at: self.now(),
                actor: actor.name.clone(),
                tenant,
                action: action.to_owned(),
                object: object.to_owned(),
                before: None,
                after: None,
                detail,
            }])
            .await?;
        Ok(seqs.first().copied().unwrap_or(0))
    }

    /// The newest entry recording `action` on `object` among the last
    /// `within` entries of the log (to tell a changed configuration or rule
    /// set from one loaded again unchanged).
    pub async fn last_act(
        &self,
        action: &str,
        object: &str,
        within: usize,
    ) -> Result<Option<AuditEntry>, DeskError> {
        let entries = self
            .inner
            .store
            .audit_entries(&vigil_store::TenantScope::All, None, within.max(1))
            .await?;
        Ok(entries
            .into_iter()
            .filter(|e| e.action == action && e.object == object)
            .max_by_key(|e| e.seq))
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
