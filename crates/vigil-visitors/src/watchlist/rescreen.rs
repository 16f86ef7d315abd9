//! Stored visits screened again when a watchlist gains an entry.
//!
//! A visit is screened at pre-registration and at arrival; a person listed
//! after that would go unnoticed until their next visit. So an entry added
//! to a client's list screens that client's visits still relevant, and one
//! added to the provider's list screens every client's — each against the
//! new entry alone, the provider's yielding only its match signal.
//!
//! Which visits are still relevant: pre-registered or approved and whose
//! window has not ended, and visitors signed in and not out. Visits that
//! are over (refused, signed out, or whose window has passed) are not
//! screened again: the watchlist serves to protect the site now, and the
//! visitor data was collected for this visit alone and is kept only as its
//! record until retention erases it. Matching past visits against people
//! listed later would put that record to a new purpose — tracing who came
//! before — which purpose limitation and the client's retention settings do
//! not allow (GDPR Art. 5(1)(b) and (e)).
//!
//! The same person may be listed twice (by two people, or the same entry
//! saved again); a hit is therefore named by the visit and the *person*
//! ([`WatchlistEntry::person_key`], [`ProviderEntry::person_key`]), not by the
//! entry's id, so the desk raises it once.
//!
//! The desk raises a re-screening hit itself ([`hit_alarm`]): it commits the
//! event and the alert the pipeline would make of the hit, with ids derived
//! from the hit alone, so that committing it again after a crash (the entry
//! still marked for re-screening) adds nothing.

use chrono::Duration;
use sha2::{Digest, Sha256};
use vigil_model::{
    Alert, AlertStatus, Entity, EntityKind, Event, EventClass, EventId, SourceRef, Timestamp,
    alert_id_for, alert_window_start,
};

use super::{
    ClientWatchlist, ProviderEntry, ProviderWatchlist, Subject, WatchlistEntry, WatchlistMatch,
};
use crate::detector::{source_binding, watchlist_event};
use crate::ids::{KeyedHash, TenantSecret};
use crate::rules::AlarmCandidate;
use crate::visit::{Visit, VisitState};

const PERSON: &str = "vigil-watchlist-person";
const HIT_ALARM: &str = "vigil-watchlist-hit-alarm";

/// Whether `visit` is screened again at `now` when a list gains an entry
/// (see the module's documentation for why visits that are over are not).
pub fn still_relevant(visit: &Visit, now: Timestamp) -> bool {
    if visit.erased_at.is_some() {
        return false;
    }
    match visit.state {
        VisitState::PreRegistered | VisitState::Approved => now <= visit.window.end,
        VisitState::Arrived | VisitState::BadgeIssued => true,
        VisitState::Refused | VisitState::SignedOut => false,
    }
}

impl WatchlistEntry {
    /// Who the entry lists, as a keyed hash under the tenant's `secret`:
    /// the same for two entries of the same name key, birth date and
    /// document, whatever their ids and reasons.
    pub fn person_key(&self, secret: &TenantSecret) -> KeyedHash {
        let birth = self.birth_date.map(|d| d.to_string()).unwrap_or_default();
        let document = self.document.as_ref().map_or("", KeyedHash::as_str);
        secret.keyed_hash(PERSON, &format!("{}|{birth}|{document}", self.name_key))
    }
}

impl ProviderEntry {
    /// Who the entry lists: a digest of its hashes (nothing to read back),
    /// the same for the same person entered twice.
    pub fn person_key(&self) -> String {
        let part = |h: &Option<KeyedHash>| h.as_ref().map_or("", KeyedHash::as_str).to_owned();
        let text = format!(
            "{}|{}|{}",
            part(&self.name),
            part(&self.name_birth),
            part(&self.document)
        );
        hex::encode(Sha256::digest(text.as_bytes()))
    }
}

/// A stored visit that matches a new entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rescreened<'a> {
    /// The visit.
    pub visit: &'a Visit,
    /// The match, as a screening at pre-registration or arrival gives it.
    pub hit: WatchlistMatch,
}

/// The visits among `visits` still relevant at `now` that the client's new
/// `entry` matches (by name, or by the document hash a visit kept under the
/// same tenant's `secret`). Visits of other clients are never compared.
pub fn rescreen_client<'a>(
    visits: impl IntoIterator<Item = &'a Visit>,
    tenant: &vigil_model::TenantId,
    entry: &WatchlistEntry,
    secret: &TenantSecret,
    now: Timestamp,
) -> Vec<Rescreened<'a>> {
    let list = ClientWatchlist {
        entries: vec![entry.clone()],
    };
    visits
        .into_iter()
        .filter(|v| &v.tenant == tenant && still_relevant(v, now))
        .flat_map(|visit| {
            list.matches(&Subject::visit(visit), secret)
                .into_iter()
                .map(move |hit| Rescreened { visit, hit })
        })
        .collect()
}

/// The visits among `visits` (any client's) still relevant at `now` that
/// the provider's new `entry` matches, each as the provider's signal only.
/// A stored visit's document hash is under its client's secret, so only
/// names compare.
pub fn rescreen_provider<'a>(
    visits: impl IntoIterator<Item = &'a Visit>,
    entry: &ProviderEntry,
    key: &TenantSecret,
    now: Timestamp,
) -> Vec<Rescreened<'a>> {
    let mut list = ProviderWatchlist::default();
    list.add(entry.clone());
    visits
        .into_iter()
        .filter(|v| still_relevant(v, now))
        .filter_map(|visit| {
            list.matches(&Subject::visit(visit), key)
                .map(|hit| Rescreened { visit, hit })
        })
        .collect()
}

/// A hit as the pipeline commits a detection: the `visitor` event recording
/// it (the fields of [`watchlist_event`]: no names), its fingerprint, and
/// the alert of its watchlist rule about the visit.
#[derive(Debug, Clone, PartialEq)]
pub struct HitAlarm {
    /// The event.
    pub event: Event,
    /// The event's fingerprint (its evidence on the alert).
    pub fingerprint: u64,
    /// The alert, grouped as the pipeline groups the event (by the visit)
    /// in alert windows of `window`.
    pub alert: Alert,
}

/// The event and alert for `candidate`, a hit named `hit` (the visit, list
/// and person: the same hit always has the same name), in alert windows of
/// `window`. The event's id and fingerprint derive from `hit` and the
/// alert's id from the candidate's rule, visit and time, so the same hit at
/// the same time always gives the same rows: a second commit of them is
/// no new alarm (the store keeps an event id and an alert's evidence
/// fingerprint once).
pub fn hit_alarm(candidate: &AlarmCandidate, hit: &str, window: Duration) -> HitAlarm {
    let digest = Sha256::digest(format!("{HIT_ALARM}|{hit}").as_bytes());
    let mut random = [0u8; 10];
    random.copy_from_slice(&digest[..10]);
    let mut tail = [0u8; 8];
    tail.copy_from_slice(&digest[10..18]);
    let fingerprint = u64::from_be_bytes(tail);
    let at = candidate.at;
    let binding = source_binding(candidate);
    let entity = Entity::new(EntityKind::User, format!("visit:{}", candidate.visit));
    // As the pipeline's grouping writes it: kind, then the value lowercased.
    let group = format!("user:{}", entity.value.to_ascii_lowercase());
    let event = Event {
        id: EventId::new_at(at, random),
        tenant: candidate.tenant.clone(),
        site: Some(candidate.site.clone()),
        observed_at: at,
        received_at: at,
        source: SourceRef {
            id: binding.id,
            kind: binding.kind,
            product: binding.product,
            device: None,
        },
        class: EventClass::Visitor,
        severity: candidate.severity,
        entities: vec![entity.clone()],
        fields: watchlist_event(candidate),
    };
    let window_start = alert_window_start(at, window);
    let alert = Alert {
        id: alert_id_for(&candidate.tenant, candidate.rule_id, &group, window_start),
        tenant: candidate.tenant.clone(),
        site: Some(candidate.site.clone()),
        rule_id: candidate.rule_id.to_owned(),
        rule_title: candidate.title.to_owned(),
        severity: candidate.severity,
        status: AlertStatus::New,
        group_key: group,
        window_start,
        first_seen: at,
        last_seen: at,
        event_count: 1,
        entities: vec![entity],
        evidence: vec![],
        created_at: at,
        updated_at: at,
    };
    HitAlarm {
        event,
        fingerprint,
        alert,
    }
}
