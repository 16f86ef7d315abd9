//! The Art. 23(4) reporting clocks of Directive (EU) 2022/2555.
//!
//! The clocks run from the moment the client becomes aware of the
//! significant incident:
//!
//! - early warning: without undue delay and in any event within 24 hours
//!   of awareness (point (a));
//! - incident notification: without undue delay and in any event within 72
//!   hours of awareness (point (b));
//! - intermediate report: upon the request of the CSIRT or competent
//!   authority (point (c)), by the deadline given with the request;
//! - final report: not later than one month after the incident
//!   notification was submitted (point (d));
//! - progress report: if the incident is still ongoing when the final
//!   report would be due, a progress report is due then instead, and the
//!   final report within one month of the incident's handling (point (e)).
//!
//! "One month" is a calendar month (`chrono::Months::new(1)`): the same day
//! of the next month, clamped to that month's last day, so 31 January
//! 10:00 plus one month is 28 February 10:00 (29 February in a leap year).
//! All instants are UTC; daylight-saving changes do not move a deadline.
//!
//! A deadline is met by a submission at or before it. Each clock is "due
//! soon" from a lead before its deadline (by default 25 % of its period, at
//! most 6 hours) and overdue after it. [`ReportingClock::reminders`] lists
//! the crossings between two readings with their exact instants, so the
//! desk raises each exactly once however often, or late, it reads.
//!
//! Submissions and the incident's handling recorded after the instant read
//! are ignored, so a reading at an instant in the past is the reading the
//! desk would have made then.

use chrono::{Months, TimeDelta};
use serde::{Deserialize, Serialize};
use vigil_model::Timestamp;

use super::report::{ReportKind, Submission};
use super::text::is_blank;

/// Point (a): 24 hours.
const EARLY_WARNING_HOURS: i64 = 24;
/// Point (b): 72 hours.
const NOTIFICATION_HOURS: i64 = 72;

/// What the clocks are computed from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportingInput {
    /// When the client became aware of the significant incident.
    pub aware_at: Timestamp,
    /// The reports submitted, in any order.
    #[serde(default)]
    pub submissions: Vec<Submission>,
    /// The authority's request for an intermediate report, if any.
    #[serde(default)]
    pub intermediate_request: Option<IntermediateRequest>,
    /// When the incident was handled (no longer ongoing), if it has been.
    #[serde(default)]
    pub handled_at: Option<Timestamp>,
}

/// A CSIRT's or competent authority's request for an intermediate report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IntermediateRequest {
    /// When it asked.
    pub requested_at: Timestamp,
    /// The deadline it gave.
    pub due: Timestamp,
    /// Who asked.
    pub by: String,
}

/// How long before a deadline it is "due soon": a share of its period,
/// capped. As JSON: `{"percent": 25, "at_most_seconds": 21600}`, checked
/// as by [`DueSoonPolicy::new`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "PolicyText")]
pub struct DueSoonPolicy {
    percent: u32,
    #[serde(rename = "at_most_seconds", with = "super::text::seconds")]
    at_most: TimeDelta,
}

/// A policy as written, before it is checked.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PolicyText {
    percent: u32,
    #[serde(rename = "at_most_seconds", with = "super::text::seconds")]
    at_most: TimeDelta,
}

impl TryFrom<PolicyText> for DueSoonPolicy {
    type Error = DeadlineError;

    fn try_from(p: PolicyText) -> Result<Self, Self::Error> {
        DueSoonPolicy::new(p.percent, p.at_most)
    }
}

impl Default for DueSoonPolicy {
    /// 25 % of the period, at most 6 hours: the early warning is due soon
    /// from hour 18, the notification from hour 66.
    fn default() -> Self {
        Self {
            percent: 25,
            at_most: TimeDelta::hours(6),
        }
    }
}

impl DueSoonPolicy {
    /// A lead of `percent` (0–100) of each period, at most `at_most`.
    pub fn new(percent: u32, at_most: TimeDelta) -> Result<Self, DeadlineError> {
        if percent > 100 || at_most < TimeDelta::zero() {
            return Err(DeadlineError::BadPolicy {
                percent,
                at_most_seconds: at_most.num_seconds(),
            });
        }
        Ok(Self { percent, at_most })
    }

    /// The lead for a period.
    pub fn lead(&self, period: TimeDelta) -> TimeDelta {
        let share = TimeDelta::seconds(period.num_seconds() * i64::from(self.percent) / 100);
        share.min(self.at_most).max(TimeDelta::zero())
    }
}

/// Where a report stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "state")]
pub enum ObligationState {
    /// Its clock has not started; `until` says what starts it.
    Waiting {
        /// What it waits for.
        until: String,
    },
    /// Due, not yet due soon.
    Pending,
    /// Inside the lead before its deadline.
    DueSoon,
    /// Past its deadline, not submitted.
    Overdue,
    /// Submitted at or before its deadline.
    SubmittedOnTime {
        /// When.
        at: Timestamp,
    },
    /// Submitted after its deadline.
    SubmittedLate {
        /// When.
        at: Timestamp,
    },
}

/// One report owed, read at an instant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Obligation {
    /// The report.
    pub kind: ReportKind,
    /// The rule that sets its deadline.
    pub basis: String,
    /// Its deadline, once its clock has started.
    pub due: Option<Timestamp>,
    /// From when it is due soon.
    pub due_soon_from: Option<Timestamp>,
    /// Where it stands.
    pub state: ObligationState,
}

/// A threshold crossed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReminderEvent {
    /// The report became due soon.
    DueSoon,
    /// The report became overdue.
    Overdue,
}

/// A crossing and the exact instant it happened (not when it was noticed).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reminder {
    /// The report.
    pub kind: ReportKind,
    /// Which threshold.
    pub event: ReminderEvent,
    /// When it was crossed: the start of the lead, or the deadline itself.
    pub at: Timestamp,
    /// The report's deadline.
    pub due: Timestamp,
}

/// Clocks that cannot be computed: names what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DeadlineError {
    /// A submission dated before awareness.
    #[error(
        "submissions[{index}] ({kind}) at {at} is before awareness of the incident at {aware_at}"
    )]
    SubmissionBeforeAwareness {
        /// Its position.
        index: usize,
        /// Its kind.
        kind: ReportKind,
        /// Its date.
        at: Timestamp,
        /// Awareness.
        aware_at: Timestamp,
    },
    /// A submission that does not identify what was sent.
    #[error("submissions[{index}] ({kind}), field `{field}`: {problem}")]
    BadSubmission {
        /// Its position.
        index: usize,
        /// Its kind.
        kind: ReportKind,
        /// The field.
        field: &'static str,
        /// What is wrong.
        problem: &'static str,
    },
    /// A request whose deadline is not after it was made.
    #[error("intermediate_request: due {due} is not after requested_at {requested_at}")]
    RequestDueNotAfterRequest {
        /// When it was made.
        requested_at: Timestamp,
        /// Its deadline.
        due: Timestamp,
    },
    /// A request made before awareness.
    #[error("intermediate_request: requested_at {requested_at} is before awareness at {aware_at}")]
    RequestBeforeAwareness {
        /// When it was made.
        requested_at: Timestamp,
        /// Awareness.
        aware_at: Timestamp,
    },
    /// A request without its requester.
    #[error("intermediate_request, field `by`: must not be empty")]
    RequestWithoutRequester,
    /// A due-soon policy that makes no sense.
    #[error("due-soon policy: {percent} % (0–100) at most {at_most_seconds} s (not negative)")]
    BadPolicy {
        /// The share.
        percent: u32,
        /// The cap, seconds.
        at_most_seconds: i64,
    },
    /// An instant whose deadline is past the end of time.
    #[error("{what}: {at} plus the reporting period is out of range")]
    OutOfRange {
        /// Which instant.
        what: &'static str,
        /// Its value.
        at: Timestamp,
    },
}

/// The reporting clocks of one significant incident.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportingClock {
    input: ReportingInput,
    policy: DueSoonPolicy,
}

/// One clock before it is read against submissions.
struct Schedule {
    kind: ReportKind,
    basis: &'static str,
    /// Deadline and the period it ends (for the lead), or what it waits for.
    due: Result<(Timestamp, TimeDelta), &'static str>,
    /// The submission kinds that discharge it, and from when they count.
    met_by: &'static [ReportKind],
    counts_from: Timestamp,
}

impl ReportingClock {
    /// Checks the input and builds the clocks.
    pub fn new(input: ReportingInput, policy: DueSoonPolicy) -> Result<Self, DeadlineError> {
        for (index, s) in input.submissions.iter().enumerate() {
            if s.at < input.aware_at {
                return Err(DeadlineError::SubmissionBeforeAwareness {
                    index,
                    kind: s.kind,
                    at: s.at,
                    aware_at: input.aware_at,
                });
            }
            let bad = |field, problem| DeadlineError::BadSubmission {
                index,
                kind: s.kind,
                field,
                problem,
            };
            if s.version == 0 {
                return Err(bad("version", "versions start at 1"));
            }
            if s.digest.len() != 64 || !s.digest.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(bad("digest", "must be a SHA-256 digest, 64 hex digits"));
            }
            if is_blank(&s.to) {
                return Err(bad("to", "must name the recipient"));
            }
            if s.kind == ReportKind::IncidentNotification {
                add_month(s.at).ok_or(DeadlineError::OutOfRange {
                    what: "incident notification submission",
                    at: s.at,
                })?;
            }
        }
        if let Some(r) = &input.intermediate_request {
            if r.requested_at < input.aware_at {
                return Err(DeadlineError::RequestBeforeAwareness {
                    requested_at: r.requested_at,
                    aware_at: input.aware_at,
                });
            }
            if r.due <= r.requested_at {
                return Err(DeadlineError::RequestDueNotAfterRequest {
                    requested_at: r.requested_at,
                    due: r.due,
                });
            }
            if is_blank(&r.by) {
                return Err(DeadlineError::RequestWithoutRequester);
            }
        }
        if let Some(h) = input.handled_at {
            add_month(h).ok_or(DeadlineError::OutOfRange {
                what: "handled_at",
                at: h,
            })?;
        }
        input
            .aware_at
            .checked_add_signed(TimeDelta::hours(NOTIFICATION_HOURS))
            .ok_or(DeadlineError::OutOfRange {
                what: "aware_at",
                at: input.aware_at,
            })?;
        Ok(Self { input, policy })
    }

    /// Every report owed, read at `now`, in the order they fall due.
    pub fn obligations(&self, now: Timestamp) -> Vec<Obligation> {
        self.schedules(now)
            .into_iter()
            .map(|s| {
                let submitted = self.first_submission(&s, now);
                let (due, due_soon_from, state) = match s.due {
                    Err(until) => (
                        None,
                        None,
                        match submitted {
                            Some(at) => ObligationState::SubmittedOnTime { at },
                            None => ObligationState::Waiting {
                                until: until.to_owned(),
                            },
                        },
                    ),
                    Ok((due, period)) => {
                        let soon = due - self.policy.lead(period);
                        let state = match submitted {
                            Some(at) if at <= due => ObligationState::SubmittedOnTime { at },
                            Some(at) => ObligationState::SubmittedLate { at },
                            None if now > due => ObligationState::Overdue,
                            None if now >= soon => ObligationState::DueSoon,
                            None => ObligationState::Pending,
                        };
                        (Some(due), Some(soon), state)
                    }
                };
                Obligation {
                    kind: s.kind,
                    basis: s.basis.to_owned(),
                    due,
                    due_soon_from,
                    state,
                }
            })
            .collect()
    }

    /// The obligation of one kind, read at `now`, if one is owed.
    pub fn obligation(&self, kind: ReportKind, now: Timestamp) -> Option<Obligation> {
        self.obligations(now).into_iter().find(|o| o.kind == kind)
    }

    /// The crossings after `previous_now` up to `now`, earliest first.
    ///
    /// A report becomes due soon at the start of its lead and overdue once
    /// past its deadline; a crossing is listed when the report was not
    /// submitted by the instant of the crossing. Reading with each call's
    /// `now` as the next call's `previous_now` lists every crossing exactly
    /// once. A `now` not after `previous_now` lists nothing.
    ///
    /// The input is fixed between readings. When the incident's handling
    /// is recorded inside the progress report's lead, the final report
    /// takes the progress report's place; a crossing already listed for
    /// the one is not listed again for the other.
    pub fn reminders(&self, previous_now: Timestamp, now: Timestamp) -> Vec<Reminder> {
        if now <= previous_now {
            return Vec::new();
        }
        let mut out = Vec::new();
        for s in self.schedules(now) {
            let Ok((due, period)) = s.due else { continue };
            let submitted = self.first_submission(&s, now);
            let open_at = |instant: Timestamp| submitted.is_none_or(|at| at > instant);
            let soon = due - self.policy.lead(period);
            // Due soon from `soon` inclusive: crossed when previous < soon <= now.
            if previous_now < soon && soon <= now && open_at(soon) {
                out.push(Reminder {
                    kind: s.kind,
                    event: ReminderEvent::DueSoon,
                    at: soon,
                    due,
                });
            }
            // Overdue strictly after `due`: crossed when previous <= due < now.
            if previous_now <= due && due < now && open_at(due) {
                out.push(Reminder {
                    kind: s.kind,
                    event: ReminderEvent::Overdue,
                    at: due,
                    due,
                });
            }
        }
        out.sort_by_key(|r| (r.at, r.kind, r.event == ReminderEvent::Overdue));
        out
    }

    /// The earliest submission that discharges a clock, among those made
    /// by `now`.
    fn first_submission(&self, s: &Schedule, now: Timestamp) -> Option<Timestamp> {
        self.input
            .submissions
            .iter()
            .filter(|x| s.met_by.contains(&x.kind) && x.at >= s.counts_from && x.at <= now)
            .map(|x| x.at)
            .min()
    }

    fn first_of(&self, kind: ReportKind, now: Timestamp) -> Option<Timestamp> {
        self.input
            .submissions
            .iter()
            .filter(|x| x.kind == kind && x.at <= now)
            .map(|x| x.at)
            .min()
    }

    fn schedules(&self, now: Timestamp) -> Vec<Schedule> {
        use ReportKind::*;
        let aware = self.input.aware_at;
        let hours = TimeDelta::hours;
        let mut out = vec![
            // A notification carries everything an early warning does, so
            // one sent within 24 hours also discharges the early warning.
            Schedule {
                kind: EarlyWarning,
                basis: "Art. 23(4)(a): within 24 hours of becoming aware",
                due: Ok((
                    aware + hours(EARLY_WARNING_HOURS),
                    hours(EARLY_WARNING_HOURS),
                )),
                met_by: &[EarlyWarning, IncidentNotification],
                counts_from: aware,
            },
            Schedule {
                kind: IncidentNotification,
                basis: "Art. 23(4)(b): within 72 hours of becoming aware",
                due: Ok((aware + hours(NOTIFICATION_HOURS), hours(NOTIFICATION_HOURS))),
                met_by: &[IncidentNotification],
                counts_from: aware,
            },
        ];
        if let Some(r) = &self.input.intermediate_request {
            out.push(Schedule {
                kind: IntermediateReport,
                basis: "Art. 23(4)(c): by the deadline of the authority's request",
                due: Ok((r.due, r.due - r.requested_at)),
                met_by: &[IntermediateReport],
                counts_from: r.requested_at,
            });
        }

        let final_basis = "Art. 23(4)(d): within one month of submitting the incident notification";
        let Some(notified) = self.first_of(IncidentNotification, now) else {
            out.push(Schedule {
                kind: FinalReport,
                basis: final_basis,
                due: Err("the incident notification's submission"),
                met_by: &[FinalReport],
                counts_from: aware,
            });
            return out;
        };
        let final_due = add_month(notified).unwrap_or(Timestamp::MAX_UTC);
        let month = final_due - notified;
        let handled = self.input.handled_at.filter(|h| *h <= now);
        let handled_by_then = handled.is_some_and(|h| h <= final_due);
        let final_by_then = self
            .first_of(FinalReport, now)
            .is_some_and(|at| at <= final_due);
        if handled_by_then || final_by_then {
            out.push(Schedule {
                kind: FinalReport,
                basis: final_basis,
                due: Ok((final_due, month)),
                met_by: &[FinalReport],
                counts_from: aware,
            });
            return out;
        }
        // Still ongoing: a progress report when the final report would be
        // due, a final report within one month of the handling.
        out.push(Schedule {
            kind: ProgressReport,
            basis: "Art. 23(4)(e): when the final report would be due, the incident still ongoing",
            due: Ok((final_due, month)),
            met_by: &[ProgressReport, FinalReport],
            counts_from: aware,
        });
        out.push(Schedule {
            kind: FinalReport,
            basis: "Art. 23(4)(e): within one month of handling the incident",
            due: match handled {
                Some(h) => {
                    let due = add_month(h).unwrap_or(Timestamp::MAX_UTC);
                    Ok((due, due - h))
                }
                None => Err("the incident's handling"),
            },
            met_by: &[FinalReport],
            counts_from: aware,
        });
        out
    }
}

/// One calendar month later, clamped to the month's end. `None` only past
/// the end of representable time, which [`ReportingClock::new`] refuses.
fn add_month(at: Timestamp) -> Option<Timestamp> {
    at.checked_add_months(Months::new(1))
}

#[cfg(test)]
mod tests;
