//! `/api/v1/events`

use axum::Json;
use axum::extract::State;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use utoipa::IntoParams;
use vigil_model::{Event, TenantId};
use vigil_store::{EventQuery, FieldFilter};

use super::alerts::ApiPage;
use super::params::{Params, cursor, page_limit};
use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, ErrorBody};

/// Most `field` conditions one search may carry.
const MAX_FIELD_FILTERS: usize = 16;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct EventParams {
    /// Only this tenant (client users: their own, always).
    tenant: Option<TenantId>,
    /// Observed at or after this time (RFC 3339).
    from: Option<DateTime<Utc>>,
    /// Observed before this time (RFC 3339).
    to: Option<DateTime<Utc>>,
    /// `NAME=VALUE` on the event's original fields (repeatable; all must
    /// hold). Values compare as text: `field=EventID=4624`.
    #[serde(default)]
    field: Vec<String>,
    /// Continue from a previous page's `next_cursor`.
    cursor: Option<String>,
    /// Page size (default 100, at most 1000).
    limit: Option<usize>,
}

/// Searches the event archive, newest observed first.
#[utoipa::path(
    get,
    path = "/api/v1/events",
    tag = "events",
    params(EventParams),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of events", body = ApiPage<Event>),
        (status = 400, description = "Bad parameter", body = ErrorBody),
        (status = 401, description = "No or unknown token", body = ErrorBody),
        (status = 403, description = "Tenant not in the token's scope", body = ErrorBody),
    )
)]
pub(crate) async fn search(
    State(state): State<AppState>,
    caller: Caller,
    Params(p): Params<EventParams>,
) -> Result<Json<ApiPage<Event>>, ApiError> {
    let scope = caller.scope(p.tenant.as_ref())?;
    if p.field.len() > MAX_FIELD_FILTERS {
        return Err(ApiError::BadRequest(format!(
            "at most {MAX_FIELD_FILTERS} `field` conditions per search"
        )));
    }
    let fields = p
        .field
        .iter()
        .map(|f| match f.split_once('=') {
            Some((name, value)) if !name.is_empty() => Ok(FieldFilter {
                field: name.to_owned(),
                value: value.to_owned(),
            }),
            _ => Err(ApiError::BadRequest(format!(
                "`field={f}` must be NAME=VALUE, e.g. field=EventID=4624"
            ))),
        })
        .collect::<Result<Vec<_>, _>>()?;
    let query = EventQuery {
        scope,
        from: p.from,
        to: p.to,
        fields,
        cursor: cursor(p.cursor.as_deref())?,
        limit: page_limit(p.limit),
    };
    Ok(Json(state.store.events(&query).await?.into()))
}
