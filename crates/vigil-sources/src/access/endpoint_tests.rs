use super::*;
use chrono::TimeZone;
use vigil_model::{SourceKind, TenantId};

use crate::access::live::ReaderConfig;
use vigil_estate::supervision::Transition;

fn binding() -> SourceBinding {
    SourceBinding {
        id: SourceId::new("acme-access").unwrap(),
        tenant: TenantId::new("acme").unwrap(),
        site: None,
        kind: SourceKind::Http,
        product: "access".into(),
    }
}

#[test]
fn a_body_is_read_line_by_line_and_refusals_name_their_line() {
    let body = b"{\"action\":\"access_granted\",\"reader\":\"r-1\"}\n\
        \n\
        {\"action\":\"heartbeat\",\"reader\":\"r-2\"}\n\
        {\"action\":\"Firmware update\"}\n\
        not json\n\
        {\"event\":\"Reader Offline\",\"reader\":\"r-3\"}\n";
    let read = read_body(body);
    assert_eq!(read.heartbeats, 1);
    assert_eq!(read.records.len(), 4, "two events and two dead letters");
    assert_eq!(
        read.rejected.iter().map(|r| r.line).collect::<Vec<_>>(),
        vec![4, 5]
    );
    assert!(
        read.rejected[0]
            .reason
            .contains("not an access-control action")
    );
    match &read.records[1] {
        (Err(reason), raw) => {
            assert!(reason.starts_with("access event on line 4: "), "{reason}");
            assert_eq!(raw, b"{\"action\":\"Firmware update\"}");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        read.signals,
        vec![
            ReaderSignal::Heard("r-1".into()),
            ReaderSignal::Heard("r-2".into()),
            ReaderSignal::Offline("r-3".into()),
        ]
    );
}

#[test]
fn readers_with_an_interval_are_supervised_lost_and_restored() {
    let t0 = chrono::Utc.with_ymd_and_hms(2026, 11, 27, 9, 0, 0).unwrap();
    let config = AccessConfig {
        heartbeat_secs: None,
        readers: vec![
            ReaderConfig {
                id: "r-1".into(),
                heartbeat_secs: Some(60),
                door: Some("d-1".into()),
                zone: None,
                name: None,
            },
            ReaderConfig {
                id: "r-2".into(),
                heartbeat_secs: None,
                door: None,
                zone: None,
                name: None,
            },
        ],
    };
    let handle = SupervisionHandle::new();
    expect_readers(&handle, &binding(), &config, t0);
    assert_eq!(
        handle.snapshot().len(),
        1,
        "r-2 has no interval: not watched"
    );
    let at = |s: i64| t0 + chrono::Duration::seconds(s);
    report(
        &handle,
        &binding(),
        &config,
        &[ReaderSignal::Heard("r-1".into())],
        at(50),
    );
    assert!(
        handle.take_transitions(at(100)).is_empty(),
        "heard at 50, due at 110"
    );
    let lost = handle.take_transitions(at(111));
    match lost.as_slice() {
        [
            Transition::Lost {
                device, at: when, ..
            },
        ] => {
            assert_eq!(
                (device.device.as_str(), device.device_type.as_str()),
                ("r-1", "reader")
            );
            assert_eq!(*when, at(110));
        }
        other => panic!("{other:?}"),
    }
    report(
        &handle,
        &binding(),
        &config,
        &[ReaderSignal::Heard("r-1".into())],
        at(130),
    );
    match handle.take_transitions(at(131)).as_slice() {
        [Transition::Restored { down_for, .. }] => {
            assert_eq!(*down_for, chrono::Duration::seconds(20))
        }
        other => panic!("{other:?}"),
    }
    report(
        &handle,
        &binding(),
        &config,
        &[ReaderSignal::Offline("r-1".into())],
        at(140),
    );
    match handle.take_transitions(at(141)).as_slice() {
        [
            Transition::Lost {
                reason, at: when, ..
            },
        ] => {
            assert_eq!(*when, at(140), "lost when the system said so");
            assert!(reason.contains("reported the reader offline"), "{reason}");
        }
        other => panic!("{other:?}"),
    }
    report(
        &handle,
        &binding(),
        &config,
        &[ReaderSignal::Heard("r-2".into())],
        at(150),
    );
    assert_eq!(
        handle.snapshot().len(),
        1,
        "unsupervised readers stay unwatched"
    );
}
