//! The console for a whole shift, in a real browser (headless Chromium over
//! WebDriver, the fixture of `console_browser.rs`): moving between pages
//! with the browser's default back-forward cache never leaves a page on
//! "Loading…".
//!
//! Without `chromedriver` the tests say they are skipped, except under
//! `CI=true`, where they fail.

mod browser;
mod common;

use std::time::{Duration, Instant};

use serde_json::json;
use thirtyfour::prelude::*;

use browser::wait::{number, until};
use browser::*;

/// How long a page may take to show its data after a navigation.
const SHOWN_WITHIN: Duration = Duration::from_secs(1);

/// Whether the page has drawn its data: the page's own marker is there,
/// the "Loading…" placeholder is gone and the live stream is connected.
const SHOWN: &str = r##"
const marker = arguments[0];
const main = document.getElementById("main");
const loading = !main || main.textContent.trim() === "Loading…";
const live = document.querySelector("#live.on") !== null;
return !loading && live && document.querySelector(marker) !== null;
"##;

/// Counts, in the tab's session storage, how often a page was restored
/// from the back-forward cache (the listener travels with the page).
const COUNT_RESTORES: &str = r#"
if (!window.__restoresCounted) {
  window.__restoresCounted = true;
  window.addEventListener("pageshow", (ev) => {
    if (ev.persisted) sessionStorage.setItem("restores", String(Number(sessionStorage.getItem("restores") || 0) + 1));
  });
}
"#;

/// Waits until the page shows its data; the time it took.
async fn shown(f: &Fixture, marker: &str, started: Instant, step: &str) -> Duration {
    let deadline = started + Duration::from_secs(60);
    loop {
        let ok = f
            .driver()
            .execute(SHOWN, vec![json!(marker)])
            .await
            .ok()
            .and_then(|r| r.json().as_bool())
            .unwrap_or(false);
        if ok {
            let took = started.elapsed();
            f.driver().execute(COUNT_RESTORES, vec![]).await.unwrap();
            return took;
        }
        if Instant::now() >= deadline {
            f.screenshot(&format!("stuck-{step}")).await;
            panic!("{step}: `{marker}` not shown within a minute");
        }
        tokio::time::sleep(Duration::from_millis(15)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn moving_back_and_forth_twenty_times_never_hangs_on_loading() {
    if !browser_present() {
        return;
    }
    let _one = ONE_AT_A_TIME.lock().await;
    let f = Fixture::start("navigation").await;
    f.ingest(INGEST_A, dumping_event("ws-nav-1")).await;
    let alarm = alarm_on(&f, ADMIN, "ws-nav-1").await;
    f.post(
        ADMIN,
        "/api/v1/incidents",
        json!({"tenant": "alpha", "title": "Navigation test", "severity": "high",
               "category": "cyber", "sites": [], "alarms": [alarm]}),
    )
    .await;
    f.login(ADMIN).await;

    // The pages in the order the nav links are followed, each with what
    // shows that its data arrived.
    let pages = [
        ("/incidents", "#incidents tr.row"),
        ("/sites", "#sites a.card"),
        ("/dashboards", "#mtta"),
        ("/queue", "#queue tr.row"),
    ];
    let mut worst = (Duration::ZERO, String::new());
    let mut slow = Vec::new();
    let mut note = |took: Duration, step: String| {
        if took > worst.0 {
            worst = (took, step.clone());
        }
        if took > SHOWN_WITHIN {
            slow.push(format!("{step}: {took:?}"));
        }
    };
    let mut marker_here = "#queue tr.row";
    shown(&f, marker_here, Instant::now(), "login").await;
    for round in 0..20 {
        let (path, marker) = pages[round % pages.len()];
        let step = format!("{round}: to {path}");
        let link = f
            .driver()
            .find(By::Css(format!("header nav a[href='{path}']")))
            .await
            .unwrap();
        let started = Instant::now();
        link.click().await.unwrap();
        note(shown(&f, marker, started, &step).await, step);

        let step = format!("{round}: back from {path}");
        let started = Instant::now();
        f.driver().back().await.unwrap();
        note(shown(&f, marker_here, started, &step).await, step);

        let step = format!("{round}: forward to {path}");
        let started = Instant::now();
        f.driver().forward().await.unwrap();
        note(shown(&f, marker, started, &step).await, step);
        marker_here = marker;
    }
    let restores = f
        .driver()
        .execute(
            "return Number(sessionStorage.getItem('restores') || 0);",
            vec![],
        )
        .await
        .unwrap()
        .json()
        .as_u64()
        .unwrap_or(0);
    eprintln!(
        "60 navigations; slowest {:?} ({}); {restores} pages restored from the back-forward cache",
        worst.0, worst.1
    );
    f.screenshot("after-sixty").await;
    assert!(
        slow.is_empty(),
        "pages took over {SHOWN_WITHIN:?} to show their data: {slow:#?}"
    );
    assert!(
        restores > 0,
        "no page came from the back-forward cache, so the test did not test it"
    );
    f.assert_no_console_errors().await;
    f.finish().await;
}

/// Wraps the page's Web Audio so that every tone the page plays is
/// counted (`window.__oscillators`), and its desktop notifications so
/// that each title is kept (`window.__notes`).
const COUNT_TONES: &str = r#"
if (!window.__notes) {
  window.__notes = [];
  const Real = window.Notification;
  window.Notification = class extends Real {
    constructor(title, options) {
      window.__notes.push(title);
      super(title, options);
    }
  };
}
if (!window.__oscillators) {
  window.__oscillators = 0;
  const make = AudioContext.prototype.createOscillator;
  AudioContext.prototype.createOscillator = function () {
    window.__oscillators += 1;
    return make.call(this);
  };
}
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_critical_alarm_sounds_and_counts_in_the_title_and_mute_is_shown() {
    if !browser_present() {
        return;
    }
    let _one = ONE_AT_A_TIME.lock().await;
    let f = Fixture::start("alerting").await;
    // The operator allowed desktop notifications for the console.
    thirtyfour::extensions::cdp::ChromeDevTools::new(f.driver().handle.clone())
        .execute_cdp_with_params(
            "Browser.grantPermissions",
            json!({"origin": f.base, "permissions": ["notifications"]}),
        )
        .await
        .unwrap();
    f.login(ADMIN).await;
    f.wait_for("#alerting .alerting-sound", Duration::from_secs(5))
        .await;
    f.driver().execute(COUNT_TONES, vec![]).await.unwrap();
    assert_eq!(
        f.driver().title().await.unwrap(),
        "Alarm queue · Vigil",
        "no count while nothing waits"
    );
    // The browser may block sound until a person clicks; the header says so,
    // and a click enables it.
    let sound = f.driver().find(By::Css("#alerting")).await.unwrap();
    if sound.attr("data-sound").await.unwrap().as_deref() == Some("blocked") {
        f.driver()
            .find(By::Css("#alerting .alerting-sound"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
    }
    until(
        &f,
        "return document.getElementById('alerting').dataset.sound === 'on';",
        Duration::from_secs(5),
        "sound on",
    )
    .await;

    // A new critical alarm: a tone (three beeps) and the count in the title.
    f.ingest(INGEST_A, dumping_event("ws-alert-1")).await;
    until(
        &f,
        "return document.getElementById('alerting').dataset.last === 'critical' && window.__oscillators >= 3;",
        Duration::from_secs(5),
        "critical tone",
    )
    .await;
    until(
        &f,
        "return document.title === '(1) Alarm queue · Vigil' && document.querySelector(\"link[rel='icon']\").href.startsWith('data:image/svg+xml');",
        Duration::from_secs(5),
        "title count 1",
    )
    .await;
    until(
        &f,
        &format!("return window.__notes.includes('CRITICAL: {RULE_TITLE}');"),
        Duration::from_secs(5),
        "a desktop notification",
    )
    .await;
    f.ingest(INGEST_A, dumping_event("ws-alert-2")).await;
    until(
        &f,
        "return document.title.startsWith('(2) ');",
        Duration::from_secs(5),
        "title count 2",
    )
    .await;
    f.screenshot("two-critical").await;

    // Acknowledged, it no longer counts.
    let id = alarm_on(&f, ADMIN, "ws-alert-1").await;
    f.post(
        ADMIN,
        &format!("/api/v1/alarms/{id}/acknowledge"),
        json!({}),
    )
    .await;
    until(
        &f,
        "return document.title.startsWith('(1) ');",
        Duration::from_secs(5),
        "title count back to 1",
    )
    .await;

    // Muted for a set time: said on screen; a new alarm is still counted
    // (and requested) but plays no tone.
    f.driver()
        .find(By::Css("#alerting .alerting-sound"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    f.wait_for("#prompt select[name=minutes]", Duration::from_secs(5))
        .await;
    f.driver()
        .find(By::Css("#prompt-form button[value=ok]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    until(
        &f,
        "const a = document.getElementById('alerting'); return a.dataset.sound === 'muted' && a.textContent.includes('muted until');",
        Duration::from_secs(5),
        "muted shown",
    )
    .await;
    let tones = number(&f, "return window.__oscillators;").await;
    let requests = number(
        &f,
        "return Number(document.getElementById('alerting').dataset.requests);",
    )
    .await;
    f.ingest(INGEST_A, dumping_event("ws-alert-3")).await;
    until(
        &f,
        "return document.title.startsWith('(2) ');",
        Duration::from_secs(5),
        "title count 2 while muted",
    )
    .await;
    assert!(
        number(
            &f,
            "return Number(document.getElementById('alerting').dataset.requests);"
        )
        .await
            > requests,
        "the tone was asked for"
    );
    assert_eq!(
        number(&f, "return window.__oscillators;").await,
        tones,
        "no tone while muted"
    );
    f.screenshot("muted").await;
    f.assert_no_console_errors().await;
    f.finish().await;
}
