//! How desk objects are stored: each kind is a [`vigil_store::DeskRecord`]
//! with the columns the desk queries by, and each change an audit record
//! with digests of the object before and after.

use serde::Serialize;
use serde::de::DeserializeOwned;
use vigil_model::{AlertId, TenantId, Timestamp};
use vigil_store::audit::{AuditRecord, digest_json};
use vigil_store::{DeskRecord, RecordBody, StoreError};

use crate::Actor;
use crate::alarm::{Alarm, AlarmStatus};
use crate::escalation::Escalation;
use crate::incident::Incident;
use crate::learner::FalseAlarmModel;
use crate::response::Delivery;
use crate::sop::SopRun;
use crate::suppression::{MaintenanceWindow, Suppression};

/// A desk object kind and how it maps to a record's columns.
pub trait DeskObject: Serialize + DeserializeOwned + Clone {
    /// The record kind.
    const KIND: &'static str;
    /// Its id.
    fn id(&self) -> String;
    /// Its tenant.
    fn tenant(&self) -> Option<TenantId>;
    /// Its status column.
    fn status(&self) -> String;
    /// Its rank column.
    fn rank(&self) -> f64 {
        0.0
    }
    /// Its owner column.
    fn owner(&self) -> Option<String> {
        None
    }
    /// Its link column.
    fn link(&self) -> Option<String> {
        None
    }
    /// Its alert column.
    fn alert(&self) -> Option<AlertId> {
        None
    }
    /// Its `at` column.
    fn at(&self) -> Timestamp;
    /// Its due column.
    fn due_at(&self) -> Option<Timestamp> {
        None
    }
    /// Its last change.
    fn updated_at(&self) -> Timestamp;
}

/// A desk object and the version it was read at.
#[derive(Debug, Clone, PartialEq)]
pub struct Stored<T> {
    /// The object.
    pub value: T,
    /// The stored version (0 when new).
    pub version: i64,
}

/// The record for `value`, written over `version`.
pub fn to_record<T: DeskObject>(value: &T, version: i64) -> Result<DeskRecord, StoreError> {
    Ok(DeskRecord {
        kind: T::KIND.to_owned(),
        id: value.id(),
        tenant: value.tenant(),
        version,
        status: value.status(),
        rank: value.rank(),
        owner: value.owner(),
        link: value.link(),
        alert: value.alert(),
        at: value.at(),
        due_at: value.due_at(),
        updated_at: value.updated_at(),
        body: RecordBody::of(value).map_err(|e| StoreError::Corrupt {
            what: "desk record",
            id: value.id(),
            reason: e.to_string(),
        })?,
    })
}

/// The object in `record`.
pub fn from_record<T: DeskObject>(record: DeskRecord) -> Result<Stored<T>, StoreError> {
    let version = record.version;
    let value = record.body.read().map_err(|e| StoreError::Corrupt {
        what: "desk record",
        id: format!("{}/{}", record.kind, record.id),
        reason: e.to_string(),
    })?;
    Ok(Stored { value, version })
}

/// The audit record of `actor` doing `action` to an object of kind `T`.
pub fn audit<T: DeskObject>(
    actor: &Actor,
    action: &str,
    before: Option<&T>,
    after: Option<&T>,
    detail: serde_json::Value,
    now: Timestamp,
) -> AuditRecord {
    let any = after.or(before);
    AuditRecord {
        at: now,
        actor: actor.name.clone(),
        tenant: any.and_then(|v| v.tenant()),
        action: format!("{}.{action}", T::KIND),
        object: format!("{}/{}", T::KIND, any.map(|v| v.id()).unwrap_or_default()),
        before: before.map(digest_json),
        after: after.map(digest_json),
        detail,
    }
}

impl DeskObject for Alarm {
    const KIND: &'static str = "alarm";
    fn id(&self) -> String {
        self.id.to_string()
    }
    fn tenant(&self) -> Option<TenantId> {
        Some(self.tenant.clone())
    }
    fn status(&self) -> String {
        self.status.as_str().into()
    }
    fn rank(&self) -> f64 {
        self.priority.score
    }
    fn owner(&self) -> Option<String> {
        self.owner.clone()
    }
    fn link(&self) -> Option<String> {
        Some(self.group.clone())
    }
    fn alert(&self) -> Option<AlertId> {
        Some(self.id)
    }
    /// Its first evidence: the queue puts the older of two equally urgent
    /// alarms first, and alarms raised in one triage pass share `raised_at`,
    /// so that tie would otherwise fall to the id, a hash.
    fn at(&self) -> Timestamp {
        self.first_seen
    }
    fn updated_at(&self) -> Timestamp {
        self.updated_at
    }
}

impl Alarm {
    /// Whether an operator must look at it: not closed by automation.
    pub fn needs_a_person(&self) -> bool {
        !(self.status == AlarmStatus::Closed
            && matches!(
                self.closure,
                Some(
                    crate::alarm::Closure::Model { .. } | crate::alarm::Closure::Suppression { .. }
                )
            ))
    }
}

impl DeskObject for Incident {
    const KIND: &'static str = "incident";
    fn id(&self) -> String {
        self.id.clone()
    }
    fn tenant(&self) -> Option<TenantId> {
        Some(self.tenant.clone())
    }
    fn status(&self) -> String {
        self.state.as_str().into()
    }
    fn rank(&self) -> f64 {
        f64::from(self.severity.rank())
    }
    fn owner(&self) -> Option<String> {
        self.assignee.clone()
    }
    fn at(&self) -> Timestamp {
        self.opened_at
    }
    fn updated_at(&self) -> Timestamp {
        self.updated_at
    }
}

impl DeskObject for Suppression {
    const KIND: &'static str = "suppression";
    fn id(&self) -> String {
        self.id.clone()
    }
    fn tenant(&self) -> Option<TenantId> {
        Some(self.tenant.clone())
    }
    fn status(&self) -> String {
        if self.lifted.is_some() {
            "lifted"
        } else {
            "set"
        }
        .into()
    }
    fn owner(&self) -> Option<String> {
        Some(self.created_by.clone())
    }
    fn at(&self) -> Timestamp {
        self.created_at
    }
    fn due_at(&self) -> Option<Timestamp> {
        Some(self.expires_at)
    }
    fn updated_at(&self) -> Timestamp {
        self.lifted.as_ref().map_or(self.created_at, |(_, at)| *at)
    }
}

impl DeskObject for MaintenanceWindow {
    const KIND: &'static str = "maintenance";
    fn id(&self) -> String {
        self.id.clone()
    }
    fn tenant(&self) -> Option<TenantId> {
        Some(self.tenant.clone())
    }
    fn status(&self) -> String {
        if self.cancelled.is_some() {
            "cancelled"
        } else {
            "declared"
        }
        .into()
    }
    fn owner(&self) -> Option<String> {
        Some(self.created_by.clone())
    }
    fn at(&self) -> Timestamp {
        self.starts_at
    }
    fn due_at(&self) -> Option<Timestamp> {
        Some(self.ends_at)
    }
    fn updated_at(&self) -> Timestamp {
        self.cancelled
            .as_ref()
            .map_or(self.created_at, |(_, at)| *at)
    }
}

impl DeskObject for SopRun {
    const KIND: &'static str = "sop_run";
    fn id(&self) -> String {
        self.id.clone()
    }
    fn tenant(&self) -> Option<TenantId> {
        Some(self.tenant.clone())
    }
    fn status(&self) -> String {
        if self.completed_at.is_some() {
            "completed"
        } else {
            "open"
        }
        .into()
    }
    fn owner(&self) -> Option<String> {
        Some(self.started_by.clone())
    }
    fn link(&self) -> Option<String> {
        self.alarm.map(|a| a.to_string())
    }
    fn alert(&self) -> Option<AlertId> {
        self.alarm
    }
    fn at(&self) -> Timestamp {
        self.started_at
    }
    fn updated_at(&self) -> Timestamp {
        self.steps
            .iter()
            .filter_map(|s| s.at)
            .max()
            .unwrap_or(self.started_at)
    }
}

impl DeskObject for Delivery {
    const KIND: &'static str = "delivery";
    fn id(&self) -> String {
        self.id.clone()
    }
    fn tenant(&self) -> Option<TenantId> {
        Some(self.tenant.clone())
    }
    fn status(&self) -> String {
        self.status.as_str().into()
    }
    fn owner(&self) -> Option<String> {
        Some(self.requested_by.clone())
    }
    fn link(&self) -> Option<String> {
        match &self.purpose {
            crate::response::Purpose::Action { incident, .. } => incident.clone(),
            crate::response::Purpose::Escalation { alarm, .. } => Some(alarm.to_string()),
            crate::response::Purpose::ServiceLevel { event, .. }
            | crate::response::Purpose::RegulatoryDeadline { event, .. } => Some(event.clone()),
        }
    }
    fn at(&self) -> Timestamp {
        self.requested_at
    }
    fn due_at(&self) -> Option<Timestamp> {
        self.next_attempt_at
    }
    fn updated_at(&self) -> Timestamp {
        self.attempts.last().map_or(self.requested_at, |a| a.at)
    }
}

impl DeskObject for Escalation {
    const KIND: &'static str = "escalation";
    fn id(&self) -> String {
        self.alarm.to_string()
    }
    fn tenant(&self) -> Option<TenantId> {
        Some(self.tenant.clone())
    }
    fn status(&self) -> String {
        if self.is_active() { "active" } else { "done" }.into()
    }
    fn alert(&self) -> Option<AlertId> {
        Some(self.alarm)
    }
    fn at(&self) -> Timestamp {
        self.started_at
    }
    fn due_at(&self) -> Option<Timestamp> {
        self.next_due
    }
    fn updated_at(&self) -> Timestamp {
        let fired = self.fired.last().map(|f| f.at);
        let stopped = self.stopped.as_ref().map(|(_, at)| *at);
        fired.max(stopped).unwrap_or(self.started_at)
    }
}

/// The false-alarm model as a provider-wide record.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct ModelRecord {
    /// The model.
    pub model: FalseAlarmModel,
    /// When it last learned.
    pub updated_at: Timestamp,
}

impl DeskObject for ModelRecord {
    const KIND: &'static str = "model";
    fn id(&self) -> String {
        "false-alarm".into()
    }
    fn tenant(&self) -> Option<TenantId> {
        None
    }
    fn status(&self) -> String {
        "trained".into()
    }
    fn rank(&self) -> f64 {
        self.model.updates as f64
    }
    fn at(&self) -> Timestamp {
        self.updated_at
    }
    fn updated_at(&self) -> Timestamp {
        self.updated_at
    }
}

/// Triage's position in the alert change feed.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct TriageCursor {
    /// The last feed position handled.
    pub position: i64,
    /// When it moved.
    pub updated_at: Timestamp,
}

impl DeskObject for TriageCursor {
    const KIND: &'static str = "cursor";
    fn id(&self) -> String {
        "triage".into()
    }
    fn tenant(&self) -> Option<TenantId> {
        None
    }
    fn status(&self) -> String {
        "at".into()
    }
    fn rank(&self) -> f64 {
        self.position as f64
    }
    fn at(&self) -> Timestamp {
        self.updated_at
    }
    fn updated_at(&self) -> Timestamp {
        self.updated_at
    }
}
