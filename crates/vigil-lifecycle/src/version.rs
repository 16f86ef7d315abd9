//! Firmware and software versions as vendors write them, and their order.
//!
//! Vendors do not follow one scheme: `V4.3.10`, `v.32.011`, `R520.2_TCU4_HF2`,
//! `3.00.2 CU02`, `V18 Update 2`, `1.04E`, `2023_R2_P01`, `MX-V4.0.1.15`. A
//! [`Version`] splits such a text into a run of numbers and words (a change
//! between digits and letters splits too, so `1.04E` is `1`, `4`, `e`) and
//! compares them part by part:
//!
//! - numbers compare as numbers (`4.10` after `4.9`; leading zeros do not
//!   count, so `V05.30` is `5.30`);
//! - a missing part counts as `0` (`1.0` equals `1.0.0`);
//! - pre-release words (`alpha`, `beta`, `rc`, `pre`, `preview`, `dev`,
//!   `snapshot`) come before the release (`1.0-rc1` before `1.0`);
//! - any other word — a service pack, update, hotfix, patch, build or a
//!   revision letter — comes after the release it qualifies and before its
//!   next number (`3.2` < `3.2 SP1` < `3.2.1`);
//! - a leading `v`, `ver`, `version`, `r`, `rev`, `firmware`, `fw`, `sw` or
//!   `software` before a digit is a label, not part of the version.
//!
//! Two versions are only compared when they start alike: both with a
//! number, or with the same word (`MP4` and `MP8 SR4`; not `MP4` and `IP8`,
//! which are different product lines). Otherwise [`Version::compare`] says
//! `None`, and a range check says it cannot tell rather than guess.

use std::cmp::Ordering;
use std::fmt;

/// One part of a version: a number (its digits, leading zeros removed, so
/// that any length compares correctly) or a lower-case word.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Part {
    /// A run of digits, without leading zeros (`"0"` for zero).
    Number(String),
    /// A run of letters, lower-cased.
    Word(String),
}

/// Words that mark a version before its release.
const PRE_RELEASE: &[&str] = &["alpha", "beta", "rc", "pre", "preview", "dev", "snapshot"];

/// Labels written before a version, dropped when a digit follows.
const LABELS: &[&str] = &[
    "version", "ver", "v", "rev", "r", "firmware", "fw", "software", "sw",
];

/// A version as a vendor wrote it, split into comparable parts.
#[derive(Debug, Clone)]
pub struct Version {
    raw: String,
    parts: Vec<Part>,
}

impl Version {
    /// Reads a version. `None` when the text holds no letter or digit, or a
    /// character no version scheme uses (`/`, `:`, `(`, …): `8/30/2024` is a
    /// date and `serial No. "26061"` a sentence, and comparing either as a
    /// version would give confident nonsense.
    pub fn parse(text: &str) -> Option<Self> {
        let raw = text.trim().trim_matches('"').trim();
        if raw
            .chars()
            .any(|c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | '+' | ' ')))
        {
            return None;
        }
        let mut parts = split(raw);
        strip_labels(&mut parts);
        if parts.is_empty() {
            return None;
        }
        Some(Self {
            raw: raw.to_owned(),
            parts,
        })
    }

    /// The text as given (trimmed).
    pub fn as_str(&self) -> &str {
        &self.raw
    }

    /// The parts, labels removed.
    pub fn parts(&self) -> &[Part] {
        &self.parts
    }

    /// Whether the version ends in a wildcard part, an `x` after at least
    /// one other part (`4.5.x`, `R15x`).
    pub fn ends_in_wildcard(&self) -> bool {
        matches!(self.parts.last(), Some(Part::Word(w)) if w == "x") && self.parts.len() > 1
    }

    /// The version without a trailing wildcard part (`4.5.x` → `4.5`).
    pub fn without_wildcard(&self) -> Version {
        let mut parts = self.parts.clone();
        if self.ends_in_wildcard() {
            parts.pop();
        }
        Version {
            raw: self.raw.clone(),
            parts,
        }
    }

    /// Whether `self` starts with all of `prefix`'s parts (`7.6.3` starts
    /// with `7.6`), for wildcards: `7.6.x` names every `7.6` version.
    pub fn starts_with(&self, prefix: &Version) -> bool {
        prefix.parts.len() <= self.parts.len()
            && prefix
                .parts
                .iter()
                .zip(&self.parts)
                .all(|(a, b)| compare_parts(Some(a), Some(b)) == Ordering::Equal)
    }

    /// The order of two versions, or `None` when they do not start alike
    /// (see the module documentation).
    pub fn compare(&self, other: &Version) -> Option<Ordering> {
        match (self.parts.first(), other.parts.first()) {
            (Some(Part::Number(_)), Some(Part::Number(_))) => {}
            (Some(Part::Word(a)), Some(Part::Word(b))) if a == b => {}
            _ => return None,
        }
        let len = self.parts.len().max(other.parts.len());
        for i in 0..len {
            let order = compare_parts(self.parts.get(i), other.parts.get(i));
            if order != Ordering::Equal {
                return Some(order);
            }
        }
        Some(Ordering::Equal)
    }
}

impl PartialEq for Version {
    fn eq(&self, other: &Self) -> bool {
        self.compare(other) == Some(Ordering::Equal)
    }
}

impl PartialOrd for Version {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        self.compare(other)
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.raw)
    }
}

/// Splits on anything that is not a letter or digit, and between digits and
/// letters.
fn split(text: &str) -> Vec<Part> {
    let mut parts = Vec::new();
    let mut current = String::new();
    let mut digits = false;
    let flush = |current: &mut String, digits: bool, parts: &mut Vec<Part>| {
        if current.is_empty() {
            return;
        }
        let part = if digits {
            let trimmed = current.trim_start_matches('0');
            Part::Number(if trimmed.is_empty() { "0" } else { trimmed }.to_owned())
        } else {
            Part::Word(current.to_ascii_lowercase())
        };
        parts.push(part);
        current.clear();
    };
    for c in text.chars() {
        if c.is_ascii_digit() || c.is_ascii_alphabetic() {
            let is_digit = c.is_ascii_digit();
            if !current.is_empty() && is_digit != digits {
                flush(&mut current, digits, &mut parts);
            }
            digits = is_digit;
            current.push(c);
        } else {
            flush(&mut current, digits, &mut parts);
        }
    }
    flush(&mut current, digits, &mut parts);
    parts
}

/// Drops leading labels (`Firmware V20.011` → `20.011`) when a number
/// follows them; at most two, so that a version that is all words stays.
fn strip_labels(parts: &mut Vec<Part>) {
    for _ in 0..2 {
        let is_label = matches!(parts.first(), Some(Part::Word(w)) if LABELS.contains(&w.as_str()));
        let then_number = parts
            .iter()
            .skip(1)
            .find(|p| !matches!(p, Part::Word(w) if LABELS.contains(&w.as_str())))
            .is_some_and(|p| matches!(p, Part::Number(_)));
        if is_label && then_number {
            parts.remove(0);
        } else {
            break;
        }
    }
}

/// A part's place in the order at one position: pre-release words, then
/// zero (and a missing part), then other words, then numbers from one up.
fn tier(part: Option<&Part>) -> u8 {
    match part {
        Some(Part::Word(w)) if PRE_RELEASE.contains(&w.as_str()) => 0,
        None => 1,
        Some(Part::Number(n)) if n == "0" => 1,
        Some(Part::Word(_)) => 2,
        Some(Part::Number(_)) => 3,
    }
}

fn compare_parts(a: Option<&Part>, b: Option<&Part>) -> Ordering {
    let (ta, tb) = (tier(a), tier(b));
    if ta != tb {
        return ta.cmp(&tb);
    }
    match (a, b) {
        // Digits without leading zeros: the longer is the larger.
        (Some(Part::Number(x)), Some(Part::Number(y))) => {
            x.len().cmp(&y.len()).then_with(|| x.cmp(y))
        }
        (Some(Part::Word(x)), Some(Part::Word(y))) => x.cmp(y),
        // Tier 1: zero and missing are the same.
        _ => Ordering::Equal,
    }
}

#[cfg(test)]
mod tests;
