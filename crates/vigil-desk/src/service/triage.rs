//! Triage: every new or grown alert becomes (or updates) an alarm.
//!
//! Triage reads the store's alert change feed from its cursor — the feed is
//! written by trigger inside the ingest transaction, so nothing committed
//! is missed even if the bus dropped the notification or the node
//! restarted — and commits its decisions, the audit entries for them, the
//! new cursor, and the trimming of the feed in one transaction: each alert
//! change is triaged exactly once.
//!
//! For a new alarm, in order: a maintenance window or suppression that
//! covers it closes it (benign, naming the window or suppression); it joins
//! the group of a related alarm; the model predicts the chance it is false;
//! its priority is scored; the model closes it if it is sure enough and
//! has learned from enough verdicts (never a critical one, nor one another
//! rule's alarm corroborates); otherwise an
//! escalation timer starts when the client's policy says so.

use std::collections::HashMap;

use chrono::Duration;
use vigil_model::{Alert, Severity, TenantId, Timestamp};
use vigil_store::{DeskWrite, RecordQuery, StoreError, TenantScope};

use super::Desk;
use crate::alarm::{Alarm, AlarmCommand, AlarmStatus};
use crate::escalation::Escalation;
use crate::record::{DeskObject, Stored, TriageCursor, audit, from_record, to_record};
use crate::scoring::{PriorityInput, score};
use crate::suppression::{MaintenanceWindow, Suppression};
use crate::{Actor, DeskError, grouping};

/// Alert changes triaged per transaction.
pub const TRIAGE_BATCH: usize = 500;

/// Candidates considered when grouping one alarm.
const GROUP_CANDIDATES: usize = 200;

/// The stored alarms of one client a triage pass groups new alarms with.
/// Read once per pass and client rather than once per new alarm (which
/// deserialised up to [`GROUP_CANDIDATES`] alarms for every alert): the
/// store does not change during a pass (its writes commit at the end, and
/// the pass's own alarms are in `fresh`), so each alarm's candidates — the
/// newest [`GROUP_CANDIDATES`] placed at or after its look-back start — are
/// those of the read filtered by that start, as long as the read looked
/// back at least as far; an alarm looking further back reads again.
struct GroupCandidates {
    /// The read's look-back start.
    from: Timestamp,
    /// Newest first, at most [`GROUP_CANDIDATES`].
    alarms: Vec<Alarm>,
}

/// The alarms a triage pass groups each new alarm with: those it raised
/// itself (not stored until the pass commits) and each client's stored
/// ones as read.
#[derive(Default)]
struct GroupWith {
    /// Raised by this pass, in order.
    fresh: Vec<Alarm>,
    /// Read from the store, per client.
    stored: HashMap<TenantId, GroupCandidates>,
}

/// What one triage pass did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TriageReport {
    /// Feed entries read.
    pub changes: usize,
    /// Alarms raised.
    pub raised: usize,
    /// Existing alarms that took in new evidence.
    pub refreshed: usize,
    /// New alarms closed by a maintenance window or suppression.
    pub suppressed: usize,
    /// New alarms closed by the model.
    pub auto_closed: usize,
    /// New alarms that joined another's group.
    pub grouped: usize,
    /// Escalation timers started.
    pub escalations: usize,
}

impl Desk {
    /// Triage's actor.
    pub fn triage_actor() -> Actor {
        Actor::system("triage")
    }

    /// Triages the next batch of alert changes; returns what it did
    /// (`changes == 0` when the feed was empty).
    pub async fn triage_once(&self) -> Result<TriageReport, DeskError> {
        let now = self.now();
        let mut trusted = Vec::new();
        match self.triage_pass(now, true, &mut trusted).await {
            // Someone changed an alarm triage remembered: the pass is
            // redone from the store, as if it had read it from there.
            Err(DeskError::Store(StoreError::Conflict { what, id, .. }))
                if what == Alarm::KIND && trusted.contains(&id) =>
            {
                self.inner.triaged.forget_all();
                self.triage_pass(now, false, &mut trusted).await
            }
            done => done,
        }
    }

    /// One triage pass at `now`; with `remembered`, the alarms triage
    /// remembers stand in for reading them (`trusted` gathers their ids).
    async fn triage_pass(
        &self,
        now: Timestamp,
        remembered: bool,
        trusted: &mut Vec<String>,
    ) -> Result<TriageReport, DeskError> {
        let store = &self.inner.store;
        let triaged = &self.inner.triaged;
        let cursor = match store
            .desk_record(TriageCursor::KIND, "triage", &TenantScope::All)
            .await?
        {
            Some(r) => crate::record::from_record::<TriageCursor>(r)?,
            None => crate::record::Stored {
                value: TriageCursor {
                    position: 0,
                    updated_at: now,
                },
                version: 0,
            },
        };
        let changes = store
            .alert_changes(cursor.value.position, TRIAGE_BATCH)
            .await?;
        let mut report = TriageReport {
            changes: changes.len(),
            ..Default::default()
        };
        let Some(last) = changes.last().map(|c| c.seq) else {
            return Ok(report);
        };
        // The latest state of each alert, in the order first seen.
        let mut order = Vec::new();
        let mut latest: HashMap<vigil_model::AlertId, Alert> = HashMap::new();
        for c in changes {
            if !latest.contains_key(&c.alert.id) {
                order.push(c.alert.id);
            }
            latest.insert(c.alert.id, c.alert);
        }
        let mut write = DeskWrite::default();
        let mut rules: HashMap<TenantId, (Vec<Suppression>, Vec<MaintenanceWindow>)> =
            HashMap::new();
        let mut group_with = GroupWith::default();
        // Alarms this pass writes: their record's place in the write, to
        // remember them at the version the commit gives them.
        let mut written: Vec<(usize, String, Alarm)> = Vec::new();
        let actor = Self::triage_actor();
        // The alarms of the pass's alerts: remembered, or else read from the
        // store in one go (most alerts of a busy pass are new, and a read
        // each was a reader task each).
        let mut alarms: HashMap<String, Stored<Alarm>> = HashMap::new();
        let mut unread = Vec::new();
        for id in &order {
            let record_id = id.to_string();
            match remembered.then(|| triaged.get(&record_id)).flatten() {
                Some(stored) => {
                    trusted.push(record_id.clone());
                    alarms.insert(record_id, stored);
                }
                None => unread.push(record_id),
            }
        }
        if !unread.is_empty() {
            for r in store
                .desk_records_by_id(Alarm::KIND, &unread, &TenantScope::All)
                .await?
            {
                let record_id = r.id.clone();
                let stored = from_record::<Alarm>(r)?;
                triaged.remember(record_id.clone(), stored.clone());
                alarms.insert(record_id, stored);
            }
        }
        for id in order {
            let Some(alert) = latest.remove(&id) else {
                continue;
            };
            let record_id = id.to_string();
            let known = alarms.remove(&record_id);
            if let Some(stored) = known {
                let mut alarm = stored.value;
                if alarm.event_count != alert.event_count || alarm.last_seen != alert.last_seen {
                    alarm.refresh(&alert, now);
                    write.records.push(to_record(&alarm, stored.version)?);
                    written.push((write.records.len() - 1, record_id, alarm));
                    report.refreshed += 1;
                }
                continue;
            }
            if !rules.contains_key(&alert.tenant) {
                let loaded = self.tenant_rules(&alert.tenant).await?;
                rules.insert(alert.tenant.clone(), loaded);
            }
            let (suppressions, windows) = rules
                .get(&alert.tenant)
                .map(|(s, w)| (s.as_slice(), w.as_slice()))
                .unwrap_or_default();
            let alarm = self
                .triage_new(
                    &alert,
                    suppressions,
                    windows,
                    &mut group_with,
                    now,
                    &mut report,
                )
                .await?;
            let detail = serde_json::json!({
                "priority": alarm.priority.score,
                "false_alarm": alarm.false_alarm,
                "group": alarm.group,
                "closure": alarm.closure,
            });
            write.records.push(to_record(&alarm, 0)?);
            written.push((write.records.len() - 1, record_id, alarm.clone()));
            write.audit.push(audit::<Alarm>(
                &actor,
                "raise",
                None,
                Some(&alarm),
                detail,
                now,
            ));
            write
                .alert_status
                .push((alarm.id, alarm.status.alert_status()));
            if alarm.status == AlarmStatus::New
                && let Some(policy) = self
                    .inner
                    .config
                    .client(&alarm.tenant)
                    .and_then(|c| c.escalation.as_ref())
                && let Some(esc) = Escalation::start(policy, &alarm)
            {
                write.records.push(to_record(&esc, 0)?);
                write.audit.push(audit::<Escalation>(
                    &actor,
                    "start",
                    None,
                    Some(&esc),
                    serde_json::Value::Null,
                    now,
                ));
                report.escalations += 1;
            }
            group_with.fresh.push(alarm);
        }
        let moved = TriageCursor {
            position: last,
            updated_at: now,
        };
        write.records.push(to_record(&moved, cursor.version)?);
        write.alert_feed_done = Some(last);
        let receipt = self.commit(write).await?;
        for (at, record_id, value) in written {
            if let Some(&version) = receipt.versions.get(at) {
                triaged.remember(record_id, Stored { value, version });
            }
        }
        Ok(report)
    }

    async fn tenant_rules(
        &self,
        tenant: &TenantId,
    ) -> Result<(Vec<Suppression>, Vec<MaintenanceWindow>), DeskError> {
        let scope = TenantScope::One(tenant.clone());
        let mut q = RecordQuery::new(Suppression::KIND, scope.clone());
        q.statuses = vec!["set".into()];
        let s = self
            .list::<Suppression>(&q)
            .await?
            .into_iter()
            .map(|s| s.value)
            .collect();
        let mut q = RecordQuery::new(MaintenanceWindow::KIND, scope);
        q.statuses = vec!["declared".into()];
        let w = self
            .list::<MaintenanceWindow>(&q)
            .await?
            .into_iter()
            .map(|s| s.value)
            .collect();
        Ok((s, w))
    }

    async fn triage_new(
        &self,
        alert: &Alert,
        suppressions: &[Suppression],
        windows: &[MaintenanceWindow],
        group_with: &mut GroupWith,
        now: Timestamp,
        report: &mut TriageReport,
    ) -> Result<Alarm, DeskError> {
        let config = &self.inner.config;
        let actor = Self::triage_actor();
        let mut alarm = Alarm::from_alert(alert, now);
        report.raised += 1;

        let window = Duration::minutes(config.group_window_minutes.max(1));
        // Records are placed by their first evidence: look back from this
        // alarm's (late evidence included), not from the triage pass.
        let from = alarm.first_seen.min(now) - window * 4;
        let read = group_with
            .stored
            .get(&alarm.tenant)
            .is_some_and(|c| c.from <= from);
        if !read {
            let mut q = RecordQuery::new(Alarm::KIND, TenantScope::One(alarm.tenant.clone()));
            q.at_from = Some(from);
            q.order = vigil_store::RecordOrder::Newest;
            q.limit = GROUP_CANDIDATES;
            let alarms = self
                .list::<Alarm>(&q)
                .await?
                .into_iter()
                .map(|s| s.value)
                .collect();
            group_with
                .stored
                .insert(alarm.tenant.clone(), GroupCandidates { from, alarms });
        }
        let stored = group_with
            .stored
            .get(&alarm.tenant)
            .map(|c| c.alarms.as_slice())
            .unwrap_or_default();
        // The store compares whole microseconds (`at >= from`).
        let from_micros = from.timestamp_micros();
        let candidates = stored
            .iter()
            .filter(|s| s.first_seen.timestamp_micros() >= from_micros)
            .chain(group_with.fresh.iter().filter(|f| f.tenant == alarm.tenant));
        let grouping::Assignment {
            group,
            related,
            corroborated,
        } = grouping::assign(&alarm, candidates, window);
        if related > 0 {
            report.grouped += 1;
        }
        alarm.group = group;
        alarm.related = related;

        let (p, verdicts) = self.predict(&alarm);
        let learned = verdicts >= config.auto_close_min_verdicts;
        alarm.false_alarm = learned.then_some(p);
        alarm.priority = score(&PriorityInput {
            severity: alarm.severity,
            criticality: config.criticality(&alarm),
            tier_weight: config.tier_weight(&alarm.tenant),
            related,
            false_alarm: alarm.false_alarm,
        });

        if let Some(w) = windows.iter().find(|w| w.covers(&alarm)) {
            report.suppressed += 1;
            let cmd = AlarmCommand::Suppress {
                id: w.id.clone(),
                reason: format!("maintenance: {}", w.reason),
            };
            return alarm.apply(&actor, &cmd, now);
        }
        if let Some(s) = suppressions.iter().find(|s| s.matches(&alarm, now)) {
            report.suppressed += 1;
            let cmd = AlarmCommand::Suppress {
                id: s.id.clone(),
                reason: s.reason.clone(),
            };
            return alarm.apply(&actor, &cmd, now);
        }
        if config.auto_close
            && learned
            && alarm.severity < Severity::Critical
            && !corroborated
            && p >= config.auto_close_threshold
        {
            report.auto_closed += 1;
            let cmd = AlarmCommand::AutoClose {
                probability: p,
                threshold: config.auto_close_threshold,
            };
            return alarm.apply(&Actor::system("learner"), &cmd, now);
        }
        Ok(alarm)
    }
}
