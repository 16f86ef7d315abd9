//! The demo's analyst: when an attack story that becomes an incident
//! starts, opens the incident over the API, records what is known of it
//! under NIS-2 and confirms Vigil's proposal — so a running demo shows
//! significant incidents with their Art. 23 deadlines counting down, and
//! incidents that are reported to no one. Each client is a NIS-2 entity
//! with a profile that fits it (a colocation provider, a water utility, a
//! hospital).

use std::collections::HashMap;

use serde_json::{Value, json};
use vigil_compliance::nis2::{Nis2Profile, Nis2ProfileConfig};
use vigil_model::TenantId;
use vigil_sim::{GroundTruth, World};

/// The demo clients' NIS-2 profiles, by client; a client the table does
/// not know (a world from another seed's future) is not a NIS-2 entity.
pub fn nis2_profiles(world: &World) -> anyhow::Result<HashMap<TenantId, Nis2Profile>> {
    let mut profiles = HashMap::new();
    for tw in &world.tenants {
        let text = match tw.tenant.id.as_str() {
            "northgate" => {
                r#"
                sector = "digital_infrastructure"
                entity_type = "essential"
                annual_turnover_eur = 310000000
                member_state = "DE"
                authority = { name = "BSI", contact = "meldestelle@bsi.bund.de" }
                "#
            }
            "riverside" => {
                r#"
                sector = "drinking_water"
                entity_type = "essential"
                annual_turnover_eur = 95000000
                member_state = "NL"
                authority = { name = "CSIRT-DSP (NCSC-NL)", contact = "cert@ncsc.nl" }
                "#
            }
            "st-aurelia" => {
                r#"
                sector = "health"
                entity_type = "essential"
                annual_turnover_eur = 240000000
                member_state = "IE"
                authority = { name = "NCSC Ireland", contact = "certreport@ncsc.gov.ie" }
                "#
            }
            _ => continue,
        };
        let id = tw.tenant.id.as_str();
        let profile = Nis2ProfileConfig::from_toml_str(id, text)?.validate(&tw.tenant.id)?;
        profiles.insert(tw.tenant.id.clone(), profile);
    }
    Ok(profiles)
}

/// Opens incidents for stories as an analyst would, over the node's API.
#[derive(Debug)]
pub struct Analyst {
    http: reqwest::Client,
    base: String,
    token: String,
}

impl Analyst {
    /// An analyst working the node at `base` with `token` (an operator's).
    pub fn new(base: String, token: String) -> Self {
        Self {
            http: reqwest::Client::new(),
            base,
            token,
        }
    }

    /// Opens an incident for `truth` when its story becomes one, records
    /// its NIS-2 facts and confirms the proposed significance. Failures are
    /// logged: the demo goes on without that incident.
    pub async fn handle(&self, truth: &GroundTruth) {
        let Some(facts) = &truth.nis2_facts else {
            return;
        };
        if let Err(e) = self.open(truth, facts).await {
            tracing::warn!(story = %truth.instance, error = %format!("{e:#}"), "demo analyst could not open the incident");
        }
    }

    async fn open(
        &self,
        truth: &GroundTruth,
        facts: &vigil_compliance::nis2::IncidentFacts,
    ) -> anyhow::Result<()> {
        let category = match truth.story.as_str() {
            "card-trying" | "door-forced-data-hall" => "physical",
            _ => "cyber",
        };
        let opened = self
            .post(
                "/api/v1/incidents",
                json!({
                    "tenant": truth.tenant,
                    "title": title(&truth.story),
                    "severity": "high",
                    "category": category,
                    "sites": truth.site.iter().collect::<Vec<_>>(),
                    "assets": [],
                    "alarms": [],
                }),
            )
            .await?;
        let id = opened["incident"]["id"]
            .as_str()
            .ok_or_else(|| anyhow::anyhow!("the opened incident has no id: {opened}"))?
            .to_owned();
        let assessed = self
            .post(
                &format!("/api/v1/incidents/{id}/nis2/assessment"),
                json!({ "facts": facts }),
            )
            .await?;
        let significant = assessed["incident"]["nis2"]["assessment"]["significant"]
            .as_bool()
            .unwrap_or(false);
        self.post(
            &format!("/api/v1/incidents/{id}/nis2/decision"),
            json!({ "significant": significant }),
        )
        .await?;
        tracing::info!(story = %truth.instance, incident = %id, significant, "demo analyst opened an incident");
        Ok(())
    }

    async fn post(&self, path: &str, body: Value) -> anyhow::Result<Value> {
        let response = self
            .http
            .post(format!("{}{path}", self.base))
            .bearer_auth(&self.token)
            .json(&body)
            .send()
            .await?;
        let status = response.status();
        let body: Value = response.json().await.unwrap_or(Value::Null);
        anyhow::ensure!(status.is_success(), "POST {path}: {status} {body}");
        Ok(body)
    }
}

/// `encoded-powershell-download` → `Encoded powershell download`.
fn title(story: &str) -> String {
    let words = story.replace('-', " ");
    let mut chars = words.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_demo_client_is_a_nis2_entity() {
        let world = World::generate(7);
        let profiles = nis2_profiles(&world).unwrap();
        assert_eq!(profiles.len(), world.tenants.len());
        assert_eq!(title("card-trying"), "Card trying");
    }
}
