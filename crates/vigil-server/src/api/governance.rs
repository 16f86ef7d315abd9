//! `/api/v1/tenants/{id}/legal-hold(s)` and `…/access-review`: legal holds
//! on a client or one of its incidents, and who has access to it. The desk
//! checks who may (provider admins and leads place and lift holds; anyone
//! who sees the client may list them; admins review access) and records
//! each change and review in the audit chain; the server authenticates and
//! scopes.

use crate::api::params::Path;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use vigil_desk::governance::{HoldScope, LegalHold};
use vigil_model::TenantId;

use super::desk::actor;
use crate::AppState;
use crate::api::params::{JsonBody, Params};
use crate::auth::Caller;
use crate::error::{ApiError, ErrorBody};

/// A tenant id from a path: a bad one is a 400 naming it; another client's
/// a 403 (checked before anything is read).
pub(crate) fn tenant_in_path(caller: &Caller, id: &str) -> Result<TenantId, ApiError> {
    let tenant = TenantId::new(id).map_err(|e| ApiError::BadRequest(format!("tenant: {e}")))?;
    caller.scope(Some(&tenant))?;
    Ok(tenant)
}

/// A legal hold to place.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewHold {
    /// Why (the matter or request it serves): not blank, at most 500
    /// characters.
    #[schema(min_length = 1, max_length = 500)]
    pub reason: String,
    /// Hold only this incident (with its alarms and their evidence)
    /// rather than everything the client owns.
    #[serde(default)]
    pub incident: Option<String>,
}

/// Which hold to lift.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct HoldParam {
    /// The incident whose hold to lift; absent, the client's own hold.
    incident: Option<String>,
}

fn scope_of(incident: Option<String>) -> HoldScope {
    match incident {
        Some(incident) => HoldScope::Incident { incident },
        None => HoldScope::Tenant,
    }
}

/// One legal hold.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct HoldBody {
    /// The hold: tenant, scope (`tenant` or `incident` with its id),
    /// reason, who placed it and when.
    #[schema(value_type = Object)]
    pub hold: LegalHold,
}

/// Legal holds.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct HoldList {
    /// In force, oldest first (configured ones show `placed_by: config`).
    #[schema(value_type = Vec<Object>)]
    pub items: Vec<LegalHold>,
}

/// The legal holds on a client and its incidents.
#[utoipa::path(get, path = "/api/v1/tenants/{id}/legal-holds", tag = "governance",
    params(("id" = vigil_model::TenantId, Path, description = "The client")), security(("bearer" = [])),
    responses((status = 200, description = "Holds in force", body = HoldList),
              (status = 400, description = "Not a tenant id", body = ErrorBody),
              (status = 403, description = "Another client's", body = ErrorBody)))]
pub(crate) async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<HoldList>, ApiError> {
    let tenant = tenant_in_path(&caller, &id)?;
    let items = state
        .desk
        .legal_holds(&actor(&caller), Some(&tenant))
        .await?;
    Ok(Json(HoldList { items }))
}

/// Places a legal hold on a client, or on one of its incidents: nothing
/// it holds is deleted by retention (or off-boarding) until it is lifted.
/// Recorded in the audit chain.
#[utoipa::path(post, path = "/api/v1/tenants/{id}/legal-hold", tag = "governance",
    params(("id" = vigil_model::TenantId, Path, description = "The client")), request_body = NewHold,
    security(("bearer" = [])),
    responses((status = 201, description = "Placed", body = HoldBody),
              (status = 400, description = "No reason, or not a tenant id", body = ErrorBody),
              (status = 403, description = "The caller may not, or another client's", body = ErrorBody),
              (status = 404, description = "No such client or incident", body = ErrorBody),
              (status = 409, description = "Already held", body = ErrorBody)))]
pub(crate) async fn place(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    JsonBody(b): JsonBody<NewHold>,
) -> Result<(StatusCode, Json<HoldBody>), ApiError> {
    let tenant = tenant_in_path(&caller, &id)?;
    let hold = state
        .desk
        .place_legal_hold(&actor(&caller), &tenant, scope_of(b.incident), &b.reason)
        .await?;
    Ok((StatusCode::CREATED, Json(HoldBody { hold })))
}

/// Lifts a legal hold (the client's, or with `?incident=` an incident's).
/// Recorded in the audit chain; a hold set in configuration is lifted
/// there.
#[utoipa::path(delete, path = "/api/v1/tenants/{id}/legal-hold", tag = "governance",
    params(("id" = vigil_model::TenantId, Path, description = "The client"), HoldParam), security(("bearer" = [])),
    responses((status = 200, description = "Lifted", body = HoldBody),
              (status = 403, description = "The caller may not, or another client's", body = ErrorBody),
              (status = 404, description = "No such hold", body = ErrorBody),
              (status = 409, description = "Set in configuration", body = ErrorBody)))]
pub(crate) async fn lift(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Params(p): Params<HoldParam>,
) -> Result<Json<HoldBody>, ApiError> {
    let tenant = tenant_in_path(&caller, &id)?;
    let hold = state
        .desk
        .lift_legal_hold(&actor(&caller), &tenant, scope_of(p.incident))
        .await?;
    Ok(Json(HoldBody { hold }))
}

/// Who has access to a client.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct AccessReviewBody {
    /// The review: every token with access (the client's own and the
    /// provider's), its role, whether the configuration registers it, and
    /// its last recorded act.
    #[schema(value_type = Object)]
    pub review: vigil_desk::service::AccessReview,
}

/// The access review of a client: every person and token with access to
/// it, their role, and when each last acted (its newest audit entry).
/// Provider administrators and leads, and the client's own administrators.
/// Recorded in the audit chain.
#[utoipa::path(get, path = "/api/v1/tenants/{id}/access-review", tag = "governance",
    params(("id" = vigil_model::TenantId, Path, description = "The client")), security(("bearer" = [])),
    responses((status = 200, description = "The review", body = AccessReviewBody),
              (status = 400, description = "Not a tenant id", body = ErrorBody),
              (status = 403, description = "The caller may not, or another client's", body = ErrorBody),
              (status = 404, description = "No such client", body = ErrorBody)))]
pub(crate) async fn access_review(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<AccessReviewBody>, ApiError> {
    let tenant = tenant_in_path(&caller, &id)?;
    let review = state.desk.access_review(&actor(&caller), &tenant).await?;
    Ok(Json(AccessReviewBody { review }))
}
