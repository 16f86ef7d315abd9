//! Visitor badge events judged against the visit, and watchlist hits, as
//! alarm candidates.
//!
//! For an access event whose badge is bound to a visit (the visit that was
//! issued that badge last before the event — temporary badges are reused):
//! - **after sign-out**: the badge is used after the visitor signed out;
//! - **outside the window**: the badge is used before it became valid or
//!   after the window's end (both ends are inside);
//! - **zone not granted**: access was granted into a zone the visit was not
//!   approved for;
//! - **escort missing**: access was granted into an escort-required zone and
//!   the host (the `person_id` the people register resolves) was not seen
//!   granted at the same door or into the same zone within the escort
//!   window, before or after. A visitor who goes first is given the window
//!   for the host to follow: the check waits and is decided by a later event
//!   or by [`VisitorRules::expire`].
//!
//! Denied reads count for the first two (a returned or expired badge being
//! tried is worth a look) at a lower severity; the zone and escort rules
//! judge only grants (a denial means the access-control system held). Exit
//! readers are never judged for zones or escort.

mod escort;

#[cfg(test)]
mod tests;

use std::collections::BTreeSet;

use chrono::Duration;
use serde::Serialize;
use vigil_model::{Severity, SiteId, TenantId, Timestamp};

use crate::access::AccessObservation;
use crate::ids::VisitId;
use crate::visit::{BadgeBinding, Visit};
use crate::watchlist::{MatchBasis, MatchedList, WatchlistMatch};

use escort::Escorts;

/// The visitor rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum VisitorRule {
    /// A visitor badge granted into a zone the visit does not include.
    ZoneNotGranted,
    /// A visitor badge used outside its window.
    OutsideWindow,
    /// A visitor badge used after the visitor signed out.
    AfterSignOut,
    /// A visitor in an escort-required zone without their host.
    EscortMissing,
    /// A visitor matching the client's watchlist.
    ClientWatchlist,
    /// A visitor matching the provider's watchlist.
    ProviderWatchlist,
}

impl VisitorRule {
    /// The rule's stable id (a UUID, like the converged rules').
    pub fn id(self) -> &'static str {
        match self {
            VisitorRule::ZoneNotGranted => "2ac7ad10-3390-45ba-834f-651d1c73bd16",
            VisitorRule::OutsideWindow => "93d785a2-b47c-4956-85cf-02a67778e756",
            VisitorRule::AfterSignOut => "14c62362-568b-4d50-b955-78cc939603c2",
            VisitorRule::EscortMissing => "b2a6a54e-837a-4976-aff6-234e724ef6b9",
            VisitorRule::ClientWatchlist => "75d3a83d-98f4-4801-8aa2-4e9dfdb328d2",
            VisitorRule::ProviderWatchlist => "c79688ca-bf3a-4a8b-9465-2626cb34bc20",
        }
    }

    /// The rule's title.
    pub fn title(self) -> &'static str {
        match self {
            VisitorRule::ZoneNotGranted => "Visitor Badge Granted Into a Zone Not Approved",
            VisitorRule::OutsideWindow => "Visitor Badge Used Outside Its Window",
            VisitorRule::AfterSignOut => "Visitor Badge Used After Sign-Out",
            VisitorRule::EscortMissing => "Visitor in an Escort-Required Zone Without Their Host",
            VisitorRule::ClientWatchlist => "Visitor Matches the Client's Watchlist",
            VisitorRule::ProviderWatchlist => "Visitor Matches the Provider's Watchlist",
        }
    }
}

/// What the rules raise: identifiers only; the desk turns it into an alarm.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AlarmCandidate {
    /// Which rule.
    pub rule: VisitorRule,
    /// The rule's id.
    pub rule_id: &'static str,
    /// How bad.
    pub severity: Severity,
    /// The rule's title.
    pub title: &'static str,
    /// The client.
    pub tenant: TenantId,
    /// The visit's site.
    pub site: SiteId,
    /// The visit.
    pub visit: VisitId,
    /// When (the event's time, or the screening's).
    pub at: Timestamp,
    /// The badge, for badge rules.
    pub badge: Option<String>,
    /// The door, for badge rules.
    pub door: Option<String>,
    /// The zone, for badge rules.
    pub zone: Option<String>,
    /// The watchlist hit, for watchlist rules.
    pub watchlist: Option<WatchlistMatch>,
}

impl AlarmCandidate {
    fn badge(
        rule: VisitorRule,
        severity: Severity,
        visit: &Visit,
        obs: &AccessObservation,
    ) -> Self {
        Self {
            rule,
            rule_id: rule.id(),
            severity,
            title: rule.title(),
            tenant: visit.tenant.clone(),
            site: visit.site.clone(),
            visit: visit.id,
            at: obs.at,
            badge: obs.badge.clone(),
            door: obs.door.clone(),
            zone: obs.zone.clone(),
            watchlist: None,
        }
    }
}

/// The alarm a watchlist hit raises for `visit` at `at`: high on a document
/// or a name with a matching birth date, medium on a name alone.
pub fn watchlist_alarm(visit: &Visit, hit: &WatchlistMatch, at: Timestamp) -> AlarmCandidate {
    let rule = match hit.list {
        MatchedList::Client { .. } => VisitorRule::ClientWatchlist,
        MatchedList::Provider => VisitorRule::ProviderWatchlist,
    };
    let severity = match hit.basis {
        MatchBasis::Document | MatchBasis::NameAndBirthDate => Severity::High,
        MatchBasis::Name => Severity::Medium,
    };
    AlarmCandidate {
        rule,
        rule_id: rule.id(),
        severity,
        title: rule.title(),
        tenant: visit.tenant.clone(),
        site: visit.site.clone(),
        visit: visit.id,
        at,
        badge: None,
        door: None,
        zone: None,
        watchlist: Some(hit.clone()),
    }
}

/// How the client's visitor rules are set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleSettings {
    /// Zones a visitor may only enter with their host.
    pub escort_zones: BTreeSet<String>,
    /// How far apart the host's and the visitor's badges may be seen.
    pub escort_window: Duration,
    /// Most host sightings and open escort checks kept (state is bounded).
    pub max_tracked: usize,
}

impl Default for RuleSettings {
    fn default() -> Self {
        Self {
            escort_zones: BTreeSet::new(),
            escort_window: Duration::seconds(30),
            max_tracked: 10_000,
        }
    }
}

/// The visit `badge` belonged to at `at`: of the tenant's visits that were
/// issued that badge at or before `at`, the one issued last.
pub fn visit_for_badge<'a>(
    visits: impl IntoIterator<Item = &'a Visit>,
    tenant: &TenantId,
    badge: &str,
    at: Timestamp,
) -> Option<(&'a Visit, &'a BadgeBinding)> {
    visits
        .into_iter()
        .filter(|v| &v.tenant == tenant)
        .filter_map(|v| v.badge.as_ref().map(|b| (v, b)))
        .filter(|(_, b)| b.badge == badge && b.issued_at <= at)
        .max_by_key(|(_, b)| b.issued_at)
}

/// The visitor rules' state: host sightings and open escort checks.
#[derive(Debug)]
pub struct VisitorRules {
    settings: RuleSettings,
    escorts: Escorts,
}

impl VisitorRules {
    /// Rules with `settings`.
    pub fn new(settings: RuleSettings) -> Self {
        Self {
            escorts: Escorts::new(settings.escort_window, settings.max_tracked),
            settings,
        }
    }

    /// Judges one access event against `visits` (the tenant's visits with
    /// badges; others are ignored). Also decides the tenant's escort checks
    /// whose window closed before the event.
    pub fn observe<'a>(
        &mut self,
        obs: &AccessObservation,
        visits: impl IntoIterator<Item = &'a Visit>,
    ) -> Vec<AlarmCandidate> {
        let mut out = Vec::new();
        let visit = obs
            .badge
            .as_deref()
            .and_then(|b| visit_for_badge(visits, &obs.tenant, b, obs.at));
        match visit {
            Some((visit, badge)) => self.judge(obs, visit, badge, &mut out),
            None => {
                if obs.granted {
                    self.escorts.host_seen(obs);
                }
            }
        }
        // An event's time moves only its own tenant's clock: tenants are
        // partitioned apart and their devices' clocks differ.
        out.extend(self.escorts.expire(Some(&obs.tenant), obs.at));
        out
    }

    /// Decides the escort checks whose window closed before `now` (call it
    /// on the desk's clock when no events come).
    pub fn expire(&mut self, now: Timestamp) -> Vec<AlarmCandidate> {
        self.escorts.expire(None, now)
    }

    fn judge(
        &mut self,
        obs: &AccessObservation,
        visit: &Visit,
        badge: &BadgeBinding,
        out: &mut Vec<AlarmCandidate>,
    ) {
        let misuse = if obs.granted {
            Severity::High
        } else {
            Severity::Medium
        };
        if let Some(gone) = &visit.signed_out
            && obs.at > gone.at
        {
            out.push(AlarmCandidate::badge(
                VisitorRule::AfterSignOut,
                misuse,
                visit,
                obs,
            ));
            return;
        }
        if obs.at < badge.valid_from || obs.at > badge.valid_until {
            out.push(AlarmCandidate::badge(
                VisitorRule::OutsideWindow,
                misuse,
                visit,
                obs,
            ));
            return;
        }
        if !obs.granted || obs.exit {
            return;
        }
        let Some(zone) = obs.zone.as_deref() else {
            return;
        };
        if !badge.zones.contains(zone) {
            out.push(AlarmCandidate::badge(
                VisitorRule::ZoneNotGranted,
                Severity::High,
                visit,
                obs,
            ));
        }
        if self.settings.escort_zones.contains(zone)
            && let Some(alarm) = self.escorts.visitor_entered(obs, visit)
        {
            out.push(alarm);
        }
    }
}
