//! An incident's timeline: the evidence, the alarms' transitions and the
//! people's actions, in one time order.

use serde::{Deserialize, Serialize};
use vigil_model::{Event, Timestamp};

use crate::alarm::Alarm;
use crate::incident::Incident;

/// What a timeline item is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TimelineKind {
    /// An event that is evidence for a linked alarm.
    Evidence,
    /// A linked alarm was raised or changed hands or status.
    Alarm,
    /// Someone acted on the incident.
    Action,
}

/// One line of the timeline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TimelineItem {
    /// When.
    pub at: Timestamp,
    /// What kind.
    pub kind: TimelineKind,
    /// Who, for alarm changes and actions.
    pub actor: Option<String>,
    /// What happened, for people.
    pub summary: String,
    /// The event, alarm or incident it comes from.
    pub reference: String,
}

/// Merges an incident's own activity with its alarms' transitions and
/// their evidence, oldest first (ties: evidence, then alarms, then actions).
pub fn merge(incident: &Incident, alarms: &[Alarm], evidence: &[Event]) -> Vec<TimelineItem> {
    let mut items = Vec::new();
    for e in evidence {
        let entities: Vec<String> = e
            .entities
            .iter()
            .take(4)
            .map(|x| format!("{}={}", x.kind.as_str(), x.value))
            .collect();
        items.push(TimelineItem {
            at: e.observed_at,
            kind: TimelineKind::Evidence,
            actor: None,
            summary: format!(
                "{} from {}{}: {}",
                e.class.as_str(),
                e.source.product,
                e.source
                    .device
                    .as_ref()
                    .map(|d| format!(" ({d})"))
                    .unwrap_or_default(),
                entities.join(", ")
            ),
            reference: format!("event/{}", e.id),
        });
    }
    for a in alarms {
        items.push(TimelineItem {
            at: a.raised_at,
            kind: TimelineKind::Alarm,
            actor: None,
            summary: format!("alarm raised: {} ({})", a.rule_title, a.severity),
            reference: format!("alarm/{}", a.id),
        });
        for t in &a.transitions {
            items.push(TimelineItem {
                at: t.at,
                kind: TimelineKind::Alarm,
                actor: Some(t.actor.clone()),
                summary: format!(
                    "alarm {}: {} → {}{}",
                    t.command,
                    t.from.as_str(),
                    t.to.as_str(),
                    t.reason
                        .as_ref()
                        .map(|r| format!(" ({r})"))
                        .unwrap_or_default()
                ),
                reference: format!("alarm/{}", a.id),
            });
        }
    }
    for act in &incident.activity {
        items.push(TimelineItem {
            at: act.at,
            kind: TimelineKind::Action,
            actor: Some(act.actor.clone()),
            summary: format!("{}: {}", act.action, act.text),
            reference: format!("incident/{}", incident.id),
        });
    }
    items.sort_by_key(|a| (a.at, a.kind));
    items
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Actor;
    use crate::alarm::AlarmCommand;
    use crate::incident::{Category, NewIncident};
    use vigil_model::{
        Alert, Entity, EntityKind, EventClass, EventId, Severity, SourceId, SourceKind, SourceRef,
        TenantId,
    };
    use vigil_store::Role;

    fn t(min: i64) -> Timestamp {
        chrono::DateTime::from_timestamp(1_764_000_000, 0).unwrap() + chrono::Duration::minutes(min)
    }

    #[test]
    fn evidence_alarm_changes_and_actions_interleave_by_time() {
        let tenant = TenantId::new("northgate").unwrap();
        let op = Actor::person("alice", Role::ProviderOperator, None);
        let alert = Alert {
            id: vigil_model::alert_id_for(&tenant, "r", "door:d", t(0)),
            tenant: tenant.clone(),
            site: None,
            rule_id: "r".into(),
            rule_title: "Door forced".into(),
            severity: Severity::High,
            status: vigil_model::AlertStatus::New,
            group_key: "door:d".into(),
            window_start: t(0),
            first_seen: t(1),
            last_seen: t(1),
            event_count: 1,
            entities: vec![],
            evidence: vec![],
            created_at: t(2),
            updated_at: t(2),
        };
        let alarm = Alarm::from_alert(&alert, t(2))
            .apply(&op, &AlarmCommand::Acknowledge, t(4))
            .unwrap();
        let incident = Incident::open(
            &op,
            "i".into(),
            NewIncident {
                tenant: tenant.clone(),
                title: "Forced door".into(),
                severity: Severity::High,
                category: Category::Physical,
                sites: vec![],
                assets: vec![],
                alarms: vec![alarm.id],
            },
            t(5),
        )
        .unwrap();
        let event = Event {
            id: EventId::new_at(t(1), [0; 10]),
            tenant,
            site: None,
            observed_at: t(1),
            received_at: t(1),
            source: SourceRef {
                id: SourceId::new("acs").unwrap(),
                kind: SourceKind::Http,
                product: "lenel".into(),
                device: Some("panel-1".into()),
            },
            class: EventClass::Authentication,
            severity: Severity::High,
            entities: vec![Entity::new(EntityKind::Door, "d")],
            fields: Default::default(),
        };
        let kinds: Vec<(TimelineKind, i64)> = merge(&incident, &[alarm], &[event])
            .iter()
            .map(|i| (i.kind, (i.at - t(0)).num_minutes()))
            .collect();
        assert_eq!(
            kinds,
            vec![
                (TimelineKind::Evidence, 1),
                (TimelineKind::Alarm, 2),
                (TimelineKind::Alarm, 4),
                (TimelineKind::Action, 5),
            ]
        );
    }
}
