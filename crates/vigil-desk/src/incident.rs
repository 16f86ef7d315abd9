//! Incidents: what the provider runs to closure for a client.
//!
//! ```text
//! new → triaged → contained → eradicated → recovered → closed (resolution, lessons learned)
//!  └───────┴──── close as false alarm or duplicate ──────────┘      │
//!                     triaged ◄────────── reopen (reason) ─────────┘
//! ```
//!
//! States move forward one step at a time; an incident that turns out not
//! to be one is closed early with that resolution; a closed incident can be
//! reopened (to `triaged`), and that is recorded. Everything people do to
//! an incident is an entry in its activity, which the timeline merges with
//! the evidence and the alarms' transitions.

use serde::{Deserialize, Serialize};
use vigil_model::{AlertId, Severity, SiteId, TenantId, Timestamp};

use vigil_contract::PauseState;

use crate::alarm::require_reason;
use crate::sla::{SlaMark, SlaMarkKind};
use crate::{Actor, DeskError, Permission};

// One type for the concept: the reports count alarms and incidents by the
// same categories. Re-exported because callers name it `incident::Category`.
pub use crate::reporting::Category;

/// Where an incident stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IncidentState {
    /// Opened, not yet assessed.
    New,
    /// Assessed: scope, severity and owner known.
    Triaged,
    /// The harm is stopped from spreading.
    Contained,
    /// The cause is removed.
    Eradicated,
    /// Operations are back to normal.
    Recovered,
    /// Done, with a resolution and lessons learned.
    Closed,
}

impl IncidentState {
    /// Every state, in order.
    pub const ALL: [IncidentState; 6] = [
        IncidentState::New,
        IncidentState::Triaged,
        IncidentState::Contained,
        IncidentState::Eradicated,
        IncidentState::Recovered,
        IncidentState::Closed,
    ];

    /// The state's name.
    pub fn as_str(self) -> &'static str {
        match self {
            IncidentState::New => "new",
            IncidentState::Triaged => "triaged",
            IncidentState::Contained => "contained",
            IncidentState::Eradicated => "eradicated",
            IncidentState::Recovered => "recovered",
            IncidentState::Closed => "closed",
        }
    }

    /// Parses a state name.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == name)
    }

    /// The state after this one.
    pub fn next(self) -> Option<Self> {
        let i = Self::ALL.iter().position(|s| *s == self)?;
        Self::ALL.get(i + 1).copied()
    }
}

/// How an incident ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ResolutionKind {
    /// It was real and is resolved.
    Resolved,
    /// It was not an incident after all.
    FalseAlarm,
    /// Another incident covers it.
    Duplicate,
}

/// Traffic Light Protocol marking of an observable (FIRST TLP 2.0).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Tlp {
    /// Public.
    Clear,
    /// The community.
    Green,
    /// The organisation and its clients, need to know.
    Amber,
    /// The organisation only.
    AmberStrict,
    /// Named recipients only.
    Red,
}

/// What kind of thing an observable is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ObservableKind {
    /// An IP address.
    Ip,
    /// A domain name.
    Domain,
    /// A file hash.
    Hash,
    /// A user account.
    Account,
    /// A badge.
    Badge,
    /// A device (host, door, camera, panel).
    Device,
}

impl ObservableKind {
    /// Its name in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            ObservableKind::Ip => "ip",
            ObservableKind::Domain => "domain",
            ObservableKind::Hash => "hash",
            ObservableKind::Account => "account",
            ObservableKind::Badge => "badge",
            ObservableKind::Device => "device",
        }
    }
}

/// A thing seen in an incident.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Observable {
    /// What kind.
    pub kind: ObservableKind,
    /// Its value.
    pub value: String,
    /// Who may be told.
    pub tlp: Tlp,
}

/// A task within an incident.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Task {
    /// Its id within the incident (1, 2, …).
    pub id: u32,
    /// What to do.
    pub title: String,
    /// Who should.
    pub assignee: Option<String>,
    /// Who did it, and when.
    pub done: Option<(String, Timestamp)>,
}

/// One thing a person (or the desk) did to an incident.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Activity {
    /// When.
    pub at: Timestamp,
    /// Who.
    pub actor: String,
    /// What (`open`, `advance`, `note`, `task_done` …).
    pub action: String,
    /// Details for people.
    pub text: String,
}

/// An incident.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Incident {
    /// Its id.
    pub id: String,
    /// The client.
    pub tenant: TenantId,
    /// A short title.
    pub title: String,
    /// How bad.
    pub severity: Severity,
    /// What kind.
    pub category: Category,
    /// Where it stands.
    pub state: IncidentState,
    /// Affected sites.
    pub sites: Vec<SiteId>,
    /// Affected assets (hosts, doors, cameras…).
    pub assets: Vec<String>,
    /// The alarms it was opened from or linked to.
    pub alarms: Vec<AlertId>,
    /// What each of those alarms named when it was linked (the SLA
    /// calendar reads it: see [`crate::planned_maintenance`]); kept here so
    /// that the incident's clocks stay a function of its own record.
    #[serde(default)]
    pub linked: Vec<LinkedAlarm>,
    /// Observables with TLP markings.
    pub observables: Vec<Observable>,
    /// Tasks.
    pub tasks: Vec<Task>,
    /// Who opened it.
    pub opened_by: String,
    /// Who is working it now (the queue's owner filter reads it).
    #[serde(default)]
    pub assignee: Option<String>,
    /// When.
    pub opened_at: Timestamp,
    /// How it ended.
    pub resolution: Option<(ResolutionKind, String)>,
    /// What to do differently.
    pub lessons_learned: Option<String>,
    /// How often it was reopened.
    pub reopened: u32,
    /// Everything people did to it.
    pub activity: Vec<Activity>,
    /// What its service-level clocks read: states entered, the client
    /// told, pauses and resumptions (see [`crate::sla`]).
    #[serde(default)]
    pub sla_marks: Vec<SlaMark>,
    /// Its NIS-2 significance and reports, once assessed.
    #[serde(default)]
    pub nis2: Option<crate::regulation::Nis2Record>,
    /// When it last changed.
    pub updated_at: Timestamp,
}

/// What a linked alarm named: its site and its entities' values.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkedAlarm {
    /// The alarm.
    pub alarm: AlertId,
    /// Its site, if known.
    pub site: Option<SiteId>,
    /// Its entities' values (hosts, doors, cameras, users…).
    pub entities: Vec<String>,
}

impl LinkedAlarm {
    /// What `alarm` names.
    pub fn of(alarm: &crate::alarm::Alarm) -> Self {
        Self {
            alarm: alarm.id,
            site: alarm.site.clone(),
            entities: alarm.entities.iter().map(|e| e.value.clone()).collect(),
        }
    }
}

/// What an incident is opened with.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewIncident {
    /// The client.
    pub tenant: TenantId,
    /// A short title.
    pub title: String,
    /// How bad.
    pub severity: Severity,
    /// What kind.
    pub category: Category,
    /// Affected sites.
    #[serde(default)]
    pub sites: Vec<SiteId>,
    /// Affected assets.
    #[serde(default)]
    pub assets: Vec<String>,
    /// Alarms it is opened from.
    #[serde(default)]
    pub alarms: Vec<AlertId>,
}

/// A command on an incident.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "command", rename_all = "snake_case")]
pub enum IncidentCommand {
    /// Move to the next state.
    Advance {
        /// The state to move to (must be the next one).
        to: IncidentState,
    },
    /// Close it.
    Close {
        /// How it ended.
        resolution: ResolutionKind,
        /// What was done.
        summary: String,
        /// What to do differently.
        lessons_learned: String,
    },
    /// Open a closed incident again.
    Reopen {
        /// Why.
        reason: String,
    },
    /// Add a note.
    Note {
        /// The note.
        text: String,
    },
    /// Add an observable.
    Observe {
        /// The observable.
        observable: Observable,
    },
    /// Add a task.
    AddTask {
        /// What to do.
        title: String,
        /// Who should.
        #[serde(default)]
        assignee: Option<String>,
    },
    /// Mark a task done.
    CompleteTask {
        /// The task's id.
        task: u32,
    },
    /// Link an alarm.
    LinkAlarm {
        /// The alarm.
        alarm: AlertId,
    },
    /// Change the severity.
    SetSeverity {
        /// The new severity.
        severity: Severity,
        /// Why.
        reason: String,
    },
    /// Record that the client was told (by phone, e-mail, the portal …).
    NotifyClient {
        /// How, and whom.
        how: String,
    },
    /// Stop the service-level clocks while the desk waits for someone.
    PauseSla {
        /// Whom the desk waits for.
        state: PauseState,
        /// Why (recorded; required).
        reason: String,
    },
    /// Start the service-level clocks again.
    ResumeSla,
    /// Give it to someone (or to nobody: `null`).
    Assign {
        /// Who (a person's name as they log in).
        #[serde(default)]
        assignee: Option<String>,
    },
}

impl IncidentCommand {
    /// The command's name.
    pub fn name(&self) -> &'static str {
        match self {
            IncidentCommand::Advance { .. } => "advance",
            IncidentCommand::Close { .. } => "close",
            IncidentCommand::Reopen { .. } => "reopen",
            IncidentCommand::Note { .. } => "note",
            IncidentCommand::Observe { .. } => "observe",
            IncidentCommand::AddTask { .. } => "add_task",
            IncidentCommand::CompleteTask { .. } => "complete_task",
            IncidentCommand::LinkAlarm { .. } => "link_alarm",
            IncidentCommand::SetSeverity { .. } => "set_severity",
            IncidentCommand::NotifyClient { .. } => "notify_client",
            IncidentCommand::PauseSla { .. } => "pause_sla",
            IncidentCommand::ResumeSla => "resume_sla",
            IncidentCommand::Assign { .. } => "assign",
        }
    }
}

fn text_field(field: &'static str, text: &str, max: usize) -> Result<String, DeskError> {
    let t = text.trim();
    if t.is_empty() {
        return Err(DeskError::invalid(field, "must not be empty"));
    }
    if t.chars().count() > max {
        return Err(DeskError::invalid(
            field,
            format!("longer than {max} characters"),
        ));
    }
    Ok(t.to_owned())
}

impl Incident {
    /// Opens an incident.
    pub fn open(
        actor: &Actor,
        id: String,
        new: NewIncident,
        now: Timestamp,
    ) -> Result<Self, DeskError> {
        actor.require(Permission::WorkIncidents, Some(&new.tenant))?;
        let title = text_field("title", &new.title, 200)?;
        let mut alarms = new.alarms;
        alarms.dedup();
        Ok(Self {
            id,
            tenant: new.tenant,
            title: title.clone(),
            severity: new.severity,
            category: new.category,
            state: IncidentState::New,
            sites: new.sites,
            assets: new.assets,
            alarms,
            linked: Vec::new(),
            observables: Vec::new(),
            tasks: Vec::new(),
            opened_by: actor.name.clone(),
            assignee: None,
            opened_at: now,
            resolution: None,
            lessons_learned: None,
            reopened: 0,
            activity: vec![Activity {
                at: now,
                actor: actor.name.clone(),
                action: "open".into(),
                text: title,
            }],
            sla_marks: Vec::new(),
            nis2: None,
            updated_at: now,
        })
    }

    /// Whether its service-level clocks are paused now.
    pub fn sla_paused(&self) -> bool {
        self.sla_marks
            .iter()
            .rev()
            .find_map(|m| match m.kind {
                SlaMarkKind::Paused { .. } => Some(true),
                SlaMarkKind::Resumed => Some(false),
                _ => None,
            })
            .unwrap_or(false)
    }

    fn refuse(&self, command: &'static str, hint: impl Into<String>) -> DeskError {
        DeskError::Transition {
            what: "incident",
            id: self.id.clone(),
            command,
            state: self.state.as_str().into(),
            hint: hint.into(),
        }
    }

    /// Applies `command` by `actor` at `now`.
    pub fn apply(
        &self,
        actor: &Actor,
        command: &IncidentCommand,
        now: Timestamp,
    ) -> Result<Incident, DeskError> {
        let permission = match command {
            IncidentCommand::Close { .. } | IncidentCommand::Reopen { .. } => {
                Permission::CloseIncidents
            }
            IncidentCommand::Note { .. } => Permission::NoteIncidents,
            _ => Permission::WorkIncidents,
        };
        actor.require(permission, Some(&self.tenant))?;
        let closed = self.state == IncidentState::Closed;
        if closed
            && !matches!(
                command,
                IncidentCommand::Reopen { .. } | IncidentCommand::Note { .. }
            )
        {
            return Err(self.refuse(command.name(), "reopen it first"));
        }
        let mut next = self.clone();
        let text = match command {
            IncidentCommand::Advance { to } => {
                match self.state.next() {
                    Some(n) if n == *to && *to != IncidentState::Closed => {}
                    Some(IncidentState::Closed) => {
                        return Err(self
                            .refuse("advance", "close it with a resolution and lessons learned"));
                    }
                    Some(n) => {
                        return Err(self.refuse(
                            "advance",
                            format!("the next state is {}, not {}", n.as_str(), to.as_str()),
                        ));
                    }
                    None => return Err(self.refuse("advance", "reopen it first")),
                }
                next.state = *to;
                format!("{} → {}", self.state.as_str(), to.as_str())
            }
            IncidentCommand::Close {
                resolution,
                summary,
                lessons_learned,
            } => {
                let early_ok = matches!(
                    resolution,
                    ResolutionKind::FalseAlarm | ResolutionKind::Duplicate
                );
                if self.state != IncidentState::Recovered && !early_ok {
                    return Err(self.refuse(
                        "close",
                        "a resolved incident closes from recovered; before that only as a false alarm or duplicate",
                    ));
                }
                let summary = text_field("summary", summary, 4000)?;
                let lessons = text_field("lessons_learned", lessons_learned, 4000)?;
                next.state = IncidentState::Closed;
                next.resolution = Some((*resolution, summary.clone()));
                next.lessons_learned = Some(lessons);
                format!("closed ({resolution:?}): {summary}")
            }
            IncidentCommand::Reopen { reason } => {
                if !closed {
                    return Err(self.refuse("reopen", "only closed incidents can be reopened"));
                }
                let reason = require_reason("reason", reason)?;
                next.state = IncidentState::Triaged;
                next.resolution = None;
                next.reopened += 1;
                format!("reopened: {reason}")
            }
            IncidentCommand::Note { text } => text_field("text", text, 10_000)?,
            IncidentCommand::Observe { observable } => {
                let value = text_field("value", &observable.value, 1000)?;
                let o = Observable {
                    value,
                    ..observable.clone()
                };
                if next
                    .observables
                    .iter()
                    .any(|x| x.kind == o.kind && x.value == o.value)
                {
                    return Err(DeskError::invalid("value", "already recorded"));
                }
                next.observables.push(o.clone());
                format!("{:?} {} (TLP:{:?})", o.kind, o.value, o.tlp)
            }
            IncidentCommand::AddTask { title, assignee } => {
                let title = text_field("title", title, 500)?;
                let id = next.tasks.iter().map(|t| t.id).max().unwrap_or(0) + 1;
                next.tasks.push(Task {
                    id,
                    title: title.clone(),
                    assignee: assignee.clone(),
                    done: None,
                });
                format!("task {id}: {title}")
            }
            IncidentCommand::CompleteTask { task } => {
                let t = next
                    .tasks
                    .iter_mut()
                    .find(|t| t.id == *task)
                    .ok_or_else(|| DeskError::invalid("task", format!("no task {task}")))?;
                if t.done.is_some() {
                    return Err(DeskError::invalid(
                        "task",
                        format!("task {task} is already done"),
                    ));
                }
                t.done = Some((actor.name.clone(), now));
                format!("task {task} done: {}", t.title)
            }
            IncidentCommand::LinkAlarm { alarm } => {
                if next.alarms.contains(alarm) {
                    return Err(DeskError::invalid("alarm", "already linked"));
                }
                next.alarms.push(*alarm);
                format!("alarm {alarm} linked")
            }
            IncidentCommand::SetSeverity { severity, reason } => {
                let reason = require_reason("reason", reason)?;
                next.severity = *severity;
                format!("severity {} → {}: {reason}", self.severity, severity)
            }
            IncidentCommand::NotifyClient { how } => {
                let how = text_field("how", how, 1000)?;
                next.sla_marks.push(SlaMark {
                    at: now,
                    kind: SlaMarkKind::Notified,
                });
                format!("client notified: {how}")
            }
            IncidentCommand::PauseSla { state, reason } => {
                if self.sla_paused() {
                    return Err(self.refuse("pause_sla", "its clocks are already paused"));
                }
                let reason = require_reason("reason", reason)?;
                next.sla_marks.push(SlaMark {
                    at: now,
                    kind: SlaMarkKind::Paused {
                        state: *state,
                        reason: reason.clone(),
                    },
                });
                let whom = match state {
                    PauseState::AwaitingClient => "the client",
                    PauseState::AwaitingThirdParty => "a third party",
                    PauseState::PlannedMaintenance => "the end of planned maintenance",
                };
                format!("clocks paused, awaiting {whom}: {reason}")
            }
            IncidentCommand::ResumeSla => {
                if !self.sla_paused() {
                    return Err(self.refuse("resume_sla", "its clocks are not paused"));
                }
                next.sla_marks.push(SlaMark {
                    at: now,
                    kind: SlaMarkKind::Resumed,
                });
                "clocks resumed".to_owned()
            }
            IncidentCommand::Assign { assignee } => {
                let to = match assignee.as_deref().map(str::trim).filter(|a| !a.is_empty()) {
                    Some(a) => Some(text_field("assignee", a, 200)?),
                    None => None,
                };
                if to == self.assignee {
                    return Err(DeskError::invalid("assignee", "it is assigned so already"));
                }
                next.assignee = to.clone();
                match to {
                    Some(a) => format!("assigned to {a}"),
                    None => "unassigned".to_owned(),
                }
            }
        };
        if next.state != self.state {
            next.sla_marks.push(SlaMark {
                at: now,
                kind: SlaMarkKind::State { state: next.state },
            });
        }
        next.activity.push(Activity {
            at: now,
            actor: actor.name.clone(),
            action: command.name().into(),
            text,
        });
        next.updated_at = now;
        Ok(next)
    }
}

#[cfg(test)]
mod tests;
