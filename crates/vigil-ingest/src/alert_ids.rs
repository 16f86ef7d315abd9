//! Remembered alert ids. An alert id is a UUIDv5 (a SHA-1) of the alert's
//! name; a busy alert is named again by every batch that adds evidence to
//! it, so the pipeline keeps the ids it derived lately instead of hashing
//! the same name again for every detection. The id is a pure function of
//! the name, so each processing thread keeps its own memo: no lock is
//! taken on the hot path.

use std::cell::RefCell;
use std::collections::HashMap;

use vigil_model::{AlertId, TenantId, Timestamp, alert_id_of_name, alert_name_into};

/// Names remembered at most per thread; past this the memo starts afresh,
/// which costs only the hashing it saved.
const MAX_REMEMBERED: usize = 16_384;

#[derive(Default)]
struct Memo {
    ids: HashMap<Box<[u8]>, AlertId>,
    /// The key being looked up, kept so that a remembered name costs no
    /// allocation.
    key: Vec<u8>,
}

thread_local! {
    static MEMO: RefCell<Memo> = RefCell::new(Memo::default());
}

/// [`vigil_model::alert_id_for`] of these parts, remembered by the calling thread.
pub(crate) fn alert_id(
    tenant: &TenantId,
    rule_id: &str,
    group_key: &str,
    window_start: Timestamp,
) -> AlertId {
    MEMO.with(|memo| {
        let Ok(mut memo) = memo.try_borrow_mut() else {
            let mut name = Vec::new();
            alert_name_into(&mut name, tenant, rule_id, group_key, window_start);
            return alert_id_of_name(&name);
        };
        let Memo { ids, key } = &mut *memo;
        // Keyed by the alert's name itself: the id is a function of it.
        key.clear();
        alert_name_into(key, tenant, rule_id, group_key, window_start);
        if let Some(id) = ids.get(key.as_slice()) {
            return *id;
        }
        let id = alert_id_of_name(key);
        if ids.len() >= MAX_REMEMBERED {
            ids.clear();
        }
        ids.insert(key.as_slice().into(), id);
        id
    })
}

#[cfg(test)]
fn remembered() -> usize {
    MEMO.with(|memo| memo.borrow().ids.len())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use vigil_model::alert_id_for;

    fn at(seconds: i64) -> Timestamp {
        chrono::DateTime::from_timestamp(seconds, 0).unwrap()
    }

    #[test]
    fn a_remembered_id_is_the_derived_one_and_the_memo_stays_bounded() {
        let tenant = TenantId::new("acme").unwrap();
        for round in 0..2 {
            for i in 0..(MAX_REMEMBERED + 10) {
                let group = format!("door:d{i}");
                let id = alert_id(&tenant, "rule-1", &group, at(3600));
                assert_eq!(
                    id,
                    alert_id_for(&tenant, "rule-1", &group, at(3600)),
                    "round {round}, name {i}"
                );
                assert!(remembered() <= MAX_REMEMBERED);
            }
        }
    }

    proptest! {
        #[test]
        fn names_that_differ_get_the_ids_of_their_own_name(
            rule in "[a-z:-]{0,6}",
            group in "[a-z:-]{0,6}",
            other_rule in "[a-z:-]{0,6}",
            other_group in "[a-z:-]{0,6}",
            window in 0i64..4,
        ) {
            let tenant = TenantId::new("acme").unwrap();
            let first = alert_id(&tenant, &rule, &group, at(window * 3600));
            let second = alert_id(&tenant, &other_rule, &other_group, at(3600));
            prop_assert_eq!(first, alert_id_for(&tenant, &rule, &group, at(window * 3600)));
            prop_assert_eq!(second, alert_id_for(&tenant, &other_rule, &other_group, at(3600)));
        }
    }
}
