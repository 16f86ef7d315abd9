//! Procedures at work: the clients' response plans and what the rules say
//! about themselves, the procedure an alarm calls for (shown before anyone
//! acknowledges it), starting its run, and the check that refuses to close
//! an alarm while a step the contract requires is outstanding.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use serde::Serialize;
use vigil_model::Category;
use vigil_store::{RecordQuery, TenantScope};

use super::Desk;
use crate::alarm::Alarm;
use crate::procedure::{Procedure, ResponsePlans, RuleNotes, outstanding};
use crate::record::{DeskObject, Stored};
use crate::reporting::category::category;
use crate::sop::SopRun;
use crate::{Actor, DeskError};

/// The plans and rule notes a desk was given (from configuration).
#[derive(Default)]
pub(crate) struct ProcedureState {
    plans: RwLock<Arc<ResponsePlans>>,
    notes: RwLock<Arc<HashMap<String, RuleNotes>>>,
}

/// What the console shows about an alarm's handling before and while it
/// is worked: the procedure (the run once started), and what the rule
/// says about itself.
#[derive(Debug, Clone, Serialize)]
pub struct AlarmProcedure {
    /// The alarm's category, from its rule (or what it is about).
    pub category: Category,
    /// The procedure the alarm calls for, resolved under the client's
    /// response plan; `None` when no SOP applies.
    pub procedure: Option<Procedure>,
    /// The run, once the alarm was acknowledged.
    pub run: Option<SopRun>,
    /// Steps the contract requires before closing that are not recorded
    /// yet, as `id (title)`.
    pub outstanding: Vec<String>,
    /// The rule's description and known false positives.
    pub rule: RuleNotes,
}

impl Desk {
    /// Sets the clients' response plans (from configuration).
    pub fn set_response_plans(&self, plans: ResponsePlans) {
        *self
            .inner
            .procedures
            .plans
            .write()
            .unwrap_or_else(|p| p.into_inner()) = Arc::new(plans);
    }

    /// Sets what the loaded rules say about themselves, by rule id.
    pub fn set_rule_notes(&self, notes: HashMap<String, RuleNotes>) {
        *self
            .inner
            .procedures
            .notes
            .write()
            .unwrap_or_else(|p| p.into_inner()) = Arc::new(notes);
    }

    fn plans(&self) -> Arc<ResponsePlans> {
        self.inner
            .procedures
            .plans
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// The procedure `alarm` calls for now, under its client's plan.
    pub(crate) fn resolve_procedure(&self, alarm: &Alarm) -> Option<Procedure> {
        let levels = self.service_levels();
        let kind = category(levels.rules.get(&alarm.rule_id), &alarm.entities);
        let sop = self.inner.sops.select_for(alarm, Some(kind))?;
        Some(Procedure::resolve(
            sop,
            alarm,
            self.plans().get(&alarm.tenant),
        ))
    }

    /// The alarm's SOP run, if one was started.
    pub(crate) async fn alarm_run(
        &self,
        alarm: &Alarm,
    ) -> Result<Option<Stored<SopRun>>, DeskError> {
        let mut q = RecordQuery::new(SopRun::KIND, TenantScope::One(alarm.tenant.clone()));
        q.link = Some(alarm.id.to_string());
        Ok(self.list::<SopRun>(&q).await?.into_iter().next())
    }

    /// An alarm's procedure, its run, and its rule's notes (any role that
    /// may view the alarm).
    pub async fn alarm_procedure(
        &self,
        actor: &Actor,
        id: vigil_model::AlertId,
    ) -> Result<AlarmProcedure, DeskError> {
        let alarm = self.alarm(actor, id).await?;
        let levels = self.service_levels();
        let kind = category(levels.rules.get(&alarm.rule_id), &alarm.entities);
        let run = self.alarm_run(&alarm).await?.map(|s| s.value);
        let procedure = self.resolve_procedure(&alarm);
        let outstanding = match (&run, &procedure) {
            (Some(run), _) => outstanding(&run.steps),
            (None, Some(p)) => outstanding(&p.steps),
            (None, None) => Vec::new(),
        };
        let rule = self
            .inner
            .procedures
            .notes
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(&alarm.rule_id)
            .cloned()
            .unwrap_or_default();
        Ok(AlarmProcedure {
            category: kind,
            procedure,
            run,
            outstanding,
            rule,
        })
    }

    /// Refuses to close `alarm` while a step its client's contract requires
    /// before closing is not recorded (in its run, or — with no run yet —
    /// in the procedure it calls for).
    pub(crate) async fn check_close(&self, alarm: &Alarm) -> Result<(), DeskError> {
        let missing = match self.alarm_run(alarm).await? {
            Some(run) => outstanding(&run.value.steps),
            None => self
                .resolve_procedure(alarm)
                .map(|p| outstanding(&p.steps))
                .unwrap_or_default(),
        };
        if missing.is_empty() {
            return Ok(());
        }
        Err(DeskError::Transition {
            what: "alarm",
            id: alarm.id.to_string(),
            command: "close",
            state: alarm.status.as_str().replace('_', " "),
            hint: format!(
                "the client's contract requires these procedure steps first: {}",
                missing.join(", ")
            ),
        })
    }
}
