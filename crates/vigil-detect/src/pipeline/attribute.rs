//! `rule_attribute` rule conditions: one of a rule's descriptive attributes
//! compared with a value, as pySigma's `RuleAttributeCondition` does
//! (strings `eq`/`ne`; levels, statuses and dates ordered; lists `in` /
//! `not_in`). Any other name is a custom attribute, as a pipeline's
//! `set_custom_attribute` sets it: a rule without it does not satisfy the
//! condition; strings compare by `eq`/`ne`, numbers (and booleans, as in
//! Python) by every order, lists by `in`/`not_in`. A comparison pySigma
//! refuses as a configuration error (a string ordered, a map) does not
//! hold.

use std::cmp::Ordering;

use chrono::NaiveDate;

use crate::sigma::ast::{RuleHeader, RuleStatus};

/// How the attribute is compared with the value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AttributeOp {
    /// `eq`.
    Eq,
    /// `ne`.
    Ne,
    /// `gte`.
    Gte,
    /// `gt`.
    Gt,
    /// `lte`.
    Lte,
    /// `lt`.
    Lt,
    /// `in`: the list holds the value.
    In,
    /// `not_in`.
    NotIn,
}

/// Which attribute, and the value it is compared with, read for its kind.
#[derive(Debug, Clone)]
enum Compared {
    /// `title`, `id`, `name`, `description`, `author`.
    Text(&'static str, String),
    /// `level`, by Sigma's order (informational … critical, as
    /// `Severity::rank` counts).
    Level(u8),
    /// `status`, by pySigma's order (unsupported … stable).
    Status(u8),
    /// `date` or `modified`.
    Date(&'static str, NaiveDate),
    /// `tags`, `references`, `falsepositives`, `fields`.
    List(&'static str, String),
    /// A custom attribute, by name, and the value as written.
    Custom(String, String),
}

/// A `rule_attribute` condition.
#[derive(Debug, Clone)]
pub(crate) struct RuleAttribute {
    compared: Compared,
    op: AttributeOp,
}

const TEXT: [&str; 5] = ["title", "id", "name", "description", "author"];
const LISTS: [&str; 4] = ["tags", "references", "falsepositives", "fields"];
const LEVELS: [&str; 5] = ["informational", "low", "medium", "high", "critical"];
const STATUSES: [&str; 5] = [
    "unsupported",
    "deprecated",
    "experimental",
    "test",
    "stable",
];

impl RuleAttribute {
    /// Reads the condition's `attribute`, `value` and `op`.
    pub(crate) fn new(attribute: &str, value: &str, op: Option<&str>) -> Result<Self, String> {
        let op = match op.unwrap_or("eq") {
            "eq" => AttributeOp::Eq,
            "ne" => AttributeOp::Ne,
            "gte" => AttributeOp::Gte,
            "gt" => AttributeOp::Gt,
            "lte" => AttributeOp::Lte,
            "lt" => AttributeOp::Lt,
            "in" => AttributeOp::In,
            "not_in" => AttributeOp::NotIn,
            other => {
                return Err(format!(
                    "`op` must be eq, ne, gte, gt, lte, lt, in or not_in, not `{other}`"
                ));
            }
        };
        let ordered = !matches!(op, AttributeOp::In | AttributeOp::NotIn);
        let rank = |names: &[&str], what: &str| {
            names
                .iter()
                .position(|n| n.eq_ignore_ascii_case(value))
                .and_then(|i| u8::try_from(i).ok())
                .ok_or_else(|| format!("`{value}` is not a Sigma {what}"))
        };
        let compared = if let Some(name) = TEXT.iter().find(|n| **n == attribute) {
            if !matches!(op, AttributeOp::Eq | AttributeOp::Ne) {
                return Err(format!("`{attribute}` is compared with `eq` or `ne` only"));
            }
            Compared::Text(name, value.to_owned())
        } else if let Some(name) = LISTS.iter().find(|n| **n == attribute) {
            Compared::List(name, value.to_owned())
        } else if attribute == "level" && ordered {
            Compared::Level(rank(&LEVELS, "level")?)
        } else if attribute == "status" && ordered {
            Compared::Status(rank(&STATUSES, "status")?)
        } else if (attribute == "date" || attribute == "modified") && ordered {
            let date = NaiveDate::parse_from_str(value, "%Y-%m-%d")
                .map_err(|_| format!("`{value}` is not a date (YYYY-MM-DD)"))?;
            Compared::Date(
                if attribute == "date" {
                    "date"
                } else {
                    "modified"
                },
                date,
            )
        } else if ["level", "status", "date", "modified"].contains(&attribute) {
            return Err(format!(
                "`{attribute}` is not a list: use eq, ne, gte, gt, lte or lt"
            ));
        } else {
            Compared::Custom(attribute.to_owned(), value.to_owned())
        };
        Ok(RuleAttribute { compared, op })
    }

    /// Whether `header` satisfies the condition (a document without one,
    /// a global filter, never does).
    pub(crate) fn holds(&self, header: Option<&RuleHeader>) -> bool {
        let Some(header) = header else {
            return false;
        };
        match &self.compared {
            Compared::Text(name, value) => {
                let have = match *name {
                    "title" => Some(header.title.as_str()),
                    "id" => header.id.as_deref(),
                    "name" => header.name.as_deref(),
                    "description" => header.description.as_deref(),
                    _ => header.author.as_deref(),
                };
                let equal = have == Some(value.as_str());
                equal == (self.op == AttributeOp::Eq)
            }
            Compared::List(name, value) => {
                let list = match *name {
                    "tags" => &header.tags,
                    "references" => &header.references,
                    "falsepositives" => &header.falsepositives,
                    _ => &header.fields,
                };
                match self.op {
                    AttributeOp::In => list.contains(value),
                    AttributeOp::NotIn => !list.contains(value),
                    // A list never equals one value, and has no order.
                    AttributeOp::Ne => true,
                    _ => false,
                }
            }
            Compared::Level(wanted) => header
                .level
                .is_some_and(|l| self.compare(l.rank().cmp(wanted))),
            Compared::Status(wanted) => header
                .status
                .and_then(status_rank)
                .is_some_and(|have| self.compare(have.cmp(wanted))),
            Compared::Custom(name, wanted) => header
                .custom_attributes
                .get(name)
                .is_some_and(|have| self.holds_custom(have, wanted)),
            Compared::Date(name, wanted) => {
                let text = if *name == "date" {
                    &header.date
                } else {
                    &header.modified
                };
                // Older rules write `2023/01/31`.
                text.as_deref()
                    .and_then(|t| NaiveDate::parse_from_str(&t.replace('/', "-"), "%Y-%m-%d").ok())
                    .is_some_and(|have| self.compare(have.cmp(wanted)))
            }
        }
    }

    /// pySigma's comparison of a custom attribute with the written value.
    fn holds_custom(&self, have: &serde_json::Value, wanted: &str) -> bool {
        use serde_json::Value;
        let number = |v: &Value| match v {
            Value::Bool(b) => Some(f64::from(u8::from(*b))),
            Value::Number(n) => n.as_f64(),
            _ => None,
        };
        match have {
            Value::Array(items) => {
                let member = items.iter().any(|item| match item {
                    Value::String(s) => s == wanted,
                    other => number(other)
                        .zip(wanted.parse::<f64>().ok())
                        .is_some_and(|(a, b)| a == b),
                });
                match self.op {
                    AttributeOp::In => member,
                    AttributeOp::NotIn => !member,
                    AttributeOp::Ne => true,
                    _ => false,
                }
            }
            Value::String(s) => match self.op {
                AttributeOp::Eq => s == wanted,
                AttributeOp::Ne => s != wanted,
                _ => false,
            },
            other => match (number(other), wanted.parse::<f64>()) {
                (Some(have), Ok(wanted)) => have
                    .partial_cmp(&wanted)
                    .is_some_and(|ordering| self.compare(ordering)),
                _ => false,
            },
        }
    }

    fn compare(&self, ordering: Ordering) -> bool {
        match self.op {
            AttributeOp::Eq => ordering == Ordering::Equal,
            AttributeOp::Ne => ordering != Ordering::Equal,
            AttributeOp::Gte => ordering != Ordering::Less,
            AttributeOp::Gt => ordering == Ordering::Greater,
            AttributeOp::Lte => ordering != Ordering::Greater,
            AttributeOp::Lt => ordering == Ordering::Less,
            AttributeOp::In | AttributeOp::NotIn => false,
        }
    }
}

fn status_rank(status: RuleStatus) -> Option<u8> {
    STATUSES
        .iter()
        .position(|s| *s == status.as_str())
        .and_then(|i| u8::try_from(i).ok())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn holds(attribute: &str, value: &str, op: &str, have: serde_json::Value) -> bool {
        let mut header = RuleHeader::default();
        header.custom_attributes.insert("x".into(), have);
        RuleAttribute::new(attribute, value, Some(op))
            .unwrap()
            .holds(Some(&header))
    }

    #[test]
    fn custom_attributes_compare_by_their_type_as_pysigma_does() {
        // conditions/rule.py RuleAttributeCondition.match on
        // `rule.custom_attributes`.
        assert!(holds("x", "soc", "eq", json!("soc")));
        assert!(holds("x", "noc", "ne", json!("soc")));
        assert!(
            !holds("x", "soc", "gte", json!("soc")),
            "strings are not ordered"
        );
        assert!(holds("x", "2", "gt", json!(3)));
        assert!(holds("x", "3.0", "eq", json!(3)));
        assert!(holds("x", "4", "lte", json!(3.5)));
        assert!(
            holds("x", "1", "eq", json!(true)),
            "a bool is a number in Python"
        );
        assert!(holds("x", "b", "in", json!(["a", "b"])));
        assert!(holds("x", "2", "in", json!([1, 2])));
        assert!(holds("x", "c", "not_in", json!(["a", "b"])));
        assert!(
            !holds("x", "a", "eq", json!(["a"])),
            "a list never equals a value"
        );
        assert!(!holds("x", "a", "eq", json!({"a": 1})));
        assert!(
            !holds("y", "soc", "eq", json!("soc")),
            "absent: does not hold"
        );
    }
}
