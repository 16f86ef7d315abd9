//! Analyst suppressions: set, lifted, listed.

use vigil_model::{SiteId, TenantId, Timestamp};
use vigil_store::{RecordOrder, RecordQuery};

use super::Desk;
use crate::record::DeskObject;
use crate::suppression::Suppression;
use crate::{Actor, DeskError};

impl Desk {
    /// Sets an analyst suppression.
    #[allow(clippy::too_many_arguments)]
    pub async fn suppress(
        &self,
        actor: &Actor,
        tenant: TenantId,
        rule_id: Option<String>,
        entity: Option<String>,
        site: Option<SiteId>,
        expires_at: Timestamp,
        reason: &str,
    ) -> Result<Suppression, DeskError> {
        let now = self.now();
        let s = Suppression::set(
            actor,
            self.new_id("sup"),
            tenant,
            rule_id,
            entity,
            site,
            expires_at,
            reason,
            now,
        )?;
        self.commit_one(
            actor,
            "set",
            None,
            &s,
            serde_json::json!({"reason": s.reason}),
            now,
        )
        .await?;
        Ok(s)
    }

    /// Lifts a suppression.
    pub async fn lift_suppression(
        &self,
        actor: &Actor,
        id: &str,
    ) -> Result<Suppression, DeskError> {
        let now = self.now();
        let stored = self.read::<Suppression>(id, &actor.scope()).await?;
        let after = stored.value.lift(actor, now)?;
        self.commit_one(
            actor,
            "lift",
            Some(&stored),
            &after,
            serde_json::Value::Null,
            now,
        )
        .await?;
        Ok(after)
    }

    /// Suppressions in force in the caller's scope.
    pub async fn suppressions(
        &self,
        actor: &Actor,
        tenant: Option<&TenantId>,
    ) -> Result<Vec<Suppression>, DeskError> {
        let scope = self.scope_for(actor, tenant)?;
        let now = self.now();
        let mut q = RecordQuery::new(Suppression::KIND, scope);
        q.statuses = vec!["set".into()];
        q.order = RecordOrder::Newest;
        Ok(self
            .list::<Suppression>(&q)
            .await?
            .into_iter()
            .map(|s| s.value)
            .filter(|s| s.is_active(now))
            .collect())
    }
}
