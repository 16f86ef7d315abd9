//! Detection items while pipelines run: which processing items touched
//! each one (for `processing_item_applied` conditions), rewriting search
//! bodies item by item, the detection item conditions, and the
//! transformations that replace or drop whole items (`drop_detection_item`,
//! `hashes_fields`, `detection_item_failure`).

use std::collections::BTreeMap;

use regex::Regex;

use super::value::{SigmaValue, plain, view};
use crate::sigma::ast::{RawValue, SearchBody, SearchItem};
use crate::sigma::pattern::{Part, SigmaString};

/// Most alternatives one search may turn into when items become several
/// (fields mapped to several names each: the product of their counts).
pub(crate) const MAX_ALTERNATIVES: usize = 256;

/// A detection item and the ids of the processing items applied to it.
#[derive(Debug, Clone)]
pub(crate) struct Tracked {
    /// The item.
    pub item: SearchItem,
    /// Ids of the processing items that changed it.
    pub applied: Vec<String>,
}

/// A search body whose items carry what was applied to them.
#[derive(Debug, Clone)]
pub(crate) enum Body {
    /// Every item must hold.
    AllOf(Vec<Tracked>),
    /// One of the bodies must hold.
    AnyOf(Vec<Body>),
}

impl Body {
    /// A body as parsed: nothing applied yet.
    pub(crate) fn new(body: SearchBody) -> Body {
        match body {
            SearchBody::AllOf(items) => Body::AllOf(
                items
                    .into_iter()
                    .map(|item| Tracked {
                        item,
                        applied: Vec::new(),
                    })
                    .collect(),
            ),
            SearchBody::AnyOf(bodies) => Body::AnyOf(bodies.into_iter().map(Body::new).collect()),
        }
    }

    /// Whether any item of the body satisfies `test`.
    pub(crate) fn any_item(&self, test: &dyn Fn(&SearchItem) -> bool) -> bool {
        match self {
            Body::AllOf(items) => items.iter().any(|t| test(&t.item)),
            Body::AnyOf(bodies) => bodies.iter().any(|b| b.any_item(test)),
        }
    }

    /// Visits every item of the body, in order.
    pub(crate) fn each_item(&self, visit: &mut dyn FnMut(&SearchItem)) {
        match self {
            Body::AllOf(items) => items.iter().for_each(|t| visit(&t.item)),
            Body::AnyOf(bodies) => bodies.iter().for_each(|b| b.each_item(visit)),
        }
    }

    /// Back to the syntax tree.
    pub(crate) fn into_search(self) -> SearchBody {
        match self {
            Body::AllOf(items) => SearchBody::AllOf(items.into_iter().map(|t| t.item).collect()),
            Body::AnyOf(bodies) => {
                SearchBody::AnyOf(bodies.into_iter().map(Body::into_search).collect())
            }
        }
    }
}

/// What a rewrite does to one item.
pub(crate) enum Outcome {
    /// Leaves it as it is.
    Keep,
    /// Replaces it by these alternatives (any of them may hold); none: the
    /// item is dropped.
    Replace(Vec<Tracked>),
}

/// Why a rewrite failed.
pub(crate) enum RewriteError {
    /// What the transformation said.
    Item(String),
    /// The search would become this many alternatives.
    TooMany(usize),
}

/// Rewrites every item of `body` with `f`. An AND of items where one
/// became several alternatives becomes an OR of ANDs: `{a: 1, b: 2}` with
/// `b` → `b1`, `b2` is `{a: 1, b1: 2} or {a: 1, b2: 2}`. `None` when every
/// item was dropped.
pub(crate) fn rewrite(
    body: Body,
    f: &mut impl FnMut(&Tracked) -> Result<Outcome, String>,
) -> Result<Option<Body>, RewriteError> {
    match body {
        Body::AnyOf(bodies) => {
            let mut out = Vec::with_capacity(bodies.len());
            for b in bodies {
                if let Some(b) = rewrite(b, f)? {
                    out.push(b);
                }
            }
            Ok((!out.is_empty()).then_some(Body::AnyOf(out)))
        }
        Body::AllOf(items) => {
            let mut choices: Vec<Vec<Tracked>> = Vec::with_capacity(items.len());
            for item in items {
                match f(&item).map_err(RewriteError::Item)? {
                    Outcome::Keep => choices.push(vec![item]),
                    Outcome::Replace(alternatives) if alternatives.is_empty() => {}
                    Outcome::Replace(alternatives) => choices.push(alternatives),
                }
            }
            if choices.is_empty() {
                return Ok(None);
            }
            if choices.iter().all(|c| c.len() == 1) {
                return Ok(Some(Body::AllOf(choices.into_iter().flatten().collect())));
            }
            let total = choices
                .iter()
                .try_fold(1usize, |n, c| n.checked_mul(c.len()))
                .unwrap_or(usize::MAX);
            if total > MAX_ALTERNATIVES {
                return Err(RewriteError::TooMany(total));
            }
            let mut combinations: Vec<Vec<Tracked>> = vec![Vec::new()];
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
            Ok(Some(Body::AnyOf(
                combinations.into_iter().map(Body::AllOf).collect(),
            )))
        }
    }
}

/// A value the pipeline state holds (`set_state`'s `val`).
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum StateValue {
    /// A string.
    Str(String),
    /// A number.
    Num(f64),
    /// A boolean.
    Bool(bool),
}

/// A `processing_state` condition: the state's `key` compared with `val`.
#[derive(Debug, Clone)]
pub(crate) struct StateCondition {
    /// The state key.
    pub key: String,
    /// The value compared with.
    pub val: StateValue,
    /// `eq`, `ne`, `gte`, `gt`, `lte` or `lt`.
    pub op: std::cmp::Ordering,
    /// Whether `op` is negated (`ne` is not-`eq`, `lt` is not-`gte` …).
    pub negate: bool,
    /// Whether equality also satisfies the comparison (`gte`, `lte`).
    pub or_equal: bool,
}

impl StateCondition {
    /// Whether the state satisfies the condition; an absent key never does.
    pub(crate) fn holds(&self, state: &BTreeMap<String, StateValue>) -> bool {
        let Some(have) = state.get(&self.key) else {
            return false;
        };
        let ordering = match (have, &self.val) {
            (StateValue::Str(a), StateValue::Str(b)) => Some(a.cmp(b)),
            (StateValue::Num(a), StateValue::Num(b)) => a.partial_cmp(b),
            (StateValue::Bool(a), StateValue::Bool(b)) => Some(a.cmp(b)),
            _ => None,
        };
        let Some(ordering) = ordering else {
            // Values of different kinds are only ever unequal.
            return self.op == std::cmp::Ordering::Equal && self.negate && !self.or_equal;
        };
        let hit = ordering == self.op || (self.or_equal && ordering == std::cmp::Ordering::Equal);
        hit != self.negate
    }
}

/// A detection item condition (pySigma's `detection_item_conditions`).
#[derive(Debug, Clone)]
pub(crate) enum DetectionCondition {
    /// `match_string`: string values match `pattern` from their start.
    MatchString {
        /// The pattern, anchored at the start as Python's `re.match`.
        regex: Regex,
        /// `cond: all` (else any).
        all: bool,
        /// `negate`: each value's result is negated.
        negate: bool,
    },
    /// `match_value`: a value equals this one.
    MatchValue {
        /// The value.
        value: SigmaValue,
        /// `cond: all` (else any).
        all: bool,
    },
    /// `contains_wildcard`: a string value has `*` or `?`.
    ContainsWildcard {
        /// `cond: all` (else any).
        all: bool,
    },
    /// `is_null`: a value is `null`.
    IsNull {
        /// `cond: all` (else any).
        all: bool,
    },
    /// `processing_item_applied`: the item with this id changed the item.
    ProcessingItemApplied(String),
    /// `processing_state`.
    ProcessingState(StateCondition),
}

impl DetectionCondition {
    /// Whether the condition holds for `item`.
    pub(crate) fn holds(&self, item: &Tracked, state: &BTreeMap<String, StateValue>) -> bool {
        let values = || view(&item.item);
        let over = |all: bool, test: &dyn Fn(&SigmaValue) -> bool| {
            let values = values();
            if all {
                values.iter().all(test)
            } else {
                values.iter().any(test)
            }
        };
        match self {
            DetectionCondition::MatchString { regex, all, negate } => over(*all, &|v| {
                let hit = matches!(v, SigmaValue::Str(s) if regex.is_match(&plain(s)));
                hit != *negate
            }),
            DetectionCondition::MatchValue { value, all } => over(*all, &|v| equal(v, value)),
            DetectionCondition::ContainsWildcard { all } => over(
                *all,
                &|v| matches!(v, SigmaValue::Str(s) if s.parts().iter().any(|p| matches!(p, Part::AnyRun | Part::AnyChar))),
            ),
            DetectionCondition::IsNull { all } => over(*all, &|v| *v == SigmaValue::Null),
            DetectionCondition::ProcessingItemApplied(id) => item.applied.iter().any(|a| a == id),
            DetectionCondition::ProcessingState(condition) => condition.holds(state),
        }
    }
}

/// Whether `item` has a value equal to `value` (as pySigma compares the
/// typed values, wildcards of the string modifiers included).
pub(crate) fn has_value(item: &SearchItem, value: &SigmaValue) -> bool {
    view(item).iter().any(|v| equal(v, value))
}

fn equal(a: &SigmaValue, b: &SigmaValue) -> bool {
    match (a, b) {
        (SigmaValue::Num(x), SigmaValue::Num(y)) => x.as_f64() == y.as_f64(),
        _ => a == b,
    }
}

/// `hashes_fields`: a `Hashes` item whose values are `ALGO=digest` (or
/// `ALGO|digest`, or a bare digest recognised by its length) becomes one
/// item per algorithm named in `valid_hash_algos`, any of which may hold.
#[derive(Debug, Clone)]
pub(crate) struct HashesFields {
    /// The algorithms kept (upper case: `MD5`, `SHA1`, `SHA256`, …).
    pub valid_hash_algos: Vec<String>,
    /// Put in front of the algorithm to make the field name.
    pub field_prefix: String,
    /// The field name is the prefix alone.
    pub drop_algo_prefix: bool,
}

impl HashesFields {
    /// The items `item` becomes; `Ok(None)` when its values are not all
    /// strings. An error when no value names a kept algorithm.
    pub(crate) fn apply(&self, item: &SearchItem) -> Result<Option<Vec<SearchItem>>, String> {
        let values = view(item);
        let mut texts = Vec::with_capacity(values.len());
        for v in &values {
            match v {
                SigmaValue::Str(s) => texts.push(plain(s)),
                _ => return Ok(None),
            }
        }
        // Field names in first-seen order, as pySigma's dict keeps them.
        let mut fields: Vec<(String, Vec<String>)> = Vec::new();
        for text in texts {
            // pySigma splits on `|` when there is one, else on `=`; two
            // parts are algorithm and digest, anything else is a digest
            // (its first part) recognised by its length.
            let separator = if text.contains('|') { '|' } else { '=' };
            let parts: Vec<&str> = text.split(separator).collect();
            let (algo, digest) = if let [algo, digest] = parts[..] {
                (
                    algo.trim_start_matches('*').to_uppercase(),
                    digest.to_owned(),
                )
            } else {
                let digest = parts.first().copied().unwrap_or_default();
                let algo = match digest.chars().count() {
                    32 => "MD5",
                    40 => "SHA1",
                    64 => "SHA256",
                    128 => "SHA512",
                    _ => "",
                };
                (algo.to_owned(), digest.to_owned())
            };
            if !self.valid_hash_algos.contains(&algo) {
                continue;
            }
            let field = if self.drop_algo_prefix {
                self.field_prefix.clone()
            } else {
                format!("{}{algo}", self.field_prefix)
            };
            match fields.iter_mut().find(|(f, _)| *f == field) {
                Some((_, digests)) => digests.push(digest),
                None => fields.push((field, vec![digest])),
            }
        }
        if fields.is_empty() {
            return Err(format!(
                "no valid hash algorithm found in the `{}` values; expected one of: {}",
                item.field_label(),
                self.valid_hash_algos.join(", ")
            ));
        }
        Ok(Some(
            fields
                .into_iter()
                .filter(|(field, _)| !field.is_empty())
                .map(|(field, digests)| SearchItem {
                    field: Some(field),
                    modifiers: Vec::new(),
                    list: digests.len() != 1,
                    values: digests
                        .iter()
                        .map(|d| {
                            RawValue::Str(super::value::render(
                                &SigmaString::parse(d, false),
                                false,
                            ))
                        })
                        .collect(),
                })
                .collect(),
        ))
    }
}
