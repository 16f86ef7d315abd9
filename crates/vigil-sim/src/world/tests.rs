use std::collections::HashSet;

use vigil_model::{SiteId, SourceKind};

use super::*;

fn world() -> World {
    World::generate(7)
}

#[test]
fn there_are_three_clients_with_one_to_three_sites() {
    let w = world();
    let ids: Vec<&str> = w.tenants.iter().map(|t| t.tenant.id.as_str()).collect();
    assert_eq!(ids, ["northgate", "riverside", "st-aurelia"]);
    for t in &w.tenants {
        assert!((1..=3).contains(&t.sites.len()), "{}", t.tenant.id);
        for s in &t.sites {
            assert_eq!(s.tenant, t.tenant.id);
            assert!(
                s.timezone.parse::<chrono_tz::Tz>().is_ok(),
                "{}",
                s.timezone
            );
        }
    }
}

#[test]
fn each_client_has_tens_of_people_hosts_and_devices() {
    for t in &world().tenants {
        let name = t.tenant.id.as_str();
        assert!(
            (20..=150).contains(&t.people.len()),
            "{name}: {} people",
            t.people.len()
        );
        assert!(
            (20..=100).contains(&t.hosts.len()),
            "{name}: {} hosts",
            t.hosts.len()
        );
        assert!(
            (20..=200).contains(&t.devices.len()),
            "{name}: {} devices",
            t.devices.len()
        );
    }
}

#[test]
fn every_id_is_a_valid_slug_and_unique() {
    let w = world();
    let mut sources = HashSet::new();
    for s in w.all_sources() {
        assert!(sources.insert(s.id.clone()), "duplicate source {}", s.id);
        assert!(s.id.as_str().starts_with(s.tenant.as_str()));
    }
    for t in &w.tenants {
        let mut ids = HashSet::new();
        for id in t
            .devices
            .iter()
            .map(|d| &d.id)
            .chain(t.zones.iter().map(|z| &z.id))
        {
            assert!(SiteId::new(id).is_ok(), "{id} is not a slug");
            assert!(
                ids.insert(id.clone()),
                "duplicate id {id} in {}",
                t.tenant.id
            );
        }
        for d in &t.devices {
            if let DeviceKind::Door(door) = &d.kind {
                for id in door.reader.iter().chain(door.camera.iter()) {
                    assert!(SiteId::new(id).is_ok(), "{id} is not a slug");
                }
            }
        }
        let mut badges = HashSet::new();
        for p in &t.people {
            for b in &p.badges {
                assert!(SiteId::new(&b.id).is_ok());
                assert!(badges.insert(b.id.clone()), "duplicate badge {}", b.id);
            }
        }
        let hosts: HashSet<&str> = t.hosts.iter().map(|h| h.name.as_str()).collect();
        assert_eq!(
            hosts.len(),
            t.hosts.len(),
            "duplicate host names in {}",
            t.tenant.id
        );
    }
}

#[test]
fn references_point_at_things_that_exist() {
    for t in &world().tenants {
        let zones: HashSet<&str> = t.zones.iter().map(|z| z.id.as_str()).collect();
        for d in &t.devices {
            assert!(
                zones.contains(d.zone.as_str()),
                "{} in unknown zone {}",
                d.id,
                d.zone
            );
            match &d.kind {
                DeviceKind::Door(door) => {
                    assert!(
                        zones.contains(door.from_zone.as_str()),
                        "{}",
                        door.from_zone
                    );
                    if let Some(c) = &door.camera {
                        assert!(t.device(c).is_some(), "camera {c}");
                    }
                }
                DeviceKind::Camera {
                    covers_door: Some(door),
                } => {
                    assert!(t.device(door).is_some(), "door {door}");
                }
                _ => {}
            }
        }
        for p in &t.people {
            for z in &p.access {
                assert!(
                    zones.contains(z.as_str()),
                    "{} may enter unknown zone {z}",
                    p.name
                );
            }
            if let Some(ws) = &p.workstation {
                let host = t.host(ws).expect("workstation exists");
                assert_eq!(host.owner, p.username);
            }
        }
        for h in &t.hosts {
            if let Some(z) = &h.zone {
                assert!(zones.contains(z.as_str()), "{} in unknown zone {z}", h.name);
            }
        }
    }
}

#[test]
fn every_client_sends_windows_firewall_and_vpn_and_every_site_its_physical_feeds() {
    for t in &world().tenants {
        for (product, kind) in [
            ("windows", SourceKind::Http),
            ("vpn", SourceKind::SyslogTcp),
        ] {
            let s = t.source_for(product, None).expect(product);
            assert_eq!(s.kind, kind);
        }
        assert!(t.sources.iter().any(|s| s.kind == SourceKind::SyslogTcp
            && ["fortigate", "paloalto"].contains(&s.product.as_str())));
        for site in &t.sites {
            for product in ["access", "video", "sensors"] {
                let s = t.source_for(product, Some(&site.id)).expect(product);
                assert_eq!(s.kind, SourceKind::Http);
                assert_eq!(s.tenant, t.tenant.id);
            }
        }
    }
}

#[test]
fn statuses_include_leavers_and_the_hospital_has_an_unrevoked_one_with_pharmacy_access() {
    for seed in 0..10 {
        let w = World::generate(seed);
        for t in &w.tenants {
            assert!(
                t.people
                    .iter()
                    .any(|p| p.status == PersonStatus::Terminated)
            );
            assert!(t.people.iter().any(|p| p.status == PersonStatus::OnLeave));
        }
        let hospital = w
            .tenants
            .iter()
            .find(|t| t.tenant.id.as_str() == "st-aurelia")
            .unwrap();
        let unrevoked = hospital.people.iter().filter(|p| {
            p.status == PersonStatus::Terminated
                && p.current_badge()
                    .is_some_and(|b| b.state == BadgeState::Active)
                && p.access.iter().any(|z| z.ends_with("-pharmacy"))
        });
        assert_eq!(unrevoked.count(), 1, "seed {seed}");
    }
}

#[test]
fn the_seed_chooses_the_people_not_the_skeleton() {
    let (a, b) = (World::generate(1), World::generate(2));
    assert_eq!(World::generate(1), a);
    for (ta, tb) in a.tenants.iter().zip(&b.tenants) {
        assert_eq!(ta.devices, tb.devices);
        assert_eq!(ta.sources, tb.sources);
        assert_ne!(ta.people, tb.people);
    }
}

#[test]
fn lookups_find_what_they_name() {
    let w = world();
    let t = w
        .tenant(&vigil_model::TenantId::new("riverside").unwrap())
        .unwrap();
    assert!(t.doors().count() > 5);
    assert!(t.zone("plant-control-room").is_some_and(|z| z.critical));
    let s = w.all_sources()[0];
    assert_eq!(w.source(&s.id), Some(s));
    assert!(
        w.tenant(&vigil_model::TenantId::new("nobody").unwrap())
            .is_none()
    );
}
