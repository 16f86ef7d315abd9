use super::*;
use chrono::TimeZone;
use vigil_model::{SourceKind, TenantId};

fn t0() -> Timestamp {
    chrono::Utc
        .with_ymd_and_hms(2026, 11, 27, 10, 0, 0)
        .unwrap()
}

fn binding() -> SourceBinding {
    SourceBinding {
        id: SourceId::new("ng-arc").unwrap(),
        tenant: TenantId::new("northgate").unwrap(),
        site: None,
        kind: SourceKind::Dc09Tcp,
        product: "sia-dc09".into(),
    }
}

fn heard(device: &str, at: Timestamp) -> Heard {
    Heard {
        binding: binding(),
        device: device.into(),
        device_type: "intrusion_panel".into(),
        interval: Duration::minutes(3),
        at,
        armed: None,
    }
}

#[test]
fn a_missed_interval_loses_the_path_once_and_a_report_restores_it() {
    let mut s = Supervisor::new();
    assert_eq!(s.heard(heard("panel-1234", t0())), None);
    assert!(
        s.tick(t0() + Duration::minutes(3)).is_empty(),
        "exactly at the interval is on time"
    );
    let lost = s.tick(t0() + Duration::minutes(3) + Duration::seconds(1));
    assert_eq!(lost.len(), 1);
    match &lost[0] {
        Transition::Lost { at, reason, .. } => {
            assert_eq!(*at, t0() + Duration::minutes(3), "lost as of the deadline");
            assert!(reason.contains("no report within 180s"), "{reason}");
        }
        other => panic!("{other:?}"),
    }
    assert!(s.tick(t0() + Duration::hours(1)).is_empty(), "lost once");
    let back = s.heard(heard("panel-1234", t0() + Duration::minutes(10)));
    match back {
        Some(Transition::Restored { down_for, .. }) => assert_eq!(down_for, Duration::minutes(7)),
        other => panic!("{other:?}"),
    }
    assert!(s.tick(t0() + Duration::minutes(12)).is_empty());
    assert_eq!(
        s.tick(t0() + Duration::minutes(14)).len(),
        1,
        "and can be lost again"
    );
}

#[test]
fn transitions_become_device_status_events() {
    let mut s = Supervisor::new();
    let mut h = heard("panel-1234", t0());
    h.armed = Some(true);
    s.heard(h);
    let lost = s.tick(t0() + Duration::minutes(5)).remove(0);
    let f = lost.fields();
    assert_eq!(f["class"], "device_status");
    assert_eq!(f["action"], "transmission_path_lost");
    assert_eq!(f["status"], "offline");
    assert_eq!(f["severity"], "high");
    assert_eq!(f["armed"], true, "the set state at the loss is kept");
    assert_eq!(f["device"], "panel-1234");
    assert_eq!(f["time"], "2026-11-27T10:03:00.000Z");
    assert_eq!(
        lost.raw(),
        lost.clone().raw(),
        "same transition, same fingerprint bytes"
    );
    let restored = s
        .heard(heard("panel-1234", t0() + Duration::minutes(6)))
        .unwrap();
    let f = restored.fields();
    assert_eq!(
        (f["action"].as_str(), f["down_secs"].as_i64()),
        (Some("transmission_path_restored"), Some(180))
    );
}

#[test]
fn expected_devices_are_lost_if_they_never_report_and_offline_is_immediate() {
    let mut s = Supervisor::new();
    s.expect(&heard("panel-9", t0()));
    s.expect(&heard("panel-9", t0() + Duration::minutes(2)));
    assert_eq!(
        s.tick(t0() + Duration::minutes(4)).len(),
        1,
        "expect does not move the clock"
    );
    let t = s
        .went_offline(heard("gw-1", t0()), "gateway sent NDEATH")
        .unwrap();
    assert!(matches!(t, Transition::Lost { .. }));
    assert_eq!(s.went_offline(heard("gw-1", t0()), "again"), None);
    assert!(
        s.heard(heard("gw-1", t0() + Duration::seconds(5)))
            .is_some()
    );
}

#[test]
fn out_of_order_reports_do_not_move_time_back() {
    let mut s = Supervisor::new();
    s.heard(heard("p", t0() + Duration::minutes(2)));
    s.heard(heard("p", t0()));
    assert!(s.tick(t0() + Duration::minutes(4)).is_empty());
}

#[test]
fn the_handle_queues_restores_for_the_ticker() {
    let h = SupervisionHandle::new();
    h.heard(heard("p", t0()));
    assert_eq!(h.take_transitions(t0() + Duration::minutes(4)).len(), 1);
    h.heard(heard("p", t0() + Duration::minutes(5)));
    let queued = h.take_transitions(t0() + Duration::minutes(5));
    assert!(matches!(queued.as_slice(), [Transition::Restored { .. }]));
    assert_eq!(h.snapshot().len(), 1);
}

#[test]
fn a_registered_device_place_is_added_without_overriding_the_event() {
    let mut s = Supervisor::new();
    let mut h = heard("cam-7", t0());
    h.device_type = "camera".into();
    s.heard(h);
    let lost = s.tick(t0() + Duration::minutes(5)).remove(0);
    let mut f = lost.fields();
    f.insert("zone".into(), "from-the-event".into());
    let device = vigil_store::DeviceRecord {
        tenant: TenantId::new("northgate").unwrap(),
        id: "cam-7".into(),
        site: None,
        kind: "camera".into(),
        zone: Some("lon1-hall-1".into()),
        name: Some("Hall 1 east door".into()),
        covers_door: Some("lon1-hall-1-east".into()),
        heartbeat_secs: Some(60),
    };
    task::place_fields(&mut f, &device);
    assert_eq!(f["covers_door"], "lon1-hall-1-east");
    assert_eq!(f["device_name"], "Hall 1 east door");
    assert_eq!(f["zone"], "from-the-event", "the event's own word stands");
}
