//! The console browser tests' fixture: a running node on a test
//! configuration, chromedriver and a headless Chromium session, ended
//! whatever the outcome, and the helpers the tests share.
#![allow(dead_code)]

pub mod layout;
pub mod wait;

use std::net::TcpListener;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::common::{Vigil, sha256_hex};
use serde_json::{Value, json};
use thirtyfour::prelude::*;
use tokio::sync::Mutex;

pub const ADMIN: &str = "vgl_console_test_admin_0123456789";
pub const VIEWER_B: &str = "vgl_console_test_viewer_b_0123456789";
pub const INGEST_A: &str = "vgl_console_test_ingest_a_0123456789";
pub const INGEST_B: &str = "vgl_console_test_ingest_b_0123456789";
pub const ACCESS_A: &str = "vgl_console_test_access_a_0123456789";

pub const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
pub const CHROMIUM: &str = "/usr/bin/chromium";

pub const DUMPING_RULE: &str = r#"
title: Console test credential dumping
id: 5e0f8a43-1a7e-4f52-9a43-2c1d6f0b7e21
status: test
description: Mimikatz asked for the logon passwords held in LSASS memory.
falsepositives:
    - Red-team exercises announced to the provider
level: critical
logsource:
  product: windows
  category: process_creation
detection:
  selection:
    CommandLine|contains: 'sekurlsa::logonpasswords'
  condition: selection
"#;
pub const RULE_TITLE: &str = "Console test credential dumping";

/// The treatment plant's drawing, under its plan's devices.
pub const PLANT_SVG: &str = r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 800 400" width="800" height="400">
<rect x="10" y="10" width="780" height="380" fill="none" stroke="#8aa" stroke-width="6"/>
<line x1="390" y1="10" x2="390" y2="390" stroke="#8aa" stroke-width="4"/>
<rect x="360" y="180" width="60" height="40" fill="#345"/>
</svg>"##;

/// One browser test at a time: each starts a node and a browser, and the
/// machine has two cores.
pub static ONE_AT_A_TIME: Mutex<()> = Mutex::const_new(());

pub fn write_config(dir: &Path) {
    write_config_with(dir, "");
}

/// As [`write_config`], with `alpha_extra` (TOML tables of the tenant
/// `alpha`, such as `[tenants.response]`) added to alpha's tables.
pub fn write_config_with(dir: &Path, alpha_extra: &str) {
    std::fs::write(dir.join("plant.svg"), PLANT_SVG).unwrap();
    let rules = dir.join("rules");
    std::fs::create_dir_all(&rules).unwrap();
    std::fs::write(rules.join("dumping.yml"), DUMPING_RULE).unwrap();
    let config = format!(
        r#"
data_dir = "data"
listen = "127.0.0.1:0"
builtin_rules = false
rules = ["rules"]

[[tenants]]
id = "alpha"
name = "Alpha Water"
[[tenants.sites]]
id = "plant"
name = "Treatment plant"
floor_plan_image = "plant.svg"
timezone = "Europe/Berlin"
[tenants.sites.floor_plan]
width = 800
height = 400
areas = [{{ id = "lobby", name = "Lobby", x = 20, y = 20, w = 360, h = 360 }},
         {{ id = "pumps", name = "Pump hall", x = 400, y = 20, w = 380, h = 360 }}]
devices = [{{ id = "D-1", name = "Lobby door", kind = "door", zone = "lobby", x = 200, y = 200 }},
           {{ id = "D-2", name = "Pump hall door", kind = "door", zone = "pumps", x = 600, y = 200 }}]
[tenants.nis2]
sector = "drinking_water"
entity_type = "essential"
annual_turnover_eur = 80000000
member_state = "DE"
[tenants.nis2.authority]
name = "BSI"
contact = "meldestelle@bsi.bund.de"

[[tenants]]
id = "beta"
name = "Beta Hospital"

[[sources]]
id = "alpha-windows"
tenant = "alpha"
site = "plant"
kind = "http"
product = "windows"
token_sha256 = "{ingest_a}"

[[sources]]
id = "alpha-access"
tenant = "alpha"
site = "plant"
kind = "http"
product = "access"
token_sha256 = "{access_a}"

[[sources]]
id = "beta-windows"
tenant = "beta"
kind = "http"
product = "windows"
token_sha256 = "{ingest_b}"

[[tokens]]
name = "admin"
role = "provider_admin"
token_sha256 = "{admin}"

[[tokens]]
name = "beta-viewer"
role = "client_viewer"
tenant = "beta"
token_sha256 = "{viewer}"
"#,
        ingest_a = sha256_hex(INGEST_A),
        ingest_b = sha256_hex(INGEST_B),
        access_a = sha256_hex(ACCESS_A),
        admin = sha256_hex(ADMIN),
        viewer = sha256_hex(VIEWER_B),
    );
    let config = config.replacen(
        "\n[[tenants]]\nid = \"beta\"",
        &format!("\n{alpha_extra}\n[[tenants]]\nid = \"beta\""),
        1,
    );
    std::fs::write(dir.join("vigil.toml"), config).unwrap();
}

/// A running node, a chromedriver and a browser session on it.
pub struct Fixture {
    pub _dir: tempfile::TempDir,
    pub vigil: Vigil,
    pub chromedriver: Child,
    pub driver_url: String,
    pub base: String,
    pub http: reqwest::Client,
    pub driver: Option<WebDriver>,
    /// Chromium's profile folder, inside `_dir`: it names this fixture's
    /// browser processes.
    pub profile: PathBuf,
    pub name: &'static str,
}

impl Drop for Fixture {
    fn drop(&mut self) {
        // A test that failed never reached `finish`; dropping the driver
        // asks chromedriver to close Chromium, but a panicking test may not
        // give that request time to finish. So the whole process group
        // chromedriver leads is killed, and then anything still using this
        // fixture's browser profile (a Chromium helper that left the group).
        drop(self.driver.take());
        let group = format!("-{}", self.chromedriver.id());
        let _ = Command::new("kill")
            .args(["-KILL", "--", &group])
            .stderr(Stdio::null())
            .status();
        let _ = self.chromedriver.kill();
        let _ = self.chromedriver.wait();
        kill_processes_using(&self.profile);
    }
}

/// Kills every process whose command line names `profile` (Chromium's
/// `--user-data-dir`), so no browser outlives its test.
pub fn kill_processes_using(profile: &Path) {
    let needle = profile.to_string_lossy().into_owned();
    let Ok(procs) = std::fs::read_dir("/proc") else {
        return;
    };
    for entry in procs.flatten() {
        let name = entry.file_name();
        let Some(pid) = name
            .to_str()
            .filter(|n| n.bytes().all(|b| b.is_ascii_digit()))
        else {
            continue;
        };
        let Ok(cmdline) = std::fs::read(entry.path().join("cmdline")) else {
            continue;
        };
        if String::from_utf8_lossy(&cmdline).contains(&needle) {
            let _ = Command::new("kill")
                .args(["-KILL", pid])
                .stderr(Stdio::null())
                .status();
        }
    }
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// Whether the browser is there; says why a test is skipped if not.
pub fn browser_present() -> bool {
    if Path::new(CHROMEDRIVER).exists() && Path::new(CHROMIUM).exists() {
        return true;
    }
    assert!(
        std::env::var("CI").map_or(true, |v| v != "true"),
        "{CHROMEDRIVER} and {CHROMIUM} are required under CI (Debian packages chromium, chromium-driver)"
    );
    eprintln!("skipped: {CHROMEDRIVER} or {CHROMIUM} is not installed");
    false
}

impl Fixture {
    pub async fn start(name: &'static str) -> Fixture {
        Self::start_with(name, "").await
    }

    /// As [`Fixture::start`], with `alpha_extra` in the tenant alpha's tables.
    pub async fn start_with(name: &'static str, alpha_extra: &str) -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        write_config_with(dir.path(), alpha_extra);
        let mut vigil = Vigil::start(dir.path(), &["serve", "--config", "vigil.toml"]);
        let line = vigil.wait_for_line("vigil serving on", Duration::from_secs(60));
        let base = line
            .split_whitespace()
            .last()
            .expect("an address")
            .trim_end_matches('/')
            .to_owned();

        let port = free_port();
        // Its own process group, so that the fixture can end chromedriver
        // and the browsers it started together.
        let chromedriver = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .process_group(0)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver");
        let driver_url = format!("http://127.0.0.1:{port}");
        let http = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if http
                .get(format!("{driver_url}/status"))
                .send()
                .await
                .is_ok_and(|r| r.status().is_success())
            {
                break;
            }
            assert!(Instant::now() < deadline, "chromedriver did not start");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let profile = dir.path().join("chromium-profile");
        let mut fixture = Fixture {
            _dir: dir,
            vigil,
            chromedriver,
            driver_url,
            base,
            http,
            driver: None,
            profile,
            name,
        };
        fixture.driver = Some(fixture.new_browser().await);
        fixture
    }

    pub async fn new_browser(&self) -> WebDriver {
        let mut caps = DesiredCapabilities::chrome();
        caps.set_binary(CHROMIUM).unwrap();
        for arg in [
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--window-size=1920,1080",
        ] {
            caps.add_arg(arg).unwrap();
        }
        caps.add_arg(&format!("--user-data-dir={}", self.profile.display()))
            .unwrap();
        caps.set_base_capability("goog:loggingPrefs", json!({ "browser": "ALL" }))
            .unwrap();
        WebDriver::new(&self.driver_url, caps)
            .await
            .expect("a browser session")
    }

    pub fn driver(&self) -> &WebDriver {
        self.driver.as_ref().expect("a browser")
    }

    pub async fn goto(&self, path: &str) {
        self.driver()
            .goto(format!("{}{path}", self.base))
            .await
            .unwrap();
    }

    pub async fn login(&self, token: &str) {
        self.goto("/").await;
        let field = self.wait_for("#token", Duration::from_secs(10)).await;
        field.send_keys(token).await.unwrap();
        self.driver()
            .find(By::Css("#login-form button[type=submit]"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        self.wait_for("#queue", Duration::from_secs(10)).await;
        assert!(
            self.driver()
                .current_url()
                .await
                .unwrap()
                .path()
                .ends_with("/queue")
        );
    }

    /// Logs out with the page's button (the session cookie is HttpOnly).
    pub async fn logout(&self) {
        self.wait_for("#logout", Duration::from_secs(10))
            .await
            .click()
            .await
            .unwrap();
        self.wait_for("#login-form", Duration::from_secs(10)).await;
    }

    /// Polls the page for `css` (behaviour, not the test's own timing).
    pub async fn try_wait_for(&self, css: &str, within: Duration) -> Option<WebElement> {
        let deadline = Instant::now() + within;
        loop {
            if let Ok(found) = self.driver().find_all(By::Css(css)).await
                && let Some(first) = found.into_iter().next()
            {
                return Some(first);
            }
            if Instant::now() >= deadline {
                return None;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    pub async fn wait_for(&self, css: &str, within: Duration) -> WebElement {
        match self.try_wait_for(css, within).await {
            Some(e) => e,
            None => {
                self.screenshot("timeout").await;
                panic!("`{css}` did not appear within {within:?}");
            }
        }
    }

    pub async fn ingest(&self, token: &str, line: Value) -> Value {
        let resp = self
            .http
            .post(format!("{}/api/v1/ingest", self.base))
            .bearer_auth(token)
            .body(format!("{line}\n"))
            .send()
            .await
            .unwrap();
        assert!(resp.status().is_success(), "ingest: {}", resp.status());
        resp.json().await.unwrap()
    }

    pub async fn api(&self, token: &str, path: &str) -> (reqwest::StatusCode, Value) {
        let resp = self
            .http
            .get(format!("{}{path}", self.base))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        let status = resp.status();
        (status, resp.json().await.unwrap_or(Value::Null))
    }

    pub async fn screenshot(&self, step: &str) -> PathBuf {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/console-screenshots");
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(format!("{}-{step}.png", self.name));
        self.driver().screenshot(&path).await.unwrap();
        path
    }

    /// The browser's console log since the last read (chromedriver's log
    /// endpoint; WebDriver itself has none).
    pub async fn browser_log(&self) -> Vec<Value> {
        let session = self.driver().session_id().to_string();
        let resp = self
            .http
            .post(format!("{}/session/{session}/se/log", self.driver_url))
            .json(&json!({ "type": "browser" }))
            .send()
            .await
            .unwrap();
        let body: Value = resp.json().await.unwrap_or(Value::Null);
        body["value"].as_array().cloned().unwrap_or_default()
    }

    /// The errors in the console log since the last read.
    pub async fn console_errors(&self) -> Vec<String> {
        self.browser_log()
            .await
            .into_iter()
            .filter(|e| e["level"] == "SEVERE")
            .map(|e| e["message"].as_str().unwrap_or_default().to_owned())
            .collect()
    }

    /// Fails on any error in the console log.
    pub async fn assert_no_console_errors(&self) {
        let errors = self.console_errors().await;
        assert!(errors.is_empty(), "console errors: {errors:#?}");
    }

    pub async fn finish(mut self) {
        if let Some(d) = self.driver.take() {
            let _ = d.quit().await;
        }
    }
}

pub fn dumping_event(host: &str) -> Value {
    json!({
        "Channel": "Microsoft-Windows-Sysmon/Operational",
        "EventID": 1,
        "Hostname": host,
        "Image": "C:\\Temp\\m.exe",
        "CommandLine": "m.exe sekurlsa::logonpasswords exit",
        "User": format!("{host}\\svc"),
        "@timestamp": format!("{}T10:00:00.000Z", crate::common::day()),
    })
}

/// The alarm id of the newest alarm on `host`, through the API.
pub async fn alarm_on(f: &Fixture, token: &str, host: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let (_, body) = f.api(token, "/api/v1/alarms?limit=1000").await;
        if let Some(a) = body["items"].as_array().and_then(|items| {
            items.iter().find(|a| {
                a["entities"]
                    .as_array()
                    .is_some_and(|es| es.iter().any(|e| e["value"] == host))
            })
        }) {
            return a["id"].as_str().unwrap().to_owned();
        }
        assert!(Instant::now() < deadline, "no alarm on {host}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

impl Fixture {
    pub async fn post(&self, token: &str, path: &str, body: Value) -> Value {
        let resp = self
            .http
            .post(format!("{}{path}", self.base))
            .bearer_auth(token)
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = resp.status();
        let body: Value = resp.json().await.unwrap_or(Value::Null);
        assert!(status.is_success(), "POST {path}: {status} {body}");
        body
    }
}
