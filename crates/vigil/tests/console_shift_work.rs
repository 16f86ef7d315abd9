//! Working a shift in a real browser (the fixture of `console_browser.rs`):
//! five alarms acknowledged in one go, the head of a group closing the
//! group, and the shift log carrying an open item over a handover.
//!
//! Without `chromedriver` the tests say they are skipped, except under
//! `CI=true`, where they fail.

mod browser;
mod common;

use std::time::Duration;

use thirtyfour::prelude::*;

use browser::wait::until;
use browser::*;

async fn click(f: &Fixture, css: &str) {
    f.wait_for(css, Duration::from_secs(5))
        .await
        .click()
        .await
        .unwrap();
}

/// Fills the prompt dialog's field `name` with `text` and presses OK.
async fn answer(f: &Fixture, fields: &[(&str, &str)]) {
    for (name, text) in fields {
        let field = f
            .wait_for(&format!("#prompt [name='{name}']"), Duration::from_secs(5))
            .await;
        field.clear().await.unwrap();
        field.send_keys(*text).await.unwrap();
    }
    click(f, "#prompt-form button[value=ok]").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn five_alarms_are_acknowledged_at_once_and_the_group_head_closes_the_group() {
    if !browser_present() {
        return;
    }
    let _one = ONE_AT_A_TIME.lock().await;
    let f = Fixture::start("bulk").await;
    let mut ids = Vec::new();
    for i in 0..5 {
        let host = format!("ws-bulk-{i}");
        f.ingest(INGEST_A, dumping_event(&host)).await;
        ids.push(alarm_on(&f, ADMIN, &host).await);
    }
    f.login(ADMIN).await;
    until(
        &f,
        "return document.querySelectorAll('#queue tr.row[data-status=new]').length === 5;",
        Duration::from_secs(10),
        "five new alarms",
    )
    .await;

    // Tick them all, acknowledge once.
    click(&f, "#pick-all").await;
    until(
        &f,
        "return !document.getElementById('bulk').hidden && document.getElementById('bulk-count').textContent === '5 selected';",
        Duration::from_secs(5),
        "five selected",
    )
    .await;
    f.screenshot("1-five-selected").await;
    click(&f, "#bulk-ack").await;
    until(
        &f,
        "return document.querySelectorAll('#queue tr.row[data-status=acknowledged]').length === 5;",
        Duration::from_secs(10),
        "five acknowledged",
    )
    .await;
    f.screenshot("2-five-acknowledged").await;
    let (_, audit) = f.api(ADMIN, "/api/v1/audit?limit=1000").await;
    for id in &ids {
        let (_, a) = f.api(ADMIN, &format!("/api/v1/alarms/{id}")).await;
        assert_eq!(a["alarm"]["status"], "acknowledged", "{a}");
        assert_eq!(a["alarm"]["owner"], "admin");
        let entries = audit["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["action"] == "alarm.acknowledge" && e["object"] == format!("alarm/{id}"))
            .count();
        assert_eq!(
            entries, 1,
            "{id}: one audit entry, as if acknowledged alone"
        );
    }

    // Severe alarms at one site a moment apart are one group; closing its
    // head offers to close the group with one verdict.
    let (_, one) = f.api(ADMIN, &format!("/api/v1/alarms/{}", ids[0])).await;
    let head = one["alarm"]["group"].as_str().unwrap().to_owned();
    assert!(ids.contains(&head), "the group's head is one of the five");
    click(
        &f,
        &format!("#queue tr[data-id='{head}'] button[data-action=close]"),
    )
    .await;
    let scope = f
        .wait_for("#prompt select[name=scope]", Duration::from_secs(5))
        .await;
    assert!(
        scope.text().await.unwrap().contains("4 other open alarms"),
        "{}",
        scope.text().await.unwrap()
    );
    click(&f, "#prompt-form button[value=ok]").await;
    until(
        &f,
        "return document.querySelectorAll('#queue tr.row').length === 0;",
        Duration::from_secs(10),
        "the group closed",
    )
    .await;
    for id in &ids {
        let (_, a) = f.api(ADMIN, &format!("/api/v1/alarms/{id}")).await;
        assert_eq!(a["alarm"]["status"], "closed", "{a}");
        assert_eq!(a["alarm"]["verdict"], "true_positive");
    }

    // A ticked alarm's rule suppressed at its client, until tomorrow.
    f.ingest(INGEST_A, dumping_event("ws-bulk-9")).await;
    let late = alarm_on(&f, ADMIN, "ws-bulk-9").await;
    click(&f, &format!("#queue tr[data-id='{late}'] input.pick")).await;
    click(&f, "#bulk-suppress").await;
    answer(&f, &[("reason", "pen test this week")]).await;
    until(
        &f,
        "return document.getElementById('bulk').hidden;",
        Duration::from_secs(5),
        "the selection cleared",
    )
    .await;
    let (_, sups) = f.api(ADMIN, "/api/v1/suppressions").await;
    let made: Vec<_> = sups["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["reason"] == "pen test this week")
        .collect();
    assert_eq!(made.len(), 1, "{sups}");
    assert_eq!(made[0]["tenant"], "alpha");
    assert_eq!(made[0]["rule_id"], "5e0f8a43-1a7e-4f52-9a43-2c1d6f0b7e21");
    f.assert_no_console_errors().await;
    f.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_open_item_is_carried_over_a_handover_until_done() {
    if !browser_present() {
        return;
    }
    let _one = ONE_AT_A_TIME.lock().await;
    let f = Fixture::start("shift").await;
    f.ingest(INGEST_A, dumping_event("ws-shift-1")).await;
    let alarm = alarm_on(&f, ADMIN, "ws-shift-1").await;
    f.login(ADMIN).await;
    f.goto("/shift").await;

    click(&f, "#shift-item").await;
    answer(&f, &[("text", "Call the guard company back about door 4")]).await;
    f.wait_for("#shift-open li[data-kind=item]", Duration::from_secs(5))
        .await;
    click(&f, "#shift-note").await;
    answer(&f, &[("text", "Fire panel test at the plant until 03:00")]).await;
    f.wait_for("#shift-entries li[data-kind=note]", Duration::from_secs(5))
        .await;

    click(&f, "#shift-handover").await;
    answer(&f, &[("summary", "Quiet; door 4 open"), ("to", "petra")]).await;
    f.wait_for("#handovers li", Duration::from_secs(5)).await;
    let carried = f
        .wait_for("#shift-open li .carried", Duration::from_secs(5))
        .await;
    assert_eq!(carried.text().await.unwrap(), "carried over");
    assert!(
        f.driver()
            .find_all(By::Css("#shift-entries li"))
            .await
            .unwrap()
            .is_empty(),
        "the new shift starts empty"
    );
    f.screenshot("1-carried-over").await;
    click(&f, "#shift-open li[data-kind=item] .done-button").await;
    until(
        &f,
        "return document.getElementById('shift-open') === null;",
        Duration::from_secs(5),
        "nothing open",
    )
    .await;
    let (_, log) = f.api(ADMIN, "/api/v1/shift-log").await;
    assert!(log["open"].as_array().unwrap().is_empty(), "{log}");
    assert_eq!(log["handovers"][0]["handed_to"], "petra");

    // "My alarms": one acknowledged is mine; the queue filters to it.
    f.post(
        ADMIN,
        &format!("/api/v1/alarms/{alarm}/acknowledge"),
        serde_json::json!({}),
    )
    .await;
    f.goto("/queue?owner=me").await;
    f.wait_for(
        &format!("#queue tr.row[data-id='{alarm}']"),
        Duration::from_secs(5),
    )
    .await;
    f.goto("/queue?owner=none").await;
    f.wait_for("#queue tbody .empty", Duration::from_secs(5))
        .await;

    // An incident's assignee, set from its page.
    let inc = f
        .post(
            ADMIN,
            "/api/v1/incidents",
            serde_json::json!({"tenant": "alpha", "title": "Assign me", "severity": "high", "category": "cyber", "sites": [], "alarms": [alarm]}),
        )
        .await;
    let id = inc["incident"]["id"].as_str().unwrap().to_owned();
    f.goto(&format!("/incidents/{id}")).await;
    click(&f, "#assign").await;
    answer(&f, &[("assignee", "petra")]).await;
    until(
        &f,
        "return document.getElementById('incident-assignee').textContent === 'Assignee: petra';",
        Duration::from_secs(5),
        "assigned",
    )
    .await;
    // The linked alarm is named by its rule, not its UUID.
    let linked = f
        .wait_for("#incident-alarms a.alarm-link", Duration::from_secs(5))
        .await;
    until(
        &f,
        &format!(
            "return document.querySelector('#incident-alarms a.alarm-link').textContent.startsWith('{RULE_TITLE}');"
        ),
        Duration::from_secs(5),
        "the linked alarm named",
    )
    .await;
    assert_eq!(
        linked.attr("title").await.unwrap().as_deref(),
        Some(alarm.as_str())
    );
    f.assert_no_console_errors().await;
    f.finish().await;
}
