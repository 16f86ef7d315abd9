//! `/api/v1/alarms`: the queue and the commands on it.

use crate::api::params::Path;
use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use vigil_desk::alarm::{Alarm, AlarmCommand, AlarmStatus, Verdict};
use vigil_desk::service::AlarmFilter;
use vigil_desk::sop::{SopRun, StepOutcome};
use vigil_model::TenantId;

use super::WithSla;
use super::{actor, alarm_id};
use crate::AppState;
use crate::api::params::{JsonBody, Params};
use crate::auth::Caller;
use crate::error::{ApiError, ErrorBody};

/// A list of alarms.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct AlarmList {
    /// Highest priority first, then oldest.
    #[schema(value_type = Vec<Object>)]
    pub items: Vec<WithSla<Alarm>>,
}

/// One alarm.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct AlarmBody {
    /// The alarm: status, owner, verdict, priority with its factors,
    /// false-alarm probability, group, every transition, and its
    /// service-level clocks (`sla`).
    #[schema(value_type = Object)]
    pub alarm: WithSla<Alarm>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct AlarmParams {
    /// Only this tenant (client users: their own, always).
    tenant: Option<TenantId>,
    /// Only these statuses, comma-separated (`new,acknowledged`); default:
    /// everything but `closed`.
    status: Option<String>,
    /// Only alarms held by this person.
    owner: Option<String>,
    /// Only this group of related alarms.
    group: Option<String>,
    /// Skip this many.
    offset: Option<usize>,
    /// Page size (default 100, at most 1000).
    limit: Option<usize>,
}

/// The alarm queue.
#[utoipa::path(get, path = "/api/v1/alarms", tag = "desk", params(AlarmParams), security(("bearer" = [])),
    responses(
        (status = 200, description = "Alarms, highest priority first, then oldest", body = AlarmList),
        (status = 400, description = "Bad parameter", body = ErrorBody),
        (status = 403, description = "Tenant not in the token's scope", body = ErrorBody),
    ))]
pub(crate) async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Params(p): Params<AlarmParams>,
) -> Result<Json<AlarmList>, ApiError> {
    caller.scope(p.tenant.as_ref())?;
    let statuses = match p.status.as_deref().filter(|s| !s.is_empty()) {
        None => Vec::new(),
        Some(list) => list
            .split(',')
            .map(|s| {
                AlarmStatus::parse(s.trim()).ok_or_else(|| {
                    ApiError::BadRequest(format!(
                        "unknown status `{s}`; expected new, acknowledged, in_progress or closed"
                    ))
                })
            })
            .collect::<Result<_, _>>()?,
    };
    let filter = AlarmFilter {
        tenant: p.tenant.or_else(|| caller.token.tenant.clone()),
        statuses,
        owner: p.owner,
        group: p.group,
        offset: p.offset.unwrap_or(0),
        limit: crate::api::params::page_limit(p.limit),
    };
    let items = state.desk.alarms(&actor(&caller), &filter).await?;
    let items = items
        .into_iter()
        .map(|alarm| WithSla::alarm(&state.desk, alarm))
        .collect();
    Ok(Json(AlarmList { items }))
}

/// One alarm.
#[utoipa::path(get, path = "/api/v1/alarms/{id}", tag = "desk", params(("id" = vigil_model::AlertId, Path, description = "The alarm (alert) id")), security(("bearer" = [])),
    responses(
        (status = 200, description = "The alarm", body = AlarmBody),
        (status = 404, description = "No such alarm in the caller's scope", body = ErrorBody),
    ))]
pub(crate) async fn detail(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<AlarmBody>, ApiError> {
    let alarm = state.desk.alarm(&actor(&caller), alarm_id(&id)?).await?;
    Ok(Json(AlarmBody {
        alarm: WithSla::alarm(&state.desk, alarm),
    }))
}

async fn run(
    state: &AppState,
    caller: &Caller,
    id: &str,
    command: AlarmCommand,
) -> Result<Json<AlarmBody>, ApiError> {
    let alarm = state
        .desk
        .alarm_command(&actor(caller), alarm_id(id)?, command)
        .await?;
    Ok(Json(AlarmBody {
        alarm: WithSla::alarm(&state.desk, alarm),
    }))
}

/// Acknowledges an alarm: the caller takes it.
#[utoipa::path(post, path = "/api/v1/alarms/{id}/acknowledge", tag = "desk", params(("id" = vigil_model::AlertId, Path)), security(("bearer" = [])),
    responses(
        (status = 200, description = "Acknowledged; the caller owns it", body = AlarmBody),
        (status = 403, description = "The caller's role may not", body = ErrorBody),
        (status = 404, description = "No such alarm in the caller's scope", body = ErrorBody),
        (status = 409, description = "Not in a state that allows it (or held by someone else)", body = ErrorBody),
    ))]
pub(crate) async fn acknowledge(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<AlarmBody>, ApiError> {
    run(&state, &caller, &id, AlarmCommand::Acknowledge).await
}

/// A reason, where one is required.
#[derive(Debug, Deserialize, ToSchema)]
pub(crate) struct ReasonBody {
    /// Why (recorded in the alarm's transitions and the audit log): at
    /// least 3 characters besides surrounding blanks.
    #[schema(min_length = 3, max_length = 2000)]
    pub reason: String,
}

/// Takes over an alarm someone else holds (a reason is required and recorded).
#[utoipa::path(post, path = "/api/v1/alarms/{id}/take-over", tag = "desk", params(("id" = vigil_model::AlertId, Path)), request_body = ReasonBody, security(("bearer" = [])),
    responses(
        (status = 200, description = "The caller owns it now", body = AlarmBody),
        (status = 400, description = "No reason given", body = ErrorBody),
        (status = 404, description = "No such alarm in the caller's scope", body = ErrorBody),
        (status = 409, description = "Nobody holds it, or the caller already does", body = ErrorBody),
    ))]
pub(crate) async fn take_over(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<ReasonBody>,
) -> Result<Json<AlarmBody>, ApiError> {
    run(
        &state,
        &caller,
        &id,
        AlarmCommand::TakeOver {
            reason: body.reason,
        },
    )
    .await
}

/// Starts work on an alarm the caller holds.
#[utoipa::path(post, path = "/api/v1/alarms/{id}/start", tag = "desk", params(("id" = vigil_model::AlertId, Path)), security(("bearer" = [])),
    responses(
        (status = 200, description = "In progress", body = AlarmBody),
        (status = 404, description = "No such alarm in the caller's scope", body = ErrorBody),
        (status = 409, description = "Not acknowledged, or held by someone else", body = ErrorBody),
    ))]
pub(crate) async fn start(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<AlarmBody>, ApiError> {
    run(&state, &caller, &id, AlarmCommand::Start).await
}

/// A verdict.
#[derive(Debug, Deserialize, ToSchema)]
pub(crate) struct CloseBody {
    /// `true_positive`, `false_positive`, `benign` or `duplicate`.
    pub verdict: Verdict,
    /// A note for the record.
    #[serde(default)]
    pub note: Option<String>,
}

/// Closes an alarm the caller holds, with a verdict (the model learns from it).
#[utoipa::path(post, path = "/api/v1/alarms/{id}/close", tag = "desk", params(("id" = vigil_model::AlertId, Path)), request_body = CloseBody, security(("bearer" = [])),
    responses(
        (status = 200, description = "Closed", body = AlarmBody),
        (status = 404, description = "No such alarm in the caller's scope", body = ErrorBody),
        (status = 409, description = "Not acknowledged, already closed, or held by someone else", body = ErrorBody),
    ))]
pub(crate) async fn close(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<CloseBody>,
) -> Result<Json<AlarmBody>, ApiError> {
    run(
        &state,
        &caller,
        &id,
        AlarmCommand::Close {
            verdict: body.verdict,
            note: body.note,
        },
    )
    .await
}

/// Reopens a closed alarm (a reason is required); an alarm closed by the
/// desk's automation goes back into the queue.
#[utoipa::path(post, path = "/api/v1/alarms/{id}/reopen", tag = "desk", params(("id" = vigil_model::AlertId, Path)), request_body = ReasonBody, security(("bearer" = [])),
    responses(
        (status = 200, description = "Reopened", body = AlarmBody),
        (status = 404, description = "No such alarm in the caller's scope", body = ErrorBody),
        (status = 409, description = "Not closed", body = ErrorBody),
    ))]
pub(crate) async fn reopen(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<ReasonBody>,
) -> Result<Json<AlarmBody>, ApiError> {
    run(
        &state,
        &caller,
        &id,
        AlarmCommand::Reopen {
            reason: body.reason,
        },
    )
    .await
}

/// SOP runs.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct SopRunList {
    /// Newest first; each with its pinned SOP version and every step's outcome.
    #[schema(value_type = Vec<Object>)]
    pub items: Vec<SopRun>,
}

/// The SOP runs of an alarm (one starts when it is acknowledged).
#[utoipa::path(get, path = "/api/v1/alarms/{id}/sop", tag = "desk", params(("id" = vigil_model::AlertId, Path)), security(("bearer" = [])),
    responses(
        (status = 200, description = "SOP runs", body = SopRunList),
        (status = 404, description = "No such alarm in the caller's scope", body = ErrorBody),
    ))]
pub(crate) async fn sop_runs(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<SopRunList>, ApiError> {
    let items = state.desk.sop_runs(&actor(&caller), alarm_id(&id)?).await?;
    Ok(Json(SopRunList { items }))
}

/// A step's outcome.
#[derive(Debug, Deserialize, ToSchema)]
pub(crate) struct StepBody {
    /// `done`, `skipped` or `failed`.
    pub outcome: StepOutcome,
    /// Required when a required step is skipped or failed.
    #[serde(default)]
    pub note: Option<String>,
}

/// One SOP run.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct SopRunBody {
    /// The run.
    #[schema(value_type = Object)]
    pub run: SopRun,
}

/// Records the outcome of an SOP step (steps go in order).
#[utoipa::path(post, path = "/api/v1/sop-runs/{run}/steps/{step}", tag = "desk",
    params(("run" = String, Path), ("step" = String, Path)), request_body = StepBody, security(("bearer" = [])),
    responses(
        (status = 200, description = "Recorded", body = SopRunBody),
        (status = 400, description = "Out of order, already recorded, or a required step without a note", body = ErrorBody),
        (status = 404, description = "No such run in the caller's scope", body = ErrorBody),
    ))]
pub(crate) async fn sop_step(
    State(state): State<AppState>,
    caller: Caller,
    Path((run, step)): Path<(String, String)>,
    JsonBody(body): JsonBody<StepBody>,
) -> Result<Json<SopRunBody>, ApiError> {
    let run = state
        .desk
        .sop_step(
            &actor(&caller),
            &run,
            &step,
            body.outcome,
            body.note.as_deref(),
        )
        .await?;
    Ok(Json(SopRunBody { run }))
}
