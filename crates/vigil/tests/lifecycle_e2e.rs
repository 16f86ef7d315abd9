//! End to end, the real binary: `vigil estate inventory import|list` and
//! `vigil estate advisories import` on a data folder — the whole shared
//! corpus of CISA's 2024 OT advisories, bad files refused by name with
//! nothing written —, then the lifecycle API of `vigil serve`: inventory
//! with findings, imports, work orders approved on the client's side, and
//! every new endpoint refused to another client.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use common::{Vigil, sha256_hex};
use reqwest::StatusCode;
use reqwest::blocking::Client;
use serde_json::{Value, json};

const OPERATOR: &str = "vgl_lifecycle_operator_token_0123456789";
const ALPHA: &str = "vgl_lifecycle_alpha_admin_token_0123456789";
const BETA: &str = "vgl_lifecycle_beta_admin_token_0123456789";

/// Devices named in the corpus (and one that is not).
const ESTATE: &str = "\
site,device_id,kind,vendor,model,serial,firmware,end_of_support
hq,istar-lobby,controller,Johnson Controls,iStar Pro,S-06,6.6.5,2001-01-31
hq,netbox-old,server,LenelS2,NetBox,S-08,5.6.1,
hq,netbox-fixed,server,Lenel S2,NetBox,S-09,5.6.2,
hq,cam-7,camera,Axis,P3245-V,S-17,10.12.1,
";

fn corpus() -> Option<PathBuf> {
    let dir =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpora/csaf/cisa-ot-2024");
    if dir.is_dir() {
        return Some(dir);
    }
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "the CSAF corpus is missing at {}",
        dir.display()
    );
    eprintln!("skipped: no CSAF corpus at {}", dir.display());
    None
}

fn vigil(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_vigil"))
        .args(args)
        .current_dir(dir)
        .env("VIGIL_LOG", "warn")
        .env_remove("VIGIL_TOKEN")
        .output()
        .expect("run vigil")
}

fn text(out: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn the_cli_imports_an_inventory_and_the_whole_corpus_into_a_data_folder() {
    let Some(corpus) = corpus() else { return };
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("estate.csv"), ESTATE).unwrap();
    let out = vigil(
        d,
        &[
            "estate",
            "inventory",
            "import",
            "estate.csv",
            "--tenant",
            "northgate",
            "--data",
            "data",
        ],
    );
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stdout}{stderr}");
    assert!(
        stdout.contains("4 devices for northgate: 4 added"),
        "{stdout}"
    );

    // An unknown column: refused by name, nothing written.
    std::fs::write(
        d.join("bad.csv"),
        "site,device_id,kind,vendor,model,end_of_suport\nhq,cam-9,camera,Axis,P1,2030-01-01\n",
    )
    .unwrap();
    let out = vigil(
        d,
        &[
            "estate",
            "inventory",
            "import",
            "bad.csv",
            "--tenant",
            "northgate",
            "--data",
            "data",
        ],
    );
    let (stdout, stderr) = text(&out);
    assert!(!out.status.success(), "{stdout}");
    assert!(
        stderr.contains("bad.csv") && stderr.contains("end_of_suport"),
        "{stderr}"
    );

    // A folder with one advisory that does not validate: named, nothing imported.
    let mixed = d.join("mixed");
    std::fs::create_dir(&mixed).unwrap();
    std::fs::copy(corpus.join("icsa-24-151-01.json"), mixed.join("a.json")).unwrap();
    let broken = std::fs::read_to_string(corpus.join("icsa-24-158-04.json"))
        .unwrap()
        .replacen("\"csaf_version\": \"2.0\"", "\"csaf_version\": \"1.9\"", 1);
    std::fs::write(mixed.join("b.json"), broken).unwrap();
    let out = vigil(
        d,
        &["estate", "advisories", "import", "mixed", "--data", "data"],
    );
    let (stdout, stderr) = text(&out);
    assert!(!out.status.success(), "{stdout}");
    assert!(
        stderr.contains("b.json") && stderr.contains("csaf_version"),
        "{stderr}"
    );
    let out = vigil(
        d,
        &[
            "estate",
            "inventory",
            "list",
            "--tenant",
            "northgate",
            "--data",
            "data",
            "--json",
        ],
    );
    let list: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        list.as_array().unwrap().len(),
        4,
        "the bad CSV wrote nothing"
    );
    assert!(
        list.as_array()
            .unwrap()
            .iter()
            .all(|v| v["findings"]["advisories"].as_array().unwrap().is_empty()),
        "the good advisory of the refused folder was not imported either"
    );

    // The whole corpus.
    let started = Instant::now();
    let out = vigil(
        d,
        &[
            "estate",
            "advisories",
            "import",
            corpus.to_str().unwrap(),
            "--data",
            "data",
        ],
    );
    let took = started.elapsed();
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stdout}{stderr}");
    assert!(stdout.contains("344 advisories: 344 added"), "{stdout}");
    eprintln!("imported the 344 advisories of the corpus in {took:?}");
    let out = vigil(
        d,
        &[
            "estate",
            "advisories",
            "import",
            corpus.to_str().unwrap(),
            "--data",
            "data",
        ],
    );
    assert!(
        text(&out)
            .0
            .contains("0 added, 0 replaced by a newer revision, 344 unchanged")
    );

    let started = Instant::now();
    let out = vigil(
        d,
        &[
            "estate",
            "inventory",
            "list",
            "--tenant",
            "northgate",
            "--data",
            "data",
        ],
    );
    eprintln!(
        "listed the inventory against the corpus in {:?}",
        started.elapsed()
    );
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stderr}");
    let line = |device: &str| {
        stdout
            .lines()
            .find(|l| l.split_whitespace().nth(1) == Some(device))
            .unwrap_or_else(|| panic!("{device} not listed:\n{stdout}"))
            .to_owned()
    };
    assert!(
        line("netbox-old").contains("ICSA-24-151-01 (affected)"),
        "{stdout}"
    );
    assert!(!line("netbox-fixed").contains("ICSA"), "{stdout}");
    assert!(
        line("istar-lobby").contains("ICSA-24-158-04") && line("istar-lobby").contains("PAST"),
        "{stdout}"
    );
    assert!(stdout.contains("4 devices, 2 with findings"), "{stdout}");
}

fn write_config(dir: &Path) {
    let config = format!(
        r#"
data_dir = "data"
listen = "127.0.0.1:0"

[[tenants]]
id = "alpha"
name = "Alpha Water"

[[tenants]]
id = "beta"
name = "Beta Hospital"

[[tokens]]
name = "operator"
role = "provider_operator"
token_sha256 = "{operator}"

[[tokens]]
name = "alpha-admin"
role = "client_admin"
tenant = "alpha"
token_sha256 = "{alpha}"

[[tokens]]
name = "beta-admin"
role = "client_admin"
tenant = "beta"
token_sha256 = "{beta}"
"#,
        operator = sha256_hex(OPERATOR),
        alpha = sha256_hex(ALPHA),
        beta = sha256_hex(BETA),
    );
    std::fs::write(dir.join("vigil.toml"), config).unwrap();
}

#[test]
fn the_api_serves_the_inventory_and_work_orders_to_their_client_only() {
    let Some(corpus) = corpus() else { return };
    let dir = tempfile::tempdir().unwrap();
    write_config(dir.path());
    let mut server = Vigil::start(dir.path(), &["serve", "--config", "vigil.toml"]);
    let line = server.wait_for_line("vigil serving on", Duration::from_secs(120));
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
    let post = |path: &str, token: &str, body: Vec<u8>, kind: &str| {
        http.post(format!("{url}{path}"))
            .bearer_auth(token)
            .header("content-type", kind)
            .body(body)
            .send()
            .unwrap()
    };
    let get = |path: &str, token: &str| {
        http.get(format!("{url}{path}"))
            .bearer_auth(token)
            .send()
            .unwrap()
    };

    // Imports: provider staff only; a bad CSV is a 400 naming the line.
    let csv = ESTATE.as_bytes().to_vec();
    assert_eq!(
        post(
            "/api/v1/estate/alpha/inventory",
            ALPHA,
            csv.clone(),
            "text/csv"
        )
        .status(),
        StatusCode::FORBIDDEN
    );
    let r = post(
        "/api/v1/estate/alpha/inventory",
        OPERATOR,
        csv.clone(),
        "text/csv",
    );
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.json::<Value>().unwrap()["added"], 4);
    let r = post(
        "/api/v1/estate/alpha/inventory",
        OPERATOR,
        b"site,device_id,kind,vendor,model\nhq,x,toaster,A,B\n".to_vec(),
        "text/csv",
    );
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(
        r.json::<Value>().unwrap()["message"]
            .as_str()
            .unwrap()
            .contains("line 2")
    );
    let doc = std::fs::read(corpus.join("icsa-24-151-01.json")).unwrap();
    assert_eq!(
        post("/api/v1/advisories", ALPHA, doc.clone(), "application/json").status(),
        StatusCode::FORBIDDEN
    );
    let r = post(
        "/api/v1/advisories",
        OPERATOR,
        b"{\"document\": {}}".to_vec(),
        "application/json",
    );
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(
        r.json::<Value>().unwrap()["message"]
            .as_str()
            .unwrap()
            .contains("document")
    );
    let r = post("/api/v1/advisories", OPERATOR, doc, "application/json");
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.json::<Value>().unwrap()["added"], 1);

    // The client sees its devices with findings.
    let r = get("/api/v1/estate/alpha/inventory", ALPHA);
    assert_eq!(r.status(), StatusCode::OK);
    let body: Value = r.json().unwrap();
    let netbox = body["devices"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["device"]["id"] == "netbox-old")
        .unwrap();
    assert_eq!(
        netbox["findings"]["advisories"][0]["advisory"],
        "ICSA-24-151-01"
    );
    let istar = body["devices"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["device"]["id"] == "istar-lobby")
        .unwrap();
    assert_eq!(istar["findings"]["past_end_of_support"], true);

    // Work orders: planned by the provider, approved by the client's approver only.
    let start = chrono::Utc::now() + chrono::Duration::hours(1);
    let plan = json!({
        "kind": "firmware_upgrade",
        "description": "NetBox to 5.6.2",
        "starts_at": start,
        "ends_at": start + chrono::Duration::hours(2),
        "devices": [{"site": "hq", "device": "netbox-old"}],
        "approver": "alpha-admin",
    });
    let r = post(
        "/api/v1/estate/alpha/work-orders",
        OPERATOR,
        plan.to_string().into_bytes(),
        "application/json",
    );
    assert_eq!(r.status(), StatusCode::OK);
    let id = r.json::<Value>().unwrap()["work_order"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let approve = format!("/api/v1/estate/alpha/work-orders/{id}/approve");
    let outcome = format!("/api/v1/estate/alpha/work-orders/{id}/outcome");
    assert_eq!(
        post(&approve, OPERATOR, vec![], "application/json").status(),
        StatusCode::FORBIDDEN
    );

    // Every new endpoint refuses another client.
    let refused = [
        get("/api/v1/estate/alpha/inventory", BETA),
        post("/api/v1/estate/alpha/inventory", BETA, csv, "text/csv"),
        get("/api/v1/estate/alpha/work-orders", BETA),
        post(
            "/api/v1/estate/alpha/work-orders",
            BETA,
            plan.to_string().into_bytes(),
            "application/json",
        ),
        post(&approve, BETA, vec![], "application/json"),
        post(
            &outcome,
            BETA,
            b"{\"status\":\"done\"}".to_vec(),
            "application/json",
        ),
        post(
            "/api/v1/advisories",
            BETA,
            b"{}".to_vec(),
            "application/json",
        ),
    ];
    for r in refused {
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{:?}", r.url().path());
    }
    // Beta's own path does not reach alpha's work order either.
    let r = post(
        &format!("/api/v1/estate/beta/work-orders/{id}/approve"),
        BETA,
        vec![],
        "application/json",
    );
    assert_eq!(r.status(), StatusCode::NOT_FOUND);

    let r = post(&approve, ALPHA, vec![], "application/json");
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(
        r.json::<Value>().unwrap()["work_order"]["status"],
        "approved"
    );
    let windows: Value = get("/api/v1/maintenance?tenant=alpha", ALPHA)
        .json()
        .unwrap();
    assert_eq!(windows["items"].as_array().unwrap().len(), 1, "{windows}");
    let r = post(
        &outcome,
        OPERATOR,
        b"{\"status\":\"done\",\"note\":\"upgraded\",\"new_firmware\":\"5.6.2\"}".to_vec(),
        "application/json",
    );
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.json::<Value>().unwrap()["work_order"]["status"], "done");
    let list: Value = get("/api/v1/estate/alpha/work-orders", ALPHA)
        .json()
        .unwrap();
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
    let list: Value = get("/api/v1/estate/beta/work-orders", BETA).json().unwrap();
    assert!(list["items"].as_array().unwrap().is_empty());

    // The CLI against the running server.
    let out = Command::new(env!("CARGO_BIN_EXE_vigil"))
        .args([
            "estate",
            "inventory",
            "list",
            "--tenant",
            "alpha",
            "--url",
            &url,
            "--token",
            ALPHA,
        ])
        .env("VIGIL_LOG", "warn")
        .output()
        .unwrap();
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stderr}");
    assert!(stdout.contains("ICSA-24-151-01 (affected)"), "{stdout}");
    drop(server);
}
