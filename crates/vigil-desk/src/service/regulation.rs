//! NIS-2 on a running desk: an analyst records an incident's facts, Vigil
//! proposes its significance under the client's profile, the analyst
//! decides, and a significant incident's Art. 23 deadlines count from the
//! first assessment.

use vigil_compliance::nis2::{IncidentFacts, Obligation, assess};

use super::Desk;
use crate::incident::{Activity, Incident, IncidentState};
use crate::regulation::Nis2Record;
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
        let submissions = after
            .nis2
            .as_ref()
            .map(|r| r.submissions.clone())
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

    async fn record_nis2(
        &self,
        actor: &Actor,
        stored: crate::record::Stored<Incident>,
        mut after: Incident,
        action: &str,
        text: String,
        now: vigil_model::Timestamp,
    ) -> Result<Incident, DeskError> {
        after.activity.push(Activity {
            at: now,
            actor: actor.name.clone(),
            action: action.into(),
            text: text.clone(),
        });
        after.updated_at = now;
        self.commit_one(
            actor,
            action,
            Some(&stored),
            &after,
            serde_json::json!({ "text": text }),
            now,
        )
        .await?;
        Ok(after)
    }
}
