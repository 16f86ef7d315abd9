//! The values of an event joined into one text, for one keyword scan.

/// What joins the values of an event for one keyword scan. A literal
/// without it cannot match across two values.
pub(super) const SEPARATOR: char = '\0';

/// Every value of an event, joined for one scan.
#[derive(Debug, Default)]
pub(crate) struct Joined {
    pub(super) text: String,
    /// Where each value starts and ends in `text`.
    pub(super) bounds: Vec<(usize, usize)>,
}

impl Joined {
    /// Empties the buffer, keeping its room.
    pub(crate) fn clear(&mut self) {
        self.text.clear();
        self.bounds.clear();
    }

    /// Appends one value.
    pub(crate) fn push(&mut self, value: &str) {
        if !self.bounds.is_empty() {
            self.text.push(SEPARATOR);
        }
        let start = self.text.len();
        self.text.push_str(value);
        self.bounds.push((start, self.text.len()));
    }

    /// Fills this with the values of `source`, case-folded (`buf` is room
    /// for folding one value).
    pub(crate) fn fold_from(&mut self, source: &Joined, buf: &mut String) {
        self.clear();
        if source.text.is_ascii() {
            // Folding keeps every length, so the bounds stay.
            self.text.push_str(&source.text);
            self.text.make_ascii_lowercase();
            self.bounds.extend_from_slice(&source.bounds);
        } else {
            for value in source.values() {
                crate::textfold::fold_into(value, buf);
                self.push(buf);
            }
        }
    }

    pub(super) fn values(&self) -> impl Iterator<Item = &str> {
        self.bounds.iter().filter_map(|&(s, e)| self.text.get(s..e))
    }

    /// The value holding the byte range `start..end`, if one does.
    pub(super) fn value_at(&self, start: usize, end: usize) -> Option<(usize, usize)> {
        let i = self
            .bounds
            .partition_point(|&(s, _)| s <= start)
            .checked_sub(1)?;
        let (s, e) = *self.bounds.get(i)?;
        (end <= e).then_some((s, e))
    }
}
