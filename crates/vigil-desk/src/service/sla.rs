//! Service levels at work: every alarm's and incident's clocks under its
//! client's contract, and the job that raises each warning and breach once.
//!
//! A crossing is a desk record whose id says what crossed what
//! (`alarm:<id>:acknowledge:breached`), created with version 0: a second
//! node — or a second pass — that finds the same crossing gets a conflict
//! and does nothing, so the client's escalation chain hears of it once. The
//! record, its audit entry and its deliveries are one transaction.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, RwLock};

use serde::{Deserialize, Serialize};
use vigil_contract::{ContractSet, CrossingEvent, Measure, PriorityClass};
use vigil_model::{TenantId, Timestamp};
use vigil_store::{DeskWrite, MAX_PAGE_SIZE, RecordQuery, StoreError, TenantScope};

use super::Desk;
use super::notices::Notice;
use crate::alarm::Alarm;
use crate::escalation::Recipient;
use crate::incident::Incident;
use crate::planned_maintenance::PlannedMaintenance;
use crate::record::{DeskObject, audit, from_record, to_record};
use crate::reporting::RuleFacts;
use crate::reporting::category::category;
use crate::response::Purpose;
use crate::sla::{SlaClocks, alarm_clocks_planned, incident_clocks_planned};
use crate::{Actor, DeskError};

/// What the desk needs to run service-level clocks: the clients'
/// contracts, and what each rule is (to sort its alarms into categories).
#[derive(Debug, Clone, Default)]
pub struct ServiceLevels {
    /// Contracts by client, with the default for clients without one.
    pub contracts: ContractSet,
    /// Facts about the loaded rules, by rule id.
    pub rules: HashMap<String, RuleFacts>,
    /// The clients' NIS-2 profiles, for those that are NIS-2 entities.
    pub nis2: HashMap<TenantId, vigil_compliance::nis2::Nis2Profile>,
}

/// Crossings this node has recorded or seen recorded, so that a pass does
/// not try them again; bounded, and only a cache (the store decides).
const NOTICED_MAX: usize = 200_000;

#[derive(Default)]
pub(crate) struct SlaState {
    levels: RwLock<Arc<ServiceLevels>>,
    noticed: Mutex<HashSet<String>>,
    /// The approved work orders' windows, read again by every
    /// service-level pass and after each approval or outcome.
    maintenance: RwLock<Arc<PlannedMaintenance>>,
    /// When the desk timer's next pass over every open alarm and incident
    /// is due (`None`: at its next tick); see
    /// [`Desk::check_service_levels_when_due`].
    next_pass: Mutex<Option<Timestamp>>,
}

/// The longest the desk timer goes without a pass over every open alarm
/// and incident: how late a warning (whose time the readings do not give)
/// or the clocks of an alarm raised since the last pass can be noticed.
const FULL_PASS_EVERY_SECS: i64 = 5;

/// A service-level clock that passed its warning point or its due time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SlaCrossingRecord {
    /// `alarm` or `incident`.
    pub subject: String,
    /// The alarm's or incident's id.
    pub subject_id: String,
    /// The client.
    pub tenant: TenantId,
    /// What it is, for people.
    pub title: String,
    /// The contract's class.
    pub class: PriorityClass,
    /// The clock.
    pub measure: Measure,
    /// Warned or breached.
    pub event: CrossingEvent,
    /// When it crossed (not when it was noticed).
    pub at: Timestamp,
    /// When the desk noticed.
    pub noticed_at: Timestamp,
}

impl SlaCrossingRecord {
    /// The record's id: one per subject, clock and threshold.
    pub fn key(subject: &str, subject_id: &str, measure: Measure, event: CrossingEvent) -> String {
        let event = match event {
            CrossingEvent::Warned => "warned",
            CrossingEvent::Breached => "breached",
        };
        format!("{subject}:{subject_id}:{}:{event}", measure.as_str())
    }
}

impl DeskObject for SlaCrossingRecord {
    const KIND: &'static str = "sla_crossing";
    fn id(&self) -> String {
        Self::key(&self.subject, &self.subject_id, self.measure, self.event)
    }
    fn tenant(&self) -> Option<TenantId> {
        Some(self.tenant.clone())
    }
    fn status(&self) -> String {
        match self.event {
            CrossingEvent::Warned => "warned",
            CrossingEvent::Breached => "breached",
        }
        .into()
    }
    fn link(&self) -> Option<String> {
        Some(format!("{}:{}", self.subject, self.subject_id))
    }
    fn at(&self) -> Timestamp {
        self.at
    }
    fn updated_at(&self) -> Timestamp {
        self.noticed_at
    }
}

impl Desk {
    /// Sets the clients' contracts and the rule facts the clocks use.
    pub fn set_service_levels(&self, levels: ServiceLevels) {
        *self
            .inner
            .sla
            .levels
            .write()
            .unwrap_or_else(|p| p.into_inner()) = Arc::new(levels);
        self.set_next_service_level_pass(None);
    }

    fn set_next_service_level_pass(&self, at: Option<Timestamp>) {
        *self
            .inner
            .sla
            .next_pass
            .lock()
            .unwrap_or_else(|p| p.into_inner()) = at;
    }

    /// [`Self::check_service_levels`] when a pass is due, for the desk
    /// timer; else nothing (`0`). A pass reads and deserialises every open
    /// alarm and incident, and the timer ticks four times a second: with
    /// thousands of open alarms that was a tenth of a busy node's CPU. So a
    /// pass is due at the earliest breach it saw ahead (noticed as
    /// punctually as before), after the contracts or planned maintenance
    /// changed, and otherwise 5 s after the last; a crossing is recorded
    /// at its own time whenever it is noticed.
    pub async fn check_service_levels_when_due(&self) -> Result<usize, DeskError> {
        let next = *self
            .inner
            .sla
            .next_pass
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        if next.is_some_and(|at| self.now() < at) {
            return Ok(0);
        }
        self.check_service_levels().await
    }

    pub(crate) fn service_levels(&self) -> Arc<ServiceLevels> {
        self.inner
            .sla
            .levels
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// The SLA calendar's planned maintenance as last read.
    pub(crate) fn planned_maintenance(&self) -> Arc<PlannedMaintenance> {
        self.inner
            .sla
            .maintenance
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Reads the approved work orders' windows again (every client's).
    pub(crate) async fn refresh_planned_maintenance(&self) -> Result<(), DeskError> {
        let q = RecordQuery::new(
            vigil_lifecycle::work_order::WorkOrder::KIND,
            TenantScope::All,
        );
        let orders: Vec<vigil_lifecycle::work_order::WorkOrder> = self
            .list_all(q)
            .await?
            .into_iter()
            .map(|s| s.value)
            .collect();
        *self
            .inner
            .sla
            .maintenance
            .write()
            .unwrap_or_else(|p| p.into_inner()) = Arc::new(PlannedMaintenance::of(&orders));
        // Windows that moved can move a breach earlier.
        self.set_next_service_level_pass(None);
        Ok(())
    }

    /// An alarm's service-level clocks now.
    pub fn alarm_sla(&self, alarm: &Alarm) -> SlaClocks {
        let levels = self.service_levels();
        clocks_of_alarm(&levels, &self.planned_maintenance(), alarm, self.now())
    }

    /// An incident's service-level clocks now.
    pub fn incident_sla(&self, incident: &Incident) -> SlaClocks {
        let levels = self.service_levels();
        clocks_of_incident(&levels, &self.planned_maintenance(), incident, self.now())
    }

    /// Records every warning and breach of an open alarm's or incident's
    /// clock that is not recorded yet, and notifies the client's escalation
    /// chain of each (the first level of a warning, every level of a
    /// breach). Returns how many crossings this call recorded.
    pub async fn check_service_levels(&self) -> Result<usize, DeskError> {
        let now = self.now();
        let levels = self.service_levels();
        self.refresh_planned_maintenance().await?;
        let maintenance = self.planned_maintenance();
        let mut recorded = 0;
        // The earliest breach ahead of any clock seen.
        let mut next = now + chrono::Duration::seconds(FULL_PASS_EVERY_SECS);
        let mut ahead = |clocks: &SlaClocks| {
            for due in clocks.clocks.iter().filter_map(|r| r.due) {
                if due > now && due < next {
                    next = due;
                }
            }
        };
        for alarm in self.open_alarms(&TenantScope::All).await? {
            let clocks = clocks_of_alarm(&levels, &maintenance, &alarm, now);
            ahead(&clocks);
            let subject = Subject {
                kind: "alarm",
                id: alarm.id.to_string(),
                tenant: &alarm.tenant,
                title: &alarm.rule_title,
            };
            recorded += self.record_crossings(&subject, &clocks, now).await?;
        }
        let mut q = RecordQuery::new(Incident::KIND, TenantScope::All);
        q.not_statuses = vec!["closed".into()];
        q.limit = MAX_PAGE_SIZE;
        for record in self.inner.store.desk_records(&q).await? {
            let incident = from_record::<Incident>(record)?.value;
            let clocks = clocks_of_incident(&levels, &maintenance, &incident, now);
            ahead(&clocks);
            let subject = Subject {
                kind: "incident",
                id: incident.id.clone(),
                tenant: &incident.tenant,
                title: &incident.title,
            };
            recorded += self.record_crossings(&subject, &clocks, now).await?;
        }
        self.set_next_service_level_pass(Some(next));
        Ok(recorded)
    }

    async fn record_crossings(
        &self,
        subject: &Subject<'_>,
        clocks: &SlaClocks,
        now: Timestamp,
    ) -> Result<usize, DeskError> {
        let mut recorded = 0;
        for reading in &clocks.clocks {
            let crossings = [
                (CrossingEvent::Warned, reading.warned_at),
                (CrossingEvent::Breached, reading.breached_at),
            ];
            for (event, at) in crossings {
                let Some(at) = at.filter(|at| *at <= now) else {
                    continue;
                };
                let key = SlaCrossingRecord::key(subject.kind, &subject.id, reading.measure, event);
                if self.noticed(&key) {
                    continue;
                }
                let crossing = SlaCrossingRecord {
                    subject: subject.kind.into(),
                    subject_id: subject.id.clone(),
                    tenant: subject.tenant.clone(),
                    title: subject.title.into(),
                    class: clocks.class,
                    measure: reading.measure,
                    event,
                    at,
                    noticed_at: now,
                };
                match self
                    .commit(self.crossing_write(&crossing, &key, now)?)
                    .await
                {
                    Ok(_) => recorded += 1,
                    // Another node (or an earlier pass) recorded it.
                    Err(DeskError::Store(StoreError::Conflict { .. })) => {}
                    Err(e) => return Err(e),
                }
                self.notice(key);
            }
        }
        Ok(recorded)
    }

    fn crossing_write(
        &self,
        crossing: &SlaCrossingRecord,
        key: &str,
        now: Timestamp,
    ) -> Result<DeskWrite, DeskError> {
        let actor = Actor::system("service-levels");
        let what = match crossing.event {
            CrossingEvent::Warned => "nearing its target",
            CrossingEvent::Breached => "past its target",
        };
        let subject = format!(
            "[Vigil] {} {} {} {}: {} ({})",
            crossing.class.as_str(),
            crossing.subject,
            crossing.measure.as_str(),
            what,
            crossing.title,
            crossing.tenant
        );
        let mut write = DeskWrite::default();
        write.records.push(to_record(crossing, 0)?);
        write.audit.push(audit::<SlaCrossingRecord>(
            &actor,
            match crossing.event {
                CrossingEvent::Warned => "warned",
                CrossingEvent::Breached => "breached",
            },
            None,
            Some(crossing),
            serde_json::json!({"subject": subject}),
            now,
        ));
        for recipient in self.crossing_recipients(&crossing.tenant, crossing.event) {
            let notice = Notice {
                tenant: &crossing.tenant,
                recipient: &recipient,
                purpose: Purpose::ServiceLevel {
                    event: key.to_owned(),
                    recipient: recipient.name.clone(),
                },
                subject: &subject,
                payload: serde_json::json!({
                    "service_level": crossing,
                    "recipient": recipient.name,
                }),
            };
            self.queue_notice(&mut write, &actor, notice, now)?;
        }
        Ok(write)
    }

    /// Who hears of a crossing: the first escalation level's recipients of
    /// a warning, every level's of a breach (each once).
    pub(super) fn crossing_recipients(
        &self,
        tenant: &TenantId,
        event: CrossingEvent,
    ) -> Vec<Recipient> {
        let Some(policy) = self
            .inner
            .config
            .client(tenant)
            .and_then(|c| c.escalation.as_ref())
        else {
            return Vec::new();
        };
        let levels = match event {
            CrossingEvent::Warned => &policy.levels[..policy.levels.len().min(1)],
            CrossingEvent::Breached => &policy.levels[..],
        };
        let mut seen = HashSet::new();
        levels
            .iter()
            .flat_map(|l| l.notify.iter())
            .filter(|r| seen.insert(r.name.clone()))
            .cloned()
            .collect()
    }

    pub(super) fn noticed(&self, key: &str) -> bool {
        self.inner
            .sla
            .noticed
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .contains(key)
    }

    pub(super) fn notice(&self, key: String) {
        let mut noticed = self
            .inner
            .sla
            .noticed
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        if noticed.len() >= NOTICED_MAX {
            // Forgetting only costs a write that the store refuses.
            noticed.clear();
        }
        noticed.insert(key);
    }
}

struct Subject<'a> {
    kind: &'static str,
    id: String,
    tenant: &'a TenantId,
    title: &'a str,
}

fn clocks_of_alarm(
    levels: &ServiceLevels,
    maintenance: &PlannedMaintenance,
    alarm: &Alarm,
    now: Timestamp,
) -> SlaClocks {
    alarm_clocks_planned(
        levels.contracts.contract_for(&alarm.tenant),
        alarm,
        category(levels.rules.get(&alarm.rule_id), &alarm.entities),
        &maintenance.of_alarm(alarm),
        now,
    )
}

fn clocks_of_incident(
    levels: &ServiceLevels,
    maintenance: &PlannedMaintenance,
    incident: &Incident,
    now: Timestamp,
) -> SlaClocks {
    incident_clocks_planned(
        levels.contracts.contract_for(&incident.tenant),
        incident,
        &maintenance.of_incident(incident),
        now,
    )
}
