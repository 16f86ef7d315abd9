//! Working an alarm in a real browser (headless Chromium over WebDriver, as
//! `console_browser.rs`): the procedure the alarm's type calls for is on the
//! alarm page before acknowledgement, with the client's contacts to call and
//! the rule's own notes, and closing is refused — by the desk, shown on the
//! page — until the steps the client's contract requires are done; a camera
//! alarm shows the picture a fake ONVIF camera (started by the test, a real
//! HTTP exchange with Digest authentication) gave at alarm time.
//!
//! Without `chromedriver` the tests say they are skipped, except under
//! `CI=true`, where they fail.

mod browser;
mod camera;
mod common;

use std::time::{Duration, Instant};

use camera::FakeCamera;
use serde_json::Value;
use sha2::{Digest, Sha256};

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
    // The rule's own notes, from the configured folder's rule.
    let notes = f
        .wait_for("#rule-notes", Duration::from_secs(5))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        notes.contains("logon passwords held in LSASS") && notes.contains("Red-team exercises"),
        "{notes}"
    );
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

/// Alpha's cameras: CAM-1 (the fake camera, covering door D-1) and CAM-2,
/// whose media service nobody answers.
fn cameras_config(camera: &FakeCamera, dead_port: u16) -> String {
    format!(
        r#"
[[sources]]
id = "alpha-cameras"
tenant = "alpha"
site = "plant"
kind = "onvif_push"
product = "onvif"
token_sha256 = "{token}"
[sources.onvif]
[[sources.onvif.cameras]]
id = "CAM-1"
zone = "lobby"
covers_door = "D-1"
media_url = "{media}"
username = "{user}"
recording_url = "https://vms.example/play?camera={{camera}}&at={{time}}"
[[sources.onvif.cameras]]
id = "CAM-2"
zone = "pumps"
media_url = "http://127.0.0.1:{dead_port}/onvif/media_service"
"#,
        token = "0".repeat(64),
        media = camera.media_url(),
        user = camera::USER,
    )
}

/// A JPEG drawn by the browser (no picture file in the repository).
async fn jpeg_from_the_browser(f: &Fixture) -> Vec<u8> {
    let script = r##"
        const c = document.createElement("canvas");
        c.width = 160; c.height = 90;
        const g = c.getContext("2d");
        g.fillStyle = "#24527a"; g.fillRect(0, 0, 160, 90);
        g.fillStyle = "#f5a623"; g.fillRect(40, 20, 80, 50);
        const data = atob(c.toDataURL("image/jpeg", 0.8).split(",")[1]);
        return Array.from(data, (ch) => ch.charCodeAt(0));
    "##;
    let value = f
        .driver()
        .execute(script, vec![])
        .await
        .unwrap()
        .json()
        .clone();
    let bytes: Vec<u8> = serde_json::from_value(value).unwrap();
    assert!(bytes.starts_with(&[0xFF, 0xD8, 0xFF]), "a JPEG");
    bytes
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_camera_alarm_shows_the_picture_the_camera_gave_at_alarm_time() {
    if !browser_present() {
        return;
    }
    let _one = ONE_AT_A_TIME.lock().await;
    let camera = FakeCamera::start().await;
    let f = Fixture::start_with("video", &cameras_config(&camera, free_port())).await;
    let jpeg = jpeg_from_the_browser(&f).await;
    *camera.picture.lock().unwrap() = jpeg.clone();
    f.login(ADMIN).await;

    // An alarm about door D-1 (which CAM-1 covers) and camera CAM-2.
    let mut event = dumping_event("ws-cam-1");
    event["door"] = "D-1".into();
    event["camera"] = "CAM-2".into();
    let ingested = Instant::now();
    let outcome = f.ingest(INGEST_A, event).await;
    assert_eq!(outcome["alerts_created"], 1, "{outcome}");
    let id = alarm_on(&f, ADMIN, "ws-cam-1").await;
    let (_, alarm) = f.api(ADMIN, &format!("/api/v1/alarms/{id}")).await;
    assert_eq!(
        alarm["alarm"]["status"], "new",
        "the alarm is raised without waiting for video"
    );

    // Both cameras are recorded: CAM-1's picture, CAM-2's failure.
    let deadline = Instant::now() + Duration::from_secs(30);
    let items = loop {
        let (_, body) = f
            .api(ADMIN, &format!("/api/v1/alarms/{id}/snapshots"))
            .await;
        let items = body["items"].as_array().cloned().unwrap_or_default();
        if items.len() == 2 {
            eprintln!(
                "both cameras recorded {:?} after ingest",
                ingested.elapsed()
            );
            break items;
        }
        assert!(Instant::now() < deadline, "snapshots: {body}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let by = |cam: &str| -> Value {
        items
            .iter()
            .find(|s| s["camera"] == cam)
            .cloned()
            .unwrap_or_default()
    };
    let shot = by("CAM-1");
    assert_eq!(shot["sha256"], hex::encode(Sha256::digest(&jpeg)), "{shot}");
    assert_eq!(shot["size"], jpeg.len());
    assert_eq!(shot["stream_uri"], camera.stream_uri());
    let recording = shot["recording_url"].as_str().unwrap();
    assert!(
        recording.starts_with("https://vms.example/play?camera=CAM-1&at="),
        "{recording}"
    );
    assert!(shot.get("data").is_none(), "listings carry no picture");
    assert!(
        by("CAM-2")["error"].as_str().is_some_and(|e| !e.is_empty()),
        "{items:?}"
    );
    let asked = camera.requests.lock().unwrap().clone();
    assert_eq!(
        asked,
        [
            "GetProfiles",
            "GetSnapshotUri",
            "GetStreamUri",
            "snapshot 401",
            "snapshot 200"
        ],
        "the media calls, then the Digest challenge answered"
    );
    // The picture as served is the camera's, byte for byte.
    let served = f
        .http
        .get(format!("{}/api/v1/alarms/{id}/snapshots/CAM-1", f.base))
        .bearer_auth(ADMIN)
        .send()
        .await
        .unwrap();
    assert_eq!(served.headers()["content-type"], "image/jpeg");
    assert_eq!(served.bytes().await.unwrap().as_ref(), jpeg.as_slice());
    let (status, _) = f
        .api(VIEWER_B, &format!("/api/v1/alarms/{id}/snapshots"))
        .await;
    assert_eq!(
        status,
        reqwest::StatusCode::NOT_FOUND,
        "another client's alarm"
    );

    // The alarm page shows it, loaded.
    f.goto(&format!("/alarms/{id}")).await;
    let img = f
        .wait_for(
            "#video figure[data-camera='CAM-1'] img",
            Duration::from_secs(10),
        )
        .await;
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let width = f
            .driver()
            .execute(
                "return arguments[0].naturalWidth;",
                vec![img.to_json().unwrap()],
            )
            .await
            .unwrap()
            .json()
            .as_u64()
            .unwrap_or(0);
        if width == 160 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the picture did not load (width {width})"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let text = f
        .wait_for("#video", Duration::from_secs(5))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        text.contains("Live stream") && text.contains("Recording at alarm time"),
        "{text}"
    );
    f.wait_for(
        "#video figure[data-camera='CAM-2'] .snapshot-error",
        Duration::from_secs(5),
    )
    .await;
    f.screenshot("1-camera-alarm").await;
    f.assert_no_console_errors().await;
    f.finish().await;
}

/// Whether two rectangles `{x, y, width, height}` overlap.
fn overlap(a: &Value, b: &Value) -> bool {
    let f = |v: &Value, k: &str| v[k].as_f64().unwrap_or(0.0);
    f(a, "x") < f(b, "x") + f(b, "width")
        && f(b, "x") < f(a, "x") + f(a, "width")
        && f(a, "y") < f(b, "y") + f(b, "height")
        && f(b, "y") < f(a, "y") + f(a, "height")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_map_is_at_hand_from_an_alarm_and_a_device_shows_its_alarms() {
    if !browser_present() {
        return;
    }
    let _one = ONE_AT_A_TIME.lock().await;
    let f = Fixture::start("map").await;
    f.login(ADMIN).await;
    let mut event = dumping_event("ws-map-1");
    event["door"] = "D-2".into();
    f.ingest(INGEST_A, event).await;
    let id = alarm_on(&f, ADMIN, "ws-map-1").await;

    // The plan: devices inside their zones; the image served to those who
    // may see the site, and nobody else.
    let (_, plan) = f.api(ADMIN, "/api/v1/sites/alpha/plant/plan").await;
    for d in plan["devices"].as_array().unwrap() {
        let area = plan["areas"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["id"] == d["zone"])
            .unwrap();
        let (x, y) = (d["x"].as_f64().unwrap(), d["y"].as_f64().unwrap());
        let (ax, ay) = (area["x"].as_f64().unwrap(), area["y"].as_f64().unwrap());
        assert!(
            x >= ax
                && x <= ax + area["w"].as_f64().unwrap()
                && y >= ay
                && y <= ay + area["h"].as_f64().unwrap(),
            "{d} outside {area}"
        );
    }
    let image = plan["image"]
        .as_str()
        .expect("the plan has its image")
        .to_owned();
    let served = f
        .http
        .get(format!("{}{image}", f.base))
        .bearer_auth(ADMIN)
        .send()
        .await
        .unwrap();
    assert_eq!(served.headers()["content-type"], "image/svg+xml");
    assert!(
        served.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("sandbox")
    );
    assert_eq!(served.text().await.unwrap(), PLANT_SVG);
    let (status, _) = f.api(VIEWER_B, &image).await;
    assert_eq!(
        status,
        reqwest::StatusCode::NOT_FOUND,
        "another client's site"
    );

    // From the alarm to its device on the plan.
    f.goto(&format!("/alarms/{id}")).await;
    f.wait_for("#on-plan", Duration::from_secs(10))
        .await
        .click()
        .await
        .unwrap();
    f.wait_for(
        "#plan [data-device='D-2'].selected",
        Duration::from_secs(10),
    )
    .await;
    assert!(
        f.driver()
            .current_url()
            .await
            .unwrap()
            .as_str()
            .ends_with("/sites/alpha/plant?device=D-2")
    );
    f.wait_for("#plan image.floor-image", Duration::from_secs(5))
        .await;
    f.wait_for("#kind-legend [data-kind='camera']", Duration::from_secs(5))
        .await;
    // From the device to its alarms.
    let alarms = f
        .wait_for("#device-alarms a", Duration::from_secs(10))
        .await;
    assert_eq!(
        alarms.attr("href").await.unwrap().as_deref(),
        Some(format!("/alarms/{id}").as_str())
    );
    // No label covers another.
    let boxes = f
        .driver()
        .execute(
            "return [...document.querySelectorAll('#plan .device-label')].map((t) => { const b = t.getBBox(); return { x: b.x, y: b.y, width: b.width, height: b.height }; });",
            vec![],
        )
        .await
        .unwrap()
        .json()
        .clone();
    let boxes = boxes.as_array().unwrap();
    assert!(!boxes.is_empty(), "labels are drawn");
    for (i, a) in boxes.iter().enumerate() {
        for b in &boxes[i + 1..] {
            assert!(!overlap(a, b), "labels overlap: {a} {b}");
        }
    }
    f.screenshot("1-plan-from-alarm").await;

    // A crowded plan, through the page's own placement: thirty devices a
    // few units apart; the labels placed cover neither each other nor any
    // device, and stay on the plan.
    let placed = f
        .driver()
        .execute_async(
            r#"
            const done = arguments[arguments.length - 1];
            const app = document.querySelector("script[type=module]").src;
            import(app.replace(/app\.js$/, "site.js")).then(({ placeLabels }) => {
                const devices = [];
                for (let i = 0; i < 30; i++) devices.push({ id: `d${i}`, x: 100 + (i % 6) * 28, y: 100 + Math.floor(i / 6) * 22, text: `Device ${i}` });
                const spots = placeLabels(devices, devices, 8, 12, 400, 300);
                done({ devices, boxes: [...spots.values()].map((p) => p.box) });
            }, (e) => done({ error: String(e) }));
            "#,
            vec![],
        )
        .await
        .unwrap()
        .json()
        .clone();
    assert!(placed["error"].is_null(), "{placed}");
    let boxes: Vec<Value> = placed["boxes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| serde_json::json!({"x": b["x"], "y": b["y"], "width": b["w"], "height": b["h"]}))
        .collect();
    assert!(
        boxes.len() >= 10 && boxes.len() < 30,
        "some placed, some left to hover: {}",
        boxes.len()
    );
    for (i, a) in boxes.iter().enumerate() {
        assert!(
            a["x"].as_f64().unwrap() >= 0.0
                && a["x"].as_f64().unwrap() + a["width"].as_f64().unwrap() <= 400.0
        );
        for b in &boxes[i + 1..] {
            assert!(!overlap(a, b), "labels overlap: {a} {b}");
        }
        for d in placed["devices"].as_array().unwrap() {
            let marker = serde_json::json!({"x": d["x"].as_f64().unwrap() - 8.0, "y": d["y"].as_f64().unwrap() - 8.0, "width": 16.0, "height": 16.0});
            assert!(!overlap(a, &marker), "a label covers device {d}: {a}");
        }
    }

    // The site list agrees with the plan: unknown counted apart from offline.
    let count = |state: &str| {
        plan["devices"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|d| d["state"] == state)
            .count()
            .to_string()
    };
    f.goto("/sites").await;
    let card = "#sites [data-site='alpha/plant']";
    let unknown = f
        .wait_for(
            &format!("{card} [data-count='unknown']"),
            Duration::from_secs(10),
        )
        .await
        .text()
        .await
        .unwrap();
    let offline = f
        .wait_for(
            &format!("{card} [data-count='offline']"),
            Duration::from_secs(5),
        )
        .await
        .text()
        .await
        .unwrap();
    assert_eq!((offline, unknown), (count("offline"), count("unknown")));
    f.screenshot("2-sites").await;
    f.assert_no_console_errors().await;
    f.finish().await;
}
