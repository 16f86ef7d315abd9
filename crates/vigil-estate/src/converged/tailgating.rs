//! Tailgating: more people counted through a door than badges granted.
//!
//! Doors with a people counter report `people_counted` events (`count`:
//! how many passed in one opening). Each grant at a door is remembered for
//! `window`; a count is matched against the grants at that door within the
//! window before it (and a moment after, for a grant logged late), and
//! raises a detection when it exceeds them. Matched grants are used up, so
//! one grant never covers two openings: a colleague badging while the door
//! is still open may make one count look covered, but their own passage is
//! counted too and then finds no grant left, so the door still comes out one
//! person over. Grants and counts the system marks as the way out
//! (`direction`: `out`, `exit`, `egress`) let nobody in and are left out.
//! Doors without a counter are never judged. State is bounded: a few grants
//! per door, and doors idle for a day are forgotten when the table is full.

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

/// Whether the event is about leaving (an exit reader's grant, a counter's
/// outbound count).
fn outbound(event: &Event) -> bool {
    event
        .fields
        .get("direction")
        .and_then(|v| v.as_str())
        .is_some_and(|d| {
            ["out", "exit", "egress", "outbound"]
                .iter()
                .any(|o| d.trim().eq_ignore_ascii_case(o))
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
        if outbound(event) {
            return None;
        }
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

    fn leaving(at: Timestamp) -> Event {
        let mut e = event(at, "access_granted", None);
        e.fields.insert("direction".into(), "out".into());
        e
    }

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

    fn ms(ms: i64) -> Timestamp {
        t(0) + Duration::milliseconds(ms)
    }

    #[test]
    fn a_colleague_badging_while_the_door_is_open_does_not_hide_a_tailgater() {
        // As on 14 January in the triage bench: Kevin badges, the door
        // opens, Paul badges at the open door, the counter reports Kevin and
        // the person behind him (2), then Paul's own passage (1).
        let mut r = Tailgating::new(Duration::seconds(30));
        assert_eq!(r.observe(&event(ms(837), "access_granted", None)), None);
        assert_eq!(r.observe(&event(ms(3_493), "access_granted", None)), None);
        assert_eq!(
            r.observe(&event(ms(3_979), "people_counted", Some(2))),
            None,
            "two grants within the window cover two people"
        );
        let raised = r.observe(&event(ms(7_100), "people_counted", Some(1)));
        assert_eq!(
            raised.map(|m| m.id.clone()).as_deref(),
            Some(TAILGATING_ID),
            "Paul's passage finds no grant left: one person more than badges"
        );
    }

    #[test]
    fn a_badge_out_lets_nobody_in() {
        let mut r = Tailgating::new(Duration::seconds(30));
        // Someone leaves through the mantrap; ten seconds later one badge
        // lets two people in.
        assert_eq!(r.observe(&leaving(t(0))), None);
        assert_eq!(r.observe(&event(t(10), "access_granted", None)), None);
        assert!(
            r.observe(&event(t(14), "people_counted", Some(2)))
                .is_some()
        );
        // An outbound count is not judged against inbound grants.
        let mut out = event(t(40), "people_counted", Some(3));
        out.fields.insert("direction".into(), "exit".into());
        assert_eq!(r.observe(&out), None);
    }

    #[test]
    fn everyday_passages_each_counted_never_raise() {
        let mut r = Tailgating::new(Duration::seconds(30));
        // People one after another, 2.7 s apart, as a busy morning has
        // them: each one's count comes 4 s after their grant, after the
        // next person has already badged.
        let mut events = Vec::new();
        for i in 0..200i64 {
            let at = i * 2_700;
            events.push(event(ms(at), "access_granted", None));
            events.push(event(ms(at + 4_000), "people_counted", Some(1)));
        }
        events.sort_by_key(|e| e.observed_at);
        let raised = events.iter().filter(|e| r.observe(e).is_some()).count();
        assert_eq!(raised, 0);
    }
}
