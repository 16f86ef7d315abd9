//! Version ranges as advisories write them, and whether a version is inside.
//!
//! CSAF 2.0 asks for `product_version_range` in the `vers` syntax of the
//! purl specification (`vers:generic/>=1.2|<1.5`); CISA writes that for some
//! products (`vers:all/<V3.1.4`, `vers:all/*`) and free forms for the rest.
//! What CISA's OT advisories of 2024 hold, and how each is read:
//!
//! | written                                   | read as                              |
//! |-------------------------------------------|--------------------------------------|
//! | `vers:all/*`, `All versions`, `*`          | every version                        |
//! | `vers:all/>=V11.5.1\|<V11.6.2`            | the `vers` constraints               |
//! | `<V4.3.10`, `<=3.3.23.6.9`, `>=4.00A`     | one constraint                       |
//! | `>=R9.01\|<=R10.04`, `>=V2.8<V3.1.1`      | constraints, with or without `\|`    |
//! | `12.0\|13.0\|14.0`, `v3.00.2`             | exact versions                       |
//! | `<4.5.x`, `>=v2.001.x`                    | `x` as a wildcard for a release line |
//! | `<V18_Update_2`, `<V3.2_SP1`              | the update is part of the version    |
//! | `<v36.011_v35.013_v34.014`                | one fix per release line             |
//! | `9.90 SP10 and prior`, `2.0 and later`    | `<=`, `>=`                           |
//! | `<V9.62_installed_on_CP150_devices`       | a constraint and a *condition*       |
//! | `All versions with Fortinet NGFW`         | every version, with a condition      |
//! | `<May_1_2024`, `<=The_first_5_digits_…`   | unreadable: the match is uncertain   |
//!
//! Constraints are evaluated as the `vers` specification says: a version
//! equal to an `=` constraint is inside, equal to a `!=` one outside; the
//! others, sorted by version, are read pairwise (`>=a` then `<b` is the
//! interval between; a leading `<`/`<=` and a trailing `>`/`>=` are open
//! ends). A range whose versions cannot be compared with the device's (see
//! [`Version::compare`]) answers [`Containment::Unknown`], never a guess.

use std::cmp::Ordering;
use std::fmt;

use crate::version::{Part, Version};

/// A comparison in a constraint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// `=` (or no operator).
    Eq,
    /// `!=`.
    Ne,
    /// `<`.
    Lt,
    /// `<=`.
    Le,
    /// `>`.
    Gt,
    /// `>=`.
    Ge,
}

/// One comparison with a version.
#[derive(Debug, Clone)]
pub struct Constraint {
    /// The comparison.
    pub op: Op,
    /// The version compared with; may end in a wildcard (`4.5.x`).
    pub version: Version,
}

/// What a range says, once read.
#[derive(Debug, Clone)]
pub enum RangeKind {
    /// Every version.
    All,
    /// `vers`-style constraints.
    Constraints(Vec<Constraint>),
    /// One bound per release line (`<v36.011 v35.013 v34.014`): a version is
    /// compared with the bound of its own line (same first number); lines
    /// older than all listed are inside, newer ones outside.
    PerLine {
        /// `<` or `<=`.
        op: Op,
        /// The bounds, one per line.
        bounds: Vec<Version>,
    },
    /// Text that is not a range Vigil can read.
    Unreadable,
}

/// A version range from an advisory.
#[derive(Debug, Clone)]
pub struct Range {
    raw: String,
    kind: RangeKind,
    condition: Option<String>,
}

/// Whether a version is inside a range.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Containment {
    /// Inside.
    Inside,
    /// Outside.
    Outside,
    /// The range is unreadable or its versions do not compare with this one.
    Unknown,
}

/// Words that continue a version rather than start a condition
/// (`V18 Update 2`, `3.2 SP1`, `2023.3 Build 9342`, `3.8.0 Feature Pack 1`).
const VERSION_WORDS: &[&str] = &[
    "update", "upd", "sp", "hf", "hotfix", "patch", "build", "sr", "tcu", "cu", "feature", "pack",
    "fp", "release", "rev", "r", "u", "p", "service",
];

/// Words naming what follows (`SW 4.1.1.10`, `Firmware 20.011`).
const LABELS: &[&str] = &["sw", "fw", "firmware", "software", "version", "ver"];

fn is_op_char(c: char) -> bool {
    matches!(c, '<' | '>' | '!' | '=')
}

fn is_delimiter(c: char) -> bool {
    c == ' ' || c == '|' || c == ',' || is_op_char(c)
}

/// `v35.013`: a word that is a whole version of its own, with a `v`.
fn is_v_version(word: &str) -> bool {
    let mut chars = word.chars();
    matches!(chars.next(), Some('v' | 'V'))
        && chars.next().is_some_and(|c| c.is_ascii_digit())
        && word.contains('.')
}

impl Range {
    /// Reads a range; never fails: what cannot be read is
    /// [`RangeKind::Unreadable`].
    pub fn parse(text: &str) -> Self {
        let raw = text.trim().to_owned();
        // CISA writes blanks as `_`; parentheses only group words
        // (`1.4.0_(Build_6221)`).
        let mut s = raw.replace(['_', '(', ')'], " ");
        if s.to_ascii_lowercase().starts_with("vers:") {
            s = s
                .split_once('/')
                .map(|(_, r)| r.to_owned())
                .unwrap_or_default();
        }
        let s = s.split_whitespace().collect::<Vec<_>>().join(" ");
        let (kind, condition) = read(&s);
        Self {
            raw,
            kind,
            condition,
        }
    }

    /// An exact version (a `product_version` branch) as a range.
    pub fn exact(text: &str) -> Self {
        let parsed = Self::parse(text);
        match parsed.kind {
            RangeKind::Constraints(_) | RangeKind::All | RangeKind::Unreadable => parsed,
            RangeKind::PerLine { .. } => Self {
                kind: RangeKind::Unreadable,
                ..parsed
            },
        }
    }

    /// The text as the advisory wrote it.
    pub fn as_str(&self) -> &str {
        &self.raw
    }

    /// What the range says.
    pub fn kind(&self) -> &RangeKind {
        &self.kind
    }

    /// A condition written after the range (`installed on CP150 devices`,
    /// `only if the basic authentication mechanism is used`): the device is
    /// affected only if it holds, which Vigil cannot check.
    pub fn condition(&self) -> Option<&str> {
        self.condition.as_deref()
    }

    /// Whether `version` is inside.
    pub fn contains(&self, version: &Version) -> Containment {
        match &self.kind {
            RangeKind::All => Containment::Inside,
            RangeKind::Unreadable => Containment::Unknown,
            RangeKind::Constraints(constraints) => evaluate(constraints, version),
            RangeKind::PerLine { op, bounds } => per_line(*op, bounds, version),
        }
    }
}

impl fmt::Display for Range {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.raw)
    }
}

/// Reads the normalised text (underscores as spaces, `vers:` scheme gone).
fn read(s: &str) -> (RangeKind, Option<String>) {
    let lower = s.to_ascii_lowercase();
    for prefix in ["*", "all versions", "all"] {
        let Some(rest) = lower.strip_prefix(prefix) else {
            continue;
        };
        if prefix != "*" && !(rest.is_empty() || rest.starts_with(' ')) {
            continue;
        }
        let rest = s[prefix.len()..].trim();
        if rest.is_empty() {
            return (RangeKind::All, None);
        }
        if rest.starts_with(is_op_char) {
            return constraints(rest);
        }
        return (RangeKind::All, Some(rest.to_owned()));
    }
    for (prefix, op) in [("prior to ", Op::Lt), ("before ", Op::Lt)] {
        if lower.starts_with(prefix) {
            let (kind, condition) = constraints(&s[prefix.len()..]);
            return (with_op(kind, op), condition);
        }
    }
    if lower.starts_with("versions ") {
        return constraints(&s["versions ".len()..]);
    }
    constraints(s)
}

/// `prior to X`: the constraint read without an operator gets `op`.
fn with_op(kind: RangeKind, op: Op) -> RangeKind {
    match kind {
        RangeKind::Constraints(mut cs) if cs.len() == 1 && cs[0].op == Op::Eq => {
            cs[0].op = op;
            RangeKind::Constraints(cs)
        }
        _ => RangeKind::Unreadable,
    }
}

fn read_op(s: &str) -> (Op, &str) {
    for (text, op) in [
        ("<=", Op::Le),
        (">=", Op::Ge),
        ("!=", Op::Ne),
        ("<", Op::Lt),
        (">", Op::Gt),
        ("=", Op::Eq),
    ] {
        if let Some(rest) = s.strip_prefix(text) {
            return (op, rest);
        }
    }
    (Op::Eq, s)
}

/// The next word (up to a space, `|`, `,` or an operator) and what follows.
fn next_word(s: &str) -> (&str, &str) {
    let end = s.find(is_delimiter).unwrap_or(s.len());
    s.split_at(end)
}

fn constraints(s: &str) -> (RangeKind, Option<String>) {
    let mut out = Vec::new();
    let mut lines: Vec<Version> = Vec::new();
    let mut condition = None;
    let mut rest = s;
    loop {
        rest = rest.trim_start_matches([' ', '|', ',']);
        if rest.is_empty() {
            break;
        }
        let (mut op, after) = read_op(rest);
        let (mut first, mut after) = next_word(after.trim_start());
        // `SW_4.1.1.10`, `FW_1.2.10.9`, `Firmware__20.011`: a label first.
        if LABELS.contains(&first.to_ascii_lowercase().as_str()) {
            (first, after) = next_word(after.trim_start_matches(' '));
        }
        if !first.chars().any(|c| c.is_ascii_digit()) {
            return (RangeKind::Unreadable, None);
        }
        let mut words = vec![first];
        rest = after;
        loop {
            let ahead = rest.trim_start_matches(' ');
            if ahead.is_empty() || ahead.starts_with(['|', ',']) || ahead.starts_with(is_op_char) {
                rest = ahead;
                break;
            }
            let (word, after) = next_word(ahead);
            let lower = word.to_ascii_lowercase();
            if is_v_version(word) && is_v_version(first) {
                let Some(v) = Version::parse(word) else {
                    return (RangeKind::Unreadable, None);
                };
                lines.push(v);
                rest = after;
            } else if lower.chars().any(|c| c.is_ascii_digit())
                || VERSION_WORDS.contains(&lower.as_str())
            {
                words.push(word);
                rest = after;
            } else if let Some(new_op) = and_prior(ahead) {
                op = if op == Op::Eq { new_op.0 } else { op };
                rest = new_op.1;
            } else {
                condition = Some(ahead.to_owned());
                rest = "";
                break;
            }
        }
        let Some(version) = Version::parse(&words.join(" ")) else {
            return (RangeKind::Unreadable, None);
        };
        if !lines.is_empty() {
            if !out.is_empty() || !matches!(op, Op::Lt | Op::Le) {
                return (RangeKind::Unreadable, None);
            }
            lines.insert(0, version);
            return (RangeKind::PerLine { op, bounds: lines }, condition);
        }
        out.push(Constraint { op, version });
    }
    if out.is_empty() {
        return (RangeKind::Unreadable, None);
    }
    (RangeKind::Constraints(out), condition)
}

/// `and prior`, `or earlier`, `and later`, … after a version.
fn and_prior(s: &str) -> Option<(Op, &str)> {
    let lower = s.to_ascii_lowercase();
    for joint in ["and ", "or "] {
        let Some(rest) = lower.strip_prefix(joint) else {
            continue;
        };
        for (word, op) in [
            ("prior", Op::Le),
            ("earlier", Op::Le),
            ("older", Op::Le),
            ("below", Op::Le),
            ("later", Op::Ge),
            ("newer", Op::Ge),
            ("above", Op::Ge),
        ] {
            if rest.starts_with(word) && rest[word.len()..].chars().next().is_none_or(|c| c == ' ')
            {
                let consumed = joint.len() + word.len();
                return Some((op, &s[consumed..]));
            }
        }
    }
    None
}

/// `version` against one constraint, `None` when they do not compare.
fn satisfies(version: &Version, c: &Constraint) -> Option<bool> {
    let base = c.version.without_wildcard();
    let order = version.compare(&base)?;
    let in_line = c.version.ends_in_wildcard() && version.starts_with(&base);
    Some(match c.op {
        Op::Eq => in_line || order == Ordering::Equal,
        Op::Ne => !(in_line || order == Ordering::Equal),
        Op::Lt => order == Ordering::Less && !in_line,
        Op::Le => order != Ordering::Greater || in_line,
        Op::Gt => order == Ordering::Greater && !in_line,
        Op::Ge => order != Ordering::Less,
    })
}

fn evaluate(constraints: &[Constraint], version: &Version) -> Containment {
    let mut unknown = false;
    for c in constraints
        .iter()
        .filter(|c| matches!(c.op, Op::Eq | Op::Ne))
    {
        match satisfies(version, c) {
            Some(true) if c.op == Op::Eq => return Containment::Inside,
            Some(false) if c.op == Op::Ne => return Containment::Outside,
            None => unknown = true,
            _ => {}
        }
    }
    let mut bounds: Vec<&Constraint> = constraints
        .iter()
        .filter(|c| !matches!(c.op, Op::Eq | Op::Ne))
        .collect();
    // Sorting needs the bounds to compare among themselves.
    for pair in bounds.windows(2) {
        if pair[0]
            .version
            .without_wildcard()
            .compare(&pair[1].version.without_wildcard())
            .is_none()
        {
            return Containment::Unknown;
        }
    }
    bounds.sort_by(|a, b| {
        a.version
            .without_wildcard()
            .compare(&b.version.without_wildcard())
            .unwrap_or(Ordering::Equal)
    });
    let last = bounds.len().saturating_sub(1);
    for (i, current) in bounds.iter().enumerate() {
        let Some(here) = satisfies(version, current) else {
            unknown = true;
            continue;
        };
        let below = matches!(current.op, Op::Lt | Op::Le);
        if i == 0 && below && here {
            return Containment::Inside;
        }
        if i == last && !below && here {
            return Containment::Inside;
        }
        if !below
            && here
            && let Some(next) = bounds.get(i + 1)
            && matches!(next.op, Op::Lt | Op::Le)
        {
            match satisfies(version, next) {
                Some(true) => return Containment::Inside,
                Some(false) => {}
                None => unknown = true,
            }
        }
    }
    if unknown {
        Containment::Unknown
    } else {
        Containment::Outside
    }
}

fn per_line(op: Op, bounds: &[Version], version: &Version) -> Containment {
    let line = |v: &Version| match v.parts().first() {
        Some(Part::Number(n)) => Some(n.clone()),
        _ => None,
    };
    let Some(own) = line(version) else {
        return Containment::Unknown;
    };
    let mut older_than_all = true;
    for bound in bounds {
        let Some(theirs) = line(bound) else {
            return Containment::Unknown;
        };
        if theirs == own {
            let c = Constraint {
                op,
                version: bound.clone(),
            };
            return match satisfies(version, &c) {
                Some(true) => Containment::Inside,
                Some(false) => Containment::Outside,
                None => Containment::Unknown,
            };
        }
        if (theirs.len(), &theirs) < (own.len(), &own) {
            older_than_all = false;
        }
    }
    if older_than_all {
        Containment::Inside
    } else {
        Containment::Outside
    }
}

#[cfg(test)]
mod tests;
