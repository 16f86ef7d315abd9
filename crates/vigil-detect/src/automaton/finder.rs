//! The vectorised search for a field's literals, used instead of the
//! Aho-Corasick automaton when a field has few of them.

/// When a field has few literals, its values are searched with vectorised
/// searchers (Teddy; far faster than reporting every occurrence with the
/// automaton), each holding up to this many literals (Teddy's own limit)…
const FINDER_GROUP: usize = 64;
/// … when the literals fit in this many such searchers. More searchers
/// were measured slower than the automaton on the Security-Datasets
/// events: every searcher runs at every literal occurrence.
const FINDER_MAX_GROUPS: usize = 1;

/// Finds where the leftmost literal occurrence starts, and which literals
/// occur there.
#[derive(Debug, Clone)]
pub(super) struct Finder {
    groups: Box<[aho_corasick::packed::Searcher]>,
    /// The longest literal's length.
    longest: usize,
    /// By literal: every literal that is a prefix of it (itself included),
    /// with its length. The literals occurring at a position are exactly
    /// the prefixes of the longest one occurring there.
    prefixes: Box<[Box<[LiteralAt]>]>,
}

/// A literal by pattern id, and its length.
type LiteralAt = (u32, u32);

/// One occurrence of a literal: its pattern id and where it is.
#[derive(Debug, Clone, Copy)]
pub(super) struct Occurrence {
    pub(super) pattern: usize,
    pub(super) start: usize,
    pub(super) end: usize,
}

impl Finder {
    pub(super) fn build(literals: &[Box<str>]) -> Option<Finder> {
        if literals.is_empty()
            || literals.len() > FINDER_GROUP * FINDER_MAX_GROUPS
            || literals.iter().any(|l| l.is_empty())
        {
            return None;
        }
        let groups = literals
            .chunks(FINDER_GROUP)
            .map(|group| {
                aho_corasick::packed::Config::new()
                    .match_kind(aho_corasick::packed::MatchKind::LeftmostLongest)
                    .builder()
                    .extend(group.iter().map(|l| l.as_bytes()))
                    .build()
            })
            .collect::<Option<Box<[_]>>>()?;
        let prefixes = literals
            .iter()
            .map(|long| {
                literals
                    .iter()
                    .enumerate()
                    .filter(|(_, short)| long.starts_with(&***short))
                    .map(|(id, short)| (id as u32, short.len() as u32))
                    .collect()
            })
            .collect();
        Some(Finder {
            groups,
            longest: literals.iter().map(|l| l.len()).max().unwrap_or(0),
            prefixes,
        })
    }

    /// The leftmost position at or after byte `from` where literals occur,
    /// and the longest literal occurring there.
    pub(super) fn hit_from(&self, text: &str, from: usize) -> Option<(usize, usize)> {
        let rest = text.as_bytes().get(from..)?;
        // (start, literal, length)
        let mut best: Option<(usize, usize, usize)> = None;
        for (g, group) in self.groups.iter().enumerate() {
            let limit = best.map_or(rest.len(), |(f, _, _)| (f + self.longest).min(rest.len()));
            if let Some(m) = group.find(&rest[..limit]) {
                let found = (
                    m.start(),
                    g * FINDER_GROUP + m.pattern().as_usize(),
                    m.len(),
                );
                best = Some(match best {
                    Some(b) if b.0 < found.0 || (b.0 == found.0 && b.2 >= found.2) => b,
                    _ => found,
                });
            }
        }
        best.map(|(start, literal, _)| (start + from, literal))
    }

    /// Calls `each` with every occurrence of every literal in `text`.
    pub(super) fn occurrences(&self, text: &str, mut each: impl FnMut(Occurrence)) {
        let mut from = 0;
        while let Some((start, literal)) = self.hit_from(text, from) {
            for &(pattern, len) in self.prefixes.get(literal).map_or(&[][..], |p| p) {
                each(Occurrence {
                    pattern: pattern as usize,
                    start,
                    end: start + len as usize,
                });
            }
            from = start + 1;
        }
    }

    /// The start of the leftmost literal occurrence in `text` at or after
    /// byte `from`.
    pub(super) fn first_from(&self, text: &str, from: usize) -> Option<usize> {
        let rest = text.as_bytes().get(from..)?;
        let mut first: Option<usize> = None;
        for group in &self.groups {
            let limit = first.map_or(rest.len(), |f| (f + self.longest).min(rest.len()));
            if let Some(m) = group.find(&rest[..limit]) {
                first = Some(first.map_or(m.start(), |f| f.min(m.start())));
            }
        }
        first.map(|f| f + from)
    }

    /// The start of the leftmost literal occurrence in `text`.
    pub(super) fn first(&self, text: &str) -> Option<usize> {
        self.first_from(text, 0)
    }
}
