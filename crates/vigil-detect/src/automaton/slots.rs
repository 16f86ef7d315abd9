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

// Stored as the names by slot and the atoms by number (the compiled
// rule-set cache); the lookups are rebuilt from them.
impl serde::Serialize for super::FieldSlots {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serde::Serialize::serialize(&(self.names.names(), &self.defs), serializer)
    }
}

impl<'de> serde::Deserialize<'de> for super::FieldSlots {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let (names, defs) =
            <(Vec<Box<str>>, Vec<super::AtomDef>) as serde::Deserialize>::deserialize(
                deserializer,
            )?;
        let mut slots = super::FieldSlots::default();
        for (at, name) in names.iter().enumerate() {
            if slots.slot(name) != at {
                return Err(serde::de::Error::custom(format!(
                    "field `{name}` is named twice"
                )));
            }
        }
        for (at, def) in defs.into_iter().enumerate() {
            if slots.atom(def) as usize != at {
                return Err(serde::de::Error::custom("an atom is defined twice"));
            }
        }
        Ok(slots)
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
