//! Doors with a people counter (mantraps, turnstiles) report every opening
//! someone comes in through, not only the tailgating story's: over a
//! working morning, the people they count are the inbound grants plus one
//! for each person who followed someone in, and no other door counts.

mod common;

use std::collections::HashMap;

use common::{field, json, run, tuesday};
use vigil_model::EntityKind;
use vigil_sim::{DeviceKind, World};

#[test]
fn counter_doors_count_every_passage_in_and_only_the_tailgater_is_extra() {
    let seed = 11;
    let world = World::generate(seed);
    let (emissions, truth) = run(&world, seed, tuesday(6), 6 * 60);
    let counting: Vec<&str> = world
        .tenants
        .iter()
        .flat_map(|t| &t.devices)
        .filter(|d| matches!(&d.kind, DeviceKind::Door(door) if door.counts_people()))
        .map(|d| d.id.as_str())
        .collect();
    assert!(!counting.is_empty(), "the world has mantraps");
    // Per door: inbound grants, people counted, grants on the way out.
    let mut seen: HashMap<&str, (u64, u64, u64)> = HashMap::new();
    for e in &emissions {
        let (Some(action), Some(door)) = (field(e, "action"), field(e, "door")) else {
            continue;
        };
        let entry = seen.entry(door).or_default();
        match action {
            "access_granted" if field(e, "direction") == Some("out") => entry.2 += 1,
            "access_granted" => entry.0 += 1,
            "people_counted" => {
                assert!(counting.contains(&door), "{door} has no counter");
                entry.1 += json(e)
                    .and_then(|f| f.get("count"))
                    .and_then(|c| c.as_u64())
                    .expect("a count");
            }
            _ => {}
        }
    }
    let mut tailgated: HashMap<&str, u64> = HashMap::new();
    for g in truth.iter().filter(|g| g.story == "tailgating") {
        if let Some(door) = g.entities.iter().find(|e| e.kind == EntityKind::Door) {
            *tailgated.entry(door.value.as_str()).or_default() += 1;
        }
    }
    let mut busy = 0;
    for door in &counting {
        let (granted, counted, out) = seen.get(door).copied().unwrap_or_default();
        let extra = tailgated.get(door).copied().unwrap_or_default();
        // A passage still under way when the morning ends may be counted
        // after it.
        assert!(
            counted <= granted + extra && counted + 2 >= granted + extra,
            "{door}: {granted} grants in, {counted} counted, {extra} tailgated"
        );
        busy += u64::from(granted > 20 && out > 0);
    }
    assert!(
        busy > 0,
        "some counter door is busy both ways in the morning"
    );
    assert!(!tailgated.is_empty(), "a tailgating story was told");
}
