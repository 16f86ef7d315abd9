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

use serde_json::Value;
use vigil_model::{Event, Fields};

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
        use std::fmt::Write as _;
        let mut render = |args: std::fmt::Arguments<'_>| {
            buf.clear();
            // Writing to a String cannot fail.
            let _ = buf.write_fmt(args);
        };
        match self {
            Scalar::Str(s) => return s,
            Scalar::Int(i) => render(format_args!("{i}")),
            Scalar::UInt(u) => render(format_args!("{u}")),
            Scalar::Float(f) => render(format_args!("{f}")),
            Scalar::Bool(b) => render(format_args!("{b}")),
        }
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

    /// Whether the field is present with a null value.
    pub fn is_null(&self) -> bool {
        matches!(self.repr, Repr::Json(Value::Null))
    }

    /// Calls `visit` on each scalar of the value (each element of a list,
    /// nested lists flattened; nulls and objects are skipped) until it
    /// returns `true`. Returns whether it did.
    pub fn any_scalar(&self, visit: &mut impl FnMut(Scalar<'a>) -> bool) -> bool {
        match self.repr {
            Repr::Scalar(s) => visit(s),
            Repr::Json(v) => any_json_scalar(v, visit, false),
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
}

impl Document for Fields {
    fn field(&self, name: &str) -> Option<FieldValue<'_>> {
        lookup(self, name).map(FieldValue::json)
    }

    fn any_value<'a>(&'a self, visit: &mut impl FnMut(Scalar<'a>) -> bool) -> bool {
        self.values().any(|v| any_json_scalar(v, visit, true))
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

fn lookup<'a>(fields: &'a Fields, name: &str) -> Option<&'a Value> {
    if let Some(v) = fields.get(name) {
        return Some(text_node(v));
    }
    if name.contains('.') {
        let mut segments = name.split('.');
        let first = segments.next()?;
        let mut current = fields.get(first)?;
        for segment in segments {
            current = current.as_object()?.get(segment)?;
        }
        return Some(text_node(current));
    }
    lookup_nested_windows(fields, name)
}

/// An XML element converted to JSON as `{"#text": …, "#attributes": …}`
/// stands for its text.
fn text_node(value: &Value) -> &Value {
    match value {
        Value::Object(map) => map.get("#text").unwrap_or(value),
        other => other,
    }
}

/// The stand-in for field mapping until processing pipelines exist: in the
/// nested Windows shape, `X` is looked for as `Event.EventData.X` (also
/// under a name that only differs by spaces, since Sigma strips the spaces
/// of names such as Defender's `Threat Name`), `Event.System.X` and
/// `Event.UserData.<element>.X`, and `X_Y` as the attribute
/// `Event.System.X.#attributes.Y` (Sigma's `Provider_Name`).
pub fn lookup_nested_windows<'a>(fields: &'a Fields, name: &str) -> Option<&'a Value> {
    let event = fields.get("Event")?.as_object()?;
    let section = |key: &str| event.get(key).and_then(Value::as_object);
    if let Some(data) = section("EventData") {
        if let Some(v) = data.get(name) {
            return Some(text_node(v));
        }
        let spaced = data.iter().find(|(key, _)| {
            key.contains(' ') && key.chars().filter(|c| *c != ' ').eq(name.chars())
        });
        if let Some((_, v)) = spaced {
            return Some(text_node(v));
        }
    }
    let system = section("System");
    if let Some(v) = system.and_then(|s| s.get(name)) {
        return Some(text_node(v));
    }
    if let Some(user_data) = section("UserData") {
        for element in user_data.values() {
            if let Some(v) = element.as_object().and_then(|e| e.get(name)) {
                return Some(text_node(v));
            }
        }
    }
    let (element, attribute) = name.split_once('_')?;
    system?
        .get(element)?
        .as_object()?
        .get("#attributes")?
        .as_object()?
        .get(attribute)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn fields(v: Value) -> Fields {
        match v {
            Value::Object(m) => m,
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
