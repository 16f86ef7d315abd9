//! Shared helpers for the end-to-end tests: they drive the real `vigil`
//! binary and talk to it over real sockets.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

// The path is spelled out: this file is also a test target of its own
// (tests/common.rs), and as a crate root it would look for tests/cluster.rs.
#[path = "common/cluster.rs"]
pub mod cluster;

/// A `vigil` process that is killed when dropped.
pub struct Vigil {
    pub child: Child,
    /// Lines the process printed on standard output so far.
    pub stdout: mpsc::Receiver<String>,
    pub seen: Vec<String>,
}

impl Drop for Vigil {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Vigil {
    /// Starts `vigil ARGS…` in `dir`.
    pub fn start(dir: &Path, args: &[&str]) -> Vigil {
        Self::start_with_env(dir, args, &[])
    }

    /// Starts `vigil ARGS…` in `dir` with the environment variables `env`
    /// set besides the test's own.
    pub fn start_with_env(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Vigil {
        let mut child = Command::new(env!("CARGO_BIN_EXE_vigil"))
            .args(args)
            .current_dir(dir)
            .env("VIGIL_LOG", "warn")
            .envs(env.iter().copied())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start vigil");
        let out = child.stdout.take().expect("stdout");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Vigil {
            child,
            stdout: rx,
            seen: Vec::new(),
        }
    }

    /// Waits for a printed line containing `needle` and returns it.
    pub fn wait_for_line(&mut self, needle: &str, timeout: Duration) -> String {
        if let Some(line) = self.seen.iter().find(|l| l.contains(needle)) {
            return line.clone();
        }
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.stdout.recv_timeout(left) {
                Ok(line) => {
                    self.seen.push(line.clone());
                    if line.contains(needle) {
                        return line;
                    }
                }
                Err(_) => panic!(
                    "vigil did not print `{needle}` within {timeout:?}; printed:\n{}",
                    self.seen.join("\n")
                ),
            }
        }
    }
}

/// Polls `check` every 100 ms until it returns `Some`, or panics after `timeout`.
pub fn eventually<T>(what: &str, timeout: Duration, mut check: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(v) = check() {
            return v;
        }
        if Instant::now() > deadline {
            panic!("{what}: not within {timeout:?}");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The SHA-256 of `token` as `vigil token hash` prints it, for a
/// configuration's `token_sha256`.
pub fn sha256_hex(token: &str) -> String {
    use std::io::Write;
    let out = Command::new(env!("CARGO_BIN_EXE_vigil"))
        .args(["token", "hash"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            child
                .stdin
                .take()
                .expect("stdin")
                .write_all(token.as_bytes())?;
            child.wait_with_output()
        })
        .expect("vigil token hash");
    String::from_utf8(out.stdout)
        .expect("utf8")
        .trim()
        .to_owned()
}

/// Yesterday's UTC date (`YYYY-MM-DD`), for events a test sends: recent
/// enough for every window that reads "the last days" and for retention,
/// and every time of that day is already past, on whatever day the suite runs.
pub fn day() -> String {
    (chrono::Utc::now() - chrono::Duration::days(1))
        .format("%Y-%m-%d")
        .to_string()
}
