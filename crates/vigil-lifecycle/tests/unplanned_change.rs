//! A camera's firmware changes three times: inside an approved upgrade's
//! window (planned), inside a window nobody approved (unplanned), and with
//! no work order at all (unplanned); a report of the same version is no
//! change.

use chrono::{Duration, Utc};
use vigil_lifecycle::inventory::{DeviceReport, Inventory, ReportProtocol};
use vigil_lifecycle::unplanned::unplanned_change;
use vigil_lifecycle::work_order::{DeviceRef, WorkKind, WorkOrder};
use vigil_model::{SiteId, TenantId};

#[test]
fn firmware_changes_with_and_without_an_approved_work_order() {
    let tenant = TenantId::new("northgate").expect("slug");
    let site = SiteId::new("lon1").expect("slug");
    let t0 = Utc::now();
    let report = |firmware: &str| DeviceReport {
        site: site.clone(),
        device: "cam-1".into(),
        protocol: ReportProtocol::Onvif,
        vendor: Some("Axis".into()),
        model: Some("P3245-V".into()),
        serial: None,
        firmware: Some(firmware.into()),
    };
    let mut inventory = Inventory::new(tenant.clone());
    let mut orders = Vec::new();
    let plan = |id: &str, start, hours| {
        WorkOrder::plan(
            id,
            tenant.clone(),
            WorkKind::FirmwareUpgrade,
            "camera firmware",
            start,
            start + Duration::hours(hours),
            vec![DeviceRef {
                site: site.clone(),
                device: "cam-1".into(),
            }],
            "facilities",
        )
        .expect("valid")
    };
    let mut approved = plan("wo-approved", t0 + Duration::hours(1), 2);
    approved.approve("facilities", t0).expect("approves");
    orders.push(approved);
    orders.push(plan("wo-unapproved", t0 + Duration::hours(10), 2));

    let mut step = |firmware: &str, at| {
        let reported = inventory
            .reported(&report(firmware), "onvif-lon1", at)
            .expect("recorded");
        unplanned_change(&reported, &site, "cam-1", &orders, at)
    };
    // First sighting: nothing to compare with.
    assert_eq!(step("10.12.1", t0), None);
    // Inside the approved window: planned.
    assert_eq!(step("11.0.0", t0 + Duration::hours(2)), None);
    // The same version again: no change.
    assert_eq!(step("V11.0.0", t0 + Duration::hours(5)), None);
    // Inside a window nobody approved: unplanned.
    let change = step("11.0.1", t0 + Duration::hours(11)).expect("unplanned");
    assert_eq!(
        (change.from.as_str(), change.to.as_str()),
        ("11.0.0", "11.0.1")
    );
    // No work order at all: unplanned.
    assert!(step("9.80.3", t0 + Duration::hours(30)).is_some());
    assert_eq!(inventory.history().len(), 4);
}
