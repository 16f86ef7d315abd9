//! `/api/v1/suppressions` and `/api/v1/maintenance`.

use crate::api::params::Path;
use axum::Json;
use axum::extract::State;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use vigil_desk::suppression::{MaintenanceTarget, MaintenanceWindow, Suppression};
use vigil_model::{SiteId, TenantId};

use super::actor;
use crate::AppState;
use crate::api::params::{JsonBody, Params};
use crate::auth::Caller;
use crate::error::{ApiError, ErrorBody};

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct TenantParam {
    /// Only this tenant (client users: their own, always).
    tenant: Option<TenantId>,
}

/// Suppressions.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct SuppressionList {
    /// In force, newest first.
    #[schema(value_type = Vec<Object>)]
    pub items: Vec<Suppression>,
}

/// Suppressions in force.
#[utoipa::path(get, path = "/api/v1/suppressions", tag = "desk", params(TenantParam), security(("bearer" = [])),
    responses((status = 200, description = "Suppressions in force", body = SuppressionList),
              (status = 403, description = "Tenant not in the token's scope", body = ErrorBody)))]
pub(crate) async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Params(p): Params<TenantParam>,
) -> Result<Json<SuppressionList>, ApiError> {
    caller.scope(p.tenant.as_ref())?;
    let tenant = p.tenant.or_else(|| caller.token.tenant.clone());
    let items = state
        .desk
        .suppressions(&actor(&caller), tenant.as_ref())
        .await?;
    Ok(Json(SuppressionList { items }))
}

/// A new suppression.
#[derive(Debug, Deserialize, ToSchema)]
pub(crate) struct NewSuppression {
    /// Whose alarms.
    pub tenant: TenantId,
    /// Only this rule's alarms.
    #[serde(default)]
    pub rule_id: Option<String>,
    /// Only alarms about this entity.
    #[serde(default)]
    pub entity: Option<String>,
    /// Only alarms at this site.
    #[serde(default)]
    pub site: Option<SiteId>,
    /// Until (at most 30 days ahead).
    pub expires_at: DateTime<Utc>,
    /// Why: at least 3 characters besides surrounding blanks.
    #[schema(min_length = 3)]
    pub reason: String,
}

/// One suppression.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct SuppressionBody {
    /// The suppression.
    #[schema(value_type = Object)]
    pub suppression: Suppression,
}

/// Sets a suppression (names a rule, an entity or both; expires; has a reason).
#[utoipa::path(post, path = "/api/v1/suppressions", tag = "desk", request_body = NewSuppression, security(("bearer" = [])),
    responses((status = 200, description = "Set", body = SuppressionBody),
              (status = 400, description = "Too broad, open-ended, or without a reason", body = ErrorBody),
              (status = 403, description = "The caller may not", body = ErrorBody)))]
pub(crate) async fn create(
    State(state): State<AppState>,
    caller: Caller,
    JsonBody(b): JsonBody<NewSuppression>,
) -> Result<Json<SuppressionBody>, ApiError> {
    let suppression = state
        .desk
        .suppress(
            &actor(&caller),
            b.tenant,
            b.rule_id,
            b.entity,
            b.site,
            b.expires_at,
            &b.reason,
        )
        .await?;
    Ok(Json(SuppressionBody { suppression }))
}

/// Lifts a suppression early.
#[utoipa::path(post, path = "/api/v1/suppressions/{id}/lift", tag = "desk", params(("id" = String, Path)), security(("bearer" = [])),
    responses((status = 200, description = "Lifted", body = SuppressionBody),
              (status = 404, description = "No such suppression in the caller's scope", body = ErrorBody),
              (status = 409, description = "Already lifted or expired", body = ErrorBody)))]
pub(crate) async fn lift(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<SuppressionBody>, ApiError> {
    let suppression = state.desk.lift_suppression(&actor(&caller), &id).await?;
    Ok(Json(SuppressionBody { suppression }))
}

/// Maintenance windows.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct MaintenanceList {
    /// Not yet over, newest first.
    #[schema(value_type = Vec<Object>)]
    pub items: Vec<MaintenanceWindow>,
}

/// Maintenance windows not yet over.
#[utoipa::path(get, path = "/api/v1/maintenance", tag = "desk", params(TenantParam), security(("bearer" = [])),
    responses((status = 200, description = "Windows", body = MaintenanceList),
              (status = 403, description = "Tenant not in the token's scope", body = ErrorBody)))]
pub(crate) async fn list_maintenance(
    State(state): State<AppState>,
    caller: Caller,
    Params(p): Params<TenantParam>,
) -> Result<Json<MaintenanceList>, ApiError> {
    caller.scope(p.tenant.as_ref())?;
    let tenant = p.tenant.or_else(|| caller.token.tenant.clone());
    let items = state
        .desk
        .maintenance(&actor(&caller), tenant.as_ref())
        .await?;
    Ok(Json(MaintenanceList { items }))
}

/// A new maintenance window.
#[derive(Debug, Deserialize, ToSchema)]
pub(crate) struct NewMaintenance {
    /// Whose estate.
    pub tenant: TenantId,
    /// `{"kind": "device" | "zone" | "site", "id": "…"}`.
    #[schema(value_type = Object)]
    pub target: MaintenanceTarget,
    /// From.
    pub starts_at: DateTime<Utc>,
    /// Until (at most 14 days after the start).
    pub ends_at: DateTime<Utc>,
    /// Why: at least 3 characters besides surrounding blanks.
    #[schema(min_length = 3)]
    pub reason: String,
}

/// One maintenance window.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct MaintenanceBody {
    /// The window.
    #[schema(value_type = Object)]
    pub window: MaintenanceWindow,
}

/// Declares a maintenance window (client administrators: for their own estate).
#[utoipa::path(post, path = "/api/v1/maintenance", tag = "desk", request_body = NewMaintenance, security(("bearer" = [])),
    responses((status = 200, description = "Declared", body = MaintenanceBody),
              (status = 400, description = "Bad times or no reason", body = ErrorBody),
              (status = 403, description = "The caller may not", body = ErrorBody)))]
pub(crate) async fn declare(
    State(state): State<AppState>,
    caller: Caller,
    JsonBody(b): JsonBody<NewMaintenance>,
) -> Result<Json<MaintenanceBody>, ApiError> {
    let window = state
        .desk
        .declare_maintenance(
            &actor(&caller),
            b.tenant,
            b.target,
            b.starts_at,
            b.ends_at,
            &b.reason,
        )
        .await?;
    Ok(Json(MaintenanceBody { window }))
}

/// Cancels a maintenance window.
#[utoipa::path(post, path = "/api/v1/maintenance/{id}/cancel", tag = "desk", params(("id" = String, Path)), security(("bearer" = [])),
    responses((status = 200, description = "Cancelled", body = MaintenanceBody),
              (status = 404, description = "No such window in the caller's scope", body = ErrorBody),
              (status = 409, description = "Already cancelled", body = ErrorBody)))]
pub(crate) async fn cancel(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<MaintenanceBody>, ApiError> {
    let window = state.desk.cancel_maintenance(&actor(&caller), &id).await?;
    Ok(Json(MaintenanceBody { window }))
}
