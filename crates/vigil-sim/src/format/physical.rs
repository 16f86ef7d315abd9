//! Vigil's own JSON for physical security and building events: every object
//! has `time` (RFC 3339) and `class`, then the class's fields.

use serde_json::{Value, json};
use vigil_model::{Fields, Severity, Timestamp};

use super::rfc3339_millis;

fn object(value: Value) -> Fields {
    match value {
        Value::Object(map) => map.into(),
        _ => Fields::new(),
    }
}

fn base(at: Timestamp, class: &str) -> Fields {
    let mut f = Fields::new();
    f.insert("time".into(), rfc3339_millis(at).into());
    f.insert("class".into(), class.into());
    f
}

fn with_severity(mut f: Fields, severity: Option<Severity>) -> Fields {
    if let Some(s) = severity {
        f.insert("severity".into(), s.as_str().into());
    }
    f
}

/// Who presented a badge, as the access-control system knows them.
#[derive(Debug, Clone, Copy)]
pub struct Cardholder<'a> {
    /// The card number.
    pub badge: &'a str,
    /// The holder's name, if the badge is enrolled.
    pub person: Option<&'a str>,
    /// The holder's HR status (`active`, `on_leave`, `terminated`).
    pub status: Option<&'a str>,
}

/// A door and where it is.
#[derive(Debug, Clone, Copy)]
pub struct DoorAt<'a> {
    /// The door's id.
    pub door: &'a str,
    /// Its reader's id, if it has one.
    pub reader: Option<&'a str>,
    /// The zone it leads into.
    pub zone: &'a str,
}

/// A `physical_access` event.
pub fn access(
    at: Timestamp,
    action: &str,
    door: DoorAt<'_>,
    holder: Option<Cardholder<'_>>,
    reason: Option<&str>,
    severity: Option<Severity>,
) -> Fields {
    let mut f = base(at, "physical_access");
    f.insert("action".into(), action.into());
    f.insert("door".into(), door.door.into());
    if let Some(r) = door.reader {
        f.insert("reader".into(), r.into());
    }
    f.insert("zone".into(), door.zone.into());
    if let Some(h) = holder {
        f.insert("badge".into(), h.badge.into());
        if let Some(p) = h.person {
            f.insert("person".into(), p.into());
        }
        if let Some(s) = h.status {
            f.insert("person_status".into(), s.into());
        }
    }
    if let Some(r) = reason {
        f.insert("reason".into(), r.into());
    }
    with_severity(f, severity)
}

/// A `physical_access` door-contact event (opened, closed, held, forced).
pub fn door_contact(
    at: Timestamp,
    action: &str,
    door: DoorAt<'_>,
    reason: Option<&str>,
    open_seconds: Option<u32>,
    severity: Option<Severity>,
) -> Fields {
    let mut f = access(at, action, door, None, reason, severity);
    if let Some(s) = open_seconds {
        f.insert("open_seconds".into(), s.into());
    }
    f
}

/// A `video_analytics` event.
pub fn video(
    at: Timestamp,
    camera: &str,
    zone: &str,
    action: &str,
    severity: Option<Severity>,
) -> Fields {
    let mut f = base(at, "video_analytics");
    f.extend(object(
        json!({"camera": camera, "zone": zone, "action": action}),
    ));
    with_severity(f, severity)
}

/// A `sensor_reading` event. `state` is the building management system's
/// verdict against its thresholds (`normal`, `high`, `alarm`).
#[allow(clippy::too_many_arguments)]
pub fn sensor(
    at: Timestamp,
    sensor: &str,
    zone: &str,
    metric: &str,
    value: f64,
    unit: &str,
    state: &str,
    severity: Option<Severity>,
) -> Fields {
    let mut f = base(at, "sensor_reading");
    f.extend(object(json!({
        "sensor": sensor,
        "zone": zone,
        "metric": metric,
        "value": value,
        "unit": unit,
        "state": state,
    })));
    with_severity(f, severity)
}

/// A `device_status` event.
pub fn device_status(
    at: Timestamp,
    device: &str,
    device_type: &str,
    status: &str,
    severity: Option<Severity>,
) -> Fields {
    let mut f = base(at, "device_status");
    f.extend(object(
        json!({"device": device, "device_type": device_type, "status": status}),
    ));
    with_severity(f, severity)
}

/// An `intrusion_alarm` event from an intrusion panel (armed, disarmed).
pub fn intrusion(
    at: Timestamp,
    panel: &str,
    zone: &str,
    action: &str,
    user: Option<&str>,
) -> Fields {
    let mut f = base(at, "intrusion_alarm");
    f.extend(object(
        json!({"panel": panel, "zone": zone, "action": action}),
    ));
    if let Some(u) = user {
        f.insert("user".into(), u.into());
    }
    f
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn access_events_carry_the_holders_status() {
        let t = chrono::DateTime::from_timestamp(1_795_000_000, 0).unwrap();
        let door = DoorAt {
            door: "main-door-pharmacy",
            reader: Some("main-rdr-pharmacy"),
            zone: "main-pharmacy",
        };
        let holder = Cardholder {
            badge: "40213377",
            person: Some("Ann Other"),
            status: Some("terminated"),
        };
        let f = access(t, "access_granted", door, Some(holder), None, None);
        assert_eq!(f["class"], "physical_access");
        assert_eq!(f["action"], "access_granted");
        assert_eq!(f["person_status"], "terminated");
        assert_eq!(f["time"], "2026-11-18T11:06:40.000Z");
        let s = sensor(
            t,
            "s1",
            "z",
            "temperature",
            23.4,
            "C",
            "normal",
            Some(Severity::Info),
        );
        assert_eq!(s["value"], 23.4);
        assert_eq!(s["severity"], "info");
    }
}
