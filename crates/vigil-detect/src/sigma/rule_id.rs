//! Ids for rules that carry none.

use uuid::Uuid;

/// Vigil's UUID namespace for ids of rules that have none.
const DERIVED_ID_NAMESPACE: Uuid = Uuid::from_u128(0x5f1c_2b0e_8d4a_4c7e_9a61_3b2f_7e0d_c9a4);

/// The id given to a rule without one: a name-based (v5) UUID of its
/// origin key and title, so the same rule file gets the same id on every
/// load and machine. `origin_key` is the path relative to the loaded folder
/// (or the origin given to `load_sources`) with its `#N` document suffix.
pub fn derive_rule_id(origin_key: &str, title: &str) -> String {
    let name = format!("{origin_key}\n{title}");
    Uuid::new_v5(&DERIVED_ID_NAMESPACE, name.as_bytes()).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derived_ids_are_stable_and_distinct() {
        let a = derive_rule_id("windows/a.yml", "Title");
        assert_eq!(a, derive_rule_id("windows/a.yml", "Title"));
        assert_ne!(a, derive_rule_id("windows/b.yml", "Title"));
        assert_ne!(a, derive_rule_id("windows/a.yml", "Other"));
        assert!(Uuid::parse_str(&a).is_ok());
    }
}
