//! The control room's operators in `vigil bench triage`: a few people who
//! take new alarms from the queue, highest priority first, each when free.
//!
//! Without them the bench's analysts would acknowledge an alarm at the
//! instant it is raised, and every handling-time figure would read zero.
//! The model is deliberately simple and seeded: an operator who is free
//! takes the next alarm after a reaction time (a fixed part plus an
//! exponential one), acknowledges it, and is busy assessing it for a while
//! before taking the next. The bench raises alarms in bursts (its events
//! arrive in batches), so the percentiles include queueing behind a burst,
//! as they would in a room that received them that way.

use std::collections::{BTreeSet, HashSet};

use chrono::Duration;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use vigil_desk::alarm::Alarm;
use vigil_model::{AlertId, Timestamp};

/// Milliseconds from noticing an alarm to acknowledging it: fixed part.
const REACTION_FIXED_MS: f64 = 4_000.0;
/// Milliseconds from noticing an alarm to acknowledging it: mean of the
/// exponential part.
const REACTION_MEAN_MS: f64 = 12_000.0;
/// Milliseconds an operator spends on an alarm after acknowledging it
/// before taking the next: fixed part.
const ASSESS_FIXED_MS: f64 = 15_000.0;
/// Mean of the exponential part of the assessment.
const ASSESS_MEAN_MS: f64 = 30_000.0;

/// The operators on shift and the acknowledgements they have yet to make.
#[derive(Debug)]
pub struct Operators {
    /// When each operator is next free.
    free_at: Vec<Timestamp>,
    /// Acknowledgements to make, in time order.
    due: BTreeSet<(Timestamp, AlertId)>,
    /// Alarms already given to someone.
    taken: HashSet<AlertId>,
    rng: StdRng,
}

impl Operators {
    /// `count` operators (at least one), free from `start`.
    pub fn new(count: usize, seed: u64, start: Timestamp) -> Self {
        Self {
            free_at: vec![start; count.max(1)],
            due: BTreeSet::new(),
            taken: HashSet::new(),
            rng: StdRng::seed_from_u64(seed ^ 0x6f70_6572_6174_6f72),
        }
    }

    /// How many operators are on shift.
    pub fn count(&self) -> usize {
        self.free_at.len()
    }

    /// Gives every alarm of `queue` (in queue order: highest priority
    /// first) not yet taken to the operator free first, and schedules its
    /// acknowledgement.
    pub fn take(&mut self, queue: &[Alarm]) {
        for alarm in queue {
            if !self.taken.insert(alarm.id) {
                continue;
            }
            let Some((slot, free)) = self.free_at.iter().copied().enumerate().min_by_key(|x| x.1)
            else {
                return;
            };
            let noticed = free.max(alarm.raised_at);
            let ack = noticed + self.sample(REACTION_FIXED_MS, REACTION_MEAN_MS);
            self.free_at[slot] = ack + self.sample(ASSESS_FIXED_MS, ASSESS_MEAN_MS);
            self.due.insert((ack, alarm.id));
        }
    }

    /// The acknowledgements due by `until`, in time order, removed from
    /// the schedule.
    pub fn due_by(&mut self, until: Timestamp) -> Vec<(Timestamp, AlertId)> {
        let mut out = Vec::new();
        while let Some(&first) = self.due.first() {
            if first.0 > until {
                break;
            }
            self.due.pop_first();
            out.push(first);
        }
        out
    }

    /// A fixed part plus an exponentially distributed one, in whole
    /// milliseconds.
    fn sample(&mut self, fixed_ms: f64, mean_ms: f64) -> Duration {
        let u: f64 = self.rng.random::<f64>();
        let ms = fixed_ms - mean_ms * (1.0 - u).ln();
        Duration::milliseconds(ms.min(3_600_000.0) as i64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use vigil_model::{Clock, SystemClock};

    fn alarm_at(raised: Timestamp, n: usize) -> Alarm {
        let tenant = vigil_model::TenantId::new("client").expect("tenant id");
        let alert = vigil_model::Alert {
            id: vigil_model::alert_id_for(&tenant, "r", &format!("host:{n}"), raised),
            tenant,
            site: None,
            rule_id: "r".into(),
            rule_title: "Rule".into(),
            severity: vigil_model::Severity::High,
            status: vigil_model::AlertStatus::New,
            group_key: format!("host:{n}"),
            window_start: raised,
            first_seen: raised,
            last_seen: raised,
            event_count: 1,
            entities: Vec::new(),
            evidence: Vec::new(),
            created_at: raised,
            updated_at: raised,
        };
        Alarm::from_alert(&alert, raised)
    }

    #[test]
    fn a_burst_is_taken_in_queue_order_and_queues_behind_busy_operators() {
        let start = SystemClock.now();
        let mut ops = Operators::new(2, 7, start);
        let burst: Vec<Alarm> = (0..6).map(|n| alarm_at(start, n)).collect();
        ops.take(&burst);
        // Taking the same alarms again schedules nothing more.
        ops.take(&burst);
        let acks = ops.due_by(start + Duration::days(1));
        assert_eq!(acks.len(), 6);
        assert!(acks.iter().all(|(at, _)| *at > start));
        assert!(acks.windows(2).all(|w| w[0].0 <= w[1].0));
        // The first two go at once to the two operators; the last waits
        // behind at least two assessments.
        let minimum_wait = Duration::milliseconds((2.0 * ASSESS_FIXED_MS) as i64);
        assert!(acks[5].0 - start >= minimum_wait);
        assert!(ops.due_by(start + Duration::days(2)).is_empty());
    }

    #[test]
    fn acknowledgements_are_released_only_when_due() {
        let start = SystemClock.now();
        let mut ops = Operators::new(1, 1, start);
        ops.take(&[alarm_at(start, 0)]);
        assert!(ops.due_by(start).is_empty());
        assert_eq!(ops.due_by(start + Duration::hours(2)).len(), 1);
    }
}
