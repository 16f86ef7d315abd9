//! Everyday life of the clients, one simulated minute at a time.
//!
//! Each generator draws from its own random stream named by the client, the
//! generator and the minute, so a minute's events depend only on the seed and
//! the minute. Events may be dated later than their minute (a shift's logoff,
//! a door closing) but never earlier.

pub mod acts;
mod daily;
pub mod desk;
mod facility;
mod hosts;
mod network;
pub mod protocol_traffic;
mod sensors;
mod shifts;
pub mod vpn;

use chrono::Duration;
use rand::Rng;
use vigil_model::{Fields, SourceId, Timestamp};

use crate::emission::{Emission, Payload};
use crate::rng::{SimRng, stream_at};
use crate::tenant_sim::TenantSim;

/// One simulated minute.
#[derive(Debug, Clone, Copy)]
pub struct Slot {
    /// The simulation's seed.
    pub seed: u64,
    /// Minutes since the simulation's start.
    pub index: u64,
    /// First instant of the minute.
    pub start: Timestamp,
    /// First instant after it.
    pub end: Timestamp,
}

impl Slot {
    /// The random stream of generator `what` of client `tenant` in this minute.
    pub fn rng(&self, tenant: &str, what: &str) -> SimRng {
        stream_at(self.seed, &[tenant, what], &[self.index])
    }

    /// A uniformly random instant in the minute, to the millisecond.
    pub fn random_time(&self, rng: &mut SimRng) -> Timestamp {
        let span = (self.end - self.start).num_milliseconds().max(1);
        self.start + Duration::milliseconds(rng.random_range(0..span))
    }

    /// Whether `t` falls in the minute.
    pub fn contains(&self, t: Timestamp) -> bool {
        self.start <= t && t < self.end
    }

    /// The minute's length in hours, to turn hourly rates into means.
    pub fn hours(&self) -> f64 {
        (self.end - self.start).num_milliseconds() as f64 / 3_600_000.0
    }
}

/// Where generators put their events.
#[derive(Debug, Default)]
pub struct Out {
    /// Collected emissions, in generation order.
    pub emissions: Vec<Emission>,
}

impl Out {
    /// Adds a JSON event.
    pub fn json(&mut self, at: Timestamp, source: &Option<SourceId>, fields: Fields) {
        if let Some(source) = source {
            self.emissions.push(Emission {
                at,
                source: source.clone(),
                payload: Payload::Json(fields),
            });
        }
    }

    /// Adds a syslog line.
    pub fn syslog(&mut self, at: Timestamp, source: &Option<SourceId>, line: String) {
        if let Some(source) = source {
            self.emissions.push(Emission {
                at,
                source: source.clone(),
                payload: Payload::Syslog(line),
            });
        }
    }
}

/// A random duration between `lo` and `hi` seconds, to the millisecond.
pub fn secs(rng: &mut SimRng, lo: f64, hi: f64) -> Duration {
    let ms = if hi > lo {
        rng.random_range(lo * 1000.0..hi * 1000.0)
    } else {
        lo * 1000.0
    };
    Duration::milliseconds(ms.max(0.0) as i64)
}

/// Everything one client does in one minute.
pub fn generate(t: &mut TenantSim, slot: &Slot, out: &mut Out) {
    shifts::generate(t, slot, out);
    hosts::generate(t, slot, out);
    network::generate(t, slot, out);
    vpn::generate(t, slot, out);
    facility::generate(t, slot, out);
    protocol_traffic::generate(t, slot, out);
}
