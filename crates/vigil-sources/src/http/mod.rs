//! `POST /api/v1/ingest`

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use vigil_pipeline::{IngestOutcome, Payload};

use crate::AppState;
use crate::auth::IngestSource;
use crate::error::{ApiError, ErrorBody};

/// Accepts a batch of newline-delimited JSON events from one source.
///
/// The source's token decides the tenant and site of every event; what the
/// events say about their tenant is kept as data only. The answer comes
/// after the batch is durable: a `200` means every accepted line is stored
/// and every rejected line is in dead letters with its reason.
#[utoipa::path(
    post,
    path = "/api/v1/ingest",
    tag = "ingest",
    request_body(content = String, content_type = "application/x-ndjson",
        description = "One JSON object per line"),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Durable: accepted lines stored, rejected lines in dead letters",
            body = IngestOutcome),
        (status = 401, description = "No or unknown ingest token", body = ErrorBody),
        (status = 413, description = "Body larger than the configured limit"),
        (status = 503, description = "Store unavailable; nothing was accepted, retry", body = ErrorBody),
    )
)]
pub(crate) async fn ingest(
    State(state): State<AppState>,
    IngestSource(binding): IngestSource,
    body: Bytes,
) -> Result<Json<IngestOutcome>, ApiError> {
    let payload = Payload::Ndjson {
        body: body.to_vec(),
        first_line: 1,
        origin: None,
    };
    Ok(Json(state.pipeline.ingest(&binding, payload).await?))
}
