//! `/api/v1/shift-log`: the control room's shift log — notes, open items
//! carried over until done, handovers. Provider staff only; every write is
//! on the audit record.

use axum::Json;
use axum::extract::{Path, State};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use vigil_desk::service::ShiftLog;
use vigil_desk::shift::{EntryKind, ShiftEntry};
use vigil_model::TenantId;

use super::actor;
use crate::AppState;
use crate::api::params::{JsonBody, Params};
use crate::auth::Caller;
use crate::error::{ApiError, ErrorBody};

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct LogParams {
    /// How many past handovers to include (default 5, at most 50).
    handovers: Option<usize>,
}

/// The shift log: the current shift (since the last handover), every open
/// item (those older than the shift were carried over), recent handovers.
#[utoipa::path(get, path = "/api/v1/shift-log", tag = "desk", params(LogParams), security(("bearer" = [])),
    responses((status = 200, description = "The log", body = ShiftLog),
              (status = 403, description = "Client users have no shift log", body = ErrorBody)))]
pub(crate) async fn log(
    State(state): State<AppState>,
    caller: Caller,
    Params(p): Params<LogParams>,
) -> Result<Json<ShiftLog>, ApiError> {
    let log = state
        .desk
        .shift_log(&actor(&caller), p.handovers.unwrap_or(5))
        .await?;
    Ok(Json(log))
}

/// A note or an open item.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct EntryBody {
    /// `note` or `item` (an open item, carried over until done).
    #[schema(value_type = String)]
    pub kind: EntryKind,
    /// What to write (at most 4000 characters).
    pub text: String,
    /// The client it concerns, if one.
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub client: Option<TenantId>,
}

/// One entry of the log.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct EntryView {
    /// The entry: id, kind, text, author, at, client, handed_to, done.
    #[schema(value_type = Object)]
    pub entry: ShiftEntry,
}

/// Writes a note or an open item in the current shift.
#[utoipa::path(post, path = "/api/v1/shift-log/entries", tag = "desk", request_body = EntryBody, security(("bearer" = [])),
    responses((status = 200, description = "Written", body = EntryView),
              (status = 400, description = "Empty or too long, or a handover (see /handovers)", body = ErrorBody),
              (status = 403, description = "The caller's role may not", body = ErrorBody)))]
pub(crate) async fn write(
    State(state): State<AppState>,
    caller: Caller,
    JsonBody(b): JsonBody<EntryBody>,
) -> Result<Json<EntryView>, ApiError> {
    let entry = state
        .desk
        .write_shift_entry(&actor(&caller), b.kind, &b.text, b.client)
        .await?;
    Ok(Json(EntryView { entry }))
}

/// Marks an open item done.
#[utoipa::path(post, path = "/api/v1/shift-log/entries/{id}/done", tag = "desk", params(("id" = String, Path)), security(("bearer" = [])),
    responses((status = 200, description = "Done", body = EntryView),
              (status = 403, description = "The caller's role may not", body = ErrorBody),
              (status = 404, description = "No such entry", body = ErrorBody),
              (status = 409, description = "Not an open item, or done already", body = ErrorBody)))]
pub(crate) async fn done(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<EntryView>, ApiError> {
    let entry = state.desk.complete_shift_item(&actor(&caller), &id).await?;
    Ok(Json(EntryView { entry }))
}

/// A handover: its summary, and who takes over.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct HandoverBody {
    /// What the next shift must know.
    pub summary: String,
    /// Who leads the next shift, if known.
    #[serde(default)]
    pub to: Option<String>,
}

/// Ends the current shift with a handover; open items carry over.
#[utoipa::path(post, path = "/api/v1/shift-log/handovers", tag = "desk", request_body = HandoverBody, security(("bearer" = [])),
    responses((status = 200, description = "Handed over", body = EntryView),
              (status = 400, description = "No summary", body = ErrorBody),
              (status = 403, description = "The caller's role may not", body = ErrorBody)))]
pub(crate) async fn hand_over(
    State(state): State<AppState>,
    caller: Caller,
    JsonBody(b): JsonBody<HandoverBody>,
) -> Result<Json<EntryView>, ApiError> {
    let entry = state
        .desk
        .hand_over(&actor(&caller), &b.summary, b.to.as_deref())
        .await?;
    Ok(Json(EntryView { entry }))
}
