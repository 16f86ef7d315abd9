//! Payloads keep to the formats Vigil's normalizer reads: syslog lines start
//! with a priority, JSON objects carry their time, physical events their
//! class, Windows events their channel and id; every id names something in
//! the world.

mod common;

use std::collections::HashSet;

use common::{json, run, tuesday};
use vigil_model::SourceKind;
use vigil_sim::{Payload, World};

#[test]
fn payloads_match_their_bindings_and_formats() {
    let world = World::generate(31);
    let (emissions, _) = run(&world, 31, tuesday(9), 30);
    assert!(!emissions.is_empty());
    let classes: HashSet<&str> = [
        "physical_access",
        "sensor_reading",
        "video_analytics",
        "device_status",
        "intrusion_alarm",
    ]
    .into();
    for e in &emissions {
        let binding = world
            .source(&e.source)
            .expect("emitted through a known binding");
        assert_eq!(
            e.at.timestamp_subsec_nanos() % 1_000_000,
            0,
            "millisecond precision"
        );
        let stamp = e.at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
        match &e.payload {
            Payload::Syslog(line) => {
                assert_eq!(binding.kind, SourceKind::SyslogTcp);
                assert!(line.starts_with('<'), "{line}");
                assert!(!line.contains('\n'));
                match binding.product.as_str() {
                    "fortigate" | "paloalto" => {
                        assert!(line.contains(&format!(">1 {stamp} ")), "{line}");
                        assert!(line.contains(" CEF - - - CEF:0|"), "{line}");
                    }
                    "vpn" => assert!(line.contains(" %ASA-"), "{line}"),
                    other => panic!("syslog from {other}"),
                }
            }
            Payload::Json(f) => {
                assert_eq!(binding.kind, SourceKind::Http);
                if binding.product == "windows" {
                    assert_eq!(
                        f.get("@timestamp").and_then(|v| v.as_str()),
                        Some(stamp.as_str())
                    );
                    assert!(f.get("EventID").and_then(|v| v.as_u64()).is_some());
                    let channel = f.get("Channel").and_then(|v| v.as_str()).unwrap();
                    assert!(
                        ["Security", "Microsoft-Windows-Sysmon/Operational"].contains(&channel)
                    );
                    assert!(f.get("Hostname").and_then(|v| v.as_str()).is_some());
                } else {
                    assert_eq!(f.get("time").and_then(|v| v.as_str()), Some(stamp.as_str()));
                    let class = f.get("class").and_then(|v| v.as_str()).unwrap();
                    assert!(classes.contains(class), "{class}");
                }
            }
            Payload::Dc09 {
                account,
                message_type,
                ..
            } => {
                assert_eq!(binding.kind, SourceKind::Dc09Tcp);
                assert!(
                    !account.is_empty()
                        && ["SIA-DCS", "ADM-CID", "NULL"].contains(&message_type.as_str())
                );
            }
            Payload::Onvif { camera, topic, .. } => {
                assert_eq!(binding.kind, SourceKind::OnvifPush);
                assert!(!camera.is_empty() && !topic.is_empty());
            }
            Payload::Sparkplug { topic, .. } => {
                assert_eq!(binding.kind, SourceKind::Mqtt);
                assert!(topic.starts_with("spBv1.0/"), "{topic}");
            }
        }
    }
}

#[test]
fn physical_events_name_devices_of_their_own_client_and_site() {
    let world = World::generate(31);
    let (emissions, _) = run(&world, 31, tuesday(9), 30);
    for e in &emissions {
        let Some(f) = json(e) else { continue };
        let binding = world.source(&e.source).unwrap();
        let tenant = world.tenant(&binding.tenant).unwrap();
        for key in ["door", "camera", "sensor", "device", "panel"] {
            if let Some(id) = f.get(key).and_then(|v| v.as_str()) {
                let device = tenant
                    .device(id)
                    .unwrap_or_else(|| panic!("{id} unknown to {}", tenant.tenant.id));
                assert_eq!(
                    Some(&device.site),
                    binding.site.as_ref(),
                    "{id} reported through {}",
                    binding.id
                );
            }
        }
        if let Some(zone) = f.get("zone").and_then(|v| v.as_str()) {
            assert!(tenant.zone(zone).is_some(), "zone {zone}");
        }
        if let Some(status) = f.get("person_status").and_then(|v| v.as_str()) {
            assert!(["active", "on_leave", "terminated"].contains(&status));
        }
    }
}
