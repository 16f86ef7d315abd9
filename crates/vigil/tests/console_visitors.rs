//! The visitor pages in a real browser (the fixture of
//! `console_browser.rs`): the client's administrator pre-registers a
//! visitor and approves the visit on `/visitors`; the front desk (provider
//! staff) signs the visitor in with a document, and the site's roll call
//! lists them at the front desk, printable (the print style keeps only the
//! list); a badge is issued and the visitor signed out, after which the
//! roll call is empty and the API says the visit is over.
//!
//! Without `chromedriver` the tests say they are skipped, except under
//! `CI=true`, where they fail.

mod browser;
mod common;

use std::time::Duration;

use serde_json::json;
use thirtyfour::extensions::cdp::ChromeDevTools;
use thirtyfour::prelude::*;

use browser::wait::until;
use browser::*;

const ALPHA_ADMIN: &str = "vgl_console_test_alpha_admin_0123456789";
const VISITOR: &str = "Jana Novak";

fn alpha_admin_token() -> String {
    format!(
        "[[tokens]]\nname = \"alpha-admin\"\nrole = \"client_admin\"\ntenant = \"alpha\"\ntoken_sha256 = \"{}\"\n",
        common::sha256_hex(ALPHA_ADMIN)
    )
}

/// The visit's row on `/visitors` once it is in `state`.
fn row(state: &str) -> String {
    format!("#visits tr[data-state='{state}']")
}

/// Answers the open prompt: `fields` typed into their inputs, then OK.
async fn answer(f: &Fixture, fields: &[(&str, &str)]) {
    for (name, value) in fields {
        f.wait_for(
            &format!("#prompt[open] [name='{name}']"),
            Duration::from_secs(5),
        )
        .await
        .send_keys(*value)
        .await
        .unwrap();
    }
    f.driver()
        .find(By::Css("#prompt[open] button[value='ok']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
}

/// Clicks `button` in the visit's row in `state`, and waits for the row to
/// reach `next` after answering the prompt with `fields`.
async fn step(f: &Fixture, state: &str, button: &str, fields: &[(&str, &str)], next: &str) {
    f.wait_for(
        &format!("{} button.{button}", row(state)),
        Duration::from_secs(10),
    )
    .await
    .click()
    .await
    .unwrap();
    if !fields.is_empty() {
        answer(f, fields).await;
    }
    f.wait_for(&row(next), Duration::from_secs(10)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_visit_from_pre_registration_to_sign_out_with_the_roll_call() {
    if !browser_present() {
        return;
    }
    let _one = ONE_AT_A_TIME.lock().await;
    let f = Fixture::start_with("visitors", &alpha_admin_token()).await;

    // The host (here the client's administrator) pre-registers: a window
    // from a minute ago to two hours ahead, in the browser's own zone.
    f.login(ALPHA_ADMIN).await;
    f.goto("/visitors").await;
    f.wait_for("#visit-register", Duration::from_secs(10))
        .await
        .click()
        .await
        .unwrap();
    f.wait_for("#prompt[open] [name='site']", Duration::from_secs(5))
        .await;
    f.driver()
        .execute(
            r##"
const pad = (n) => String(n).padStart(2, "0");
const local = (d) => `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
const now = Date.now();
document.querySelector("#prompt [name='start']").value = local(new Date(now - 60000));
document.querySelector("#prompt [name='end']").value = local(new Date(now + 2 * 3600000));
"##,
            vec![],
        )
        .await
        .unwrap();
    answer(
        &f,
        &[
            ("site", "plant"),
            ("visitor_name", VISITOR),
            ("company", "Acme Lifts"),
            ("purpose", "Lift inspection"),
            ("host", "P-100"),
            ("zones", "lobby"),
        ],
    )
    .await;
    let waiting = f
        .wait_for(&row("pre_registered"), Duration::from_secs(10))
        .await;
    let text = waiting.text().await.unwrap();
    assert!(
        text.contains(VISITOR) && text.contains("waiting for approval"),
        "{text}"
    );
    // Only the approver's buttons: no desk steps for the client.
    assert!(
        f.try_wait_for("button.arrive", Duration::from_millis(200))
            .await
            .is_none()
    );
    step(&f, "pre_registered", "approve", &[], "approved").await;
    f.screenshot("1-approved").await;
    f.assert_no_console_errors().await;
    f.logout().await;

    // The front desk signs the visitor in.
    f.login(ADMIN).await;
    f.goto("/visitors").await;
    step(
        &f,
        "approved",
        "arrive",
        &[("number", "X1234567")],
        "arrived",
    )
    .await;

    // On the roll call, at the front desk (no badge used yet), printable.
    f.goto("/sites/alpha/plant/roll-call").await;
    let line = f
        .wait_for(
            "#roll-call tr[data-kind='visitor']",
            Duration::from_secs(10),
        )
        .await;
    let text = line.text().await.unwrap();
    assert!(
        text.contains(VISITOR) && text.contains("front desk") && text.contains("P-100"),
        "{text}"
    );
    f.wait_for("#print", Duration::from_secs(5)).await;
    let cdp = ChromeDevTools::new(f.driver().handle.clone());
    cdp.execute_cdp_with_params("Emulation.setEmulatedMedia", json!({"media": "print"}))
        .await
        .unwrap();
    until(
        &f,
        r##"const shown = (q) => { const e = document.querySelector(q); return !!e && e.getClientRects().length > 0; };
return !shown("header.bar") && !shown("#print") && shown("#roll-call") && shown("#roll-call td.tick");"##,
        Duration::from_secs(5),
        "the print view keeps only the list",
    )
    .await;
    f.screenshot("2-roll-call-print").await;
    cdp.execute_cdp_with_params("Emulation.setEmulatedMedia", json!({"media": ""}))
        .await
        .unwrap();

    // A badge, then the sign-out.
    f.goto("/visitors").await;
    step(&f, "arrived", "badge", &[("badge", "V-17")], "badge_issued").await;
    let text = f
        .wait_for(&row("badge_issued"), Duration::from_secs(5))
        .await
        .text()
        .await
        .unwrap();
    assert!(text.contains("V-17"), "{text}");
    step(&f, "badge_issued", "sign-out", &[], "signed_out").await;
    f.screenshot("3-signed-out").await;

    f.goto("/sites/alpha/plant/roll-call").await;
    f.wait_for("#nobody", Duration::from_secs(10)).await;
    let (_, visits) = f.api(ADMIN, "/api/v1/visits?site=plant").await;
    let visit = visits["visits"]
        .as_array()
        .and_then(|v| v.iter().find(|v| v["visitor"]["name"] == VISITOR))
        .cloned()
        .unwrap_or_default();
    assert_eq!(visit["state"], "signed_out", "{visits}");
    assert_eq!(visit["badge"]["badge"], "V-17", "{visit}");
    f.assert_no_console_errors().await;
    f.finish().await;
}
