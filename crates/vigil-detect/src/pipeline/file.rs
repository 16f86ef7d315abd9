//! The pySigma processing-pipeline YAML format, read with errors that name
//! the file, the line and what is wrong.
//!
//! ```yaml
//! name: Security 4688 as process creation
//! priority: 10
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
//! Structural mistakes (an unknown key, a list where a string belongs) are
//! reported by the YAML reader at their own line. Mistakes of meaning (a
//! transformation without its parameter, an unknown transformation type)
//! are reported at the line where the item starts.

use std::collections::BTreeMap;

use regex::Regex;
use serde::Deserialize;
use serde_yaml_ng::{Mapping, Value};

use super::transform::{FieldCondition, FieldNames, ProcessingItem, RuleCondition, Transformation};
use super::{Pipeline, PipelineError};
use crate::sigma::ast::LogSource;
use crate::sigma::parse::parse_search_body;

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

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ItemFile {
    id: Option<String>,
    #[serde(rename = "type")]
    kind: String,
    mapping: Option<BTreeMap<String, OneOrMany>>,
    prefix: Option<String>,
    suffix: Option<String>,
    conditions: Option<Mapping>,
    negated: Option<bool>,
    template: Option<bool>,
    product: Option<String>,
    category: Option<String>,
    service: Option<String>,
    rule_conditions: Option<Vec<RuleConditionFile>>,
    rule_cond_op: Option<String>,
    rule_cond_not: Option<bool>,
    rule_cond_expr: Option<String>,
    field_name_conditions: Option<Vec<FieldConditionFile>>,
    field_name_cond_op: Option<String>,
    field_name_cond_not: Option<bool>,
    detection_item_conditions: Option<Value>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleConditionFile {
    #[serde(rename = "type")]
    kind: String,
    product: Option<String>,
    category: Option<String>,
    service: Option<String>,
    tag: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FieldConditionFile {
    #[serde(rename = "type")]
    kind: String,
    fields: OneOrMany,
    match_type: Option<String>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

impl OneOrMany {
    fn into_vec(self) -> Vec<String> {
        match self {
            OneOrMany::One(s) => vec![s],
            OneOrMany::Many(v) => v,
        }
    }
}

const TRANSFORMATIONS: &str =
    "field_name_mapping, field_name_prefix, field_name_suffix, add_condition, change_logsource";

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
    if file.vars.as_ref().is_some_and(|v| !v.is_null()) {
        return Err(PipelineError {
            origin: origin.to_owned(),
            line: top_level_key_line(text, "vars"),
            column: Some(1),
            message: "`vars` is not supported: placeholder values come from the configuration (`placeholders`)".into(),
        });
    }
    let starts = item_lines(text);
    let mut items = Vec::with_capacity(file.transformations.len());
    for (index, raw) in file.transformations.into_iter().enumerate() {
        let label = match &raw.id {
            Some(id) => format!("transformations[{index}] (`{id}`)"),
            None => format!("transformations[{index}]"),
        };
        let item = item(raw, index).map_err(|reason| PipelineError {
            origin: origin.to_owned(),
            line: starts.get(index).copied(),
            column: None,
            message: format!("{label}: {reason}"),
        })?;
        items.push(item);
    }
    Ok(Pipeline {
        name: file.name,
        priority: file.priority,
        origin: origin.to_owned(),
        items,
    })
}

fn strip_location(message: &str) -> String {
    match message.find(" at line ") {
        Some(at) => message[..at].to_owned(),
        None => message.to_owned(),
    }
}

fn item(raw: ItemFile, index: usize) -> Result<ProcessingItem, String> {
    let id = raw.id.clone().unwrap_or_else(|| format!("#{index}"));
    if raw.rule_cond_expr.is_some() {
        return Err(
            "`rule_cond_expr` is not supported; use `rule_cond_op` and `rule_cond_not`".into(),
        );
    }
    if raw.detection_item_conditions.is_some() {
        return Err("`detection_item_conditions` are not supported".into());
    }
    let kind = raw.kind.as_str();
    let stray = |key: &str, present: bool| -> Result<(), String> {
        if present {
            Err(format!("`{key}` does not belong to a {kind} item"))
        } else {
            Ok(())
        }
    };
    let is = |k: &str| kind == k;
    stray(
        "mapping",
        raw.mapping.is_some() && !is("field_name_mapping"),
    )?;
    stray("prefix", raw.prefix.is_some() && !is("field_name_prefix"))?;
    stray("suffix", raw.suffix.is_some() && !is("field_name_suffix"))?;
    stray(
        "conditions",
        raw.conditions.is_some() && !is("add_condition"),
    )?;
    stray("negated", raw.negated.is_some() && !is("add_condition"))?;
    stray("template", raw.template.is_some() && !is("add_condition"))?;
    let logsource_given = raw.product.is_some() || raw.category.is_some() || raw.service.is_some();
    stray(
        "product/category/service",
        logsource_given && !is("change_logsource"),
    )?;

    let transformation = match kind {
        "field_name_mapping" => {
            let mapping = raw.mapping.ok_or("a field_name_mapping needs `mapping`")?;
            let mut out = BTreeMap::new();
            for (from, to) in mapping {
                let to = to.into_vec();
                if to.is_empty() || to.iter().any(String::is_empty) {
                    return Err(format!("`mapping.{from}` must name at least one field"));
                }
                out.insert(from, to);
            }
            Transformation::FieldNameMapping(out)
        }
        "field_name_prefix" => {
            Transformation::FieldNamePrefix(raw.prefix.ok_or("a field_name_prefix needs `prefix`")?)
        }
        "field_name_suffix" => {
            Transformation::FieldNameSuffix(raw.suffix.ok_or("a field_name_suffix needs `suffix`")?)
        }
        "add_condition" => {
            if raw.template == Some(true) {
                return Err("`template: true` is not supported".into());
            }
            let conditions = raw
                .conditions
                .ok_or("an add_condition needs `conditions`")?;
            let search = parse_search_body("conditions", &Value::Mapping(conditions))
                .map_err(|e| e.to_string())?;
            Transformation::AddCondition {
                search,
                negated: raw.negated.unwrap_or(false),
            }
        }
        "change_logsource" => {
            if !logsource_given {
                return Err("a change_logsource needs `product`, `category` or `service`".into());
            }
            Transformation::ChangeLogsource(LogSource {
                product: raw.product.map(|s| s.to_lowercase()),
                category: raw.category.map(|s| s.to_lowercase()),
                service: raw.service.map(|s| s.to_lowercase()),
                definition: None,
            })
        }
        other => {
            return Err(format!(
                "transformation type `{other}` is not supported; supported: {TRANSFORMATIONS}"
            ));
        }
    };
    let rule_conditions = raw
        .rule_conditions
        .unwrap_or_default()
        .into_iter()
        .map(rule_condition)
        .collect::<Result<Vec<_>, _>>()?;
    let field_conditions = raw
        .field_name_conditions
        .unwrap_or_default()
        .into_iter()
        .map(field_condition)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(ProcessingItem {
        id,
        transformation,
        rule_conditions,
        rule_cond_any: operator("rule_cond_op", raw.rule_cond_op)?,
        rule_cond_not: raw.rule_cond_not.unwrap_or(false),
        field_conditions,
        field_cond_any: operator("field_name_cond_op", raw.field_name_cond_op)?,
        field_cond_not: raw.field_name_cond_not.unwrap_or(false),
    })
}

/// `and` (the default) or `or`; true for `or`.
fn operator(key: &str, value: Option<String>) -> Result<bool, String> {
    match value.as_deref() {
        None | Some("and") => Ok(false),
        Some("or") => Ok(true),
        Some(other) => Err(format!("`{key}` must be `and` or `or`, not `{other}`")),
    }
}

fn rule_condition(raw: RuleConditionFile) -> Result<RuleCondition, String> {
    let logsource_given = raw.product.is_some() || raw.category.is_some() || raw.service.is_some();
    match raw.kind.as_str() {
        "logsource" => {
            if !logsource_given {
                return Err(
                    "a logsource rule condition needs `product`, `category` or `service`".into(),
                );
            }
            if raw.tag.is_some() {
                return Err("`tag` does not belong to a logsource rule condition".into());
            }
            Ok(RuleCondition::Logsource(LogSource {
                product: raw.product.map(|s| s.to_lowercase()),
                category: raw.category.map(|s| s.to_lowercase()),
                service: raw.service.map(|s| s.to_lowercase()),
                definition: None,
            }))
        }
        "tag" => {
            if logsource_given {
                return Err(
                    "`product`/`category`/`service` do not belong to a tag rule condition".into(),
                );
            }
            Ok(RuleCondition::Tag(
                raw.tag.ok_or("a tag rule condition needs `tag`")?,
            ))
        }
        "is_sigma_rule" | "is_sigma_correlation_rule" => {
            if logsource_given || raw.tag.is_some() {
                return Err(format!("a {} rule condition takes no parameters", raw.kind));
            }
            Ok(if raw.kind == "is_sigma_rule" {
                RuleCondition::IsSigmaRule
            } else {
                RuleCondition::IsCorrelation
            })
        }
        other => Err(format!(
            "rule condition type `{other}` is not supported; supported: logsource, tag, is_sigma_rule, is_sigma_correlation_rule"
        )),
    }
}

fn field_condition(raw: FieldConditionFile) -> Result<FieldCondition, String> {
    let include = match raw.kind.as_str() {
        "include_fields" => true,
        "exclude_fields" => false,
        other => {
            return Err(format!(
                "field name condition type `{other}` is not supported; supported: include_fields, exclude_fields"
            ));
        }
    };
    let names = raw.fields.into_vec();
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
    Ok(FieldCondition { include, fields })
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
mod tests {
    use super::*;

    fn error(text: &str) -> PipelineError {
        match parse(text, "p.yml") {
            Ok(p) => panic!("expected an error, got {} items", p.items.len()),
            Err(e) => e,
        }
    }

    #[test]
    fn a_pipeline_with_every_transformation_reads() {
        let text = "name: all\npriority: 30\ntransformations:\n  - id: map\n    type: field_name_mapping\n    mapping:\n      Image: [Image, NewProcessName]\n      User: SubjectUserName\n    rule_conditions:\n      - type: logsource\n        product: Windows\n  - type: field_name_prefix\n    prefix: 'Event.EventData.'\n    field_name_conditions:\n      - type: exclude_fields\n        fields: ['Event\\..*']\n        match_type: regex\n  - type: field_name_suffix\n    suffix: .keyword\n    rule_cond_not: true\n    rule_conditions:\n      - type: tag\n        tag: attack.t1059\n  - type: add_condition\n    conditions:\n      EventID: 4688\n    negated: false\n  - type: change_logsource\n    product: windows\n    service: security\nfinalizers:\n  - type: concat\n";
        let p = parse(text, "p.yml").unwrap();
        assert_eq!((p.name.as_str(), p.priority, p.items.len()), ("all", 30, 5));
        assert_eq!(p.items[0].id, "map");
        assert_eq!(p.items[1].id, "#1");
    }

    #[test]
    fn errors_name_the_file_line_and_what() {
        let e = error(
            "name: x\ntransformations:\n  - id: a\n    type: field_name_prefix\n    prefx: p\n",
        );
        assert_eq!((e.origin.as_str(), e.line), ("p.yml", Some(5)));
        assert!(e.message.contains("unknown field `prefx`"), "{e}");
        assert!(e.to_string().starts_with("p.yml, line 5"), "{e}");

        let e = error(
            "name: x\ntransformations:\n  - id: a\n    type: field_name_prefix\n    prefix: p\n\n  - id: b\n    type: field_name_mapping\n",
        );
        assert_eq!(e.line, Some(7));
        assert!(
            e.message
                .contains("transformations[1] (`b`): a field_name_mapping needs `mapping`"),
            "{e}"
        );

        let e = error("name: x\ntransformations:\n  - type: value_placeholders\n");
        assert_eq!(e.line, Some(3));
        assert!(
            e.message.contains("`value_placeholders` is not supported"),
            "{e}"
        );

        let e = error(
            "name: x\ntransformations:\n  - type: add_condition\n    conditions:\n      EventID|bogus: 1\n",
        );
        assert!(e.message.contains("unknown modifier `bogus`"), "{e}");

        let e = error(
            "name: x\ntransformations:\n  - type: field_name_prefix\n    prefix: p\n    rule_conditions:\n      - type: logsource\n",
        );
        assert!(
            e.message
                .contains("needs `product`, `category` or `service`"),
            "{e}"
        );

        let e = error(
            "name: x\ntransformations:\n  - type: field_name_prefix\n    prefix: p\n    field_name_conditions:\n      - type: include_fields\n        fields: ['(']\n        match_type: regex\n",
        );
        assert!(e.message.contains("not a valid regular expression"), "{e}");

        let e = error("transformations: []\n");
        assert!(e.message.contains("missing field `name`"), "{e}");

        let e = error("name: x\nvars:\n  a: [1]\n");
        assert_eq!(e.line, Some(2));

        let e = error(
            "name: x\ntransformations:\n  - type: field_name_mapping\n    mapping: {A: B}\n    prefix: p\n",
        );
        assert!(
            e.message
                .contains("`prefix` does not belong to a field_name_mapping item"),
            "{e}"
        );

        let e = error("name: x\n  bad: indentation\n");
        assert!(e.line.is_some(), "{e}");
    }

    const VALID: &str = "name: p\npriority: 5\ntransformations:\n  - id: m\n    type: field_name_mapping\n    mapping:\n      A: [B, C]\n    rule_conditions:\n      - type: logsource\n        product: windows\n  - type: add_condition\n    conditions:\n      X|startswith: y\n";

    proptest::proptest! {
        #[test]
        fn any_text_is_read_or_refused_with_a_location_inside_it(text in "\\PC{0,200}") {
            if let Err(e) = parse(&text, "f.yml") {
                proptest::prop_assert!(e.line.is_none_or(|l| l <= text.lines().count() + 1), "{e}");
            }
        }

        #[test]
        fn damaged_pipelines_never_panic(cut in 0usize..200, insert in "[ :\\-\\[\\]{}a-z|\n]{0,12}") {
            let cut = cut.min(VALID.len());
            let text = format!("{}{insert}{}", &VALID[..cut], &VALID[cut..]);
            let _ = parse(&text, "f.yml");
        }
    }

    #[test]
    fn item_lines_follow_block_lists() {
        let text = "name: x\ntransformations:\n- type: a\n  x: 1\n# note\n- type: b\npriority: 3\n";
        assert_eq!(item_lines(text), vec![3, 6]);
        assert!(item_lines("name: x\ntransformations: []\n").is_empty());
    }
}
