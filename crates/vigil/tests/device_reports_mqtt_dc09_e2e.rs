//! End to end, the real binary, the two other ways devices report
//! themselves: Sparkplug B births published to the real Mosquitto at
//! `VIGIL_TEST_MQTT_URL` (an edge node's NBIRTH and a device's DBIRTH with
//! `Properties/…` metrics), and an alarm panel's account heard by the DC-09
//! receiver from a real dialler (`dc09_spt`, from the Python package
//! index). What the births say is in the client's inventory through the
//! API; a later birth with another firmware raises the
//! unplanned-firmware-change alarm unless an approved work order covers
//! it. The panel, named by the configuration, is on record before it dials
//! and its report adds nothing.

mod common;

use std::process::Command;
use std::time::Duration;

use common::{Vigil, eventually, sha256_hex};
use prost::Message;
use reqwest::StatusCode;
use reqwest::blocking::Client;
use rumqttc::{AsyncClient, MqttOptions, QoS};
use serde_json::{Value, json};
use vigil_sources::mqtt::broker_address;
use vigil_sources::mqtt::sparkplug::Payload;
use vigil_sources::mqtt::sparkplug::proto::{DataType, Metric, MetricValue};

const OPERATOR: &str = "vgl_reports_mqtt_operator_token_01234";
const ALPHA: &str = "vgl_reports_mqtt_alpha_admin_token_0123";
const RULE: &str = "vigil-unplanned-firmware-change";
const WAIT: Duration = Duration::from_secs(120);

/// The dialler: one SIA DC-03 burglary alarm of account 4001 over TCP.
const DIALLER: &str = r#"
import sys, logging
logging.disable(logging.CRITICAL)
host, port = sys.argv[1], int(sys.argv[2])
from dc09_spt import dc09_spt as d
from dc09_spt.comm.transpath import TransPath
from dc09_spt.msg.dc03_msg import dc03_msg
print(d.dc09_spt('4001').transfer_msg(1, 'SIA-DCS', dc03_msg.dc03event('4001', {'code': 'BA', 'zone': '2'}), TransPath(host, port, '4001', type='tcp')))
"#;

fn broker() -> Option<String> {
    std::env::var("VIGIL_TEST_MQTT_URL")
        .ok()
        .filter(|u| !u.is_empty())
}

/// Whether the test may go without `what`: not under CI.
fn skip(what: &str) {
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "{what} is required under CI=true"
    );
    eprintln!("skipped: no {what}");
}

fn dialler_available() -> bool {
    Command::new("python3")
        .args(["-c", "import dc09_spt.dc09_spt"])
        .output()
        .is_ok_and(|o| o.status.success())
}

/// A TCP port free right now (the receiver binds it next).
fn free_port() -> u16 {
    let tcp = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    tcp.local_addr().expect("addr").port()
}

fn config(mqtt: &str, group: &str, run: &str, dc09_port: u16) -> String {
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
id = "alpha-sensors"
tenant = "alpha"
site = "hq"
kind = "mqtt"
product = "sparkplug"
[sources.mqtt]
url = "{mqtt}"
topics = ["spBv1.0/{group}/#"]
client_id = "vigil-e2e-{run}"

[[sources]]
id = "alpha-arc"
tenant = "alpha"
site = "hq"
kind = "dc09_tcp"
product = "sia-dc09"
listen = "127.0.0.1:{dc09_port}"
[[sources.dc09.accounts]]
account = "4001"
"#,
        operator = sha256_hex(OPERATOR),
        alpha = sha256_hex(ALPHA),
    )
}

fn string(name: &str, value: &str) -> Metric {
    Metric {
        name: Some(name.to_owned()),
        datatype: Some(DataType::String as u32),
        value: Some(MetricValue::StringValue(value.to_owned())),
        ..Default::default()
    }
}

/// A birth certificate saying what the node or device is.
fn birth(firmware: &str, serial: &str, seq: u64) -> Vec<u8> {
    Payload {
        timestamp: Some(chrono::Utc::now().timestamp_millis() as u64),
        metrics: vec![
            Metric {
                name: Some("bdSeq".into()),
                datatype: Some(DataType::Int64 as u32),
                value: Some(MetricValue::LongValue(0)),
                ..Default::default()
            },
            string("Properties/Hardware Make", "Moxa"),
            string("Properties/Hardware Model", "UC-8200"),
            string("Properties/FW", firmware),
            string("Properties/Serial", serial),
            string("Properties/OS Version", "Debian 12"),
        ],
        seq: Some(seq),
        ..Default::default()
    }
    .encode_to_vec()
}

struct Api {
    http: Client,
    base: String,
}

impl Api {
    fn get(&self, path: &str, token: &str) -> Value {
        let r = self
            .http
            .get(format!("{}{path}", self.base))
            .bearer_auth(token)
            .send()
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK, "{path}");
        r.json().unwrap()
    }

    fn post(&self, path: &str, token: &str, body: Value) -> Value {
        let r = self
            .http
            .post(format!("{}{path}", self.base))
            .bearer_auth(token)
            .json(&body)
            .send()
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK, "{path}");
        r.json().unwrap()
    }

    fn device(&self, id: &str) -> Option<Value> {
        let inventory = self.get("/api/v1/estate/alpha/inventory", ALPHA);
        inventory["devices"]
            .as_array()?
            .iter()
            .find(|d| d["device"]["id"] == id)
            .map(|d| d["device"].clone())
    }

    fn firmware_of(&self, id: &str) -> Option<String> {
        self.device(id)
            .and_then(|d| d["firmware"].as_str().map(str::to_owned))
    }

    fn alarms_for(&self, device: &str) -> Vec<Value> {
        let list = self.get(
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
    }

    fn changes_of(&self, device: &str) -> Vec<Value> {
        self.get(
            &format!("/api/v1/estate/alpha/inventory/changes?device={device}"),
            ALPHA,
        )["items"]
            .as_array()
            .unwrap()
            .clone()
    }
}

fn serve(dir: &std::path::Path) -> (Vigil, Api) {
    let mut server = Vigil::start(dir, &["serve", "--config", "vigil.toml"]);
    let line = server.wait_for_line("vigil serving on", WAIT);
    let addr = line
        .rsplit([' ', '/'])
        .find(|part| part.contains(':'))
        .expect("address")
        .to_owned();
    let http = Client::builder()
        .timeout(Duration::from_secs(60))
        .build()
        .unwrap();
    (
        server,
        Api {
            http,
            base: format!("http://{addr}"),
        },
    )
}

#[test]
fn sparkplug_births_and_a_dc09_panel_reach_the_inventory() {
    let Some(mqtt) = broker() else {
        skip("MQTT broker (VIGIL_TEST_MQTT_URL)");
        return;
    };
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    let run = format!("{}-{nanos}", std::process::id());
    let group = format!("vigil-e2e-{run}");
    let dc09_port = free_port();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("vigil.toml"),
        config(&mqtt, &group, &run, dc09_port),
    )
    .unwrap();
    let (server, api) = serve(dir.path());

    let runtime = tokio::runtime::Runtime::new().unwrap();
    let (host, port) = broker_address(&mqtt).unwrap();
    let (client, mut eventloop) =
        AsyncClient::new(MqttOptions::new(format!("gateways-{run}"), host, port), 64);
    runtime.spawn(async move { while eventloop.poll().await.is_ok() {} });
    let publish = |topic: String, payload: Vec<u8>| {
        runtime
            .block_on(client.publish(topic, QoS::AtLeastOnce, false, payload))
            .unwrap();
    };
    let nbirth = format!("spBv1.0/{group}/NBIRTH/gw-1");
    let dbirth = format!("spBv1.0/{group}/DBIRTH/gw-1/meter-1");
    let mut seq = 0;
    let mut next = || {
        seq += 1;
        seq % 256
    };

    // The edge node and its device say what they are. Vigil subscribes
    // when it starts, so the births are sent again until they are heard
    // (the same birth again changes nothing).
    eventually("gw-1 and meter-1 in the inventory", WAIT, || {
        publish(nbirth.clone(), birth("4.1.0", "GW-0001", 0));
        publish(dbirth.clone(), birth("1.2.0", "MT-0001", next()));
        std::thread::sleep(Duration::from_millis(500));
        (api.firmware_of("gw-1").as_deref() == Some("4.1.0")
            && api.firmware_of("meter-1").as_deref() == Some("1.2.0"))
        .then_some(())
    });
    let gw = api.device("gw-1").unwrap();
    assert_eq!(gw["vendor"], "Moxa", "{gw}");
    assert_eq!(gw["model"], "UC-8200", "{gw}");
    assert_eq!(gw["serial"], "GW-0001", "{gw}");
    assert_eq!(gw["kind"], "sensor_gateway", "{gw}");
    let meter = api.device("meter-1").unwrap();
    assert_eq!(meter["serial"], "MT-0001", "{meter}");
    let added = api.changes_of("gw-1");
    assert_eq!(
        added.len(),
        1,
        "the births sent again changed nothing: {added:?}"
    );
    assert_eq!(added[0]["origin"]["origin"], "device_report", "{added:?}");
    assert_eq!(added[0]["origin"]["protocol"], "sparkplug", "{added:?}");
    assert_eq!(added[0]["by"], "system:source:alpha-sensors", "{added:?}");

    // meter-1's upgrade is planned and approved by the client: no alarm.
    let now = chrono::Utc::now();
    let plan = json!({
        "kind": "firmware_upgrade",
        "description": "meter-1 to 1.3.0",
        "starts_at": now - chrono::Duration::minutes(5),
        "ends_at": now + chrono::Duration::hours(2),
        "devices": [{"site": "hq", "device": "meter-1"}],
        "approver": "alpha-admin",
    });
    let order = api.post("/api/v1/estate/alpha/work-orders", OPERATOR, plan);
    let id = order["work_order"]["id"].as_str().unwrap().to_owned();
    api.post(
        &format!("/api/v1/estate/alpha/work-orders/{id}/approve"),
        ALPHA,
        json!({}),
    );
    publish(dbirth.clone(), birth("1.3.0", "MT-0001", next()));
    eventually("meter-1's new firmware recorded", WAIT, || {
        (api.firmware_of("meter-1").as_deref() == Some("1.3.0")).then_some(())
    });

    // The edge node reboots with another firmware and no work order: the
    // alarm is raised. Reports reach the desk in order, so meter-1's was
    // handled first.
    publish(nbirth.clone(), birth("4.2.0", "GW-0001", 0));
    let alarm = eventually("the unplanned-change alarm", WAIT, || {
        api.alarms_for("gw-1").into_iter().next()
    });
    assert_eq!(alarm["tenant"], "alpha", "{alarm}");
    assert!(
        alarm["rule_title"]
            .as_str()
            .unwrap()
            .contains("4.1.0 → 4.2.0"),
        "{alarm}"
    );
    assert_eq!(api.firmware_of("gw-1").as_deref(), Some("4.2.0"));
    assert!(
        api.alarms_for("meter-1").is_empty(),
        "the approved upgrade raised no alarm"
    );

    // An alarm panel dials in. The receiver accepts only the accounts the
    // configuration names, so its panel is on record from the start (origin
    // `configuration`); the first frame reports it through DC-09 with
    // nothing but its id (DC-09 carries no make, model or firmware), which
    // finds it known and records no second change.
    let configured = api.changes_of("panel-4001");
    assert_eq!(configured.len(), 1, "{configured:?}");
    assert_eq!(configured[0]["origin"]["origin"], "configuration");
    if !dialler_available() {
        skip("python3 with dc09_spt");
        return;
    }
    let script = dir.path().join("dialler.py");
    std::fs::write(&script, DIALLER).unwrap();
    let out = Command::new("python3")
        .arg(&script)
        .args(["127.0.0.1", &dc09_port.to_string()])
        .output()
        .expect("python3");
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && said.contains("True"),
        "dialler: {said} {}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The receiver queued the panel's report before it acknowledged the
    // frame, and reports reach the desk in order: once a birth sent after
    // the dialler is recorded, the panel's report was handled.
    publish(dbirth.clone(), birth("1.3.0", "MT-0002", next()));
    eventually("meter-1's new serial recorded", WAIT, || {
        (api.device("meter-1")?["serial"] == "MT-0002").then_some(())
    });
    let panel = api.device("panel-4001").expect("panel-4001");
    assert_eq!(panel["kind"], "panel", "{panel}");
    assert_eq!(panel["site"], "hq", "{panel}");
    assert_eq!(panel["source"], "alpha-arc", "{panel}");
    assert_eq!(api.changes_of("panel-4001"), configured);
    drop(server);
}
