//! Arbitrary bytes through the fast JSON document: it never panics, it
//! accepts exactly what `serde_json` accepts as an object, and it answers
//! field lookups as the `serde_json` map does.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vigil_detect::{Document, JsonParser};

fn texts<D: Document>(doc: &D, name: &str) -> Option<(bool, Vec<String>)> {
    let value = doc.field(name)?;
    let mut out = Vec::new();
    let mut buf = String::new();
    value.any_scalar(&mut |s| {
        out.push(s.text(&mut buf).to_owned());
        false
    });
    Some((value.is_null(), out))
}

fuzz_target!(|data: &[u8]| {
    let mut parser = JsonParser::new();
    let fast = parser.parse(data);
    let serde = serde_json::from_slice::<serde_json::Map<String, serde_json::Value>>(data);
    assert_eq!(fast.is_ok(), serde.is_ok(), "same verdict on {data:?}");
    let (Ok(doc), Ok(fields)) = (fast, serde) else {
        return;
    };
    assert_eq!(doc.to_fields().into_map(), fields);
    // Some members, as ingest reads the few it normalises from.
    let wanted = |key: &str| key.len() % 2 == 0;
    let some: Vec<(&str, serde_json::Value)> = fields
        .iter()
        .filter(|(key, _)| wanted(key))
        .map(|(key, value)| (key.as_str(), value.clone()))
        .collect();
    assert_eq!(doc.read_members(wanted), some);
    for key in fields.keys() {
        assert_eq!(texts(&doc, key), texts(&fields, key), "field {key:?}");
    }
    let mut count = 0;
    doc.any_value(&mut |_| {
        count += 1;
        false
    });
    doc.covering_text(&mut |_| {});
    doc.covering_written_text(b"\"/\\\n", &mut |_| {});
    doc.covering_written_text(b"", &mut |_| {});
    // A prefix read stops where the object ends.
    let mut parser = JsonParser::new();
    if let Ok((_, end)) = parser.parse_prefix(data) {
        assert!(end <= data.len());
    }
});
