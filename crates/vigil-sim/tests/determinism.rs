//! The same seed gives the same emissions, byte for byte, however time is
//! chopped into `advance_to` calls.

mod common;

use std::sync::OnceLock;

use chrono::Duration;
use common::{line, tuesday};
use proptest::prelude::*;
use vigil_sim::{Simulator, World};

const MINUTES: i64 = 25;

/// The output of one call covering the whole window, and its ground truth.
fn one_shot() -> &'static (Vec<String>, Vec<String>) {
    static ONCE: OnceLock<(Vec<String>, Vec<String>)> = OnceLock::new();
    ONCE.get_or_init(|| {
        let world = World::generate(11);
        let mut sim = Simulator::new(&world, 11, tuesday(7));
        let lines = sim
            .advance_to(tuesday(7) + Duration::minutes(MINUTES))
            .iter()
            .map(line)
            .collect();
        let truth = sim
            .take_ground_truth()
            .iter()
            .map(|g| serde_json::to_string(g).unwrap())
            .collect();
        (lines, truth)
    })
}

fn chopped(cuts_ms: &[i64]) -> (Vec<String>, Vec<String>) {
    let world = World::generate(11);
    let mut sim = Simulator::new(&world, 11, tuesday(7));
    let mut lines = Vec::new();
    let mut truth = Vec::new();
    let mut cuts: Vec<i64> = cuts_ms.to_vec();
    cuts.push(MINUTES * 60_000);
    for cut in cuts {
        lines.extend(
            sim.advance_to(tuesday(7) + Duration::milliseconds(cut))
                .iter()
                .map(line),
        );
        truth.extend(
            sim.take_ground_truth()
                .iter()
                .map(|g| serde_json::to_string(g).unwrap()),
        );
    }
    (lines, truth)
}

#[test]
fn the_same_seed_gives_the_same_bytes() {
    let (lines, truth) = one_shot();
    assert!(lines.len() > 500, "only {} emissions", lines.len());
    assert!(!truth.is_empty());
    let world = World::generate(11);
    let mut again = Simulator::new(&world, 11, tuesday(7));
    let lines_again: Vec<String> = again
        .advance_to(tuesday(7) + Duration::minutes(MINUTES))
        .iter()
        .map(line)
        .collect();
    assert_eq!(&lines_again, lines);
}

#[test]
fn another_seed_tells_another_story() {
    let world = World::generate(12);
    let mut sim = Simulator::new(&world, 12, tuesday(7));
    let other: Vec<String> = sim
        .advance_to(tuesday(7) + Duration::minutes(5))
        .iter()
        .map(line)
        .collect();
    let (lines, _) = one_shot();
    assert_ne!(&other, &lines[..other.len().min(lines.len())]);
}

#[test]
fn chopping_into_seconds_changes_nothing() {
    // Cut at every 7.3 seconds: many calls land mid-minute and mid-story.
    let cuts: Vec<i64> = (1..(MINUTES * 60_000 / 7_300)).map(|k| k * 7_300).collect();
    assert_eq!(&chopped(&cuts), one_shot());
}

#[test]
fn emissions_come_in_time_order_within_each_call() {
    let world = World::generate(11);
    let mut sim = Simulator::new(&world, 11, tuesday(7));
    let mut previous = tuesday(7);
    for k in 1..=20 {
        let until = tuesday(7) + Duration::seconds(45 * k);
        for e in sim.advance_to(until) {
            assert!(
                e.at >= previous && e.at < until,
                "{} outside [{previous}, {until})",
                e.at
            );
            previous = e.at;
        }
    }
    assert!(
        sim.advance_to(tuesday(7)).is_empty(),
        "going back in time yields nothing"
    );
    assert!(sim.advance_to(previous).is_empty());
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 6, ..ProptestConfig::default() })]

    #[test]
    fn any_chopping_gives_the_one_shot_output(mut cuts in proptest::collection::vec(0i64..MINUTES * 60_000, 0..12)) {
        cuts.sort_unstable();
        prop_assert_eq!(&chopped(&cuts), one_shot());
    }
}
