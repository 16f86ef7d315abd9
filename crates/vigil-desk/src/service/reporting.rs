//! What the reports ([`crate::reporting`]) are computed from: the alarms
//! of the dashboards, and everything a monthly service report reads.
//!
//! These take a scope, not an actor: the caller has already limited it to
//! what the asker may see (the HTTP API by the token's tenant).

use chrono::Duration;
use vigil_model::{TenantId, Timestamp};
use vigil_store::{
    EstateStore, EventQuery, FieldFilter, MAX_PAGE_SIZE, RecordOrder, RecordQuery, TenantScope,
};

use super::Desk;
use crate::DeskError;
use crate::alarm::{Alarm, AlarmStatus};
use crate::incident::Incident;
use crate::record::DeskObject;
use crate::reporting::service::{
    Client, DeviceMark, Month, Period, PlatformMark, ServiceInput, ServiceReport, report_time_zone,
    service_report,
};

/// Alarms read for one report, at most (the newest are kept).
const MAX_ALARMS: usize = 50_000;
/// Incidents read for one service report, at most.
const MAX_INCIDENTS: usize = 20_000;
/// Supervision events read for one service report, at most.
const MAX_DEVICE_EVENTS: usize = 100_000;
/// Audit entries read for one service report's platform availability, at most.
const MAX_AUDIT_ENTRIES: usize = 2_000_000;
/// How long before its raise an alarm's first evidence may be: alarm
/// records are dated by their evidence, reports by the raise.
const EVIDENCE_BEFORE_RAISE: i64 = 7;

/// Which service report to compute.
#[derive(Debug, Clone, PartialEq)]
pub struct ServiceReportRequest {
    /// The client, or every client in scope.
    pub tenant: Option<TenantId>,
    /// The month.
    pub month: Month,
    /// When to read clocks and states (default: now).
    pub as_of: Option<Timestamp>,
}

impl Desk {
    /// The alarms in `scope` whose records are dated at or after `since`,
    /// any status, newest first; at most about 50,000.
    pub async fn alarms_since(
        &self,
        scope: &TenantScope,
        since: Timestamp,
    ) -> Result<Vec<Alarm>, DeskError> {
        let mut q = RecordQuery::new(Alarm::KIND, scope.clone());
        q.at_from = Some(since);
        q.order = RecordOrder::Newest;
        self.read_alarms(q).await
    }

    /// The open (not closed) alarms in `scope`, newest first; at most
    /// about 50,000.
    pub async fn open_alarms(&self, scope: &TenantScope) -> Result<Vec<Alarm>, DeskError> {
        let mut q = RecordQuery::new(Alarm::KIND, scope.clone());
        q.not_statuses = vec![AlarmStatus::Closed.as_str().into()];
        q.order = RecordOrder::Newest;
        self.read_alarms(q).await
    }

    /// The monthly service report for one client or every client
    /// ([`crate::reporting::service`]), reading the alarms, incidents,
    /// supervision (from `estate`, when there is one) and the audit log's
    /// times. The platform's availability reads every audit entry's time
    /// whatever the scope: only the figure leaves.
    pub async fn service_report(
        &self,
        request: &ServiceReportRequest,
        estate: Option<&dyn EstateStore>,
    ) -> Result<ServiceReport, DeskError> {
        let as_of = request.as_of.unwrap_or_else(|| self.now());
        let scope = request
            .tenant
            .clone()
            .map_or(TenantScope::All, TenantScope::One);
        let store = &self.inner.store;
        let client = match &request.tenant {
            Some(t) => Client {
                tenant: Some(t.to_string()),
                name: store
                    .tenants(&scope)
                    .await?
                    .into_iter()
                    .find(|x| &x.id == t)
                    .map_or_else(|| t.to_string(), |x| x.name),
                residency: self.residency(t).map(String::from),
            },
            None => Client {
                tenant: None,
                name: "All clients".into(),
                residency: None,
            },
        };
        let levels = self.service_levels();
        let tz = match &request.tenant {
            Some(t) => report_time_zone(
                levels
                    .contracts
                    .has_own(t)
                    .then(|| levels.contracts.contract_for(t)),
                &store.sites(&scope).await?,
            ),
            None => chrono_tz::Tz::UTC,
        };
        let period = Period::new(request.month, tz);
        let mut notes = Vec::new();

        let mut q = RecordQuery::new(Alarm::KIND, scope.clone());
        q.at_from = Some(period.trend_from - Duration::days(EVIDENCE_BEFORE_RAISE));
        q.at_to = Some(period.to);
        q.order = RecordOrder::Newest;
        let alarms = self.read_alarms(q).await?;
        if alarms.len() >= MAX_ALARMS {
            notes.push(format!(
                "Only the newest {} alarms of the three months were read.",
                alarms.len()
            ));
        }
        let incidents = self.incidents_opened(&scope, &period).await?;
        if incidents.len() >= MAX_INCIDENTS {
            notes.push(format!(
                "Only the newest {} incidents were read.",
                incidents.len()
            ));
        }
        let measured_to = period.measured_to(as_of);
        let device_marks = self
            .device_marks(&scope, period.from, measured_to, &mut notes)
            .await?;
        let (supervision, devices) = match estate {
            Some(e) => (e.supervision(&scope).await?, e.devices(&scope).await?),
            None => Default::default(),
        };
        let platform_marks = self
            .platform_marks(period.from, measured_to, &mut notes)
            .await?;
        let levels = self.service_levels();
        self.refresh_planned_maintenance().await?;
        let maintenance = self.planned_maintenance();
        Ok(service_report(&ServiceInput {
            client: &client,
            period: &period,
            as_of,
            contracts: &levels.contracts,
            rules: &levels.rules,
            alarms: &alarms,
            incidents: &incidents,
            supervision: &supervision,
            devices: &devices,
            device_marks: &device_marks,
            maintenance: &maintenance,
            flapping: &self.config().flapping,
            platform_marks: &platform_marks,
            notes: &notes,
        }))
    }

    /// Incidents opened over the trends' months, any state.
    async fn incidents_opened(
        &self,
        scope: &TenantScope,
        period: &Period,
    ) -> Result<Vec<Incident>, DeskError> {
        let mut q = RecordQuery::new(Incident::KIND, scope.clone());
        q.at_from = Some(period.trend_from);
        q.at_to = Some(period.to);
        q.order = RecordOrder::Newest;
        q.limit = MAX_PAGE_SIZE;
        let mut out = Vec::new();
        loop {
            let page = self.list::<Incident>(&q).await?;
            let n = page.len();
            out.extend(page.into_iter().map(|s| s.value));
            if n < MAX_PAGE_SIZE || out.len() >= MAX_INCIDENTS {
                return Ok(out);
            }
            q.offset += n;
        }
    }

    /// Supervision transitions from the `device_status` events in `[from, to)`.
    pub(crate) async fn device_marks(
        &self,
        scope: &TenantScope,
        from: Timestamp,
        to: Timestamp,
        notes: &mut Vec<String>,
    ) -> Result<Vec<DeviceMark>, DeskError> {
        let mut query = EventQuery {
            scope: scope.clone(),
            from: Some(from),
            to: Some(to),
            fields: vec![FieldFilter {
                field: "class".into(),
                value: "device_status".into(),
            }],
            cursor: None,
            limit: MAX_PAGE_SIZE,
        };
        let mut marks = Vec::new();
        let mut read = 0;
        loop {
            let page = self.inner.store.events(&query).await?;
            read += page.items.len();
            marks.extend(page.items.iter().filter_map(DeviceMark::from_event));
            let Some(next) = page.next_cursor else { break };
            if read >= MAX_DEVICE_EVENTS {
                notes.push(format!(
                    "Only the first {read} supervision events of the month were read."
                ));
                break;
            }
            query.cursor = Some(vigil_store::Cursor::decode(&next)?);
        }
        Ok(marks)
    }

    /// The audit log's entries before `to`, back to the last one before
    /// `from`, as the platform's availability reads them.
    async fn platform_marks(
        &self,
        from: Timestamp,
        to: Timestamp,
        notes: &mut Vec<String>,
    ) -> Result<Vec<PlatformMark>, DeskError> {
        let mut marks = Vec::new();
        let mut before = None;
        let mut read = 0;
        loop {
            let page = self
                .inner
                .store
                .audit_entries(&TenantScope::All, before, MAX_PAGE_SIZE)
                .await?;
            read += page.len();
            let Some(last) = page.last() else { break };
            before = Some(last.seq);
            let mut reached_before_month = false;
            for e in &page {
                if e.at < to {
                    marks.push(PlatformMark::from_entry(e));
                }
                if e.at < from {
                    reached_before_month = true;
                    break;
                }
            }
            if reached_before_month || page.len() < MAX_PAGE_SIZE || last.seq <= 1 {
                break;
            }
            if read >= MAX_AUDIT_ENTRIES {
                notes.push(format!(
                    "Only the newest {read} audit entries were read for the platform's availability."
                ));
                break;
            }
        }
        Ok(marks)
    }

    /// Reads the alarms matching `query` page by page, until a short page or
    /// [`MAX_ALARMS`] (a whole page may take it past).
    async fn read_alarms(&self, mut query: RecordQuery) -> Result<Vec<Alarm>, DeskError> {
        query.limit = MAX_PAGE_SIZE;
        let mut out = Vec::new();
        loop {
            let page = self.list::<Alarm>(&query).await?;
            let n = page.len();
            out.extend(page.into_iter().map(|s| s.value));
            if n < MAX_PAGE_SIZE || out.len() >= MAX_ALARMS {
                return Ok(out);
            }
            query.offset += n;
        }
    }
}
