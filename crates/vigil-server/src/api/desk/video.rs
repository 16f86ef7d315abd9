//! `/api/v1/alarms/{id}/snapshots`: the pictures cameras gave at alarm
//! time, with their digests, live streams and recordings — and the pictures
//! themselves, served only to callers who may see the alarm.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;
use vigil_desk::video::AlarmSnapshot;

use super::{actor, alarm_id};
use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, ErrorBody};

/// An alarm's snapshots.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct SnapshotList {
    /// One per camera: `camera`, `taken_at`, `content_type`, `size`,
    /// `sha256`, `stream_uri`, `recording_url`, or `error` when the camera
    /// gave no picture.
    #[schema(value_type = Vec<Object>)]
    pub items: Vec<AlarmSnapshot>,
}

/// The snapshots taken for an alarm (without the pictures).
#[utoipa::path(get, path = "/api/v1/alarms/{id}/snapshots", tag = "desk", params(("id" = String, Path, description = "The alarm (alert) id")), security(("bearer" = [])),
    responses(
        (status = 200, description = "Snapshots, one per camera", body = SnapshotList),
        (status = 404, description = "No such alarm in the caller's scope", body = ErrorBody),
    ))]
pub(crate) async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<SnapshotList>, ApiError> {
    let items = state
        .desk
        .snapshots(&actor(&caller), alarm_id(&id)?)
        .await?;
    Ok(Json(SnapshotList { items }))
}

/// One camera's picture for an alarm (JPEG or PNG), checked against its
/// recorded SHA-256.
#[utoipa::path(get, path = "/api/v1/alarms/{id}/snapshots/{camera}", tag = "desk",
    params(("id" = String, Path, description = "The alarm (alert) id"), ("camera" = String, Path, description = "The camera")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The picture", content_type = "image/jpeg"),
        (status = 404, description = "No such alarm, camera or picture in the caller's scope", body = ErrorBody),
    ))]
pub(crate) async fn picture(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, camera)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let (content_type, bytes) = state
        .desk
        .snapshot_picture(&actor(&caller), alarm_id(&id)?, &camera)
        .await?;
    let mut response = bytes.into_response();
    let value = HeaderValue::from_str(&content_type)
        .map_err(|e| ApiError::Internal(format!("content type `{content_type}`: {e}")))?;
    response.headers_mut().insert(header::CONTENT_TYPE, value);
    Ok(response)
}
