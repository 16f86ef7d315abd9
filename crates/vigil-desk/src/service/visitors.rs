//! Visitors at the desk: visits through their steps, the watchlists, the
//! roll call. Each step is one write — the visit at its new version, an
//! audit entry whose body is the step's identifiers-only `VisitAudit`, and
//! the watchlist hits a pre-registration or arrival found (`screening.rs`)
//! — and every visit written is handed to the live state the pipeline's
//! visitor rules read.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, RwLock};

use serde::Serialize;
use vigil_model::{SiteId, TenantId, Timestamp};
use vigil_store::{RecordOrder, RecordQuery, StoreError, TenantScope};
use vigil_visitors::live::VisitorsLive;
use vigil_visitors::roll_call::OnSite;
use vigil_visitors::rules::AlarmCandidate;
use vigil_visitors::visit::{IdentityDocument, PreRegistration};
use vigil_visitors::watchlist::{
    ClientWatchlist, NewEntry, ProviderEntry, ProviderWatchlist, Subject,
};
use vigil_visitors::{Visit, VisitId, VisitState};

use super::Desk;
use crate::record::DeskObject;
use crate::visitors::{
    ClientWatchlistEntry, ProviderWatchlistEntry, Screening, VisitorSetup, VisitorStep, actor_id,
    may, visit_error, watchlist_error,
};
use crate::{Actor, DeskError};

/// Most visits or entries one read returns.
const MAX_READ: usize = 500;

/// The desk's visitor state: secrets and settings, and the live state.
#[derive(Default)]
pub(crate) struct VisitorState {
    setup: Mutex<VisitorSetup>,
    /// Whether `setup` was set (the node's, not the empty default).
    setup_set: AtomicBool,
    live: RwLock<Arc<VisitorsLive>>,
}

/// The key used where a client has no secret: only for steps that keep no
/// document (the `not_recorded` policy is forced on such a client, and its
/// watchlist holds no documents), so nothing is ever hashed under it that
/// is kept.
pub(super) fn placeholder_secret() -> vigil_visitors::TenantSecret {
    vigil_visitors::TenantSecret::new(*b"no-visitors-secret-configured")
        .expect("a literal longer than the minimum")
}

/// A step of a visit after pre-registration.
#[derive(Debug, Clone)]
pub enum VisitStep {
    /// Approve, for all requested zones or fewer, with an optional reason.
    Approve {
        /// The zones approved (none: all requested).
        zones: Option<Vec<String>>,
        /// Why.
        reason: Option<String>,
    },
    /// Refuse, with a reason.
    Refuse {
        /// Why.
        reason: String,
    },
    /// The visitor is at the desk with a document.
    Arrive {
        /// The document shown.
        document: IdentityDocument,
    },
    /// Issue a temporary badge.
    IssueBadge {
        /// The badge id.
        badge: String,
    },
    /// The visitor leaves.
    SignOut,
}

/// A visit after a step, and the watchlist alarms the step raised —
/// already committed by the desk, or left to its timer (see
/// `screening.rs`); never to show: a host must not learn that their
/// visitor is listed.
#[derive(Debug, Clone)]
pub struct VisitorOutcome {
    /// The visit.
    pub visit: Visit,
    /// Watchlist hits, as alarm candidates (no names).
    pub alarms: Vec<AlarmCandidate>,
}

/// A watchlist entry just added, and the alarms re-screening the stored
/// visits raised — already committed by the desk (see `rescreening.rs`);
/// never to show: whoever lists someone must not learn from it who is
/// visiting.
#[derive(Debug, Clone)]
pub struct WatchlistAdded<T> {
    /// The entry as stored, its re-screening done.
    pub entry: T,
    /// Hits on visits still relevant, each raised once.
    pub alarms: Vec<AlarmCandidate>,
}

/// A site's roll call.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RollCallView {
    /// The client.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub tenant: TenantId,
    /// The site.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub site: SiteId,
    /// When it was taken.
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub at: Timestamp,
    /// Everyone on site: `kind` (`employee`, `visitor`, `unknown_badge`),
    /// `id`, `name`, `visit`, `host`, `badge`, `last_seen` (`at`, `door`,
    /// `zone`, `exit`); sorted by zone, then kind, then name.
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<Object>))]
    pub on_site: Vec<OnSite>,
}

/// The entry just saved, after its re-screening: the entry is listed
/// whether or not the re-screening finished — one that failed (a store
/// error) leaves the entry marked for the desk's timer to finish
/// (`rescreen_pending`), so the caller is not told of an error for an
/// entry that is on the list.
fn finished<T: Marked>(
    mut entry: T,
    result: Result<Vec<AlarmCandidate>, DeskError>,
) -> WatchlistAdded<T> {
    let alarms = match result {
        Ok(alarms) => {
            entry.clear_mark();
            alarms
        }
        Err(e) => {
            tracing::warn!(error = %e, "a watchlist entry's re-screening is left to the desk's timer");
            Vec::new()
        }
    };
    WatchlistAdded { entry, alarms }
}

/// A watchlist entry with its re-screening mark.
trait Marked {
    fn clear_mark(&mut self);
}

impl Marked for ClientWatchlistEntry {
    fn clear_mark(&mut self) {
        self.rescreening = false;
    }
}

impl Marked for ProviderWatchlistEntry {
    fn clear_mark(&mut self) {
        self.rescreening = false;
    }
}

impl Desk {
    /// Sets the secrets and each client's visit settings.
    pub fn set_visitor_setup(&self, setup: VisitorSetup) {
        *self
            .inner
            .visitors
            .setup
            .lock()
            .unwrap_or_else(|p| p.into_inner()) = setup;
        self.inner.visitors.setup_set.store(true, Ordering::Release);
    }

    /// Sets the live state the pipeline's visitor rules share, and fills it
    /// with the visits stored (those with a badge or on site).
    pub async fn set_visitors_live(&self, live: Arc<VisitorsLive>) -> Result<(), DeskError> {
        *self
            .inner
            .visitors
            .live
            .write()
            .unwrap_or_else(|p| p.into_inner()) = live.clone();
        let mut q = RecordQuery::new(Visit::KIND, TenantScope::All);
        q.statuses = vec!["badge_issued".into(), "arrived".into(), "signed_out".into()];
        q.at_from = Some(self.now() - chrono::Duration::days(8));
        q.order = RecordOrder::Newest;
        q.limit = vigil_store::MAX_PAGE_SIZE;
        for v in self.list::<Visit>(&q).await? {
            live.put_visit(v.value);
        }
        live.prune(self.now());
        Ok(())
    }

    /// The live state (for the roll call and the node's detector).
    pub fn visitors_live(&self) -> Arc<VisitorsLive> {
        self.inner
            .visitors
            .live
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// The secrets and settings, once [`Desk::set_visitor_setup`] set them.
    pub(super) fn visitor_setup_once_set(&self) -> Option<VisitorSetup> {
        self.inner
            .visitors
            .setup_set
            .load(Ordering::Acquire)
            .then(|| self.visitor_setup())
    }

    pub(super) fn visitor_setup(&self) -> VisitorSetup {
        self.inner
            .visitors
            .setup
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    fn new_visit_id(&self) -> VisitId {
        let mut random = [0u8; 10];
        rand::RngCore::fill_bytes(&mut rand::rng(), &mut random);
        VisitId::new_at(self.now(), random)
    }

    /// A host pre-registers a visit; it is screened against the watchlists
    /// by name.
    ///
    /// With an `idempotency_key` (the client's, the same for every retry of
    /// one request), the visit's id is made from the tenant, the actor and
    /// the key: a retry finds the visit the first attempt made and gets it
    /// back, as it stands, without a second visit, screening, alarm or
    /// audit entry; two attempts at once make one visit, as the store takes
    /// only one first version of it. The key reused for another request is
    /// refused ([`DeskError::IdempotencyKeyReused`]).
    pub async fn pre_register_visit(
        &self,
        actor: &Actor,
        tenant: &TenantId,
        request: &PreRegistration,
        idempotency_key: Option<&str>,
    ) -> Result<VisitorOutcome, DeskError> {
        may(actor, VisitorStep::Register, Some(tenant))?;
        let now = self.now();
        let settings = self.visitor_setup().settings(tenant);
        let id = match idempotency_key {
            Some(key) => {
                let id = VisitId::for_idempotency_key(tenant, &actor_id(actor)?, checked_key(key)?);
                if let Some(done) = self
                    .registered_before(actor, id, request, key, &settings)
                    .await?
                {
                    return Ok(done);
                }
                id
            }
            None => self.new_visit_id(),
        };
        let (visit, audit) = Visit::pre_register(
            id,
            tenant.clone(),
            request,
            actor_id(actor)?,
            &settings,
            now,
        )
        .map_err(|e| visit_error(&id.to_string(), e))?;
        let subject = Subject::pre_registration(request);
        let hits = self
            .screen_visit(&visit, &subject, Screening::PreRegistration, now)
            .await;
        let hits = match self
            .commit_screened_visit(actor, None, &visit, &audit, hits, now)
            .await
        {
            Ok(hits) => hits,
            Err(e) => {
                // Another attempt with the same key stored it first.
                if let (DeskError::Store(StoreError::Conflict { expected: 0, .. }), Some(key)) =
                    (&e, idempotency_key)
                    && let Some(done) = self
                        .registered_before(actor, id, request, key, &settings)
                        .await?
                {
                    return Ok(done);
                }
                return Err(e);
            }
        };
        let alarms = self.raise_screened(&visit, &hits).await;
        Ok(VisitorOutcome { visit, alarms })
    }

    /// The visit `id` if an earlier attempt of `request` made it (`None`
    /// when there is none), read with the tenant's visit `settings`; an
    /// error when it was made by another request under the same key.
    async fn registered_before(
        &self,
        actor: &Actor,
        id: VisitId,
        request: &PreRegistration,
        key: &str,
        settings: &vigil_visitors::visit::VisitSettings,
    ) -> Result<Option<VisitorOutcome>, DeskError> {
        let stored = match self.read::<Visit>(&id.to_string(), &actor.scope()).await {
            Ok(stored) => stored.value,
            Err(DeskError::NotFound { .. }) => return Ok(None),
            Err(e) => return Err(e),
        };
        if stored.registered_from(request, &actor_id(actor)?, settings) {
            Ok(Some(VisitorOutcome {
                visit: stored,
                alarms: Vec::new(),
            }))
        } else {
            Err(DeskError::IdempotencyKeyReused {
                key: key.chars().take(80).collect(),
            })
        }
    }

    /// Takes `step` on visit `id`.
    pub async fn visit_step(
        &self,
        actor: &Actor,
        id: &str,
        step: VisitStep,
    ) -> Result<VisitorOutcome, DeskError> {
        let stored = self.read::<Visit>(id, &actor.scope()).await?;
        let tenant = stored.value.tenant.clone();
        let needs = match step {
            VisitStep::Approve { .. } | VisitStep::Refuse { .. } => VisitorStep::Decide,
            _ => VisitorStep::FrontDesk,
        };
        may(actor, needs, Some(&tenant))?;
        let now = self.now();
        let by = actor_id(actor)?;
        let setup = self.visitor_setup();
        let mut visit = stored.value.clone();
        let result = match &step {
            VisitStep::Approve { zones, reason } => {
                visit.approve(by, zones.as_deref(), reason.as_deref(), now)
            }
            VisitStep::Refuse { reason } => visit.refuse(by, reason, now),
            VisitStep::Arrive { document } => {
                let settings = setup.settings(&tenant);
                // Under `not_recorded` the secret is never used; any key does.
                let secret = setup
                    .secrets
                    .tenants
                    .get(&tenant)
                    .cloned()
                    .unwrap_or_else(placeholder_secret);
                visit.arrive(by, document, &settings, &secret, now)
            }
            VisitStep::IssueBadge { badge } => visit.issue_badge(by, badge, now),
            VisitStep::SignOut => visit.sign_out(by, now),
        };
        let audit = result.map_err(|e| visit_error(id, e))?;
        let hits = match &step {
            VisitStep::Arrive { document } => {
                let subject = Subject::arrival(&visit, document);
                self.screen_visit(&visit, &subject, Screening::Arrival, now)
                    .await
            }
            _ => Vec::new(),
        };
        let hits = self
            .commit_screened_visit(actor, Some(&stored), &visit, &audit, hits, now)
            .await?;
        let alarms = self.raise_screened(&visit, &hits).await;
        Ok(VisitorOutcome { visit, alarms })
    }

    /// One visit, if the caller may see it.
    pub async fn visit(&self, actor: &Actor, id: &str) -> Result<Visit, DeskError> {
        let stored = self.read::<Visit>(id, &actor.scope()).await?;
        may(actor, VisitorStep::Read, Some(&stored.value.tenant))?;
        Ok(stored.value)
    }

    /// Visits the caller may see: of `site` when given, in `state` when
    /// given, whose window starts in `[from, to)`, earliest first.
    pub async fn visits(
        &self,
        actor: &Actor,
        site: Option<&SiteId>,
        state: Option<VisitState>,
        from: Option<Timestamp>,
        to: Option<Timestamp>,
    ) -> Result<Vec<Visit>, DeskError> {
        may(actor, VisitorStep::Read, actor.tenant.as_ref())?;
        let mut q = RecordQuery::new(Visit::KIND, actor.scope());
        q.owner = site.map(ToString::to_string);
        q.statuses = state.map(|s| s.as_str().to_owned()).into_iter().collect();
        q.at_from = from;
        q.at_to = to;
        q.order = RecordOrder::RankThenAge;
        q.limit = MAX_READ;
        Ok(self
            .list::<Visit>(&q)
            .await?
            .into_iter()
            .map(|s| s.value)
            .collect())
    }

    /// Who is on `tenant`'s `site` now, for an evacuation.
    pub async fn roll_call(
        &self,
        actor: &Actor,
        tenant: &TenantId,
        site: &SiteId,
    ) -> Result<RollCallView, DeskError> {
        may(actor, VisitorStep::Read, Some(tenant))?;
        let now = self.now();
        let on_site = self
            .visitors_live()
            .roll_call(tenant, site, &BTreeMap::new(), now);
        Ok(RollCallView {
            tenant: tenant.clone(),
            site: site.clone(),
            at: now,
            on_site,
        })
    }

    async fn client_watchlist_entries(
        &self,
        tenant: &TenantId,
    ) -> Result<Vec<ClientWatchlistEntry>, DeskError> {
        let mut q = RecordQuery::new(ClientWatchlistEntry::KIND, TenantScope::One(tenant.clone()));
        q.order = RecordOrder::Newest;
        q.limit = vigil_store::MAX_PAGE_SIZE;
        Ok(self
            .list::<ClientWatchlistEntry>(&q)
            .await?
            .into_iter()
            .map(|s| s.value)
            .collect())
    }

    pub(super) async fn client_watchlist_of(
        &self,
        tenant: &TenantId,
    ) -> Result<ClientWatchlist, DeskError> {
        Ok(ClientWatchlist {
            entries: self
                .client_watchlist_entries(tenant)
                .await?
                .into_iter()
                .map(|e| e.entry)
                .collect(),
        })
    }

    pub(super) async fn provider_watchlist_all(&self) -> Result<ProviderWatchlist, DeskError> {
        let mut q = RecordQuery::new(ProviderWatchlistEntry::KIND, TenantScope::All);
        q.order = RecordOrder::Newest;
        q.limit = vigil_store::MAX_PAGE_SIZE;
        let mut list = ProviderWatchlist::default();
        for s in self.list::<ProviderWatchlistEntry>(&q).await? {
            list.add(s.value.entry);
        }
        Ok(list)
    }

    /// The client's watchlist.
    pub async fn client_watchlist(
        &self,
        actor: &Actor,
        tenant: &TenantId,
    ) -> Result<Vec<ClientWatchlistEntry>, DeskError> {
        may(actor, VisitorStep::ClientWatchlist, Some(tenant))?;
        self.client_watchlist_entries(tenant).await
    }

    /// Lists someone on the client's watchlist (a document only as its
    /// keyed hash under the client's secret).
    pub async fn add_client_watchlist_entry(
        &self,
        actor: &Actor,
        tenant: &TenantId,
        entry: &NewEntry,
    ) -> Result<WatchlistAdded<ClientWatchlistEntry>, DeskError> {
        may(actor, VisitorStep::ClientWatchlist, Some(tenant))?;
        let setup = self.visitor_setup();
        let secret = match (setup.secrets.tenants.get(tenant), &entry.document) {
            (Some(s), _) => s.clone(),
            (None, Some(_)) => {
                return Err(DeskError::invalid(
                    "document",
                    "this client has no visitors secret configured, so no document can be kept",
                ));
            }
            (None, None) => placeholder_secret(),
        };
        let now = self.now();
        let mut list = ClientWatchlist::default();
        let added = list
            .add(self.new_id("watch"), entry, &secret, actor_id(actor)?, now)
            .map_err(watchlist_error)?
            .clone();
        // Saved marked, in the same write: a node dying before the
        // re-screening is done leaves the mark for `rescreen_pending`.
        let record = ClientWatchlistEntry {
            tenant: tenant.clone(),
            entry: added,
            rescreening: true,
        };
        // Identifiers only: the name and reason stay on the record.
        let detail = serde_json::json!({ "tenant": tenant, "entry": record.entry.id });
        let stored = self.save_new(actor, record, detail, now).await?;
        let result = self.rescreen_client_entry(&stored, secret, now).await;
        Ok(finished(stored.value, result))
    }

    /// The provider's watchlist: hashes only.
    pub async fn provider_watchlist(
        &self,
        actor: &Actor,
    ) -> Result<Vec<ProviderWatchlistEntry>, DeskError> {
        may(actor, VisitorStep::ProviderWatchlist, None)?;
        let mut q = RecordQuery::new(ProviderWatchlistEntry::KIND, TenantScope::All);
        q.order = RecordOrder::Newest;
        q.limit = MAX_READ;
        Ok(self
            .list::<ProviderWatchlistEntry>(&q)
            .await?
            .into_iter()
            .map(|s| s.value)
            .collect())
    }

    /// Lists someone on the provider's watchlist, as hashes under the
    /// provider's key (the name, birth date and document are not kept).
    pub async fn add_provider_watchlist_entry(
        &self,
        actor: &Actor,
        entry: &NewEntry,
    ) -> Result<WatchlistAdded<ProviderWatchlistEntry>, DeskError> {
        may(actor, VisitorStep::ProviderWatchlist, None)?;
        let Some(key) = self.visitor_setup().secrets.provider else {
            return Err(DeskError::invalid(
                "name",
                "no provider watchlist key is configured ([visitors] provider_key_env)",
            ));
        };
        let name = Some(entry.name.trim()).filter(|n| !n.is_empty());
        let hashes = ProviderEntry::new(&key, name, entry.birth_date, entry.document.as_ref())
            .map_err(watchlist_error)?;
        let now = self.now();
        let record = ProviderWatchlistEntry {
            id: self.new_id("pwatch"),
            entry: hashes,
            added_by: actor.name.clone(),
            added_at: now,
            // Saved marked, as a client's entry is.
            rescreening: true,
        };
        let detail = serde_json::json!({ "entry": record.id });
        let stored = self.save_new(actor, record, detail, now).await?;
        let result = self.rescreen_provider_entry(&stored, key, now).await;
        Ok(finished(stored.value, result))
    }
}

/// Longest idempotency key taken: a client's UUID or random token fits.
const MAX_IDEMPOTENCY_KEY: usize = 255;

/// `key` if it is 1 to 255 visible ASCII characters.
fn checked_key(key: &str) -> Result<&str, DeskError> {
    if key.is_empty() || key.len() > MAX_IDEMPOTENCY_KEY {
        return Err(DeskError::invalid(
            "Idempotency-Key",
            format!("must be 1 to {MAX_IDEMPOTENCY_KEY} characters"),
        ));
    }
    if !key.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(DeskError::invalid(
            "Idempotency-Key",
            "must be visible ASCII characters (no spaces or control characters)",
        ));
    }
    Ok(key)
}
