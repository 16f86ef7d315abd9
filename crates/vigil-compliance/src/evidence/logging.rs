//! Logging (A.8.15) and monitoring activities (A.8.16): which sources are
//! connected and delivered events in the period, and whether the event
//! archive's retention is in force.

use serde::Serialize;
use serde_json::json;
use vigil_model::Timestamp;

use super::{EvidenceEntry, EvidenceError, Span, Status};

/// How long the node keeps archived events.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "days")]
pub enum Retention {
    /// The reading was not given the node's setting.
    Unknown,
    /// No limit: events stay until deleted by hand.
    Unlimited,
    /// Events observed more than this many days ago are purged.
    Days(u32),
}

/// One connected source and what it delivered in the period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SourceFacts {
    /// The source's id.
    pub id: String,
    /// How events arrive (`syslog_tcp`, `http`, `dc09` …).
    pub kind: String,
    /// The product behind it.
    pub product: String,
    /// Its site, if it is site-specific.
    pub site: Option<String>,
    /// Events stored from it, observed in the period.
    pub events: u64,
    /// The newest of them.
    pub last_event: Option<Timestamp>,
}

/// What the logging evidence is computed from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoggingFacts {
    /// The client's sources, with their events in the period.
    pub sources: Vec<SourceFacts>,
    /// Events of the period that came from no source listed (removed since).
    pub other_events: u64,
    /// Whether the events were counted only up to a cap (the counts are
    /// then lower bounds).
    pub capped: bool,
    /// The node's retention.
    pub retention: Retention,
    /// With a retention limit: the newest of the client's stored events
    /// observed before [`retention_cutoff`] (none: nothing past the limit
    /// is kept).
    pub past_limit: Option<Timestamp>,
    /// When the archive was read.
    pub read_at: Timestamp,
}

/// The retention purge runs once an hour; a day's grace keeps a purge that
/// is merely due from reading as one that is not running.
pub const PURGE_GRACE_DAYS: i64 = 1;

/// The instant before which no event should be stored under a limit of
/// `days`, read at `read_at` (the limit and its day of grace).
pub fn retention_cutoff(read_at: Timestamp, days: u32) -> Timestamp {
    read_at - chrono::Duration::days(i64::from(days) + PURGE_GRACE_DAYS)
}

/// The entries `logging.sources` and `logging.retention`.
pub fn evidence(facts: &LoggingFacts, _span: Span) -> Result<Vec<EvidenceEntry>, EvidenceError> {
    Ok(vec![sources(facts)?, retention(facts)?])
}

fn sources(facts: &LoggingFacts) -> Result<EvidenceEntry, EvidenceError> {
    let silent: Vec<&str> = facts
        .sources
        .iter()
        .filter(|s| s.events == 0)
        .map(|s| s.id.as_str())
        .collect();
    let total: u64 = facts.sources.iter().map(|s| s.events).sum::<u64>() + facts.other_events;
    let at_least = if facts.capped { "at least " } else { "" };
    let (status, finding) = if facts.sources.is_empty() {
        (
            Status::NotEvidenced,
            "No source is connected for this client: the platform holds no log of its systems."
                .to_owned(),
        )
    } else if silent.is_empty() {
        (
            Status::Evidenced,
            format!(
                "All {} connected sources delivered events in the period ({at_least}{total} stored).",
                facts.sources.len()
            ),
        )
    } else {
        (
            Status::Partially,
            format!(
                "{} of {} connected sources delivered no event in the period: {} ({at_least}{total} events stored from the others).",
                silent.len(),
                facts.sources.len(),
                silent.join(", ")
            ),
        )
    };
    EvidenceEntry::new(
        "logging.sources",
        "Sources connected and events stored",
        &["A.8.15", "A.8.16"],
        status,
        finding,
        json!({
            "sources": facts.sources,
            "events_stored": total,
            "events_from_removed_sources": facts.other_events,
            "counts_are_lower_bounds": facts.capped,
            "silent_sources": silent,
        }),
    )
}

fn retention(facts: &LoggingFacts) -> Result<EvidenceEntry, EvidenceError> {
    let past = facts.past_limit.map(|t| t.to_rfc3339());
    let (status, finding) = match (facts.retention, &past) {
        (Retention::Unknown, _) => (
            Status::NotEvidenced,
            "The node's retention setting was not given to this reading (run it with the \
             node's configuration)."
                .to_owned(),
        ),
        (Retention::Unlimited, _) => (
            Status::Partially,
            "No retention limit is configured: events are kept until deleted by hand.".to_owned(),
        ),
        (Retention::Days(days), Some(at)) => (
            Status::Partially,
            format!(
                "Retention is set to {days} days, but events from as late as {at}, older than \
                 that, are still stored: the purge is not in force."
            ),
        ),
        (Retention::Days(days), None) => (
            Status::Evidenced,
            format!("Events are kept {days} days and purged after: none older is stored."),
        ),
    };
    EvidenceEntry::new(
        "logging.retention",
        "Retention of the event archive",
        &["A.8.15"],
        status,
        finding,
        json!({
            "retention": facts.retention,
            "newest_event_past_limit": past,
            "read_at": facts.read_at,
            "purge_overdue": past.is_some() && matches!(facts.retention, Retention::Days(_)),
        }),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    fn now() -> Timestamp {
        chrono::Utc::now()
    }

    fn source(id: &str, events: u64) -> SourceFacts {
        SourceFacts {
            id: id.into(),
            kind: "syslog_tcp".into(),
            product: "fortigate".into(),
            site: None,
            events,
            last_event: (events > 0).then(now),
        }
    }

    /// Facts whose oldest stored event is `oldest_days` old, read now.
    fn facts(sources: Vec<SourceFacts>, retention: Retention, oldest_days: i64) -> LoggingFacts {
        let read_at = now();
        let oldest = read_at - Duration::days(oldest_days);
        let past_limit = match retention {
            Retention::Days(d) => Some(oldest).filter(|t| *t < retention_cutoff(read_at, d)),
            _ => None,
        };
        LoggingFacts {
            sources,
            other_events: 0,
            capped: false,
            retention,
            past_limit,
            read_at,
        }
    }

    #[test]
    fn every_source_delivering_is_evidence_and_a_silent_one_is_named() {
        let ok = sources(&facts(
            vec![source("fw", 10), source("dc", 3)],
            Retention::Days(90),
            3,
        ))
        .expect("entry");
        assert_eq!(ok.status, Status::Evidenced);
        assert!(ok.finding.contains("13 stored"), "{}", ok.finding);

        let near = sources(&facts(
            vec![source("fw", 10), source("dc", 0)],
            Retention::Days(90),
            3,
        ))
        .expect("entry");
        assert_eq!(near.status, Status::Partially);
        assert!(near.finding.contains("1 of 2"), "{}", near.finding);
        assert_eq!(near.data["silent_sources"], json!(["dc"]));

        let none = sources(&facts(vec![], Retention::Days(90), 3)).expect("entry");
        assert_eq!(none.status, Status::NotEvidenced);
    }

    #[test]
    fn retention_is_in_force_only_when_nothing_older_is_kept() {
        let ok = retention(&facts(vec![], Retention::Days(30), 29)).expect("entry");
        assert_eq!(ok.status, Status::Evidenced);
        assert_eq!(ok.data["purge_overdue"], json!(false));

        // Older than the limit and its day of grace: the purge is not running.
        let near = retention(&facts(vec![], Retention::Days(30), 33)).expect("entry");
        assert_eq!(near.status, Status::Partially);
        assert!(near.finding.contains("not in force"), "{}", near.finding);
        assert_eq!(near.data["purge_overdue"], json!(true));

        let unlimited = retention(&facts(vec![], Retention::Unlimited, 400)).expect("entry");
        assert_eq!(unlimited.status, Status::Partially);
        let unknown = retention(&facts(vec![], Retention::Unknown, 1)).expect("entry");
        assert_eq!(unknown.status, Status::NotEvidenced);
        assert_eq!(unknown.data["retention"], json!({"kind": "unknown"}));
    }
}
