//! The SLA clock: one measured target of one alarm or incident.
//!
//! A clock is started, may be paused (with a reason: the desk waits on the
//! client or a third party) and resumed, and is stopped when the target is
//! met. It counts calendar time only while running. The instants at which it
//! warns and breaches are projected when it starts or resumes, so reading it
//! at `now` costs one calendar sum over the running stretch, not a replay.
//!
//! Clocks are a function of recorded [`SlaTransition`]s:
//! [`SlaClock::apply`] folds them one at a time and [`crate::recompute()`]
//! folds a whole list from scratch; both give the same clock.

use std::fmt;
use std::sync::Arc;

use chrono::TimeDelta;
use serde::{Deserialize, Serialize};
use vigil_model::Timestamp;

use crate::calendar::ServiceCalendar;
use crate::contract::{Measure, PriorityClass};

/// What a clock measures, and against what.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SlaTarget {
    /// The class whose terms these are.
    pub class: PriorityClass,
    /// What is measured.
    pub measure: Measure,
    /// How much calendar time is allowed.
    pub target: TimeDelta,
    /// Fraction of the target after which the clock warns, in (0, 1).
    pub warn_fraction: f64,
}

impl SlaTarget {
    /// Calendar time after which the clock warns: at least a nanosecond and
    /// strictly less than the target, so warning always comes before breach.
    pub fn warn_after(&self) -> TimeDelta {
        let nanos = self.target.num_nanoseconds().unwrap_or(i64::MAX);
        let at = (nanos as f64 * self.warn_fraction).floor() as i64;
        TimeDelta::nanoseconds(at.clamp(1, (nanos - 1).max(1)))
    }
}

/// Why a clock is paused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PauseState {
    /// The desk waits for the client (access, an answer, a decision).
    AwaitingClient,
    /// The desk waits for someone else (a vendor, the police, a carrier).
    AwaitingThirdParty,
    /// Work the client approved is under way on the devices concerned (a
    /// work order's window): time inside it is not the provider's.
    PlannedMaintenance,
}

/// What happened to a clock.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum TransitionKind {
    /// The clock starts (the alarm was raised, the incident opened).
    Start,
    /// The clock stops counting until resumed.
    Pause {
        /// Why, in the operator's words; must not be empty.
        reason: String,
        /// Whom the desk waits for.
        state: PauseState,
    },
    /// The clock counts again.
    Resume,
    /// The target was met (acknowledged, notified, contained, resolved).
    Stop,
}

/// A recorded transition of a clock.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlaTransition {
    /// When it happened.
    pub at: Timestamp,
    /// What happened.
    #[serde(flatten)]
    pub kind: TransitionKind,
}

impl SlaTransition {
    /// A start at `at`.
    pub fn start(at: Timestamp) -> Self {
        Self {
            at,
            kind: TransitionKind::Start,
        }
    }

    /// A pause at `at`.
    pub fn pause(at: Timestamp, reason: impl Into<String>, state: PauseState) -> Self {
        Self {
            at,
            kind: TransitionKind::Pause {
                reason: reason.into(),
                state,
            },
        }
    }

    /// A resume at `at`.
    pub fn resume(at: Timestamp) -> Self {
        Self {
            at,
            kind: TransitionKind::Resume,
        }
    }

    /// A stop at `at`.
    pub fn stop(at: Timestamp) -> Self {
        Self {
            at,
            kind: TransitionKind::Stop,
        }
    }
}

/// A transition the clock refuses; the clock is unchanged.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransitionError {
    /// Earlier than the last transition applied: the past is not rewritten.
    #[error("transition at {at} is before the clock's last one at {last}")]
    OutOfOrder {
        /// The refused transition's instant.
        at: Timestamp,
        /// The last applied transition's instant.
        last: Timestamp,
    },
    /// The transition does not apply in the clock's state.
    #[error("cannot {what} a clock that is {state}")]
    NotNow {
        /// What was asked (`start`, `pause`, `resume`, `stop`).
        what: &'static str,
        /// The clock's state (`pending`, `running`, `paused`, `stopped`).
        state: &'static str,
    },
    /// A pause must say why.
    #[error("a pause needs a reason")]
    EmptyReason,
}

/// Where a clock is in its life (the fold's state; see [`ClockState`] for the reading).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Phase {
    Pending,
    Running {
        since: Timestamp,
    },
    Paused {
        since: Timestamp,
        reason: String,
        state: PauseState,
    },
    Stopped {
        at: Timestamp,
    },
}

impl Phase {
    fn name(&self) -> &'static str {
        match self {
            Phase::Pending => "pending",
            Phase::Running { .. } => "running",
            Phase::Paused { .. } => "paused",
            Phase::Stopped { .. } => "stopped",
        }
    }
}

/// What a transition does from a phase, or why it cannot (shared by the
/// incremental fold and the recomputation, which must accept the same lists).
pub(crate) fn admit(phase: &Phase, kind: &TransitionKind) -> Result<(), TransitionError> {
    let ok = matches!(
        (phase, kind),
        (Phase::Pending, TransitionKind::Start)
            | (Phase::Running { .. }, TransitionKind::Pause { .. })
            | (Phase::Paused { .. }, TransitionKind::Resume)
            | (
                Phase::Running { .. } | Phase::Paused { .. },
                TransitionKind::Stop
            )
    );
    if !ok {
        let what = match kind {
            TransitionKind::Start => "start",
            TransitionKind::Pause { .. } => "pause",
            TransitionKind::Resume => "resume",
            TransitionKind::Stop => "stop",
        };
        return Err(TransitionError::NotNow {
            what,
            state: phase.name(),
        });
    }
    if let TransitionKind::Pause { reason, .. } = kind
        && reason.trim().is_empty()
    {
        return Err(TransitionError::EmptyReason);
    }
    Ok(())
}

/// One SLA clock, folded from its transitions so far.
#[derive(Clone)]
pub struct SlaClock {
    pub(crate) target: SlaTarget,
    pub(crate) calendar: Arc<ServiceCalendar>,
    pub(crate) phase: Phase,
    pub(crate) started_at: Option<Timestamp>,
    pub(crate) last_at: Option<Timestamp>,
    /// Calendar time counted in running stretches that have ended.
    pub(crate) counted: TimeDelta,
    /// Wall time of pauses that have ended.
    pub(crate) paused_total: TimeDelta,
    /// When the warning point is (or was) reached; projected while running
    /// or once stopped, `None` while paused before reaching it.
    pub(crate) warn_at: Option<Timestamp>,
    /// When the target is (or was) reached, the same way.
    pub(crate) due: Option<Timestamp>,
}

impl fmt::Debug for SlaClock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SlaClock")
            .field("target", &self.target)
            .field("calendar", &self.calendar.name())
            .field("phase", &self.phase)
            .field("started_at", &self.started_at)
            .field("last_at", &self.last_at)
            .field("counted", &self.counted)
            .field("paused_total", &self.paused_total)
            .field("warn_at", &self.warn_at)
            .field("due", &self.due)
            .finish()
    }
}

impl PartialEq for SlaClock {
    fn eq(&self, other: &Self) -> bool {
        (Arc::ptr_eq(&self.calendar, &other.calendar) || self.calendar == other.calendar)
            && self.target == other.target
            && self.phase == other.phase
            && self.started_at == other.started_at
            && self.last_at == other.last_at
            && self.counted == other.counted
            && self.paused_total == other.paused_total
            && self.warn_at == other.warn_at
            && self.due == other.due
    }
}

impl SlaClock {
    /// A clock that has not started.
    pub fn new(target: SlaTarget, calendar: Arc<ServiceCalendar>) -> Self {
        Self {
            target,
            calendar,
            phase: Phase::Pending,
            started_at: None,
            last_at: None,
            counted: TimeDelta::zero(),
            paused_total: TimeDelta::zero(),
            warn_at: None,
            due: None,
        }
    }

    /// A clock started at `at`.
    pub fn started(target: SlaTarget, calendar: Arc<ServiceCalendar>, at: Timestamp) -> Self {
        let mut clock = Self::new(target, calendar);
        clock.begin_running(at);
        clock.started_at = Some(at);
        clock.last_at = Some(at);
        clock
    }

    /// What the clock measures.
    pub fn target(&self) -> &SlaTarget {
        &self.target
    }

    /// The calendar it counts on.
    pub fn calendar(&self) -> &Arc<ServiceCalendar> {
        &self.calendar
    }

    /// The instant of the last transition applied.
    pub fn last_transition_at(&self) -> Option<Timestamp> {
        self.last_at
    }

    fn begin_running(&mut self, at: Timestamp) {
        let cal = &self.calendar;
        let project = |amount: TimeDelta| cal.add_business_time(at, amount - self.counted);
        self.warn_at = self
            .warn_at
            .or_else(|| Some(project(self.target.warn_after())));
        self.due = self.due.or_else(|| Some(project(self.target.target)));
        self.phase = Phase::Running { since: at };
    }

    /// Applies the next recorded transition, or refuses it and stays as it was.
    pub fn apply(&mut self, transition: &SlaTransition) -> Result<(), TransitionError> {
        let at = transition.at;
        if let Some(last) = self.last_at
            && at < last
        {
            return Err(TransitionError::OutOfOrder { at, last });
        }
        admit(&self.phase, &transition.kind)?;
        match (&self.phase, &transition.kind) {
            (Phase::Pending, TransitionKind::Start) => {
                self.started_at = Some(at);
                self.begin_running(at);
            }
            (Phase::Running { since }, TransitionKind::Pause { reason, state }) => {
                self.counted += self.calendar.business_time_between(*since, at);
                // Thresholds not reached by now are re-projected on resume.
                self.warn_at = self.warn_at.filter(|w| *w <= at);
                self.due = self.due.filter(|d| *d <= at);
                self.phase = Phase::Paused {
                    since: at,
                    reason: reason.clone(),
                    state: *state,
                };
            }
            (Phase::Paused { since, .. }, TransitionKind::Resume) => {
                self.paused_total += at - *since;
                self.begin_running(at);
            }
            (Phase::Running { since }, TransitionKind::Stop) => {
                // Projections stay: a met clock shows when it would have been due.
                self.counted += self.calendar.business_time_between(*since, at);
                self.phase = Phase::Stopped { at };
            }
            (Phase::Paused { since, .. }, TransitionKind::Stop) => {
                self.paused_total += at - *since;
                self.phase = Phase::Stopped { at };
            }
            _ => {}
        }
        self.last_at = Some(at);
        Ok(())
    }

    /// The clock read at `now` (taken as the last transition's instant if earlier).
    pub fn evaluate(&self, now: Timestamp) -> SlaReading {
        let now = self.last_at.map_or(now, |l| now.max(l));
        let mut reading = SlaReading {
            class: self.target.class,
            measure: self.target.measure,
            calendar: self.calendar.name().to_owned(),
            state: ClockState::Pending,
            target: self.target.target,
            started_at: self.started_at,
            due: self.due,
            warned_at: None,
            breached_at: None,
            stopped_at: None,
            elapsed: self.counted,
            paused: self.paused_total,
            pause: None,
        };
        let upto = |limit: Timestamp| {
            let warned = self.warn_at.filter(|w| *w <= limit);
            let breached = self.due.filter(|d| *d <= limit);
            (warned, breached)
        };
        match &self.phase {
            Phase::Pending => {}
            Phase::Running { since } => {
                reading.elapsed += self.calendar.business_time_between(*since, now);
                (reading.warned_at, reading.breached_at) = upto(now);
                reading.state =
                    state_of(reading.warned_at, reading.breached_at, ClockState::Running);
            }
            Phase::Paused {
                since,
                reason,
                state,
            } => {
                reading.paused += now - *since;
                reading.pause = Some(PauseInfo {
                    since: *since,
                    reason: reason.clone(),
                    state: *state,
                });
                (reading.warned_at, reading.breached_at) = upto(*since);
                reading.state = if reading.breached_at.is_some() {
                    ClockState::Breached
                } else {
                    ClockState::Paused
                };
            }
            Phase::Stopped { at } => {
                reading.stopped_at = Some(*at);
                (reading.warned_at, reading.breached_at) = upto(*at);
                reading.state = if reading.breached_at.is_some() {
                    ClockState::Breached
                } else {
                    ClockState::Met
                };
            }
        }
        reading
    }

    /// The next instant after `now` at which reading the clock would give a
    /// new state (its warning or its due time), so the desk can sleep until then.
    pub fn next_change_after(&self, now: Timestamp) -> Option<Timestamp> {
        match self.phase {
            Phase::Running { .. } => [self.warn_at, self.due]
                .into_iter()
                .flatten()
                .find(|t| *t > now),
            _ => None,
        }
    }
}

fn state_of(
    warned: Option<Timestamp>,
    breached: Option<Timestamp>,
    otherwise: ClockState,
) -> ClockState {
    match (warned, breached) {
        (_, Some(_)) => ClockState::Breached,
        (Some(_), None) => ClockState::Warned,
        (None, None) => otherwise,
    }
}

/// A clock's state as read at an instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClockState {
    /// No start recorded (yet).
    Pending,
    /// Counting, before the warning point.
    Running,
    /// Paused before breaching.
    Paused,
    /// Counting, past the warning point, not yet due.
    Warned,
    /// Stopped before it was due.
    Met,
    /// Past due: while counting, stopped too late, or paused after breaching.
    Breached,
}

/// Why and since when a clock is paused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PauseInfo {
    /// When the pause began.
    pub since: Timestamp,
    /// The operator's reason.
    pub reason: String,
    /// Whom the desk waits for.
    pub state: PauseState,
}

/// A clock read at an instant: the `sla` the API shows.
///
/// Durations are seconds (a whole number unless the instants had fractions).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SlaReading {
    /// The class whose terms apply.
    pub class: PriorityClass,
    /// What is measured.
    pub measure: Measure,
    /// The calendar counted on.
    pub calendar: String,
    /// Where the clock is.
    pub state: ClockState,
    /// Calendar time allowed, in seconds.
    #[serde(with = "seconds")]
    pub target: TimeDelta,
    /// When it started.
    pub started_at: Option<Timestamp>,
    /// When it breaches (or breached) given the calendar and the pauses so
    /// far; `None` while paused before breaching. Kept once met, to show the margin.
    pub due: Option<Timestamp>,
    /// When it passed the warning point, if it has.
    pub warned_at: Option<Timestamp>,
    /// When it breached, if it has.
    pub breached_at: Option<Timestamp>,
    /// When it was stopped, if it was.
    pub stopped_at: Option<Timestamp>,
    /// Calendar time counted, in seconds.
    #[serde(with = "seconds")]
    pub elapsed: TimeDelta,
    /// Wall time spent paused, in seconds.
    #[serde(with = "seconds")]
    pub paused: TimeDelta,
    /// The current pause, if paused.
    pub pause: Option<PauseInfo>,
}

/// A threshold a clock crossed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CrossingEvent {
    /// It passed the warning point.
    Warned,
    /// It passed its due time.
    Breached,
}

/// A crossing and the exact instant it happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlaCrossing {
    /// Which threshold.
    pub event: CrossingEvent,
    /// When it was crossed (not when it was noticed).
    pub at: Timestamp,
}

impl SlaReading {
    /// The crossings between a previous reading of the same clock and this
    /// one, earliest first. With no previous reading every crossing so far
    /// is new. Raising each returned crossing once therefore raises each
    /// exactly once, however often or late the clock is read.
    pub fn crossings_since(&self, previous: Option<&SlaReading>) -> Vec<SlaCrossing> {
        let mut out = Vec::new();
        if let Some(at) = self.warned_at
            && previous.is_none_or(|p| p.warned_at.is_none())
        {
            out.push(SlaCrossing {
                event: CrossingEvent::Warned,
                at,
            });
        }
        if let Some(at) = self.breached_at
            && previous.is_none_or(|p| p.breached_at.is_none())
        {
            out.push(SlaCrossing {
                event: CrossingEvent::Breached,
                at,
            });
        }
        out
    }
}

/// The crossings between two readings of one clock (see [`SlaReading::crossings_since`]).
pub fn crossings(previous: Option<&SlaReading>, next: &SlaReading) -> Vec<SlaCrossing> {
    next.crossings_since(previous)
}

/// Durations as JSON seconds.
mod seconds {
    use chrono::TimeDelta;
    use serde::{Deserialize, Deserializer, Serializer, de::Error};

    pub fn serialize<S: Serializer>(d: &TimeDelta, s: S) -> Result<S::Ok, S::Error> {
        if d.subsec_nanos() == 0 {
            s.serialize_i64(d.num_seconds())
        } else {
            s.serialize_f64(d.num_nanoseconds().unwrap_or(i64::MAX) as f64 / 1e9)
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<TimeDelta, D::Error> {
        let secs = f64::deserialize(d)?;
        if !secs.is_finite() || secs.abs() > 9.2e9 {
            return Err(D::Error::custom(format!(
                "{secs} is not a duration in seconds"
            )));
        }
        Ok(TimeDelta::nanoseconds((secs * 1e9).round() as i64))
    }
}

#[cfg(test)]
mod tests;
