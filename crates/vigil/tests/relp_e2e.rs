//! End to end: rsyslogd's `omrelp` (Debian's `rsyslog` and `rsyslog-relp`)
//! sends numbered messages to a `relp` source of `vigil serve`; the node is
//! killed with SIGKILL in the middle of the stream and started again on the
//! same port and data. rsyslog keeps every message not answered `200 OK`
//! (a disk-assisted action queue, retried without end) and sends it again
//! once the node is back, so every number must be stored: RELP answers a
//! message only once it is durable, so none is lost.
//!
//! Duplicates are allowed, and counted: a message stored whose answer the
//! kill cut off is sent again (RELP has no way to say "already have it"),
//! and rsyslog retries an action's whole batch. Both are bounded by what
//! was in flight: the RELP window and the queue's batch (128 each here).
//!
//! Needs rsyslogd with the omrelp module (installed by `.ci/run`); without
//! it the test says it is skipped, and fails under `CI=true`.

mod common;
mod shippers;

use std::collections::BTreeMap;
use std::os::unix::net::UnixDatagram;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{eventually, sha256_hex};
use shippers::{ADMIN, Node};

/// Messages sent.
const MESSAGES: usize = 2_000;

/// The RELP window and the queue's batch: at most this many in flight.
const IN_FLIGHT: usize = 128;

/// rsyslog's action queue: room for every message, with some to spare.
const QUEUE: usize = 4 * MESSAGES;

/// rsyslogd, killed (SIGKILL) and reaped when dropped.
struct Rsyslogd {
    child: Child,
    dir: tempfile::TempDir,
}

impl Drop for Rsyslogd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Rsyslogd {
    /// rsyslog's last counters (the omrelp action's and its queues', one
    /// JSON object per line, all of one time), for a failure's message.
    fn last_stats(&self) -> String {
        let text = std::fs::read_to_string(self.dir.path().join("stats.json")).unwrap_or_default();
        let stamp = |l: &str| l.split(": {").next().unwrap_or_default().to_owned();
        let last = text.lines().last().map(stamp).unwrap_or_default();
        text.lines()
            .filter(|l| stamp(l) == last)
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// Sends one message to rsyslogd's socket, waiting (60 s at most) while
    /// the daemon is not reading it yet.
    fn log(&mut self, line: &str, sender: &UnixDatagram) {
        let socket = self.dir.path().join("log.sock");
        let deadline = Instant::now() + Duration::from_secs(60);
        while let Err(e) = sender.send_to(line.as_bytes(), &socket) {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("rsyslogd exited ({status}): {e}");
            }
            assert!(
                Instant::now() < deadline,
                "rsyslogd never read {}: {e}",
                socket.display()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

fn rsyslogd_binary() -> Option<PathBuf> {
    std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .unwrap_or_default()
        .into_iter()
        .chain([PathBuf::from("/usr/sbin")])
        .map(|dir| dir.join("rsyslogd"))
        .find(|p| p.is_file())
}

/// Skips (or fails, under `CI=true`) with `why`.
fn skipped(why: &str) -> bool {
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "{why} is required under CI (Debian packages rsyslog and rsyslog-relp)"
    );
    println!("skipped: {why}");
    true
}

/// The configuration: an input on a socket of the folder (no rate limit:
/// the test sends fast), and omrelp to `port` behind a disk-assisted queue
/// retried for ever, large enough for every message (rsyslog's default of
/// 1,000 fills while the node restarts, and a message waiting more than
/// 2 s for room is discarded by rsyslog); rsyslog's own counters (impstats) every second, so a
/// failure can tell messages rsyslog still holds from messages it handed
/// over.
fn rsyslog_config(dir: &Path, port: u16) -> String {
    format!(
        r#"global(workDirectory="{work}")
module(load="impstats" interval="1" format="json" log.syslog="off" log.file="{stats}")
module(load="imuxsock" SysSock.Use="off")
input(type="imuxsock" Socket="{socket}" ratelimit.interval="0")
module(load="omrelp")
action(type="omrelp" target="127.0.0.1" port="{port}" windowSize="{IN_FLIGHT}"
       template="RSYSLOG_SyslogProtocol23Format"
       queue.type="LinkedList" queue.filename="relp" queue.saveOnShutdown="on"
       queue.dequeueBatchSize="{IN_FLIGHT}" queue.size="{QUEUE}"
       action.resumeRetryCount="-1" action.resumeInterval="1")
"#,
        work = dir.join("work").display(),
        socket = dir.join("log.sock").display(),
        stats = dir.join("stats.json").display(),
    )
}

/// Starts rsyslogd sending to `port`, or `None` when this machine's cannot
/// (no rsyslogd, or no omrelp module: checked with `-N1`).
fn start_rsyslogd(port: u16) -> Option<Rsyslogd> {
    let Some(binary) = rsyslogd_binary() else {
        skipped("rsyslogd is not installed");
        return None;
    };
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::create_dir_all(dir.path().join("work")).expect("work dir");
    let conf = dir.path().join("rsyslog.conf");
    std::fs::write(&conf, rsyslog_config(dir.path(), port)).expect("write rsyslog.conf");
    let check = Command::new(&binary)
        .args(["-N1", "-f"])
        .arg(&conf)
        .output()
        .expect("run rsyslogd -N1");
    if !check.status.success() {
        skipped(&format!(
            "rsyslogd cannot load omrelp: {}",
            String::from_utf8_lossy(&check.stderr).trim()
        ));
        return None;
    }
    let child = Command::new(&binary)
        .arg("-n")
        .arg("-f")
        .arg(&conf)
        .arg("-i")
        .arg(dir.path().join("rsyslogd.pid"))
        .stdin(Stdio::null())
        .spawn()
        .expect("start rsyslogd");
    Some(Rsyslogd { child, dir })
}

/// A port free now (the node listens there, and again after its restart).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

fn node_config(port: u16) -> String {
    format!(
        r#"
data_dir = "data"
listen = "127.0.0.1:0"
builtin_rules = false

[[tenants]]
id = "alpha"
name = "Alpha Water"

[[sources]]
id = "alpha-relp"
tenant = "alpha"
kind = "relp"
listen = "127.0.0.1:{port}"
product = "linux"

[[tokens]]
name = "admin"
role = "provider_admin"
token_sha256 = "{admin}"
"#,
        admin = sha256_hex(ADMIN),
    )
}

/// How many times each message number was stored.
fn numbers_stored(node: &Node) -> BTreeMap<usize, usize> {
    let mut seen = BTreeMap::new();
    for event in node.events_of("alpha-relp") {
        let message = event["fields"]["message"].as_str().unwrap_or_default();
        if let Some(n) = message
            .split_whitespace()
            .find_map(|w| w.strip_prefix("seq="))
            .and_then(|n| n.parse::<usize>().ok())
        {
            *seen.entry(n).or_insert(0) += 1;
        }
    }
    seen
}

#[test]
fn rsyslog_omrelp_loses_nothing_when_the_node_is_killed_mid_stream() {
    let port = free_port();
    let Some(mut rsyslogd) = start_rsyslogd(port) else {
        return;
    };
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("vigil.toml"), node_config(port)).expect("write vigil.toml");
    let node = Node::start_in(dir);

    let sender = UnixDatagram::unbound().expect("a datagram socket");
    let line = |n: usize| format!("<13>relptest[7]: message seq={n} of {MESSAGES}");
    // The first half, then the kill as soon as the node has stored any of
    // it, so that most of it is still in rsyslog's queue or window.
    for n in 1..=MESSAGES / 2 {
        rsyslogd.log(&line(n), &sender);
    }
    eventually(
        "the first messages stored",
        Duration::from_secs(120),
        || (node.events_in("alpha-relp") >= 1).then_some(()),
    );
    let before = node.events_in("alpha-relp");
    let node = node.killed_and_restarted();
    // The second half, while rsyslog is still resending the first.
    for n in MESSAGES / 2 + 1..=MESSAGES {
        rsyslogd.log(&line(n), &sender);
    }

    // Not `eventually`: when a number never arrives, which ones is what
    // tells a lost acknowledged message from a sender that stopped.
    let deadline = Instant::now() + Duration::from_secs(300);
    let seen = loop {
        let seen = numbers_stored(&node);
        if seen.len() == MESSAGES || Instant::now() > deadline {
            break seen;
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    let missing: Vec<usize> = (1..=MESSAGES).filter(|n| !seen.contains_key(n)).collect();
    assert!(
        missing.is_empty(),
        "{} of {MESSAGES} never stored within 300 s ({before} stored before the kill, {} counted in after it): {:?}\nrsyslog's last counters:\n{}",
        missing.len(),
        node.events_in("alpha-relp"),
        &missing[..missing.len().min(200)],
        rsyslogd.last_stats(),
    );
    let duplicates: usize = seen.values().map(|c| c - 1).sum();
    println!(
        "{MESSAGES} messages, {before} stored before the kill, all stored after it; {duplicates} stored twice (resent after the kill)"
    );
    assert!(
        duplicates <= 2 * IN_FLIGHT,
        "{duplicates} duplicates: more than what was in flight at the kill"
    );
    assert!(seen.keys().all(|n| (1..=MESSAGES).contains(n)));
}
