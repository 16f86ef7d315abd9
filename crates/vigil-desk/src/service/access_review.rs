//! The access review of a client: every API token that opens its data —
//! its own client tokens and the provider's — with the role, whether the
//! configuration still registers it, and when it was last used (its
//! newest entry in the audit chain). The review itself is recorded.

use serde::Serialize;
use vigil_model::{TenantId, Timestamp};
use vigil_store::TenantScope;
use vigil_store::audit::AuditRecord;

use super::Desk;
use crate::{Actor, DeskError, Permission};

/// Audit entries read per page, newest first.
const PAGE: usize = 1_000;
/// Most audit entries one review reads: older acts show as "not found in
/// the newest entries" (`searched_all` false) rather than as never.
const MAX_READ: usize = 500_000;

/// One token with access to the client.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AccessHolder {
    /// The token's name (the person or integration it was issued to).
    pub name: String,
    /// Its role.
    pub role: String,
    /// `client` (bound to this client) or `all_clients` (the provider's).
    pub reach: &'static str,
    /// Whether the node's configuration registers it (`None` when the
    /// review ran without the configuration). A stored token the
    /// configuration no longer names still opens the API: revoke it.
    pub in_configuration: Option<bool>,
    /// Its newest audit entry (reads are not recorded: this is the last
    /// act, logins included).
    pub last_used: Option<Timestamp>,
    /// What that act was.
    pub last_action: Option<String>,
}

/// The access review of one client.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AccessReview {
    /// The client.
    pub tenant: TenantId,
    /// When it was taken.
    pub at: Timestamp,
    /// Every token with access, the client's first, by name.
    pub holders: Vec<AccessHolder>,
    /// Audit entries read for "last used".
    pub audit_entries_read: u64,
    /// Whether the whole chain was read (false: older acts may exist).
    pub searched_all: bool,
}

impl Desk {
    /// The access review of `tenant`, for provider administrators and
    /// leads, and the client's own administrators. Recorded in the audit
    /// chain (`access.review`).
    pub async fn access_review(
        &self,
        actor: &Actor,
        tenant: &TenantId,
    ) -> Result<AccessReview, DeskError> {
        actor.require(Permission::ReviewAccess, Some(tenant))?;
        self.known_tenant(tenant).await?;
        let store = &self.inner.store;
        let registered = self.evidence_settings().tokens.clone();
        let mut holders: Vec<AccessHolder> = store
            .api_tokens()
            .await?
            .into_iter()
            .filter(|t| t.tenant.as_ref() == Some(tenant) || t.tenant.is_none())
            .map(|t| AccessHolder {
                reach: if t.tenant.is_some() {
                    "client"
                } else {
                    "all_clients"
                },
                in_configuration: registered
                    .as_ref()
                    .map(|r| r.iter().any(|c| c.hash == t.hash && c.role == t.role)),
                name: t.name,
                role: t.role.as_str().to_owned(),
                last_used: None,
                last_action: None,
            })
            .collect();
        // The client's own tokens first, then the provider's, each by name.
        holders.sort_by(|a, b| (a.reach != "client", &a.name).cmp(&(b.reach != "client", &b.name)));

        // Newest first: the first entry found for a name is its last act.
        // Only this client's entries and provider-wide ones count: another
        // client's are not this client's to see.
        let mut before = None;
        let mut read = 0usize;
        let mut searched_all = false;
        while holders.iter().any(|h| h.last_used.is_none()) {
            if read >= MAX_READ {
                break;
            }
            let page = store.audit_entries(&TenantScope::All, before, PAGE).await?;
            read += page.len();
            for e in &page {
                if e.tenant.as_ref().is_some_and(|t| t != tenant) {
                    continue;
                }
                if let Some(h) = holders
                    .iter_mut()
                    .find(|h| h.last_used.is_none() && h.name == e.actor)
                {
                    h.last_used = Some(e.at);
                    h.last_action = Some(e.action.clone());
                }
            }
            match page.last() {
                Some(oldest) if page.len() == PAGE => before = Some(oldest.seq),
                _ => {
                    searched_all = true;
                    break;
                }
            }
        }
        if holders.iter().all(|h| h.last_used.is_some()) {
            // Nothing was left to look for: nothing older could change it.
            searched_all = true;
        }
        let now = self.now();
        store
            .audit_append(vec![AuditRecord {
                at: now,
                actor: actor.name.clone(),
                tenant: Some(tenant.clone()),
                action: "access.review".into(),
                object: format!("tenant/{tenant}"),
                before: None,
                after: None,
                detail: serde_json::json!({ "holders": holders.len() }),
            }])
            .await?;
        Ok(AccessReview {
            tenant: tenant.clone(),
            at: now,
            holders,
            audit_entries_read: read as u64,
            searched_all,
        })
    }
}
