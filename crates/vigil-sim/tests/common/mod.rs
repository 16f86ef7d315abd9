//! Helpers shared by the simulator's integration tests.
#![allow(dead_code)]

use chrono::{DateTime, Duration, Utc};
use vigil_model::Timestamp;
use vigil_sim::{Emission, GroundTruth, Simulator, World};

/// A Tuesday, when London and Dublin are on UTC and Frankfurt an hour ahead.
pub fn tuesday(hour: u32) -> Timestamp {
    DateTime::parse_from_rfc3339(&format!("2026-11-24T{hour:02}:00:00Z"))
        .unwrap()
        .with_timezone(&Utc)
}

/// One emission as a line: time, source, payload.
pub fn line(e: &Emission) -> String {
    format!("{} {} {}", e.at.to_rfc3339(), e.source, e.payload.to_line())
}

/// Runs `world` from `start` for `minutes`, asking at the given minute
/// offsets (and at the end).
pub fn run(
    world: &World,
    seed: u64,
    start: Timestamp,
    minutes: i64,
) -> (Vec<Emission>, Vec<GroundTruth>) {
    let mut sim = Simulator::new(world, seed, start);
    let emissions = sim.advance_to(start + Duration::minutes(minutes));
    let truth = sim.take_ground_truth();
    (emissions, truth)
}

/// The JSON object of an emission, if it is one.
pub fn json(e: &Emission) -> Option<&vigil_model::Fields> {
    match &e.payload {
        vigil_sim::Payload::Json(f) => Some(f),
        _ => None,
    }
}

/// The syslog line of an emission, if it is one.
pub fn syslog(e: &Emission) -> Option<&str> {
    match &e.payload {
        vigil_sim::Payload::Syslog(l) => Some(l),
        _ => None,
    }
}

/// A string field of a JSON emission.
pub fn field<'a>(e: &'a Emission, key: &str) -> Option<&'a str> {
    json(e).and_then(|f| f.get(key)).and_then(|v| v.as_str())
}
