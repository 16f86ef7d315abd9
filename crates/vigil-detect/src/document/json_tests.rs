//! The fast document against the `serde_json` map of the same text.

use std::fmt::Write as _;

use proptest::prelude::*;
use serde_json::{Map, Value, json};
use vigil_model::Fields;

use super::*;

/// What a document says about a field: absent, null, or its scalars as
/// (kind, text).
fn describe<D: Document>(doc: &D, name: &str) -> Option<(bool, Vec<(char, String)>)> {
    let value = doc.field(name)?;
    let mut out = Vec::new();
    let mut buf = String::new();
    value.any_scalar(&mut |s| {
        let kind = match s {
            Scalar::Str(_) => 's',
            Scalar::Int(_) => 'i',
            Scalar::UInt(_) => 'u',
            Scalar::Float(_) => 'f',
            Scalar::Bool(_) => 'b',
        };
        out.push((kind, s.text(&mut buf).to_owned()));
        false
    });
    Some((value.is_null(), out))
}

fn all_values<D: Document>(doc: &D) -> Vec<String> {
    let mut out = Vec::new();
    let mut buf = String::new();
    doc.any_value(&mut |s| {
        out.push(s.text(&mut buf).to_owned());
        false
    });
    out.sort();
    out
}

/// Every name a rule could ask for: each key at every depth, dotted paths,
/// and the names the nested Windows fallback answers.
fn names(value: &Value, prefix: &str, out: &mut Vec<String>) {
    if let Value::Object(map) = value {
        for (k, v) in map {
            out.push(k.clone());
            let path = if prefix.is_empty() {
                k.clone()
            } else {
                format!("{prefix}.{k}")
            };
            out.push(path.clone());
            out.push(k.replace(' ', ""));
            if let Value::Object(inner) = v {
                for attr in inner.keys() {
                    out.push(format!("{k}_{attr}"));
                }
            }
            names(v, &path, out);
        }
    }
}

fn assert_same(text: &[u8]) {
    let fields: Fields = serde_json::from_slice(text).expect("serde_json reads it");
    let mut parser = JsonParser::new();
    let doc = parser.parse(text).expect("the fast parser reads it");
    assert_eq!(doc.to_fields(), fields, "same document");
    let mut wanted = Vec::new();
    names(&Value::from(fields.clone()), "", &mut wanted);
    wanted.extend(["Missing".to_owned(), "a.b.c".to_owned(), String::new()]);
    for name in &wanted {
        assert_eq!(
            describe(&doc, name),
            describe(&fields, name),
            "field {name:?} of {}",
            String::from_utf8_lossy(text)
        );
    }
    assert_eq!(all_values(&doc), all_values(&fields));
    // The covering text holds every value whole: the keyword prefilter
    // rules an event out only when no literal occurs in it.
    let mut pieces = Vec::new();
    assert!(doc.covering_text(&mut |piece| pieces.push(piece.to_owned())));
    for value in all_values(&doc) {
        assert!(
            pieces.iter().any(|p| p.contains(&value)),
            "value {value:?} not covered by {pieces:?}"
        );
        // The text as written covers each literal of a value, told which
        // of its bytes an escape could hide.
        let bounds: Vec<usize> = (0..=value.len())
            .filter(|&i| value.is_char_boundary(i))
            .collect();
        for (n, &start) in bounds.iter().enumerate().take(8) {
            for &end in bounds.iter().skip(n + 1).take(6) {
                let literal = &value[start..end];
                let bytes = literal.as_bytes();
                let inner: Vec<u8> = bytes
                    .iter()
                    .copied()
                    .filter(u8::is_ascii_control)
                    .chain(
                        bytes[1..]
                            .iter()
                            .copied()
                            .filter(|b| matches!(b, b'"' | b'\\' | b'/')),
                    )
                    .collect();
                let mut written = Vec::new();
                assert!(doc.covering_written_text(&inner, &mut |p| written.push(p.to_owned())));
                assert!(
                    written.iter().any(|p| p.contains(literal)),
                    "literal {literal:?} of {value:?} not covered by {written:?}"
                );
            }
        }
    }
}

#[test]
fn escapes_unicode_nesting_and_numbers() {
    assert_same(br#"{"a":"plain","b":"C:\\Windows\\x.exe","c":"quote \" slash \/ \b\f\n\r\t"}"#);
    assert_same(r#"{"é":"ü\u00e9\ud83d\ude00 😀","k\u00e9y":1}"#.as_bytes());
    assert_same(br#" { "n": null, "t": true, "f": false, "arr": [1, [2, "x"], {"o": 1}, null], "obj": {"x": {"y": [true]}} } "#);
    assert_same(br#"{"i":-0,"j":-9223372036854775808,"u":18446744073709551615,"big":18446744073709551616,"neg":-9223372036854775809,"f":1.5,"e":1e3,"g":-2.5E-3,"z":0}"#);
    assert_same(br##"{"Event":{"System":{"EventID":{"#text":4688,"#attributes":{"Qualifiers":1}},"Provider":{"#attributes":{"Name":"P"}},"Channel":"Security"},"EventData":{"Image":"C:\\x","Threat Name":"EICAR"},"UserData":{"B":{"Op":"2"},"A":{"Op":"1"}}}}"##);
    assert_same(br#"{"a.b":"flat","a":{"b":"nested"}}"#);
    assert_same(br#"{}"#);
}

#[test]
fn the_last_of_duplicate_keys_wins_at_every_depth() {
    assert_same(br#"{"a":1,"b":2,"a":3}"#);
    assert_same(br#"{"o":{"x":1,"x":[2],"y":0},"o":{"x":"last"}}"#);
    let many: String = (0..40).map(|i| format!(r#""k{}":{i},"#, i % 7)).collect();
    assert_same(format!(r#"{{"o":{{{many}"end":1}},{many}"end":2}}"#).as_bytes());
    // Escaped and plain spellings of one key are the same key.
    assert_same(br#"{"ab":1,"a\u0062":2}"#);
    // Keys of one length, first and last byte (the same print), and a top
    // object large enough to be indexed by hash rather than searched.
    assert_same(br#"{"kab":1,"kbb":2,"kab":[3],"kcb":{"kab":4}}"#);
    let large: String = (0..150)
        .map(|i| format!(r#""k{}":[{i}],"#, i % 90))
        .collect();
    assert_same(format!(r#"{{{large}"k3":"last"}}"#).as_bytes());
}

#[test]
fn errors_say_what_and_where() {
    let mut parser = JsonParser::new();
    let err = |p: &mut JsonParser, text: &[u8]| p.parse(text).err().map(|e| (e.kind, e.offset));
    assert_eq!(
        err(&mut parser, b"{\"a\":1"),
        Some((JsonErrorKind::Incomplete, 6))
    );
    assert_eq!(
        err(&mut parser, b"{\"a\":01}"),
        Some((JsonErrorKind::Unexpected(b'1'), 6))
    );
    assert_eq!(
        err(&mut parser, b"{\"a\":1,}"),
        Some((JsonErrorKind::Unexpected(b'}'), 7))
    );
    assert_eq!(
        err(&mut parser, b"{\"a\":\"x\\q\"}"),
        Some((JsonErrorKind::BadEscape, 8))
    );
    assert_eq!(
        err(&mut parser, b"{\"a\":\"\\ud800\"}"),
        Some((JsonErrorKind::BadUnicodeEscape, 12))
    );
    assert_eq!(
        err(&mut parser, b"{\"a\":\"\\udc00\"}"),
        Some((JsonErrorKind::BadUnicodeEscape, 6))
    );
    assert_eq!(
        err(&mut parser, b"{\"a\":\"x\ty\"}"),
        Some((JsonErrorKind::ControlCharacter, 7))
    );
    assert_eq!(
        err(&mut parser, b"{\"a\":\"\xff\"}"),
        Some((JsonErrorKind::NotUtf8, 6))
    );
    assert_eq!(
        err(&mut parser, b"{\"a\":1e999}"),
        Some((JsonErrorKind::NumberOutOfRange, 5))
    );
    assert_eq!(
        err(&mut parser, b"[1]"),
        Some((JsonErrorKind::NotAnObject, 0))
    );
    assert_eq!(
        err(&mut parser, b"{} x"),
        Some((JsonErrorKind::TrailingCharacters, 3))
    );
    assert_eq!(
        err(&mut parser, b"{\"a\":tru}"),
        Some((JsonErrorKind::Unexpected(b'}'), 8))
    );
    let deep = format!("{{\"a\":{}1{}}}", "[".repeat(200), "]".repeat(200));
    assert_eq!(
        err(&mut parser, deep.as_bytes()).map(|e| e.0),
        Some(JsonErrorKind::TooDeep)
    );
    // The parser is fine after errors.
    assert!(parser.parse(b"{\"ok\":1}").is_ok());
}

#[test]
fn prefixes_are_read_one_object_at_a_time() {
    let mut parser = JsonParser::new();
    let input = b"{\"a\":1}\n{\"b\":2} {\"c\"";
    let (doc, end) = parser.parse_prefix(input).expect("first");
    assert!(doc.field("a").is_some());
    assert_eq!(end, 7);
    let (doc, end2) = parser.parse_prefix(&input[end..]).expect("second");
    assert!(doc.field("b").is_some());
    let rest = &input[end + end2..];
    assert_eq!(
        parser.parse_prefix(rest).err().map(|e| e.kind),
        Some(JsonErrorKind::Incomplete)
    );
}

/// Strings with the characters escaping and folding care about.
fn text() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop::sample::select(vec![
            'a', 'Z', ' ', '"', '\\', '/', '\n', '\t', '\u{1}', '\u{1f}', 'é', 'É', '\u{212a}',
            '😀', '\u{7f}', '\u{2028}', '.', '#', '_',
        ]),
        0..8,
    )
    .prop_map(|chars| chars.into_iter().collect())
}

fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => prop::sample::select(vec!["a", "b", "Image", "EventID", "Event", "System", "EventData", "UserData", "#text", "#attributes", "Threat Name", "a.b", "c"]).prop_map(str::to_owned),
        1 => text(),
    ]
}

fn scalar() -> impl Strategy<Value = Value> {
    prop_oneof![
        4 => text().prop_map(Value::String),
        2 => any::<i64>().prop_map(Value::from),
        1 => any::<u64>().prop_map(Value::from),
        1 => any::<f64>().prop_filter("finite", |f| f.is_finite()).prop_map(Value::from),
        1 => (-1000i32..1000, -5i32..5).prop_map(|(m, e)| Value::from(f64::from(m) * 10f64.powi(e))),
        1 => any::<bool>().prop_map(Value::Bool),
        1 => Just(Value::Null),
    ]
}

fn value() -> impl Strategy<Value = Value> {
    scalar().prop_recursive(4, 40, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            prop::collection::vec((key(), inner), 0..6)
                .prop_map(|members| Value::Object(members.into_iter().collect())),
        ]
    })
}

/// Writes `value` as JSON, escaping characters in one of several ways, and
/// repeating a key now and then (the last one is the value).
fn write_json(value: &Value, style: &[u8], at: &mut usize, out: &mut String) {
    fn next(style: &[u8], at: &mut usize) -> u8 {
        *at += 1;
        style.get(*at % style.len().max(1)).copied().unwrap_or(0)
    }
    match value {
        Value::String(s) => write_string(s, next(style, at), out),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(if next(style, at).is_multiple_of(2) {
                        ","
                    } else {
                        " ,\n "
                    });
                }
                write_json(item, style, at, out);
            }
            out.push(']');
        }
        Value::Object(map) => {
            out.push('{');
            for (i, (k, v)) in map.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                if next(style, at).is_multiple_of(5) {
                    // A member that a later one with the same key replaces.
                    write_string(k, next(style, at), out);
                    out.push_str(":\"shadowed\",");
                }
                write_string(k, next(style, at), out);
                out.push_str(if next(style, at).is_multiple_of(2) {
                    ":"
                } else {
                    " : "
                });
                write_json(v, style, at, out);
            }
            out.push('}');
        }
        other => out.push_str(&other.to_string()),
    }
}

fn write_string(s: &str, style: u8, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match (c, style % 3) {
            ('"', _) => out.push_str("\\\""),
            ('\\', _) => out.push_str("\\\\"),
            ('/', 1) => out.push_str("\\/"),
            ('\n', 0) => out.push_str("\\n"),
            ('\t', 0) => out.push_str("\\t"),
            (c, _) if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            (c, 2) if !c.is_ascii() || c == 'a' => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    let _ = write!(out, "\\u{unit:04X}");
                }
            }
            (c, _) => out.push(c),
        }
    }
    out.push('"');
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 600, ..ProptestConfig::default() })]

    #[test]
    fn same_fields_as_serde_json(
        members in prop::collection::vec((key(), value()), 0..8),
        style in prop::collection::vec(any::<u8>(), 1..8),
    ) {
        let object = Value::Object(members.into_iter().collect::<Map<_, _>>());
        let mut text = String::new();
        write_json(&object, &style, &mut 0, &mut text);
        assert_same(text.as_bytes());
    }

    #[test]
    fn never_panics_and_agrees_on_what_is_json(bytes in prop::collection::vec(any::<u8>(), 0..64)) {
        let mut parser = JsonParser::new();
        let fast = parser.parse(&bytes).is_ok();
        let serde = serde_json::from_slice::<Fields>(&bytes).is_ok();
        prop_assert_eq!(fast, serde);
    }

    #[test]
    fn mutated_json_is_accepted_exactly_when_serde_json_accepts_it(
        members in prop::collection::vec((key(), value()), 1..4),
        cut in any::<prop::sample::Index>(),
        byte in any::<u8>(),
    ) {
        let mut text = serde_json::to_vec(&Value::Object(members.into_iter().collect())).unwrap_or_default();
        let at = cut.index(text.len());
        text[at] = byte;
        let mut parser = JsonParser::new();
        let fast = parser.parse(&text).is_ok();
        let serde = serde_json::from_slice::<Fields>(&text).is_ok();
        prop_assert_eq!(fast, serde, "{}", String::from_utf8_lossy(&text));
        if fast {
            assert_same(&text);
        }
    }
}

#[test]
fn json_macro_documents_agree() {
    let value = json!({"x": [1, {"y": "z"}], "w": {"#text": "t"}});
    assert_same(value.to_string().as_bytes());
}

/// One parser reading event after event reuses the buffers of earlier
/// events' unescaped texts: each event still reads its own, whole.
#[test]
fn unescaped_texts_are_each_event_s_own_across_reuse() {
    let mut parser = JsonParser::new();
    let events = [
        r#"{"Image":"C:\\Windows\\System32\\a-very-long-name-indeed.exe","Cmd":"x\ty"}"#,
        r#"{"Image":"C:\\b.exe","Cmd":"\u00e9\\","Other":"p\\q"}"#,
        r#"{"Image":"plain","Cmd":"\"quoted\""}"#,
    ];
    let expected = [
        (r"C:\Windows\System32\a-very-long-name-indeed.exe", "x\ty"),
        (r"C:\b.exe", "é\\"),
        ("plain", "\"quoted\""),
    ];
    for _ in 0..3 {
        for (text, (image, cmd)) in events.iter().zip(expected) {
            let doc = parser.parse(text.as_bytes()).expect("parses");
            assert_eq!(
                describe(&doc, "Image"),
                Some((false, vec![('s', image.to_owned())]))
            );
            assert_eq!(
                describe(&doc, "Cmd"),
                Some((false, vec![('s', cmd.to_owned())]))
            );
        }
    }
}

#[test]
fn members_read_are_the_maps_in_its_order_with_a_repeated_keys_last_value() {
    let text = br#"{"b": 1, "Event": {"x": "y"}, "a": "t", "b": 2, "skip": 3}"#;
    let mut parser = JsonParser::new();
    let doc = parser.parse(text).unwrap();
    let read = doc.read_members(|key| key != "skip");
    let fields = doc.to_fields();
    let expected: Vec<(&str, serde_json::Value)> = (&fields)
        .into_iter()
        .filter(|(key, _)| *key != "skip")
        .map(|(key, value)| (key.as_str(), value.clone()))
        .collect();
    assert_eq!(read, expected);
    let b = read.iter().find(|(key, _)| *key == "b").map(|(_, v)| v);
    assert_eq!(b, Some(&serde_json::json!(2)));
}
