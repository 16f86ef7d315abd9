//! Related alarms: the same thing, the same place, the same moment.
//!
//! Two alarms of one tenant are related when they are close in time and
//! either name a common entity (the same host, door, user or address), or
//! are at the same site and both severe — a camera blinded and a door
//! forced a minute apart in one data hall are one story, whatever their
//! rules. A related alarm joins the group of the alarm it relates to; the
//! operator looks at a group once.

use chrono::Duration;
use vigil_model::{EntityKind, Severity};

use crate::alarm::Alarm;

/// Entity kinds too common to relate alarms by on their own (every event
/// of a site names its zone).
const WEAK_KINDS: [EntityKind; 1] = [EntityKind::Zone];

/// Whether `a` and `b` are related, within `window` of each other.
pub fn related(a: &Alarm, b: &Alarm, window: Duration) -> bool {
    if a.id == b.id || a.tenant != b.tenant {
        return false;
    }
    // Their evidence spans, widened by the window, overlap.
    let close = a.first_seen <= b.last_seen + window && b.first_seen <= a.last_seen + window;
    if !close {
        return false;
    }
    let shared_entity = a.entities.iter().any(|e| {
        !WEAK_KINDS.contains(&e.kind)
            && b.entities
                .iter()
                .any(|f| f.kind == e.kind && f.value.eq_ignore_ascii_case(&e.value))
    }) || (!a.group_key.is_empty() && a.group_key == b.group_key);
    let same_site_severe = a.site.is_some()
        && a.site == b.site
        && a.severity >= Severity::High
        && b.severity >= Severity::High;
    shared_entity || same_site_severe
}

/// What grouping found for an alarm among the earlier alarms of its tenant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assignment {
    /// The group it joins: that of the earliest related alarm, else its own.
    pub group: String,
    /// How many alarms are related to it.
    pub related: u32,
    /// Whether one of them is another rule's: evidence a model that learned
    /// one rule's noise never saw.
    pub corroborated: bool,
}

/// The group `alarm` joins among `candidates` (earlier alarms of its
/// tenant), how many are related, and whether another rule's is. One pass:
/// triage compares each new alarm with hundreds of candidates, and asking
/// about corroboration in a second pass doubled its grouping time.
pub fn assign<'a>(
    alarm: &Alarm,
    candidates: impl IntoIterator<Item = &'a Alarm>,
    window: Duration,
) -> Assignment {
    let mut best: Option<&Alarm> = None;
    let mut count = 0u32;
    let mut corroborated = false;
    for c in candidates {
        if related(alarm, c, window) {
            count += 1;
            corroborated |= c.rule_id != alarm.rule_id;
            if best.is_none_or(|b| (c.raised_at, c.id) < (b.raised_at, b.id)) {
                best = Some(c);
            }
        }
    }
    Assignment {
        group: best.map_or_else(|| alarm.id.to_string(), |b| b.group.clone()),
        related: count,
        corroborated,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use vigil_model::{Alert, Entity, SiteId, TenantId, Timestamp};

    fn t(min: i64) -> Timestamp {
        chrono::DateTime::from_timestamp(1_764_000_000, 0).unwrap() + Duration::minutes(min)
    }

    fn alarm(
        tenant: &str,
        rule: &str,
        site: &str,
        sev: Severity,
        min: i64,
        entities: &[(EntityKind, &str)],
    ) -> Alarm {
        let tenant = TenantId::new(tenant).unwrap();
        let key = entities
            .first()
            .map(|(k, v)| format!("{}:{v}", k.as_str()))
            .unwrap_or_default();
        let alert = Alert {
            id: vigil_model::alert_id_for(&tenant, rule, &key, t(min)),
            tenant,
            site: Some(SiteId::new(site).unwrap()),
            rule_id: rule.into(),
            rule_title: rule.into(),
            severity: sev,
            status: vigil_model::AlertStatus::New,
            group_key: key,
            window_start: t(min),
            first_seen: t(min),
            last_seen: t(min + 1),
            event_count: 1,
            entities: entities.iter().map(|(k, v)| Entity::new(*k, *v)).collect(),
            evidence: vec![],
            created_at: t(min),
            updated_at: t(min),
        };
        Alarm::from_alert(&alert, t(min))
    }

    #[test]
    fn shared_entities_relate_and_zones_alone_do_not() {
        let w = Duration::minutes(30);
        let a = alarm(
            "n",
            "ps",
            "lon1",
            Severity::Medium,
            0,
            &[(EntityKind::Host, "ws-1"), (EntityKind::Zone, "z")],
        );
        let b = alarm(
            "n",
            "lsass",
            "lon1",
            Severity::Medium,
            10,
            &[(EntityKind::Host, "WS-1")],
        );
        let c = alarm(
            "n",
            "other",
            "lon1",
            Severity::Medium,
            10,
            &[(EntityKind::Host, "ws-2"), (EntityKind::Zone, "z")],
        );
        assert!(related(&a, &b, w));
        assert!(!related(&a, &c, w), "a zone alone is too weak");
        let late = alarm(
            "n",
            "lsass",
            "lon1",
            Severity::Medium,
            120,
            &[(EntityKind::Host, "ws-1")],
        );
        assert!(!related(&a, &late, w), "too far apart");
        let other_tenant = alarm(
            "r",
            "lsass",
            "lon1",
            Severity::Medium,
            10,
            &[(EntityKind::Host, "ws-1")],
        );
        assert!(!related(&a, &other_tenant, w));
    }

    #[test]
    fn severe_alarms_at_one_site_form_one_story() {
        let w = Duration::minutes(30);
        let cam = alarm(
            "n",
            "cam",
            "lon1",
            Severity::High,
            0,
            &[(EntityKind::Camera, "cam-1")],
        );
        let door = alarm(
            "n",
            "door",
            "lon1",
            Severity::Critical,
            3,
            &[(EntityKind::Door, "d-1")],
        );
        let elsewhere = alarm(
            "n",
            "door",
            "man1",
            Severity::Critical,
            3,
            &[(EntityKind::Door, "d-9")],
        );
        assert!(related(&cam, &door, w));
        assert!(!related(&cam, &elsewhere, w));
        let joined = assign(&door, [&cam, &elsewhere], w);
        assert_eq!(
            joined,
            Assignment {
                group: cam.group.clone(),
                related: 1,
                corroborated: true,
            },
            "the camera's alarm is another rule's"
        );
        let alone = assign(&elsewhere, [&cam], w);
        assert_eq!(
            alone,
            Assignment {
                group: elsewhere.id.to_string(),
                related: 0,
                corroborated: false,
            }
        );
    }
}
