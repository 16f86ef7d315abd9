//! An event's own fields, kept whole: a JSON object, read into a map only
//! when something asks for it.
//!
//! Most events are never looked at field by field after ingest: detection
//! reads the line the source sent with its own reader, and the store keeps
//! that line as it came. Building a map of owned strings for every event
//! (a key and a value allocated per field, each hashed into an `IndexMap`)
//! was the largest part of ingest's parsing, and freeing it again on the
//! store's writer thread a few per cent more. So [`Fields`] made from JSON
//! text keeps the text and reads it into the map the first time the map is
//! asked for; fields made any other way are the map from the start.

use std::ops::{Deref, DerefMut};
use std::sync::OnceLock;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

/// The original fields of an event, kept whole, under their source's names
/// (`EventID`, `Image`, `CommandLine`, `src`, `msg` …), so that rules written
/// against source field names match without loss.
///
/// It reads as a `serde_json` map (it dereferences to one). Made from JSON
/// text ([`Fields::from_checked_json`]), it keeps the text, which the store
/// writes as it is, and reads it into the map when the map is first asked
/// for; changing the fields drops the text.
#[derive(Default, Clone)]
pub struct Fields {
    /// The JSON text of the object, while the fields are unchanged since
    /// they were read from it.
    json: Option<String>,
    /// The fields as a map: read from `json` when first asked for, or the
    /// only form when there is no text.
    map: OnceLock<Map<String, Value>>,
}

impl Fields {
    /// No fields.
    pub fn new() -> Self {
        Self::default()
    }

    /// No fields yet, with room for `capacity`.
    pub fn with_capacity(capacity: usize) -> Self {
        Map::with_capacity(capacity).into()
    }

    /// Fields to be read from `json`, the text of one JSON object that the
    /// caller has already read and found well-formed by `serde_json`'s rules
    /// (the detection engine's reader accepts exactly those). The text is
    /// read into the map only when the map is first asked for.
    ///
    /// Text that `serde_json` would not read as an object breaks that
    /// promise: its fields read as empty (and a debug build panics).
    pub fn from_checked_json(json: String) -> Self {
        Self {
            json: Some(json),
            map: OnceLock::new(),
        }
    }

    /// The JSON text the fields were read from, while they are unchanged
    /// since.
    pub fn json_text(&self) -> Option<&str> {
        self.json.as_deref()
    }

    /// The JSON text the fields were read from, while they are unchanged
    /// since; otherwise the fields back, to be serialised.
    pub fn into_json_text(self) -> Result<String, Fields> {
        match self.json {
            Some(json) => Ok(json),
            None => Err(self),
        }
    }

    /// Whether the map has been built (from the text, or by making the
    /// fields some other way).
    pub fn is_read(&self) -> bool {
        self.map.get().is_some()
    }

    /// The fields as a map (read from the text on first use).
    pub fn as_map(&self) -> &Map<String, Value> {
        self.map.get_or_init(|| read(self.json.as_deref()))
    }

    /// The fields as a map to change; the text they were read from no
    /// longer says what they are, and is dropped.
    pub fn as_map_mut(&mut self) -> &mut Map<String, Value> {
        if let Some(json) = self.json.take() {
            self.map.get_or_init(|| read(Some(&json)));
        }
        if self.map.get().is_none() {
            self.map = OnceLock::from(Map::new());
        }
        match self.map.get_mut() {
            Some(map) => map,
            // Set just above when it was not.
            None => unreachable!("the map was made above"),
        }
    }

    /// The fields as a map, owned.
    pub fn into_map(self) -> Map<String, Value> {
        let Self { json, map } = self;
        map.into_inner().unwrap_or_else(|| read(json.as_deref()))
    }
}

/// Reads the text of a checked JSON object (see [`Fields::from_checked_json`]).
fn read(json: Option<&str>) -> Map<String, Value> {
    let Some(json) = json else {
        return Map::new();
    };
    match serde_json::from_str(json) {
        Ok(map) => map,
        Err(e) => {
            debug_assert!(false, "fields from unchecked JSON ({e}): {json}");
            Map::new()
        }
    }
}

impl Deref for Fields {
    type Target = Map<String, Value>;

    fn deref(&self) -> &Self::Target {
        self.as_map()
    }
}

impl DerefMut for Fields {
    fn deref_mut(&mut self) -> &mut Self::Target {
        self.as_map_mut()
    }
}

impl std::fmt::Debug for Fields {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.as_map().fmt(f)
    }
}

impl PartialEq for Fields {
    fn eq(&self, other: &Self) -> bool {
        if let (Some(a), Some(b)) = (self.json_text(), other.json_text())
            && a == b
        {
            return true;
        }
        self.as_map() == other.as_map()
    }
}

impl From<Map<String, Value>> for Fields {
    fn from(map: Map<String, Value>) -> Self {
        Self {
            json: None,
            map: OnceLock::from(map),
        }
    }
}

impl From<Fields> for Map<String, Value> {
    fn from(fields: Fields) -> Self {
        fields.into_map()
    }
}

impl From<Fields> for Value {
    fn from(fields: Fields) -> Self {
        Value::Object(fields.into_map())
    }
}

impl FromIterator<(String, Value)> for Fields {
    fn from_iter<I: IntoIterator<Item = (String, Value)>>(iter: I) -> Self {
        Map::from_iter(iter).into()
    }
}

impl Extend<(String, Value)> for Fields {
    fn extend<I: IntoIterator<Item = (String, Value)>>(&mut self, iter: I) {
        self.as_map_mut().extend(iter);
    }
}

impl IntoIterator for Fields {
    type Item = (String, Value);
    type IntoIter = serde_json::map::IntoIter;

    fn into_iter(self) -> Self::IntoIter {
        self.into_map().into_iter()
    }
}

impl<'a> IntoIterator for &'a Fields {
    type Item = (&'a String, &'a Value);
    type IntoIter = serde_json::map::Iter<'a>;

    fn into_iter(self) -> Self::IntoIter {
        self.as_map().iter()
    }
}

impl<'a> IntoIterator for &'a mut Fields {
    type Item = (&'a String, &'a mut Value);
    type IntoIter = serde_json::map::IterMut<'a>;

    fn into_iter(self) -> Self::IntoIter {
        self.as_map_mut().iter_mut()
    }
}

impl Serialize for Fields {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.as_map().serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Fields {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Map::deserialize(deserializer).map(Fields::from)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const LINE: &str = r#"{"EventID": 4688, "Image": "C:\\Windows\\cmd.exe", "EventID": 1}"#;

    #[test]
    fn text_is_read_only_when_the_map_is_asked_for_and_as_serde_json_reads_it() {
        let fields = Fields::from_checked_json(LINE.to_owned());
        assert!(!fields.is_read());
        assert_eq!(fields.json_text(), Some(LINE));
        assert_eq!(fields.get("EventID"), Some(&json!(1)));
        assert!(fields.is_read());
        let expected: Map<String, Value> = serde_json::from_str(LINE).unwrap();
        assert_eq!(*fields, expected);
        // Reading leaves the text: the fields are what it says.
        assert_eq!(fields.json_text(), Some(LINE));
        assert_eq!(fields.into_json_text().ok().as_deref(), Some(LINE));
    }

    #[test]
    fn changing_the_fields_drops_the_text() {
        let mut fields = Fields::from_checked_json(LINE.to_owned());
        fields.insert("person_id".into(), json!("p-1"));
        assert_eq!(fields.json_text(), None);
        assert_eq!(fields.len(), 3);
        let map = fields.clone().into_json_text().unwrap_err().into_map();
        assert_eq!(map.get("person_id"), Some(&json!("p-1")));
        assert_eq!(map.get("Image"), Some(&json!("C:\\Windows\\cmd.exe")));
    }

    #[test]
    fn fields_from_text_and_from_a_map_are_equal_and_serialise_alike() {
        let from_text = Fields::from_checked_json(LINE.to_owned());
        let from_map: Fields = serde_json::from_str::<Map<String, Value>>(LINE)
            .unwrap()
            .into();
        assert_eq!(from_text, from_map);
        assert_eq!(
            serde_json::to_string(&from_text).unwrap(),
            serde_json::to_string(&from_map).unwrap()
        );
        let back: Fields =
            serde_json::from_str(&serde_json::to_string(&from_text).unwrap()).unwrap();
        assert_eq!(back, from_map);
        assert_eq!(back.json_text(), None);
    }

    #[test]
    fn made_fields_are_a_map_from_the_start() {
        let mut fields = Fields::new();
        assert!(fields.is_empty());
        fields.insert("a".into(), json!(1));
        let collected: Fields = [("a".to_owned(), json!(1))].into_iter().collect();
        assert_eq!(fields, collected);
        assert!(collected.is_read());
        assert_eq!(Value::from(collected), json!({"a": 1}));
    }
}
