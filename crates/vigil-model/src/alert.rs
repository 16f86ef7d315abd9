//! Alerts: detections that people will look at.

use chrono::Duration;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::clock::Timestamp;
use crate::event::Entity;
use crate::ids::{AlertId, EventId, SiteId, TenantId};
use crate::severity::Severity;

/// Where an alert stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum AlertStatus {
    /// Raised, nobody has looked yet.
    New,
    /// Someone has taken it.
    Acknowledged,
    /// Someone is working on it.
    InProgress,
    /// Done with.
    Closed,
}

impl AlertStatus {
    /// The status's name as it appears in JSON and queries.
    pub fn as_str(self) -> &'static str {
        match self {
            AlertStatus::New => "new",
            AlertStatus::Acknowledged => "acknowledged",
            AlertStatus::InProgress => "in_progress",
            AlertStatus::Closed => "closed",
        }
    }

    /// Parses a status name as written by [`AlertStatus::as_str`].
    pub fn parse(name: &str) -> Option<Self> {
        [
            AlertStatus::New,
            AlertStatus::Acknowledged,
            AlertStatus::InProgress,
            AlertStatus::Closed,
        ]
        .into_iter()
        .find(|s| s.as_str() == name)
    }
}

/// A detection raised for people to see: one rule, one group (usually an
/// entity such as a host or a door), one time window.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Alert {
    /// Derived from (tenant, rule, group key, window) by [`alert_id_for`].
    pub id: AlertId,
    /// The tenant of the evidence.
    pub tenant: TenantId,
    /// The site of the first evidence, when known.
    pub site: Option<SiteId>,
    /// The rule's id.
    pub rule_id: String,
    /// The rule's title.
    pub rule_title: String,
    /// The rule's severity.
    pub severity: Severity,
    /// Where the alert stands.
    pub status: AlertStatus,
    /// What the detections were grouped by (an entity value, or empty).
    pub group_key: String,
    /// Start of the window the alert covers.
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub window_start: Timestamp,
    /// Observed time of the earliest evidence.
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub first_seen: Timestamp,
    /// Observed time of the latest evidence.
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub last_seen: Timestamp,
    /// How many distinct events are evidence for it.
    pub event_count: u64,
    /// The entities the evidence touches.
    pub entities: Vec<Entity>,
    /// The events that are its evidence (the first few, when there are many).
    pub evidence: Vec<EventId>,
    /// When Vigil raised it.
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub created_at: Timestamp,
    /// When Vigil last changed it.
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub updated_at: Timestamp,
}

/// The start of the alert window containing `observed`, for windows of
/// `window` length aligned to the Unix epoch.
///
/// A window shorter than a second is taken as one second.
pub fn alert_window_start(observed: Timestamp, window: Duration) -> Timestamp {
    let secs = window.num_seconds().max(1);
    let t = observed.timestamp();
    let start = t - t.rem_euclid(secs);
    chrono::DateTime::from_timestamp(start, 0).unwrap_or(observed)
}

/// Namespace for alert ids (a fixed, random UUID).
const ALERT_NAMESPACE: Uuid = Uuid::from_u128(0x6f1c_9a3e_5b2d_4e8f_a1c0_7d3b_2e9f_4a51);

/// The alert id for a rule's detections about `group_key` in the window
/// starting at `window_start`, for `tenant`.
///
/// Deriving the id, rather than drawing it, is what makes replay and failover
/// safe: the same evidence always lands on the same alert.
pub fn alert_id_for(
    tenant: &TenantId,
    rule_id: &str,
    group_key: &str,
    window_start: Timestamp,
) -> AlertId {
    let mut name = Vec::with_capacity(tenant.as_str().len() + rule_id.len() + group_key.len() + 24);
    alert_name_into(&mut name, tenant, rule_id, group_key, window_start);
    alert_id_of_name(&name)
}

/// Appends to `out` the name [`alert_id_for`] derives the id from:
/// length-prefixed parts, so two different alerts never share a name. A
/// caller that remembers ids can key them by it.
pub fn alert_name_into(
    out: &mut Vec<u8>,
    tenant: &TenantId,
    rule_id: &str,
    group_key: &str,
    window_start: Timestamp,
) {
    for part in [tenant.as_str(), rule_id, group_key] {
        out.extend_from_slice(&(part.len() as u32).to_be_bytes());
        out.extend_from_slice(part.as_bytes());
    }
    out.extend_from_slice(&window_start.timestamp().to_be_bytes());
}

/// The id of the alert named `name` (made by [`alert_name_into`]).
pub fn alert_id_of_name(name: &[u8]) -> AlertId {
    AlertId(Uuid::new_v5(&ALERT_NAMESPACE, name))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn t(secs: i64) -> Timestamp {
        chrono::DateTime::from_timestamp(secs, 0).unwrap()
    }

    #[test]
    fn windows_align_to_their_length() {
        assert_eq!(alert_window_start(t(3_725), Duration::hours(1)), t(3_600));
        assert_eq!(alert_window_start(t(3_600), Duration::hours(1)), t(3_600));
        assert_eq!(alert_window_start(t(-1), Duration::hours(1)), t(-3_600));
        assert_eq!(alert_window_start(t(59), Duration::zero()), t(59));
    }

    #[test]
    fn alert_ids_depend_on_every_part() {
        let tenant = TenantId::new("a").unwrap();
        let other = TenantId::new("b").unwrap();
        let base = alert_id_for(&tenant, "r1", "host1", t(0));
        assert_eq!(base, alert_id_for(&tenant, "r1", "host1", t(0)));
        assert_ne!(base, alert_id_for(&other, "r1", "host1", t(0)));
        assert_ne!(base, alert_id_for(&tenant, "r2", "host1", t(0)));
        assert_ne!(base, alert_id_for(&tenant, "r1", "host2", t(0)));
        assert_ne!(base, alert_id_for(&tenant, "r1", "host1", t(3600)));
        // Length prefixes keep ("ab","c") and ("a","bc") apart.
        assert_ne!(
            alert_id_for(&tenant, "ab", "c", t(0)),
            alert_id_for(&tenant, "a", "bc", t(0))
        );
    }

    proptest! {
        #[test]
        fn every_time_falls_in_its_window(secs in -1_000_000_000i64..4_000_000_000, len in 1i64..100_000) {
            let start = alert_window_start(t(secs), Duration::seconds(len));
            prop_assert!(start <= t(secs));
            prop_assert!(t(secs) < start + Duration::seconds(len));
        }
    }
}
