//! Sigma filters (meta filters) at load: each is checked once, then
//! ANDed onto the conditions of the rules it targets as they compile.

use super::{LoadOptions, Pending};
use crate::error::RuleError;
use crate::sigma::ast::{DetectionAst, FilterAst, FilterTarget, RuleAst, Search, SigmaDocument};
use crate::sigma::compile::compile_detection;
use crate::sigma::condition::{ResolveError, Resolved, resolve};
use crate::sigma::matcher::{CompiledDetection, FieldSlots};

/// A filter ready to be applied: its searches and its bound condition.
pub(super) struct ReadyFilter {
    ast: FilterAst,
    condition: Resolved,
}

/// Checks every filter document (its condition binds, its searches
/// compile); bad filters are reported and not applied.
pub(super) fn prepare_filters(pending: &mut [Pending], options: &LoadOptions) -> Vec<ReadyFilter> {
    let mut ready = Vec::new();
    for item in pending.iter_mut() {
        if !matches!(item.doc, Some(SigmaDocument::Filter(_))) {
            continue;
        }
        let Some(SigmaDocument::Filter(filter)) = item.doc.take() else {
            continue;
        };
        let checked = bind_conditions(&filter.detection).and_then(|conditions| {
            compile_detection(
                &filter.detection,
                &conditions,
                &options.placeholders,
                &mut FieldSlots::default(),
            )?;
            Ok(or_of(conditions))
        });
        match checked {
            Ok(condition) => ready.push(ReadyFilter {
                ast: filter,
                condition,
            }),
            Err(e) => item.outcome.result = Err(e),
        }
    }
    ready
}

fn or_of(mut conditions: Vec<Resolved>) -> Resolved {
    if conditions.len() == 1 {
        conditions.remove(0)
    } else {
        Resolved::Or(conditions)
    }
}

fn bind_conditions(detection: &DetectionAst) -> Result<Vec<Resolved>, RuleError> {
    detection
        .conditions
        .iter()
        .map(|c| {
            resolve(&c.expr, &detection.searches).map_err(|e| match e {
                ResolveError::UnknownIdentifier { name, column } => RuleError::UnknownIdentifier {
                    condition: c.source.clone(),
                    identifier: name,
                    column,
                },
                ResolveError::EmptyPattern { pattern, column } => RuleError::Condition {
                    condition: c.source.clone(),
                    column,
                    reason: format!("`{pattern}` matches no search identifier"),
                },
                ResolveError::TooFew {
                    needed,
                    found,
                    column,
                } => RuleError::Condition {
                    condition: c.source.clone(),
                    column,
                    reason: format!(
                        "asks for {needed} searches but the pattern matches only {found}"
                    ),
                },
            })
        })
        .collect()
}

/// Binds the rule's condition, applies the filters that target it (each
/// filter's condition is ANDed onto the rule's, as pySigma does), and
/// compiles the result.
pub(super) fn compile_rule(
    rule: &RuleAst,
    filters: &[ReadyFilter],
    options: &LoadOptions,
    slots: &mut FieldSlots,
) -> Result<CompiledDetection, RuleError> {
    let mut conditions = bind_conditions(&rule.detection)?;
    let mut applying = filters
        .iter()
        .enumerate()
        .filter(|(_, filter)| filter_applies(&filter.ast, rule))
        .peekable();
    if applying.peek().is_none() {
        // Most rules: compiled as written, without a copy of the detection.
        return compile_detection(&rule.detection, &conditions, &options.placeholders, slots);
    }
    let mut detection = rule.detection.clone();
    for (n, filter) in applying {
        let offset = detection.searches.len();
        detection
            .searches
            .extend(filter.ast.detection.searches.iter().map(|s| Search {
                // Never a name the rule's own condition could refer to
                // (those were bound already); read in explanations.
                name: format!("filter {n} ({}): {}", filter.ast.title, s.name),
                body: s.body.clone(),
            }));
        let filter_condition = filter.condition.shifted(offset);
        conditions = conditions
            .into_iter()
            .map(|c| Resolved::And(vec![c, filter_condition.clone()]))
            .collect();
    }
    compile_detection(&detection, &conditions, &options.placeholders, slots)
}

fn filter_applies(filter: &FilterAst, rule: &RuleAst) -> bool {
    if !filter.logsource.contains(&rule.logsource) {
        return false;
    }
    match &filter.rules {
        FilterTarget::Any => true,
        FilterTarget::Rules(refs) => refs.iter().any(|r| {
            rule.header.id.as_deref() == Some(r.as_str())
                || rule.header.name.as_deref() == Some(r.as_str())
        }),
    }
}
