//! `/api/v1/audit`: the audit log and a client's export with proofs.

use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use vigil_model::TenantId;
use vigil_store::audit::{AuditEntry, TenantExport};

use super::actor;
use crate::AppState;
use crate::api::params::{Params, page_limit};
use crate::auth::Caller;
use crate::error::{ApiError, ErrorBody};

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct EntryParams {
    /// Entries before this sequence number (for paging back).
    #[param(minimum = 0)]
    before: Option<i64>,
    /// Page size (default 100, at most 1000).
    limit: Option<usize>,
}

/// Audit entries.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct EntryList {
    /// Newest first.
    #[schema(value_type = Vec<Object>)]
    pub items: Vec<AuditEntry>,
}

/// The audit log (client administrators: their own tenant's entries).
#[utoipa::path(get, path = "/api/v1/audit", tag = "desk", params(EntryParams), security(("bearer" = [])),
    responses((status = 200, description = "Entries", body = EntryList),
              (status = 403, description = "The caller's role may not", body = ErrorBody)))]
pub(crate) async fn entries(
    State(state): State<AppState>,
    caller: Caller,
    Params(p): Params<EntryParams>,
) -> Result<Json<EntryList>, ApiError> {
    let before = p
        .before
        .map(|b| {
            u64::try_from(b).map_err(|_| {
                ApiError::BadRequest(format!(
                    "before is {b}; expected a sequence number, 0 or more"
                ))
            })
        })
        .transpose()?;
    let items = state
        .desk
        .audit_entries(&actor(&caller), before, page_limit(p.limit))
        .await?;
    Ok(Json(EntryList { items }))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct ExportParams {
    /// Whose entries (client administrators: their own).
    tenant: Option<TenantId>,
}

/// A tenant's export.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ExportBody {
    /// The entries with inclusion proofs against a signed checkpoint;
    /// check it with `vigil audit verify-export`.
    #[schema(value_type = Object)]
    #[serde(flatten)]
    pub export: TenantExport,
}

/// A tenant's own audit entries with proofs that verify without anyone
/// else's data (the export itself is recorded).
#[utoipa::path(get, path = "/api/v1/audit/export", tag = "desk", params(ExportParams), security(("bearer" = [])),
    responses((status = 200, description = "The export", body = ExportBody),
              (status = 400, description = "No tenant named", body = ErrorBody),
              (status = 403, description = "The caller may not", body = ErrorBody),
              (status = 404, description = "No signed checkpoint yet", body = ErrorBody)))]
pub(crate) async fn export(
    State(state): State<AppState>,
    caller: Caller,
    Params(p): Params<ExportParams>,
) -> Result<Json<ExportBody>, ApiError> {
    caller.scope(p.tenant.as_ref())?;
    let tenant = p
        .tenant
        .or_else(|| caller.token.tenant.clone())
        .ok_or_else(|| ApiError::BadRequest("name the tenant to export (`tenant=`)".into()))?;
    let export = state.desk.audit_export(&actor(&caller), &tenant).await?;
    Ok(Json(ExportBody { export }))
}
