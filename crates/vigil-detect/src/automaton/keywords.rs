//! The automaton of keyword atoms, and what it needs of a document's text.

use super::{AtomBits, FieldMatcher, Joined};

/// The bytes of `literals` that an escape in JSON as written could hide
/// (see [`crate::Document::covering_written_text`]): each of `"`, `\`, `/`
/// a literal holds past its first byte, and each control character.
pub(super) fn inner_bytes(literals: &[Box<str>]) -> Box<[u8]> {
    let mut inner: Vec<u8> = literals
        .iter()
        .flat_map(|l| {
            let bytes = l.as_bytes();
            let controls = bytes.iter().filter(|b| b.is_ascii_control());
            let past_first = bytes
                .get(1..)
                .unwrap_or_default()
                .iter()
                .filter(|b| matches!(b, b'"' | b'\\' | b'/'));
            controls.chain(past_first).copied()
        })
        .collect();
    inner.sort_unstable();
    inner.dedup();
    inner.into_boxed_slice()
}

/// The keyword atoms of some rules: searched over every value of an event.
#[derive(Debug)]
pub(crate) struct KeywordMatcher {
    pub(super) matcher: FieldMatcher,
    /// Whether the values may be scanned joined (no literal holds the separator).
    pub(super) joinable: bool,
    pub(super) has_cased: bool,
    /// The bytes a document's text as written must not have escaped for
    /// the literals to be searched in it (see
    /// [`crate::Document::covering_written_text`]).
    pub(super) inner: Box<[u8]>,
}

impl KeywordMatcher {
    /// Whether every atom needs one of the literals to occur (so that
    /// [`Self::may_match`] can rule them all out).
    pub(crate) fn literal_only(&self) -> bool {
        let folded = &self.matcher.folded;
        !self.has_cased
            && folded.any.is_empty()
            && folded.exact.is_empty()
            && folded.untriggered.is_empty()
    }

    /// The bytes for [`crate::Document::covering_written_text`].
    pub(crate) fn inner(&self) -> &[u8] {
        &self.inner
    }

    /// Whether a literal occurs in `folded`, case-folded text.
    pub(crate) fn may_match(&self, folded: &str) -> bool {
        let index = &self.matcher.folded;
        match (&index.finder, &index.literals) {
            (Some(finder), _) => finder.first(folded).is_some(),
            (None, Some(literals)) => literals.is_match(folded),
            (None, None) => false,
        }
    }

    /// Sets every atom some value satisfies. `folded` holds the values
    /// case-folded; `text` as written.
    pub(crate) fn scan(&self, text: &Joined, folded: &Joined, bits: &mut AtomBits) {
        if self.joinable {
            self.matcher.folded.scan_joined(folded, bits);
            self.matcher.cased.scan_joined(text, bits);
        } else {
            for value in folded.values() {
                self.matcher.folded.scan(value, bits);
            }
            for value in text.values() {
                self.matcher.cased.scan(value, bits);
            }
        }
    }
}
