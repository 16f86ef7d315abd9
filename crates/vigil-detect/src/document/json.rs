//! A fast event document for hunting over files: one JSON object read
//! into a flat table of values, strings left in the input (those with
//! escapes unescaped when first read), and the top-level keys hashed for
//! lookup when there are many.
//!
//! It answers [`Document`] exactly as the `serde_json` map of the same
//! text would (same field lookup, same values, the last of duplicate keys),
//! at a fraction of the cost: nothing is allocated per value, and the
//! parser's buffers are reused from event to event.
//!
//! ```
//! use vigil_detect::{Document, JsonParser};
//! let mut parser = JsonParser::new();
//! let doc = parser.parse(br#"{"EventID": 4688, "Image": "C:\\x.exe"}"#).unwrap();
//! assert!(doc.field("Image").is_some());
//! ```

#[cfg(test)]
#[path = "json_tests.rs"]
mod tests;

use std::cell::{OnceCell, RefCell};
use std::hash::BuildHasher;

use hashbrown::HashTable;

pub use super::json_scan::{JsonError, JsonErrorKind};
use super::json_scan::{Kind, Node, Scanner, Tape, escape, key_print};
use super::json_simd::last_print;
use super::json_unescape::unescape;
use super::{Document, FieldValue, JsonNode, Scalar, lookup_with_event};

/// A top object with more members than this is indexed by key hash; one
/// with fewer is searched from its last member back by key print (see
/// [`key_print`]). An event has 16 to 48 members and is asked for a dozen
/// fields: hashing and indexing every key cost more than comparing the
/// prints of a few dozen (the hunt over Security-Datasets took 4 % more
/// instructions).
const INDEX_FROM: usize = 64;

/// Reads JSON objects into [`JsonDocument`]s, reusing its buffers.
#[derive(Debug, Default)]
pub struct JsonParser {
    tape: Tape,
    /// The top object's live members, by key (when it has more than
    /// [`INDEX_FROM`]).
    index: HashTable<u32>,
    hasher: foldhash::fast::RandomState,
    /// By escaped string value: its text unescaped, once read.
    decoded: Vec<OnceCell<String>>,
    /// The buffers of earlier events' unescaped texts, for reuse: a hunt
    /// reads a few escaped values of every event (Windows paths), and
    /// allocating and freeing a string for each was about 1.5 % of it.
    spare: RefCell<Vec<String>>,
}

/// Unescaped-text buffers kept for reuse at most, and the largest kept.
const SPARE_BUFFERS: usize = 256;
const SPARE_CAPACITY: usize = 16 * 1024;

impl JsonParser {
    /// A parser with empty buffers.
    pub fn new() -> Self {
        Self::default()
    }

    /// Reads `text`: exactly one JSON object, with whitespace around it.
    pub fn parse<'a>(&'a mut self, text: &'a [u8]) -> Result<JsonDocument<'a>, JsonError> {
        let (doc, end) = self.parse_prefix(text)?;
        let rest = text.get(end..).unwrap_or(&[]);
        match rest
            .iter()
            .position(|b| !matches!(b, b' ' | b'\n' | b'\r' | b'\t'))
        {
            None => Ok(doc),
            Some(at) => Err(JsonError {
                offset: end + at,
                kind: JsonErrorKind::TrailingCharacters,
            }),
        }
    }

    /// Reads the JSON object at the start of `input` (after whitespace) and
    /// returns it with the offset just after it; what follows is not read.
    /// [`JsonErrorKind::Incomplete`] means `input` ends inside the object.
    pub fn parse_prefix<'a>(
        &'a mut self,
        input: &'a [u8],
    ) -> Result<(JsonDocument<'a>, usize), JsonError> {
        let hasher = &self.hasher;
        let mut scanner = Scanner::new(&mut self.tape, input, |key| hasher.hash_one(key));
        let end = scanner.object(0)?;
        let ascii = !scanner.non_ascii;
        let escapes = scanner.escapes;
        let text = input.get(..end).unwrap_or(&[]);
        debug_assert!(!ascii || text.is_ascii());
        let src = if ascii {
            // SAFETY: the scanner saw every byte of `text`: outside strings
            // only ASCII is accepted, and no string held a byte above 0x7f,
            // so `text` is ASCII and thus UTF-8. Skipping the check saves a
            // pass over every event (5% of a hunt's parsing time).
            unsafe { std::str::from_utf8_unchecked(text) }
        } else {
            std::str::from_utf8(text).map_err(|e| JsonError {
                offset: e.valid_up_to(),
                kind: JsonErrorKind::NotUtf8,
            })?
        };
        let Tape {
            nodes,
            top,
            top_prints,
            arena,
            escaped,
            ..
        } = &mut self.tape;
        // SAFETY: `src` is UTF-8 (checked or known ASCII above), and the
        // arena holds only unescaped keys of it: runs of `src` cut at a
        // quote or backslash (ASCII, so at character boundaries), the ASCII
        // bytes of simple escapes, and `\u` escapes encoded from a `char`.
        let arena = unsafe { std::str::from_utf8_unchecked(arena) };
        let spare = self.spare.get_mut();
        for cell in &mut self.decoded {
            if let Some(text) = cell.take()
                && spare.len() < SPARE_BUFFERS
                && text.capacity() <= SPARE_CAPACITY
            {
                spare.push(text);
            }
        }
        self.decoded.clear();
        self.decoded.resize_with(escaped.len(), OnceCell::new);
        self.index.clear();
        let indexed = top.len() > INDEX_FROM;
        let to_index: &[u32] = if indexed { top } else { &[] };
        for &node in to_index {
            let key = nodes[node as usize].key.resolve(src, arena);
            let hash = hasher.hash_one(key.as_bytes());
            let existing = self.index.find_mut(hash, |&other| {
                nodes[other as usize].key.resolve(src, arena) == key
            });
            match existing {
                Some(slot) => {
                    let older = std::mem::replace(slot, node);
                    nodes[older as usize].shadowed = true;
                }
                None => {
                    self.index.insert_unique(hash, node, |&n| {
                        hasher.hash_one(nodes[n as usize].key.resolve(src, arena).as_bytes())
                    });
                }
            }
        }
        let mut doc = JsonDocument {
            tape: TapeRef {
                nodes,
                src,
                arena,
                escaped,
                decoded: &self.decoded,
                spare: &self.spare,
            },
            members: top,
            member_prints: top_prints,
            index: indexed.then_some(&self.index),
            hasher,
            event: None,
            escapes,
        };
        doc.event = doc.top("Event").map(|v| v.node);
        Ok((doc, end))
    }
}

/// Whether a `serde_json` map holds its keys sorted rather than in the
/// order inserted. That is serde_json's `preserve_order` feature, which any
/// crate in a build may turn on (a workspace build has it, a build of this
/// crate alone does not), so it is asked of a map, once.
fn map_sorts_keys() -> bool {
    static SORTS: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *SORTS.get_or_init(|| {
        let mut map = serde_json::Map::new();
        map.insert("b".into(), serde_json::Value::Null);
        map.insert("a".into(), serde_json::Value::Null);
        map.keys().next().is_some_and(|first| first == "a")
    })
}

/// One JSON object, read by a [`JsonParser`]; borrows the parser and the
/// input until dropped.
#[derive(Debug, Clone, Copy)]
pub struct JsonDocument<'a> {
    tape: TapeRef<'a>,
    /// The top object's members, in order, duplicates included.
    members: &'a [u32],
    /// Their keys' prints (see [`key_print`]).
    member_prints: &'a [u32],
    /// The live ones by key, for a large object; a small one's members
    /// are searched, and its duplicates found, as they are needed.
    index: Option<&'a HashTable<u32>>,
    hasher: &'a foldhash::fast::RandomState,
    /// The top object's `Event` member (the nested Windows shape), looked
    /// up once: every field an event lacks would look for it again.
    event: Option<u32>,
    /// The kinds of escapes its string values hold (bits of [`escape`]).
    escapes: u8,
}

/// The parsed values and the text they point into.
#[derive(Debug, Clone, Copy)]
pub(crate) struct TapeRef<'a> {
    nodes: &'a [Node],
    src: &'a str,
    arena: &'a str,
    /// The spans of `src` of the string values with escapes.
    escaped: &'a [(u32, u32)],
    /// By span: its text unescaped, once read.
    decoded: &'a [OnceCell<String>],
    /// Buffers to unescape into (see [`JsonParser`]).
    spare: &'a RefCell<Vec<String>>,
}

impl<'a> TapeRef<'a> {
    /// The text of the escaped string value `index`, unescaped the first
    /// time it is asked for.
    fn escaped_text(self, index: u32) -> &'a str {
        let Some(cell) = self.decoded.get(index as usize) else {
            return "";
        };
        cell.get_or_init(|| {
            let raw = self
                .escaped
                .get(index as usize)
                .and_then(|&(start, end)| self.src.get(start as usize..end as usize))
                .unwrap_or_default();
            let mut text = self
                .spare
                .try_borrow_mut()
                .ok()
                .and_then(|mut spare| spare.pop())
                .unwrap_or_default();
            text.clear();
            text.reserve(raw.len());
            unescape(raw, &mut text);
            text
        })
    }
}

/// One value of a [`JsonDocument`].
#[derive(Debug, Clone, Copy)]
pub(crate) struct TapeValue<'a> {
    tape: TapeRef<'a>,
    node: u32,
}

impl<'a> JsonDocument<'a> {
    /// The top-level member `key`, as written (no nested lookup).
    fn top(&self, key: &str) -> Option<TapeValue<'a>> {
        let tape = self.tape;
        let is_key = |&n: &u32| {
            tape.nodes
                .get(n as usize)
                .is_some_and(|node| node.key.resolve(tape.src, tape.arena) == key)
        };
        let node = match self.index {
            Some(index) => index.find(self.hasher.hash_one(key.as_bytes()), is_key),
            // The last member of a key is the live one.
            None => {
                let print = key_print(key.as_bytes());
                let mut before = self.member_prints.len();
                loop {
                    let at = last_print(self.member_prints.get(..before)?, print)?;
                    let node = self.members.get(at)?;
                    if is_key(node) {
                        break Some(node);
                    }
                    before = at;
                }
            }
        };
        node.map(|&node| TapeValue { tape, node })
    }

    /// The top-level members that a later one with the same key hides, in
    /// a small object (a large one's were marked when indexed). Only a
    /// visit of every value (keyword rules) needs them.
    fn hidden_members(&self) -> Vec<u32> {
        if self.index.is_some() {
            return Vec::new();
        }
        let tape = self.tape;
        let key = |n: u32| {
            tape.nodes
                .get(n as usize)
                .map_or("", |node| node.key.resolve(tape.src, tape.arena))
        };
        let members = self.members;
        (0..members.len())
            .filter(|&at| {
                let mine = key(members[at]);
                members[at + 1..].iter().any(|&later| key(later) == mine)
            })
            .map(|at| members[at])
            .collect()
    }

    /// The length of the object's text in bytes.
    pub fn text_len(&self) -> usize {
        self.tape.src.len()
    }

    /// The object's text, as read (whitespace before it included).
    pub fn text(&self) -> &'a str {
        self.tape.src
    }

    /// The top-level members whose key `wanted` accepts, with their values:
    /// what [`JsonDocument::to_fields`] would hold for those keys, in its
    /// order (a repeated key in its first place, with its last value). For
    /// a reader that needs a few fields as values, not the whole map.
    ///
    /// A list with borrowed keys rather than a `serde_json` map: ingest
    /// reads about ten members of every event, and the map's owned keys
    /// and hashed inserts were 4 % of `vigil bench ingest`'s CPU; a
    /// repeated key is found by a scan of the few already read.
    pub fn read_members(&self, wanted: impl Fn(&str) -> bool) -> Vec<(&'a str, serde_json::Value)> {
        // Room for what an event usually holds, rather than growing to it.
        let mut out: Vec<(&'a str, serde_json::Value)> = Vec::with_capacity(16);
        for &node in self.members {
            let member = TapeValue {
                tape: self.tape,
                node,
            };
            let key = member.key();
            if !wanted(key) {
                continue;
            }
            let value = member.to_json();
            match out.iter_mut().find(|(read, _)| *read == key) {
                Some(slot) => slot.1 = value,
                None => out.push((key, value)),
            }
        }
        if map_sorts_keys() {
            out.sort_unstable_by(|a, b| a.0.cmp(b.0));
        }
        out
    }

    /// The number of values in the document, nested ones included.
    pub fn value_count(&self) -> usize {
        self.tape.nodes.len()
    }

    /// The document converted to a `serde_json` map (for output; matching
    /// never needs it).
    pub fn to_fields(&self) -> vigil_model::Fields {
        match (TapeValue {
            tape: self.tape,
            node: 0,
        })
        .to_json()
        {
            serde_json::Value::Object(map) => map.into(),
            _ => vigil_model::Fields::new(),
        }
    }
}

impl Document for JsonDocument<'_> {
    fn field(&self, name: &str) -> Option<FieldValue<'_>> {
        let event = || {
            self.event.map(|node| TapeValue {
                tape: self.tape,
                node,
            })
        };
        lookup_with_event(|key| self.top(key), name, event).map(FieldValue::tape)
    }

    fn any_value<'s>(&'s self, visit: &mut impl FnMut(Scalar<'s>) -> bool) -> bool {
        // Every node in order, skipping the subtrees of shadowed members.
        let nodes = self.tape.nodes;
        let hidden = self.hidden_members();
        let mut i = 1;
        while let Some(node) = nodes.get(i) {
            if node.shadowed || hidden.contains(&(i as u32)) {
                i = node.end(i).max(i + 1);
                continue;
            }
            let scalar = TapeValue {
                tape: self.tape,
                node: i as u32,
            }
            .scalar();
            if scalar.is_some_and(&mut *visit) {
                return true;
            }
            i += 1;
        }
        false
    }

    /// The input as written, but for the string values with escapes, and
    /// those values unescaped hold every string, integer and boolean as
    /// rendered; floats are rendered one by one.
    fn covering_text(&self, visit: &mut dyn FnMut(&str)) -> bool {
        let src = self.tape.src;
        let mut from = 0usize;
        for &(start, end) in self.tape.escaped {
            // Spans start after a quote and end at one: character boundaries.
            if let Some(piece) = src.get(from..start as usize) {
                visit(piece);
            }
            from = end as usize;
        }
        visit(src.get(from..).unwrap_or_default());
        for index in 0..self.tape.escaped.len() {
            visit(self.tape.escaped_text(index as u32));
        }
        self.visit_floats(visit);
        true
    }

    /// The input as written, when none of its escapes can hide a literal
    /// (see the trait): nothing is unescaped. Otherwise the covering text.
    fn covering_written_text(&self, inner: &[u8], visit: &mut dyn FnMut(&str)) -> bool {
        let hiding = |kind: u8, bytes: &[u8]| {
            self.escapes & kind != 0 && inner.iter().any(|b| bytes.contains(b))
        };
        if self.escapes & escape::UNICODE != 0
            || hiding(escape::QUOTE, b"\"")
            || hiding(escape::BACKSLASH, b"\\")
            || hiding(escape::SLASH, b"/")
            || hiding(escape::CONTROL, b"\x08\x0c\n\r\t")
        {
            return self.covering_text(visit);
        }
        visit(self.tape.src);
        self.visit_floats(visit);
        true
    }
}

impl JsonDocument<'_> {
    /// Visits every float of the document, rendered.
    fn visit_floats(&self, visit: &mut dyn FnMut(&str)) {
        let mut buf = String::new();
        for node in self.tape.nodes {
            if let Kind::Float(f) = node.kind {
                visit(Scalar::Float(f).text(&mut buf));
            }
        }
    }
}

impl<'a> TapeValue<'a> {
    fn node(&self) -> Option<&'a Node> {
        self.tape.nodes.get(self.node as usize)
    }

    /// Whether the value is JSON null.
    pub(crate) fn is_null(&self) -> bool {
        self.node().is_some_and(|n| matches!(n.kind, Kind::Null))
    }

    fn scalar(&self) -> Option<Scalar<'a>> {
        Some(match self.node()?.kind {
            Kind::Str(text) => Scalar::Str(text.resolve(self.tape.src, self.tape.arena)),
            Kind::Escaped(index) => Scalar::Str(self.tape.escaped_text(index)),
            Kind::Int(i) => Scalar::Int(i),
            Kind::UInt(u) => Scalar::UInt(u),
            Kind::Float(f) => Scalar::Float(f),
            Kind::Bool(b) => Scalar::Bool(b),
            Kind::Null | Kind::Object { .. } | Kind::Array { .. } => return None,
        })
    }

    /// The live children of an object or the elements of an array.
    fn children(&self) -> impl Iterator<Item = TapeValue<'a>> + 'a {
        let tape = self.tape;
        let (mut next, end) = match self.node().map(|n| n.kind) {
            Some(Kind::Object { end } | Kind::Array { end }) => {
                (self.node as usize + 1, end as usize)
            }
            _ => (0, 0),
        };
        std::iter::from_fn(move || {
            loop {
                if next >= end {
                    return None;
                }
                let index = next;
                let node = tape.nodes.get(index)?;
                next = node.end(index).max(index + 1);
                if !node.shadowed {
                    return Some(TapeValue {
                        tape,
                        node: index as u32,
                    });
                }
            }
        })
    }

    fn is_object(&self) -> bool {
        self.node()
            .is_some_and(|n| matches!(n.kind, Kind::Object { .. }))
    }

    fn key(&self) -> &'a str {
        self.node()
            .map_or("", |n| n.key.resolve(self.tape.src, self.tape.arena))
    }

    /// Visits the scalars as [`FieldValue::any_scalar`] does; `deep` also
    /// descends into objects.
    pub(crate) fn any_scalar(
        &self,
        visit: &mut impl FnMut(Scalar<'a>) -> bool,
        deep: bool,
    ) -> bool {
        match self.node().map(|n| n.kind) {
            None | Some(Kind::Null) => false,
            Some(Kind::Array { .. }) => self.children().any(|c| c.any_scalar(visit, deep)),
            Some(Kind::Object { .. }) => deep && self.children().any(|c| c.any_scalar(visit, deep)),
            Some(_) => self.scalar().is_some_and(visit),
        }
    }

    fn to_json(self) -> serde_json::Value {
        use serde_json::Value;
        match self.node().map(|n| n.kind) {
            None | Some(Kind::Null) => Value::Null,
            Some(Kind::Bool(b)) => Value::Bool(b),
            Some(Kind::Int(i)) => Value::from(i),
            Some(Kind::UInt(u)) => Value::from(u),
            Some(Kind::Float(f)) => {
                serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)
            }
            Some(Kind::Str(text)) => {
                Value::String(text.resolve(self.tape.src, self.tape.arena).to_owned())
            }
            Some(Kind::Escaped(index)) => Value::String(self.tape.escaped_text(index).to_owned()),
            Some(Kind::Array { .. }) => {
                Value::Array(self.children().map(TapeValue::to_json).collect())
            }
            Some(Kind::Object { .. }) => Value::Object(
                self.children()
                    .map(|c| (c.key().to_owned(), c.to_json()))
                    .collect(),
            ),
        }
    }
}

impl JsonNode for TapeValue<'_> {
    fn member(self, key: &str) -> Option<Self> {
        if !self.is_object() {
            return None;
        }
        self.children().find(|c| c.key() == key)
    }

    fn members_in_key_order(self, visit: &mut dyn FnMut(&str, Self) -> bool) -> bool {
        if !self.is_object() {
            return false;
        }
        let mut members: Vec<TapeValue<'_>> = self.children().collect();
        members.sort_by(|a, b| a.key().cmp(b.key()));
        members.into_iter().any(|m| visit(m.key(), m))
    }
}
