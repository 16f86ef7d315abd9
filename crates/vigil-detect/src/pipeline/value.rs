//! Values as pySigma's transformations see them, and the value
//! transformations: `replace_string`, `map_string`, `case`, `set_value`,
//! `convert_type`, `value_placeholders`, `wildcard_placeholders` and
//! `regex`.
//!
//! pySigma applies the string modifiers when it reads a rule, so its value
//! transformations see `Image|endswith: '\cmd.exe'` as the string
//! `*\cmd.exe`, and a value under `re`, `cidr`, `windash`, `base64offset`,
//! a comparison or `fieldref` as something other than a string, which the
//! string transformations leave alone. Vigil applies modifiers when it
//! compiles, after the pipelines, so [`view`] puts the wildcards in the way
//! pySigma would, and [`write_back`] writes a changed item back as plain
//! Sigma strings (wildcards written out, `contains`/`startswith`/`endswith`
//! dropped) so that the compiled rule matches what pySigma converts.

use std::collections::BTreeMap;

use regex::Regex;

use crate::sigma::ast::{Modifier, Number, RawValue, SearchItem};
use crate::sigma::pattern::{Part, SigmaString};

/// Placeholder value lists by name, without the `%`s (the configuration's
/// `placeholders` and the pipelines' `vars`).
pub(crate) type Placeholders = BTreeMap<String, Vec<String>>;

/// Most values one value may become when placeholders are filled.
const MAX_EXPANSION: usize = 4096;

/// One value of a detection item, typed as pySigma types it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum SigmaValue {
    /// A string with wildcards (and placeholders under `expand`).
    Str(SigmaString),
    /// A number.
    Num(Number),
    /// A boolean.
    Bool(bool),
    /// `null`.
    Null,
    /// A regular expression a transformation (`regex`) made of a string,
    /// written back as an `re` item.
    Regex {
        /// The pattern.
        pattern: String,
        /// Whether it carries the case-insensitive flag (`re|i`).
        ignore_case: bool,
    },
    /// A regular expression, network, comparison, field reference, …:
    /// not a value the string transformations or conditions look at.
    Special,
}

/// What the modifiers make of an item's values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ItemKind {
    /// Strings (with `contains`/`startswith`/`endswith` wildcards),
    /// numbers, booleans and nulls.
    Plain,
    /// `base64` (without `offset`): pySigma would transform the encoded
    /// text, which Vigil only computes when it compiles.
    Encoded,
    /// Another kind of value, made by this modifier.
    Special(Modifier),
}

/// The kind of `item`'s values.
pub(crate) fn kind(item: &SearchItem) -> ItemKind {
    let mut encoded = false;
    for &m in &item.modifiers {
        match m {
            Modifier::Contains
            | Modifier::StartsWith
            | Modifier::EndsWith
            | Modifier::All
            | Modifier::Cased
            | Modifier::Expand
            | Modifier::Neq
            | Modifier::Utf16
            | Modifier::Utf16Le
            | Modifier::Utf16Be => {}
            Modifier::Base64 => encoded = true,
            other => return ItemKind::Special(other),
        }
    }
    if encoded {
        ItemKind::Encoded
    } else if item
        .modifiers
        .iter()
        .any(|m| matches!(m, Modifier::Utf16 | Modifier::Utf16Le | Modifier::Utf16Be))
    {
        ItemKind::Special(Modifier::Utf16Le)
    } else {
        ItemKind::Plain
    }
}

const POSITIONAL: [Modifier; 3] = [Modifier::Contains, Modifier::StartsWith, Modifier::EndsWith];

/// `item`'s values as pySigma's transformations see them.
pub(crate) fn view(item: &SearchItem) -> Vec<SigmaValue> {
    if kind(item) != ItemKind::Plain {
        return vec![SigmaValue::Special; item.values.len()];
    }
    let expand = item.modifiers.contains(&Modifier::Expand);
    let positioned = item.modifiers.iter().any(|m| POSITIONAL.contains(m));
    item.values
        .iter()
        .map(|raw| {
            let text = match raw {
                RawValue::Str(s) => SigmaString::parse(s, expand),
                RawValue::Number(n) if positioned => SigmaString::literal(&n.text()),
                RawValue::Bool(b) if positioned => SigmaString::literal(&b.to_string()),
                RawValue::Number(n) => return SigmaValue::Num(*n),
                RawValue::Bool(b) => return SigmaValue::Bool(*b),
                RawValue::Null => return SigmaValue::Null,
            };
            let mut text = text;
            for m in &item.modifiers {
                match m {
                    Modifier::Contains => {
                        text.prepend_any_run();
                        text.append_any_run();
                    }
                    Modifier::StartsWith => text.append_any_run(),
                    Modifier::EndsWith => text.prepend_any_run(),
                    _ => {}
                }
            }
            SigmaValue::Str(text)
        })
        .collect()
}

/// Writes transformed `values` into `item` when they differ from what it
/// held: strings with their wildcards written out, so the positional
/// modifiers go; `expand` stays only while placeholders are left.
/// `keep_only_links` (for `set_value`) drops every modifier but `all` and
/// `neq`, as the fixed value replaces whatever the modifiers made.
pub(crate) fn write_back(item: &mut SearchItem, values: Vec<SigmaValue>, keep_only_links: bool) {
    if !keep_only_links && values == view(item) {
        return;
    }
    if let Some(SigmaValue::Regex { ignore_case, .. }) = values.first() {
        // The caller writes the expressions and other values apart.
        let flag = *ignore_case;
        item.modifiers
            .retain(|m| matches!(m, Modifier::All | Modifier::Neq));
        item.modifiers.insert(0, Modifier::Re);
        if flag {
            item.modifiers.insert(1, Modifier::ReIgnoreCase);
        }
    } else if keep_only_links {
        item.modifiers
            .retain(|m| matches!(m, Modifier::All | Modifier::Neq));
    } else {
        item.modifiers.retain(|m| !POSITIONAL.contains(m));
    }
    let placeholders_left = values
        .iter()
        .any(|v| matches!(v, SigmaValue::Str(s) if s.has_placeholder()));
    if !placeholders_left {
        item.modifiers.retain(|m| *m != Modifier::Expand);
    }
    let expand = item.modifiers.contains(&Modifier::Expand);
    item.list = item.list || values.len() != 1;
    item.values = values
        .into_iter()
        .map(|v| match v {
            SigmaValue::Str(s) => RawValue::Str(render(&s, expand)),
            SigmaValue::Num(n) => RawValue::Number(n),
            SigmaValue::Bool(b) => RawValue::Bool(b),
            SigmaValue::Regex { pattern, .. } => RawValue::Str(pattern),
            // `Special` values are never produced by a transformation.
            SigmaValue::Null | SigmaValue::Special => RawValue::Null,
        })
        .collect();
}

/// A Sigma string as rule text that Vigil reads back as the same string:
/// `*`, `?` (and `%` under `expand`) escaped when literal, a backslash
/// doubled only where it would otherwise escape what follows.
pub(crate) fn render(s: &SigmaString, expand: bool) -> String {
    // (character, whether it is literal text)
    let mut chars: Vec<(char, bool)> = Vec::new();
    for part in s.parts() {
        match part {
            Part::Lit(text) => chars.extend(text.chars().map(|c| (c, true))),
            Part::AnyRun => chars.push(('*', false)),
            Part::AnyChar => chars.push(('?', false)),
            Part::Placeholder(name) => {
                chars.push(('%', false));
                chars.extend(name.chars().map(|c| (c, false)));
                chars.push(('%', false));
            }
        }
    }
    let first_emitted = |i: usize| -> Option<char> {
        chars.get(i).map(|&(c, literal)| match (c, literal) {
            ('*' | '?', true) => '\\',
            ('%', true) if expand => '\\',
            (c, _) => c,
        })
    };
    let mut out = String::with_capacity(chars.len() + 2);
    for (i, &(c, literal)) in chars.iter().enumerate() {
        if !literal {
            out.push(c);
            continue;
        }
        match c {
            '*' | '?' => {
                out.push('\\');
                out.push(c);
            }
            '%' if expand => out.push_str("\\%"),
            '\\' => {
                let next = first_emitted(i + 1);
                let escapes =
                    matches!(next, Some('*' | '?' | '\\')) || (expand && next == Some('%'));
                out.push_str(if escapes { "\\\\" } else { "\\" });
            }
            c => out.push(c),
        }
    }
    out
}

/// pySigma's plain text of a string (`str(SigmaString)`): wildcards as `*`
/// and `?`, literal `*` and `?` escaped, placeholders as `%name%`.
pub(crate) fn plain(s: &SigmaString) -> String {
    let mut out = String::new();
    for part in s.parts() {
        match part {
            Part::Lit(text) => {
                for c in text.chars() {
                    if matches!(c, '*' | '?') {
                        out.push('\\');
                    }
                    out.push(c);
                }
            }
            Part::AnyRun => out.push('*'),
            Part::AnyChar => out.push('?'),
            Part::Placeholder(name) => {
                out.push('%');
                out.push_str(name);
                out.push('%');
            }
        }
    }
    out
}

/// Reads text back as pySigma's `replace_string` does: it doubles every
/// backslash not before `*` or `?` and parses the result, so `\*` and `\?`
/// are literal, any other backslash is itself, and `*`, `?` are wildcards.
fn reparse_replaced(text: &str, placeholders: bool) -> SigmaString {
    let mut parts = Vec::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.peek().copied() {
                Some(next @ ('*' | '?')) => {
                    chars.next();
                    parts.push(Part::Lit(next.to_string()));
                }
                _ => parts.push(Part::Lit("\\".into())),
            },
            '*' => parts.push(Part::AnyRun),
            '?' => parts.push(Part::AnyChar),
            c => parts.push(Part::Lit(c.to_string())),
        }
    }
    let s = SigmaString::from_parts(parts);
    if placeholders {
        insert_placeholders(&s)
    } else {
        s
    }
}

/// `%name%` in the literal text of `s` as placeholders (pySigma's
/// `insert_placeholders`).
fn insert_placeholders(s: &SigmaString) -> SigmaString {
    let mut parts = Vec::new();
    for part in s.parts() {
        match part {
            Part::Lit(text) => {
                parts.extend(SigmaString::parse(&escape_wildcards(text), true).into_parts())
            }
            other => parts.push(other.clone()),
        }
    }
    SigmaString::from_parts(parts)
}

/// Literal text as rule text without wildcards (for re-reading it).
fn escape_wildcards(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '*' | '?' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// `case`'s methods (also `field_name_transform`'s `transform_func`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CaseMethod {
    /// `lower`.
    Lower,
    /// `upper`.
    Upper,
    /// `snake_case`: `_` before every ASCII capital but a leading one,
    /// then lower case.
    Snake,
}

impl CaseMethod {
    /// Parses a method name.
    pub(crate) fn parse(name: &str) -> Option<Self> {
        match name {
            "lower" => Some(Self::Lower),
            "upper" => Some(Self::Upper),
            "snake_case" => Some(Self::Snake),
            _ => None,
        }
    }

    /// Applies the method to a text.
    pub(crate) fn apply(self, text: &str) -> String {
        match self {
            Self::Lower => text.to_lowercase(),
            Self::Upper => text.to_uppercase(),
            Self::Snake => {
                let mut out = String::with_capacity(text.len() + 4);
                for (i, c) in text.chars().enumerate() {
                    if i > 0 && c.is_ascii_uppercase() {
                        out.push('_');
                    }
                    out.extend(c.to_lowercase());
                }
                out
            }
        }
    }
}

/// `convert_type`'s target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TargetType {
    /// `str`.
    Str,
    /// `num`.
    Num,
}

/// Which placeholders a placeholder transformation handles (`include` or
/// `exclude`; neither: all).
#[derive(Debug, Clone, Default)]
pub(crate) struct PlaceholderFilter {
    /// Only these.
    pub include: Option<Vec<String>>,
    /// All but these.
    pub exclude: Option<Vec<String>>,
}

impl PlaceholderFilter {
    fn handles(&self, name: &str) -> bool {
        match (&self.include, &self.exclude) {
            (Some(include), _) => include.iter().any(|n| n == name),
            (None, Some(exclude)) => !exclude.iter().any(|n| n == name),
            (None, None) => true,
        }
    }
}

/// A value transformation (pySigma's names).
#[derive(Debug, Clone)]
pub(crate) enum ValueTransformation {
    /// `replace_string`: `regex` replaced by `replacement` (already in the
    /// `regex` crate's template syntax).
    ReplaceString {
        /// The pattern.
        regex: Regex,
        /// The replacement, `$1`-style.
        replacement: String,
        /// Only the literal parts, leaving wildcards and placeholders.
        skip_special: bool,
        /// With `skip_special`, whether `*`/`?` in the result are wildcards.
        interpret_special: bool,
    },
    /// `map_string`: a whole string to one or several.
    MapString(BTreeMap<String, Vec<String>>),
    /// `case`.
    Case(CaseMethod),
    /// `set_value`: every value becomes this one.
    SetValue(SigmaValue),
    /// `convert_type`.
    ConvertType(TargetType),
    /// `value_placeholders`: placeholders filled from the value lists.
    ValuePlaceholders(PlaceholderFilter),
    /// `wildcard_placeholders`: placeholders become `*`.
    WildcardPlaceholders(PlaceholderFilter),
    /// `regex`: strings become regular expressions.
    Regex(RegexMethod),
}

/// How `regex` makes a string's letters match in either case (pySigma's
/// `method`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RegexMethod {
    /// `plain`: as written, so the expression matches case-sensitively.
    Plain,
    /// `ignore_case_flag`: with the case-insensitive flag (`re|i`).
    IgnoreCaseFlag,
    /// `ignore_case_brackets` (the default): each letter as a class of its
    /// two cases (`[cC]`).
    IgnoreCaseBrackets,
}

impl RegexMethod {
    /// Parses pySigma's method name.
    pub(crate) fn parse(name: &str) -> Option<Self> {
        match name {
            "plain" => Some(Self::Plain),
            "ignore_case_flag" => Some(Self::IgnoreCaseFlag),
            "ignore_case_brackets" => Some(Self::IgnoreCaseBrackets),
            _ => None,
        }
    }

    /// The regular expression `s` becomes, as pySigma's
    /// `RegexTransformation` writes it: literal text escaped (letters as
    /// `[xX]` with `ignore_case_brackets`), `*` as `.*`, `?` as `.`. The
    /// expression is not anchored, as pySigma's is not; Sigma's `re`
    /// searches the field, so an exact string becomes a search for it.
    fn pattern(self, s: &SigmaString) -> Result<String, String> {
        let mut out = String::new();
        for part in s.parts() {
            match part {
                Part::Lit(text) if self == Self::IgnoreCaseBrackets => {
                    for c in text.chars() {
                        if c.is_alphabetic() {
                            out.push('[');
                            out.extend(c.to_lowercase());
                            out.extend(c.to_uppercase());
                            out.push(']');
                        } else {
                            out.push_str(&regex::escape(c.encode_utf8(&mut [0; 4])));
                        }
                    }
                }
                Part::Lit(text) => out.push_str(&regex::escape(text)),
                Part::AnyRun => out.push_str(".*"),
                Part::AnyChar => out.push('.'),
                Part::Placeholder(name) => {
                    return Err(format!(
                        "placeholder `%{name}%` cannot be turned into a regular expression; fill it first (`value_placeholders`, `wildcard_placeholders`)"
                    ));
                }
            }
        }
        Ok(out)
    }
}

impl ValueTransformation {
    /// The pySigma name, for messages.
    pub(crate) fn name(&self) -> &'static str {
        match self {
            Self::ReplaceString { .. } => "replace_string",
            Self::MapString(_) => "map_string",
            Self::Case(_) => "case",
            Self::SetValue(_) => "set_value",
            Self::ConvertType(_) => "convert_type",
            Self::ValuePlaceholders(_) => "value_placeholders",
            Self::WildcardPlaceholders(_) => "wildcard_placeholders",
            Self::Regex(_) => "regex",
        }
    }

    /// Transforms the values of one item: `Ok(None)` when it leaves them
    /// all alone, else the new values (and whether only `all`/`neq`
    /// survive among the modifiers).
    pub(crate) fn apply(
        &self,
        item: &SearchItem,
        placeholders: &Placeholders,
    ) -> Result<Option<(Vec<SigmaValue>, bool)>, String> {
        let item_kind = kind(item);
        let set_value = matches!(self, Self::SetValue(_));
        match item_kind {
            ItemKind::Plain => {}
            _ if set_value => {}
            ItemKind::Encoded => {
                return Err(format!(
                    "`{}` on a `base64` value is not supported (pySigma would rewrite the encoded text)",
                    self.name()
                ));
            }
            ItemKind::Special(m) if matches!(self, Self::ConvertType(_)) => {
                return Err(format!(
                    "`convert_type` does not apply to a `{}` value",
                    m.as_str()
                ));
            }
            // Not strings to pySigma: left alone.
            ItemKind::Special(_) => return Ok(None),
        }
        let mut changed = false;
        let mut out = Vec::with_capacity(item.values.len());
        for value in view(item) {
            match self.apply_value(&value, placeholders)? {
                Some(new) => {
                    changed = true;
                    out.extend(new);
                }
                None => out.push(value),
            }
        }
        if changed
            && matches!(self, Self::Regex(_))
            && item
                .modifiers
                .iter()
                .any(|m| matches!(m, Modifier::All | Modifier::Neq))
            && out.iter().any(|v| !matches!(v, SigmaValue::Regex { .. }))
        {
            // pySigma leaves numbers, booleans, null and the empty string as
            // they are beside the expressions. One item of Vigil's holds one
            // kind of value; without `all` or `neq` the item becomes two
            // alternatives (see `transform.rs`), but under them the values
            // are not alternatives.
            return Err(
                "`regex` would leave a value that is not a non-empty string (a number, a boolean, null or '') beside the regular expressions it makes, under `all` or `neq`, which one detection item cannot hold; split the item".into(),
            );
        }
        Ok(changed.then_some((out, set_value)))
    }

    fn apply_value(
        &self,
        value: &SigmaValue,
        placeholders: &Placeholders,
    ) -> Result<Option<Vec<SigmaValue>>, String> {
        let one = |v: SigmaValue| Ok(Some(vec![v]));
        match (self, value) {
            (Self::SetValue(fixed), _) => one(fixed.clone()),
            (Self::ReplaceString { .. }, SigmaValue::Num(n)) => self.apply_value(
                &SigmaValue::Str(SigmaString::literal(&n.text())),
                placeholders,
            ),
            (
                Self::ReplaceString {
                    regex,
                    replacement,
                    skip_special,
                    interpret_special,
                },
                SigmaValue::Str(s),
            ) => {
                let replaced = if *skip_special {
                    SigmaString::from_parts(s.parts().iter().flat_map(|p| match p {
                        Part::Lit(text) => {
                            let r = regex.replace_all(text, replacement.as_str());
                            if *interpret_special {
                                SigmaString::parse(&r, false).into_parts()
                            } else {
                                vec![Part::Lit(r.into_owned())]
                            }
                        }
                        other => vec![other.clone()],
                    }))
                } else {
                    let text = plain(s);
                    match regex.replace_all(&text, replacement.as_str()) {
                        // Nothing matched: the string as it was (pySigma
                        // re-reads it, which turns a backslash before a
                        // wildcard into an escaped wildcard).
                        std::borrow::Cow::Borrowed(_) => s.clone(),
                        std::borrow::Cow::Owned(r) => reparse_replaced(&r, s.has_placeholder()),
                    }
                };
                one(SigmaValue::Str(replaced))
            }
            (Self::MapString(mapping), SigmaValue::Str(s)) => {
                Ok(mapping.get(&plain(s)).map(|to| {
                    to.iter()
                        .map(|t| SigmaValue::Str(SigmaString::parse(t, false)))
                        .collect()
                }))
            }
            (Self::Case(method), SigmaValue::Str(s)) => {
                one(SigmaValue::Str(s.map_literals(|l| method.apply(l))))
            }
            (Self::ConvertType(TargetType::Str), SigmaValue::Str(_)) => one(value.clone()),
            (Self::ConvertType(TargetType::Str), SigmaValue::Num(n)) => {
                one(SigmaValue::Str(SigmaString::literal(&n.text())))
            }
            (Self::ConvertType(TargetType::Str), SigmaValue::Bool(b)) => {
                one(SigmaValue::Str(SigmaString::literal(python_bool(*b))))
            }
            (Self::ConvertType(TargetType::Num), SigmaValue::Num(_)) => one(value.clone()),
            (Self::ConvertType(TargetType::Num), SigmaValue::Str(s)) => {
                let text = plain(s);
                one(SigmaValue::Num(number(&text).ok_or_else(|| {
                    format!("value `{text}` cannot be converted to a number")
                })?))
            }
            (Self::ConvertType(TargetType::Num), SigmaValue::Bool(b)) => Err(format!(
                "value `{}` cannot be converted to a number",
                python_bool(*b)
            )),
            // pySigma returns the empty string as it is.
            (Self::Regex(_), SigmaValue::Str(s)) if plain(s).is_empty() => Ok(None),
            (Self::Regex(method), SigmaValue::Str(s)) => one(SigmaValue::Regex {
                pattern: method.pattern(s)?,
                ignore_case: *method == RegexMethod::IgnoreCaseFlag,
            }),
            (Self::ValuePlaceholders(filter), SigmaValue::Str(s))
                if s.parts()
                    .iter()
                    .any(|p| matches!(p, Part::Placeholder(n) if filter.handles(n))) =>
            {
                Ok(Some(
                    fill(s, filter, placeholders)?
                        .into_iter()
                        .map(SigmaValue::Str)
                        .collect(),
                ))
            }
            (Self::WildcardPlaceholders(filter), SigmaValue::Str(s))
                if s.parts()
                    .iter()
                    .any(|p| matches!(p, Part::Placeholder(n) if filter.handles(n))) =>
            {
                one(SigmaValue::Str(SigmaString::from_parts(
                    s.parts().iter().map(|p| match p {
                        Part::Placeholder(n) if filter.handles(n) => Part::AnyRun,
                        other => other.clone(),
                    }),
                )))
            }
            _ => Ok(None),
        }
    }
}

/// Python's spelling of a boolean, as `str(True)` gives it.
fn python_bool(b: bool) -> &'static str {
    if b { "True" } else { "False" }
}

/// A number from text as pySigma's `SigmaNumber` reads it: an integer, else
/// a float.
pub(crate) fn number(text: &str) -> Option<Number> {
    if let Ok(i) = text.parse::<i128>() {
        return Some(Number::Int(i));
    }
    text.parse::<f64>()
        .ok()
        .filter(|f| f.is_finite())
        .map(Number::Float)
}

/// Every string `s` becomes with its handled placeholders filled, one
/// value from each placeholder's list at a time.
fn fill(
    s: &SigmaString,
    filter: &PlaceholderFilter,
    placeholders: &Placeholders,
) -> Result<Vec<SigmaString>, String> {
    let mut out: Vec<Vec<Part>> = vec![Vec::new()];
    for part in s.parts() {
        match part {
            Part::Placeholder(name) if filter.handles(name) => {
                let values = placeholders.get(name).ok_or_else(|| {
                    format!(
                        "placeholder `%{name}%` has no values: neither the pipelines' `vars` nor the configured placeholders name it"
                    )
                })?;
                if out.len().saturating_mul(values.len()) > MAX_EXPANSION {
                    return Err(format!(
                        "filling the placeholders makes more than {MAX_EXPANSION} values"
                    ));
                }
                let mut next = Vec::with_capacity(out.len() * values.len());
                for prefix in &out {
                    for v in values {
                        let mut extended = prefix.clone();
                        extended.extend(SigmaString::parse(v, false).into_parts());
                        next.push(extended);
                    }
                }
                out = next;
            }
            other => out.iter_mut().for_each(|p| p.push(other.clone())),
        }
    }
    Ok(out.into_iter().map(SigmaString::from_parts).collect())
}

/// Translates a Python `re.sub` replacement (`\1`, `\g<name>`, `\n`) into
/// the `regex` crate's template syntax (`${1}`, `${name}`, `$$` for `$`).
pub(crate) fn python_replacement(template: &str) -> Result<String, String> {
    let mut out = String::with_capacity(template.len() + 4);
    let mut chars = template.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '$' => out.push_str("$$"),
            '\\' => match chars.next() {
                None => return Err("the replacement ends with a lone backslash".into()),
                Some(d @ '1'..='9') => {
                    let mut group = d.to_string();
                    if let Some(&e @ '0'..='9') = chars.peek() {
                        group.push(e);
                        chars.next();
                    }
                    out.push_str(&format!("${{{group}}}"));
                }
                Some('g') => {
                    if chars.next() != Some('<') {
                        return Err("`\\g` must be followed by `<name>`".into());
                    }
                    let mut name = String::new();
                    loop {
                        match chars.next() {
                            Some('>') => break,
                            Some(ch) if ch.is_alphanumeric() || ch == '_' => name.push(ch),
                            _ => {
                                return Err(
                                    "`\\g<` must be followed by a group name and `>`".into()
                                );
                            }
                        }
                    }
                    if name.is_empty() {
                        return Err("`\\g<>` names no group".into());
                    }
                    out.push_str(&format!("${{{name}}}"));
                }
                Some('\\') => out.push('\\'),
                Some('n') => out.push('\n'),
                Some('t') => out.push('\t'),
                Some('r') => out.push('\r'),
                Some('f') => out.push('\u{c}'),
                Some('v') => out.push('\u{b}'),
                Some('a') => out.push('\u{7}'),
                Some('b') => out.push('\u{8}'),
                Some('0') => {
                    return Err("octal escapes (`\\0`) are not supported in the replacement".into());
                }
                Some(other) if other.is_ascii_alphabetic() => {
                    return Err(format!("bad escape `\\{other}` in the replacement"));
                }
                // Python leaves other escapes as they are.
                Some(other) => {
                    out.push('\\');
                    if other == '$' {
                        out.push('$');
                    }
                    out.push(other);
                }
            },
            c => out.push(c),
        }
    }
    Ok(out)
}

#[cfg(test)]
#[path = "value_tests.rs"]
mod tests;
