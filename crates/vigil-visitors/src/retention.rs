//! Retention of visitor data: when a visit is over, its personal data is
//! kept for the client's governance period and then erased, leaving a
//! record of identifiers (visit, tenant, site, host, badge, zones, times,
//! actors) for the forensic trail.
//!
//! A visit is over when the visitor signed out, when it was refused, or —
//! for a visitor who never came — when its window ended. A visitor on site
//! is never erased. The period is the client's retention for visitor data
//! (`None`: kept until the client says otherwise); legal holds are the
//! caller's to apply before erasing, as for every other class of data.

use chrono::Duration;
use vigil_model::Timestamp;

use crate::ids::{ActorId, VisitId};
use crate::visit::{RecordedDocument, Visit, VisitAction, VisitAudit, VisitError, VisitState};

/// When a visit's personal data stopped being needed, if it has.
pub fn over_at(visit: &Visit, now: Timestamp) -> Option<Timestamp> {
    match visit.state {
        VisitState::SignedOut => visit.signed_out.as_ref().map(|s| s.at),
        VisitState::Refused => visit.decision.as_ref().map(|d| d.at),
        VisitState::PreRegistered | VisitState::Approved => {
            (visit.window.end < now).then_some(visit.window.end)
        }
        VisitState::Arrived | VisitState::BadgeIssued => None,
    }
}

/// The visits whose personal data must be erased at `now` under the
/// client's `retention` for visitor data: over for at least that long and
/// not yet erased.
pub fn due_for_erasure<'a>(
    visits: impl IntoIterator<Item = &'a Visit>,
    retention: Option<Duration>,
    now: Timestamp,
) -> Vec<VisitId> {
    let Some(retention) = retention else {
        return Vec::new();
    };
    visits
        .into_iter()
        .filter(|v| v.erased_at.is_none())
        .filter(|v| over_at(v, now).is_some_and(|over| over + retention <= now))
        .map(|v| v.id)
        .collect()
}

/// The text left where personal data was.
pub const ERASED: &str = "";

impl Visit {
    /// The visit with its personal data blanked: the visitor's name and
    /// company, the purpose, a refusal's reason and the document's hash.
    /// Identifiers, states, times and actors stay.
    pub fn erased(&self, now: Timestamp) -> Visit {
        let mut v = self.clone();
        v.visitor.name = ERASED.to_owned();
        v.visitor.company = ERASED.to_owned();
        v.purpose = ERASED.to_owned();
        if let Some(d) = v.decision.as_mut() {
            d.reason = None;
        }
        if let Some(a) = v.arrival.as_mut() {
            a.document = RecordedDocument::NotRecorded;
        }
        v.erased_at = Some(now);
        v
    }

    /// Erases the visit's personal data in place (see [`Visit::erased`]),
    /// refusing while the visitor is on site or when already erased.
    pub fn erase(&mut self, by: ActorId, now: Timestamp) -> Result<VisitAudit, VisitError> {
        if self.erased_at.is_some() {
            return Err(VisitError::Erased);
        }
        if self.state.on_site() {
            return Err(VisitError::IllegalTransition {
                from: self.state,
                action: VisitAction::Erase,
            });
        }
        *self = self.erased(now);
        Ok(VisitAudit {
            tenant: self.tenant.clone(),
            site: self.site.clone(),
            visit: self.id,
            action: VisitAction::Erase,
            from: Some(self.state),
            to: self.state,
            actor: by,
            at: now,
            badge: None,
        })
    }
}

#[cfg(test)]
mod tests {
    use chrono::Utc;

    use super::*;
    use crate::visit::tests::{actor, badged, registered};

    #[test]
    fn visits_are_erased_a_retention_period_after_they_end_and_not_a_second_before() {
        let now = Utc::now();
        let days = Duration::days(30);
        let s = Duration::seconds(1);
        let mut left = badged(now - Duration::days(40), "V-1");
        left.sign_out(actor("desk"), now - days).unwrap();
        let mut recent = badged(now - Duration::days(40), "V-2");
        recent.id = VisitId::new_at(now, [2; 10]);
        recent.sign_out(actor("desk"), now - days + s).unwrap();
        let mut refused = registered(now - Duration::days(40));
        refused.id = VisitId::new_at(now, [3; 10]);
        refused.refuse(actor("a"), "no", now - days).unwrap();
        let mut no_show = registered(now - Duration::days(40));
        no_show.id = VisitId::new_at(now, [4; 10]);
        let mut on_site = badged(now - Duration::days(40), "V-3");
        on_site.id = VisitId::new_at(now, [5; 10]);
        let visits = [&left, &recent, &refused, &no_show, &on_site];

        let due = due_for_erasure(visits, Some(days), now);
        assert_eq!(due, [left.id, refused.id, no_show.id]);
        assert!(
            due_for_erasure(visits, None, now).is_empty(),
            "no period: kept"
        );
        let later = due_for_erasure(visits, Some(days), now + s);
        assert!(later.contains(&recent.id) && !later.contains(&on_site.id));
    }

    #[test]
    fn the_erased_form_keeps_identifiers_only() {
        let now = Utc::now();
        let mut v = badged(now - Duration::days(40), "V-1");
        v.sign_out(actor("desk"), now - Duration::days(31)).unwrap();
        let audit = v.erase(actor("retention"), now).unwrap();
        assert_eq!(audit.action, VisitAction::Erase);
        let json = serde_json::to_string(&v).unwrap();
        for personal in ["Zoë", "Kowalski", "Acme", "Lift maintenance", "\"hash\""] {
            assert!(!json.contains(personal), "{personal} in {json}");
        }
        for kept in [
            "V-1",
            "emp-042",
            "plant-room",
            "desk-1",
            "approver-1",
            "lon1",
        ] {
            assert!(json.contains(kept), "{kept} lost from {json}");
        }
        assert_eq!(v.erase(actor("retention"), now), Err(VisitError::Erased));
        assert!(due_for_erasure([&v], Some(Duration::days(1)), now).is_empty());
        let mut on_site = badged(now, "V-2");
        assert!(matches!(
            on_site.erase(actor("retention"), now),
            Err(VisitError::IllegalTransition { .. })
        ));
        let mut refused = registered(now);
        refused
            .refuse(actor("a"), "the host asked us to", now)
            .unwrap();
        refused.erase(actor("retention"), now).unwrap();
        assert_eq!(refused.decision.as_ref().unwrap().reason, None);
    }
}
