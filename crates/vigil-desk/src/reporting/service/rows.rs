//! The rows behind every figure: one per alarm, incident and SLA clock,
//! with the times the figures are computed from. Each row is what a person
//! checking a figure would count.

use std::collections::HashMap;

use serde::Serialize;
use vigil_contract::{ClockState, ContractSet, Measure, PriorityClass, SlaReading, TransitionKind};
use vigil_model::{Category, Severity, Timestamp};

use super::period::Period;
use crate::alarm::{Alarm, AlarmStatus, Closure, Transition, Verdict};
use crate::incident::{Incident, IncidentState, ResolutionKind};
use crate::planned_maintenance::PlannedMaintenance;
use crate::reporting::category::{RuleFacts, category};
use crate::sla::{alarm_clocks_planned, incident_clocks_planned, incident_transitions_planned};

/// Seconds between two instants (fractions kept).
pub(crate) fn seconds(from: Timestamp, to: Timestamp) -> f64 {
    (to - from).num_milliseconds() as f64 / 1000.0
}

/// Whether a transition was made by a person, not the desk's automation
/// (whose actors are named `system:…`).
fn by_person(t: &Transition) -> bool {
    !t.actor.starts_with("system:")
}

/// How an alarm was closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ClosedBy {
    /// A person, with a verdict.
    Person,
    /// The false-alarm model.
    Model,
    /// A suppression or maintenance window.
    Suppression,
}

impl ClosedBy {
    /// Its name.
    pub fn as_str(self) -> &'static str {
        match self {
            ClosedBy::Person => "person",
            ClosedBy::Model => "model",
            ClosedBy::Suppression => "suppression",
        }
    }
}

/// One alarm raised in the trends' months.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AlarmRow {
    /// The alarm's id.
    pub id: String,
    /// The client.
    pub tenant: String,
    /// The site, if known.
    pub site: Option<String>,
    /// The rule.
    pub rule_id: String,
    /// The rule's title.
    pub title: String,
    /// The rule's severity.
    pub severity: Severity,
    /// Cyber, physical, converged or environmental.
    pub category: Category,
    /// The contract's class for it.
    pub class: PriorityClass,
    /// Its priority score, 0–100.
    pub score: f64,
    /// Where it stands now.
    pub status: AlarmStatus,
    /// The event time of its first evidence.
    pub first_seen: Timestamp,
    /// When the desk raised it.
    pub raised_at: Timestamp,
    /// A person's first acknowledgement (or take-over or close) of it.
    pub acknowledged_at: Option<Timestamp>,
    /// Who.
    pub acknowledged_by: Option<String>,
    /// Its last close, if it is closed.
    pub closed_at: Option<Timestamp>,
    /// Who or what closed it.
    pub closed_by: Option<ClosedBy>,
    /// The name of whoever closed it.
    pub closer: Option<String>,
    /// The verdict, once closed.
    pub verdict: Option<Verdict>,
    /// The incident it was escalated into.
    pub incident: Option<String>,
    /// Whether a person had to look at it (not closed by the automation).
    pub for_people: bool,
    /// Whether it was raised in the report's month (else in the trends' earlier months).
    pub in_month: bool,
    /// The ISO week it was raised in.
    pub week: String,
    /// Time to detect: first evidence (event time) to raised, seconds.
    pub detect_s: f64,
    /// Time to acknowledge: raised to a person's acknowledgement, seconds.
    pub acknowledge_s: Option<f64>,
    /// Time to resolve: raised to a person's close, seconds.
    pub resolve_s: Option<f64>,
}

/// One incident opened in the trends' months.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IncidentRow {
    /// The incident's id.
    pub id: String,
    /// The client.
    pub tenant: String,
    /// Its title.
    pub title: String,
    /// How bad.
    pub severity: Severity,
    /// What kind.
    pub category: Category,
    /// The contract's class for it.
    pub class: PriorityClass,
    /// Where it stands now.
    pub state: IncidentState,
    /// How it ended, if closed.
    pub resolution: Option<ResolutionKind>,
    /// When it was opened.
    pub opened_at: Timestamp,
    /// First triaged.
    pub triaged_at: Option<Timestamp>,
    /// The client first told.
    pub notified_at: Option<Timestamp>,
    /// First contained (or closed before that).
    pub contained_at: Option<Timestamp>,
    /// Closed (while it stays closed).
    pub closed_at: Option<Timestamp>,
    /// Wall time spent paused (awaiting the client or a third party),
    /// seconds, up to its close or now.
    pub paused_s: f64,
    /// Whether it was opened in the report's month.
    pub in_month: bool,
    /// The ISO week it was opened in.
    pub week: String,
    /// Opened to triaged, less paused time, seconds.
    pub acknowledge_s: Option<f64>,
    /// Opened to the client told, less paused time, seconds.
    pub notify_s: Option<f64>,
    /// Opened to contained, less paused time, seconds.
    pub contain_s: Option<f64>,
    /// Opened to closed, less paused time, seconds.
    pub resolve_s: Option<f64>,
}

/// Where a clock ended up, for counting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Stopped in time.
    Met,
    /// Past due, stopped or not.
    Breached,
    /// Still running (or paused) and not yet due.
    Open,
}

impl Outcome {
    fn of(state: ClockState) -> Self {
        match state {
            ClockState::Met => Outcome::Met,
            ClockState::Breached => Outcome::Breached,
            _ => Outcome::Open,
        }
    }

    /// Its name.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Met => "met",
            Outcome::Breached => "breached",
            Outcome::Open => "open",
        }
    }
}

/// One SLA clock of an alarm or incident, read at the report's instant.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClockRow {
    /// `alarm` or `incident`.
    pub subject: &'static str,
    /// Its id.
    pub id: String,
    /// The client.
    pub tenant: String,
    /// The class.
    pub class: PriorityClass,
    /// What is measured.
    pub measure: Measure,
    /// The calendar counted on.
    pub calendar: String,
    /// The clock's state when read.
    pub state: ClockState,
    /// Met, breached or open.
    pub outcome: Outcome,
    /// The target, seconds of calendar time.
    pub target_s: f64,
    /// When it started.
    pub started_at: Option<Timestamp>,
    /// When it is (or was) due.
    pub due: Option<Timestamp>,
    /// When it stopped.
    pub stopped_at: Option<Timestamp>,
    /// When it breached.
    pub breached_at: Option<Timestamp>,
    /// Calendar time counted, seconds.
    pub elapsed_s: f64,
    /// Wall time paused, seconds.
    pub paused_s: f64,
    /// Whether it counts in the SLA figures: alarms the automation closed
    /// are listed but not counted (nobody had to meet their clocks).
    pub counted: bool,
    /// Whether its alarm or incident is in the report's month.
    pub in_month: bool,
    /// The ISO week of its alarm or incident.
    pub week: String,
}

impl ClockRow {
    fn new(
        subject: &'static str,
        id: &str,
        tenant: &str,
        r: &SlaReading,
        counted: bool,
        in_month: bool,
        week: &str,
    ) -> Self {
        Self {
            subject,
            id: id.to_owned(),
            tenant: tenant.to_owned(),
            class: r.class,
            measure: r.measure,
            calendar: r.calendar.clone(),
            state: r.state,
            outcome: Outcome::of(r.state),
            target_s: r.target.num_milliseconds() as f64 / 1000.0,
            started_at: r.started_at,
            due: r.due,
            stopped_at: r.stopped_at,
            breached_at: r.breached_at,
            elapsed_s: r.elapsed.num_milliseconds() as f64 / 1000.0,
            paused_s: r.paused.num_milliseconds() as f64 / 1000.0,
            counted,
            in_month,
            week: week.to_owned(),
        }
    }
}

/// The alarm's row and its clocks' rows, or nothing if it was not raised
/// in the trends' months.
pub(crate) fn alarm_rows(
    alarm: &Alarm,
    period: &Period,
    contracts: &ContractSet,
    rules: &HashMap<String, RuleFacts>,
    maintenance: &PlannedMaintenance,
    as_of: Timestamp,
) -> Option<(AlarmRow, Vec<ClockRow>)> {
    let week = period.week_of(alarm.raised_at)?.label.clone();
    let category = category(rules.get(&alarm.rule_id), &alarm.entities);
    let clocks = alarm_clocks_planned(
        contracts.contract_for(&alarm.tenant),
        alarm,
        category,
        &maintenance.of_alarm(alarm),
        as_of,
    );
    let ack = alarm
        .transitions
        .iter()
        .find(|t| t.from == AlarmStatus::New && t.to != AlarmStatus::New && by_person(t));
    let close = (alarm.status == AlarmStatus::Closed)
        .then(|| {
            alarm
                .transitions
                .iter()
                .rev()
                .find(|t| t.to == AlarmStatus::Closed)
        })
        .flatten();
    let closed_by = close.map(|_| match alarm.closure {
        Some(Closure::Model { .. }) => ClosedBy::Model,
        Some(Closure::Suppression { .. }) => ClosedBy::Suppression,
        Some(Closure::Analyst { .. }) | None => ClosedBy::Person,
    });
    let in_month = period.in_month(alarm.raised_at);
    let for_people = alarm.needs_a_person();
    let row = AlarmRow {
        id: alarm.id.to_string(),
        tenant: alarm.tenant.to_string(),
        site: alarm.site.as_ref().map(|s| s.to_string()),
        rule_id: alarm.rule_id.clone(),
        title: alarm.rule_title.clone(),
        severity: alarm.severity,
        category,
        class: clocks.class,
        score: alarm.priority.score,
        status: alarm.status,
        first_seen: alarm.first_seen,
        raised_at: alarm.raised_at,
        acknowledged_at: ack.map(|t| t.at),
        acknowledged_by: ack.map(|t| t.actor.clone()),
        closed_at: close.map(|t| t.at),
        closed_by,
        closer: close.map(|t| t.actor.clone()),
        verdict: alarm.verdict,
        incident: alarm.incident.clone(),
        for_people,
        in_month,
        // Late evidence can carry an event time after the raise; a negative
        // time to detect means nothing.
        detect_s: seconds(alarm.first_seen, alarm.raised_at).max(0.0),
        acknowledge_s: ack.map(|t| seconds(alarm.raised_at, t.at).max(0.0)),
        resolve_s: close
            .filter(|t| closed_by == Some(ClosedBy::Person) && by_person(t))
            .map(|t| seconds(alarm.raised_at, t.at).max(0.0)),
        week: week.clone(),
    };
    let id = row.id.clone();
    let clock_rows = clocks
        .clocks
        .iter()
        .map(|r| ClockRow::new("alarm", &id, &row.tenant, r, for_people, in_month, &week))
        .collect();
    Some((row, clock_rows))
}

/// The incident's row and its clocks' rows, or nothing if it was not
/// opened in the trends' months.
pub(crate) fn incident_rows(
    incident: &Incident,
    period: &Period,
    contracts: &ContractSet,
    maintenance: &PlannedMaintenance,
    as_of: Timestamp,
) -> Option<(IncidentRow, Vec<ClockRow>)> {
    let week = period.week_of(incident.opened_at)?.label.clone();
    let stretches = maintenance.of_incident(incident);
    let clocks = incident_clocks_planned(
        contracts.contract_for(&incident.tenant),
        incident,
        &stretches,
        as_of,
    );
    let mut times: HashMap<Measure, (Option<Timestamp>, Option<f64>)> = HashMap::new();
    let mut paused_total = 0.0;
    for (measure, transitions) in incident_transitions_planned(incident, &stretches, Some(as_of)) {
        let (stop, active, paused) = walk(&transitions, as_of);
        if measure == Measure::Resolve {
            paused_total = paused;
        }
        times.insert(measure, (stop, stop.map(|_| active)));
    }
    let at = |m: Measure| times.get(&m).copied().unwrap_or((None, None));
    let in_month = period.in_month(incident.opened_at);
    let row = IncidentRow {
        id: incident.id.clone(),
        tenant: incident.tenant.to_string(),
        title: incident.title.clone(),
        severity: incident.severity,
        category: incident.category,
        class: clocks.class,
        state: incident.state,
        resolution: incident.resolution.as_ref().map(|(k, _)| *k),
        opened_at: incident.opened_at,
        triaged_at: at(Measure::Acknowledge).0,
        notified_at: at(Measure::Notify).0,
        contained_at: at(Measure::Contain).0,
        closed_at: at(Measure::Resolve).0,
        paused_s: paused_total,
        in_month,
        week: week.clone(),
        acknowledge_s: at(Measure::Acknowledge).1,
        notify_s: at(Measure::Notify).1,
        contain_s: at(Measure::Contain).1,
        resolve_s: at(Measure::Resolve).1,
    };
    let clock_rows = clocks
        .clocks
        .iter()
        .map(|r| ClockRow::new("incident", &row.id, &row.tenant, r, true, in_month, &week))
        .collect();
    Some((row, clock_rows))
}

/// Walks one clock's transitions: (when it stopped, seconds it ran less
/// pauses up to the stop, seconds paused up to the stop or `as_of`).
fn walk(
    transitions: &[vigil_contract::SlaTransition],
    as_of: Timestamp,
) -> (Option<Timestamp>, f64, f64) {
    let mut start = None;
    let mut paused_since: Option<Timestamp> = None;
    let mut paused = 0.0;
    let mut stop = None;
    for t in transitions {
        match &t.kind {
            TransitionKind::Start => start = Some(t.at),
            TransitionKind::Pause { .. } => paused_since = paused_since.or(Some(t.at)),
            TransitionKind::Resume => {
                if let Some(p) = paused_since.take() {
                    paused += seconds(p, t.at).max(0.0);
                }
            }
            TransitionKind::Stop => stop = Some(t.at),
        }
    }
    let end = stop.unwrap_or(as_of);
    if let Some(p) = paused_since {
        paused += seconds(p, end).max(0.0);
    }
    let active = start.map_or(0.0, |s| (seconds(s, end) - paused).max(0.0));
    (stop, active, paused)
}
