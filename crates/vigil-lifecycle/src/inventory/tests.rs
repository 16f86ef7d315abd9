use chrono::{Duration, Utc};
use proptest::prelude::*;

use super::*;

fn tenant() -> TenantId {
    TenantId::new("northgate").expect("slug")
}

fn site(s: &str) -> SiteId {
    SiteId::new(s).expect("slug")
}

const GOOD: &str = "\
Site,Device ID,Kind,Vendor,Model,Serial,Firmware,Installed,Warranty until,End of support,Source,Zone,X,Y
lon1,ccure,server,Johnson Controls,Software House C•CURE 9000,SH-0001,2.80,2019-04-01,2022-04-01,2025-12-31,,,,
lon1,istar-1,controller,Johnson Controls,iStar Pro,IS-1001,6.6.5,2018-01-10,,,dc09-lon1,lobby,12.5,40
lon1,cam-3,camera,Axis,P3245-V,ACCC8E000003,10.12.1,,,,,,,
";

#[test]
fn a_csv_imports_every_column() {
    let devices = parse_csv(&tenant(), GOOD).expect("valid");
    assert_eq!(devices.len(), 3);
    let istar = &devices[1];
    assert_eq!(istar.kind, DeviceKind::Controller);
    assert_eq!(istar.firmware.as_deref(), Some("6.6.5"));
    assert_eq!(istar.source.as_ref().map(|s| s.as_str()), Some("dc09-lon1"));
    let p = istar.position.as_ref().expect("a position");
    assert_eq!(
        (p.zone.as_deref(), p.x, p.y),
        (Some("lobby"), Some(12.5), Some(40.0))
    );
    assert_eq!(
        devices[0].end_of_support.map(|d| d.to_string()).as_deref(),
        Some("2025-12-31")
    );
    assert!(devices[2].position.is_none());
}

#[test]
fn a_byte_order_mark_and_spreadsheet_headers_are_accepted() {
    let text = "\u{feff}Site,Device,Type,Manufacturer,Product,Serial Number,Firmware Version\r\n\
                lon1,a,Sensor Gateway,Acme,G1,Z-1,1.0\r\n";
    let devices = parse_csv(&tenant(), text).expect("valid");
    assert_eq!(devices[0].kind, DeviceKind::SensorGateway);
    assert_eq!(devices[0].serial.as_deref(), Some("Z-1"));
}

#[test]
fn an_inventory_is_rebuilt_from_its_parts() {
    let devices = parse_csv(&tenant(), GOOD).expect("valid");
    let mut inv = Inventory::new(tenant());
    let history = inv
        .import(
            devices.clone(),
            Origin::Import { file: None },
            "ops",
            Utc::now(),
        )
        .expect("imports");
    let rebuilt = Inventory::from_parts(tenant(), devices, history);
    assert_eq!(rebuilt.devices().count(), 3);
    assert_eq!(rebuilt.history(), inv.history());
    let json = serde_json::to_string(&rebuilt.history()[0]).expect("a change serialises");
    assert!(json.contains("\"origin\":\"import\""), "{json}");
}

#[test]
fn an_unknown_column_is_named() {
    let text = "site,device_id,kind,vendor,model,end_of_suport\nlon1,a,camera,Axis,P1,2030-01-01\n";
    let err = parse_csv(&tenant(), text).unwrap_err();
    assert_eq!(
        (err.line, err.column.as_deref()),
        (1, Some("end_of_suport"))
    );
    assert!(
        err.to_string()
            .starts_with("line 1, column `end_of_suport`: unknown column (column 6)"),
        "{err}"
    );
}

#[test]
fn duplicate_serials_name_both_lines() {
    let text = "site,device_id,kind,vendor,model,serial\n\
                lon1,a,camera,Axis,P1,X-1\n\
                lon1,b,camera,Axis,P1,X-2\n\
                lon2,c,camera,Axis,P1,x-1\n";
    let err = parse_csv(&tenant(), text).unwrap_err();
    assert_eq!(err.line, 4);
    assert_eq!(err.column.as_deref(), Some("serial"));
    assert!(err.message.contains("also on line 2"), "{err}");
    let text = "site,device_id,kind,vendor,model\nlon1,a,camera,Axis,P1\nlon1,a,reader,HID,R10\n";
    let err = parse_csv(&tenant(), text).unwrap_err();
    assert_eq!((err.line, err.column.as_deref()), (3, Some("device_id")));
}

#[test]
fn bad_cells_name_line_and_column() {
    let cases = [
        (
            "site,device_id,kind,vendor,model,installed\nlon1,a,camera,Axis,P1,2024-13-01\n",
            2,
            Some("installed"),
        ),
        (
            "site,device_id,kind,vendor,model\nlon1,a,toaster,Axis,P1\n",
            2,
            Some("kind"),
        ),
        (
            "site,device_id,kind,vendor,model\nLon 1,a,camera,Axis,P1\n",
            2,
            Some("site"),
        ),
        (
            "site,device_id,kind,vendor,model\nlon1,a,camera,,P1\n",
            2,
            Some("vendor"),
        ),
        (
            "site,device_id,kind,vendor,model,x\nlon1,a,camera,Axis,P1,left\n",
            2,
            Some("x"),
        ),
        (
            "site,device_id,kind,vendor,model\nlon1,a,camera,Axis\n",
            2,
            None,
        ),
        ("site,device_id,kind,vendor\nlon1,a,camera,Axis\n", 1, None),
        (
            "site,Device,device_id,kind,vendor,model\n",
            1,
            Some("device_id"),
        ),
        (
            "site,device_id,kind,vendor,model,installed,warranty_until\nlon1,a,camera,Axis,P1,2024-01-02,2023-01-01\n",
            2,
            Some("warranty_until"),
        ),
    ];
    for (text, line, column) in cases {
        let err = parse_csv(&tenant(), text).expect_err(text);
        assert_eq!(
            (err.line, err.column.as_deref()),
            (line, column),
            "{text}: {err}"
        );
    }
}

#[test]
fn an_import_is_all_or_nothing_and_on_the_record() {
    let now = Utc::now();
    let mut inv = Inventory::new(tenant());
    let devices = parse_csv(&tenant(), GOOD).expect("valid");
    let origin = Origin::Import {
        file: Some("estate.csv".into()),
    };
    let changes = inv
        .import(devices, origin.clone(), "ops@provider", now)
        .expect("imports");
    assert_eq!(changes.len(), 3);
    assert!(
        changes
            .iter()
            .all(|c| c.what == ChangeKind::Added && c.origin == origin)
    );

    // A second file whose last line reuses the C•CURE server's serial for
    // another device: refused, and its first line not applied either.
    let again = "site,device_id,kind,vendor,model,serial,firmware\n\
                 lon1,istar-1,controller,Johnson Controls,iStar Pro,IS-1001,6.9.2\n\
                 lon1,new,camera,Axis,P1,SH-0001,1.0\n";
    let devices = parse_csv(&tenant(), again).expect("valid on its own");
    let err = inv
        .import(
            devices,
            origin.clone(),
            "ops@provider",
            now + Duration::minutes(1),
        )
        .unwrap_err();
    assert!(
        matches!(err, InventoryError::DuplicateSerial { ref other_device, .. } if other_device == "ccure"),
        "{err}"
    );
    assert_eq!(
        inv.device(&site("lon1"), "istar-1")
            .and_then(|d| d.firmware.as_deref()),
        Some("6.6.5")
    );
    assert_eq!(inv.history().len(), 3);

    // Moving a serial from a device being replaced in the same import is fine.
    let swap = "site,device_id,kind,vendor,model,serial\n\
                lon1,ccure,server,Johnson Controls,Software House C•CURE 9000,SH-0002\n\
                lon1,new,camera,Axis,P1,SH-0001\n";
    let devices = parse_csv(&tenant(), swap).expect("valid");
    let changes = inv
        .import(devices, origin, "ops@provider", now)
        .expect("imports");
    let ChangeKind::Updated { fields } = &changes[0].what else {
        panic!("an update: {changes:?}")
    };
    assert!(
        fields
            .iter()
            .any(|f| f.field == "serial" && f.to.as_deref() == Some("SH-0002"))
    );
}

#[test]
fn another_tenants_device_is_refused() {
    let mut inv = Inventory::new(tenant());
    let d = Device::new(
        TenantId::new("other").expect("slug"),
        site("lon1"),
        "a",
        DeviceKind::Camera,
        "Axis",
        "P1",
    );
    let err = inv
        .upsert(d, Origin::Configuration, "admin", Utc::now())
        .unwrap_err();
    assert!(matches!(err, InventoryError::OtherTenant { .. }));
    assert!(inv.history().is_empty());
}

fn report(firmware: &str) -> DeviceReport {
    DeviceReport {
        site: site("lon1"),
        device: "cam-3".into(),
        protocol: ReportProtocol::Onvif,
        vendor: Some("AXIS".into()),
        model: Some("P3245-V".into()),
        serial: Some("ACCC8E000003".into()),
        firmware: Some(firmware.into()),
    }
}

#[test]
fn a_device_report_says_whether_the_firmware_changed() {
    let now = Utc::now();
    let mut inv = Inventory::new(tenant());
    // First heard: added, its firmware recorded, no change to alarm on.
    let first = inv
        .reported(&report("10.12.1"), "onvif-lon1", now)
        .expect("recorded");
    assert!(!first.known);
    assert_eq!(first.firmware_changed, None);
    assert_eq!(
        inv.device(&site("lon1"), "cam-3").map(|d| d.kind),
        Some(DeviceKind::Camera)
    );

    // The same version written differently: nothing changed.
    let same = inv
        .reported(&report("V10.12.1"), "onvif-lon1", now)
        .expect("recorded");
    assert!(same.known);
    assert_eq!(same.firmware_changed, None);
    assert_eq!(same.change, None);

    // A new version: changed, and on the record as a device report.
    let later = now + Duration::hours(1);
    let changed = inv
        .reported(&report("11.0.0"), "onvif-lon1", later)
        .expect("recorded");
    assert_eq!(
        changed.firmware_changed,
        Some(FirmwareChange {
            from: "10.12.1".into(),
            to: "11.0.0".into()
        })
    );
    let change = changed.change.expect("a change");
    assert_eq!(
        change.origin,
        Origin::DeviceReport {
            protocol: ReportProtocol::Onvif
        }
    );
    assert_eq!(change.by, "onvif-lon1");
    assert_eq!(inv.history_of(&site("lon1"), "cam-3").count(), 2);
}

proptest! {
    #[test]
    fn the_csv_parser_never_panics(text in "\\PC{0,300}") {
        let _ = parse_csv(&tenant(), &text);
    }

    #[test]
    fn the_csv_parser_never_panics_on_near_valid_files(
        header in proptest::sample::subsequence(
            vec!["site", "device_id", "kind", "vendor", "model", "serial", "firmware",
                 "installed", "x", "zone", "bogus"], 0..11),
        rows in proptest::collection::vec(
            proptest::collection::vec("[a-z0-9,\" .:-]{0,12}", 0..12), 0..6),
    ) {
        let mut text = header.join(",");
        for row in rows {
            text.push('\n');
            text.push_str(&row.join(","));
        }
        if let Ok(devices) = parse_csv(&tenant(), &text) {
            let mut inv = Inventory::new(tenant());
            let _ = inv.import(devices, Origin::Import { file: None }, "p", Utc::now());
        }
    }
}

#[test]
fn a_panel_or_gateway_first_heard_is_recorded_as_such() {
    let mut inv = Inventory::new(tenant());
    for (device, protocol, kind) in [
        ("panel-9000", ReportProtocol::Dc09, DeviceKind::Panel),
        (
            "edge-1",
            ReportProtocol::Sparkplug,
            DeviceKind::SensorGateway,
        ),
    ] {
        let r = DeviceReport {
            site: site("lon1"),
            device: device.into(),
            protocol,
            vendor: None,
            model: None,
            serial: None,
            firmware: Some("2.1".into()),
        };
        let reported = inv.reported(&r, "source", Utc::now()).expect("recorded");
        assert!(!reported.known);
        assert_eq!(
            inv.device(&site("lon1"), device).map(|d| d.kind),
            Some(kind)
        );
    }
}
