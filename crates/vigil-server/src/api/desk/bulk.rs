//! `POST /api/v1/alarms/bulk`: one command on several alarms (a selection
//! or a whole group), each applied, scoped and audited exactly as the
//! single command is, and each reported on its own.

use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use vigil_desk::Permission;
use vigil_desk::alarm::{AlarmCommand, AlarmStatus, Verdict};

use super::{actor, alarm_id};
use crate::AppState;
use crate::api::params::JsonBody;
use crate::auth::Caller;
use crate::error::{ApiError, ErrorBody};

/// Most alarms one request may name (a screenful of the queue many times over).
pub(crate) const MAX_BULK: usize = 500;

/// What to do to every alarm named.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(tag = "action", rename_all = "snake_case", deny_unknown_fields)]
pub(crate) enum BulkAction {
    /// Acknowledge each: the caller takes it.
    Acknowledge {
        /// The alarms (ids).
        ids: Vec<String>,
    },
    /// Close each with one verdict; an alarm still new is acknowledged
    /// first (two entries on its record, as if done one by one).
    Close {
        /// The alarms (ids).
        ids: Vec<String>,
        /// `true_positive`, `false_positive`, `benign` or `duplicate`.
        #[schema(value_type = String)]
        verdict: Verdict,
        /// A note for each alarm's record.
        #[serde(default)]
        note: Option<String>,
    },
}

impl BulkAction {
    fn ids(&self) -> &[String] {
        match self {
            BulkAction::Acknowledge { ids } | BulkAction::Close { ids, .. } => ids,
        }
    }
}

/// What happened to one alarm.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct BulkOutcome {
    /// The alarm, as named in the request.
    pub id: String,
    /// Whether the action was applied.
    pub ok: bool,
    /// Its status afterwards, when applied.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// When not applied: the HTTP status the single command would have
    /// answered (`404` for an alarm outside the caller's scope, `409` for
    /// one held by someone else or in the wrong state).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<u16>,
    /// When not applied: why.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// Every alarm's outcome, in the order named.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct BulkResult {
    /// How many were applied.
    pub applied: usize,
    /// How many were not.
    pub failed: usize,
    /// One per alarm named (duplicates once).
    pub items: Vec<BulkOutcome>,
}

/// Applies one command to several alarms.
#[utoipa::path(post, path = "/api/v1/alarms/bulk", tag = "desk", request_body = BulkAction, security(("bearer" = [])),
    responses(
        (status = 200, description = "Each alarm's outcome; some may have failed (see `items`)", body = BulkResult),
        (status = 400, description = "No alarms named, too many, or a bad body", body = ErrorBody),
        (status = 403, description = "The caller's role may not work alarms", body = ErrorBody),
    ))]
pub(crate) async fn bulk(
    State(state): State<AppState>,
    caller: Caller,
    JsonBody(action): JsonBody<BulkAction>,
) -> Result<Json<BulkResult>, ApiError> {
    let who = actor(&caller);
    who.require(Permission::WorkAlarms, who.tenant.as_ref())
        .map_err(ApiError::from)?;
    let mut ids: Vec<&String> = Vec::new();
    for id in action.ids() {
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    if ids.is_empty() {
        return Err(ApiError::BadRequest(
            "no alarms named (`ids` is empty)".into(),
        ));
    }
    if ids.len() > MAX_BULK {
        return Err(ApiError::BadRequest(format!(
            "{} alarms named; at most {MAX_BULK} at a time",
            ids.len()
        )));
    }
    let mut items = Vec::with_capacity(ids.len());
    for id in ids {
        let outcome = match apply(&state, &caller, id, &action).await {
            Ok(status) => BulkOutcome {
                id: id.clone(),
                ok: true,
                status: Some(status.as_str().to_owned()),
                code: None,
                error: None,
            },
            Err(e) => BulkOutcome {
                id: id.clone(),
                ok: false,
                status: None,
                code: Some(e.status().as_u16()),
                error: Some(e.to_string()),
            },
        };
        items.push(outcome);
    }
    let applied = items.iter().filter(|o| o.ok).count();
    Ok(Json(BulkResult {
        applied,
        failed: items.len() - applied,
        items,
    }))
}

async fn apply(
    state: &AppState,
    caller: &Caller,
    id: &str,
    action: &BulkAction,
) -> Result<AlarmStatus, ApiError> {
    let who = actor(caller);
    let id = alarm_id(id)?;
    let alarm = match action {
        BulkAction::Acknowledge { .. } => {
            state
                .desk
                .alarm_command(&who, id, AlarmCommand::Acknowledge)
                .await?
        }
        BulkAction::Close { verdict, note, .. } => {
            if state.desk.alarm(&who, id).await?.status == AlarmStatus::New {
                state
                    .desk
                    .alarm_command(&who, id, AlarmCommand::Acknowledge)
                    .await?;
            }
            let close = AlarmCommand::Close {
                verdict: *verdict,
                note: note.clone(),
            };
            state.desk.alarm_command(&who, id, close).await?
        }
    };
    Ok(alarm.status)
}
