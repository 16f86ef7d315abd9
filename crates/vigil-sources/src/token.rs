//! The ingest-token check, once for every HTTP-borne source: a token is
//! looked up by its hash, and accepted only by the endpoints that serve its
//! source's kind — a camera's notification token (which travels in camera
//! configuration) cannot post NDJSON, and an NDJSON shipper's token cannot
//! pose as a camera.

use axum::Json;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use vigil_model::{SourceBinding, SourceKind};
use vigil_store::Store;
use vigil_store::token::{bearer, hash_token};

/// The JSON body of every error response (the server's too).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    /// A short machine-readable kind (`unauthorized`, `bad_request` …).
    pub error: &'static str,
    /// What was wrong, for people.
    pub message: String,
}

/// Why a source's request was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// No token, or not one we know.
    #[error("{0}")]
    Unauthorized(&'static str),
    /// A known token, but of a source this endpoint does not serve.
    #[error("{0}")]
    Forbidden(String),
    /// The store could not be asked (or could not take the events):
    /// nothing was stored, send again.
    #[error("service unavailable: {0}")]
    Unavailable(String),
    /// Something failed on our side.
    #[error("internal error: {0}")]
    Internal(String),
}

impl From<vigil_ingest::IngestError> for Refusal {
    fn from(e: vigil_ingest::IngestError) -> Self {
        match e {
            vigil_ingest::IngestError::Store(vigil_store::StoreError::Closed) => {
                Refusal::Unavailable("the store is closed; nothing was stored, send again".into())
            }
            // JetStream away or slow: nothing was taken, the sender retries.
            e @ vigil_ingest::IngestError::Log(_) => Refusal::Unavailable(e.to_string()),
            other => Refusal::Internal(other.to_string()),
        }
    }
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        let (status, kind) = match &self {
            Refusal::Unauthorized(_) => (StatusCode::UNAUTHORIZED, "unauthorized"),
            Refusal::Forbidden(_) => (StatusCode::FORBIDDEN, "forbidden"),
            Refusal::Unavailable(_) => (StatusCode::SERVICE_UNAVAILABLE, "unavailable"),
            Refusal::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
        };
        if status.is_server_error() {
            tracing::error!(error = %self, "request failed");
        }
        let mut response = (
            status,
            Json(ErrorBody {
                error: kind,
                message: self.to_string(),
            }),
        )
            .into_response();
        if status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"vigil\""),
            );
        }
        if status == StatusCode::SERVICE_UNAVAILABLE {
            // Shippers that honour it come back once the outage is likely
            // over instead of hammering a node that cannot take their data.
            response.headers_mut().insert(
                header::RETRY_AFTER,
                HeaderValue::from_static(RETRY_AFTER_SECS),
            );
        }
        response
    }
}

/// What a refused sender is told to wait before sending again, in seconds.
pub const RETRY_AFTER_SECS: &str = "5";

/// The source a bearer token in `headers` belongs to, if its kind is one
/// of `kinds`.
pub async fn source_of_bearer(
    store: &dyn Store,
    headers: &HeaderMap,
    kinds: &[SourceKind],
) -> Result<SourceBinding, Refusal> {
    let token = bearer(headers.get(header::AUTHORIZATION).map(|v| v.as_bytes()))
        .map_err(Refusal::Unauthorized)?;
    source_of_token(store, token, kinds).await
}

/// The source `token` belongs to, if its kind is one of `kinds`.
pub async fn source_of_token(
    store: &dyn Store,
    token: &str,
    kinds: &[SourceKind],
) -> Result<SourceBinding, Refusal> {
    let binding = match store.source_by_token(&hash_token(token)).await {
        Ok(Some(binding)) => binding,
        Ok(None) => return Err(Refusal::Unauthorized("unknown or revoked ingest token")),
        Err(e) => {
            tracing::error!(error = %e, "ingest token look-up failed");
            return Err(Refusal::Unavailable(
                "store unavailable; nothing was stored, send again".into(),
            ));
        }
    };
    if !kinds.contains(&binding.kind) {
        let served: Vec<&str> = kinds.iter().map(|k| k.as_str()).collect();
        return Err(Refusal::Forbidden(format!(
            "this token belongs to a {} source; this endpoint serves {} sources",
            binding.kind,
            served.join(" and ")
        )));
    }
    Ok(binding)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_ingest_log_that_cannot_take_a_batch_is_a_503_with_retry_after() {
        let log =
            vigil_ingest::LogError::Unavailable("JetStream acknowledgement: timed out".into());
        let refusal = Refusal::from(vigil_ingest::IngestError::Log(log));
        assert!(matches!(refusal, Refusal::Unavailable(_)), "{refusal:?}");
        let response = refusal.into_response();
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(response.headers()[header::RETRY_AFTER], RETRY_AFTER_SECS);
    }
}
