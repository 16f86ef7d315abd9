use super::decode::{self, Op};
use serde_json::json;

#[test]
fn index_and_create_documents_are_events_with_their_index() {
    let body = br#"{"index":{"_index":"logs-system.auth-default"}}
{"@timestamp":"2024-05-01T10:00:00Z","user":{"name":"jdoe"},"message":"Failed password"}
{"create":{"_id":"a1"}}
{"event":{"code":4625}}

"#;
    let decoded = decode::bulk(body, Some("winlogbeat")).unwrap();
    assert_eq!(decoded.items.len(), 2);
    assert_eq!(decoded.items[0].op, Op::Index);
    assert_eq!(decoded.items[0].index, "logs-system.auth-default");
    assert_eq!(decoded.items[0].id, None);
    let first = decoded.records[0].0.as_ref().unwrap();
    assert_eq!(first["message"], "Failed password");
    assert_eq!(first["_index"], "logs-system.auth-default");
    // The path's index for an action that names none.
    assert_eq!(decoded.items[1].index, "winlogbeat");
    assert_eq!(decoded.items[1].id.as_deref(), Some("a1"));
    assert_eq!(
        decoded.records[1].0.as_ref().unwrap()["event"],
        json!({"code": 4625})
    );
    // The record keeps the action and the document.
    assert!(
        decoded.records[1]
            .1
            .starts_with(br#"{"create":{"_id":"a1"}}"#)
    );
    assert!(decoded.items.iter().all(|i| i.error.is_none()));
}

#[test]
fn updates_deletes_and_bad_documents_fail_as_items() {
    let body = br#"{"delete":{"_index":"x","_id":"1"}}
{"update":{"_index":"x","_id":"2"}}
{"doc":{"a":1}}
{"index":{"_index":"x"}}
[1,2]
{"index":{"_index":"x"}}
{"ok":true}
"#;
    let decoded = decode::bulk(body, None).unwrap();
    let kinds: Vec<_> = decoded
        .items
        .iter()
        .map(|i| (i.op, i.error.as_ref().map(|e| e.0)))
        .collect();
    assert_eq!(
        kinds,
        [
            (Op::Delete, Some("illegal_argument_exception")),
            (Op::Update, Some("illegal_argument_exception")),
            (Op::Index, Some("document_parsing_exception")),
            (Op::Index, None),
        ]
    );
    assert_eq!(decoded.records.len(), 4);
    assert!(decoded.records[..3].iter().all(|(r, _)| r.is_err()));
}

#[test]
fn malformed_action_lines_refuse_the_request() {
    for (body, needle) in [
        (&b"not json\n{}\n"[..], "line [1]"),
        (b"{\"index\":{}}\n{}\n\"text\"\n", "line [3]"),
        (b"{\"upsert\":{}}\n{}\n", "unknown action"),
        (b"{\"index\":{},\"create\":{}}\n{}\n", "one action"),
        (b"{\"index\":{}}\n", "no document"),
    ] {
        let m = decode::bulk(body, None).unwrap_err();
        assert!(
            m.reason.contains(needle),
            "{}: {}",
            String::from_utf8_lossy(body),
            m.reason
        );
    }
    assert!(decode::bulk(b"\n\n", None).unwrap().items.is_empty());
}
