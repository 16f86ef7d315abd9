//! `/api/v1/watchlist`: a client's watchlist (its administrator, and
//! provider leads and administrators), and `/api/v1/watchlist/provider`,
//! the provider's list across clients (provider leads and administrators
//! only; kept as keyed hashes, so reading it shows no one).
//!
//! A pre-registration or an arrival matching either list raises an alarm
//! (see `visits.rs`), and so does adding an entry that matches a visit
//! still relevant (pre-registered or approved and not over, or a visitor
//! signed in and not out): once per visit and person listed. The desk
//! raises those alarms itself, durably — a node dying before it is done
//! leaves the entry marked and another pass finishes it — so the handlers
//! only save. The response says nothing of such hits — whoever lists
//! someone does not learn who is visiting. Adding an entry is on the audit
//! record by its id only.

use axum::Json;
use axum::extract::State;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use vigil_desk::visitors::{ClientWatchlistEntry, ProviderWatchlistEntry};
use vigil_model::TenantId;
use vigil_visitors::visit::{DocumentKind, IdentityDocument};
use vigil_visitors::watchlist::NewEntry;

use super::actor;
use crate::AppState;
use crate::api::params::{JsonBody, Params};
use crate::auth::Caller;
use crate::error::{ApiError, ErrorBody};

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct WatchlistParams {
    /// The client (a client user's own when left out; required for
    /// provider staff).
    #[param(value_type = Option<String>)]
    tenant: Option<TenantId>,
}

fn tenant_of(caller: &Caller, asked: Option<TenantId>) -> Result<TenantId, ApiError> {
    match (&caller.token.tenant, asked) {
        (Some(own), Some(t)) if *own != t => {
            Err(ApiError::NotFound(format!("tenant `{t}` not found")))
        }
        (Some(own), _) => Ok(own.clone()),
        (None, Some(t)) => Ok(t),
        (None, None) => Err(ApiError::BadRequest(
            "tenant: provider staff must name the client".into(),
        )),
    }
}

/// A client's watchlist.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ClientList {
    /// Entries, newest first: `tenant`, `entry` (`id`, `name`,
    /// `name_key`, `birth_date`, `document` as a keyed hash, `reason`,
    /// `added_by`, `added_at`), and `rescreening` (true while the stored
    /// visits are still being screened against it).
    #[schema(value_type = Vec<Object>)]
    entries: Vec<ClientWatchlistEntry>,
}

/// An identity document on an entry.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct EntryDocument {
    /// `passport`, `identity_card`, `driving_licence` or `other`.
    #[schema(value_type = String)]
    kind: DocumentKind,
    /// The number (kept only as a keyed hash).
    number: String,
}

/// Someone to list.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct EntryBody {
    /// The client, for provider staff adding to a client's list; absent for
    /// the provider's own list and for client users.
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    tenant: Option<TenantId>,
    /// The name (for the provider's list, may be empty when a document is
    /// given: a stolen card).
    #[serde(default)]
    name: String,
    /// The birth date, when known.
    #[serde(default)]
    birth_date: Option<NaiveDate>,
    /// The document, when known.
    #[serde(default)]
    document: Option<EntryDocument>,
    /// Why (the client's list only; the provider's list keeps no reason).
    #[serde(default)]
    reason: String,
}

impl EntryBody {
    fn entry(&self) -> NewEntry {
        NewEntry {
            name: self.name.clone(),
            birth_date: self.birth_date,
            document: self.document.as_ref().map(|d| IdentityDocument {
                kind: d.kind,
                number: d.number.clone(),
            }),
            reason: self.reason.clone(),
        }
    }
}

/// The client's watchlist.
#[utoipa::path(get, path = "/api/v1/watchlist", tag = "visitors", params(WatchlistParams), security(("bearer" = [])),
    responses((status = 200, description = "The list", body = ClientList),
              (status = 400, description = "Provider staff named no client", body = ErrorBody),
              (status = 403, description = "The caller's role may not read it", body = ErrorBody),
              (status = 404, description = "No such tenant in the caller's scope", body = ErrorBody)))]
pub(crate) async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Params(p): Params<WatchlistParams>,
) -> Result<Json<ClientList>, ApiError> {
    let tenant = tenant_of(&caller, p.tenant)?;
    let entries = state
        .desk
        .client_watchlist(&actor(&caller), &tenant)
        .await?;
    Ok(Json(ClientList { entries }))
}

/// An entry added to a client's list.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ClientEntryView {
    /// The entry.
    #[schema(value_type = Object)]
    entry: ClientWatchlistEntry,
}

/// Lists someone on the client's watchlist.
#[utoipa::path(post, path = "/api/v1/watchlist", tag = "visitors", request_body = EntryBody, security(("bearer" = [])),
    responses((status = 200, description = "Listed", body = ClientEntryView),
              (status = 400, description = "A wrong field, named (`name`, `reason`, `document_number` …)", body = ErrorBody),
              (status = 403, description = "The caller's role may not add to it", body = ErrorBody),
              (status = 404, description = "No such tenant in the caller's scope", body = ErrorBody)))]
pub(crate) async fn add(
    State(state): State<AppState>,
    caller: Caller,
    JsonBody(b): JsonBody<EntryBody>,
) -> Result<Json<ClientEntryView>, ApiError> {
    let tenant = tenant_of(&caller, b.tenant.clone())?;
    let added = state
        .desk
        .add_client_watchlist_entry(&actor(&caller), &tenant, &b.entry())
        .await?;
    Ok(Json(ClientEntryView { entry: added.entry }))
}

/// The provider's list: hashes only.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ProviderList {
    /// Entries, newest first: `id`, `entry` (`name`, `name_birth`,
    /// `document` keyed hashes), `added_by`, `added_at`, and
    /// `rescreening` (true while the stored visits are still being
    /// screened against it).
    #[schema(value_type = Vec<Object>)]
    entries: Vec<ProviderWatchlistEntry>,
}

/// The provider's watchlist across clients.
#[utoipa::path(get, path = "/api/v1/watchlist/provider", tag = "visitors", security(("bearer" = [])),
    responses((status = 200, description = "The list", body = ProviderList),
              (status = 403, description = "Provider leads and administrators only", body = ErrorBody)))]
pub(crate) async fn provider_list(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<ProviderList>, ApiError> {
    let entries = state.desk.provider_watchlist(&actor(&caller)).await?;
    Ok(Json(ProviderList { entries }))
}

/// An entry added to the provider's list.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ProviderEntryView {
    /// The entry (hashes only).
    #[schema(value_type = Object)]
    entry: ProviderWatchlistEntry,
}

/// Lists someone on the provider's watchlist (name, birth date and
/// document are hashed under the provider's key and not kept).
#[utoipa::path(post, path = "/api/v1/watchlist/provider", tag = "visitors", request_body = EntryBody, security(("bearer" = [])),
    responses((status = 200, description = "Listed", body = ProviderEntryView),
              (status = 400, description = "Neither a name nor a document, a wrong field, a client named, or no provider key configured", body = ErrorBody),
              (status = 403, description = "Provider leads and administrators only", body = ErrorBody)))]
pub(crate) async fn provider_add(
    State(state): State<AppState>,
    caller: Caller,
    JsonBody(b): JsonBody<EntryBody>,
) -> Result<Json<ProviderEntryView>, ApiError> {
    if b.tenant.is_some() {
        return Err(ApiError::BadRequest(
            "tenant: the provider's list is across clients; leave it out".into(),
        ));
    }
    let added = state
        .desk
        .add_provider_watchlist_entry(&actor(&caller), &b.entry())
        .await?;
    Ok(Json(ProviderEntryView { entry: added.entry }))
}
