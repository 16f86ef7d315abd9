//! `/api/v1/incidents`, response actions, deliveries and escalations.

use crate::api::params::Path;
use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use vigil_desk::escalation::Escalation;
use vigil_desk::incident::{Incident, IncidentCommand, NewIncident};
use vigil_desk::response::{Delivery, ResponseAction};
use vigil_desk::service::IncidentView;
use vigil_model::TenantId;

use super::WithSla;
use super::actor;
use crate::AppState;
use crate::api::params::{JsonBody, Params, page_limit};
use crate::auth::Caller;
use crate::error::{ApiError, ErrorBody};

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct IncidentParams {
    /// Only this tenant (client users: their own, always).
    tenant: Option<TenantId>,
    /// Include closed incidents.
    closed: Option<bool>,
    /// Page size (default 100, at most 1000).
    limit: Option<usize>,
}

/// Incidents.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct IncidentList {
    /// Newest first.
    #[schema(value_type = Vec<Object>)]
    pub items: Vec<WithSla<Incident>>,
}

/// Incidents, newest first.
#[utoipa::path(get, path = "/api/v1/incidents", tag = "desk", params(IncidentParams), security(("bearer" = [])),
    responses((status = 200, description = "Incidents", body = IncidentList),
              (status = 403, description = "Tenant not in the token's scope", body = ErrorBody)))]
pub(crate) async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Params(p): Params<IncidentParams>,
) -> Result<Json<IncidentList>, ApiError> {
    caller.scope(p.tenant.as_ref())?;
    let tenant = p.tenant.or_else(|| caller.token.tenant.clone());
    let items = state
        .desk
        .incidents(
            &actor(&caller),
            tenant.as_ref(),
            p.closed.unwrap_or(false),
            page_limit(p.limit),
        )
        .await?;
    let items = items
        .into_iter()
        .map(|incident| WithSla::incident(&state.desk, incident))
        .collect();
    Ok(Json(IncidentList { items }))
}

/// What an incident is opened with.
#[derive(Debug, Deserialize, ToSchema)]
pub(crate) struct OpenBody {
    /// `{tenant, title, severity, category (cyber|physical|converged|environmental), sites, assets, alarms}`.
    #[schema(value_type = Object)]
    #[serde(flatten)]
    pub incident: NewIncident,
}

/// One incident.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct IncidentBody {
    /// The incident, with its service-level clocks (`sla`).
    #[schema(value_type = Object)]
    pub incident: WithSla<Incident>,
}

/// Opens an incident, from alarms or by hand.
#[utoipa::path(post, path = "/api/v1/incidents", tag = "desk", request_body = OpenBody, security(("bearer" = [])),
    responses((status = 200, description = "Opened", body = IncidentBody),
              (status = 400, description = "Missing title", body = ErrorBody),
              (status = 403, description = "The caller may not", body = ErrorBody),
              (status = 404, description = "A named alarm is not the tenant's", body = ErrorBody)))]
pub(crate) async fn open(
    State(state): State<AppState>,
    caller: Caller,
    JsonBody(b): JsonBody<OpenBody>,
) -> Result<Json<IncidentBody>, ApiError> {
    let incident = state
        .desk
        .open_incident(&actor(&caller), b.incident)
        .await?;
    Ok(Json(IncidentBody {
        incident: WithSla::incident(&state.desk, incident),
    }))
}

/// An incident with its timeline.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct IncidentDetail {
    /// The incident, with its service-level clocks (`sla`).
    #[schema(value_type = Object)]
    pub incident: WithSla<Incident>,
    /// Evidence, alarm transitions and actions, oldest first.
    #[schema(value_type = Vec<Object>)]
    pub timeline: Vec<vigil_desk::timeline::TimelineItem>,
}

/// One incident with its merged timeline.
#[utoipa::path(get, path = "/api/v1/incidents/{id}", tag = "desk", params(("id" = String, Path)), security(("bearer" = [])),
    responses((status = 200, description = "The incident", body = IncidentDetail),
              (status = 404, description = "No such incident in the caller's scope", body = ErrorBody)))]
pub(crate) async fn detail(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<IncidentDetail>, ApiError> {
    let view = state.desk.incident(&actor(&caller), &id).await?;
    let IncidentView { incident, timeline } = view;
    Ok(Json(IncidentDetail {
        incident: WithSla::incident(&state.desk, incident),
        timeline,
    }))
}

/// A command on an incident.
#[derive(Debug, Deserialize, ToSchema)]
pub(crate) struct CommandBody {
    /// `{"command": "advance", "to": "triaged"}`, `{"command": "close", "resolution": "resolved", "summary": …, "lessons_learned": …}`,
    /// `{"command": "reopen", "reason": …}`, `{"command": "note", "text": …}`, `{"command": "observe", "observable": {kind, value, tlp}}`,
    /// `{"command": "add_task", "title": …}`, `{"command": "complete_task", "task": 1}`, `{"command": "link_alarm", "alarm": …}`,
    /// `{"command": "set_severity", "severity": …, "reason": …}`, `{"command": "notify_client", "how": …}`,
    /// `{"command": "pause_sla", "state": "awaiting_client" | "awaiting_third_party", "reason": …}`, `{"command": "resume_sla"}`,
    /// `{"command": "assign", "assignee": "name" | null}`.
    #[schema(value_type = Object)]
    #[serde(flatten)]
    pub command: IncidentCommand,
}

/// Applies a command to an incident.
#[utoipa::path(post, path = "/api/v1/incidents/{id}/commands", tag = "desk", params(("id" = String, Path)), request_body = CommandBody, security(("bearer" = [])),
    responses((status = 200, description = "Applied", body = IncidentBody),
              (status = 400, description = "A field is wrong", body = ErrorBody),
              (status = 403, description = "The caller's role may not", body = ErrorBody),
              (status = 404, description = "No such incident in the caller's scope", body = ErrorBody),
              (status = 409, description = "Not allowed in the incident's state", body = ErrorBody)))]
pub(crate) async fn command(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    JsonBody(b): JsonBody<CommandBody>,
) -> Result<Json<IncidentBody>, ApiError> {
    let incident = state
        .desk
        .incident_command(&actor(&caller), &id, b.command)
        .await?;
    Ok(Json(IncidentBody {
        incident: WithSla::incident(&state.desk, incident),
    }))
}

/// A response action.
#[derive(Debug, Deserialize, ToSchema)]
pub(crate) struct ActionBody {
    /// `{"type": "disable_badge", "badge": …}`, `{"type": "lock_down_door", "door": …}`,
    /// `{"type": "block_address", "address": …}`, `{"type": "isolate_host", "host": …}`.
    #[schema(value_type = Object)]
    #[serde(flatten)]
    pub action: ResponseAction,
}

/// One delivery.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct DeliveryBody {
    /// The delivery, with every attempt.
    #[schema(value_type = Object)]
    pub delivery: Delivery,
}

/// Runs a response action from an incident: a signed webhook to the client's
/// endpoint, retried until delivered; every attempt is on the record.
#[utoipa::path(post, path = "/api/v1/incidents/{id}/actions", tag = "desk", params(("id" = String, Path)), request_body = ActionBody, security(("bearer" = [])),
    responses((status = 200, description = "Queued for delivery", body = DeliveryBody),
              (status = 400, description = "Bad target, or no endpoint configured for the action", body = ErrorBody),
              (status = 403, description = "The caller's role may not", body = ErrorBody),
              (status = 404, description = "No such incident in the caller's scope", body = ErrorBody)))]
pub(crate) async fn respond(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    JsonBody(b): JsonBody<ActionBody>,
) -> Result<Json<DeliveryBody>, ApiError> {
    let delivery = state.desk.respond(&actor(&caller), &id, b.action).await?;
    Ok(Json(DeliveryBody { delivery }))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct DeliveryParams {
    /// Only deliveries for this incident or alarm.
    link: Option<String>,
    /// Page size (default 100, at most 1000).
    limit: Option<usize>,
}

/// Deliveries.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct DeliveryList {
    /// Newest first.
    #[schema(value_type = Vec<Object>)]
    pub items: Vec<Delivery>,
}

/// Response-action and escalation deliveries, with every attempt.
#[utoipa::path(get, path = "/api/v1/deliveries", tag = "desk", params(DeliveryParams), security(("bearer" = [])),
    responses((status = 200, description = "Deliveries", body = DeliveryList)))]
pub(crate) async fn deliveries(
    State(state): State<AppState>,
    caller: Caller,
    Params(p): Params<DeliveryParams>,
) -> Result<Json<DeliveryList>, ApiError> {
    let items = state
        .desk
        .deliveries(&actor(&caller), p.link.as_deref(), page_limit(p.limit))
        .await?;
    Ok(Json(DeliveryList { items }))
}

/// Escalations.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct EscalationList {
    /// Running escalation timers, soonest first.
    #[schema(value_type = Vec<Object>)]
    pub items: Vec<Escalation>,
}

/// Escalation timers still running.
#[utoipa::path(get, path = "/api/v1/escalations", tag = "desk", security(("bearer" = [])),
    responses((status = 200, description = "Escalations", body = EscalationList)))]
pub(crate) async fn escalations(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<EscalationList>, ApiError> {
    let items = state.desk.escalations(&actor(&caller)).await?;
    Ok(Json(EscalationList { items }))
}
