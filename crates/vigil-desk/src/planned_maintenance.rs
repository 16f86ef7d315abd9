//! The SLA calendar's planned maintenance: the stretches approved work
//! orders keep their devices in maintenance
//! ([`vigil_lifecycle::work_order::WorkOrder::planned_maintenance`]), per
//! client and device.
//!
//! What a managed service contract usually means by it, and what Vigil
//! does: time a device spends in maintenance the client approved is not
//! the provider's time. So an alarm about such a device does not run its
//! response clocks while the window is open (they pause and resume, see
//! [`crate::sla`]), and the device's availability leaves that time out of
//! both what was measured and what was down (the service report's health
//! figures). Unapproved work counts for nothing: it is what the
//! unplanned-change alarm is for. Maintenance windows an operator declares
//! without a work order suppress alarms but are not in this calendar — they
//! are the provider's own decision, not an agreement with the client.

use std::collections::HashMap;

use serde::Serialize;
use vigil_lifecycle::work_order::WorkOrder;
use vigil_model::{SiteId, TenantId, Timestamp};

use crate::alarm::Alarm;

/// One device's planned maintenance under one work order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MaintenanceSpan {
    /// The work order.
    pub work_order: String,
    /// The device's site.
    pub site: SiteId,
    /// The device.
    pub device: String,
    /// From.
    pub start: Timestamp,
    /// Until.
    pub end: Timestamp,
}

/// Every client's planned maintenance, by device.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PlannedMaintenance {
    by_tenant: HashMap<TenantId, Vec<MaintenanceSpan>>,
}

impl PlannedMaintenance {
    /// The calendar of `orders` (any clients).
    pub fn of<'a>(orders: impl IntoIterator<Item = &'a WorkOrder>) -> Self {
        let mut by_tenant: HashMap<TenantId, Vec<MaintenanceSpan>> = HashMap::new();
        for order in orders {
            let Some(window) = order.planned_maintenance() else {
                continue;
            };
            let spans = by_tenant.entry(order.tenant.clone()).or_default();
            for d in &order.devices {
                spans.push(MaintenanceSpan {
                    work_order: order.id.clone(),
                    site: d.site.clone(),
                    device: d.device.clone(),
                    start: window.start(),
                    end: window.end(),
                });
            }
        }
        for spans in by_tenant.values_mut() {
            spans.sort_by_key(|s| s.start);
        }
        Self { by_tenant }
    }

    /// `tenant`'s spans for `device` (at `site`, when known), oldest first.
    pub fn of_device(
        &self,
        tenant: &TenantId,
        site: Option<&SiteId>,
        device: &str,
    ) -> Vec<&MaintenanceSpan> {
        self.by_tenant
            .get(tenant)
            .into_iter()
            .flatten()
            .filter(|s| s.device.eq_ignore_ascii_case(device))
            .filter(|s| site.is_none_or(|site| &s.site == site))
            .collect()
    }

    /// The spans of the devices an alarm names (any of its entities, as
    /// maintenance suppression matches them), oldest first.
    pub fn of_alarm(&self, alarm: &Alarm) -> Vec<&MaintenanceSpan> {
        let mut out: Vec<&MaintenanceSpan> = self
            .by_tenant
            .get(&alarm.tenant)
            .into_iter()
            .flatten()
            .filter(|s| alarm.site.as_ref().is_none_or(|site| &s.site == site))
            .filter(|s| {
                alarm
                    .entities
                    .iter()
                    .any(|e| e.value.eq_ignore_ascii_case(&s.device))
            })
            .collect();
        out.sort_by_key(|s| s.start);
        out
    }

    /// Whether nothing is planned.
    pub fn is_empty(&self) -> bool {
        self.by_tenant.values().all(Vec::is_empty)
    }
}

/// `spans` merged where they overlap or touch, as (start, end), in order.
pub fn merged<'a>(
    spans: impl IntoIterator<Item = &'a MaintenanceSpan>,
) -> Vec<(Timestamp, Timestamp)> {
    let mut all: Vec<(Timestamp, Timestamp)> =
        spans.into_iter().map(|s| (s.start, s.end)).collect();
    all.sort();
    let mut out: Vec<(Timestamp, Timestamp)> = Vec::with_capacity(all.len());
    for (start, end) in all {
        match out.last_mut() {
            Some(last) if start <= last.1 => last.1 = last.1.max(end),
            _ => out.push((start, end)),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Duration, Utc};
    use vigil_lifecycle::work_order::{DeviceRef, WorkKind};

    fn order(id: &str, tenant: &str, device: &str, start: Timestamp, hours: i64) -> WorkOrder {
        WorkOrder::plan(
            id,
            TenantId::new(tenant).unwrap(),
            WorkKind::PreventiveMaintenance,
            "service",
            start,
            start + Duration::hours(hours),
            vec![DeviceRef {
                site: SiteId::new("hq").unwrap(),
                device: device.into(),
            }],
            "approver",
        )
        .unwrap()
    }

    #[test]
    fn only_approved_orders_are_in_the_calendar_per_client_and_device() {
        let t0 = Utc::now();
        let mut approved = order("wo-1", "alpha", "cam-7", t0, 2);
        approved.approve("approver", t0).unwrap();
        let planned = order("wo-2", "alpha", "cam-8", t0, 2);
        let mut other = order("wo-3", "beta", "cam-7", t0, 2);
        other.approve("approver", t0).unwrap();
        let cal = PlannedMaintenance::of([&approved, &planned, &other]);
        let alpha = TenantId::new("alpha").unwrap();
        let spans = cal.of_device(&alpha, None, "CAM-7");
        assert_eq!(spans.len(), 1);
        assert_eq!(
            (spans[0].start, spans[0].end),
            (t0, t0 + Duration::hours(2))
        );
        assert!(
            cal.of_device(&alpha, None, "cam-8").is_empty(),
            "not approved"
        );
        assert!(
            cal.of_device(&alpha, Some(&SiteId::new("depot").unwrap()), "cam-7")
                .is_empty()
        );
    }

    #[test]
    fn overlapping_spans_merge() {
        let t0 = Utc::now();
        let span = |h0: i64, h1: i64| MaintenanceSpan {
            work_order: "wo".into(),
            site: SiteId::new("hq").unwrap(),
            device: "cam-7".into(),
            start: t0 + Duration::hours(h0),
            end: t0 + Duration::hours(h1),
        };
        let spans = [span(3, 4), span(0, 2), span(1, 3), span(6, 7)];
        assert_eq!(
            merged(&spans),
            [
                (t0, t0 + Duration::hours(4)),
                (t0 + Duration::hours(6), t0 + Duration::hours(7))
            ]
        );
    }
}
