//! The desk at work: commands read from and written to the
//! [`DeskStore`], each validated by the domain, committed with its audit
//! entries in one transaction, and announced to live listeners.
//!
//! - [`Desk`] is the handle every caller shares (the HTTP API, the CLI's
//!   server side, the bench).
//! - The commands and reads callers use, one file per thing they act on,
//!   each its own `impl Desk` block: `alarms.rs` (the queue), `sops.rs`,
//!   `suppressions.rs`, `maintenance.rs`, `incidents.rs`, `responses.rs`
//!   (response actions and their deliveries), `escalations.rs`, `audit.rs`;
//!   `reporting.rs` reads the alarms the reports are computed from;
//!   `compliance/` gathers a client's evidence pack, records it in the
//!   audit chain, and checks an exported pack against that record.
//! - `triage.rs` turns every new or grown alert (read from the store's
//!   alert change feed by cursor, never from the lossy bus) into an alarm:
//!   suppression, grouping, scoring, auto-close, escalation.
//! - `workers.rs` runs the timers: escalation levels, delivery retries,
//!   audit checkpoints — each under a lease so that one node does it.
//! - `send.rs` delivers webhooks (HMAC-signed, reqwest) and e-mail (SMTP,
//!   lettre).

mod access_review;
mod alarms;
mod audit;
mod compliance;
mod escalations;
mod governance;
mod incidents;
mod lifecycle;
mod maintenance;
mod notices;
mod offboarding;
mod procedures;
mod regulation;
mod regulation_reminders;
mod reporting;
mod rescreening;
mod responses;
mod screening;
mod send;
mod shift;
mod site_images;
mod sla;
mod sops;
mod suppressions;
mod triage;
mod triaged;
mod video;
mod visitor_retention;
mod visitors;
mod workers;

use std::sync::{Arc, Mutex};

use rand::RngCore;
use tokio::sync::watch;
use vigil_model::{Clock, TenantId, Timestamp};
use vigil_store::audit::AuditSigner;
use vigil_store::{DeskStore, DeskWrite, RecordQuery, TenantScope};

use crate::config::DeskConfig;
use crate::learner::FalseAlarmModel;
use crate::record::{DeskObject, ModelRecord, Stored, from_record};
use crate::sop::SopLibrary;
use crate::{Actor, DeskError, Permission};

pub use access_review::{AccessHolder, AccessReview};
pub use alarms::AlarmFilter;
pub use compliance::{
    ComplianceRequest, EvidenceSettings, PackVerification, VerifyPackError, verify_evidence_pack,
};
pub use governance::{RETENTION_BATCH, RetentionOutcome};
pub use incidents::IncidentView;
pub use lifecycle::{DeviceReportOutcome, UNPLANNED_FIRMWARE_RULE, WorkOrderPlan};
pub use offboarding::{CLIENT_RECORD_KINDS, OffboardDeletion};
pub use procedures::AlarmProcedure;
pub use regulation_reminders::Nis2ReminderRecord;
pub use reporting::ServiceReportRequest;
pub use send::{Mailer, WebhookOutcome, send_webhook};
pub use shift::ShiftLog;
pub use sla::{ServiceLevels, SlaCrossingRecord};
pub use triage::TriageReport;
pub use visitors::{RollCallView, VisitStep, VisitorOutcome, WatchlistAdded};
pub use workers::Workers;

/// Verdicts learned between saves of the model.
const MODEL_SAVE_EVERY: u64 = 25;

/// The desk service. Cheap to clone; clones share everything.
#[derive(Clone)]
pub struct Desk {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Desk {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Desk")
            .field("node", &self.inner.node)
            .finish()
    }
}

struct Inner {
    store: Arc<dyn DeskStore>,
    clock: Arc<dyn Clock>,
    config: DeskConfig,
    sops: SopLibrary,
    model: Mutex<ModelState>,
    changed: watch::Sender<u64>,
    signer: Option<AuditSigner>,
    mailer: Option<Mailer>,
    http: reqwest::Client,
    node: String,
    /// The alarms triage last read or wrote (`triaged.rs`).
    triaged: triaged::TriagedAlarms,
    /// Contracts, rule facts and the crossings already recorded (`sla.rs`).
    sla: sla::SlaState,
    /// The node's retention and token register (`compliance/`).
    evidence: compliance::EvidenceState,
    /// The retention policy and configured legal holds (`governance.rs`).
    retention: Mutex<crate::governance::RetentionPolicy>,
    /// Response plans and rule notes (`procedures.rs`).
    procedures: procedures::ProcedureState,
    /// Where each client's data must stay (`governance.rs`).
    residency: Mutex<std::collections::BTreeMap<TenantId, crate::governance::Residency>>,
    /// The advisory catalogue cached on this node (`lifecycle/`).
    lifecycle: lifecycle::LifecycleState,
    /// When this desk started: the placement time shown for holds set in
    /// configuration.
    started_at: Timestamp,
    /// Visitors' secrets, settings and live state (`visitors.rs`).
    visitors: visitors::VisitorState,
}

struct ModelState {
    model: FalseAlarmModel,
    version: i64,
    unsaved: u64,
}

/// The SOPs built into Vigil, for its own rules.
const BUILTIN_SOPS: &[(&str, &str)] = &[
    ("builtin/sops.toml", include_str!("../../sops/builtin.toml")),
    (
        "builtin/procedures.toml",
        include_str!("../../sops/procedures.toml"),
    ),
];

impl Desk {
    /// A desk over `store`, reading time from `clock`. Loads SOPs and the
    /// saved model; `signer` signs audit checkpoints (none: no checkpoints).
    pub async fn new(
        store: Arc<dyn DeskStore>,
        clock: Arc<dyn Clock>,
        config: DeskConfig,
        signer: Option<AuditSigner>,
    ) -> Result<Self, DeskError> {
        let mut sops = SopLibrary::default();
        if config.builtin_sops {
            for (name, text) in BUILTIN_SOPS {
                sops.add(
                    name,
                    SopLibrary::parse(name, text, crate::sop::SopFormat::Toml)?,
                )?;
            }
        }
        for dir in &config.sop_dirs {
            sops.load_dir(dir)?;
        }
        let saved = store
            .desk_record(ModelRecord::KIND, "false-alarm", &TenantScope::All)
            .await?;
        let (model, version) = match saved {
            Some(r) => {
                let Stored { value, version } = from_record::<ModelRecord>(r)?;
                (value.model, version)
            }
            None => (FalseAlarmModel::default(), 0),
        };
        let mailer = config.smtp.as_ref().map(Mailer::new).transpose()?;
        let mut node = [0u8; 8];
        rand::rng().fill_bytes(&mut node);
        Ok(Self {
            inner: Arc::new(Inner {
                store,
                started_at: clock.now(),
                clock,
                config,
                sops,
                model: Mutex::new(ModelState {
                    model,
                    version,
                    unsaved: 0,
                }),
                changed: watch::channel(0).0,
                signer,
                mailer,
                http: reqwest::Client::builder()
                    .timeout(std::time::Duration::from_secs(10))
                    .build()
                    .unwrap_or_default(),
                node: format!("node-{}", hex::encode(node)),
                triaged: Default::default(),
                sla: Default::default(),
                evidence: Default::default(),
                retention: Default::default(),
                residency: Default::default(),
                procedures: Default::default(),
                visitors: Default::default(),
                lifecycle: Default::default(),
            }),
        })
    }

    /// The store.
    pub fn store(&self) -> &Arc<dyn DeskStore> {
        &self.inner.store
    }

    /// The configuration.
    pub fn config(&self) -> &DeskConfig {
        &self.inner.config
    }

    /// The SOP library.
    pub fn sops(&self) -> &SopLibrary {
        &self.inner.sops
    }

    /// The current time.
    pub fn now(&self) -> Timestamp {
        self.inner.clock.now()
    }

    /// The checkpoint signer, if any.
    pub fn signer(&self) -> Option<&AuditSigner> {
        self.inner.signer.as_ref()
    }

    /// A receiver that changes whenever the desk commits something (the
    /// live stream waits on it, then reads the desk feed).
    pub fn changes(&self) -> watch::Receiver<u64> {
        self.inner.changed.subscribe()
    }

    /// A new id: time-ordered, with `prefix`.
    pub(crate) fn new_id(&self, prefix: &str) -> String {
        let mut random = [0u8; 10];
        rand::rng().fill_bytes(&mut random);
        let millis = self.now().timestamp_millis().max(0) as u64;
        let id = uuid::Builder::from_unix_timestamp_millis(millis, &random).into_uuid();
        format!("{prefix}-{}", id.simple())
    }

    /// Commits `write` and tells live listeners.
    pub(crate) async fn commit(
        &self,
        write: DeskWrite,
    ) -> Result<vigil_store::DeskReceipt, DeskError> {
        // Before the write: triage must not trust what it remembers of
        // these alarms once they may have changed.
        self.inner.triaged.forget_written(&write);
        let receipt = self.inner.store.desk_commit(write).await?;
        self.inner.changed.send_modify(|n| *n = n.wrapping_add(1));
        Ok(receipt)
    }

    /// Commits one object `actor` changed — over `before` (its stored
    /// version), or new when `before` is `None` — with the audit entry
    /// saying so, in one transaction.
    pub(crate) async fn commit_one<T: DeskObject>(
        &self,
        actor: &Actor,
        action: &str,
        before: Option<&Stored<T>>,
        after: &T,
        detail: serde_json::Value,
        now: Timestamp,
    ) -> Result<(), DeskError> {
        let version = before.map_or(0, |b| b.version);
        self.commit(DeskWrite {
            records: vec![crate::record::to_record(after, version)?],
            audit: vec![crate::record::audit(
                actor,
                action,
                before.map(|b| &b.value),
                Some(after),
                detail,
                now,
            )],
            ..Default::default()
        })
        .await?;
        Ok(())
    }

    /// The scope of a listing: `tenant` when the actor may view it, else
    /// everything the actor may see.
    pub(crate) fn scope_for(
        &self,
        actor: &Actor,
        tenant: Option<&TenantId>,
    ) -> Result<TenantScope, DeskError> {
        actor.require(Permission::View, tenant)?;
        Ok(match tenant {
            Some(t) => TenantScope::One(t.clone()),
            None => actor.scope(),
        })
    }

    /// Reads one object of kind `T` in `scope`.
    pub(crate) async fn read<T: DeskObject>(
        &self,
        id: &str,
        scope: &TenantScope,
    ) -> Result<Stored<T>, DeskError> {
        match self.inner.store.desk_record(T::KIND, id, scope).await? {
            Some(r) => Ok(from_record(r)?),
            None => Err(DeskError::NotFound {
                what: T::KIND,
                id: id.chars().take(80).collect(),
            }),
        }
    }

    /// Reads objects of kind `T`.
    pub(crate) async fn list<T: DeskObject>(
        &self,
        query: &RecordQuery,
    ) -> Result<Vec<Stored<T>>, DeskError> {
        self.inner
            .store
            .desk_records(query)
            .await?
            .into_iter()
            .map(|r| from_record(r).map_err(DeskError::from))
            .collect()
    }

    /// The model's prediction for `alarm`, and how many verdicts it has seen.
    pub fn predict(&self, alarm: &crate::alarm::Alarm) -> (f64, u64) {
        let state = self.inner.model.lock().unwrap_or_else(|p| p.into_inner());
        (state.model.predict(alarm), state.model.updates)
    }

    /// A copy of the model.
    pub fn model(&self) -> FalseAlarmModel {
        self.inner
            .model
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .model
            .clone()
    }

    /// Learns from a verdict; returns the model record to save with the
    /// verdict's write when it is time to save.
    pub(crate) fn learn(
        &self,
        alarm: &crate::alarm::Alarm,
        false_alarm: bool,
    ) -> Option<(ModelRecord, i64)> {
        let mut state = self.inner.model.lock().unwrap_or_else(|p| p.into_inner());
        state.model.learn(alarm, false_alarm);
        state.unsaved += 1;
        if state.unsaved >= MODEL_SAVE_EVERY {
            Some((
                ModelRecord {
                    model: state.model.clone(),
                    updated_at: self.now(),
                },
                state.version,
            ))
        } else {
            None
        }
    }

    /// Notes that the model was saved at `version`.
    pub(crate) fn model_saved(&self, version: i64) {
        let mut state = self.inner.model.lock().unwrap_or_else(|p| p.into_inner());
        state.version = version;
        state.unsaved = 0;
    }

    /// Saves the model now (at shutdown).
    pub async fn save_model(&self) -> Result<(), DeskError> {
        let (record, version) = {
            let state = self.inner.model.lock().unwrap_or_else(|p| p.into_inner());
            if state.unsaved == 0 {
                return Ok(());
            }
            (
                ModelRecord {
                    model: state.model.clone(),
                    updated_at: self.now(),
                },
                state.version,
            )
        };
        let receipt = self
            .commit(DeskWrite {
                records: vec![crate::record::to_record(&record, version)?],
                ..Default::default()
            })
            .await?;
        if let Some(v) = receipt.versions.first() {
            self.model_saved(*v);
        }
        Ok(())
    }
}
