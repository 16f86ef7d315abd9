//! Firewall traffic that no person drives: the internet knocking on the edge
//! (denied), servers fetching updates and resolving names, customers using
//! the portal, and on the IT/OT firewall the SCADA servers polling PLCs
//! (Modbus/TCP 502) and outstation RTUs (DNP3 20000), historian replication,
//! office users reading the historian, and the nightly vulnerability scan that
//! the OT firewall refuses — including on port 502, a look-alike for a naive
//! "Modbus from IT" rule.

use rand::Rng;

use super::acts::{self, Flow};
use super::{Out, Slot};
use crate::calendar::{local, office_load};
use crate::rng::{SimRng, pick, poisson};
use crate::tenant_sim::TenantSim;
use crate::world::{Host, HostRole};
use chrono::Timelike;

/// Addresses on the internet that scan everyone, all day.
fn scanner_ip(rng: &mut SimRng) -> String {
    match rng.random_range(0..3) {
        0 => format!("203.0.113.{}", rng.random_range(1..127)),
        1 => format!("198.51.100.{}", rng.random_range(200..255)),
        _ => format!("192.0.2.{}", rng.random_range(150..255)),
    }
}

/// Firewall traffic of `slot` that no person drives.
pub fn generate(t: &mut TenantSim, slot: &Slot, out: &mut Out) {
    let t: &TenantSim = t;
    let mut rng = slot.rng(&t.slug, "network");
    let hours = slot.hours();
    let firewalls: Vec<&Host> = t
        .world
        .hosts
        .iter()
        .filter(|h| h.role == HostRole::Firewall && !h.name.starts_with("fw-ot"))
        .collect();
    for fw in &firewalls {
        for _ in 0..poisson(&mut rng, 120.0 * hours) {
            let at = slot.random_time(&mut rng);
            internet_noise(t, out, &mut rng, at, fw);
        }
        let load = office_load(slot.start, t.tz(&fw.site));
        for _ in 0..poisson(&mut rng, (40.0 + 80.0 * load) * hours) {
            let at = slot.random_time(&mut rng);
            server_egress(t, out, &mut rng, at, fw);
        }
    }
    if t.slug == "northgate"
        && let Some(fw) = firewalls.first()
    {
        let load = office_load(slot.start, t.main_tz());
        for _ in 0..poisson(&mut rng, (20.0 + 100.0 * load) * hours) {
            let at = slot.random_time(&mut rng);
            portal_visit(t, out, &mut rng, at, fw);
        }
    }
    if let Some(fw) = t.ot_firewall() {
        ot_traffic(t, slot, out, &mut rng, fw);
    }
}

fn internet_noise(
    t: &TenantSim,
    out: &mut Out,
    rng: &mut SimRng,
    at: vigil_model::Timestamp,
    fw: &Host,
) {
    let src = scanner_ip(rng);
    let (dpt, proto, app) = pick(
        rng,
        &[
            (22, 6, "SSH"),
            (23, 6, "Telnet"),
            (445, 6, "SMB"),
            (3389, 6, "RDP"),
            (1433, 6, "MSSQL"),
            (8080, 6, "HTTP"),
            (5900, 6, "VNC"),
            (161, 17, "SNMP"),
            (502, 6, "Modbus"),
        ],
    )
    .copied()
    .unwrap_or((22, 6, "SSH"));
    let flow = Flow {
        firewall: fw,
        src: &src,
        dst: &t.world.public_ip,
        dpt,
        proto,
        allowed: false,
        from: "wan1",
        to: "wan1",
        policy: "implicit-deny",
        app,
        user: None,
    };
    acts::firewall(t, out, rng, at, &flow);
}

fn server_egress(
    t: &TenantSim,
    out: &mut Out,
    rng: &mut SimRng,
    at: vigil_model::Timestamp,
    fw: &Host,
) {
    let servers: Vec<&Host> = t
        .world
        .hosts
        .iter()
        .filter(|h| h.is_windows() && h.network.starts_with("it-") && h.site == fw.site)
        .filter(|h| matches!(h.role, HostRole::Server | HostRole::DomainController))
        .collect();
    let Some(server) = pick(rng, &servers) else {
        return;
    };
    let (dst, dpt, proto, app) =
        if server.role == HostRole::DomainController && rng.random_bool(0.6) {
            ("192.0.2.53", 53, 17, "DNS")
        } else if rng.random_bool(0.1) {
            ("192.0.2.123", 123, 17, "NTP")
        } else {
            ("198.51.100.180", 443, 6, "HTTPS")
        };
    let flow = Flow {
        firewall: fw,
        src: &server.ip,
        dst,
        dpt,
        proto,
        allowed: true,
        from: &server.network,
        to: "wan1",
        policy: "servers-to-internet",
        app,
        user: None,
    };
    acts::firewall(t, out, rng, at, &flow);
}

fn portal_visit(
    t: &TenantSim,
    out: &mut Out,
    rng: &mut SimRng,
    at: vigil_model::Timestamp,
    fw: &Host,
) {
    let Some(portal) = t.world.hosts.iter().find(|h| h.name.contains("portal")) else {
        return;
    };
    let src = format!("192.0.2.{}", rng.random_range(1..120));
    let flow = Flow {
        firewall: fw,
        src: &src,
        dst: &portal.ip,
        dpt: 443,
        proto: 6,
        allowed: true,
        from: "wan1",
        to: &portal.network,
        policy: "customer-portal",
        app: "HTTPS",
        user: None,
    };
    acts::firewall(t, out, rng, at, &flow);
}

fn ot_traffic(t: &TenantSim, slot: &Slot, out: &mut Out, rng: &mut SimRng, fw: &Host) {
    let hosts = &t.world.hosts;
    let scada: Vec<&Host> = hosts.iter().filter(|h| h.role == HostRole::Scada).collect();
    let historian = hosts.iter().find(|h| h.role == HostRole::Historian);
    let Some(primary) = scada.first() else {
        return;
    };
    let flow = |rng: &mut SimRng,
                at,
                src: &Host,
                dst: &Host,
                dpt: u16,
                allowed: bool,
                policy: &str,
                app: &str,
                out: &mut Out| {
        let f = Flow {
            firewall: fw,
            src: &src.ip,
            dst: &dst.ip,
            dpt,
            proto: 6,
            allowed,
            from: &src.network,
            to: &dst.network,
            policy,
            app,
            user: None,
        };
        acts::firewall(t, out, rng, at, &f);
    };
    // Polling sessions are long-lived; the firewall logs one as each closes.
    for plc in hosts.iter().filter(|h| h.role == HostRole::Plc) {
        if rng.random_bool(0.5) {
            let at = slot.random_time(rng);
            flow(
                rng,
                at,
                primary,
                plc,
                502,
                true,
                "scada-poll",
                "Modbus",
                out,
            );
        }
    }
    for rtu in hosts.iter().filter(|h| h.role == HostRole::Rtu) {
        if rng.random_bool(0.35) {
            let at = slot.random_time(rng);
            flow(
                rng,
                at,
                primary,
                rtu,
                20000,
                true,
                "scada-outstations",
                "DNP3",
                out,
            );
        }
    }
    if let Some(hist) = historian {
        if rng.random_bool(0.5) {
            let at = slot.random_time(rng);
            flow(
                rng,
                at,
                primary,
                hist,
                4840,
                true,
                "scada-to-historian",
                "OPC-UA",
                out,
            );
        }
        let load = office_load(slot.start, t.main_tz());
        let office: Vec<&Host> = hosts
            .iter()
            .filter(|h| h.role == HostRole::Workstation)
            .collect();
        for _ in 0..poisson(rng, 25.0 * load * slot.hours()) {
            let at = slot.random_time(rng);
            if let Some(ws) = pick(rng, &office) {
                flow(
                    rng,
                    at,
                    ws,
                    hist,
                    443,
                    true,
                    "it-to-historian",
                    "HTTPS",
                    out,
                );
            }
        }
        for _ in 0..poisson(rng, 4.0 * slot.hours()) {
            let at = slot.random_time(rng);
            if let Some(ws) = pick(rng, &office) {
                flow(rng, at, ws, hist, 445, false, "implicit-deny", "SMB", out);
            }
        }
    }
    // The nightly vulnerability scan at 01:00 local runs for twenty minutes
    // and is refused at the OT boundary.
    let l = local(slot.start, t.main_tz());
    let minute = l.hour() * 60 + l.minute();
    let scanner = hosts
        .iter()
        .find(|h| h.role == HostRole::VulnerabilityScanner);
    if let Some(scanner) = scanner.filter(|_| (60..80).contains(&minute)) {
        let targets: Vec<&Host> = hosts
            .iter()
            .filter(|h| h.network.starts_with("ot-") && h.role != HostRole::Firewall)
            .collect();
        for _ in 0..rng.random_range(2..5) {
            let at = slot.random_time(rng);
            let Some(target) = pick(rng, &targets) else {
                break;
            };
            let (dpt, app) = pick(
                rng,
                &[
                    (502, "Modbus"),
                    (20000, "DNP3"),
                    (102, "S7"),
                    (44818, "EtherNet/IP"),
                    (22, "SSH"),
                    (443, "HTTPS"),
                    (3389, "RDP"),
                ],
            )
            .copied()
            .unwrap_or((502, "Modbus"));
            flow(
                rng,
                at,
                scanner,
                target,
                dpt,
                false,
                "implicit-deny",
                app,
                out,
            );
        }
    }
}
