//! Escalations as the desk's callers see them (the escalation worker in
//! `workers.rs` fires their levels).

use vigil_store::{RecordOrder, RecordQuery};

use super::Desk;
use crate::escalation::Escalation;
use crate::record::DeskObject;
use crate::{Actor, DeskError, Permission};

impl Desk {
    /// Escalations still running in the caller's scope, soonest first.
    pub async fn escalations(&self, actor: &Actor) -> Result<Vec<Escalation>, DeskError> {
        actor.require(Permission::View, actor.tenant.as_ref())?;
        let mut q = RecordQuery::new(Escalation::KIND, actor.scope());
        q.statuses = vec!["active".into()];
        q.order = RecordOrder::Due;
        Ok(self
            .list::<Escalation>(&q)
            .await?
            .into_iter()
            .map(|s| s.value)
            .collect())
    }
}
