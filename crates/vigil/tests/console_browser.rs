//! The console in a real browser: headless Chromium driven over WebDriver
//! (Debian's `chromium` and `chromium-driver`), against `vigil serve` on a
//! configuration written to a temporary folder.
//!
//! Covered: logging in; an event ingested over HTTP appearing as an alarm
//! on the open queue page within 2 seconds; acknowledging it; opening an
//! incident and completing an SOP step; a client viewer not seeing another
//! client's alarm (in the queue and by URL); the site view showing a door
//! opening; the dashboards' service report link serving a PDF. Each test saves a screenshot under `target/console-screenshots/`
//! and fails on any error in the browser's console log.
//!
//! Without `chromedriver` the tests say they are skipped, except under
//! `CI=true`, where they fail.

mod common;

use std::net::TcpListener;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{Vigil, sha256_hex};
use serde_json::{Value, json};
use thirtyfour::prelude::*;
use tokio::sync::Mutex;

const ADMIN: &str = "vgl_console_test_admin_0123456789";
const VIEWER_B: &str = "vgl_console_test_viewer_b_0123456789";
const INGEST_A: &str = "vgl_console_test_ingest_a_0123456789";
const INGEST_B: &str = "vgl_console_test_ingest_b_0123456789";
const ACCESS_A: &str = "vgl_console_test_access_a_0123456789";

const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const CHROMIUM: &str = "/usr/bin/chromium";

const DUMPING_RULE: &str = r#"
title: Console test credential dumping
id: 5e0f8a43-1a7e-4f52-9a43-2c1d6f0b7e21
status: test
level: critical
logsource:
  product: windows
  category: process_creation
detection:
  selection:
    CommandLine|contains: 'sekurlsa::logonpasswords'
  condition: selection
"#;
const RULE_TITLE: &str = "Console test credential dumping";

/// One browser test at a time: each starts a node and a browser, and the
/// machine has two cores.
static ONE_AT_A_TIME: Mutex<()> = Mutex::const_new(());

fn write_config(dir: &Path) {
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
    std::fs::write(dir.join("vigil.toml"), config).unwrap();
}

/// A running node, a chromedriver and a browser session on it.
struct Fixture {
    _dir: tempfile::TempDir,
    vigil: Vigil,
    chromedriver: Child,
    driver_url: String,
    base: String,
    http: reqwest::Client,
    driver: Option<WebDriver>,
    /// Chromium's profile folder, inside `_dir`: it names this fixture's
    /// browser processes.
    profile: PathBuf,
    name: &'static str,
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
fn kill_processes_using(profile: &Path) {
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

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// Whether the browser is there; says why a test is skipped if not.
fn browser_present() -> bool {
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
    async fn start(name: &'static str) -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        write_config(dir.path());
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

    async fn new_browser(&self) -> WebDriver {
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

    fn driver(&self) -> &WebDriver {
        self.driver.as_ref().expect("a browser")
    }

    async fn goto(&self, path: &str) {
        self.driver()
            .goto(format!("{}{path}", self.base))
            .await
            .unwrap();
    }

    async fn login(&self, token: &str) {
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

    /// Polls the page for `css` (behaviour, not the test's own timing).
    async fn try_wait_for(&self, css: &str, within: Duration) -> Option<WebElement> {
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

    async fn wait_for(&self, css: &str, within: Duration) -> WebElement {
        match self.try_wait_for(css, within).await {
            Some(e) => e,
            None => {
                self.screenshot("timeout").await;
                panic!("`{css}` did not appear within {within:?}");
            }
        }
    }

    async fn ingest(&self, token: &str, line: Value) -> Value {
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

    async fn api(&self, token: &str, path: &str) -> (reqwest::StatusCode, Value) {
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

    async fn screenshot(&self, step: &str) -> PathBuf {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/console-screenshots");
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(format!("{}-{step}.png", self.name));
        self.driver().screenshot(&path).await.unwrap();
        path
    }

    /// The browser's console log since the last read (chromedriver's log
    /// endpoint; WebDriver itself has none).
    async fn browser_log(&self) -> Vec<Value> {
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
    async fn console_errors(&self) -> Vec<String> {
        self.browser_log()
            .await
            .into_iter()
            .filter(|e| e["level"] == "SEVERE")
            .map(|e| e["message"].as_str().unwrap_or_default().to_owned())
            .collect()
    }

    /// Fails on any error in the console log.
    async fn assert_no_console_errors(&self) {
        let errors = self.console_errors().await;
        assert!(errors.is_empty(), "console errors: {errors:#?}");
    }

    async fn finish(mut self) {
        if let Some(d) = self.driver.take() {
            let _ = d.quit().await;
        }
    }
}

fn dumping_event(host: &str) -> Value {
    json!({
        "Channel": "Microsoft-Windows-Sysmon/Operational",
        "EventID": 1,
        "Hostname": host,
        "Image": "C:\\Temp\\m.exe",
        "CommandLine": "m.exe sekurlsa::logonpasswords exit",
        "User": format!("{host}\\svc"),
        "@timestamp": format!("{}T10:00:00.000Z", common::day()),
    })
}

/// The alarm id of the newest alarm on `host`, through the API.
async fn alarm_on(f: &Fixture, token: &str, host: &str) -> String {
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_operator_sees_a_new_alarm_live_acknowledges_it_and_works_the_sop() {
    if !browser_present() {
        return;
    }
    let _one = ONE_AT_A_TIME.lock().await;
    let f = Fixture::start("operator").await;
    f.login(ADMIN).await;
    f.wait_for("#queue tbody .empty", Duration::from_secs(5))
        .await;
    f.screenshot("1-empty-queue").await;

    // A new alarm appears on the open page without a reload, within 2 s.
    let outcome = f.ingest(INGEST_A, dumping_event("ws-live-1")).await;
    assert_eq!(outcome["alerts_created"], 1, "{outcome}");
    let appeared = Instant::now();
    let row = f
        .try_wait_for("#queue tr.row", Duration::from_secs(2))
        .await;
    let Some(row) = row else {
        f.screenshot("2-not-live").await;
        panic!("the alarm did not appear on the open queue within 2 seconds");
    };
    eprintln!("alarm on the page {:?} after ingest", appeared.elapsed());
    assert!(row.text().await.unwrap().contains(RULE_TITLE));
    let id = row.attr("data-id").await.unwrap().expect("a row id");
    assert_eq!(
        row.attr("data-status").await.unwrap().as_deref(),
        Some("new")
    );
    f.screenshot("2-alarm-live").await;

    // Acknowledge it with the `a` shortcut on the selected row.
    f.driver()
        .find(By::Css("body"))
        .await
        .unwrap()
        .send_keys("a")
        .await
        .unwrap();
    f.wait_for(
        &format!("#queue tr[data-id='{id}'][data-status='acknowledged']"),
        Duration::from_secs(5),
    )
    .await;
    let (_, alarm) = f.api(ADMIN, &format!("/api/v1/alarms/{id}")).await;
    assert_eq!(alarm["alarm"]["status"], "acknowledged");
    assert_eq!(alarm["alarm"]["owner"], "admin");
    f.screenshot("3-acknowledged").await;

    // The detail page names the rule and highlights the matched host.
    f.goto(&format!("/alarms/{id}")).await;
    let title = f.wait_for("#alarm-title", Duration::from_secs(5)).await;
    assert!(title.text().await.unwrap().contains(RULE_TITLE));
    f.wait_for(".event .hit", Duration::from_secs(5)).await;
    f.screenshot("4-alarm-detail").await;

    // Open an incident from it and complete the first SOP step.
    f.wait_for("#open-incident", Duration::from_secs(5))
        .await
        .click()
        .await
        .unwrap();
    f.wait_for("#incident-title", Duration::from_secs(10)).await;
    let done = f
        .wait_for("#sop button[data-outcome='done']", Duration::from_secs(10))
        .await;
    let run = f
        .driver()
        .find(By::Css("#sop .sop-run"))
        .await
        .unwrap()
        .attr("data-run")
        .await
        .unwrap()
        .expect("a run id");
    done.click().await.unwrap();
    f.wait_for("#sop li.done", Duration::from_secs(5)).await;
    let (_, runs) = f.api(ADMIN, &format!("/api/v1/alarms/{id}/sop")).await;
    let recorded = runs["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == run.as_str())
        .expect("the run");
    assert_eq!(recorded["steps"][0]["outcome"], "done", "{recorded}");
    assert_eq!(recorded["steps"][0]["by"], "admin");
    let (_, alarm) = f.api(ADMIN, &format!("/api/v1/alarms/{id}")).await;
    assert!(alarm["alarm"]["incident"].is_string(), "{alarm}");
    f.screenshot("5-incident-sop").await;

    f.assert_no_console_errors().await;
    f.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_viewer_never_sees_another_clients_alarm() {
    if !browser_present() {
        return;
    }
    let _one = ONE_AT_A_TIME.lock().await;
    let f = Fixture::start("viewer").await;
    f.ingest(INGEST_A, dumping_event("ws-alpha-9")).await;
    f.ingest(INGEST_B, dumping_event("ws-beta-3")).await;
    let alpha = alarm_on(&f, ADMIN, "ws-alpha-9").await;
    let beta = alarm_on(&f, ADMIN, "ws-beta-3").await;

    f.login(VIEWER_B).await;
    f.wait_for(
        &format!("#queue tr[data-id='{beta}']"),
        Duration::from_secs(5),
    )
    .await;
    let rows = f.driver().find_all(By::Css("#queue tr.row")).await.unwrap();
    assert_eq!(rows.len(), 1, "the viewer sees only its own client's alarm");
    for row in rows {
        assert_eq!(
            row.attr("data-tenant").await.unwrap().as_deref(),
            Some("beta")
        );
    }
    assert!(
        f.driver()
            .find_all(By::Css("#queue button[data-action]"))
            .await
            .unwrap()
            .is_empty(),
        "a viewer is offered no actions"
    );
    assert!(
        f.driver()
            .find_all(By::Css("#filter-tenant"))
            .await
            .unwrap()
            .is_empty(),
        "a client user has no client filter"
    );
    f.screenshot("1-own-queue").await;

    // By URL: the other client's alarm does not exist for this viewer.
    f.goto(&format!("/alarms/{alpha}")).await;
    f.wait_for("#not-found", Duration::from_secs(5)).await;
    assert!(
        !f.driver().source().await.unwrap().contains("ws-alpha-9"),
        "nothing of the other client's alarm reaches the page"
    );
    f.screenshot("2-other-by-url").await;

    // The only error is the API's 404 for the other client's alarm (which
    // also shows that the log is read at all).
    let errors = f.console_errors().await;
    assert!(
        errors.iter().any(|e| e.contains("404")),
        "the 404 is in the log: {errors:#?}"
    );
    assert!(
        errors.iter().all(|e| e.contains("404")),
        "console errors: {errors:#?}"
    );
    f.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_site_view_shows_a_door_opening() {
    if !browser_present() {
        return;
    }
    let _one = ONE_AT_A_TIME.lock().await;
    let f = Fixture::start("site").await;
    let (status, plan) = f.api(ADMIN, "/api/v1/sites/alpha/plant/plan").await;
    assert_eq!(status, reqwest::StatusCode::OK, "the plan endpoint: {plan}");
    f.login(ADMIN).await;
    f.goto("/sites/alpha/plant").await;
    let door = f
        .wait_for("#plan [data-device='D-1']", Duration::from_secs(10))
        .await;
    assert_ne!(
        door.attr("data-state").await.unwrap().as_deref(),
        Some("door_open")
    );
    f.screenshot("1-closed").await;

    f.ingest(
        ACCESS_A,
        json!({"time": format!("{}T10:00:00Z", common::day()), "action": "door_opened", "door": "D-1", "zone": "lobby"}),
    )
    .await;
    // The page polls the plan every 2 seconds.
    let open = f
        .wait_for(
            "#plan [data-device='D-1'][data-state='door_open']",
            Duration::from_secs(6),
        )
        .await;
    open.click().await.unwrap();
    f.wait_for("#device-events", Duration::from_secs(5)).await;
    let other = f
        .driver()
        .find(By::Css("#plan [data-device='D-2']"))
        .await
        .unwrap();
    assert_ne!(
        other.attr("data-state").await.unwrap().as_deref(),
        Some("door_open")
    );
    f.screenshot("2-door-open").await;
    f.assert_no_console_errors().await;
    f.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dashboards_link_a_month_s_service_report() {
    if !browser_present() {
        return;
    }
    let _one = ONE_AT_A_TIME.lock().await;
    let f = Fixture::start("report").await;
    f.ingest(INGEST_A, dumping_event("ws-report-1")).await;
    alarm_on(&f, ADMIN, "ws-report-1").await;
    f.login(ADMIN).await;
    f.goto("/dashboards").await;
    let link = f
        .wait_for(
            "#service-report a#report-pdf[href]",
            Duration::from_secs(10),
        )
        .await;
    let href = link.attr("href").await.unwrap().expect("a link");
    assert!(
        href.starts_with("/api/v1/reports/service?") && href.contains("format=pdf"),
        "{href}"
    );
    assert!(href.contains("month="), "{href}");
    f.screenshot("dashboards-report").await;
    // The link as the browser would follow it (here with the token).
    let resp = f
        .http
        .get(format!("{}{href}", f.base))
        .bearer_auth(ADMIN)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), reqwest::StatusCode::OK);
    assert_eq!(resp.headers()["content-type"], "application/pdf");
    assert!(resp.bytes().await.unwrap().starts_with(b"%PDF-"));

    // An evidence pack is one client's: the provider picks the client first.
    assert!(
        f.driver()
            .find(By::Css("#evidence-pack a#evidence-pdf[href]"))
            .await
            .is_err(),
        "an evidence link before a client is chosen"
    );
    f.goto("/dashboards?tenant=alpha").await;
    let link = f
        .wait_for(
            "#evidence-pack a#evidence-json[href]",
            Duration::from_secs(10),
        )
        .await;
    let href = link.attr("href").await.unwrap().expect("a link");
    assert!(
        href.starts_with("/api/v1/compliance/iso27001/report?") && href.contains("tenant=alpha"),
        "{href}"
    );
    let pack: Value = f
        .http
        .get(format!("{}{href}", f.base))
        .bearer_auth(ADMIN)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(pack.to_string().contains("A.8.15"), "{pack}");
    f.assert_no_console_errors().await;
    f.finish().await;
}

impl Fixture {
    async fn post(&self, token: &str, path: &str, body: Value) -> Value {
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_significant_incident_s_art_23_deadline_counts_down_on_its_page() {
    if !browser_present() {
        return;
    }
    let _one = ONE_AT_A_TIME.lock().await;
    let f = Fixture::start("nis2").await;
    let opened = f
        .post(
            ADMIN,
            "/api/v1/incidents",
            json!({"tenant": "alpha", "title": "Dosing control unreachable", "severity": "high",
                   "category": "cyber", "sites": [], "assets": [], "alarms": []}),
        )
        .await;
    let id = opened["incident"]["id"].as_str().unwrap().to_owned();
    // Successful, suspectedly malicious access capable of severe
    // disruption: significant under Art. 3(1)(e).
    f.post(
        ADMIN,
        &format!("/api/v1/incidents/{id}/nis2/assessment"),
        json!({"facts": {"occurred_at": chrono::Utc::now(), "unauthorised_access": {
            "successful": true, "suspectedly_malicious": true, "capable_of_severe_disruption": true}}}),
    )
    .await;
    f.post(
        ADMIN,
        &format!("/api/v1/incidents/{id}/nis2/decision"),
        json!({"significant": true}),
    )
    .await;

    f.login(ADMIN).await;
    f.goto(&format!("/incidents/{id}")).await;
    let css = "#nis2-deadlines tr[data-kind='early_warning'] [data-countdown]";
    let first = f
        .wait_for(css, Duration::from_secs(10))
        .await
        .text()
        .await
        .unwrap();
    assert!(first.ends_with("left"), "{first}");
    assert!(first.starts_with("23 h "), "{first}");
    // It runs: within a few seconds the text is another.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let now = f
            .driver()
            .find(By::Css(css))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        if now != first {
            break;
        }
        assert!(Instant::now() < deadline, "the countdown stood at {first}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // A draft made elsewhere shows with its JSON and PDF links.
    f.post(
        ADMIN,
        &format!("/api/v1/incidents/{id}/nis2/drafts"),
        json!({"kind": "early_warning", "impact": "dosing control unreachable for 40 minutes"}),
    )
    .await;
    f.wait_for(
        "#nis2-drafts li[data-draft='early_warning/1'] a",
        Duration::from_secs(10),
    )
    .await;
    f.screenshot("nis2-countdown").await;
    f.assert_no_console_errors().await;
    f.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_page_loads_without_errors_and_logout_ends_the_session() {
    if !browser_present() {
        return;
    }
    let _one = ONE_AT_A_TIME.lock().await;
    let f = Fixture::start("pages").await;
    f.ingest(INGEST_A, dumping_event("ws-pages-1")).await;
    alarm_on(&f, ADMIN, "ws-pages-1").await;
    f.login(ADMIN).await;
    for (path, marker) in [
        ("/incidents", "main h1"),
        ("/sites", "main h1"),
        ("/dashboards", "main h1"),
    ] {
        f.goto(path).await;
        f.wait_for(marker, Duration::from_secs(10)).await;
        let name = path.trim_start_matches('/');
        f.screenshot(name).await;
    }
    // The shortcut help opens with `?`.
    f.goto("/queue").await;
    f.wait_for("#queue tr.row", Duration::from_secs(5)).await;
    f.driver()
        .find(By::Css("body"))
        .await
        .unwrap()
        .send_keys("?")
        .await
        .unwrap();
    f.wait_for("#help[open]", Duration::from_secs(2)).await;
    f.screenshot("help").await;
    f.driver()
        .find(By::Css("#help button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    f.assert_no_console_errors().await;

    f.driver()
        .find(By::Css("#logout"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    f.wait_for("#login-form", Duration::from_secs(5)).await;
    f.goto("/queue").await;
    // Without a session the queue sends the browser back to log in.
    f.wait_for("#login-form", Duration::from_secs(5)).await;

    // The node stops promptly even while a console holds a live stream open.
    f.login(ADMIN).await;
    f.wait_for("#live.on", Duration::from_secs(5)).await;
    let mut f = f;
    let pid = f.vigil.child.id().to_string();
    let status = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    assert!(status.success());
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if f.vigil.child.try_wait().unwrap().is_some() {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "vigil did not stop with a console open"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    f.finish().await;
}
