//! The lifecycle wired into the desk on a real store: an inventory CSV
//! imported all or nothing with its history and audit entries, advisories
//! from the shared CISA corpus matched against it, work orders whose
//! approval holds back their devices' alarms, the unplanned firmware
//! change raised as an alarm, and no client reaching another's records.

mod common;

use std::path::Path;

use chrono::Duration;
use common::{A, B, raise, t0, tenant, world};
use vigil_desk::alarm::{AlarmStatus, Closure};
use vigil_desk::service::{UNPLANNED_FIRMWARE_RULE, WorkOrderPlan};
use vigil_desk::{Actor, DeskConfig, DeskError};
use vigil_lifecycle::inventory::{ConfiguredDevice, DeviceKind, DeviceReport, ReportProtocol};
use vigil_lifecycle::work_order::{DeviceRef, WorkKind, WorkStatus};
use vigil_model::{EntityKind, Severity, SiteId, SourceId, SourceKind, SourceRef};
use vigil_store::{DeskStore, Role, TenantScope};

const CSV: &str = "\
site,device_id,kind,vendor,model,serial,firmware,end_of_support
hq,istar-lobby,controller,Johnson Controls,iStar Pro,S-06,6.6.5,2001-01-31
hq,netbox-old,server,LenelS2,NetBox,S-08,5.6.1,
hq,netbox-fixed,server,Lenel S2,NetBox,S-09,5.6.2,
hq,cam-7,camera,Axis,P3245-V,S-17,10.12.1,
";

fn advisory(name: &str) -> Option<vigil_lifecycle::advisory::Advisory> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/corpora/csaf/cisa-ot-2024")
        .join(name);
    if !path.is_file() {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "the CSAF corpus is missing at {}",
            path.display()
        );
        eprintln!("skipped: no CSAF corpus at {}", path.display());
        return None;
    }
    Some(vigil_lifecycle::advisory::parse(&std::fs::read(path).unwrap()).unwrap())
}

fn provider() -> Actor {
    Actor::person("olga", Role::ProviderOperator, None)
}

fn client_admin(t: &str) -> Actor {
    Actor::person(
        &format!("{t}-facilities"),
        Role::ClientAdmin,
        Some(tenant(t)),
    )
}

fn source() -> SourceRef {
    SourceRef {
        id: SourceId::new("northgate-src").unwrap(),
        kind: SourceKind::Mqtt,
        product: "sparkplug".into(),
        device: Some("cam-7".into()),
    }
}

fn hq() -> SiteId {
    SiteId::new("hq").unwrap()
}

#[tokio::test]
async fn inventory_import_is_all_or_nothing_recorded_and_matched() {
    let w = world(DeskConfig::default()).await;
    let d = &w.desk;
    let (Some(istar), Some(netbox)) = (
        advisory("icsa-24-158-04.json"),
        advisory("icsa-24-151-01.json"),
    ) else {
        return;
    };
    let import = d
        .import_inventory(&provider(), &tenant(A), CSV, Some("estate.csv"))
        .await
        .unwrap();
    assert_eq!((import.devices, import.added, import.updated), (4, 4, 0));
    // The same file again changes nothing.
    let again = d
        .import_inventory(&provider(), &tenant(A), CSV, Some("estate.csv"))
        .await
        .unwrap();
    assert_eq!((again.added, again.updated, again.unchanged), (0, 0, 4));

    // A bad line anywhere: nothing written, the error names line and column.
    let bad = format!("{CSV}hq,new-cam,camera,Axis,P1,S-99,1.0,not-a-date\n");
    let bad = bad.replace("10.12.1", "10.13.0");
    let err = d
        .import_inventory(&provider(), &tenant(A), &bad, Some("bad.csv"))
        .await
        .unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("bad.csv") && text.contains("line 6"),
        "{text}"
    );
    let inventory = d.inventory(&provider(), &tenant(A)).await.unwrap();
    assert_eq!(inventory.devices().count(), 4);
    assert_eq!(
        inventory
            .device(&hq(), "cam-7")
            .unwrap()
            .firmware
            .as_deref(),
        Some("10.12.1"),
        "nothing of the bad file was written"
    );
    assert_eq!(inventory.history().len(), 4);
    // A duplicate serial against the inventory: refused as a whole.
    let dup = "site,device_id,kind,vendor,model,serial\nhq,x1,camera,Axis,P1,S-77\nhq,x2,camera,Axis,P1,s-08\n";
    assert!(matches!(
        d.import_inventory(&provider(), &tenant(A), dup, None).await,
        Err(DeskError::Invalid {
            field: "inventory",
            ..
        })
    ));
    assert_eq!(
        d.inventory(&provider(), &tenant(A))
            .await
            .unwrap()
            .devices()
            .count(),
        4
    );

    // Advisories: provider staff only; a second import of the same is unchanged.
    assert!(matches!(
        d.import_advisories(&client_admin(A), vec![istar.clone()])
            .await,
        Err(DeskError::Forbidden { .. })
    ));
    let first = d
        .import_advisories(&provider(), vec![istar.clone(), netbox])
        .await
        .unwrap();
    assert_eq!((first.added, first.unchanged), (2, 0));
    let second = d.import_advisories(&provider(), vec![istar]).await.unwrap();
    assert_eq!((second.added, second.replaced, second.unchanged), (0, 0, 1));

    let views = d
        .inventory_findings(&client_admin(A), &tenant(A))
        .await
        .unwrap();
    let ids = |device: &str| -> Vec<String> {
        views
            .iter()
            .find(|v| v.device.id == device)
            .unwrap()
            .findings
            .advisories
            .iter()
            .map(|m| m.advisory.clone())
            .collect()
    };
    assert_eq!(ids("istar-lobby"), ["ICSA-24-158-04"]);
    assert_eq!(ids("netbox-old"), ["ICSA-24-151-01"]);
    assert!(ids("netbox-fixed").is_empty());
    assert!(ids("cam-7").is_empty());
    let istar = views.iter().find(|v| v.device.id == "istar-lobby").unwrap();
    assert!(istar.findings.past_end_of_support);

    // Every change is on the audit chain, by identifier.
    let entries = w
        .store
        .audit_entries(&TenantScope::One(tenant(A)), None, 100)
        .await
        .unwrap();
    let imports: Vec<_> = entries
        .iter()
        .filter(|e| e.action == "inventory_device.import")
        .collect();
    assert_eq!(imports.len(), 4);
    assert!(
        imports
            .iter()
            .any(|e| e.object == "inventory_device/northgate/hq/cam-7")
    );
    assert!(
        !imports
            .iter()
            .any(|e| e.detail.to_string().contains("S-17")),
        "no serials or other values in the chain"
    );
    let all = w
        .store
        .audit_entries(&TenantScope::All, None, 200)
        .await
        .unwrap();
    assert_eq!(
        all.iter().filter(|e| e.action == "advisory.import").count(),
        2
    );

    // Another client sees nothing of it and may not touch it.
    assert!(matches!(
        d.inventory(&client_admin(B), &tenant(A)).await,
        Err(DeskError::Forbidden { .. })
    ));
    assert!(matches!(
        d.inventory_findings(&client_admin(B), &tenant(A)).await,
        Err(DeskError::Forbidden { .. })
    ));
    assert_eq!(
        d.inventory(&provider(), &tenant(B))
            .await
            .unwrap()
            .devices()
            .count(),
        0
    );
}

#[tokio::test]
async fn an_approved_work_order_holds_back_alarms_and_covers_its_firmware_change() {
    let w = world(DeskConfig::default()).await;
    let d = &w.desk;
    d.import_inventory(&provider(), &tenant(A), CSV, None)
        .await
        .unwrap();
    let start = t0() + Duration::minutes(5);
    let plan = WorkOrderPlan {
        kind: WorkKind::FirmwareUpgrade,
        description: "cam-7 to 10.13.0".into(),
        starts_at: start,
        ends_at: start + Duration::hours(1),
        devices: vec![DeviceRef {
            site: hq(),
            device: "cam-7".into(),
        }],
        approver: "northgate-facilities".into(),
    };
    // A device not in the inventory, a window ending before it starts.
    let mut ghost = plan.clone();
    ghost.devices[0].device = "cam-99".into();
    assert!(matches!(
        d.plan_work(&provider(), &tenant(A), ghost).await,
        Err(DeskError::Invalid {
            field: "devices",
            ..
        })
    ));
    let mut backwards = plan.clone();
    backwards.ends_at = start - Duration::minutes(1);
    assert!(matches!(
        d.plan_work(&provider(), &tenant(A), backwards).await,
        Err(DeskError::Invalid {
            field: "window",
            ..
        })
    ));
    let order = d.plan_work(&provider(), &tenant(A), plan).await.unwrap();
    // Only the client's approver approves; not the provider, not another client.
    assert!(matches!(
        d.approve_work(
            &Actor::person("boss", Role::ProviderAdmin, None),
            &tenant(A),
            &order.id
        )
        .await,
        Err(DeskError::Forbidden { .. })
    ));
    assert!(matches!(
        d.approve_work(&client_admin(B), &tenant(A), &order.id)
            .await,
        Err(DeskError::Forbidden { .. })
    ));
    assert!(matches!(
        d.approve_work(&client_admin(B), &tenant(B), &order.id)
            .await,
        Err(DeskError::NotFound { .. })
    ));
    let approved = d
        .approve_work(&client_admin(A), &tenant(A), &order.id)
        .await
        .unwrap();
    assert_eq!(approved.status, WorkStatus::Approved);
    assert_eq!(
        d.maintenance(&provider(), Some(&tenant(A)))
            .await
            .unwrap()
            .len(),
        1
    );

    // In the window: the camera's alarm is held back.
    let during = raise(
        &w.store,
        A,
        "cam-tamper",
        Severity::High,
        EntityKind::Camera,
        "cam-7",
        10,
    )
    .await;
    w.desk.triage_once().await.unwrap();
    let alarm = d.alarm(&provider(), during.id).await.unwrap();
    assert_eq!(alarm.status, AlarmStatus::Closed);
    assert!(matches!(alarm.closure, Some(Closure::Suppression { .. })));

    // The upgrade's firmware change is covered: no alarm.
    w.clock.advance(Duration::minutes(20));
    let report = DeviceReport {
        site: hq(),
        device: "cam-7".into(),
        protocol: ReportProtocol::Sparkplug,
        vendor: None,
        model: None,
        serial: None,
        firmware: Some("10.13.0".into()),
    };
    let heard = Actor::system("source:northgate-src");
    let outcome = d
        .device_reported(&heard, &tenant(A), &report, &source())
        .await
        .unwrap();
    assert!(outcome.changed && outcome.unplanned.is_none() && outcome.alert.is_none());

    // The outcome closes the window: the next alarm is not held back.
    let done = d
        .record_work(
            &provider(),
            &tenant(A),
            &order.id,
            WorkStatus::Done,
            "upgraded",
            Some("10.13.0".into()),
        )
        .await
        .unwrap();
    assert_eq!(done.status, WorkStatus::Done);
    assert!(
        d.maintenance(&provider(), Some(&tenant(A)))
            .await
            .unwrap()
            .is_empty()
    );
    let after = raise(
        &w.store,
        A,
        "cam-tamper-2",
        Severity::High,
        EntityKind::Camera,
        "cam-7",
        30,
    )
    .await;
    w.desk.triage_once().await.unwrap();
    assert_eq!(
        d.alarm(&provider(), after.id).await.unwrap().status,
        AlarmStatus::New
    );
    assert_eq!(
        d.work_orders(&client_admin(A), &tenant(A))
            .await
            .unwrap()
            .len(),
        1
    );
    assert!(matches!(
        d.work_orders(&client_admin(B), &tenant(A)).await,
        Err(DeskError::Forbidden { .. })
    ));
}

#[tokio::test]
async fn a_firmware_change_without_a_work_order_raises_an_alarm() {
    let w = world(DeskConfig::default()).await;
    let d = &w.desk;
    d.import_inventory(&provider(), &tenant(A), CSV, None)
        .await
        .unwrap();
    let heard = Actor::system("source:northgate-src");
    let mut report = DeviceReport {
        site: hq(),
        device: "cam-7".into(),
        protocol: ReportProtocol::Sparkplug,
        vendor: None,
        model: None,
        serial: None,
        firmware: Some("V10.12.1".into()),
    };
    // The same version written differently: no change, no alarm.
    let same = d
        .device_reported(&heard, &tenant(A), &report, &source())
        .await
        .unwrap();
    assert!(same.unplanned.is_none());
    report.firmware = Some("10.14.2".into());
    let changed = d
        .device_reported(&heard, &tenant(A), &report, &source())
        .await
        .unwrap();
    let unplanned = changed.unplanned.expect("an unplanned change");
    assert_eq!(
        (unplanned.from.as_str(), unplanned.to.as_str()),
        ("10.12.1", "10.14.2")
    );
    let r = d.triage_once().await.unwrap();
    assert_eq!(r.raised, 1);
    let alarm = d.alarm(&provider(), changed.alert.unwrap()).await.unwrap();
    assert_eq!(alarm.rule_id, UNPLANNED_FIRMWARE_RULE);
    assert_eq!(alarm.status, AlarmStatus::New);
    assert!(alarm.rule_title.contains("10.14.2"), "{}", alarm.rule_title);
    // The inventory holds the new version, with the change on its history.
    let inventory = d.inventory(&provider(), &tenant(A)).await.unwrap();
    assert_eq!(
        inventory
            .device(&hq(), "cam-7")
            .unwrap()
            .firmware
            .as_deref(),
        Some("10.14.2")
    );
    assert_eq!(inventory.history_of(&hq(), "cam-7").count(), 2);
    // The other client's desk shows none of it.
    assert!(
        d.alarm(&client_admin(B), changed.alert.unwrap())
            .await
            .is_err()
    );
}

#[tokio::test]
async fn configured_devices_are_written_once_and_keep_what_the_import_set() {
    let w = world(DeskConfig::default()).await;
    let d = &w.desk;
    d.import_inventory(&provider(), &tenant(A), CSV, None)
        .await
        .unwrap();
    let start = Actor::system("configuration");
    let configured = |ids: &[&str]| -> Vec<ConfiguredDevice> {
        ids.iter()
            .map(|id| {
                let mut c = ConfiguredDevice::new(hq(), *id, DeviceKind::Camera);
                c.source = Some(SourceId::new("northgate-cams").unwrap());
                c
            })
            .collect()
    };
    let first = d
        .configure_inventory(&start, &tenant(A), configured(&["cam-7", "cam-9"]))
        .await
        .unwrap();
    assert_eq!(first.len(), 2, "{first:?}");
    // A restart with the same configuration writes nothing.
    w.clock.advance(Duration::minutes(10));
    let again = d
        .configure_inventory(&start, &tenant(A), configured(&["cam-7", "cam-9"]))
        .await
        .unwrap();
    assert!(again.is_empty(), "{again:?}");
    let inventory = d.inventory(&provider(), &tenant(A)).await.unwrap();
    let cam7 = inventory.device(&hq(), "cam-7").unwrap();
    assert_eq!(cam7.firmware.as_deref(), Some("10.12.1"), "the import's");
    assert_eq!(cam7.serial.as_deref(), Some("S-17"));
    assert_eq!(
        cam7.source.as_ref().map(|s| s.as_str()),
        Some("northgate-cams")
    );
    assert_eq!(inventory.history_of(&hq(), "cam-7").count(), 2);
    // cam-9 taken out of the configuration: kept, marked once.
    let dropped = d
        .configure_inventory(&start, &tenant(A), configured(&["cam-7"]))
        .await
        .unwrap();
    assert_eq!(dropped.len(), 1);
    assert_eq!(dropped[0].device, "cam-9");
    let inventory = d.inventory(&provider(), &tenant(A)).await.unwrap();
    assert!(inventory.device(&hq(), "cam-9").is_some());
    assert!(!inventory.named_by_configuration(&hq(), "cam-9"));
    assert!(
        d.configure_inventory(&start, &tenant(A), configured(&["cam-7"]))
            .await
            .unwrap()
            .is_empty()
    );
    // The other client's inventory holds none of it.
    let other = d.inventory(&provider(), &tenant(B)).await.unwrap();
    assert!(other.devices().next().is_none());
}
