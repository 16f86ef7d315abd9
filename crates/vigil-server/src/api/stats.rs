//! `/api/v1/stats`: the dashboards' numbers, per client or across clients.
//! What they are and how they are counted: `vigil_desk::reporting::dashboard`;
//! this reads what they are computed from, in the caller's scope.

use axum::Json;
use axum::extract::State;
use serde::Deserialize;
use utoipa::IntoParams;
use vigil_desk::reporting::dashboard::{Dashboard, DashboardInput, Window, dashboard};
use vigil_model::TenantId;

use super::params::Params;
use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, ErrorBody};

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct StatsParams {
    /// Only this tenant (client users: their own, always).
    tenant: Option<TenantId>,
    /// How many hours back, 1 to 720 (default 24).
    #[param(minimum = 1, maximum = 720)]
    hours: Option<i64>,
}

/// The dashboards' numbers for the last `hours` hours.
#[utoipa::path(
    get,
    path = "/api/v1/stats",
    tag = "estate",
    params(StatsParams),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The numbers", body = Dashboard),
        (status = 400, description = "Bad parameter (hours outside 1–720)", body = ErrorBody),
        (status = 401, description = "No or unknown token", body = ErrorBody),
        (status = 403, description = "Tenant not in the token's scope", body = ErrorBody),
    )
)]
pub(crate) async fn stats(
    State(state): State<AppState>,
    caller: Caller,
    Params(p): Params<StatsParams>,
) -> Result<Json<Dashboard>, ApiError> {
    let scope = caller.scope(p.tenant.as_ref())?;
    let hours = p.hours.unwrap_or(24);
    if !(1..=720).contains(&hours) {
        return Err(ApiError::BadRequest(format!(
            "hours is {hours}; expected 1 to 720"
        )));
    }
    let window = Window::last_hours(state.desk.now(), hours);
    let alarms = state.desk.alarms_since(&scope, window.read_from()).await?;
    let (devices, supervision) = match &state.estate.store {
        Some(estate) => (
            estate.devices(&scope).await?,
            estate.supervision(&scope).await?,
        ),
        None => Default::default(),
    };
    let tenants = state.store.tenants(&scope).await?;
    let open_alarms = state.desk.open_alarms(&scope).await?;
    Ok(Json(dashboard(&DashboardInput {
        window,
        alarms: &alarms,
        open_alarms: &open_alarms,
        rules: &state.estate.rules,
        tenants: &tenants,
        devices: &devices,
        supervision: &supervision,
    })))
}
