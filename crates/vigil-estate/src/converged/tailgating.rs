//! Tailgating: more people counted through a door than badges granted.
//!
//! Doors with a people counter report `people_counted` events (`count`:
//! how many passed in one opening). Each grant at a door is remembered for
//! `window`; a count is matched against the grants at that door within the
//! window before it (and a moment after, for a grant logged late), and
//! raises a detection when it exceeds them. Matched grants are used up, so
//! one grant never covers two openings. Doors without a counter are never
//! judged. State is bounded: a few grants per door, and doors idle for a day
//! are forgotten when the table is full.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

use chrono::Duration;
use vigil_detect::RuleMeta;
use vigil_model::{EntityKind, Event, Severity, TenantId, Timestamp};

use super::{TAILGATING_ID, code_rule};

/// Grants remembered per door.
const MAX_GRANTS: usize = 64;
/// Doors tracked.
const MAX_DOORS: usize = 100_000;

/// The tailgating rule's state.
#[derive(Debug)]
pub struct Tailgating {
    window: Duration,
    doors: HashMap<(TenantId, String), VecDeque<Timestamp>>,
    rule: Arc<RuleMeta>,
}

fn count_of(event: &Event) -> Option<u64> {
    ["count", "people_count"]
        .iter()
        .find_map(|k| match event.fields.get(*k)? {
            serde_json::Value::Number(n) => n.as_u64(),
            serde_json::Value::String(s) => s.trim().parse().ok(),
            _ => None,
        })
}

impl Tailgating {
    /// A rule matching counts against grants within `window`.
    pub fn new(window: Duration) -> Self {
        Self {
            window,
            doors: HashMap::new(),
            rule: code_rule(
                TAILGATING_ID,
                "Tailgating: More People Through a Door Than Badges Granted",
                "A door's people counter saw more people pass than the access-control system granted badges for: someone followed an authorised person in.",
                Severity::High,
                &["vigil.physical", "vigil.converged"],
            ),
        }
    }

    /// Judges a `physical_access` event.
    pub fn observe(&mut self, event: &Event) -> Option<Arc<RuleMeta>> {
        let action = event.fields.get("action").and_then(|v| v.as_str())?;
        let door = event.entity(EntityKind::Door)?;
        let key = (event.tenant.clone(), door.to_owned());
        let at = event.observed_at;
        match action {
            "access_granted" => {
                if !self.doors.contains_key(&key) && self.doors.len() >= MAX_DOORS {
                    let idle = at - Duration::days(1);
                    self.doors
                        .retain(|_, g| g.back().is_some_and(|t| *t >= idle));
                    if self.doors.len() >= MAX_DOORS {
                        return None;
                    }
                }
                let grants = self.doors.entry(key).or_default();
                if grants.len() >= MAX_GRANTS {
                    grants.pop_front();
                }
                grants.push_back(at);
                None
            }
            "people_counted" => {
                let count = count_of(event)?;
                let grants = self.doors.entry(key).or_default();
                let from = at - self.window;
                let to = at + Duration::seconds(2);
                grants.retain(|t| *t >= from);
                let covering = grants.iter().filter(|t| **t <= to).count() as u64;
                let used = covering.min(count) as usize;
                // Use up the grants this opening accounts for, oldest first.
                for _ in 0..used {
                    grants.pop_front();
                }
                (count > covering).then(|| self.rule.clone())
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use vigil_model::{Entity, EventClass, EventId, SourceId, SourceKind, SourceRef};

    fn event(at: Timestamp, action: &str, count: Option<u64>) -> Event {
        let mut fields = vigil_model::Fields::new();
        fields.insert("action".into(), action.into());
        if let Some(c) = count {
            fields.insert("count".into(), c.into());
        }
        Event {
            id: EventId::new_at(at, [0; 10]),
            tenant: TenantId::new("acme").unwrap(),
            site: None,
            observed_at: at,
            received_at: at,
            source: SourceRef {
                id: SourceId::new("s").unwrap(),
                kind: SourceKind::Http,
                product: "access".into(),
                device: None,
            },
            class: EventClass::PhysicalAccess,
            severity: Severity::Info,
            entities: vec![Entity::new(EntityKind::Door, "lon1-mantrap-inner")],
            fields,
        }
    }

    fn t(s: i64) -> Timestamp {
        chrono::Utc
            .with_ymd_and_hms(2026, 11, 27, 10, 0, 0)
            .unwrap()
            + Duration::seconds(s)
    }

    #[test]
    fn one_badge_two_people_is_tailgating_and_grants_are_used_once() {
        let mut r = Tailgating::new(Duration::seconds(30));
        assert_eq!(r.observe(&event(t(0), "access_granted", None)), None);
        assert_eq!(
            r.observe(&event(t(4), "people_counted", Some(1))),
            None,
            "one badge, one person"
        );
        assert_eq!(r.observe(&event(t(10), "access_granted", None)), None);
        let tail = r
            .observe(&event(t(14), "people_counted", Some(2)))
            .expect("one badge, two people");
        assert_eq!(tail.id, TAILGATING_ID);
        // Two badges, two people.
        r.observe(&event(t(100), "access_granted", None));
        r.observe(&event(t(101), "access_granted", None));
        assert_eq!(r.observe(&event(t(103), "people_counted", Some(2))), None);
        // A grant older than the window covers nothing.
        r.observe(&event(t(200), "access_granted", None));
        assert!(
            r.observe(&event(t(260), "people_counted", Some(1)))
                .is_some()
        );
        // A grant logged a moment after the count still covers it.
        r.observe(&event(t(301), "access_granted", None));
        assert_eq!(r.observe(&event(t(300), "people_counted", Some(1))), None);
    }
}
