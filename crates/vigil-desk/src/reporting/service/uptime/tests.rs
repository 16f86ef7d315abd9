//! Availability over March 2026 in London (743 hours: the clocks go
//! forward on the 29th), with fixed instants.

use chrono::{TimeZone, Utc};
use vigil_model::{SourceId, TenantId, Timestamp};
use vigil_store::SupervisionRecord;

use super::*;

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
    let (rows, d) = device_availability(&supervision, &[], &marks, from, to);
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
    let (none, nothing) = device_availability(&[], &[], &marks, from, to);
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
