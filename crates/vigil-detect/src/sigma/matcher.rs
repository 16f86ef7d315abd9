//! The compiled form of a rule and its evaluation against a document.
//!
//! Patterns are folded to lowercase once, at compile time, and sorted by
//! shape: exact values, prefixes, suffixes and substrings (the substrings of
//! one field searched together with Aho-Corasick), leaving a general
//! wildcard matcher only for the rest.

use std::collections::{HashMap, HashSet};

use aho_corasick::AhoCorasick;

use super::ast::Number;
use super::modifiers::RefMode;
use super::values::{
    Cidr, CmpOp, TimePart, fold_into, parse_ip, parse_number, parse_timestamp, timestamp_from_epoch,
};
use crate::document::{Document, FieldValue, Scalar};

/// State reused across evaluations: the fields of the current event, each
/// looked up, rendered as text and case-folded once however many rules read
/// it, and text buffers.
#[derive(Debug, Default)]
pub(crate) struct Scratch {
    /// Bumped for every event; a slot filled under an older generation is stale.
    generation: u64,
    /// One slot per field name of the rule set (see [`FieldSlots`]).
    slots: Vec<Slot>,
    bufs: Bufs,
}

impl Scratch {
    /// Forgets the previous event's fields.
    pub(crate) fn begin_event(&mut self) {
        self.generation = self.generation.wrapping_add(1);
    }

    /// The prepared values of field `name` (slot `index`) of `doc`.
    fn prepare<D: Document>(&mut self, index: usize, name: &str, doc: &D) -> (&Slot, &mut Bufs) {
        if index >= self.slots.len() {
            self.slots.resize_with(index + 1, Slot::default);
        }
        let generation = self.generation;
        if let Some(slot) = self.slots.get_mut(index)
            && (slot.generation != generation || !slot.filled)
        {
            slot.fill(generation, doc.field(name));
        }
        (&self.slots[index], &mut self.bufs)
    }
}

#[derive(Debug, Default)]
struct Bufs {
    /// A value being prepared outside the field cache (keyword searches).
    keyword: Prepared,
    /// The text of a `fieldref`'s other value.
    other: String,
    /// Its folded form.
    other_folded: String,
}

/// A field of the current event, prepared.
#[derive(Debug, Default)]
struct Slot {
    generation: u64,
    filled: bool,
    presence: Presence,
    /// Prepared values; only the first `len` belong to the current event
    /// (the rest keep their buffers for reuse).
    values: Vec<Prepared>,
    len: usize,
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
enum Presence {
    #[default]
    Absent,
    Null,
    Values,
}

impl Slot {
    fn fill(&mut self, generation: u64, value: Option<FieldValue<'_>>) {
        self.generation = generation;
        self.filled = true;
        self.len = 0;
        self.presence = match value {
            None => Presence::Absent,
            Some(v) if v.is_null() => Presence::Null,
            Some(v) => {
                let values = &mut self.values;
                let len = &mut self.len;
                v.any_scalar(&mut |scalar| {
                    if values.len() == *len {
                        values.push(Prepared::default());
                    }
                    if let Some(p) = values.get_mut(*len) {
                        p.fill(scalar);
                    }
                    *len += 1;
                    false
                });
                Presence::Values
            }
        };
    }

    fn values(&self) -> &[Prepared] {
        self.values.get(..self.len).unwrap_or(&[])
    }
}

/// One scalar value rendered for matching.
#[derive(Debug, Default)]
struct Prepared {
    kind: Kind,
    /// The value's text.
    text: String,
    /// The text case-folded.
    folded: String,
}

#[derive(Debug, Default, Clone, Copy)]
enum Kind {
    #[default]
    Str,
    Int(i128),
    Float(f64),
    Bool,
}

impl Prepared {
    fn fill(&mut self, scalar: Scalar<'_>) {
        self.kind = match scalar {
            Scalar::Str(_) => Kind::Str,
            Scalar::Int(i) => Kind::Int(i128::from(i)),
            Scalar::UInt(u) => Kind::Int(i128::from(u)),
            Scalar::Float(f) => Kind::Float(f),
            Scalar::Bool(_) => Kind::Bool,
        };
        match scalar {
            Scalar::Str(text) => {
                self.text.clear();
                self.text.push_str(text);
            }
            other => {
                other.text(&mut self.text);
            }
        }
        fold_into(&self.text, &mut self.folded);
    }

    fn number(&self) -> Option<Number> {
        match self.kind {
            Kind::Int(i) => Some(Number::Int(i)),
            Kind::Float(f) => Some(Number::Float(f)),
            Kind::Str => parse_number(&self.text),
            Kind::Bool => None,
        }
    }

    fn timestamp(&self) -> Option<chrono::DateTime<chrono::Utc>> {
        match self.kind {
            Kind::Str => parse_timestamp(&self.text),
            Kind::Int(i) => timestamp_from_epoch(i),
            Kind::Float(_) | Kind::Bool => None,
        }
    }
}

/// Field names numbered across a rule set, so each event field is
/// prepared once per event in its own slot.
#[derive(Debug, Clone, Default)]
pub(crate) struct FieldSlots {
    slots: HashMap<Box<str>, usize>,
}

impl FieldSlots {
    /// The slot of `field`, numbering it if new.
    pub(crate) fn slot(&mut self, field: &str) -> usize {
        let next = self.slots.len();
        *self.slots.entry(field.into()).or_insert(next)
    }
}

/// A compiled rule: its searches and the condition over them.
#[derive(Debug, Clone)]
pub(crate) struct CompiledDetection {
    pub(crate) searches: Box<[Node]>,
    pub(crate) root: Node,
}

impl CompiledDetection {
    /// Whether the rule matches `doc`; `scratch` must have begun this event.
    pub(crate) fn matches<D: Document>(&self, doc: &D, scratch: &mut Scratch) -> bool {
        self.root.eval(&self.searches, doc, scratch)
    }
}

/// A node of a compiled condition or search.
#[derive(Debug, Clone)]
pub(crate) enum Node {
    And(Box<[Node]>),
    Or(Box<[Node]>),
    Not(Box<Node>),
    AtLeast(usize, Box<[Node]>),
    /// The search at this index of the rule.
    Search(usize),
    Field(Box<FieldTest>),
    Keyword(Box<KeywordTest>),
}

impl Node {
    fn eval<D: Document>(&self, searches: &[Node], doc: &D, s: &mut Scratch) -> bool {
        match self {
            Node::And(parts) => parts.iter().all(|p| p.eval(searches, doc, s)),
            Node::Or(parts) => parts.iter().any(|p| p.eval(searches, doc, s)),
            Node::Not(inner) => !inner.eval(searches, doc, s),
            Node::AtLeast(n, parts) => {
                let mut count = 0;
                for p in parts.iter() {
                    if p.eval(searches, doc, s) {
                        count += 1;
                        if count >= *n {
                            return true;
                        }
                    }
                }
                false
            }
            Node::Search(i) => searches
                .get(*i)
                .is_some_and(|search| search.eval(searches, doc, s)),
            Node::Field(test) => test.eval(doc, s),
            Node::Keyword(test) => test.eval(doc, s),
        }
    }
}

/// A test of one field.
#[derive(Debug, Clone)]
pub(crate) struct FieldTest {
    pub(crate) field: Box<str>,
    /// The field's slot in the rule set's [`FieldSlots`].
    pub(crate) slot: usize,
    pub(crate) negate: bool,
    pub(crate) check: Check,
}

/// What a field test checks.
#[derive(Debug, Clone)]
pub(crate) enum Check {
    /// Presence (`true`) or absence (`false`).
    Exists(bool),
    /// Some value matches the set.
    Any(Box<ValueSet>),
    /// Each set is matched by some value.
    All(Box<[ValueSet]>),
}

impl FieldTest {
    fn eval<D: Document>(&self, doc: &D, s: &mut Scratch) -> bool {
        let (slot, bufs) = s.prepare(self.slot, &self.field, doc);
        let holds = match &self.check {
            Check::Exists(present) => (slot.presence != Presence::Absent) == *present,
            Check::Any(set) => set.matches_slot(slot, doc, bufs),
            Check::All(sets) => sets.iter().all(|set| set.matches_slot(slot, doc, bufs)),
        };
        holds != self.negate
    }
}

/// A keyword search over every value of the document.
#[derive(Debug, Clone)]
pub(crate) struct KeywordTest {
    pub(crate) negate: bool,
    /// [`Check::Any`] or [`Check::All`].
    pub(crate) check: Check,
}

impl KeywordTest {
    fn eval<D: Document>(&self, doc: &D, s: &mut Scratch) -> bool {
        let holds = match &self.check {
            Check::Exists(_) => false,
            Check::Any(set) => set.matches_any_value(doc, &mut s.bufs),
            Check::All(sets) => sets
                .iter()
                .all(|set| set.matches_any_value(doc, &mut s.bufs)),
        };
        holds != self.negate
    }
}

/// Operands that any one value may satisfy.
#[derive(Debug, Clone, Default)]
pub(crate) struct ValueSet {
    /// An absent or null field satisfies the set.
    pub(crate) null: bool,
    pub(crate) folded: Option<TextSet>,
    pub(crate) cased: Option<TextSet>,
    pub(crate) regexes: Vec<regex::Regex>,
    pub(crate) compares: Vec<(CmpOp, Number)>,
    pub(crate) times: Vec<(TimePart, i64)>,
    pub(crate) cidrs: Vec<Cidr>,
    pub(crate) field_refs: Vec<FieldRefTest>,
}

/// `fieldref`: compare with another field of the same event.
#[derive(Debug, Clone)]
pub(crate) struct FieldRefTest {
    pub(crate) field: Box<str>,
    pub(crate) mode: RefMode,
    pub(crate) cased: bool,
}

impl ValueSet {
    fn matches_slot<D: Document>(&self, slot: &Slot, doc: &D, bufs: &mut Bufs) -> bool {
        match slot.presence {
            Presence::Absent | Presence::Null => self.null,
            Presence::Values => slot.values().iter().any(|value| {
                self.matches_value(value, doc, &mut bufs.other, &mut bufs.other_folded)
            }),
        }
    }

    fn matches_any_value<D: Document>(&self, doc: &D, bufs: &mut Bufs) -> bool {
        let Bufs {
            keyword,
            other,
            other_folded,
        } = bufs;
        doc.any_value(&mut |scalar| {
            keyword.fill(scalar);
            self.matches_value(keyword, doc, other, other_folded)
        })
    }

    fn matches_value<D: Document>(
        &self,
        value: &Prepared,
        doc: &D,
        other: &mut String,
        other_folded: &mut String,
    ) -> bool {
        if self
            .folded
            .as_ref()
            .is_some_and(|set| set.matches(&value.folded))
            || self
                .cased
                .as_ref()
                .is_some_and(|set| set.matches(&value.text))
            || self.regexes.iter().any(|re| re.is_match(&value.text))
        {
            return true;
        }
        if self
            .field_refs
            .iter()
            .any(|r| field_ref_holds(r, value, doc, other, other_folded))
        {
            return true;
        }
        if !self.compares.is_empty()
            && let Some(n) = value.number()
            && self.compares.iter().any(|(op, bound)| op.holds(n, *bound))
        {
            return true;
        }
        if !self.times.is_empty()
            && let Some(at) = value.timestamp()
            && self.times.iter().any(|(part, v)| part.of(at) == *v)
        {
            return true;
        }
        if !self.cidrs.is_empty()
            && matches!(value.kind, Kind::Str)
            && let Some(ip) = parse_ip(&value.text)
            && self.cidrs.iter().any(|c| c.contains(ip))
        {
            return true;
        }
        false
    }
}

fn field_ref_holds<D: Document>(
    test: &FieldRefTest,
    value: &Prepared,
    doc: &D,
    other_text: &mut String,
    other_folded: &mut String,
) -> bool {
    let Some(other) = doc.field(&test.field) else {
        return false;
    };
    let mine = if test.cased {
        value.text.as_str()
    } else {
        value.folded.as_str()
    };
    other.any_scalar(&mut |o| {
        let theirs = if test.cased {
            o.text(other_text)
        } else {
            fold_into(o.text(other_text), other_folded);
            other_folded.as_str()
        };
        match test.mode {
            RefMode::Equal => mine == theirs,
            RefMode::Prefix => mine.starts_with(theirs),
            RefMode::Suffix => mine.ends_with(theirs),
            RefMode::Contains => mine.contains(theirs),
        }
    })
}

/// Wildcard patterns sorted by shape. Folded sets hold folded patterns and
/// are given folded values.
#[derive(Debug, Clone, Default)]
pub(crate) struct TextSet {
    /// `*`: any value at all.
    pub(crate) any: bool,
    pub(crate) exact: Exact,
    pub(crate) prefixes: Vec<Box<str>>,
    pub(crate) suffixes: Vec<Box<str>>,
    pub(crate) contains: Option<AhoCorasick>,
    pub(crate) globs: Vec<Glob>,
}

/// Exact values: a short list is scanned, a long one hashed.
#[derive(Debug, Clone)]
pub(crate) enum Exact {
    List(Vec<Box<str>>),
    Set(HashSet<Box<str>>),
}

impl Default for Exact {
    fn default() -> Self {
        Exact::List(Vec::new())
    }
}

impl TextSet {
    fn matches(&self, text: &str) -> bool {
        if self.any {
            return true;
        }
        let exact = match &self.exact {
            Exact::List(values) => values.iter().any(|v| &**v == text),
            Exact::Set(values) => values.contains(text),
        };
        exact
            || self.prefixes.iter().any(|p| text.starts_with(&**p))
            || self.suffixes.iter().any(|p| text.ends_with(&**p))
            || self.contains.as_ref().is_some_and(|ac| ac.is_match(text))
            || self.globs.iter().any(|g| g.matches(text))
    }
}

/// One token of a general wildcard pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum GlobToken {
    Lit(Box<str>),
    /// `*`
    Run,
    /// `?`
    One,
}

/// A wildcard pattern that is not a plain prefix, suffix or substring.
#[derive(Debug, Clone)]
pub(crate) struct Glob {
    pub(crate) tokens: Box<[GlobToken]>,
}

impl Glob {
    /// Matches the whole of `text`: greedy with backtracking to the last
    /// `*`, linear in practice and never exponential.
    pub(crate) fn matches(&self, text: &str) -> bool {
        let tokens = &self.tokens;
        let (mut t, mut p) = (0usize, 0usize);
        let mut star: Option<(usize, usize)> = None;
        loop {
            if let Some(token) = tokens.get(t) {
                match token {
                    GlobToken::Run => {
                        star = Some((t, p));
                        t += 1;
                        continue;
                    }
                    GlobToken::One => {
                        if let Some(c) = text[p..].chars().next() {
                            p += c.len_utf8();
                            t += 1;
                            continue;
                        }
                    }
                    GlobToken::Lit(lit) => {
                        if text[p..].starts_with(&**lit) {
                            p += lit.len();
                            t += 1;
                            continue;
                        }
                    }
                }
            } else if p == text.len() {
                return true;
            }
            // Mismatch: let the last `*` swallow one more character.
            match star {
                Some((star_t, star_p)) => match text[star_p..].chars().next() {
                    Some(c) => {
                        let next = star_p + c.len_utf8();
                        star = Some((star_t, next));
                        t = star_t + 1;
                        p = next;
                    }
                    None => return false,
                },
                None => return false,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn glob(tokens: Vec<GlobToken>) -> Glob {
        Glob {
            tokens: tokens.into_boxed_slice(),
        }
    }

    fn lit(s: &str) -> GlobToken {
        GlobToken::Lit(s.into())
    }

    #[test]
    fn glob_matching() {
        use GlobToken::{One, Run};
        let g = glob(vec![lit("prog"), One, lit(".exe")]);
        assert!(g.matches("progA.exe"));
        assert!(g.matches("progé.exe"));
        assert!(!g.matches("prog.exe"));
        assert!(!g.matches("progAB.exe"));
        let g = glob(vec![lit("a"), Run, lit("b"), Run, lit("c")]);
        assert!(g.matches("abc"));
        assert!(g.matches("axxbyyc"));
        assert!(g.matches("abcbc"));
        assert!(!g.matches("acb"));
        let g = glob(vec![Run, lit("aab")]);
        assert!(g.matches("aaab"));
        let g = glob(vec![Run, One, Run]);
        assert!(g.matches("x"));
        assert!(!g.matches(""));
        let g = glob(vec![]);
        assert!(g.matches(""));
        assert!(!g.matches("a"));
    }
}
