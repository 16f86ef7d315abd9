//! What processing items do to a rule: the transformations, and the
//! conditions that decide whether an item applies (to the rule, to a
//! detection item, to a field name).

use std::collections::{BTreeMap, BTreeSet};

use regex::Regex;

use super::attribute::RuleAttribute;
use super::detection::{
    Body, DetectionCondition, HashesFields, MAX_ALTERNATIVES, Outcome, RewriteError,
    StateCondition, StateValue, Tracked, has_value, rewrite,
};
use super::value::{CaseMethod, Placeholders, SigmaValue, ValueTransformation, write_back};
use crate::error::RuleError;
use crate::sigma::ast::{
    DetectionAst, LogSource, Modifier, RawValue, RuleHeader, Search, SearchBody, SearchItem,
    SigmaDocument,
};
use crate::sigma::condition::ConditionExpr;
use crate::sigma::correlation::CorrelationAst;

/// One step of a pipeline: a transformation and when it applies.
#[derive(Debug, Clone)]
pub(crate) struct ProcessingItem {
    /// The item's `id`, or its position (`#3`) when it has none.
    pub id: String,
    /// Whether `id` was written (only written ids are tracked for
    /// `processing_item_applied`).
    pub named: bool,
    /// The line of the pipeline file where the item starts, when known.
    pub line: Option<usize>,
    /// What it does.
    pub transformation: Transformation,
    /// When it applies to a rule (none: always).
    pub rule_conditions: Vec<RuleCondition>,
    /// Whether one rule condition is enough (`rule_cond_op: or`).
    pub rule_cond_any: bool,
    /// Whether the combined rule condition is negated (`rule_cond_not`).
    pub rule_cond_not: bool,
    /// Which detection items it touches.
    pub detection_conditions: Vec<DetectionCondition>,
    /// `detection_item_cond_op: or`.
    pub detection_cond_any: bool,
    /// `detection_item_cond_not`.
    pub detection_cond_not: bool,
    /// Which fields it touches.
    pub field_conditions: Vec<FieldCondition>,
    /// Whether one field condition is enough (`field_name_cond_op: or`).
    pub field_cond_any: bool,
    /// Whether the combined field condition is negated.
    pub field_cond_not: bool,
}

/// The transformations (pySigma's names).
#[derive(Debug, Clone)]
pub(crate) enum Transformation {
    /// `field_name_mapping`: each rule field to one or more event fields;
    /// several are alternatives (any of them may hold the value).
    FieldNameMapping(BTreeMap<String, Vec<String>>),
    /// `field_name_prefix_mapping`: the first matching prefix (in the
    /// order written) replaced by one or several.
    FieldNamePrefixMapping(Vec<(String, Vec<String>)>),
    /// `field_name_transform`: every field through a case function, unless
    /// `mapping` names it.
    FieldNameTransform {
        /// The function (`transform_func`).
        func: CaseMethod,
        /// Explicit names that win over the function.
        mapping: BTreeMap<String, Vec<String>>,
    },
    /// `field_name_prefix`.
    FieldNamePrefix(String),
    /// `field_name_suffix`.
    FieldNameSuffix(String),
    /// `add_condition`: a search ANDed onto the rule's condition (negated
    /// with `negated: true`).
    AddCondition { search: SearchBody, negated: bool },
    /// `change_logsource`: the rule's log source becomes this one.
    ChangeLogsource(LogSource),
    /// A value transformation.
    Value(ValueTransformation),
    /// `drop_detection_item`.
    DropDetectionItem,
    /// `hashes_fields`.
    HashesFields(HashesFields),
    /// `detection_item_failure`: a matching detection item fails the rule.
    DetectionItemFailure(String),
    /// `rule_failure`: the rule fails with this message.
    RuleFailure(String),
    /// `add_field`: names appended to the rule's `fields`.
    AddField(Vec<String>),
    /// `remove_field`: names taken out of the rule's `fields`.
    RemoveField(Vec<String>),
    /// `set_field`: the rule's `fields` become these.
    SetField(Vec<String>),
    /// `set_state`: the pipeline state's `key` becomes `val`.
    SetState { key: String, val: StateValue },
    /// `set_custom_attribute`: the rule's (or correlation's) custom
    /// attribute `attribute` becomes `value`.
    SetCustomAttribute {
        attribute: String,
        value: serde_json::Value,
    },
    /// `strict_field_mapping_failure`: a rule with a detection item on a
    /// field that no field transformation has mapped so far (neither mapped
    /// from nor to) fails, naming the fields.
    StrictFieldMapping,
    /// `nest`: these items, run in order as a pipeline of their own (their
    /// state and applied ids joining the enclosing run's afterwards).
    Nest(Vec<ProcessingItem>),
    /// A pySigma transformation this engine does not perform: any rule it
    /// would apply to is rejected, naming it.
    Unsupported { kind: String, why: &'static str },
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
    /// `processing_item_applied`: the item with this id applied to the rule.
    ProcessingItemApplied(String),
    /// `processing_state`.
    ProcessingState(StateCondition),
    /// `rule_attribute`.
    Attribute(RuleAttribute),
    /// `contains_field`: a detection item of the rule is on this field.
    ContainsField(String),
    /// `contains_detection_item`: a detection item of the rule is on this
    /// field and has this value.
    ContainsDetectionItem {
        /// The field.
        field: String,
        /// The value.
        value: SigmaValue,
    },
}

/// A field name condition.
#[derive(Debug, Clone)]
pub(crate) enum FieldCondition {
    /// `include_fields` (true) or `exclude_fields` (false).
    Fields {
        /// Whether the names are included or excluded.
        include: bool,
        /// The names, or patterns with `match_type: regex`.
        fields: FieldNames,
    },
    /// `processing_item_applied`: the item with this id changed the
    /// detection item holding the field.
    ProcessingItemApplied(String),
    /// `processing_state`.
    ProcessingState(StateCondition),
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

/// One document on its way through the pipelines: what pySigma keeps per
/// rule while its pipelines run.
pub(crate) struct Run<'a> {
    /// The pipeline whose items are running (for messages).
    pub pipeline: &'a str,
    /// Placeholder value lists for `value_placeholders`.
    pub placeholders: &'a Placeholders,
    /// The pipeline state (`set_state`).
    pub state: BTreeMap<String, StateValue>,
    /// Ids of the items applied to the document.
    pub applied: BTreeSet<String>,
    /// How many searches `add_condition` created.
    pub added: usize,
    /// The document's searches, tracked (rules and filters).
    pub bodies: Vec<Body>,
    /// The fields a field transformation mapped, from and to (pySigma's
    /// `field_mappings`), for `strict_field_mapping_failure`.
    pub mapped: BTreeSet<String>,
}

/// What a document looks like to rule conditions.
struct RuleView<'a> {
    header: Option<&'a RuleHeader>,
    logsource: Option<&'a LogSource>,
    tags: &'a [String],
    correlation: bool,
}

fn combine(results: impl Iterator<Item = bool>, any: bool, not: bool) -> bool {
    let mut results = results;
    let combined = if any {
        results.any(|r| r)
    } else {
        results.all(|r| r)
    };
    combined != not
}

impl ProcessingItem {
    fn applies_to(&self, view: &RuleView<'_>, run: &Run<'_>) -> bool {
        // pySigma: an item without rule conditions always applies, even
        // with `rule_cond_not`.
        if self.rule_conditions.is_empty() {
            return true;
        }
        let holds = |c: &RuleCondition| match c {
            RuleCondition::Logsource(wanted) => view.logsource.is_some_and(|l| wanted.contains(l)),
            RuleCondition::Tag(tag) => view.tags.iter().any(|t| t.eq_ignore_ascii_case(tag)),
            RuleCondition::IsSigmaRule => !view.correlation,
            RuleCondition::IsCorrelation => view.correlation,
            RuleCondition::ProcessingItemApplied(id) => run.applied.contains(id),
            RuleCondition::ProcessingState(c) => c.holds(&run.state),
            RuleCondition::Attribute(a) => a.holds(view.header),
            RuleCondition::ContainsField(field) => run
                .bodies
                .iter()
                .any(|b| b.any_item(&|i| i.field.as_deref() == Some(field))),
            RuleCondition::ContainsDetectionItem { field, value } => run
                .bodies
                .iter()
                .any(|b| b.any_item(&|i| i.field.as_deref() == Some(field) && has_value(i, value))),
        };
        combine(
            self.rule_conditions.iter().map(holds),
            self.rule_cond_any,
            self.rule_cond_not,
        )
    }

    /// The field conditions on one field name (`None`: a keyword, which
    /// `include_fields` never names), for the item `tracked` holding it.
    fn touches_field(&self, field: Option<&str>, tracked: Option<&Tracked>, run: &Run<'_>) -> bool {
        let holds = |c: &FieldCondition| match c {
            FieldCondition::Fields { include, fields } => {
                field.is_some_and(|f| fields.contains(f)) == *include
            }
            FieldCondition::ProcessingItemApplied(id) => {
                tracked.is_some_and(|t| t.applied.iter().any(|a| a == id))
            }
            FieldCondition::ProcessingState(c) => c.holds(&run.state),
        };
        combine(
            self.field_conditions.iter().map(holds),
            self.field_cond_any,
            self.field_cond_not,
        )
    }

    /// The detection item conditions, and the field conditions on the
    /// item's field or on a field its `fieldref` values name.
    fn touches_item(&self, tracked: &Tracked, run: &Run<'_>, with_fields: bool) -> bool {
        let detection = combine(
            self.detection_conditions
                .iter()
                .map(|c| c.holds(tracked, &run.state)),
            self.detection_cond_any,
            self.detection_cond_not,
        );
        if !detection || !with_fields {
            return detection;
        }
        let item = &tracked.item;
        self.touches_field(item.field.as_deref(), Some(tracked), run)
            || (item.modifiers.contains(&Modifier::FieldRef)
                && item.values.iter().any(|v| {
                    matches!(v, RawValue::Str(name) if self.touches_field(Some(name), Some(tracked), run))
                }))
    }

    /// The event fields `field` becomes (one, or several alternatives);
    /// `None` when this item leaves it alone.
    fn map_field(
        &self,
        field: &str,
        tracked: Option<&Tracked>,
        run: &Run<'_>,
    ) -> Option<Vec<String>> {
        if !self.touches_field(Some(field), tracked, run) {
            return None;
        }
        match &self.transformation {
            Transformation::FieldNameMapping(mapping) => mapping.get(field).cloned(),
            Transformation::FieldNamePrefixMapping(prefixes) => prefixes
                .iter()
                .find(|(from, _)| field.starts_with(from.as_str()))
                .map(|(from, to)| {
                    to.iter()
                        .map(|t| format!("{t}{}", &field[from.len()..]))
                        .collect()
                }),
            Transformation::FieldNameTransform { func, mapping } => Some(
                mapping
                    .get(field)
                    .cloned()
                    .unwrap_or_else(|| vec![func.apply(field)]),
            ),
            Transformation::FieldNamePrefix(prefix) => Some(vec![format!("{prefix}{field}")]),
            Transformation::FieldNameSuffix(suffix) => Some(vec![format!("{field}{suffix}")]),
            _ => None,
        }
    }

    fn is_field_transformation(&self) -> bool {
        matches!(
            self.transformation,
            Transformation::FieldNameMapping(_)
                | Transformation::FieldNamePrefixMapping(_)
                | Transformation::FieldNameTransform { .. }
                | Transformation::FieldNamePrefix(_)
                | Transformation::FieldNameSuffix(_)
        )
    }

    fn error(&self, pipeline: &str, reason: impl Into<String>) -> RuleError {
        RuleError::Pipeline {
            pipeline: pipeline.to_owned(),
            item: self.id.clone(),
            reason: reason.into(),
        }
    }

    /// Applies the item to one document, if its rule conditions hold.
    pub(crate) fn apply(
        &self,
        doc: &mut SigmaDocument,
        run: &mut Run<'_>,
    ) -> Result<(), RuleError> {
        let view = match &*doc {
            SigmaDocument::Rule(rule) => RuleView {
                header: Some(&rule.header),
                logsource: Some(&rule.logsource),
                tags: &rule.header.tags,
                correlation: false,
            },
            SigmaDocument::Filter(filter) => RuleView {
                header: None,
                logsource: Some(&filter.logsource),
                tags: &[],
                correlation: false,
            },
            SigmaDocument::Correlation(c) => RuleView {
                header: Some(&c.header),
                logsource: None,
                tags: &c.header.tags,
                correlation: true,
            },
        };
        if !self.applies_to(&view, run) {
            return Ok(());
        }
        let pipeline = run.pipeline;
        match &self.transformation {
            Transformation::RuleFailure(message) => {
                return Err(self.error(pipeline, message.clone()));
            }
            Transformation::Unsupported { kind, why } => {
                return Err(self.error(
                    pipeline,
                    format!("transformation `{kind}` is not supported: {why}"),
                ));
            }
            Transformation::SetState { key, val } => {
                run.state.insert(key.clone(), val.clone());
            }
            Transformation::SetCustomAttribute { attribute, value } => {
                if let Some(header) = header(doc) {
                    header
                        .custom_attributes
                        .insert(attribute.clone(), value.clone());
                }
            }
            Transformation::StrictFieldMapping => {
                // pySigma checks detection rules only (not filters, not
                // correlations), on their fields as the items before it
                // left them; keywords have no field.
                if let SigmaDocument::Rule(_) = doc {
                    let mut unmapped: Vec<String> = Vec::new();
                    for body in &run.bodies {
                        body.each_item(&mut |i| {
                            if let Some(field) = i.field.as_deref()
                                && !run.mapped.contains(field)
                                && !unmapped.iter().any(|u| u == field)
                            {
                                unmapped.push(field.to_owned());
                            }
                        });
                    }
                    if !unmapped.is_empty() {
                        return Err(self.error(
                            pipeline,
                            format!(
                                "the following fields are not mapped: {}",
                                unmapped.join(", ")
                            ),
                        ));
                    }
                }
            }
            Transformation::Nest(items) => {
                // pySigma runs them as a fresh pipeline whose state and
                // applied ids are merged into the enclosing one's.
                let state = std::mem::take(&mut run.state);
                let applied = std::mem::take(&mut run.applied);
                let mut result = Ok(());
                for item in items {
                    result = item.apply(doc, run);
                    if result.is_err() {
                        break;
                    }
                }
                let nested_state = std::mem::replace(&mut run.state, state);
                run.state.extend(nested_state);
                let nested_applied = std::mem::replace(&mut run.applied, applied);
                run.applied.extend(nested_applied);
                result?;
            }
            Transformation::AddField(_)
            | Transformation::RemoveField(_)
            | Transformation::SetField(_) => {
                if let Some(header) = header(doc) {
                    self.change_fields(header);
                }
            }
            _ => match doc {
                SigmaDocument::Rule(rule) => {
                    self.apply_to_detection(&mut rule.logsource, &mut rule.detection, run)?;
                    if self.is_field_transformation() {
                        rule.header.fields = self.map_names(&rule.header.fields, run);
                    }
                }
                SigmaDocument::Filter(filter) => {
                    self.apply_to_detection(&mut filter.logsource, &mut filter.detection, run)?;
                }
                SigmaDocument::Correlation(correlation) => {
                    self.apply_to_correlation(correlation, run);
                }
            },
        }
        if self.named {
            run.applied.insert(self.id.clone());
        }
        Ok(())
    }

    fn change_fields(&self, header: &mut RuleHeader) {
        match &self.transformation {
            Transformation::AddField(names) => header.fields.extend(names.iter().cloned()),
            Transformation::RemoveField(names) => header.fields.retain(|f| !names.contains(f)),
            Transformation::SetField(names) => header.fields = names.clone(),
            _ => {}
        }
    }

    /// Field names of a list (the rule's `fields`), each mapped.
    fn map_names(&self, names: &[String], run: &Run<'_>) -> Vec<String> {
        names
            .iter()
            .flat_map(|n| {
                self.map_field(n, None, run)
                    .unwrap_or_else(|| vec![n.clone()])
            })
            .collect()
    }

    fn apply_to_detection(
        &self,
        logsource: &mut LogSource,
        detection: &mut DetectionAst,
        run: &mut Run<'_>,
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
                Ok(())
            }
            Transformation::AddCondition { search, negated } => {
                self.add_condition(detection, search, *negated, run);
                Ok(())
            }
            _ => {
                let bodies = std::mem::take(&mut run.bodies);
                let mut out = Vec::with_capacity(bodies.len());
                let mut mapped = Vec::new();
                let field_transformation = self.is_field_transformation();
                for (body, search) in bodies.into_iter().zip(&detection.searches) {
                    let rewritten = rewrite(body, &mut |t| {
                        if field_transformation {
                            self.note_mapping(t, run, &mut mapped);
                        }
                        self.rewrite_item(t, run)
                    })
                    .map_err(|e| {
                        self.error(
                            run.pipeline,
                            match e {
                                RewriteError::Item(reason) => format!("search `{}`: {reason}", search.name),
                                RewriteError::TooMany(n) => format!(
                                    "search `{}` would become {n} alternatives (at most {MAX_ALTERNATIVES}); map fewer of its fields to several names",
                                    search.name
                                ),
                            },
                        )
                    })?;
                    out.push(rewritten.ok_or_else(|| {
                        self.error(
                            run.pipeline,
                            format!("search `{}` has no detection item left", search.name),
                        )
                    })?);
                }
                run.bodies = out;
                run.mapped.extend(mapped);
                Ok(())
            }
        }
    }

    fn add_condition(
        &self,
        detection: &mut DetectionAst,
        search: &SearchBody,
        negated: bool,
        run: &mut Run<'_>,
    ) {
        let mut name = format!("_pipeline_{}", run.added);
        while detection.search(&name).is_some() {
            run.added += 1;
            name = format!("_pipeline_{}", run.added);
        }
        run.added += 1;
        detection.searches.push(Search {
            name: name.clone(),
            // The tracked copy in `run.bodies` is the one that counts.
            body: SearchBody::AnyOf(Vec::new()),
        });
        run.bodies.push(Body::new(search.clone()));
        let ident = ConditionExpr::Ident {
            name: name.clone(),
            column: 0,
        };
        let added_expr = if negated {
            ConditionExpr::Not(Box::new(ident))
        } else {
            ident
        };
        for condition in &mut detection.conditions {
            let expr = std::mem::replace(&mut condition.expr, ConditionExpr::And(Vec::new()));
            condition.expr = ConditionExpr::And(vec![expr, added_expr.clone()]);
            let not = if negated { "not " } else { "" };
            condition.source = format!("({}) and {not}{name}", condition.source);
        }
    }

    /// What this item does to one detection item.
    fn rewrite_item(&self, tracked: &Tracked, run: &Run<'_>) -> Result<Outcome, String> {
        let replaced = |items: Vec<SearchItem>| {
            let mut applied = tracked.applied.clone();
            if self.named {
                applied.push(self.id.clone());
            }
            Outcome::Replace(
                items
                    .into_iter()
                    .map(|item| Tracked {
                        item,
                        applied: applied.clone(),
                    })
                    .collect(),
            )
        };
        if self.is_field_transformation() {
            // Field names are tested one by one in `map_field`.
            if !self.touches_item(tracked, run, false) {
                return Ok(Outcome::Keep);
            }
            return Ok(match self.map_item(tracked, run) {
                Some(mapped) if !(mapped.len() == 1 && mapped[0] == tracked.item) => {
                    replaced(mapped)
                }
                _ => Outcome::Keep,
            });
        }
        if !self.touches_item(tracked, run, true) {
            return Ok(Outcome::Keep);
        }
        match &self.transformation {
            Transformation::Value(v) => Ok(match v.apply(&tracked.item, run.placeholders)? {
                None => Outcome::Keep,
                Some((values, keep_only_links)) => {
                    // `regex` may leave numbers (and '') beside the
                    // expressions it makes: they become an alternative item
                    // of their own (`apply` refuses it where the values are
                    // not alternatives, under `all` or `neq`).
                    let (regexes, rest): (Vec<_>, Vec<_>) = values
                        .into_iter()
                        .partition(|v| matches!(v, SigmaValue::Regex { .. }));
                    let mut items = Vec::with_capacity(2);
                    for part in [regexes, rest] {
                        if !part.is_empty() {
                            let mut item = tracked.item.clone();
                            write_back(&mut item, part, keep_only_links);
                            items.push(item);
                        }
                    }
                    replaced(items)
                }
            }),
            Transformation::DropDetectionItem => Ok(Outcome::Replace(Vec::new())),
            Transformation::HashesFields(h) => Ok(match h.apply(&tracked.item)? {
                None => Outcome::Keep,
                Some(items) => replaced(items),
            }),
            Transformation::DetectionItemFailure(message) => Err(message.clone()),
            _ => Ok(Outcome::Keep),
        }
    }

    /// Notes the field of `tracked` and what it is mapped to, when this
    /// (field) item maps it, as pySigma's `field_mappings` records it.
    fn note_mapping(&self, tracked: &Tracked, run: &Run<'_>, mapped: &mut Vec<String>) {
        let Some(field) = tracked.item.field.as_deref() else {
            return;
        };
        if !self.touches_item(tracked, run, false) {
            return;
        }
        if let Some(targets) = self.map_field(field, Some(tracked), run) {
            mapped.push(field.to_owned());
            mapped.extend(targets);
        }
    }

    /// The items `tracked` becomes with its field (and the fields its
    /// `fieldref` values name) mapped; `None` when nothing is mapped (the
    /// common case, answered without copying the item).
    fn map_item(&self, tracked: &Tracked, run: &Run<'_>) -> Option<Vec<SearchItem>> {
        let map = |name: &str| self.map_field(name, Some(tracked), run);
        let original = &tracked.item;
        let targets = original.field.as_deref().and_then(map);
        let references = original.modifiers.contains(&Modifier::FieldRef)
            && original
                .values
                .iter()
                .any(|v| matches!(v, RawValue::Str(name) if map(name).is_some()));
        if targets.is_none() && !references {
            return None;
        }
        let mut item = original.clone();
        if references {
            let all = item.modifiers.contains(&Modifier::All);
            item.values = map_field_references(&item.values, all, &map);
        }
        Some(match targets {
            None => vec![item],
            Some(targets) => targets
                .into_iter()
                .map(|target| SearchItem {
                    field: Some(target),
                    ..item.clone()
                })
                .collect(),
        })
    }

    /// A correlation has no log source; field transformations rename its
    /// `group-by`, the fields its aliases point at and its condition's
    /// `field`. A name mapped to alternatives takes the first.
    fn apply_to_correlation(&self, correlation: &mut CorrelationAst, run: &Run<'_>) {
        if !self.is_field_transformation() {
            return;
        }
        let rename = |name: &mut String| {
            if let Some(first) = self
                .map_field(name, None, run)
                .and_then(|t| t.into_iter().next())
            {
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
        correlation.header.fields = self.map_names(&correlation.header.fields, run);
    }
}

/// `fieldref` values name fields too. Alternatives are OR-ed values,
/// except under `all`, where only the first can stand in.
fn map_field_references(
    values: &[RawValue],
    all: bool,
    map: &dyn Fn(&str) -> Option<Vec<String>>,
) -> Vec<RawValue> {
    let mut out = Vec::with_capacity(values.len());
    for value in values {
        match value {
            RawValue::Str(name) => match map(name) {
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

/// The descriptive header of a document that has a `fields` list.
fn header(doc: &mut SigmaDocument) -> Option<&mut RuleHeader> {
    match doc {
        SigmaDocument::Rule(rule) => Some(&mut rule.header),
        SigmaDocument::Correlation(c) => Some(&mut c.header),
        SigmaDocument::Filter(_) => None,
    }
}
