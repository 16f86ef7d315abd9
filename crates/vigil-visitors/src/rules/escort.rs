//! The escort rule's state: where hosts were seen lately, and visitors
//! waiting for their host to be seen.
//!
//! Bounded: sightings older than the window (behind the newest event) are
//! dropped, and at most `max` of each are kept. When the table of open
//! checks is full the check is decided at once (an alarm): failing loud
//! beats forgetting a visitor.

use std::collections::VecDeque;

use chrono::Duration;
use vigil_model::{Severity, TenantId, Timestamp};

use super::{AlarmCandidate, VisitorRule};
use crate::access::AccessObservation;
use crate::visit::Visit;

#[derive(Debug, Clone)]
struct Place {
    tenant: TenantId,
    door: Option<String>,
    zone: Option<String>,
    at: Timestamp,
}

impl Place {
    fn of(obs: &AccessObservation) -> Self {
        Self {
            tenant: obs.tenant.clone(),
            door: obs.door.clone(),
            zone: obs.zone.clone(),
            at: obs.at,
        }
    }

    /// Same tenant, same door or same zone, at most `window` apart.
    fn near(&self, other: &Place, window: Duration) -> bool {
        let same = |a: &Option<String>, b: &Option<String>| a.is_some() && a == b;
        self.tenant == other.tenant
            && (same(&self.door, &other.door) || same(&self.zone, &other.zone))
            && (self.at - other.at).abs() <= window
    }
}

#[derive(Debug)]
struct Waiting {
    host: String,
    place: Place,
    alarm: AlarmCandidate,
}

/// Host sightings and open escort checks.
#[derive(Debug)]
pub(super) struct Escorts {
    window: Duration,
    max: usize,
    seen: VecDeque<(String, Place)>,
    waiting: Vec<Waiting>,
}

impl Escorts {
    pub(super) fn new(window: Duration, max: usize) -> Self {
        Self {
            window,
            max: max.max(1),
            seen: VecDeque::new(),
            waiting: Vec::new(),
        }
    }

    /// A non-visitor badge was granted: if it is someone's host, it settles
    /// their waiting checks and is remembered for visitors who follow.
    pub(super) fn host_seen(&mut self, obs: &AccessObservation) {
        let Some(person) = obs.person.as_deref() else {
            return;
        };
        let place = Place::of(obs);
        let window = self.window;
        self.waiting
            .retain(|w| !(w.host == person && w.place.near(&place, window)));
        let horizon = obs.at - window;
        while self.seen.front().is_some_and(|(_, p)| p.at < horizon) || self.seen.len() >= self.max
        {
            self.seen.pop_front();
        }
        self.seen.push_back((person.to_owned(), place));
    }

    /// A visitor was granted into an escort-required zone: settled if their
    /// host was seen near, else waits (an alarm at once if nothing more can
    /// wait).
    pub(super) fn visitor_entered(
        &mut self,
        obs: &AccessObservation,
        visit: &Visit,
    ) -> Option<AlarmCandidate> {
        let place = Place::of(obs);
        if self
            .seen
            .iter()
            .any(|(p, s)| *p == visit.host && s.near(&place, self.window))
        {
            return None;
        }
        let alarm = AlarmCandidate::badge(VisitorRule::EscortMissing, Severity::High, visit, obs);
        if self.waiting.len() >= self.max {
            return Some(alarm);
        }
        self.waiting.push(Waiting {
            host: visit.host.clone(),
            place,
            alarm,
        });
        None
    }

    /// The checks (of `tenant`, or all) whose window closed before `now`,
    /// as alarms.
    pub(super) fn expire(
        &mut self,
        tenant: Option<&TenantId>,
        now: Timestamp,
    ) -> Vec<AlarmCandidate> {
        let window = self.window;
        let (due, keep): (Vec<_>, Vec<_>) = std::mem::take(&mut self.waiting)
            .into_iter()
            .partition(|w| {
                tenant.is_none_or(|t| *t == w.place.tenant) && w.place.at + window < now
            });
        self.waiting = keep;
        due.into_iter().map(|w| w.alarm).collect()
    }
}
