//! Processing pipelines: rewriting rules before they are compiled so that
//! the field names, values and log sources they were written for meet the
//! events Vigil actually receives.
//!
//! The format is pySigma's processing-pipeline YAML. Performed:
//! - field names: `field_name_mapping` (one field to one or several;
//!   several are alternatives), `field_name_prefix_mapping`,
//!   `field_name_transform` (`transform_func: lower | upper | snake_case`,
//!   Vigil's spelling of pySigma's Python function, and a `mapping` that
//!   wins over it), `field_name_prefix`, `field_name_suffix`; they rename
//!   the rule's `fields` and `fieldref` values too;
//! - values (`value.rs`): `replace_string` (Python `re.sub` replacements,
//!   `\1`, `\g<name>`; `skip_special`, `interpret_special`), `map_string`,
//!   `case`, `set_value` (`force_type`), `convert_type`,
//!   `value_placeholders`, `wildcard_placeholders` (`include`/`exclude`),
//!   `regex` (strings become unanchored regular expressions, `method`
//!   `ignore_case_brackets`, `ignore_case_flag` or `plain`, as pySigma's
//!   `RegexTransformation` writes them);
//! - detection items: `drop_detection_item`, `hashes_fields`,
//!   `detection_item_failure`;
//! - rules: `add_condition`, `change_logsource`, `add_field`,
//!   `remove_field`, `set_field`, `set_state`, `set_custom_attribute` (kept
//!   in the rule's [`crate::RuleMeta::custom_attributes`]), `rule_failure`,
//!   `strict_field_mapping_failure` (a rule with a field no field
//!   transformation before it mapped, from or to, fails naming the fields;
//!   the mappings are tracked per rule across all its pipelines, as
//!   pySigma's `field_mappings`), `nest`.
//!
//! Each with optional `rule_conditions` (`logsource`, `tag`,
//! `is_sigma_rule`, `is_sigma_correlation_rule`, `contains_field`,
//! `contains_detection_item`, `processing_item_applied`,
//! `processing_state`, `rule_attribute` on the rule's attributes and the
//! custom ones pipelines set), `detection_item_conditions` (`match_string`,
//! `match_value`, `contains_wildcard`, `is_null`, `processing_item_applied`,
//! `processing_state`) and `field_name_conditions` (`include_fields`,
//! `exclude_fields`, plain or regex, `processing_item_applied`,
//! `processing_state`), combined with `*_cond_op` and `*_cond_not`.
//! Pipelines run in ascending `priority` (ties in the order given), each
//! item in file order, over every rule, filter and correlation document
//! before it is compiled.
//!
//! `vars` are placeholder value lists, the same concept as the
//! configuration's `placeholders`: `value_placeholders` fills from both,
//! the configuration's list winning over a pipeline's of the same name.
//!
//! pySigma transformations that mean nothing to a matching engine
//! (`query_expression_placeholders`, which writes query-language text in
//! place of a placeholder) load as [`UnsupportedItem`]s
//! ([`Pipeline::unsupported`]); every rule such an item applies to is
//! rejected with an error naming it. An unknown
//! transformation or condition type, and `*_cond_expr`, are errors.
//!
//! Built-in pipelines ([`Pipeline::builtin`]), written in the same format
//! and shipped inside the binary:
//! - `windows`: Windows events as flat JSON (Security-Datasets, most
//!   forwarders): `Computer` and `Provider_Name` also as `Hostname` and
//!   `SourceName`.
//! - `windows-nested`: Windows events in the XML-to-JSON shape, system
//!   fields under `Event.System`, data under `Event.EventData`.
//! - `windows-4688`: process-creation rules also match Security 4688
//!   (`Image` as `NewProcessName`, `ParentImage` as `ParentProcessName` …).
//!   Applied to every rule set whether named or not, because 4688 events
//!   are routed to `process_creation` rules by their event id (see
//!   [`crate::LoadOptions::routed_pipelines`]).
//! - `linux-auditd`: auditd records as `key=value` fields, bound as
//!   product `linux`.
//! - `vigil`: Sigma's generic taxonomy (firewall, DNS) onto Vigil's
//!   normalized network events and the field names of the formats it
//!   decodes (CEF, LEEF, Vigil JSON).

mod attribute;
mod detection;
mod file;
mod file_params;
mod transform;
mod value;

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::Path;

use crate::error::RuleError;
use crate::sigma::ast::{SearchBody, SigmaDocument};
use detection::Body;
use transform::{ProcessingItem, Run, Transformation};

/// A processing pipeline: named, ordered by priority, a list of items.
#[derive(Debug, Clone)]
pub struct Pipeline {
    name: String,
    priority: i64,
    origin: String,
    items: Vec<ProcessingItem>,
    /// `vars`: placeholder value lists for `value_placeholders`.
    vars: BTreeMap<String, Vec<String>>,
}

/// A pySigma transformation a pipeline uses that this engine does not
/// perform. The pipeline loads; every rule the item applies to is
/// rejected with a [`RuleError::Pipeline`] naming it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnsupportedItem {
    /// The pipeline's name.
    pub pipeline: String,
    /// Where it came from (a path, or `builtin:<name>`).
    pub origin: String,
    /// The item's id (or position, `#3`).
    pub item: String,
    /// The line where the item starts, when known.
    pub line: Option<usize>,
    /// The transformation type, and why it is not performed.
    pub feature: String,
}

impl fmt::Display for UnsupportedItem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.origin)?;
        if let Some(line) = self.line {
            write!(f, ", line {line}")?;
        }
        write!(
            f,
            ": pipeline `{}`, item `{}`: {}",
            self.pipeline, self.item, self.feature
        )
    }
}

/// Why a pipeline file could not be used: where, and what.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct PipelineError {
    /// The file (or built-in name) the pipeline came from.
    pub origin: String,
    /// The 1-based line, when known.
    pub line: Option<usize>,
    /// The 1-based column, when known.
    pub column: Option<usize>,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for PipelineError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.origin)?;
        if let Some(line) = self.line {
            write!(f, ", line {line}")?;
            if let Some(column) = self.column {
                write!(f, ", column {column}")?;
            }
        }
        write!(f, ": {}", self.message)
    }
}

/// The built-in pipelines: (name, what it is for, YAML).
const BUILTIN: &[(&str, &str, &str)] = &[
    (
        "windows",
        "Windows events as flat JSON (Security-Datasets, most forwarders)",
        include_str!("builtin/windows.yml"),
    ),
    (
        "windows-nested",
        "Windows events as nested Event.System / Event.EventData JSON",
        include_str!("builtin/windows-nested.yml"),
    ),
    (
        "windows-4688",
        "process_creation rules also match Security 4688 events",
        include_str!("builtin/windows-4688.yml"),
    ),
    (
        "linux-auditd",
        "Linux auditd records as key=value fields, sources of product linux",
        include_str!("builtin/linux-auditd.yml"),
    ),
    (
        "vigil",
        "Sigma's generic firewall and DNS taxonomy onto Vigil's normalized network events",
        include_str!("builtin/vigil.yml"),
    ),
];

impl Pipeline {
    /// Reads a pipeline from YAML text; `origin` names it in errors.
    pub fn from_yaml(text: &str, origin: &str) -> Result<Pipeline, PipelineError> {
        file::parse(text, origin)
    }

    /// Reads a pipeline file.
    pub fn load(path: &Path) -> Result<Pipeline, PipelineError> {
        let origin = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| PipelineError {
            origin: origin.clone(),
            line: None,
            column: None,
            message: format!("cannot read the file: {e}"),
        })?;
        Self::from_yaml(&text, &origin)
    }

    /// A built-in pipeline by name (see the module documentation).
    pub fn builtin(name: &str) -> Option<Pipeline> {
        BUILTIN
            .iter()
            .find(|(n, _, _)| *n == name)
            // The built-ins are tested to parse; a failure here is a bug
            // caught by those tests, and reads as "no such pipeline".
            .and_then(|(n, _, text)| Self::from_yaml(text, &format!("builtin:{n}")).ok())
    }

    /// The built-in pipelines' names and what each is for.
    pub fn builtins() -> impl Iterator<Item = (&'static str, &'static str)> {
        BUILTIN.iter().map(|(n, about, _)| (*n, *about))
    }

    /// A built-in pipeline when `spec` names one, else the file at `spec`.
    /// What `--pipeline` and the configuration's `pipelines` accept.
    pub fn resolve(spec: &str) -> Result<Pipeline, PipelineError> {
        match Self::builtin(spec) {
            Some(p) => Ok(p),
            None if Path::new(spec).exists() || spec.contains(['/', '\\', '.']) => {
                Self::load(Path::new(spec))
            }
            None => Err(PipelineError {
                origin: spec.to_owned(),
                line: None,
                column: None,
                message: format!(
                    "no built-in pipeline of this name and no such file; built-ins: {}",
                    BUILTIN
                        .iter()
                        .map(|(n, _, _)| *n)
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            }),
        }
    }

    /// The pipeline's `name`.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Its `priority`: lower runs first.
    pub fn priority(&self) -> i64 {
        self.priority
    }

    /// Where it came from (a path, or `builtin:<name>`).
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// How many processing items it has.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Whether it has no items.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Its `vars`: placeholder value lists by name.
    pub fn vars(&self) -> &BTreeMap<String, Vec<String>> {
        &self.vars
    }

    /// The items whose transformation this engine does not perform.
    pub fn unsupported(&self) -> Vec<UnsupportedItem> {
        let mut out = Vec::new();
        self.collect_unsupported(&self.items, &mut out);
        out
    }

    fn collect_unsupported(&self, items: &[ProcessingItem], out: &mut Vec<UnsupportedItem>) {
        for item in items {
            match &item.transformation {
                Transformation::Unsupported { kind, why } => out.push(UnsupportedItem {
                    pipeline: self.name.clone(),
                    origin: self.origin.clone(),
                    item: item.id.clone(),
                    line: item.line,
                    feature: format!("transformation `{kind}` is not supported: {why}"),
                }),
                Transformation::Nest(inner) => self.collect_unsupported(inner, out),
                _ => {}
            }
        }
    }

    /// Applies every item, in order, to one document (placeholders from
    /// the pipeline's `vars` only).
    pub fn apply(&self, doc: &mut SigmaDocument) -> Result<(), RuleError> {
        apply_pipelines(std::slice::from_ref(self), &BTreeMap::new(), doc)
    }
}

/// Applies `pipelines` to a document in ascending priority (ties keep the
/// order given). The load path calls this on every document it parsed.
///
/// `value_placeholders` fills placeholders from one set of value lists:
/// the pipelines' `vars` (a later pipeline's list replaces an earlier
/// one's of the same name, as pySigma merges them), overridden by
/// `placeholders`, the configuration's (and `--placeholder`'s) lists,
/// which are also what `expand` reads when the rule is compiled.
pub fn apply_pipelines(
    pipelines: &[Pipeline],
    placeholders: &BTreeMap<String, Vec<String>>,
    doc: &mut SigmaDocument,
) -> Result<(), RuleError> {
    if pipelines.is_empty() {
        return Ok(());
    }
    let mut order: Vec<&Pipeline> = pipelines.iter().collect();
    order.sort_by_key(|p| p.priority);
    let lists: Cow<'_, BTreeMap<String, Vec<String>>> = if order.iter().all(|p| p.vars.is_empty()) {
        Cow::Borrowed(placeholders)
    } else {
        let mut merged = BTreeMap::new();
        for p in &order {
            merged.extend(p.vars.iter().map(|(k, v)| (k.clone(), v.clone())));
        }
        merged.extend(placeholders.iter().map(|(k, v)| (k.clone(), v.clone())));
        Cow::Owned(merged)
    };
    let mut run = Run {
        pipeline: "",
        placeholders: &lists,
        state: BTreeMap::new(),
        applied: BTreeSet::new(),
        added: 0,
        bodies: take_bodies(doc),
        mapped: BTreeSet::new(),
    };
    let mut result = Ok(());
    'pipelines: for pipeline in order {
        run.pipeline = &pipeline.name;
        for item in &pipeline.items {
            result = item.apply(doc, &mut run);
            if result.is_err() {
                break 'pipelines;
            }
        }
    }
    put_bodies(doc, run.bodies);
    result
}

/// The searches of a rule or filter, taken out to be tracked while the
/// pipelines run.
fn take_bodies(doc: &mut SigmaDocument) -> Vec<Body> {
    let detection = match doc {
        SigmaDocument::Rule(rule) => &mut rule.detection,
        SigmaDocument::Filter(filter) => &mut filter.detection,
        SigmaDocument::Correlation(_) => return Vec::new(),
    };
    detection
        .searches
        .iter_mut()
        .map(|s| {
            Body::new(std::mem::replace(
                &mut s.body,
                SearchBody::AnyOf(Vec::new()),
            ))
        })
        .collect()
}

fn put_bodies(doc: &mut SigmaDocument, bodies: Vec<Body>) {
    let detection = match doc {
        SigmaDocument::Rule(rule) => &mut rule.detection,
        SigmaDocument::Filter(filter) => &mut filter.detection,
        SigmaDocument::Correlation(_) => return,
    };
    for (search, body) in detection.searches.iter_mut().zip(bodies) {
        search.body = body.into_search();
    }
}

#[cfg(test)]
mod tests;
