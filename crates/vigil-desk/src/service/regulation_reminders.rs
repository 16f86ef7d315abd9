//! NIS-2 Art. 23 deadlines that come near or pass: each crossing of a
//! significant incident's report deadline (due soon, overdue) is recorded
//! once and told to the client's escalation chain once — the first level
//! when a report is due soon, every level when it is overdue — exactly as
//! service-level crossings are (see `sla.rs`): the record's id is the
//! crossing, so a second desk, or a second pass, that tries to record it
//! again is refused by the store and sends nothing.

use chrono::Duration;
use serde::{Deserialize, Serialize};
use vigil_compliance::nis2::{
    DueSoonPolicy, ReminderEvent, ReportKind, ReportingClock, ReportingInput,
};
use vigil_contract::CrossingEvent;
use vigil_model::{TenantId, Timestamp};
use vigil_store::{DeskWrite, MAX_PAGE_SIZE, RecordQuery, StoreError, TenantScope};

use super::Desk;
use super::notices::Notice;
use crate::incident::{Incident, IncidentState};
use crate::record::{DeskObject, audit, from_record, to_record};
use crate::response::Purpose;
use crate::{Actor, DeskError};

/// A closed incident's reports can still be owed: the final report is due
/// a month after the notification. Closed incidents opened longer ago than
/// this are not read again.
const CLOSED_LOOKBACK_DAYS: i64 = 160;

/// An Art. 23 report deadline that came near or passed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Nis2ReminderRecord {
    /// The incident.
    pub incident: String,
    /// The client.
    pub tenant: TenantId,
    /// The incident's title.
    pub title: String,
    /// The report.
    pub kind: ReportKind,
    /// Due soon or overdue.
    pub event: ReminderEvent,
    /// When it crossed (not when it was noticed).
    pub at: Timestamp,
    /// The report's deadline.
    pub due: Timestamp,
    /// When the desk noticed.
    pub noticed_at: Timestamp,
}

impl Nis2ReminderRecord {
    /// The record's id: one per incident, report and threshold.
    pub fn key(incident: &str, kind: ReportKind, event: ReminderEvent) -> String {
        let event = match event {
            ReminderEvent::DueSoon => "due_soon",
            ReminderEvent::Overdue => "overdue",
        };
        format!("incident:{incident}:nis2:{}:{event}", kind.as_str())
    }
}

impl DeskObject for Nis2ReminderRecord {
    const KIND: &'static str = "nis2_reminder";
    fn id(&self) -> String {
        Self::key(&self.incident, self.kind, self.event)
    }
    fn tenant(&self) -> Option<TenantId> {
        Some(self.tenant.clone())
    }
    fn status(&self) -> String {
        match self.event {
            ReminderEvent::DueSoon => "due_soon",
            ReminderEvent::Overdue => "overdue",
        }
        .into()
    }
    fn link(&self) -> Option<String> {
        Some(format!("incident:{}", self.incident))
    }
    fn at(&self) -> Timestamp {
        self.at
    }
    fn updated_at(&self) -> Timestamp {
        self.noticed_at
    }
}

impl Desk {
    /// Records every Art. 23 deadline crossing of a significant incident
    /// that is not recorded yet and tells the client's escalation chain of
    /// each. Returns how many this call recorded.
    pub async fn check_nis2_deadlines(&self) -> Result<usize, DeskError> {
        let now = self.now();
        let mut open = RecordQuery::new(Incident::KIND, TenantScope::All);
        open.not_statuses = vec!["closed".into()];
        open.limit = MAX_PAGE_SIZE;
        let mut closed = RecordQuery::new(Incident::KIND, TenantScope::All);
        closed.statuses = vec!["closed".into()];
        closed.at_from = Some(now - Duration::days(CLOSED_LOOKBACK_DAYS));
        closed.limit = MAX_PAGE_SIZE;
        let mut recorded = 0;
        for q in [open, closed] {
            for record in self.inner.store.desk_records(&q).await? {
                let incident = from_record::<Incident>(record)?.value;
                recorded += self.record_nis2_reminders(&incident, now).await?;
            }
        }
        Ok(recorded)
    }

    async fn record_nis2_reminders(
        &self,
        incident: &Incident,
        now: Timestamp,
    ) -> Result<usize, DeskError> {
        let Some(record) = incident.nis2.as_ref().filter(|r| r.significant()) else {
            return Ok(0);
        };
        let handled_at = (incident.state == IncidentState::Closed)
            .then(|| incident.activity.iter().rev().find(|a| a.action == "close"))
            .flatten()
            .map(|a| a.at);
        let input = ReportingInput {
            aware_at: record.aware_at,
            submissions: record.submissions.clone(),
            intermediate_request: None,
            handled_at,
        };
        let Ok(clock) = ReportingClock::new(input, DueSoonPolicy::default()) else {
            return Ok(0);
        };
        // From just before awareness: every crossing up to now, each once.
        let since = record.aware_at - Duration::milliseconds(1);
        let mut recorded = 0;
        for reminder in clock.reminders(since, now) {
            let key = Nis2ReminderRecord::key(&incident.id, reminder.kind, reminder.event);
            if self.noticed(&key) {
                continue;
            }
            let crossing = Nis2ReminderRecord {
                incident: incident.id.clone(),
                tenant: incident.tenant.clone(),
                title: incident.title.clone(),
                kind: reminder.kind,
                event: reminder.event,
                at: reminder.at,
                due: reminder.due,
                noticed_at: now,
            };
            match self
                .commit(self.reminder_write(&crossing, &key, now)?)
                .await
            {
                Ok(_) => recorded += 1,
                // Another node (or an earlier pass) recorded it.
                Err(DeskError::Store(StoreError::Conflict { .. })) => {}
                Err(e) => return Err(e),
            }
            self.notice(key);
        }
        Ok(recorded)
    }

    fn reminder_write(
        &self,
        crossing: &Nis2ReminderRecord,
        key: &str,
        now: Timestamp,
    ) -> Result<DeskWrite, DeskError> {
        let actor = Actor::system("nis2-deadlines");
        let (what, escalate) = match crossing.event {
            ReminderEvent::DueSoon => ("due soon", CrossingEvent::Warned),
            ReminderEvent::Overdue => ("overdue", CrossingEvent::Breached),
        };
        let subject = format!(
            "[Vigil] NIS-2 {} {what} (due {}): {} ({})",
            crossing.kind.as_str().replace('_', " "),
            crossing
                .due
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            crossing.title,
            crossing.tenant
        );
        let mut write = DeskWrite::default();
        write.records.push(to_record(crossing, 0)?);
        write.audit.push(audit::<Nis2ReminderRecord>(
            &actor,
            what,
            None,
            Some(crossing),
            serde_json::json!({"subject": subject}),
            now,
        ));
        for recipient in self.crossing_recipients(&crossing.tenant, escalate) {
            let notice = Notice {
                tenant: &crossing.tenant,
                recipient: &recipient,
                purpose: Purpose::RegulatoryDeadline {
                    event: key.to_owned(),
                    recipient: recipient.name.clone(),
                },
                subject: &subject,
                payload: serde_json::json!({
                    "nis2_deadline": crossing,
                    "recipient": recipient.name,
                }),
            };
            self.queue_notice(&mut write, &actor, notice, now)?;
        }
        Ok(write)
    }
}
