//! An incident under NIS-2: the facts an analyst records, the significance
//! Vigil proposes from them under Implementing Regulation (EU) 2024/2690,
//! the analyst's decision, and — once significant — the Art. 23 reporting
//! deadlines counted from the moment of awareness.

use serde::{Deserialize, Serialize};
use vigil_compliance::nis2::{
    Assessment, Confirmation, DueSoonPolicy, IncidentFacts, Obligation, ReportingClock,
    ReportingInput, Submission,
};
use vigil_model::Timestamp;

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
}

impl Nis2Record {
    /// Whether the incident is significant: the analyst's decision, else the
    /// proposal.
    pub fn significant(&self) -> bool {
        self.confirmation
            .as_ref()
            .map_or(self.assessment.significant, |c| c.significant)
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
