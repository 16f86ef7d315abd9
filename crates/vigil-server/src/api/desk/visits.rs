//! `/api/v1/visits`: visitors from pre-registration to sign-out, and
//! `/api/v1/sites/{tenant}/{site}/roll-call`, who is on a site now.
//!
//! Hosts (the client's users) pre-register for their own tenant, the
//! client's administrator approves or refuses, provider operators work the
//! front desk (see `vigil_desk::visitors`). A client user asking for
//! another tenant's visit or site gets `404`, as if it did not exist. A
//! step the visit's state does not allow is `409`; a wrong field is `400`
//! naming it.
//!
//! A watchlist hit at pre-registration or arrival is not told to the
//! caller (a host must not learn that their visitor is listed): the desk
//! stores it with the step and raises its alarm itself (see
//! `vigil_desk::service`, screening).

use axum::Json;
use axum::extract::State;
use axum::http::HeaderMap;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use vigil_desk::service::{RollCallView, VisitStep};
use vigil_model::{SiteId, TenantId};
use vigil_visitors::visit::{DocumentKind, IdentityDocument, PreRegistration};
use vigil_visitors::{Visit, VisitState};

use super::actor;
use crate::AppState;
use crate::api::params::{JsonBody, Params, Path};
use crate::auth::Caller;
use crate::error::{ApiError, ErrorBody};

/// A host's request for a visit.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct VisitBody {
    /// The client: a client user's own (may be left out); required for
    /// provider staff.
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    tenant: Option<TenantId>,
    /// The visitor's full name.
    visitor_name: String,
    /// Their company.
    #[serde(default)]
    company: String,
    /// Why they come.
    purpose: String,
    /// The host: a person id of the client's people register.
    host: String,
    /// The site.
    #[schema(value_type = String)]
    site: SiteId,
    /// The window's first instant.
    window_start: DateTime<Utc>,
    /// The window's last instant (after the start, at most the client's
    /// longest window later, not over).
    window_end: DateTime<Utc>,
    /// The zones the visitor needs.
    #[serde(default)]
    zones: Vec<String>,
}

/// A visit, as stored: the visitor, window, zones, state, decision,
/// arrival (the document as a keyed hash or not at all), badge, sign-out.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct VisitView {
    /// The visit.
    #[schema(value_type = Object)]
    visit: Visit,
}

/// Visits.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct VisitList {
    /// Earliest window first.
    #[schema(value_type = Vec<Object>)]
    visits: Vec<Visit>,
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

/// The request headers `POST /api/v1/visits` reads, for the API document.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Header)]
pub(crate) struct IdempotencyHeader {
    /// The client's key for this request (1 to 255 visible ASCII
    /// characters, e.g. a UUID; a Structured Field string or bare): a retry
    /// with the same key and body returns the same visit instead of
    /// registering another.
    #[serde(rename = "Idempotency-Key")]
    #[param(min_length = 1, max_length = 255, pattern = r"^[!-~]{1,255}$")]
    #[allow(dead_code)] // Read from the headers by `idempotency_key`.
    idempotency_key: Option<String>,
}

/// The `Idempotency-Key` request header (IETF httpapi draft): a
/// Structured Field string, or the bare key as many clients send it.
fn idempotency_key(headers: &HeaderMap) -> Result<Option<String>, ApiError> {
    let Some(value) = headers.get("idempotency-key") else {
        return Ok(None);
    };
    let text = value.to_str().map_err(|_| {
        ApiError::BadRequest("Idempotency-Key: must be visible ASCII characters".into())
    })?;
    let text = text.trim();
    let key = text
        .strip_prefix('"')
        .and_then(|t| t.strip_suffix('"'))
        .filter(|inner| !inner.is_empty())
        .unwrap_or(text);
    Ok(Some(key.to_owned()))
}

/// Pre-registers a visit (screened against the watchlists by name). With
/// an `Idempotency-Key` header, a retry of the same request (same key,
/// same body, same caller) gets back the visit the first attempt made,
/// as it stands now, and makes nothing new.
#[utoipa::path(post, path = "/api/v1/visits", tag = "visitors", request_body = VisitBody, security(("bearer" = [])),
    params(IdempotencyHeader),
    responses((status = 200, description = "Pre-registered, waiting for the client's approver (or, for a retry, the visit the first attempt registered)", body = VisitView),
              (status = 400, description = "A wrong field, named (`window_end`, `visitor_name`, `zones`, `Idempotency-Key` …)", body = ErrorBody),
              (status = 403, description = "The caller's role may not", body = ErrorBody),
              (status = 404, description = "No such tenant in the caller's scope", body = ErrorBody),
              (status = 422, description = "The Idempotency-Key was used before for another request", body = ErrorBody)))]
pub(crate) async fn create(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    JsonBody(b): JsonBody<VisitBody>,
) -> Result<Json<VisitView>, ApiError> {
    let tenant = tenant_of(&caller, b.tenant)?;
    let key = idempotency_key(&headers)?;
    let request = PreRegistration {
        visitor_name: b.visitor_name,
        company: b.company,
        purpose: b.purpose,
        host: b.host,
        site: b.site,
        window_start: b.window_start,
        window_end: b.window_end,
        zones: b.zones,
    };
    let outcome = state
        .desk
        .pre_register_visit(&actor(&caller), &tenant, &request, key.as_deref())
        .await?;
    Ok(Json(VisitView {
        visit: outcome.visit,
    }))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct ListParams {
    /// Only this site's visits.
    #[param(value_type = Option<String>)]
    site: Option<SiteId>,
    /// Only visits in this state (`pre_registered`, `approved`, `refused`,
    /// `arrived`, `badge_issued`, `signed_out`).
    #[param(value_type = Option<String>)]
    state: Option<VisitState>,
    /// Only visits whose window starts at or after this.
    from: Option<DateTime<Utc>>,
    /// Only visits whose window starts before this.
    to: Option<DateTime<Utc>>,
}

/// Visits in the caller's scope, earliest window first (at most 500).
#[utoipa::path(get, path = "/api/v1/visits", tag = "visitors", params(ListParams), security(("bearer" = [])),
    responses((status = 200, description = "The visits", body = VisitList)))]
pub(crate) async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Params(p): Params<ListParams>,
) -> Result<Json<VisitList>, ApiError> {
    let visits = state
        .desk
        .visits(&actor(&caller), p.site.as_ref(), p.state, p.from, p.to)
        .await?;
    Ok(Json(VisitList { visits }))
}

/// One visit.
#[utoipa::path(get, path = "/api/v1/visits/{id}", tag = "visitors", params(("id" = String, Path)), security(("bearer" = [])),
    responses((status = 200, description = "The visit", body = VisitView),
              (status = 404, description = "No such visit in the caller's scope", body = ErrorBody)))]
pub(crate) async fn detail(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<VisitView>, ApiError> {
    let visit = state.desk.visit(&actor(&caller), &id).await?;
    Ok(Json(VisitView { visit }))
}

async fn step(
    state: &AppState,
    caller: &Caller,
    id: &str,
    step: VisitStep,
) -> Result<Json<VisitView>, ApiError> {
    let outcome = state.desk.visit_step(&actor(caller), id, step).await?;
    Ok(Json(VisitView {
        visit: outcome.visit,
    }))
}

/// An approval.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ApproveBody {
    /// The zones approved, a subset of those requested (absent: all).
    #[serde(default)]
    zones: Option<Vec<String>>,
    /// Why, if the approver says.
    #[serde(default)]
    reason: Option<String>,
}

/// The client's approver approves a pre-registered visit.
#[utoipa::path(post, path = "/api/v1/visits/{id}/approve", tag = "visitors", params(("id" = String, Path)), request_body = ApproveBody, security(("bearer" = [])),
    responses((status = 200, description = "Approved", body = VisitView),
              (status = 400, description = "A zone not requested, or a bad reason", body = ErrorBody),
              (status = 403, description = "Only the client's administrator approves", body = ErrorBody),
              (status = 404, description = "No such visit in the caller's scope", body = ErrorBody),
              (status = 409, description = "The visit is not pre-registered", body = ErrorBody)))]
pub(crate) async fn approve(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    JsonBody(b): JsonBody<ApproveBody>,
) -> Result<Json<VisitView>, ApiError> {
    let s = VisitStep::Approve {
        zones: b.zones,
        reason: b.reason,
    };
    step(&state, &caller, &id, s).await
}

/// A refusal.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct RefuseBody {
    /// Why (required; kept on the visit, never in the audit chain).
    reason: String,
}

/// The client's approver refuses a pre-registered visit.
#[utoipa::path(post, path = "/api/v1/visits/{id}/refuse", tag = "visitors", params(("id" = String, Path)), request_body = RefuseBody, security(("bearer" = [])),
    responses((status = 200, description = "Refused", body = VisitView),
              (status = 400, description = "No reason", body = ErrorBody),
              (status = 403, description = "Only the client's administrator refuses", body = ErrorBody),
              (status = 404, description = "No such visit in the caller's scope", body = ErrorBody),
              (status = 409, description = "The visit is not pre-registered", body = ErrorBody)))]
pub(crate) async fn refuse(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    JsonBody(b): JsonBody<RefuseBody>,
) -> Result<Json<VisitView>, ApiError> {
    step(&state, &caller, &id, VisitStep::Refuse { reason: b.reason }).await
}

/// An identity document shown at the desk.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct DocumentBody {
    /// `passport`, `identity_card`, `driving_licence` or `other`.
    #[schema(value_type = String)]
    kind: DocumentKind,
    /// The number (3–40 letters and digits; kept as a keyed hash or not at
    /// all, by the client's policy).
    number: String,
}

/// An arrival.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ArriveBody {
    /// The document checked.
    document: DocumentBody,
}

/// The front desk signs an approved visitor in (screened against the
/// watchlists by name and document).
#[utoipa::path(post, path = "/api/v1/visits/{id}/arrive", tag = "visitors", params(("id" = String, Path)), request_body = ArriveBody, security(("bearer" = [])),
    responses((status = 200, description = "Arrived", body = VisitView),
              (status = 400, description = "A bad document number", body = ErrorBody),
              (status = 403, description = "Only the front desk (provider operators) signs visitors in", body = ErrorBody),
              (status = 404, description = "No such visit in the caller's scope", body = ErrorBody),
              (status = 409, description = "The visit is not approved, or it is outside its window", body = ErrorBody)))]
pub(crate) async fn arrive(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    JsonBody(b): JsonBody<ArriveBody>,
) -> Result<Json<VisitView>, ApiError> {
    let document = IdentityDocument {
        kind: b.document.kind,
        number: b.document.number,
    };
    step(&state, &caller, &id, VisitStep::Arrive { document }).await
}

/// A badge to issue.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct BadgeBody {
    /// The access-control system's badge id.
    badge: String,
}

/// The front desk issues a temporary badge bound to the approved zones and
/// the window.
#[utoipa::path(post, path = "/api/v1/visits/{id}/badge", tag = "visitors", params(("id" = String, Path)), request_body = BadgeBody, security(("bearer" = [])),
    responses((status = 200, description = "Issued", body = VisitView),
              (status = 400, description = "A bad badge id", body = ErrorBody),
              (status = 403, description = "Only the front desk issues badges", body = ErrorBody),
              (status = 404, description = "No such visit in the caller's scope", body = ErrorBody),
              (status = 409, description = "The visitor has not arrived, or the window is over", body = ErrorBody)))]
pub(crate) async fn badge(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    JsonBody(b): JsonBody<BadgeBody>,
) -> Result<Json<VisitView>, ApiError> {
    step(
        &state,
        &caller,
        &id,
        VisitStep::IssueBadge { badge: b.badge },
    )
    .await
}

/// The front desk signs the visitor out.
#[utoipa::path(post, path = "/api/v1/visits/{id}/sign-out", tag = "visitors", params(("id" = String, Path)), security(("bearer" = [])),
    responses((status = 200, description = "Signed out", body = VisitView),
              (status = 403, description = "Only the front desk signs visitors out", body = ErrorBody),
              (status = 404, description = "No such visit in the caller's scope", body = ErrorBody),
              (status = 409, description = "The visitor is not signed in", body = ErrorBody)))]
pub(crate) async fn sign_out(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<VisitView>, ApiError> {
    step(&state, &caller, &id, VisitStep::SignOut).await
}

/// Who is on a site now, for an evacuation: employees by their last access
/// event, visitors signed in and not out, badges nobody resolves.
#[utoipa::path(get, path = "/api/v1/sites/{tenant}/{site}/roll-call", tag = "visitors",
    params(("tenant" = String, Path), ("site" = String, Path)), security(("bearer" = [])),
    responses((status = 200, description = "The roll call", body = RollCallView),
              (status = 404, description = "No such site in the caller's scope", body = ErrorBody)))]
pub(crate) async fn roll_call(
    State(state): State<AppState>,
    caller: Caller,
    Path((tenant, site)): Path<(TenantId, SiteId)>,
) -> Result<Json<RollCallView>, ApiError> {
    let who = actor(&caller);
    if !who.scope().allows(&tenant) {
        return Err(ApiError::NotFound(format!(
            "site `{tenant}/{site}` not found"
        )));
    }
    Ok(Json(state.desk.roll_call(&who, &tenant, &site).await?))
}
