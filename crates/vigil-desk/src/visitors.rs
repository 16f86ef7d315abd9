//! Visitors at the desk: how visits and watchlist entries are stored, who
//! may do which step, and the secrets and settings each client runs with.
//!
//! The domain is `vigil_visitors`; this module makes its objects desk
//! records (tenant-scoped, versioned, each change one write with its audit
//! entry) and maps its errors to the desk's.
//!
//! | step | who |
//! |---|---|
//! | pre-register a visit | anyone who sees the client: its users (hosts), provider staff |
//! | approve or refuse | the client's administrator (its approver) |
//! | arrive, issue a badge, sign out (the front desk) | provider staff who work alarms |
//! | read visits and the roll call | anyone who sees the client |
//! | the client's watchlist: read, add | its administrator; provider leads and administrators |
//! | the provider's watchlist: read, add | provider leads and administrators only |

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use vigil_model::{TenantId, Timestamp};
use vigil_store::Role;
use vigil_visitors::visit::VisitSettings;
use vigil_visitors::watchlist::{ProviderEntry, WatchlistEntry, WatchlistError, WatchlistMatch};
use vigil_visitors::{ActorId, TenantSecret, Visit, VisitError, VisitId};

use crate::record::DeskObject;
use crate::{Actor, DeskError, Permission};

impl DeskObject for Visit {
    const KIND: &'static str = "visit";
    fn id(&self) -> String {
        self.id.to_string()
    }
    fn tenant(&self) -> Option<TenantId> {
        Some(self.tenant.clone())
    }
    /// The state, or `erased` once retention erased the personal data (so
    /// that retention never reads an erased visit again).
    fn status(&self) -> String {
        if self.erased_at.is_some() {
            "erased".into()
        } else {
            self.state.as_str().to_owned()
        }
    }
    /// The site: visits are listed per site.
    fn owner(&self) -> Option<String> {
        Some(self.site.to_string())
    }
    /// The badge, once issued.
    fn link(&self) -> Option<String> {
        self.badge.as_ref().map(|b| b.badge.clone())
    }
    /// The window's start: "today's visits" are those starting today.
    fn at(&self) -> Timestamp {
        self.window.start
    }
    fn due_at(&self) -> Option<Timestamp> {
        Some(self.window.end)
    }
    fn updated_at(&self) -> Timestamp {
        [
            Some(self.registered_at),
            self.decision.as_ref().map(|d| d.at),
            self.arrival.as_ref().map(|a| a.at),
            self.badge.as_ref().map(|b| b.issued_at),
            self.signed_out.as_ref().map(|s| s.at),
            self.erased_at,
        ]
        .into_iter()
        .flatten()
        .max()
        .unwrap_or(self.registered_at)
    }
}

/// An entry of a client's watchlist, as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClientWatchlistEntry {
    /// The client.
    pub tenant: TenantId,
    /// The entry.
    pub entry: WatchlistEntry,
    /// Whether the stored visits are still to be screened against it (see
    /// [`RESCREENING`]).
    #[serde(default)]
    pub rescreening: bool,
}

/// The status of a watchlist entry saved but whose re-screening of the
/// stored visits has not finished: the entry is saved with this mark, in
/// the same write, and the mark is cleared only once every hit is recorded
/// and its alarm committed; a desk that finds the mark (a node died in
/// between) screens again. Entries stored before the mark existed have no
/// such field and read as not pending: they were screened in the request
/// that saved them, or (before re-screening) were never meant to be, and
/// screening them all again would raise a second alarm for every hit made
/// before hits were recorded.
pub const RESCREENING: &str = "rescreening";

/// An entry's status: [`RESCREENING`] while marked, `listed` after.
fn entry_status(rescreening: bool) -> String {
    if rescreening { RESCREENING } else { "listed" }.into()
}

impl DeskObject for ClientWatchlistEntry {
    const KIND: &'static str = "watchlist_entry";
    fn id(&self) -> String {
        self.entry.id.clone()
    }
    fn tenant(&self) -> Option<TenantId> {
        Some(self.tenant.clone())
    }
    fn status(&self) -> String {
        entry_status(self.rescreening)
    }
    fn at(&self) -> Timestamp {
        self.entry.added_at
    }
    fn updated_at(&self) -> Timestamp {
        self.entry.added_at
    }
}

/// An entry of the provider's watchlist, as stored: keyed hashes only.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProviderWatchlistEntry {
    /// Its id.
    pub id: String,
    /// The hashes.
    pub entry: ProviderEntry,
    /// Who listed it (no client's scope reaches this record).
    pub added_by: String,
    /// When.
    pub added_at: Timestamp,
    /// Whether the stored visits are still to be screened against it (see
    /// [`RESCREENING`]; absent on entries stored before the mark existed).
    #[serde(default)]
    pub rescreening: bool,
}

impl DeskObject for ProviderWatchlistEntry {
    const KIND: &'static str = "provider_watchlist_entry";
    fn id(&self) -> String {
        self.id.clone()
    }
    /// None: the list is the provider's own, across clients.
    fn tenant(&self) -> Option<TenantId> {
        None
    }
    fn status(&self) -> String {
        entry_status(self.rescreening)
    }
    fn at(&self) -> Timestamp {
        self.added_at
    }
    fn updated_at(&self) -> Timestamp {
        self.added_at
    }
}

/// The screening that found a watchlist hit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Screening {
    /// The host pre-registered the visit.
    PreRegistration,
    /// The visitor stood at the front desk.
    Arrival,
    /// A watchlist gained an entry after the visit was screened.
    Rescreening,
}

impl Screening {
    /// Its name in a hit's id.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::PreRegistration => "pre_registration",
            Self::Arrival => "arrival",
            Self::Rescreening => "rescreening",
        }
    }
}

/// A watchlist hit the desk raised for a visit: one per visit, list,
/// person listed (see `vigil_visitors::watchlist` on person keys) and
/// screening, created once — a second screening that finds the same hit
/// (the same person listed again, the re-screening run again) conflicts and
/// raises nothing. Re-screening skips a person the visit hit at any
/// screening; the visitor asking to come, then standing at the desk, is
/// news each time. Identifiers only: no name, no entry of the provider's
/// list.
///
/// A hit found at pre-registration or arrival is written `pending` in the
/// same write as the visit's step, its alarm committed after (ids from the
/// hit, see `vigil_visitors::watchlist::hit_alarm`), and only then is it
/// marked raised; a hit left pending (the node died in between) is raised
/// by the desk's timer — the same alarm, however often.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WatchlistHit {
    /// The visit's client.
    pub tenant: TenantId,
    /// The visit.
    pub visit: VisitId,
    /// `client` or `provider`.
    pub list: String,
    /// The person listed: a keyed hash under the client's secret, or a
    /// digest of the provider entry's hashes.
    pub person: String,
    /// When the desk raised it (the alarm's time).
    pub at: Timestamp,
    /// The screening that found it; absent on hits stored before the
    /// screenings were told apart (their ids name none, as a re-screening's).
    #[serde(default)]
    pub screening: Option<Screening>,
    /// The match its alarm is made of (list, entry, basis); absent on hits
    /// stored before, all raised.
    #[serde(default)]
    pub matched: Option<WatchlistMatch>,
    /// Whether its alarm may not be committed yet.
    #[serde(default)]
    pub pending: bool,
}

impl WatchlistHit {
    /// The id of the hit of `visit` on `person` of `list` found by
    /// `screening`: a re-screening's (and a hit's stored before screenings
    /// were told apart) names no screening.
    pub fn id_of(
        visit: &VisitId,
        list: &str,
        person: &str,
        screening: Option<Screening>,
    ) -> String {
        match screening {
            None | Some(Screening::Rescreening) => format!("{visit}:{list}:{person}"),
            Some(s) => format!("{visit}:{list}:{person}:{}", s.as_str()),
        }
    }
}

impl DeskObject for WatchlistHit {
    const KIND: &'static str = "watchlist_hit";
    fn id(&self) -> String {
        Self::id_of(&self.visit, &self.list, &self.person, self.screening)
    }
    fn tenant(&self) -> Option<TenantId> {
        Some(self.tenant.clone())
    }
    /// `pending` until its alarm is committed, `raised` after.
    fn status(&self) -> String {
        if self.pending { "pending" } else { "raised" }.into()
    }
    fn link(&self) -> Option<String> {
        Some(self.visit.to_string())
    }
    fn at(&self) -> Timestamp {
        self.at
    }
    fn updated_at(&self) -> Timestamp {
        self.at
    }
}

/// The secrets visitor data is hashed under, resolved from configuration
/// at start (never written to the store or printed).
#[derive(Debug, Clone, Default)]
pub struct VisitorSecrets {
    /// Each client's secret for its visitors' documents and its watchlist.
    pub tenants: BTreeMap<TenantId, TenantSecret>,
    /// The provider's key for its list across clients.
    pub provider: Option<TenantSecret>,
}

/// How the desk runs visitors: secrets and each client's visit settings.
#[derive(Debug, Clone, Default)]
pub struct VisitorSetup {
    /// The secrets.
    pub secrets: VisitorSecrets,
    /// Each client's settings (the default for a client not named).
    pub settings: BTreeMap<TenantId, VisitSettings>,
}

impl VisitorSetup {
    /// `tenant`'s visit settings. A client without a secret keeps no
    /// document at all, whatever its policy says: a document cannot be
    /// hashed without the key.
    pub fn settings(&self, tenant: &TenantId) -> VisitSettings {
        let mut s = self.settings.get(tenant).cloned().unwrap_or_default();
        if !self.secrets.tenants.contains_key(tenant) {
            s.document_policy = vigil_visitors::visit::DocumentPolicy::NotRecorded;
        }
        s
    }
}

/// The actor as the visit records it (its token name).
pub fn actor_id(actor: &Actor) -> Result<ActorId, DeskError> {
    ActorId::new(&actor.name).map_err(|e| DeskError::invalid("actor", e.to_string()))
}

/// A step of the visit or the watchlists, for [`may`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VisitorStep {
    /// Pre-register a visit.
    Register,
    /// Approve or refuse.
    Decide,
    /// Arrive, issue a badge, sign out.
    FrontDesk,
    /// Read visits and the roll call.
    Read,
    /// Read or add to the client's watchlist.
    ClientWatchlist,
    /// Read or add to the provider's watchlist.
    ProviderWatchlist,
}

/// Refuses unless `actor` may take `step` for `tenant` (the table in the
/// module documentation).
pub fn may(actor: &Actor, step: VisitorStep, tenant: Option<&TenantId>) -> Result<(), DeskError> {
    // Scope first: no one acts on a client they cannot see.
    actor.require(Permission::View, tenant)?;
    let allowed = match actor.role {
        None => true,
        Some(role) => match step {
            VisitorStep::Register | VisitorStep::Read => true,
            VisitorStep::Decide => role == Role::ClientAdmin,
            VisitorStep::FrontDesk => crate::permissions::allows(role, Permission::WorkAlarms),
            VisitorStep::ClientWatchlist => matches!(
                role,
                Role::ClientAdmin | Role::ProviderLead | Role::ProviderAdmin
            ),
            VisitorStep::ProviderWatchlist => {
                matches!(role, Role::ProviderLead | Role::ProviderAdmin)
            }
        },
    };
    if allowed {
        Ok(())
    } else {
        Err(DeskError::Forbidden {
            actor: actor.name.clone(),
            role: actor.role.map_or("system", Role::as_str).to_owned(),
            action: match step {
                VisitorStep::Register => "pre-register visits",
                VisitorStep::Decide => "approve or refuse visits",
                VisitorStep::FrontDesk => "check visitors in and out",
                VisitorStep::Read => "read visits",
                VisitorStep::ClientWatchlist => "keep the client's watchlist",
                VisitorStep::ProviderWatchlist => "keep the provider's watchlist",
            }
            .to_owned(),
        })
    }
}

/// The desk's error for a refused visit step: a field error is `Invalid`
/// (400), a step the visit's state or window does not allow is a
/// `Transition` (409).
pub fn visit_error(id: &str, e: VisitError) -> DeskError {
    match e {
        VisitError::Invalid { field, reason } => DeskError::Invalid { field, reason },
        VisitError::ZoneNotRequested { .. } => DeskError::invalid("zones", e.to_string()),
        VisitError::IllegalTransition { from, action } => DeskError::Transition {
            what: "visit",
            id: id.to_owned(),
            command: action.as_str(),
            state: from.as_str().to_owned(),
            hint: hint(from).to_owned(),
        },
        VisitError::OutsideWindow { .. } => DeskError::Transition {
            what: "visit",
            id: id.to_owned(),
            command: "arrive",
            state: "outside its window".into(),
            hint: e.to_string(),
        },
        VisitError::Erased => DeskError::Transition {
            what: "visit",
            id: id.to_owned(),
            command: "change",
            state: "erased".into(),
            hint: "its personal data was erased; it is a record only".into(),
        },
    }
}

fn hint(from: vigil_visitors::VisitState) -> &'static str {
    use vigil_visitors::VisitState::*;
    match from {
        PreRegistered => "approve or refuse it first",
        Approved => "the visitor arrives next",
        Arrived => "issue a badge or sign the visitor out",
        BadgeIssued => "sign the visitor out",
        Refused | SignedOut => "nothing more can happen to it",
    }
}

/// The desk's error for a refused watchlist entry.
pub fn watchlist_error(e: WatchlistError) -> DeskError {
    let WatchlistError::Invalid { field, reason } = e;
    DeskError::Invalid { field, reason }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(id: &str) -> TenantId {
        TenantId::new(id).unwrap()
    }

    #[test]
    fn roles_follow_the_table() {
        let a = t("a");
        let host = Actor::person("h", Role::ClientViewer, Some(a.clone()));
        let approver = Actor::person("ap", Role::ClientAdmin, Some(a.clone()));
        let op = Actor::person("op", Role::ProviderOperator, None);
        let lead = Actor::person("lead", Role::ProviderLead, None);
        assert!(may(&host, VisitorStep::Register, Some(&a)).is_ok());
        assert!(may(&host, VisitorStep::Register, Some(&t("b"))).is_err());
        assert!(may(&host, VisitorStep::Decide, Some(&a)).is_err());
        assert!(may(&approver, VisitorStep::Decide, Some(&a)).is_ok());
        assert!(may(&approver, VisitorStep::FrontDesk, Some(&a)).is_err());
        assert!(may(&op, VisitorStep::FrontDesk, Some(&a)).is_ok());
        assert!(may(&op, VisitorStep::Decide, Some(&a)).is_err());
        assert!(may(&op, VisitorStep::ProviderWatchlist, None).is_err());
        assert!(may(&lead, VisitorStep::ProviderWatchlist, None).is_ok());
        assert!(may(&approver, VisitorStep::ProviderWatchlist, None).is_err());
        assert!(may(&approver, VisitorStep::ClientWatchlist, Some(&a)).is_ok());
        assert!(may(&host, VisitorStep::ClientWatchlist, Some(&a)).is_err());
    }

    #[test]
    fn entries_stored_before_the_mark_read_as_not_pending() {
        let client: ClientWatchlistEntry = serde_json::from_value(serde_json::json!({
            "tenant": "a",
            "entry": {
                "id": "watch-1", "name": "Zoë Kowalski", "name_key": "kowalski zoe",
                "birth_date": null, "document": null, "reason": "threats",
                "added_by": "admin", "added_at": "2026-01-01T00:00:00Z"
            }
        }))
        .unwrap();
        assert!(!client.rescreening);
        assert_eq!(client.status(), "listed");
        let provider: ProviderWatchlistEntry = serde_json::from_value(serde_json::json!({
            "id": "pwatch-1",
            "entry": { "name": null, "name_birth": null, "document": null },
            "added_by": "lead",
            "added_at": "2026-01-01T00:00:00Z"
        }))
        .unwrap();
        assert!(!provider.rescreening);
        assert_eq!(provider.status(), "listed");
        let marked = ClientWatchlistEntry {
            rescreening: true,
            ..client
        };
        assert_eq!(marked.status(), RESCREENING);
        let back: ClientWatchlistEntry =
            serde_json::from_value(serde_json::to_value(&marked).unwrap()).unwrap();
        assert!(back.rescreening);
    }
}
