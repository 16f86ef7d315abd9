//! The pySigma processing-pipeline YAML format, read with errors that name
//! the file, the line and what is wrong.
//!
//! ```yaml
//! name: Security 4688 as process creation
//! priority: 10
//! vars:
//!   Admins: [admin, adm_*]
//! transformations:
//!   - id: image
//!     type: field_name_mapping
//!     mapping:
//!       Image: [Image, NewProcessName]
//!     rule_conditions:
//!       - type: logsource
//!         category: process_creation
//!         product: windows
//! ```
//!
//! Structural mistakes (a list where a string belongs) are reported by the
//! YAML reader at their own line; an unknown parameter at the line that
//! names it. Mistakes of meaning (a transformation without its parameter,
//! an unknown transformation type) are reported at the line where the item
//! starts. A transformation pySigma has and this engine does not perform
//! loads as unsupported (see [`super::UnsupportedItem`]); an unknown
//! condition type, or a condition expression, is an error.

use std::collections::BTreeMap;

use regex::Regex;
use serde::Deserialize;
use serde_yaml_ng::{Mapping, Value};

use super::attribute::RuleAttribute;
use super::detection::{DetectionCondition, StateCondition, StateValue};
use super::file_params::{scalar, transformation};
use super::transform::{FieldCondition, FieldNames, ProcessingItem, RuleCondition, Transformation};
use super::value::SigmaValue;
use super::{Pipeline, PipelineError};
use crate::sigma::ast::LogSource;
use crate::sigma::pattern::SigmaString;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PipelineFile {
    name: String,
    #[serde(default)]
    priority: i64,
    #[serde(default)]
    transformations: Vec<ItemFile>,
    #[serde(default)]
    vars: Option<Value>,
    // Conversion output steps: meaningless to a matching engine, so they
    // are accepted (pipelines written for pySigma backends carry them) and
    // left unused.
    #[serde(default)]
    postprocessing: Option<Value>,
    #[serde(default)]
    finalizers: Option<Value>,
    #[serde(default)]
    allowed_backends: Option<Value>,
}

/// An item: the keys every item may have, and its transformation's own
/// parameters (read per type in [`transformation`]).
#[derive(Deserialize)]
struct ItemFile {
    id: Option<String>,
    #[serde(rename = "type")]
    kind: String,
    rule_conditions: Option<Vec<ConditionFile>>,
    rule_cond_op: Option<String>,
    rule_cond_not: Option<bool>,
    rule_cond_expr: Option<Value>,
    detection_item_conditions: Option<Vec<ConditionFile>>,
    detection_item_cond_op: Option<String>,
    detection_item_cond_not: Option<bool>,
    detection_item_cond_expr: Option<Value>,
    field_name_conditions: Option<Vec<ConditionFile>>,
    field_name_cond_op: Option<String>,
    field_name_cond_not: Option<bool>,
    field_name_cond_expr: Option<Value>,
    #[serde(flatten)]
    params: Mapping,
}

/// Any condition: its type and its parameters (which belong to which type
/// is checked when it is built).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ConditionFile {
    #[serde(rename = "type")]
    kind: String,
    product: Option<String>,
    category: Option<String>,
    service: Option<String>,
    tag: Option<String>,
    attribute: Option<String>,
    field: Option<String>,
    fields: Option<OneOrMany>,
    match_type: Option<String>,
    pattern: Option<String>,
    cond: Option<String>,
    negate: Option<bool>,
    value: Option<Value>,
    processing_item_id: Option<String>,
    key: Option<String>,
    val: Option<Value>,
    op: Option<String>,
}

impl ConditionFile {
    /// The parameters given, by name.
    fn given(&self) -> Vec<&'static str> {
        let mut out = Vec::new();
        let mut add = |name, present: bool| {
            if present {
                out.push(name);
            }
        };
        add("product", self.product.is_some());
        add("category", self.category.is_some());
        add("service", self.service.is_some());
        add("tag", self.tag.is_some());
        add("attribute", self.attribute.is_some());
        add("field", self.field.is_some());
        add("fields", self.fields.is_some());
        add("match_type", self.match_type.is_some());
        add("pattern", self.pattern.is_some());
        add("cond", self.cond.is_some());
        add("negate", self.negate.is_some());
        add("value", self.value.is_some());
        add("processing_item_id", self.processing_item_id.is_some());
        add("key", self.key.is_some());
        add("val", self.val.is_some());
        add("op", self.op.is_some());
        out
    }

    /// Fails naming a parameter that is not among `allowed`.
    fn only(&self, allowed: &[&str]) -> Result<(), String> {
        match self.given().into_iter().find(|g| !allowed.contains(g)) {
            Some(stray) => Err(format!(
                "`{stray}` does not belong to a {} condition",
                self.kind
            )),
            None => Ok(()),
        }
    }
}

#[derive(Deserialize)]
#[serde(untagged)]
pub(super) enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

impl OneOrMany {
    pub(super) fn into_vec(self) -> Vec<String> {
        match self {
            OneOrMany::One(s) => vec![s],
            OneOrMany::Many(v) => v,
        }
    }
}

/// Reads a pipeline from its YAML text; `origin` names it in errors.
pub(crate) fn parse(text: &str, origin: &str) -> Result<Pipeline, PipelineError> {
    let file: PipelineFile = serde_yaml_ng::from_str(text).map_err(|e| {
        let location = e.location();
        PipelineError {
            origin: origin.to_owned(),
            line: location.as_ref().map(|l| l.line()),
            column: location.as_ref().map(|l| l.column()),
            message: strip_location(&e.to_string()),
        }
    })?;
    let _unused_by_matching = (
        &file.postprocessing,
        &file.finalizers,
        &file.allowed_backends,
    );
    let vars = vars(file.vars).map_err(|message| PipelineError {
        origin: origin.to_owned(),
        line: top_level_key_line(text, "vars"),
        column: Some(1),
        message,
    })?;
    let starts = item_lines(text);
    let mut items = Vec::with_capacity(file.transformations.len());
    for (index, raw) in file.transformations.into_iter().enumerate() {
        let label = match &raw.id {
            Some(id) => format!("transformations[{index}] (`{id}`)"),
            None => format!("transformations[{index}]"),
        };
        let start = starts.get(index).copied();
        let item = item(raw, index, start).map_err(|reason| {
            // An unknown parameter is reported where it is written.
            let line = unknown_field(&reason)
                .and_then(|key| key_line(text, start?, starts.get(index + 1).copied(), key))
                .or(start);
            PipelineError {
                origin: origin.to_owned(),
                line,
                column: None,
                message: format!("{label}: {reason}"),
            }
        })?;
        items.push(item);
    }
    Ok(Pipeline {
        name: file.name,
        priority: file.priority,
        origin: origin.to_owned(),
        items,
        vars,
    })
}

/// `vars`: names to a value or a list of values (strings or numbers, as
/// pySigma accepts).
fn vars(value: Option<Value>) -> Result<BTreeMap<String, Vec<String>>, String> {
    let mut out = BTreeMap::new();
    let map = match value {
        None | Some(Value::Null) => return Ok(out),
        Some(Value::Mapping(map)) => map,
        Some(_) => return Err("`vars` must be a map of names to values or lists of values".into()),
    };
    for (name, values) in map {
        let Some(name) = name.as_str().map(str::to_owned) else {
            return Err("`vars` names must be strings".into());
        };
        let values = match values {
            Value::Sequence(items) => items,
            one => vec![one],
        };
        let texts = values
            .iter()
            .map(|v| match v {
                Value::String(s) => Some(s.clone()),
                Value::Number(n) => Some(n.to_string()),
                _ => None,
            })
            .collect::<Option<Vec<_>>>()
            .ok_or_else(|| {
                format!("`vars.{name}` holds a value that is not a string or a number")
            })?;
        out.insert(name, texts);
    }
    Ok(out)
}

pub(super) fn strip_location(message: &str) -> String {
    match message.find(" at line ") {
        Some(at) => message[..at].to_owned(),
        None => message.to_owned(),
    }
}

/// Items nested in `nest` items, at most this deep.
const MAX_NESTING: usize = 8;

fn item(raw: ItemFile, index: usize, line: Option<usize>) -> Result<ProcessingItem, String> {
    nested_item(raw, &format!("#{index}"), line, 0)
}

/// An item; `position` names it when it has no id (`#3`, `#3.1` inside a
/// `nest`).
fn nested_item(
    raw: ItemFile,
    position: &str,
    line: Option<usize>,
    depth: usize,
) -> Result<ProcessingItem, String> {
    let named = raw.id.as_ref().is_some_and(|id| !id.is_empty());
    let id = raw
        .id
        .clone()
        .filter(|id| !id.is_empty())
        .unwrap_or_else(|| position.to_owned());
    for (key, present) in [
        ("rule_cond_expr", raw.rule_cond_expr.is_some()),
        (
            "detection_item_cond_expr",
            raw.detection_item_cond_expr.is_some(),
        ),
        ("field_name_cond_expr", raw.field_name_cond_expr.is_some()),
    ] {
        if present {
            return Err(format!(
                "`{key}` is not supported; use the `_cond_op` and `_cond_not` keys"
            ));
        }
    }
    let transformation = if raw.kind == "nest" {
        nest(raw.params, position, line, depth)?
    } else {
        transformation(&raw.kind, raw.params)?
    };
    let rule_conditions = raw
        .rule_conditions
        .unwrap_or_default()
        .into_iter()
        .map(rule_condition)
        .collect::<Result<Vec<_>, _>>()?;
    let detection_conditions = raw
        .detection_item_conditions
        .unwrap_or_default()
        .into_iter()
        .map(detection_condition)
        .collect::<Result<Vec<_>, _>>()?;
    let field_conditions = raw
        .field_name_conditions
        .unwrap_or_default()
        .into_iter()
        .map(field_condition)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(ProcessingItem {
        id,
        named,
        line,
        transformation,
        rule_conditions,
        rule_cond_any: operator("rule_cond_op", raw.rule_cond_op)?,
        rule_cond_not: raw.rule_cond_not.unwrap_or(false),
        detection_conditions,
        detection_cond_any: operator("detection_item_cond_op", raw.detection_item_cond_op)?,
        detection_cond_not: raw.detection_item_cond_not.unwrap_or(false),
        field_conditions,
        field_cond_any: operator("field_name_cond_op", raw.field_name_cond_op)?,
        field_cond_not: raw.field_name_cond_not.unwrap_or(false),
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NestFile {
    items: Vec<ItemFile>,
}

/// `nest`: the items run as one when the enclosing item's conditions hold.
fn nest(
    params: Mapping,
    position: &str,
    line: Option<usize>,
    depth: usize,
) -> Result<Transformation, String> {
    if depth >= MAX_NESTING {
        return Err(format!("`nest` items nest more than {MAX_NESTING} deep"));
    }
    let file: NestFile = serde_yaml_ng::from_value(Value::Mapping(params))
        .map_err(|e| format!("nest: {}", strip_location(&e.to_string())))?;
    let items = file
        .items
        .into_iter()
        .enumerate()
        .map(|(j, raw)| {
            let inner = format!("{position}.{j}");
            nested_item(raw, &inner, line, depth + 1).map_err(|e| format!("items[{j}]: {e}"))
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Transformation::Nest(items))
}

/// `and` (the default) or `or`; true for `or`.
fn operator(key: &str, value: Option<String>) -> Result<bool, String> {
    match value.as_deref() {
        None | Some("and") => Ok(false),
        Some("or") => Ok(true),
        Some(other) => Err(format!("`{key}` must be `and` or `or`, not `{other}`")),
    }
}

fn rule_condition(raw: ConditionFile) -> Result<RuleCondition, String> {
    match raw.kind.as_str() {
        "logsource" => {
            raw.only(&["product", "category", "service"])?;
            if raw.product.is_none() && raw.category.is_none() && raw.service.is_none() {
                return Err(
                    "a logsource rule condition needs `product`, `category` or `service`".into(),
                );
            }
            Ok(RuleCondition::Logsource(LogSource {
                product: raw.product.map(|s| s.to_lowercase()),
                category: raw.category.map(|s| s.to_lowercase()),
                service: raw.service.map(|s| s.to_lowercase()),
                definition: None,
            }))
        }
        "tag" => {
            raw.only(&["tag"])?;
            Ok(RuleCondition::Tag(
                raw.tag.ok_or("a tag rule condition needs `tag`")?,
            ))
        }
        "is_sigma_rule" | "is_sigma_correlation_rule" => {
            raw.only(&[])?;
            Ok(if raw.kind == "is_sigma_rule" {
                RuleCondition::IsSigmaRule
            } else {
                RuleCondition::IsCorrelation
            })
        }
        "processing_item_applied" => Ok(RuleCondition::ProcessingItemApplied(applied_id(&raw)?)),
        "processing_state" => Ok(RuleCondition::ProcessingState(state_condition(raw)?)),
        "rule_attribute" => {
            raw.only(&["attribute", "value", "op"])?;
            let attribute = raw
                .attribute
                .as_deref()
                .ok_or("a rule_attribute condition needs `attribute`")?;
            let value = match raw.value.as_ref() {
                Some(Value::String(s)) => s.clone(),
                Some(Value::Number(n)) => n.to_string(),
                Some(_) => return Err("`value` must be a string or a number".into()),
                None => return Err("a rule_attribute condition needs `value`".into()),
            };
            Ok(RuleCondition::Attribute(RuleAttribute::new(
                attribute,
                &value,
                raw.op.as_deref(),
            )?))
        }
        "contains_field" => {
            raw.only(&["field"])?;
            Ok(RuleCondition::ContainsField(
                raw.field
                    .ok_or("a contains_field condition needs `field`")?,
            ))
        }
        "contains_detection_item" => {
            raw.only(&["field", "value"])?;
            let field = raw
                .field
                .ok_or("a contains_detection_item condition needs `field`")?;
            let value = scalar(
                raw.value
                    .as_ref()
                    .ok_or("a contains_detection_item condition needs `value`")?,
            )
            .map_err(|e| format!("`value` {e}"))?;
            Ok(RuleCondition::ContainsDetectionItem { field, value })
        }
        other => Err(format!(
            "rule condition type `{other}` is not supported; supported: logsource, tag, is_sigma_rule, is_sigma_correlation_rule, processing_item_applied, processing_state, contains_field, contains_detection_item, rule_attribute"
        )),
    }
}

fn applied_id(raw: &ConditionFile) -> Result<String, String> {
    raw.only(&["processing_item_id"])?;
    raw.processing_item_id
        .clone()
        .ok_or_else(|| "a processing_item_applied condition needs `processing_item_id`".into())
}

fn state_condition(raw: ConditionFile) -> Result<StateCondition, String> {
    use std::cmp::Ordering::{Equal, Greater, Less};
    raw.only(&["key", "val", "op"])?;
    let key = raw.key.ok_or("a processing_state condition needs `key`")?;
    let val = state_value(&raw.val.ok_or("a processing_state condition needs `val`")?)?;
    let (op, negate, or_equal) = match raw.op.as_deref().unwrap_or("eq") {
        "eq" => (Equal, false, false),
        "ne" => (Equal, true, false),
        "gt" => (Greater, false, false),
        "gte" => (Greater, false, true),
        "lt" => (Less, false, false),
        "lte" => (Less, false, true),
        other => {
            return Err(format!(
                "`op` must be eq, ne, gt, gte, lt or lte, not `{other}`"
            ));
        }
    };
    Ok(StateCondition {
        key,
        val,
        op,
        negate,
        or_equal,
    })
}

/// A state value (`set_state`'s and `processing_state`'s `val`).
pub(super) fn state_value(value: &Value) -> Result<StateValue, String> {
    match value {
        Value::String(s) => Ok(StateValue::Str(s.clone())),
        Value::Bool(b) => Ok(StateValue::Bool(*b)),
        Value::Number(n) => n
            .as_f64()
            .map(StateValue::Num)
            .ok_or_else(|| "`val` is not a usable number".to_owned()),
        _ => Err("`val` must be a string, a number or a boolean".into()),
    }
}

/// `cond: any` (the default) or `all`; true for `all`.
fn any_or_all(raw: &ConditionFile) -> Result<bool, String> {
    match raw.cond.as_deref() {
        None | Some("any") => Ok(false),
        Some("all") => Ok(true),
        Some(other) => Err(format!("`cond` must be `any` or `all`, not `{other}`")),
    }
}

fn detection_condition(raw: ConditionFile) -> Result<DetectionCondition, String> {
    match raw.kind.as_str() {
        "match_string" => {
            raw.only(&["pattern", "cond", "negate"])?;
            let pattern = raw
                .pattern
                .as_deref()
                .ok_or("a match_string condition needs `pattern`")?;
            // Python's `re.match` anchors at the start only.
            let regex = Regex::new(&format!("^(?:{pattern})")).map_err(|e| {
                format!("pattern `{pattern}` is not a valid regular expression: {e}")
            })?;
            Ok(DetectionCondition::MatchString {
                regex,
                all: any_or_all(&raw)?,
                negate: raw.negate.unwrap_or(false),
            })
        }
        "match_value" => {
            raw.only(&["value", "cond"])?;
            let value = match raw
                .value
                .as_ref()
                .ok_or("a match_value condition needs `value`")?
            {
                Value::String(s) => SigmaValue::Str(SigmaString::parse(s, false)),
                other => scalar(other).map_err(|e| format!("`value`: {e}"))?,
            };
            Ok(DetectionCondition::MatchValue {
                value,
                all: any_or_all(&raw)?,
            })
        }
        "contains_wildcard" => {
            raw.only(&["cond"])?;
            Ok(DetectionCondition::ContainsWildcard {
                all: any_or_all(&raw)?,
            })
        }
        "is_null" => {
            raw.only(&["cond"])?;
            Ok(DetectionCondition::IsNull {
                all: any_or_all(&raw)?,
            })
        }
        "processing_item_applied" => {
            Ok(DetectionCondition::ProcessingItemApplied(applied_id(&raw)?))
        }
        "processing_state" => Ok(DetectionCondition::ProcessingState(state_condition(raw)?)),
        other => Err(format!(
            "detection item condition type `{other}` is not supported; supported: match_string, match_value, contains_wildcard, is_null, processing_item_applied, processing_state"
        )),
    }
}

fn field_condition(raw: ConditionFile) -> Result<FieldCondition, String> {
    let include = match raw.kind.as_str() {
        "include_fields" => true,
        "exclude_fields" => false,
        "processing_item_applied" => {
            return Ok(FieldCondition::ProcessingItemApplied(applied_id(&raw)?));
        }
        "processing_state" => return Ok(FieldCondition::ProcessingState(state_condition(raw)?)),
        other => {
            return Err(format!(
                "field name condition type `{other}` is not supported; supported: include_fields, exclude_fields, processing_item_applied, processing_state"
            ));
        }
    };
    raw.only(&["fields", "match_type"])?;
    let names = raw
        .fields
        .ok_or_else(|| format!("a {} condition needs `fields`", raw.kind))?
        .into_vec();
    let fields = match raw.match_type.as_deref() {
        None | Some("plain") => FieldNames::Plain(names),
        Some("regex") => FieldNames::Regex(
            names
                .iter()
                .map(|p| {
                    Regex::new(&format!("^(?:{p})$")).map_err(|e| {
                        format!("field pattern `{p}` is not a valid regular expression: {e}")
                    })
                })
                .collect::<Result<_, _>>()?,
        ),
        Some(other) => {
            return Err(format!(
                "`match_type` must be `plain` or `regex`, not `{other}`"
            ));
        }
    };
    Ok(FieldCondition::Fields { include, fields })
}

/// The key of an "unknown field `key`" message.
fn unknown_field(message: &str) -> Option<&str> {
    let rest = &message[message.find("unknown field `")? + "unknown field `".len()..];
    Some(&rest[..rest.find('`')?])
}

/// The 1-based line, between `start` and `end` (exclusive), where `key:`
/// is written.
fn key_line(text: &str, start: usize, end: Option<usize>, key: &str) -> Option<usize> {
    text.lines()
        .enumerate()
        .skip(start - 1)
        .take_while(|(i, _)| end.is_none_or(|e| i + 1 < e))
        .find(|(_, l)| {
            l.trim_start()
                .trim_start_matches("- ")
                .strip_prefix(key)
                .is_some_and(|rest| rest.trim_start().starts_with(':'))
        })
        .map(|(i, _)| i + 1)
}

/// The 1-based line of a top-level `key:`.
fn top_level_key_line(text: &str, key: &str) -> Option<usize> {
    text.lines()
        .position(|l| {
            l.strip_prefix(key)
                .is_some_and(|rest| rest.trim_start().starts_with(':'))
        })
        .map(|i| i + 1)
}

/// The 1-based line where each item of the top-level `transformations`
/// list starts (block style; empty when written in flow style).
fn item_lines(text: &str) -> Vec<usize> {
    let mut out = Vec::new();
    let Some(start) = top_level_key_line(text, "transformations") else {
        return out;
    };
    let mut item_indent = None;
    for (i, line) in text.lines().enumerate().skip(start) {
        let trimmed = line.trim_start();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let indent = line.len() - trimmed.len();
        let is_item = trimmed == "-" || trimmed.starts_with("- ");
        if indent == 0 && !is_item {
            break;
        }
        match item_indent {
            None if is_item => {
                item_indent = Some(indent);
                out.push(i + 1);
            }
            Some(d) if is_item && indent == d => out.push(i + 1),
            Some(d) if indent < d => break,
            _ => {}
        }
    }
    out
}

#[cfg(test)]
#[path = "file_tests.rs"]
mod tests;
