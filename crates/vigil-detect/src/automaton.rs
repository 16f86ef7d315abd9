//! Atoms: the distinct text patterns of a whole rule set, each tested once
//! per event however many rules use it.
//!
//! An atom is one text pattern (exact value, prefix, suffix, substring,
//! general wildcard, or `*`) on one field, case-folded or cased. Keyword
//! searches have their own atom space over every value of the event. For
//! each field, all the atoms of every rule are searched together: exact
//! values by hashing the whole value, the rest with one Aho-Corasick
//! automaton over their literals, reporting every occurrence (overlapping),
//! so that a substring atom holds on any occurrence, a prefix atom on an
//! occurrence at the start, a suffix atom on one at the end. A general
//! wildcard is checked only where its longest literal occurs.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};
use rustc_hash::FxBuildHasher;

mod anchored;
mod bits;
mod finder;
mod glob;
mod joined;
mod keywords;
mod lines;
mod memo;
mod slots;

use anchored::{AnchoredSet, End};
pub(crate) use bits::AtomBits;
use finder::{Finder, Occurrence};
pub(crate) use glob::{Glob, GlobToken};
pub(crate) use joined::Joined;
use joined::SEPARATOR;
pub(crate) use keywords::KeywordMatcher;
pub(crate) use memo::{MEMO_MAX_LEN, ScanMemo};
use slots::SlotNames;

/// What an atom reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub(crate) enum Target {
    /// The values of the field in this slot.
    Field(usize),
    /// Every value of the event (keyword searches).
    Keywords,
}

/// The shape of a text pattern, its text already case-folded when the atom
/// is case-insensitive.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub(crate) enum Shape {
    /// `*`: any value at all.
    Any,
    Exact(Box<str>),
    Prefix(Box<str>),
    Suffix(Box<str>),
    Contains(Box<str>),
    Glob(Glob),
}

impl Shape {
    /// The literal whose occurrence is necessary for the pattern to hold,
    /// when there is one.
    pub(crate) fn literal(&self) -> Option<&str> {
        match self {
            Shape::Any => None,
            Shape::Exact(l) | Shape::Prefix(l) | Shape::Suffix(l) | Shape::Contains(l) => Some(l),
            Shape::Glob(g) => g.longest_literal(),
        }
    }
}

/// One atom: a pattern on a target.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub(crate) struct AtomDef {
    pub(crate) target: Target,
    pub(crate) cased: bool,
    pub(crate) shape: Shape,
}

/// The vocabulary of a rule set being compiled: field names numbered into
/// slots, and text patterns numbered into atoms (equal patterns on the same
/// field share one atom).
#[derive(Debug, Clone, Default)]
pub(crate) struct FieldSlots {
    names: SlotNames,
    // Fx rather than SipHash: the keys are the rules' own patterns, not
    // an attacker's, and SipHash showed in profiles of loading 2,407 rules.
    atoms: HashMap<AtomDef, u32, FxBuildHasher>,
    defs: Vec<AtomDef>,
}

impl FieldSlots {
    /// The slot of `field`, numbering it if new.
    pub(crate) fn slot(&mut self, field: &str) -> usize {
        self.names.slot(field)
    }

    /// The atom for `def`, numbering it if new.
    pub(crate) fn atom(&mut self, def: AtomDef) -> u32 {
        if let Some(&id) = self.atoms.get(&def) {
            return id;
        }
        let id = u32::try_from(self.defs.len()).unwrap_or(u32::MAX);
        self.atoms.insert(def.clone(), id);
        self.defs.push(def);
        id
    }

    /// Takes in the vocabulary of `part` (rules compiled on their own, on
    /// another thread), numbering what is new to this one after what it
    /// has, in `part`'s order; returns where `part`'s numbers went. Taking
    /// in the parts in rule order numbers everything as compiling the rules
    /// one after another here would have.
    pub(crate) fn absorb(&mut self, part: FieldSlots) -> Renumbering {
        let slots: Vec<usize> = part.names.names().iter().map(|n| self.slot(n)).collect();
        let atoms = part
            .defs
            .into_iter()
            .map(|mut def| {
                if let Target::Field(slot) = &mut def.target {
                    *slot = slots.get(*slot).copied().unwrap_or(*slot);
                }
                self.atom(def)
            })
            .collect();
        Renumbering { slots, atoms }
    }

    /// The finished vocabulary: atoms and field names.
    pub(crate) fn build(self) -> AtomIndex {
        AtomIndex {
            names: self.names.names().to_vec().into_boxed_slice(),
            defs: self.defs.into_boxed_slice(),
        }
    }
}

/// Where the slot and atom numbers of a part of a rule set went when the
/// part's vocabulary was taken into the whole's ([`FieldSlots::absorb`]).
#[derive(Debug)]
pub(crate) struct Renumbering {
    slots: Vec<usize>,
    atoms: Vec<u32>,
}

impl Renumbering {
    /// The whole's number for the part's `slot`.
    pub(crate) fn slot(&self, slot: usize) -> usize {
        self.slots.get(slot).copied().unwrap_or(slot)
    }

    /// The whole's number for the part's `atom`.
    pub(crate) fn atom(&self, atom: u32) -> u32 {
        self.atoms.get(atom as usize).copied().unwrap_or(atom)
    }
}

#[derive(Default)]
struct Builders {
    folded: IndexBuilder,
    cased: IndexBuilder,
}

impl Builders {
    /// Builders for a field's atoms: its values are scanned one by one, so
    /// prefixes and suffixes can be matched at the ends of each.
    fn for_field() -> Self {
        let mut builders = Self::default();
        builders.folded.anchors = true;
        builders.cased.anchors = true;
        builders
    }

    fn add(&mut self, id: u32, def: &AtomDef) {
        let builder = if def.cased {
            &mut self.cased
        } else {
            &mut self.folded
        };
        builder.add(id, &def.shape);
    }

    fn build(self) -> Option<FieldMatcher> {
        if self.folded.is_empty() && self.cased.is_empty() {
            return None;
        }
        Some(FieldMatcher {
            id: memo::next_matcher_id(),
            folded: self.folded.build(),
            cased: self.cased.build(),
        })
    }
}

/// Every atom of the rule set, and the field names.
#[derive(Debug, Default)]
pub(crate) struct AtomIndex {
    names: Box<[Box<str>]>,
    defs: Box<[AtomDef]>,
}

impl AtomIndex {
    /// The field name of `slot`.
    pub(crate) fn name(&self, slot: usize) -> &str {
        self.names.get(slot).map_or("", |n| n)
    }

    /// How many atoms there are.
    pub(crate) fn atom_count(&self) -> usize {
        self.defs.len()
    }

    /// The definition of `atom`.
    pub(crate) fn def(&self, atom: u32) -> Option<&AtomDef> {
        self.defs.get(atom as usize)
    }

    /// One automaton per field for the field atoms among `atoms`.
    #[cfg(test)]
    pub(crate) fn automata(&self, atoms: &[u32]) -> Automata {
        self.automata_shared(atoms, &MatcherCache::default())
    }

    /// [`Self::automata`], taking the automaton of a field from `cache`
    /// when an earlier route had the same atoms on it: routes overlap
    /// (every Windows route holds the `product: windows` rules), and
    /// building a large automaton costs far more than looking it up.
    pub(crate) fn automata_shared(&self, atoms: &[u32], cache: &MatcherCache) -> Automata {
        // By slot, in order of first appearance: the slot's field atoms.
        let mut groups: Vec<(usize, Vec<u32>)> = Vec::new();
        let mut by_slot = vec![u32::MAX; self.names.len()];
        for &atom in atoms {
            let Some(def) = self.def(atom) else { continue };
            let Target::Field(slot) = def.target else {
                continue;
            };
            let Some(index) = by_slot.get_mut(slot) else {
                continue;
            };
            if *index == u32::MAX {
                *index = u32::try_from(groups.len()).unwrap_or(u32::MAX);
                groups.push((slot, Vec::new()));
            }
            if let Some((_, group)) = groups.get_mut(*index as usize) {
                group.push(atom);
            }
        }
        let cells: Vec<(usize, Arc<MatcherCell>)> = groups
            .into_iter()
            .map(|(slot, mut group)| {
                group.sort_unstable();
                group.dedup();
                (slot, cache.cell(slot, group))
            })
            .collect();
        let build = |atoms: &[u32]| {
            let mut builders = Builders::for_field();
            for &atom in atoms {
                if let Some(def) = self.def(atom) {
                    builders.add(atom, def);
                }
            }
            builders.build().map(Arc::new)
        };
        // First the automata no other thread has begun, then the rest
        // (waiting for those being built): two threads that need the same
        // new route share its automata out instead of one waiting for the
        // other to build them all.
        for (_, cell) in &cells {
            if !cell.claimed.swap(true, Ordering::AcqRel) {
                cell.matcher.get_or_init(|| build(&cell.atoms));
            }
        }
        let mut matchers = Vec::with_capacity(cells.len());
        for (slot, cell) in cells {
            let matcher = cell.matcher.get_or_init(|| build(&cell.atoms)).clone();
            let index = by_slot.get_mut(slot);
            match (matcher, index) {
                (Some(m), Some(index)) => {
                    *index = u32::try_from(matchers.len()).unwrap_or(u32::MAX);
                    matchers.push(m);
                }
                (None, Some(index)) => *index = u32::MAX,
                _ => {}
            }
        }
        Automata {
            by_slot: by_slot.into_boxed_slice(),
            matchers: matchers.into_boxed_slice(),
        }
    }

    /// One automaton for the keyword atoms among `atoms`.
    pub(crate) fn keyword_matcher(&self, atoms: &[u32]) -> Option<KeywordMatcher> {
        let mut builders = Builders::default();
        for &atom in atoms {
            if let Some(def) = self.def(atom)
                && def.target == Target::Keywords
            {
                builders.add(atom, def);
            }
        }
        let joinable = !builders
            .folded
            .literals
            .iter()
            .chain(&builders.cased.literals)
            .any(|l| l.contains(SEPARATOR));
        let has_cased = !builders.cased.is_empty();
        let inner = keywords::inner_bytes(&builders.folded.literals);
        builders.build().map(|matcher| KeywordMatcher {
            matcher,
            joinable,
            has_cased,
            inner,
        })
    }
}

/// The automata of some fields, by slot.
#[derive(Debug, Default)]
pub(crate) struct Automata {
    by_slot: Box<[u32]>,
    matchers: Box<[Arc<FieldMatcher>]>,
}

/// Field automata already built, by field slot and atom set, shared by
/// the routes that need them.
#[derive(Debug, Default)]
pub(crate) struct MatcherCache {
    built: Mutex<HashMap<MatcherKey, Arc<MatcherCell>>>,
}

/// A field slot and the (sorted) atoms on it.
type MatcherKey = (usize, Box<[u32]>);

/// One field automaton of the cache, built once by whichever thread
/// claims it first.
#[derive(Debug)]
struct MatcherCell {
    atoms: Box<[u32]>,
    /// A thread has begun building it.
    claimed: AtomicBool,
    /// `None`: the atoms make no automaton.
    matcher: OnceLock<Option<Arc<FieldMatcher>>>,
}

impl MatcherCache {
    /// The cell of the automaton of `atoms` (sorted) on field `slot`, new
    /// and unclaimed the first time.
    fn cell(&self, slot: usize, atoms: Vec<u32>) -> Arc<MatcherCell> {
        let atoms = atoms.into_boxed_slice();
        let mut built = self.built.lock().unwrap_or_else(PoisonError::into_inner);
        let cell = built.entry((slot, atoms.clone())).or_insert_with(|| {
            Arc::new(MatcherCell {
                atoms,
                claimed: AtomicBool::new(false),
                matcher: OnceLock::new(),
            })
        });
        Arc::clone(cell)
    }

    /// Forgets every automaton (routes that hold one keep it).
    pub(crate) fn clear(&self) {
        self.built
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
    }
}

impl Automata {
    /// The automaton of the field in `slot`, if it has atoms here.
    pub(crate) fn field(&self, slot: usize) -> Option<&FieldMatcher> {
        let index = *self.by_slot.get(slot)?;
        self.matchers.get(index as usize).map(|m| &**m)
    }

    /// How many fields have an automaton.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.matchers.len()
    }
}

/// All the atoms of one field: case-folded ones are given the folded value,
/// cased ones the value as it is.
#[derive(Debug)]
pub(crate) struct FieldMatcher {
    /// Unique in the process: the key of its results in a [`ScanMemo`].
    id: u64,
    folded: PatternIndex,
    cased: PatternIndex,
}

impl FieldMatcher {
    /// The automaton's identity for [`ScanMemo`].
    pub(crate) fn id(&self) -> u64 {
        self.id
    }

    /// Sets in `bits` every atom that one value (`text`, and `folded`, its
    /// case-folded form) satisfies.
    pub(crate) fn scan(&self, text: &str, folded: &str, bits: &mut AtomBits) {
        self.folded.scan(folded, bits);
        self.cased.scan(text, bits);
    }
}

/// What an occurrence of a literal means for an atom.
#[derive(Debug, Clone, Copy)]
enum Hit {
    Contains(u32),
    Prefix(u32),
    Suffix(u32),
    /// Check the general pattern (index into `globs`) on the whole value.
    Glob(u32, u32),
}

/// Up to this many literal bytes, the automaton is a DFA (fastest, but its
/// size grows with the states); past it, a contiguous NFA.
const DFA_MAX_LITERAL_BYTES: usize = 16 * 1024;

#[derive(Debug, Default)]
struct PatternIndex {
    /// Atoms any value satisfies.
    any: Box<[u32]>,
    exact: HashMap<Box<str>, Box<[u32]>, FxBuildHasher>,
    /// The longest exact value: longer values are not looked up.
    exact_max_len: usize,
    /// Finds every literal occurrence, when there are few literals.
    finder: Option<Finder>,
    /// Reports every occurrence of every literal, when there is no finder.
    literals: Option<AhoCorasick>,
    /// By literal (automaton pattern id).
    hits: Box<[Box<[Hit]>]>,
    /// General patterns without a literal: checked on every value.
    untriggered: Box<[(u32, u32)]>,
    globs: Box<[Glob]>,
    /// Prefix atoms, walked from the start of each value (field atoms only).
    prefixes: Option<AnchoredSet>,
    /// Suffix atoms, walked from the end of each value (field atoms only).
    suffixes: Option<AnchoredSet>,
    /// Whether no literal holds a line break: then the occurrences in a
    /// value are those in its lines (see [`lines`]).
    by_lines: bool,
}

impl PatternIndex {
    fn scan(&self, text: &str, bits: &mut AtomBits) {
        self.scan_whole(text, bits);
        self.scan_occurrences(text, bits);
    }

    /// The atoms that depend on the value as a whole: every atom but those
    /// set by a literal occurring in it.
    fn scan_whole(&self, text: &str, bits: &mut AtomBits) {
        for &atom in &self.any {
            bits.set(atom);
        }
        if text.len() <= self.exact_max_len
            && let Some(atoms) = self.exact.get(text)
        {
            for &atom in atoms {
                bits.set(atom);
            }
        }
        for &(atom, glob) in &self.untriggered {
            if !bits.get(atom) && self.globs[glob as usize].matches(text) {
                bits.set(atom);
            }
        }
        if let Some(prefixes) = &self.prefixes {
            prefixes.scan(text, bits);
        }
        if let Some(suffixes) = &self.suffixes {
            suffixes.scan(text, bits);
        }
    }

    /// The atoms set by the literals occurring in `text`.
    fn scan_occurrences(&self, text: &str, bits: &mut AtomBits) {
        let len = text.len();
        self.occurrences(text, |found| {
            self.occurred(
                found.pattern,
                found.start == 0,
                found.end == len,
                text,
                bits,
            );
        });
    }

    /// Sets the atoms of an occurrence of literal `pattern` in the value
    /// `text`; `at_start` and `at_end`: whether it starts or ends the value.
    fn occurred(
        &self,
        pattern: usize,
        at_start: bool,
        at_end: bool,
        text: &str,
        bits: &mut AtomBits,
    ) {
        let Some(hits) = self.hits.get(pattern) else {
            return;
        };
        for hit in hits {
            match *hit {
                Hit::Contains(atom) => bits.set(atom),
                Hit::Prefix(atom) => {
                    if at_start {
                        bits.set(atom);
                    }
                }
                Hit::Suffix(atom) => {
                    if at_end {
                        bits.set(atom);
                    }
                }
                Hit::Glob(atom, glob) => {
                    if !bits.get(atom) && self.globs[glob as usize].matches(text) {
                        bits.set(atom);
                    }
                }
            }
        }
    }

    /// Calls `each` with every occurrence of every literal in `text`: with
    /// a finder, from the positions it finds (long values are crossed at
    /// its vectorised speed); without, with the automaton.
    fn occurrences(&self, text: &str, mut each: impl FnMut(Occurrence)) {
        if let Some(finder) = &self.finder {
            finder.occurrences(text, each);
            return;
        }
        let Some(literals) = &self.literals else {
            return;
        };
        for found in literals.find_overlapping_iter(text) {
            each(Occurrence {
                pattern: found.pattern().as_usize(),
                start: found.start(),
                end: found.end(),
            });
        }
    }
}

impl PatternIndex {
    /// [`Self::scan`] of every value of `joined` in one pass of the automaton.
    fn scan_joined(&self, joined: &Joined, bits: &mut AtomBits) {
        if joined.bounds.is_empty() {
            return;
        }
        for &atom in &self.any {
            bits.set(atom);
        }
        if !self.exact.is_empty() || !self.untriggered.is_empty() {
            for value in joined.values() {
                if value.len() <= self.exact_max_len
                    && let Some(atoms) = self.exact.get(value)
                {
                    for &atom in atoms {
                        bits.set(atom);
                    }
                }
                for &(atom, glob) in &self.untriggered {
                    if !bits.get(atom) && self.globs[glob as usize].matches(value) {
                        bits.set(atom);
                    }
                }
            }
        }
        self.occurrences(&joined.text, |found| {
            let Some(hits) = self.hits.get(found.pattern) else {
                return;
            };
            let (start, end) = (found.start, found.end);
            for hit in hits {
                match *hit {
                    Hit::Contains(atom) => bits.set(atom),
                    Hit::Prefix(atom) => {
                        if !bits.get(atom)
                            && joined.value_at(start, end).is_some_and(|v| v.0 == start)
                        {
                            bits.set(atom);
                        }
                    }
                    Hit::Suffix(atom) => {
                        if !bits.get(atom)
                            && joined.value_at(start, end).is_some_and(|v| v.1 == end)
                        {
                            bits.set(atom);
                        }
                    }
                    Hit::Glob(atom, glob) => {
                        if !bits.get(atom)
                            && let Some((s, e)) = joined.value_at(start, end)
                            && joined
                                .text
                                .get(s..e)
                                .is_some_and(|v| self.globs[glob as usize].matches(v))
                        {
                            bits.set(atom);
                        }
                    }
                }
            }
        });
    }
}

#[derive(Default)]
struct IndexBuilder {
    /// Whether prefix and suffix atoms go to anchored walks (see
    /// [`AnchoredSet`]) rather than to the automaton of every occurrence.
    anchors: bool,
    prefixes: Vec<(Box<str>, u32)>,
    suffixes: Vec<(Box<str>, u32)>,
    any: Vec<u32>,
    exact: HashMap<Box<str>, Vec<u32>, FxBuildHasher>,
    literal_ids: HashMap<Box<str>, usize>,
    literals: Vec<Box<str>>,
    hits: Vec<Vec<Hit>>,
    untriggered: Vec<(u32, u32)>,
    globs: Vec<Glob>,
}

impl IndexBuilder {
    fn is_empty(&self) -> bool {
        self.any.is_empty()
            && self.exact.is_empty()
            && self.literals.is_empty()
            && self.untriggered.is_empty()
            && self.prefixes.is_empty()
            && self.suffixes.is_empty()
    }

    fn add(&mut self, atom: u32, shape: &Shape) {
        match shape {
            Shape::Any => self.any.push(atom),
            Shape::Exact(text) => self.exact.entry(text.clone()).or_default().push(atom),
            Shape::Prefix(l) if self.anchors && !l.is_empty() => {
                self.prefixes.push((l.clone(), atom));
            }
            Shape::Suffix(l) if self.anchors && !l.is_empty() => {
                self.suffixes.push((l.clone(), atom));
            }
            Shape::Prefix(l) => self.hit(l, Hit::Prefix(atom)),
            Shape::Suffix(l) => self.hit(l, Hit::Suffix(atom)),
            Shape::Contains(l) => self.hit(l, Hit::Contains(atom)),
            Shape::Glob(glob) => {
                let index = u32::try_from(self.globs.len()).unwrap_or(u32::MAX);
                self.globs.push(glob.clone());
                match glob.longest_literal().filter(|l| !l.is_empty()) {
                    Some(l) => self.hit(l, Hit::Glob(atom, index)),
                    None => self.untriggered.push((atom, index)),
                }
            }
        }
    }

    fn hit(&mut self, literal: &str, hit: Hit) {
        let id = match self.literal_ids.get(literal) {
            Some(&id) => id,
            None => {
                let id = self.literals.len();
                self.literal_ids.insert(literal.into(), id);
                self.literals.push(literal.into());
                self.hits.push(Vec::new());
                id
            }
        };
        self.hits[id].push(hit);
    }

    fn build(mut self) -> PatternIndex {
        let prefixes = self.anchored_set(End::Start);
        let suffixes = self.anchored_set(End::End);
        let literal_bytes: usize = self.literals.iter().map(|l| l.len()).sum();
        let kind = if literal_bytes <= DFA_MAX_LITERAL_BYTES {
            AhoCorasickKind::DFA
        } else {
            AhoCorasickKind::ContiguousNFA
        };
        let finder = Finder::build(&self.literals);
        // With a finder, the finder alone reports every occurrence.
        let literals = if self.literals.is_empty() || finder.is_some() {
            None
        } else {
            match AhoCorasick::builder()
                .match_kind(MatchKind::Standard)
                .kind(Some(kind))
                .build(self.literals.iter().map(|l| l.as_bytes()))
            {
                Ok(ac) => Some(ac),
                // Only pattern sets far beyond any rule set's size fail to
                // build; their atoms are then checked value by value.
                Err(_) => {
                    self.fall_back_to_globs();
                    None
                }
            }
        };
        let by_lines = !self.literals.iter().any(|l| l.contains('\n'));
        PatternIndex {
            by_lines,
            exact_max_len: self.exact.keys().map(|k| k.len()).max().unwrap_or(0),
            finder,
            any: self.any.into_boxed_slice(),
            exact: self
                .exact
                .into_iter()
                .map(|(k, v)| (k, v.into_boxed_slice()))
                .collect(),
            literals,
            hits: self.hits.into_iter().map(Vec::into_boxed_slice).collect(),
            untriggered: self.untriggered.into_boxed_slice(),
            globs: self.globs.into_boxed_slice(),
            prefixes,
            suffixes,
        }
    }

    /// Builds the anchored walk for one end; when it cannot be built (or
    /// its literals are too many for a DFA), its atoms join the automaton
    /// of every occurrence instead.
    fn anchored_set(&mut self, end: End) -> Option<AnchoredSet> {
        let mut pairs = std::mem::take(match end {
            End::Start => &mut self.prefixes,
            End::End => &mut self.suffixes,
        });
        pairs.sort_unstable();
        pairs.dedup();
        let mut literals: Vec<(Box<str>, Vec<u32>)> = Vec::new();
        for (literal, atom) in pairs {
            match literals.last_mut() {
                Some((last, atoms)) if *last == literal => atoms.push(atom),
                _ => literals.push((literal, vec![atom])),
            }
        }
        let bytes: usize = literals.iter().map(|(l, _)| l.len()).sum();
        let set = if bytes <= DFA_MAX_LITERAL_BYTES {
            AnchoredSet::build(&literals, end)
        } else {
            None
        };
        if set.is_none() {
            for (literal, atoms) in literals {
                for atom in atoms {
                    let hit = match end {
                        End::Start => Hit::Prefix(atom),
                        End::End => Hit::Suffix(atom),
                    };
                    self.hit(&literal, hit);
                }
            }
        }
        set
    }

    fn fall_back_to_globs(&mut self) {
        let literals = std::mem::take(&mut self.literals);
        let hits = std::mem::take(&mut self.hits);
        for (literal, hits) in literals.iter().zip(hits) {
            let lit = GlobToken::Lit(literal.clone());
            for hit in hits {
                let (atom, tokens) = match hit {
                    Hit::Contains(a) => (a, vec![GlobToken::Run, lit.clone(), GlobToken::Run]),
                    Hit::Prefix(a) => (a, vec![lit.clone(), GlobToken::Run]),
                    Hit::Suffix(a) => (a, vec![GlobToken::Run, lit.clone()]),
                    Hit::Glob(a, g) => {
                        self.untriggered.push((a, g));
                        continue;
                    }
                };
                let index = u32::try_from(self.globs.len()).unwrap_or(u32::MAX);
                self.globs.push(Glob {
                    tokens: tokens.into_boxed_slice(),
                });
                self.untriggered.push((atom, index));
            }
        }
    }
}

#[cfg(test)]
#[path = "automaton_tests.rs"]
mod tests;
