//! Detections to alerts: one alert per (tenant, rule, group, window).

use std::collections::{HashMap, HashSet};

use chrono::Duration;
use vigil_detect::Detection;
use vigil_model::{
    Alert, AlertId, AlertStatus, EntityKind, Event, EventId, Severity, TenantId, Timestamp,
    alert_window_start,
};
use vigil_store::{AlertDetection, MAX_ALERT_ENTITIES};

use crate::alert_ids::alert_id;

/// The entity kinds that name what an alert is about, most specific first.
/// A rule about a process on a host is about the host; a rule about a door
/// is about the door, even when a badge and a person are also named.
const GROUP_PRIORITY: [EntityKind; 9] = [
    EntityKind::Host,
    EntityKind::Door,
    EntityKind::Camera,
    EntityKind::Sensor,
    EntityKind::Device,
    EntityKind::User,
    EntityKind::Badge,
    EntityKind::Ip,
    EntityKind::Zone,
];

/// What detections on `event` are grouped by: the most specific entity it
/// names (`host:ws-0042`), or nothing.
pub fn group_key(event: &Event) -> String {
    GROUP_PRIORITY
        .iter()
        .find_map(|kind| {
            event
                .entity(*kind)
                .map(|value| format!("{}:{}", kind.as_str(), value.to_ascii_lowercase()))
        })
        .unwrap_or_default()
}

/// Gathers a batch's detections into one [`AlertDetection`] per alert.
pub(crate) struct AlertAccumulator {
    window: Duration,
    by_id: HashMap<AlertId, (AlertDetection, HashSet<u64>)>,
    order: Vec<AlertId>,
}

type AlertHead = (AlertId, TenantId, Severity, String);

impl AlertAccumulator {
    pub fn new(window: Duration) -> Self {
        Self {
            window,
            by_id: HashMap::new(),
            order: Vec::new(),
        }
    }

    /// Adds every one of `detections` of `event`: the event is grouped
    /// once, however many rules it matches.
    pub fn add_all(
        &mut self,
        event: &Event,
        fingerprint: u64,
        detections: impl Iterator<Item = Detection>,
    ) {
        let mut group = None;
        for detection in detections {
            let group = group.get_or_insert_with(|| group_key(event));
            self.add_grouped(event, fingerprint, &detection, group);
        }
    }

    fn add_grouped(&mut self, event: &Event, fingerprint: u64, detection: &Detection, group: &str) {
        let rule = &detection.rule;
        let window_start = alert_window_start(event.observed_at, self.window);
        let id = alert_id(&event.tenant, &rule.id, group, window_start);
        let (entry, seen) = self.by_id.entry(id).or_insert_with(|| {
            self.order.push(id);
            let detection = AlertDetection {
                alert: Alert {
                    id,
                    tenant: event.tenant.clone(),
                    site: event.site.clone(),
                    rule_id: rule.id.clone(),
                    rule_title: rule.title.clone(),
                    severity: rule.level,
                    status: AlertStatus::New,
                    group_key: group.to_owned(),
                    window_start,
                    first_seen: event.observed_at,
                    last_seen: event.observed_at,
                    event_count: 0,
                    entities: Vec::new(),
                    evidence: Vec::new(),
                    created_at: event.received_at,
                    updated_at: event.received_at,
                },
                evidence: Vec::new(),
            };
            (detection, HashSet::new())
        });
        let alert = &mut entry.alert;
        alert.first_seen = alert.first_seen.min(event.observed_at);
        alert.last_seen = alert.last_seen.max(event.observed_at);
        for entity in &event.entities {
            if alert.entities.len() >= MAX_ALERT_ENTITIES {
                break;
            }
            if !alert.entities.contains(entity) {
                alert.entities.push(entity.clone());
            }
        }
        if seen.insert(fingerprint) {
            entry
                .evidence
                .push((event.id, fingerprint, event.observed_at));
            entry.alert.event_count += 1;
        }
    }

    /// Adds `evidence` to `alert` (taken as given when it is new in this
    /// batch, merged otherwise): for alerts that are not one event's
    /// detection, such as correlation firings.
    pub fn add_alert(
        &mut self,
        alert: Alert,
        evidence: impl IntoIterator<Item = (EventId, u64, Timestamp)>,
    ) {
        let id = alert.id;
        let (entry, seen) = self.by_id.entry(id).or_insert_with(|| {
            self.order.push(id);
            let detection = AlertDetection {
                alert: Alert {
                    event_count: 0,
                    ..alert.clone()
                },
                evidence: Vec::new(),
            };
            (detection, HashSet::new())
        });
        let merged = &mut entry.alert;
        merged.first_seen = merged.first_seen.min(alert.first_seen);
        merged.last_seen = merged.last_seen.max(alert.last_seen);
        for entity in alert.entities {
            if merged.entities.len() >= MAX_ALERT_ENTITIES {
                break;
            }
            if !merged.entities.contains(&entity) {
                merged.entities.push(entity);
            }
        }
        for (event, fingerprint, at) in evidence {
            if seen.insert(fingerprint) {
                entry.evidence.push((event, fingerprint, at));
                entry.alert.event_count += 1;
            }
        }
    }

    /// The alerts in the order first seen, and their heads for notification.
    pub fn finish(mut self) -> (Vec<AlertDetection>, Vec<AlertHead>) {
        let mut detections = Vec::with_capacity(self.order.len());
        let mut heads = Vec::with_capacity(self.order.len());
        for id in self.order {
            if let Some((d, _)) = self.by_id.remove(&id) {
                heads.push((
                    id,
                    d.alert.tenant.clone(),
                    d.alert.severity,
                    d.alert.rule_title.clone(),
                ));
                detections.push(d);
            }
        }
        (detections, heads)
    }
}
