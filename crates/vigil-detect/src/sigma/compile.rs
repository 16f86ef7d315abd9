//! From a rule's detection (searches and bound condition) to the compiled
//! matcher.

use super::ast::{DetectionAst, SearchBody};
use super::condition::Resolved;
use super::matcher::{
    Check, CompiledDetection, FieldRefTest, FieldSlots, FieldTest, KeywordTest, Node, ValueSet,
};
use super::modifiers::{Link, LoweredItem, Operand, Placeholders, lower_item};
use super::pattern::Part;
use super::values::fold;
use crate::automaton::{AtomDef, Glob, GlobToken, Shape, Target};
use crate::error::RuleError;

/// Compiles `detection` with its conditions already bound to its searches
/// (`conditions` are ORed, as a list of conditions is). Field names and
/// text patterns are numbered in `slots`, shared by the whole rule set.
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
        names: detection
            .searches
            .iter()
            .map(|s| s.name.as_str().into())
            .collect(),
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
    let slot = item.field.as_ref().map(|field| slots.slot(field));
    let target = slot.map_or(Target::Keywords, Target::Field);
    let check = match (exists, item.link) {
        (Some(present), _) => Check::Exists(present),
        (None, Link::Any) => Check::Any(Box::new(value_set(
            item.values.iter().flatten(),
            target,
            slots,
        ))),
        (None, Link::All) => Check::All(
            item.values
                .iter()
                .map(|alternatives| value_set(alternatives.iter(), target, slots))
                .collect(),
        ),
    };
    match (&item.field, slot) {
        (Some(field), Some(slot)) => Node::Field(Box::new(FieldTest {
            field: field.as_str().into(),
            slot,
            negate: item.negate,
            check,
        })),
        _ => Node::Keyword(Box::new(KeywordTest {
            negate: item.negate,
            check,
        })),
    }
}

fn value_set<'a>(
    operands: impl Iterator<Item = &'a Operand>,
    target: Target,
    slots: &mut FieldSlots,
) -> ValueSet {
    let mut set = ValueSet::default();
    let mut atoms = Vec::new();
    for operand in operands {
        match operand {
            Operand::Pattern { pattern, cased } => {
                let atom = slots.atom(AtomDef {
                    target,
                    cased: *cased,
                    shape: shape(pattern.parts(), !*cased),
                });
                if !atoms.contains(&atom) {
                    atoms.push(atom);
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
    set.atoms = atoms.into_boxed_slice();
    set
}

/// The shape of a pattern, its literals folded unless it is cased.
fn shape(parts: &[Part], fold_case: bool) -> Shape {
    let text = |s: &str| -> Box<str> { if fold_case { fold(s).into() } else { s.into() } };
    match parts {
        [] => Shape::Exact("".into()),
        [Part::AnyRun] => Shape::Any,
        [Part::Lit(l)] => Shape::Exact(text(l)),
        [Part::Lit(l), Part::AnyRun] => Shape::Prefix(text(l)),
        [Part::AnyRun, Part::Lit(l)] => Shape::Suffix(text(l)),
        [Part::AnyRun, Part::Lit(l), Part::AnyRun] => Shape::Contains(text(l)),
        general => Shape::Glob(Glob {
            tokens: general
                .iter()
                .filter_map(|p| match p {
                    Part::Lit(l) => Some(GlobToken::Lit(text(l))),
                    Part::AnyRun => Some(GlobToken::Run),
                    Part::AnyChar => Some(GlobToken::One),
                    // Placeholders are filled before compiling.
                    Part::Placeholder(_) => None,
                })
                .collect(),
        }),
    }
}
