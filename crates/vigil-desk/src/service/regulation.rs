//! NIS-2 on a running desk: an analyst records an incident's facts, Vigil
//! proposes its significance under the client's profile, the analyst
//! decides, and a significant incident's Art. 23 deadlines count from the
//! first assessment.

use vigil_compliance::nis2::{
    IncidentFacts, Obligation, ReportDraft, ReportKind, Submission, assess,
};

use super::Desk;
use crate::incident::{Activity, Incident, IncidentState};
use crate::regulation::{DRAFT_CONTENT_MAX_BYTES, DraftContent, Nis2Record};
use crate::{Actor, DeskError, Permission};

impl Desk {
    /// Records `facts` about incident `id` and proposes its significance
    /// under the client's NIS-2 profile. A later assessment keeps the first
    /// one's moment of awareness and asks for a new decision.
    pub async fn assess_nis2(
        &self,
        actor: &Actor,
        id: &str,
        facts: IncidentFacts,
    ) -> Result<Incident, DeskError> {
        let now = self.now();
        let stored = self.read::<Incident>(id, &actor.scope()).await?;
        actor.require(Permission::WorkIncidents, Some(&stored.value.tenant))?;
        let levels = self.service_levels();
        let profile = levels.nis2.get(&stored.value.tenant).ok_or_else(|| {
            DeskError::invalid(
                "tenant",
                format!(
                    "client `{}` has no NIS-2 profile ([tenants.nis2] in the configuration)",
                    stored.value.tenant
                ),
            )
        })?;
        let assessment =
            assess(profile, &facts).map_err(|e| DeskError::invalid("facts", e.to_string()))?;
        let mut after = stored.value.clone();
        let aware_at = after.nis2.as_ref().map_or(now, |r| r.aware_at);
        let (submissions, drafts) = after
            .nis2
            .as_ref()
            .map(|r| (r.submissions.clone(), r.drafts.clone()))
            .unwrap_or_default();
        let met: Vec<&str> = assessment.met().map(|c| c.id.as_str()).collect();
        let text = format!(
            "NIS-2 significance proposed: {}{}",
            if assessment.significant {
                "significant"
            } else {
                "not significant"
            },
            if met.is_empty() {
                String::new()
            } else {
                format!(" ({})", met.join(", "))
            }
        );
        after.nis2 = Some(Nis2Record {
            facts,
            aware_at,
            assessment,
            confirmation: None,
            submissions,
            drafts,
        });
        self.record_nis2(actor, stored, after, "nis2_assess", text, now)
            .await
    }

    /// The analyst's decision on the proposed significance: the proposal,
    /// or its opposite with a reason.
    pub async fn decide_nis2(
        &self,
        actor: &Actor,
        id: &str,
        significant: bool,
        reason: &str,
    ) -> Result<Incident, DeskError> {
        let now = self.now();
        let stored = self.read::<Incident>(id, &actor.scope()).await?;
        actor.require(Permission::WorkIncidents, Some(&stored.value.tenant))?;
        let mut after = stored.value.clone();
        let record = after.nis2.as_mut().ok_or_else(|| {
            DeskError::invalid(
                "nis2",
                "the incident has not been assessed yet: record its facts first",
            )
        })?;
        let confirmation = record
            .assessment
            .decide(&actor.name, now, significant, reason)
            .map_err(|e| DeskError::invalid("reason", e.to_string()))?;
        let text = match (
            &confirmation.reason,
            confirmation.significant == confirmation.proposed,
        ) {
            (_, true) => format!(
                "NIS-2 significance confirmed: {}",
                if significant {
                    "significant"
                } else {
                    "not significant"
                }
            ),
            (reason, false) => format!(
                "NIS-2 significance changed to {}: {}",
                if significant {
                    "significant"
                } else {
                    "not significant"
                },
                reason.as_deref().unwrap_or_default()
            ),
        };
        record.confirmation = Some(confirmation);
        self.record_nis2(actor, stored, after, "nis2_decide", text, now)
            .await
    }

    /// A significant incident's Art. 23 reports and their state now.
    pub fn nis2_deadlines(&self, incident: &Incident) -> Vec<Obligation> {
        let handled_at = (incident.state == IncidentState::Closed)
            .then(|| incident.activity.iter().rev().find(|a| a.action == "close"))
            .flatten()
            .map(|a| a.at);
        incident
            .nis2
            .as_ref()
            .map(|r| r.deadlines(handled_at, self.now()))
            .unwrap_or_default()
    }

    /// Drafts the next version of a `kind` report for a significant
    /// incident from its record and the analyst's `content`, keeps it on
    /// the incident and records its digest in the audit chain.
    pub async fn draft_nis2_report(
        &self,
        actor: &Actor,
        id: &str,
        kind: ReportKind,
        content: DraftContent,
    ) -> Result<(Incident, ReportDraft), DeskError> {
        let size =
            content.impact.len() + serde_json::to_vec(&content).map_or(usize::MAX, |v| v.len());
        if size > DRAFT_CONTENT_MAX_BYTES {
            return Err(DeskError::invalid(
                "content",
                format!("holds {size} bytes; at most {DRAFT_CONTENT_MAX_BYTES} are taken"),
            ));
        }
        let now = self.now();
        let stored = self.read::<Incident>(id, &actor.scope()).await?;
        actor.require(Permission::WorkIncidents, Some(&stored.value.tenant))?;
        let levels = self.service_levels();
        let profile = levels.nis2.get(&stored.value.tenant).ok_or_else(|| {
            DeskError::invalid(
                "tenant",
                format!(
                    "client `{}` has no NIS-2 profile ([tenants.nis2] in the configuration)",
                    stored.value.tenant
                ),
            )
        })?;
        let mut after = stored.value.clone();
        let record = after.nis2.as_mut().ok_or_else(|| {
            DeskError::invalid(
                "nis2",
                "the incident has not been assessed yet: record its facts first",
            )
        })?;
        let version = record.latest_version(kind) + 1;
        let draft = record
            .incident_record(&stored.value, profile, content)
            .draft(kind, version)
            .map_err(|e| DeskError::invalid("nis2", e.to_string()))?;
        record.drafts.push(draft.clone());
        let text = format!(
            "NIS-2 {} drafted, version {version} (sha256 {})",
            kind.as_str().replace('_', " "),
            draft.digest
        );
        let details = serde_json::json!({
            "text": text,
            "kind": kind,
            "version": version,
            "digest": draft.digest,
        });
        let after = self
            .record_nis2_with(actor, stored, after, "nis2_draft", text, details, now)
            .await?;
        Ok((after, draft))
    }

    /// A drafted version of a report, as it was drafted.
    pub async fn nis2_report(
        &self,
        actor: &Actor,
        id: &str,
        kind: ReportKind,
        version: u32,
    ) -> Result<ReportDraft, DeskError> {
        let incident = self.read::<Incident>(id, &actor.scope()).await?.value;
        actor.require(Permission::View, Some(&incident.tenant))?;
        incident
            .nis2
            .as_ref()
            .and_then(|r| {
                r.drafts
                    .iter()
                    .find(|d| d.kind == kind && d.version == version)
            })
            .cloned()
            .ok_or_else(|| DeskError::NotFound {
                what: "NIS-2 report",
                id: format!("{id}/{kind}/{version}"),
            })
    }

    /// Records that an analyst sent version `version` of a drafted report
    /// to `to` (the CSIRT or competent authority): who, when, to whom,
    /// which version and its digest go on the incident, where the Art. 23
    /// deadlines read them, and into the audit chain.
    pub async fn submit_nis2_report(
        &self,
        actor: &Actor,
        id: &str,
        kind: ReportKind,
        version: u32,
        to: &str,
    ) -> Result<(Incident, Submission), DeskError> {
        let now = self.now();
        let stored = self.read::<Incident>(id, &actor.scope()).await?;
        actor.require(Permission::WorkIncidents, Some(&stored.value.tenant))?;
        let mut after = stored.value.clone();
        let record = after.nis2.as_mut().ok_or_else(|| {
            DeskError::invalid(
                "nis2",
                "the incident has not been assessed yet: record its facts first",
            )
        })?;
        let draft = record
            .drafts
            .iter()
            .find(|d| d.kind == kind && d.version == version)
            .ok_or_else(|| {
                DeskError::invalid(
                    "version",
                    format!(
                        "no {kind} version {version} was drafted for incident `{id}` (newest: {})",
                        record.latest_version(kind)
                    ),
                )
            })?;
        let submission = draft
            .submit(&actor.name, now, to)
            .map_err(|e| DeskError::invalid("to", e.to_string()))?;
        record.submissions.push(submission.clone());
        let text = format!(
            "NIS-2 {} version {version} submitted to {} (sha256 {})",
            kind.as_str().replace('_', " "),
            submission.to,
            submission.digest
        );
        let details = serde_json::json!({
            "text": text,
            "kind": kind,
            "version": version,
            "digest": submission.digest,
            "to": submission.to,
        });
        let after = self
            .record_nis2_with(actor, stored, after, "nis2_submit", text, details, now)
            .await?;
        Ok((after, submission))
    }

    async fn record_nis2(
        &self,
        actor: &Actor,
        stored: crate::record::Stored<Incident>,
        after: Incident,
        action: &str,
        text: String,
        now: vigil_model::Timestamp,
    ) -> Result<Incident, DeskError> {
        let details = serde_json::json!({ "text": text });
        self.record_nis2_with(actor, stored, after, action, text, details, now)
            .await
    }

    /// Records an NIS-2 step on the incident's activity and, with
    /// `details`, in the audit chain.
    #[allow(clippy::too_many_arguments)]
    async fn record_nis2_with(
        &self,
        actor: &Actor,
        stored: crate::record::Stored<Incident>,
        mut after: Incident,
        action: &str,
        text: String,
        details: serde_json::Value,
        now: vigil_model::Timestamp,
    ) -> Result<Incident, DeskError> {
        after.activity.push(Activity {
            at: now,
            actor: actor.name.clone(),
            action: action.into(),
            text: text.clone(),
        });
        after.updated_at = now;
        self.commit_one(actor, action, Some(&stored), &after, details, now)
            .await?;
        Ok(after)
    }
}
