//! Data governance as a domain: how long each class of each client's data
//! is kept, legal holds that suspend deletion, and the retention plan — what
//! to delete, given the policy, the holds and `now`.
//!
//! Pure: the plan is a function of its inputs; `service/governance.rs`
//! reads the holds, runs the plan against the store under a lease, and the
//! store records each deletion's proof in the audit chain
//! ([`vigil_store::governance`]).

use std::collections::{BTreeMap, BTreeSet};

use chrono::Duration;
use serde::{Deserialize, Serialize};
use vigil_model::{AlertId, TenantId, Timestamp};
pub use vigil_store::governance::DataClass;

use crate::DeskError;
use crate::record::DeskObject;

/// Reads a retention period: a whole number and a unit — `d` (days), `h`
/// (hours) or `w` (weeks) — such as `90d`; `forever` keeps the data.
/// `Ok(None)` is "forever".
pub fn parse_period(text: &str) -> Result<Option<Duration>, String> {
    let text = text.trim();
    if text == "forever" {
        return Ok(None);
    }
    let bad = || {
        format!(
            "`{}` is not a retention period; write a whole number and a unit (d, h or w) such as `90d`, or `forever`",
            text.chars().take(40).collect::<String>()
        )
    };
    let (digits, unit) = text.split_at(text.len().saturating_sub(1));
    let n: i64 = digits.parse().map_err(|_| bad())?;
    if n <= 0 || n > 100 * 366 {
        return Err(bad());
    }
    match unit {
        "d" => Ok(Some(Duration::days(n))),
        "h" => Ok(Some(Duration::hours(n))),
        "w" => Ok(Some(Duration::weeks(n))),
        _ => Err(bad()),
    }
}

/// `[retention]` or `[tenants.retention]`: a period per class, as written.
/// A class left out takes the default (for a client: the `[retention]`
/// value; for `[retention]`: kept forever, except events, see
/// [`RetentionPolicy`]).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RetentionConfig {
    /// The event archive (`"90d"`).
    pub events: Option<String>,
    /// Alerts and the alarms over them.
    pub alerts: Option<String>,
    /// Closed incidents and what hangs off them.
    pub incidents: Option<String>,
    /// Dead letters.
    pub dead_letters: Option<String>,
    /// Visitors' personal data, from the end of a visit: erased, not
    /// deleted (the visit stays as a record of identifiers).
    pub visitors: Option<String>,
}

impl RetentionConfig {
    /// The periods this section sets (`None` inside: kept forever), checked;
    /// an error names `place` and the class.
    pub fn periods(&self, place: &str) -> Result<BTreeMap<DataClass, Option<Duration>>, DeskError> {
        let mut out = BTreeMap::new();
        for (class, text) in [
            (DataClass::Events, &self.events),
            (DataClass::Alerts, &self.alerts),
            (DataClass::Incidents, &self.incidents),
            (DataClass::DeadLetters, &self.dead_letters),
            (DataClass::Visitors, &self.visitors),
        ] {
            if let Some(text) = text {
                let period = parse_period(text).map_err(|reason| DeskError::Config {
                    source_name: format!("{place} {class}"),
                    reason,
                })?;
                out.insert(class, period);
            }
        }
        Ok(out)
    }
}

/// How long each class of each client's data is kept, and the clients
/// held by configuration.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RetentionPolicy {
    /// Per class, for every client without an override (absent: forever).
    pub defaults: BTreeMap<DataClass, Duration>,
    /// Per client, the classes it overrides (`None`: kept forever).
    pub tenants: BTreeMap<TenantId, BTreeMap<DataClass, Option<Duration>>>,
    /// Clients under a legal hold set in configuration, with its reason.
    pub config_holds: BTreeMap<TenantId, String>,
}

impl RetentionPolicy {
    /// Events kept for `period`, everything else forever (the behaviour
    /// before per-class retention).
    pub fn events_only(period: Option<Duration>) -> Self {
        Self {
            defaults: period
                .map(|p| BTreeMap::from([(DataClass::Events, p)]))
                .unwrap_or_default(),
            ..Self::default()
        }
    }

    /// How long `class` of `tenant` is kept (`None`: forever).
    pub fn period(&self, tenant: &TenantId, class: DataClass) -> Option<Duration> {
        match self.tenants.get(tenant).and_then(|o| o.get(&class)) {
            Some(over) => *over,
            None => self.defaults.get(&class).copied(),
        }
    }

    /// Whether anything is ever deleted (or erased) under this policy.
    pub fn deletes_anything(&self) -> bool {
        !self.defaults.is_empty()
            || self
                .tenants
                .values()
                .any(|o| o.values().any(Option::is_some))
    }
}

/// What a legal hold holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "scope", rename_all = "snake_case")]
pub enum HoldScope {
    /// Everything the client owns.
    Tenant,
    /// One incident, with its alarms and their evidence.
    Incident {
        /// The incident's id.
        incident: String,
    },
}

/// A legal hold: deletion of what it holds is suspended until it is lifted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LegalHold {
    /// The client.
    pub tenant: TenantId,
    /// What it holds.
    #[serde(flatten)]
    pub scope: HoldScope,
    /// Why (a matter, a request), as given.
    pub reason: String,
    /// Who placed it (a token name, or `config` for one set in `vigil.toml`).
    pub placed_by: String,
    /// When (for a configured hold: when the node started).
    pub placed_at: Timestamp,
}

impl LegalHold {
    /// The record id of a hold on `scope` of `tenant`: one hold per thing.
    pub fn id_of(tenant: &TenantId, scope: &HoldScope) -> String {
        match scope {
            HoldScope::Tenant => format!("tenant:{tenant}"),
            HoldScope::Incident { incident } => format!("incident:{tenant}:{incident}"),
        }
    }
}

impl DeskObject for LegalHold {
    const KIND: &'static str = "legal_hold";
    fn id(&self) -> String {
        Self::id_of(&self.tenant, &self.scope)
    }
    fn tenant(&self) -> Option<TenantId> {
        Some(self.tenant.clone())
    }
    fn status(&self) -> String {
        "held".into()
    }
    fn at(&self) -> Timestamp {
        self.placed_at
    }
    fn updated_at(&self) -> Timestamp {
        self.placed_at
    }
}

/// A legal hold's reason, checked: something a person can read later.
pub fn check_reason(reason: &str) -> Result<String, DeskError> {
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(DeskError::invalid(
            "reason",
            "a legal hold needs a reason (the matter or request it serves)",
        ));
    }
    if reason.chars().count() > 500 {
        return Err(DeskError::invalid(
            "reason",
            "at most 500 characters; refer to the matter rather than copying it",
        ));
    }
    Ok(reason.to_owned())
}

/// Where a client's data may be stored, or where a store is: a path of
/// region codes from the widest down (`EU`, `EU/DE`, `UK`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Residency(String);

impl Residency {
    /// Reads a tag: one to four codes of 2–8 capital letters or digits,
    /// joined by `/`.
    pub fn parse(text: &str) -> Result<Self, String> {
        let ok = |code: &str| {
            (2..=8).contains(&code.len())
                && code
                    .bytes()
                    .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
        };
        let codes: Vec<&str> = text.split('/').collect();
        if codes.len() > 4 || !codes.iter().all(|c| ok(c)) {
            return Err(format!(
                "`{}` is not a residency tag; write region codes from the widest down, capitals, joined by `/` (`EU`, `EU/DE`)",
                text.chars().take(40).collect::<String>()
            ));
        }
        Ok(Self(text.to_owned()))
    }

    /// The tag as written.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether a client that must stay in `self` may be stored in a store
    /// at `store`: the store's place lies within the client's (`EU` data
    /// may sit in `EU/DE`; `EU/DE` data may not sit in `EU`, which could be
    /// anywhere in the union, nor in `EU/FR`).
    pub fn admits(&self, store: &Residency) -> bool {
        let mut within = store.0.split('/');
        self.0.split('/').all(|code| within.next() == Some(code))
    }
}

impl std::fmt::Display for Residency {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for Residency {
    type Error = String;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<Residency> for String {
    fn from(r: Residency) -> Self {
        r.0
    }
}

/// Checks that every client's residency admits the store's; an error
/// names the first client that does not fit and both tags.
pub fn check_residency<'a>(
    store: Option<&Residency>,
    clients: impl IntoIterator<Item = (&'a TenantId, &'a Residency)>,
) -> Result<(), String> {
    for (tenant, wants) in clients {
        match store {
            Some(at) if wants.admits(at) => {}
            Some(at) => {
                return Err(format!(
                    "tenant `{tenant}` must stay in `{wants}`, but the store is tagged `{at}` ([store] residency); its data may not be placed there"
                ));
            }
            None => {
                return Err(format!(
                    "tenant `{tenant}` must stay in `{wants}`, but the store has no residency tag; set [store] residency to where it is"
                ));
            }
        }
    }
    Ok(())
}

/// One deletion the retention job is to make.
#[derive(Debug, Clone, PartialEq)]
pub struct Expiry {
    /// The client.
    pub tenant: TenantId,
    /// The class.
    pub class: DataClass,
    /// Records older than this go.
    pub before: Timestamp,
    /// Incidents held.
    pub keep_incidents: Vec<String>,
    /// The alarms (alerts) of held incidents, kept with their evidence.
    pub keep_alerts: Vec<AlertId>,
}

/// What is held, as the plan needs it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Holds {
    /// Clients held whole (by configuration or a placed hold).
    pub tenants: BTreeSet<TenantId>,
    /// Held incidents per client, with their alarms.
    pub incidents: BTreeMap<TenantId, Vec<(String, Vec<AlertId>)>>,
}

/// The retention plan at `now`: for every client not held whole, every
/// class with a period, the cutoff and what is held within it.
pub fn plan(
    policy: &RetentionPolicy,
    tenants: &[TenantId],
    holds: &Holds,
    now: Timestamp,
) -> Vec<Expiry> {
    let mut out = Vec::new();
    for tenant in tenants {
        if holds.tenants.contains(tenant) || policy.config_holds.contains_key(tenant) {
            continue;
        }
        let held = holds
            .incidents
            .get(tenant)
            .map(Vec::as_slice)
            .unwrap_or(&[]);
        // Visitors' data is erased by the desk's visitor retention, not
        // deleted by the store.
        for class in DataClass::ALL.into_iter().filter(|c| c.deleted_by_store()) {
            let Some(period) = policy.period(tenant, class) else {
                continue;
            };
            out.push(Expiry {
                tenant: tenant.clone(),
                class,
                before: now - period,
                keep_incidents: held.iter().map(|(id, _)| id.clone()).collect(),
                keep_alerts: held.iter().flat_map(|(_, a)| a.iter().copied()).collect(),
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tenant(id: &str) -> TenantId {
        TenantId::new(id).unwrap()
    }

    #[test]
    fn periods_read_with_their_unit_and_mistakes_are_named() {
        assert_eq!(parse_period("90d").unwrap(), Some(Duration::days(90)));
        assert_eq!(parse_period("12h").unwrap(), Some(Duration::hours(12)));
        assert_eq!(parse_period("2w").unwrap(), Some(Duration::weeks(2)));
        assert_eq!(parse_period("forever").unwrap(), None);
        for bad in ["90", "0d", "-1d", "d", "90m", "ninety days", ""] {
            let err = parse_period(bad).unwrap_err();
            assert!(err.contains("not a retention period"), "{bad}: {err}");
        }
        let config = RetentionConfig {
            alerts: Some("1y".into()),
            ..Default::default()
        };
        let err = config.periods("[tenants.retention] of `acme`").unwrap_err();
        assert!(
            err.to_string().contains("`acme`") && err.to_string().contains("alerts"),
            "{err}"
        );
    }

    #[test]
    fn a_client_override_wins_and_forever_means_never() {
        let a = tenant("acme");
        let b = tenant("bolt");
        let mut policy = RetentionPolicy::events_only(Some(Duration::days(30)));
        policy
            .defaults
            .insert(DataClass::DeadLetters, Duration::days(7));
        policy.tenants.insert(
            a.clone(),
            BTreeMap::from([
                (DataClass::Events, Some(Duration::days(365))),
                (DataClass::DeadLetters, None),
            ]),
        );
        assert_eq!(
            policy.period(&a, DataClass::Events),
            Some(Duration::days(365))
        );
        assert_eq!(policy.period(&a, DataClass::DeadLetters), None);
        assert_eq!(
            policy.period(&b, DataClass::Events),
            Some(Duration::days(30))
        );
        assert_eq!(policy.period(&b, DataClass::Alerts), None);
        assert!(policy.deletes_anything());
        assert!(!RetentionPolicy::events_only(None).deletes_anything());
    }

    #[test]
    fn residency_fits_within_and_nowhere_else() {
        let r = |s: &str| Residency::parse(s).unwrap();
        assert!(r("EU").admits(&r("EU/DE")));
        assert!(r("EU/DE").admits(&r("EU/DE")));
        assert!(!r("EU/DE").admits(&r("EU")));
        assert!(!r("EU/DE").admits(&r("EU/FR")));
        assert!(!r("EU").admits(&r("EUR")));
        for bad in ["", "eu", "EU/", "E", "EU//DE", "EU/DE/X1/Y1/Z1", "EU DE"] {
            assert!(Residency::parse(bad).is_err(), "{bad}");
        }
        let ng = tenant("northgate");
        let wants = r("EU/DE");
        let err = check_residency(Some(&r("EU/FR")), [(&ng, &wants)]).unwrap_err();
        assert!(
            err.contains("`northgate`") && err.contains("`EU/DE`") && err.contains("`EU/FR`"),
            "{err}"
        );
        let err = check_residency(None, [(&ng, &wants)]).unwrap_err();
        assert!(err.contains("no residency tag"), "{err}");
        check_residency(Some(&r("EU/DE")), [(&ng, &wants)]).unwrap();
    }

    #[test]
    fn the_plan_skips_held_clients_and_carries_held_incidents() {
        let (a, b, c) = (tenant("acme"), tenant("bolt"), tenant("cord"));
        let mut policy = RetentionPolicy::events_only(Some(Duration::days(30)));
        policy
            .defaults
            .insert(DataClass::Incidents, Duration::days(365));
        policy.config_holds.insert(c.clone(), "litigation".into());
        // Visitors' data has a period but is erased by the desk, not
        // planned for the store's deletion.
        policy
            .defaults
            .insert(DataClass::Visitors, Duration::days(30));
        let alarm = AlertId(uuid::Uuid::from_u128(7));
        let holds = Holds {
            tenants: BTreeSet::from([b.clone()]),
            incidents: BTreeMap::from([(a.clone(), vec![("inc-1".to_string(), vec![alarm])])]),
        };
        let now = chrono::DateTime::from_timestamp(1_000_000_000, 0).unwrap();
        let plan = plan(&policy, &[a.clone(), b, c], &holds, now);
        assert_eq!(plan.len(), 2, "{plan:?}");
        assert!(plan.iter().all(|e| e.tenant == a));
        let events = plan.iter().find(|e| e.class == DataClass::Events).unwrap();
        assert_eq!(events.before, now - Duration::days(30));
        assert_eq!(events.keep_alerts, [alarm]);
        let incidents = plan
            .iter()
            .find(|e| e.class == DataClass::Incidents)
            .unwrap();
        assert_eq!(incidents.keep_incidents, ["inc-1"]);
    }
}
