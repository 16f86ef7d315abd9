use super::*;
use proptest::prelude::*;
use vigil_model::{EventClass, TenantId};

fn t(secs: i64) -> Timestamp {
    chrono::DateTime::from_timestamp(1_764_000_000 + secs, 0).unwrap()
}

fn planned(id: &str, kind: &str, zone: &str, pos: Option<(f64, f64)>) -> PlannedDevice {
    PlannedDevice {
        id: id.into(),
        name: None,
        kind: Some(kind.into()),
        zone: Some(zone.into()),
        x: pos.map(|p| p.0),
        y: pos.map(|p| p.1),
    }
}

fn event(secs: i64, class: EventClass, fields: serde_json::Value) -> SiteEvent {
    let serde_json::Value::Object(fields) = fields else {
        panic!("fields must be an object")
    };
    SiteEvent {
        observed_at: t(secs),
        class,
        device: None,
        fields: fields.into(),
    }
}

fn state<'a>(plan: &'a DrawnPlan, id: &str) -> &'a str {
    &plan.devices.iter().find(|d| d.id == id).unwrap().state
}

#[test]
fn configured_positions_are_kept_and_the_rest_placed_inside_their_zone() {
    let plan = FloorPlan {
        areas: vec![
            PlanArea {
                id: "hall".into(),
                name: "Hall".into(),
                x: 0.0,
                y: 0.0,
                w: 500.0,
                h: 600.0,
            },
            PlanArea {
                id: "server-room".into(),
                name: "Server room".into(),
                x: 500.0,
                y: 0.0,
                w: 500.0,
                h: 300.0,
            },
        ],
        devices: vec![
            planned("d1", "door", "hall", Some((10.0, 20.0))),
            planned("cam1", "camera", "server-room", None),
            planned("t1", "temperature_sensor", "server-room", None),
            planned("x", "sensor", "roof", None),
            // Configured in the hall, but its zone is the server room.
            planned("d2", "door", "server-room", Some((100.0, 500.0))),
        ],
        ..Default::default()
    };
    plan.check().unwrap();
    let facts = SiteFacts {
        plan: Some(&plan),
        ..Default::default()
    };
    let drawn = draw(&facts);
    assert_eq!(drawn.areas, plan.areas);
    let at = |id: &str| {
        let d = drawn.devices.iter().find(|d| d.id == id).unwrap();
        (d.x, d.y)
    };
    assert_eq!(at("d1"), (10.0, 20.0));
    assert_eq!(at("d2"), (508.0, 292.0), "moved into its zone");
    for id in ["cam1", "t1"] {
        let (x, y) = at(id);
        assert!(
            (500.0..=1000.0).contains(&x) && (0.0..=300.0).contains(&y),
            "{id}"
        );
    }
    assert_ne!(at("cam1"), at("t1"));
    // No area for `roof`: along the bottom edge.
    assert!(at("x").1 > 580.0);
    assert_eq!(draw(&facts), drawn, "the layout is deterministic");
    assert_eq!(state(&drawn, "d1"), "unknown");
}

#[test]
fn without_a_plan_zones_become_areas_in_a_grid() {
    let devices = [
        DeviceRecord {
            tenant: TenantId::new("t").unwrap(),
            id: "cam1".into(),
            site: None,
            kind: "camera".into(),
            zone: Some("lobby".into()),
            name: Some("Lobby camera".into()),
            covers_door: None,
            heartbeat_secs: None,
        },
        DeviceRecord {
            tenant: TenantId::new("t").unwrap(),
            id: "cam2".into(),
            site: None,
            kind: "camera".into(),
            zone: None,
            name: None,
            covers_door: None,
            heartbeat_secs: None,
        },
    ];
    let drawn = draw(&SiteFacts {
        devices: devices.iter().collect(),
        ..Default::default()
    });
    let ids: Vec<_> = drawn.areas.iter().map(|a| a.id.as_str()).collect();
    assert_eq!(ids, ["lobby", UNZONED]);
    assert_eq!(drawn.devices[0].name, "Lobby camera");
    assert_eq!(drawn.devices[0].kind, "camera");
    for (d, a) in drawn.devices.iter().zip(&drawn.areas) {
        assert!(d.x > a.x && d.x < a.x + a.w && d.y > a.y && d.y < a.y + a.h);
    }
}

#[test]
fn state_follows_alarm_then_supervision_then_door_then_set_state() {
    let sup = |device: &str, lost: bool, armed: Option<bool>| SupervisionRecord {
        tenant: TenantId::new("t").unwrap(),
        source: vigil_model::SourceId::new("s").unwrap(),
        site: None,
        device: device.into(),
        device_type: "intrusion_panel".into(),
        interval_secs: 60,
        last_seen: t(0),
        lost_since: lost.then(|| t(1)),
        armed,
    };
    let supervision = [
        sup("p-lost", true, Some(true)),
        sup("p-armed", false, Some(true)),
    ];
    let events = [
        // Newest first.
        event(
            9,
            EventClass::PhysicalAccess,
            serde_json::json!({"action": "door_forced_open", "door": "d-open", "reader": "r1"}),
        ),
        event(
            8,
            EventClass::PhysicalAccess,
            serde_json::json!({"action": "door_closed", "door": "d-closed"}),
        ),
        event(
            7,
            EventClass::PhysicalAccess,
            serde_json::json!({"action": "door_opened", "door": "d-closed"}),
        ),
        event(
            6,
            EventClass::IntrusionAlarm,
            serde_json::json!({"action": "disarmed", "panel": "p-event"}),
        ),
        event(
            5,
            EventClass::IntrusionAlarm,
            serde_json::json!({"action": "armed", "panel": "p-event"}),
        ),
        event(
            4,
            EventClass::DeviceStatus,
            serde_json::json!({"status": "offline", "device": "gw1"}),
        ),
        event(
            3,
            EventClass::PhysicalAccess,
            serde_json::json!({"action": "door_held_open", "door": "d-alarm"}),
        ),
    ];
    let drawn = draw(&SiteFacts {
        supervision: supervision.iter().collect(),
        events: &events,
        alarmed: ["d-alarm".to_owned()].into(),
        ..Default::default()
    });
    assert_eq!(state(&drawn, "p-lost"), "offline");
    assert_eq!(state(&drawn, "p-armed"), "armed");
    assert_eq!(state(&drawn, "d-open"), "door_open");
    assert_eq!(state(&drawn, "r1"), "online");
    assert_eq!(state(&drawn, "d-closed"), "online");
    assert_eq!(state(&drawn, "p-event"), "disarmed");
    assert_eq!(state(&drawn, "gw1"), "offline");
    assert_eq!(state(&drawn, "d-alarm"), "alarm");
    let open = drawn.devices.iter().find(|d| d.id == "d-open").unwrap();
    assert_eq!(
        (open.kind.as_str(), open.last_event_at),
        ("door", Some(t(9)))
    );
    let reader = drawn.devices.iter().find(|d| d.id == "r1").unwrap();
    assert_eq!(reader.kind, "reader");
}

#[test]
fn plans_out_of_range_or_with_repeated_ids_are_refused_naming_the_field() {
    let mut plan = FloorPlan {
        devices: vec![planned("d1", "door", "hall", Some((1200.0, 10.0)))],
        ..Default::default()
    };
    let e = plan.check().unwrap_err();
    assert!(e.to_string().contains("devices[0].x"), "{e}");
    plan.devices = vec![
        planned("d1", "door", "hall", None),
        planned("d1", "door", "hall", None),
    ];
    assert!(matches!(plan.check(), Err(PlanError::Duplicate { .. })));
    plan.devices.clear();
    plan.width = f64::NAN;
    assert!(plan.check().unwrap_err().to_string().contains("width"));
}

#[test]
fn a_plan_reads_with_defaults() {
    let plan: FloorPlan = serde_json::from_value(serde_json::json!({
        "areas": [{ "id": "hall", "name": "Hall", "x": 0, "y": 0, "w": 400, "h": 300 }],
        "devices": [{ "id": "d1", "kind": "door", "zone": "hall", "x": 120, "y": 40 }],
    }))
    .unwrap();
    assert_eq!((plan.width, plan.height), (1000.0, 600.0));
    assert_eq!(plan.devices[0].x, Some(120.0));
    assert!(serde_json::from_value::<FloorPlan>(serde_json::json!({"colour": 1})).is_err());
}

proptest! {
    /// However many zones and devices, every laid-out device is inside the
    /// plan, and areas do not overlap.
    #[test]
    fn laid_out_devices_stay_inside_the_plan(
        zones in proptest::collection::vec("[a-z]{1,6}", 0..12),
        devices in proptest::collection::vec(("[a-z0-9]{1,8}", 0usize..14), 0..60),
        width in 50.0f64..4000.0,
        height in 50.0f64..4000.0,
    ) {
        let plan = FloorPlan {
            width,
            height,
            areas: Vec::new(),
            devices: devices
                .iter()
                .map(|(id, z)| PlannedDevice {
                    id: id.clone(),
                    name: None,
                    kind: None,
                    zone: zones.get(*z).cloned(),
                    x: None,
                    y: None,
                })
                .collect(),
        };
        let drawn = draw(&SiteFacts { plan: Some(&plan), ..Default::default() });
        for d in &drawn.devices {
            prop_assert!(d.x >= 0.0 && d.x <= width && d.y >= 0.0 && d.y <= height, "{d:?}");
        }
        for (i, a) in drawn.areas.iter().enumerate() {
            for b in &drawn.areas[i + 1..] {
                let apart = a.x + a.w <= b.x || b.x + b.w <= a.x || a.y + a.h <= b.y || b.y + b.h <= a.y;
                prop_assert!(apart, "{a:?} overlaps {b:?}");
            }
        }
    }
}
