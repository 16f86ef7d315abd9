//! The on-site list for an evacuation roll call: everyone a site's access
//! events last saw inside, and every visitor signed in and not out.
//!
//! Employees (and anyone the people register resolves) are placed by their
//! last granted access event at the site: inside unless it was an exit
//! reader (`direction` out) or an exit zone. A sighting older than
//! `forget_after` does not count (someone who went home through a door
//! without an exit reader is not searched for the next morning). Visitors
//! are on the list from sign-in to sign-out, whatever their badge last did,
//! because the visit, not a reader, says whether they left; their badge's
//! last event says where they were last seen, the front desk otherwise.
//! Badges nobody resolves and no visit holds are listed too: unknown is not
//! absent.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::Duration;
use serde::Serialize;
use vigil_model::{SiteId, TenantId, Timestamp};

use crate::access::AccessObservation;
use crate::ids::VisitId;
use crate::visit::Visit;

/// Who a list entry is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OnSiteKind {
    /// A person of the people register.
    Employee,
    /// A visitor, signed in and not out.
    Visitor,
    /// A badge seen inside that nobody resolves and no visit holds.
    UnknownBadge,
}

/// Where and when someone was last seen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LastSeen {
    /// When.
    pub at: Timestamp,
    /// The door (none: the front desk's sign-in).
    pub door: Option<String>,
    /// The zone (none: the front desk's sign-in).
    pub zone: Option<String>,
    /// Whether it was a way out (only a visitor's badge can be last seen
    /// leaving and still be listed).
    pub exit: bool,
}

/// One line of the roll call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OnSite {
    /// Employee, visitor or unknown badge.
    pub kind: OnSiteKind,
    /// The person id, the visit id or the badge.
    pub id: String,
    /// The name, when known (the register's, the visit's).
    pub name: Option<String>,
    /// The visit, for a visitor.
    pub visit: Option<VisitId>,
    /// The visitor's host (a person id).
    pub host: Option<String>,
    /// The badge last seen (or issued).
    pub badge: Option<String>,
    /// Last seen where and when.
    pub last_seen: LastSeen,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Holder {
    Person(String),
    Badge(String),
}

/// The last sighting per site and holder, fed by access events.
#[derive(Debug, Clone)]
pub struct RollCall {
    exit_zones: BTreeSet<String>,
    forget_after: Duration,
    last: HashMap<(TenantId, SiteId, Holder), (LastSeen, Option<String>)>,
}

impl RollCall {
    /// An empty roll call: `exit_zones` are zones that mean outside
    /// (`street`, `car-park`); sightings older than `forget_after` are not
    /// listed.
    pub fn new(exit_zones: BTreeSet<String>, forget_after: Duration) -> Self {
        Self {
            exit_zones,
            forget_after,
            last: HashMap::new(),
        }
    }

    /// Takes one access event: a grant at a site moves its holder (the
    /// resolved person, else the badge); denials move nobody.
    pub fn observe(&mut self, obs: &AccessObservation) {
        let (Some(site), true) = (&obs.site, obs.granted) else {
            return;
        };
        let holder = match (&obs.person, &obs.badge) {
            (Some(p), _) => Holder::Person(p.clone()),
            (None, Some(b)) => Holder::Badge(b.clone()),
            (None, None) => return,
        };
        let exit = obs.exit
            || obs
                .zone
                .as_ref()
                .is_some_and(|z| self.exit_zones.contains(z));
        let seen = LastSeen {
            at: obs.at,
            door: obs.door.clone(),
            zone: obs.zone.clone(),
            exit,
        };
        let key = (obs.tenant.clone(), site.clone(), holder);
        // Events may arrive out of order: the latest by event time wins.
        match self.last.get(&key) {
            Some((old, _)) if old.at > obs.at => {}
            _ => {
                self.last.insert(key, (seen, obs.badge.clone()));
            }
        }
    }

    /// Who is on `site` at `now`: employees by their last access event,
    /// visitors signed in and not out (`visits`: the tenant's), unknown
    /// badges; `names` gives employees' names by person id. Sorted by the
    /// zone last seen in (the desk's sign-ins last), then kind, then name.
    pub fn on_site<'a>(
        &self,
        tenant: &TenantId,
        site: &SiteId,
        visits: impl IntoIterator<Item = &'a Visit>,
        names: &BTreeMap<String, String>,
        now: Timestamp,
    ) -> Vec<OnSite> {
        let visits: Vec<&Visit> = visits.into_iter().filter(|v| &v.tenant == tenant).collect();
        let visitor_badges: BTreeSet<&str> = visits
            .iter()
            .filter_map(|v| v.badge.as_ref().map(|b| b.badge.as_str()))
            .collect();
        let horizon = now - self.forget_after;
        let mut out = Vec::new();
        for ((t, s, holder), (seen, badge)) in &self.last {
            if t != tenant || s != site || seen.exit || seen.at < horizon {
                continue;
            }
            match holder {
                Holder::Person(id) => out.push(OnSite {
                    kind: OnSiteKind::Employee,
                    id: id.clone(),
                    name: names.get(id).cloned(),
                    visit: None,
                    host: None,
                    badge: badge.clone(),
                    last_seen: seen.clone(),
                }),
                Holder::Badge(b) if !visitor_badges.contains(b.as_str()) => out.push(OnSite {
                    kind: OnSiteKind::UnknownBadge,
                    id: b.clone(),
                    name: None,
                    visit: None,
                    host: None,
                    badge: Some(b.clone()),
                    last_seen: seen.clone(),
                }),
                Holder::Badge(_) => {}
            }
        }
        for v in visits {
            if &v.site != site || !v.state.on_site() || v.erased_at.is_some() {
                continue;
            }
            let Some(arrival) = &v.arrival else { continue };
            let desk = LastSeen {
                at: arrival.at,
                door: None,
                zone: None,
                exit: false,
            };
            let last_seen = v
                .badge
                .as_ref()
                .and_then(|b| {
                    self.last
                        .get(&(tenant.clone(), site.clone(), Holder::Badge(b.badge.clone())))
                        .filter(|(seen, _)| seen.at >= b.issued_at)
                        .map(|(seen, _)| seen.clone())
                })
                .unwrap_or(desk);
            out.push(OnSite {
                kind: OnSiteKind::Visitor,
                id: v.id.to_string(),
                name: Some(v.visitor.name.clone()),
                visit: Some(v.id),
                host: Some(v.host.clone()),
                badge: v.badge.as_ref().map(|b| b.badge.clone()),
                last_seen,
            });
        }
        out.sort_by(|a, b| {
            (
                a.last_seen.zone.is_none(),
                &a.last_seen.zone,
                a.kind,
                &a.name,
                &a.id,
            )
                .cmp(&(
                    b.last_seen.zone.is_none(),
                    &b.last_seen.zone,
                    b.kind,
                    &b.name,
                    &b.id,
                ))
        });
        out
    }
}

#[cfg(test)]
mod tests {
    use chrono::Utc;

    use super::*;
    use crate::visit::VisitSettings;
    use crate::visit::tests::{actor, badged, passport, registered, secret};

    fn grant(
        at: Timestamp,
        site: &str,
        badge: &str,
        person: Option<&str>,
        zone: &str,
    ) -> AccessObservation {
        AccessObservation {
            tenant: TenantId::new("northgate").unwrap(),
            site: Some(SiteId::new(site).unwrap()),
            at,
            badge: Some(badge.into()),
            person: person.map(str::to_owned),
            door: Some(format!("d-{zone}")),
            zone: Some(zone.into()),
            granted: true,
            exit: false,
        }
    }

    #[test]
    fn the_roll_call_after_a_day_of_access_events() {
        let now = Utc::now();
        let s = Duration::minutes;
        let ng = TenantId::new("northgate").unwrap();
        let lon1 = SiteId::new("lon1").unwrap();
        let mut rc = RollCall::new(["street".to_owned()].into(), Duration::hours(16));

        // Visitors: V-1 badged and in the plant room; one signed in without a
        // badge; one signed out; one approved but not yet come.
        let v1 = badged(now - Duration::hours(2), "V-1");
        let mut desk_only = registered(now - Duration::hours(2));
        desk_only.id = VisitId::new_at(now, [3; 10]);
        desk_only.visitor.name = "Bob Visitor".into();
        desk_only.approve(actor("a"), None, None, now).unwrap();
        let arrived = desk_only.window.start;
        desk_only
            .arrive(
                actor("d"),
                &passport(),
                &VisitSettings::default(),
                &secret(),
                arrived,
            )
            .unwrap();
        let mut gone = badged(now - Duration::hours(2), "V-2");
        gone.id = VisitId::new_at(now, [4; 10]);
        gone.sign_out(actor("d"), now - s(20)).unwrap();
        let mut future = registered(now);
        future.id = VisitId::new_at(now, [5; 10]);

        let v1_issued = v1.badge.as_ref().unwrap().issued_at;
        let events = [
            grant(now - s(90), "lon1", "E-1", Some("ann"), "office"),
            grant(now - s(80), "lon1", "E-2", Some("ben"), "office"),
            grant(now - s(30), "lon1", "E-1", Some("ann"), "data-hall"),
            {
                let mut out = grant(now - s(10), "lon1", "E-2", Some("ben"), "lobby");
                out.exit = true;
                out
            },
            grant(now - s(70), "lon1", "E-3", Some("cat"), "street"),
            grant(now - s(60), "lon2", "E-4", Some("dan"), "office"),
            grant(
                now - Duration::hours(17),
                "lon1",
                "E-5",
                Some("eve"),
                "office",
            ),
            {
                let mut denied = grant(now - s(5), "lon1", "E-6", Some("fay"), "data-hall");
                denied.granted = false;
                denied
            },
            grant(v1_issued + s(5), "lon1", "V-1", None, "plant-room"),
            grant(now - s(25), "lon1", "V-2", None, "lobby"),
            grant(now - s(15), "lon1", "X-9", None, "loading-bay"),
        ];
        // Out of order on purpose: the latest event time wins.
        for e in events.iter().rev() {
            rc.observe(e);
        }
        let names: BTreeMap<String, String> = [("ann".to_owned(), "Ann Archer".to_owned())].into();
        let list = rc.on_site(&ng, &lon1, [&v1, &desk_only, &gone, &future], &names, now);
        let lines: Vec<(OnSiteKind, &str, Option<&str>)> = list
            .iter()
            .map(|l| (l.kind, l.id.as_str(), l.last_seen.zone.as_deref()))
            .collect();
        let v1_id = v1.id.to_string();
        let desk_id = desk_only.id.to_string();
        assert_eq!(
            lines,
            [
                (OnSiteKind::Employee, "ann", Some("data-hall")),
                (OnSiteKind::UnknownBadge, "X-9", Some("loading-bay")),
                (OnSiteKind::Visitor, v1_id.as_str(), Some("plant-room")),
                (OnSiteKind::Visitor, desk_id.as_str(), None),
            ]
        );
        assert_eq!(list[0].name.as_deref(), Some("Ann Archer"));
        assert_eq!(list[0].last_seen.at, now - s(30));
        assert_eq!(list[2].host.as_deref(), Some("emp-042"));
        assert_eq!(
            list[3].last_seen.at, arrived,
            "last seen signing in at the desk"
        );
        assert!(
            rc.on_site(&TenantId::new("other").unwrap(), &lon1, [&v1], &names, now)
                .is_empty()
        );
    }
}
