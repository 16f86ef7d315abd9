use chrono::Utc;

use super::*;

fn site() -> SiteId {
    SiteId::new("lon1").expect("slug")
}

fn cam(id: &str) -> DeviceRef {
    DeviceRef {
        site: site(),
        device: id.into(),
    }
}

fn upgrade(start: Timestamp, hours: i64) -> WorkOrder {
    WorkOrder::plan(
        "wo-1",
        TenantId::new("northgate").expect("slug"),
        WorkKind::FirmwareUpgrade,
        "Cameras to 11.0",
        start,
        start + Duration::hours(hours),
        vec![cam("cam-1"), cam("cam-2")],
        "facilities@northgate",
    )
    .expect("valid")
}

#[test]
fn a_window_must_end_after_it_starts() {
    let now = Utc::now();
    let err = WorkOrder::plan(
        "wo",
        TenantId::new("northgate").expect("slug"),
        WorkKind::PreventiveMaintenance,
        "",
        now,
        now - Duration::minutes(1),
        vec![cam("cam-1")],
        "a",
    )
    .unwrap_err();
    assert!(matches!(err, WorkOrderError::Window { .. }));
    assert!(err.to_string().starts_with("window: the end"), "{err}");
    assert!(Window::new(now, now).is_err());
    let err = WorkOrder::plan(
        "wo",
        TenantId::new("n").expect("slug"),
        WorkKind::FirmwareUpgrade,
        "",
        now,
        now + Duration::hours(1),
        vec![],
        "a",
    )
    .unwrap_err();
    assert_eq!(err, WorkOrderError::NoDevices);
}

#[test]
fn only_the_named_approver_approves_and_outcomes_follow_approval() {
    let now = Utc::now();
    let mut wo = upgrade(now, 2);
    let outcome = Outcome {
        at: now,
        by: "tech".into(),
        note: "done".into(),
        new_firmware: Some("11.0.0".into()),
    };
    assert!(matches!(
        wo.record(WorkStatus::Done, outcome.clone()),
        Err(WorkOrderError::Transition {
            from: WorkStatus::Planned,
            ..
        })
    ));
    assert!(matches!(
        wo.approve("someone@else", now),
        Err(WorkOrderError::NotApprover { .. })
    ));
    wo.approve("facilities@northgate", now).expect("approves");
    assert_eq!(wo.status, WorkStatus::Approved);
    assert!(wo.approve("facilities@northgate", now).is_err());
    assert!(wo.record(WorkStatus::Approved, outcome.clone()).is_err());
    wo.record(WorkStatus::RolledBack, outcome).expect("records");
    assert_eq!(wo.status, WorkStatus::RolledBack);
    assert_eq!(
        wo.outcome.as_ref().and_then(|o| o.new_firmware.as_deref()),
        Some("11.0.0")
    );
}

#[test]
fn covers_an_approved_upgrade_of_its_devices_in_its_window() {
    let start = Utc::now();
    let mut wo = upgrade(start, 2);
    let inside = start + Duration::minutes(30);
    // Planned but not approved: not covered.
    assert!(!wo.covers(&site(), "cam-1", inside));
    wo.approve("facilities@northgate", start).expect("approves");
    assert!(wo.covers(&site(), "cam-1", inside));
    assert!(wo.covers(&site(), "cam-2", start));
    // Another device, before the window, long after it: not covered.
    assert!(!wo.covers(&site(), "cam-3", inside));
    assert!(!wo.covers(&site(), "cam-1", start - Duration::seconds(1)));
    let end = start + Duration::hours(2);
    assert!(wo.covers(&site(), "cam-1", end + REPORT_GRACE - Duration::seconds(1)));
    assert!(!wo.covers(&site(), "cam-1", end + REPORT_GRACE));
    // Another site's device of the same name: not covered.
    assert!(!wo.covers(&SiteId::new("par1").expect("slug"), "cam-1", inside));
    // A configuration change does not cover a firmware change.
    let mut config = upgrade(start, 2);
    config.kind = WorkKind::ConfigurationChange;
    config
        .approve("facilities@northgate", start)
        .expect("approves");
    assert!(!config.covers(&site(), "cam-1", inside));
    assert!(covering(&[config.clone(), wo.clone()], &site(), "cam-1", inside).is_some());
    assert!(covering(&[config], &site(), "cam-1", inside).is_none());
}

#[test]
fn suppresses_alarms_in_the_window_until_the_outcome() {
    let start = Utc::now();
    let mut wo = upgrade(start, 2);
    let inside = start + Duration::minutes(30);
    assert!(!wo.suppresses(&site(), "cam-1", inside));
    wo.approve("facilities@northgate", start).expect("approves");
    assert!(wo.suppresses(&site(), "cam-1", inside));
    assert!(!wo.suppresses(&site(), "cam-1", start + Duration::hours(2)));
    assert!(!wo.suppresses(&site(), "cam-9", inside));
    let done_at = start + Duration::hours(1);
    wo.record(
        WorkStatus::Done,
        Outcome {
            at: done_at,
            by: "tech".into(),
            note: "upgraded".into(),
            new_firmware: Some("11.0.0".into()),
        },
    )
    .expect("records");
    assert!(wo.suppresses(&site(), "cam-1", inside));
    assert!(!wo.suppresses(&site(), "cam-1", done_at));
    // Finished early, the change is still the planned one.
    assert!(wo.covers(&site(), "cam-1", done_at + Duration::minutes(5)));
    assert!(suppressing(std::slice::from_ref(&wo), &site(), "cam-1", inside).is_some());
}

#[test]
fn planned_maintenance_is_the_approved_window_up_to_the_outcome() {
    let start = Utc::now();
    let mut wo = upgrade(start, 2);
    assert_eq!(wo.planned_maintenance(), None, "nobody approved it");
    wo.approve("facilities@northgate", start).expect("approves");
    let whole = wo.planned_maintenance().expect("approved");
    assert_eq!(
        (whole.start(), whole.end()),
        (start, start + Duration::hours(2))
    );
    let mut early = wo.clone();
    let done_at = start + Duration::minutes(40);
    early
        .record(
            WorkStatus::Done,
            Outcome {
                at: done_at,
                by: "tech".into(),
                note: "upgraded".into(),
                new_firmware: None,
            },
        )
        .expect("records");
    assert_eq!(early.planned_maintenance().map(|w| w.end()), Some(done_at));
    let mut before = wo.clone();
    before
        .record(
            WorkStatus::Failed,
            Outcome {
                at: start - Duration::minutes(1),
                by: "tech".into(),
                note: "called off".into(),
                new_firmware: None,
            },
        )
        .expect("records");
    assert_eq!(before.planned_maintenance(), None, "ended before it began");
}
