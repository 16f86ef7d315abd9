//! Plausible volumes: a few thousand events per client per simulated hour by
//! day, fewer at night, with every kind of source contributing.

mod common;

use std::collections::HashMap;

use common::{json, run, tuesday};
use vigil_sim::{Emission, World};

fn per_tenant(world: &World, emissions: &[Emission]) -> HashMap<String, usize> {
    let mut counts = HashMap::new();
    for e in emissions {
        let tenant = world
            .source(&e.source)
            .expect("known source")
            .tenant
            .to_string();
        *counts.entry(tenant).or_default() += 1;
    }
    counts
}

#[test]
fn a_weekday_hour_is_busy_and_a_night_hour_quiet() {
    let world = World::generate(21);
    let (day, _) = run(&world, 21, tuesday(10), 60);
    let (night, _) = run(&world, 21, tuesday(3), 60);
    let day_counts = per_tenant(&world, &day);
    let night_counts = per_tenant(&world, &night);
    for t in &world.tenants {
        let id = t.tenant.id.to_string();
        let d = day_counts.get(&id).copied().unwrap_or(0);
        let n = night_counts.get(&id).copied().unwrap_or(0);
        assert!((1_500..=8_000).contains(&d), "{id}: {d} events at 10:00");
        assert!(
            (300..d).contains(&n),
            "{id}: {n} events at 03:00 against {d} by day"
        );
    }
}

#[test]
fn every_kind_of_feed_contributes_in_a_busy_hour() {
    let world = World::generate(21);
    let (day, _) = run(&world, 21, tuesday(10), 60);
    let mut by_product: HashMap<(String, String), usize> = HashMap::new();
    for e in &day {
        let s = world.source(&e.source).unwrap();
        *by_product
            .entry((s.tenant.to_string(), s.product.clone()))
            .or_default() += 1;
    }
    for t in &world.tenants {
        for s in &t.sources {
            if s.product == "vpn" {
                continue; // VPN sessions are evening and weekend affairs.
            }
            let n = by_product
                .get(&(t.tenant.id.to_string(), s.product.clone()))
                .copied()
                .unwrap_or(0);
            assert!(n >= 20, "{} {}: {n}", t.tenant.id, s.product);
        }
    }
    // A 5-minute sensor reports twelve times an hour.
    let hall = day
        .iter()
        .filter(|e| {
            json(e)
                .and_then(|f| f.get("sensor"))
                .and_then(|v| v.as_str())
                == Some("lon1-hall-1-temp-1")
        })
        .count();
    assert_eq!(hall, 12);
}

#[test]
fn the_vpn_is_used_in_the_evening() {
    let world = World::generate(21);
    let (evening, _) = run(&world, 21, tuesday(19), 60);
    let logins = evening
        .iter()
        .filter(
            |e| matches!(&e.payload, vigil_sim::Payload::Syslog(l) if l.contains("%ASA-6-113004")),
        )
        .count();
    assert!(logins >= 1, "{logins} VPN logins between 19:00 and 20:00");
}
