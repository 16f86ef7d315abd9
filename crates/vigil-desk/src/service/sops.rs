//! SOP runs: the checklists started when an alarm is acknowledged, and
//! their steps' outcomes.

use vigil_model::AlertId;
use vigil_store::{RecordOrder, RecordQuery};

use super::Desk;
use crate::record::DeskObject;
use crate::sop::SopRun;
use crate::{Actor, DeskError};

impl Desk {
    /// SOP runs of an alarm.
    pub async fn sop_runs(&self, actor: &Actor, alarm: AlertId) -> Result<Vec<SopRun>, DeskError> {
        let a = self.alarm(actor, alarm).await?;
        let mut q = RecordQuery::new(SopRun::KIND, vigil_store::TenantScope::One(a.tenant));
        q.link = Some(alarm.to_string());
        q.order = RecordOrder::Newest;
        Ok(self
            .list::<SopRun>(&q)
            .await?
            .into_iter()
            .map(|s| s.value)
            .collect())
    }

    /// Records an SOP step's outcome.
    pub async fn sop_step(
        &self,
        actor: &Actor,
        run: &str,
        step: &str,
        outcome: crate::sop::StepOutcome,
        note: Option<&str>,
    ) -> Result<SopRun, DeskError> {
        let now = self.now();
        let stored = self.read::<SopRun>(run, &actor.scope()).await?;
        let after = stored.value.record(actor, step, outcome, note, now)?;
        let detail = serde_json::json!({"step": step, "outcome": outcome, "note": note});
        self.commit_one(actor, "step", Some(&stored), &after, detail, now)
            .await?;
        Ok(after)
    }
}
