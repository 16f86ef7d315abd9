//! From ONVIF notifications to Vigil events: which topic means what, the
//! state of each camera's properties, and the resynchronisation that
//! `Initialized` messages allow.
//!
//! Topics (ONVIF core and analytics specifications) and their actions:
//! motion (`VideoSource/MotionAlarm`, `RuleEngine/CellMotionDetector/Motion`,
//! `RuleEngine/MotionRegionDetector/Motion`), tamper
//! (`RuleEngine/TamperDetector/Tamper`, `VideoSource/ImageTooBlurry/*`,
//! `…/ImageTooDark/*`, `…/ImageTooBright/*`), scene change
//! (`VideoSource/GlobalSceneChange/*`), signal loss (`VideoSource/SignalLoss`),
//! digital input (`Device/Trigger/DigitalInput`, `Device/IO/DigitalInput`),
//! field detector (`RuleEngine/FieldDetector/ObjectsInside`), line crossing
//! (`RuleEngine/LineDetector/Crossed`) and storage failure
//! (`Device/HardwareFailure/StorageFailure`); anything else is `other`.
//!
//! A property message's boolean data item (`IsMotion`, `State`, `IsTamper`,
//! `LogicalState`, `IsInside`, `Failed` …) says whether the condition is on.
//! `Changed` messages always become events. An `Initialized` message (the
//! state when a subscription starts) becomes an event only when it differs
//! from the state Vigil knew — a camera that lost its signal while nobody
//! was subscribed is caught that way — or, for a state Vigil did not know,
//! when the condition is on.

use std::collections::HashMap;

use serde_json::Value;
use vigil_model::{Fields, Timestamp};

use super::notify::{Notification, PropertyOperation};

/// What a topic means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TopicMeaning {
    /// The event's action.
    pub action: &'static str,
    /// The event's class.
    pub class: &'static str,
    /// Severity when the condition is on.
    pub severity: &'static str,
}

/// The meaning of a topic (without the ONVIF prefix).
pub fn meaning(topic: &str) -> TopicMeaning {
    let m = |action, class, severity| TopicMeaning {
        action,
        class,
        severity,
    };
    let t = topic;
    if t == "VideoSource/MotionAlarm"
        || t.starts_with("RuleEngine/CellMotionDetector/")
        || t.starts_with("RuleEngine/MotionRegionDetector/")
    {
        m("motion", "video_analytics", "info")
    } else if t.starts_with("RuleEngine/TamperDetector/")
        || t.starts_with("VideoSource/ImageTooBlurry/")
        || t.starts_with("VideoSource/ImageTooDark/")
        || t.starts_with("VideoSource/ImageTooBright/")
    {
        m("tamper", "video_analytics", "high")
    } else if t.starts_with("VideoSource/GlobalSceneChange/") {
        m("scene_change", "video_analytics", "low")
    } else if t == "VideoSource/SignalLoss" || t.starts_with("VideoSource/SignalLoss/") {
        m("signal_loss", "video_analytics", "medium")
    } else if t == "Device/Trigger/DigitalInput" || t == "Device/IO/DigitalInput" {
        m("digital_input", "video_analytics", "info")
    } else if t.starts_with("RuleEngine/FieldDetector/") {
        m("field_detector", "video_analytics", "low")
    } else if t.starts_with("RuleEngine/LineDetector/") {
        m("line_crossing", "video_analytics", "low")
    } else if t.starts_with("Device/HardwareFailure/StorageFailure") {
        m("storage_failure", "device_status", "medium")
    } else {
        m("other", "video_analytics", "info")
    }
}

/// The data items whose boolean says whether a condition is on.
const STATE_ITEMS: [&str; 9] = [
    "IsMotion",
    "State",
    "IsTamper",
    "LogicalState",
    "IsInside",
    "Failed",
    "Active",
    "Value",
    "Alarm",
];

fn truthy(text: &str) -> Option<bool> {
    match text.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "on" | "active" => Some(true),
        "false" | "0" | "off" | "inactive" => Some(false),
        _ => None,
    }
}

/// Whether the condition is on, per the message's data.
pub fn active(n: &Notification) -> Option<bool> {
    STATE_ITEMS
        .iter()
        .find_map(|name| n.data.iter().find(|(k, _)| k == name))
        .and_then(|(_, v)| truthy(v))
}

/// Most property states remembered (all cameras of a source together).
pub const MAX_STATES: usize = 100_000;

/// The known state of every camera's properties.
#[derive(Debug, Default)]
pub struct CameraStates {
    states: HashMap<String, bool>,
}

/// Where a camera is, from configuration.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CameraPlace {
    /// The camera's id in Vigil.
    pub id: String,
    /// The zone it watches.
    #[serde(default)]
    pub zone: Option<String>,
    /// The door it covers.
    #[serde(default)]
    pub covers_door: Option<String>,
}

impl CameraStates {
    /// Empty.
    pub fn new() -> Self {
        Self::default()
    }

    /// The event for `n` from `camera`, received at `now` — or `None` when
    /// it tells nothing new (an `Initialized` state Vigil already knew).
    pub fn event(
        &mut self,
        camera: &CameraPlace,
        n: &Notification,
        now: Timestamp,
    ) -> Option<Fields> {
        let meaning = meaning(&n.topic);
        let on = active(n);
        let key = format!(
            "{}\u{0}{}\u{0}{}",
            camera.id,
            n.topic,
            n.source
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join("&")
        );
        let known = self.states.get(&key).copied();
        let mut resync = false;
        match (n.operation, on) {
            (PropertyOperation::Deleted, _) => {
                self.states.remove(&key);
            }
            (op, Some(value)) => {
                if op == PropertyOperation::Initialized {
                    match known {
                        Some(k) if k == value => return None,
                        None if !value => {
                            self.remember(key, value);
                            return None;
                        }
                        _ => resync = true,
                    }
                }
                self.remember(key, value);
            }
            (PropertyOperation::Initialized, None) => return None,
            _ => {}
        }
        let mut f = Fields::new();
        let at = n.utc_time.unwrap_or(now);
        f.insert(
            "time".into(),
            at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
                .into(),
        );
        f.insert("class".into(), meaning.class.into());
        f.insert("action".into(), meaning.action.into());
        f.insert("camera".into(), camera.id.clone().into());
        if let Some(z) = &camera.zone {
            f.insert("zone".into(), z.clone().into());
        }
        if let Some(d) = &camera.covers_door {
            f.insert("covers_door".into(), d.clone().into());
        }
        f.insert("topic".into(), n.topic.clone().into());
        f.insert("onvif_topic".into(), n.raw_topic.clone().into());
        f.insert("property_operation".into(), n.operation.as_str().into());
        if let Some(on) = on {
            f.insert("active".into(), on.into());
        }
        if resync {
            f.insert("resync".into(), true.into());
        }
        if meaning.class == "device_status" {
            f.insert("device".into(), camera.id.clone().into());
            f.insert("device_type".into(), "camera".into());
            f.insert(
                "status".into(),
                if on == Some(false) { "online" } else { "fault" }.into(),
            );
        }
        let severity = if on == Some(false) {
            "info"
        } else {
            meaning.severity
        };
        f.insert("severity".into(), severity.into());
        for (k, v) in &n.source {
            f.insert(format!("source_{k}"), Value::String(v.clone()));
        }
        for (k, v) in &n.key {
            f.insert(format!("key_{k}"), Value::String(v.clone()));
        }
        for (k, v) in &n.data {
            f.insert(format!("data_{k}"), Value::String(v.clone()));
        }
        Some(f)
    }

    fn remember(&mut self, key: String, value: bool) {
        if self.states.len() >= MAX_STATES && !self.states.contains_key(&key) {
            // Bounded: start over rather than grow; the next Initialized
            // messages rebuild what matters.
            self.states.clear();
        }
        self.states.insert(key, value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn n(topic: &str, op: PropertyOperation, data: &[(&str, &str)]) -> Notification {
        Notification {
            topic: topic.into(),
            raw_topic: format!("tns1:{topic}"),
            utc_time: None,
            operation: op,
            source: vec![("VideoSourceConfigurationToken".into(), "vs0".into())],
            key: Vec::new(),
            data: data
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            producer: None,
        }
    }

    fn now() -> Timestamp {
        chrono::Utc
            .with_ymd_and_hms(2026, 11, 27, 10, 0, 0)
            .unwrap()
    }

    fn cam() -> CameraPlace {
        CameraPlace {
            id: "lon1-hall-1-cam".into(),
            zone: Some("lon1-corridor".into()),
            covers_door: Some("lon1-hall-1".into()),
        }
    }

    #[test]
    fn every_listed_topic_has_its_action() {
        for (topic, action) in [
            ("VideoSource/MotionAlarm", "motion"),
            ("RuleEngine/CellMotionDetector/Motion", "motion"),
            ("RuleEngine/TamperDetector/Tamper", "tamper"),
            ("VideoSource/ImageTooBlurry/ImagingService", "tamper"),
            (
                "VideoSource/GlobalSceneChange/ImagingService",
                "scene_change",
            ),
            ("VideoSource/SignalLoss", "signal_loss"),
            ("Device/Trigger/DigitalInput", "digital_input"),
            ("RuleEngine/FieldDetector/ObjectsInside", "field_detector"),
            ("RuleEngine/LineDetector/Crossed", "line_crossing"),
            ("Device/HardwareFailure/StorageFailure", "storage_failure"),
            ("tnsaxis:Storage/Alert", "other"),
        ] {
            assert_eq!(meaning(topic).action, action, "{topic}");
        }
    }

    #[test]
    fn changes_are_events_with_their_items() {
        let mut s = CameraStates::new();
        let f = s
            .event(
                &cam(),
                &n(
                    "RuleEngine/TamperDetector/Tamper",
                    PropertyOperation::Changed,
                    &[("IsTamper", "true")],
                ),
                now(),
            )
            .unwrap();
        assert_eq!(f["action"], "tamper");
        assert_eq!(f["active"], true);
        assert_eq!(f["severity"], "high");
        assert_eq!(f["camera"], "lon1-hall-1-cam");
        assert_eq!(f["covers_door"], "lon1-hall-1");
        assert_eq!(f["source_VideoSourceConfigurationToken"], "vs0");
        assert_eq!(f["data_IsTamper"], "true");
        let cleared = s
            .event(
                &cam(),
                &n(
                    "RuleEngine/TamperDetector/Tamper",
                    PropertyOperation::Changed,
                    &[("IsTamper", "false")],
                ),
                now(),
            )
            .unwrap();
        assert_eq!(
            (cleared["active"].as_bool(), cleared["severity"].as_str()),
            (Some(false), Some("info"))
        );
        let storage = s
            .event(
                &cam(),
                &n(
                    "Device/HardwareFailure/StorageFailure",
                    PropertyOperation::Changed,
                    &[("Failed", "true")],
                ),
                now(),
            )
            .unwrap();
        assert_eq!(
            (storage["class"].as_str(), storage["status"].as_str()),
            (Some("device_status"), Some("fault"))
        );
    }

    #[test]
    fn initialized_messages_resynchronise_without_repeating_what_is_known() {
        let mut s = CameraStates::new();
        let init = |v: &str| {
            n(
                "VideoSource/SignalLoss",
                PropertyOperation::Initialized,
                &[("State", v)],
            )
        };
        assert_eq!(
            s.event(&cam(), &init("false"), now()),
            None,
            "a quiet start is no event"
        );
        assert_eq!(s.event(&cam(), &init("false"), now()), None);
        let lost = s
            .event(&cam(), &init("true"), now())
            .expect("a change found at resubscription");
        assert_eq!(
            (lost["action"].as_str(), lost["resync"].as_bool()),
            (Some("signal_loss"), Some(true))
        );
        assert_eq!(s.event(&cam(), &init("true"), now()), None, "known already");
        let mut fresh = CameraStates::new();
        assert!(
            fresh.event(&cam(), &init("true"), now()).is_some(),
            "an unknown condition that is on"
        );
    }
}
