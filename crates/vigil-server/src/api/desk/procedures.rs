//! `/api/v1/alarms/{id}/procedure`: what an alarm calls for, shown before
//! anyone acknowledges it.

use axum::Json;
use axum::extract::{Path, State};
use serde::Serialize;
use utoipa::ToSchema;
use vigil_desk::service::AlarmProcedure;

use super::{actor, alarm_id};
use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, ErrorBody};

/// An alarm's procedure.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ProcedureBody {
    /// `category`; `procedure` (the SOP resolved under the client's response
    /// plan: steps in order, each with whom to call and whether the contract
    /// requires it before closing), `run` (once acknowledged), `outstanding`
    /// (required steps not recorded yet) and `rule` (`description`,
    /// `falsepositives`).
    #[schema(value_type = Object)]
    #[serde(flatten)]
    pub procedure: AlarmProcedure,
}

/// The procedure an alarm calls for, its run, and what its rule says
/// about itself (description, known false positives).
#[utoipa::path(get, path = "/api/v1/alarms/{id}/procedure", tag = "desk", params(("id" = String, Path, description = "The alarm (alert) id")), security(("bearer" = [])),
    responses(
        (status = 200, description = "The procedure, its run and the rule's notes", body = ProcedureBody),
        (status = 404, description = "No such alarm in the caller's scope", body = ErrorBody),
    ))]
pub(crate) async fn procedure(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<ProcedureBody>, ApiError> {
    let procedure = state
        .desk
        .alarm_procedure(&actor(&caller), alarm_id(&id)?)
        .await?;
    Ok(Json(ProcedureBody { procedure }))
}
