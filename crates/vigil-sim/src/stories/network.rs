//! Network stories at the water utility: a PLC reached over Modbus/TCP from
//! an office workstation through a forgotten firewall rule, and a VPN
//! password brute force that ends in a successful login.

use chrono::Duration;
use rand::Rng;
use vigil_model::{Entity, EntityKind, PersonStatus, Timestamp};

use super::Told;
use crate::activity::acts::{self, Flow, Proc, WinSession};
use crate::activity::vpn;
use crate::activity::{Out, secs};
use crate::format::asa;
use crate::rng::{SimRng, pick};
use crate::rules;
use crate::tenant_sim::TenantSim;
use crate::world::{HostRole, Role};

/// An office workstation runs a Modbus script against a PLC: the OT firewall
/// refuses the S7 and EtherNet/IP probes but lets 502 through on the old
/// `legacy-eng-access` policy.
pub fn modbus_from_it(
    t: &TenantSim,
    rng: &mut SimRng,
    at: Timestamp,
    out: &mut Out,
) -> Option<Told> {
    let fw = t.ot_firewall()?;
    let workstations: Vec<(usize, &str)> = t
        .world
        .hosts
        .iter()
        .enumerate()
        .filter(|(_, h)| h.role == HostRole::Workstation && h.network.starts_with("it-"))
        .filter_map(|(i, h)| Some((i, h.owner.as_deref()?)))
        .collect();
    let (ws_index, user) = *pick(rng, &workstations)?;
    let ws = t.world.hosts.get(ws_index)?;
    let plcs: Vec<&crate::world::Host> = t
        .world
        .hosts
        .iter()
        .filter(|h| h.role == HostRole::Plc)
        .collect();
    let plc = *pick(rng, &plcs)?;
    let session = WinSession::of_user(t, rng, ws_index, user, 2, false)?;
    let python =
        format!("C:\\Users\\{user}\\AppData\\Local\\Programs\\Python\\Python311\\python.exe");
    let cmd = Proc::existing(
        rng,
        "C:\\Windows\\System32\\cmd.exe",
        "\"C:\\Windows\\system32\\cmd.exe\" ",
    );
    let script = acts::start(
        t,
        out,
        rng,
        at,
        &session,
        &python,
        &format!(
            "\"{python}\" modbus_poll.py --host {} --port 502 --unit 1 --read-holding 0 100",
            plc.ip
        ),
        &cmd,
        "Medium",
    );
    let account = format!("{}\\{}", t.world.domain.to_ascii_lowercase(), user);
    let mut when = at + secs(rng, 1.0, 3.0);
    for (dpt, app) in [(102, "S7"), (44818, "EtherNet/IP")] {
        let probe = Flow {
            firewall: fw,
            src: &ws.ip,
            dst: &plc.ip,
            dpt,
            proto: 6,
            allowed: false,
            from: &ws.network,
            to: &plc.network,
            policy: "implicit-deny",
            app,
            user: Some(&account),
        };
        acts::firewall(t, out, rng, when, &probe);
        when += secs(rng, 0.5, 2.0);
    }
    acts::sysmon_connect(t, out, rng, when, &session, &script, &plc.ip, 502, None);
    let sessions = rng.random_range(3..9);
    for _ in 0..sessions {
        let allowed = Flow {
            firewall: fw,
            src: &ws.ip,
            dst: &plc.ip,
            dpt: 502,
            proto: 6,
            allowed: true,
            from: &ws.network,
            to: &plc.network,
            policy: "legacy-eng-access",
            app: "Modbus",
            user: Some(&account),
        };
        acts::firewall(t, out, rng, when + Duration::milliseconds(3), &allowed);
        when += secs(rng, 5.0, 25.0);
    }
    Some(Told {
        site: Some(plc.site.clone()),
        description: format!(
            "{} ({user}) on the IT network ran a Modbus script against PLC {} ({}); the OT firewall refused the S7 and EtherNet/IP probes but allowed {sessions} Modbus/TCP sessions on policy legacy-eng-access.",
            ws.name, plc.name, plc.ip
        ),
        expected_rules: vec![rules::OT_PROTOCOL_FROM_IT],
        entities: vec![
            Entity::new(EntityKind::Host, &ws.name),
            Entity::new(EntityKind::Ip, &ws.ip),
            Entity::new(EntityKind::User, user),
            Entity::new(EntityKind::Host, &plc.name),
            Entity::new(EntityKind::Ip, &plc.ip),
        ],
    })
}

/// Tens of password failures for one engineer's VPN account from one
/// address in a few minutes, then a success and a short session.
pub fn vpn_brute_force(
    t: &TenantSim,
    rng: &mut SimRng,
    at: Timestamp,
    out: &mut Out,
) -> Option<Told> {
    let gateway = t.vpn_gateway()?;
    let targets: Vec<usize> = t
        .world
        .people
        .iter()
        .enumerate()
        .filter(|(_, p)| p.vpn && p.status == PersonStatus::Active && p.username.is_some())
        .filter(|(_, p)| p.role == Role::OtEngineer || p.role == Role::ItAdministrator)
        .map(|(i, _)| i)
        .collect();
    let person = *pick(rng, &targets)?;
    let user = t.world.people.get(person)?.username.as_deref()?;
    let attacker = format!("203.0.113.{}", rng.random_range(1..127));
    let server = t
        .domain_controller(&gateway.site)
        .map(|dc| dc.ip.clone())
        .unwrap_or_default();
    let feed = t.feed("vpn");
    let failures = rng.random_range(15..40);
    let mut when = at;
    for _ in 0..failures {
        out.syslog(
            when,
            &feed,
            asa::auth_rejected(when, &gateway.name, &server, user, &attacker),
        );
        when += secs(rng, 3.0, 10.0);
    }
    let minutes = rng.random_range(5..20);
    vpn::login(t, out, rng, when, gateway, person, user, &attacker, minutes);
    Some(Told {
        site: Some(gateway.site.clone()),
        description: format!(
            "{failures} VPN password failures for {user} from {attacker} within minutes, then a successful login and a {minutes}-minute session from the same address."
        ),
        expected_rules: vec![rules::VPN_BRUTE_FORCE],
        entities: vec![
            Entity::new(EntityKind::User, user),
            Entity::new(EntityKind::Ip, &attacker),
        ],
    })
}
