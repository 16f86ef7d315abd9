//! Each transformation's own parameters in the pipeline YAML, as pySigma
//! names them, read into a [`Transformation`].

use std::collections::BTreeMap;

use regex::Regex;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_yaml_ng::{Mapping, Value};

use super::detection::HashesFields;
use super::file::{OneOrMany, state_value, strip_location};
use super::transform::Transformation;
use super::value::{
    CaseMethod, PlaceholderFilter, RegexMethod, SigmaValue, TargetType, ValueTransformation,
    number, python_replacement,
};
use crate::sigma::ast::{LogSource, Number};
use crate::sigma::parse::parse_search_body;
use crate::sigma::pattern::SigmaString;

/// The transformation types this engine performs.
pub(super) const SUPPORTED: &str = "field_name_mapping, field_name_prefix_mapping, field_name_transform, field_name_prefix, field_name_suffix, add_condition, change_logsource, replace_string, map_string, case, set_value, convert_type, value_placeholders, wildcard_placeholders, regex, drop_detection_item, hashes_fields, add_field, remove_field, set_field, set_state, set_custom_attribute, rule_failure, detection_item_failure, strict_field_mapping_failure, nest";

/// pySigma's transformations that have no meaning for a matching engine,
/// and why; a pipeline may name them, and each rule they apply to is
/// rejected, since the rule would not mean what the pipeline meant.
const UNSUPPORTED: &[(&str, &str)] = &[(
    "query_expression_placeholders",
    "it puts a query-language expression (`{field} in list`, a lookup) in place of a placeholder, to be evaluated by the query's database; Vigil matches events itself and has no query to put it in (fill the placeholder with `value_placeholders` instead)",
)];

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MappingParams {
    mapping: Mapping,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FieldTransformParams {
    transform_func: String,
    #[serde(default)]
    mapping: Mapping,
    #[serde(default)]
    apply_keyword: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PrefixParams {
    prefix: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SuffixParams {
    suffix: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AddConditionParams {
    conditions: Mapping,
    negated: Option<bool>,
    template: Option<bool>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LogsourceParams {
    product: Option<String>,
    category: Option<String>,
    service: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ReplaceParams {
    regex: String,
    replacement: String,
    #[serde(default)]
    skip_special: bool,
    #[serde(default)]
    interpret_special: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CaseParams {
    method: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SetValueParams {
    value: Value,
    force_type: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ConvertTypeParams {
    target_type: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PlaceholderParams {
    include: Option<Vec<String>>,
    exclude: Option<Vec<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NoParams {}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RegexParams {
    method: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CustomAttributeParams {
    attribute: String,
    value: Value,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct HashesParams {
    valid_hash_algos: Vec<String>,
    #[serde(default)]
    field_prefix: String,
    #[serde(default)]
    drop_algo_prefix: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MessageParams {
    message: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FieldParams {
    field: OneOrMany,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FieldsParams {
    fields: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StateParams {
    key: String,
    val: Value,
}

/// Reads `params` as the parameters of a `kind` item.
fn read<T: DeserializeOwned>(kind: &str, params: Mapping) -> Result<T, String> {
    serde_yaml_ng::from_value(Value::Mapping(params)).map_err(|e| {
        let message = strip_location(&e.to_string());
        if let Some(field) = message.strip_prefix("missing field ") {
            return format!("a {kind} needs {field}");
        }
        match message.strip_prefix("unknown field ") {
            Some(rest) => match rest.split_once(", ") {
                Some((field, expected)) => {
                    format!("unknown field {field} in a {kind} item, {expected}")
                }
                None => format!("unknown field {rest} in a {kind} item"),
            },
            None => message,
        }
    })
}

/// Builds the transformation of a `kind` item from its parameters.
pub(super) fn transformation(kind: &str, params: Mapping) -> Result<Transformation, String> {
    if let Some((_, why)) = UNSUPPORTED.iter().find(|(k, _)| *k == kind) {
        return Ok(Transformation::Unsupported {
            kind: kind.to_owned(),
            why,
        });
    }
    let value = |v: ValueTransformation| Ok(Transformation::Value(v));
    match kind {
        "field_name_mapping" => {
            let p: MappingParams = read(kind, params)?;
            Ok(Transformation::FieldNameMapping(
                names(&p.mapping)?.into_iter().collect(),
            ))
        }
        "field_name_prefix_mapping" => {
            let p: MappingParams = read(kind, params)?;
            Ok(Transformation::FieldNamePrefixMapping(names(&p.mapping)?))
        }
        "field_name_transform" => {
            let p: FieldTransformParams = read(kind, params)?;
            if p.apply_keyword {
                return Err("`apply_keyword: true` is not supported".into());
            }
            let func = CaseMethod::parse(&p.transform_func).ok_or_else(|| {
                format!(
                    "`transform_func` must be lower, upper or snake_case, not `{}` (a pipeline file cannot name a Python function)",
                    p.transform_func
                )
            })?;
            Ok(Transformation::FieldNameTransform {
                func,
                mapping: names(&p.mapping)?.into_iter().collect(),
            })
        }
        "field_name_prefix" => Ok(Transformation::FieldNamePrefix(
            read::<PrefixParams>(kind, params)?.prefix,
        )),
        "field_name_suffix" => Ok(Transformation::FieldNameSuffix(
            read::<SuffixParams>(kind, params)?.suffix,
        )),
        "add_condition" => {
            let p: AddConditionParams = read(kind, params)?;
            if p.template == Some(true) {
                return Err("`template: true` is not supported".into());
            }
            let search = parse_search_body("conditions", &Value::Mapping(p.conditions))
                .map_err(|e| e.to_string())?;
            Ok(Transformation::AddCondition {
                search,
                negated: p.negated.unwrap_or(false),
            })
        }
        "change_logsource" => {
            let p: LogsourceParams = read(kind, params)?;
            if p.product.is_none() && p.category.is_none() && p.service.is_none() {
                return Err("a change_logsource needs `product`, `category` or `service`".into());
            }
            Ok(Transformation::ChangeLogsource(LogSource {
                product: p.product.map(|s| s.to_lowercase()),
                category: p.category.map(|s| s.to_lowercase()),
                service: p.service.map(|s| s.to_lowercase()),
                definition: None,
            }))
        }
        "replace_string" => {
            let p: ReplaceParams = read(kind, params)?;
            let regex = Regex::new(&p.regex).map_err(|e| {
                format!(
                    "`regex` `{}` is not a valid regular expression: {e}",
                    p.regex
                )
            })?;
            let replacement = python_replacement(&p.replacement)
                .map_err(|e| format!("`replacement` `{}`: {e}", p.replacement))?;
            value(ValueTransformation::ReplaceString {
                regex,
                replacement,
                skip_special: p.skip_special,
                interpret_special: p.interpret_special,
            })
        }
        "map_string" => {
            let p: MappingParams = read(kind, params)?;
            value(ValueTransformation::MapString(
                names(&p.mapping)?.into_iter().collect::<BTreeMap<_, _>>(),
            ))
        }
        "case" => {
            let p: CaseParams = read(kind, params)?;
            let method = p.method.as_deref().unwrap_or("lower");
            value(ValueTransformation::Case(
                CaseMethod::parse(method).ok_or_else(|| {
                    format!("`method` must be lower, upper or snake_case, not `{method}`")
                })?,
            ))
        }
        "set_value" => {
            let p: SetValueParams = read(kind, params)?;
            value(ValueTransformation::SetValue(set_value(
                &p.value,
                p.force_type.as_deref(),
            )?))
        }
        "convert_type" => {
            let p: ConvertTypeParams = read(kind, params)?;
            value(ValueTransformation::ConvertType(
                match p.target_type.as_str() {
                    "str" => TargetType::Str,
                    "num" => TargetType::Num,
                    other => {
                        return Err(format!(
                            "`target_type` must be `str` or `num`, not `{other}`"
                        ));
                    }
                },
            ))
        }
        "value_placeholders" | "wildcard_placeholders" => {
            let p: PlaceholderParams = read(kind, params)?;
            if p.include.is_some() && p.exclude.is_some() {
                return Err("`include` and `exclude` cannot both be given".into());
            }
            let filter = PlaceholderFilter {
                include: p.include,
                exclude: p.exclude,
            };
            value(if kind == "value_placeholders" {
                ValueTransformation::ValuePlaceholders(filter)
            } else {
                ValueTransformation::WildcardPlaceholders(filter)
            })
        }
        "regex" => {
            let p: RegexParams = read(kind, params)?;
            let method = p.method.as_deref().unwrap_or("ignore_case_brackets");
            value(ValueTransformation::Regex(RegexMethod::parse(method).ok_or_else(
                || {
                    format!(
                        "`method` must be plain, ignore_case_flag or ignore_case_brackets, not `{method}`"
                    )
                },
            )?))
        }
        "set_custom_attribute" => {
            let p: CustomAttributeParams = read(kind, params)?;
            let value = serde_json::to_value(&p.value).map_err(|e| {
                format!(
                    "`value` of attribute `{}` is not data a rule can carry: {e}",
                    p.attribute
                )
            })?;
            Ok(Transformation::SetCustomAttribute {
                attribute: p.attribute,
                value,
            })
        }
        "strict_field_mapping_failure" => {
            read::<NoParams>(kind, params)?;
            Ok(Transformation::StrictFieldMapping)
        }
        "drop_detection_item" => {
            read::<NoParams>(kind, params)?;
            Ok(Transformation::DropDetectionItem)
        }
        "hashes_fields" => {
            let p: HashesParams = read(kind, params)?;
            Ok(Transformation::HashesFields(HashesFields {
                valid_hash_algos: p
                    .valid_hash_algos
                    .iter()
                    .map(|a| a.to_uppercase())
                    .collect(),
                field_prefix: p.field_prefix,
                drop_algo_prefix: p.drop_algo_prefix,
            }))
        }
        "rule_failure" => Ok(Transformation::RuleFailure(
            read::<MessageParams>(kind, params)?.message,
        )),
        "detection_item_failure" => Ok(Transformation::DetectionItemFailure(
            read::<MessageParams>(kind, params)?.message,
        )),
        "add_field" => Ok(Transformation::AddField(
            read::<FieldParams>(kind, params)?.field.into_vec(),
        )),
        "remove_field" => Ok(Transformation::RemoveField(
            read::<FieldParams>(kind, params)?.field.into_vec(),
        )),
        "set_field" => Ok(Transformation::SetField(
            read::<FieldsParams>(kind, params)?.fields,
        )),
        "set_state" => {
            let p: StateParams = read(kind, params)?;
            Ok(Transformation::SetState {
                key: p.key,
                val: state_value(&p.val)?,
            })
        }
        other => Err(format!(
            "transformation type `{other}` is not supported; supported: {SUPPORTED}"
        )),
    }
}

/// A mapping of names to one name or a list of names, in the order
/// written.
fn names(mapping: &Mapping) -> Result<Vec<(String, Vec<String>)>, String> {
    let mut out = Vec::with_capacity(mapping.len());
    for (from, to) in mapping {
        let from = text(from).ok_or("`mapping` keys must be strings")?;
        let to = match to {
            Value::Sequence(items) => items.iter().map(text).collect::<Option<Vec<_>>>(),
            one => text(one).map(|t| vec![t]),
        }
        .ok_or_else(|| format!("`mapping.{from}` must be a string or a list of strings"))?;
        if to.is_empty() || to.iter().any(String::is_empty) {
            return Err(format!("`mapping.{from}` must name at least one field"));
        }
        out.push((from, to));
    }
    Ok(out)
}

/// A scalar's text (numbers and booleans as written).
fn text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// A number, boolean or null from YAML as a value.
pub(super) fn scalar(value: &Value) -> Result<SigmaValue, String> {
    match value {
        Value::String(s) => Ok(SigmaValue::Str(SigmaString::parse(s, false))),
        Value::Bool(b) => Ok(SigmaValue::Bool(*b)),
        Value::Null => Ok(SigmaValue::Null),
        Value::Number(n) => Ok(SigmaValue::Num(if let Some(i) = n.as_i64() {
            Number::Int(i128::from(i))
        } else if let Some(u) = n.as_u64() {
            Number::Int(i128::from(u))
        } else {
            Number::Float(n.as_f64().ok_or("not a usable number")?)
        })),
        _ => Err("must be a string, a number, a boolean or null".into()),
    }
}

/// `set_value`'s value, of its own type or forced to `str` or `num`.
fn set_value(value: &Value, force_type: Option<&str>) -> Result<SigmaValue, String> {
    let typed = scalar(value).map_err(|e| format!("`value` {e}"))?;
    match force_type {
        None => Ok(typed),
        Some(forced @ ("str" | "num")) => {
            let written = match value {
                Value::String(s) => s.clone(),
                Value::Number(n) => n.to_string(),
                // Python's `str(True)`.
                Value::Bool(true) => "True".into(),
                Value::Bool(false) => "False".into(),
                _ => {
                    return Err(format!(
                        "`force_type: {forced}` needs a string or numeric `value`"
                    ));
                }
            };
            if forced == "str" {
                Ok(SigmaValue::Str(SigmaString::parse(&written, false)))
            } else {
                number(&written)
                    .map(SigmaValue::Num)
                    .ok_or_else(|| format!("`value` `{written}` cannot be converted to a number"))
            }
        }
        Some(other) => Err(format!(
            "`force_type` must be `str` or `num`, not `{other}`"
        )),
    }
}
