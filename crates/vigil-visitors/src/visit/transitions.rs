//! The state machine's steps, and the audit record each one leaves.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};
use vigil_model::{SiteId, TenantId, Timestamp};

use super::identity::IdentityDocument;
use super::registration::zone;
use super::{Arrival, BadgeBinding, Decision, Visit, VisitError, VisitSettings, VisitState};
use crate::ids::{ActorId, TenantSecret, VisitId};

/// A step of a visit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VisitAction {
    /// The host registered the visit.
    PreRegister,
    /// The approver approved it.
    Approve,
    /// The approver refused it.
    Refuse,
    /// The visitor arrived and their identity was checked.
    Arrive,
    /// A badge was issued.
    IssueBadge,
    /// The visitor left.
    SignOut,
    /// Retention erased the personal data.
    Erase,
}

impl VisitAction {
    /// The action's name in audit records.
    pub fn as_str(self) -> &'static str {
        match self {
            VisitAction::PreRegister => "pre_register",
            VisitAction::Approve => "approve",
            VisitAction::Refuse => "refuse",
            VisitAction::Arrive => "arrive",
            VisitAction::IssueBadge => "issue_badge",
            VisitAction::SignOut => "sign_out",
            VisitAction::Erase => "erase",
        }
    }
}

impl std::fmt::Display for VisitAction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a step leaves in the audit chain: identifiers only — never the
/// visitor's name, company, purpose, a reason's text or a document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VisitAudit {
    /// The client.
    pub tenant: TenantId,
    /// The site.
    pub site: SiteId,
    /// The visit.
    pub visit: VisitId,
    /// The step.
    pub action: VisitAction,
    /// The state before (none for the registration).
    pub from: Option<VisitState>,
    /// The state after.
    pub to: VisitState,
    /// Who did it.
    pub actor: ActorId,
    /// When.
    pub at: Timestamp,
    /// The badge, for the steps that concern one.
    pub badge: Option<String>,
}

/// A decision's reason: at most 500 characters, no control characters
/// but line breaks.
fn checked_reason(reason: &str) -> Result<String, VisitError> {
    if reason.chars().count() > 500 {
        return Err(VisitError::invalid("reason", "at most 500 characters"));
    }
    if reason.chars().any(|c| c.is_control() && c != '\n') {
        return Err(VisitError::invalid("reason", "holds a control character"));
    }
    Ok(reason.to_owned())
}

impl Visit {
    pub(super) fn audit(
        &self,
        action: VisitAction,
        from: Option<VisitState>,
        actor: ActorId,
        at: Timestamp,
    ) -> VisitAudit {
        VisitAudit {
            tenant: self.tenant.clone(),
            site: self.site.clone(),
            visit: self.id,
            action,
            from,
            to: self.state,
            actor,
            at,
            badge: match action {
                VisitAction::IssueBadge | VisitAction::SignOut => {
                    self.badge.as_ref().map(|b| b.badge.clone())
                }
                _ => None,
            },
        }
    }

    /// Refuses `action` unless the visit is in one of `from` (and not erased).
    fn expect(&self, action: VisitAction, from: &[VisitState]) -> Result<VisitState, VisitError> {
        if self.erased_at.is_some() {
            return Err(VisitError::Erased);
        }
        if from.contains(&self.state) {
            Ok(self.state)
        } else {
            Err(VisitError::IllegalTransition {
                from: self.state,
                action,
            })
        }
    }

    fn moved(
        &mut self,
        action: VisitAction,
        from: VisitState,
        to: VisitState,
        by: ActorId,
        now: Timestamp,
    ) -> VisitAudit {
        self.state = to;
        self.audit(action, Some(from), by, now)
    }

    /// The approver approves, for all requested zones or (`zones`) fewer,
    /// optionally saying why.
    pub fn approve(
        &mut self,
        by: ActorId,
        zones: Option<&[String]>,
        reason: Option<&str>,
        now: Timestamp,
    ) -> Result<VisitAudit, VisitError> {
        let from = self.expect(VisitAction::Approve, &[VisitState::PreRegistered])?;
        let reason = match reason.map(str::trim).filter(|r| !r.is_empty()) {
            Some(r) => Some(checked_reason(r)?),
            None => None,
        };
        let approved = match zones {
            None => self.zones_requested.clone(),
            Some(zones) => {
                let mut approved = BTreeSet::new();
                for z in zones {
                    let z = zone(z)?;
                    if !self.zones_requested.contains(&z) {
                        return Err(VisitError::ZoneNotRequested { zone: z });
                    }
                    approved.insert(z);
                }
                approved
            }
        };
        self.zones_approved = approved;
        self.decision = Some(Decision {
            by: by.clone(),
            at: now,
            reason,
        });
        Ok(self.moved(VisitAction::Approve, from, VisitState::Approved, by, now))
    }

    /// The approver refuses, saying why.
    pub fn refuse(
        &mut self,
        by: ActorId,
        reason: &str,
        now: Timestamp,
    ) -> Result<VisitAudit, VisitError> {
        let from = self.expect(VisitAction::Refuse, &[VisitState::PreRegistered])?;
        let reason = reason.trim();
        if reason.is_empty() {
            return Err(VisitError::invalid("reason", "a refusal needs a reason"));
        }
        self.decision = Some(Decision {
            by: by.clone(),
            at: now,
            reason: Some(checked_reason(reason)?),
        });
        Ok(self.moved(VisitAction::Refuse, from, VisitState::Refused, by, now))
    }

    /// The front desk checks the visitor in: within the window (or early by
    /// at most the settings' allowance), with a document kept as the
    /// settings' policy says, hashed under the tenant's `secret`.
    pub fn arrive(
        &mut self,
        by: ActorId,
        document: &IdentityDocument,
        settings: &VisitSettings,
        secret: &TenantSecret,
        now: Timestamp,
    ) -> Result<VisitAudit, VisitError> {
        let from = self.expect(VisitAction::Arrive, &[VisitState::Approved])?;
        if now < self.window.start - settings.early_arrival || now > self.window.end {
            return Err(VisitError::OutsideWindow {
                at: now,
                start: self.window.start,
                end: self.window.end,
            });
        }
        let document = document.record(settings.document_policy, secret)?;
        self.arrival = Some(Arrival {
            by: by.clone(),
            at: now,
            document,
        });
        Ok(self.moved(VisitAction::Arrive, from, VisitState::Arrived, by, now))
    }

    /// The front desk issues `badge`, opening the approved zones from now
    /// (or the window's start, if later) until the window's end.
    pub fn issue_badge(
        &mut self,
        by: ActorId,
        badge: &str,
        now: Timestamp,
    ) -> Result<VisitAudit, VisitError> {
        let from = self.expect(VisitAction::IssueBadge, &[VisitState::Arrived])?;
        let badge = badge.trim();
        if badge.is_empty() || badge.chars().count() > 64 || badge.chars().any(char::is_control) {
            return Err(VisitError::invalid(
                "badge",
                "1 to 64 characters, no control characters",
            ));
        }
        if now > self.window.end {
            return Err(VisitError::OutsideWindow {
                at: now,
                start: self.window.start,
                end: self.window.end,
            });
        }
        // An early visitor signed in by the desk may use the badge at once;
        // otherwise it opens from the window's start.
        self.badge = Some(BadgeBinding {
            badge: badge.to_owned(),
            zones: self.zones_approved.clone(),
            valid_from: now.min(self.window.start),
            valid_until: self.window.end,
            issued_by: by.clone(),
            issued_at: now,
        });
        Ok(self.moved(
            VisitAction::IssueBadge,
            from,
            VisitState::BadgeIssued,
            by,
            now,
        ))
    }

    /// The visitor leaves (with or without a badge to hand back).
    pub fn sign_out(&mut self, by: ActorId, now: Timestamp) -> Result<VisitAudit, VisitError> {
        let from = self.expect(
            VisitAction::SignOut,
            &[VisitState::Arrived, VisitState::BadgeIssued],
        )?;
        self.signed_out = Some(super::SignOut {
            by: by.clone(),
            at: now,
        });
        Ok(self.moved(VisitAction::SignOut, from, VisitState::SignedOut, by, now))
    }

    /// Whether `from → to` is a step the machine allows (for checks and
    /// tests; the methods above are the only way to take one).
    pub fn legal(from: VisitState, to: VisitState) -> bool {
        use VisitState::*;
        matches!(
            (from, to),
            (PreRegistered, Approved)
                | (PreRegistered, Refused)
                | (Approved, Arrived)
                | (Arrived, BadgeIssued)
                | (Arrived, SignedOut)
                | (BadgeIssued, SignedOut)
        )
    }
}
