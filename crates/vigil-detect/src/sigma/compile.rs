//! From a rule's detection (searches and bound condition) to the compiled
//! matcher.

use std::collections::HashSet;

use aho_corasick::AhoCorasick;

use super::ast::{DetectionAst, SearchBody};
use super::condition::Resolved;
use super::matcher::{
    Check, CompiledDetection, Exact, FieldRefTest, FieldSlots, FieldTest, Glob, GlobToken,
    KeywordTest, Node, TextSet, ValueSet,
};
use super::modifiers::{Link, LoweredItem, Operand, Placeholders, lower_item};
use super::pattern::Part;
use super::values::fold;
use crate::error::RuleError;

/// Past this many exact values a field's set is hashed rather than scanned.
const HASH_EXACT_FROM: usize = 12;

/// Compiles `detection` with its conditions already bound to its searches
/// (`conditions` are ORed, as a list of conditions is). Field names are
/// numbered in `slots`, shared by the whole rule set.
pub(crate) fn compile_detection(
    detection: &DetectionAst,
    conditions: &[Resolved],
    placeholders: &Placeholders,
    slots: &mut FieldSlots,
) -> Result<CompiledDetection, RuleError> {
    let searches = detection
        .searches
        .iter()
        .map(|s| compile_body(&s.body, placeholders, slots))
        .collect::<Result<Vec<_>, _>>()?;
    let root = simplify(Node::Or(conditions.iter().map(condition_node).collect()));
    Ok(CompiledDetection {
        searches: searches.into_boxed_slice(),
        root,
    })
}

fn condition_node(resolved: &Resolved) -> Node {
    match resolved {
        Resolved::Search(i) => Node::Search(*i),
        Resolved::Not(inner) => Node::Not(Box::new(condition_node(inner))),
        Resolved::And(parts) => Node::And(parts.iter().map(condition_node).collect()),
        Resolved::Or(parts) => Node::Or(parts.iter().map(condition_node).collect()),
        Resolved::AtLeast(n, parts) => {
            Node::AtLeast(*n, parts.iter().map(condition_node).collect())
        }
    }
}

fn compile_body(
    body: &SearchBody,
    placeholders: &Placeholders,
    slots: &mut FieldSlots,
) -> Result<Node, RuleError> {
    Ok(simplify(match body {
        SearchBody::AllOf(items) => Node::And(
            items
                .iter()
                .map(|item| lower_item(item, placeholders).map(|l| item_node(&l, slots)))
                .collect::<Result<_, _>>()?,
        ),
        SearchBody::AnyOf(bodies) => Node::Or(
            bodies
                .iter()
                .map(|b| compile_body(b, placeholders, slots))
                .collect::<Result<_, _>>()?,
        ),
    }))
}

/// Flattens nested ANDs and ORs and unwraps single-child ones.
fn simplify(node: Node) -> Node {
    match node {
        Node::And(parts) => {
            let mut flat = Vec::with_capacity(parts.len());
            for part in parts.into_vec() {
                match simplify(part) {
                    Node::And(inner) => flat.extend(inner.into_vec()),
                    other => flat.push(other),
                }
            }
            if flat.len() == 1 {
                flat.remove(0)
            } else {
                Node::And(flat.into_boxed_slice())
            }
        }
        Node::Or(parts) => {
            let mut flat = Vec::with_capacity(parts.len());
            for part in parts.into_vec() {
                match simplify(part) {
                    Node::Or(inner) => flat.extend(inner.into_vec()),
                    other => flat.push(other),
                }
            }
            if flat.len() == 1 {
                flat.remove(0)
            } else {
                Node::Or(flat.into_boxed_slice())
            }
        }
        Node::Not(inner) => Node::Not(Box::new(simplify(*inner))),
        Node::AtLeast(n, parts) => {
            Node::AtLeast(n, parts.into_vec().into_iter().map(simplify).collect())
        }
        other => other,
    }
}

fn item_node(item: &LoweredItem, slots: &mut FieldSlots) -> Node {
    let exists = item.values.iter().flatten().find_map(|op| match op {
        Operand::Exists(b) => Some(*b),
        _ => None,
    });
    let check = match (exists, item.link) {
        (Some(present), _) => Check::Exists(present),
        (None, Link::Any) => Check::Any(Box::new(value_set(item.values.iter().flatten()))),
        (None, Link::All) => Check::All(
            item.values
                .iter()
                .map(|alternatives| value_set(alternatives.iter()))
                .collect(),
        ),
    };
    match &item.field {
        Some(field) => Node::Field(Box::new(FieldTest {
            field: field.as_str().into(),
            slot: slots.slot(field),
            negate: item.negate,
            check,
        })),
        None => Node::Keyword(Box::new(KeywordTest {
            negate: item.negate,
            check,
        })),
    }
}

fn value_set<'a>(operands: impl Iterator<Item = &'a Operand>) -> ValueSet {
    let mut set = ValueSet::default();
    let mut folded = TextSetBuilder::default();
    let mut cased = TextSetBuilder::default();
    for operand in operands {
        match operand {
            Operand::Pattern { pattern, cased: c } => {
                if *c {
                    cased.add(pattern.parts(), false);
                } else {
                    folded.add(pattern.parts(), true);
                }
            }
            Operand::Regex(re) => set.regexes.push(re.clone()),
            Operand::Compare { op, bound } => set.compares.push((*op, *bound)),
            Operand::Time { part, value } => set.times.push((*part, *value)),
            Operand::Cidr(c) => set.cidrs.push(*c),
            Operand::Null => set.null = true,
            // Handled as a whole-field check by the caller.
            Operand::Exists(_) => {}
            Operand::FieldRef { field, mode, cased } => set.field_refs.push(FieldRefTest {
                field: field.as_str().into(),
                mode: *mode,
                cased: *cased,
            }),
        }
    }
    set.folded = folded.build();
    set.cased = cased.build();
    set
}

#[derive(Default)]
struct TextSetBuilder {
    used: bool,
    any: bool,
    exact: Vec<Box<str>>,
    prefixes: Vec<Box<str>>,
    suffixes: Vec<Box<str>>,
    contains: Vec<String>,
    globs: Vec<Glob>,
}

impl TextSetBuilder {
    fn add(&mut self, parts: &[Part], fold_case: bool) {
        self.used = true;
        let text = |s: &str| -> String { if fold_case { fold(s) } else { s.to_owned() } };
        match parts {
            [] => self.exact.push("".into()),
            [Part::AnyRun] => self.any = true,
            [Part::Lit(l)] => self.exact.push(text(l).into()),
            [Part::Lit(l), Part::AnyRun] => self.prefixes.push(text(l).into()),
            [Part::AnyRun, Part::Lit(l)] => self.suffixes.push(text(l).into()),
            [Part::AnyRun, Part::Lit(l), Part::AnyRun] => self.contains.push(text(l)),
            general => self.globs.push(Glob {
                tokens: general
                    .iter()
                    .filter_map(|p| match p {
                        Part::Lit(l) => Some(GlobToken::Lit(text(l).into())),
                        Part::AnyRun => Some(GlobToken::Run),
                        Part::AnyChar => Some(GlobToken::One),
                        // Placeholders are filled before compiling.
                        Part::Placeholder(_) => None,
                    })
                    .collect(),
            }),
        }
    }

    fn build(mut self) -> Option<TextSet> {
        if !self.used {
            return None;
        }
        self.exact.sort();
        self.exact.dedup();
        self.contains.sort();
        self.contains.dedup();
        let exact = if self.exact.len() >= HASH_EXACT_FROM {
            Exact::Set(self.exact.into_iter().collect::<HashSet<_>>())
        } else {
            Exact::List(self.exact)
        };
        // Building only fails for pattern sets far beyond any rule's size;
        // should it fail, the substrings fall back to plain globs.
        let contains = if self.contains.is_empty() {
            None
        } else {
            match AhoCorasick::new(&self.contains) {
                Ok(ac) => Some(ac),
                Err(_) => {
                    for c in &self.contains {
                        self.globs.push(Glob {
                            tokens: vec![
                                GlobToken::Run,
                                GlobToken::Lit(c.as_str().into()),
                                GlobToken::Run,
                            ]
                            .into_boxed_slice(),
                        });
                    }
                    None
                }
            }
        };
        Some(TextSet {
            any: self.any,
            exact,
            prefixes: self.prefixes,
            suffixes: self.suffixes,
            contains,
            globs: self.globs,
        })
    }
}
