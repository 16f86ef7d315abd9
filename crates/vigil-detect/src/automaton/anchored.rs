//! Prefix and suffix atoms of a field, matched only where they can hold.
//!
//! A prefix atom holds only at the start of a value and a suffix atom only
//! at its end. Searching their literals everywhere in the value, as the
//! automaton for substrings must, walks the whole value and stops at every
//! occurrence inside it: in a call stack or a script block,
//! `c:\windows\system32\` occurs dozens of times and `)` on every line, and
//! every such stop defeats the vectorised skip-ahead. Here prefixes are
//! walked from the first byte of the value and suffixes, reversed, from its
//! last, each walk ending as soon as no literal can continue — a few bytes
//! for most values, however long the value is.
//!
//! The walk drives the automaton byte by byte through `aho-corasick`'s
//! [`Automaton`] interface: its search iterators run only forwards, and a
//! suffix walk must read the value backwards without copying it.

use aho_corasick::automaton::Automaton;
use aho_corasick::nfa::contiguous::NFA;
use aho_corasick::{Anchored, MatchKind};

use super::AtomBits;

/// Which end of a value the literals are anchored at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum End {
    Start,
    End,
}

/// The literals anchored at one end of a value, and the atoms each sets.
#[derive(Debug, Clone)]
pub(super) struct AnchoredSet {
    /// Over the literals as they are (start), or reversed (end). A
    /// contiguous NFA rather than a DFA: a walk follows one path of a few
    /// dozen states through sets of hundreds of literals, and the DFA's
    /// full transition rows made every step a cache miss.
    dfa: NFA,
    end: End,
    /// By pattern id: the atoms its literal sets.
    atoms: Box<[Box<[u32]>]>,
}

impl AnchoredSet {
    /// Builds the set over `literals` (each with the atoms it sets), or
    /// `None` when there are none or the automaton cannot be built (only
    /// far past any rule set's size); the caller then searches them the
    /// unanchored way.
    pub(super) fn build(literals: &[(Box<str>, Vec<u32>)], end: End) -> Option<Self> {
        if literals.is_empty() || literals.iter().any(|(l, _)| l.is_empty()) {
            return None;
        }
        let patterns = literals.iter().map(|(l, _)| match end {
            End::Start => l.as_bytes().to_vec(),
            End::End => l.bytes().rev().collect(),
        });
        let dfa = NFA::builder()
            .match_kind(MatchKind::Standard)
            .prefilter(false)
            .build(patterns)
            .ok()?;
        Some(Self {
            dfa,
            end,
            atoms: literals
                .iter()
                .map(|(_, atoms)| atoms.as_slice().into())
                .collect(),
        })
    }

    /// Sets in `bits` the atoms of every literal `text` starts (or ends)
    /// with.
    pub(super) fn scan(&self, text: &str, bits: &mut AtomBits) {
        let bytes = text.as_bytes();
        match self.end {
            End::Start => self.walk(bytes.iter().copied(), bits),
            End::End => self.walk(bytes.iter().rev().copied(), bits),
        }
    }

    fn walk(&self, bytes: impl Iterator<Item = u8>, bits: &mut AtomBits) {
        let dfa = &self.dfa;
        let Ok(mut state) = dfa.start_state(Anchored::Yes) else {
            return;
        };
        for (walked, byte) in (1..).zip(bytes) {
            state = dfa.next_state(Anchored::Yes, state, byte);
            if !dfa.is_special(state) {
                continue;
            }
            if dfa.is_dead(state) {
                return;
            }
            if dfa.is_match(state) {
                for i in 0..dfa.match_len(state) {
                    let pattern = dfa.match_pattern(state, i);
                    // A match state also lists the literals that end here
                    // but start later (the automaton is built for searches
                    // anywhere): only one as long as the walk is anchored.
                    if dfa.pattern_len(pattern) != walked {
                        continue;
                    }
                    for &atom in self.atoms.get(pattern.as_usize()).map_or(&[][..], |a| a) {
                        bits.set(atom);
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(literals: &[(&str, u32)], end: End) -> AnchoredSet {
        let literals: Vec<(Box<str>, Vec<u32>)> = literals
            .iter()
            .map(|&(l, atom)| (Box::from(l), vec![atom]))
            .collect();
        AnchoredSet::build(&literals, end).unwrap()
    }

    fn found(set: &AnchoredSet, text: &str) -> Vec<u32> {
        let mut bits = AtomBits::default();
        bits.reset(64);
        set.scan(text, &mut bits);
        let mut found = bits.found().to_vec();
        found.sort_unstable();
        found
    }

    #[test]
    fn prefixes_hold_only_at_the_start_and_every_one_that_fits_is_found() {
        let s = set(&[("c:\\", 1), ("c:\\windows\\", 2), ("d:", 3)], End::Start);
        assert_eq!(found(&s, "c:\\windows\\cmd.exe"), vec![1, 2]);
        assert_eq!(found(&s, "x c:\\windows\\"), Vec::<u32>::new());
        assert_eq!(found(&s, "c:"), Vec::<u32>::new());
        assert_eq!(found(&s, "d:"), vec![3]);
    }

    #[test]
    fn suffixes_hold_only_at_the_end_and_every_one_that_fits_is_found() {
        let s = set(&[(".exe", 1), ("\\cmd.exe", 2), (")", 3)], End::End);
        assert_eq!(found(&s, "c:\\windows\\cmd.exe"), vec![1, 2]);
        assert_eq!(found(&s, "c:\\windows\\cmd.exe "), Vec::<u32>::new());
        assert_eq!(found(&s, "unknown(00) x"), Vec::<u32>::new());
        assert_eq!(found(&s, "x|unknown(00)"), vec![3]);
    }

    #[test]
    fn a_literal_ending_inside_another_is_not_anchored() {
        let s = set(&[(".cmd", 1), (".cmdline", 2)], End::End);
        assert_eq!(found(&s, "x\\a.cmdline"), vec![2]);
        assert_eq!(found(&s, "x\\a.cmd"), vec![1]);
        let s = set(&[("windows\\", 1), ("c:\\windows\\", 2)], End::Start);
        assert_eq!(found(&s, "c:\\windows\\x"), vec![2]);
        assert_eq!(found(&s, "windows\\x"), vec![1]);
    }

    #[test]
    fn multibyte_suffixes_are_matched_whole() {
        let s = set(&[("é.txt", 1)], End::End);
        assert_eq!(found(&s, "résumé.txt"), vec![1]);
        assert_eq!(found(&s, "resume.txt"), Vec::<u32>::new());
    }
}
