//! Remembering what a field automaton found in a value.
//!
//! Most fields of an event stream repeat their values from event to event
//! (the same process images, call traces, registry keys, providers): in the
//! Security-Datasets events, a call trace is one of a few hundred strings
//! seen thousands of times. A scan is a pure function of the automaton and
//! the value, so its result — the atoms the value satisfies — is kept and
//! reused, and a repeated value costs a hash and a comparison instead of
//! folding its case and running every literal search over it.
//!
//! The table is direct-mapped and bounded (entries and their length), so
//! memory does not grow with the input, and a value that collides or is
//! never repeated costs one insertion.

use std::hash::BuildHasher;
use std::sync::atomic::{AtomicU64, Ordering};

use super::AtomBits;

/// How many results are kept (a power of two).
const ENTRIES: usize = 4096;

/// Values longer than this are not remembered whole: long values
/// (rendered module context, script blocks) are seldom repeated whole, and
/// are remembered line by line instead (see [`super::lines`]).
pub(crate) const MEMO_MAX_LEN: usize = 1024;

/// Lines of long values longer than this are scanned every time. Lines
/// this long (encoded commands) do repeat; with [`ENTRIES`], the table
/// holds at most 32 MB of text.
pub(crate) const MEMO_MAX_LINE: usize = 8 * 1024;

/// A process-wide identity for an automaton, so that a remembered result
/// is never taken for another automaton's (automata are built and dropped
/// as route caches start over, and an address can be reused).
pub(crate) fn next_matcher_id() -> u64 {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

#[derive(Debug, Default)]
struct Entry {
    /// The automaton's key; 0 when empty (ids start at 1).
    key: u64,
    hash: u64,
    text: String,
    atoms: Vec<u32>,
}

/// Scan results by automaton and value; see the module documentation.
#[derive(Debug, Default)]
pub(crate) struct ScanMemo {
    /// Allocated on first use.
    entries: Vec<Entry>,
    /// Where a scan being remembered sets its atoms.
    fresh: AtomBits,
    hasher: foldhash::fast::RandomState,
}

/// Where a value not found in the memo goes once scanned.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Probe {
    key: u64,
    hash: u64,
}

impl ScanMemo {
    /// The numbers remembered for `text` (of up to `max_len` bytes) under
    /// `key`; or, if there are none, where to remember them
    /// ([`Self::record`]).
    pub(crate) fn lookup(
        &mut self,
        key: u64,
        text: &str,
        max_len: usize,
    ) -> Result<&[u32], Option<Probe>> {
        if text.len() > max_len {
            return Err(None);
        }
        if self.entries.is_empty() {
            self.entries.resize_with(ENTRIES, Entry::default);
        }
        let hash = self.hasher.hash_one(text.as_bytes()) ^ key.wrapping_mul(0x9e37_79b9_7f4a_7c15);
        let index = hash as usize & (ENTRIES - 1);
        let entry = &self.entries[index];
        if entry.key == key && entry.hash == hash && entry.text == text {
            return Ok(&self.entries[index].atoms);
        }
        Err(Some(Probe { key, hash }))
    }

    /// Runs `scan`, which sets numbers (atoms) in a bit set of its own —
    /// numbers already set elsewhere must still be reported — and returns
    /// them, remembered for `text` where there is a probe.
    pub(crate) fn record(
        &mut self,
        probe: Option<Probe>,
        text: &str,
        scan: impl FnOnce(&mut AtomBits),
    ) -> &[u32] {
        self.fresh.reset(0);
        scan(&mut self.fresh);
        let found = self.fresh.found();
        let Some(entry) = probe.and_then(|p| {
            let entry = self.entries.get_mut(p.hash as usize & (ENTRIES - 1))?;
            entry.key = p.key;
            entry.hash = p.hash;
            Some(entry)
        }) else {
            return found;
        };
        entry.text.clear();
        entry.text.push_str(text);
        entry.atoms.clear();
        entry.atoms.extend_from_slice(found);
        &entry.atoms
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Sets the atoms of `text` in `bits` as a field scan does: from
    /// memory, or by a stand-in automaton (atom = each byte mod 64) whose
    /// runs are counted in `scans`.
    fn scan_into(memo: &mut ScanMemo, key: u64, text: &str, bits: &mut AtomBits, scans: &mut u32) {
        let atoms = match memo.lookup(key, text, MEMO_MAX_LEN) {
            Ok(atoms) => atoms,
            Err(probe) => memo.record(probe, text, |fresh| {
                *scans += 1;
                for byte in text.bytes() {
                    fresh.set(u32::from(byte) % 64);
                }
            }),
        };
        for &atom in atoms {
            bits.set(atom);
        }
    }

    fn scan_counting(memo: &mut ScanMemo, key: u64, text: &str, scans: &mut u32) -> Vec<u32> {
        let mut bits = AtomBits::default();
        bits.reset(64);
        scan_into(memo, key, text, &mut bits, scans);
        let mut atoms = bits.found().to_vec();
        atoms.sort_unstable();
        atoms
    }

    #[test]
    fn a_repeated_value_is_answered_from_memory_with_the_same_atoms() {
        let mut memo = ScanMemo::default();
        let mut scans = 0;
        let first = scan_counting(&mut memo, 1, "C:\\Windows\\x.exe", &mut scans);
        let again = scan_counting(&mut memo, 1, "C:\\Windows\\x.exe", &mut scans);
        assert_eq!(first, again);
        assert_eq!(scans, 1);
    }

    #[test]
    fn another_automaton_or_value_is_scanned() {
        let mut memo = ScanMemo::default();
        let mut scans = 0;
        scan_counting(&mut memo, 1, "abc", &mut scans);
        scan_counting(&mut memo, 2, "abc", &mut scans);
        scan_counting(&mut memo, 1, "abd", &mut scans);
        assert_eq!(scans, 3);
    }

    #[test]
    fn long_values_are_always_scanned() {
        let mut memo = ScanMemo::default();
        let mut scans = 0;
        let long = "x".repeat(MEMO_MAX_LEN + 1);
        scan_counting(&mut memo, 1, &long, &mut scans);
        scan_counting(&mut memo, 1, &long, &mut scans);
        assert_eq!(scans, 2);
    }

    #[test]
    fn atoms_already_set_by_another_value_are_still_remembered() {
        let mut memo = ScanMemo::default();
        let mut bits = AtomBits::default();
        bits.reset(64);
        bits.set(u32::from(b'a') % 64);
        let mut scans = 0;
        scan_into(&mut memo, 1, "a", &mut bits, &mut scans);
        assert_eq!(
            scan_counting(&mut memo, 1, "a", &mut scans),
            vec![u32::from(b'a') % 64]
        );
        assert_eq!(scans, 1);
    }
}
