use std::collections::HashSet;

use chrono::{DateTime, Duration, Utc};

use super::*;
use crate::World;

fn start() -> DateTime<Utc> {
    // Any time will do: everything is relative to it.
    Utc::now()
}

#[test]
fn every_client_has_an_inventory_with_unique_serials_and_ids() {
    let world = World::generate(3);
    let today = start().date_naive();
    for tw in &world.tenants {
        let inventory = tw.inventory(today);
        assert!(inventory.len() > 5, "{}: {}", tw.tenant.id, inventory.len());
        let serials: HashSet<_> = inventory.iter().map(|d| d.serial.to_lowercase()).collect();
        assert_eq!(serials.len(), inventory.len(), "{}: serials", tw.tenant.id);
        let keys: HashSet<_> = inventory
            .iter()
            .map(|d| (d.site.clone(), d.id.clone()))
            .collect();
        assert_eq!(keys.len(), inventory.len(), "{}: device ids", tw.tenant.id);
        for d in &inventory {
            assert!(
                d.installed < today && d.installed < d.warranty_until,
                "{d:?}"
            );
            assert!(tw.sites.iter().any(|s| s.id == d.site));
        }
        assert_eq!(tw.inventory(today), inventory, "deterministic");
    }
}

#[test]
fn the_estate_runs_products_of_the_advisories_inside_and_outside_their_ranges() {
    let world = World::generate(3);
    let today = start().date_naive();
    let all: Vec<InstalledDevice> = world
        .tenants
        .iter()
        .flat_map(|t| t.inventory(today))
        .collect();
    let runs = |model: &str, firmware: &str| {
        all.iter()
            .any(|d| d.model == model && d.firmware == firmware)
    };
    // Inside: C•CURE 2.80, iStar Pro, NetBox 5.6.1, Siveillance Control V3.1.0, Device Pack 13.1.
    assert!(runs("Software House C•CURE 9000", "2.80"));
    assert!(runs("iStar Pro", "6.6.5"));
    assert!(runs("NetBox", "5.6.1"));
    assert!(runs("Siveillance Control", "V3.1.0"));
    assert!(runs("Siveillance Video Device Pack", "13.1"));
    // Outside: the fixes and a neighbouring product.
    assert!(runs("Software House C•CURE 9000", "3.00.2 CU02"));
    assert!(runs("Siveillance Control", "V3.1.1"));
    assert!(runs("iStar Edge", "6.6.5"));
    // The iStar Pro is past its end of support; nothing else is.
    for d in &all {
        let past = d.end_of_support.is_some_and(|e| e < today);
        assert_eq!(past, d.model == "iStar Pro", "{d:?}");
    }
}

#[test]
fn the_maintenance_calendar_names_inventory_devices_in_every_fate() {
    let world = World::generate(3);
    let start = start();
    let mut fates = HashSet::new();
    for tw in &world.tenants {
        let inventory: HashSet<_> = tw
            .inventory(start.date_naive())
            .into_iter()
            .map(|d| (d.site, d.id))
            .collect();
        let orders = tw.maintenance(start);
        assert!(orders.len() >= 3, "{}", tw.tenant.id);
        for o in &orders {
            assert!(!o.devices.is_empty(), "{o:?}");
            for d in &o.devices {
                assert!(
                    inventory.contains(d),
                    "{}: {d:?} is not installed",
                    tw.tenant.id
                );
            }
            assert!(o.starts_at < o.ends_at && o.ends_at - o.starts_at <= Duration::days(14));
            // Every window is still open or ahead: the client can approve it.
            assert!(o.ends_at > start, "{o:?}");
            assert!(o.starts_at < start + Duration::days(31), "{o:?}");
            fates.insert(std::mem::discriminant(&o.fate));
        }
    }
    assert_eq!(
        fates.len(),
        5,
        "planned, approved, done, failed, rolled back"
    );
}

#[test]
fn visits_in_every_state_and_one_on_the_watchlist() {
    let world = World::generate(3);
    let start = start();
    let mut listed = 0;
    for tw in &world.tenants {
        let visits = tw.visits(start);
        assert!(visits.len() >= 5, "{}", tw.tenant.id);
        let people: HashSet<_> = tw
            .people
            .iter()
            .filter_map(|p| p.username.clone())
            .collect();
        for v in &visits {
            assert!(
                v.window_start < v.window_end && v.window_end > start,
                "{v:?}"
            );
            assert!(
                v.window_end - v.window_start <= Duration::hours(12),
                "{v:?}"
            );
            assert!(people.contains(&v.host), "{v:?}");
            assert!(
                !v.zones.is_empty() && v.zones.iter().all(|z| tw.zone(z).is_some()),
                "{v:?}"
            );
            // Whoever signs in does so inside the window or at most 30 minutes early.
            if !matches!(v.fate, VisitFate::PreRegistered | VisitFate::Approved) {
                assert!(v.window_start <= start + Duration::minutes(30), "{v:?}");
            }
        }
        let names: HashSet<_> = visits.iter().map(|v| v.visitor_name.clone()).collect();
        listed += tw
            .watchlist()
            .iter()
            .filter(|w| names.contains(&w.name))
            .count();
        assert_eq!(tw.visits(start), visits, "deterministic");
    }
    assert_eq!(listed, 1, "one visitor is on a client's watchlist");
}
