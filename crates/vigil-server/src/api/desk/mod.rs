//! The desk's HTTP API: the alarm queue, suppressions and maintenance,
//! incidents with SOP runs and response actions, deliveries, escalations,
//! the audit log, the live stream, and visitors (visits, the roll call,
//! the watchlists).
//!
//! Every handler turns the bearer token into a desk [`Actor`] (its name,
//! role and tenant) and lets the desk check the role (see
//! `vigil_desk::permissions` for who may do what) and scope every read to the
//! caller's tenant: a client user asking for another tenant's alarm or
//! incident gets `404`, as if it did not exist.

pub(crate) mod alarms;
pub(crate) mod audit;
pub(crate) mod bulk;
pub(crate) mod incidents;
pub(crate) mod nis2;
pub(crate) mod procedures;
pub(crate) mod shift;
pub(crate) mod stream;
pub(crate) mod suppressions;
pub(crate) mod video;
pub(crate) mod visits;
pub(crate) mod watchlist;

use axum::Router;
use axum::routing::{get, post};
use vigil_desk::{Actor, DeskError};
use vigil_store::StoreError;

use crate::AppState;
use crate::auth::Caller;
use crate::error::ApiError;

/// The desk's routes.
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/alarms", get(alarms::list))
        .route("/api/v1/alarms/bulk", post(bulk::bulk))
        .route("/api/v1/alarms/{id}", get(alarms::detail))
        .route("/api/v1/alarms/{id}/acknowledge", post(alarms::acknowledge))
        .route("/api/v1/alarms/{id}/take-over", post(alarms::take_over))
        .route("/api/v1/alarms/{id}/start", post(alarms::start))
        .route("/api/v1/alarms/{id}/close", post(alarms::close))
        .route("/api/v1/alarms/{id}/reopen", post(alarms::reopen))
        .route("/api/v1/alarms/{id}/sop", get(alarms::sop_runs))
        .route("/api/v1/alarms/{id}/procedure", get(procedures::procedure))
        .route("/api/v1/alarms/{id}/snapshots", get(video::list))
        .route(
            "/api/v1/alarms/{id}/snapshots/{camera}",
            get(video::picture),
        )
        .route(
            "/api/v1/sop-runs/{run}/steps/{step}",
            post(alarms::sop_step),
        )
        .route(
            "/api/v1/suppressions",
            get(suppressions::list).post(suppressions::create),
        )
        .route("/api/v1/suppressions/{id}/lift", post(suppressions::lift))
        .route(
            "/api/v1/maintenance",
            get(suppressions::list_maintenance).post(suppressions::declare),
        )
        .route(
            "/api/v1/maintenance/{id}/cancel",
            post(suppressions::cancel),
        )
        .route(
            "/api/v1/incidents",
            get(incidents::list).post(incidents::open),
        )
        .route("/api/v1/incidents/{id}", get(incidents::detail))
        .route("/api/v1/incidents/{id}/commands", post(incidents::command))
        .route(
            "/api/v1/incidents/{id}/nis2/assessment",
            post(nis2::assess_nis2),
        )
        .route(
            "/api/v1/incidents/{id}/nis2/decision",
            post(nis2::decide_nis2),
        )
        .route("/api/v1/incidents/{id}/nis2/drafts", post(nis2::draft))
        .route(
            "/api/v1/incidents/{id}/nis2/drafts/{kind}/{version}",
            get(nis2::draft_version),
        )
        .route(
            "/api/v1/incidents/{id}/nis2/submissions",
            post(nis2::submit),
        )
        .route("/api/v1/incidents/{id}/actions", post(incidents::respond))
        .route("/api/v1/deliveries", get(incidents::deliveries))
        .route("/api/v1/escalations", get(incidents::escalations))
        .route("/api/v1/audit", get(audit::entries))
        .route("/api/v1/audit/export", get(audit::export))
        .route("/api/v1/stream", get(stream::stream))
        .route("/api/v1/shift-log", get(shift::log))
        .route("/api/v1/shift-log/entries", post(shift::write))
        .route("/api/v1/shift-log/entries/{id}/done", post(shift::done))
        .route("/api/v1/shift-log/handovers", post(shift::hand_over))
        .route("/api/v1/visits", get(visits::list).post(visits::create))
        .route("/api/v1/visits/{id}", get(visits::detail))
        .route("/api/v1/visits/{id}/approve", post(visits::approve))
        .route("/api/v1/visits/{id}/refuse", post(visits::refuse))
        .route("/api/v1/visits/{id}/arrive", post(visits::arrive))
        .route("/api/v1/visits/{id}/badge", post(visits::badge))
        .route("/api/v1/visits/{id}/sign-out", post(visits::sign_out))
        .route(
            "/api/v1/sites/{tenant}/{site}/roll-call",
            get(visits::roll_call),
        )
        .route(
            "/api/v1/watchlist",
            get(watchlist::list).post(watchlist::add),
        )
        .route(
            "/api/v1/watchlist/provider",
            get(watchlist::provider_list).post(watchlist::provider_add),
        )
}

/// The desk's view of the caller.
pub(crate) fn actor(caller: &Caller) -> Actor {
    Actor::person(
        &caller.token.name,
        caller.token.role,
        caller.token.tenant.clone(),
    )
}

impl From<DeskError> for ApiError {
    fn from(e: DeskError) -> Self {
        match e {
            DeskError::Forbidden { .. } => ApiError::Forbidden(e.to_string()),
            DeskError::NotFound { .. } => ApiError::NotFound(e.to_string()),
            DeskError::Transition { .. } | DeskError::NotOwner { .. } => {
                ApiError::Conflict(e.to_string())
            }
            DeskError::Invalid { .. } => ApiError::BadRequest(e.to_string()),
            DeskError::IdempotencyKeyReused { .. } => ApiError::Unprocessable(e.to_string()),
            DeskError::Config { .. } => ApiError::Internal(e.to_string()),
            DeskError::Store(StoreError::Conflict { .. }) => ApiError::Conflict(e.to_string()),
            DeskError::Store(s) => s.into(),
        }
    }
}

/// Parses an alarm id from a path.
pub(crate) fn alarm_id(id: &str) -> Result<vigil_model::AlertId, ApiError> {
    id.parse()
        .map_err(|e: vigil_model::IdError| ApiError::BadRequest(e.to_string()))
}

/// An alarm or incident with its service-level clocks, as the API shows it:
/// the object's own fields and `sla` (its contract class, and each clock's
/// target, due time, elapsed and paused time, and state).
#[derive(Debug, serde::Serialize)]
pub(crate) struct WithSla<T> {
    #[serde(flatten)]
    item: T,
    sla: vigil_desk::sla::SlaClocks,
    /// A significant incident's NIS-2 Art. 23 reports: due times and state.
    #[serde(skip_serializing_if = "Option::is_none")]
    nis2_deadlines: Option<Vec<vigil_compliance::nis2::Obligation>>,
}

impl WithSla<vigil_desk::alarm::Alarm> {
    pub(crate) fn alarm(desk: &vigil_desk::service::Desk, alarm: vigil_desk::alarm::Alarm) -> Self {
        Self {
            sla: desk.alarm_sla(&alarm),
            nis2_deadlines: None,
            item: alarm,
        }
    }
}

impl WithSla<vigil_desk::incident::Incident> {
    pub(crate) fn incident(
        desk: &vigil_desk::service::Desk,
        incident: vigil_desk::incident::Incident,
    ) -> Self {
        Self {
            sla: desk.incident_sla(&incident),
            nis2_deadlines: Some(desk.nis2_deadlines(&incident)),
            item: incident,
        }
    }
}
