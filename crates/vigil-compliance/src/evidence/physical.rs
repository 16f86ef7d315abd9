//! Physical security monitoring (A.7.1 to A.7.4) and the supervision of
//! the devices that do it (A.8.16): which doors, cameras and alarm panels
//! are registered, whether each is supervised or heard from, and the gaps
//! in supervision over the period.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::json;
use vigil_model::Timestamp;

use super::{EvidenceEntry, EvidenceError, Span, Status, seconds};

/// A device supervision watches, and its gaps in the period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SupervisedDevice {
    /// Its id.
    pub id: String,
    /// Its name (its id without one).
    pub name: String,
    /// What it is (`intrusion_panel`, `camera` …).
    pub kind: String,
    /// Its site.
    pub site: Option<String>,
    /// How long it may be silent before its path counts as lost, seconds.
    pub interval_secs: i64,
    /// Lost since, if its path is lost now.
    pub lost_since: Option<Timestamp>,
    /// Losses of its transmission path overlapping the period.
    pub losses: u32,
    /// Seconds of the period its path was lost.
    pub down_secs: i64,
}

/// What the supervision evidence is computed from.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SupervisionFacts {
    /// Every device supervision knows of for the client.
    pub devices: Vec<SupervisedDevice>,
    /// The period's end, or now if earlier: what the gaps are measured to.
    pub measured_to: Option<Timestamp>,
}

/// A device of the register, and whether it is watched.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RegisteredDevice {
    /// Its id.
    pub id: String,
    /// Its name (its id without one).
    pub name: String,
    /// What it is, as the register says (`door`, `camera`, `panel` …).
    pub kind: String,
    /// Its site.
    pub site: Option<String>,
    /// Whether supervision watches its transmission path.
    pub supervised: bool,
    /// Events stored from it (or naming it) in the period.
    pub events: u64,
}

/// What the physical evidence is computed from.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PhysicalFacts {
    /// The device register.
    pub devices: Vec<RegisteredDevice>,
    /// Physical events stored in the period, by class
    /// (`physical_access`, `intrusion_alarm` …).
    pub events_by_class: BTreeMap<String, u64>,
    /// Whether the counts stopped at a cap (they are lower bounds).
    pub capped: bool,
}

/// The kinds of physical device the monitoring controls are about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Group {
    Door,
    Camera,
    Alarm,
}

impl Group {
    /// The group a register's kind falls in, if any (a sensor of
    /// temperature is environmental, not physical security).
    fn of(kind: &str) -> Option<Group> {
        let k = kind.to_ascii_lowercase();
        if k.contains("door") || k.contains("reader") || k.contains("gate") {
            Some(Group::Door)
        } else if k.contains("camera") || k.contains("nvr") {
            Some(Group::Camera)
        } else if k.contains("panel") || k.contains("intrusion") || k.contains("alarm") {
            Some(Group::Alarm)
        } else {
            None
        }
    }

    fn plural(self) -> &'static str {
        match self {
            Group::Door => "doors",
            Group::Camera => "cameras",
            Group::Alarm => "alarm panels",
        }
    }
}

/// The entry `monitoring.supervision`: gaps in supervision.
pub fn supervision_evidence(
    facts: &SupervisionFacts,
    span: Span,
) -> Result<EvidenceEntry, EvidenceError> {
    let measured_to = facts.measured_to.unwrap_or(span.to);
    let measured = seconds(span.from, measured_to);
    let gaps: Vec<&SupervisedDevice> = facts
        .devices
        .iter()
        .filter(|d| d.losses > 0 || d.lost_since.is_some())
        .collect();
    let lost_now = facts
        .devices
        .iter()
        .filter(|d| d.lost_since.is_some())
        .count();
    let (status, finding) = if facts.devices.is_empty() {
        (
            Status::NotApplicable,
            "No device of this client is under supervision.".to_owned(),
        )
    } else if gaps.is_empty() {
        (
            Status::Evidenced,
            format!(
                "{} devices supervised with no gap in the period.",
                facts.devices.len()
            ),
        )
    } else {
        let named: Vec<String> = gaps
            .iter()
            .take(10)
            .map(|d| {
                format!(
                    "{} ({} losses, {} down)",
                    d.name,
                    d.losses,
                    duration(d.down_secs)
                )
            })
            .collect();
        (
            Status::Partially,
            format!(
                "{} of {} supervised devices had gaps in supervision: {}{}; {lost_now} still lost.",
                gaps.len(),
                facts.devices.len(),
                named.join(", "),
                if gaps.len() > named.len() { " …" } else { "" }
            ),
        )
    };
    let down: i64 = facts.devices.iter().map(|d| d.down_secs).sum();
    EvidenceEntry::new(
        "monitoring.supervision",
        "Supervision of devices and its gaps",
        &["A.8.16", "A.7.4"],
        status,
        finding,
        json!({
            "devices": facts.devices,
            "devices_with_gaps": gaps.len(),
            "lost_now": lost_now,
            "measured_secs_per_device": measured,
            "down_secs": down,
        }),
    )
}

/// The entries `physical.devices` and `physical.events`.
pub fn evidence(
    facts: &PhysicalFacts,
    supervision: &SupervisionFacts,
) -> Result<Vec<EvidenceEntry>, EvidenceError> {
    let mut by_group: BTreeMap<Group, Vec<&RegisteredDevice>> = BTreeMap::new();
    for d in &facts.devices {
        if let Some(g) = Group::of(&d.kind) {
            by_group.entry(g).or_default().push(d);
        }
    }
    // Supervised devices the register does not list still watch the site.
    let unregistered: Vec<&SupervisedDevice> = supervision
        .devices
        .iter()
        .filter(|s| Group::of(&s.kind).is_some() && !facts.devices.iter().any(|d| d.id == s.id))
        .collect();
    let watched: Vec<&RegisteredDevice> = by_group.values().flatten().copied().collect();
    let unwatched: Vec<&str> = watched
        .iter()
        .filter(|d| !d.supervised && d.events == 0)
        .map(|d| d.name.as_str())
        .collect();
    let counts: Vec<String> = by_group
        .iter()
        .map(|(g, ds)| format!("{} {}", ds.len(), g.plural()))
        .collect();
    let (status, finding) = if watched.is_empty() && unregistered.is_empty() {
        (
            Status::NotApplicable,
            "No door, camera or alarm panel of this client is monitored by the platform."
                .to_owned(),
        )
    } else if unwatched.is_empty() {
        (
            Status::Evidenced,
            format!(
                "{}{}: each supervised or heard from in the period.",
                if counts.is_empty() {
                    format!("{} supervised devices", unregistered.len())
                } else {
                    counts.join(", ")
                },
                if unregistered.is_empty() || counts.is_empty() {
                    String::new()
                } else {
                    format!(
                        " and {} supervised devices not in the register",
                        unregistered.len()
                    )
                }
            ),
        )
    } else {
        (
            Status::Partially,
            format!(
                "{} of {} registered doors, cameras and alarm panels were neither supervised nor heard from in the period: {}.",
                unwatched.len(),
                watched.len(),
                unwatched
                    .iter()
                    .take(10)
                    .copied()
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        )
    };
    let groups: BTreeMap<&str, usize> = by_group
        .iter()
        .map(|(g, ds)| (g.plural(), ds.len()))
        .collect();
    let devices = EvidenceEntry::new(
        "physical.devices",
        "Doors, cameras and alarm panels monitored",
        &["A.7.1", "A.7.2", "A.7.3", "A.7.4"],
        status,
        finding,
        json!({
            "devices": watched,
            "by_kind": groups,
            "unwatched": unwatched,
            "supervised_not_in_register": unregistered.iter().map(|d| &d.id).collect::<Vec<_>>(),
        }),
    )?;

    let total: u64 = facts.events_by_class.values().sum();
    let at_least = if facts.capped { "at least " } else { "" };
    let (status, finding) = if total > 0 {
        let parts: Vec<String> = facts
            .events_by_class
            .iter()
            .filter(|(_, n)| **n > 0)
            .map(|(c, n)| format!("{n} {}", c.replace('_', " ")))
            .collect();
        (
            Status::Evidenced,
            format!(
                "{at_least}{total} physical events recorded in the period: {}.",
                parts.join(", ")
            ),
        )
    } else if watched.is_empty() && unregistered.is_empty() {
        (
            Status::NotApplicable,
            "No physical device of this client is monitored, and no physical event was recorded."
                .to_owned(),
        )
    } else {
        (
            Status::NotEvidenced,
            "No physical event was recorded in the period, though devices are registered."
                .to_owned(),
        )
    };
    let events = EvidenceEntry::new(
        "physical.events",
        "Physical entry and alarm events recorded",
        &["A.7.2", "A.7.4"],
        status,
        finding,
        json!({
            "events_by_class": facts.events_by_class,
            "events": total,
            "counts_are_lower_bounds": facts.capped,
        }),
    )?;
    Ok(vec![devices, events])
}

/// Seconds as `1 h 5 min` (or `40 s`).
pub(crate) fn duration(secs: i64) -> String {
    match secs {
        s if s < 60 => format!("{s} s"),
        s if s < 3600 => format!("{} min", s / 60),
        s => format!("{} h {} min", s / 3600, (s % 3600) / 60),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    fn span() -> Span {
        let to = chrono::Utc::now();
        Span {
            from: to - Duration::days(30),
            to,
        }
    }

    fn supervised(id: &str, losses: u32, down_secs: i64, lost: bool) -> SupervisedDevice {
        SupervisedDevice {
            id: id.into(),
            name: format!("{id} name"),
            kind: "intrusion_panel".into(),
            site: Some("lon1".into()),
            interval_secs: 300,
            lost_since: lost.then(|| chrono::Utc::now() - Duration::hours(1)),
            losses,
            down_secs,
        }
    }

    fn registered(id: &str, kind: &str, supervised: bool, events: u64) -> RegisteredDevice {
        RegisteredDevice {
            id: id.into(),
            name: id.into(),
            kind: kind.into(),
            site: None,
            supervised,
            events,
        }
    }

    #[test]
    fn supervision_without_gaps_is_evidence_and_gaps_are_named() {
        let clean = SupervisionFacts {
            devices: vec![supervised("p1", 0, 0, false), supervised("p2", 0, 0, false)],
            measured_to: None,
        };
        let e = supervision_evidence(&clean, span()).expect("entry");
        assert_eq!(e.status, Status::Evidenced);
        assert_eq!(e.data["devices_with_gaps"], json!(0));

        let gaps = SupervisionFacts {
            devices: vec![
                supervised("p1", 2, 3900, false),
                supervised("p2", 1, 600, true),
            ],
            measured_to: None,
        };
        let e = supervision_evidence(&gaps, span()).expect("entry");
        assert_eq!(e.status, Status::Partially);
        assert!(
            e.finding.contains("p1 name (2 losses, 1 h 5 min down)"),
            "{}",
            e.finding
        );
        assert!(e.finding.contains("1 still lost"), "{}", e.finding);
        assert_eq!(e.data["down_secs"], json!(4500));

        let none = supervision_evidence(&SupervisionFacts::default(), span()).expect("entry");
        assert_eq!(none.status, Status::NotApplicable);
    }

    #[test]
    fn every_door_camera_and_panel_watched_is_evidence_and_an_unwatched_one_is_named() {
        let sup = SupervisionFacts::default();
        let mut facts = PhysicalFacts {
            devices: vec![
                registered("d1", "door", false, 12),
                registered("cam1", "camera", true, 0),
                registered("p1", "intrusion_panel", true, 3),
                registered("t1", "temperature_sensor", false, 0),
            ],
            events_by_class: BTreeMap::from([("physical_access".to_owned(), 12)]),
            capped: false,
        };
        let entries = evidence(&facts, &sup).expect("entries");
        assert_eq!(
            entries[0].status,
            Status::Evidenced,
            "{}",
            entries[0].finding
        );
        assert!(
            entries[0]
                .finding
                .contains("1 doors, 1 cameras, 1 alarm panels")
        );
        assert_eq!(entries[1].status, Status::Evidenced);
        assert!(entries[1].finding.contains("12 physical access"));

        // The camera loses its supervision and sends nothing: named.
        facts.devices[1].supervised = false;
        let entries = evidence(&facts, &sup).expect("entries");
        assert_eq!(entries[0].status, Status::Partially);
        assert!(
            entries[0].finding.contains("cam1"),
            "{}",
            entries[0].finding
        );

        let empty = evidence(&PhysicalFacts::default(), &sup).expect("entries");
        assert_eq!(empty[0].status, Status::NotApplicable);
        assert_eq!(empty[1].status, Status::NotApplicable);
    }
}
