//! Stored visits screened again when a watchlist gains an entry, durably.
//!
//! The entry is saved marked [`RESCREENING`] (one write with its audit
//! entry); the stored visits still relevant are screened against it; each
//! hit not recorded before is committed as an alarm and then recorded
//! (`watchlist_hit`); only then is the mark cleared. A node that dies
//! anywhere in between leaves the mark, and [`Desk::rescreen_pending`] —
//! run by the desk's timers on every pass, so at a node's start and on the
//! nodes that live on — finishes the work.
//!
//! Every step may run twice, or on two nodes at once, without a second
//! alarm: a hit already recorded is skipped; the alarm of a hit not yet
//! recorded is the same event and alert however often it is committed
//! (ids from the hit and the entry's time, see
//! `vigil_visitors::watchlist::hit_alarm`), which the store keeps once; the
//! hit record is created once (a second create conflicts); clearing a mark
//! already cleared conflicts and is let be.
//!
//! The alarm is committed by the desk itself, as it commits an unplanned
//! firmware change, not handed to the pipeline: the pipeline acknowledges
//! nothing to its caller that the desk could wait for before clearing the
//! mark, and a restarted node has no request to hand hits back to.

use vigil_model::{TenantId, Timestamp};
use vigil_store::{RecordOrder, RecordQuery, TenantScope};
use vigil_visitors::rules::{AlarmCandidate, watchlist_alarm};
use vigil_visitors::watchlist::{Rescreened, rescreen_client, rescreen_provider};
use vigil_visitors::{TenantSecret, Visit};

use super::Desk;
use super::visitors::placeholder_secret;
use crate::record::{DeskObject, Stored};
use crate::visitors::{
    ClientWatchlistEntry, ProviderWatchlistEntry, RESCREENING, Screening, WatchlistHit,
};
use crate::{Actor, DeskError};

impl Desk {
    /// The visits of `scope` a new watchlist entry may concern: those not
    /// refused, signed out or erased (the domain decides which of them are
    /// still relevant, see `vigil_visitors::watchlist::still_relevant`).
    async fn open_visits(&self, scope: TenantScope) -> Result<Vec<Visit>, DeskError> {
        let mut q = RecordQuery::new(Visit::KIND, scope);
        q.statuses = ["pre_registered", "approved", "arrived", "badge_issued"]
            .map(String::from)
            .into();
        q.order = RecordOrder::Newest;
        q.limit = vigil_store::MAX_PAGE_SIZE;
        let mut out = Vec::new();
        loop {
            let page = self.list::<Visit>(&q).await?;
            let n = page.len();
            out.extend(page.into_iter().map(|s| s.value));
            if n < vigil_store::MAX_PAGE_SIZE {
                return Ok(out);
            }
            q.offset += n;
        }
    }

    /// Saves `record` (a new watchlist entry, marked) with its `add` audit
    /// entry; returns it as stored.
    pub(super) async fn save_new<T: DeskObject>(
        &self,
        actor: &Actor,
        record: T,
        detail: serde_json::Value,
        now: Timestamp,
    ) -> Result<Stored<T>, DeskError> {
        let receipt = self
            .commit(vigil_store::DeskWrite {
                records: vec![crate::record::to_record(&record, 0)?],
                audit: vec![crate::record::audit(
                    actor,
                    "add",
                    None,
                    Some(&record),
                    detail,
                    now,
                )],
                ..Default::default()
            })
            .await?;
        Ok(Stored {
            version: receipt.versions.first().copied().unwrap_or(1),
            value: record,
        })
    }

    /// Screens the stored visits still relevant at `now` against the
    /// client's entry `stored`, raises each hit not raised before, and
    /// clears the entry's mark; returns the alarms raised.
    pub(super) async fn rescreen_client_entry(
        &self,
        stored: &Stored<ClientWatchlistEntry>,
        secret: TenantSecret,
        now: Timestamp,
    ) -> Result<Vec<AlarmCandidate>, DeskError> {
        let record = &stored.value;
        let visits = self
            .open_visits(TenantScope::One(record.tenant.clone()))
            .await?;
        let person = record.entry.person_key(&secret).as_str().to_owned();
        let hits = rescreen_client(&visits, &record.tenant, &record.entry, &secret, now);
        let alarms = self
            .raise_hits(hits, "client", &person, record.entry.added_at)
            .await?;
        let mut cleared = record.clone();
        cleared.rescreening = false;
        let detail = serde_json::json!({ "tenant": record.tenant, "entry": record.entry.id });
        // Another node may have cleared it first.
        self.commit_screening("rescreened", Some(stored), &cleared, detail, now)
            .await?;
        Ok(alarms)
    }

    /// As [`Desk::rescreen_client_entry`], for an entry of the provider's
    /// list: every client's visits, a signal only.
    pub(super) async fn rescreen_provider_entry(
        &self,
        stored: &Stored<ProviderWatchlistEntry>,
        key: TenantSecret,
        now: Timestamp,
    ) -> Result<Vec<AlarmCandidate>, DeskError> {
        let record = &stored.value;
        let visits = self.open_visits(TenantScope::All).await?;
        let person = record.entry.person_key();
        let hits = rescreen_provider(&visits, &record.entry, &key, now);
        let alarms = self
            .raise_hits(hits, "provider", &person, record.added_at)
            .await?;
        let mut cleared = record.clone();
        cleared.rescreening = false;
        let detail = serde_json::json!({ "entry": record.id });
        // Another node may have cleared it first.
        self.commit_screening("rescreened", Some(stored), &cleared, detail, now)
            .await?;
        Ok(alarms)
    }

    /// Raises each of `hits` (of the person `person` on `list`, listed at
    /// `at`) not raised before: its alarm committed first, then the hit
    /// recorded, so that a crash between the two leaves the hit to raise
    /// again — as the same alarm. Returns the alarms of hits not recorded
    /// before.
    async fn raise_hits(
        &self,
        hits: Vec<Rescreened<'_>>,
        list: &str,
        person: &str,
        at: Timestamp,
    ) -> Result<Vec<AlarmCandidate>, DeskError> {
        let mut out = Vec::new();
        for Rescreened { visit, hit } in hits {
            let candidate = watchlist_alarm(visit, &hit, at);
            let record = WatchlistHit {
                tenant: visit.tenant.clone(),
                visit: visit.id,
                list: list.to_owned(),
                person: person.to_owned(),
                at,
                screening: Some(Screening::Rescreening),
                matched: Some(hit),
                pending: false,
            };
            if self.hit_before(&record).await? {
                continue;
            }
            let id = record.id();
            self.commit_hit_alarm(&candidate, &id).await?;
            let detail = serde_json::json!({ "visit": visit.id, "list": list });
            // Another node may have raised the same hit meanwhile: the same alarm.
            self.commit_screening("hit", None, &record, detail, self.now())
                .await?;
            out.push(candidate);
        }
        Ok(out)
    }

    /// Whether the visit of `hit` hit the same person on the same list
    /// before, at any screening.
    async fn hit_before(&self, hit: &WatchlistHit) -> Result<bool, DeskError> {
        let scope = TenantScope::One(hit.tenant.clone());
        for screening in [
            None,
            Some(Screening::PreRegistration),
            Some(Screening::Arrival),
        ] {
            let id = WatchlistHit::id_of(&hit.visit, &hit.list, &hit.person, screening);
            if self
                .store()
                .desk_record(WatchlistHit::KIND, &id, &scope)
                .await?
                .is_some()
            {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// Finishes the re-screening of every watchlist entry still marked
    /// [`RESCREENING`] (a node died between saving it and clearing the
    /// mark); returns the alarms raised. Harmless on several nodes at once
    /// and run again (see the module's documentation). Does nothing until
    /// the visitor secrets are set: screened under other keys, the same
    /// person would be another hit. An entry whose key is not configured
    /// here stays marked, logged, for a node that has it.
    pub async fn rescreen_pending(&self) -> Result<Vec<AlarmCandidate>, DeskError> {
        let Some(setup) = self.visitor_setup_once_set() else {
            return Ok(Vec::new());
        };
        let now = self.now();
        let mut alarms = Vec::new();
        for stored in self.pending::<ClientWatchlistEntry>().await? {
            let Some(secret) = client_secret(&setup.secrets.tenants, &stored.value) else {
                tracing::warn!(tenant = %stored.value.tenant, entry = %stored.value.entry.id,
                    "a watchlist entry with a document waits for its re-screening: this node has no visitors secret for the client");
                continue;
            };
            alarms.extend(self.rescreen_client_entry(&stored, secret, now).await?);
        }
        for stored in self.pending::<ProviderWatchlistEntry>().await? {
            let Some(key) = setup.secrets.provider.clone() else {
                tracing::warn!(entry = %stored.value.id,
                    "a provider watchlist entry waits for its re-screening: this node has no provider watchlist key");
                continue;
            };
            alarms.extend(self.rescreen_provider_entry(&stored, key, now).await?);
        }
        Ok(alarms)
    }

    /// Entries of kind `T` still marked (a page: those past it drop in as
    /// the ones before are cleared, on the next pass).
    async fn pending<T: DeskObject>(&self) -> Result<Vec<Stored<T>>, DeskError> {
        let mut q = RecordQuery::new(T::KIND, TenantScope::All);
        q.statuses = vec![RESCREENING.into()];
        q.order = RecordOrder::Newest;
        q.limit = vigil_store::MAX_PAGE_SIZE;
        self.list::<T>(&q).await
    }
}

/// The key a client's entry was hashed under when it was added: the
/// client's secret, or, for an entry without a document where the client
/// has none, the placeholder (see `placeholder_secret`); `None` for an
/// entry with a document and no secret here.
fn client_secret(
    secrets: &std::collections::BTreeMap<TenantId, TenantSecret>,
    entry: &ClientWatchlistEntry,
) -> Option<TenantSecret> {
    match (secrets.get(&entry.tenant), &entry.entry.document) {
        (Some(s), _) => Some(s.clone()),
        (None, Some(_)) => None,
        (None, None) => Some(placeholder_secret()),
    }
}
