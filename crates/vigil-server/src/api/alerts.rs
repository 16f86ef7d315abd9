//! `/api/v1/alerts`

use crate::api::params::Path;
use axum::Json;
use axum::extract::State;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use vigil_model::{Alert, AlertId, AlertStatus, Event, EventId, Severity, TenantId};
use vigil_store::AlertQuery;

use super::params::{Params, cursor, page_limit};
use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, ErrorBody};

/// One page of a list.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ApiPage<T: ToSchema> {
    /// The items.
    pub items: Vec<T>,
    /// Pass as `cursor` to get the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

impl<T: ToSchema> From<vigil_store::Page<T>> for ApiPage<T> {
    fn from(page: vigil_store::Page<T>) -> Self {
        Self {
            items: page.items,
            next_cursor: page.next_cursor,
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct AlertParams {
    /// Only this tenant (client users: their own, always).
    tenant: Option<TenantId>,
    /// Only alerts at or above this severity.
    severity: Option<Severity>,
    /// Only alerts in this status (`new`, `acknowledged`, `in_progress`, `closed`).
    status: Option<String>,
    /// Only alerts last seen at or after this time (RFC 3339).
    since: Option<DateTime<Utc>>,
    /// Only alerts first seen before this time (RFC 3339).
    until: Option<DateTime<Utc>>,
    /// Continue from a previous page's `next_cursor`.
    cursor: Option<String>,
    /// Page size (default 100, at most 1000).
    limit: Option<usize>,
}

/// Lists alerts, newest first.
#[utoipa::path(
    get,
    path = "/api/v1/alerts",
    tag = "alerts",
    params(AlertParams),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of alerts", body = ApiPage<Alert>),
        (status = 400, description = "Bad parameter", body = ErrorBody),
        (status = 401, description = "No or unknown token", body = ErrorBody),
        (status = 403, description = "Tenant not in the token's scope", body = ErrorBody),
    )
)]
pub(crate) async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Params(p): Params<AlertParams>,
) -> Result<Json<ApiPage<Alert>>, ApiError> {
    let scope = caller.scope(p.tenant.as_ref())?;
    let status = p
        .status
        .as_deref()
        .map(|s| {
            AlertStatus::parse(s).ok_or_else(|| {
                ApiError::BadRequest(format!(
                    "unknown status `{s}`; expected new, acknowledged, in_progress or closed"
                ))
            })
        })
        .transpose()?;
    let query = AlertQuery {
        scope,
        min_severity: p.severity,
        status,
        since: p.since,
        until: p.until,
        cursor: cursor(p.cursor.as_deref())?,
        limit: page_limit(p.limit),
    };
    Ok(Json(state.store.alerts(&query).await?.into()))
}

/// An alert with the events that are its evidence.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct AlertDetail {
    /// The alert.
    alert: Alert,
    /// Its evidence events still in the archive (retention may have removed some).
    evidence: Vec<Event>,
    /// For each evidence event the alert's Sigma rule matches, what made it
    /// match, worked out again with the rules loaded now. Empty for
    /// correlations and detectors that are not Sigma rules.
    matched: Vec<EvidenceMatch>,
}

/// What made an alert's rule match one of its evidence events.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct EvidenceMatch {
    /// The evidence event.
    event: EventId,
    /// The rule's selections that held (not those under a `not`).
    selections: Vec<String>,
    /// The event's fields and values that made them hold.
    fields: Vec<MatchedField>,
}

/// One field of an event and the value of it that matched.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct MatchedField {
    /// The field; null for a keyword, which may match any value.
    field: Option<String>,
    /// The value, as text.
    value: String,
}

/// One alert and its evidence.
#[utoipa::path(
    get,
    path = "/api/v1/alerts/{id}",
    tag = "alerts",
    params(("id" = vigil_model::AlertId, Path, description = "The alert id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The alert and its evidence", body = AlertDetail),
        (status = 400, description = "Not a UUID", body = ErrorBody),
        (status = 401, description = "No or unknown token", body = ErrorBody),
        (status = 404, description = "No such alert in the caller's scope", body = ErrorBody),
    )
)]
pub(crate) async fn detail(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<AlertDetail>, ApiError> {
    let id: AlertId = id
        .parse()
        .map_err(|e: vigil_model::IdError| ApiError::BadRequest(e.to_string()))?;
    let scope = caller.scope(None)?;
    let not_found = || ApiError::NotFound(format!("alert `{id}` not found"));
    let alert = state.store.alert(id, &scope).await?.ok_or_else(not_found)?;
    let evidence = state.store.events_by_id(&alert.evidence, &scope).await?;
    // Only the few evidence events shown, one rule each: cheap enough to
    // work out per request rather than store with every detection.
    let detector = state.pipeline.detector();
    let matched = evidence
        .iter()
        .filter_map(|event| {
            let detail = detector.matched(&alert.rule_id, event)?;
            Some(EvidenceMatch {
                event: event.id,
                selections: detail.selections,
                fields: detail
                    .fields
                    .into_iter()
                    .map(|f| MatchedField {
                        field: f.field,
                        value: f.value,
                    })
                    .collect(),
            })
        })
        .collect();
    Ok(Json(AlertDetail {
        alert,
        evidence,
        matched,
    }))
}
