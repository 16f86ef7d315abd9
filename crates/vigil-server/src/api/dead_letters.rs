//! `/api/v1/dead-letters`

use axum::Json;
use axum::extract::State;
use serde::Deserialize;
use utoipa::IntoParams;
use vigil_model::{DeadLetter, SourceId, TenantId};
use vigil_store::DeadLetterQuery;

use super::alerts::ApiPage;
use super::params::{Params, cursor, page_limit};
use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, ErrorBody};

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct DeadLetterParams {
    /// Only this tenant (client users: their own, always).
    tenant: Option<TenantId>,
    /// Only from this source.
    source: Option<SourceId>,
    /// Continue from a previous page's `next_cursor`.
    cursor: Option<String>,
    /// Page size (default 100, at most 1000).
    limit: Option<usize>,
}

/// Lists input that could not be accepted, newest first, with the reason.
#[utoipa::path(
    get,
    path = "/api/v1/dead-letters",
    tag = "events",
    params(DeadLetterParams),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of dead letters", body = ApiPage<DeadLetter>),
        (status = 400, description = "Bad parameter", body = ErrorBody),
        (status = 401, description = "No or unknown token", body = ErrorBody),
        (status = 403, description = "Tenant not in the token's scope", body = ErrorBody),
    )
)]
pub(crate) async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Params(p): Params<DeadLetterParams>,
) -> Result<Json<ApiPage<DeadLetter>>, ApiError> {
    let query = DeadLetterQuery {
        scope: caller.scope(p.tenant.as_ref())?,
        source: p.source,
        cursor: cursor(p.cursor.as_deref())?,
        limit: page_limit(p.limit),
    };
    Ok(Json(state.store.dead_letters(&query).await?.into()))
}
