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
//!
//! An incident is paused the same way, by a stricter rule: only while
//! *every* device it concerns is in approved maintenance — each alarm
//! linked to it (as the alarm named its devices when it was linked) and each
//! asset listed on it. An incident that also concerns anything outside
//! maintenance (a door next to the camera being upgraded, a user, a host no
//! work order covers) may be a real attack using the maintenance as cover,
//! so its clocks run; so do those of an incident that concerns nothing the
//! calendar can place.

use std::collections::HashMap;

use serde::Serialize;
use vigil_lifecycle::work_order::WorkOrder;
use vigil_model::{SiteId, TenantId, Timestamp};

use crate::alarm::Alarm;
use crate::incident::Incident;

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
        let names: Vec<&str> = alarm.entities.iter().map(|e| e.value.as_str()).collect();
        self.naming(
            &alarm.tenant,
            |site| alarm.site.as_ref().is_none_or(|s| s == site),
            &names,
        )
    }

    /// `tenant`'s spans at a site `site_ok` accepts for a device among
    /// `names`, oldest first.
    fn naming(
        &self,
        tenant: &TenantId,
        site_ok: impl Fn(&SiteId) -> bool,
        names: &[&str],
    ) -> Vec<&MaintenanceSpan> {
        let mut out: Vec<&MaintenanceSpan> = self
            .by_tenant
            .get(tenant)
            .into_iter()
            .flatten()
            .filter(|s| site_ok(&s.site))
            .filter(|s| names.iter().any(|n| n.eq_ignore_ascii_case(&s.device)))
            .collect();
        out.sort_by_key(|s| s.start);
        out
    }

    /// The stretches in which every device `incident` concerns is in
    /// planned maintenance (the rule is in the module's documentation),
    /// oldest first; empty if any alarm or asset of it has none, or if it
    /// concerns nothing.
    pub fn of_incident(&self, incident: &Incident) -> Vec<MaintenanceStretch> {
        if !self.by_tenant.contains_key(&incident.tenant) {
            return Vec::new();
        }
        let mut concerns: Vec<Vec<&MaintenanceSpan>> = Vec::new();
        for id in &incident.alarms {
            // An alarm linked before the desk kept what it named cannot be
            // placed: the incident's clocks run.
            let Some(linked) = incident.linked.iter().find(|l| l.alarm == *id) else {
                return Vec::new();
            };
            let names: Vec<&str> = linked.entities.iter().map(String::as_str).collect();
            let site_ok = |site: &SiteId| linked.site.as_ref().is_none_or(|s| s == site);
            concerns.push(self.naming(&incident.tenant, site_ok, &names));
        }
        for asset in &incident.assets {
            let site_ok =
                |site: &SiteId| incident.sites.is_empty() || incident.sites.contains(site);
            concerns.push(self.naming(&incident.tenant, site_ok, &[asset.as_str()]));
        }
        let Some((first, rest)) = concerns.split_first() else {
            return Vec::new();
        };
        let mut common = merged(first.iter().copied());
        for spans in rest {
            common = intersection(&common, &merged(spans.iter().copied()));
        }
        common
            .into_iter()
            .map(|(start, end)| {
                let mut work_orders: Vec<String> = concerns
                    .iter()
                    .flatten()
                    .filter(|s| s.start < end && start < s.end)
                    .map(|s| s.work_order.clone())
                    .collect();
                work_orders.sort();
                work_orders.dedup();
                MaintenanceStretch {
                    start,
                    end,
                    work_orders,
                }
            })
            .collect()
    }

    /// Whether nothing is planned.
    pub fn is_empty(&self) -> bool {
        self.by_tenant.values().all(Vec::is_empty)
    }
}

/// A stretch in which everything an incident concerns is in planned
/// maintenance, and the work orders that put it there.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MaintenanceStretch {
    /// From.
    pub start: Timestamp,
    /// Until.
    pub end: Timestamp,
    /// The work orders whose windows make it up, by id.
    pub work_orders: Vec<String>,
}

/// Where two ordered lists of disjoint stretches overlap, in order.
fn intersection(
    a: &[(Timestamp, Timestamp)],
    b: &[(Timestamp, Timestamp)],
) -> Vec<(Timestamp, Timestamp)> {
    let (mut i, mut j) = (0, 0);
    let mut out = Vec::new();
    while i < a.len() && j < b.len() {
        let start = a[i].0.max(b[j].0);
        let end = a[i].1.min(b[j].1);
        if start < end {
            out.push((start, end));
        }
        if a[i].1 < b[j].1 {
            i += 1;
        } else {
            j += 1;
        }
    }
    out
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
