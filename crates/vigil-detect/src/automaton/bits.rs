//! The atoms that hold for the current event.

/// The atoms that hold for the current event, with the order they were
/// found in (for the prefilter) and cheap clearing between events.
#[derive(Debug, Default)]
pub(crate) struct AtomBits {
    words: Vec<u64>,
    /// Words that are not zero.
    touched: Vec<u32>,
    /// Atoms set, in order.
    found: Vec<u32>,
}

impl AtomBits {
    /// Clears every atom and makes room for `atom_count`.
    pub(crate) fn reset(&mut self, atom_count: usize) {
        for &w in &self.touched {
            if let Some(word) = self.words.get_mut(w as usize) {
                *word = 0;
            }
        }
        self.touched.clear();
        self.found.clear();
        let words = atom_count.div_ceil(64);
        if self.words.len() < words {
            self.words.resize(words, 0);
        }
    }

    /// Marks `atom` as holding.
    pub(crate) fn set(&mut self, atom: u32) {
        let (w, bit) = ((atom / 64) as usize, 1u64 << (atom % 64));
        if w >= self.words.len() {
            self.words.resize(w + 1, 0);
        }
        let word = &mut self.words[w];
        if *word & bit == 0 {
            if *word == 0 {
                self.touched.push(atom / 64);
            }
            *word |= bit;
            self.found.push(atom);
        }
    }

    /// Whether `atom` holds.
    pub(crate) fn get(&self, atom: u32) -> bool {
        self.words
            .get((atom / 64) as usize)
            .is_some_and(|w| w & (1u64 << (atom % 64)) != 0)
    }

    /// The atoms set since the last reset, in the order found.
    pub(crate) fn found(&self) -> &[u32] {
        &self.found
    }
}
