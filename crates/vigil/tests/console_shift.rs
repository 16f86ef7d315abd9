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
            .find(By::Css(&format!("header nav a[href='{path}']")))
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

