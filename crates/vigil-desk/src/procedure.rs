//! Procedures by alarm type: an SOP made concrete for one alarm under its
//! client's response plan.
//!
//! The SOP says what to do for a kind of alarm ("call the keyholders in
//! order", "call the police where the contract says"); the client's
//! response plan — the response schedule of its contract, `[tenants.response]`
//! in `vigil.toml` — says whom, with which numbers, and which steps must be
//! done before an alarm may be closed:
//!
//! ```toml
//! [tenants.response]
//! guard = { name = "Securitas mobile patrol", phone = "+49 30 5550100" }
//! police = { name = "Polizei Berlin", phone = "110", procedures = ["intrusion", "terminated-badge"] }
//! fire = { name = "Feuerwehr Berlin", phone = "112" }          # every procedure with a fire step
//! required_before_close = ["verify-camera", "intrusion/call-keyholders"]
//!
//! [[tenants.response.keyholders]]
//! name = "Jonas Weber"
//! phone = "+49 170 5550101"
//! sites = ["berlin-dc"]                                        # empty: every site
//!
//! [[tenants.response.contacts]]
//! name = "Anna Schmidt"
//! role = "Head of security"
//! phone = "+49 30 5550199"
//! ```
//!
//! A step the plan requires before closing cannot be skipped, and the desk
//! refuses to close the alarm until it is recorded as done (or as tried and
//! failed, with a note saying why): the refusal names the steps.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use vigil_model::{SiteId, TenantId};

use crate::DeskError;
use crate::alarm::Alarm;
use crate::sop::{Sop, StepRecord};

/// Longest name, role or phone number accepted in a response plan.
const MAX_TEXT: usize = 200;

/// Most people on one call list.
const MAX_CALLEES: usize = 100;

/// Whom a step calls, from the client's response plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CallList {
    /// The client's contacts, in order.
    Contacts,
    /// The keyholders of the alarm's site, in order.
    Keyholders,
    /// The guard service.
    Guard,
    /// The police; the step is there only where the plan names the procedure.
    Police,
    /// The fire brigade; as the police.
    Fire,
}

/// Someone to call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Callee {
    /// Their name (or the service's).
    pub name: String,
    /// What they are to the client.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    /// The number to call.
    pub phone: String,
    /// The sites they answer for (empty: every site).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sites: Vec<SiteId>,
}

/// An emergency service the contract says to call, and for which procedures.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Responder {
    /// The service.
    pub name: String,
    /// The number to call.
    pub phone: String,
    /// The procedures (SOP ids) it is called in; empty: every procedure
    /// that has a step calling it.
    #[serde(default)]
    pub procedures: Vec<String>,
}

/// A client's response plan: whom the desk calls, and what must be done
/// before an alarm is closed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResponsePlan {
    /// The client's contacts, in the order they are called.
    #[serde(default)]
    pub contacts: Vec<Callee>,
    /// Keyholders, in the order they are called.
    #[serde(default)]
    pub keyholders: Vec<Callee>,
    /// The guard service dispatched to the site.
    #[serde(default)]
    pub guard: Option<Callee>,
    /// The police, where the contract calls them.
    #[serde(default)]
    pub police: Option<Responder>,
    /// The fire brigade, where the contract calls it.
    #[serde(default)]
    pub fire: Option<Responder>,
    /// Steps that must be done before an alarm is closed: a step id (in any
    /// procedure that has it) or `procedure/step`.
    #[serde(default)]
    pub required_before_close: Vec<String>,
}

impl ResponsePlan {
    /// Checks the plan; errors name the client and the field.
    pub fn validate(&self, client: &TenantId) -> Result<(), DeskError> {
        let bad = |reason: String| DeskError::Config {
            source_name: format!("[tenants.response] of tenant `{client}`"),
            reason,
        };
        let text = |field: &str, value: &str| -> Result<(), DeskError> {
            if value.trim().is_empty() {
                return Err(bad(format!("{field} is empty")));
            }
            if value.chars().count() > MAX_TEXT {
                return Err(bad(format!("{field} is longer than {MAX_TEXT} characters")));
            }
            Ok(())
        };
        for (list, people) in [
            ("contacts", &self.contacts),
            ("keyholders", &self.keyholders),
        ] {
            if people.len() > MAX_CALLEES {
                return Err(bad(format!("{list} has more than {MAX_CALLEES} people")));
            }
            for (i, p) in people.iter().enumerate() {
                text(&format!("{list}[{i}].name"), &p.name)?;
                text(&format!("{list}[{i}].phone"), &p.phone)?;
                if let Some(role) = &p.role {
                    text(&format!("{list}[{i}].role"), role)?;
                }
            }
        }
        if let Some(g) = &self.guard {
            text("guard.name", &g.name)?;
            text("guard.phone", &g.phone)?;
        }
        for (field, r) in [("police", &self.police), ("fire", &self.fire)] {
            if let Some(r) = r {
                text(&format!("{field}.name"), &r.name)?;
                text(&format!("{field}.phone"), &r.phone)?;
            }
        }
        for step in &self.required_before_close {
            let parts: Vec<&str> = step.split('/').collect();
            if parts.len() > 2 || parts.iter().any(|p| p.trim().is_empty()) {
                return Err(bad(format!(
                    "required_before_close: `{step}` is neither a step id nor `procedure/step`"
                )));
            }
        }
        Ok(())
    }

    /// Whether the plan requires `step` of procedure `sop` before closing.
    pub fn requires(&self, sop: &str, step: &str) -> bool {
        self.required_before_close
            .iter()
            .any(|r| match r.split_once('/') {
                Some((p, s)) => p == sop && s == step,
                None => r == step,
            })
    }

    /// Whom `list` names for `alarm` under procedure `sop`: `None` when the
    /// plan does not call that service in this procedure (the step is left
    /// out), else the people in order (possibly none: nobody on record).
    pub fn callees(&self, list: CallList, sop: &str, alarm: &Alarm) -> Option<Vec<Callee>> {
        let at_site = |people: &[Callee]| -> Vec<Callee> {
            people
                .iter()
                .filter(|p| {
                    p.sites.is_empty() || alarm.site.as_ref().is_some_and(|s| p.sites.contains(s))
                })
                .cloned()
                .collect()
        };
        let responder = |r: &Option<Responder>| {
            r.as_ref()
                .filter(|r| r.procedures.is_empty() || r.procedures.iter().any(|p| p == sop))
                .map(|r| {
                    vec![Callee {
                        name: r.name.clone(),
                        role: None,
                        phone: r.phone.clone(),
                        sites: Vec::new(),
                    }]
                })
        };
        match list {
            CallList::Contacts => Some(at_site(&self.contacts)),
            CallList::Keyholders => Some(at_site(&self.keyholders)),
            CallList::Guard => Some(self.guard.iter().cloned().collect()),
            CallList::Police => responder(&self.police),
            CallList::Fire => responder(&self.fire),
        }
    }
}

/// Response plans by client.
pub type ResponsePlans = BTreeMap<TenantId, ResponsePlan>;

/// An SOP made concrete for one alarm: its steps with whom to call and
/// which must be done before closing. The same steps a run starts with.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Procedure {
    /// The SOP.
    pub sop_id: String,
    /// Its version.
    pub sop_version: u32,
    /// Its title.
    pub title: String,
    /// The steps, in order, none recorded yet.
    pub steps: Vec<StepRecord>,
}

impl Procedure {
    /// `sop` for `alarm` under `plan` (none: the client has no plan, so
    /// call lists are empty and police and fire steps are left out).
    pub fn resolve(sop: &Sop, alarm: &Alarm, plan: Option<&ResponsePlan>) -> Self {
        let empty = ResponsePlan::default();
        let plan = plan.unwrap_or(&empty);
        let steps = sop
            .steps
            .iter()
            .filter_map(|s| {
                let calls = match s.call {
                    Some(list) => plan.callees(list, &sop.id, alarm)?,
                    None => Vec::new(),
                };
                let before_close = plan.requires(&sop.id, &s.id);
                Some(StepRecord {
                    id: s.id.clone(),
                    title: s.title.clone(),
                    required: s.required || before_close,
                    before_close,
                    call: s.call,
                    calls,
                    outcome: None,
                    note: None,
                    by: None,
                    at: None,
                })
            })
            .collect();
        Self {
            sop_id: sop.id.clone(),
            sop_version: sop.version,
            title: sop.title.clone(),
            steps,
        }
    }
}

/// The steps of `steps` that must be done before closing and are not yet
/// recorded, as `id (title)`.
pub fn outstanding(steps: &[StepRecord]) -> Vec<String> {
    steps
        .iter()
        .filter(|s| s.before_close && s.outcome.is_none())
        .map(|s| format!("`{}` ({})", s.id, s.title))
        .collect()
}

/// What the rule behind an alarm says about itself: Sigma's `description`
/// and `falsepositives`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleNotes {
    /// What the rule detects and why it matters.
    pub description: Option<String>,
    /// Known causes of false alarms.
    pub falsepositives: Vec<String>,
}

#[cfg(test)]
mod tests;
