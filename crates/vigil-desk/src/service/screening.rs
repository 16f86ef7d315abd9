//! Visits screened against the watchlists at pre-registration and arrival,
//! raised as durably as a re-screening's hits (see `rescreening.rs`).
//!
//! The screening runs before the step is stored; each hit is written
//! `pending` in the same write as the visit at its new version, so the step
//! and the hits it found are stored together or not at all. Each pending
//! hit's alarm is then committed (ids from the hit and its stored time, see
//! `vigil_visitors::watchlist::hit_alarm`) and only after that the hit is
//! marked raised. A node dying in between leaves the hit pending, and
//! [`Desk::raise_pending_hits`] — run by the desk's timers — commits the
//! same alarm again, which the store keeps once. A retried request finds
//! the step taken (a conflict) and writes no second hit; a pre-registration
//! retried is a second visit, with its own hits.
//!
//! The alarm is committed by the desk rather than handed to the pipeline,
//! for the reason a re-screening's is: the pipeline acknowledges nothing
//! the desk could wait for before marking the hit raised.

use chrono::Duration;
use vigil_model::Timestamp;
use vigil_store::{
    AlertDetection, DeskWrite, IngestBatch, RecordOrder, RecordQuery, StoreError, TenantScope,
};
use vigil_visitors::rules::{AlarmCandidate, watchlist_alarm};
use vigil_visitors::watchlist::{
    ClientWatchlist, MatchedList, ProviderWatchlist, Subject, WatchlistMatch, hit_alarm, screen,
};
use vigil_visitors::{Visit, VisitAudit};

use super::Desk;
use super::visitors::placeholder_secret;
use crate::record::{DeskObject, Stored, audit, to_record};
use crate::visitors::{Screening, WatchlistHit};
use crate::{Actor, DeskError};

/// The alert window the pipeline groups detections in (its default): a
/// hit's alert groups with the visit's other watchlist alarms of the same
/// hour, as the pipeline would group them.
pub(super) const ALERT_WINDOW: Duration = Duration::hours(1);

/// The actor of the hits' records and audit entries.
fn screener() -> Actor {
    Actor::system("watchlist-screening")
}

impl Desk {
    /// Commits `after` (over `before`) as the screener, with its audit
    /// entry. A conflict means another node wrote the same change first
    /// (the screening's steps may run on several nodes at once), which is
    /// as good.
    pub(super) async fn commit_screening<T: DeskObject>(
        &self,
        action: &str,
        before: Option<&Stored<T>>,
        after: &T,
        detail: serde_json::Value,
        now: Timestamp,
    ) -> Result<(), DeskError> {
        match self
            .commit_one(&screener(), action, before, after, detail, now)
            .await
        {
            Ok(()) | Err(DeskError::Store(StoreError::Conflict { .. })) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// Screens `subject` (the visitor of `visit`, as `screening` sees them)
    /// against the client's and the provider's lists; returns the hits,
    /// pending, one per list and person listed. A list that cannot be read
    /// is logged and left out: the step goes on.
    pub(super) async fn screen_visit(
        &self,
        visit: &Visit,
        subject: &Subject<'_>,
        screening: Screening,
        now: Timestamp,
    ) -> Vec<WatchlistHit> {
        let setup = self.visitor_setup();
        let client = match self.client_watchlist_of(&visit.tenant).await {
            Ok(c) => c,
            Err(e) => {
                tracing::error!(error = %e, "the client's watchlist could not be read; screening skipped");
                return Vec::new();
            }
        };
        // Without the client's secret no document was kept on its list, so
        // names alone compare; without the provider's key its list is empty.
        let tenant_secret = setup
            .secrets
            .tenants
            .get(&visit.tenant)
            .cloned()
            .unwrap_or_else(placeholder_secret);
        let (provider, provider_key) = match setup.secrets.provider {
            Some(key) => match self.provider_watchlist_all().await {
                Ok(list) => (list, key),
                Err(e) => {
                    tracing::error!(error = %e, "the provider's watchlist could not be read");
                    (ProviderWatchlist::default(), key)
                }
            },
            None => (ProviderWatchlist::default(), placeholder_secret()),
        };
        let hit = |list: &str, person: String, matched: Option<WatchlistMatch>| WatchlistHit {
            tenant: visit.tenant.clone(),
            visit: visit.id,
            list: list.to_owned(),
            person,
            at: now,
            screening: Some(screening),
            pending: matched.is_some(),
            matched,
        };
        let mut out: Vec<WatchlistHit> = Vec::new();
        for m in screen(subject, &client, &tenant_secret, &provider, &provider_key) {
            match &m.list {
                MatchedList::Client { entry } => {
                    if let Some(person) = client_person(&client, entry, &tenant_secret) {
                        out.push(hit("client", person, Some(m)));
                    }
                }
                // The provider's signal is one alarm, carried by the entry
                // it rests on (the strongest basis); every other entry
                // matching is remembered, so that re-screening when it is
                // listed again raises nothing new.
                MatchedList::Provider => {
                    let mut entries = provider.matching(subject, &provider_key);
                    entries.sort_by_key(|(_, basis)| *basis);
                    let mut signal = Some(m);
                    for (entry, _) in entries {
                        out.push(hit("provider", entry.person_key(), signal.take()));
                    }
                }
            }
        }
        // The same person listed twice is one hit.
        let mut seen = std::collections::BTreeSet::new();
        out.retain(|h| seen.insert(h.id()));
        out
    }

    /// Commits `visit` (over `before`, with its step's `visit_audit`) and
    /// `hits` in one write; returns the hits as stored.
    pub(super) async fn commit_screened_visit(
        &self,
        actor: &Actor,
        before: Option<&Stored<Visit>>,
        visit: &Visit,
        visit_audit: &VisitAudit,
        hits: Vec<WatchlistHit>,
        now: Timestamp,
    ) -> Result<Vec<Stored<WatchlistHit>>, DeskError> {
        let detail = serde_json::to_value(visit_audit).unwrap_or_default();
        let mut write = DeskWrite {
            records: vec![to_record(visit, before.map_or(0, |b| b.version))?],
            audit: vec![audit(
                actor,
                visit_audit.action.as_str(),
                before.map(|b| &b.value),
                Some(visit),
                detail,
                now,
            )],
            ..Default::default()
        };
        for hit in &hits {
            write.records.push(to_record(hit, 0)?);
            // Identifiers only, as every hit's entry.
            let detail = serde_json::json!({ "visit": hit.visit, "list": hit.list });
            write
                .audit
                .push(audit(&screener(), "hit", None, Some(hit), detail, now));
        }
        let receipt = self.commit(write).await?;
        self.visitors_live().put_visit(visit.clone());
        Ok(hits
            .into_iter()
            .enumerate()
            .map(|(i, value)| Stored {
                version: receipt.versions.get(i + 1).copied().unwrap_or(1),
                value,
            })
            .collect())
    }

    /// Raises each pending hit of `hits` (of `visit`, just stored); returns
    /// the alarms of all of them. One that fails stays pending for the
    /// desk's timer: the step itself is done and on the record.
    pub(super) async fn raise_screened(
        &self,
        visit: &Visit,
        hits: &[Stored<WatchlistHit>],
    ) -> Vec<AlarmCandidate> {
        let mut out = Vec::new();
        for stored in hits {
            let Some(matched) = stored
                .value
                .matched
                .as_ref()
                .filter(|_| stored.value.pending)
            else {
                continue;
            };
            let candidate = watchlist_alarm(visit, matched, stored.value.at);
            if let Err(e) = self.raise_hit(stored, &candidate).await {
                tracing::warn!(error = %e, visit = %visit.id,
                    "a watchlist hit's alarm is left to the desk's timer");
            }
            out.push(candidate);
        }
        out
    }

    /// Commits the alarm of the pending hit `stored` (`candidate`), then
    /// marks the hit raised; another node that marked it first is as good.
    async fn raise_hit(
        &self,
        stored: &Stored<WatchlistHit>,
        candidate: &AlarmCandidate,
    ) -> Result<(), DeskError> {
        self.commit_hit_alarm(candidate, &stored.value.id()).await?;
        let mut raised = stored.value.clone();
        raised.pending = false;
        let detail = serde_json::json!({ "visit": raised.visit, "list": raised.list });
        self.commit_screening("raised", Some(stored), &raised, detail, self.now())
            .await
    }

    /// Commits the event and alert of `candidate`, the hit named `hit`, as
    /// the pipeline commits a detection: the same hit at the same time is
    /// the same rows, which the store keeps once.
    pub(super) async fn commit_hit_alarm(
        &self,
        candidate: &AlarmCandidate,
        hit: &str,
    ) -> Result<(), DeskError> {
        let alarm = hit_alarm(candidate, hit, ALERT_WINDOW);
        let evidence = vec![(alarm.event.id, alarm.fingerprint, candidate.at)];
        self.store()
            .commit(IngestBatch {
                events: vec![alarm.event],
                fingerprints: vec![alarm.fingerprint],
                detections: vec![AlertDetection {
                    alert: alarm.alert,
                    evidence,
                }],
                ..Default::default()
            })
            .await?;
        Ok(())
    }

    /// Raises every watchlist hit still pending (a node died between
    /// storing a step and raising its hits, or the alarm's commit failed);
    /// returns their alarms. Harmless on several nodes at once and run
    /// again: the alarm is the same rows each time. A hit whose visit is
    /// gone is logged and left.
    pub async fn raise_pending_hits(&self) -> Result<Vec<AlarmCandidate>, DeskError> {
        let mut q = RecordQuery::new(WatchlistHit::KIND, TenantScope::All);
        q.statuses = vec!["pending".into()];
        q.order = RecordOrder::Newest;
        q.limit = vigil_store::MAX_PAGE_SIZE;
        let mut out = Vec::new();
        for stored in self.list::<WatchlistHit>(&q).await? {
            let hit = &stored.value;
            let Some(matched) = &hit.matched else {
                continue;
            };
            let scope = TenantScope::One(hit.tenant.clone());
            let visit = match self.read::<Visit>(&hit.visit.to_string(), &scope).await {
                Ok(v) => v.value,
                Err(e) => {
                    tracing::warn!(error = %e, hit = %hit.id(), "a pending watchlist hit's visit cannot be read");
                    continue;
                }
            };
            let candidate = watchlist_alarm(&visit, matched, hit.at);
            self.raise_hit(&stored, &candidate).await?;
            out.push(candidate);
        }
        Ok(out)
    }
}

/// The person a client's `entry` lists, if it is on `client`.
fn client_person(
    client: &ClientWatchlist,
    entry: &str,
    secret: &vigil_visitors::TenantSecret,
) -> Option<String> {
    client
        .entries
        .iter()
        .find(|e| e.id == entry)
        .map(|e| e.person_key(secret).as_str().to_owned())
}
