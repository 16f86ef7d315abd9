//! St Aurelia Hospital: a general hospital open round the clock, with wards,
//! an emergency department, theatres, a pharmacy with its controlled-drugs
//! room, a medical-records office and many shared ward PCs; and a small
//! outpatient clinic open in office hours. Visitors are buzzed onto wards.

use vigil_model::{SiteId, SourceKind};

use super::build::{Staff, TenantBuilder, daily, office, round_the_clock};
use super::{DeviceKind, HostRole, Role, SensorMetric, TenantWorld};
use crate::rng::SimRng;

/// Builds St Aurelia.
pub fn build(rng: &mut SimRng) -> TenantWorld {
    let mut b = TenantBuilder::new(rng, "st-aurelia", "St Aurelia Hospital", "STAURELIA", "staurelia.local", "198.51.100.70");
    let main = b.site("main", "St Aurelia General Hospital", "Europe/Dublin");
    let clinic = b.site("clinic", "Northfield Outpatient Clinic", "Europe/Dublin");
    hospital(&mut b, &main);
    outpatient_clinic(&mut b, &clinic);

    let server = "Windows Server 2022 Standard";
    for (name, ip, role) in [
        ("sa-dc-01", "10.30.1.10", HostRole::DomainController),
        ("sa-dc-02", "10.30.1.11", HostRole::DomainController),
        ("sa-epr-01", "10.30.1.20", HostRole::Server),
        ("sa-pacs-01", "10.30.1.21", HostRole::Server),
        ("sa-lab-01", "10.30.1.22", HostRole::Server),
        ("sa-pharm-01", "10.30.1.23", HostRole::Server),
        ("sa-fs-01", "10.30.1.30", HostRole::Server),
        ("sa-print-01", "10.30.1.31", HostRole::Server),
        ("sa-sql-01", "10.30.1.40", HostRole::Server),
    ] {
        b.host(name, &main, server, ip, role, "it-servers", None);
    }
    let desktop = "Windows 10 Enterprise 22H2";
    let mut octet = 10;
    for (area, count) in [("ward-a", 3), ("ward-b", 3), ("ward-c", 3), ("maternity", 2), ("icu", 2), ("ed", 3), ("theatres", 2), ("pharmacy", 2)] {
        for k in 1..=count {
            octet += 1;
            let zone = format!("main-{area}");
            b.host(&format!("sa-{area}-pc{k}"), &main, desktop, &format!("10.30.40.{octet}"), HostRole::SharedWorkstation, "it-lan", Some(&zone));
        }
    }
    for k in 1..=3 {
        b.host(&format!("sa-clinic-pc{k}"), &clinic, desktop, &format!("10.31.40.{}", 10 + k), HostRole::SharedWorkstation, "it-lan", Some("clinic-consult"));
    }
    b.host("fw-core-01", &main, "PAN-OS 10.2", "10.30.0.1", HostRole::Firewall, "ethernet1/1", None);
    b.host("vpn-gw01", &main, "Cisco ASA 9.18", "10.30.0.5", HostRole::VpnGateway, "dmz", None);

    b.source("windows", SourceKind::Http, "windows", None);
    b.source("fw", SourceKind::SyslogTcp, "paloalto", None);
    b.source("vpn", SourceKind::SyslogTcp, "vpn", None);
    for site in [&main, &clinic] {
        b.source(&format!("access-{site}"), SourceKind::Http, "access", Some(site));
        b.source(&format!("video-{site}"), SourceKind::Http, "video", Some(site));
        b.source(&format!("sensors-{site}"), SourceKind::Http, "sensors", Some(site));
    }

    people(&mut b, &main, &clinic);
    b.on_leave(&[Role::Nurse, Role::Doctor, Role::OfficeStaff], 3);
    b.terminate(&[Role::Nurse, Role::Porter], true);
    // Offboarding went wrong for one pharmacist: HR has them as terminated
    // but the badge still works — the weakness the terminated-badge story uses.
    b.terminate(&[Role::Pharmacist], false);
    b.reissue_badges(2);
    b.finish()
}

fn hospital(b: &mut TenantBuilder<'_>, site: &SiteId) {
    let outside = b.zone(site, "outside", "Outside and car parks", false);
    let atrium = b.zone(site, "atrium", "Main entrance and atrium", false);
    let corridor = b.zone(site, "staff-corridor", "Staff corridor", false);
    let admin = b.zone(site, "admin", "Administration offices", false);
    let dock = b.zone(site, "dock", "Loading dock and stores", false);
    let security = b.zone(site, "security-office", "Security office", false);
    for (suffix, name, critical) in [
        ("ed", "Emergency department", false),
        ("ward-a", "Ward A (medical)", false),
        ("ward-b", "Ward B (surgical)", false),
        ("ward-c", "Ward C (elderly care)", false),
        ("maternity", "Maternity unit", true),
        ("icu", "Intensive care unit", true),
        ("theatres", "Operating theatres", true),
        ("pharmacy", "Pharmacy", true),
        ("server-room", "IT server room", true),
    ] {
        let zone = b.zone(site, suffix, name, critical);
        b.door(site, suffix, &format!("{name} door"), &corridor, &zone, true, true, false, false);
    }
    let cd_room = b.zone(site, "cd-room", "Controlled-drugs room", true);
    let records = b.zone(site, "records", "Medical records office", true);
    //     site  suffix             name                         from            into       reader camera passback delivery
    b.door(site, "cd-room",         "Controlled-drugs room door", "main-pharmacy", &cd_room,  true,  true,  false, false);
    b.door(site, "staff-entrance",  "Staff entrance",            &outside,       &corridor, true,  true,  true,  false);
    b.door(site, "admin",           "Administration door",       &atrium,        &admin,    true,  false, false, false);
    b.door(site, "records",         "Medical records door",      &admin,         &records,  true,  true,  false, false);
    b.door(site, "dock",            "Loading dock door",         &outside,       &dock,     true,  true,  false, true);
    b.door(site, "dock-inner",      "Stores to corridor door",   &dock,          &corridor, true,  false, false, false);
    b.door(site, "security-office", "Security office door",      &corridor,      &security, true,  false, false, false);
    b.door(site, "fire-exit-east",  "East fire exit",            "main-ward-c",  &outside,  false, true,  false, false);
    b.camera(site, "entrance", "Main entrance camera", &atrium);
    b.camera(site, "ed-ambulance-bay", "Ambulance bay camera", &outside);
    b.camera(site, "car-park-1", "Car park camera 1", &outside);
    b.camera(site, "car-park-2", "Car park camera 2", &outside);
    b.device(site, "fire-panel", "Fire alarm panel", &security, DeviceKind::FirePanel);
    //       site  suffix               name                                zone                metric                     nominal high every
    b.sensor(site, "pharmacy-fridge-1", "Pharmacy fridge 1",                "main-pharmacy",    SensorMetric::Temperature, 5.0,  8.0,  300);
    b.sensor(site, "pharmacy-fridge-2", "Pharmacy fridge 2",                "main-pharmacy",    SensorMetric::Temperature, 5.0,  8.0,  300);
    b.sensor(site, "cd-room-temp",      "Controlled-drugs room temperature", &cd_room,          SensorMetric::Temperature, 20.0, 25.0, 300);
    b.sensor(site, "theatres-temp",     "Theatre 1 temperature",            "main-theatres",    SensorMetric::Temperature, 20.0, 24.0, 300);
    b.sensor(site, "theatres-rh",       "Theatre 1 humidity",               "main-theatres",    SensorMetric::Humidity,    50.0, 65.0, 300);
    b.sensor(site, "server-room-temp",  "Server room temperature",          "main-server-room", SensorMetric::Temperature, 22.0, 27.0, 300);
    b.sensor(site, "server-room-rh",    "Server room humidity",             "main-server-room", SensorMetric::Humidity,    45.0, 65.0, 300);
    b.sensor(site, "server-room-leak",  "Server room leak cable",           "main-server-room", SensorMetric::WaterLeak,   0.0,  0.5,  900);
    b.sensor(site, "server-room-ups",   "Server room UPS load",             "main-server-room", SensorMetric::Power,       40.0, 60.0, 300);
    b.sensor(site, "records-rh",        "Records office humidity",          &records,           SensorMetric::Humidity,    45.0, 65.0, 300);
}

fn outpatient_clinic(b: &mut TenantBuilder<'_>, site: &SiteId) {
    let outside = b.zone(site, "outside", "Outside", false);
    let reception = b.zone(site, "reception", "Reception and waiting area", false);
    let consult = b.zone(site, "consult", "Consulting rooms", false);
    let records = b.zone(site, "records", "Clinic records room", true);
    let staff = b.zone(site, "staff-room", "Staff room", false);
    b.door(site, "staff-entrance", "Staff entrance", &outside, &staff, true, true, false, false);
    b.door(site, "consult", "Consulting corridor door", &reception, &consult, true, false, false, false);
    b.door(site, "records", "Records room door", &consult, &records, true, true, false, false);
    b.camera(site, "reception", "Reception camera", &reception);
    b.device(site, "intrusion-panel", "Clinic intrusion panel", &reception, DeviceKind::IntrusionPanel);
    b.device(site, "fire-panel", "Clinic fire panel", &reception, DeviceKind::FirePanel);
    b.sensor(site, "vaccine-fridge", "Vaccine fridge", &consult, SensorMetric::Temperature, 5.0, 8.0, 300);
}

fn people(b: &mut TenantBuilder<'_>, main: &SiteId, clinic: &SiteId) {
    let clinical = [
        "main-outside", "main-staff-corridor", "main-ed", "main-ward-a", "main-ward-b", "main-ward-c",
        "main-maternity", "main-icu", "main-theatres",
    ];
    let pharmacy = [
        "main-outside", "main-staff-corridor", "main-pharmacy", "main-cd-room", "main-ward-a", "main-ward-b",
        "main-ward-c", "main-icu",
    ];
    let records = ["main-outside", "main-atrium", "main-admin", "main-records"];
    let admin = ["main-outside", "main-atrium", "main-admin"];
    let porters = [
        "main-outside", "main-staff-corridor", "main-dock", "main-ed", "main-ward-a", "main-ward-b", "main-ward-c",
        "main-theatres",
    ];
    let security = [
        "main-outside", "main-staff-corridor", "main-admin", "main-dock", "main-security-office", "main-ed",
        "main-ward-a", "main-ward-b", "main-ward-c", "main-maternity", "main-icu", "main-theatres", "main-pharmacy",
        "main-records", "main-server-room",
    ];
    let it = ["main-outside", "main-staff-corridor", "main-admin", "main-server-room"];
    let contractors = ["main-outside", "main-dock", "main-staff-corridor"];
    let clinic_staff = ["clinic-outside", "clinic-staff-room", "clinic-consult", "clinic-records"];
    let ws = ("sa-ws", "it-lan", "10.30.20");
    b.staff(Staff::new(Role::Nurse, 36, main, round_the_clock(7, 30), &clinical));
    b.staff(Staff::new(Role::Doctor, 10, main, office(8, 0, 10), &clinical));
    b.staff(Staff::new(Role::Doctor, 4, main, round_the_clock(8, 0), &clinical));
    b.staff(Staff::new(Role::Pharmacist, 5, main, daily(8, 0, 9), &pharmacy).desk(ws));
    b.staff(Staff::new(Role::RecordsClerk, 4, main, office(8, 0, 8), &records).desk(ws));
    b.staff(Staff::new(Role::OfficeStaff, 8, main, office(8, 30, 8), &admin).desk(ws));
    b.staff(Staff::new(Role::Porter, 6, main, round_the_clock(7, 0), &porters));
    b.staff(Staff::new(Role::SecurityOfficer, 4, main, round_the_clock(7, 0), &security));
    b.staff(Staff::new(Role::ItAdministrator, 3, main, office(8, 0, 9), &it).desk(ws).remote().admin());
    b.staff(Staff::new(Role::Manager, 2, main, office(8, 0, 9), &admin).desk(ws).remote());
    b.staff(Staff::new(Role::Contractor, 3, main, office(8, 0, 8), &contractors).badge_only());
    b.staff(Staff::new(Role::Nurse, 5, clinic, office(8, 0, 9), &clinic_staff));
}
