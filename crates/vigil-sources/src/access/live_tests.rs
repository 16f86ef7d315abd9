use super::*;
use proptest::prelude::*;
use serde_json::json;

fn fields(v: Value) -> Fields {
    match v {
        Value::Object(m) => m.into(),
        other => panic!("{other}"),
    }
}

fn read(v: Value) -> Result<LiveEvent, LiveEventError> {
    live_event(fields(v))
}

fn stored(v: Value) -> Fields {
    read(v).unwrap().fields.expect("stored")
}

#[test]
fn vigil_words_are_kept_as_sent() {
    for action in ACTIONS.iter().filter(|a| **a != "heartbeat") {
        let f = stored(json!({"action": action, "door": "d-1"}));
        assert_eq!(f["action"], *action);
        assert!(f.get("source_action").is_none(), "{action}");
        assert_eq!(f["class"], "physical_access");
    }
    for reason in DENIAL_REASONS {
        let f = stored(json!({"action": "access_denied", "reason": reason}));
        assert_eq!(
            (f["reason"].as_str(), f.get("source_reason")),
            (Some(reason), None)
        );
    }
    let f = stored(json!({"action": "access_denied", "severity": "high"}));
    assert!(f.get("reason").is_none(), "no reason is invented");
    assert_eq!(f["severity"], "high", "a severity given is kept");
    assert_eq!(
        stored(json!({"action": "door_forced_open"}))["severity"],
        "high"
    );
    assert_eq!(
        stored(json!({"action": "Door-Forced-Open"}))["action"],
        "door_forced_open",
        "case, spaces and hyphens do not matter"
    );
}

#[test]
fn vendor_words_become_vigil_words_and_are_kept_beside_them() {
    let f = stored(json!({"action": "Access Denied - Card Expired", "badge": "40211"}));
    assert_eq!(f["action"], "access_denied");
    assert_eq!(f["reason"], "expired");
    assert_eq!(f["source_action"], "Access Denied - Card Expired");
    let f = stored(json!({"event": "Access Denied", "reason": "Anti-Passback violation"}));
    assert_eq!(
        (f["action"].as_str(), f["reason"].as_str()),
        (Some("access_denied"), Some("anti_passback"))
    );
    assert_eq!(f["event"], "Access Denied", "the vendor's field stays");
    assert_eq!(f["source_reason"], "Anti-Passback violation");
    let f = stored(json!({"event_type": "Door Held Open", "door": "d-2"}));
    assert_eq!(f["action"], "door_held_open");
    assert_eq!(f["severity"], "medium");
    assert_eq!(
        stored(json!({"description": "Duress Alarm"}))["action"],
        "duress"
    );
    assert_eq!(
        stored(json!({"action": "Valid Card Read"}))["action"],
        "access_granted"
    );
}

#[test]
fn an_unknown_action_is_refused_naming_the_accepted_ones() {
    let err = read(json!({"action": "Firmware update", "door": "d-1"})).unwrap_err();
    let text = err.to_string();
    assert!(text.contains("`action` is `Firmware update`"), "{text}");
    for accepted in [
        "access_granted",
        "access_denied",
        "door_forced_open",
        "reader_offline",
        "heartbeat",
        "unknown_card",
        "wrong_pin",
    ] {
        assert!(text.contains(accepted), "{accepted} missing from {text}");
    }
    let err = read(json!({"event": "Firmware update"})).unwrap_err();
    assert!(
        err.to_string().contains("`event` is `Firmware update`"),
        "{err}"
    );
    assert_eq!(
        read(json!({"door": "d-1"})).unwrap_err(),
        LiveEventError::NoAction
    );
    assert!(
        read(json!({"door": "d-1"}))
            .unwrap_err()
            .to_string()
            .contains("access_granted")
    );
    assert_eq!(
        read(json!({"action": 7})).unwrap_err(),
        LiveEventError::NotText("action")
    );
    assert_eq!(
        read(json!({"action": "motion", "class": "video_analytics"})).unwrap_err(),
        LiveEventError::WrongClass("video_analytics".into())
    );
}

#[test]
fn readers_are_reported_for_supervision() {
    let hb = read(json!({"action": "heartbeat", "reader": "r-1"})).unwrap();
    assert_eq!(
        (hb.fields, hb.reader),
        (None, ReaderSignal::Heard("r-1".into()))
    );
    let hb = read(json!({"event": "Reader Heartbeat", "reader": 17})).unwrap();
    assert_eq!(hb.reader, ReaderSignal::Heard("17".into()));
    assert_eq!(
        read(json!({"action": "heartbeat"})).unwrap_err(),
        LiveEventError::HeartbeatWithoutReader
    );
    let off = read(json!({"event": "Reader Offline", "reader": "r-1", "door": "d-1"})).unwrap();
    assert_eq!(off.reader, ReaderSignal::Offline("r-1".into()));
    assert_eq!(off.fields.unwrap()["action"], "reader_offline");
    let on = read(json!({"action": "reader_online", "reader": "r-1"})).unwrap();
    assert_eq!(on.reader, ReaderSignal::Heard("r-1".into()));
    assert!(on.fields.is_some(), "reader_online is stored");
    let granted = read(json!({"action": "access_granted", "reader": "r-2"})).unwrap();
    assert_eq!(granted.reader, ReaderSignal::Heard("r-2".into()));
    assert_eq!(
        read(json!({"action": "door_opened", "door": "d"}))
            .unwrap()
            .reader,
        ReaderSignal::None
    );
}

#[test]
fn intervals_come_from_the_reader_then_the_source() {
    let config: AccessConfig = toml::from_str(
        r#"
heartbeat_secs = 300
[[readers]]
id = "r-1"
heartbeat_secs = 60
door = "d-1"
[[readers]]
id = "r-2"
"#,
    )
    .unwrap();
    config.validate().unwrap();
    assert_eq!(config.interval_of("r-1"), Some(Duration::seconds(60)));
    assert_eq!(config.interval_of("r-2"), Some(Duration::seconds(300)));
    assert_eq!(config.interval_of("r-9"), Some(Duration::seconds(300)));
    let only_listed: AccessConfig =
        toml::from_str("[[readers]]\nid = \"r-1\"\nheartbeat_secs = 30\n").unwrap();
    assert_eq!(only_listed.interval_of("r-9"), None);
    let zero: AccessConfig = toml::from_str("heartbeat_secs = 0").unwrap();
    assert!(
        zero.validate()
            .unwrap_err()
            .to_string()
            .contains("at least 1")
    );
    let twice: AccessConfig =
        toml::from_str("[[readers]]\nid = \"r\"\n[[readers]]\nid = \"r\"\n").unwrap();
    assert!(twice.validate().is_err());
    assert!(
        toml::from_str::<AccessConfig>("heartbeat = 3").is_err(),
        "unknown keys are refused"
    );
}

proptest! {
    #[test]
    fn any_object_is_read_or_refused_without_panicking(
        action in proptest::option::of(".{0,40}"),
        event in proptest::option::of(".{0,40}"),
        reason in proptest::option::of(".{0,20}"),
        reader in proptest::option::of("[a-z0-9-]{0,8}"),
    ) {
        let mut f = Fields::new();
        for (k, v) in [("action", action), ("event", event), ("reason", reason), ("reader", reader)] {
            if let Some(v) = v {
                f.insert(k.into(), Value::String(v));
            }
        }
        if let Ok(LiveEvent { fields: Some(fields), .. }) = live_event(f) {
            let action = fields["action"].as_str().unwrap_or_default();
            prop_assert!(ACTIONS.contains(&action), "{action}");
            if let Some(r) = fields.get("reason").and_then(Value::as_str) {
                prop_assert!(DENIAL_REASONS.contains(&r));
            }
        }
    }
}
