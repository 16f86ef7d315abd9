//! People at computers: their own workstation's session for the shift, short
//! sessions on shared ward PCs, NOC consoles and HMIs, the programs they
//! start, their browsing through the firewall, administrators' remote
//! sessions and maintenance PowerShell (encoded, but benign).

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::Duration;
use rand::Rng;
use vigil_model::Timestamp;

use super::acts::{self, Flow, Proc, WinSession};
use super::{Out, Slot, secs};
use crate::format::windows::{self, Logon};
use crate::rng::{SimRng, pick, poisson, stream_at};
use crate::tenant_sim::TenantSim;
use crate::world::{HostRole, Person, Role};

/// Internet services people use, with documentation-range addresses.
pub const WEB: &[(&str, &str)] = &[
    ("outlook.office365.com", "198.51.100.131"),
    ("teams.microsoft.com", "198.51.100.140"),
    ("www.bing.com", "198.51.100.152"),
    ("login.microsoftonline.com", "198.51.100.160"),
    ("www.google.com", "192.0.2.14"),
    ("www.bbc.co.uk", "192.0.2.40"),
    ("www.gov.uk", "192.0.2.66"),
    ("www.nhs.uk", "192.0.2.81"),
    ("github.com", "192.0.2.112"),
    ("update.vendor-portal.example", "203.0.113.140"),
    ("cdn.jsdelivr.example", "203.0.113.151"),
    ("status.supplier.example", "203.0.113.177"),
    ("sharepoint.com", "198.51.100.199"),
    ("www.linkedin.com", "192.0.2.201"),
];

const EDGE: &str = "C:\\Program Files (x86)\\Microsoft\\Edge\\Application\\msedge.exe";
const CHROME: &str = "C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe";
const POWERSHELL: &str = "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe";

/// Programs started per hour at a desk, by role.
fn program_rate(role: Role) -> f64 {
    match role {
        Role::OfficeStaff | Role::ItAdministrator => 30.0,
        Role::Manager | Role::OtEngineer => 20.0,
        Role::RecordsClerk | Role::Pharmacist | Role::LabChemist => 15.0,
        Role::DataCentreEngineer => 10.0,
        _ => 6.0,
    }
}

/// Shared-PC sessions per hour on shift, by role.
fn shared_session_rate(role: Role) -> f64 {
    match role {
        Role::Nurse | Role::Doctor => 3.0,
        Role::PlantOperator => 2.0,
        Role::NocOperator => 1.5,
        Role::SecurityOfficer => 0.7,
        Role::Porter => 0.3,
        _ => 0.0,
    }
}

/// The programs a role starts: (image, command line); `{u}` is the user.
fn programs(role: Role) -> &'static [(&'static str, &'static str)] {
    const OFFICE_APPS: &[(&str, &str)] = &[
        (
            "C:\\Program Files\\Microsoft Office\\root\\Office16\\OUTLOOK.EXE",
            "\"C:\\Program Files\\Microsoft Office\\root\\Office16\\OUTLOOK.EXE\" ",
        ),
        (
            "C:\\Program Files\\Microsoft Office\\root\\Office16\\WINWORD.EXE",
            "\"C:\\Program Files\\Microsoft Office\\root\\Office16\\WINWORD.EXE\" /n \"C:\\Users\\{u}\\Documents\\Report.docx\"",
        ),
        (
            "C:\\Program Files\\Microsoft Office\\root\\Office16\\EXCEL.EXE",
            "\"C:\\Program Files\\Microsoft Office\\root\\Office16\\EXCEL.EXE\" \"C:\\Users\\{u}\\Documents\\Budget.xlsx\"",
        ),
        (
            EDGE,
            "\"C:\\Program Files (x86)\\Microsoft\\Edge\\Application\\msedge.exe\" --single-argument https://intranet/",
        ),
        (
            CHROME,
            "\"C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe\" --type=renderer --lang=en-GB",
        ),
        (
            "C:\\Users\\{u}\\AppData\\Local\\Microsoft\\WindowsApps\\ms-teams.exe",
            "\"ms-teams.exe\" msteams:system-initiated",
        ),
        (
            "C:\\Windows\\System32\\notepad.exe",
            "\"C:\\Windows\\system32\\NOTEPAD.EXE\" C:\\Users\\{u}\\Desktop\\notes.txt",
        ),
    ];
    const ADMIN_APPS: &[(&str, &str)] = &[
        (
            "C:\\Windows\\System32\\mmc.exe",
            "\"C:\\Windows\\system32\\mmc.exe\" \"C:\\Windows\\system32\\dsa.msc\"",
        ),
        (
            POWERSHELL,
            "\"C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe\" ",
        ),
        (
            "C:\\Windows\\System32\\cmd.exe",
            "\"C:\\Windows\\system32\\cmd.exe\" ",
        ),
        (
            "C:\\Windows\\System32\\mstsc.exe",
            "\"C:\\Windows\\system32\\mstsc.exe\" /v:jump01",
        ),
        (
            EDGE,
            "\"C:\\Program Files (x86)\\Microsoft\\Edge\\Application\\msedge.exe\" --single-argument https://intranet/",
        ),
        (
            "C:\\Program Files\\Microsoft Office\\root\\Office16\\OUTLOOK.EXE",
            "\"C:\\Program Files\\Microsoft Office\\root\\Office16\\OUTLOOK.EXE\" ",
        ),
    ];
    const CLINICAL: &[(&str, &str)] = &[
        (
            "C:\\Program Files\\MedChart\\MedChart.exe",
            "\"C:\\Program Files\\MedChart\\MedChart.exe\" /sso",
        ),
        (
            "C:\\Program Files\\PACSView\\pacsview.exe",
            "\"C:\\Program Files\\PACSView\\pacsview.exe\" --worklist",
        ),
        (
            EDGE,
            "\"C:\\Program Files (x86)\\Microsoft\\Edge\\Application\\msedge.exe\" --single-argument https://intranet/policies",
        ),
    ];
    const PHARMACY: &[(&str, &str)] = &[
        (
            "C:\\Program Files\\PharmaStock\\PharmaStock.exe",
            "\"C:\\Program Files\\PharmaStock\\PharmaStock.exe\" ",
        ),
        (
            "C:\\Program Files\\MedChart\\MedChart.exe",
            "\"C:\\Program Files\\MedChart\\MedChart.exe\" /sso",
        ),
        (
            "C:\\Program Files\\Microsoft Office\\root\\Office16\\OUTLOOK.EXE",
            "\"C:\\Program Files\\Microsoft Office\\root\\Office16\\OUTLOOK.EXE\" ",
        ),
    ];
    const NOC: &[(&str, &str)] = &[
        (
            "C:\\Program Files\\DCIM Console\\dcimconsole.exe",
            "\"C:\\Program Files\\DCIM Console\\dcimconsole.exe\" --wall",
        ),
        (
            "C:\\Program Files\\PuTTY\\putty.exe",
            "\"C:\\Program Files\\PuTTY\\putty.exe\" -ssh noc@core-sw-01",
        ),
        (
            EDGE,
            "\"C:\\Program Files (x86)\\Microsoft\\Edge\\Application\\msedge.exe\" --single-argument https://monitoring/",
        ),
    ];
    const HMI: &[(&str, &str)] = &[
        (
            "C:\\Program Files\\AquaView\\AquaView.exe",
            "\"C:\\Program Files\\AquaView\\AquaView.exe\" /operator",
        ),
        (
            "C:\\Program Files\\AquaView\\AlarmViewer.exe",
            "\"C:\\Program Files\\AquaView\\AlarmViewer.exe\" ",
        ),
    ];
    const OT: &[(&str, &str)] = &[
        (
            "C:\\Program Files\\PLC Studio\\PLCStudio.exe",
            "\"C:\\Program Files\\PLC Studio\\PLCStudio.exe\" ",
        ),
        (
            "C:\\Windows\\System32\\mstsc.exe",
            "\"C:\\Windows\\system32\\mstsc.exe\" /v:rw-jump-ot",
        ),
        (
            "C:\\Program Files\\Microsoft Office\\root\\Office16\\EXCEL.EXE",
            "\"C:\\Program Files\\Microsoft Office\\root\\Office16\\EXCEL.EXE\" \"C:\\Users\\{u}\\Documents\\Setpoints.xlsx\"",
        ),
        (
            "C:\\Program Files\\Microsoft Office\\root\\Office16\\OUTLOOK.EXE",
            "\"C:\\Program Files\\Microsoft Office\\root\\Office16\\OUTLOOK.EXE\" ",
        ),
    ];
    const LAB: &[(&str, &str)] = &[
        (
            "C:\\Program Files\\LabWare\\LIMS.exe",
            "\"C:\\Program Files\\LabWare\\LIMS.exe\" ",
        ),
        (
            "C:\\Program Files\\Microsoft Office\\root\\Office16\\EXCEL.EXE",
            "\"C:\\Program Files\\Microsoft Office\\root\\Office16\\EXCEL.EXE\" \"C:\\Users\\{u}\\Documents\\Turbidity.xlsx\"",
        ),
    ];
    const GUARD: &[(&str, &str)] = &[
        (
            "C:\\Program Files\\AccessPro\\AccessPro.exe",
            "\"C:\\Program Files\\AccessPro\\AccessPro.exe\" /console",
        ),
        (
            "C:\\Program Files\\VMS Client\\vmsclient.exe",
            "\"C:\\Program Files\\VMS Client\\vmsclient.exe\" --layout guard",
        ),
    ];
    match role {
        Role::ItAdministrator => ADMIN_APPS,
        Role::Nurse | Role::Doctor | Role::RecordsClerk | Role::Porter => CLINICAL,
        Role::Pharmacist => PHARMACY,
        Role::NocOperator | Role::DataCentreEngineer => NOC,
        Role::PlantOperator => HMI,
        Role::OtEngineer => OT,
        Role::LabChemist => LAB,
        Role::SecurityOfficer => GUARD,
        _ => OFFICE_APPS,
    }
}

fn host_index(t: &TenantSim, name: &str) -> Option<usize> {
    t.world.hosts.iter().position(|h| h.name == name)
}

/// The session person `i` holds on their own workstation during the shift
/// starting on `day`: the same ids whenever it is rebuilt.
fn own_session(t: &TenantSim, seed: u64, i: usize, day: u64) -> Option<(WinSession, &Person)> {
    let p = t.world.people.get(i)?;
    let user = p.username.as_deref()?;
    let host = host_index(t, p.workstation.as_deref()?)?;
    let mut rng = stream_at(seed, &[&t.slug, "own-session"], &[i as u64, day]);
    Some((WinSession::of_user(t, &mut rng, host, user, 2, p.admin)?, p))
}

/// Person `i` sits down at their workstation at `at`.
pub fn start_of_shift(
    t: &TenantSim,
    out: &mut Out,
    rng: &mut SimRng,
    seed: u64,
    i: usize,
    day: u64,
    at: Timestamp,
) {
    if let Some((session, p)) = own_session(t, seed, i, day) {
        let at = acts::log_on(t, out, rng, at, &session, None);
        for k in 0..rng.random_range(2..5) {
            let when = at + Duration::seconds(10 + 20 * k) + secs(rng, 0.0, 10.0);
            start_program(t, out, rng, when, &session, p.role);
        }
    }
}

/// Person `i` logs off at `at`; returns when they head for the door.
pub fn end_of_shift(
    t: &TenantSim,
    out: &mut Out,
    rng: &mut SimRng,
    seed: u64,
    i: usize,
    day: u64,
    at: Timestamp,
) -> Timestamp {
    match own_session(t, seed, i, day) {
        Some((session, _)) => {
            acts::log_off(t, out, at, &session);
            at + secs(rng, 60.0, 240.0)
        }
        None => at,
    }
}

/// Person `i`'s computing during one minute on shift.
pub fn on_shift(t: &TenantSim, out: &mut Out, rng: &mut SimRng, slot: &Slot, i: usize, day: u64) {
    let Some(p) = t.world.people.get(i) else {
        return;
    };
    let hours = slot.hours();
    if let Some((session, _)) = own_session(t, slot.seed, i, day) {
        for _ in 0..poisson(rng, program_rate(p.role) * hours) {
            let at = slot.random_time(rng);
            start_program(t, out, rng, at, &session, p.role);
        }
        for _ in 0..poisson(rng, program_rate(p.role) * 2.0 * hours) {
            let at = slot.random_time(rng);
            let sysmon = rng.random_bool(0.25);
            browse(t, out, rng, at, &session, sysmon);
        }
        for _ in 0..poisson(rng, 3.0 * hours) {
            let at = slot.random_time(rng);
            file_share_logon(t, out, rng, at, &session);
        }
        if p.admin {
            for _ in 0..poisson(rng, 0.5 * hours) {
                let at = slot.random_time(rng);
                admin_remote_session(t, out, rng, at, &session);
            }
            for _ in 0..poisson(rng, 0.4 * hours) {
                let at = slot.random_time(rng);
                maintenance_powershell(t, out, rng, at, &session);
            }
        }
        if p.role == Role::OtEngineer {
            for _ in 0..poisson(rng, 0.5 * hours) {
                let at = slot.random_time(rng);
                engineering_session(t, out, rng, at, p);
            }
        }
        return;
    }
    for _ in 0..poisson(rng, shared_session_rate(p.role) * hours) {
        let at = slot.random_time(rng);
        shared_session(t, out, rng, at, i);
    }
}

fn start_program(
    t: &TenantSim,
    out: &mut Out,
    rng: &mut SimRng,
    at: Timestamp,
    session: &WinSession,
    role: Role,
) -> Option<Proc> {
    let (image, command) = pick(rng, programs(role))?;
    let image = image.replace("{u}", &session.username);
    let command = command.replace("{u}", &session.username);
    let integrity = if session.admin && image.ends_with("mmc.exe") {
        "High"
    } else {
        "Medium"
    };
    Some(acts::start(
        t,
        out,
        rng,
        at,
        session,
        &image,
        &command,
        &session.shell,
        integrity,
    ))
}

/// A browser connection to the internet through the edge firewall.
fn browse(
    t: &TenantSim,
    out: &mut Out,
    rng: &mut SimRng,
    at: Timestamp,
    session: &WinSession,
    sysmon: bool,
) {
    let Some(h) = t.world.hosts.get(session.host) else {
        return;
    };
    let Some(fw) = t.edge_firewall(&h.site) else {
        return;
    };
    let Some((name, ip)) = pick(rng, WEB).copied() else {
        return;
    };
    let image = if rng.random_bool(0.6) { EDGE } else { CHROME };
    let browser = Proc::existing(rng, image, "");
    let dpt = if rng.random_bool(0.93) { 443 } else { 80 };
    if sysmon {
        acts::sysmon_connect(t, out, rng, at, session, &browser, ip, dpt, Some(name));
    }
    let user = format!(
        "{}\\{}",
        t.world.domain.to_ascii_lowercase(),
        session.username
    );
    let blocked = rng.random_bool(0.03);
    let flow = Flow {
        firewall: fw,
        src: &h.ip,
        dst: ip,
        dpt,
        proto: 6,
        allowed: !blocked,
        from: &h.network,
        to: "wan1",
        policy: if blocked {
            "block-categories"
        } else {
            "lan-to-internet"
        },
        app: if dpt == 443 { "HTTPS" } else { "HTTP" },
        user: Some(&user),
    };
    let logged = at + Duration::milliseconds(rng.random_range(1..40));
    acts::firewall(t, out, rng, logged, &flow);
}

/// The workstation touches the file server (network logon there).
fn file_share_logon(
    t: &TenantSim,
    out: &mut Out,
    rng: &mut SimRng,
    at: Timestamp,
    session: &WinSession,
) {
    let servers: Vec<&crate::world::Host> = t
        .world
        .hosts
        .iter()
        .filter(|h| h.role == HostRole::Server && h.is_windows())
        .collect();
    let Some(server) = pick(rng, &servers) else {
        return;
    };
    let fqdn = t.fqdn(server);
    let id = format!("0x{:x}", rng.random_range(0x10_0000u32..0x0fff_ffff));
    let l = Logon {
        host: &fqdn,
        user: &session.username,
        domain: &t.world.domain,
        logon_type: 3,
        ip: &session.ip,
        workstation: "-",
        logon_id: &id,
    };
    out.json(at, &t.feed("windows"), windows::logon_success(at, &l));
    let end = at + secs(rng, 1.0, 30.0);
    out.json(
        end,
        &t.feed("windows"),
        windows::logoff(end, &fqdn, &session.username, &t.world.domain, 3, &id),
    );
}

/// An administrator RDPs to a server, runs a console or two, and leaves.
fn admin_remote_session(
    t: &TenantSim,
    out: &mut Out,
    rng: &mut SimRng,
    at: Timestamp,
    from: &WinSession,
) {
    let servers: Vec<usize> = t
        .world
        .hosts
        .iter()
        .enumerate()
        .filter(|(_, h)| {
            h.is_windows()
                && matches!(
                    h.role,
                    HostRole::Server | HostRole::JumpHost | HostRole::DomainController
                )
        })
        .map(|(i, _)| i)
        .collect();
    let Some(host) = pick(rng, &servers).copied() else {
        return;
    };
    let Some(session) = WinSession::of_user(t, rng, host, &from.username, 10, true) else {
        return;
    };
    let mut at = acts::log_on(t, out, rng, at, &session, Some(&from.ip));
    for _ in 0..rng.random_range(1..4) {
        at += secs(rng, 20.0, 300.0);
        start_program(t, out, rng, at, &session, Role::ItAdministrator);
    }
    acts::log_off(t, out, at + secs(rng, 60.0, 1200.0), &session);
}

/// Scripts administrators really run, which they pass encoded to dodge
/// quoting: the decoded text downloads nothing.
const MAINTENANCE_SCRIPTS: &[&str] = &[
    "Get-ChildItem -Path 'D:\\Logs' -Recurse | Where-Object { $_.LastWriteTime -lt (Get-Date).AddDays(-30) } | Remove-Item -Force",
    "Get-Service | Where-Object { $_.StartType -eq 'Automatic' -and $_.Status -ne 'Running' } | Start-Service",
    "Get-WinEvent -LogName System -MaxEvents 200 | Where-Object Level -le 2 | Export-Csv C:\\Temp\\errors.csv -NoTypeInformation",
    "Get-CimInstance Win32_LogicalDisk | Select-Object DeviceID, FreeSpace, Size | ConvertTo-Json | Out-File C:\\Temp\\disks.json",
];

/// An encoded PowerShell command as an administrator would launch it.
pub fn encoded_command(script: &str) -> String {
    let utf16: Vec<u8> = script.encode_utf16().flat_map(u16::to_le_bytes).collect();
    STANDARD.encode(utf16)
}

/// Benign look-alike: an administrator runs an encoded maintenance script,
/// or (rarely) installs a package manager with a plain-text download cradle.
fn maintenance_powershell(
    t: &TenantSim,
    out: &mut Out,
    rng: &mut SimRng,
    at: Timestamp,
    session: &WinSession,
) {
    let command = if rng.random_bool(0.1) {
        format!(
            "\"{POWERSHELL}\" -NoProfile -ExecutionPolicy Bypass -Command \"[System.Net.ServicePointManager]::SecurityProtocol = 3072; iex ((New-Object System.Net.WebClient).DownloadString('https://community.chocolatey.org/install.ps1'))\""
        )
    } else {
        let script = pick(rng, MAINTENANCE_SCRIPTS)
            .copied()
            .unwrap_or("Get-Date");
        format!(
            "\"{POWERSHELL}\" -NoProfile -NonInteractive -ExecutionPolicy Bypass -EncodedCommand {}",
            encoded_command(script)
        )
    };
    acts::start(
        t,
        out,
        rng,
        at,
        session,
        POWERSHELL,
        &command,
        &session.shell,
        "High",
    );
}

/// An OT engineer at the engineering workstation in the control room talks
/// to a PLC through the OT firewall (from `ot-control`: allowed, expected).
fn engineering_session(t: &TenantSim, out: &mut Out, rng: &mut SimRng, at: Timestamp, p: &Person) {
    let Some(user) = p.username.as_deref() else {
        return;
    };
    let Some(ews) = t
        .world
        .hosts
        .iter()
        .position(|h| h.role == HostRole::EngineeringWorkstation)
    else {
        return;
    };
    let plcs: Vec<&crate::world::Host> = t
        .world
        .hosts
        .iter()
        .filter(|h| h.role == HostRole::Plc)
        .collect();
    let (Some(plc), Some(fw)) = (pick(rng, &plcs).copied(), t.ot_firewall()) else {
        return;
    };
    let Some(session) = WinSession::of_user(t, rng, ews, user, 2, true) else {
        return;
    };
    let mut at = acts::log_on(t, out, rng, at, &session, None);
    at += secs(rng, 5.0, 60.0);
    let studio = acts::start(
        t,
        out,
        rng,
        at,
        &session,
        "C:\\Program Files\\PLC Studio\\PLCStudio.exe",
        &format!(
            "\"C:\\Program Files\\PLC Studio\\PLCStudio.exe\" /online {}",
            plc.ip
        ),
        &session.shell,
        "High",
    );
    let Some(ews_host) = t.world.hosts.get(ews) else {
        return;
    };
    for _ in 0..rng.random_range(2..6) {
        at += secs(rng, 10.0, 240.0);
        acts::sysmon_connect(t, out, rng, at, &session, &studio, &plc.ip, 502, None);
        let flow = Flow {
            firewall: fw,
            src: &ews_host.ip,
            dst: &plc.ip,
            dpt: 502,
            proto: 6,
            allowed: true,
            from: &ews_host.network,
            to: &plc.network,
            policy: "eng-to-plc",
            app: "Modbus",
            user: None,
        };
        acts::firewall(t, out, rng, at + Duration::milliseconds(5), &flow);
    }
    acts::log_off(t, out, at + secs(rng, 60.0, 900.0), &session);
}

/// A short session on a shared PC (ward PC, NOC console, HMI, guard desk).
fn shared_session(t: &TenantSim, out: &mut Out, rng: &mut SimRng, at: Timestamp, i: usize) {
    let Some(p) = t.world.people.get(i) else {
        return;
    };
    let Some(user) = p.username.as_deref() else {
        return;
    };
    let home = t.home_zone.get(i).and_then(|z| z.as_deref());
    let Some(host) = pick(rng, &t.shared_hosts(home, &p.home_site)).copied() else {
        return;
    };
    let Some(h) = t.world.hosts.get(host) else {
        return;
    };
    let mut at = at;
    if rng.random_bool(0.04) {
        // A mistyped password first.
        let fqdn = t.fqdn(h);
        let l = Logon {
            host: &fqdn,
            user,
            domain: &t.world.domain,
            logon_type: 2,
            ip: "127.0.0.1",
            workstation: &h.name.to_ascii_uppercase(),
            logon_id: "0x0",
        };
        out.json(
            at,
            &t.feed("windows"),
            windows::logon_failure(at, &l, "0xc000006d", "0xc000006a"),
        );
        at += secs(rng, 4.0, 15.0);
    }
    let Some(session) = WinSession::of_user(t, rng, host, user, 2, false) else {
        return;
    };
    at = acts::log_on(t, out, rng, at, &session, None);
    let minutes = match p.role {
        Role::NocOperator | Role::PlantOperator | Role::SecurityOfficer => rng.random_range(15..60),
        _ => rng.random_range(2..15),
    };
    let end = at + Duration::minutes(minutes) + secs(rng, 0.0, 60.0);
    for _ in 0..rng.random_range(1..4 + minutes / 10) {
        let when = at + secs(rng, 2.0, (end - at).num_seconds().max(3) as f64);
        start_program(t, out, rng, when, &session, p.role);
    }
    if rng.random_bool(0.3) {
        let when = at + secs(rng, 5.0, 60.0);
        browse(t, out, rng, when, &session, false);
    }
    acts::log_off(t, out, end, &session);
}
