//! Pre-registration: the host's request, checked field by field.

use std::collections::BTreeSet;

use serde::Deserialize;
use vigil_model::{SiteId, TenantId, Timestamp};

use super::transitions::{VisitAction, VisitAudit};
use super::{Visit, VisitError, VisitSettings, VisitState, VisitWindow, Visitor};
use crate::ids::{ActorId, VisitId};

/// A host's request for a visit, as the API receives it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct PreRegistration {
    /// The visitor's full name.
    pub visitor_name: String,
    /// Their company (may be empty).
    #[serde(default)]
    pub company: String,
    /// Why they come.
    pub purpose: String,
    /// The host: a person id of the client's people register.
    pub host: String,
    /// Where.
    pub site: SiteId,
    /// The window's first instant.
    pub window_start: Timestamp,
    /// The window's last instant.
    pub window_end: Timestamp,
    /// The zones the visitor needs.
    #[serde(default)]
    pub zones: Vec<String>,
}

/// A short free-text field: trimmed, at most `max` characters, no control
/// characters, and not blank when `required`.
fn text(
    field: &'static str,
    value: &str,
    max: usize,
    required: bool,
) -> Result<String, VisitError> {
    let value = value.trim();
    if required && value.is_empty() {
        return Err(VisitError::invalid(field, "must not be empty"));
    }
    if value.chars().count() > max {
        return Err(VisitError::invalid(
            field,
            format!("at most {max} characters"),
        ));
    }
    if value.chars().any(char::is_control) {
        return Err(VisitError::invalid(field, "holds a control character"));
    }
    Ok(value.to_owned())
}

/// A zone id as the access-control system names it.
pub(super) fn zone(value: &str) -> Result<String, VisitError> {
    text("zones", value, 64, true)
}

impl PreRegistration {
    /// Checks the request against `settings` at `now`: the first wrong field
    /// is named in the error.
    pub fn check(&self, settings: &VisitSettings, now: Timestamp) -> Result<(), VisitError> {
        self.checked(settings, now).map(|_| ())
    }

    fn checked(
        &self,
        settings: &VisitSettings,
        now: Timestamp,
    ) -> Result<(Visitor, String, String, BTreeSet<String>), VisitError> {
        let name = text("visitor_name", &self.visitor_name, 200, true)?;
        let company = text("company", &self.company, 200, false)?;
        let purpose = text("purpose", &self.purpose, 500, true)?;
        let host = text("host", &self.host, 128, true)?;
        if self.window_end <= self.window_start {
            return Err(VisitError::invalid(
                "window_end",
                format!(
                    "{} is not after window_start {}",
                    self.window_end, self.window_start
                ),
            ));
        }
        let length = self.window_end - self.window_start;
        if length > settings.max_window {
            return Err(VisitError::invalid(
                "window_end",
                format!(
                    "the window lasts {} minutes; the client allows at most {}",
                    length.num_minutes(),
                    settings.max_window.num_minutes()
                ),
            ));
        }
        if self.window_end < now {
            return Err(VisitError::invalid(
                "window_end",
                "the window is already over",
            ));
        }
        if self.zones.len() > 64 {
            return Err(VisitError::invalid("zones", "at most 64 zones"));
        }
        let zones = self
            .zones
            .iter()
            .map(|z| zone(z))
            .collect::<Result<BTreeSet<_>, _>>()?;
        Ok((Visitor { name, company }, purpose, host, zones))
    }
}

impl Visit {
    /// A new visit from a host's request: checked, then `pre_registered`.
    pub fn pre_register(
        id: VisitId,
        tenant: TenantId,
        request: &PreRegistration,
        by: ActorId,
        settings: &VisitSettings,
        now: Timestamp,
    ) -> Result<(Visit, VisitAudit), VisitError> {
        let (visitor, purpose, host, zones_requested) = request.checked(settings, now)?;
        let visit = Visit {
            id,
            tenant,
            site: request.site.clone(),
            visitor,
            purpose,
            host,
            window: VisitWindow {
                start: request.window_start,
                end: request.window_end,
            },
            zones_requested,
            zones_approved: BTreeSet::new(),
            state: VisitState::PreRegistered,
            registered_by: by.clone(),
            registered_at: now,
            decision: None,
            arrival: None,
            badge: None,
            signed_out: None,
            erased_at: None,
        };
        let audit = visit.audit(VisitAction::PreRegister, None, by, now);
        Ok((visit, audit))
    }

    /// Whether this visit is what `request` by `by` pre-registers, read as
    /// it was when the visit was registered: a client's retry of the same
    /// request, told from another request that reuses its idempotency key.
    pub fn registered_from(
        &self,
        request: &PreRegistration,
        by: &ActorId,
        settings: &VisitSettings,
    ) -> bool {
        let Ok((visitor, purpose, host, zones)) = request.checked(settings, self.registered_at)
        else {
            return false;
        };
        self.registered_by == *by
            && self.site == request.site
            && self.visitor == visitor
            && self.purpose == purpose
            && self.host == host
            && self.window.start == request.window_start
            && self.window.end == request.window_end
            && self.zones_requested == zones
    }
}
