//! The unplanned firmware change as an alarm: the desk commits an event
//! (class `device_status`, the device as its entity, the versions in its
//! fields) with an alert of Vigil's own rule, as the pipeline commits a
//! detection, so triage raises it like any other alarm — through the same
//! suppression, scoring and escalation.

use chrono::Duration;
use rand::RngCore;
use vigil_lifecycle::unplanned::UnplannedChange;
use vigil_model::{
    Alert, AlertStatus, Entity, EntityKind, Event, EventClass, EventId, Severity, SourceRef,
    TenantId, alert_id_for, alert_window_start,
};
use vigil_store::{AlertDetection, IngestBatch};

use crate::DeskError;
use crate::service::Desk;

/// The rule an unplanned firmware change is raised under.
pub const UNPLANNED_FIRMWARE_RULE: &str = "vigil-unplanned-firmware-change";

/// Changes of one device within this window are one alert.
const ALERT_WINDOW: Duration = Duration::hours(1);

impl Desk {
    /// Commits the alert for `change`, heard through `source`; returns it.
    pub(crate) async fn raise_unplanned(
        &self,
        tenant: &TenantId,
        change: &UnplannedChange,
        source: &SourceRef,
    ) -> Result<Alert, DeskError> {
        let mut random = [0u8; 10];
        rand::rng().fill_bytes(&mut random);
        let at = change.at;
        let entity = Entity::new(EntityKind::Device, &change.device);
        let mut fields = vigil_model::Fields::new();
        fields.insert("firmware_from".into(), change.from.clone().into());
        fields.insert("firmware_to".into(), change.to.clone().into());
        fields.insert("work_order".into(), serde_json::Value::Null);
        let event = Event {
            id: EventId::new_at(at, random),
            tenant: tenant.clone(),
            site: Some(change.site.clone()),
            observed_at: at,
            received_at: at,
            source: source.clone(),
            class: EventClass::DeviceStatus,
            severity: Severity::High,
            entities: vec![entity.clone()],
            fields,
        };
        let group = format!("device:{}/{}", change.site, change.device);
        let window = alert_window_start(at, ALERT_WINDOW);
        let alert = Alert {
            id: alert_id_for(tenant, UNPLANNED_FIRMWARE_RULE, &group, window),
            tenant: tenant.clone(),
            site: Some(change.site.clone()),
            rule_id: UNPLANNED_FIRMWARE_RULE.into(),
            rule_title: format!(
                "Unplanned firmware change on {}: {} → {} with no approved work order",
                change.device, change.from, change.to
            ),
            severity: Severity::High,
            status: AlertStatus::New,
            group_key: group,
            window_start: window,
            first_seen: at,
            last_seen: at,
            event_count: 1,
            entities: vec![entity],
            evidence: vec![],
            created_at: at,
            updated_at: at,
        };
        let bytes = event.id.0.as_bytes();
        let mut tail = [0u8; 8];
        tail.copy_from_slice(&bytes[8..16]);
        let fingerprint = u64::from_be_bytes(tail);
        self.store()
            .commit(IngestBatch {
                events: vec![event.clone()],
                fingerprints: vec![fingerprint],
                detections: vec![AlertDetection {
                    alert: alert.clone(),
                    evidence: vec![(event.id, fingerprint, at)],
                }],
                ..Default::default()
            })
            .await?;
        Ok(alert)
    }
}
