//! Queries and pages.

use serde::{Deserialize, Serialize};

use vigil_model::{AlertStatus, Severity, SourceId, TenantId, Timestamp};

/// Largest page any query returns, whatever the caller asks for.
pub const MAX_PAGE_SIZE: usize = 1000;

/// Which tenants a query may see. Derived from the authenticated principal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TenantScope {
    /// Every tenant (provider staff).
    All,
    /// One tenant (a client user, or provider staff narrowing down).
    One(TenantId),
}

impl TenantScope {
    /// Whether `tenant` is visible in this scope.
    pub fn allows(&self, tenant: &TenantId) -> bool {
        match self {
            TenantScope::All => true,
            TenantScope::One(t) => t == tenant,
        }
    }
}

/// An opaque position in a result list, handed to clients as text.
///
/// Inside it is the sort key of the last item returned: a time in
/// microseconds (for time-ordered lists) and a sequence number that breaks
/// ties. Clients must treat it as opaque.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cursor {
    /// Primary sort key of the last item (microseconds, or 0 where unused).
    pub key: i64,
    /// Tie-breaking sequence number of the last item.
    pub seq: i64,
}

impl Cursor {
    /// The cursor as the text clients see.
    pub fn encode(&self) -> String {
        // As unsigned bits, so that negative keys (times before 1970) decode.
        format!("{:x}.{:x}", self.key as u64, self.seq as u64)
    }

    /// Parses a cursor from a client. Errors say what was wrong.
    pub fn decode(text: &str) -> Result<Self, crate::StoreError> {
        let bad = || crate::StoreError::BadCursor(text.chars().take(40).collect());
        let (key, seq) = text.split_once('.').ok_or_else(bad)?;
        Ok(Self {
            key: u64::from_str_radix(key, 16).map_err(|_| bad())? as i64,
            seq: u64::from_str_radix(seq, 16).map_err(|_| bad())? as i64,
        })
    }
}

/// One page of results.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Page<T> {
    /// The items, in the query's order.
    pub items: Vec<T>,
    /// Where the next page starts, when there is one.
    pub next_cursor: Option<String>,
}

/// Which alerts to list.
#[derive(Debug, Clone, PartialEq)]
pub struct AlertQuery {
    /// Tenants visible to the caller.
    pub scope: TenantScope,
    /// Only alerts at or above this severity.
    pub min_severity: Option<Severity>,
    /// Only alerts in this status.
    pub status: Option<AlertStatus>,
    /// Only alerts last seen at or after this time.
    pub since: Option<Timestamp>,
    /// Only alerts first seen before this time.
    pub until: Option<Timestamp>,
    /// Continue after this position.
    pub cursor: Option<Cursor>,
    /// At most this many (capped at [`MAX_PAGE_SIZE`]).
    pub limit: usize,
}

impl AlertQuery {
    /// Every alert in `scope`, newest first, at most `limit`: no filter set.
    pub fn all_in(scope: TenantScope, limit: usize) -> Self {
        Self {
            scope,
            min_severity: None,
            status: None,
            since: None,
            until: None,
            cursor: None,
            limit,
        }
    }
}

/// A `field = value` condition on an event's original fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldFilter {
    /// The field's name as the source wrote it (`Image`, `EventID`); a dotted
    /// name reaches into nested objects when no top-level field has it.
    pub field: String,
    /// The value, compared as text (so `4624` matches the number 4624).
    pub value: String,
}

/// Which events to search.
#[derive(Debug, Clone, PartialEq)]
pub struct EventQuery {
    /// Tenants visible to the caller.
    pub scope: TenantScope,
    /// Observed at or after.
    pub from: Option<Timestamp>,
    /// Observed before.
    pub to: Option<Timestamp>,
    /// All of these must hold.
    pub fields: Vec<FieldFilter>,
    /// Continue after this position.
    pub cursor: Option<Cursor>,
    /// At most this many (capped at [`MAX_PAGE_SIZE`]).
    pub limit: usize,
}

/// Which dead letters to list.
#[derive(Debug, Clone, PartialEq)]
pub struct DeadLetterQuery {
    /// Tenants visible to the caller.
    pub scope: TenantScope,
    /// Only from this source.
    pub source: Option<SourceId>,
    /// Continue after this position.
    pub cursor: Option<Cursor>,
    /// At most this many (capped at [`MAX_PAGE_SIZE`]).
    pub limit: usize,
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn cursors_round_trip(key in any::<i64>(), seq in any::<i64>()) {
            let c = Cursor { key, seq };
            prop_assert_eq!(Cursor::decode(&c.encode()).unwrap(), c);
        }

        #[test]
        fn any_text_decodes_or_errors(text in ".{0,40}") {
            let _ = Cursor::decode(&text);
        }
    }

    #[test]
    fn scope_allows_its_own() {
        let a = TenantId::new("a").unwrap();
        let b = TenantId::new("b").unwrap();
        assert!(TenantScope::All.allows(&a));
        assert!(TenantScope::One(a.clone()).allows(&a));
        assert!(!TenantScope::One(a).allows(&b));
    }
}
