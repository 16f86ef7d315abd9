//! Working an alarm in a real browser (headless Chromium over WebDriver, as
//! `console_browser.rs`): the procedure the alarm's type calls for is on the
//! alarm page before acknowledgement, with the client's contacts to call and
//! the rule's own notes, and closing is refused — by the desk, shown on the
//! page — until the steps the client's contract requires are done.
//!
//! Without `chromedriver` the tests say they are skipped, except under
//! `CI=true`, where they fail.

mod browser;
mod common;

use std::time::Duration;

use thirtyfour::prelude::*;

use browser::*;

/// Alpha's response plan: one contact, and two steps of the cyber
/// procedure required before an alarm is closed.
const ALPHA_RESPONSE: &str = r#"
[tenants.response]
required_before_close = ["cyber/verify-evidence", "cyber/scope"]
[[tenants.response.contacts]]
name = "Petra Quell"
role = "CISO"
phone = "+49 30 5550142"
"#;

async fn status_of(f: &Fixture, id: &str) -> String {
    let (_, alarm) = f.api(ADMIN, &format!("/api/v1/alarms/{id}")).await;
    alarm["alarm"]["status"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

async fn close_with_verdict(f: &Fixture) {
    f.wait_for("#close:not([disabled])", Duration::from_secs(10))
        .await
        .click()
        .await
        .unwrap();
    f.wait_for("#prompt[open] button[value='ok']", Duration::from_secs(5))
        .await
        .click()
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_procedure_blocks_closing_until_its_required_steps_are_done() {
    if !browser_present() {
        return;
    }
    let _one = ONE_AT_A_TIME.lock().await;
    let f = Fixture::start_with("procedure", ALPHA_RESPONSE).await;
    f.login(ADMIN).await;
    let outcome = f.ingest(INGEST_A, dumping_event("ws-proc-1")).await;
    assert_eq!(outcome["alerts_created"], 1, "{outcome}");
    let id = alarm_on(&f, ADMIN, "ws-proc-1").await;

    // Before acknowledgement: the cyber procedure, the contact to call,
    // what is required before closing, and the rule's notes.
    f.goto(&format!("/alarms/{id}")).await;
    let card = f
        .wait_for("#procedure[data-sop='cyber']", Duration::from_secs(10))
        .await;
    let text = card.text().await.unwrap();
    assert!(
        text.contains("Starts when the alarm is acknowledged"),
        "{text}"
    );
    assert!(
        text.contains("Petra Quell") && text.contains("+49 30 5550142"),
        "{text}"
    );
    let outstanding = f
        .wait_for("#procedure-outstanding", Duration::from_secs(5))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        outstanding.contains("verify-evidence") && outstanding.contains("scope"),
        "{outstanding}"
    );
    f.wait_for("#rule-notes", Duration::from_secs(5)).await;
    f.screenshot("1-procedure-before-ack").await;

    f.wait_for("#ack:not([disabled])", Duration::from_secs(5))
        .await
        .click()
        .await
        .unwrap();
    f.wait_for(
        "#procedure button[data-outcome='done']",
        Duration::from_secs(10),
    )
    .await;
    assert_eq!(status_of(&f, &id).await, "acknowledged");
    // A required step offers no skip.
    let skip = f
        .driver()
        .find_all(By::Css(
            "#procedure li[data-step='verify-evidence'] button[data-outcome='skipped']",
        ))
        .await
        .unwrap();
    assert!(
        skip.is_empty(),
        "a step required before closing cannot be skipped"
    );

    // Closing now is refused by the desk, and the page says which steps.
    close_with_verdict(&f).await;
    let toast = f.wait_for("#toast.bad", Duration::from_secs(5)).await;
    let message = toast.text().await.unwrap();
    assert!(
        message.contains("verify-evidence") && message.contains("scope"),
        "{message}"
    );
    assert_eq!(status_of(&f, &id).await, "acknowledged");
    f.screenshot("2-close-refused").await;

    // Do the two required steps, one after the other.
    for step in ["verify-evidence", "scope"] {
        f.wait_for(
            &format!("#procedure li[data-step='{step}'] button[data-outcome='done']"),
            Duration::from_secs(10),
        )
        .await
        .click()
        .await
        .unwrap();
        f.wait_for(
            &format!("#procedure li.done[data-step='{step}']"),
            Duration::from_secs(10),
        )
        .await;
    }
    assert!(
        f.try_wait_for("#procedure-outstanding", Duration::from_millis(300))
            .await
            .is_none(),
        "nothing is outstanding"
    );
    close_with_verdict(&f).await;
    f.wait_for("#alarm-status.status-closed", Duration::from_secs(10))
        .await;
    assert_eq!(status_of(&f, &id).await, "closed");
    f.screenshot("3-closed").await;

    // The only errors in the log are the refused close's 409.
    let errors = f.console_errors().await;
    assert!(
        errors.iter().all(|e| e.contains("409")),
        "console errors: {errors:#?}"
    );
    f.finish().await;
}
