//! The alarm: the desk's view of an alert, and its state machine.
//!
//! ```text
//!            acknowledge            start               close (verdict)
//!   new ───────────────► acknowledged ─────► in progress ───────────────► closed
//!    │                        │    ▲ take over (reason)    ▲                │
//!    │                        └────┼───────────────────────┘ close          │
//!    │  auto-close / suppress      │                                        │
//!    └─────────────────────────────┼──────────────────────────► closed ─────┘
//!                                  └──────────── reopen (reason) ◄──────────┘
//! ```
//!
//! Acknowledging takes ownership; only the owner starts or closes; another
//! person takes an owned alarm only by an explicit take-over with a reason,
//! which is recorded. The desk's automation closes only alarms nobody has
//! acknowledged (suppression, the false-alarm model), and every such close
//! can be reopened, which puts the alarm back in the queue.

use chrono::Duration;
use serde::{Deserialize, Serialize};
use vigil_model::{Alert, AlertId, Entity, Severity, SiteId, TenantId, Timestamp};

use crate::{Actor, DeskError, Permission};

/// Where an alarm stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AlarmStatus {
    /// In the queue, nobody has it.
    New,
    /// Someone has taken it.
    Acknowledged,
    /// Its owner is working on it.
    InProgress,
    /// Done with, with a verdict.
    Closed,
}

impl AlarmStatus {
    /// The status's name in JSON and queries.
    pub fn as_str(self) -> &'static str {
        match self {
            AlarmStatus::New => "new",
            AlarmStatus::Acknowledged => "acknowledged",
            AlarmStatus::InProgress => "in_progress",
            AlarmStatus::Closed => "closed",
        }
    }

    /// Parses a status name.
    pub fn parse(name: &str) -> Option<Self> {
        [
            AlarmStatus::New,
            AlarmStatus::Acknowledged,
            AlarmStatus::InProgress,
            AlarmStatus::Closed,
        ]
        .into_iter()
        .find(|s| s.as_str() == name)
    }

    /// The same status on the alert the alarm views.
    pub fn alert_status(self) -> vigil_model::AlertStatus {
        match self {
            AlarmStatus::New => vigil_model::AlertStatus::New,
            AlarmStatus::Acknowledged => vigil_model::AlertStatus::Acknowledged,
            AlarmStatus::InProgress => vigil_model::AlertStatus::InProgress,
            AlarmStatus::Closed => vigil_model::AlertStatus::Closed,
        }
    }
}

/// What an alarm turned out to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Verdict {
    /// A real attack or incident.
    TruePositive,
    /// The rule fired on something it should not have.
    FalsePositive,
    /// Real activity, but expected and harmless (maintenance, a drill).
    Benign,
    /// Already handled under another alarm.
    Duplicate,
}

impl Verdict {
    /// The verdict's name.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::TruePositive => "true_positive",
            Verdict::FalsePositive => "false_positive",
            Verdict::Benign => "benign",
            Verdict::Duplicate => "duplicate",
        }
    }

    /// Whether it counts as a false alarm for learning (`None`: it teaches
    /// nothing either way).
    pub fn is_false_alarm(self) -> Option<bool> {
        match self {
            Verdict::TruePositive => Some(false),
            Verdict::FalsePositive | Verdict::Benign => Some(true),
            Verdict::Duplicate => None,
        }
    }
}

/// Who or what closed an alarm.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "by", rename_all = "snake_case")]
pub enum Closure {
    /// A person, with a verdict.
    Analyst {
        /// Their name.
        actor: String,
    },
    /// The false-alarm model, above the configured confidence.
    Model {
        /// Its predicted probability of a false alarm.
        probability: f64,
        /// The configured threshold it exceeded.
        threshold: f64,
    },
    /// A maintenance window or an analyst suppression.
    Suppression {
        /// The suppression's or window's id.
        id: String,
        /// Its reason.
        reason: String,
    },
}

/// One change of an alarm's status or owner.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Transition {
    /// When.
    pub at: Timestamp,
    /// Who.
    pub actor: String,
    /// The command (`acknowledge`, `take_over` …).
    pub command: String,
    /// Status before.
    pub from: AlarmStatus,
    /// Status after.
    pub to: AlarmStatus,
    /// Owner after.
    pub owner: Option<String>,
    /// The reason or note given.
    pub reason: Option<String>,
}

/// How urgent an alarm is, and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Priority {
    /// 0–100, higher first.
    pub score: f64,
    /// The factors it was computed from.
    pub factors: Vec<(String, f64)>,
}

/// The desk's view of an alert.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Alarm {
    /// The alert's id.
    pub id: AlertId,
    /// Its tenant.
    pub tenant: TenantId,
    /// Its site.
    pub site: Option<SiteId>,
    /// The rule.
    pub rule_id: String,
    /// The rule's title.
    pub rule_title: String,
    /// The rule's severity.
    pub severity: Severity,
    /// What the detections were grouped by.
    pub group_key: String,
    /// The entities the evidence touches.
    pub entities: Vec<Entity>,
    /// Earliest evidence.
    pub first_seen: Timestamp,
    /// Latest evidence.
    pub last_seen: Timestamp,
    /// How many events are evidence.
    pub event_count: u64,
    /// Where it stands.
    pub status: AlarmStatus,
    /// Who holds it.
    pub owner: Option<String>,
    /// The verdict, once closed.
    pub verdict: Option<Verdict>,
    /// Who or what closed it.
    pub closure: Option<Closure>,
    /// How urgent it is.
    pub priority: Priority,
    /// The model's predicted chance that it is a false alarm.
    pub false_alarm: Option<f64>,
    /// The group of related alarms it belongs to (the id of the group's
    /// first alarm; its own id when it leads or stands alone).
    pub group: String,
    /// How many other alarms were related when it was triaged.
    pub related: u32,
    /// The incident it was escalated into, if any.
    pub incident: Option<String>,
    /// Every status and owner change.
    pub transitions: Vec<Transition>,
    /// When the desk first saw it.
    pub raised_at: Timestamp,
    /// When it last changed.
    pub updated_at: Timestamp,
}

/// A command on an alarm.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "command", rename_all = "snake_case")]
pub enum AlarmCommand {
    /// Take the alarm.
    Acknowledge,
    /// Take an alarm someone else holds.
    TakeOver {
        /// Why (recorded; required).
        reason: String,
    },
    /// Start working on it.
    Start,
    /// Close it with a verdict.
    Close {
        /// What it was.
        verdict: Verdict,
        /// A note for the record.
        #[serde(default)]
        note: Option<String>,
    },
    /// Open a closed alarm again.
    Reopen {
        /// Why (recorded; required).
        reason: String,
    },
    /// The false-alarm model closes it (automation only).
    AutoClose {
        /// The predicted probability.
        probability: f64,
        /// The configured threshold.
        threshold: f64,
    },
    /// A suppression or maintenance window closes it (automation only).
    Suppress {
        /// The suppression's id.
        id: String,
        /// Its reason.
        reason: String,
    },
}

impl AlarmCommand {
    /// The command's name.
    pub fn name(&self) -> &'static str {
        match self {
            AlarmCommand::Acknowledge => "acknowledge",
            AlarmCommand::TakeOver { .. } => "take_over",
            AlarmCommand::Start => "start",
            AlarmCommand::Close { .. } => "close",
            AlarmCommand::Reopen { .. } => "reopen",
            AlarmCommand::AutoClose { .. } => "auto_close",
            AlarmCommand::Suppress { .. } => "suppress",
        }
    }
}

/// Shortest reason accepted where one is required.
pub const MIN_REASON_CHARS: usize = 3;

/// Checks that a required reason says something.
pub fn require_reason(field: &'static str, reason: &str) -> Result<String, DeskError> {
    let reason = reason.trim();
    if reason.chars().count() < MIN_REASON_CHARS {
        return Err(DeskError::invalid(
            field,
            format!("a reason of at least {MIN_REASON_CHARS} characters is required"),
        ));
    }
    Ok(reason.chars().take(2000).collect())
}

impl Alarm {
    /// A new alarm for `alert`, first seen by the desk at `now`.
    pub fn from_alert(alert: &Alert, now: Timestamp) -> Self {
        Self {
            id: alert.id,
            tenant: alert.tenant.clone(),
            site: alert.site.clone(),
            rule_id: alert.rule_id.clone(),
            rule_title: alert.rule_title.clone(),
            severity: alert.severity,
            group_key: alert.group_key.clone(),
            entities: alert.entities.clone(),
            first_seen: alert.first_seen,
            last_seen: alert.last_seen,
            event_count: alert.event_count,
            status: AlarmStatus::New,
            owner: None,
            verdict: None,
            closure: None,
            priority: Priority::default(),
            false_alarm: None,
            group: alert.id.to_string(),
            related: 0,
            incident: None,
            transitions: Vec::new(),
            raised_at: now,
            updated_at: now,
        }
    }

    /// Takes in new evidence from the alert (count, times, entities).
    pub fn refresh(&mut self, alert: &Alert, now: Timestamp) {
        self.first_seen = alert.first_seen;
        self.last_seen = alert.last_seen;
        self.event_count = alert.event_count;
        self.entities = alert.entities.clone();
        self.updated_at = now;
    }

    /// How long it has waited in the queue at `now`.
    pub fn age(&self, now: Timestamp) -> Duration {
        now - self.raised_at
    }

    fn refuse(&self, command: &'static str, hint: &str) -> DeskError {
        DeskError::Transition {
            what: "alarm",
            id: self.id.to_string(),
            command,
            state: self.status.as_str().replace('_', " "),
            hint: hint.to_owned(),
        }
    }

    fn require_owner(&self, actor: &Actor) -> Result<(), DeskError> {
        match &self.owner {
            Some(owner) if owner == &actor.name => Ok(()),
            Some(owner) => Err(DeskError::NotOwner {
                id: self.id.to_string(),
                owner: owner.clone(),
                actor: actor.name.clone(),
            }),
            None => Err(self.refuse("work on", "acknowledge it first")),
        }
    }

    /// Applies `command` by `actor` at `now`; returns the alarm after it.
    /// Refusals say why and what would be allowed.
    pub fn apply(
        &self,
        actor: &Actor,
        command: &AlarmCommand,
        now: Timestamp,
    ) -> Result<Alarm, DeskError> {
        use AlarmStatus::*;
        let permission = match command {
            AlarmCommand::TakeOver { .. } => Permission::TakeOver,
            _ => Permission::WorkAlarms,
        };
        actor.require(permission, Some(&self.tenant))?;
        let mut next = self.clone();
        let mut reason = None;
        match (command, self.status) {
            (AlarmCommand::Acknowledge, New) => {
                next.status = Acknowledged;
                next.owner = Some(actor.name.clone());
            }
            (AlarmCommand::Acknowledge, Acknowledged | InProgress) => {
                return Err(match &self.owner {
                    Some(o) if o == &actor.name => {
                        self.refuse("acknowledge", "you already hold it")
                    }
                    _ => self.require_owner(actor).err().unwrap_or_else(|| {
                        self.refuse("acknowledge", "take it over with a reason")
                    }),
                });
            }
            (AlarmCommand::Acknowledge, Closed) => {
                return Err(self.refuse("acknowledge", "reopen it with a reason first"));
            }
            (AlarmCommand::TakeOver { reason: why }, Acknowledged | InProgress) => {
                if self.owner.as_deref() == Some(actor.name.as_str()) {
                    return Err(self.refuse("take over", "you already hold it"));
                }
                reason = Some(require_reason("reason", why)?);
                next.owner = Some(actor.name.clone());
            }
            (AlarmCommand::TakeOver { .. }, New) => {
                return Err(self.refuse("take over", "nobody holds it; acknowledge it"));
            }
            (AlarmCommand::TakeOver { .. }, Closed) => {
                return Err(self.refuse("take over", "reopen it with a reason first"));
            }
            (AlarmCommand::Start, Acknowledged) => {
                self.require_owner(actor)?;
                next.status = InProgress;
            }
            (AlarmCommand::Start, New) => {
                return Err(self.refuse("start", "acknowledge it first"));
            }
            (AlarmCommand::Start, InProgress) => {
                return Err(self.refuse("start", "work is already under way"));
            }
            (AlarmCommand::Start, Closed) => {
                return Err(self.refuse("start", "reopen it with a reason first"));
            }
            (AlarmCommand::Close { verdict, note }, Acknowledged | InProgress) => {
                self.require_owner(actor)?;
                next.status = Closed;
                next.verdict = Some(*verdict);
                next.closure = Some(Closure::Analyst {
                    actor: actor.name.clone(),
                });
                reason = note.as_ref().map(|n| n.chars().take(2000).collect());
            }
            (AlarmCommand::Close { .. }, New) => {
                return Err(self.refuse("close", "acknowledge it first"));
            }
            (AlarmCommand::Close { .. }, Closed) => {
                return Err(self.refuse("close", "it is already closed"));
            }
            (AlarmCommand::Reopen { reason: why }, Closed) => {
                reason = Some(require_reason("reason", why)?);
                match self.closure {
                    // Automation's decision undone: back into the queue.
                    Some(Closure::Model { .. } | Closure::Suppression { .. }) => {
                        next.status = New;
                        next.owner = None;
                    }
                    _ => {
                        next.status = Acknowledged;
                        next.owner = Some(actor.name.clone());
                    }
                }
                next.verdict = None;
                next.closure = None;
            }
            (AlarmCommand::Reopen { .. }, _) => {
                return Err(self.refuse("reopen", "only closed alarms can be reopened"));
            }
            (
                AlarmCommand::AutoClose {
                    probability,
                    threshold,
                },
                New,
            ) if actor.is_system() => {
                if !(probability.is_finite() && probability >= threshold) {
                    return Err(DeskError::invalid(
                        "probability",
                        format!("{probability} is below the threshold {threshold}"),
                    ));
                }
                next.status = Closed;
                next.verdict = Some(Verdict::FalsePositive);
                next.closure = Some(Closure::Model {
                    probability: *probability,
                    threshold: *threshold,
                });
                reason = Some(format!(
                    "false-alarm probability {probability:.3} ≥ {threshold:.3}"
                ));
            }
            (AlarmCommand::Suppress { id, reason: why }, New) if actor.is_system() => {
                next.status = Closed;
                next.verdict = Some(Verdict::Benign);
                next.closure = Some(Closure::Suppression {
                    id: id.clone(),
                    reason: why.clone(),
                });
                reason = Some(format!("{id}: {why}"));
            }
            (AlarmCommand::AutoClose { .. } | AlarmCommand::Suppress { .. }, _) => {
                return Err(if actor.is_system() {
                    self.refuse(
                        command.name(),
                        "automation closes only alarms nobody has taken",
                    )
                } else {
                    DeskError::Forbidden {
                        actor: actor.name.clone(),
                        role: actor.role.map_or("system", |r| r.as_str()).to_owned(),
                        action: format!("{} (the desk's automation does that)", command.name()),
                    }
                });
            }
        }
        next.updated_at = now;
        next.transitions.push(Transition {
            at: now,
            actor: actor.name.clone(),
            command: command.name().to_owned(),
            from: self.status,
            to: next.status,
            owner: next.owner.clone(),
            reason,
        });
        Ok(next)
    }
}

#[cfg(test)]
mod tests;
