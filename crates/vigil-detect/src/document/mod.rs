//! How rules read an event: by field name, and all values at once for
//! keyword searches.
//!
//! Matchers see events only through [`Document`], so a faster event
//! representation can replace the `serde_json` map later without touching
//! them.
//!
//! Field names are case-sensitive (the specification makes only values
//! case-insensitive). A name is looked up exactly first; a dotted name
//! (`a.b.c`) then falls back to nested objects. Until processing pipelines
//! map fields, Windows events in the nested XML-to-JSON shape
//! (`Event.System`, `Event.EventData`, `Event.UserData`) are also searched:
//! see [`lookup_nested_windows`]. Pipelines will replace that fallback.

use serde_json::{Map, Value};
use vigil_model::{Event, Fields};

mod json;
mod json_scan;
mod json_simd;
mod json_unescape;

use json::TapeValue;
pub use json::{JsonDocument, JsonError, JsonErrorKind, JsonParser};

/// A single value of a field.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Scalar<'a> {
    /// Text.
    Str(&'a str),
    /// A signed integer.
    Int(i64),
    /// An unsigned integer beyond `i64`.
    UInt(u64),
    /// A floating-point number.
    Float(f64),
    /// A boolean.
    Bool(bool),
}

impl<'a> Scalar<'a> {
    /// The value as text: strings as they are, numbers in decimal, booleans
    /// as `true`/`false`. `buf` holds the text of non-strings.
    pub fn text<'s>(&'s self, buf: &'s mut String) -> &'s str
    where
        'a: 's,
    {
        let mut digits = itoa::Buffer::new();
        let text = match self {
            Scalar::Str(s) => return s,
            Scalar::Int(i) => digits.format(*i),
            Scalar::UInt(u) => digits.format(*u),
            Scalar::Bool(b) => {
                if *b {
                    "true"
                } else {
                    "false"
                }
            }
            Scalar::Float(f) => {
                use std::fmt::Write as _;
                buf.clear();
                // Writing to a String cannot fail.
                let _ = write!(buf, "{f}");
                return buf.as_str();
            }
        };
        buf.clear();
        buf.push_str(text);
        buf.as_str()
    }

    fn from_json(value: &'a Value) -> Option<Scalar<'a>> {
        Some(match value {
            Value::String(s) => Scalar::Str(s),
            Value::Bool(b) => Scalar::Bool(*b),
            Value::Number(n) => {
                if let Some(i) = n.as_i64() {
                    Scalar::Int(i)
                } else if let Some(u) = n.as_u64() {
                    Scalar::UInt(u)
                } else {
                    Scalar::Float(n.as_f64()?)
                }
            }
            _ => return None,
        })
    }
}

/// The value of a present field: one scalar, null, a list, or an object.
#[derive(Debug, Clone, Copy)]
pub struct FieldValue<'a> {
    repr: Repr<'a>,
}

#[derive(Debug, Clone, Copy)]
enum Repr<'a> {
    Json(&'a Value),
    Scalar(Scalar<'a>),
    Tape(TapeValue<'a>),
}

impl<'a> FieldValue<'a> {
    /// A field value held as JSON.
    pub fn json(value: &'a Value) -> Self {
        FieldValue {
            repr: Repr::Json(value),
        }
    }

    /// A field value that is a single scalar.
    pub fn scalar(value: Scalar<'a>) -> Self {
        FieldValue {
            repr: Repr::Scalar(value),
        }
    }

    /// A field value in a [`crate::JsonDocument`].
    pub(crate) fn tape(value: TapeValue<'a>) -> Self {
        FieldValue {
            repr: Repr::Tape(value),
        }
    }

    /// Whether the field is present with a null value.
    pub fn is_null(&self) -> bool {
        match self.repr {
            Repr::Json(v) => v.is_null(),
            Repr::Scalar(_) => false,
            Repr::Tape(v) => v.is_null(),
        }
    }

    /// Calls `visit` on each scalar of the value (each element of a list,
    /// nested lists flattened; nulls and objects are skipped) until it
    /// returns `true`. Returns whether it did.
    pub fn any_scalar(&self, visit: &mut impl FnMut(Scalar<'a>) -> bool) -> bool {
        match self.repr {
            Repr::Scalar(s) => visit(s),
            Repr::Json(v) => any_json_scalar(v, visit, false),
            Repr::Tape(v) => v.any_scalar(visit, false),
        }
    }
}

/// Visits the scalars of `value`; `deep` also descends into objects (for
/// keyword search over a whole document).
fn any_json_scalar<'a>(
    value: &'a Value,
    visit: &mut impl FnMut(Scalar<'a>) -> bool,
    deep: bool,
) -> bool {
    match value {
        Value::Array(items) => items.iter().any(|v| any_json_scalar(v, visit, deep)),
        Value::Object(map) if deep => map.values().any(|v| any_json_scalar(v, visit, deep)),
        Value::Object(_) | Value::Null => false,
        other => Scalar::from_json(other).is_some_and(visit),
    }
}

/// Something rules can be matched against.
pub trait Document {
    /// The value of `field`, or `None` when the event has no such field.
    fn field(&self, name: &str) -> Option<FieldValue<'_>>;

    /// Calls `visit` on every scalar value anywhere in the document (for
    /// keyword searches) until it returns `true`. Returns whether it did.
    fn any_value<'a>(&'a self, visit: &mut impl FnMut(Scalar<'a>) -> bool) -> bool;

    /// Calls `visit` with pieces of text such that the text of every
    /// scalar value (as [`Scalar::text`] renders it) is a substring of one
    /// piece; the pieces may hold more (keys, punctuation). Returns `false`
    /// when the document cannot offer such pieces. A keyword search none
    /// of whose literals occurs in the pieces cannot match, which rules it
    /// out without visiting every value.
    fn covering_text(&self, visit: &mut dyn FnMut(&str)) -> bool {
        let _ = visit;
        false
    }

    /// Like [`Self::covering_text`], but the pieces may be the document as
    /// written (JSON with its escapes left in), which spares unescaping
    /// text that is only searched: every occurrence of a literal in a
    /// scalar value's text is also one in a piece, for literals whose bytes
    /// after the first are in `inner` only where `inner` says so. `inner`
    /// holds each of `"`, `\`, `/` that some literal has past its first
    /// byte, and each control character some literal has anywhere.
    fn covering_written_text(&self, inner: &[u8], visit: &mut dyn FnMut(&str)) -> bool {
        let _ = inner;
        self.covering_text(visit)
    }
}

impl Document for Map<String, Value> {
    fn field(&self, name: &str) -> Option<FieldValue<'_>> {
        lookup(self, name).map(FieldValue::json)
    }

    fn any_value<'a>(&'a self, visit: &mut impl FnMut(Scalar<'a>) -> bool) -> bool {
        self.values().any(|v| any_json_scalar(v, visit, true))
    }
}

impl Document for Fields {
    fn field(&self, name: &str) -> Option<FieldValue<'_>> {
        self.as_map().field(name)
    }

    fn any_value<'a>(&'a self, visit: &mut impl FnMut(Scalar<'a>) -> bool) -> bool {
        self.as_map().any_value(visit)
    }
}

impl Document for Event {
    fn field(&self, name: &str) -> Option<FieldValue<'_>> {
        self.fields.field(name)
    }

    fn any_value<'a>(&'a self, visit: &mut impl FnMut(Scalar<'a>) -> bool) -> bool {
        self.fields.any_value(visit)
    }
}

/// A JSON value as lookups see it, whatever holds it.
pub(crate) trait JsonNode: Copy {
    /// The member `key` of an object (the last one, if written twice).
    fn member(self, key: &str) -> Option<Self>;
    /// Calls `visit` on the members of an object, each key once, in key
    /// order (as a `serde_json` map iterates), until it returns `true`.
    fn members_in_key_order(self, visit: &mut dyn FnMut(&str, Self) -> bool) -> bool;
}

impl JsonNode for &Value {
    fn member(self, key: &str) -> Option<Self> {
        self.as_object()?.get(key)
    }

    fn members_in_key_order(self, visit: &mut dyn FnMut(&str, Self) -> bool) -> bool {
        let Some(map) = self.as_object() else {
            return false;
        };
        // A map keeps insertion order when `serde_json`'s `preserve_order`
        // is on (the `evtx` crate turns it on), so the order is made here.
        let mut members: Vec<(&String, &Value)> = map.iter().collect();
        members.sort_by(|a, b| a.0.cmp(b.0));
        members.into_iter().any(|(k, v)| visit(k, v))
    }
}

fn lookup<'a>(fields: &'a Map<String, Value>, name: &str) -> Option<&'a Value> {
    let first = |key: &str| fields.get(key);
    lookup_in(first, name)
}

/// A field's value: the member named exactly `name` of the top object
/// (found with `top`), else a dotted path into nested objects, else the
/// nested Windows fallback.
pub(crate) fn lookup_in<'a, N: JsonNode + 'a>(
    top: impl Fn(&str) -> Option<N>,
    name: &str,
) -> Option<N> {
    lookup_with_event(&top, name, || top("Event"))
}

/// [`lookup_in`], with the top object's `Event` member given by `event`
/// (asked only when the nested Windows fallback is reached): a document
/// that looked it up once need not look it up again for every field it
/// lacks.
pub(crate) fn lookup_with_event<'a, N: JsonNode + 'a>(
    top: impl Fn(&str) -> Option<N>,
    name: &str,
    event: impl FnOnce() -> Option<N>,
) -> Option<N> {
    if let Some(v) = top(name) {
        return Some(text_node(v));
    }
    if name.contains('.') {
        let mut segments = name.split('.');
        let mut current = top(segments.next()?)?;
        for segment in segments {
            current = current.member(segment)?;
        }
        return Some(text_node(current));
    }
    nested_windows(event()?, name)
}

/// An XML element converted to JSON as `{"#text": …, "#attributes": …}`
/// stands for its text.
fn text_node<N: JsonNode>(value: N) -> N {
    value.member("#text").unwrap_or(value)
}

/// The stand-in for field mapping until processing pipelines exist: in the
/// nested Windows shape, `X` is looked for as `Event.EventData.X` (also
/// under a name that only differs by spaces, since Sigma strips the spaces
/// of names such as Defender's `Threat Name`), `Event.System.X` and
/// `Event.UserData.<element>.X`, and `X_Y` as the attribute
/// `Event.System.X.#attributes.Y` (Sigma's `Provider_Name`).
pub fn lookup_nested_windows<'a>(fields: &'a Map<String, Value>, name: &str) -> Option<&'a Value> {
    nested_windows(fields.get("Event")?, name)
}

fn nested_windows<N: JsonNode>(event: N, name: &str) -> Option<N> {
    if let Some(data) = event.member("EventData") {
        if let Some(v) = data.member(name) {
            return Some(text_node(v));
        }
        let mut spaced = None;
        data.members_in_key_order(&mut |key, v| {
            let hit = key.contains(' ') && key.chars().filter(|c| *c != ' ').eq(name.chars());
            if hit {
                spaced = Some(v);
            }
            hit
        });
        if let Some(v) = spaced {
            return Some(text_node(v));
        }
    }
    let system = event.member("System");
    if let Some(v) = system.and_then(|s| s.member(name)) {
        return Some(text_node(v));
    }
    if let Some(user_data) = event.member("UserData") {
        let mut found = None;
        user_data.members_in_key_order(&mut |_, element| {
            found = element.member(name);
            found.is_some()
        });
        if let Some(v) = found {
            return Some(text_node(v));
        }
    }
    let (element, attribute) = name.split_once('_')?;
    system?
        .member(element)?
        .member("#attributes")?
        .member(attribute)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn fields(v: Value) -> Fields {
        match v {
            Value::Object(m) => m.into(),
            _ => panic!("not an object"),
        }
    }

    fn texts(doc: &Fields, name: &str) -> Option<Vec<String>> {
        let value = doc.field(name)?;
        let mut out = Vec::new();
        let mut buf = String::new();
        value.any_scalar(&mut |s| {
            out.push(s.text(&mut buf).to_owned());
            false
        });
        Some(out)
    }

    #[test]
    fn exact_then_dotted_then_nested_windows() {
        let doc = fields(json!({
            "EventID": 4688,
            "a.b": "flat",
            "a": {"b": "nested", "c": {"d": true}},
            "Event": {
                "System": {"Channel": "Security", "Provider": {"#attributes": {"Name": "Service Control Manager"}},
                           "EventID": {"#text": 7045, "#attributes": {"Qualifiers": 16384}}},
                "EventData": {"Image": "C:\\x.exe", "Threat Name": "EICAR"},
                "UserData": {"Operation_ClientFailure": {"Operation": "Connect"}}
            }
        }));
        assert_eq!(texts(&doc, "EventID").unwrap(), ["4688"]);
        assert_eq!(texts(&doc, "a.b").unwrap(), ["flat"]);
        assert_eq!(texts(&doc, "a.c.d").unwrap(), ["true"]);
        assert_eq!(texts(&doc, "Image").unwrap(), ["C:\\x.exe"]);
        assert_eq!(texts(&doc, "Channel").unwrap(), ["Security"]);
        assert_eq!(
            texts(&doc, "Provider_Name").unwrap(),
            ["Service Control Manager"]
        );
        assert_eq!(texts(&doc, "Operation").unwrap(), ["Connect"]);
        assert_eq!(texts(&doc, "ThreatName").unwrap(), ["EICAR"]);
        assert!(doc.field("Threat").is_none());
        assert!(doc.field("Missing").is_none());
        assert!(
            doc.field("eventid").is_none(),
            "field names are case-sensitive"
        );
        let nested = fields(json!({"Event": {"System": {"EventID": {"#text": 7045}}}}));
        assert_eq!(texts(&nested, "EventID").unwrap(), ["7045"]);
    }

    #[test]
    fn lists_flatten_and_nulls_are_present_but_valueless() {
        let doc = fields(json!({"x": ["a", 1, [true, null], {"o": 1}], "n": null}));
        assert_eq!(texts(&doc, "x").unwrap(), ["a", "1", "true"]);
        assert!(doc.field("n").is_some_and(|v| v.is_null()));
        assert_eq!(texts(&doc, "n").unwrap(), Vec::<String>::new());
    }

    #[test]
    fn any_value_reaches_every_scalar() {
        let doc = fields(json!({"a": "x", "b": {"c": ["y", 2.5]}, "d": null}));
        let mut seen = Vec::new();
        let mut buf = String::new();
        doc.any_value(&mut |s| {
            seen.push(s.text(&mut buf).to_owned());
            false
        });
        seen.sort();
        assert_eq!(seen, ["2.5", "x", "y"]);
    }
}
