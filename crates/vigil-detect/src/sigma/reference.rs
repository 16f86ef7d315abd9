//! A deliberately plain interpreter of the rule syntax tree, for checking
//! the compiled matcher: no precompilation, no pattern sorting, wildcard
//! matching by dynamic programming, conditions evaluated as written (with
//! `x of` patterns expanded at evaluation time). Slow and obviously right.
//!
//! It shares only the definitions of what values mean (modifier lowering,
//! case folding, numbers, timestamps, networks) with the compiled path.

use super::ast::{DetectionAst, Number, SearchBody};
use super::condition::{ConditionExpr, Quantifier, of_target_selects};
use super::modifiers::{Link, Operand, Placeholders, RefMode, lower_item};
use super::pattern::Part;
use super::values::{fold, parse_ip, parse_number, parse_timestamp, timestamp_from_epoch};
use crate::document::{Document, Scalar};
use crate::error::RuleError;

/// Whether `detection` matches `doc`.
pub(crate) fn detection_matches<D: Document>(
    detection: &DetectionAst,
    doc: &D,
    placeholders: &Placeholders,
) -> Result<bool, RuleError> {
    for condition in &detection.conditions {
        if eval_condition(&condition.expr, detection, doc, placeholders)? {
            return Ok(true);
        }
    }
    Ok(false)
}

fn eval_condition<D: Document>(
    expr: &ConditionExpr,
    detection: &DetectionAst,
    doc: &D,
    placeholders: &Placeholders,
) -> Result<bool, RuleError> {
    Ok(match expr {
        ConditionExpr::Ident { name, .. } => match detection.search(name) {
            Some(search) => eval_body(&search.body, doc, placeholders)?,
            None => false,
        },
        ConditionExpr::Not(inner) => !eval_condition(inner, detection, doc, placeholders)?,
        ConditionExpr::And(parts) => {
            let mut all = true;
            for p in parts {
                all &= eval_condition(p, detection, doc, placeholders)?;
            }
            all
        }
        ConditionExpr::Or(parts) => {
            let mut any = false;
            for p in parts {
                any |= eval_condition(p, detection, doc, placeholders)?;
            }
            any
        }
        ConditionExpr::Of {
            quantifier, target, ..
        } => {
            let mut selected = 0;
            let mut holding = 0;
            for search in &detection.searches {
                if of_target_selects(target, &search.name) {
                    selected += 1;
                    if eval_body(&search.body, doc, placeholders)? {
                        holding += 1;
                    }
                }
            }
            match quantifier {
                Quantifier::Any => holding >= 1,
                Quantifier::All => holding == selected,
                Quantifier::AtLeast(n) => holding >= *n,
            }
        }
    })
}

fn eval_body<D: Document>(
    body: &SearchBody,
    doc: &D,
    placeholders: &Placeholders,
) -> Result<bool, RuleError> {
    match body {
        SearchBody::AllOf(items) => {
            let mut all = true;
            for item in items {
                let lowered = lower_item(item, placeholders)?;
                let field = lowered.field.as_deref();
                let value_holds = |alternatives: &Vec<Operand>| {
                    alternatives.iter().any(|op| operand_holds(op, field, doc))
                };
                let holds = match lowered.link {
                    Link::Any => lowered.values.iter().any(value_holds),
                    Link::All => lowered.values.iter().all(value_holds),
                };
                all &= holds != lowered.negate;
            }
            Ok(all)
        }
        SearchBody::AnyOf(bodies) => {
            let mut any = false;
            for b in bodies {
                any |= eval_body(b, doc, placeholders)?;
            }
            Ok(any)
        }
    }
}

/// Every scalar of the field (or of the whole document for keywords).
fn scalars<'d, D: Document>(field: Option<&str>, doc: &'d D) -> Vec<Scalar<'d>> {
    let mut out = Vec::new();
    match field {
        Some(f) => {
            if let Some(v) = doc.field(f) {
                v.any_scalar(&mut |s| {
                    out.push(s);
                    false
                });
            }
        }
        None => {
            doc.any_value(&mut |s| {
                out.push(s);
                false
            });
        }
    }
    out
}

fn text_of(s: Scalar<'_>) -> String {
    let mut buf = String::new();
    s.text(&mut buf).to_owned()
}

fn operand_holds<D: Document>(op: &Operand, field: Option<&str>, doc: &D) -> bool {
    match op {
        Operand::Exists(present) => field.is_some_and(|f| doc.field(f).is_some() == *present),
        Operand::Null => field.is_some_and(|f| doc.field(f).is_none_or(|v| v.is_null())),
        _ => scalars(field, doc)
            .into_iter()
            .any(|s| scalar_holds(op, s, doc)),
    }
}

fn scalar_holds<D: Document>(op: &Operand, value: Scalar<'_>, doc: &D) -> bool {
    match op {
        Operand::Pattern { pattern, cased } => {
            let text = text_of(value);
            let prepare = |s: &str| if *cased { s.to_owned() } else { fold(s) };
            wildcard_match(
                pattern.parts(),
                &prepare(&text).chars().collect::<Vec<_>>(),
                &prepare,
            )
        }
        Operand::Regex(re) => re.is_match(&text_of(value)),
        Operand::Compare { op, bound } => {
            let n = match value {
                Scalar::Int(i) => Some(Number::Int(i128::from(i))),
                Scalar::UInt(u) => Some(Number::Int(i128::from(u))),
                Scalar::Float(f) => Some(Number::Float(f)),
                Scalar::Str(t) => parse_number(t),
                Scalar::Bool(_) => None,
            };
            n.is_some_and(|n| op.holds(n, *bound))
        }
        Operand::Time { part, value: want } => {
            let at = match value {
                Scalar::Str(t) => parse_timestamp(t),
                Scalar::Int(i) => timestamp_from_epoch(i128::from(i)),
                Scalar::UInt(u) => timestamp_from_epoch(i128::from(u)),
                _ => None,
            };
            at.is_some_and(|at| part.of(at) == *want)
        }
        Operand::Cidr(net) => match value {
            Scalar::Str(t) => parse_ip(t).is_some_and(|ip| net.contains(ip)),
            _ => false,
        },
        Operand::FieldRef { field, mode, cased } => {
            let prepare = |s: String| if *cased { s } else { fold(&s) };
            let mine = prepare(text_of(value));
            scalars(Some(field), doc).into_iter().any(|other| {
                let theirs = prepare(text_of(other));
                match mode {
                    RefMode::Equal => mine == theirs,
                    RefMode::Prefix => mine.starts_with(&theirs),
                    RefMode::Suffix => mine.ends_with(&theirs),
                    RefMode::Contains => mine.contains(&theirs),
                }
            })
        }
        Operand::Exists(_) | Operand::Null => false,
    }
}

/// Whole-string wildcard match by dynamic programming over characters:
/// `reach[j]` says whether the first `j` characters of the text can be
/// consumed by the tokens seen so far.
fn wildcard_match(parts: &[Part], text: &[char], prepare: &dyn Fn(&str) -> String) -> bool {
    let mut reach = vec![false; text.len() + 1];
    reach[0] = true;
    for part in parts {
        let mut next = vec![false; text.len() + 1];
        match part {
            Part::AnyRun => {
                let mut seen = false;
                for j in 0..=text.len() {
                    seen |= reach[j];
                    next[j] = seen;
                }
            }
            Part::AnyChar => {
                next[1..].copy_from_slice(&reach[..text.len()]);
            }
            Part::Lit(lit) => {
                let lit: Vec<char> = prepare(lit).chars().collect();
                for j in 0..=text.len() {
                    if reach[j] && text.len() - j >= lit.len() && text[j..j + lit.len()] == lit[..]
                    {
                        next[j + lit.len()] = true;
                    }
                }
            }
            Part::Placeholder(_) => return false,
        }
        reach = next;
    }
    reach[text.len()]
}
