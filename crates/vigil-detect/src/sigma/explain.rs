//! A compiled rule explained on one event: the slow, thorough twin of
//! [`super::matcher`]. Every selection and every test is evaluated (no
//! short cut), value by value, straight from the patterns' definitions
//! rather than the shared automata, so that each value that held can be
//! named. It runs only for a rule that has matched, or on demand.

use super::matcher::{Check, CompiledDetection, FieldTest, KeywordTest, Node, Prepared, ValueSet};
use super::modifiers::RefMode;
use crate::automaton::{AtomDef, AtomIndex, GlobToken, Shape};
use crate::document::Document;
use crate::explain::{
    EventValue, ItemExplanation, MatchDetail, MatchedField, Part, SelectionExplanation,
};

/// A test lists at most this many of its values; the rest are counted.
const OPERANDS_SHOWN: usize = 12;

/// Deeper conditions are not walked (the compiler never makes them).
const MAX_DEPTH: usize = 64;

/// A rule's selections evaluated on one event.
pub(crate) struct Explained {
    /// Whether the rule's condition holds.
    pub(crate) holds: bool,
    /// Every selection, in the rule's order.
    pub(crate) selections: Vec<SelectionExplanation>,
}

/// Evaluates every selection of `rule` on `doc`, describing each test
/// when `describe` (otherwise tests are left blank: a detection's detail
/// needs only which values held).
pub(crate) fn explain<D: Document>(
    rule: &CompiledDetection,
    atoms: &AtomIndex,
    doc: &D,
    describe: bool,
) -> Explained {
    let mut eval = Eval {
        atoms,
        doc,
        describe,
        other: String::new(),
        other_folded: String::new(),
    };
    let selections: Vec<SelectionExplanation> = rule
        .searches
        .iter()
        .enumerate()
        .map(|(i, search)| {
            let body = eval.part(search, 0);
            SelectionExplanation {
                name: rule
                    .names
                    .get(i)
                    .map_or_else(|| format!("#{i}"), |n| n.to_string()),
                holds: body.holds(),
                body,
            }
        })
        .collect();
    let held: Vec<bool> = selections.iter().map(|s| s.holds).collect();
    Explained {
        holds: condition_holds(&rule.root, &held, 0),
        selections,
    }
}

/// The selections and values that made `rule` match `doc`.
pub(crate) fn match_detail<D: Document>(
    rule: &CompiledDetection,
    atoms: &AtomIndex,
    doc: &D,
) -> MatchDetail {
    let explained = explain(rule, atoms, doc, false);
    let mut positive = vec![false; explained.selections.len()];
    mark_positive(&rule.root, true, &mut positive, 0);
    let mut detail = MatchDetail::default();
    for (selection, positive) in explained.selections.iter().zip(positive) {
        if positive && selection.holds {
            detail.selections.push(selection.name.clone());
            matched_fields(&selection.body, &mut detail.fields);
        }
    }
    detail
}

/// The rule's condition as text, in its selections' names.
pub(crate) fn condition_text(rule: &CompiledDetection) -> String {
    let mut out = String::new();
    write_condition(&rule.root, &rule.names, &mut out, 0);
    out
}

fn write_condition(node: &Node, names: &[Box<str>], out: &mut String, depth: usize) {
    if depth > MAX_DEPTH {
        out.push('…');
        return;
    }
    let child = |part: &Node, out: &mut String| {
        let compound = matches!(part, Node::And(_) | Node::Or(_) | Node::AtLeast(..));
        if compound {
            out.push('(');
        }
        write_condition(part, names, out, depth + 1);
        if compound {
            out.push(')');
        }
    };
    match node {
        Node::And(parts) | Node::Or(parts) => {
            let joint = if matches!(node, Node::And(_)) {
                " and "
            } else {
                " or "
            };
            for (i, part) in parts.iter().enumerate() {
                if i > 0 {
                    out.push_str(joint);
                }
                child(part, out);
            }
        }
        Node::AtLeast(n, parts) => {
            out.push_str(&format!("{n} of ("));
            for (i, part) in parts.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                child(part, out);
            }
            out.push(')');
        }
        Node::Not(inner) => {
            out.push_str("not ");
            child(inner, out);
        }
        Node::Search(i) => out.push_str(names.get(*i).map_or("?", |n| n)),
        Node::Field(test) => out.push_str(&test.field),
        Node::Keyword(_) => out.push_str("<keywords>"),
    }
}

fn condition_holds(node: &Node, held: &[bool], depth: usize) -> bool {
    if depth > MAX_DEPTH {
        return false;
    }
    match node {
        Node::And(parts) => parts.iter().all(|p| condition_holds(p, held, depth + 1)),
        Node::Or(parts) => parts.iter().any(|p| condition_holds(p, held, depth + 1)),
        Node::Not(inner) => !condition_holds(inner, held, depth + 1),
        Node::AtLeast(n, parts) => {
            parts
                .iter()
                .filter(|p| condition_holds(p, held, depth + 1))
                .count()
                >= *n
        }
        Node::Search(i) => held.get(*i).copied().unwrap_or(false),
        // Conditions name searches only.
        Node::Field(_) | Node::Keyword(_) => false,
    }
}

/// Marks the searches under an even number of `not`s from `node`: those
/// whose holding helps the rule match.
fn mark_positive(node: &Node, positive: bool, out: &mut [bool], depth: usize) {
    if depth > MAX_DEPTH {
        return;
    }
    match node {
        Node::And(parts) | Node::Or(parts) | Node::AtLeast(_, parts) => {
            for p in parts {
                mark_positive(p, positive, out, depth + 1);
            }
        }
        Node::Not(inner) => mark_positive(inner, !positive, out, depth + 1),
        Node::Search(i) => {
            if positive && let Some(slot) = out.get_mut(*i) {
                *slot = true;
            }
        }
        Node::Field(_) | Node::Keyword(_) => {}
    }
}

/// The field values of the parts of a held selection that made it hold.
fn matched_fields(part: &Part, out: &mut Vec<MatchedField>) {
    match part {
        Part::All { parts, holds } | Part::Any { parts, holds } => {
            if *holds {
                for p in parts.iter().filter(|p| p.holds()) {
                    matched_fields(p, out);
                }
            }
        }
        Part::Item(item) => {
            if !item.holds || item.negated {
                return;
            }
            for value in &item.matching {
                let found = MatchedField {
                    field: item.field.clone(),
                    value: value.clone(),
                };
                if !out.contains(&found) {
                    out.push(found);
                }
            }
        }
    }
}

struct Eval<'a, D> {
    atoms: &'a AtomIndex,
    doc: &'a D,
    describe: bool,
    other: String,
    other_folded: String,
}

impl<D: Document> Eval<'_, D> {
    fn part(&mut self, node: &Node, depth: usize) -> Part {
        if depth > MAX_DEPTH {
            return Part::All {
                holds: false,
                parts: Vec::new(),
            };
        }
        match node {
            Node::And(parts) => {
                let parts: Vec<Part> = parts.iter().map(|p| self.part(p, depth + 1)).collect();
                Part::All {
                    holds: parts.iter().all(Part::holds),
                    parts,
                }
            }
            Node::Or(parts) => {
                let parts: Vec<Part> = parts.iter().map(|p| self.part(p, depth + 1)).collect();
                Part::Any {
                    holds: parts.iter().any(Part::holds),
                    parts,
                }
            }
            Node::AtLeast(n, parts) => {
                let parts: Vec<Part> = parts.iter().map(|p| self.part(p, depth + 1)).collect();
                Part::Any {
                    holds: parts.iter().filter(|p| p.holds()).count() >= *n,
                    parts,
                }
            }
            // Search bodies are made of maps and lists only; a negation or
            // a reference to a search would be a compiler change, shown
            // as best it can be.
            Node::Not(inner) => {
                let inner = self.part(inner, depth + 1);
                Part::All {
                    holds: !inner.holds(),
                    parts: vec![inner],
                }
            }
            Node::Search(_) => Part::All {
                holds: false,
                parts: Vec::new(),
            },
            Node::Field(test) => Part::Item(self.field(test)),
            Node::Keyword(test) => Part::Item(self.keyword(test)),
        }
    }

    fn field(&mut self, test: &FieldTest) -> ItemExplanation {
        let mut values: Vec<Prepared> = Vec::new();
        let event = match self.doc.field(&test.field) {
            None => EventValue::Absent,
            Some(v) if v.is_null() => EventValue::Null,
            Some(v) => {
                v.any_scalar(&mut |scalar| {
                    let mut p = Prepared::default();
                    p.fill(scalar);
                    values.push(p);
                    false
                });
                EventValue::Values(values.iter().map(|p| p.text.clone()).collect())
            }
        };
        let present = matches!(event, EventValue::Values(_));
        let (holds, matching) = match &test.check {
            Check::Exists(wanted) => {
                let shown = if present && *wanted {
                    values.iter().map(|p| p.text.clone()).collect()
                } else {
                    Vec::new()
                };
                (present == *wanted, shown)
            }
            Check::Any(set) => self.set_on(set, &mut values, present),
            Check::All(sets) => self.all_on(sets, &mut values, present),
        };
        ItemExplanation {
            field: Some(test.field.to_string()),
            test: self.describe_check(&test.check, test.negate),
            holds: holds != test.negate,
            negated: test.negate,
            event,
            matching,
        }
    }

    fn keyword(&mut self, test: &KeywordTest) -> ItemExplanation {
        let mut values: Vec<Prepared> = Vec::new();
        self.doc.any_value(&mut |scalar| {
            let mut p = Prepared::default();
            p.fill(scalar);
            values.push(p);
            false
        });
        let (holds, matching) = match &test.check {
            Check::Exists(_) => (false, Vec::new()),
            Check::Any(set) => self.set_on(set, &mut values, true),
            Check::All(sets) => self.all_on(sets, &mut values, true),
        };
        ItemExplanation {
            field: None,
            test: self.describe_check(&test.check, test.negate),
            holds: holds != test.negate,
            negated: test.negate,
            event: EventValue::Anywhere,
            matching,
        }
    }

    /// Whether some value satisfies `set` (an absent or null field: whether
    /// the set accepts null), and the values that do.
    fn set_on(
        &mut self,
        set: &ValueSet,
        values: &mut [Prepared],
        present: bool,
    ) -> (bool, Vec<String>) {
        if !present {
            return (set.null, Vec::new());
        }
        let mut matching = Vec::new();
        for value in values.iter_mut() {
            if self.value_satisfies(set, value) {
                matching.push(value.text.clone());
            }
        }
        (!matching.is_empty(), matching)
    }

    /// `all`: every set is satisfied by some value.
    fn all_on(
        &mut self,
        sets: &[ValueSet],
        values: &mut [Prepared],
        present: bool,
    ) -> (bool, Vec<String>) {
        let mut holds = true;
        let mut matching: Vec<String> = Vec::new();
        for set in sets {
            let (held, found) = self.set_on(set, values, present);
            holds &= held;
            for value in found {
                if !matching.contains(&value) {
                    matching.push(value);
                }
            }
        }
        (holds, matching)
    }

    fn value_satisfies(&mut self, set: &ValueSet, value: &mut Prepared) -> bool {
        let by_pattern = set.atoms.iter().any(|&atom| {
            self.atoms
                .def(atom)
                .is_some_and(|def| pattern_holds(def, value))
        });
        by_pattern
            || (set.has_residual()
                && set.residual_matches(value, self.doc, &mut self.other, &mut self.other_folded))
    }

    fn describe_check(&self, check: &Check, negate: bool) -> String {
        if !self.describe {
            return String::new();
        }
        let text = match check {
            Check::Exists(true) => "present".to_owned(),
            Check::Exists(false) => "absent".to_owned(),
            Check::Any(set) => {
                let operands = self.operands(set);
                if operands.len() == 1 {
                    operands.join("")
                } else {
                    format!("one of {}", listed(&operands))
                }
            }
            Check::All(sets) => {
                let each: Vec<String> = sets
                    .iter()
                    .map(|set| {
                        let operands = self.operands(set);
                        if operands.len() == 1 {
                            operands.join("")
                        } else {
                            format!("({})", operands.join(" or "))
                        }
                    })
                    .collect();
                format!("all of {}", listed(&each))
            }
        };
        if negate { format!("not {text}") } else { text }
    }

    /// Each value of `set`, as the rule compares it.
    fn operands(&self, set: &ValueSet) -> Vec<String> {
        let mut out: Vec<String> = set
            .atoms
            .iter()
            .filter_map(|&a| self.atoms.def(a).map(describe_pattern))
            .collect();
        out.extend(set.regexes.iter().map(|re| format!("re '{}'", re.as_str())));
        out.extend(
            set.compares
                .iter()
                .map(|(op, bound)| format!("{} {}", op.symbol(), bound.text())),
        );
        out.extend(
            set.times
                .iter()
                .map(|(part, v)| format!("{} = {v}", part.name())),
        );
        out.extend(set.cidrs.iter().map(|c| format!("in {c}")));
        out.extend(set.field_refs.iter().map(|r| {
            let how = match r.mode {
                RefMode::Equal => "equal to",
                RefMode::Prefix => "starting with",
                RefMode::Suffix => "ending with",
                RefMode::Contains => "containing",
            };
            let cased = if r.cased { " (cased)" } else { "" };
            format!("{how} field {}{cased}", r.field)
        }));
        if set.null {
            out.push("null".to_owned());
        }
        out
    }
}

/// Whether one value satisfies one text pattern.
fn pattern_holds(def: &AtomDef, value: &mut Prepared) -> bool {
    let text: &str = if def.cased {
        &value.text
    } else {
        value.fold();
        &value.folded
    };
    match &def.shape {
        Shape::Any => true,
        Shape::Exact(l) => text == &**l,
        Shape::Prefix(l) => text.starts_with(&**l),
        Shape::Suffix(l) => text.ends_with(&**l),
        Shape::Contains(l) => text.contains(&**l),
        Shape::Glob(glob) => glob.matches(text),
    }
}

/// A text pattern in Sigma's wildcard notation, quoted.
fn describe_pattern(def: &AtomDef) -> String {
    let body = match &def.shape {
        Shape::Any => "*".to_owned(),
        Shape::Exact(l) => l.to_string(),
        Shape::Prefix(l) => format!("{l}*"),
        Shape::Suffix(l) => format!("*{l}"),
        Shape::Contains(l) => format!("*{l}*"),
        Shape::Glob(glob) => glob
            .tokens
            .iter()
            .map(|t| match t {
                GlobToken::Lit(l) => l.to_string(),
                GlobToken::Run => "*".to_owned(),
                GlobToken::One => "?".to_owned(),
            })
            .collect(),
    };
    let cased = if def.cased { " (cased)" } else { "" };
    format!("'{body}'{cased}")
}

fn listed(items: &[String]) -> String {
    let shown = items.len().min(OPERANDS_SHOWN);
    let mut text = items.get(..shown).unwrap_or(items).join(", ");
    if items.len() > shown {
        text.push_str(&format!(" … ({} more)", items.len() - shown));
    }
    text
}

#[cfg(test)]
#[path = "explain_tests.rs"]
mod tests;
