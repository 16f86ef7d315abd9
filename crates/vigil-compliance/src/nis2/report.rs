//! Drafts of the Art. 23(4) reports, as machine-readable JSON.
//!
//! Directive (EU) 2022/2555, Art. 23(4), says what each report carries:
//!
//! - (a) the early warning indicates, where applicable, whether the
//!   significant incident is suspected of being caused by unlawful or
//!   malicious acts or could have a cross-border impact;
//! - (b) the incident notification updates that information and gives an
//!   initial assessment of the incident, including its severity and
//!   impact, and, where available, the indicators of compromise;
//! - (c) an intermediate report, on the authority's request, gives relevant
//!   status updates;
//! - (d) the final report gives a detailed description of the incident,
//!   including its severity and impact, the type of threat or root cause
//!   that likely triggered it, the applied and ongoing mitigation measures
//!   and, where applicable, its cross-border impact;
//! - (e) a progress report takes the final report's place while the
//!   incident is still ongoing, with the same content so far.
//!
//! Each draft is versioned and carries the SHA-256 digest of its canonical
//! JSON (keys sorted, no whitespace), so that what was submitted can be
//! shown unchanged later. A [`Submission`] records who sent which version
//! to whom and when; [`super::deadlines`] reads those records.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use vigil_model::{Category, Severity, Timestamp};

use super::profile::Nis2Profile;
use super::significance::{Assessment, Confirmation};
use super::text::is_blank;

mod canonical;

pub use canonical::canonical_json;

/// The identifier of the draft format, in every document.
pub const FORMAT: &str = "vigil.nis2-report/1";

/// A kind of report under Art. 23(4) of the Directive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum ReportKind {
    /// Point (a): within 24 hours of awareness.
    EarlyWarning,
    /// Point (b): within 72 hours of awareness.
    IncidentNotification,
    /// Point (c): on the authority's request.
    IntermediateReport,
    /// Point (d): within one month of the incident notification.
    FinalReport,
    /// Point (e): instead of the final report while the incident is ongoing.
    ProgressReport,
}

impl ReportKind {
    /// Every kind, in the order they fall due.
    pub const ALL: [ReportKind; 5] = [
        ReportKind::EarlyWarning,
        ReportKind::IncidentNotification,
        ReportKind::IntermediateReport,
        ReportKind::FinalReport,
        ReportKind::ProgressReport,
    ];

    /// Its name in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            ReportKind::EarlyWarning => "early_warning",
            ReportKind::IncidentNotification => "incident_notification",
            ReportKind::IntermediateReport => "intermediate_report",
            ReportKind::FinalReport => "final_report",
            ReportKind::ProgressReport => "progress_report",
        }
    }

    /// The provision that asks for it.
    pub fn article(self) -> &'static str {
        match self {
            ReportKind::EarlyWarning => "Directive (EU) 2022/2555, Art. 23(4)(a)",
            ReportKind::IncidentNotification => "Directive (EU) 2022/2555, Art. 23(4)(b)",
            ReportKind::IntermediateReport => "Directive (EU) 2022/2555, Art. 23(4)(c)",
            ReportKind::FinalReport => "Directive (EU) 2022/2555, Art. 23(4)(d)",
            ReportKind::ProgressReport => "Directive (EU) 2022/2555, Art. 23(4)(e)",
        }
    }
}

impl std::fmt::Display for ReportKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Yes, no, or not known yet: the early warning may honestly say the last.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Suspicion {
    /// Suspected.
    Yes,
    /// Not suspected.
    No,
    /// Not known yet.
    #[default]
    Unknown,
}

/// An entry of the incident's timeline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimelineEntry {
    /// When it happened.
    pub at: Timestamp,
    /// What happened.
    pub text: String,
}

/// An indicator of compromise.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Indicator {
    /// Its type (`ipv4`, `domain`, `sha256`, `url`, …).
    pub kind: String,
    /// Its value.
    pub value: String,
}

/// What is suspected to have caused the incident.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SuspectedCause {
    /// Caused by unlawful or malicious acts?
    pub unlawful_or_malicious: Suspicion,
    /// The type of threat (`ransomware`, `credential stuffing`).
    pub threat_type: Option<String>,
    /// The root cause that likely triggered it.
    pub root_cause: Option<String>,
}

/// The incident's impact beyond the client's Member State.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CrossBorderImpact {
    /// Could it have a cross-border impact?
    pub possible: Suspicion,
    /// The other Member States affected (ISO 3166 alpha-2).
    pub member_states: Vec<String>,
    /// What the impact is there.
    pub description: Option<String>,
}

/// Mitigation measures.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Mitigation {
    /// Measures applied.
    pub applied: Vec<String>,
    /// Measures still under way.
    pub ongoing: Vec<String>,
}

/// What the desk knows of an incident, as the reports need it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IncidentRecord {
    /// The desk's reference for the incident.
    pub reference: String,
    /// Its title.
    pub title: String,
    /// When the client became aware of it as a significant incident.
    pub aware_at: Timestamp,
    /// What happened, when.
    pub timeline: Vec<TimelineEntry>,
    /// Its severity on the desk.
    pub severity: Severity,
    /// What kind of matter it is.
    pub category: Category,
    /// Its impact, in words.
    pub impact: String,
    /// Indicators of compromise found so far.
    pub indicators: Vec<Indicator>,
    /// What is suspected to have caused it.
    pub suspected_cause: SuspectedCause,
    /// Its impact in other Member States.
    pub cross_border: CrossBorderImpact,
    /// What has been done about it.
    pub mitigation: Mitigation,
    /// The client's NIS-2 profile.
    pub profile: Nis2Profile,
    /// The significance assessment.
    pub assessment: Assessment,
    /// The analyst's decision on it, when made.
    pub confirmation: Option<Confirmation>,
}

impl IncidentRecord {
    /// Whether the incident counts as significant: the analyst's decision
    /// when there is one, else the assessment's proposal.
    pub fn significant(&self) -> bool {
        self.confirmation
            .as_ref()
            .map_or(self.assessment.significant, |c| c.significant)
    }

    /// Drafts a report of the given kind as version `version` (from 1).
    pub fn draft(&self, kind: ReportKind, version: u32) -> Result<ReportDraft, ReportError> {
        let reference = self.reference.trim().to_owned();
        if reference.is_empty() {
            return Err(ReportError::Blank {
                reference,
                field: "reference",
            });
        }
        if is_blank(&self.title) {
            return Err(ReportError::Blank {
                reference,
                field: "title",
            });
        }
        if !self.significant() {
            return Err(ReportError::NotSignificant { reference });
        }
        if version == 0 {
            return Err(ReportError::BadVersion { reference });
        }
        let known = |s: &Option<String>| s.as_deref().is_some_and(|s| !is_blank(s));
        if kind == ReportKind::FinalReport
            && !known(&self.suspected_cause.threat_type)
            && !known(&self.suspected_cause.root_cause)
        {
            return Err(ReportError::Missing {
                reference,
                kind,
                field: "suspected_cause.threat_type or suspected_cause.root_cause",
            });
        }

        let mut document = self.header(kind, version);
        let body = match kind {
            ReportKind::EarlyWarning => self.early_warning(),
            ReportKind::IncidentNotification => self.notification(),
            ReportKind::IntermediateReport => self.intermediate(),
            ReportKind::FinalReport => self.final_report(false),
            ReportKind::ProgressReport => self.final_report(true),
        };
        if let (Value::Object(doc), Value::Object(body)) = (&mut document, body) {
            doc.extend(body);
        }
        let digest = digest_of(&document).map_err(|e| ReportError::Encode {
            reference: reference.clone(),
            message: e.to_string(),
        })?;
        Ok(ReportDraft {
            kind,
            version,
            digest,
            document,
        })
    }

    fn header(&self, kind: ReportKind, version: u32) -> Value {
        let p = &self.profile;
        json!({
            "format": FORMAT,
            "kind": kind.as_str(),
            "legal_basis": kind.article(),
            "version": version,
            "incident": {
                "reference": self.reference.trim(),
                "title": self.title.trim(),
                "aware_at": stamp(self.aware_at),
            },
            "entity": {
                "client": p.client.as_str(),
                "sector": p.sector.as_str(),
                "annex": p.sector.annex(),
                "entity_type": p.entity_type.as_str(),
                "member_state": p.member_state,
                "managed_service_provider": p.managed_service_provider,
                "managed_security_service_provider": p.managed_security_service_provider,
            },
            "recipient": {
                "name": p.authority.name,
                "contact": p.authority.contact,
            },
        })
    }

    fn early_warning(&self) -> Value {
        json!({
            "suspected_unlawful_or_malicious": self.suspected_cause.unlawful_or_malicious,
            "cross_border_impact": self.cross_border_value(),
        })
    }

    fn notification(&self) -> Value {
        json!({
            "suspected_unlawful_or_malicious": self.suspected_cause.unlawful_or_malicious,
            "cross_border_impact": self.cross_border_value(),
            "initial_assessment": {
                "severity": self.severity.as_str(),
                "category": self.category.as_str(),
                "impact": self.impact.trim(),
                "significance": self.significance_value(),
            },
            "indicators_of_compromise": self.indicators_value(),
            "timeline": self.timeline_value(),
        })
    }

    fn intermediate(&self) -> Value {
        json!({
            "status_updates": self.timeline_value(),
            "severity": self.severity.as_str(),
            "impact": self.impact.trim(),
            "mitigation": self.mitigation_value(),
            "indicators_of_compromise": self.indicators_value(),
        })
    }

    fn final_report(&self, ongoing: bool) -> Value {
        let cause = &self.suspected_cause;
        json!({
            "status": if ongoing { "ongoing" } else { "handled" },
            "description": {
                "summary": self.title.trim(),
                "severity": self.severity.as_str(),
                "category": self.category.as_str(),
                "impact": self.impact.trim(),
                "timeline": self.timeline_value(),
                "significance": self.significance_value(),
            },
            "threat": {
                "suspected_unlawful_or_malicious": cause.unlawful_or_malicious,
                "threat_type": cause.threat_type.as_deref().map(str::trim),
                "root_cause": cause.root_cause.as_deref().map(str::trim),
            },
            "mitigation": self.mitigation_value(),
            "indicators_of_compromise": self.indicators_value(),
            "cross_border_impact": self.cross_border_value(),
        })
    }

    fn cross_border_value(&self) -> Value {
        let mut states: Vec<String> = self
            .cross_border
            .member_states
            .iter()
            .map(|s| s.trim().to_ascii_uppercase())
            .collect();
        states.sort();
        states.dedup();
        json!({
            "possible": self.cross_border.possible,
            "member_states": states,
            "description": self.cross_border.description.as_deref().map(str::trim),
        })
    }

    fn significance_value(&self) -> Value {
        let met: Vec<Value> = self
            .assessment
            .met()
            .map(|c| json!({"id": c.id, "article": c.article, "facts": c.facts}))
            .collect();
        json!({
            "criteria_met": met,
            "confirmed_by": self.confirmation.as_ref().map(|c| c.by.as_str()),
            "confirmed_at": self.confirmation.as_ref().map(|c| stamp(c.at)),
        })
    }

    fn timeline_value(&self) -> Value {
        let mut entries: Vec<&TimelineEntry> = self.timeline.iter().collect();
        entries.sort_by_key(|e| e.at);
        Value::Array(
            entries
                .into_iter()
                .map(|e| json!({"at": stamp(e.at), "text": e.text.trim()}))
                .collect(),
        )
    }

    fn indicators_value(&self) -> Value {
        Value::Array(
            self.indicators
                .iter()
                .map(|i| json!({"kind": i.kind.trim(), "value": i.value.trim()}))
                .collect(),
        )
    }

    fn mitigation_value(&self) -> Value {
        json!({"applied": self.mitigation.applied, "ongoing": self.mitigation.ongoing})
    }
}

/// Instants in reports: RFC 3339, UTC, whole seconds, so the same instant
/// is always the same text and the digest stable.
fn stamp(at: Timestamp) -> String {
    at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

fn digest_of(document: &Value) -> Result<String, serde_json::Error> {
    let text = canonical_json(document)?;
    Ok(hex::encode(Sha256::digest(text.as_bytes())))
}

/// A drafted report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportDraft {
    /// Its kind.
    pub kind: ReportKind,
    /// Its version, from 1.
    pub version: u32,
    /// SHA-256 of its canonical JSON, lower-case hex.
    pub digest: String,
    /// The document.
    pub document: Value,
}

impl ReportDraft {
    /// The document as canonical JSON: the bytes the digest is of.
    pub fn canonical_json(&self) -> Result<String, serde_json::Error> {
        canonical_json(&self.document)
    }

    /// Records that an analyst sent this version to the authority.
    pub fn submit(&self, by: &str, at: Timestamp, to: &str) -> Result<Submission, ReportError> {
        let field = if is_blank(by) {
            "by"
        } else if is_blank(to) {
            "to"
        } else {
            return Ok(Submission {
                kind: self.kind,
                version: self.version,
                digest: self.digest.clone(),
                by: by.trim().to_owned(),
                at,
                to: to.trim().to_owned(),
            });
        };
        let reference = self.document["incident"]["reference"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        Err(ReportError::Blank { reference, field })
    }
}

/// A report as submitted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Submission {
    /// Its kind.
    pub kind: ReportKind,
    /// The version submitted.
    pub version: u32,
    /// The digest of the version submitted.
    pub digest: String,
    /// Who submitted it.
    pub by: String,
    /// When.
    pub at: Timestamp,
    /// To whom (the CSIRT or competent authority, or its portal).
    pub to: String,
}

/// A report that cannot be drafted or submitted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReportError {
    /// The incident is not significant: there is nothing to report.
    #[error(
        "incident `{reference}` is not significant (by its assessment or the analyst's decision); NIS-2 reports are drafted only for significant incidents"
    )]
    NotSignificant {
        /// The incident.
        reference: String,
    },
    /// A needed text is empty.
    #[error("incident `{reference}`, field `{field}`: must not be empty")]
    Blank {
        /// The incident.
        reference: String,
        /// The field.
        field: &'static str,
    },
    /// What the report must carry is not recorded.
    #[error("incident `{reference}`: a {kind} must state {field}, which is not recorded")]
    Missing {
        /// The incident.
        reference: String,
        /// The report.
        kind: ReportKind,
        /// What is missing.
        field: &'static str,
    },
    /// Version 0.
    #[error("incident `{reference}`: report versions start at 1")]
    BadVersion {
        /// The incident.
        reference: String,
    },
    /// The document could not be written as JSON.
    #[error("incident `{reference}`: the report could not be encoded: {message}")]
    Encode {
        /// The incident.
        reference: String,
        /// Why.
        message: String,
    },
}

#[cfg(test)]
mod tests;
