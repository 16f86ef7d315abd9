//! Data governance at work: legal holds placed and lifted on the record,
//! and the retention job — the plan (`crate::governance::plan`) run
//! against the store under a lease, each deletion's proof appended to the
//! audit chain by the store in the deletion's own transaction.

use std::collections::BTreeMap;

use chrono::Duration;
use serde::Serialize;
use serde_json::json;
use vigil_model::{TenantId, Timestamp};
use vigil_store::governance::ExpiryRequest;
use vigil_store::{DeskWrite, RecordOrder, RecordQuery, TenantScope};

use super::Desk;
use crate::governance::{
    DataClass, HoldScope, Holds, LegalHold, Residency, RetentionPolicy, check_reason, plan,
};
use crate::incident::Incident;
use crate::record::{DeskObject, Stored, audit};
use crate::{Actor, DeskError, Permission};

/// Records one deletion deletes at most; a class with more is deleted in
/// several batches, each with its own proof. The SQLite store's purge
/// chunk: one batch holds its single writer for about as long, so ingest
/// queued behind it still commits between batches.
pub const RETENTION_BATCH: usize = 5_000;

/// How long a node holds the retention lease: longer than a pass takes, so
/// two nodes do not delete side by side, short enough that another node
/// takes over within the hour if the holder dies.
const RETENTION_LEASE_MINUTES: i64 = 15;

/// What the retention job deleted of one class of one client.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RetentionOutcome {
    /// The client.
    pub tenant: TenantId,
    /// The class.
    pub class: DataClass,
    /// Records older than this went.
    pub before: Timestamp,
    /// How many.
    pub deleted: u64,
    /// The audit entries holding the proofs (one per batch).
    pub audit_seqs: Vec<u64>,
}

impl Desk {
    /// Sets the retention policy the job enforces (and the configured
    /// holds the API shows and cannot lift).
    pub fn set_retention_policy(&self, policy: RetentionPolicy) {
        *self
            .inner
            .retention
            .lock()
            .unwrap_or_else(|p| p.into_inner()) = policy;
    }

    /// Sets where each client's data must stay (from configuration).
    pub fn set_residency(&self, residency: BTreeMap<TenantId, Residency>) {
        *self
            .inner
            .residency
            .lock()
            .unwrap_or_else(|p| p.into_inner()) = residency;
    }

    /// Where `tenant`'s data must stay, when configured.
    pub fn residency(&self, tenant: &TenantId) -> Option<Residency> {
        self.inner
            .residency
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(tenant)
            .cloned()
    }

    /// The retention policy in force.
    pub fn retention_policy(&self) -> RetentionPolicy {
        self.inner
            .retention
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Places a legal hold on `scope` of `tenant`, recorded in the audit
    /// chain. Refused when one is already in place (configured or placed).
    pub async fn place_legal_hold(
        &self,
        actor: &Actor,
        tenant: &TenantId,
        scope: HoldScope,
        reason: &str,
    ) -> Result<LegalHold, DeskError> {
        actor.require(Permission::LegalHold, Some(tenant))?;
        let reason = check_reason(reason)?;
        self.known_tenant(tenant).await?;
        if let HoldScope::Incident { incident } = &scope {
            self.read::<Incident>(incident, &TenantScope::One(tenant.clone()))
                .await?;
        }
        let id = LegalHold::id_of(tenant, &scope);
        if let Some(existing) = self.hold_on(tenant, &scope).await? {
            return Err(DeskError::Transition {
                what: "legal hold",
                id,
                command: "place",
                state: format!(
                    "already held (by {} since {})",
                    existing.value.placed_by, existing.value.placed_at
                ),
                hint: "one hold at a time; lift it first to change its reason".into(),
            });
        }
        let hold = LegalHold {
            tenant: tenant.clone(),
            scope,
            reason: reason.clone(),
            placed_by: actor.name.clone(),
            placed_at: self.now(),
        };
        self.commit_one(
            actor,
            "place",
            None,
            &hold,
            json!({ "reason": reason }),
            self.now(),
        )
        .await?;
        Ok(hold)
    }

    /// Lifts the legal hold on `scope` of `tenant`, recorded in the audit
    /// chain. A hold set in configuration is lifted there, not here.
    pub async fn lift_legal_hold(
        &self,
        actor: &Actor,
        tenant: &TenantId,
        scope: HoldScope,
    ) -> Result<LegalHold, DeskError> {
        actor.require(Permission::LegalHold, Some(tenant))?;
        let id = LegalHold::id_of(tenant, &scope);
        let Some(stored) = self.hold_on(tenant, &scope).await? else {
            return Err(DeskError::NotFound {
                what: "legal hold",
                id,
            });
        };
        if stored.version == 0 {
            return Err(DeskError::Transition {
                what: "legal hold",
                id,
                command: "lift",
                state: "set in configuration".into(),
                hint: "remove `legal_hold` from the client's [[tenants]] entry and restart".into(),
            });
        }
        let now = self.now();
        self.commit(DeskWrite {
            deletes: vec![(LegalHold::KIND.to_owned(), id, stored.version)],
            audit: vec![audit(
                actor,
                "lift",
                Some(&stored.value),
                None,
                json!({ "reason": stored.value.reason }),
                now,
            )],
            ..Default::default()
        })
        .await?;
        Ok(stored.value)
    }

    /// The legal holds in force that `actor` may see (of `tenant` when
    /// given), configured ones included, oldest first.
    pub async fn legal_holds(
        &self,
        actor: &Actor,
        tenant: Option<&TenantId>,
    ) -> Result<Vec<LegalHold>, DeskError> {
        // A client user's listing is its own client's, asked or not.
        let scope = self.scope_for(actor, tenant.or(actor.tenant.as_ref()))?;
        let mut holds: Vec<LegalHold> = self
            .all_holds(&scope)
            .await?
            .into_iter()
            .map(|s| s.value)
            .collect();
        holds.sort_by(|a, b| a.placed_at.cmp(&b.placed_at).then(a.tenant.cmp(&b.tenant)));
        Ok(holds)
    }

    /// Whether anything of `tenant` is held (a hold on the client or on
    /// one of its incidents).
    pub async fn is_held(&self, tenant: &TenantId) -> Result<bool, DeskError> {
        Ok(!self
            .all_holds(&TenantScope::One(tenant.clone()))
            .await?
            .is_empty())
    }

    /// Runs the retention job once, if this node holds the retention lease:
    /// every class of every client not held, older than its period, is
    /// deleted in batches, each batch's proof recorded by the store.
    pub async fn enforce_retention(&self) -> Result<Vec<RetentionOutcome>, DeskError> {
        let policy = self.retention_policy();
        if !policy.deletes_anything() {
            return Ok(Vec::new());
        }
        let now = self.now();
        let store = &self.inner.store;
        let lease = Duration::minutes(RETENTION_LEASE_MINUTES);
        if !store
            .try_lease("retention", &self.inner.node, now, lease)
            .await?
        {
            return Ok(Vec::new());
        }
        let tenants: Vec<TenantId> = store
            .tenants(&TenantScope::All)
            .await?
            .into_iter()
            .map(|t| t.id)
            .collect();
        let holds = self.holds_for_plan().await?;
        let mut outcomes = Vec::new();
        for expiry in plan(&policy, &tenants, &holds, now) {
            let request = ExpiryRequest {
                class: expiry.class,
                tenant: expiry.tenant.clone(),
                before: expiry.before,
                keep_alerts: expiry.keep_alerts,
                keep_incidents: expiry.keep_incidents,
                limit: RETENTION_BATCH,
                actor: "system:retention".into(),
                action: "retention.delete".into(),
                at: now,
            };
            let mut outcome = RetentionOutcome {
                tenant: expiry.tenant,
                class: expiry.class,
                before: expiry.before,
                deleted: 0,
                audit_seqs: Vec::new(),
            };
            loop {
                let deletion = store.delete_expired(&request).await?;
                outcome.deleted += deletion.proof.count;
                outcome.audit_seqs.extend(deletion.audit_seq);
                if deletion.ids.len() < RETENTION_BATCH {
                    break;
                }
            }
            if outcome.deleted > 0 {
                tracing::info!(
                    tenant = %outcome.tenant,
                    class = %outcome.class,
                    deleted = outcome.deleted,
                    "retention: deleted, proof recorded"
                );
                outcomes.push(outcome);
            }
        }
        if !outcomes.is_empty() {
            self.inner.changed.send_modify(|n| *n = n.wrapping_add(1));
        }
        Ok(outcomes)
    }

    pub(crate) async fn known_tenant(&self, tenant: &TenantId) -> Result<(), DeskError> {
        if self
            .inner
            .store
            .tenants(&TenantScope::One(tenant.clone()))
            .await?
            .is_empty()
        {
            return Err(DeskError::NotFound {
                what: "tenant",
                id: tenant.to_string(),
            });
        }
        Ok(())
    }

    /// The hold on `scope` of `tenant`: a placed one, or (version 0) the
    /// client's configured one.
    async fn hold_on(
        &self,
        tenant: &TenantId,
        scope: &HoldScope,
    ) -> Result<Option<Stored<LegalHold>>, DeskError> {
        if *scope == HoldScope::Tenant
            && let Some(held) = self.configured_hold(tenant)
        {
            return Ok(Some(held));
        }
        let id = LegalHold::id_of(tenant, scope);
        match self
            .read::<LegalHold>(&id, &TenantScope::One(tenant.clone()))
            .await
        {
            Ok(stored) => Ok(Some(stored)),
            Err(DeskError::NotFound { .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    fn configured_hold(&self, tenant: &TenantId) -> Option<Stored<LegalHold>> {
        let policy = self
            .inner
            .retention
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        policy.config_holds.get(tenant).map(|reason| Stored {
            value: LegalHold {
                tenant: tenant.clone(),
                scope: HoldScope::Tenant,
                reason: reason.clone(),
                placed_by: "config".into(),
                placed_at: self.inner.started_at,
            },
            version: 0,
        })
    }

    /// Every hold in `scope`: configured, then placed.
    async fn all_holds(&self, scope: &TenantScope) -> Result<Vec<Stored<LegalHold>>, DeskError> {
        let configured: Vec<TenantId> = self
            .inner
            .retention
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .config_holds
            .keys()
            .filter(|t| scope.allows(t))
            .cloned()
            .collect();
        let mut holds: Vec<Stored<LegalHold>> = configured
            .iter()
            .filter_map(|t| self.configured_hold(t))
            .collect();
        let mut query = RecordQuery::new(LegalHold::KIND, scope.clone());
        query.order = RecordOrder::Newest;
        loop {
            let page = self.list::<LegalHold>(&query).await?;
            let full = page.len() == vigil_store::MAX_PAGE_SIZE;
            holds.extend(page);
            if !full {
                break;
            }
            query.offset += vigil_store::MAX_PAGE_SIZE;
        }
        Ok(holds)
    }

    /// The holds as the plan needs them: clients held whole, and held
    /// incidents with their alarms (read now, as an incident gains alarms).
    async fn holds_for_plan(&self) -> Result<Holds, DeskError> {
        let mut holds = Holds::default();
        for stored in self.all_holds(&TenantScope::All).await? {
            let hold = stored.value;
            match hold.scope {
                HoldScope::Tenant => {
                    holds.tenants.insert(hold.tenant);
                }
                HoldScope::Incident { incident } => {
                    let alarms = match self
                        .read::<Incident>(&incident, &TenantScope::One(hold.tenant.clone()))
                        .await
                    {
                        Ok(stored) => stored.value.alarms,
                        Err(DeskError::NotFound { .. }) => Vec::new(),
                        Err(e) => return Err(e),
                    };
                    holds
                        .incidents
                        .entry(hold.tenant)
                        .or_default()
                        .push((incident, alarms));
                }
            }
        }
        Ok(holds)
    }
}
