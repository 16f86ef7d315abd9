//! Tests of [`super::normalize`].

use super::*;
use chrono::{DateTime, Utc};
use serde_json::json;
use vigil_model::{SourceId, SourceKind, TenantId};

fn utc(s: &str) -> Timestamp {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

fn binding(product: &str) -> SourceBinding {
    SourceBinding {
        id: SourceId::new("src-1").unwrap(),
        tenant: TenantId::new("northgate").unwrap(),
        site: None,
        kind: SourceKind::Http,
        product: product.into(),
    }
}

fn event(product: &str, value: Value) -> Event {
    let fields: Fields = value.as_object().unwrap().clone().into();
    normalize(
        &binding(product),
        fields,
        utc("2030-01-01T00:00:00Z"),
        EventId(uuid::Uuid::nil()),
    )
}

fn entities(e: &Event) -> Vec<(EntityKind, &str)> {
    e.entities
        .iter()
        .map(|e| (e.kind, e.value.as_str()))
        .collect()
}

#[test]
fn flat_sysmon_process_creation() {
    let e = event(
        "windows",
        json!({
            "Channel": "Microsoft-Windows-Sysmon/Operational", "EventID": 1, "Level": "4",
            "Hostname": "WORKSTATION5.theshire.local", "host": "wec.internal.cloudapp.net",
            "@timestamp": "2020-12-19T07:50:13.635Z", "UtcTime": "2020-12-19 12:50:13.618",
            "Image": "C:\\Windows\\System32\\consent.exe", "User": "NT AUTHORITY\\SYSTEM",
            "Hashes": "SHA1=6BFB,MD5=EE2A,SHA256=19FD,IMPHASH=522D", "RuleName": "-"
        }),
    );
    assert_eq!(e.class, EventClass::ProcessActivity);
    assert_eq!(e.observed_at, utc("2020-12-19T07:50:13.635Z"));
    assert_eq!(e.severity, Severity::Info);
    assert_eq!(
        e.source.device.as_deref(),
        Some("WORKSTATION5.theshire.local")
    );
    assert_eq!(e.source.product, "windows");
    assert_eq!(
        e.entity(EntityKind::Host),
        Some("WORKSTATION5.theshire.local")
    );
    assert_eq!(
        entities(&e),
        vec![
            (EntityKind::Host, "WORKSTATION5.theshire.local"),
            (EntityKind::Host, "wec.internal.cloudapp.net"),
            (EntityKind::User, "NT AUTHORITY\\SYSTEM"),
            (EntityKind::Process, "C:\\Windows\\System32\\consent.exe"),
            (EntityKind::Hash, "6BFB"),
            (EntityKind::Hash, "EE2A"),
            (EntityKind::Hash, "19FD"),
            (EntityKind::Hash, "522D"),
        ]
    );
    assert_eq!(e.fields.len(), 11, "fields are kept whole");
}

#[test]
fn security_logon_with_lower_case_channel() {
    let e = event(
        "windows",
        json!({
            "Channel": "security", "EventID": "4625", "Hostname": "DC1", "TargetUserName": "alice",
            "SubjectUserName": "-", "IpAddress": "10.0.0.5", "TimeCreated": "2020-12-19T07:50:26.143Z"
        }),
    );
    assert_eq!(e.class, EventClass::Authentication);
    assert_eq!(e.observed_at, utc("2020-12-19T07:50:26.143Z"));
    assert_eq!(
        entities(&e),
        vec![
            (EntityKind::Host, "DC1"),
            (EntityKind::User, "alice"),
            (EntityKind::Ip, "10.0.0.5")
        ]
    );
}

#[test]
fn windows_classes() {
    let cases = [
        (
            "Microsoft-Windows-Sysmon/Operational",
            3,
            EventClass::NetworkActivity,
        ),
        (
            "Microsoft-Windows-Sysmon/Operational",
            11,
            EventClass::FileActivity,
        ),
        (
            "Microsoft-Windows-Sysmon/Operational",
            23,
            EventClass::FileActivity,
        ),
        (
            "Microsoft-Windows-Sysmon/Operational",
            13,
            EventClass::RegistryActivity,
        ),
        (
            "Microsoft-Windows-Sysmon/Operational",
            22,
            EventClass::DnsActivity,
        ),
        ("Microsoft-Windows-Sysmon/Operational", 7, EventClass::Other),
        ("Security", 4688, EventClass::ProcessActivity),
        ("SECURITY", 4768, EventClass::Authentication),
        (
            "Microsoft-Windows-PowerShell/Operational",
            4104,
            EventClass::ProcessActivity,
        ),
        ("Windows PowerShell", 4103, EventClass::ProcessActivity),
        ("System", 4624, EventClass::Other),
    ];
    for (channel, id, class) in cases {
        assert_eq!(
            event("windows", json!({"Channel": channel, "EventID": id})).class,
            class,
            "{channel} {id}"
        );
    }
}

#[test]
fn nested_windows_event() {
    let e = event(
        "windows",
        json!({"Event": {
            "#attributes": {"xmlns": "http://schemas.microsoft.com/win/2004/08/events/event"},
            "System": {
                "EventID": 11, "Level": 4, "Channel": "Microsoft-Windows-Sysmon/Operational",
                "Computer": "ar-win-dc.attackrange.local",
                "TimeCreated": {"#attributes": {"SystemTime": "2025-10-24T23:41:48.497170Z"}}
            },
            "EventData": {"Image": "C:\\Windows\\system32\\cmd.exe", "User": "ATTACKRANGE\\Administrator", "UtcTime": "2025-10-24 23:41:48.482"}
        }}),
    );
    assert_eq!(e.class, EventClass::FileActivity);
    assert_eq!(e.observed_at, utc("2025-10-24T23:41:48.497170Z"));
    assert_eq!(
        e.source.device.as_deref(),
        Some("ar-win-dc.attackrange.local")
    );
    assert_eq!(
        e.entity(EntityKind::User),
        Some("ATTACKRANGE\\Administrator")
    );
    assert_eq!(
        e.entity(EntityKind::Process),
        Some("C:\\Windows\\system32\\cmd.exe")
    );

    let e = event(
        "windows",
        json!({"Event": {"System": {
            "EventID": {"#text": 4624}, "Channel": "Security",
            "TimeCreated_attributes": {"SystemTime": "2024-05-01T10:00:00Z"}
        }}}),
    );
    assert_eq!(
        (e.class, e.observed_at),
        (EventClass::Authentication, utc("2024-05-01T10:00:00Z"))
    );
}

#[test]
fn vigil_physical_events() {
    let e = event(
        "vigil-sim",
        json!({
            "time": "2024-05-01T10:00:00Z", "class": "physical_access", "action": "door_forced_open",
            "door": "D-104", "reader": "R-104-in", "zone": "server-room", "badge": 40211, "person": "p.jones",
            "severity": "high"
        }),
    );
    assert_eq!(e.class, EventClass::PhysicalAccess);
    assert_eq!(e.severity, Severity::High);
    assert_eq!(e.observed_at, utc("2024-05-01T10:00:00Z"));
    assert_eq!(e.source.device.as_deref(), Some("R-104-in"));
    assert_eq!(
        entities(&e),
        vec![
            (EntityKind::User, "p.jones"),
            (EntityKind::Door, "D-104"),
            (EntityKind::Device, "R-104-in"),
            (EntityKind::Badge, "40211"),
            (EntityKind::Zone, "server-room"),
        ]
    );
    let e = event(
        "vigil-sim",
        json!({"time": "2024-05-01T10:00:00Z", "class": "sensor_reading", "sensor": "T-7", "zone": "hall", "metric": "temperature", "value": 23.4, "unit": "C"}),
    );
    assert_eq!(
        (e.class, e.severity, e.source.device.as_deref()),
        (EventClass::SensorReading, Severity::Info, Some("T-7"))
    );
    let e = event(
        "vigil-sim",
        json!({"time": "2024-05-01T10:00:00Z", "class": "device_status", "device": "cam-gw-1", "status": "offline"}),
    );
    assert_eq!(
        (e.class, e.entity(EntityKind::Device)),
        (EventClass::DeviceStatus, Some("cam-gw-1"))
    );
    let e = event(
        "vigil-sim",
        json!({"class": "video_analytics", "camera": "C-3", "action": "tamper"}),
    );
    assert_eq!(
        (e.class, e.entity(EntityKind::Camera)),
        (EventClass::VideoAnalytics, Some("C-3"))
    );
    assert_eq!(
        event("x", json!({"class": "no_such_class"})).class,
        EventClass::Other
    );
}

#[test]
fn estate_events_name_panels_and_access_sources_default_their_class() {
    let e = event(
        "sia-dc09",
        json!({"class": "intrusion_alarm", "action": "burglary", "panel": "panel-1234", "zone": "lon1-perimeter"}),
    );
    assert_eq!(e.source.device.as_deref(), Some("panel-1234"));
    assert_eq!(e.entity(EntityKind::Device), Some("panel-1234"));
    let e = event(
        "access",
        json!({"action": "access_granted", "door": "D-1", "badge": "40211"}),
    );
    assert_eq!(e.class, EventClass::PhysicalAccess);
    let e = event(
        "mqtt",
        json!({"class": "sensor_reading", "sensor": "t1", "gateway": "gw-1"}),
    );
    assert_eq!(e.source.device.as_deref(), Some("t1"));
    assert!(
        e.entities
            .contains(&Entity::new(EntityKind::Device, "gw-1"))
    );
}

#[test]
fn cef_fields_derive_network_or_authentication() {
    let fields = crate::decode_message(
        b"<134>Feb 14 19:04:54 fw01 CEF:0|Fortinet|Fortigate|v6.0.3|00013|traffic:forward close|8|rt=1545938140000 src=10.1.100.11 dst=52.53.140.235 suser=bob shost=laptop-7 dvchost=FGT-EDGE",
        utc("2019-01-01T00:00:00Z"),
    )
    .unwrap();
    let e = normalize(
        &binding("fortigate"),
        fields,
        utc("2019-01-01T00:00:00Z"),
        EventId(uuid::Uuid::nil()),
    );
    assert_eq!(e.class, EventClass::NetworkActivity);
    assert_eq!(
        e.severity,
        Severity::High,
        "CEF severity wins over the syslog header's"
    );
    assert_eq!(
        e.observed_at,
        utc("2018-12-27T19:15:40Z"),
        "rt wins over the header time"
    );
    assert_eq!(e.source.device.as_deref(), Some("FGT-EDGE"));
    assert_eq!(
        entities(&e),
        vec![
            (EntityKind::Host, "fw01"),
            (EntityKind::Host, "laptop-7"),
            (EntityKind::User, "bob"),
            (EntityKind::Ip, "10.1.100.11"),
            (EntityKind::Ip, "52.53.140.235"),
        ]
    );
    let e = event(
        "fortigate",
        json!({"cef.vendor": "Fortinet", "cef.name": "event:system login failed", "cef.severity": "Very-High"}),
    );
    assert_eq!(
        (e.class, e.severity),
        (EventClass::Authentication, Severity::Critical)
    );
    let e = event("paloalto", json!({"message": "anything"}));
    assert_eq!(e.class, EventClass::NetworkActivity);
}

#[test]
fn cisco_asa_logins_are_authentication_and_traffic_is_network() {
    let login = event(
        "vpn",
        json!({"app_name": "%ASA-6-113005", "hostname": "vpn-gw01",
               "message": "AAA user authentication Rejected : reason = AAA failure : user = srichter"}),
    );
    assert_eq!(login.class, EventClass::Authentication);
    assert_eq!(login.entity(EntityKind::User), Some("srichter"));
    let session = event(
        "vpn",
        json!({"app_name": "%ASA-6-113039", "message": "Group <RemoteAccess> User <jdoe> IP <198.18.0.1> AnyConnect parent session started."}),
    );
    assert_eq!(session.entity(EntityKind::User), Some("jdoe"));
    assert_eq!(asa_user("user = "), None);
    let traffic = event(
        "syslog",
        json!({"app_name": "%ASA-6-302013", "message": "Built outbound TCP connection 1 for outside:203.0.113.9/443"}),
    );
    assert_eq!(traffic.class, EventClass::NetworkActivity);
    let plain = event(
        "syslog",
        json!({"app_name": "sshd", "message": "session opened"}),
    );
    assert_eq!(plain.class, EventClass::Other);
}

#[test]
fn syslog_severity_and_time_fallbacks() {
    let e = event(
        "linux",
        json!({"severity": 3, "timestamp": "2024-02-01T00:00:00Z", "hostname": "web01"}),
    );
    assert_eq!((e.severity, e.class), (Severity::High, EventClass::Other));
    assert_eq!(e.observed_at, utc("2024-02-01T00:00:00Z"));
    assert_eq!(event("x", json!({"sev": "9"})).severity, Severity::Critical);
    assert_eq!(event("x", json!({"Level": 2})).severity, Severity::High);
    assert_eq!(
        event("x", json!({"time": 1700000000})).observed_at,
        utc("2023-11-14T22:13:20Z")
    );
    assert_eq!(
        event("x", json!({"time": 1700000000123u64})).observed_at,
        utc("2023-11-14T22:13:20.123Z")
    );
    assert_eq!(
        event(
            "x",
            json!({"@timestamp": "garbage", "time": "2024-01-01 10:00:00"})
        )
        .observed_at,
        utc("2024-01-01T10:00:00Z")
    );
    assert_eq!(
        event("x", json!({"@timestamp": null})).observed_at,
        utc("2030-01-01T00:00:00Z")
    );
}

#[test]
fn event_time_is_what_normalize_observes_and_none_without_a_time() {
    let reference = utc("2030-01-01T00:00:00Z");
    for value in [
        json!({"@timestamp": "garbage", "time": "2024-01-01 10:00:00"}),
        json!({"Event": {"System": {"TimeCreated": {"#attributes": {"SystemTime": "2024-03-01T10:00:00.5Z"}}}}}),
        json!({"UtcTime": "2024-05-01 10:00:00.000", "time": 1}),
    ] {
        let fields: Fields = value.as_object().unwrap().clone().into();
        let found = event_time(&fields, reference);
        assert!(found.is_some(), "{value}");
        assert_eq!(found, Some(event("x", value).observed_at));
    }
    for value in [json!({}), json!({"@timestamp": null, "time": "never"})] {
        let fields: Fields = value.as_object().unwrap().clone().into();
        assert_eq!(event_time(&fields, reference), None, "{value}");
    }
}

#[test]
fn entities_skip_empty_dash_and_non_addresses_and_dedupe() {
    let e = event(
        "x",
        json!({
            "user": "", "User": "-", "SubjectUserName": " alice ", "TargetUserName": "alice",
            "src": "not-an-ip", "src_ip": "::ffff:10.0.0.1", "dst_ip": "10.0.0.1", "IpAddress": "10.0.0.1",
            "host": {"name": "nested objects are not names"}, "QueryName": "example.com"
        }),
    );
    assert_eq!(
        entities(&e),
        vec![
            (EntityKind::User, "alice"),
            (EntityKind::Ip, "10.0.0.1"),
            (EntityKind::Ip, "::ffff:10.0.0.1"),
            (EntityKind::Domain, "example.com"),
        ]
    );
    assert_eq!(e.source.device, None);
}
