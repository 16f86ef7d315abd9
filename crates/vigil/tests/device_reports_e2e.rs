//! End to end, the real binary: two fake ONVIF cameras answer
//! `GetDeviceInformation`, which `vigil serve` asks every second here (a
//! day by default). What they say reaches the client's inventory through
//! the API; a firmware that changes under an approved work order is
//! recorded quietly, one that changes without one raises the
//! unplanned-firmware-change alarm.

mod camera;
mod common;

use std::time::Duration;

use camera::FakeCamera;
use common::{Vigil, eventually, sha256_hex};
use reqwest::StatusCode;
use reqwest::blocking::Client;
use serde_json::{Value, json};

const OPERATOR: &str = "vgl_devices_operator_token_0123456789";
const ALPHA: &str = "vgl_devices_alpha_admin_token_0123456789";
const RULE: &str = "vigil-unplanned-firmware-change";
const WAIT: Duration = Duration::from_secs(120);

fn config(planned: &FakeCamera, unplanned: &FakeCamera) -> String {
    format!(
        r#"
data_dir = "data"
listen = "127.0.0.1:0"

[[tenants]]
id = "alpha"
name = "Alpha Water"
sites = [{{ id = "hq", name = "Head office" }}]

[[tokens]]
name = "operator"
role = "provider_operator"
token_sha256 = "{operator}"

[[tokens]]
name = "alpha-admin"
role = "client_admin"
tenant = "alpha"
token_sha256 = "{alpha}"

[[sources]]
id = "alpha-cameras"
tenant = "alpha"
site = "hq"
kind = "onvif_push"
product = "onvif"
token_sha256 = "{token}"
[sources.onvif]
device_info_secs = 1
[[sources.onvif.cameras]]
id = "cam-7"
device_url = "{planned}"
username = "{user}"
[[sources.onvif.cameras]]
id = "cam-8"
device_url = "{unplanned}"
username = "{user}"
"#,
        operator = sha256_hex(OPERATOR),
        alpha = sha256_hex(ALPHA),
        token = "0".repeat(64),
        planned = planned.device_url(),
        unplanned = unplanned.device_url(),
        user = camera::USER,
    )
}

#[test]
fn cameras_report_their_firmware_and_an_unplanned_change_raises_an_alarm() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let planned = runtime.block_on(FakeCamera::start());
    let unplanned = runtime.block_on(FakeCamera::start());
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("vigil.toml"), config(&planned, &unplanned)).unwrap();
    let mut server = Vigil::start(dir.path(), &["serve", "--config", "vigil.toml"]);
    let line = server.wait_for_line("vigil serving on", WAIT);
    let addr = line
        .rsplit([' ', '/'])
        .find(|part| part.contains(':'))
        .expect("address")
        .to_owned();
    let url = format!("http://{addr}");
    let http = Client::builder()
        .timeout(Duration::from_secs(60))
        .build()
        .unwrap();
    let get = |path: &str, token: &str| -> Value {
        let r = http
            .get(format!("{url}{path}"))
            .bearer_auth(token)
            .send()
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK, "{path}");
        r.json().unwrap()
    };
    let post = |path: &str, token: &str, body: Value| -> Value {
        let r = http
            .post(format!("{url}{path}"))
            .bearer_auth(token)
            .json(&body)
            .send()
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK, "{path}");
        r.json().unwrap()
    };
    let firmware_of = |device: &str| -> Option<String> {
        let inventory = get("/api/v1/estate/alpha/inventory", ALPHA);
        inventory["devices"]
            .as_array()?
            .iter()
            .find(|d| d["device"]["id"] == device)
            .and_then(|d| d["device"]["firmware"].as_str().map(str::to_owned))
    };
    let alarms_for = |device: &str| -> Vec<Value> {
        let list = get(
            "/api/v1/alarms?tenant=alpha&status=new,acknowledged,in_progress,closed",
            OPERATOR,
        );
        list["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|a| {
                a["rule_id"] == RULE && a["rule_title"].as_str().unwrap_or("").contains(device)
            })
            .cloned()
            .collect()
    };

    // Both cameras say what they are: added to the inventory as reported.
    for device in ["cam-7", "cam-8"] {
        eventually(&format!("{device} in the inventory"), WAIT, || {
            (firmware_of(device).as_deref() == Some("10.12.1")).then_some(())
        });
    }
    let inventory = get("/api/v1/estate/alpha/inventory", ALPHA);
    let cam = inventory["devices"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["device"]["id"] == "cam-7")
        .unwrap();
    assert_eq!(cam["device"]["vendor"], "AXIS", "{cam}");
    assert_eq!(cam["device"]["model"], "P3245-V", "{cam}");
    assert_eq!(cam["device"]["serial"], planned.serial().as_str(), "{cam}");
    assert_eq!(cam["device"]["kind"], "camera", "{cam}");

    // cam-7's upgrade is planned and approved by the client: no alarm.
    let now = chrono::Utc::now();
    let plan = json!({
        "kind": "firmware_upgrade",
        "description": "cam-7 to 10.13.0",
        "starts_at": now - chrono::Duration::minutes(5),
        "ends_at": now + chrono::Duration::hours(2),
        "devices": [{"site": "hq", "device": "cam-7"}],
        "approver": "alpha-admin",
    });
    let order = post("/api/v1/estate/alpha/work-orders", OPERATOR, plan);
    let id = order["work_order"]["id"].as_str().unwrap().to_owned();
    post(
        &format!("/api/v1/estate/alpha/work-orders/{id}/approve"),
        ALPHA,
        json!({}),
    );
    *planned.firmware.lock().unwrap() = "10.13.0".into();
    eventually("cam-7's new firmware recorded", WAIT, || {
        (firmware_of("cam-7").as_deref() == Some("10.13.0")).then_some(())
    });

    // cam-8 changes with no work order: the alarm is raised. Reports reach
    // the desk one at a time, in order, so cam-7's was handled first.
    *unplanned.firmware.lock().unwrap() = "10.14.2".into();
    let alarm = eventually("the unplanned-change alarm", WAIT, || {
        alarms_for("cam-8").into_iter().next()
    });
    assert_eq!(alarm["tenant"], "alpha", "{alarm}");
    assert!(
        alarm["rule_title"]
            .as_str()
            .unwrap()
            .contains("10.12.1 → 10.14.2"),
        "{alarm}"
    );
    assert_eq!(firmware_of("cam-8").as_deref(), Some("10.14.2"));
    assert!(
        alarms_for("cam-7").is_empty(),
        "the approved upgrade raised no alarm"
    );
    assert!(*planned.device_asked.lock().unwrap() >= 2);
    drop(server);
}
