//! Service-level clocks of alarms and incidents, as a pure function of what
//! their records say happened: the same records give the same clocks, live
//! or recomputed a month later.
//!
//! | clock | starts | stops |
//! |---|---|---|
//! | alarm `acknowledge` | raised | first acknowledgement, take-over or close |
//! | alarm `resolve` | raised | its close (while it stays closed) |
//! | incident `acknowledge` | opened | triaged |
//! | incident `notify` | opened | the client is told (`notify_client`) |
//! | incident `contain` | opened | contained (or closed before that) |
//! | incident `resolve` | opened | closed (while it stays closed) |
//!
//! An incident's clocks stop counting while it is paused (awaiting the
//! client or a third party); alarms are not paused by people — they are
//! handed over to an incident for that — but an alarm about a device in
//! approved planned maintenance ([`crate::planned_maintenance`]) does not
//! run its clocks while the work order's window is open, nor does an
//! incident while every device it concerns is in such a window (see
//! [`crate::planned_maintenance`]; a pause by people takes precedence in
//! what the pause says, the time is left out once either way). Which
//! targets apply, and on which calendar, comes from the client's contract:
//! the class is chosen from the alarm's category and priority score, or the
//! incident's category and severity.

use serde::{Deserialize, Serialize};
use vigil_contract::{
    Contract, Measure, PauseState, PriorityClass, SlaReading, SlaTransition, Subject,
    TransitionKind,
};
use vigil_model::{Category, Timestamp};

use crate::alarm::{Alarm, AlarmStatus};
use crate::incident::{Incident, IncidentState};
use crate::planned_maintenance::{MaintenanceSpan, MaintenanceStretch, merged};

/// Something that happened to an incident that its clocks read, recorded
/// when it happened (the incident's activity says the same for people).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SlaMark {
    /// When.
    pub at: Timestamp,
    /// What.
    #[serde(flatten)]
    pub kind: SlaMarkKind,
}

/// What happened, as the clocks read it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "mark", rename_all = "snake_case")]
pub enum SlaMarkKind {
    /// Moved to a new state (`triaged`, `contained`, `closed` …).
    State {
        /// The state entered.
        state: IncidentState,
    },
    /// The client was told.
    Notified,
    /// The clocks stopped counting.
    Paused {
        /// Whom the desk waits for.
        state: PauseState,
        /// Why.
        reason: String,
    },
    /// The clocks count again.
    Resumed,
}

/// The clocks of one alarm or incident, read at an instant.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SlaClocks {
    /// The contract's priority class it falls in.
    #[cfg_attr(feature = "openapi", schema(value_type = String, example = "P1"))]
    pub class: PriorityClass,
    /// Each measured clock (`acknowledge`, `notify`, `contain`, `resolve`).
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<Object>))]
    pub clocks: Vec<SlaReading>,
}

/// The transitions of an alarm's clocks: (measure, transitions), in time order.
pub fn alarm_transitions(alarm: &Alarm) -> Vec<(Measure, Vec<SlaTransition>)> {
    alarm_transitions_planned(alarm, &[], None)
}

/// The pauses planned maintenance puts on a clock started at `from` and
/// stopped at `stop`, known up to `now`: one per stretch of the merged
/// spans that overlaps the running clock, resumed where the stretch ends.
fn maintenance_pauses(
    spans: &[&MaintenanceSpan],
    from: Timestamp,
    stop: Option<Timestamp>,
    now: Option<Timestamp>,
) -> Vec<SlaTransition> {
    let mut out = Vec::new();
    let orders: Vec<&str> = spans.iter().map(|s| s.work_order.as_str()).collect();
    let reason = format!("planned maintenance (work order {})", orders.join(", "));
    for (start, end) in merged(spans.iter().copied()) {
        let start = start.max(from);
        let known = |at: Timestamp| now.is_none_or(|n| at <= n);
        if end <= start || stop.is_some_and(|s| start >= s) || !known(start) {
            continue;
        }
        out.push(SlaTransition {
            at: start,
            kind: TransitionKind::Pause {
                reason: reason.clone(),
                state: PauseState::PlannedMaintenance,
            },
        });
        if stop.is_none_or(|s| end < s) && known(end) {
            out.push(SlaTransition {
                at: end,
                kind: TransitionKind::Resume,
            });
        }
    }
    out
}

/// The transitions of an alarm's clocks with the planned maintenance of the
/// devices it names (`spans`), known up to `now` (`None`: all of it).
pub fn alarm_transitions_planned(
    alarm: &Alarm,
    spans: &[&MaintenanceSpan],
    now: Option<Timestamp>,
) -> Vec<(Measure, Vec<SlaTransition>)> {
    let start = SlaTransition {
        at: alarm.raised_at,
        kind: TransitionKind::Start,
    };
    let stop = |at: Timestamp| SlaTransition {
        at,
        kind: TransitionKind::Stop,
    };
    let acknowledged = alarm
        .transitions
        .iter()
        .find(|t| t.to != AlarmStatus::New)
        .map(|t| t.at);
    let resolved = (alarm.status == AlarmStatus::Closed)
        .then(|| {
            alarm
                .transitions
                .iter()
                .rev()
                .find(|t| t.to == AlarmStatus::Closed)
                .map(|t| t.at)
        })
        .flatten();
    [
        (Measure::Acknowledge, acknowledged),
        (Measure::Resolve, resolved),
    ]
    .into_iter()
    .map(|(m, stopped)| {
        (
            m,
            std::iter::once(start.clone())
                .chain(maintenance_pauses(spans, alarm.raised_at, stopped, now))
                .chain(stopped.map(stop))
                .collect(),
        )
    })
    .collect()
}

/// The transitions of an incident's clocks: (measure, transitions), in
/// time order, pauses and resumptions included in each.
pub fn incident_transitions(incident: &Incident) -> Vec<(Measure, Vec<SlaTransition>)> {
    incident_transitions_planned(incident, &[], None)
}

/// Why an incident's clocks are not counting over a stretch.
#[derive(Debug, Clone, PartialEq)]
struct Hold {
    start: Timestamp,
    /// `None`: not over (yet, or as far as is known).
    end: Option<Timestamp>,
    state: PauseState,
    reason: String,
}

impl Hold {
    fn covers(&self, at: Timestamp) -> bool {
        self.start <= at && self.end.is_none_or(|e| at < e)
    }
}

/// An incident's pauses and resumptions: its people's pauses and the
/// planned maintenance `stretches` of everything it concerns, known up to
/// `now` (`None`: all of it). Where both hold, the people's pause is the
/// one shown (someone decided it, and someone resumes it); where one ends
/// and the other goes on, the clock resumes and pauses again at the same
/// instant, so the reading always says the reason that holds.
fn incident_pauses(
    incident: &Incident,
    stretches: &[MaintenanceStretch],
    now: Option<Timestamp>,
) -> Vec<SlaTransition> {
    let mut people: Vec<Hold> = Vec::new();
    let mut open: Option<Hold> = None;
    for m in &incident.sla_marks {
        match &m.kind {
            SlaMarkKind::Paused { state, reason } if open.is_none() => {
                open = Some(Hold {
                    start: m.at,
                    end: None,
                    state: *state,
                    reason: reason.clone(),
                });
            }
            SlaMarkKind::Resumed => {
                if let Some(mut hold) = open.take() {
                    hold.end = Some(m.at);
                    people.push(hold);
                }
            }
            _ => {}
        }
    }
    people.extend(open);
    let known = |at: Timestamp| now.is_none_or(|n| at <= n);
    let planned: Vec<Hold> = stretches
        .iter()
        .filter_map(|s| {
            let start = s.start.max(incident.opened_at);
            (start < s.end && known(start)).then(|| Hold {
                start,
                end: known(s.end).then_some(s.end),
                state: PauseState::PlannedMaintenance,
                reason: format!(
                    "planned maintenance (work order {})",
                    s.work_orders.join(", ")
                ),
            })
        })
        .collect();
    let mut points: Vec<Timestamp> = people
        .iter()
        .chain(&planned)
        .flat_map(|h| std::iter::once(h.start).chain(h.end))
        .collect();
    points.sort();
    points.dedup();
    let mut out = Vec::new();
    let mut current: Option<&Hold> = None;
    for at in points {
        let next = people
            .iter()
            .find(|h| h.covers(at))
            .or_else(|| planned.iter().find(|h| h.covers(at)));
        let same = match (current, next) {
            (Some(a), Some(b)) => a.state == b.state && a.reason == b.reason,
            (None, None) => true,
            _ => false,
        };
        if same {
            continue;
        }
        if current.is_some() {
            out.push(SlaTransition::resume(at));
        }
        if let Some(h) = next {
            out.push(SlaTransition::pause(at, h.reason.clone(), h.state));
        }
        current = next;
    }
    out
}

/// The transitions of an incident's clocks with the planned maintenance
/// `stretches` of everything it concerns, known up to `now` (`None`: all
/// of it).
pub fn incident_transitions_planned(
    incident: &Incident,
    stretches: &[MaintenanceStretch],
    now: Option<Timestamp>,
) -> Vec<(Measure, Vec<SlaTransition>)> {
    let first = |wanted: &dyn Fn(&SlaMarkKind) -> bool| {
        incident
            .sla_marks
            .iter()
            .find(|m| wanted(&m.kind))
            .map(|m| m.at)
    };
    let entered = |state: IncidentState| move |k: &SlaMarkKind| matches!(k, SlaMarkKind::State { state: s } if *s == state);
    let triaged = first(&entered(IncidentState::Triaged));
    let notified = first(&|k| matches!(k, SlaMarkKind::Notified));
    let contained = first(&|k| {
        matches!(
            k,
            SlaMarkKind::State {
                state: IncidentState::Contained | IncidentState::Closed
            }
        )
    });
    let resolved = (incident.state == IncidentState::Closed)
        .then(|| {
            incident
                .sla_marks
                .iter()
                .rev()
                .find(|m| entered(IncidentState::Closed)(&m.kind))
                .map(|m| m.at)
        })
        .flatten();
    let pauses = incident_pauses(incident, stretches, now);
    [
        (Measure::Acknowledge, triaged),
        (Measure::Notify, notified),
        (Measure::Contain, contained),
        (Measure::Resolve, resolved),
    ]
    .into_iter()
    .map(|(measure, stopped)| {
        let mut transitions = vec![SlaTransition {
            at: incident.opened_at,
            kind: TransitionKind::Start,
        }];
        // A pause after the stop means nothing to this clock.
        transitions.extend(
            pauses
                .iter()
                .filter(|p| stopped.is_none_or(|s| p.at < s))
                .cloned(),
        );
        if let Some(at) = stopped {
            transitions.push(SlaTransition {
                at,
                kind: TransitionKind::Stop,
            });
        }
        (measure, transitions)
    })
    .collect()
}

/// An alarm's clocks at `now`, under `contract`, with its `category`.
pub fn alarm_clocks(
    contract: &Contract,
    alarm: &Alarm,
    category: Category,
    now: Timestamp,
) -> SlaClocks {
    alarm_clocks_planned(contract, alarm, category, &[], now)
}

/// An alarm's clocks at `now`, paused while the devices it names are in
/// the planned maintenance `spans`.
pub fn alarm_clocks_planned(
    contract: &Contract,
    alarm: &Alarm,
    category: Category,
    spans: &[&MaintenanceSpan],
    now: Timestamp,
) -> SlaClocks {
    let class = contract.classify(&Subject::Alarm {
        category,
        score: alarm.priority.score,
    });
    read(
        contract,
        class,
        alarm_transitions_planned(alarm, spans, Some(now)),
        now,
    )
}

/// An incident's clocks at `now`, under `contract`.
pub fn incident_clocks(contract: &Contract, incident: &Incident, now: Timestamp) -> SlaClocks {
    incident_clocks_planned(contract, incident, &[], now)
}

/// An incident's clocks at `now`, paused while everything it concerns is
/// in the planned maintenance `stretches`
/// ([`crate::planned_maintenance::PlannedMaintenance::of_incident`]).
pub fn incident_clocks_planned(
    contract: &Contract,
    incident: &Incident,
    stretches: &[MaintenanceStretch],
    now: Timestamp,
) -> SlaClocks {
    let class = contract.classify(&Subject::Incident {
        category: incident.category,
        severity: incident.severity,
    });
    read(
        contract,
        class,
        incident_transitions_planned(incident, stretches, Some(now)),
        now,
    )
}

fn read(
    contract: &Contract,
    class: PriorityClass,
    transitions: Vec<(Measure, Vec<SlaTransition>)>,
    now: Timestamp,
) -> SlaClocks {
    let clocks = match contract.terms(class) {
        Some(terms) => transitions
            .into_iter()
            .filter_map(|(measure, ts)| terms.clock(measure, &ts, now))
            .map(|clock| clock.evaluate(now))
            .collect(),
        None => Vec::new(),
    };
    SlaClocks { class, clocks }
}

#[cfg(test)]
#[path = "sla_tests.rs"]
mod tests;
