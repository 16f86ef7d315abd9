//! A site's estate page in a real browser (the fixture of
//! `console_browser.rs`): an advisory imported and an inventory loaded
//! through the API, the page shows the affected device with the advisory
//! (its link, CVE, what to do), the device past its end of support, the
//! one outside the affected range as clear, and the maintenance calendar
//! with a planned, an approved and a failed work order; another client's
//! viewer sees "not found"; the page fits a phone's screen.
//!
//! Without `chromedriver` the tests say they are skipped, except under
//! `CI=true`, where they fail.

mod browser;
mod common;

use std::time::Duration;

use chrono::{Days, Utc};
use serde_json::{Value, json};
use thirtyfour::prelude::*;

use browser::layout::{overflowing, viewport};
use browser::*;

const ALPHA_ADMIN: &str = "vgl_console_test_alpha_admin_0123456789";

/// Alpha's administrator, who approves its work orders.
fn alpha_admin_token() -> String {
    format!(
        "[[tokens]]\nname = \"alpha-admin\"\nrole = \"client_admin\"\ntenant = \"alpha\"\ntoken_sha256 = \"{}\"\n",
        common::sha256_hex(ALPHA_ADMIN)
    )
}

/// A small advisory of our own making (a made-up vendor, so that the test
/// needs no corpus): Door Controller X before V2.4 is affected, V2.4 fixes.
fn advisory() -> Value {
    json!({
        "document": {
            "category": "csaf_security_advisory",
            "csaf_version": "2.0",
            "title": "Example Door Controller X authentication bypass",
            "publisher": {"category": "vendor", "name": "Example PSIRT", "namespace": "https://example.invalid"},
            "tracking": {
                "id": "EX-2024-07",
                "initial_release_date": "2024-03-01T10:00:00Z",
                "current_release_date": "2024-03-02T10:00:00Z",
                "status": "final",
                "version": "1"
            },
            "references": [
                {"category": "self", "summary": "JSON", "url": "https://example.invalid/ex-2024-07.json"},
                {"category": "self", "summary": "Web", "url": "https://example.invalid/advisories/ex-2024-07"}
            ]
        },
        "product_tree": {"branches": [{
            "category": "vendor", "name": "Example Inc.",
            "branches": [{"category": "product_name", "name": "Door Controller X",
                "branches": [
                    {"category": "product_version_range", "name": "<V2.4",
                     "product": {"name": "Example Door Controller X <V2.4", "product_id": "CSAFPID-0001"}},
                    {"category": "product_version", "name": "V2.4",
                     "product": {"name": "Example Door Controller X V2.4", "product_id": "CSAFPID-0002"}}
                ]}]
        }]},
        "vulnerabilities": [{
            "cve": "CVE-2024-99901",
            "product_status": {"known_affected": ["CSAFPID-0001"], "fixed": ["CSAFPID-0002"]},
            "scores": [{"products": ["CSAFPID-0001"], "cvss_v3": {
                "version": "3.1", "vectorString": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
                "baseScore": 9.8, "baseSeverity": "CRITICAL"}}],
            "remediations": [{"category": "vendor_fix", "details": "Update to firmware V2.4",
                "product_ids": ["CSAFPID-0001"], "url": "https://example.invalid/fix"}]
        }]
    })
}

/// Alpha's plant: the lobby door's controller inside the affected range
/// and past its end of support, the pump hall's at the fixed version.
fn inventory() -> String {
    let today = Utc::now().date_naive();
    let ago = |days| today - Days::new(days);
    let ahead = |days| today + Days::new(days);
    format!(
        "site,device_id,kind,vendor,model,serial,firmware,installed,warranty_until,end_of_support,zone\n\
         plant,D-1,controller,Example Inc.,Door Controller X,SN-1001,V2.3,{},{},{},lobby\n\
         plant,D-2,controller,Example Inc.,Door Controller X,SN-1002,V2.4,{},{},{},pumps\n",
        ago(2000),
        ago(900),
        ago(30),
        ago(300),
        ahead(800),
        ahead(2000),
    )
}

async fn post_text(f: &Fixture, token: &str, path: &str, body: String) -> Value {
    let resp = f
        .http
        .post(format!("{}{path}", f.base))
        .bearer_auth(token)
        .header("content-type", "text/csv")
        .body(body)
        .send()
        .await
        .unwrap();
    let status = resp.status();
    let body: Value = resp.json().await.unwrap_or(Value::Null);
    assert!(status.is_success(), "POST {path}: {status} {body}");
    body
}

/// Plans a work order on `device` starting `days` from now; its id.
async fn plan(f: &Fixture, kind: &str, what: &str, device: &str, days: i64) -> String {
    let start = Utc::now() + chrono::Duration::days(days);
    let body = f
        .post(
            ADMIN,
            "/api/v1/estate/alpha/work-orders",
            json!({
                "kind": kind,
                "description": what,
                "starts_at": start.to_rfc3339(),
                "ends_at": (start + chrono::Duration::hours(3)).to_rfc3339(),
                "devices": [{"site": "plant", "device": device}],
                "approver": "alpha-admin",
            }),
        )
        .await;
    body["work_order"]["id"].as_str().unwrap().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_estate_page_shows_affected_devices_and_the_maintenance_calendar() {
    if !browser_present() {
        return;
    }
    let _one = ONE_AT_A_TIME.lock().await;
    let f = Fixture::start_with("estate", &alpha_admin_token()).await;

    let imported = f.post(ADMIN, "/api/v1/advisories", advisory()).await;
    assert_eq!(imported["added"], 1, "{imported}");
    let loaded = post_text(&f, ADMIN, "/api/v1/estate/alpha/inventory", inventory()).await;
    // D-1 and D-2 are on the site's floor plan, so the node's start-up put
    // them in the inventory already (from configuration): the file updates
    // them with vendor, model and firmware.
    assert_eq!(loaded["devices"], 2, "{loaded}");
    assert_eq!(loaded["updated"], 2, "{loaded}");
    let upgrade = plan(&f, "firmware_upgrade", "Lobby controller to V2.4", "D-1", 2).await;
    let check = plan(
        &f,
        "preventive_maintenance",
        "Pump hall door service",
        "D-2",
        1,
    )
    .await;
    let config = plan(
        &f,
        "configuration_change",
        "Pump hall door schedule",
        "D-2",
        3,
    )
    .await;
    for id in [&check, &config] {
        f.post(
            ALPHA_ADMIN,
            &format!("/api/v1/estate/alpha/work-orders/{id}/approve"),
            json!({}),
        )
        .await;
    }
    f.post(
        ADMIN,
        &format!("/api/v1/estate/alpha/work-orders/{check}/outcome"),
        json!({"status": "failed", "note": "Spare part missing"}),
    )
    .await;

    f.login(ADMIN).await;
    // Reachable from the site's plan.
    f.goto("/sites/alpha/plant").await;
    f.wait_for("#estate-link", Duration::from_secs(10))
        .await
        .click()
        .await
        .unwrap();
    let row = f
        .wait_for(
            "#inventory tr[data-device='D-1'][data-affected='true']",
            Duration::from_secs(10),
        )
        .await;
    assert!(
        f.driver()
            .current_url()
            .await
            .unwrap()
            .path()
            .ends_with("/sites/alpha/plant/estate")
    );
    let text = row.text().await.unwrap();
    for want in [
        "Door Controller X",
        "SN-1001",
        "V2.3",
        "past end of support",
        "1 advisory",
    ] {
        assert!(text.contains(want), "{want} in {text}");
    }
    let link = row
        .find(By::Css("a.plan-link"))
        .await
        .unwrap()
        .attr("href")
        .await
        .unwrap()
        .unwrap_or_default();
    assert_eq!(link, "/sites/alpha/plant?device=D-1");
    // The fixed one is clear.
    let clear = f
        .wait_for("#inventory tr[data-device='D-2']", Duration::from_secs(5))
        .await;
    assert_eq!(
        clear.attr("data-affected").await.unwrap().as_deref(),
        Some("false")
    );
    assert!(clear.text().await.unwrap().contains("none known"));

    // The advisory: its web page (not its JSON), CVE, score, the fix.
    let finding = f
        .wait_for(
            "#findings li.advisory[data-advisory='EX-2024-07'][data-device='D-1']",
            Duration::from_secs(5),
        )
        .await;
    let text = finding.text().await.unwrap();
    for want in [
        "authentication bypass",
        "CVE-2024-99901",
        "CVSS 9.8",
        "Vendor fix: Update to firmware V2.4",
        "2024-03-01",
    ] {
        assert!(text.contains(want), "{want} in {text}");
    }
    let href = finding
        .find(By::Css("a.advisory-id"))
        .await
        .unwrap()
        .attr("href")
        .await
        .unwrap();
    assert_eq!(
        href.as_deref(),
        Some("https://example.invalid/advisories/ex-2024-07")
    );
    assert!(
        f.try_wait_for("#findings [data-device='D-2']", Duration::from_millis(200))
            .await
            .is_none(),
        "the device at the fixed version has no findings"
    );

    // The calendar and the list: each order in its state.
    for (id, status) in [
        (&upgrade, "planned"),
        (&check, "failed"),
        (&config, "approved"),
    ] {
        f.wait_for(
            &format!("#calendar a.wo.wo-{status}[data-work-order='{id}']"),
            Duration::from_secs(5),
        )
        .await;
        let row = f
            .wait_for(
                &format!("#work-orders tr[data-work-order='{id}'][data-status='{status}']"),
                Duration::from_secs(5),
            )
            .await;
        let text = row.text().await.unwrap();
        assert!(text.contains("alpha-admin"), "{text}");
    }
    let failed = f
        .wait_for(
            &format!("#work-orders tr[data-work-order='{check}']"),
            Duration::from_secs(5),
        )
        .await
        .text()
        .await
        .unwrap();
    assert!(failed.contains("Spare part missing"), "{failed}");
    f.screenshot("1-estate").await;

    // A phone: nothing runs off the screen.
    viewport(&f, 390, 844).await;
    f.goto("/sites/alpha/plant/estate").await;
    f.wait_for("#inventory tr[data-device='D-1']", Duration::from_secs(10))
        .await;
    f.screenshot("2-estate-phone").await;
    let off = overflowing(&f).await;
    assert!(off.is_empty(), "off the screen at 390x844: {off:#?}");
    viewport(&f, 1920, 1080).await;
    f.assert_no_console_errors().await;

    // Another client's viewer: not found, nothing of alpha's.
    f.logout().await;
    f.login(VIEWER_B).await;
    f.goto("/sites/alpha/plant/estate").await;
    let empty = f.wait_for("#no-data", Duration::from_secs(10)).await;
    assert!(empty.text().await.unwrap().contains("Not found"));
    assert!(
        f.try_wait_for("#inventory", Duration::from_millis(200))
            .await
            .is_none()
    );
    f.finish().await;
}
