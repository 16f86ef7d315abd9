//! Access to a critical zone outside that person's usual hours, or for the
//! first time.
//!
//! A baseline per (tenant, person, zone): how often the person was granted
//! access at each hour of the day (UTC). After a learning period for the
//! tenant (no detections while it lasts, since then every access is a
//! first), a grant into a critical zone raises
//! - *first access* when the person has never entered that zone, and
//! - *unusual hours* when the person has entered it often enough to have
//!   habits (`min_history` times) but never within an hour of this one.
//!
//! The person is the `person_id` the people register resolved, else the
//! badge. Critical zones are named by substrings (`server`, `hall`, `noc`,
//! `cd-room` …), or flagged by the event (`zone_critical: true`).
//! State is bounded: at most `max_profiles` baselines, the least recently
//! used dropped first, and none kept past `forget_after` without a visit.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{Duration, Timelike};
use vigil_detect::RuleMeta;
use vigil_model::{EntityKind, Event, Severity, TenantId, Timestamp};

use super::{FIRST_ACCESS_ID, UNUSUAL_HOURS_ID, code_rule};

/// How the baseline learns and judges.
#[derive(Debug, Clone)]
pub struct UsualHoursSettings {
    /// How long a tenant is watched before it is judged.
    pub learning: Duration,
    /// Visits before a person's hours count as habits.
    pub min_history: u32,
    /// Substrings of zone ids that are critical.
    pub critical_zones: Vec<String>,
    /// Most baselines kept.
    pub max_profiles: usize,
    /// A baseline not used for this long is forgotten.
    pub forget_after: Duration,
}

impl Default for UsualHoursSettings {
    fn default() -> Self {
        Self {
            learning: Duration::days(14),
            min_history: 5,
            critical_zones: [
                "server", "hall", "cage", "mmr", "noc", "plant", "control", "cd-room", "pharmacy",
                "scada",
            ]
            .iter()
            .map(|s| (*s).to_owned())
            .collect(),
            max_profiles: 200_000,
            forget_after: Duration::days(90),
        }
    }
}

#[derive(Debug, Clone)]
struct Profile {
    hours: [u16; 24],
    total: u32,
    last_seen: Timestamp,
}

/// The baselines.
#[derive(Debug)]
pub struct UsualHours {
    settings: UsualHoursSettings,
    tenants: HashMap<TenantId, Timestamp>,
    profiles: HashMap<(TenantId, String, String), Profile>,
    first: Arc<RuleMeta>,
    unusual: Arc<RuleMeta>,
}

impl UsualHours {
    /// Empty baselines.
    pub fn new(settings: UsualHoursSettings) -> Self {
        Self {
            settings,
            tenants: HashMap::new(),
            profiles: HashMap::new(),
            first: code_rule(
                FIRST_ACCESS_ID,
                "Access to a Critical Zone for the First Time",
                "A person was granted access to a critical zone (server room, data hall, control room, controlled-drugs room) they have never entered before.",
                Severity::Medium,
                &["vigil.physical", "vigil.converged", "attack.initial-access"],
            ),
            unusual: code_rule(
                UNUSUAL_HOURS_ID,
                "Access to a Critical Zone Outside the Person's Usual Hours",
                "A person was granted access to a critical zone at an hour they have never entered it at, though they enter it regularly.",
                Severity::Medium,
                &["vigil.physical", "vigil.converged"],
            ),
        }
    }

    fn critical(&self, event: &Event, zone: &str) -> bool {
        event.fields.get("zone_critical").and_then(|v| v.as_bool()) == Some(true)
            || self
                .settings
                .critical_zones
                .iter()
                .any(|c| zone.contains(c.as_str()))
    }

    /// Judges a `physical_access` event, then learns from it.
    pub fn observe(&mut self, event: &Event) -> Option<Arc<RuleMeta>> {
        if event.fields.get("action").and_then(|v| v.as_str()) != Some("access_granted") {
            return None;
        }
        let zone = event.entity(EntityKind::Zone)?;
        if !self.critical(event, zone) {
            return None;
        }
        let person = event
            .fields
            .get("person_id")
            .and_then(|v| v.as_str())
            .map(|p| format!("person:{p}"))
            .or_else(|| {
                event
                    .entity(EntityKind::Badge)
                    .map(|b| format!("badge:{b}"))
            })?;
        let at = event.observed_at;
        let started = *self.tenants.entry(event.tenant.clone()).or_insert(at);
        let mature = at - started >= self.settings.learning;
        let key = (event.tenant.clone(), person, zone.to_owned());
        let hour = at.hour() as usize;
        let verdict = match self.profiles.get(&key) {
            None if mature => Some(self.first.clone()),
            Some(p) if mature && p.total >= self.settings.min_history => {
                let near = [(hour + 23) % 24, hour, (hour + 1) % 24];
                near.iter()
                    .all(|h| p.hours.get(*h).copied().unwrap_or(0) == 0)
                    .then(|| self.unusual.clone())
            }
            _ => None,
        };
        self.learn(key, hour, at);
        verdict
    }

    fn learn(&mut self, key: (TenantId, String, String), hour: usize, at: Timestamp) {
        if !self.profiles.contains_key(&key) && self.profiles.len() >= self.settings.max_profiles {
            let forget_before = at - self.settings.forget_after;
            self.profiles.retain(|_, p| p.last_seen >= forget_before);
            if self.profiles.len() >= self.settings.max_profiles
                && let Some(oldest) = self
                    .profiles
                    .iter()
                    .min_by_key(|(_, p)| p.last_seen)
                    .map(|(k, _)| k.clone())
            {
                self.profiles.remove(&oldest);
            }
        }
        let p = self.profiles.entry(key).or_insert(Profile {
            hours: [0; 24],
            total: 0,
            last_seen: at,
        });
        if let Some(h) = p.hours.get_mut(hour) {
            *h = h.saturating_add(1);
        }
        p.total = p.total.saturating_add(1);
        p.last_seen = p.last_seen.max(at);
    }

    /// How many baselines are kept.
    pub fn len(&self) -> usize {
        self.profiles.len()
    }

    /// Whether none are.
    pub fn is_empty(&self) -> bool {
        self.profiles.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use vigil_model::{Entity, EventClass, EventId, SourceId, SourceKind, SourceRef};

    fn grant(at: Timestamp, person: &str, zone: &str) -> Event {
        let mut fields = vigil_model::Fields::new();
        fields.insert("action".into(), "access_granted".into());
        fields.insert("person_id".into(), person.into());
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
            entities: vec![Entity::new(EntityKind::Zone, zone)],
            fields,
        }
    }

    fn day(d: i64, hour: u32) -> Timestamp {
        chrono::Utc
            .with_ymd_and_hms(2026, 11, 1, hour, 15, 0)
            .unwrap()
            + Duration::days(d)
    }

    #[test]
    fn learns_then_flags_first_visits_and_odd_hours() {
        let mut b = UsualHours::new(UsualHoursSettings {
            learning: Duration::days(7),
            ..Default::default()
        });
        for d in 0..10 {
            assert_eq!(
                b.observe(&grant(day(d, 9), "ann", "lon1-hall-1")),
                None,
                "day {d}"
            );
        }
        assert_eq!(
            b.observe(&grant(day(10, 10), "ann", "lon1-hall-1")),
            None,
            "within an hour of habit"
        );
        let odd = b
            .observe(&grant(day(11, 2), "ann", "lon1-hall-1"))
            .expect("02:15 is not ann's hour");
        assert_eq!(odd.id, UNUSUAL_HOURS_ID);
        let first = b
            .observe(&grant(day(11, 9), "ann", "lon1-mmr"))
            .expect("ann never entered the meet-me room");
        assert_eq!(first.id, FIRST_ACCESS_ID);
        assert_eq!(
            b.observe(&grant(day(11, 9), "ann", "lon1-lobby")),
            None,
            "not a critical zone"
        );
        // Few visits are not habits yet.
        assert_eq!(b.observe(&grant(day(12, 3), "ann", "lon1-mmr")), None);
    }

    #[test]
    fn state_is_bounded() {
        let mut b = UsualHours::new(UsualHoursSettings {
            max_profiles: 10,
            ..Default::default()
        });
        for i in 0..50 {
            b.observe(&grant(day(i, 9), &format!("p{i}"), "lon1-hall-1"));
        }
        assert_eq!(b.len(), 10);
    }
}
