//! End to end, the real binary: the devices `vigil.toml` names — an ONVIF
//! source's camera, a DC-09 receiver's panel, an access-control reader,
//! the devices of a site's floor plan — are in the client's inventory once
//! `vigil serve` is up, each with its change from `configuration`. A
//! restart with the same file writes no change; a changed file writes only
//! the change; a device taken out of the file stays in the inventory,
//! marked as no longer named; what an import set is never overwritten.

mod common;

use std::path::Path;
use std::time::Duration;

use common::{Vigil, sha256_hex};
use reqwest::StatusCode;
use reqwest::blocking::Client;
use serde_json::Value;

const ADMIN: &str = "vgl_inventory_config_admin_token_0123";
const ALPHA: &str = "vgl_inventory_config_alpha_viewer_012";
const BETA: &str = "vgl_inventory_config_beta_viewer_0123";
const WAIT: Duration = Duration::from_secs(120);

/// The configuration, with the door at `door_x` on the plan and cam-2
/// named or not.
fn config(door_x: u32, with_cam2: bool) -> String {
    let cam2 = if with_cam2 {
        "[[sources.onvif.cameras]]\nid = \"cam-2\"\n"
    } else {
        ""
    };
    format!(
        r#"
data_dir = "data"
listen = "127.0.0.1:0"

[[tenants]]
id = "alpha"
name = "Alpha Water"
[[tenants.sites]]
id = "hq"
name = "Head office"
floor_plan = {{ areas = [{{ id = "lobby", x = 0, y = 0, w = 500, h = 300 }}], devices = [{{ id = "door-1", kind = "door", zone = "lobby", x = {door_x}, y = 40 }}, {{ id = "cam-1", kind = "camera", x = 300, y = 200 }}] }}

[[tenants]]
id = "beta"
name = "Beta"
sites = [{{ id = "plant", name = "Plant" }}]

[[tokens]]
name = "admin"
role = "provider_admin"
token_sha256 = "{admin}"

[[tokens]]
name = "alpha-viewer"
role = "client_viewer"
tenant = "alpha"
token_sha256 = "{alpha}"

[[tokens]]
name = "beta-viewer"
role = "client_viewer"
tenant = "beta"
token_sha256 = "{beta}"

[[sources]]
id = "alpha-cameras"
tenant = "alpha"
site = "hq"
kind = "onvif_push"
product = "onvif"
token_sha256 = "{token}"
[[sources.onvif.cameras]]
id = "cam-1"
zone = "lobby"
{cam2}
[[sources]]
id = "alpha-arc"
tenant = "alpha"
site = "hq"
kind = "dc09_tcp"
product = "sia-dc09"
listen = "127.0.0.1:0"
[[sources.dc09.accounts]]
account = "4001"

[[sources]]
id = "alpha-access"
tenant = "alpha"
site = "hq"
kind = "http"
product = "access"
token_sha256 = "{access}"
[[sources.access.readers]]
id = "r-1"
zone = "lobby"
"#,
        admin = sha256_hex(ADMIN),
        alpha = sha256_hex(ALPHA),
        beta = sha256_hex(BETA),
        token = "0".repeat(64),
        access = "1".repeat(64),
    )
}

/// `vigil serve` in `dir`, and its API's base URL once it serves.
fn serve(dir: &Path) -> (Vigil, String) {
    let mut server = Vigil::start(dir, &["serve", "--config", "vigil.toml"]);
    let line = server.wait_for_line("vigil serving on", WAIT);
    let addr = line
        .rsplit([' ', '/'])
        .find(|part| part.contains(':'))
        .expect("address")
        .to_owned();
    (server, format!("http://{addr}"))
}

fn http() -> Client {
    Client::builder()
        .timeout(Duration::from_secs(60))
        .build()
        .unwrap()
}

fn get(base: &str, path: &str, token: &str) -> Value {
    let r = http()
        .get(format!("{base}{path}"))
        .bearer_auth(token)
        .send()
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK, "{path}");
    r.json().unwrap()
}

fn device<'a>(inventory: &'a Value, id: &str) -> &'a Value {
    inventory["devices"]
        .as_array()
        .and_then(|d| d.iter().find(|d| d["device"]["id"] == id))
        .map(|d| &d["device"])
        .unwrap_or_else(|| panic!("{id} is in the inventory: {inventory}"))
}

fn changes(base: &str) -> Vec<Value> {
    get(base, "/api/v1/estate/alpha/inventory/changes", ALPHA)["items"]
        .as_array()
        .unwrap()
        .clone()
}

#[test]
fn configured_devices_are_in_the_inventory_once_and_changes_only_as_the_file_changes() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("vigil.toml"), config(40, true)).unwrap();
    let (server, base) = serve(dir.path());

    let inventory = get(&base, "/api/v1/estate/alpha/inventory", ALPHA);
    let cam1 = device(&inventory, "cam-1");
    assert_eq!(cam1["kind"], "camera", "{cam1}");
    assert_eq!(cam1["source"], "alpha-cameras", "{cam1}");
    assert_eq!(cam1["site"], "hq", "{cam1}");
    // The zone from the ONVIF section, the coordinates from the plan.
    assert_eq!(cam1["position"]["zone"], "lobby", "{cam1}");
    assert_eq!(cam1["position"]["x"], 300.0, "{cam1}");
    let panel = device(&inventory, "panel-4001");
    assert_eq!(
        (&panel["kind"], &panel["source"]),
        (&Value::from("panel"), &Value::from("alpha-arc"))
    );
    let reader = device(&inventory, "r-1");
    assert_eq!(reader["kind"], "reader", "{reader}");
    let door = device(&inventory, "door-1");
    assert_eq!(door["kind"], "controller", "{door}");
    assert_eq!(door["position"]["x"], 40.0, "{door}");
    assert_eq!(inventory["devices"].as_array().unwrap().len(), 5);

    let first = changes(&base);
    assert_eq!(first.len(), 5, "{first:?}");
    for c in &first {
        assert_eq!(c["origin"]["origin"], "configuration", "{c}");
        assert_eq!(c["what"]["kind"], "added", "{c}");
        assert_eq!(c["by"], "system:configuration", "{c}");
    }
    // One device's history alone, and another client's none of it.
    let only = get(
        &base,
        "/api/v1/estate/alpha/inventory/changes?site=hq&device=cam-1",
        ALPHA,
    );
    assert_eq!(only["items"].as_array().unwrap().len(), 1, "{only}");
    let r = http()
        .get(format!("{base}/api/v1/estate/alpha/inventory/changes"))
        .bearer_auth(BETA)
        .send()
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(
        get(&base, "/api/v1/estate/beta/inventory/changes", BETA)["items"]
            .as_array()
            .unwrap()
            .is_empty()
    );

    // The provider imports what it knows of cam-1: vendor, firmware, serial.
    let csv = "site,device_id,kind,vendor,model,serial,firmware\n\
               hq,cam-1,camera,Axis,P3245-V,ACCC8E000001,10.12.1\n";
    let r = http()
        .post(format!("{base}/api/v1/estate/alpha/inventory"))
        .bearer_auth(ADMIN)
        .header("content-type", "text/csv")
        .body(csv)
        .send()
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK, "{}", r.text().unwrap());
    let imported = changes(&base).len();
    drop(server);

    // A restart with the same file: no change written.
    let (server, base) = serve(dir.path());
    assert_eq!(changes(&base).len(), imported, "{:?}", changes(&base));
    drop(server);

    // The door moved on the plan, cam-2 taken out: those two changes only.
    std::fs::write(dir.path().join("vigil.toml"), config(60, false)).unwrap();
    let (server, base) = serve(dir.path());
    let all = changes(&base);
    let new = &all[imported..];
    assert_eq!(new.len(), 2, "{new:?}");
    let door = new.iter().find(|c| c["device"] == "door-1").expect("door");
    assert_eq!(door["origin"]["origin"], "configuration");
    let fields = door["what"]["fields"].as_array().unwrap();
    assert_eq!(fields.len(), 1, "{door}");
    assert_eq!(fields[0]["field"], "position");
    let cam2 = new.iter().find(|c| c["device"] == "cam-2").expect("cam-2");
    assert_eq!(
        cam2["what"]["fields"][0]["field"], "configuration",
        "{cam2}"
    );
    assert_eq!(cam2["what"]["fields"][0]["from"], "named", "{cam2}");
    assert!(cam2["what"]["fields"][0]["to"].is_null(), "{cam2}");

    let inventory = get(&base, "/api/v1/estate/alpha/inventory", ALPHA);
    assert_eq!(device(&inventory, "door-1")["position"]["x"], 60.0);
    device(&inventory, "cam-2");
    // The import's fields stay: configuration does not name them.
    let cam1 = device(&inventory, "cam-1");
    assert_eq!(cam1["vendor"], "Axis", "{cam1}");
    assert_eq!(cam1["firmware"], "10.12.1", "{cam1}");
    assert_eq!(cam1["serial"], "ACCC8E000001", "{cam1}");
    assert_eq!(cam1["source"], "alpha-cameras", "{cam1}");
    drop(server);

    // And once more: cam-2 is not marked again.
    let (_server, base) = serve(dir.path());
    assert_eq!(changes(&base).len(), all.len());
}
