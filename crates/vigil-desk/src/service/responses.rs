//! Response actions on incidents and the webhook deliveries that carry
//! them (`send.rs` and the delivery worker send them).

use vigil_store::{RecordOrder, RecordQuery};

use super::Desk;
use crate::incident::Incident;
use crate::record::DeskObject;
use crate::response::{Delivery, ResponseAction};
use crate::{Actor, DeskError, Permission};

impl Desk {
    /// Runs a response action: records a signed webhook delivery to the
    /// client's endpoint for it; the delivery worker sends it.
    pub async fn respond(
        &self,
        actor: &Actor,
        incident: &str,
        action: ResponseAction,
    ) -> Result<Delivery, DeskError> {
        let now = self.now();
        let inc = self.read::<Incident>(incident, &actor.scope()).await?.value;
        // The role first: a caller who may not respond learns nothing of
        // the client's endpoints from the refusal.
        actor.require(crate::Permission::Respond, Some(&inc.tenant))?;
        let endpoint = self
            .inner
            .config
            .endpoint_for(&inc.tenant, action.name())
            .ok_or_else(|| {
                DeskError::invalid(
                    "action",
                    format!(
                        "{} has no endpoint configured for {}",
                        inc.tenant,
                        action.name()
                    ),
                )
            })?;
        let delivery = Delivery::action(
            actor,
            self.new_id("dlv"),
            inc.tenant.clone(),
            action,
            Some(inc.id.clone()),
            &endpoint.name,
            &endpoint.url,
            self.inner.config.delivery_backoff,
            now,
        )?;
        let detail = serde_json::json!({"incident": inc.id, "payload": delivery.payload});
        self.commit_one(actor, "request", None, &delivery, detail, now)
            .await?;
        Ok(delivery)
    }

    /// Deliveries in the caller's scope, newest first.
    pub async fn deliveries(
        &self,
        actor: &Actor,
        link: Option<&str>,
        limit: usize,
    ) -> Result<Vec<Delivery>, DeskError> {
        actor.require(Permission::View, actor.tenant.as_ref())?;
        let mut q = RecordQuery::new(Delivery::KIND, actor.scope());
        q.link = link.map(str::to_owned);
        q.order = RecordOrder::Newest;
        q.limit = limit.max(1);
        Ok(self
            .list::<Delivery>(&q)
            .await?
            .into_iter()
            .map(|s| s.value)
            .collect())
    }
}
