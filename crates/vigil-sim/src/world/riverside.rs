//! Riverside Water: a water utility with a treatment works and two remote
//! pumping stations. The works' OT network (SCADA servers and HMIs in
//! `ot-control`, PLCs in `ot-field`, the historian in `ot-dmz`, outstation
//! RTUs over `ot-wan`) sits behind an IT/OT firewall; engineers dial in over
//! the VPN; field technicians visit the pumping stations, whose intrusion
//! panels they disarm on arrival.

use vigil_model::{SiteId, SourceKind};

use super::build::{Staff, TenantBuilder, office, round_the_clock};
use super::{DeviceKind, HostRole, Role, SensorMetric, TenantWorld};
use crate::rng::SimRng;

/// Builds Riverside.
pub fn build(rng: &mut SimRng) -> TenantWorld {
    let mut b = TenantBuilder::new(rng, "riverside", "Riverside Water", "RIVERSIDE", "riverside.local", "198.51.100.40");
    let plant = b.site("plant", "Riverside Treatment Works", "Europe/London");
    let north = b.site("ps-north", "Northbrook Pumping Station", "Europe/London");
    let east = b.site("ps-east", "Eastfield Pumping Station", "Europe/London");
    treatment_works(&mut b, &plant);
    pumping_station(&mut b, &north);
    pumping_station(&mut b, &east);

    let server = "Windows Server 2019 Standard";
    let desktop = "Windows 10 Enterprise LTSC 2021";
    let p = &plant;
    b.host("rw-dc-01",    p, server, "10.20.1.10",   HostRole::DomainController,       "it-lan",     None);
    b.host("rw-fs-01",    p, server, "10.20.1.20",   HostRole::Server,                 "it-lan",     None);
    b.host("rw-erp-01",   p, server, "10.20.1.30",   HostRole::Server,                 "it-lan",     None);
    b.host("rw-scan-01",  p, "Ubuntu 22.04 LTS", "10.20.1.50", HostRole::VulnerabilityScanner, "it-lan", None);
    b.host("rw-hist-01",  p, server, "10.50.100.10", HostRole::Historian,              "ot-dmz",     None);
    b.host("rw-jump-ot",  p, server, "10.50.100.20", HostRole::JumpHost,               "ot-dmz",     None);
    b.host("rw-scada-01", p, server, "10.50.10.10",  HostRole::Scada,                  "ot-control", Some("plant-server-room"));
    b.host("rw-scada-02", p, server, "10.50.10.11",  HostRole::Scada,                  "ot-control", Some("plant-server-room"));
    b.host("rw-hmi-01",   p, desktop, "10.50.10.21", HostRole::Hmi,                    "ot-control", Some("plant-control-room"));
    b.host("rw-hmi-02",   p, desktop, "10.50.10.22", HostRole::Hmi,                    "ot-control", Some("plant-control-room"));
    b.host("rw-hmi-03",   p, desktop, "10.50.10.23", HostRole::Hmi,                    "ot-control", Some("plant-control-room"));
    b.host("rw-ews-01",   p, desktop, "10.50.10.30", HostRole::EngineeringWorkstation, "ot-control", Some("plant-control-room"));
    b.host("fw-edge-01",  p, "FortiOS 7.2",    "10.20.0.1", HostRole::Firewall,   "wan1",   None);
    b.host("fw-ot-01",    p, "FortiOS 7.2",    "10.50.0.1", HostRole::Firewall,   "ot-dmz", None);
    b.host("vpn-gw01",    p, "Cisco ASA 9.18", "10.20.0.5", HostRole::VpnGateway, "dmz",    None);
    for (name, ip) in [
        ("rw-plc-intake", "10.50.1.11"),
        ("rw-plc-filter", "10.50.1.12"),
        ("rw-plc-dosing", "10.50.1.13"),
        ("rw-plc-pumps", "10.50.1.14"),
        ("rw-plc-uv", "10.50.1.15"),
        ("rw-plc-sludge", "10.50.1.16"),
    ] {
        b.host(name, p, "PLC firmware 3.0", ip, HostRole::Plc, "ot-field", Some("plant-pump-hall"));
    }
    b.host("rw-rtu-north", &north, "RTU firmware 2.4", "10.50.2.10", HostRole::Rtu, "ot-wan", Some("ps-north-pump-house"));
    b.host("rw-rtu-east", &east, "RTU firmware 2.4", "10.50.3.10", HostRole::Rtu, "ot-wan", Some("ps-east-pump-house"));

    b.source("windows", SourceKind::Http, "windows", None);
    b.source("fw", SourceKind::SyslogTcp, "fortigate", None);
    b.source("vpn", SourceKind::SyslogTcp, "vpn", None);
    for site in [&plant, &north, &east] {
        b.source(&format!("access-{site}"), SourceKind::Http, "access", Some(site));
        b.source(&format!("video-{site}"), SourceKind::Http, "video", Some(site));
        b.source(&format!("sensors-{site}"), SourceKind::Http, "sensors", Some(site));
    }

    people(&mut b, &plant);
    b.on_leave(&[Role::OfficeStaff, Role::PlantOperator], 2);
    b.terminate(&[Role::OfficeStaff, Role::FieldTechnician], true);
    b.reissue_badges(1);
    b.finish()
}

fn treatment_works(b: &mut TenantBuilder<'_>, site: &SiteId) {
    let outside = b.zone(site, "outside", "Outside", false);
    let perimeter = b.zone(site, "perimeter", "Site compound", false);
    let reception = b.zone(site, "reception", "Reception", false);
    let office = b.zone(site, "office", "Offices", false);
    let lab = b.zone(site, "lab", "Laboratory", false);
    let control = b.zone(site, "control-room", "Control room", true);
    let servers = b.zone(site, "server-room", "Server room", true);
    let chemicals = b.zone(site, "chemical-store", "Chemical store (chlorine, coagulants)", true);
    let filters = b.zone(site, "filter-hall", "Filter hall", false);
    let pumps = b.zone(site, "pump-hall", "High-lift pump hall", true);
    let workshop = b.zone(site, "workshop", "Workshop", false);

    //     site  suffix            name                   from        into        reader camera passback delivery
    b.door(site, "main-gate",      "Main gate",           &outside,   &perimeter, true, true,  false, true);
    b.door(site, "reception",      "Reception door",      &perimeter, &reception, true, true,  false, false);
    b.door(site, "office",         "Office door",         &reception, &office,    true, false, false, false);
    b.door(site, "lab",            "Laboratory door",     &office,    &lab,       true, false, false, false);
    b.door(site, "control-room",   "Control room door",   &office,    &control,   true, true,  false, false);
    b.door(site, "server-room",    "Server room door",    &office,    &servers,   true, true,  false, false);
    b.door(site, "chemical-store", "Chemical store door", &perimeter, &chemicals, true, true,  false, true);
    b.door(site, "filter-hall",    "Filter hall door",    &perimeter, &filters,   true, true,  false, false);
    b.door(site, "pump-hall",      "Pump hall door",      &perimeter, &pumps,     true, true,  false, false);
    b.door(site, "workshop",       "Workshop roller door", &perimeter, &workshop, true, false, false, true);
    for n in 1..=3 {
        b.camera(site, &format!("perimeter-{n}"), &format!("Perimeter camera {n}"), &perimeter);
    }
    b.device(site, "intrusion-panel", "Site intrusion panel", &perimeter, DeviceKind::IntrusionPanel);
    b.device(site, "fire-panel", "Fire alarm panel", &reception, DeviceKind::FirePanel);
    //       site  suffix                 name                          zone        metric                     nominal high  every
    b.sensor(site, "control-room-temp",   "Control room temperature",   &control,   SensorMetric::Temperature, 21.0,  28.0, 300);
    b.sensor(site, "server-room-temp",    "Server room temperature",    &servers,   SensorMetric::Temperature, 22.0,  27.0, 300);
    b.sensor(site, "server-room-rh",      "Server room humidity",       &servers,   SensorMetric::Humidity,    45.0,  65.0, 300);
    b.sensor(site, "server-room-leak",    "Server room leak cable",     &servers,   SensorMetric::WaterLeak,   0.0,   0.5,  900);
    b.sensor(site, "chemical-store-temp", "Chemical store temperature", &chemicals, SensorMetric::Temperature, 15.0,  30.0, 300);
    b.sensor(site, "pump-1-power",        "High-lift pump 1 load",      &pumps,     SensorMetric::Power,       180.0, 260.0, 300);
    b.sensor(site, "pump-2-power",        "High-lift pump 2 load",      &pumps,     SensorMetric::Power,       180.0, 260.0, 300);
    b.sensor(site, "pump-hall-leak",      "Pump hall flood sensor",     &pumps,     SensorMetric::WaterLeak,   0.0,   0.5,  900);
}

fn pumping_station(b: &mut TenantBuilder<'_>, site: &SiteId) {
    let outside = b.zone(site, "outside", "Outside", false);
    let compound = b.zone(site, "compound", "Fenced compound", false);
    let house = b.zone(site, "pump-house", "Pump house", true);
    b.door(site, "gate", "Compound gate", &outside, &compound, true, false, false, true);
    b.door(site, "pump-house", "Pump house door", &compound, &house, true, true, false, false);
    b.camera(site, "compound", "Compound camera", &compound);
    b.device(site, "intrusion-panel", "Pump house intrusion panel", &house, DeviceKind::IntrusionPanel);
    b.sensor(site, "pump-house-temp", "Pump house temperature", &house, SensorMetric::Temperature, 12.0, 35.0, 300);
    b.sensor(site, "pump-power", "Booster pump load", &house, SensorMetric::Power, 90.0, 140.0, 300);
    b.sensor(site, "flood", "Pump house flood sensor", &house, SensorMetric::WaterLeak, 0.0, 0.5, 900);
}

fn people(b: &mut TenantBuilder<'_>, plant: &SiteId) {
    let all = [
        "plant-perimeter", "plant-reception", "plant-office", "plant-lab", "plant-control-room", "plant-server-room",
        "plant-chemical-store", "plant-filter-hall", "plant-pump-hall", "plant-workshop",
        "ps-north-compound", "ps-north-pump-house", "ps-east-compound", "ps-east-pump-house",
    ];
    let operators = [
        "plant-perimeter", "plant-reception", "plant-office", "plant-control-room", "plant-chemical-store",
        "plant-filter-hall", "plant-pump-hall", "plant-workshop",
    ];
    let office_zones = ["plant-perimeter", "plant-reception", "plant-office"];
    let it = ["plant-perimeter", "plant-reception", "plant-office", "plant-server-room"];
    let lab = ["plant-perimeter", "plant-reception", "plant-office", "plant-lab", "plant-filter-hall"];
    let field = [
        "plant-perimeter", "plant-workshop", "plant-pump-hall",
        "ps-north-compound", "ps-north-pump-house", "ps-east-compound", "ps-east-pump-house",
    ];
    let contractors = ["plant-perimeter", "plant-workshop", "plant-pump-hall"];
    let ws = ("rw-ws", "it-lan", "10.20.20");
    b.staff(Staff::new(Role::PlantOperator, 10, plant, round_the_clock(6, 0), &operators));
    b.staff(Staff::new(Role::OtEngineer, 4, plant, office(7, 30, 9), &all).desk(ws).remote().admin());
    b.staff(Staff::new(Role::ItAdministrator, 2, plant, office(8, 0, 9), &it).desk(ws).remote().admin());
    b.staff(Staff::new(Role::OfficeStaff, 10, plant, office(8, 30, 8), &office_zones).desk(ws));
    b.staff(Staff::new(Role::Manager, 2, plant, office(8, 0, 9), &operators).desk(ws).remote());
    b.staff(Staff::new(Role::FieldTechnician, 5, plant, office(7, 0, 9), &field));
    b.staff(Staff::new(Role::LabChemist, 3, plant, office(7, 30, 8), &lab).desk(ws));
    b.staff(Staff::new(Role::Contractor, 2, plant, office(8, 0, 8), &contractors).badge_only());
}
