//! Availability over March 2026 in London (743 hours: the clocks go
//! forward on the 29th), with fixed instants.

use chrono::{TimeZone, Utc};
use vigil_model::{SourceId, TenantId, Timestamp};
use vigil_store::SupervisionRecord;

use super::*;
use crate::planned_maintenance::PlannedMaintenance;
use crate::reporting::service::health::FlapRule;

fn at(d: u32, h: u32) -> Timestamp {
    Utc.with_ymd_and_hms(2026, 3, d, h, 0, 0).unwrap()
}

/// March in London: GMT on the 1st, BST on 1 April.
fn march() -> (Timestamp, Timestamp) {
    (at(1, 0), at(31, 23))
}

fn device(name: &str, lost_since: Option<Timestamp>) -> SupervisionRecord {
    SupervisionRecord {
        tenant: TenantId::new("northgate").unwrap(),
        source: SourceId::new("northgate-arc").unwrap(),
        site: None,
        device: name.into(),
        device_type: "intrusion_panel".into(),
        interval_secs: 180,
        last_seen: at(1, 0),
        lost_since,
        armed: None,
    }
}

fn mark(name: &str, t: Timestamp, lost: bool) -> DeviceMark {
    DeviceMark {
        tenant: "northgate".into(),
        device: name.into(),
        at: t,
        lost,
    }
}

#[test]
fn device_availability_counts_lost_time_within_the_month() {
    let supervision = [
        device("panel-1", None),
        device("panel-2", None),
        device("panel-3", Some(at(31, 20))),
        device("panel-4", None),
    ];
    let marks = [
        mark("panel-1", at(10, 0), true),
        mark("panel-1", at(10, 6), false),
        // Lost before March: its first mark in March is the restore.
        mark("panel-2", at(1, 1), false),
        // Lost in February, still lost through March.
        mark(
            "panel-4",
            Utc.with_ymd_and_hms(2026, 2, 27, 0, 0, 0).unwrap(),
            true,
        ),
    ];
    let (from, to) = march();
    let none_planned = PlannedMaintenance::default();
    let rule = FlapRule::default();
    let health = HealthInput {
        maintenance: &none_planned,
        flapping: &rule,
    };
    let (rows, d) = device_availability(&supervision, &[], &marks, health, from, to);
    let hours = |s: f64| s / 3600.0;
    let rows: Vec<(&str, f64, u32)> = rows
        .iter()
        .map(|d| (d.device.as_str(), hours(d.down_s), d.losses))
        .collect();
    // panel-3: lost since 20:00 UTC on the 31st, the month ends at 23:00 UTC.
    assert_eq!(
        rows,
        [
            ("panel-1", 6.0, 1),
            ("panel-2", 1.0, 1),
            ("panel-3", 3.0, 1),
            ("panel-4", 743.0, 1)
        ]
    );
    assert_eq!(hours(d.device_seconds), 4.0 * 743.0);
    assert_eq!(d.availability, Some(1.0 - 753.0 / (4.0 * 743.0)));
    let (none, nothing) = device_availability(&[], &[], &marks, health, from, to);
    assert!(none.is_empty());
    assert_eq!(nothing.availability, None);
}

#[test]
fn the_platform_is_down_from_its_last_entry_to_each_restart() {
    let m = |t: Timestamp, start: bool| PlatformMark { at: t, start };
    let marks = [
        m(Utc.with_ymd_and_hms(2026, 2, 20, 8, 0, 0).unwrap(), true),
        m(Utc.with_ymd_and_hms(2026, 2, 27, 8, 0, 0).unwrap(), false),
        m(at(5, 10), false),
        m(at(5, 12), true),
        m(at(20, 9), false),
        // After the month: not read.
        m(Utc.with_ymd_and_hms(2026, 4, 1, 8, 0, 0).unwrap(), true),
    ];
    let (from, to) = march();
    let (gaps, p) = platform_availability(&marks, from, to);
    assert_eq!((p.starts, p.down_seconds), (1, 7200.0));
    assert_eq!(p.measured_seconds, 743.0 * 3600.0);
    assert_eq!(gaps.len(), 1);
    assert_eq!(p.availability, Some(1.0 - 2.0 / 743.0));

    // A log that begins inside the month measures from its first entry.
    let (gaps, fresh) = platform_availability(&marks[3..5], from, to);
    assert_eq!(fresh.from, Some(at(5, 12)));
    assert!(gaps.is_empty());
    assert_eq!(fresh.down_seconds.to_bits(), 0.0f64.to_bits(), "not -0");
    assert_eq!(fresh.starts, 1);
    let (_, none) = platform_availability(&[], from, to);
    assert_eq!(none.availability, None);
}

#[test]
fn health_leaves_out_approved_maintenance_and_finds_the_flapping_device() {
    use vigil_lifecycle::work_order::{DeviceRef, WorkKind, WorkOrder};
    use vigil_model::SiteId;

    let hq = SiteId::new("hq").unwrap();
    let on_site = |name: &str| SupervisionRecord {
        site: Some(hq.clone()),
        ..device(name, None)
    };
    let supervision = [on_site("cam-1"), on_site("cam-2"), on_site("panel-1")];
    let mut marks = vec![
        // cam-1: down 10:00–12:00 on the 10th, and 02:00–06:00 on the 20th
        // inside its approved upgrade (00:00–08:00).
        mark("cam-1", at(10, 10), true),
        mark("cam-1", at(10, 12), false),
        mark("cam-1", at(20, 2), true),
        mark("cam-1", at(20, 6), false),
    ];
    // cam-2: three short losses within the hour from 09:00 on the 5th.
    for minute in [0, 10, 20] {
        let lost = at(5, 9) + chrono::Duration::minutes(minute);
        marks.push(mark("cam-2", lost, true));
        marks.push(mark("cam-2", lost + chrono::Duration::minutes(5), false));
    }
    let tenant = TenantId::new("northgate").unwrap();
    let mut order = WorkOrder::plan(
        "wo-1",
        tenant.clone(),
        WorkKind::FirmwareUpgrade,
        "cam-1 to 11.0",
        at(20, 0),
        at(20, 8),
        vec![DeviceRef {
            site: hq.clone(),
            device: "cam-1".into(),
        }],
        "facilities",
    )
    .unwrap();
    order.approve("facilities", at(19, 0)).unwrap();
    let planned = PlannedMaintenance::of([&order]);
    let rule = FlapRule::default();
    let (from, to) = march();
    let (rows, total) = device_availability(
        &supervision,
        &[],
        &marks,
        HealthInput {
            maintenance: &planned,
            flapping: &rule,
        },
        from,
        to,
    );
    let row = |name: &str| rows.iter().find(|r| r.device == name).unwrap();
    let hours = 3600.0;
    let cam1 = row("cam-1");
    assert_eq!(cam1.maintenance_s, 8.0 * hours);
    assert_eq!(cam1.measured_s, 735.0 * hours);
    assert_eq!(
        cam1.down_s,
        2.0 * hours,
        "the loss inside the upgrade is not down time"
    );
    assert_eq!((cam1.losses, cam1.failures), (2, 1));
    assert_eq!(cam1.availability, Some(1.0 - 2.0 / 735.0));
    assert_eq!(cam1.mtbf_s, Some(733.0 * hours));
    assert!(!cam1.flapping);
    let cam2 = row("cam-2");
    assert_eq!(
        (cam2.failures, cam2.most_transitions, cam2.flapping),
        (3, 6, true)
    );
    assert_eq!(cam2.down_s, 15.0 * 60.0);
    assert_eq!(cam2.mtbf_s, Some((743.0 * hours - 900.0) / 3.0));
    let panel = row("panel-1");
    assert_eq!(
        (panel.failures, panel.mtbf_s, panel.availability),
        (0, None, Some(1.0))
    );
    assert_eq!((total.failures, total.flapping), (4, 1));
    assert_eq!(total.maintenance_seconds, 8.0 * hours);
    assert_eq!(total.clients.len(), 1);
    let client = &total.clients[0];
    assert_eq!(
        (client.tenant.as_str(), client.devices, client.failures),
        ("northgate", 3, 4)
    );
    assert_eq!(client.availability, total.availability);
    assert_eq!(
        client.mtbf_s,
        Some((total.device_seconds - total.down_seconds) / 4.0)
    );
}
