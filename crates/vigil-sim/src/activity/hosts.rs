//! Computers on their own: services and scheduled tasks starting processes,
//! service and machine-account logons on servers and domain controllers,
//! the nightly backup and log clean-up (an encoded PowerShell command run by
//! the Task Scheduler — a look-alike for naive encoded-command rules), and an
//! administrator's ProcDump of a hung web worker.

use rand::Rng;

use super::acts::{self, Proc, WinSession};
use super::desk::encoded_command;
use super::{Out, Slot, secs};
use crate::calendar::{local, office_load};
use crate::format::windows::{self, Logon};
use crate::rng::{SimRng, pick, poisson};
use crate::tenant_sim::TenantSim;
use crate::world::{Host, HostRole};
use chrono::Timelike;

const SVCHOST: &str = "C:\\Windows\\System32\\svchost.exe";

/// Background programs Windows starts by itself.
const BACKGROUND: &[(&str, &str)] = &[
    (
        "C:\\Windows\\System32\\svchost.exe",
        "C:\\Windows\\system32\\svchost.exe -k netsvcs -p -s BITS",
    ),
    (
        "C:\\Windows\\System32\\svchost.exe",
        "C:\\Windows\\System32\\svchost.exe -k wsappx -p -s ClipSVC",
    ),
    (
        "C:\\Windows\\System32\\wbem\\WmiPrvSE.exe",
        "C:\\Windows\\system32\\wbem\\wmiprvse.exe -secured -Embedding",
    ),
    (
        "C:\\Windows\\System32\\taskhostw.exe",
        "taskhostw.exe -RegisterDevice -ProtectionStateChanged -FreeNetworkOnly",
    ),
    (
        "C:\\Windows\\System32\\SearchProtocolHost.exe",
        "\"C:\\Windows\\system32\\SearchProtocolHost.exe\" Global\\UsGthrFltPipeMssGthrPipe1_ Global\\UsGthrCtrlFltPipeMssGthrPipe1 1 -2147483646 \"Software\\Microsoft\\Windows Search\"",
    ),
    (
        "C:\\Windows\\System32\\conhost.exe",
        "\\??\\C:\\Windows\\system32\\conhost.exe 0xffffffff -ForceV1",
    ),
    (
        "C:\\ProgramData\\Microsoft\\Windows Defender\\Platform\\4.18.23110.3-0\\MpCmdRun.exe",
        "\"C:\\ProgramData\\Microsoft\\Windows Defender\\Platform\\4.18.23110.3-0\\MpCmdRun.exe\" SignaturesUpdateService -ScheduleJob -UnmanagedUpdate",
    ),
    (
        "C:\\Windows\\System32\\gpupdate.exe",
        "gpupdate.exe /target:computer",
    ),
];

/// Extra programs on servers.
const SERVER: &[(&str, &str)] = &[
    (
        "C:\\Program Files\\Microsoft SQL Server\\MSSQL15.MSSQLSERVER\\MSSQL\\Binn\\sqlceip.exe",
        "\"C:\\Program Files\\Microsoft SQL Server\\MSSQL15.MSSQLSERVER\\MSSQL\\Binn\\sqlceip.exe\" -Service",
    ),
    (
        "C:\\Program Files\\Veeam\\Backup and Replication\\Backup\\Veeam.Backup.Manager.exe",
        "\"C:\\Program Files\\Veeam\\Backup and Replication\\Backup\\Veeam.Backup.Manager.exe\" -job Daily",
    ),
    (
        "C:\\Windows\\System32\\inetsrv\\w3wp.exe",
        "c:\\windows\\system32\\inetsrv\\w3wp.exe -ap \"DefaultAppPool\" -v \"v4.0\" -l \"webengine4.dll\"",
    ),
];

/// Everything hosts do by themselves in `slot`.
pub fn generate(t: &mut TenantSim, slot: &Slot, out: &mut Out) {
    let t: &TenantSim = t;
    let mut rng = slot.rng(&t.slug, "hosts");
    let hours = slot.hours();
    for (i, h) in t.world.hosts.iter().enumerate() {
        if !h.is_windows() {
            continue;
        }
        let rate = match h.role {
            HostRole::DomainController => 25.0,
            HostRole::Server | HostRole::Scada | HostRole::Historian | HostRole::JumpHost => 18.0,
            _ => 5.0,
        };
        for _ in 0..poisson(&mut rng, rate * hours) {
            let at = slot.random_time(&mut rng);
            background_process(t, out, &mut rng, at, i, h);
        }
        match h.role {
            HostRole::DomainController => {
                let load = office_load(slot.start, t.tz(&h.site));
                for _ in 0..poisson(&mut rng, (15.0 + 60.0 * load) * hours) {
                    let at = slot.random_time(&mut rng);
                    machine_logon(t, out, &mut rng, at, h);
                }
            }
            HostRole::Server | HostRole::Scada | HostRole::Historian => {
                for _ in 0..poisson(&mut rng, 3.0 * hours) {
                    let at = slot.random_time(&mut rng);
                    service_logon(t, out, &mut rng, at, h);
                }
            }
            _ => {}
        }
    }
    nightly_jobs(t, slot, out);
}

fn background_process(
    t: &TenantSim,
    out: &mut Out,
    rng: &mut SimRng,
    at: vigil_model::Timestamp,
    i: usize,
    h: &Host,
) {
    let Some(system) = WinSession::system(t, rng, i) else {
        return;
    };
    let on_server = matches!(h.role, HostRole::Server | HostRole::DomainController);
    let table = if on_server && rng.random_bool(0.3) {
        SERVER
    } else {
        BACKGROUND
    };
    let Some((image, command)) = pick(rng, table).copied() else {
        return;
    };
    let parent = Proc::existing(
        rng,
        SVCHOST,
        "C:\\Windows\\system32\\svchost.exe -k netsvcs -p -s Schedule",
    );
    acts::start(t, out, rng, at, &system, image, command, &parent, "System");
}

/// A computer account authenticating to a domain controller.
fn machine_logon(
    t: &TenantSim,
    out: &mut Out,
    rng: &mut SimRng,
    at: vigil_model::Timestamp,
    dc: &Host,
) {
    let members: Vec<&Host> = t
        .world
        .hosts
        .iter()
        .filter(|h| h.is_windows() && h.name != dc.name)
        .collect();
    let Some(member) = pick(rng, &members) else {
        return;
    };
    let fqdn = t.fqdn(dc);
    let account = format!("{}$", member.name.to_ascii_uppercase());
    let id = format!("0x{:x}", rng.random_range(0x10_0000u32..0x0fff_ffff));
    let l = Logon {
        host: &fqdn,
        user: &account,
        domain: &t.world.domain,
        logon_type: 3,
        ip: &member.ip,
        workstation: "-",
        logon_id: &id,
    };
    out.json(at, &t.feed("windows"), windows::logon_success(at, &l));
    let end = at + secs(rng, 0.05, 2.0);
    out.json(
        end,
        &t.feed("windows"),
        windows::logoff(end, &fqdn, &account, &t.world.domain, 3, &id),
    );
}

/// A service account starting a service (logon type 5).
fn service_logon(
    t: &TenantSim,
    out: &mut Out,
    rng: &mut SimRng,
    at: vigil_model::Timestamp,
    h: &Host,
) {
    let fqdn = t.fqdn(h);
    let account = pick(rng, &["svc-backup", "svc-sql", "svc-monitor", "svc-av"])
        .copied()
        .unwrap_or("svc-monitor");
    let id = format!("0x{:x}", rng.random_range(0x10_0000u32..0x0fff_ffff));
    let l = Logon {
        host: &fqdn,
        user: account,
        domain: &t.world.domain,
        logon_type: 5,
        ip: "-",
        workstation: "-",
        logon_id: &id,
    };
    out.json(at, &t.feed("windows"), windows::logon_success(at, &l));
}

/// Jobs that run at fixed local times: the 02:30 log clean-up (encoded
/// PowerShell from the Task Scheduler) on the first two servers, and on some
/// days an administrator's ProcDump of a web worker at 10:00.
fn nightly_jobs(t: &TenantSim, slot: &Slot, out: &mut Out) {
    let tz = t.main_tz();
    let l = local(slot.start, tz);
    let minute_of_day = l.hour() * 60 + l.minute();
    let mut rng = slot.rng(&t.slug, "jobs");
    let servers: Vec<usize> = t
        .world
        .hosts
        .iter()
        .enumerate()
        .filter(|(_, h)| h.role == HostRole::Server && h.is_windows())
        .map(|(i, _)| i)
        .collect();
    if minute_of_day == 2 * 60 + 30 {
        for &i in servers.iter().take(2) {
            let Some(system) = WinSession::system(t, &mut rng, i) else {
                continue;
            };
            let at = slot.start + secs(&mut rng, 0.0, 5.0);
            let parent = Proc::existing(
                &mut rng,
                SVCHOST,
                "C:\\Windows\\system32\\svchost.exe -k netsvcs -p -s Schedule",
            );
            let script = "Get-ChildItem -Path 'D:\\Logs' -Recurse | Where-Object { $_.LastWriteTime -lt (Get-Date).AddDays(-30) } | Remove-Item -Force";
            let command = format!(
                "powershell.exe -NoProfile -NonInteractive -WindowStyle Hidden -ExecutionPolicy Bypass -EncodedCommand {}",
                encoded_command(script)
            );
            acts::start(
                t,
                out,
                &mut rng,
                at,
                &system,
                "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe",
                &command,
                &parent,
                "System",
            );
        }
    }
    if minute_of_day == 10 * 60 && rng.random_bool(0.3) {
        let Some(&server) = servers.last() else {
            return;
        };
        let admin = t
            .world
            .people
            .iter()
            .find(|p| p.admin && p.username.is_some());
        let Some(user) = admin.and_then(|p| p.username.as_deref()) else {
            return;
        };
        let Some(session) = WinSession::of_user(t, &mut rng, server, user, 10, true) else {
            return;
        };
        let at = slot.start + secs(&mut rng, 0.0, 50.0);
        let w3wp = acts::pid(&mut rng);
        let cmd = Proc::existing(
            &mut rng,
            "C:\\Windows\\System32\\cmd.exe",
            "\"C:\\Windows\\system32\\cmd.exe\" ",
        );
        acts::start(
            t,
            out,
            &mut rng,
            at,
            &session,
            "C:\\Tools\\Sysinternals\\procdump64.exe",
            &format!("procdump64.exe -accepteula -ma {w3wp} C:\\Temp\\w3wp_hang.dmp"),
            &cmd,
            "High",
        );
    }
}
