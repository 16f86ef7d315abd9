//! End to end: Splunk HEC into `vigil serve`. The event endpoint and the
//! indexer acknowledgement are driven by splunk-data-sender, a HEC client
//! library from PyPI (gzip, a channel in `X-Splunk-Request-Channel`, then
//! an ack query). The raw endpoint is driven with HEC's documented wire
//! format over reqwest: the library formats every request as JSON event
//! envelopes, also for `/raw`, so it cannot send raw lines.
//!
//! Needs `splunk-data-sender` for python3 (installed by `.ci/run`);
//! without it the library part says it is skipped, and fails under
//! `CI=true`.

mod common;
mod shippers;

use reqwest::StatusCode;
use serde_json::{Value, json};
use shippers::{HEC, NDJSON, Node};

const CHANNEL: &str = "5d5a1b5e-1c8e-4c51-8a6e-0f2f0f0c9a11";

#[test]
fn a_hec_client_library_sends_events_and_every_ack_id_is_durable() {
    if !shippers::python_has("splunk_data_sender", "splunk-data-sender") {
        return;
    }
    let node = Node::start(&["hec"]);
    let port = node.base.rsplit(':').next().expect("port").to_owned();
    let result = shippers::run_python(
        "hec_sender.py",
        &["127.0.0.1", &port, HEC, CHANNEL, "95", "20"],
    );
    // 95 events in batches of 20: five requests, five ack ids.
    assert_eq!(result["ackIds"], json!([0, 1, 2, 3, 4]), "{result}");
    assert_eq!(
        result["acks"],
        json!({"0": true, "1": true, "2": true, "3": true, "4": true, "105": false}),
        "{result}"
    );
    let events = node.events_of("alpha-hec");
    assert_eq!(events.len(), 95);
    let fields = &events[0]["fields"];
    assert_eq!(fields["user"], "jdoe");
    assert_eq!(fields["host"], "web-01");
    assert_eq!(fields["source"], "vigil-test");
    assert_eq!(fields["sourcetype"], "generic_single_line");
    assert_eq!(events[0]["source"]["kind"], "hec");
    assert_eq!(node.events_in("alpha-hec"), 95);

    // Acknowledged means durable: killed with SIGKILL, the node has them all.
    let node = node.killed_and_restarted();
    assert_eq!(node.events_of("alpha-hec").len(), 95);
}

fn post(node: &Node, path: &str, auth: Option<&str>, body: &str) -> (StatusCode, Value) {
    let mut req = node
        .http
        .post(format!("{}{path}", node.base))
        .header("x-splunk-request-channel", CHANNEL)
        .body(body.to_owned());
    if let Some(auth) = auth {
        req = req.header("authorization", auth);
    }
    let resp = req.send().expect("post");
    let status = resp.status();
    (status, resp.json().unwrap_or(Value::Null))
}

#[test]
fn raw_lines_refusals_and_resends_follow_hec() {
    let node = Node::start(&["hec"]);
    let splunk = format!("Splunk {HEC}");

    // Raw lines, metadata from the query; the answer's ack id is durable.
    let (status, answer) = post(
        &node,
        "/services/collector/raw?host=fw-1&sourcetype=syslog",
        Some(&splunk),
        "Accepted password for jdoe from 192.0.2.7\n{\"action\":\"deny\",\"src_ip\":\"192.0.2.8\"}\n",
    );
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(answer, json!({"text": "Success", "code": 0, "ackId": 0}));

    // A batch sent twice (an answer lost) is stored once (its events carry
    // their time: one without is stamped on arrival, a new event).
    let now = chrono::Utc::now().timestamp();
    let batch = format!(
        r#"{{"event": {{"user": "ann", "action": "logout"}}, "time": {now}.5}}{{"event": "second", "time": "{now}"}}"#
    );
    let when = chrono::DateTime::from_timestamp_millis(now * 1000 + 500)
        .expect("a time")
        .to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true);
    for ack in [1, 2] {
        let (status, answer) = post(&node, "/services/collector/event", Some(&splunk), &batch);
        assert_eq!(status, StatusCode::OK, "{answer}");
        assert_eq!(answer["ackId"], ack);
    }
    let events = node.events_of("alpha-hec");
    assert_eq!(events.len(), 4, "{events:?}");
    let messages: Vec<&Value> = events.iter().map(|e| &e["fields"]).collect();
    assert!(messages.iter().any(
        |f| f["message"] == "Accepted password for jdoe from 192.0.2.7"
            && f["host"] == "fw-1"
            && f["sourcetype"] == "syslog"
    ));
    assert!(messages.iter().any(|f| f["action"] == "deny"));
    assert!(
        messages
            .iter()
            .any(|f| f["user"] == "ann" && f["time"] == when.as_str())
    );

    // An event without `event` is named; the others are stored, it is a
    // dead letter.
    let (status, answer) = post(
        &node,
        "/services/collector/event",
        Some(&splunk),
        r#"{"event": "kept"} {"host": "no event"}"#,
    );
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        answer,
        json!({"text": "Event field is required", "code": 12, "invalid-event-number": 1})
    );
    assert_eq!(node.events_of("alpha-hec").len(), 5);
    assert!(!node.dead_letters_of("alpha-hec").is_empty());

    // Refusals in HEC's codes.
    for (path, auth, body, expected, code) in [
        (
            "/services/collector/event",
            None,
            "{}",
            StatusCode::UNAUTHORIZED,
            2,
        ),
        (
            "/services/collector/event",
            Some("Token x"),
            "{}",
            StatusCode::UNAUTHORIZED,
            3,
        ),
        (
            "/services/collector/event",
            Some("Splunk nope"),
            "{}",
            StatusCode::FORBIDDEN,
            4,
        ),
        (
            "/services/collector",
            Some(&format!("Splunk {NDJSON}")),
            "{}",
            StatusCode::FORBIDDEN,
            4,
        ),
        (
            "/services/collector/event",
            Some(&splunk),
            "  ",
            StatusCode::BAD_REQUEST,
            5,
        ),
        (
            "/services/collector/event",
            Some(&splunk),
            "[1]",
            StatusCode::BAD_REQUEST,
            6,
        ),
        (
            "/services/collector/ack",
            Some(&splunk),
            "{\"acks\": 3}",
            StatusCode::BAD_REQUEST,
            6,
        ),
    ] {
        let (status, answer) = post(&node, path, auth, body);
        assert_eq!(
            (status, answer["code"].as_u64()),
            (expected, Some(code)),
            "{path} {auth:?} {body}: {answer}"
        );
    }
    // An ack query without a channel.
    let resp = node
        .http
        .post(format!("{}/services/collector/ack", node.base))
        .header("authorization", &splunk)
        .body(r#"{"acks": [0]}"#)
        .send()
        .expect("post");
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    assert_eq!(resp.json::<Value>().expect("json")["code"], 10);
    // The channel's ack ids, by the query string this time.
    let resp = node
        .http
        .post(format!(
            "{}/services/collector/ack?channel={CHANNEL}",
            node.base
        ))
        .header("authorization", &splunk)
        .body(r#"{"acks": [0, 1, 2, 3]}"#)
        .send()
        .expect("post");
    assert_eq!(
        resp.json::<Value>().expect("json"),
        json!({"acks": {"0": true, "1": true, "2": true, "3": false}})
    );
    // Each stored event is counted once; the resent batch's two events
    // are counted apart, as resent.
    assert_eq!(node.events_in("alpha-hec"), 5);
    assert_eq!(node.events_resent("alpha-hec"), 2);
}
