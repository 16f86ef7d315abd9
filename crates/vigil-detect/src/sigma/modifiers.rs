//! Value modifiers: from `field|mod|mod: values` as written to the operands
//! a matcher tests.
//!
//! Modifiers apply in the order written, each to every value (a value may
//! expand into several alternatives, as `windash` and `base64offset` do).
//! `all`, `neq` and `cased` apply to the item as a whole. The result keeps
//! the original values apart (`values[i]` holds the alternatives of the
//! i-th written value) so that `all` can require each of them.

use std::collections::BTreeMap;

use base64::Engine as _;

use super::ast::{Modifier, Number, RawValue, SearchItem};
use super::lazy_regex::{LazyRegex, RegexFlags};
use super::pattern::{Part, SigmaString};
use super::values::{Cidr, CmpOp, TimePart, parse_number};
use crate::error::RuleError;

/// How the values of an item combine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Link {
    /// Any value may match (the default).
    Any,
    /// Every value must match (`all`).
    All,
}

/// How a `fieldref` compares the two fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(crate) enum RefMode {
    Equal,
    Prefix,
    Suffix,
    Contains,
}

/// One test against one value of a field.
#[derive(Debug, Clone)]
pub(crate) enum Operand {
    /// A wildcard pattern over the value's text.
    Pattern { pattern: SigmaString, cased: bool },
    /// A regular expression searched in the value's text.
    Regex(LazyRegex),
    /// A numeric comparison.
    Compare { op: CmpOp, bound: Number },
    /// A part of a timestamp equals a number.
    Time { part: TimePart, value: i64 },
    /// The value is an IP address inside a network.
    Cidr(Cidr),
    /// The field is present (`true`) or absent (`false`).
    Exists(bool),
    /// The field is absent or null.
    Null,
    /// The value relates to another field's value.
    FieldRef {
        field: String,
        mode: RefMode,
        cased: bool,
    },
}

/// A search item with its modifiers applied.
#[derive(Debug, Clone)]
pub(crate) struct LoweredItem {
    /// The field, or `None` for a keyword search.
    pub(crate) field: Option<String>,
    /// Any or all of the values.
    pub(crate) link: Link,
    /// `neq`: the item holds when the values do not match.
    pub(crate) negate: bool,
    /// For each written value, its alternatives (any of which will do).
    pub(crate) values: Vec<Vec<Operand>>,
}

/// Placeholder values for `expand`, by placeholder name (without `%`).
pub(crate) type Placeholders = BTreeMap<String, Vec<String>>;

/// A value can expand to at most this many alternatives.
const MAX_ALTERNATIVES: usize = 4096;

/// A value part-way through its modifier chain.
#[derive(Debug, Clone)]
enum Working {
    Str {
        text: SigmaString,
        /// The string as written, while no modifier has changed it (`re`,
        /// `cidr` and `fieldref` read the value as written).
        raw: Option<String>,
        utf16: bool,
    },
    Number(Number),
    Bool(bool),
    Null,
    Regex {
        pattern: String,
        ignore_case: bool,
        multi_line: bool,
        dot_all: bool,
    },
    Cidr(Cidr),
    Exists(bool),
    Compare(CmpOp, Number),
    Time(TimePart, i64),
    FieldRef {
        field: String,
        starts: bool,
        ends: bool,
    },
}

impl Working {
    fn kind(&self) -> &'static str {
        match self {
            Working::Str { .. } => "a string",
            Working::Number(_) => "a number",
            Working::Bool(_) => "a boolean",
            Working::Null => "null",
            Working::Regex { .. } => "a regular expression",
            Working::Cidr(_) => "a network",
            Working::Exists(_) => "an existence test",
            Working::Compare(..) => "a comparison",
            Working::Time(..) => "a timestamp part",
            Working::FieldRef { .. } => "a field reference",
        }
    }

    /// Numbers and booleans become their text when a string modifier meets them.
    fn into_string(self) -> Option<Working> {
        let text = match self {
            s @ Working::Str { .. } => return Some(s),
            Working::Number(n) => n.text(),
            Working::Bool(b) => b.to_string(),
            _ => return None,
        };
        Some(Working::Str {
            text: SigmaString::literal(&text),
            raw: Some(text),
            utf16: false,
        })
    }
}

/// Applies `item`'s modifiers to its values.
pub(crate) fn lower_item(
    item: &SearchItem,
    placeholders: &Placeholders,
) -> Result<LoweredItem, RuleError> {
    let field = item.field_label().to_owned();
    let bad = |reason: String| RuleError::BadModifier {
        field: field.clone(),
        reason,
    };
    let mut link = Link::Any;
    let mut negate = false;
    let mut cased = false;
    let expand = item.modifiers.contains(&Modifier::Expand);
    let has = |m: Modifier| item.modifiers.contains(&m);

    if has(Modifier::Exists) {
        if item.field.is_none() {
            return Err(bad("`exists` needs a field".into()));
        }
        if item.modifiers.len() > 1 {
            return Err(bad(
                "`exists` cannot be combined with other modifiers".into()
            ));
        }
        if item.values.len() != 1 || item.list {
            return Err(bad("`exists` takes a single true or false".into()));
        }
    }

    let mut values = Vec::with_capacity(item.values.len());
    for raw in &item.values {
        let mut alternatives = vec![initial(raw, expand)];
        for &modifier in &item.modifiers {
            match modifier {
                Modifier::All => link = Link::All,
                Modifier::Neq => negate = true,
                _ => {
                    if modifier == Modifier::Cased {
                        cased = true;
                    }
                    let mut next = Vec::with_capacity(alternatives.len());
                    for working in alternatives {
                        next.extend(apply(modifier, working, placeholders, &field)?);
                    }
                    if next.len() > MAX_ALTERNATIVES {
                        return Err(bad(format!(
                            "`{}` expands a value into more than {MAX_ALTERNATIVES} alternatives",
                            modifier.as_str()
                        )));
                    }
                    alternatives = next;
                }
            }
        }
        let positioned = has(Modifier::Contains)
            || has(Modifier::StartsWith)
            || has(Modifier::EndsWith)
            || has(Modifier::Re);
        let operands = alternatives
            .into_iter()
            .map(|w| finish(w, cased, &field, item.field.is_none(), !positioned))
            .collect::<Result<Vec<_>, _>>()?;
        values.push(operands);
    }
    Ok(LoweredItem {
        field: item.field.clone(),
        link,
        negate,
        values,
    })
}

fn initial(raw: &RawValue, placeholders: bool) -> Working {
    match raw {
        RawValue::Str(s) => Working::Str {
            text: SigmaString::parse(s, placeholders),
            raw: Some(s.clone()),
            utf16: false,
        },
        RawValue::Number(n) => Working::Number(*n),
        RawValue::Bool(b) => Working::Bool(*b),
        RawValue::Null => Working::Null,
    }
}

fn apply(
    modifier: Modifier,
    working: Working,
    placeholders: &Placeholders,
    field: &str,
) -> Result<Vec<Working>, RuleError> {
    let name = modifier.as_str();
    let bad = |reason: String| RuleError::BadModifier {
        field: field.to_owned(),
        reason,
    };
    let mismatch = |w: &Working| bad(format!("`{name}` does not apply to {}", w.kind()));
    if matches!(working, Working::Null) {
        return Err(bad(format!("`{name}` cannot modify null")));
    }
    let one = |w: Working| Ok(vec![w]);
    match modifier {
        Modifier::All | Modifier::Neq => one(working),
        Modifier::Contains | Modifier::StartsWith | Modifier::EndsWith => {
            let (front, back) = match modifier {
                Modifier::Contains => (true, true),
                Modifier::StartsWith => (false, true),
                _ => (true, false),
            };
            match working {
                // Under search semantics a regular expression already
                // matches anywhere, so position modifiers change nothing.
                w @ Working::Regex { .. } => one(w),
                Working::FieldRef {
                    field,
                    starts,
                    ends,
                } => one(Working::FieldRef {
                    field,
                    starts: starts || back,
                    ends: ends || front,
                }),
                other => match other.into_string() {
                    Some(Working::Str {
                        mut text, utf16, ..
                    }) => {
                        if front {
                            text.prepend_any_run();
                        }
                        if back {
                            text.append_any_run();
                        }
                        one(Working::Str {
                            text,
                            raw: None,
                            utf16,
                        })
                    }
                    _ => Err(bad(format!("`{name}` does not apply to this value"))),
                },
            }
        }
        Modifier::Cased => match working {
            Working::Str { text, utf16, .. } => one(Working::Str {
                text,
                raw: None,
                utf16,
            }),
            w @ (Working::FieldRef { .. } | Working::Number(_) | Working::Bool(_)) => one(w),
            w => Err(mismatch(&w)),
        },
        Modifier::Windash => match working.into_string() {
            Some(Working::Str { text, utf16, .. }) => Ok(windash(&text)
                .into_iter()
                .map(|text| Working::Str {
                    text,
                    raw: None,
                    utf16,
                })
                .collect()),
            _ => Err(bad("`windash` applies only to strings".into())),
        },
        Modifier::Re => match working.into_string() {
            Some(Working::Str { raw: Some(raw), .. }) => one(Working::Regex {
                pattern: raw,
                ignore_case: false,
                multi_line: false,
                dot_all: false,
            }),
            _ => Err(bad(
                "`re` must come first, applied to a string as written".into()
            )),
        },
        Modifier::ReIgnoreCase | Modifier::ReMultiline | Modifier::ReDotAll => match working {
            Working::Regex {
                pattern,
                ignore_case,
                multi_line,
                dot_all,
            } => one(Working::Regex {
                pattern,
                ignore_case: ignore_case || modifier == Modifier::ReIgnoreCase,
                multi_line: multi_line || modifier == Modifier::ReMultiline,
                dot_all: dot_all || modifier == Modifier::ReDotAll,
            }),
            _ => Err(bad(format!("`{name}` applies only after `re`"))),
        },
        Modifier::Base64 | Modifier::Base64Offset => {
            let Some(Working::Str { text, utf16, .. }) = working.into_string() else {
                return Err(bad(format!("`{name}` applies only to strings")));
            };
            let Some(plain) = text.plain_text() else {
                return Err(bad(format!(
                    "`{name}` cannot encode a value with wildcards or placeholders"
                )));
            };
            let bytes = base64_input(&plain, utf16);
            let encoded: Vec<String> = if modifier == Modifier::Base64 {
                vec![base64::engine::general_purpose::STANDARD.encode(&bytes)]
            } else {
                base64_offsets(&bytes)
            };
            Ok(encoded
                .into_iter()
                .map(|e| Working::Str {
                    text: SigmaString::literal(&e),
                    raw: None,
                    utf16: false,
                })
                .collect())
        }
        Modifier::Utf16Le | Modifier::Utf16Be | Modifier::Utf16 => {
            let Some(Working::Str { text, .. }) = working.into_string() else {
                return Err(bad(format!("`{name}` applies only to strings")));
            };
            if text.has_placeholder() {
                return Err(bad(format!("`expand` must come before `{name}`")));
            }
            let big_endian = modifier == Modifier::Utf16Be;
            let mut failed = None;
            let mut encoded = text.map_literals(|lit| match utf16_text(lit, big_endian) {
                Some(t) => t,
                None => {
                    failed = Some(lit.to_owned());
                    String::new()
                }
            });
            if let Some(lit) = failed {
                return Err(bad(format!(
                    "`{name}` of `{lit}` is not representable as text; combine it with `base64`"
                )));
            }
            if modifier == Modifier::Utf16 {
                let mut parts = vec![Part::Lit("\u{feff}".into())];
                parts.extend(encoded.into_parts());
                encoded = SigmaString::from_parts(parts);
            }
            one(Working::Str {
                text: encoded,
                raw: None,
                utf16: modifier == Modifier::Utf16,
            })
        }
        Modifier::Lt | Modifier::Lte | Modifier::Gt | Modifier::Gte => {
            let op = match modifier {
                Modifier::Lt => CmpOp::Lt,
                Modifier::Lte => CmpOp::Lte,
                Modifier::Gt => CmpOp::Gt,
                _ => CmpOp::Gte,
            };
            match number_of(&working) {
                Some(n) => one(Working::Compare(op, n)),
                None => Err(bad(format!(
                    "`{name}` needs a number, not {}",
                    working.kind()
                ))),
            }
        }
        Modifier::Minute
        | Modifier::Hour
        | Modifier::Day
        | Modifier::Week
        | Modifier::Month
        | Modifier::Year => {
            let part = match modifier {
                Modifier::Minute => TimePart::Minute,
                Modifier::Hour => TimePart::Hour,
                Modifier::Day => TimePart::Day,
                Modifier::Week => TimePart::Week,
                Modifier::Month => TimePart::Month,
                _ => TimePart::Year,
            };
            match number_of(&working) {
                Some(Number::Int(i)) => match i64::try_from(i) {
                    Ok(v) => one(Working::Time(part, v)),
                    Err(_) => Err(bad(format!("`{name}` value {i} is out of range"))),
                },
                _ => Err(bad(format!("`{name}` needs a whole number"))),
            }
        }
        Modifier::Cidr => match working.into_string() {
            Some(Working::Str { raw: Some(raw), .. }) => Cidr::parse(&raw)
                .map(|c| vec![Working::Cidr(c)])
                .map_err(bad),
            _ => Err(bad(
                "`cidr` must come first, applied to a network as written".into(),
            )),
        },
        Modifier::Exists => match working {
            Working::Bool(b) => one(Working::Exists(b)),
            w => Err(bad(format!(
                "`exists` needs true or false, not {}",
                w.kind()
            ))),
        },
        Modifier::Expand => match working {
            Working::Str { text, utf16, .. } => Ok(expand(&text, placeholders, field)?
                .into_iter()
                .map(|text| Working::Str {
                    text,
                    raw: None,
                    utf16,
                })
                .collect()),
            w => Err(mismatch(&w)),
        },
        Modifier::FieldRef => match working.into_string() {
            Some(Working::Str { text, .. }) => match text.plain_text() {
                Some(name) if !name.is_empty() => one(Working::FieldRef {
                    field: name,
                    starts: false,
                    ends: false,
                }),
                _ => Err(bad(
                    "`fieldref` needs a plain field name without wildcards".into()
                )),
            },
            _ => Err(bad("`fieldref` needs a field name".into())),
        },
    }
}

fn number_of(working: &Working) -> Option<Number> {
    match working {
        Working::Number(n) => Some(*n),
        Working::Str { raw: Some(raw), .. } => parse_number(raw),
        _ => None,
    }
}

/// Turns the finished value into an operand. Keywords without a position
/// modifier match anywhere in a value, as a full-text search does.
fn finish(
    working: Working,
    cased: bool,
    field: &str,
    keyword: bool,
    anywhere: bool,
) -> Result<Operand, RuleError> {
    let needs_field = |what: &str| RuleError::BadModifier {
        field: field.to_owned(),
        reason: format!("{what} needs a field; keyword searches match text only"),
    };
    let operand = match working {
        Working::Str { text, .. } => {
            if text.has_placeholder() {
                return Err(RuleError::BadModifier {
                    field: field.to_owned(),
                    reason: "a placeholder was left unexpanded".into(),
                });
            }
            Operand::Pattern {
                pattern: text,
                cased,
            }
        }
        Working::Number(n) => Operand::Pattern {
            pattern: SigmaString::literal(&n.text()),
            cased,
        },
        Working::Bool(b) => Operand::Pattern {
            pattern: SigmaString::literal(if b { "true" } else { "false" }),
            cased,
        },
        Working::Null => Operand::Null,
        Working::Regex {
            pattern,
            ignore_case,
            multi_line,
            dot_all,
        } => Operand::Regex(
            LazyRegex::new(
                pattern.clone(),
                RegexFlags {
                    ignore_case,
                    multi_line,
                    dot_all,
                },
            )
            .map_err(|reason| RuleError::BadRegex {
                field: field.to_owned(),
                pattern,
                reason,
            })?,
        ),
        Working::Cidr(c) => Operand::Cidr(c),
        Working::Exists(b) => Operand::Exists(b),
        Working::Compare(op, bound) => Operand::Compare { op, bound },
        Working::Time(part, value) => Operand::Time { part, value },
        Working::FieldRef {
            field: f,
            starts,
            ends,
        } => Operand::FieldRef {
            field: f,
            mode: match (starts, ends) {
                (false, false) => RefMode::Equal,
                (true, false) => RefMode::Prefix,
                (false, true) => RefMode::Suffix,
                (true, true) => RefMode::Contains,
            },
            cased,
        },
    };
    if keyword {
        return match operand {
            Operand::Pattern { mut pattern, cased } => {
                if anywhere {
                    pattern.prepend_any_run();
                    pattern.append_any_run();
                }
                Ok(Operand::Pattern { pattern, cased })
            }
            r @ Operand::Regex(_) => Ok(r),
            Operand::Null => Err(needs_field("null")),
            Operand::Exists(_) => Err(needs_field("`exists`")),
            Operand::Compare { .. } => Err(needs_field("a comparison")),
            Operand::Time { .. } => Err(needs_field("a timestamp part")),
            Operand::Cidr(_) => Err(needs_field("`cidr`")),
            Operand::FieldRef { .. } => Err(needs_field("`fieldref`")),
        };
    }
    Ok(operand)
}

/// The bytes the base64 modifiers encode: UTF-8, except that a byte-order
/// mark put in by `utf16` becomes the UTF-16LE mark `FF FE`.
fn base64_input(text: &str, utf16: bool) -> Vec<u8> {
    let mut bytes = text.as_bytes().to_vec();
    if utf16 && bytes.starts_with("\u{feff}".as_bytes()) {
        bytes.splice(0..3, [0xff, 0xfe]);
    }
    bytes
}

/// The three base64 renderings of `data` at byte offsets 0, 1 and 2 within
/// a longer encoded text, trimmed to the characters that do not depend on
/// the neighbouring bytes.
fn base64_offsets(data: &[u8]) -> Vec<String> {
    const START: [usize; 3] = [0, 2, 3];
    const END_TRIM: [usize; 3] = [0, 3, 2];
    (0..3)
        .map(|shift| {
            let mut shifted = vec![b' '; shift];
            shifted.extend_from_slice(data);
            let encoded = base64::engine::general_purpose::STANDARD.encode(&shifted);
            let end = encoded
                .len()
                .saturating_sub(END_TRIM[(data.len() + shift) % 3]);
            let start = START[shift].min(end);
            encoded[start..end].to_owned()
        })
        .collect()
}

/// UTF-16 code units written as characters: each byte of the encoding
/// becomes one character, which only works while every byte is ASCII.
fn utf16_text(text: &str, big_endian: bool) -> Option<String> {
    let mut bytes = Vec::with_capacity(text.len() * 2);
    for unit in text.encode_utf16() {
        let pair = if big_endian {
            unit.to_be_bytes()
        } else {
            unit.to_le_bytes()
        };
        bytes.extend_from_slice(&pair);
    }
    String::from_utf8(bytes).ok()
}

const DASHES: [char; 5] = ['-', '/', '\u{2013}', '\u{2014}', '\u{2015}'];

fn is_word(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// Every spelling of the value with each option dash (a dash at the start
/// of a word, as in ` -enc` or `/c`) replaced by `-`, `/`, en dash, em dash
/// or horizontal bar. Dashes inside words (`a-b`) stay as they are.
fn windash(text: &SigmaString) -> Vec<SigmaString> {
    // Each literal becomes a list of character slots; option dashes are the
    // slots that vary.
    let mut variants: Vec<Vec<Part>> = vec![Vec::new()];
    for part in text.parts() {
        match part {
            Part::Lit(lit) => {
                let chars: Vec<char> = lit.chars().collect();
                let mut piece_variants: Vec<String> = vec![String::new()];
                for (i, &c) in chars.iter().enumerate() {
                    let option_dash = DASHES.contains(&c)
                        && (i == 0 || !is_word(chars[i - 1]))
                        && chars.get(i + 1).is_some_and(|&n| is_word(n));
                    if option_dash {
                        piece_variants = piece_variants
                            .into_iter()
                            .flat_map(|v| {
                                DASHES.iter().map(move |d| {
                                    let mut v = v.clone();
                                    v.push(*d);
                                    v
                                })
                            })
                            .collect();
                        if piece_variants.len() > MAX_ALTERNATIVES {
                            break;
                        }
                    } else {
                        for v in &mut piece_variants {
                            v.push(c);
                        }
                    }
                }
                variants = variants
                    .into_iter()
                    .flat_map(|prefix| {
                        piece_variants.iter().map(move |p| {
                            let mut prefix = prefix.clone();
                            prefix.push(Part::Lit(p.clone()));
                            prefix
                        })
                    })
                    .collect();
            }
            other => {
                for v in &mut variants {
                    v.push(other.clone());
                }
            }
        }
        if variants.len() > MAX_ALTERNATIVES {
            break;
        }
    }
    let mut out: Vec<SigmaString> = variants.into_iter().map(SigmaString::from_parts).collect();
    out.dedup();
    out
}

/// Fills `%placeholders%` from the configured values; several placeholders
/// in one value give every combination.
fn expand(
    text: &SigmaString,
    placeholders: &Placeholders,
    field: &str,
) -> Result<Vec<SigmaString>, RuleError> {
    let mut variants: Vec<SigmaString> = vec![SigmaString::default()];
    for part in text.parts() {
        match part {
            Part::Placeholder(name) => {
                let values = placeholders
                    .get(name)
                    .filter(|v| !v.is_empty())
                    .ok_or_else(|| RuleError::UnfilledPlaceholder {
                        field: field.to_owned(),
                        placeholder: name.clone(),
                    })?;
                let fills: Vec<SigmaString> = values
                    .iter()
                    .map(|v| SigmaString::parse(v, false))
                    .collect();
                variants = variants
                    .into_iter()
                    .flat_map(|prefix| {
                        fills.iter().map(move |fill| {
                            let mut s = prefix.clone();
                            for p in fill.parts() {
                                s.push(p.clone());
                            }
                            s
                        })
                    })
                    .collect();
                if variants.len() > MAX_ALTERNATIVES {
                    return Err(RuleError::BadModifier {
                        field: field.to_owned(),
                        reason: format!(
                            "placeholders expand to more than {MAX_ALTERNATIVES} alternatives"
                        ),
                    });
                }
            }
            other => {
                for v in &mut variants {
                    v.push(other.clone());
                }
            }
        }
    }
    Ok(variants)
}

#[cfg(test)]
#[path = "modifiers_tests.rs"]
mod tests;
