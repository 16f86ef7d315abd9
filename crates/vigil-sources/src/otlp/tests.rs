use super::*;
use serde_json::json;

/// An OTLP/JSON request as the specification writes it: camelCase names,
/// hex ids, 64-bit integers as strings.
fn request() -> ExportLogsServiceRequest {
    serde_json::from_value(json!({
        "resourceLogs": [{
            "resource": {"attributes": [
                {"key": "host.name", "value": {"stringValue": "web-01"}},
                {"key": "service.name", "value": {"stringValue": "checkout"}}
            ]},
            "scopeLogs": [{
                "scope": {"name": "app.audit"},
                "logRecords": [
                    {
                        "timeUnixNano": "1700000000123456789",
                        "observedTimeUnixNano": "1700000001000000000",
                        "severityNumber": 17,
                        "severityText": "ERROR",
                        "body": {"stringValue": "login failed"},
                        "traceId": "5b8efff798038103d269b633813fc60c",
                        "spanId": "eee19b7ec3c1b174",
                        "attributes": [
                            {"key": "user", "value": {"stringValue": "jdoe"}},
                            {"key": "attempts", "value": {"intValue": "3"}},
                            {"key": "message", "value": {"stringValue": "clashes"}},
                            {"key": "tags", "value": {"arrayValue": {"values": [{"stringValue": "a"}, {"boolValue": true}]}}}
                        ]
                    },
                    {"observedTimeUnixNano": "1700000002000000000",
                     "body": {"kvlistValue": {"values": [{"key": "EventID", "value": {"intValue": "4625"}}]}}},
                    {"severityNumber": 9}
                ]
            }]
        }]
    }))
    .unwrap()
}

#[test]
fn each_record_is_an_event_with_body_attributes_resource_severity_and_times() {
    let records = decode::records(&request());
    assert_eq!(records.len(), 3);
    let fields = records[0].0.as_ref().unwrap();
    assert_eq!(fields["time"], "2023-11-14T22:13:20.123456789Z");
    assert_eq!(fields["observed_time"], "2023-11-14T22:13:21Z");
    assert_eq!(fields["severity"], "high");
    assert_eq!(fields["severity_text"], "ERROR");
    assert_eq!(fields["severity_number"], 17);
    assert_eq!(fields["message"], "login failed");
    assert_eq!(fields["user"], "jdoe");
    assert_eq!(fields["attempts"], 3);
    assert_eq!(fields["tags"], json!(["a", true]));
    assert_eq!(fields["attributes"], json!({"message": "clashes"}));
    assert_eq!(fields["trace_id"], "5b8efff798038103d269b633813fc60c");
    assert_eq!(fields["span_id"], "eee19b7ec3c1b174");
    assert_eq!(fields["scope"], "app.audit");
    assert_eq!(fields["host"], "web-01");
    assert_eq!(fields["service"], "checkout");
    assert_eq!(
        fields["resource"],
        json!({"host.name": "web-01", "service.name": "checkout"})
    );

    // Without its own time a record is dated by when it was observed; a
    // structured body is kept as JSON.
    let fields = records[1].0.as_ref().unwrap();
    assert_eq!(fields["time"], "2023-11-14T22:13:22Z");
    assert_eq!(fields["body"], json!({"EventID": 4625}));
    assert!(!fields.contains_key("message"));

    assert_eq!(
        records[2].0,
        Err("the log record has neither a body nor attributes".into())
    );
    // The dead letter keeps the record as OTLP/JSON.
    let raw: serde_json::Value = serde_json::from_slice(&records[2].1).unwrap();
    assert_eq!(raw["severityNumber"], 9);
}

#[test]
fn protobuf_and_json_decode_to_the_same_request() {
    let request = request();
    let protobuf = decode_request(Encoding::Protobuf, &request.encode_to_vec()).unwrap();
    let json = decode_request(Encoding::Json, &serde_json::to_vec(&request).unwrap()).unwrap();
    assert_eq!(protobuf, request);
    assert_eq!(json, request);
    let err = decode_request(Encoding::Json, b"{\"resourceLogs\": 7}").unwrap_err();
    assert!(err.starts_with("the body is not an OTLP/JSON"), "{err}");
    assert!(decode_request(Encoding::Protobuf, b"\xff\xff\xff").is_err());
}

#[test]
fn severities_follow_otlp_ranges() {
    let word = |n| {
        let record = opentelemetry_proto::tonic::logs::v1::LogRecord {
            severity_number: n,
            body: Some(opentelemetry_proto::tonic::common::v1::AnyValue {
                value: Some(
                    opentelemetry_proto::tonic::common::v1::any_value::Value::StringValue(
                        "x".into(),
                    ),
                ),
            }),
            ..Default::default()
        };
        let fields = decode::fields_of(&record, &serde_json::Map::new(), None).unwrap();
        fields.get("severity").cloned()
    };
    assert_eq!(word(0), None);
    assert_eq!(word(5), Some(json!("info")));
    assert_eq!(word(13), Some(json!("medium")));
    assert_eq!(word(20), Some(json!("high")));
    assert_eq!(word(24), Some(json!("critical")));
    assert_eq!(word(99), None);
}

#[test]
fn refusal_messages_name_a_few_reasons() {
    let reasons: Vec<String> = (1..=5).map(|i| format!("r{i}")).collect();
    assert_eq!(
        refusals_message(&reasons),
        "5 log record(s) kept as dead letters: r1; r2; r3; …"
    );
}
