//! Small acts that produce the events of one thing happening, shared by
//! everyday life and the attack stories so that both look the same to Vigil:
//! badging through a door, leaving by the exit button, logging on, starting a
//! program, opening a connection through the firewall.

use chrono::Duration;
use rand::Rng;
use vigil_model::{Severity, Timestamp};

use super::{Out, secs};
use crate::format::cef::{self, Firewall, Traffic};
use crate::format::physical::{self, Cardholder, DoorAt};
use crate::format::windows::{self, Logon, NetworkConnect, Process, ProcessCreate};
use crate::rng::{SimRng, windows_guid};
use crate::tenant_sim::TenantSim;
use crate::world::{Device, Door, Host, Person};

/// The cardholder record for `person`'s current badge.
pub fn holder(person: &Person) -> Option<Cardholder<'_>> {
    person.current_badge().map(|b| Cardholder {
        badge: &b.id,
        person: Some(&person.name),
        status: Some(person.status.as_str()),
    })
}

fn door_at<'a>(dev: &'a Device, door: &'a Door) -> DoorAt<'a> {
    DoorAt {
        door: &dev.id,
        reader: door.reader.as_deref(),
        zone: &dev.zone,
    }
}

/// How long a door stays open after someone goes through.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Hold {
    /// A few seconds.
    Normal,
    /// Propped or held (deliveries): the door reports `door_held_open`.
    HeldOpen,
}

/// `camera` sees motion at `at`.
pub fn motion(
    t: &TenantSim,
    out: &mut Out,
    at: Timestamp,
    camera: &str,
    zone: &str,
    site: &vigil_model::SiteId,
) {
    out.json(
        at,
        &t.site_feed("video", site),
        physical::video(at, camera, zone, "motion", Some(Severity::Info)),
    );
}

/// The door opens at `opened`, maybe the camera sees it, `people` pass in
/// (which its people counter, if it has one, reports) and it closes;
/// returns when it closed.
#[allow(clippy::too_many_arguments)]
fn open_and_close(
    t: &TenantSim,
    out: &mut Out,
    rng: &mut SimRng,
    opened: Timestamp,
    (dev, door): (&Device, &Door),
    reason: Option<&str>,
    hold: Hold,
    people: u32,
) -> Timestamp {
    let feed = t.site_feed("access", &dev.site);
    let at = door_at(dev, door);
    out.json(
        opened,
        &feed,
        physical::door_contact(opened, "door_opened", at, reason, None, None),
    );
    if let Some(camera) = &door.camera
        && rng.random_bool(0.7)
    {
        let seen = opened + secs(rng, 0.2, 2.0);
        motion(t, out, seen, camera, &dev.zone, &dev.site);
    }
    let closed = match hold {
        Hold::Normal => opened + secs(rng, 3.0, 9.0),
        Hold::HeldOpen => {
            let limit = rng.random_range(30..=60);
            let held = opened + Duration::seconds(limit);
            out.json(
                held,
                &feed,
                physical::door_contact(
                    held,
                    "door_held_open",
                    at,
                    None,
                    Some(limit as u32),
                    Some(Severity::Low),
                ),
            );
            held + secs(rng, 30.0, 540.0)
        }
    };
    if people > 0 && door.counts_people() {
        // The counter reports the opening once they are through: halfway to
        // the door closing, and never more than a few seconds in. No random
        // draw, so doors without a counter play out exactly as before.
        let half = ((closed - opened).num_milliseconds() / 2).min(3_000);
        let counted = opened + Duration::milliseconds(half);
        let mut f = physical::access(
            counted,
            "people_counted",
            at,
            None,
            None,
            Some(Severity::Info),
        );
        f.insert("count".into(), people.into());
        out.json(counted, &feed, f);
    }
    out.json(
        closed,
        &feed,
        physical::door_contact(closed, "door_closed", at, None, None, None),
    );
    closed
}

/// Someone badges at door `door_index` at `at` and is let in; returns when
/// the door has closed behind them.
pub fn badge_in(
    t: &TenantSim,
    out: &mut Out,
    rng: &mut SimRng,
    at: Timestamp,
    door_index: usize,
    who: Cardholder<'_>,
    hold: Hold,
) -> Timestamp {
    badge_through(t, out, rng, at, door_index, who, hold, 1)
}

/// Someone badges out through an anti-passback door (which needs a badge
/// both ways): the grant says it is the way out, and the door's people
/// counter counts only those coming in.
pub fn badge_out(
    t: &TenantSim,
    out: &mut Out,
    rng: &mut SimRng,
    at: Timestamp,
    door_index: usize,
    who: Cardholder<'_>,
) -> Timestamp {
    let way_out = Passage {
        hold: Hold::Normal,
        people: 0,
        direction: Some("out"),
    };
    grant_and_pass(t, out, rng, at, door_index, who, way_out)
}

/// Someone badges at door `door_index` at `at` and `people` go in on that
/// one grant (more than one: someone followed them); returns when the door
/// has closed behind them.
#[allow(clippy::too_many_arguments)]
pub fn badge_through(
    t: &TenantSim,
    out: &mut Out,
    rng: &mut SimRng,
    at: Timestamp,
    door_index: usize,
    who: Cardholder<'_>,
    hold: Hold,
    people: u32,
) -> Timestamp {
    let way_in = Passage {
        hold,
        people,
        direction: None,
    };
    grant_and_pass(t, out, rng, at, door_index, who, way_in)
}

/// How a granted door is passed.
struct Passage {
    hold: Hold,
    /// People counted going in.
    people: u32,
    /// `Some("out")` when the grant is the way out.
    direction: Option<&'static str>,
}

/// The grant at door `door_index`, then the door opening and closing;
/// returns when it closed.
fn grant_and_pass(
    t: &TenantSim,
    out: &mut Out,
    rng: &mut SimRng,
    at: Timestamp,
    door_index: usize,
    who: Cardholder<'_>,
    passage: Passage,
) -> Timestamp {
    let Some((dev, door)) = t.door_at(door_index) else {
        return at;
    };
    let mut grant = physical::access(
        at,
        "access_granted",
        door_at(dev, door),
        Some(who),
        None,
        None,
    );
    if let Some(direction) = passage.direction {
        grant.insert("direction".into(), direction.into());
    }
    out.json(at, &t.site_feed("access", &dev.site), grant);
    let opened = at + secs(rng, 0.8, 3.0);
    open_and_close(
        t,
        out,
        rng,
        opened,
        (dev, door),
        None,
        passage.hold,
        passage.people,
    )
}

/// Someone is let through door `door_index` by an operator or a colleague
/// pressing the release (visitors, drivers); returns when it closed.
pub fn released(
    t: &TenantSim,
    out: &mut Out,
    rng: &mut SimRng,
    at: Timestamp,
    door_index: usize,
    hold: Hold,
) -> Timestamp {
    let Some((dev, door)) = t.door_at(door_index) else {
        return at;
    };
    let feed = t.site_feed("access", &dev.site);
    out.json(
        at,
        &feed,
        physical::access(
            at,
            "access_granted",
            door_at(dev, door),
            None,
            Some("remote_release"),
            None,
        ),
    );
    let opened = at + secs(rng, 1.0, 4.0);
    open_and_close(t, out, rng, opened, (dev, door), None, hold, 1)
}

/// Someone leaves through door `door_index` with the exit button.
pub fn exit_by_button(
    t: &TenantSim,
    out: &mut Out,
    rng: &mut SimRng,
    at: Timestamp,
    door_index: usize,
) -> Timestamp {
    let Some((dev, door)) = t.door_at(door_index) else {
        return at;
    };
    open_and_close(
        t,
        out,
        rng,
        at,
        (dev, door),
        Some("request_to_exit"),
        Hold::Normal,
        0,
    )
}

/// A badge is refused at door `door_index` for `reason`.
pub fn refused(
    t: &TenantSim,
    out: &mut Out,
    at: Timestamp,
    door_index: usize,
    who: Cardholder<'_>,
    reason: &str,
) {
    let Some((dev, door)) = t.door_at(door_index) else {
        return;
    };
    out.json(
        at,
        &t.site_feed("access", &dev.site),
        physical::access(
            at,
            "access_denied",
            door_at(dev, door),
            Some(who),
            Some(reason),
            Some(Severity::Low),
        ),
    );
}

/// A running process, to be a parent.
#[derive(Debug, Clone)]
pub struct Proc {
    /// Image path.
    pub image: String,
    /// Command line.
    pub command_line: String,
    /// Process id.
    pub pid: u32,
    /// Sysmon process GUID.
    pub guid: String,
}

impl Proc {
    /// A process that was already running before the simulation looked.
    pub fn existing(rng: &mut SimRng, image: &str, command_line: &str) -> Self {
        Self {
            image: image.to_owned(),
            command_line: command_line.to_owned(),
            pid: pid(rng),
            guid: windows_guid(rng),
        }
    }
}

/// A plausible Windows process id.
pub fn pid(rng: &mut SimRng) -> u32 {
    rng.random_range(250..16000) * 4
}

/// Someone (or SYSTEM) running things on a Windows host.
#[derive(Debug, Clone)]
pub struct WinSession {
    /// Index of the host in the client's hosts.
    pub host: usize,
    /// The host's FQDN.
    pub fqdn: String,
    /// The host's address.
    pub ip: String,
    /// The account name without domain (`SYSTEM` for the system).
    pub username: String,
    /// `DOMAIN\user` or `NT AUTHORITY\SYSTEM`.
    pub user: String,
    /// The session id (`0x3e7` for SYSTEM).
    pub logon_id: String,
    /// The logon GUID.
    pub logon_guid: String,
    /// The logon type.
    pub logon_type: u8,
    /// The session's shell (explorer.exe), or services.exe for SYSTEM.
    pub shell: Proc,
    /// Whether the account is an administrator (elevated processes).
    pub admin: bool,
}

impl WinSession {
    /// The SYSTEM account's services on `host`.
    pub fn system(t: &TenantSim, rng: &mut SimRng, host: usize) -> Option<Self> {
        let h = t.world.hosts.get(host)?;
        Some(Self {
            host,
            fqdn: t.fqdn(h),
            ip: h.ip.clone(),
            username: "SYSTEM".to_owned(),
            user: "NT AUTHORITY\\SYSTEM".to_owned(),
            logon_id: "0x3e7".to_owned(),
            logon_guid: "{00000000-0000-0000-0000-000000000000}".to_owned(),
            logon_type: 5,
            shell: Proc::existing(
                rng,
                "C:\\Windows\\System32\\services.exe",
                "C:\\Windows\\system32\\services.exe",
            ),
            admin: true,
        })
    }

    /// The identity of a logon session of `username` on `host`: ids drawn
    /// from `rng`, so that a session rebuilt from the same stream (to log
    /// off hours later) is the same session.
    pub fn of_user(
        t: &TenantSim,
        rng: &mut SimRng,
        host: usize,
        username: &str,
        logon_type: u8,
        admin: bool,
    ) -> Option<Self> {
        let h = t.world.hosts.get(host)?;
        Some(Self {
            host,
            fqdn: t.fqdn(h),
            ip: h.ip.clone(),
            username: username.to_owned(),
            user: t.account(username),
            logon_id: logon_id(rng),
            logon_guid: windows_guid(rng),
            logon_type,
            shell: Proc::existing(
                rng,
                "C:\\Windows\\explorer.exe",
                "C:\\Windows\\Explorer.EXE",
            ),
            admin,
        })
    }
}

fn logon_id(rng: &mut SimRng) -> String {
    format!("0x{:x}", rng.random_range(0x10_0000u32..0x0fff_ffff))
}

/// `session` begins at `at`: the domain controller's Kerberos logon, the
/// host's 4624 (from `from_ip` for remote logons), 4672 for administrators,
/// and the shell starting. Returns when the shell is up.
pub fn log_on(
    t: &TenantSim,
    out: &mut Out,
    rng: &mut SimRng,
    at: Timestamp,
    session: &WinSession,
    from_ip: Option<&str>,
) -> Timestamp {
    let Some(h) = t.world.hosts.get(session.host) else {
        return at;
    };
    let feed = t.feed("windows");
    let domain = t.world.domain.as_str();
    if let Some(dc) = t.domain_controller(&h.site) {
        let dc_fqdn = t.fqdn(dc);
        let l = Logon {
            host: &dc_fqdn,
            user: &session.username,
            domain,
            logon_type: 3,
            ip: from_ip.unwrap_or(&h.ip),
            workstation: "-",
            logon_id: &logon_id(rng),
        };
        out.json(at, &feed, windows::logon_success(at, &l));
    }
    let at = at + Duration::milliseconds(rng.random_range(200..900));
    let workstation = h.name.to_ascii_uppercase();
    let l = Logon {
        host: &session.fqdn,
        user: &session.username,
        domain,
        logon_type: session.logon_type,
        ip: from_ip.unwrap_or(if session.logon_type == 2 {
            "127.0.0.1"
        } else {
            "-"
        }),
        workstation: &workstation,
        logon_id: &session.logon_id,
    };
    out.json(at, &feed, windows::logon_success(at, &l));
    if session.admin {
        out.json(
            at,
            &feed,
            windows::special_privileges(
                at,
                &session.fqdn,
                &session.username,
                domain,
                &session.logon_id,
            ),
        );
    }
    if session.logon_type == 3 {
        return at;
    }
    let shell_at = at + secs(rng, 1.0, 4.0);
    let userinit = Proc::existing(
        rng,
        "C:\\Windows\\System32\\userinit.exe",
        "C:\\Windows\\system32\\userinit.exe",
    );
    let event = ProcessCreate {
        host: &session.fqdn,
        user: &session.user,
        process: Process {
            image: &session.shell.image,
            command_line: &session.shell.command_line,
            pid: session.shell.pid,
            guid: &session.shell.guid,
        },
        parent: Process {
            image: &userinit.image,
            command_line: &userinit.command_line,
            pid: userinit.pid,
            guid: &userinit.guid,
        },
        current_directory: "C:\\Windows\\system32\\",
        integrity: "Medium",
        logon_id: &session.logon_id,
        logon_guid: &session.logon_guid,
    };
    out.json(shell_at, &feed, windows::process_create(shell_at, &event));
    shell_at
}

/// The session ends (4634).
pub fn log_off(t: &TenantSim, out: &mut Out, at: Timestamp, session: &WinSession) {
    out.json(
        at,
        &t.feed("windows"),
        windows::logoff(
            at,
            &session.fqdn,
            &session.username,
            &t.world.domain,
            session.logon_type,
            &session.logon_id,
        ),
    );
}

/// A process starts in `session` (Sysmon 1); returns it.
#[allow(clippy::too_many_arguments)]
pub fn start(
    t: &TenantSim,
    out: &mut Out,
    rng: &mut SimRng,
    at: Timestamp,
    session: &WinSession,
    image: &str,
    command_line: &str,
    parent: &Proc,
    integrity: &str,
) -> Proc {
    let proc = Proc {
        image: image.to_owned(),
        command_line: command_line.to_owned(),
        pid: pid(rng),
        guid: windows_guid(rng),
    };
    let directory = if session.username == "SYSTEM" {
        "C:\\Windows\\system32\\".to_owned()
    } else {
        format!("C:\\Users\\{}\\", session.username)
    };
    let event = ProcessCreate {
        host: &session.fqdn,
        user: &session.user,
        process: Process {
            image: &proc.image,
            command_line: &proc.command_line,
            pid: proc.pid,
            guid: &proc.guid,
        },
        parent: Process {
            image: &parent.image,
            command_line: &parent.command_line,
            pid: parent.pid,
            guid: &parent.guid,
        },
        current_directory: &directory,
        integrity,
        logon_id: &session.logon_id,
        logon_guid: &session.logon_guid,
    };
    out.json(at, &t.feed("windows"), windows::process_create(at, &event));
    proc
}

/// `proc` in `session` connects to `dst:dpt` (Sysmon 3, if `sysmon`).
#[allow(clippy::too_many_arguments)]
pub fn sysmon_connect(
    t: &TenantSim,
    out: &mut Out,
    rng: &mut SimRng,
    at: Timestamp,
    session: &WinSession,
    proc: &Proc,
    dst: &str,
    dpt: u16,
    dst_name: Option<&str>,
) -> u16 {
    let spt = rng.random_range(49152..65535);
    let n = NetworkConnect {
        host: &session.fqdn,
        user: &session.user,
        image: &proc.image,
        pid: proc.pid,
        guid: &proc.guid,
        source_ip: &session.ip,
        source_port: spt,
        destination_ip: dst,
        destination_port: dpt,
        destination_hostname: dst_name,
    };
    out.json(at, &t.feed("windows"), windows::network_connect(at, &n));
    spt
}

/// A firewall session record.
#[derive(Debug, Clone)]
pub struct Flow<'a> {
    /// The firewall.
    pub firewall: &'a Host,
    /// Source address.
    pub src: &'a str,
    /// Destination address.
    pub dst: &'a str,
    /// Destination port.
    pub dpt: u16,
    /// 6 TCP, 17 UDP.
    pub proto: u8,
    /// Whether policy allowed it.
    pub allowed: bool,
    /// Network it came from (`it-lan`, `wan1` …).
    pub from: &'a str,
    /// Network it went to.
    pub to: &'a str,
    /// The matching policy.
    pub policy: &'a str,
    /// Application name.
    pub app: &'a str,
    /// The user the firewall attributes it to.
    pub user: Option<&'a str>,
}

/// The firewall logs `flow` at `at`.
pub fn firewall(t: &TenantSim, out: &mut Out, rng: &mut SimRng, at: Timestamp, flow: &Flow<'_>) {
    let Some((feed, kind)) = t.firewall_kind() else {
        return;
    };
    let (bytes_out, bytes_in) = if flow.allowed {
        (
            rng.random_range(400..60_000),
            rng.random_range(800..900_000),
        )
    } else {
        (0, 0)
    };
    let traffic = Traffic {
        device: &flow.firewall.name,
        src: flow.src,
        spt: rng.random_range(49152..65535),
        dst: flow.dst,
        dpt: flow.dpt,
        proto: flow.proto,
        allowed: flow.allowed,
        inbound: interface(kind, flow.from),
        outbound: interface(kind, flow.to),
        policy: flow.policy,
        app: flow.app,
        user: flow.user,
        bytes_out,
        bytes_in,
    };
    out.syslog(at, &Some(feed), cef::traffic(at, kind, &traffic));
}

/// The firewall's name for the interface towards `network`: FortiGate
/// interfaces carry the segment names; PAN-OS uses its ethernet ports.
fn interface(kind: Firewall, network: &str) -> &str {
    match kind {
        Firewall::FortiGate => network,
        Firewall::PanOs => match network {
            "wan1" | "internet" => "ethernet1/1",
            "it-lan" => "ethernet1/2",
            "it-servers" => "ethernet1/3",
            "vpn-pool" => "tunnel.1",
            _ => "ethernet1/4",
        },
    }
}
