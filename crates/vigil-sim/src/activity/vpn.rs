//! The remote-access VPN: engineers and administrators dialling in from home
//! in the evening and at weekends (sometimes mistyping their password once
//! first), the traffic of their sessions through the firewall, and the
//! constant trickle of password spraying against the portal.

use chrono::{Datelike, Duration, NaiveDate, NaiveTime};
use rand::Rng;
use vigil_model::{PersonStatus, Timestamp};

use super::acts::{self, Flow};
use super::{Out, Slot, secs};
use crate::calendar::{at_local, day_number, local};
use crate::format::asa;
use crate::rng::{SimRng, pick, poisson, stream_at};
use crate::tenant_sim::TenantSim;
use crate::world::{Host, HostRole, Person, Role};

/// The VPN group (tunnel group) everyone uses.
pub const GROUP: &str = "RemoteStaff";

/// A person's home broadband address: stable, in a documentation range.
pub fn home_ip(username: &str) -> String {
    let n = username
        .bytes()
        .fold(7u32, |a, b| a.wrapping_mul(31).wrapping_add(u32::from(b)));
    format!("192.0.2.{}", 1 + n % 120)
}

/// The inside address the gateway gives a person's tunnel.
pub fn tunnel_ip(t: &TenantSim, person: usize) -> String {
    let prefix = t
        .vpn_gateway()
        .map(|g| g.ip.rsplitn(3, '.').last().unwrap_or("10.0").to_owned())
        .unwrap_or_else(|| "10.0".to_owned());
    format!("{prefix}.200.{}", 10 + person % 200)
}

/// A planned VPN session.
#[derive(Debug, Clone, Copy)]
struct Session {
    start: Timestamp,
    minutes: i64,
    typo: bool,
}

fn plan(t: &TenantSim, seed: u64, i: usize, p: &Person, date: NaiveDate) -> Option<Session> {
    if !p.vpn || p.status != PersonStatus::Active || p.username.is_none() {
        return None;
    }
    let tz = t.tz(&p.home_site);
    let mut rng = stream_at(seed, &[&t.slug, "vpn-plan"], &[i as u64, day_number(date)]);
    let weekend = date.weekday().number_from_monday() > 5;
    let (chance, from_h, to_h) = if weekend {
        (0.3, 9, 21)
    } else {
        (0.35, 18, 23)
    };
    if !rng.random_bool(chance) {
        return None;
    }
    let minute = rng.random_range(from_h * 60..to_h * 60);
    let start =
        at_local(date, NaiveTime::MIN, tz) + Duration::minutes(minute) + secs(&mut rng, 0.0, 60.0);
    Some(Session {
        start,
        minutes: rng.random_range(15..150),
        typo: rng.random_bool(0.08),
    })
}

/// VPN activity in `slot`.
pub fn generate(t: &mut TenantSim, slot: &Slot, out: &mut Out) {
    let t: &TenantSim = t;
    let Some(gateway) = t.vpn_gateway() else {
        return;
    };
    let mut rng = slot.rng(&t.slug, "vpn");
    for (i, p) in t.world.people.iter().enumerate() {
        if !p.vpn {
            continue;
        }
        let today = local(slot.start, t.tz(&p.home_site)).date_naive();
        for date in [today.pred_opt(), Some(today)].into_iter().flatten() {
            if let Some(s) = plan(t, slot.seed, i, p, date).filter(|s| slot.contains(s.start)) {
                session(t, out, &mut rng, gateway, i, p, s);
            }
        }
    }
    for _ in 0..poisson(&mut rng, 0.6 * slot.hours()) {
        let at = slot.random_time(&mut rng);
        spray(t, out, &mut rng, at, gateway);
    }
}

/// The RADIUS/AD server the gateway asks.
fn aaa_server(t: &TenantSim, gateway: &Host) -> String {
    t.domain_controller(&gateway.site)
        .map(|dc| dc.ip.clone())
        .unwrap_or_else(|| "10.0.1.10".to_owned())
}

fn session(
    t: &TenantSim,
    out: &mut Out,
    rng: &mut SimRng,
    gateway: &Host,
    i: usize,
    p: &Person,
    s: Session,
) {
    let Some(user) = p.username.as_deref() else {
        return;
    };
    let feed = t.feed("vpn");
    let peer = home_ip(user);
    let server = aaa_server(t, gateway);
    let mut at = s.start;
    if s.typo {
        out.syslog(
            at,
            &feed,
            asa::auth_rejected(at, &gateway.name, &server, user, &peer),
        );
        at += secs(rng, 6.0, 25.0);
    }
    let end = login(t, out, rng, at, gateway, i, user, &peer, s.minutes);
    // What they do inside: reach servers (or the OT jump host) through the firewall.
    let inside = tunnel_ip(t, i);
    let targets: Vec<&Host> = t
        .world
        .hosts
        .iter()
        .filter(|h| match p.role {
            Role::OtEngineer => h.role == HostRole::JumpHost || h.role == HostRole::Historian,
            _ => {
                matches!(h.role, HostRole::Server | HostRole::JumpHost)
                    && h.network.starts_with("it-")
            }
        })
        .collect();
    let firewall = if p.role == Role::OtEngineer {
        t.ot_firewall()
    } else {
        None
    }
    .or_else(|| t.edge_firewall(&gateway.site));
    let Some(fw) = firewall else {
        return;
    };
    let account = format!("{}\\{}", t.world.domain.to_ascii_lowercase(), user);
    for _ in 0..(s.minutes / 6).max(1) {
        let when = at + secs(rng, 10.0, (end - at).num_seconds().max(11) as f64);
        let Some(target) = pick(rng, &targets) else {
            break;
        };
        let (dpt, app) = if target.role == HostRole::JumpHost {
            (3389, "RDP")
        } else {
            (443, "HTTPS")
        };
        let flow = Flow {
            firewall: fw,
            src: &inside,
            dst: &target.ip,
            dpt,
            proto: 6,
            allowed: true,
            from: "vpn-pool",
            to: &target.network,
            policy: "vpn-to-servers",
            app,
            user: Some(&account),
        };
        acts::firewall(t, out, rng, when, &flow);
    }
}

/// A successful AnyConnect login at `at` lasting `minutes`: AAA success,
/// session start, address assignment, and the disconnect. Returns the
/// disconnect time.
#[allow(clippy::too_many_arguments)]
pub fn login(
    t: &TenantSim,
    out: &mut Out,
    rng: &mut SimRng,
    at: Timestamp,
    gateway: &Host,
    person: usize,
    user: &str,
    peer: &str,
    minutes: i64,
) -> Timestamp {
    let feed = t.feed("vpn");
    let server = aaa_server(t, gateway);
    let inside = tunnel_ip(t, person);
    out.syslog(
        at,
        &feed,
        asa::auth_success(at, &gateway.name, &server, user),
    );
    let started = at + secs(rng, 0.2, 1.5);
    out.syslog(
        started,
        &feed,
        asa::session_started(started, &gateway.name, GROUP, user, peer),
    );
    let assigned = started + secs(rng, 0.5, 3.0);
    out.syslog(
        assigned,
        &feed,
        asa::address_assigned(assigned, &gateway.name, GROUP, user, peer, &inside),
    );
    let end = assigned + Duration::minutes(minutes) + secs(rng, 0.0, 60.0);
    let duration = (end - at).num_seconds();
    let bytes_out = rng.random_range(100_000..80_000_000);
    let bytes_in = rng.random_range(1_000_000..900_000_000);
    out.syslog(
        end,
        &feed,
        asa::session_disconnected(
            end,
            &gateway.name,
            GROUP,
            user,
            peer,
            duration,
            bytes_out,
            bytes_in,
            "User Requested",
        ),
    );
    end
}

/// Password spraying from the internet: a few guesses at common names.
fn spray(t: &TenantSim, out: &mut Out, rng: &mut SimRng, at: Timestamp, gateway: &Host) {
    let feed = t.feed("vpn");
    let server = aaa_server(t, gateway);
    let peer = format!("203.0.113.{}", rng.random_range(1..127));
    let mut at = at;
    for _ in 0..rng.random_range(1..4) {
        let user = pick(
            rng,
            &[
                "admin",
                "administrator",
                "vpn",
                "test",
                "user",
                "scanner",
                "guest",
            ],
        )
        .copied()
        .unwrap_or("admin");
        out.syslog(
            at,
            &feed,
            asa::auth_rejected(at, &gateway.name, &server, user, &peer),
        );
        at += secs(rng, 1.0, 8.0);
    }
}
