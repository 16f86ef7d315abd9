//! End to end: OpenTelemetry logs into `vigil serve` at `POST /v1/logs`.
//! The client is the OpenTelemetry Python SDK's OTLP/HTTP log exporter
//! (protobuf, gzip) behind the standard `logging` module; a second part
//! sends OTLP/JSON as the specification writes it. Each record is stored
//! once under the `otlp` source its token names, counted per source, and a
//! refused record is answered in `partial_success` and kept as a dead
//! letter.
//!
//! Needs `opentelemetry-sdk` and `opentelemetry-exporter-otlp-proto-http`
//! for python3 (installed by `.ci/run`); without them the SDK part says it
//! is skipped, and fails under `CI=true`.

mod common;
mod shippers;

use reqwest::StatusCode;
use serde_json::{Value, json};
use shippers::{NDJSON, Node, OTLP};

const RECORDS: usize = 120;

#[test]
fn the_opentelemetry_sdk_exporter_delivers_every_record_once() {
    if !shippers::python_has(
        "opentelemetry.exporter.otlp.proto.http",
        "opentelemetry-exporter-otlp-proto-http",
    ) {
        return;
    }
    let node = Node::start(&["otlp"]);
    let endpoint = format!("{}/v1/logs", node.base);
    let count = RECORDS.to_string();
    let result = shippers::run_python("otlp_logs.py", &[&endpoint, OTLP, &count]);
    // The exporter sends batches of 50: every export answered with success.
    assert_eq!(result, json!({"succeeded": 3, "failed": 0}), "{result}");

    let events = node.events_of("alpha-otel");
    assert_eq!(events.len(), RECORDS);
    let first = &events[0];
    assert_eq!(first["tenant"], "alpha");
    assert_eq!(first["source"]["kind"], "otlp");
    let fields = &first["fields"];
    assert_eq!(fields["message"], "login failed for jdoe");
    assert_eq!(fields["severity_text"], "WARN");
    assert_eq!(fields["severity"], "medium");
    assert_eq!(fields["user"], "jdoe");
    assert_eq!(fields["scope"], "app.audit");
    assert_eq!(fields["service"], "checkout");
    assert_eq!(fields["host"], "web-01");
    let mut numbers: Vec<i64> = events
        .iter()
        .map(|e| e["fields"]["n"].as_i64().expect("n"))
        .collect();
    numbers.sort_unstable();
    assert_eq!(numbers, (0..RECORDS as i64).collect::<Vec<_>>());
    assert_eq!(node.events_in("alpha-otel"), RECORDS as u64);

    // Another kind's token is refused; the exporter reports the failure.
    let refused = shippers::run_python("otlp_logs.py", &[&endpoint, NDJSON, "1"]);
    assert_eq!(refused, json!({"succeeded": 0, "failed": 1}), "{refused}");
    assert_eq!(node.events_of("alpha-otel").len(), RECORDS);

    // Acknowledged means durable: killed with SIGKILL, the node has them all.
    let node = node.killed_and_restarted();
    assert_eq!(node.events_of("alpha-otel").len(), RECORDS);
}

/// A request as OTLP/JSON: two records, the second without body or
/// attributes (refused).
fn json_request(now_nanos: u128) -> Value {
    json!({
        "resourceLogs": [{
            "resource": {"attributes": [
                {"key": "host.name", "value": {"stringValue": "db-02"}}
            ]},
            "scopeLogs": [{
                "scope": {"name": "sshd"},
                "logRecords": [
                    {
                        "timeUnixNano": now_nanos.to_string(),
                        "severityNumber": 17,
                        "severityText": "ERROR",
                        "body": {"stringValue": "Failed password for root"},
                        "traceId": "5b8efff798038103d269b633813fc60c",
                        "attributes": [{"key": "src_ip", "value": {"stringValue": "192.0.2.9"}}]
                    },
                    {"severityNumber": 9}
                ]
            }]
        }]
    })
}

#[test]
fn otlp_json_is_answered_in_json_with_partial_success_and_resends_add_nothing() {
    let node = Node::start(&["otlp"]);
    let url = format!("{}/v1/logs", node.base);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("after 1970")
        .as_nanos();
    let body = serde_json::to_vec(&json_request(now)).expect("json");
    for _ in 0..2 {
        let resp = node
            .http
            .post(&url)
            .bearer_auth(OTLP)
            .header("content-type", "application/json")
            .body(body.clone())
            .send()
            .expect("post");
        assert_eq!(resp.status(), StatusCode::OK);
        assert_eq!(resp.headers()["content-type"], "application/json");
        let answer: Value = resp.json().expect("json answer");
        let partial = &answer["partialSuccess"];
        assert_eq!(
            partial["rejectedLogRecords"].to_string().trim_matches('"'),
            "1"
        );
        assert!(
            partial["errorMessage"]
                .as_str()
                .is_some_and(|m| m.contains("neither a body nor attributes")),
            "{answer}"
        );
    }
    // Sent twice, stored once; the refused record is a dead letter.
    let events = node.events_of("alpha-otel");
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0]["fields"]["message"], "Failed password for root");
    assert_eq!(events[0]["fields"]["src_ip"], "192.0.2.9");
    assert_eq!(events[0]["fields"]["host"], "db-02");
    assert_eq!(events[0]["severity"], "high");
    assert!(!node.dead_letters_of("alpha-otel").is_empty());

    // What is not OTLP is refused with the status that says why.
    let status = |content_type: &str, token: Option<&str>, body: &[u8]| {
        let mut req = node
            .http
            .post(&url)
            .header("content-type", content_type)
            .body(body.to_vec());
        if let Some(token) = token {
            req = req.bearer_auth(token);
        }
        req.send().expect("post").status()
    };
    assert_eq!(
        status("application/json", None, &body),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        status("application/json", Some(NDJSON), &body),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        status("text/plain", Some(OTLP), b"hello"),
        StatusCode::UNSUPPORTED_MEDIA_TYPE
    );
    assert_eq!(
        status("application/json", Some(OTLP), b"{\"resourceLogs\": 7}"),
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        status("application/x-protobuf", Some(OTLP), &vec![b'x'; 2 << 20]),
        StatusCode::PAYLOAD_TOO_LARGE
    );
}
