use super::ack::{AckBook, MAX_CHANNELS, valid_channel};
use super::decode;
use serde_json::json;
use vigil_model::SourceId;

#[test]
fn envelopes_give_the_event_and_the_metadata_it_lacks() {
    let body = br#"{"time": 1700000000.25, "host": "web-01", "sourcetype": "access",
        "event": {"user": "jdoe", "host": "own-host"}, "fields": {"env": "prod", "user": "x"}}
        {"event": "plain text", "time": "1700000001"}
    {"event": 42}"#;
    let decoded = decode::events(body);
    assert_eq!(decoded.problem, None);
    assert_eq!(decoded.records.len(), 3);
    let first = decoded.records[0].0.as_ref().unwrap();
    assert_eq!(first["user"], "jdoe");
    // The event's own key wins over the envelope's and the indexed fields'.
    assert_eq!(first["host"], "own-host");
    assert_eq!(first["sourcetype"], "access");
    assert_eq!(first["env"], "prod");
    assert_eq!(first["time"], "2023-11-14T22:13:20.250Z");
    let second = decoded.records[1].0.as_ref().unwrap();
    assert_eq!(second["message"], "plain text");
    assert_eq!(second["time"], "2023-11-14T22:13:21Z");
    assert_eq!(decoded.records[2].0.as_ref().unwrap()["message"], 42);
    // Each record keeps its envelope's text, for the fingerprint.
    let raw: serde_json::Value = serde_json::from_slice(&decoded.records[1].1).unwrap();
    assert_eq!(raw["event"], "plain text");
}

#[test]
fn refused_events_are_named_as_hec_does_and_kept() {
    let decoded = decode::events(br#"{"event": "ok"}{"time": 1}{"event": ""}{"event": "late"}"#);
    assert_eq!(decoded.records.len(), 4);
    let problem = decoded.problem.unwrap();
    assert_eq!((problem.code, problem.event_number), (12, 1));
    assert!(decoded.records[1].0.is_err());
    assert!(decoded.records[2].0.as_ref().unwrap_err().contains("blank"));
    assert!(decoded.records[3].0.is_ok());

    // Broken JSON ends the request: the rest is one dead letter.
    let decoded = decode::events(br#"{"event": "a"} {"event": "b" garbage {"event": "c"}"#);
    assert_eq!(decoded.records.len(), 2);
    let problem = decoded.problem.unwrap();
    assert_eq!((problem.code, problem.event_number), (6, 1));
    assert!(decoded.records[1].1.starts_with(br#"{"event": "b""#));

    for (body, code) in [
        (&br#"[1, 2]"#[..], 6),
        (br#"{"event": "x", "time": "noon"}"#, 6),
        (br#"{"event": "x", "fields": [1]}"#, 15),
        (br#"{"event": null}"#, 13),
    ] {
        let problem = decode::events(body).problem.unwrap();
        assert_eq!(problem.code, code, "{}", String::from_utf8_lossy(body));
    }
    assert!(decode::events(b"  \n ").records.is_empty());
}

#[test]
fn raw_lines_are_events_with_the_query_metadata() {
    let meta = [
        ("host", "fw-1".to_owned()),
        ("sourcetype", "syslog".to_owned()),
    ];
    let records = decode::lines(
        b"first line\r\n\n{\"action\":\"deny\",\"host\":\"own\"}\n\xff\xfe\n",
        &meta,
    );
    assert_eq!(records.len(), 3);
    let first = records[0].0.as_ref().unwrap();
    assert_eq!(first["message"], "first line");
    assert_eq!(first["host"], "fw-1");
    assert_eq!(first["sourcetype"], "syslog");
    let second = records[1].0.as_ref().unwrap();
    assert_eq!(second["action"], "deny");
    assert_eq!(second["host"], "own");
    assert!(records[2].0.is_err());
    assert_eq!(records[0].1, b"first line");
}

#[test]
fn ack_ids_count_per_source_and_channel_and_only_issued_ones_are_durable() {
    let book = AckBook::default();
    let a = SourceId::new("acme-hec").unwrap();
    let b = SourceId::new("other-hec").unwrap();
    assert_eq!(book.issue(&a, "c1"), 0);
    assert_eq!(book.issue(&a, "c1"), 1);
    assert_eq!(book.issue(&a, "c2"), 0);
    assert_eq!(
        serde_json::to_value(book.status(&a, "c1", &[0, 1, 2])).unwrap(),
        json!({"0": true, "1": true, "2": false})
    );
    // Another source's token learns nothing of this channel.
    assert_eq!(
        serde_json::to_value(book.status(&b, "c1", &[0])).unwrap(),
        json!({"0": false})
    );
}

#[test]
fn the_book_forgets_the_least_recently_used_channel_when_full() {
    let book = AckBook::default();
    let a = SourceId::new("acme-hec").unwrap();
    book.issue(&a, "first");
    for n in 1..MAX_CHANNELS {
        book.issue(&a, &format!("c{n}"));
    }
    // `first` is used again, so `c1` is now the least recent.
    assert!(book.status(&a, "first", &[0])["0"]);
    book.issue(&a, "newcomer");
    assert!(book.status(&a, "first", &[0])["0"]);
    assert!(!book.status(&a, "c1", &[0])["0"]);
    assert!(book.status(&a, "c2", &[0])["0"]);
}

#[test]
fn channels_are_guid_like() {
    assert!(valid_channel("5d5a1b5e-1c8e-4c51-8a6e-0f2f0f0c9a11"));
    assert!(!valid_channel(""));
    assert!(!valid_channel("a b"));
    assert!(!valid_channel(&"a".repeat(129)));
}
