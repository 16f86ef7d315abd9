//! Northgate Data Centres: a colocation operator with a data centre in London
//! and one in Frankfurt. Data halls and customers' cages behind mantraps, a
//! network operations centre staffed round the clock, customers' technicians
//! coming and going, cooling units and dense environmental monitoring.

use vigil_model::{SiteId, SourceKind};

use super::build::{Staff, TenantBuilder, daily, office, round_the_clock};
use super::{DeviceKind, HostRole, Role, SensorMetric, TenantWorld};
use crate::rng::SimRng;

/// A data hall and the cages in it.
struct Hall {
    number: u32,
    cages: &'static [&'static str],
}

const LON1_HALLS: [Hall; 2] = [Hall { number: 1, cages: &["a", "b", "c"] }, Hall { number: 2, cages: &["d", "e"] }];
const FRA1_HALLS: [Hall; 1] = [Hall { number: 1, cages: &["a", "b"] }];

/// Builds Northgate.
pub fn build(rng: &mut SimRng) -> TenantWorld {
    let mut b = TenantBuilder::new(rng, "northgate", "Northgate Data Centres", "NORTHGATE", "northgate.local", "198.51.100.10");
    let lon1 = b.site("lon1", "London Docklands DC", "Europe/London");
    let fra1 = b.site("fra1", "Frankfurt Ostend DC", "Europe/Berlin");
    data_centre(&mut b, &lon1, &LON1_HALLS);
    data_centre(&mut b, &fra1, &FRA1_HALLS);

    let server = "Windows Server 2022 Standard";
    for (name, site, ip, role) in [
        ("ng-dc-01", &lon1, "10.10.1.10", HostRole::DomainController),
        ("ng-dc-02", &fra1, "10.11.1.10", HostRole::DomainController),
        ("ng-fs-01", &lon1, "10.10.1.20", HostRole::Server),
        ("ng-dcim-01", &lon1, "10.10.1.30", HostRole::Server),
        ("ng-acs-01", &lon1, "10.10.1.31", HostRole::Server),
        ("ng-vms-01", &lon1, "10.10.1.32", HostRole::Server),
        ("ng-bms-01", &lon1, "10.10.1.33", HostRole::Server),
        ("ng-sql-01", &lon1, "10.10.1.40", HostRole::Server),
        ("ng-backup-01", &lon1, "10.10.1.50", HostRole::Server),
        ("ng-portal-01", &lon1, "10.10.1.60", HostRole::Server),
        ("ng-jump-01", &lon1, "10.10.1.70", HostRole::JumpHost),
        ("ng-acs-02", &fra1, "10.11.1.31", HostRole::Server),
        ("ng-vms-02", &fra1, "10.11.1.32", HostRole::Server),
    ] {
        b.host(name, site, server, ip, role, "it-servers", None);
    }
    let console = "Windows 11 Enterprise 23H2";
    for (name, site, ip, zone) in [
        ("ng-noc-01", &lon1, "10.10.10.11", "lon1-noc"),
        ("ng-noc-02", &lon1, "10.10.10.12", "lon1-noc"),
        ("ng-noc-03", &lon1, "10.10.10.13", "lon1-noc"),
        ("ng-noc-04", &lon1, "10.10.10.14", "lon1-noc"),
        ("ng-sec-01", &lon1, "10.10.10.21", "lon1-lobby"),
        ("ng-noc-05", &fra1, "10.11.10.11", "fra1-noc"),
        ("ng-noc-06", &fra1, "10.11.10.12", "fra1-noc"),
        ("ng-sec-02", &fra1, "10.11.10.21", "fra1-lobby"),
    ] {
        b.host(name, site, console, ip, HostRole::SharedWorkstation, "it-lan", Some(zone));
    }
    b.host("fw-edge-01", &lon1, "FortiOS 7.2", "10.10.0.1", HostRole::Firewall, "wan1", None);
    b.host("fw-edge-02", &fra1, "FortiOS 7.2", "10.11.0.1", HostRole::Firewall, "wan1", None);
    b.host("vpn-gw01", &lon1, "Cisco ASA 9.18", "10.10.0.5", HostRole::VpnGateway, "dmz", None);

    b.source("windows", SourceKind::Http, "windows", None);
    b.source("fw", SourceKind::SyslogTcp, "fortigate", None);
    b.source("vpn", SourceKind::SyslogTcp, "vpn", None);
    for site in [&lon1, &fra1] {
        b.source(&format!("access-{site}"), SourceKind::Http, "access", Some(site));
        b.source(&format!("video-{site}"), SourceKind::Http, "video", Some(site));
        b.source(&format!("sensors-{site}"), SourceKind::Http, "sensors", Some(site));
    }

    people(&mut b, &lon1, &LON1_HALLS, "10.10.20");
    people(&mut b, &fra1, &FRA1_HALLS, "10.11.20");
    b.on_leave(&[Role::OfficeStaff, Role::DataCentreEngineer], 2);
    b.terminate(&[Role::NocOperator, Role::DataCentreEngineer], true);
    b.reissue_badges(2);
    b.finish()
}

/// Lays out one data centre: perimeter, lobby, offices and NOC, a mantrap into
/// the secure corridor, data halls with cages, meet-me room, plant, dock.
fn data_centre(b: &mut TenantBuilder<'_>, site: &SiteId, halls: &[Hall]) {
    let outside = b.zone(site, "outside", "Outside", false);
    let perimeter = b.zone(site, "perimeter", "Perimeter and car park", false);
    let lobby = b.zone(site, "lobby", "Reception lobby", false);
    let office = b.zone(site, "office", "Offices", false);
    let noc = b.zone(site, "noc", "Network operations centre", true);
    let mantrap = b.zone(site, "mantrap", "Mantrap", false);
    let corridor = b.zone(site, "corridor", "Secure corridor", false);
    let mmr = b.zone(site, "mmr", "Meet-me room", true);
    let plant = b.zone(site, "plant", "Plant room (UPS, switchgear, chillers)", true);
    let dock = b.zone(site, "dock", "Loading dock", false);

    //     site  suffix           name                          from        into       reader camera passback delivery
    b.door(site, "gate",          "Vehicle gate",               &outside,   &perimeter, true, true,  false, true);
    b.door(site, "main-entrance", "Main entrance",              &perimeter, &lobby,     true, true,  false, false);
    b.door(site, "office",        "Office door",                &lobby,     &office,    true, false, false, false);
    b.door(site, "noc",           "NOC door",                   &office,    &noc,       true, true,  false, false);
    b.door(site, "mantrap-outer", "Mantrap outer door",         &lobby,     &mantrap,   true, true,  true,  false);
    b.door(site, "mantrap-inner", "Mantrap inner door",         &mantrap,   &corridor,  true, true,  true,  false);
    b.door(site, "mmr",           "Meet-me room door",          &corridor,  &mmr,       true, true,  false, false);
    b.door(site, "plant",         "Plant room door",            &corridor,  &plant,     true, true,  false, false);
    b.door(site, "dock-outer",    "Loading dock roller door",   &perimeter, &dock,      true, true,  false, true);
    b.door(site, "dock-inner",    "Dock to corridor door",      &dock,      &corridor,  true, true,  false, false);
    b.door(site, "fire-exit",     "Corridor fire exit",         &corridor,  &perimeter, false, true, false, false);
    for n in 1..=4 {
        b.camera(site, &format!("perimeter-{n}"), &format!("Perimeter camera {n}"), &perimeter);
    }
    b.device(site, "intrusion-panel", "Perimeter intrusion panel", &perimeter, DeviceKind::IntrusionPanel);
    b.device(site, "fire-panel", "Fire alarm panel", &plant, DeviceKind::FirePanel);
    let load = 420.0 * halls.len() as f64;
    //       site  suffix            name                        zone    metric                      nominal high   every
    b.sensor(site, "plant-temp",     "Plant room temperature",   &plant, SensorMetric::Temperature, 25.0,   35.0,  300);
    b.sensor(site, "plant-ups-load", "UPS load",                 &plant, SensorMetric::Power,       load,   load * 1.7, 300);
    b.sensor(site, "plant-leak",     "Plant room leak cable",    &plant, SensorMetric::WaterLeak,   0.0,    0.5,   900);
    b.sensor(site, "mmr-temp",       "Meet-me room temperature", &mmr,   SensorMetric::Temperature, 22.0,   27.0,  300);

    for hall in halls {
        let n = hall.number;
        let zone = b.zone(site, &format!("hall-{n}"), &format!("Data hall {n}"), true);
        b.door(site, &format!("hall-{n}"), &format!("Data hall {n} door"), &corridor, &zone, true, true, false, false);
        b.camera(site, &format!("hall-{n}-aisle"), &format!("Data hall {n} aisle camera"), &zone);
        for cage in hall.cages {
            let name = format!("Cage {}", cage.to_uppercase());
            let cage_zone = b.zone(site, &format!("cage-{cage}"), &name, true);
            b.door(site, &format!("cage-{cage}"), &format!("{name} gate"), &zone, &cage_zone, true, true, false, false);
        }
        for k in 1..=2 {
            b.device(site, &format!("hall-{n}-crac-{k}"), &format!("Data hall {n} CRAC unit {k}"), &zone, DeviceKind::CoolingUnit);
            b.sensor(site, &format!("hall-{n}-rh-{k}"), &format!("Data hall {n} humidity {k}"), &zone, SensorMetric::Humidity, 45.0, 60.0, 300);
            b.sensor(site, &format!("hall-{n}-leak-{k}"), &format!("Data hall {n} underfloor leak cable {k}"), &zone, SensorMetric::WaterLeak, 0.0, 0.5, 900);
        }
        for k in 1..=4 {
            b.sensor(site, &format!("hall-{n}-temp-{k}"), &format!("Data hall {n} cold aisle temperature {k}"), &zone, SensorMetric::Temperature, 23.0, 27.0, 300);
        }
        b.sensor(site, &format!("hall-{n}-power"), &format!("Data hall {n} IT load"), &zone, SensorMetric::Power, 380.0, 600.0, 300);
    }
}

/// Staff and customers' technicians of one data centre.
fn people(b: &mut TenantBuilder<'_>, site: &SiteId, halls: &[Hall], net3: &str) {
    let z = |suffix: &str| format!("{site}-{suffix}");
    let mut secure: Vec<String> = ["perimeter", "lobby", "office", "noc", "mantrap", "corridor", "mmr", "plant", "dock"].iter().map(|s| z(s)).collect();
    for hall in halls {
        secure.push(z(&format!("hall-{}", hall.number)));
        secure.extend(hall.cages.iter().map(|c| z(&format!("cage-{c}"))));
    }
    let secure: Vec<&str> = secure.iter().map(String::as_str).collect();
    let office_zones = [z("perimeter"), z("lobby"), z("office")];
    let office_zones: Vec<&str> = office_zones.iter().map(String::as_str).collect();
    let noc = [z("perimeter"), z("lobby"), z("office"), z("noc")];
    let noc: Vec<&str> = noc.iter().map(String::as_str).collect();
    let big = site.as_str() == "lon1";
    let ws = ("ng-ws", "it-lan", net3);

    b.staff(Staff::new(Role::NocOperator, if big { 8 } else { 4 }, site, round_the_clock(7, 0), &noc));
    b.staff(Staff::new(Role::DataCentreEngineer, if big { 6 } else { 4 }, site, round_the_clock(7, 0), &secure).desk(ws).remote());
    b.staff(Staff::new(Role::SecurityOfficer, if big { 6 } else { 4 }, site, round_the_clock(6, 0), &secure));
    b.staff(Staff::new(Role::OfficeStaff, if big { 8 } else { 2 }, site, office(8, 30, 8), &office_zones).desk(ws));
    b.staff(Staff::new(Role::Manager, if big { 2 } else { 1 }, site, office(8, 0, 9), &noc).desk(ws).remote());
    if big {
        b.staff(Staff::new(Role::ItAdministrator, 2, site, office(8, 0, 9), &secure).desk(ws).remote().admin());
    }
    // Customers' technicians: three per cage, only their own cage.
    for hall in halls {
        for cage in hall.cages {
            let access = [z("perimeter"), z("lobby"), z("mantrap"), z("corridor"), z(&format!("hall-{}", hall.number)), z(&format!("cage-{cage}"))];
            let access: Vec<&str> = access.iter().map(String::as_str).collect();
            b.staff(Staff::new(Role::CustomerTechnician, 3, site, daily(10, 0, 3), &access).badge_only());
        }
    }
}
