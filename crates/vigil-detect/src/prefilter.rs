//! Which rules an event is evaluated against, decided for the whole rule
//! set at once.
//!
//! For each rule, a set of *necessary atoms* is derived from its condition:
//! if the rule matches, at least one of them holds. Per event, only the
//! fields those atoms read are scanned up front (each field once, by its
//! one automaton); every atom found wakes the rules it is necessary for.
//! Rules with no such set (a condition made only of negations, regular
//! expressions, comparisons …) are evaluated for every event of their log
//! source. A woken rule is then evaluated in full, reading further fields
//! lazily; an event that holds none of a rule's necessary atoms never
//! touches the rule.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, PoisonError, RwLock};

use crate::automaton::{
    AtomIndex, Automata, FieldSlots, Joined, KeywordMatcher, MatcherCache, Shape, Target,
};
use crate::document::Document;
use crate::logsource::{EventLogSource, LogSourceIndex};
use crate::sigma::matcher::{Check, CompiledDetection, Ctx, Node, Scratch, ValueSet};
use crate::textfold::fold_append;

/// The rule set compiled as a whole: atoms, and which rules each wakes.
#[derive(Debug, Default)]
pub(crate) struct Engine {
    /// Tells engines apart in per-thread caches.
    id: u64,
    pub(crate) atoms: AtomIndex,
    /// By atom: the rules for which it is a necessary atom.
    wakes: Box<[Box<[u32]>]>,
    /// By rule: its log source bucket.
    rule_bucket: Box<[u32]>,
    /// By bucket: what its rules need.
    plans: Box<[Plan]>,
    /// Automata per set of buckets an event fits, built on first use.
    routes: RwLock<HashMap<Box<[u32]>, Arc<Route>>>,
    /// Field automata shared between routes.
    matchers: MatcherCache,
}

/// What the rules of one log source bucket need.
#[derive(Debug, Default)]
struct Plan {
    /// Field slots holding the necessary atoms of the bucket's rules.
    scan: Box<[usize]>,
    /// Every atom of the bucket's rules.
    atoms: Box<[u32]>,
    /// The necessary atoms of the bucket's rules.
    wake: Box<[u32]>,
    /// Rules without necessary atoms.
    always: Box<[u32]>,
}

/// Everything needed for events that fit one set of buckets: automata
/// holding only those buckets' patterns (smaller sets search faster, and
/// small ones get a vectorised prefilter), what to scan up front, and
/// which rules to always evaluate.
#[derive(Debug, Default)]
pub(crate) struct Route {
    pub(crate) automata: Automata,
    /// For the fields scanned up front: automata holding only the atoms
    /// that wake rules, where that is much less than all of the field's
    /// atoms (otherwise the field's automaton in `automata`).
    wake: Automata,
    scan: Box<[usize]>,
    keywords: Option<KeywordMatcher>,
    always: Box<[u32]>,
}

/// A field gets an automaton of its own for the scan up front when its
/// necessary atoms are at most this share (numerator, denominator) of its
/// atoms.
const WAKE_SHARE: (usize, usize) = (3, 4);

/// At most this many routes are kept; past it the cache starts over (only
/// events crafted to fit ever new combinations of log sources get there).
const MAX_ROUTES: usize = 1024;

static NEXT_ENGINE_ID: AtomicU64 = AtomicU64::new(1);

/// Figures about a compiled rule set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct EngineSummary {
    /// Rules loaded.
    pub rules: usize,
    /// Distinct text patterns (per field and case mode) across all rules.
    pub atoms: usize,
    /// Rules evaluated for every event of their log source, because no
    /// necessary text pattern could be derived from their condition.
    pub always_evaluated: usize,
    /// Log source buckets.
    pub buckets: usize,
    /// Routes (sets of buckets seen together) compiled so far.
    pub routes: usize,
}

/// Per-thread state of detection, reused from event to event.
#[derive(Debug, Default)]
pub(crate) struct Workspace {
    pub(crate) scratch: Scratch,
    /// By bucket: the generation it was admitted in.
    bucket_stamps: Vec<u64>,
    /// By rule: the generation it was selected in.
    rule_stamps: Vec<u64>,
    buckets: Vec<u32>,
    /// The last route used: (engine id, buckets, route).
    last_route: Option<(u64, Vec<u32>, Arc<Route>)>,
    /// Every value of the event, as written and case-folded, for keywords.
    joined_text: Joined,
    joined_folded: Joined,
    folded: String,
    rendered: String,
    /// The document's covering text, case-folded.
    cover: String,
    /// The rules to evaluate for the current event.
    pub(crate) candidates: Vec<u32>,
    /// The rules that matched.
    pub(crate) matched: Vec<u32>,
}

impl Engine {
    /// Compiles the whole set: derives each rule's necessary atoms and
    /// what each log source bucket needs. `rules` are in rule-number order.
    pub(crate) fn build<'r>(
        vocabulary: FieldSlots,
        rules: impl ExactSizeIterator<Item = &'r CompiledDetection>,
        index: &LogSourceIndex,
    ) -> Engine {
        let atoms = vocabulary.build();
        let compiled: Vec<&CompiledDetection> = rules.collect();
        let rule_count = compiled.len();
        let needs: Vec<Option<Vec<u32>>> = compiled
            .iter()
            .map(|rule| need(&rule.root, &rule.searches, &atoms, 0).map(|n| n.atoms))
            .collect();
        let mut wakes: Vec<Vec<u32>> = vec![Vec::new(); atoms.atom_count()];
        let mut rule_bucket = vec![u32::MAX; rule_count];
        let mut plans = Vec::with_capacity(index.bucket_count());
        for bucket in 0..index.bucket_count() {
            let bucket = u32::try_from(bucket).unwrap_or(u32::MAX);
            let mut scan: Vec<usize> = Vec::new();
            let mut used = Vec::new();
            let mut wake = Vec::new();
            let mut always = Vec::new();
            for &rule in index.members(bucket) {
                if let Some(b) = rule_bucket.get_mut(rule as usize) {
                    *b = bucket;
                }
                if let Some(compiled) = compiled.get(rule as usize) {
                    atoms_of(&compiled.root, &compiled.searches, &mut used, 0);
                }
                match needs.get(rule as usize) {
                    Some(Some(necessary)) => {
                        wake.extend_from_slice(necessary);
                        for &atom in necessary {
                            if let Some(w) = wakes.get_mut(atom as usize) {
                                w.push(rule);
                            }
                            if let Some(Target::Field(slot)) = atoms.def(atom).map(|d| d.target)
                                && !scan.contains(&slot)
                            {
                                scan.push(slot);
                            }
                        }
                    }
                    _ => always.push(rule),
                }
            }
            scan.sort_unstable();
            used.sort_unstable();
            used.dedup();
            wake.sort_unstable();
            wake.dedup();
            plans.push(Plan {
                scan: scan.into_boxed_slice(),
                atoms: used.into_boxed_slice(),
                wake: wake.into_boxed_slice(),
                always: always.into_boxed_slice(),
            });
        }
        Engine {
            id: NEXT_ENGINE_ID.fetch_add(1, Ordering::Relaxed),
            atoms,
            wakes: wakes.into_iter().map(Vec::into_boxed_slice).collect(),
            rule_bucket: rule_bucket.into_boxed_slice(),
            plans: plans.into_boxed_slice(),
            routes: RwLock::default(),
            matchers: MatcherCache::default(),
        }
    }

    /// Figures about the compiled set.
    pub(crate) fn summary(&self) -> EngineSummary {
        EngineSummary {
            rules: self.rule_bucket.len(),
            atoms: self.atoms.atom_count(),
            always_evaluated: self.plans.iter().map(|p| p.always.len()).sum(),
            buckets: self.plans.len(),
            routes: self
                .routes
                .read()
                .unwrap_or_else(PoisonError::into_inner)
                .len(),
        }
    }

    /// The route of `buckets` (sorted), compiled on first use.
    fn route(&self, buckets: &[u32]) -> Arc<Route> {
        if let Some(route) = self
            .routes
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(buckets)
        {
            return Arc::clone(route);
        }
        // Built outside the lock: a large route takes tens of milliseconds,
        // and events of the routes already built must not wait for it.
        // Threads that need the same new route at once share its automata
        // out (see `automata_shared`) and the first to finish stores it.
        let route = Arc::new(self.compile_route(buckets));
        let mut routes = self.routes.write().unwrap_or_else(PoisonError::into_inner);
        if let Some(built) = routes.get(buckets) {
            return Arc::clone(built);
        }
        if routes.len() >= MAX_ROUTES {
            routes.clear();
            self.matchers.clear();
        }
        routes.insert(buckets.into(), Arc::clone(&route));
        route
    }

    fn compile_route(&self, buckets: &[u32]) -> Route {
        let mut atoms: Vec<u32> = Vec::new();
        let mut wake: Vec<u32> = Vec::new();
        let mut scan: Vec<usize> = Vec::new();
        let mut always: Vec<u32> = Vec::new();
        for plan in buckets.iter().filter_map(|&b| self.plans.get(b as usize)) {
            atoms.extend_from_slice(&plan.atoms);
            wake.extend_from_slice(&plan.wake);
            scan.extend_from_slice(&plan.scan);
            always.extend_from_slice(&plan.always);
        }
        atoms.sort_unstable();
        atoms.dedup();
        scan.sort_unstable();
        scan.dedup();
        let wake = self.wake_atoms(&atoms, wake);
        Route {
            automata: self.atoms.automata_shared(&atoms, &self.matchers),
            wake: self.atoms.automata_shared(&wake, &self.matchers),
            scan: scan.into_boxed_slice(),
            keywords: self.atoms.keyword_matcher(&atoms),
            always: always.into_boxed_slice(),
        }
    }

    /// The atoms to search up front, from the route's `atoms` and the
    /// necessary ones among them (`wake`): a field's wake atoms alone where
    /// they are at most [`WAKE_SHARE`] of its atoms; all of them where they
    /// are more, so that the field's one automaton serves both the scan up
    /// front and the rules (a second automaton would cost building and
    /// barely search faster).
    fn wake_atoms(&self, atoms: &[u32], mut wake: Vec<u32>) -> Vec<u32> {
        wake.sort_unstable();
        wake.dedup();
        let slot_of = |atom: u32| match self.atoms.def(atom).map(|d| d.target) {
            Some(Target::Field(slot)) => Some(slot),
            _ => None,
        };
        let mut counts: HashMap<usize, (usize, usize)> = HashMap::new();
        for &atom in atoms {
            if let Some(slot) = slot_of(atom) {
                counts.entry(slot).or_default().0 += 1;
            }
        }
        for &atom in &wake {
            if let Some(slot) = slot_of(atom) {
                counts.entry(slot).or_default().1 += 1;
            }
        }
        let (share_num, share_den) = WAKE_SHARE;
        wake.extend(atoms.iter().copied().filter(|&atom| {
            slot_of(atom)
                .and_then(|slot| counts.get(&slot))
                .is_some_and(|&(all, woken)| woken * share_den > all * share_num)
        }));
        wake.sort_unstable();
        wake.dedup();
        wake
    }

    /// Begins `doc`: finds its route, scans the fields of the necessary
    /// atoms of every rule whose log source fits `source`, and fills
    /// `ws.candidates` with the rules to evaluate, in ascending order.
    pub(crate) fn select<D: Document>(
        &self,
        source: &EventLogSource<'_>,
        index: &LogSourceIndex,
        doc: &D,
        ws: &mut Workspace,
    ) -> Arc<Route> {
        ws.scratch.begin_event(self.atoms.atom_count());
        let generation = ws.scratch.generation;
        ws.candidates.clear();
        ws.matched.clear();
        ws.buckets.clear();
        if ws.bucket_stamps.len() < self.plans.len() {
            ws.bucket_stamps.resize(self.plans.len(), 0);
        }
        if ws.rule_stamps.len() < self.rule_bucket.len() {
            ws.rule_stamps.resize(self.rule_bucket.len(), 0);
        }
        let stamps = &mut ws.bucket_stamps;
        let buckets = &mut ws.buckets;
        index.for_each_bucket(source, |bucket| {
            if let Some(stamp) = stamps.get_mut(bucket as usize)
                && *stamp != generation
            {
                *stamp = generation;
                buckets.push(bucket);
            }
        });
        ws.buckets.sort_unstable();
        let route = match &ws.last_route {
            Some((id, key, route)) if *id == self.id && *key == ws.buckets => Arc::clone(route),
            _ => {
                let route = self.route(&ws.buckets);
                ws.last_route = Some((self.id, ws.buckets.clone(), Arc::clone(&route)));
                route
            }
        };
        let ctx = Ctx {
            automata: &route.automata,
            doc,
        };
        for &slot in &route.scan {
            ws.scratch
                .wake_field(slot, self.atoms.name(slot), &route.wake, &ctx);
        }
        if let Some(keywords) = &route.keywords {
            let ruled_out = keywords.literal_only() && {
                let cover = &mut ws.cover;
                cover.clear();
                doc.covering_written_text(keywords.inner(), &mut |piece| {
                    fold_append(piece, cover);
                    cover.push('\0');
                }) && !keywords.may_match(cover)
            };
            if !ruled_out {
                join_values(doc, ws);
                keywords.scan(&ws.joined_text, &ws.joined_folded, &mut ws.scratch.bits);
            }
        }
        ws.candidates.extend_from_slice(&route.always);
        for &atom in ws.scratch.bits.found() {
            let Some(rules) = self.wakes.get(atom as usize) else {
                continue;
            };
            for &rule in rules {
                let admitted = self
                    .rule_bucket
                    .get(rule as usize)
                    .and_then(|b| ws.bucket_stamps.get(*b as usize))
                    .is_some_and(|stamp| *stamp == generation);
                if let Some(stamp) = ws.rule_stamps.get_mut(rule as usize)
                    && admitted
                    && *stamp != generation
                {
                    *stamp = generation;
                    ws.candidates.push(rule);
                }
            }
        }
        ws.candidates.sort_unstable();
        route
    }
}

/// Renders every value of `doc` into the workspace's joined buffers.
fn join_values<D: Document>(doc: &D, ws: &mut Workspace) {
    let Workspace {
        joined_text,
        joined_folded,
        folded,
        rendered,
        ..
    } = ws;
    joined_text.clear();
    doc.any_value(&mut |scalar| {
        joined_text.push(scalar.text(rendered));
        false
    });
    joined_folded.fold_from(joined_text, folded);
}

/// Collects every atom of a rule.
fn atoms_of(node: &Node, searches: &[Node], out: &mut Vec<u32>, depth: usize) {
    if depth > MAX_DEPTH {
        return;
    }
    let mut add_check = |check: &Check| {
        let sets: &[ValueSet] = match check {
            Check::Exists(_) => &[],
            Check::Any(set) => std::slice::from_ref(set),
            Check::All(sets) => sets,
        };
        for set in sets {
            out.extend_from_slice(&set.atoms);
        }
    };
    match node {
        Node::And(parts) | Node::Or(parts) | Node::AtLeast(_, parts) => {
            for part in parts {
                atoms_of(part, searches, out, depth + 1);
            }
        }
        Node::Not(inner) => atoms_of(inner, searches, out, depth + 1),
        // Searches are visited from the root, which names them.
        Node::Search(i) => {
            if let Some(search) = searches.get(*i) {
                atoms_of(search, searches, out, depth + 1);
            }
        }
        Node::Keyword(test) => add_check(&test.check),
        Node::Field(test) => add_check(&test.check),
    }
}

/// A set of atoms one of which holds whenever a condition does, and a guess
/// at how often one of them holds.
struct Need {
    atoms: Vec<u32>,
    cost: f64,
}

/// Conditions nest a few levels in practice; past this depth a condition
/// is simply evaluated for every event.
const MAX_DEPTH: usize = 64;

/// The necessary atoms of `node`, or `None` when it may hold without any
/// text pattern holding (so it must always be evaluated).
fn need(node: &Node, searches: &[Node], atoms: &AtomIndex, depth: usize) -> Option<Need> {
    if depth > MAX_DEPTH {
        return None;
    }
    match node {
        // Every part holds: any part's necessary atoms will do; take the
        // rarest.
        Node::And(parts) => parts
            .iter()
            .filter_map(|p| need(p, searches, atoms, depth + 1))
            .min_by(|a, b| a.cost.total_cmp(&b.cost)),
        // Some part holds: all of their atoms together.
        Node::Or(parts) => union(parts.iter().map(|p| need(p, searches, atoms, depth + 1))),
        Node::AtLeast(n, parts) if *n >= 1 => {
            union(parts.iter().map(|p| need(p, searches, atoms, depth + 1)))
        }
        Node::AtLeast(..) | Node::Not(_) => None,
        Node::Search(i) => need(searches.get(*i)?, searches, atoms, depth + 1),
        Node::Field(test) => {
            if test.negate {
                return None;
            }
            check_need(&test.check, atoms)
        }
        Node::Keyword(test) => {
            if test.negate {
                return None;
            }
            check_need(&test.check, atoms)
        }
    }
}

fn union(parts: impl Iterator<Item = Option<Need>>) -> Option<Need> {
    let mut all = Need {
        atoms: Vec::new(),
        cost: 0.0,
    };
    for part in parts {
        let part = part?;
        for atom in part.atoms {
            if !all.atoms.contains(&atom) {
                all.atoms.push(atom);
            }
        }
        all.cost += part.cost;
    }
    Some(all)
}

fn check_need(check: &Check, atoms: &AtomIndex) -> Option<Need> {
    match check {
        Check::Exists(_) => None,
        Check::Any(set) => set_need(set, atoms),
        Check::All(sets) => sets
            .iter()
            .filter_map(|s| set_need(s, atoms))
            .min_by(|a, b| a.cost.total_cmp(&b.cost)),
    }
}

/// A value set holds only through its text atoms when it has nothing else.
fn set_need(set: &ValueSet, atoms: &AtomIndex) -> Option<Need> {
    if set.null || set.has_residual() {
        return None;
    }
    Some(Need {
        atoms: set.atoms.to_vec(),
        cost: set.atoms.iter().map(|&a| atom_cost(a, atoms)).sum(),
    })
}

/// A guess at how likely an atom is to hold: longer literals are rarer,
/// whole values and anchored ones rarer than substrings.
fn atom_cost(atom: u32, atoms: &AtomIndex) -> f64 {
    let Some(def) = atoms.def(atom) else {
        return 1.0;
    };
    let weight = match def.shape {
        Shape::Any => return 1.0,
        Shape::Exact(_) => 0.5,
        Shape::Prefix(_) | Shape::Suffix(_) => 0.7,
        Shape::Contains(_) | Shape::Glob(_) => 1.0,
    };
    let len = def.shape.literal().map_or(0, str::len) as f64;
    weight / (1.0 + len * len)
}

#[cfg(test)]
#[path = "prefilter_tests.rs"]
mod tests;
