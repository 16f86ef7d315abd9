//! End to end: Elasticsearch `_bulk` into `vigil serve`, driven by the
//! official Elasticsearch Python client (`info()` then `helpers.bulk`),
//! with the token as Basic authentication's password and as an API key;
//! then the answers a shipper relies on, by hand: per-item results with
//! `errors`, a resend stored once, refusals in Elasticsearch's shape, and
//! `GET /` telling API clients from browsers.
//!
//! Needs the `elasticsearch` Python package (installed by `.ci/run`);
//! without it the client part says it is skipped, and fails under
//! `CI=true`.

mod common;
mod shippers;

use reqwest::StatusCode;
use serde_json::{Value, json};
use shippers::{BULK, NDJSON, Node};

#[test]
fn the_elasticsearch_client_bulk_helper_stores_every_document() {
    if !shippers::python_has("elasticsearch", "elasticsearch") {
        return;
    }
    let node = Node::start(&["bulk"]);
    let basic = shippers::run_python("es_bulk.py", &[&node.base, BULK, "basic", "120"]);
    assert_eq!(
        basic,
        json!({"version": "8.19.0", "ok": 120, "errors": ["update:400"]}),
        "{basic}"
    );
    let with_key = shippers::run_python("es_bulk.py", &[&node.base, BULK, "apikey", "30"]);
    assert_eq!(with_key["ok"], 30, "{with_key}");

    let events = node.events_of("alpha-bulk");
    assert_eq!(events.len(), 150);
    let fields = &events[0]["fields"];
    assert_eq!(fields["message"], "Failed password for root");
    assert_eq!(fields["_index"], "logs-app-default");
    assert_eq!(events[0]["source"]["kind"], "bulk");
    assert_eq!(node.events_in("alpha-bulk"), 150);
    assert_eq!(node.dead_letters_of("alpha-bulk").len(), 2);

    // Acknowledged means durable: killed with SIGKILL, the node has them all.
    let node = node.killed_and_restarted();
    assert_eq!(node.events_of("alpha-bulk").len(), 150);
    assert_eq!(node.dead_letters_of("alpha-bulk").len(), 2);
}

fn post(node: &Node, path: &str, token: Option<&str>, body: &str) -> (StatusCode, Value) {
    let mut req = node
        .http
        .post(format!("{}{path}", node.base))
        .header("content-type", "application/x-ndjson")
        .body(body.to_owned());
    if let Some(token) = token {
        req = req.basic_auth("elastic", Some(token));
    }
    let resp = req.send().expect("post");
    let status = resp.status();
    if status.is_success() {
        assert_eq!(resp.headers()["x-elastic-product"], "Elasticsearch");
    }
    (status, resp.json().unwrap_or(Value::Null))
}

#[test]
fn items_resends_refusals_and_the_root_answer_as_elasticsearch() {
    let node = Node::start(&["bulk"]);
    // The document carries its time: one without is stamped on arrival,
    // and its resend is a new event.
    let now = chrono::Utc::now().to_rfc3339();
    let body = format!(
        "{{\"create\":{{\"_id\":\"doc-1\"}}}}\n\
         {{\"@timestamp\":\"{now}\",\"EventID\":4625,\"TargetUserName\":\"ann\"}}\n\
         {{\"delete\":{{\"_id\":\"doc-0\"}}}}\n\
         {{\"index\":{{}}}}\n\"not an object\"\n"
    );
    for _ in 0..2 {
        let (status, answer) = post(&node, "/winlogbeat-8/_bulk", Some(BULK), &body);
        assert_eq!(status, StatusCode::OK, "{answer}");
        assert_eq!(answer["errors"], true);
        let items = answer["items"].as_array().expect("items");
        assert_eq!(items.len(), 3);
        assert_eq!(items[0]["create"]["_id"], "doc-1");
        assert_eq!(items[0]["create"]["_index"], "winlogbeat-8");
        assert_eq!(items[0]["create"]["status"], 201);
        assert_eq!(items[1]["delete"]["status"], 400);
        assert_eq!(items[2]["index"]["status"], 400);
        assert_eq!(
            items[2]["index"]["error"]["type"],
            "document_parsing_exception"
        );
    }
    // Sent twice, stored once.
    let events = node.events_of("alpha-bulk");
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0]["fields"]["TargetUserName"], "ann");
    assert_eq!(events[0]["fields"]["_index"], "winlogbeat-8");

    // Refusals in Elasticsearch's shape.
    let (status, answer) = post(&node, "/_bulk", None, "{}\n");
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(answer["error"]["type"], "security_exception");
    assert_eq!(
        post(&node, "/_bulk", Some("nope"), "{}\n").0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        post(&node, "/_bulk", Some(NDJSON), "{}\n").0,
        StatusCode::FORBIDDEN
    );
    let (status, answer) = post(&node, "/_bulk", Some(BULK), "{\"index\":{}}\n");
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(answer["status"], 400);
    assert_eq!(answer["error"]["type"], "illegal_argument_exception");

    // `GET /`: the version object for an API client with credentials, a
    // refusal without, and the console for a browser.
    let root = |token: Option<&str>, accept: &str| {
        let client = reqwest::blocking::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client");
        let mut req = client
            .get(format!("{}/", node.base))
            .header("accept", accept);
        if let Some(token) = token {
            req = req.header("authorization", format!("ApiKey {token}"));
        }
        let resp = req.send().expect("get /");
        (resp.status(), resp.text().unwrap_or_default())
    };
    let (status, text) = root(Some(BULK), "application/json");
    assert_eq!(status, StatusCode::OK);
    let info: Value = serde_json::from_str(&text).expect("json");
    assert_eq!(info["version"]["number"], "8.19.0");
    assert_eq!(info["tagline"], "You Know, for Search");
    assert_eq!(root(None, "application/json").0, StatusCode::UNAUTHORIZED);
    assert_eq!(root(Some(NDJSON), "*/*").0, StatusCode::FORBIDDEN);
    assert_eq!(
        root(None, "text/html,application/xhtml+xml").0,
        StatusCode::SEE_OTHER
    );
}
