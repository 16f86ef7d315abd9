//! A visit: pre-registration, then a state machine
//!
//! ```text
//! pre_registered ──approve──► approved ──arrive──► arrived ──issue_badge──► badge_issued
//!        │                                           │                          │
//!        └──refuse──► refused                        └──────sign_out──► signed_out ◄─┘
//! ```
//!
//! Refused and signed out are final. Each transition is a method on
//! [`Visit`] taking the actor and `now`; it either changes the visit and
//! returns a [`VisitAudit`] (identifiers only), or leaves it untouched and
//! returns a typed [`VisitError`].

mod identity;
mod registration;
mod transitions;

#[cfg(test)]
pub(crate) mod tests;

use std::collections::BTreeSet;

use chrono::Duration;
use serde::{Deserialize, Serialize};
use vigil_model::{SiteId, TenantId, Timestamp};

pub use identity::{DocumentKind, DocumentPolicy, IdentityDocument, RecordedDocument};
pub use registration::PreRegistration;
pub use transitions::{VisitAction, VisitAudit};

use crate::ids::{ActorId, VisitId};

/// Where a visit stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VisitState {
    /// Registered by the host, waiting for the client's approver.
    PreRegistered,
    /// Approved; the visitor may come within the window.
    Approved,
    /// Refused by the approver (final).
    Refused,
    /// At the front desk, identity checked.
    Arrived,
    /// Holding a temporary badge.
    BadgeIssued,
    /// Gone (final).
    SignedOut,
}

impl VisitState {
    /// The state's name in data and audit records.
    pub fn as_str(self) -> &'static str {
        match self {
            VisitState::PreRegistered => "pre_registered",
            VisitState::Approved => "approved",
            VisitState::Refused => "refused",
            VisitState::Arrived => "arrived",
            VisitState::BadgeIssued => "badge_issued",
            VisitState::SignedOut => "signed_out",
        }
    }

    /// Whether the visitor is signed in (on site, not yet out).
    pub fn on_site(self) -> bool {
        matches!(self, VisitState::Arrived | VisitState::BadgeIssued)
    }

    /// Whether nothing more can happen to the visit.
    pub fn is_final(self) -> bool {
        matches!(self, VisitState::Refused | VisitState::SignedOut)
    }
}

impl std::fmt::Display for VisitState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How the client runs visits (from its configuration).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VisitSettings {
    /// The longest window a pre-registration may ask for.
    pub max_window: Duration,
    /// How early before the window a visitor may be signed in.
    pub early_arrival: Duration,
    /// Whether identity documents are recorded as keyed hashes or not at all.
    pub document_policy: DocumentPolicy,
}

impl Default for VisitSettings {
    fn default() -> Self {
        Self {
            max_window: Duration::hours(12),
            early_arrival: Duration::minutes(30),
            document_policy: DocumentPolicy::KeyedHash,
        }
    }
}

/// When a visit may take place: `start` inclusive, `end` inclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct VisitWindow {
    /// The first instant.
    pub start: Timestamp,
    /// The last instant.
    pub end: Timestamp,
}

impl VisitWindow {
    /// Whether `at` falls inside the window (both ends included).
    pub fn contains(&self, at: Timestamp) -> bool {
        self.start <= at && at <= self.end
    }
}

/// Who the visitor is, as the host wrote it: the personal data that
/// retention erases.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Visitor {
    /// Full name.
    pub name: String,
    /// Company or organisation (may be empty).
    pub company: String,
}

/// The approver's decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decision {
    /// Who decided.
    pub by: ActorId,
    /// When.
    pub at: Timestamp,
    /// Why, as given (required for a refusal). Free text, so kept on the
    /// visit (and erased with it), never in the audit record.
    pub reason: Option<String>,
}

/// The arrival at the front desk.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Arrival {
    /// Who checked the visitor in.
    pub by: ActorId,
    /// When.
    pub at: Timestamp,
    /// The identity document as the policy allows it to be kept.
    pub document: RecordedDocument,
}

/// A temporary badge bound to the visit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BadgeBinding {
    /// The badge (the access-control system's badge id).
    pub badge: String,
    /// The zones it opens: exactly the approved ones.
    pub zones: BTreeSet<String>,
    /// When it starts to be valid.
    pub valid_from: Timestamp,
    /// When it stops being valid (the window's end).
    pub valid_until: Timestamp,
    /// Who issued it.
    pub issued_by: ActorId,
    /// When.
    pub issued_at: Timestamp,
}

/// The sign-out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignOut {
    /// Who signed the visitor out (the desk, or the host).
    pub by: ActorId,
    /// When.
    pub at: Timestamp,
}

/// One visit, from pre-registration to sign-out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Visit {
    /// Assigned at pre-registration.
    pub id: VisitId,
    /// The client.
    pub tenant: TenantId,
    /// Where.
    pub site: SiteId,
    /// Who is coming (personal data).
    pub visitor: Visitor,
    /// Why, as the host wrote it (may be personal; erased with the rest).
    pub purpose: String,
    /// The host: a person id of the client's people register.
    pub host: String,
    /// When.
    pub window: VisitWindow,
    /// The zones the host asked for.
    pub zones_requested: BTreeSet<String>,
    /// The zones approved (empty until approval; a subset of the requested).
    pub zones_approved: BTreeSet<String>,
    /// Where the visit stands.
    pub state: VisitState,
    /// Who pre-registered it.
    pub registered_by: ActorId,
    /// When.
    pub registered_at: Timestamp,
    /// The approver's decision, once made.
    pub decision: Option<Decision>,
    /// The arrival, once the visitor is at the desk.
    pub arrival: Option<Arrival>,
    /// The badge, once issued.
    pub badge: Option<BadgeBinding>,
    /// The sign-out, once gone.
    pub signed_out: Option<SignOut>,
    /// When the personal data was erased ([`crate::retention`]).
    pub erased_at: Option<Timestamp>,
}

/// What was wrong with a visit or a step of it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VisitError {
    /// A field of the request is wrong.
    #[error("{field}: {reason}")]
    Invalid {
        /// The field, as the API names it (`window_end`, `zones`).
        field: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// The step is not possible from the visit's state.
    #[error("cannot {action} a visit that is {from}")]
    IllegalTransition {
        /// Where the visit stands.
        from: VisitState,
        /// What was asked.
        action: VisitAction,
    },
    /// The approver named a zone the host did not ask for.
    #[error("zones: `{zone}` was not requested; an approver can only narrow the request")]
    ZoneNotRequested {
        /// The zone.
        zone: String,
    },
    /// The visitor came outside the approved window (plus early arrival).
    #[error("the visit's window is {start} to {end}; {at} is outside it")]
    OutsideWindow {
        /// When they came.
        at: Timestamp,
        /// The window's start.
        start: Timestamp,
        /// The window's end.
        end: Timestamp,
    },
    /// The personal data was erased; the visit is a record only.
    #[error("the visit's personal data was erased; it can no longer change")]
    Erased,
}

impl VisitError {
    /// A field error.
    pub fn invalid(field: &'static str, reason: impl Into<String>) -> Self {
        VisitError::Invalid {
            field,
            reason: reason.into(),
        }
    }
}
