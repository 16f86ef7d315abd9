//! The desk's timers: triage, escalation levels, service-level crossings,
//! NIS-2 report deadlines, delivery retries, audit checkpoints, and the
//! watchlist hits and re-screenings a node left unfinished, each run by one node at
//! a time under a lease in the store. A lease is renewed on every pass; if its holder dies, another
//! node takes over when it expires. Firing an escalation level or recording
//! a delivery attempt is a versioned write, so even two nodes that both
//! believed they held a lease could not both record the same step.

use std::time::Duration as StdDuration;

use chrono::Duration;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use vigil_store::{DeskWrite, RecordOrder, RecordQuery, StoreError, TenantScope};

use super::notices::Notice;
use super::{Desk, send_webhook};
use crate::escalation::{ContactRole, Escalation};
use crate::record::{DeskObject, audit, from_record, to_record};
use crate::response::{Channel, Delivery, DeliveryStatus, Purpose};
use crate::{Actor, DeskError};

/// How long a lease lasts without renewal.
const LEASE_TTL_SECS: i64 = 30;

/// The running timers; dropping it does not stop them, [`Workers::stop`] does.
#[derive(Debug)]
pub struct Workers {
    stop: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

impl Workers {
    /// Stops every timer and waits for them.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        for t in self.tasks {
            let _ = t.await;
        }
    }
}

impl Desk {
    /// Starts triage, escalation, delivery, re-screening and checkpoint
    /// timers, polling every `poll` of real time.
    pub fn start_workers(&self, poll: StdDuration) -> Workers {
        let (stop, rx) = watch::channel(false);
        let mut tasks = Vec::new();
        let jobs: [(&'static str, StdDuration); 7] = [
            ("triage", poll),
            ("escalation", poll),
            ("service-levels", poll),
            ("nis2-deadlines", poll),
            ("delivery", poll),
            ("watchlist-rescreening", poll),
            (
                "checkpoint",
                StdDuration::from_secs(self.inner.config.checkpoint_interval_secs.max(1)),
            ),
        ];
        for (name, every) in jobs {
            let desk = self.clone();
            let mut rx = rx.clone();
            tasks.push(tokio::spawn(async move {
                let mut tick = tokio::time::interval(every);
                tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
                loop {
                    tokio::select! {
                        _ = tick.tick() => {}
                        _ = rx.changed() => {}
                    }
                    if *rx.borrow() {
                        if name == "checkpoint" {
                            let _ = desk.checkpoint_now().await;
                        }
                        break;
                    }
                    if let Err(e) = desk.run_job(name).await {
                        tracing::warn!(job = name, error = %e, "desk timer failed; retrying next pass");
                    }
                }
            }));
        }
        Workers { stop, tasks }
    }

    async fn hold(&self, lease: &str) -> Result<bool, DeskError> {
        Ok(self
            .inner
            .store
            .try_lease(
                lease,
                &self.inner.node,
                self.now(),
                Duration::seconds(LEASE_TTL_SECS),
            )
            .await?)
    }

    async fn run_job(&self, name: &str) -> Result<(), DeskError> {
        if !self.hold(name).await? {
            return Ok(());
        }
        match name {
            "triage" => loop {
                let r = self.triage_once().await?;
                if r.changes < super::triage::TRIAGE_BATCH {
                    break Ok(());
                }
            },
            "escalation" => self.fire_due_escalations().await.map(|_| ()),
            "service-levels" => self.check_service_levels_when_due().await.map(|_| ()),
            "nis2-deadlines" => self.check_nis2_deadlines().await.map(|_| ()),
            "delivery" => self.attempt_due_deliveries().await.map(|_| ()),
            // Hits a node stored and did not raise, and entries it did not
            // finish re-screening: each runs whatever the other's outcome.
            "watchlist-rescreening" => {
                let hits = self.raise_pending_hits().await.map(|_| ());
                let entries = self.rescreen_pending().await.map(|_| ());
                hits.and(entries)
            }
            _ => self.checkpoint_now().await.map(|_| ()),
        }
    }

    /// Signs an audit checkpoint if there are new entries.
    pub async fn checkpoint_now(
        &self,
    ) -> Result<Option<vigil_store::audit::Checkpoint>, DeskError> {
        match &self.inner.signer {
            Some(signer) => Ok(self
                .inner
                .store
                .audit_checkpoint(signer, self.now())
                .await?),
            None => Ok(None),
        }
    }

    /// Fires every escalation level due now; returns how many fired.
    pub async fn fire_due_escalations(&self) -> Result<usize, DeskError> {
        let now = self.now();
        let mut q = RecordQuery::new(Escalation::KIND, TenantScope::All);
        q.statuses = vec!["active".into()];
        q.due_by = Some(now);
        q.order = RecordOrder::Due;
        q.limit = 100;
        let actor = Actor::system("escalation");
        let mut fired = 0;
        for record in self.inner.store.desk_records(&q).await? {
            let stored = from_record::<Escalation>(record)?;
            let Some(policy) = self
                .inner
                .config
                .client(&stored.value.tenant)
                .and_then(|c| c.escalation.as_ref())
            else {
                continue;
            };
            let (after, level, recipients) = match stored.value.fire(policy, now) {
                Ok(x) => x,
                Err(_) => continue,
            };
            let mut write = DeskWrite::default();
            let subject = format!(
                "[Vigil] {} alarm unacknowledged for {} min: {} ({})",
                after.severity,
                (now - after.started_at).num_minutes(),
                after.title,
                after.tenant
            );
            for r in &recipients.notify {
                let notice = Notice {
                    tenant: &after.tenant,
                    recipient: r,
                    purpose: Purpose::Escalation {
                        alarm: after.alarm,
                        level,
                        recipient: r.name.clone(),
                    },
                    subject: &subject,
                    payload: serde_json::json!({
                        "alarm": after.alarm,
                        "tenant": after.tenant,
                        "title": after.title,
                        "severity": after.severity,
                        "level": level,
                        "recipient": r.name,
                        "role": match r.role { ContactRole::Operator => "operator", ContactRole::ShiftLead => "shift_lead", ContactRole::ClientContact => "client_contact", ContactRole::OnCall => "on_call" },
                        "raised_at": after.started_at,
                    }),
                };
                self.queue_notice(&mut write, &actor, notice, now)?;
            }
            write.records.push(to_record(&after, stored.version)?);
            write.audit.push(audit(
                &actor,
                "fire",
                Some(&stored.value),
                Some(&after),
                serde_json::json!({"level": level}),
                now,
            ));
            match self.commit(write).await {
                Ok(_) => fired += 1,
                // Someone acknowledged it, or another node fired it first.
                Err(DeskError::Store(StoreError::Conflict { .. })) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(fired)
    }

    /// Attempts every delivery due now; returns how many were attempted.
    pub async fn attempt_due_deliveries(&self) -> Result<usize, DeskError> {
        let now = self.now();
        let mut q = RecordQuery::new(Delivery::KIND, TenantScope::All);
        q.statuses = vec![DeliveryStatus::Pending.as_str().into()];
        q.due_by = Some(now);
        q.order = RecordOrder::Due;
        q.limit = 50;
        let actor = Actor::system("delivery");
        let mut attempted = 0;
        for record in self.inner.store.desk_records(&q).await? {
            let stored = from_record::<Delivery>(record)?;
            let d = &stored.value;
            let body = serde_json::to_vec(&d.payload).unwrap_or_default();
            let (ok, code, error) = match &d.channel {
                Channel::Webhook { endpoint, url } => {
                    let secret = self
                        .inner
                        .config
                        .endpoint(&d.tenant, endpoint)
                        .and_then(|e| e.secret.as_deref());
                    let o = send_webhook(&self.inner.http, url, &d.id, secret, &body, now).await;
                    (o.ok, o.status, o.error)
                }
                Channel::Email { to } => match &self.inner.mailer {
                    Some(m) => {
                        let text = serde_json::to_string_pretty(&d.payload).unwrap_or_default();
                        m.send(to, &d.subject, &text).await
                    }
                    None => (
                        false,
                        None,
                        Some("no SMTP relay configured ([desk.smtp])".into()),
                    ),
                },
            };
            let after = d.record_attempt(ok, code, error.clone(), self.now());
            let detail = serde_json::json!({"attempt": after.attempts.len(), "ok": ok, "code": code, "error": error});
            let write = DeskWrite {
                records: vec![to_record(&after, stored.version)?],
                audit: vec![audit(&actor, "attempt", Some(d), Some(&after), detail, now)],
                ..Default::default()
            };
            match self.commit(write).await {
                Ok(_) => attempted += 1,
                Err(DeskError::Store(StoreError::Conflict { .. })) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(attempted)
    }
}
