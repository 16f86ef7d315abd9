//! The console's small things, in a real browser (the fixture of
//! `console_browser.rs`): every page at 1920×1080, 1280×800 and 390×844
//! with no element running off the screen (screenshots kept under
//! `target/console-screenshots/`, not committed), a compact queue on a
//! wall screen, times with their zone, Take over only for an alarm someone
//! else holds, the false-alarm chart leaving hours without verdicts out,
//! and Back after logout landing on the login page.
//!
//! Without `chromedriver` the tests say they are skipped, except under
//! `CI=true`, where they fail.

mod browser;
mod common;

use std::time::Duration;

use serde_json::{Value, json};
use thirtyfour::prelude::*;

use browser::layout::{OVERFLOW, viewport};
use browser::wait::{number, until};
use browser::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_page_runs_off_the_screen_at_three_sizes_and_the_queue_is_compact() {
    if !browser_present() {
        return;
    }
    let _one = ONE_AT_A_TIME.lock().await;
    let f = Fixture::start("layout").await;
    let mut ids = Vec::new();
    for i in 0..14 {
        let host = format!("ws-layout-{i:02}");
        f.ingest(INGEST_A, dumping_event(&host)).await;
        ids.push(alarm_on(&f, ADMIN, &host).await);
    }
    let inc = f
        .post(
            ADMIN,
            "/api/v1/incidents",
            json!({"tenant": "alpha", "title": "Layout", "severity": "high", "category": "cyber", "sites": ["plant"], "alarms": [ids[0]]}),
        )
        .await;
    let incident = inc["incident"]["id"].as_str().unwrap().to_owned();
    f.login(ADMIN).await;

    let pages = [
        ("queue", "/queue".to_owned(), "#queue tr.row"),
        ("alarm", format!("/alarms/{}", ids[0]), "#alarm-title"),
        ("incidents", "/incidents".to_owned(), "#incidents tr.row"),
        (
            "incident",
            format!("/incidents/{incident}"),
            "#incident-title",
        ),
        ("sites", "/sites".to_owned(), "#sites a.card"),
        ("site", "/sites/alpha/plant".to_owned(), "#plan"),
        ("dashboards", "/dashboards".to_owned(), "#mtta"),
        ("shift", "/shift".to_owned(), "#shift-since"),
    ];
    let mut overflowing = Vec::new();
    for (w, h) in [(1920u32, 1080u32), (1280, 800), (390, 844)] {
        viewport(&f, w, h).await;
        for (name, path, marker) in &pages {
            f.goto(path).await;
            f.wait_for(marker, Duration::from_secs(10)).await;
            f.wait_for("#live.on", Duration::from_secs(5)).await;
            f.screenshot(&format!("{w}x{h}-{name}")).await;
            let report: Value = f
                .driver()
                .execute(OVERFLOW, vec![])
                .await
                .unwrap()
                .json()
                .clone();
            let bad = report["bad"].as_array().cloned().unwrap_or_default();
            if !bad.is_empty() || report["scroll"].as_i64() > report["vw"].as_i64() {
                overflowing.push(format!("{w}x{h} {name}: {report}"));
            }
        }
        if w == 1920 {
            // A wall screen shows a dozen alarms and more without scrolling.
            f.goto("/queue").await;
            f.wait_for("#queue tr.row", Duration::from_secs(10)).await;
            let shown = number(
                &f,
                "return [...document.querySelectorAll('#queue tr.row')].filter((r) => r.getBoundingClientRect().bottom <= innerHeight).length;",
            )
            .await;
            eprintln!("1920x1080: {shown} alarms on screen");
            assert!(shown >= 12, "only {shown} alarms fit at 1920x1080");
        }
    }
    assert!(overflowing.is_empty(), "{overflowing:#?}");
    f.assert_no_console_errors().await;
    f.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_small_things_an_operator_notices() {
    if !browser_present() {
        return;
    }
    let _one = ONE_AT_A_TIME.lock().await;
    let f = Fixture::start("small").await;
    f.ingest(INGEST_A, dumping_event("ws-small-1")).await;
    f.ingest(INGEST_A, dumping_event("ws-small-2")).await;
    let mine = alarm_on(&f, ADMIN, "ws-small-1").await;
    let other = alarm_on(&f, ADMIN, "ws-small-2").await;
    f.post(
        ADMIN,
        &format!("/api/v1/alarms/{mine}/acknowledge"),
        json!({}),
    )
    .await;
    f.post(
        ADMIN,
        &format!("/api/v1/alarms/{other}/acknowledge"),
        json!({}),
    )
    .await;
    f.post(
        ADMIN,
        &format!("/api/v1/alarms/{other}/close"),
        json!({"verdict": "false_positive"}),
    )
    .await;
    f.login(ADMIN).await;

    // Take over is for an alarm someone else holds, not one's own.
    f.goto(&format!("/alarms/{mine}")).await;
    let take_over = f.wait_for("#take-over", Duration::from_secs(10)).await;
    assert!(
        take_over.attr("disabled").await.unwrap().is_some(),
        "Take over is enabled on the caller's own alarm"
    );
    // Times: year first, 24-hour, in the site's zone (Europe/Berlin in the
    // fixture) named; ISO on hover.
    let seen = f.wait_for("#alarm-seen time", Duration::from_secs(5)).await;
    let text = seen.text().await.unwrap();
    let iso = seen.attr("title").await.unwrap().unwrap_or_default();
    let at = chrono::DateTime::parse_from_rfc3339(&iso)
        .unwrap_or_else(|e| panic!("ISO on hover: {iso}: {e}"))
        .with_timezone(&chrono::Utc);
    let berlin: chrono_tz::Tz = "Europe/Berlin".parse().unwrap();
    let local = at.with_timezone(&berlin);
    let expected = local.format("%Y-%m-%d %H:%M:%S").to_string();
    assert!(
        text.starts_with(&format!("{expected} ")),
        "{text}: expected the site's local time {expected}"
    );
    let zone = &text[expected.len() + 1..];
    assert!(
        ["CET", "CEST", "GMT+1", "GMT+2"].contains(&zone),
        "{text}: the zone named"
    );

    // The false-alarm chart plots only hours with verdicts.
    f.goto("/dashboards").await;
    f.wait_for("#mtta", Duration::from_secs(10)).await;
    let dots = f
        .driver()
        .find_all(By::Css(
            "svg[aria-label='False-alarm rate per hour'] circle.dot",
        ))
        .await
        .unwrap();
    assert_eq!(dots.len(), 1, "one hour had a verdict");

    // After logout, Back lands on the login page, not a page stuck
    // connecting.
    f.goto("/queue").await;
    f.wait_for("#queue tr.row", Duration::from_secs(10)).await;
    f.driver()
        .find(By::Css("#logout"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    f.wait_for("#token", Duration::from_secs(10)).await;
    f.driver().back().await.unwrap();
    until(
        &f,
        "return location.pathname === '/login' && document.getElementById('token') !== null;",
        Duration::from_secs(10),
        "back after logout at the login page",
    )
    .await;
    f.screenshot("back-after-logout").await;
    f.finish().await;
}
