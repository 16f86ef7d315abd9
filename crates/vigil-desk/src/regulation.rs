//! An incident under NIS-2: the facts an analyst records, the significance
//! Vigil proposes from them under Implementing Regulation (EU) 2024/2690,
//! the analyst's decision, and — once significant — the Art. 23 reporting
//! deadlines counted from the moment of awareness.

use serde::{Deserialize, Serialize};
use vigil_compliance::nis2::{
    Assessment, Confirmation, CrossBorderImpact, DueSoonPolicy, IncidentFacts, IncidentRecord,
    Indicator, Mitigation, Nis2Profile, Obligation, ReportDraft, ReportingClock, ReportingInput,
    Submission, SuspectedCause, TimelineEntry,
};
use vigil_model::Timestamp;

use crate::incident::{Incident, Tlp};

/// An incident's NIS-2 record (the API's `nis2`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Nis2Record {
    /// What the analyst recorded.
    pub facts: IncidentFacts,
    /// When the client became aware of the incident: the first assessment.
    pub aware_at: Timestamp,
    /// What Vigil proposes, criterion by criterion with the facts each
    /// rests on.
    pub assessment: Assessment,
    /// The analyst's decision on the proposal, once made.
    pub confirmation: Option<Confirmation>,
    /// Reports submitted to the authority.
    #[serde(default)]
    pub submissions: Vec<Submission>,
    /// Every report drafted, each version kept as drafted so that what was
    /// submitted can be shown unchanged later.
    #[serde(default)]
    pub drafts: Vec<ReportDraft>,
}

/// What an analyst adds to the incident's record for a report: the parts
/// the desk cannot know by itself.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DraftContent {
    /// The incident's impact, in words.
    #[serde(default)]
    pub impact: String,
    /// What is suspected to have caused it.
    #[serde(default)]
    pub suspected_cause: SuspectedCause,
    /// Its impact in other Member States.
    #[serde(default)]
    pub cross_border: CrossBorderImpact,
    /// What has been done about it.
    #[serde(default)]
    pub mitigation: Mitigation,
}

/// The most text an analyst's part of a draft may hold, all fields together.
pub const DRAFT_CONTENT_MAX_BYTES: usize = 64 * 1024;

impl Nis2Record {
    /// Whether the incident is significant: the analyst's decision, else the
    /// proposal.
    pub fn significant(&self) -> bool {
        self.confirmation
            .as_ref()
            .map_or(self.assessment.significant, |c| c.significant)
    }

    /// The incident as the reports need it: its timeline from the desk's
    /// activity, its indicators from the observables that may be shared
    /// (TLP:RED ones are for named recipients only and stay out), and the
    /// analyst's `content`.
    pub fn incident_record(
        &self,
        incident: &Incident,
        profile: &Nis2Profile,
        content: DraftContent,
    ) -> IncidentRecord {
        IncidentRecord {
            reference: incident.id.clone(),
            title: incident.title.clone(),
            aware_at: self.aware_at,
            timeline: incident
                .activity
                .iter()
                .map(|a| TimelineEntry {
                    at: a.at,
                    text: format!("{} ({})", a.text, a.actor),
                })
                .collect(),
            severity: incident.severity,
            category: incident.category,
            impact: content.impact,
            indicators: incident
                .observables
                .iter()
                .filter(|o| o.tlp != Tlp::Red)
                .map(|o| Indicator {
                    kind: o.kind.as_str().to_owned(),
                    value: o.value.clone(),
                })
                .collect(),
            suspected_cause: content.suspected_cause,
            cross_border: content.cross_border,
            mitigation: content.mitigation,
            profile: profile.clone(),
            assessment: self.assessment.clone(),
            confirmation: self.confirmation.clone(),
        }
    }

    /// The newest version drafted of `kind`, if any.
    pub fn latest_version(&self, kind: vigil_compliance::nis2::ReportKind) -> u32 {
        self.drafts
            .iter()
            .filter(|d| d.kind == kind)
            .map(|d| d.version)
            .max()
            .unwrap_or(0)
    }

    /// The Art. 23 reports due and their state at `now`; none for an
    /// incident that is not significant.
    pub fn deadlines(&self, handled_at: Option<Timestamp>, now: Timestamp) -> Vec<Obligation> {
        if !self.significant() {
            return Vec::new();
        }
        let input = ReportingInput {
            aware_at: self.aware_at,
            submissions: self.submissions.clone(),
            intermediate_request: None,
            handled_at,
        };
        ReportingClock::new(input, DueSoonPolicy::default())
            .map(|clock| clock.obligations(now))
            .unwrap_or_default()
    }
}
