//! Who may do what at the desk.
//!
//! | permission | provider operator | provider lead | provider admin | client admin | client viewer |
//! |---|---|---|---|---|---|
//! | view alarms, incidents, SOP runs (client roles: own tenant only) | ✓ | ✓ | ✓ | ✓ | ✓ |
//! | work alarms (acknowledge, start, close, reopen) | ✓ | ✓ | ✓ | | |
//! | take over an alarm held by someone else (with a reason) | ✓ | ✓ | ✓ | | |
//! | suppress (analyst suppression with expiry and reason) | ✓ | ✓ | ✓ | | |
//! | lift a suppression | | ✓ | ✓ | | |
//! | declare maintenance windows | | ✓ | ✓ | ✓ (own tenant) | |
//! | open and work incidents, tasks, observables; run SOP steps | ✓ | ✓ | ✓ | | |
//! | add notes to incidents | ✓ | ✓ | ✓ | ✓ (own tenant) | |
//! | close and reopen incidents | | ✓ | ✓ | | |
//! | run response actions (badge, door, address, host) | ✓ | ✓ | ✓ | | |
//! | read the audit log and export it | | ✓ | ✓ | ✓ (own tenant) | |
//! | keep the device inventory (import, edit) | ✓ | ✓ | ✓ | | |
//! | import vendor advisories (provider-wide) | ✓ | ✓ | ✓ | | |
//! | plan work orders | ✓ | ✓ | ✓ | ✓ (own tenant) | |
//! | approve work orders (the client's approver) | | | | ✓ (own tenant) | |
//! | record a work order's outcome | ✓ | ✓ | ✓ | | |
//!
//! Operators do the work; shift leads also close incidents (a second pair of
//! eyes on the resolution), lift suppressions others set, and schedule
//! maintenance; client administrators may tell the provider about their own
//! maintenance (a camera under service) and add to their own incidents'
//! record, and read their own audit trail. Work on a client's security
//! systems is approved on the client's side only: no provider role may
//! approve it, so change control stays with the client. Client users never see another
//! tenant: that is enforced by scope in every query, not by this table.

use serde::{Deserialize, Serialize};
use vigil_model::TenantId;
use vigil_store::{Role, TenantScope};

use crate::DeskError;

/// Who is acting: a person with a token, or the desk's own automation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Actor {
    /// The token's name, or `system:<what>` for automation.
    pub name: String,
    /// The person's role; `None` for automation.
    pub role: Option<Role>,
    /// The tenant a client user belongs to.
    pub tenant: Option<TenantId>,
}

impl Actor {
    /// A person with `role`.
    pub fn person(name: &str, role: Role, tenant: Option<TenantId>) -> Self {
        Self {
            name: name.to_owned(),
            role: Some(role),
            tenant,
        }
    }

    /// The desk's own automation (`system:triage`, `system:learner` …).
    pub fn system(what: &str) -> Self {
        Self {
            name: format!("system:{what}"),
            role: None,
            tenant: None,
        }
    }

    /// Whether this is automation rather than a person.
    pub fn is_system(&self) -> bool {
        self.role.is_none()
    }

    /// The tenants this actor may see.
    pub fn scope(&self) -> TenantScope {
        match (&self.role, &self.tenant) {
            (Some(r), None) if r.is_provider() => TenantScope::All,
            (None, _) => TenantScope::All,
            (_, Some(t)) => TenantScope::One(t.clone()),
            // A client role without a tenant sees nothing: scope to a
            // tenant id no slug can name.
            (Some(_), None) => {
                TenantScope::One(TenantId::new("0-no-tenant").expect("a valid slug literal"))
            }
        }
    }

    /// Refuses unless the actor may do `permission` to `tenant`'s objects.
    pub fn require(
        &self,
        permission: Permission,
        tenant: Option<&TenantId>,
    ) -> Result<(), DeskError> {
        let in_scope = match tenant {
            Some(t) => self.scope().allows(t),
            None => matches!(self.scope(), TenantScope::All),
        };
        let allowed = match self.role {
            None => true,
            Some(role) => allows(role, permission),
        };
        if allowed && in_scope {
            Ok(())
        } else {
            Err(DeskError::Forbidden {
                actor: self.name.clone(),
                role: self.role.map_or("system", Role::as_str).to_owned(),
                action: permission.describe().to_owned(),
            })
        }
    }
}

/// Something the desk lets some roles do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permission {
    /// See alarms, incidents, SOP runs.
    View,
    /// Acknowledge, start, close, reopen alarms.
    WorkAlarms,
    /// Take over an alarm someone else holds.
    TakeOver,
    /// Create an analyst suppression.
    Suppress,
    /// Lift a suppression.
    LiftSuppression,
    /// Declare a maintenance window.
    Maintenance,
    /// Open and work incidents, tasks, observables; run SOP steps.
    WorkIncidents,
    /// Add a note to an incident.
    NoteIncidents,
    /// Close or reopen an incident.
    CloseIncidents,
    /// Run a response action.
    Respond,
    /// Read and export the audit log.
    Audit,
    /// Place and lift legal holds.
    LegalHold,
    /// Off-board a client: export and delete everything it owns.
    Offboard,
    /// Review who has access to a client.
    ReviewAccess,
    /// Keep a client's device inventory (import, edit).
    ManageInventory,
    /// Import vendor security advisories (provider-wide).
    ImportAdvisories,
    /// Plan a work order on a client's devices.
    PlanWork,
    /// Approve a work order (the client's approver).
    ApproveWork,
    /// Record how a work order ended.
    RecordWork,
}

impl Permission {
    /// What the permission allows, for error messages.
    pub fn describe(self) -> &'static str {
        match self {
            Permission::View => "view the desk",
            Permission::WorkAlarms => "work alarms",
            Permission::TakeOver => "take over alarms",
            Permission::Suppress => "suppress alarms",
            Permission::LiftSuppression => "lift suppressions",
            Permission::Maintenance => "declare maintenance windows",
            Permission::WorkIncidents => "work incidents",
            Permission::NoteIncidents => "add notes to incidents",
            Permission::CloseIncidents => "close or reopen incidents",
            Permission::Respond => "run response actions",
            Permission::Audit => "read the audit log",
            Permission::LegalHold => "place or lift legal holds",
            Permission::Offboard => "off-board clients",
            Permission::ReviewAccess => "review access to a client",
            Permission::ManageInventory => "keep the device inventory",
            Permission::ImportAdvisories => "import security advisories",
            Permission::PlanWork => "plan work orders",
            Permission::ApproveWork => "approve work orders",
            Permission::RecordWork => "record work order outcomes",
        }
    }
}

/// The table in the module documentation.
pub fn allows(role: Role, permission: Permission) -> bool {
    use Permission::*;
    match role {
        Role::ProviderAdmin => !matches!(permission, ApproveWork),
        Role::ProviderLead => !matches!(permission, Offboard | ApproveWork),
        Role::ProviderOperator => !matches!(
            permission,
            LiftSuppression
                | Maintenance
                | CloseIncidents
                | Audit
                | LegalHold
                | Offboard
                | ReviewAccess
                | ApproveWork
        ),
        Role::ClientAdmin => matches!(
            permission,
            View | Maintenance | NoteIncidents | Audit | ReviewAccess | PlanWork | ApproveWork
        ),
        Role::ClientViewer => matches!(permission, View),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_follow_the_table() {
        use Permission::*;
        let all = [
            View,
            WorkAlarms,
            TakeOver,
            Suppress,
            LiftSuppression,
            Maintenance,
            WorkIncidents,
            NoteIncidents,
            CloseIncidents,
            Respond,
            Audit,
            LegalHold,
            Offboard,
            ReviewAccess,
            ManageInventory,
            ImportAdvisories,
            PlanWork,
            ApproveWork,
            RecordWork,
        ];
        let count = |role| all.iter().filter(|p| allows(role, **p)).count();
        assert_eq!(count(Role::ProviderAdmin), 18);
        assert_eq!(count(Role::ProviderLead), 17);
        assert_eq!(count(Role::ProviderOperator), 11);
        assert_eq!(count(Role::ClientAdmin), 7);
        assert!(!allows(Role::ProviderAdmin, ApproveWork));
        assert_eq!(count(Role::ClientViewer), 1);
        assert!(!allows(Role::ProviderOperator, CloseIncidents));
        assert!(!allows(Role::ClientAdmin, WorkAlarms));
    }

    #[test]
    fn client_users_act_only_on_their_own_tenant() {
        let a = TenantId::new("a").unwrap();
        let b = TenantId::new("b").unwrap();
        let admin = Actor::person("ca", Role::ClientAdmin, Some(a.clone()));
        assert!(admin.require(Permission::Maintenance, Some(&a)).is_ok());
        assert!(admin.require(Permission::Maintenance, Some(&b)).is_err());
        assert!(admin.require(Permission::Audit, None).is_err());
        let op = Actor::person("op", Role::ProviderOperator, None);
        assert!(op.require(Permission::WorkAlarms, Some(&b)).is_ok());
        let orphan = Actor::person("x", Role::ClientViewer, None);
        assert!(orphan.require(Permission::View, Some(&a)).is_err());
        assert!(
            Actor::system("triage")
                .require(Permission::WorkAlarms, Some(&a))
                .is_ok()
        );
    }
}
