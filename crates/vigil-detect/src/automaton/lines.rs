//! Long values scanned line by line, each line's result remembered.
//!
//! A long value is seldom repeated whole, but its lines are: PowerShell's
//! module-logging `ContextInfo` (5 KB an event in Security-Datasets, the
//! largest field any rule reads) differs from event to event in a command
//! name and a sequence number, and its host-application line — kilobytes
//! of an encoded command — is the same for every event of a session. When
//! no literal of a field can span a line break, the literals occurring in
//! a value are exactly those occurring in its lines, so each line's scan is remembered like a short
//! value's (see [`super::memo`]): which literals occur in it, and whether
//! at its start or end (for prefixes and suffixes of the whole value).

use super::memo::{MEMO_MAX_LINE, ScanMemo};
use super::{AtomBits, FieldMatcher, PatternIndex};

/// Line memo keys are the automaton's id with one of these bits set, apart
/// from whole-value keys (ids are counted from 1 and never reach them).
const FOLDED_LINES: u64 = 1 << 62;
const CASED_LINES: u64 = 1 << 61;

impl FieldMatcher {
    /// [`FieldMatcher::scan`] of a value too long to be remembered whole:
    /// line by line where the automata allow it.
    pub(crate) fn scan_long(
        &self,
        text: &str,
        folded: &str,
        bits: &mut AtomBits,
        memo: &mut ScanMemo,
    ) {
        self.folded
            .scan_lines(self.id | FOLDED_LINES, folded, bits, memo);
        self.cased
            .scan_lines(self.id | CASED_LINES, text, bits, memo);
    }
}

impl PatternIndex {
    fn scan_lines(&self, key: u64, text: &str, bits: &mut AtomBits, memo: &mut ScanMemo) {
        if !self.by_lines {
            self.scan(text, bits);
            return;
        }
        self.scan_whole(text, bits);
        if self.finder.is_none() && self.literals.is_none() {
            return;
        }
        let mut start = 0;
        for line in text.split('\n') {
            let first = start == 0;
            start += line.len() + 1;
            let last = start > text.len();
            let codes = match memo.lookup(key, line, MEMO_MAX_LINE) {
                Ok(codes) => codes,
                Err(probe) => memo.record(probe, line, |fresh| self.line_codes(line, fresh)),
            };
            // A prefix holds only at the start of the first line, a suffix
            // only at the end of the last.
            for &code in codes {
                let (pattern, at_start, at_end) = (code >> 2, code & 2 != 0, code & 1 != 0);
                self.occurred(
                    pattern as usize,
                    first && at_start,
                    last && at_end,
                    text,
                    bits,
                );
            }
        }
    }

    /// Sets in `codes` the literals occurring in `line`, each with whether
    /// it occurs at the line's start and at its end (see [`code`]).
    fn line_codes(&self, line: &str, codes: &mut AtomBits) {
        self.occurrences(line, |found| {
            codes.set(code(
                found.pattern,
                found.start == 0,
                found.end == line.len(),
            ));
        });
    }
}

/// A literal occurring in a line, as one number: its pattern id, and
/// whether it starts the line and ends it.
fn code(pattern: usize, at_start: bool, at_end: bool) -> u32 {
    (pattern as u32) << 2 | u32::from(at_start) << 1 | u32::from(at_end)
}
