//! Field slots: every field name a rule set reads, numbered once.

use std::collections::HashMap;

use rustc_hash::FxBuildHasher;

/// Field names numbered across a rule set, so each event field is
/// prepared once per event in its own slot.
#[derive(Debug, Clone, Default)]
pub(crate) struct SlotNames {
    slots: HashMap<Box<str>, usize, FxBuildHasher>,
    names: Vec<Box<str>>,
}

impl SlotNames {
    /// The slot of `field`, numbering it if new.
    pub(crate) fn slot(&mut self, field: &str) -> usize {
        if let Some(&slot) = self.slots.get(field) {
            return slot;
        }
        let next = self.names.len();
        self.slots.insert(field.into(), next);
        self.names.push(field.into());
        next
    }

    /// The field names, by slot.
    pub(crate) fn names(&self) -> &[Box<str>] {
        &self.names
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slot_names_are_numbered_once() {
        let mut names = SlotNames::default();
        assert_eq!(names.slot("Image"), 0);
        assert_eq!(names.slot("CommandLine"), 1);
        assert_eq!(names.slot("Image"), 0);
        assert_eq!(names.names(), ["Image".into(), "CommandLine".into()]);
    }
}
