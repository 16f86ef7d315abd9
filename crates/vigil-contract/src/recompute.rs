//! Clocks from scratch: fold the recorded transitions as of `now`.
//!
//! This is written independently of [`SlaClock::apply`] on purpose: it
//! first lays the transitions out as running stretches and pauses, then
//! walks the stretches to find where the warning point and the target fall.
//! The property test holds the two equal, so the incremental clock the desk
//! keeps in memory can always be rebuilt from the audit trail.

use std::sync::Arc;

use chrono::TimeDelta;
use vigil_model::Timestamp;

use crate::calendar::ServiceCalendar;
use crate::clock::{Phase, SlaClock, SlaTarget, SlaTransition, TransitionKind, admit};

/// A stretch during which the clock counted.
struct Stretch {
    from: Timestamp,
    /// `None` while still running.
    until: Option<Timestamp>,
    /// Ended by a stop rather than a pause: its projection still stands.
    stopped: bool,
}

/// The clock for `target` on `calendar` after the `transitions` that had
/// happened by `now`, in recorded order.
///
/// Transitions after `now` are not yet history and are left out. Ones the
/// clock would refuse (out of order, not applicable, a pause without a
/// reason) are skipped, exactly as [`SlaClock::apply`] refuses them.
pub fn recompute(
    target: &SlaTarget,
    calendar: &Arc<ServiceCalendar>,
    transitions: &[SlaTransition],
    now: Timestamp,
) -> SlaClock {
    let mut phase = Phase::Pending;
    let mut last: Option<Timestamp> = None;
    let mut started_at = None;
    let mut stretches: Vec<Stretch> = Vec::new();
    let mut paused_total = TimeDelta::zero();
    for t in transitions {
        if t.at > now || last.is_some_and(|l| t.at < l) || admit(&phase, &t.kind).is_err() {
            continue;
        }
        last = Some(t.at);
        phase = match (&phase, &t.kind) {
            (Phase::Pending, TransitionKind::Start) => {
                started_at = Some(t.at);
                stretches.push(Stretch {
                    from: t.at,
                    until: None,
                    stopped: false,
                });
                Phase::Running { since: t.at }
            }
            (Phase::Running { .. }, TransitionKind::Pause { reason, state }) => {
                if let Some(s) = stretches.last_mut() {
                    s.until = Some(t.at);
                }
                Phase::Paused {
                    since: t.at,
                    reason: reason.clone(),
                    state: *state,
                }
            }
            (Phase::Paused { since, .. }, TransitionKind::Resume) => {
                paused_total += t.at - *since;
                stretches.push(Stretch {
                    from: t.at,
                    until: None,
                    stopped: false,
                });
                Phase::Running { since: t.at }
            }
            (Phase::Running { .. }, TransitionKind::Stop) => {
                if let Some(s) = stretches.last_mut() {
                    s.until = Some(t.at);
                    s.stopped = true;
                }
                Phase::Stopped { at: t.at }
            }
            (Phase::Paused { since, .. }, TransitionKind::Stop) => {
                paused_total += t.at - *since;
                Phase::Stopped { at: t.at }
            }
            _ => phase.clone(),
        };
    }

    let counted = stretches
        .iter()
        .filter_map(|s| s.until.map(|u| calendar.business_time_between(s.from, u)))
        .fold(TimeDelta::zero(), |a, b| a + b);
    let reach = |amount: TimeDelta| -> Option<Timestamp> {
        let mut remaining = amount;
        for s in &stretches {
            match s.until {
                Some(until) if !s.stopped => {
                    let got = calendar.business_time_between(s.from, until);
                    if remaining <= got {
                        return Some(calendar.add_business_time(s.from, remaining));
                    }
                    remaining -= got;
                }
                // Still running, or stopped: where the amount would run out.
                _ => return Some(calendar.add_business_time(s.from, remaining)),
            }
        }
        None
    };
    let (warn_at, due) = match phase {
        Phase::Pending => (None, None),
        _ => (reach(target.warn_after()), reach(target.target)),
    };

    SlaClock {
        target: *target,
        calendar: Arc::clone(calendar),
        phase,
        started_at,
        last_at: last,
        counted,
        paused_total,
        warn_at,
        due,
    }
}

#[cfg(test)]
mod tests;
