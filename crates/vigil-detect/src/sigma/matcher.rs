//! The compiled form of a rule and its evaluation against a document.
//!
//! Text patterns are not matched rule by rule. Every distinct text pattern
//! of the rule set on a field is an *atom* (see [`crate::automaton`]); an
//! event's field is scanned once, by one automaton holding every pattern of
//! every rule on that field, and the atoms that hold are set in a bit set.
//! A rule's leaves then only test bits, plus the few operands that are not
//! text patterns (regular expressions, comparisons, networks, timestamps,
//! field references), which are evaluated here on the prepared values.

use super::ast::Number;
use super::lazy_regex::LazyRegex;
use super::modifiers::RefMode;
use super::values::{
    Cidr, CmpOp, TimePart, parse_ip, parse_number, parse_timestamp, timestamp_from_epoch,
};
pub(crate) use crate::automaton::FieldSlots;
use crate::automaton::{AtomBits, Automata, FieldMatcher, MEMO_MAX_LEN, ScanMemo};
use crate::document::{Document, FieldValue, Scalar};
use crate::textfold::fold_into;

/// What evaluation reads: the automata of the event's log source and the event.
pub(crate) struct Ctx<'a, D> {
    pub(crate) automata: &'a Automata,
    pub(crate) doc: &'a D,
}

/// State reused across evaluations: the fields of the current event, each
/// looked up, rendered as text, case-folded and scanned for atoms once
/// however many rules read it; the atoms that hold; text buffers.
#[derive(Debug, Default)]
pub(crate) struct Scratch {
    /// Bumped for every event; anything stamped with an older generation is stale.
    pub(crate) generation: u64,
    /// One slot per field name of the rule set (see [`FieldSlots`]).
    slots: Vec<Slot>,
    /// The atoms that hold for the current event (of the fields scanned so far).
    pub(crate) bits: AtomBits,
    bufs: Bufs,
    /// Scan results of repeated values.
    memo: ScanMemo,
}

impl Scratch {
    /// Forgets the previous event's fields and atoms.
    pub(crate) fn begin_event(&mut self, atom_count: usize) {
        self.generation = self.generation.wrapping_add(1);
        self.bits.reset(atom_count);
    }

    /// The prepared values of field `index` of `ctx.doc`, looked up once per event.
    fn prepare<D: Document>(&mut self, index: usize, name: &str, doc: &D) -> &mut Slot {
        if index >= self.slots.len() {
            self.slots.resize_with(index + 1, Slot::default);
        }
        let generation = self.generation;
        let slot = &mut self.slots[index];
        if slot.generation != generation {
            slot.fill(generation, doc.field(name));
        }
        slot
    }

    /// Makes sure the atoms of field `index` are in `bits` for this event,
    /// and returns the field's prepared values.
    pub(crate) fn scan_field<D: Document>(
        &mut self,
        index: usize,
        name: &str,
        ctx: &Ctx<'_, D>,
    ) -> (&Slot, &AtomBits, &mut Bufs) {
        let generation = self.generation;
        self.prepare(index, name, ctx.doc);
        let Scratch {
            slots,
            bits,
            bufs,
            memo,
            ..
        } = self;
        let slot = &mut slots[index];
        if slot.scanned != generation {
            slot.scanned = generation;
            if let Some(matcher) = ctx.automata.field(index) {
                for value in slot.values_mut() {
                    scan_value(matcher, value, bits, memo);
                }
            }
        }
        (&slots[index], bits, bufs)
    }

    /// Sets the atoms of field `index` that `wake` searches for (a subset
    /// of the route's atoms of the field: the ones that wake rules), so
    /// that a field scanned up front for every event is searched only for
    /// the literals that decide which rules to evaluate. The rest of its
    /// atoms are searched by [`Self::scan_field`] if a woken rule reads the
    /// field. When `wake` holds the same automaton as `ctx`, the field is
    /// scanned in full at once.
    pub(crate) fn wake_field<D: Document>(
        &mut self,
        index: usize,
        name: &str,
        wake: &Automata,
        ctx: &Ctx<'_, D>,
    ) {
        let Some(wake) = wake.field(index) else {
            return;
        };
        if ctx
            .automata
            .field(index)
            .is_some_and(|full| std::ptr::eq(full, wake))
        {
            self.scan_field(index, name, ctx);
            return;
        }
        let generation = self.generation;
        self.prepare(index, name, ctx.doc);
        let Scratch {
            slots, bits, memo, ..
        } = self;
        let slot = &mut slots[index];
        if slot.scanned != generation {
            for value in slot.values_mut() {
                scan_value(wake, value, bits, memo);
            }
        }
    }
}

/// Scans one value with `matcher`, or takes the atoms remembered for it.
/// The value is case-folded only when it is scanned.
fn scan_value(
    matcher: &FieldMatcher,
    value: &mut Prepared,
    bits: &mut AtomBits,
    memo: &mut ScanMemo,
) {
    let atoms = match memo.lookup(matcher.id(), &value.text, MEMO_MAX_LEN) {
        Ok(atoms) => atoms,
        Err(Some(probe)) => {
            value.fold();
            let Prepared { text, folded, .. } = &*value;
            memo.record(Some(probe), text, |fresh| matcher.scan(text, folded, fresh))
        }
        // Too long to be remembered whole.
        Err(None) => {
            value.fold();
            matcher.scan_long(&value.text, &value.folded, bits, memo);
            return;
        }
    };
    for &atom in atoms {
        bits.set(atom);
    }
}

#[derive(Debug, Default)]
pub(crate) struct Bufs {
    /// A value being prepared outside the field cache (keyword searches).
    keyword: Prepared,
    /// The text of a `fieldref`'s other value.
    other: String,
    /// Its folded form.
    other_folded: String,
}

/// A field of the current event, prepared.
#[derive(Debug, Default)]
pub(crate) struct Slot {
    generation: u64,
    /// The generation whose atoms have been scanned from this field.
    scanned: u64,
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

    fn values_mut(&mut self) -> &mut [Prepared] {
        self.values.get_mut(..self.len).unwrap_or(&mut [])
    }
}

/// One scalar value rendered for matching.
#[derive(Debug, Default)]
pub(crate) struct Prepared {
    kind: Kind,
    /// The value's text.
    pub(crate) text: String,
    /// The text case-folded, once [`Self::fold`] has run for this value.
    pub(crate) folded: String,
    folded_ready: bool,
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
    pub(crate) fn fill(&mut self, scalar: Scalar<'_>) {
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
        self.folded_ready = false;
    }

    /// Folds the text's case into `folded`, once per value: most values
    /// never need it (their scan result is remembered, or no rule reads
    /// them case-insensitively).
    pub(crate) fn fold(&mut self) {
        if !self.folded_ready {
            fold_into(&self.text, &mut self.folded);
            self.folded_ready = true;
        }
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

/// A compiled rule: its searches and the condition over them.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub(crate) struct CompiledDetection {
    pub(crate) searches: Box<[Node]>,
    /// The searches' identifiers, for explaining a match.
    pub(crate) names: Box<[Box<str>]>,
    pub(crate) root: Node,
}

impl CompiledDetection {
    /// Moves the detection's slot and atom numbers to those of the whole
    /// rule set, after it was compiled with a part's own vocabulary.
    pub(crate) fn renumber(&mut self, numbers: &crate::automaton::Renumbering) {
        for node in self.searches.iter_mut() {
            node.renumber(numbers);
        }
        self.root.renumber(numbers);
    }

    /// Compiles the detection's regexes now (they are otherwise compiled
    /// on first use) and returns the first that cannot be, with its field
    /// (`<keywords>` for a keyword search) and why.
    pub(crate) fn compile_regexes(&self) -> Option<(&str, &LazyRegex, &str)> {
        self.searches
            .iter()
            .chain(std::iter::once(&self.root))
            .find_map(Node::uncompilable_regex)
    }

    /// Whether the rule matches `ctx.doc`; `scratch` must have begun this event.
    pub(crate) fn matches<D: Document>(&self, ctx: &Ctx<'_, D>, scratch: &mut Scratch) -> bool {
        self.root.eval(&self.searches, ctx, scratch)
    }
}

/// A node of a compiled condition or search.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
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
    fn renumber(&mut self, numbers: &crate::automaton::Renumbering) {
        let renumber_check = |check: &mut Check| match check {
            Check::Exists(_) => {}
            Check::Any(set) => set.renumber(numbers),
            Check::All(sets) => sets.iter_mut().for_each(|set| set.renumber(numbers)),
        };
        match self {
            Node::And(parts) | Node::Or(parts) | Node::AtLeast(_, parts) => {
                parts.iter_mut().for_each(|p| p.renumber(numbers));
            }
            Node::Not(inner) => inner.renumber(numbers),
            Node::Search(_) => {}
            Node::Field(test) => {
                test.slot = numbers.slot(test.slot);
                renumber_check(&mut test.check);
            }
            Node::Keyword(test) => renumber_check(&mut test.check),
        }
    }

    fn uncompilable_regex(&self) -> Option<(&str, &LazyRegex, &str)> {
        match self {
            Node::And(parts) | Node::Or(parts) | Node::AtLeast(_, parts) => {
                parts.iter().find_map(Node::uncompilable_regex)
            }
            Node::Not(inner) => inner.uncompilable_regex(),
            Node::Search(_) => None,
            Node::Field(test) => test.check.uncompilable_regex(&test.field),
            Node::Keyword(test) => test.check.uncompilable_regex("<keywords>"),
        }
    }

    fn eval<D: Document>(&self, searches: &[Node], ctx: &Ctx<'_, D>, s: &mut Scratch) -> bool {
        match self {
            Node::And(parts) => parts.iter().all(|p| p.eval(searches, ctx, s)),
            Node::Or(parts) => parts.iter().any(|p| p.eval(searches, ctx, s)),
            Node::Not(inner) => !inner.eval(searches, ctx, s),
            Node::AtLeast(n, parts) => {
                let mut count = 0;
                for p in parts.iter() {
                    if p.eval(searches, ctx, s) {
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
                .is_some_and(|search| search.eval(searches, ctx, s)),
            Node::Field(test) => test.eval(ctx, s),
            Node::Keyword(test) => test.eval(ctx, s),
        }
    }
}

/// A test of one field.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub(crate) struct FieldTest {
    pub(crate) field: Box<str>,
    /// The field's slot in the rule set's [`FieldSlots`].
    pub(crate) slot: usize,
    pub(crate) negate: bool,
    pub(crate) check: Check,
}

/// What a field test checks.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub(crate) enum Check {
    /// Presence (`true`) or absence (`false`).
    Exists(bool),
    /// Some value matches the set.
    Any(Box<ValueSet>),
    /// Each set is matched by some value.
    All(Box<[ValueSet]>),
}

impl Check {
    fn uncompilable_regex<'a>(
        &'a self,
        field: &'a str,
    ) -> Option<(&'a str, &'a LazyRegex, &'a str)> {
        let sets: &[ValueSet] = match self {
            Check::Exists(_) => &[],
            Check::Any(set) => std::slice::from_ref(&**set),
            Check::All(sets) => sets,
        };
        sets.iter()
            .flat_map(|set| &set.regexes)
            .find_map(|re| re.compiled().err().map(|why| (field, re, why)))
    }
}

impl FieldTest {
    fn eval<D: Document>(&self, ctx: &Ctx<'_, D>, s: &mut Scratch) -> bool {
        let holds = match &self.check {
            Check::Exists(present) => {
                let slot = s.prepare(self.slot, &self.field, ctx.doc);
                (slot.presence != Presence::Absent) == *present
            }
            Check::Any(set) => {
                let (slot, bits, bufs) = s.scan_field(self.slot, &self.field, ctx);
                set.matches_slot(slot, bits, ctx.doc, bufs)
            }
            Check::All(sets) => {
                let (slot, bits, bufs) = s.scan_field(self.slot, &self.field, ctx);
                sets.iter()
                    .all(|set| set.matches_slot(slot, bits, ctx.doc, bufs))
            }
        };
        holds != self.negate
    }
}

/// A keyword search over every value of the document.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub(crate) struct KeywordTest {
    pub(crate) negate: bool,
    /// [`Check::Any`] or [`Check::All`].
    pub(crate) check: Check,
}

impl KeywordTest {
    fn eval<D: Document>(&self, ctx: &Ctx<'_, D>, s: &mut Scratch) -> bool {
        // The keyword atoms of the rule's log source were scanned when the
        // event began (see `Engine::select`).
        let holds = match &self.check {
            Check::Exists(_) => false,
            Check::Any(set) => set.matches_any_value(ctx.doc, &s.bits, &mut s.bufs),
            Check::All(sets) => sets
                .iter()
                .all(|set| set.matches_any_value(ctx.doc, &s.bits, &mut s.bufs)),
        };
        holds != self.negate
    }
}

/// Operands that any one value may satisfy.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub(crate) struct ValueSet {
    /// An absent or null field satisfies the set.
    pub(crate) null: bool,
    /// The text patterns, as atoms of the field (or of the keyword space).
    pub(crate) atoms: Box<[u32]>,
    pub(crate) regexes: Vec<LazyRegex>,
    pub(crate) compares: Vec<(CmpOp, Number)>,
    pub(crate) times: Vec<(TimePart, i64)>,
    pub(crate) cidrs: Vec<Cidr>,
    pub(crate) field_refs: Vec<FieldRefTest>,
}

/// `fieldref`: compare with another field of the same event.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub(crate) struct FieldRefTest {
    pub(crate) field: Box<str>,
    pub(crate) mode: RefMode,
    pub(crate) cased: bool,
}

impl ValueSet {
    fn renumber(&mut self, numbers: &crate::automaton::Renumbering) {
        for atom in self.atoms.iter_mut() {
            *atom = numbers.atom(*atom);
        }
    }

    /// Whether anything but text patterns has to be evaluated value by value.
    pub(crate) fn has_residual(&self) -> bool {
        !(self.regexes.is_empty()
            && self.compares.is_empty()
            && self.times.is_empty()
            && self.cidrs.is_empty()
            && self.field_refs.is_empty())
    }

    fn any_atom(&self, bits: &AtomBits) -> bool {
        self.atoms.iter().any(|&a| bits.get(a))
    }

    fn matches_slot<D: Document>(
        &self,
        slot: &Slot,
        bits: &AtomBits,
        doc: &D,
        bufs: &mut Bufs,
    ) -> bool {
        match slot.presence {
            Presence::Absent | Presence::Null => self.null,
            Presence::Values => {
                self.any_atom(bits)
                    || (self.has_residual()
                        && slot.values().iter().any(|value| {
                            self.residual_matches(
                                value,
                                doc,
                                &mut bufs.other,
                                &mut bufs.other_folded,
                            )
                        }))
            }
        }
    }

    fn matches_any_value<D: Document>(&self, doc: &D, bits: &AtomBits, bufs: &mut Bufs) -> bool {
        if self.any_atom(bits) {
            return true;
        }
        if !self.has_residual() {
            return false;
        }
        let Bufs {
            keyword,
            other,
            other_folded,
        } = bufs;
        doc.any_value(&mut |scalar| {
            keyword.fill(scalar);
            self.residual_matches(keyword, doc, other, other_folded)
        })
    }

    /// Whether `value` satisfies an operand that is not a text pattern.
    pub(crate) fn residual_matches<D: Document>(
        &self,
        value: &Prepared,
        doc: &D,
        other: &mut String,
        other_folded: &mut String,
    ) -> bool {
        if self.regexes.iter().any(|re| re.is_match(&value.text)) {
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
    let mine_folded;
    let mine = if test.cased {
        value.text.as_str()
    } else if value.folded_ready {
        value.folded.as_str()
    } else {
        mine_folded = super::values::fold(&value.text);
        mine_folded.as_str()
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
