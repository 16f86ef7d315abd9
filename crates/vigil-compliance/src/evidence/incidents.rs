//! Incident management (A.5.24 to A.5.28): the incidents opened in the
//! period, how far and how fast each was handled, and the lessons learned
//! recorded when they were closed.

use serde::Serialize;
use serde_json::json;
use vigil_model::Timestamp;

use super::physical::duration;
use super::{EvidenceEntry, EvidenceError, Span, Status, seconds};

/// One incident, as the evidence reads it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IncidentFact {
    /// Its id.
    pub id: String,
    /// Its title.
    pub title: String,
    /// How bad (`low` … `critical`).
    pub severity: String,
    /// What kind (`cyber`, `physical` …).
    pub category: String,
    /// Where it stands (`new` … `closed`).
    pub state: String,
    /// Opened.
    pub opened_at: Timestamp,
    /// First triaged.
    pub triaged_at: Option<Timestamp>,
    /// The client first told.
    pub notified_at: Option<Timestamp>,
    /// First contained (or closed before that).
    pub contained_at: Option<Timestamp>,
    /// Closed (while it stays closed).
    pub closed_at: Option<Timestamp>,
    /// How it ended (`resolved`, `false_alarm`, `duplicate`).
    pub resolution: Option<String>,
    /// The lessons learned recorded at its close.
    pub lessons_learned: Option<String>,
    /// Alarms linked to it (each with its evidence events).
    pub alarms: usize,
    /// Observables recorded.
    pub observables: usize,
}

/// What the incident evidence is computed from.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct IncidentFacts {
    /// The client's incidents opened in the period.
    pub incidents: Vec<IncidentFact>,
    /// Standard operating procedures the desk has loaded.
    pub sops: usize,
    /// Whether the reading stopped at a cap.
    pub capped: bool,
}

/// The entries `incidents.handled` and `incidents.lessons`.
pub fn evidence(facts: &IncidentFacts, span: Span) -> Result<Vec<EvidenceEntry>, EvidenceError> {
    Ok(vec![handled(facts, span)?, lessons(facts)?])
}

fn handled(facts: &IncidentFacts, span: Span) -> Result<EvidenceEntry, EvidenceError> {
    let in_period: Vec<&IncidentFact> = facts
        .incidents
        .iter()
        .filter(|i| i.opened_at >= span.from && i.opened_at < span.to)
        .collect();
    let untriaged: Vec<&str> = in_period
        .iter()
        .filter(|i| i.triaged_at.is_none() && i.closed_at.is_none())
        .map(|i| i.id.as_str())
        .collect();
    let closed = in_period.iter().filter(|i| i.closed_at.is_some()).count();
    let triage_secs: Vec<i64> = in_period
        .iter()
        .filter_map(|i| i.triaged_at.map(|t| seconds(i.opened_at, t)))
        .collect();
    let median = median(&triage_secs);
    let (status, finding) = if in_period.is_empty() {
        if facts.sops > 0 {
            (
                Status::Partially,
                format!(
                    "No incident was opened in the period: the desk's {} procedures are in place but were not exercised.",
                    facts.sops
                ),
            )
        } else {
            (
                Status::NotEvidenced,
                "No incident was opened in the period and no procedure is loaded.".to_owned(),
            )
        }
    } else if untriaged.is_empty() {
        (
            Status::Evidenced,
            format!(
                "{} incidents handled: {closed} closed, {} open, every one triaged{}.",
                in_period.len(),
                in_period.len() - closed,
                median.map_or(String::new(), |m| format!(
                    " (median time to triage {})",
                    duration(m)
                ))
            ),
        )
    } else {
        (
            Status::Partially,
            format!(
                "{} of {} incidents opened in the period were never triaged: {}.",
                untriaged.len(),
                in_period.len(),
                untriaged.join(", ")
            ),
        )
    };
    let rows: Vec<serde_json::Value> = in_period
        .iter()
        .map(|i| {
            let since = |t: Option<Timestamp>| t.map(|t| seconds(i.opened_at, t));
            json!({
                "id": i.id,
                "title": i.title,
                "severity": i.severity,
                "category": i.category,
                "state": i.state,
                "resolution": i.resolution,
                "opened_at": i.opened_at,
                "triage_secs": since(i.triaged_at),
                "notify_secs": since(i.notified_at),
                "contain_secs": since(i.contained_at),
                "close_secs": since(i.closed_at),
                "alarms": i.alarms,
                "observables": i.observables,
            })
        })
        .collect();
    EvidenceEntry::new(
        "incidents.handled",
        "Incidents handled and their times",
        &["A.5.24", "A.5.25", "A.5.26", "A.5.28"],
        status,
        finding,
        json!({
            "incidents": rows,
            "opened": in_period.len(),
            "closed": closed,
            "untriaged": untriaged,
            "median_triage_secs": median,
            "procedures": facts.sops,
            "capped": facts.capped,
        }),
    )
}

fn lessons(facts: &IncidentFacts) -> Result<EvidenceEntry, EvidenceError> {
    let resolved: Vec<&IncidentFact> = facts
        .incidents
        .iter()
        .filter(|i| i.closed_at.is_some() && i.resolution.as_deref() == Some("resolved"))
        .collect();
    let missing: Vec<&str> = resolved
        .iter()
        .filter(|i| {
            i.lessons_learned
                .as_deref()
                .is_none_or(|l| l.trim().is_empty())
        })
        .map(|i| i.id.as_str())
        .collect();
    let (status, finding) = if resolved.is_empty() {
        (
            Status::NotEvidenced,
            "No incident opened in the period was resolved, so no lessons learned are on record yet."
                .to_owned(),
        )
    } else if missing.is_empty() {
        (
            Status::Evidenced,
            format!(
                "All {} resolved incidents have lessons learned on record.",
                resolved.len()
            ),
        )
    } else {
        (
            Status::Partially,
            format!(
                "{} of {} resolved incidents have no lessons learned: {}.",
                missing.len(),
                resolved.len(),
                missing.join(", ")
            ),
        )
    };
    let rows: Vec<serde_json::Value> = resolved
        .iter()
        .map(
            |i| json!({"id": i.id, "closed_at": i.closed_at, "lessons_learned": i.lessons_learned}),
        )
        .collect();
    EvidenceEntry::new(
        "incidents.lessons",
        "Lessons learned from incidents",
        &["A.5.27"],
        status,
        finding,
        json!({ "resolved": rows, "without_lessons": missing }),
    )
}

/// The median (lower of the middle two), or none of nothing.
fn median(values: &[i64]) -> Option<i64> {
    let mut v = values.to_vec();
    v.sort_unstable();
    v.get(v.len().saturating_sub(1) / 2).copied()
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

    fn incident(id: &str, triaged: bool, lessons: Option<&str>) -> IncidentFact {
        let opened = chrono::Utc::now() - Duration::days(3);
        IncidentFact {
            id: id.into(),
            title: format!("Incident {id}"),
            severity: "high".into(),
            category: "cyber".into(),
            state: if lessons.is_some() {
                "closed"
            } else {
                "triaged"
            }
            .into(),
            opened_at: opened,
            triaged_at: triaged.then(|| opened + Duration::minutes(4)),
            notified_at: None,
            contained_at: None,
            closed_at: lessons.map(|_| opened + Duration::hours(5)),
            resolution: lessons.map(|_| "resolved".into()),
            lessons_learned: lessons.map(Into::into),
            alarms: 2,
            observables: 1,
        }
    }

    #[test]
    fn incidents_all_triaged_are_evidence_and_an_untriaged_one_is_named() {
        let facts = IncidentFacts {
            incidents: vec![
                incident("i1", true, Some("rotate keys")),
                incident("i2", true, None),
            ],
            sops: 4,
            capped: false,
        };
        let e = handled(&facts, span()).expect("entry");
        assert_eq!(e.status, Status::Evidenced, "{}", e.finding);
        assert!(e.finding.contains("2 incidents handled: 1 closed, 1 open"));
        assert!(
            e.finding.contains("median time to triage 4 min"),
            "{}",
            e.finding
        );
        assert_eq!(e.data["incidents"][0]["triage_secs"], json!(240));

        let mut near = facts.clone();
        near.incidents.push(incident("i3", false, None));
        let e = handled(&near, span()).expect("entry");
        assert_eq!(e.status, Status::Partially);
        assert!(e.finding.contains("never triaged: i3"), "{}", e.finding);

        // Incidents opened before the period are not this period's.
        let mut old = facts.clone();
        for i in &mut old.incidents {
            i.opened_at -= Duration::days(60);
        }
        let e = handled(&old, span()).expect("entry");
        assert_eq!(e.status, Status::Partially);
        assert!(
            e.finding.contains("procedures are in place"),
            "{}",
            e.finding
        );
    }

    #[test]
    fn lessons_learned_on_every_resolved_incident_are_evidence() {
        let facts = IncidentFacts {
            incidents: vec![incident("i1", true, Some("rotate keys"))],
            sops: 0,
            capped: false,
        };
        assert_eq!(lessons(&facts).expect("entry").status, Status::Evidenced);
        let blank = IncidentFacts {
            incidents: vec![
                incident("i1", true, Some("rotate keys")),
                incident("i2", true, Some("  ")),
            ],
            ..facts.clone()
        };
        let e = lessons(&blank).expect("entry");
        assert_eq!(e.status, Status::Partially);
        assert_eq!(e.data["without_lessons"], json!(["i2"]));
        let none = IncidentFacts::default();
        assert_eq!(lessons(&none).expect("entry").status, Status::NotEvidenced);
    }
}
