//! What processing items do to a rule: the transformations, and the
//! conditions that decide whether an item applies.

use std::collections::BTreeMap;

use regex::Regex;

use crate::error::RuleError;
use crate::sigma::ast::{
    DetectionAst, FilterAst, LogSource, Modifier, RawValue, RuleAst, Search, SearchBody,
    SearchItem, SigmaDocument,
};
use crate::sigma::condition::ConditionExpr;
use crate::sigma::correlation::CorrelationAst;

/// Most alternatives one search may turn into when fields are mapped to
/// several names each (the product of their counts).
const MAX_ALTERNATIVES: usize = 256;

/// One step of a pipeline: a transformation and when it applies.
#[derive(Debug, Clone)]
pub(crate) struct ProcessingItem {
    /// The item's `id`, or its position (`#3`) when it has none.
    pub id: String,
    /// What it does.
    pub transformation: Transformation,
    /// When it applies to a rule (all empty: always).
    pub rule_conditions: Vec<RuleCondition>,
    /// Whether one rule condition is enough (`rule_cond_op: or`).
    pub rule_cond_any: bool,
    /// Whether the combined rule condition is negated (`rule_cond_not`).
    pub rule_cond_not: bool,
    /// Which fields a field transformation touches (all empty: every field).
    pub field_conditions: Vec<FieldCondition>,
    /// Whether one field condition is enough (`field_name_cond_op: or`).
    pub field_cond_any: bool,
    /// Whether the combined field condition is negated.
    pub field_cond_not: bool,
}

/// The transformations a matching engine needs (pySigma's names).
#[derive(Debug, Clone)]
pub(crate) enum Transformation {
    /// `field_name_mapping`: each rule field to one or more event fields;
    /// several are alternatives (any of them may hold the value).
    FieldNameMapping(BTreeMap<String, Vec<String>>),
    /// `field_name_prefix`.
    FieldNamePrefix(String),
    /// `field_name_suffix`.
    FieldNameSuffix(String),
    /// `add_condition`: a search ANDed onto the rule's condition (negated
    /// with `negated: true`).
    AddCondition { search: SearchBody, negated: bool },
    /// `change_logsource`: the rule's log source becomes this one.
    ChangeLogsource(LogSource),
}

/// A rule condition.
#[derive(Debug, Clone)]
pub(crate) enum RuleCondition {
    /// `logsource`: the rule's log source names these attributes (each
    /// given one must be equal).
    Logsource(LogSource),
    /// `tag`: the rule carries this tag.
    Tag(String),
    /// `is_sigma_rule`: the document is a detection rule (or a filter).
    IsSigmaRule,
    /// `is_sigma_correlation_rule`: the document is a correlation.
    IsCorrelation,
}

/// A field name condition.
#[derive(Debug, Clone)]
pub(crate) struct FieldCondition {
    /// `include_fields` (true) or `exclude_fields` (false).
    pub include: bool,
    /// The names, or patterns with `match_type: regex`.
    pub fields: FieldNames,
}

/// Names a field condition compares with.
#[derive(Debug, Clone)]
pub(crate) enum FieldNames {
    /// Exact names.
    Plain(Vec<String>),
    /// Regular expressions, matched against the whole name.
    Regex(Vec<Regex>),
}

impl FieldNames {
    fn contains(&self, field: &str) -> bool {
        match self {
            FieldNames::Plain(names) => names.iter().any(|n| n == field),
            FieldNames::Regex(patterns) => patterns.iter().any(|p| p.is_match(field)),
        }
    }
}

/// What a document looks like to rule conditions.
struct RuleView<'a> {
    logsource: Option<&'a LogSource>,
    tags: &'a [String],
    correlation: bool,
}

impl RuleCondition {
    fn holds(&self, view: &RuleView<'_>) -> bool {
        match self {
            RuleCondition::Logsource(wanted) => view.logsource.is_some_and(|l| wanted.contains(l)),
            RuleCondition::Tag(tag) => view.tags.iter().any(|t| t.eq_ignore_ascii_case(tag)),
            RuleCondition::IsSigmaRule => !view.correlation,
            RuleCondition::IsCorrelation => view.correlation,
        }
    }
}

impl ProcessingItem {
    fn applies_to(&self, view: &RuleView<'_>) -> bool {
        if self.rule_conditions.is_empty() {
            return !self.rule_cond_not;
        }
        let mut results = self.rule_conditions.iter().map(|c| c.holds(view));
        let combined = if self.rule_cond_any {
            results.any(|r| r)
        } else {
            results.all(|r| r)
        };
        combined != self.rule_cond_not
    }

    fn touches_field(&self, field: &str) -> bool {
        if self.field_conditions.is_empty() {
            return !self.field_cond_not;
        }
        let mut results = self
            .field_conditions
            .iter()
            .map(|c| c.fields.contains(field) == c.include);
        let combined = if self.field_cond_any {
            results.any(|r| r)
        } else {
            results.all(|r| r)
        };
        combined != self.field_cond_not
    }

    /// The event fields `field` becomes (one, or several alternatives);
    /// `None` when this item leaves it alone.
    fn map_field(&self, field: &str) -> Option<Vec<String>> {
        if !self.touches_field(field) {
            return None;
        }
        match &self.transformation {
            Transformation::FieldNameMapping(mapping) => mapping.get(field).cloned(),
            Transformation::FieldNamePrefix(prefix) => Some(vec![format!("{prefix}{field}")]),
            Transformation::FieldNameSuffix(suffix) => Some(vec![format!("{field}{suffix}")]),
            Transformation::AddCondition { .. } | Transformation::ChangeLogsource(_) => None,
        }
    }

    fn error(&self, pipeline: &str, reason: impl Into<String>) -> RuleError {
        RuleError::Pipeline {
            pipeline: pipeline.to_owned(),
            item: self.id.clone(),
            reason: reason.into(),
        }
    }

    /// Applies the item to one document, if its rule conditions hold.
    /// `added` numbers the searches `add_condition` creates.
    pub(crate) fn apply(
        &self,
        pipeline: &str,
        doc: &mut SigmaDocument,
        added: &mut usize,
    ) -> Result<(), RuleError> {
        match doc {
            SigmaDocument::Rule(rule) => self.apply_to_rule(pipeline, rule, added),
            SigmaDocument::Filter(filter) => self.apply_to_filter(pipeline, filter, added),
            SigmaDocument::Correlation(correlation) => {
                self.apply_to_correlation(correlation);
                Ok(())
            }
        }
    }

    fn apply_to_rule(
        &self,
        pipeline: &str,
        rule: &mut RuleAst,
        added: &mut usize,
    ) -> Result<(), RuleError> {
        let view = RuleView {
            logsource: Some(&rule.logsource),
            tags: &rule.header.tags,
            correlation: false,
        };
        if !self.applies_to(&view) {
            return Ok(());
        }
        self.apply_to_detection(pipeline, &mut rule.logsource, &mut rule.detection, added)
    }

    fn apply_to_filter(
        &self,
        pipeline: &str,
        filter: &mut FilterAst,
        added: &mut usize,
    ) -> Result<(), RuleError> {
        let view = RuleView {
            logsource: Some(&filter.logsource),
            tags: &[],
            correlation: false,
        };
        if !self.applies_to(&view) {
            return Ok(());
        }
        self.apply_to_detection(
            pipeline,
            &mut filter.logsource,
            &mut filter.detection,
            added,
        )
    }

    fn apply_to_detection(
        &self,
        pipeline: &str,
        logsource: &mut LogSource,
        detection: &mut DetectionAst,
        added: &mut usize,
    ) -> Result<(), RuleError> {
        match &self.transformation {
            Transformation::ChangeLogsource(to) => {
                // pySigma replaces the whole log source; the prose
                // `definition` stays with the rule.
                let definition = logsource.definition.take();
                *logsource = LogSource {
                    definition,
                    ..to.clone()
                };
            }
            Transformation::AddCondition { search, negated } => {
                let mut name = format!("_pipeline_{}", *added);
                while detection.search(&name).is_some() {
                    *added += 1;
                    name = format!("_pipeline_{}", *added);
                }
                *added += 1;
                detection.searches.push(Search {
                    name: name.clone(),
                    body: search.clone(),
                });
                let ident = ConditionExpr::Ident {
                    name: name.clone(),
                    column: 0,
                };
                let added_expr = if *negated {
                    ConditionExpr::Not(Box::new(ident))
                } else {
                    ident
                };
                for condition in &mut detection.conditions {
                    let expr =
                        std::mem::replace(&mut condition.expr, ConditionExpr::And(Vec::new()));
                    condition.expr = ConditionExpr::And(vec![expr, added_expr.clone()]);
                    let not = if *negated { "not " } else { "" };
                    condition.source = format!("({}) and {not}{name}", condition.source);
                }
            }
            Transformation::FieldNameMapping(_)
            | Transformation::FieldNamePrefix(_)
            | Transformation::FieldNameSuffix(_) => {
                for search in &mut detection.searches {
                    let body = std::mem::replace(&mut search.body, SearchBody::AnyOf(Vec::new()));
                    search.body = self.map_body(body).map_err(|alternatives| {
                        self.error(
                            pipeline,
                            format!(
                                "search `{}` would become {alternatives} alternatives (at most {MAX_ALTERNATIVES}); map fewer of its fields to several names",
                                search.name
                            ),
                        )
                    })?;
                }
            }
        }
        Ok(())
    }

    /// Renames the fields of a search body. A field mapped to several
    /// event fields becomes alternatives: `{a: 1, b: 2}` with `b` → `b1`,
    /// `b2` is `{a: 1, b1: 2} or {a: 1, b2: 2}`.
    /// Fails with the number of alternatives when there would be too many.
    fn map_body(&self, body: SearchBody) -> Result<SearchBody, usize> {
        match body {
            SearchBody::AnyOf(bodies) => Ok(SearchBody::AnyOf(
                bodies
                    .into_iter()
                    .map(|b| self.map_body(b))
                    .collect::<Result<_, _>>()?,
            )),
            SearchBody::AllOf(items) => {
                // Each item becomes a list of alternatives; the map is their
                // cartesian product.
                let choices: Vec<Vec<SearchItem>> =
                    items.into_iter().map(|item| self.map_item(item)).collect();
                if choices.iter().all(|c| c.len() == 1) {
                    return Ok(SearchBody::AllOf(choices.into_iter().flatten().collect()));
                }
                let total = choices
                    .iter()
                    .try_fold(1usize, |n, c| n.checked_mul(c.len()))
                    .unwrap_or(usize::MAX);
                if total > MAX_ALTERNATIVES {
                    return Err(total);
                }
                let mut combinations: Vec<Vec<SearchItem>> = vec![Vec::new()];
                for choice in choices {
                    let mut next = Vec::with_capacity(combinations.len() * choice.len());
                    for combination in &combinations {
                        for alternative in &choice {
                            let mut extended = combination.clone();
                            extended.push(alternative.clone());
                            next.push(extended);
                        }
                    }
                    combinations = next;
                }
                Ok(SearchBody::AnyOf(
                    combinations.into_iter().map(SearchBody::AllOf).collect(),
                ))
            }
        }
    }

    fn map_item(&self, mut item: SearchItem) -> Vec<SearchItem> {
        if item.modifiers.contains(&Modifier::FieldRef) {
            item.values =
                self.map_field_references(&item.values, item.modifiers.contains(&Modifier::All));
        }
        let Some(field) = &item.field else {
            return vec![item];
        };
        match self.map_field(field) {
            None => vec![item],
            Some(targets) => targets
                .into_iter()
                .map(|target| SearchItem {
                    field: Some(target),
                    ..item.clone()
                })
                .collect(),
        }
    }

    /// `fieldref` values name fields too. Alternatives are OR-ed values,
    /// except under `all`, where only the first can stand in.
    fn map_field_references(&self, values: &[RawValue], all: bool) -> Vec<RawValue> {
        let mut out = Vec::with_capacity(values.len());
        for value in values {
            match value {
                RawValue::Str(name) => match self.map_field(name) {
                    Some(targets) if all => {
                        out.extend(targets.into_iter().take(1).map(RawValue::Str));
                    }
                    Some(targets) => out.extend(targets.into_iter().map(RawValue::Str)),
                    None => out.push(value.clone()),
                },
                other => out.push(other.clone()),
            }
        }
        out
    }

    /// A correlation has no log source; field transformations rename its
    /// `group-by`, the fields its aliases point at and its condition's
    /// `field`. A name mapped to alternatives takes the first.
    fn apply_to_correlation(&self, correlation: &mut CorrelationAst) {
        let view = RuleView {
            logsource: None,
            tags: &correlation.header.tags,
            correlation: true,
        };
        if !self.applies_to(&view) {
            return;
        }
        let rename = |name: &mut String| {
            if let Some(first) = self.map_field(name).and_then(|t| t.into_iter().next()) {
                *name = first;
            }
        };
        let aliases: Vec<String> = correlation.aliases.keys().cloned().collect();
        for field in &mut correlation.group_by {
            // An alias is a name the correlation made up, not an event field.
            if !aliases.contains(field) {
                rename(field);
            }
        }
        for per_rule in correlation.aliases.values_mut() {
            per_rule.values_mut().for_each(rename);
        }
        if let Some(condition) = &mut correlation.condition {
            condition.fields.iter_mut().for_each(rename);
        }
    }
}
