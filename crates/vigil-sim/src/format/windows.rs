//! Windows events as flat JSON, shaped like the OTRF Security-Datasets: the
//! envelope (`@timestamp`, `Hostname`, `Channel`, `EventID`, `SourceName`)
//! and the event's own fields under their Windows names, values as strings
//! the way the event log renders them.

use sha2::{Digest, Sha256};
use vigil_model::{Fields, Timestamp};

use super::rfc3339_millis;

const SYSMON: &str = "Microsoft-Windows-Sysmon/Operational";
const SECURITY: &str = "Security";

fn envelope(at: Timestamp, host_fqdn: &str, channel: &str, event_id: u32, task: &str) -> Fields {
    let mut f = Fields::new();
    f.insert("@timestamp".into(), rfc3339_millis(at).into());
    f.insert("Hostname".into(), host_fqdn.into());
    f.insert("Channel".into(), channel.into());
    f.insert("EventID".into(), event_id.into());
    let source = if channel == SYSMON {
        "Microsoft-Windows-Sysmon"
    } else {
        "Microsoft-Windows-Security-Auditing"
    };
    f.insert("SourceName".into(), source.into());
    f.insert("Task".into(), task.into());
    f
}

fn put(f: &mut Fields, key: &str, value: impl Into<serde_json::Value>) {
    f.insert(key.into(), value.into());
}

/// Sysmon's `UtcTime` rendering (`2026-11-26 10:00:00.123`).
fn utc_time(at: Timestamp) -> String {
    at.format("%Y-%m-%d %H:%M:%S%.3f").to_string()
}

/// A process in a Sysmon event.
#[derive(Debug, Clone)]
pub struct Process<'a> {
    /// Full image path.
    pub image: &'a str,
    /// Command line.
    pub command_line: &'a str,
    /// Process id.
    pub pid: u32,
    /// Sysmon process GUID.
    pub guid: &'a str,
}

/// A Sysmon process creation (event 1).
#[derive(Debug, Clone)]
pub struct ProcessCreate<'a> {
    /// The computer's FQDN.
    pub host: &'a str,
    /// `DOMAIN\user` or `NT AUTHORITY\SYSTEM`.
    pub user: &'a str,
    /// The new process.
    pub process: Process<'a>,
    /// Its parent.
    pub parent: Process<'a>,
    /// The working directory.
    pub current_directory: &'a str,
    /// `Low`, `Medium`, `High` or `System`.
    pub integrity: &'a str,
    /// The logon session (`0x3e7` for SYSTEM).
    pub logon_id: &'a str,
    /// The logon GUID.
    pub logon_guid: &'a str,
}

/// Sysmon event 1.
pub fn process_create(at: Timestamp, p: &ProcessCreate<'_>) -> Fields {
    let mut f = envelope(at, p.host, SYSMON, 1, "1");
    let info = image_info(p.process.image);
    put(&mut f, "RuleName", "-");
    put(&mut f, "UtcTime", utc_time(at));
    put(&mut f, "ProcessGuid", p.process.guid);
    put(&mut f, "ProcessId", p.process.pid.to_string());
    put(&mut f, "Image", p.process.image);
    put(&mut f, "FileVersion", info.version);
    put(&mut f, "Description", info.description);
    put(&mut f, "Product", info.product);
    put(&mut f, "Company", info.company);
    put(&mut f, "OriginalFileName", info.original);
    put(&mut f, "CommandLine", p.process.command_line);
    put(&mut f, "CurrentDirectory", p.current_directory);
    put(&mut f, "User", p.user);
    put(&mut f, "LogonGuid", p.logon_guid);
    put(&mut f, "LogonId", p.logon_id);
    put(
        &mut f,
        "TerminalSessionId",
        if p.logon_id == "0x3e7" { "0" } else { "1" },
    );
    put(&mut f, "IntegrityLevel", p.integrity);
    put(&mut f, "Hashes", hashes(p.process.image));
    put(&mut f, "ParentProcessGuid", p.parent.guid);
    put(&mut f, "ParentProcessId", p.parent.pid.to_string());
    put(&mut f, "ParentImage", p.parent.image);
    put(&mut f, "ParentCommandLine", p.parent.command_line);
    put(&mut f, "ParentUser", p.user);
    f
}

/// A Sysmon network connection (event 3), outbound TCP.
#[derive(Debug, Clone)]
pub struct NetworkConnect<'a> {
    /// The computer's FQDN.
    pub host: &'a str,
    /// `DOMAIN\user`.
    pub user: &'a str,
    /// The connecting process's image.
    pub image: &'a str,
    /// Its process id.
    pub pid: u32,
    /// Its process GUID.
    pub guid: &'a str,
    /// The computer's address.
    pub source_ip: &'a str,
    /// The ephemeral source port.
    pub source_port: u16,
    /// The destination address.
    pub destination_ip: &'a str,
    /// The destination port.
    pub destination_port: u16,
    /// The destination's name, if resolved.
    pub destination_hostname: Option<&'a str>,
}

/// Sysmon event 3.
pub fn network_connect(at: Timestamp, n: &NetworkConnect<'_>) -> Fields {
    let mut f = envelope(at, n.host, SYSMON, 3, "3");
    put(&mut f, "RuleName", "-");
    put(&mut f, "UtcTime", utc_time(at));
    put(&mut f, "ProcessGuid", n.guid);
    put(&mut f, "ProcessId", n.pid.to_string());
    put(&mut f, "Image", n.image);
    put(&mut f, "User", n.user);
    put(&mut f, "Protocol", "tcp");
    put(&mut f, "Initiated", "true");
    put(&mut f, "SourceIsIpv6", "false");
    put(&mut f, "SourceIp", n.source_ip);
    put(&mut f, "SourceHostname", "-");
    put(&mut f, "SourcePort", n.source_port.to_string());
    put(&mut f, "SourcePortName", "-");
    put(&mut f, "DestinationIsIpv6", "false");
    put(&mut f, "DestinationIp", n.destination_ip);
    put(
        &mut f,
        "DestinationHostname",
        n.destination_hostname.unwrap_or("-"),
    );
    put(&mut f, "DestinationPort", n.destination_port.to_string());
    put(&mut f, "DestinationPortName", port_name(n.destination_port));
    f
}

/// Sysmon event 11 (file created).
pub fn file_create(
    at: Timestamp,
    host: &str,
    user: &str,
    image: &str,
    pid: u32,
    guid: &str,
    target: &str,
) -> Fields {
    let mut f = envelope(at, host, SYSMON, 11, "11");
    put(&mut f, "RuleName", "-");
    put(&mut f, "UtcTime", utc_time(at));
    put(&mut f, "ProcessGuid", guid);
    put(&mut f, "ProcessId", pid.to_string());
    put(&mut f, "Image", image);
    put(&mut f, "TargetFilename", target);
    put(&mut f, "CreationUtcTime", utc_time(at));
    put(&mut f, "User", user);
    f
}

/// A logon as the Security log records it.
#[derive(Debug, Clone)]
pub struct Logon<'a> {
    /// The computer's FQDN.
    pub host: &'a str,
    /// The account logging on.
    pub user: &'a str,
    /// Its domain's NetBIOS name.
    pub domain: &'a str,
    /// 2 interactive, 3 network, 5 service, 7 unlock, 10 remote interactive, 11 cached.
    pub logon_type: u8,
    /// The caller's address (`-` for local logons).
    pub ip: &'a str,
    /// The caller's computer name (`-` when unknown).
    pub workstation: &'a str,
    /// The new session's id.
    pub logon_id: &'a str,
}

fn logon_fields(f: &mut Fields, l: &Logon<'_>) {
    let local = matches!(l.logon_type, 2 | 7 | 11);
    put(
        f,
        "SubjectUserSid",
        if local { "S-1-5-18" } else { "S-1-0-0" },
    );
    put(f, "SubjectUserName", "-");
    put(f, "SubjectDomainName", "-");
    put(f, "SubjectLogonId", if local { "0x3e7" } else { "0x0" });
    put(f, "TargetUserName", l.user);
    put(f, "TargetDomainName", l.domain);
    put(f, "LogonType", l.logon_type.to_string());
    let (process, package) = match l.logon_type {
        3 => ("Kerberos", "Kerberos"),
        5 => ("Advapi  ", "Negotiate"),
        _ => ("User32 ", "Negotiate"),
    };
    put(f, "LogonProcessName", process);
    put(f, "AuthenticationPackageName", package);
    put(f, "WorkstationName", l.workstation);
    put(f, "IpAddress", l.ip);
    put(f, "IpPort", if l.ip == "-" { "-" } else { "0" });
}

/// Security event 4624 (an account was successfully logged on).
pub fn logon_success(at: Timestamp, l: &Logon<'_>) -> Fields {
    let mut f = envelope(at, l.host, SECURITY, 4624, "12544");
    logon_fields(&mut f, l);
    put(&mut f, "TargetLogonId", l.logon_id);
    put(&mut f, "ElevatedToken", "%%1843");
    put(&mut f, "ImpersonationLevel", "%%1833");
    f
}

/// Security event 4625 (an account failed to log on); `status` as NTSTATUS
/// (`0xc000006d` bad user name or password, `0xc0000234` locked out).
pub fn logon_failure(at: Timestamp, l: &Logon<'_>, status: &str, sub_status: &str) -> Fields {
    let mut f = envelope(at, l.host, SECURITY, 4625, "12544");
    logon_fields(&mut f, l);
    put(&mut f, "Status", status);
    put(&mut f, "SubStatus", sub_status);
    put(&mut f, "FailureReason", "%%2313");
    f
}

/// Security event 4634 (an account was logged off).
pub fn logoff(
    at: Timestamp,
    host: &str,
    user: &str,
    domain: &str,
    logon_type: u8,
    logon_id: &str,
) -> Fields {
    let mut f = envelope(at, host, SECURITY, 4634, "12545");
    put(&mut f, "TargetUserSid", "S-1-5-21-0-0-0-1000");
    put(&mut f, "TargetUserName", user);
    put(&mut f, "TargetDomainName", domain);
    put(&mut f, "TargetLogonId", logon_id);
    put(&mut f, "LogonType", logon_type.to_string());
    f
}

/// Security event 4672 (special privileges assigned to new logon).
pub fn special_privileges(
    at: Timestamp,
    host: &str,
    user: &str,
    domain: &str,
    logon_id: &str,
) -> Fields {
    let mut f = envelope(at, host, SECURITY, 4672, "12548");
    put(&mut f, "SubjectUserName", user);
    put(&mut f, "SubjectDomainName", domain);
    put(&mut f, "SubjectLogonId", logon_id);
    put(
        &mut f,
        "PrivilegeList",
        "SeSecurityPrivilege\r\n\t\t\tSeBackupPrivilege\r\n\t\t\tSeRestorePrivilege\r\n\t\t\tSeDebugPrivilege",
    );
    f
}

/// What a program's version resource says about it.
struct ImageInfo {
    original: &'static str,
    description: &'static str,
    product: &'static str,
    company: &'static str,
    version: &'static str,
}

fn image_info(image: &str) -> ImageInfo {
    let file = image
        .rsplit('\\')
        .next()
        .unwrap_or(image)
        .to_ascii_lowercase();
    let ms = "Microsoft Corporation";
    let windows = "Microsoft® Windows® Operating System";
    let (original, description, product, company, version) = match file.as_str() {
        "powershell.exe" => (
            "PowerShell.EXE",
            "Windows PowerShell",
            windows,
            ms,
            "10.0.19041.3636",
        ),
        "cmd.exe" => (
            "Cmd.Exe",
            "Windows Command Processor",
            windows,
            ms,
            "10.0.19041.3636",
        ),
        "rundll32.exe" => (
            "RUNDLL32.EXE",
            "Windows host process (Rundll32)",
            windows,
            ms,
            "10.0.19041.3636",
        ),
        "svchost.exe" => (
            "svchost.exe",
            "Host Process for Windows Services",
            windows,
            ms,
            "10.0.19041.3636",
        ),
        "conhost.exe" => (
            "CONHOST.EXE",
            "Console Window Host",
            windows,
            ms,
            "10.0.19041.3636",
        ),
        "taskhostw.exe" => (
            "taskhostw.exe",
            "Host Process for Windows Tasks",
            windows,
            ms,
            "10.0.19041.3636",
        ),
        "explorer.exe" => (
            "EXPLORER.EXE",
            "Windows Explorer",
            windows,
            ms,
            "10.0.19041.3636",
        ),
        "wmiprvse.exe" => (
            "Wmiprvse.exe",
            "WMI Provider Host",
            windows,
            ms,
            "10.0.19041.3636",
        ),
        "gpupdate.exe" => (
            "GPUpdate.exe",
            "Microsoft® Windows® Group Policy Update Utility",
            windows,
            ms,
            "10.0.19041.3636",
        ),
        "searchprotocolhost.exe" => (
            "SearchProtocolHost.exe",
            "Microsoft Windows Search Protocol Host",
            windows,
            ms,
            "7.0.19041.3636",
        ),
        "backgroundtaskhost.exe" => (
            "backgroundTaskHost.exe",
            "Background Task Host",
            windows,
            ms,
            "10.0.19041.3636",
        ),
        "msedge.exe" => (
            "msedge.exe",
            "Microsoft Edge",
            "Microsoft Edge",
            ms,
            "119.0.2151.93",
        ),
        "chrome.exe" => (
            "chrome.exe",
            "Google Chrome",
            "Google Chrome",
            "Google LLC",
            "119.0.6045.200",
        ),
        "outlook.exe" => (
            "Outlook.exe",
            "Microsoft Outlook",
            "Microsoft Outlook",
            ms,
            "16.0.17029.20108",
        ),
        "winword.exe" => (
            "WinWord.exe",
            "Microsoft Word",
            "Microsoft Office",
            ms,
            "16.0.17029.20108",
        ),
        "excel.exe" => (
            "Excel.exe",
            "Microsoft Excel",
            "Microsoft Office",
            ms,
            "16.0.17029.20108",
        ),
        "ms-teams.exe" => (
            "ms-teams.exe",
            "Microsoft Teams",
            "Microsoft Teams",
            ms,
            "23320.3021.2567.4799",
        ),
        "mstsc.exe" => (
            "mstsc.exe",
            "Remote Desktop Connection",
            windows,
            ms,
            "10.0.19041.3636",
        ),
        "notepad.exe" => ("NOTEPAD.EXE", "Notepad", windows, ms, "10.0.19041.3636"),
        "mmc.exe" => (
            "MMC.EXE",
            "Microsoft Management Console",
            windows,
            ms,
            "10.0.19041.3636",
        ),
        "procdump64.exe" => (
            "procdump",
            "Sysinternals process dump utility",
            "ProcDump",
            "Sysinternals - www.sysinternals.com",
            "11.0",
        ),
        "m64.exe" => (
            "mimikatz.exe",
            "mimikatz for Windows",
            "mimikatz",
            "gentilkiwi (Benjamin DELPY)",
            "2.2.0.0",
        ),
        "python.exe" => (
            "python.exe",
            "Python",
            "Python",
            "Python Software Foundation",
            "3.11.6",
        ),
        _ => ("-", "-", "-", "-", "-"),
    };
    ImageInfo {
        original,
        description,
        product,
        company,
        version,
    }
}

/// Stable per-image hashes: the same program always has the same hash, as a
/// fleet on one patch level does.
fn hashes(image: &str) -> String {
    let digest = Sha256::digest(image.to_ascii_lowercase().as_bytes());
    let imphash = Sha256::digest(digest);
    format!(
        "SHA256={},IMPHASH={}",
        hex::encode_upper(digest),
        hex::encode_upper(&imphash[..16])
    )
}

fn port_name(port: u16) -> &'static str {
    match port {
        53 => "domain",
        80 => "http",
        88 => "kerberos",
        389 => "ldap",
        443 => "https",
        445 => "microsoft-ds",
        3389 => "ms-wbt-server",
        _ => "-",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t() -> Timestamp {
        chrono::DateTime::from_timestamp_millis(1_795_000_000_123).unwrap()
    }

    #[test]
    fn process_create_looks_like_sysmon_1() {
        let p = ProcessCreate {
            host: "ws1.example.local",
            user: "EXAMPLE\\alice",
            process: Process {
                image: "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe",
                command_line: "powershell.exe -nop",
                pid: 4242,
                guid: "{g}",
            },
            parent: Process {
                image: "C:\\Windows\\explorer.exe",
                command_line: "C:\\Windows\\Explorer.EXE",
                pid: 1000,
                guid: "{p}",
            },
            current_directory: "C:\\Users\\alice\\",
            integrity: "Medium",
            logon_id: "0x1a2b3c",
            logon_guid: "{l}",
        };
        let f = process_create(t(), &p);
        assert_eq!(f["Channel"], "Microsoft-Windows-Sysmon/Operational");
        assert_eq!(f["EventID"], 1);
        assert_eq!(f["@timestamp"], "2026-11-18T11:06:40.123Z");
        assert_eq!(f["UtcTime"], "2026-11-18 11:06:40.123");
        assert_eq!(f["OriginalFileName"], "PowerShell.EXE");
        assert_eq!(f["ProcessId"], "4242");
        assert!(f["Hashes"].as_str().unwrap().starts_with("SHA256="));
    }

    #[test]
    fn logons_carry_type_and_address() {
        let l = Logon {
            host: "dc1.example.local",
            user: "alice",
            domain: "EXAMPLE",
            logon_type: 3,
            ip: "10.0.0.5",
            workstation: "-",
            logon_id: "0x1",
        };
        let f = logon_success(t(), &l);
        assert_eq!(f["Channel"], "Security");
        assert_eq!(f["EventID"], 4624);
        assert_eq!(f["LogonType"], "3");
        assert_eq!(f["IpAddress"], "10.0.0.5");
        let f = logon_failure(t(), &l, "0xc000006d", "0xc000006a");
        assert_eq!(f["EventID"], 4625);
        assert_eq!(f["Status"], "0xc000006d");
    }
}
