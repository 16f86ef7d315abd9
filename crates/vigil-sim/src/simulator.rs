//! The simulator: plays the world minute by minute and hands out what
//! happened up to the time the caller asks for.

use std::collections::BTreeMap;

use chrono::{Duration, DurationRound};
use vigil_model::Timestamp;

use crate::activity::{self, Out, Slot};
use crate::emission::Emission;
use crate::stories::{GroundTruth, Storyteller};
use crate::tenant_sim::TenantSim;
use crate::world::World;

/// Length of one generation step.
const SLOT: i64 = 60_000;

/// A deterministic player of a [`World`].
///
/// Time is cut into one-minute slots from `start`. Asking for events up to
/// `until` generates every slot that begins before `until` (each from its
/// own random streams, in order) and hands out the events dated before
/// `until`; later events of those slots wait for the next call. So the
/// output depends only on the world, the seed and `start` — not on how time
/// is chopped into calls.
#[derive(Debug)]
pub struct Simulator {
    seed: u64,
    start: Timestamp,
    tenants: Vec<TenantSim>,
    storyteller: Storyteller,
    /// Slots `0..generated` have been generated.
    generated: u64,
    /// The latest `until` handed out.
    now: Timestamp,
    /// Generated events not yet handed out, by (time, generation order).
    pending: BTreeMap<(Timestamp, u64), Emission>,
    next_order: u64,
    /// Ground truth of stories generated, by (start, instance), not yet taken.
    truth: BTreeMap<(Timestamp, String), GroundTruth>,
}

impl Simulator {
    /// A simulator of `world` starting at simulated time `start` (taken to
    /// the millisecond, the precision of every payload).
    pub fn new(world: &World, seed: u64, start: Timestamp) -> Self {
        let start = start
            .duration_trunc(Duration::milliseconds(1))
            .unwrap_or(start);
        let tenants: Vec<TenantSim> = world.tenants.iter().cloned().map(TenantSim::new).collect();
        let storyteller = Storyteller::new(seed, start, &tenants);
        Self {
            seed,
            start,
            tenants,
            storyteller,
            generated: 0,
            now: start,
            pending: BTreeMap::new(),
            next_order: 0,
            truth: BTreeMap::new(),
        }
    }

    /// The simulated time the simulator started at.
    pub fn start(&self) -> Timestamp {
        self.start
    }

    /// The simulated time up to which events have been handed out.
    pub fn now(&self) -> Timestamp {
        self.now
    }

    fn slot(&self, index: u64) -> Slot {
        let offset = |i: u64| Duration::milliseconds(SLOT.saturating_mul(i as i64));
        Slot {
            seed: self.seed,
            index,
            start: self.start + offset(index),
            end: self.start + offset(index + 1),
        }
    }

    fn generate(&mut self, slot: &Slot) {
        let mut out = Out::default();
        for tenant in &mut self.tenants {
            activity::generate(tenant, slot, &mut out);
        }
        for truth in self.storyteller.tell(slot, &self.tenants, &mut out) {
            self.truth
                .insert((truth.started_at, truth.instance.clone()), truth);
        }
        for mut emission in out.emissions {
            // Nothing may land before its slot, or an earlier call would
            // already have handed out its neighbours.
            emission.at = emission.at.max(slot.start);
            self.pending
                .insert((emission.at, self.next_order), emission);
            self.next_order += 1;
        }
    }

    /// Everything that happens in [previous `until`, `until`), in time order
    /// (ties in a fixed order). A time not after the previous one returns
    /// nothing.
    pub fn advance_to(&mut self, until: Timestamp) -> Vec<Emission> {
        if until <= self.now {
            return Vec::new();
        }
        loop {
            let slot = self.slot(self.generated);
            if slot.start >= until {
                break;
            }
            self.generate(&slot);
            self.generated += 1;
        }
        self.now = until;
        let later = self.pending.split_off(&(until, 0));
        let due = std::mem::replace(&mut self.pending, later);
        due.into_values().collect()
    }

    /// Ground truth of the attack stories that have started before the
    /// latest `until`, each returned once, in order of start.
    pub fn take_ground_truth(&mut self) -> Vec<GroundTruth> {
        let later = self.truth.split_off(&(self.now, String::new()));
        let due = std::mem::replace(&mut self.truth, later);
        due.into_values().collect()
    }
}
