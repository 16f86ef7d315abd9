//! Real syslog daemons as clients: rsyslogd and syslog-ng, each run as a
//! child of the test with its own configuration, pid, control and state
//! files in a temporary folder, fed through a Unix datagram socket of its
//! own (as `logger -u` feeds one), and killed whatever the outcome.
//!
//! rsyslogd is found on the path (Debian's `rsyslog`); syslog-ng at
//! `VIGIL_TEST_SYSLOG_NG` (Debian's `syslog-ng-core` conflicts with
//! `rsyslog` as a package, so `.ci/run` unpacks it beside and names its
//! binary there). Without them a test says it is skipped; under `CI=true`
//! it fails.

use std::os::unix::net::UnixDatagram;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A daemon the test started, killed (SIGKILL) and reaped when dropped.
pub struct Daemon {
    child: Child,
    name: &'static str,
    /// Its folder (configuration, socket, state), removed on drop.
    pub dir: tempfile::TempDir,
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Daemon {
    /// The socket it reads messages from.
    pub fn socket(&self) -> PathBuf {
        self.dir.path().join("log.sock")
    }

    /// What it wrote to its standard error so far (rsyslogd in the
    /// foreground reports its actions' errors there).
    pub fn stderr(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("stderr.log")).unwrap_or_default()
    }

    /// Waits (60 s at most) until its standard error holds `needle`.
    pub fn wait_for_stderr(&self, needle: &str) {
        let deadline = Instant::now() + Duration::from_secs(60);
        while !self.stderr().contains(needle) {
            assert!(
                Instant::now() < deadline,
                "{} never reported `{needle}`; its stderr:\n{}",
                self.name,
                self.stderr()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Sends one message (`<PRI>TAG: text`, as `logger` writes it) to its
    /// socket, waiting (30 s at most) for the daemon to have made it.
    pub fn log(&mut self, line: &str) {
        let socket = self.socket();
        let deadline = Instant::now() + Duration::from_secs(30);
        let sender = UnixDatagram::unbound().expect("a datagram socket");
        loop {
            match sender.send_to(line.as_bytes(), &socket) {
                Ok(_) => return,
                Err(e) => {
                    if let Ok(Some(status)) = self.child.try_wait() {
                        panic!(
                            "{} exited ({status}) before reading: {e}; its stderr:\n{}",
                            self.name,
                            self.stderr()
                        );
                    }
                    assert!(
                        Instant::now() < deadline,
                        "{} never opened {}: {e}",
                        self.name,
                        socket.display()
                    );
                    std::thread::sleep(Duration::from_millis(50));
                }
            }
        }
    }
}

/// Whether a test needing `what` may run; see [`super::skip_unless`].
fn found(path: Option<PathBuf>, what: &str) -> Option<PathBuf> {
    if super::skip_unless(path.is_some(), what) {
        return None;
    }
    path
}

/// rsyslogd, from the path or `/usr/sbin`.
pub fn rsyslogd() -> Option<PathBuf> {
    let on_path = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .unwrap_or_default()
        .into_iter()
        .chain([PathBuf::from("/usr/sbin")])
        .map(|dir| dir.join("rsyslogd"))
        .find(|p| p.is_file());
    found(on_path, "rsyslogd (Debian package rsyslog)")
}

/// syslog-ng, at `VIGIL_TEST_SYSLOG_NG`.
pub fn syslog_ng() -> Option<PathBuf> {
    let path = std::env::var_os("VIGIL_TEST_SYSLOG_NG")
        .map(PathBuf::from)
        .filter(|p| p.is_file());
    found(path, "syslog-ng (VIGIL_TEST_SYSLOG_NG, set by .ci/run)")
}

/// Starts `rsyslogd` in the foreground with `actions` (RainerScript) after
/// an input on the folder's socket.
pub fn start_rsyslogd(binary: &Path, actions: &str) -> Daemon {
    let dir = tempfile::tempdir().expect("a temp dir");
    let work = dir.path().join("work");
    std::fs::create_dir_all(&work).expect("work dir");
    let config = format!(
        "global(workDirectory=\"{work}\")\n\
         module(load=\"imuxsock\" SysSock.Use=\"off\")\n\
         input(type=\"imuxsock\" Socket=\"{socket}\")\n\
         {actions}\n",
        work = work.display(),
        socket = dir.path().join("log.sock").display(),
    );
    let conf = dir.path().join("rsyslog.conf");
    std::fs::write(&conf, config).expect("write rsyslog.conf");
    let stderr = std::fs::File::create(dir.path().join("stderr.log")).expect("stderr.log");
    let child = Command::new(binary)
        .arg("-n")
        .arg("-f")
        .arg(&conf)
        .arg("-i")
        .arg(dir.path().join("rsyslogd.pid"))
        .stdin(Stdio::null())
        .stderr(stderr)
        .spawn()
        .expect("start rsyslogd");
    Daemon {
        child,
        name: "rsyslogd",
        dir,
    }
}

/// Starts syslog-ng in the foreground with `destination` (its body, e.g.
/// `syslog("127.0.0.1" transport("tcp") port(5514))`) for messages read
/// from the folder's socket. An unpacked package finds its modules and
/// libraries beside the binary.
pub fn start_syslog_ng(binary: &Path, destination: &str) -> Daemon {
    let dir = tempfile::tempdir().expect("a temp dir");
    let config = format!(
        "@version: 3.38\n\
         options {{ keep-hostname(yes); }};\n\
         source s {{ unix-dgram(\"{socket}\"); }};\n\
         destination d {{ {destination}; }};\n\
         log {{ source(s); destination(d); }};\n",
        socket = dir.path().join("log.sock").display(),
    );
    let conf = dir.path().join("syslog-ng.conf");
    std::fs::write(&conf, config).expect("write syslog-ng.conf");
    // <root>/usr/sbin/syslog-ng → <root>/usr/lib/syslog-ng/<version>/
    let lib = binary
        .parent()
        .and_then(Path::parent)
        .map(|usr| usr.join("lib/syslog-ng"))
        .unwrap_or_default();
    let modules = std::fs::read_dir(&lib)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .find(|p| p.is_dir() && p.join("libsyslogformat.so").is_file());
    let mut command = Command::new(binary);
    command
        .arg("-F")
        .arg("--no-caps")
        .arg("-f")
        .arg(&conf)
        .arg(format!(
            "--persist-file={}",
            dir.path().join("persist").display()
        ))
        .arg(format!("--pidfile={}", dir.path().join("pid").display()))
        .arg(format!("--control={}", dir.path().join("ctl").display()))
        .env("LD_LIBRARY_PATH", &lib)
        .stdin(Stdio::null());
    if let Some(modules) = modules {
        command.arg(format!("--module-path={}", modules.display()));
    }
    let child = command.spawn().expect("start syslog-ng");
    Daemon {
        child,
        name: "syslog-ng",
        dir,
    }
}
