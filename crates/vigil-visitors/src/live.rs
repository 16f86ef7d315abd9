//! The visitors' live state, shared by the pipeline and the desk.
//!
//! The desk puts every visit it writes here ([`VisitorsLive::put_visit`]);
//! the pipeline's [`crate::detector::VisitorDetector`] feeds access events
//! in ([`VisitorsLive::observe`]), which judges them with the visitor rules
//! and moves the roll call; the API reads the roll call
//! ([`VisitorsLive::roll_call`]). State is bounded: visits are kept while
//! they matter to the rules (a badge is still judged for `keep_after` past
//! its visit's end), and the rules and roll call bound their own.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Mutex;

use chrono::Duration;
use vigil_model::{Event, SiteId, TenantId, Timestamp};

use crate::access::AccessObservation;
use crate::ids::VisitId;
use crate::retention::over_at;
use crate::roll_call::{OnSite, RollCall};
use crate::rules::{AlarmCandidate, RuleSettings, VisitorRules};
use crate::visit::Visit;

/// How one client's visitor rules and roll call are set.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TenantRules {
    /// Zones a visitor may enter only with their host.
    pub escort_zones: BTreeSet<String>,
    /// Zones that mean outside, for the roll call.
    pub exit_zones: BTreeSet<String>,
}

/// How the live state is bounded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveSettings {
    /// Each client's rules (a client not named has no escort zones and no
    /// exit zones).
    pub tenants: BTreeMap<TenantId, TenantRules>,
    /// How long after a visit is over its badge is still judged (a badge
    /// used the next day after sign-out is the point of the rule).
    pub keep_after: Duration,
    /// An employee's sighting older than this is not on the roll call.
    pub forget_after: Duration,
    /// Most visits kept per client.
    pub max_visits: usize,
}

impl Default for LiveSettings {
    fn default() -> Self {
        Self {
            tenants: BTreeMap::new(),
            keep_after: Duration::days(7),
            forget_after: Duration::hours(16),
            max_visits: 10_000,
        }
    }
}

#[derive(Debug, Default)]
struct TenantState {
    visits: BTreeMap<VisitId, Visit>,
    rules: Option<VisitorRules>,
    roll_call: Option<RollCall>,
}

/// The visits the rules need, the rules' state and the roll call.
#[derive(Debug)]
pub struct VisitorsLive {
    settings: LiveSettings,
    tenants: Mutex<HashMap<TenantId, TenantState>>,
}

impl Default for VisitorsLive {
    fn default() -> Self {
        Self::new(LiveSettings::default())
    }
}

impl VisitorsLive {
    /// Empty state with `settings`.
    pub fn new(settings: LiveSettings) -> Self {
        Self {
            settings,
            tenants: Mutex::new(HashMap::new()),
        }
    }

    fn with<T>(&self, tenant: &TenantId, f: impl FnOnce(&mut TenantState) -> T) -> T {
        let mut all = self.tenants.lock().unwrap_or_else(|p| p.into_inner());
        let state = all.entry(tenant.clone()).or_default();
        if state.rules.is_none() {
            let own = self
                .settings
                .tenants
                .get(tenant)
                .cloned()
                .unwrap_or_default();
            state.rules = Some(VisitorRules::new(RuleSettings {
                escort_zones: own.escort_zones,
                ..RuleSettings::default()
            }));
            state.roll_call = Some(RollCall::new(own.exit_zones, self.settings.forget_after));
        }
        f(state)
    }

    /// Takes a visit as the desk wrote it (new or changed). Erased visits
    /// are dropped: their badges were judged long ago.
    pub fn put_visit(&self, visit: Visit) {
        let max = self.settings.max_visits;
        self.with(&visit.tenant.clone(), |s| {
            if visit.erased_at.is_some() {
                s.visits.remove(&visit.id);
                return;
            }
            s.visits.insert(visit.id, visit);
            // Visit ids are time-ordered: past the bound, the oldest go.
            while s.visits.len() > max {
                s.visits.pop_first();
            }
        });
    }

    /// Drops the visits over for longer than `keep_after` at `now`.
    pub fn prune(&self, now: Timestamp) {
        let keep = self.settings.keep_after;
        let mut all = self.tenants.lock().unwrap_or_else(|p| p.into_inner());
        for state in all.values_mut() {
            state
                .visits
                .retain(|_, v| over_at(v, now).is_none_or(|over| over + keep > now));
        }
    }

    /// Judges one event: an access grant or denial goes to the visitor
    /// rules and the roll call; anything else is ignored.
    pub fn observe_event(&self, event: &Event) -> Vec<AlarmCandidate> {
        match AccessObservation::from_event(event) {
            Some(obs) => self.observe(&obs),
            None => Vec::new(),
        }
    }

    /// Judges one access observation and moves the roll call.
    pub fn observe(&self, obs: &AccessObservation) -> Vec<AlarmCandidate> {
        self.with(&obs.tenant.clone(), |s| {
            if let Some(r) = s.roll_call.as_mut() {
                r.observe(obs);
            }
            match s.rules.as_mut() {
                Some(rules) => rules.observe(obs, s.visits.values()),
                None => Vec::new(),
            }
        })
    }

    /// Who is on `tenant`'s `site` at `now` (`names`: employees' names by
    /// person id, when known).
    pub fn roll_call(
        &self,
        tenant: &TenantId,
        site: &SiteId,
        names: &BTreeMap<String, String>,
        now: Timestamp,
    ) -> Vec<OnSite> {
        self.with(tenant, |s| match s.roll_call.as_ref() {
            Some(r) => r.on_site(tenant, site, s.visits.values(), names, now),
            None => Vec::new(),
        })
    }

    /// Decides every client's escort checks whose window closed before
    /// `now` (the desk's clock): a visitor who went into an escort zone and
    /// whose host never followed is an alarm even when no later event of
    /// that client comes to decide it.
    pub fn expire(&self, now: Timestamp) -> Vec<AlarmCandidate> {
        let mut all = self.tenants.lock().unwrap_or_else(|p| p.into_inner());
        all.values_mut()
            .filter_map(|s| s.rules.as_mut())
            .flat_map(|rules| rules.expire(now))
            .collect()
    }

    /// How many visits are kept for `tenant` (for tests and metrics).
    pub fn visits_kept(&self, tenant: &TenantId) -> usize {
        self.with(tenant, |s| s.visits.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::VisitorRule;
    use crate::visit::tests::{actor, badged};

    fn access(visit: &Visit, badge: &str, zone: &str, at: Timestamp) -> AccessObservation {
        AccessObservation {
            tenant: visit.tenant.clone(),
            site: Some(visit.site.clone()),
            at,
            badge: Some(badge.into()),
            person: None,
            door: Some("d1".into()),
            zone: Some(zone.into()),
            granted: true,
            exit: false,
        }
    }

    #[test]
    fn a_badged_visit_is_judged_and_listed_until_signed_out_and_pruned_later() {
        let live = VisitorsLive::default();
        let mut v = badged(chrono::Utc::now(), "V-9");
        let at = v.window.start;
        live.put_visit(v.clone());
        let names = BTreeMap::new();
        assert_eq!(live.roll_call(&v.tenant, &v.site, &names, at).len(), 1);
        let hits = live.observe(&access(&v, "V-9", "vault", at + Duration::minutes(5)));
        assert_eq!(hits.len(), 1, "{hits:?}");
        assert_eq!(hits[0].rule, VisitorRule::ZoneNotGranted);
        // A near miss: an approved zone.
        assert!(
            live.observe(&access(&v, "V-9", "lobby", at + Duration::minutes(6)))
                .is_empty()
        );
        let out = at + Duration::minutes(10);
        v.sign_out(actor("desk-1"), out).unwrap();
        live.put_visit(v.clone());
        assert!(live.roll_call(&v.tenant, &v.site, &names, out).is_empty());
        let after = live.observe(&access(&v, "V-9", "lobby", out + Duration::minutes(1)));
        assert_eq!(after[0].rule, VisitorRule::AfterSignOut);
        live.prune(out + Duration::days(6));
        assert_eq!(live.visits_kept(&v.tenant), 1);
        live.prune(out + Duration::days(8));
        assert_eq!(live.visits_kept(&v.tenant), 0);
    }

    #[test]
    fn an_escort_check_nobody_settles_is_decided_on_the_desks_clock() {
        let v = badged(chrono::Utc::now(), "V-4");
        let mut settings = LiveSettings::default();
        settings.tenants.insert(
            v.tenant.clone(),
            TenantRules {
                escort_zones: ["plant-room".to_owned()].into(),
                exit_zones: BTreeSet::new(),
            },
        );
        let live = VisitorsLive::new(settings);
        live.put_visit(v.clone());
        let at = v.window.start + Duration::minutes(5);
        // In without the host: the check waits for the host's 30 seconds.
        assert!(
            live.observe(&access(&v, "V-4", "plant-room", at))
                .is_empty()
        );
        // No event comes; the clock decides, not a second early.
        assert!(live.expire(at + Duration::seconds(30)).is_empty());
        let due = live.expire(at + Duration::seconds(31));
        assert_eq!(due.len(), 1, "{due:?}");
        assert_eq!(due[0].rule, VisitorRule::EscortMissing);
        assert_eq!(due[0].badge.as_deref(), Some("V-4"));
        assert_eq!(due[0].at, at);
        // Decided once.
        assert!(live.expire(at + Duration::minutes(5)).is_empty());
    }

    #[test]
    fn an_erased_visit_is_dropped() {
        let live = VisitorsLive::default();
        let mut v = badged(chrono::Utc::now(), "V-1");
        live.put_visit(v.clone());
        v.erased_at = Some(v.window.end);
        live.put_visit(v.clone());
        assert_eq!(live.visits_kept(&v.tenant), 0);
    }
}
