use chrono::{Duration, Utc};

use vigil_model::TenantId;

use super::*;
use crate::inventory::{DeviceReport, ReportProtocol};

fn tenant() -> TenantId {
    TenantId::new("northgate").expect("slug")
}

fn site(s: &str) -> SiteId {
    SiteId::new(s).expect("slug")
}

fn source(s: &str) -> SourceId {
    SourceId::new(s).expect("slug")
}

fn camera(id: &str, zone: Option<&str>) -> ConfiguredDevice {
    let mut d = ConfiguredDevice::new(site("lon1"), id, DeviceKind::Camera);
    d.source = Some(source("lon1-cams"));
    d.position = zone.map(|z| Position {
        zone: Some(z.into()),
        x: None,
        y: None,
    });
    d
}

fn on_plan(id: &str, kind: DeviceKind, x: f64, y: f64) -> ConfiguredDevice {
    let mut d = ConfiguredDevice::new(site("lon1"), id, kind);
    d.position = Some(Position {
        zone: None,
        x: Some(x),
        y: Some(y),
    });
    d
}

fn fields_of(change: &Change) -> Vec<(&str, Option<&str>, Option<&str>)> {
    match &change.what {
        ChangeKind::Updated { fields } => fields
            .iter()
            .map(|f| (f.field.as_str(), f.from.as_deref(), f.to.as_deref()))
            .collect(),
        other => panic!("expected an update, got {other:?}"),
    }
}

#[test]
fn configured_devices_are_added_with_source_and_place() {
    let mut inv = Inventory::new(tenant());
    let now = Utc::now();
    let changes = inv
        .configured(
            vec![
                camera("cam-1", Some("lobby")),
                on_plan("cam-1", DeviceKind::Other, 120.0, 40.0),
                on_plan("door-1", DeviceKind::Controller, 10.0, 20.0),
            ],
            "configuration",
            now,
        )
        .expect("written");
    assert_eq!(changes.len(), 2, "{changes:?}");
    assert!(changes.iter().all(|c| c.what == ChangeKind::Added));
    assert!(changes.iter().all(|c| c.origin == Origin::Configuration));
    let cam = inv.device(&site("lon1"), "cam-1").expect("cam-1");
    // The source's kind (the first mention) stays; the plan adds the place.
    assert_eq!(cam.kind, DeviceKind::Camera);
    assert_eq!(cam.source, Some(source("lon1-cams")));
    assert_eq!(
        cam.position,
        Some(Position {
            zone: Some("lobby".into()),
            x: Some(120.0),
            y: Some(40.0)
        })
    );
    assert_eq!(
        inv.device(&site("lon1"), "door-1").map(|d| d.kind),
        Some(DeviceKind::Controller)
    );
    assert!(inv.named_by_configuration(&site("lon1"), "cam-1"));
}

#[test]
fn the_same_configuration_again_records_nothing() {
    let mut inv = Inventory::new(tenant());
    let config = vec![camera("cam-1", Some("lobby")), camera("cam-2", None)];
    let first = inv
        .configured(config.clone(), "configuration", Utc::now())
        .expect("written");
    assert_eq!(first.len(), 2);
    // A restart: the inventory is rebuilt from what the store kept.
    let mut again = Inventory::from_parts(
        tenant(),
        inv.devices().cloned().collect::<Vec<_>>(),
        inv.history().to_vec(),
    );
    let second = again
        .configured(config, "configuration", Utc::now() + Duration::minutes(5))
        .expect("written");
    assert!(second.is_empty(), "{second:?}");
    assert_eq!(again.history().len(), 2);
}

#[test]
fn a_changed_configuration_writes_only_the_change() {
    let mut inv = Inventory::new(tenant());
    inv.configured(
        vec![camera("cam-1", Some("lobby")), camera("cam-2", None)],
        "configuration",
        Utc::now(),
    )
    .expect("written");
    let changes = inv
        .configured(
            vec![camera("cam-1", Some("yard")), camera("cam-2", None)],
            "configuration",
            Utc::now(),
        )
        .expect("written");
    assert_eq!(changes.len(), 1, "{changes:?}");
    assert_eq!(changes[0].device, "cam-1");
    assert_eq!(
        fields_of(&changes[0]),
        vec![("position", Some("lobby (-, -)"), Some("yard (-, -)"))]
    );
}

#[test]
fn what_a_device_reported_or_an_import_set_is_kept() {
    let mut inv = Inventory::new(tenant());
    let mut imported = Device::new(
        tenant(),
        site("lon1"),
        "cam-1",
        DeviceKind::Recorder,
        "Axis",
        "P3245-V",
    )
    .with_firmware("10.12.1");
    imported.serial = Some("ACCC8E000001".into());
    imported.end_of_support = chrono::NaiveDate::from_ymd_opt(2030, 1, 1);
    inv.upsert(
        imported.clone(),
        Origin::Import { file: None },
        "ops",
        Utc::now(),
    )
    .expect("imported");
    let changes = inv
        .configured(
            vec![camera("cam-1", Some("lobby"))],
            "configuration",
            Utc::now(),
        )
        .expect("written");
    assert_eq!(changes.len(), 1);
    let fields = fields_of(&changes[0]);
    assert!(
        fields.contains(&("source", None, Some("lon1-cams"))),
        "{fields:?}"
    );
    assert!(
        fields.contains(&(CONFIGURATION_FIELD, None, Some("named"))),
        "{fields:?}"
    );
    let cam = inv.device(&site("lon1"), "cam-1").expect("cam-1");
    assert_eq!(cam.vendor, "Axis");
    assert_eq!(cam.model, "P3245-V");
    assert_eq!(cam.firmware.as_deref(), Some("10.12.1"));
    assert_eq!(cam.serial.as_deref(), Some("ACCC8E000001"));
    assert_eq!(cam.end_of_support, imported.end_of_support);
    // The import knew better what it is.
    assert_eq!(cam.kind, DeviceKind::Recorder);
}

#[test]
fn a_device_named_no_more_is_marked_once_and_kept() {
    let mut inv = Inventory::new(tenant());
    inv.configured(
        vec![camera("cam-1", None), camera("cam-2", None)],
        "configuration",
        Utc::now(),
    )
    .expect("written");
    // An imported device configuration never named is none of its business.
    inv.upsert(
        Device::new(
            tenant(),
            site("lon1"),
            "nvr-1",
            DeviceKind::Recorder,
            "A",
            "B",
        ),
        Origin::Import { file: None },
        "ops",
        Utc::now(),
    )
    .expect("imported");
    let changes = inv
        .configured(vec![camera("cam-1", None)], "configuration", Utc::now())
        .expect("written");
    assert_eq!(changes.len(), 1, "{changes:?}");
    assert_eq!(changes[0].device, "cam-2");
    assert_eq!(
        fields_of(&changes[0]),
        vec![(CONFIGURATION_FIELD, Some("named"), None)]
    );
    assert!(inv.device(&site("lon1"), "cam-2").is_some(), "kept");
    assert!(!inv.named_by_configuration(&site("lon1"), "cam-2"));
    assert!(!inv.named_by_configuration(&site("lon1"), "nvr-1"));
    // Not marked again on the next start.
    let again = inv
        .configured(vec![camera("cam-1", None)], "configuration", Utc::now())
        .expect("written");
    assert!(again.is_empty(), "{again:?}");
    // Named again: recorded as named, nothing else changed.
    let back = inv
        .configured(
            vec![camera("cam-1", None), camera("cam-2", None)],
            "configuration",
            Utc::now(),
        )
        .expect("written");
    assert_eq!(back.len(), 1);
    assert_eq!(
        fields_of(&back[0]),
        vec![(CONFIGURATION_FIELD, None, Some("named"))]
    );
    assert!(inv.named_by_configuration(&site("lon1"), "cam-2"));
}

#[test]
fn a_device_report_after_configuration_keeps_it_named() {
    let mut inv = Inventory::new(tenant());
    inv.configured(vec![camera("cam-1", None)], "configuration", Utc::now())
        .expect("written");
    let report = DeviceReport {
        site: site("lon1"),
        device: "cam-1".into(),
        protocol: ReportProtocol::Onvif,
        vendor: Some("Axis".into()),
        model: Some("P3245-V".into()),
        serial: None,
        firmware: Some("10.12.1".into()),
    };
    inv.reported(&report, "source:lon1-cams", Utc::now())
        .expect("reported");
    assert!(inv.named_by_configuration(&site("lon1"), "cam-1"));
    let again = inv
        .configured(vec![camera("cam-1", None)], "configuration", Utc::now())
        .expect("written");
    assert!(again.is_empty(), "{again:?}");
    assert_eq!(
        inv.device(&site("lon1"), "cam-1")
            .and_then(|d| d.firmware.clone()),
        Some("10.12.1".into())
    );
}

#[test]
fn an_empty_id_is_refused_before_anything_is_written() {
    let mut inv = Inventory::new(tenant());
    let err = inv
        .configured(
            vec![camera("cam-1", None), camera(" ", None)],
            "configuration",
            Utc::now(),
        )
        .expect_err("refused");
    assert!(matches!(err, InventoryError::EmptyId { .. }), "{err}");
    assert!(inv.devices().next().is_none());
}

#[test]
fn mentions_merge_in_first_mentioned_order() {
    let merged = merge_mentions(vec![
        on_plan("b", DeviceKind::Reader, 1.0, 2.0),
        camera("a", Some("lobby")),
        on_plan("a", DeviceKind::Other, 3.0, 4.0),
    ]);
    let ids: Vec<&str> = merged.iter().map(|d| d.id.as_str()).collect();
    assert_eq!(ids, ["b", "a"]);
    assert_eq!(merged[1].kind, DeviceKind::Camera);
    assert_eq!(
        merged[1].position.as_ref().map(|p| (p.x, p.y)),
        Some((Some(3.0), Some(4.0)))
    );
}

#[test]
fn an_import_without_source_or_place_keeps_the_configured_ones() {
    let mut inv = Inventory::new(tenant());
    inv.configured(
        vec![camera("cam-1", Some("lobby"))],
        "configuration",
        Utc::now(),
    )
    .expect("written");
    let imported = Device::new(
        tenant(),
        site("lon1"),
        "cam-1",
        DeviceKind::Camera,
        "Axis",
        "P3245-V",
    )
    .with_firmware("10.12.1");
    let changes = inv
        .import(
            vec![imported],
            Origin::Import { file: None },
            "ops",
            Utc::now(),
        )
        .expect("imported");
    let fields = fields_of(&changes[0]);
    assert!(
        fields
            .iter()
            .all(|(f, _, _)| *f != "source" && *f != "position"),
        "{fields:?}"
    );
    let again = inv
        .configured(
            vec![camera("cam-1", Some("lobby"))],
            "configuration",
            Utc::now(),
        )
        .expect("written");
    assert!(again.is_empty(), "{again:?}");
}
