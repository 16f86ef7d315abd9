//! Correlation meta-rules as written (the Sigma correlation specification
//! v2.1): their syntax tree and its parsing from YAML.
//!
//! The detection engine only parses them; resolving the rules they refer
//! to and running them over detections is `vigil-correlate`'s work. Parsing
//! checks everything a correlation says about itself, so that a rule file
//! with a broken correlation is rejected at load with the key at fault.

use std::collections::BTreeMap;
use std::fmt;

use serde_yaml_ng::{Mapping, Value};

use super::ast::RuleHeader;
use super::parse::{parse_header, scalar_text};
use crate::error::RuleError;

/// A correlation document.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct CorrelationAst {
    /// Its descriptive fields (`title` is required; `level` is the
    /// severity of what it raises).
    pub header: RuleHeader,
    /// `correlation.type`.
    pub kind: CorrelationType,
    /// `correlation.rules`: ids or names of rules or other correlations, in
    /// the order written (the order `temporal_ordered` requires).
    pub rules: Vec<String>,
    /// `correlation.group-by`: the fields (or aliases) whose values must
    /// be equal across the correlated events. May be empty: one group.
    pub group_by: Vec<String>,
    /// `correlation.timespan`.
    pub timespan: Timespan,
    /// `correlation.condition`; absent only for `temporal` and
    /// `temporal_ordered`, where it defaults to "every rule".
    pub condition: Option<CorrelationCondition>,
    /// `correlation.aliases`: alias name → (rule id or name → the field
    /// that rule's events carry the value in).
    pub aliases: BTreeMap<String, BTreeMap<String, String>>,
    /// `generate` (at the top level, as the specification's schema puts
    /// it, or inside `correlation`, as pySigma reads it): whether the rules
    /// it refers to also raise alerts of their own. Default `false`.
    pub generate: bool,
}

/// The kinds of correlation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum CorrelationType {
    /// How many events.
    EventCount,
    /// How many distinct values of a field.
    ValueCount,
    /// Whether every referred rule fired, in any order.
    Temporal,
    /// Whether every referred rule fired, in the order listed.
    TemporalOrdered,
    /// The sum of a numeric field.
    ValueSum,
    /// The average of a numeric field.
    ValueAvg,
    /// The share (percent) of the window's events whose field has the
    /// value the newest event has.
    ValuePercentile,
}

impl CorrelationType {
    /// Parses `correlation.type`.
    pub fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "event_count" => Self::EventCount,
            "value_count" => Self::ValueCount,
            "temporal" => Self::Temporal,
            "temporal_ordered" => Self::TemporalOrdered,
            "value_sum" => Self::ValueSum,
            "value_avg" => Self::ValueAvg,
            "value_percentile" => Self::ValuePercentile,
            _ => return None,
        })
    }

    /// The type as Sigma writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::EventCount => "event_count",
            Self::ValueCount => "value_count",
            Self::Temporal => "temporal",
            Self::TemporalOrdered => "temporal_ordered",
            Self::ValueSum => "value_sum",
            Self::ValueAvg => "value_avg",
            Self::ValuePercentile => "value_percentile",
        }
    }

    /// Whether the condition needs a `field` (the `value_*` types).
    pub fn needs_field(self) -> bool {
        matches!(
            self,
            Self::ValueCount | Self::ValueSum | Self::ValueAvg | Self::ValuePercentile
        )
    }

    /// Whether the type may omit its condition.
    pub fn condition_optional(self) -> bool {
        matches!(self, Self::Temporal | Self::TemporalOrdered)
    }
}

impl fmt::Display for CorrelationType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A `timespan`: a whole number of seconds, and the text it was written as.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Timespan {
    /// The length in seconds (at least 1).
    pub seconds: u64,
    /// As written (`10m`).
    pub text: String,
}

impl Timespan {
    /// Parses `number + unit` with the unit one of `s`, `m`, `h`, `d`
    /// (and `w`, which pySigma also reads).
    pub fn parse(text: &str) -> Result<Self, String> {
        let trimmed = text.trim();
        let split = trimmed
            .find(|c: char| !c.is_ascii_digit())
            .ok_or_else(|| format!("`{trimmed}` has no unit; write e.g. `10m` or `1h`"))?;
        let (number, unit) = trimmed.split_at(split);
        let number: u64 = number
            .parse()
            .map_err(|_| format!("`{trimmed}` does not start with a whole number"))?;
        let scale = match unit {
            "s" => 1,
            "m" => 60,
            "h" => 3_600,
            "d" => 86_400,
            "w" => 604_800,
            other => {
                return Err(format!(
                    "unknown unit `{other}` in `{trimmed}`; expected s, m, h, d or w"
                ));
            }
        };
        let seconds = number
            .checked_mul(scale)
            .filter(|s| *s > 0 && i64::try_from(*s).is_ok())
            .ok_or_else(|| format!("`{trimmed}` must be longer than zero and shorter than eons"))?;
        Ok(Timespan {
            seconds,
            text: trimmed.to_owned(),
        })
    }
}

/// A comparison of a condition.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum CompareOp {
    /// Greater than.
    Gt,
    /// Greater than or equal.
    Gte,
    /// Less than.
    Lt,
    /// Less than or equal.
    Lte,
    /// Equal.
    Eq,
    /// Not equal.
    Neq,
}

impl CompareOp {
    /// Parses a condition key.
    pub fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "gt" => Self::Gt,
            "gte" => Self::Gte,
            "lt" => Self::Lt,
            "lte" => Self::Lte,
            "eq" => Self::Eq,
            "neq" => Self::Neq,
            _ => return None,
        })
    }

    /// The key as written.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Gt => "gt",
            Self::Gte => "gte",
            Self::Lt => "lt",
            Self::Lte => "lte",
            Self::Eq => "eq",
            Self::Neq => "neq",
        }
    }

    /// Whether `value` compares as this operator says with `bound`.
    pub fn holds(self, value: f64, bound: f64) -> bool {
        match self {
            Self::Gt => value > bound,
            Self::Gte => value >= bound,
            Self::Lt => value < bound,
            Self::Lte => value <= bound,
            Self::Eq => value == bound,
            Self::Neq => value != bound,
        }
    }
}

/// `correlation.condition`: comparisons (ANDed) and, for the `value_*`
/// types, the field(s) they are about.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct CorrelationCondition {
    /// `field`: one name, or several for `value_count` (distinct
    /// combinations). Empty when the type takes none.
    pub fields: Vec<String>,
    /// The comparisons, all of which must hold.
    pub bounds: Vec<(CompareOp, f64)>,
}

impl CorrelationCondition {
    /// Whether `value` satisfies every comparison.
    pub fn holds(&self, value: f64) -> bool {
        self.bounds
            .iter()
            .all(|(op, bound)| op.holds(value, *bound))
    }
}

impl fmt::Display for CorrelationCondition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, (op, bound)) in self.bounds.iter().enumerate() {
            if i > 0 {
                f.write_str(" and ")?;
            }
            write!(f, "{} {bound}", op.as_str())?;
        }
        Ok(())
    }
}

/// A correlation document as loading hands it over: where it came from,
/// its id, and its syntax tree (with pipelines already applied).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct LoadedCorrelation {
    /// The file path (or the origin given to `load_sources`), with `#N`
    /// appended for the N-th (0-based) document of a file when N > 0.
    pub origin: String,
    /// The file path (or origin) alone.
    pub file: String,
    /// The 0-based index of the document in its file.
    pub document: usize,
    /// The `id`, or one derived from the origin and title as for rules
    /// ([`crate::derive_rule_id`]).
    pub id: String,
    /// Whether `id` was derived.
    pub id_derived: bool,
    /// The document.
    pub ast: CorrelationAst,
}

impl LoadedCorrelation {
    pub(crate) fn new(ast: CorrelationAst, file: &str, document: usize, id_key: &str) -> Self {
        let (id, id_derived) = match &ast.header.id {
            Some(id) => (id.clone(), false),
            None => (
                super::rule_id::derive_rule_id(id_key, &ast.header.title),
                true,
            ),
        };
        let origin = if document > 0 {
            format!("{file}#{document}")
        } else {
            file.to_owned()
        };
        LoadedCorrelation {
            origin,
            file: file.to_owned(),
            document,
            id,
            id_derived,
            ast,
        }
    }
}

fn bad(key: &str, reason: impl Into<String>) -> RuleError {
    RuleError::BadCorrelation {
        key: key.to_owned(),
        reason: reason.into(),
    }
}

/// Parses a document that has a `correlation` key.
pub(crate) fn parse_correlation(map: &Mapping) -> Result<CorrelationAst, RuleError> {
    let header = parse_header(map)?;
    let section = match map.get("correlation") {
        Some(Value::Mapping(m)) => m,
        _ => {
            return Err(RuleError::WrongType {
                key: "correlation".into(),
                expected: "a map with `type`, `rules`, `group-by`, `timespan` and `condition`"
                    .into(),
            });
        }
    };
    const KNOWN: [&str; 8] = [
        "type",
        "rules",
        "group-by",
        "timespan",
        "condition",
        "aliases",
        "generate",
        "timeframe",
    ];
    for key in section.keys() {
        let name = scalar_text(key).unwrap_or_default();
        if !KNOWN.contains(&name.as_str()) {
            return Err(bad(
                &format!("correlation.{name}"),
                "is not a key of a correlation (type, rules, group-by, timespan, condition, aliases, generate)",
            ));
        }
    }
    let kind = match section.get("type") {
        None => return Err(RuleError::MissingKey("correlation.type".into())),
        Some(Value::String(s)) => CorrelationType::parse(s).ok_or_else(|| {
            bad(
                "correlation.type",
                format!(
                    "unknown type `{s}`; expected event_count, value_count, temporal, temporal_ordered, value_sum, value_avg or value_percentile"
                ),
            )
        })?,
        Some(_) => {
            return Err(RuleError::WrongType {
                key: "correlation.type".into(),
                expected: "a string".into(),
            });
        }
    };
    let rules = match section.get("rules") {
        None | Some(Value::Null) => return Err(RuleError::MissingKey("correlation.rules".into())),
        Some(Value::Sequence(items)) if !items.is_empty() => items
            .iter()
            .map(|v| {
                scalar_text(v).ok_or_else(|| RuleError::WrongType {
                    key: "correlation.rules".into(),
                    expected: "a list of rule ids or names".into(),
                })
            })
            .collect::<Result<Vec<_>, _>>()?,
        Some(Value::String(s)) => vec![s.clone()],
        Some(_) => {
            return Err(RuleError::WrongType {
                key: "correlation.rules".into(),
                expected: "a non-empty list of rule ids or names".into(),
            });
        }
    };
    for (i, r) in rules.iter().enumerate() {
        if rules[..i].contains(r) {
            return Err(bad("correlation.rules", format!("`{r}` is listed twice")));
        }
    }
    let group_by = match section.get("group-by") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Sequence(items)) => items
            .iter()
            .map(|v| {
                scalar_text(v).ok_or_else(|| RuleError::WrongType {
                    key: "correlation.group-by".into(),
                    expected: "a list of field names".into(),
                })
            })
            .collect::<Result<Vec<_>, _>>()?,
        Some(Value::String(s)) => vec![s.clone()],
        Some(_) => {
            return Err(RuleError::WrongType {
                key: "correlation.group-by".into(),
                expected: "a list of field names".into(),
            });
        }
    };
    // `timeframe` is the name the earlier drafts used.
    let timespan = match section.get("timespan").or_else(|| section.get("timeframe")) {
        None | Some(Value::Null) => {
            return Err(RuleError::MissingKey("correlation.timespan".into()));
        }
        Some(v) => {
            let text = scalar_text(v).ok_or_else(|| RuleError::WrongType {
                key: "correlation.timespan".into(),
                expected: "a string such as `10m`".into(),
            })?;
            Timespan::parse(&text).map_err(|reason| bad("correlation.timespan", reason))?
        }
    };
    let condition = match section.get("condition") {
        None | Some(Value::Null) => None,
        Some(Value::Mapping(c)) => Some(parse_condition(c, kind)?),
        Some(_) => {
            return Err(RuleError::WrongType {
                key: "correlation.condition".into(),
                expected: "a map such as `gte: 10`".into(),
            });
        }
    };
    if condition.is_none() && !kind.condition_optional() {
        return Err(RuleError::MissingKey("correlation.condition".into()));
    }
    let aliases = parse_aliases(section.get("aliases"))?;
    let generate = match (map.get("generate"), section.get("generate")) {
        (None, None) => false,
        (Some(Value::Bool(a)), Some(Value::Bool(b))) if a != b => {
            return Err(bad(
                "generate",
                "is given twice (top level and in `correlation`) with different values",
            ));
        }
        (Some(Value::Bool(b)), _) | (None, Some(Value::Bool(b))) => *b,
        _ => {
            return Err(RuleError::WrongType {
                key: "generate".into(),
                expected: "true or false".into(),
            });
        }
    };
    Ok(CorrelationAst {
        header,
        kind,
        rules,
        group_by,
        timespan,
        condition,
        aliases,
        generate,
    })
}

fn parse_condition(
    map: &Mapping,
    kind: CorrelationType,
) -> Result<CorrelationCondition, RuleError> {
    let mut fields = Vec::new();
    let mut bounds = Vec::new();
    for (key, value) in map {
        let name = scalar_text(key).unwrap_or_default();
        if name == "field" {
            fields = match value {
                Value::Sequence(items) => items
                    .iter()
                    .map(|v| {
                        scalar_text(v).ok_or_else(|| RuleError::WrongType {
                            key: "correlation.condition.field".into(),
                            expected: "a field name or a list of field names".into(),
                        })
                    })
                    .collect::<Result<_, _>>()?,
                other => vec![scalar_text(other).ok_or_else(|| RuleError::WrongType {
                    key: "correlation.condition.field".into(),
                    expected: "a field name or a list of field names".into(),
                })?],
            };
            continue;
        }
        let Some(op) = CompareOp::parse(&name) else {
            return Err(bad(
                &format!("correlation.condition.{name}"),
                "is not a comparison; expected gt, gte, lt, lte, eq, neq or field",
            ));
        };
        let bound = match value {
            Value::Number(n) => n.as_f64(),
            Value::String(s) => s.trim().parse::<f64>().ok(),
            _ => None,
        }
        .filter(|b| b.is_finite())
        .ok_or_else(|| RuleError::WrongType {
            key: format!("correlation.condition.{name}"),
            expected: "a number".into(),
        })?;
        bounds.push((op, bound));
    }
    if bounds.is_empty() {
        return Err(bad(
            "correlation.condition",
            "has no comparison (gt, gte, lt, lte, eq or neq)",
        ));
    }
    if kind.needs_field() {
        if fields.is_empty() {
            return Err(bad(
                "correlation.condition.field",
                format!("is required by a {kind} correlation"),
            ));
        }
        if fields.len() > 1 && kind != CorrelationType::ValueCount {
            return Err(bad(
                "correlation.condition.field",
                format!("a {kind} correlation takes one field, not a list"),
            ));
        }
    } else if !fields.is_empty() {
        return Err(bad(
            "correlation.condition.field",
            format!("a {kind} correlation takes no field"),
        ));
    }
    Ok(CorrelationCondition { fields, bounds })
}

fn parse_aliases(
    value: Option<&Value>,
) -> Result<BTreeMap<String, BTreeMap<String, String>>, RuleError> {
    let mut aliases = BTreeMap::new();
    let map = match value {
        None | Some(Value::Null) => return Ok(aliases),
        Some(Value::Mapping(m)) => m,
        Some(_) => {
            return Err(RuleError::WrongType {
                key: "correlation.aliases".into(),
                expected: "a map of alias → (rule → field)".into(),
            });
        }
    };
    for (alias, per_rule) in map {
        let alias = scalar_text(alias).unwrap_or_default();
        let Value::Mapping(per_rule) = per_rule else {
            return Err(RuleError::WrongType {
                key: format!("correlation.aliases.{alias}"),
                expected: "a map of rule id or name → field name".into(),
            });
        };
        let mut fields = BTreeMap::new();
        for (rule, field) in per_rule {
            let (Some(rule), Some(field)) = (scalar_text(rule), scalar_text(field)) else {
                return Err(RuleError::WrongType {
                    key: format!("correlation.aliases.{alias}"),
                    expected: "a map of rule id or name → field name".into(),
                });
            };
            fields.insert(rule, field);
        }
        aliases.insert(alias, fields);
    }
    Ok(aliases)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sigma::ast::SigmaDocument;
    use crate::sigma::parse::parse_documents;

    fn parse(text: &str) -> Result<CorrelationAst, RuleError> {
        match parse_documents(text).into_iter().next().map(|d| d.result) {
            Some(Ok(SigmaDocument::Correlation(c))) => Ok(c),
            Some(Ok(other)) => panic!("not a correlation: {other:?}"),
            Some(Err(e)) => Err(e),
            None => panic!("no document"),
        }
    }

    #[test]
    fn the_specification_example_parses() {
        let c = parse(
            "title: Many failed logins\nid: 0e95725d-7320-415d-80f7-004da920fc11\nlevel: high\n\
             correlation:\n  type: event_count\n  rules:\n    - failed_login\n  group-by:\n    - User\n  timespan: 10m\n  condition:\n    gte: 10\n    lt: 20\n",
        )
        .unwrap();
        assert_eq!(c.kind, CorrelationType::EventCount);
        assert_eq!(c.rules, ["failed_login"]);
        assert_eq!(c.group_by, ["User"]);
        assert_eq!(c.timespan.seconds, 600);
        let cond = c.condition.unwrap();
        assert!(cond.holds(10.0) && cond.holds(19.0) && !cond.holds(20.0) && !cond.holds(9.0));
        assert!(!c.generate);
    }

    #[test]
    fn timespans() {
        assert_eq!(Timespan::parse("90m").unwrap().seconds, 5_400);
        assert_eq!(Timespan::parse("1d").unwrap().seconds, 86_400);
        assert!(Timespan::parse("10").unwrap_err().contains("no unit"));
        assert!(
            Timespan::parse("10y")
                .unwrap_err()
                .contains("unknown unit `y`")
        );
        assert!(Timespan::parse("0s").is_err());
        assert!(Timespan::parse("m").is_err());
        assert!(Timespan::parse("99999999999999999999d").is_err());
    }

    #[test]
    fn errors_name_the_key_at_fault() {
        let base = "title: t\ncorrelation:\n  type: value_count\n  rules: [a]\n  timespan: 1h\n";
        let e = parse(&format!("{base}  condition:\n    gte: 3\n")).unwrap_err();
        assert!(e.to_string().contains("correlation.condition.field"), "{e}");
        let e = parse(&format!("{base}  condition:\n    field: x\n    above: 3\n")).unwrap_err();
        assert!(e.to_string().contains("correlation.condition.above"), "{e}");
        let e =
            parse("title: t\ncorrelation:\n  type: event_count\n  rules: [a]\n  timespan: 1h\n")
                .unwrap_err();
        assert_eq!(e, RuleError::MissingKey("correlation.condition".into()));
        let e = parse("title: t\ncorrelation:\n  type: sequence\n  rules: [a]\n  timespan: 1h\n")
            .unwrap_err();
        assert!(e.to_string().contains("unknown type `sequence`"), "{e}");
        let e = parse(
            "title: t\ncorrelation:\n  type: temporal\n  rules: [a, b]\n  timespan: 1 hour\n",
        )
        .unwrap_err();
        assert!(e.to_string().contains("correlation.timespan"), "{e}");
        let e = parse(
            "title: t\ncorrelation:\n  type: temporal\n  rules: [a, b]\n  group-by: [x]\n  timespan: 1h\n  aliases:\n    y: f\n",
        )
        .unwrap_err();
        assert!(e.to_string().contains("correlation.aliases.y"), "{e}");
    }

    proptest::proptest! {
        /// Correlation documents assembled from valid and invalid parts are
        /// parsed or refused, never a panic.
        #[test]
        fn assembled_correlations_never_panic(
            kind in proptest::sample::select(vec!["event_count", "value_count", "temporal", "temporal_ordered", "value_sum", "value_avg", "value_percentile", "bogus", "[1]"]),
            rules in proptest::sample::select(vec!["[a]", "[a, b]", "[]", "a", "{x: 1}", "[a, a]"]),
            group in proptest::sample::select(vec!["[u]", "[]", "u", "{x: 1}", "null"]),
            span in proptest::sample::select(vec!["10m", "0s", "1h", "x", "5", "99999999999999999999d", "[1]"]),
            condition in proptest::sample::select(vec!["{gte: 3}", "{field: f, gt: 1}", "{field: [f, g], lte: 2.5}", "{}", "{gte: x}", "3", "{field: f}", "{neq: .nan}"]),
            generate in proptest::sample::select(vec!["", "generate: true\n", "generate: 1\n"]),
        ) {
            let text = format!("title: t\n{generate}correlation:\n  type: {kind}\n  rules: {rules}\n  group-by: {group}\n  timespan: {span}\n  condition: {condition}\n");
            let _ = parse_documents(&text);
        }
    }

    #[test]
    fn generate_is_read_at_the_top_or_in_the_section() {
        let top = parse("title: t\ngenerate: true\ncorrelation:\n  type: temporal\n  rules: [a, b]\n  timespan: 1h\n").unwrap();
        assert!(top.generate);
        let inside = parse("title: t\ncorrelation:\n  type: temporal\n  rules: [a, b]\n  timespan: 1h\n  generate: true\n").unwrap();
        assert!(inside.generate);
        assert!(parse("title: t\ngenerate: yes please\ncorrelation:\n  type: temporal\n  rules: [a]\n  timespan: 1h\n").is_err());
    }
}
