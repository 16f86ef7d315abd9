//! YAML text to rule syntax trees, with precise errors.
//!
//! A file may hold several documents separated by `---`. Rule collections
//! are honoured: `action: global` sets keys merged into every following
//! document, `action: reset` drops them, `action: repeat` re-issues the
//! previous document with the new keys merged over it.

use serde::Deserialize as _;
use serde_yaml_ng::{Mapping, Value};
use vigil_model::Severity;

use super::ast::{
    Condition, DetectionAst, FilterAst, FilterTarget, LogSource, Modifier, Number, RawValue,
    RuleAst, RuleHeader, RuleStatus, Search, SearchBody, SearchItem, SigmaDocument,
};
use super::condition::parse_condition;
use crate::error::RuleError;

/// One document of a file, parsed as far as it would go.
#[derive(Debug, Clone, PartialEq)]
pub struct ParsedDocument {
    /// 0-based index of the document in its file.
    pub index: usize,
    /// The document's `id`, when it has one (even if the rest is broken).
    pub id: Option<String>,
    /// The document's `title`, when it has one.
    pub title: Option<String>,
    /// Whether the document has a `correlation` key (so that a broken
    /// correlation is reported as one).
    pub is_correlation: bool,
    /// The document, or why it is not a usable rule or filter.
    pub result: Result<SigmaDocument, RuleError>,
}

/// Parses every document of a YAML text. A YAML syntax error ends the
/// file: the documents before it are kept, the error is reported at the
/// index where it occurred.
pub fn parse_documents(text: &str) -> Vec<ParsedDocument> {
    let mut out = Vec::new();
    let mut global: Option<Mapping> = None;
    let mut previous: Option<Mapping> = None;
    for (index, document) in serde_yaml_ng::Deserializer::from_str(text).enumerate() {
        let value = match Value::deserialize(document) {
            Ok(value) => value,
            Err(err) => {
                let (line, column) = err.location().map_or((0, 0), |l| (l.line(), l.column()));
                out.push(ParsedDocument {
                    index,
                    id: None,
                    title: None,
                    is_correlation: false,
                    result: Err(RuleError::Yaml {
                        line,
                        column,
                        message: strip_location(&err.to_string()),
                    }),
                });
                break;
            }
        };
        let value = untag(value);
        let map = match value {
            Value::Null => continue,
            Value::Mapping(map) => map,
            _ => {
                out.push(ParsedDocument {
                    index,
                    id: None,
                    title: None,
                    is_correlation: false,
                    result: Err(RuleError::NotAMap),
                });
                continue;
            }
        };
        let action = map.get("action").and_then(Value::as_str).map(str::to_owned);
        let mut map = map;
        map.remove("action");
        let merged = match action.as_deref() {
            Some("global") => {
                global = Some(map);
                continue;
            }
            Some("reset") => {
                global = None;
                continue;
            }
            Some("repeat") => match &previous {
                Some(base) => merge(base.clone(), map),
                None => {
                    out.push(ParsedDocument {
                        index,
                        id: None,
                        title: None,
                        is_correlation: false,
                        result: Err(RuleError::BadCollectionAction("repeat".into())),
                    });
                    continue;
                }
            },
            _ => match &global {
                Some(base) => merge(base.clone(), map),
                None => map,
            },
        };
        out.push(ParsedDocument {
            index,
            id: merged.get("id").and_then(scalar_text),
            title: merged.get("title").and_then(scalar_text),
            is_correlation: merged.contains_key("correlation"),
            result: classify(&merged),
        });
        // Kept for a following `repeat`, moved rather than cloned: a copy
        // of every document's tree was about 1 % of loading.
        previous = Some(merged);
    }
    out
}

/// serde_yaml_ng appends " at line L column C" to its messages; the line
/// and column are reported separately.
fn strip_location(message: &str) -> String {
    match message.find(" at line ") {
        Some(at) => message[..at].to_owned(),
        None => message.to_owned(),
    }
}

/// Drops YAML tags (`!foo value`), which Sigma does not use, keeping the value.
fn untag(value: Value) -> Value {
    match value {
        Value::Tagged(tagged) => untag(tagged.value),
        Value::Sequence(items) => Value::Sequence(items.into_iter().map(untag).collect()),
        Value::Mapping(map) => {
            Value::Mapping(map.into_iter().map(|(k, v)| (untag(k), untag(v))).collect())
        }
        other => other,
    }
}

/// Merges `over` into `base`: maps merge key by key, anything else replaces.
fn merge(mut base: Mapping, over: Mapping) -> Mapping {
    for (key, value) in over {
        let merged = match (base.remove(&key), value) {
            (Some(Value::Mapping(b)), Value::Mapping(o)) => Value::Mapping(merge(b, o)),
            (_, v) => v,
        };
        base.insert(key, merged);
    }
    base
}

fn classify(map: &Mapping) -> Result<SigmaDocument, RuleError> {
    if map.contains_key("correlation") {
        return super::correlation::parse_correlation(map).map(SigmaDocument::Correlation);
    }
    if map.contains_key("filter") && !map.contains_key("detection") {
        return parse_filter(map).map(SigmaDocument::Filter);
    }
    parse_rule(map).map(SigmaDocument::Rule)
}

fn parse_rule(map: &Mapping) -> Result<RuleAst, RuleError> {
    let header = parse_header(map)?;
    let logsource = parse_logsource(map)?;
    let detection = match map.get("detection") {
        Some(Value::Mapping(d)) => parse_detection(d, &["condition", "timeframe"])?,
        Some(_) => {
            return Err(RuleError::WrongType {
                key: "detection".into(),
                expected: "a map of search identifiers and a condition".into(),
            });
        }
        None => return Err(RuleError::MissingKey("detection".into())),
    };
    Ok(RuleAst {
        header,
        logsource,
        detection,
    })
}

fn parse_filter(map: &Mapping) -> Result<FilterAst, RuleError> {
    let title = required_string(map, "title")?;
    let id = optional_string(map, "id")?;
    let logsource = parse_logsource(map)?;
    let Some(Value::Mapping(filter)) = map.get("filter") else {
        return Err(RuleError::WrongType {
            key: "filter".into(),
            expected: "a map with `rules`, searches and a `condition`".into(),
        });
    };
    let rules = match filter.get("rules") {
        None => return Err(RuleError::MissingKey("filter.rules".into())),
        Some(Value::String(s))
            if s.eq_ignore_ascii_case("any") || s.eq_ignore_ascii_case("all") =>
        {
            FilterTarget::Any
        }
        Some(Value::String(s)) => FilterTarget::Rules(vec![s.clone()]),
        Some(Value::Sequence(items)) if items.is_empty() => FilterTarget::Any,
        Some(Value::Sequence(items)) => FilterTarget::Rules(
            items
                .iter()
                .map(|v| {
                    scalar_text(v).ok_or(RuleError::WrongType {
                        key: "filter.rules".into(),
                        expected: "a list of rule ids or names".into(),
                    })
                })
                .collect::<Result<_, _>>()?,
        ),
        Some(_) => {
            return Err(RuleError::WrongType {
                key: "filter.rules".into(),
                expected: "`any`, a rule id or name, or a list of them".into(),
            });
        }
    };
    let detection = parse_detection(filter, &["condition", "rules"])?;
    Ok(FilterAst {
        id,
        title,
        logsource,
        rules,
        detection,
    })
}

pub(crate) fn parse_header(map: &Mapping) -> Result<RuleHeader, RuleError> {
    let level = match map.get("level") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(
            s.parse::<Severity>()
                .map_err(|_| RuleError::UnknownLevel(s.clone()))?,
        ),
        Some(_) => {
            return Err(RuleError::WrongType {
                key: "level".into(),
                expected: "a string".into(),
            });
        }
    };
    let status = match map.get("status") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => {
            Some(RuleStatus::parse(s).ok_or_else(|| RuleError::UnknownStatus(s.clone()))?)
        }
        Some(_) => {
            return Err(RuleError::WrongType {
                key: "status".into(),
                expected: "a string".into(),
            });
        }
    };
    Ok(RuleHeader {
        id: optional_string(map, "id")?,
        name: optional_string(map, "name")?,
        title: required_string(map, "title")?,
        description: optional_string(map, "description")?,
        status,
        level,
        tags: string_list(map, "tags")?,
        author: optional_string(map, "author")?,
        date: optional_string(map, "date")?,
        modified: optional_string(map, "modified")?,
        references: string_list(map, "references")?,
        falsepositives: string_list(map, "falsepositives")?,
        fields: string_list(map, "fields")?,
        custom_attributes: Default::default(),
    })
}

fn parse_logsource(map: &Mapping) -> Result<LogSource, RuleError> {
    let logsource = match map.get("logsource") {
        Some(Value::Mapping(l)) => l,
        Some(_) => {
            return Err(RuleError::WrongType {
                key: "logsource".into(),
                expected: "a map".into(),
            });
        }
        None => return Err(RuleError::MissingKey("logsource".into())),
    };
    let attribute = |key: &'static str| -> Result<Option<String>, RuleError> {
        match logsource.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(v) => scalar_text(v)
                .map(|s| Some(s.to_lowercase()))
                .ok_or_else(|| RuleError::WrongType {
                    key: format!("logsource.{key}"),
                    expected: "a string".into(),
                }),
        }
    };
    Ok(LogSource {
        product: attribute("product")?,
        category: attribute("category")?,
        service: attribute("service")?,
        definition: match logsource.get("definition") {
            None | Some(Value::Null) => None,
            Some(v) => Some(scalar_text(v).ok_or_else(|| RuleError::WrongType {
                key: "logsource.definition".into(),
                expected: "a string".into(),
            })?),
        },
    })
}

/// Parses a detection map: every key but `reserved` is a search identifier.
fn parse_detection(map: &Mapping, reserved: &[&str]) -> Result<DetectionAst, RuleError> {
    let mut searches = Vec::new();
    for (key, value) in map {
        let Some(name) = scalar_text(key) else {
            return Err(RuleError::WrongType {
                key: "detection".into(),
                expected: "a map whose keys are search identifiers".into(),
            });
        };
        if reserved.contains(&name.as_str()) {
            continue;
        }
        let body = parse_search_body(&name, value)?;
        searches.push(Search { name, body });
    }
    let conditions = match map.get("condition") {
        None | Some(Value::Null) => return Err(RuleError::MissingCondition),
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Sequence(items)) if !items.is_empty() => items
            .iter()
            .map(|v| {
                v.as_str().map(str::to_owned).ok_or(RuleError::WrongType {
                    key: "condition".into(),
                    expected: "a string or a list of strings".into(),
                })
            })
            .collect::<Result<_, _>>()?,
        Some(_) => {
            return Err(RuleError::WrongType {
                key: "condition".into(),
                expected: "a string or a list of strings".into(),
            });
        }
    };
    if searches.is_empty() {
        return Err(RuleError::NoSearches);
    }
    let conditions = conditions
        .into_iter()
        .map(|source| match parse_condition(&source) {
            Ok(expr) => Ok(Condition { source, expr }),
            Err(e) => Err(RuleError::Condition {
                condition: source,
                column: e.column,
                reason: e.message,
            }),
        })
        .collect::<Result<_, _>>()?;
    Ok(DetectionAst {
        searches,
        conditions,
    })
}

fn bad_search(search: &str, reason: impl Into<String>) -> RuleError {
    RuleError::BadSearch {
        search: search.to_owned(),
        reason: reason.into(),
    }
}

pub(crate) fn parse_search_body(name: &str, value: &Value) -> Result<SearchBody, RuleError> {
    match value {
        Value::Mapping(map) => parse_search_map(name, map),
        Value::Sequence(items) => {
            if items.is_empty() {
                return Err(bad_search(name, "is an empty list"));
            }
            let mut keywords = Vec::new();
            let mut alternatives = Vec::new();
            for item in items {
                match item {
                    Value::Mapping(map) => alternatives.push(parse_search_map(name, map)?),
                    Value::Sequence(_) => {
                        return Err(bad_search(name, "has a list inside a list"));
                    }
                    scalar => {
                        keywords.push(raw_value(scalar).ok_or_else(|| {
                            bad_search(name, "has a list item that is not a value")
                        })?)
                    }
                }
            }
            if !keywords.is_empty() {
                let keyword = SearchBody::AllOf(vec![SearchItem {
                    field: None,
                    modifiers: Vec::new(),
                    values: keywords,
                    list: true,
                }]);
                if alternatives.is_empty() {
                    return Ok(keyword);
                }
                alternatives.insert(0, keyword);
            }
            Ok(SearchBody::AnyOf(alternatives))
        }
        Value::Null => Err(bad_search(name, "is empty")),
        scalar => {
            let value = raw_value(scalar).ok_or_else(|| bad_search(name, "is not a value"))?;
            Ok(SearchBody::AllOf(vec![SearchItem {
                field: None,
                modifiers: Vec::new(),
                values: vec![value],
                list: false,
            }]))
        }
    }
}

fn parse_search_map(name: &str, map: &Mapping) -> Result<SearchBody, RuleError> {
    if map.is_empty() {
        return Err(bad_search(name, "is an empty map"));
    }
    let mut items = Vec::with_capacity(map.len());
    for (key, value) in map {
        let key = scalar_text(key)
            .ok_or_else(|| bad_search(name, "has a key that is not a field name"))?;
        let mut parts = key.split('|');
        let field = parts.next().unwrap_or_default();
        let field = (!field.is_empty()).then(|| field.to_owned());
        let label = field.clone().unwrap_or_else(|| "<keywords>".to_owned());
        let modifiers = parts
            .map(|m| {
                Modifier::parse(m).ok_or_else(|| RuleError::UnknownModifier {
                    field: label.clone(),
                    modifier: m.to_owned(),
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let (values, list) = match value {
            Value::Sequence(items) => {
                if items.is_empty() {
                    return Err(bad_search(
                        name,
                        format!("field `{label}` has an empty list of values"),
                    ));
                }
                let values = items
                    .iter()
                    .map(|v| {
                        raw_value(v).ok_or_else(|| {
                            bad_search(
                                name,
                                format!(
                                    "field `{label}` has a list item that is not a plain value"
                                ),
                            )
                        })
                    })
                    .collect::<Result<_, _>>()?;
                (values, true)
            }
            Value::Mapping(_) => {
                return Err(bad_search(
                    name,
                    format!("field `{label}` has a map as its value"),
                ));
            }
            scalar => (
                vec![raw_value(scalar).ok_or_else(|| {
                    bad_search(
                        name,
                        format!("field `{label}` has a value that is not plain"),
                    )
                })?],
                false,
            ),
        };
        items.push(SearchItem {
            field,
            modifiers,
            values,
            list,
        });
    }
    Ok(SearchBody::AllOf(items))
}

fn raw_value(value: &Value) -> Option<RawValue> {
    Some(match value {
        Value::Null => RawValue::Null,
        Value::Bool(b) => RawValue::Bool(*b),
        Value::String(s) => RawValue::Str(s.clone()),
        Value::Number(n) => RawValue::Number(if let Some(i) = n.as_i64() {
            Number::Int(i128::from(i))
        } else if let Some(u) = n.as_u64() {
            Number::Int(i128::from(u))
        } else {
            Number::Float(n.as_f64()?)
        }),
        _ => return None,
    })
}

/// The text of a scalar (strings as they are, numbers and booleans as written by YAML).
pub(crate) fn scalar_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn required_string(map: &Mapping, key: &'static str) -> Result<String, RuleError> {
    optional_string(map, key)?.ok_or(RuleError::MissingKey(key.into()))
}

fn optional_string(map: &Mapping, key: &'static str) -> Result<Option<String>, RuleError> {
    match map.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => scalar_text(v)
            .map(Some)
            .ok_or_else(|| RuleError::WrongType {
                key: key.into(),
                expected: "a string".into(),
            }),
    }
}

/// A list of strings; a single string is accepted as a list of one, as
/// rules in the wild write `falsepositives: Unknown`.
fn string_list(map: &Mapping, key: &'static str) -> Result<Vec<String>, RuleError> {
    let wrong = || RuleError::WrongType {
        key: key.into(),
        expected: "a list of strings".into(),
    };
    match map.get(key) {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Sequence(items)) => items
            .iter()
            .filter(|v| !v.is_null())
            .map(|v| scalar_text(v).ok_or_else(wrong))
            .collect(),
        Some(v) => scalar_text(v).map(|s| vec![s]).ok_or_else(wrong),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn only_rule(text: &str) -> RuleAst {
        let docs = parse_documents(text);
        assert_eq!(docs.len(), 1, "{docs:?}");
        match docs.into_iter().next().map(|d| d.result) {
            Some(Ok(SigmaDocument::Rule(rule))) => rule,
            other => panic!("not a rule: {other:?}"),
        }
    }

    fn error_of(text: &str) -> RuleError {
        let docs = parse_documents(text);
        match docs.into_iter().next().map(|d| d.result) {
            Some(Err(e)) => e,
            other => panic!("no error: {other:?}"),
        }
    }

    const WHOAMI: &str = r"
title: Whoami Execution
description: Detects a whoami.exe execution
references:
      - https://speakerdeck.com/heirhabarov/hunting-for-privilege-escalation-in-windows-environment
author: Florian Roth
date: 2019-10-23
logsource:
    category: process_creation
    product: windows
detection:
    selection:
        Image: 'C:\Windows\System32\whoami.exe'
    condition: selection
level: high
";

    #[test]
    fn parses_the_spec_example_rule() {
        let rule = only_rule(WHOAMI);
        assert_eq!(rule.header.title, "Whoami Execution");
        assert_eq!(rule.header.level, Some(Severity::High));
        assert_eq!(rule.header.date.as_deref(), Some("2019-10-23"));
        assert_eq!(rule.logsource.product.as_deref(), Some("windows"));
        assert_eq!(rule.logsource.category.as_deref(), Some("process_creation"));
        assert_eq!(rule.detection.searches.len(), 1);
        let SearchBody::AllOf(items) = &rule.detection.searches[0].body else {
            panic!("not a map")
        };
        assert_eq!(items[0].field.as_deref(), Some("Image"));
        assert_eq!(
            items[0].values,
            vec![RawValue::Str(r"C:\Windows\System32\whoami.exe".into())]
        );
    }

    #[test]
    fn keeps_detection_keys_in_written_order() {
        let rule = only_rule(
            "title: t\nlogsource: {product: x}\ndetection:\n  zeta: {a: 1}\n  alpha: {b: 2}\n  mid: [x, y]\n  condition: zeta\n",
        );
        let names: Vec<_> = rule
            .detection
            .searches
            .iter()
            .map(|s| s.name.as_str())
            .collect();
        assert_eq!(names, ["zeta", "alpha", "mid"]);
    }

    #[test]
    fn modifiers_are_parsed_and_unknown_ones_named() {
        let rule = only_rule(
            "title: t\nlogsource: {product: x}\ndetection:\n  s:\n    CommandLine|contains|all: [a, b]\n    '|all': [c, d]\n  condition: s\n",
        );
        let SearchBody::AllOf(items) = &rule.detection.searches[0].body else {
            panic!()
        };
        assert_eq!(items[0].modifiers, vec![Modifier::Contains, Modifier::All]);
        assert_eq!(items[1].field, None);
        assert_eq!(items[1].modifiers, vec![Modifier::All]);
        let err = error_of(
            "title: t\nlogsource: {product: x}\ndetection:\n  s:\n    Image|bogus: a\n  condition: s\n",
        );
        assert_eq!(
            err,
            RuleError::UnknownModifier {
                field: "Image".into(),
                modifier: "bogus".into()
            }
        );
    }

    #[test]
    fn yaml_errors_carry_line_and_column() {
        let err = error_of("title: t\nlogsource:\n  product: [unclosed\ndetection: x\n");
        let RuleError::Yaml { line, column, .. } = err else {
            panic!("{err:?}")
        };
        assert!(line >= 3, "line {line}");
        assert!(column >= 1);
    }

    #[test]
    fn missing_pieces_are_named() {
        assert_eq!(
            error_of("title: t\nlogsource: {product: x}\n"),
            RuleError::MissingKey("detection".into())
        );
        assert_eq!(
            error_of("title: t\nlogsource: {product: x}\ndetection:\n  s: {a: 1}\n"),
            RuleError::MissingCondition
        );
        assert_eq!(
            error_of("logsource: {product: x}\ndetection:\n  s: {a: 1}\n  condition: s\n"),
            RuleError::MissingKey("title".into())
        );
        assert_eq!(
            error_of(
                "title: t\nlogsource: {product: x}\nlevel: urgent\ndetection:\n  s: {a: 1}\n  condition: s\n"
            ),
            RuleError::UnknownLevel("urgent".into())
        );
        assert!(matches!(
            error_of(
                "title: t\nlogsource: {product: x}\ndetection:\n  s: {a: 1}\n  condition: s and\n"
            ),
            RuleError::Condition { column: 6, .. }
        ));
    }

    #[test]
    fn collections_merge_global_documents() {
        let docs = parse_documents(
            "action: global\ntitle: shared\nlogsource: {product: windows}\ndetection:\n  condition: s\n---\nlogsource: {service: security}\ndetection:\n  s: {EventID: 1}\n---\nlogsource: {service: system}\ndetection:\n  s: {EventID: 2}\n",
        );
        assert_eq!(docs.len(), 2);
        for (doc, service) in docs.iter().zip(["security", "system"]) {
            let Ok(SigmaDocument::Rule(rule)) = &doc.result else {
                panic!("{doc:?}")
            };
            assert_eq!(rule.header.title, "shared");
            assert_eq!(rule.logsource.product.as_deref(), Some("windows"));
            assert_eq!(rule.logsource.service.as_deref(), Some(service));
        }
        assert_eq!(docs[0].index, 1);
    }

    #[test]
    fn filters_are_recognised() {
        let docs = parse_documents(
            "title: Filter Administrator account\nlogsource:\n    category: process_creation\n    product: windows\nfilter:\n    rules:\n        - 6f3e2987-db24-4c78-a860-b4f4095a7095\n    selection:\n        User|startswith: 'adm_'\n    condition: not selection\n",
        );
        let Ok(SigmaDocument::Filter(filter)) = &docs[0].result else {
            panic!("{docs:?}")
        };
        assert_eq!(
            filter.rules,
            FilterTarget::Rules(vec!["6f3e2987-db24-4c78-a860-b4f4095a7095".into()])
        );
        assert_eq!(filter.detection.searches[0].name, "selection");
    }

    #[test]
    fn correlation_documents_are_parsed_and_checked() {
        assert_eq!(
            error_of("title: c\ncorrelation:\n  type: event_count\n  rules: [x]\n"),
            RuleError::MissingKey("correlation.timespan".into())
        );
        let docs = parse_documents(
            "title: c\ncorrelation:\n  type: temporal\n  rules: [x, y]\n  timespan: 5m\n",
        );
        assert!(matches!(docs[0].result, Ok(SigmaDocument::Correlation(_))));
    }

    #[test]
    fn keyword_lists_and_mixed_lists() {
        let rule = only_rule(
            "title: t\nlogsource: {product: x}\ndetection:\n  k: ['event::clear', 'event::drop']\n  m:\n    - a: 1\n    - plain\n  condition: k or m\n",
        );
        let SearchBody::AllOf(items) = &rule.detection.searches[0].body else {
            panic!()
        };
        assert_eq!(items[0].field, None);
        assert_eq!(items[0].values.len(), 2);
        let SearchBody::AnyOf(alts) = &rule.detection.searches[1].body else {
            panic!()
        };
        assert_eq!(alts.len(), 2);
    }
}
