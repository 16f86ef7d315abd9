//! API errors: a status and a message that says what was wrong.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use vigil_ingest::IngestError;
use vigil_store::StoreError;

/// An error answered to an API client.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// No usable credentials.
    #[error("{0}")]
    Unauthorized(&'static str),
    /// Credentials fine, but not for this.
    #[error("{0}")]
    Forbidden(String),
    /// Nothing here (or nothing the caller may see).
    #[error("{0}")]
    NotFound(String),
    /// The request itself was wrong.
    #[error("{0}")]
    BadRequest(String),
    /// The request conflicts with the object's state (or someone changed it first).
    #[error("{0}")]
    Conflict(String),
    /// The request is well formed but cannot be taken as it is (an
    /// idempotency key reused for another request).
    #[error("{0}")]
    Unprocessable(String),
    /// Something failed on our side.
    #[error("internal error: {0}")]
    Internal(String),
    /// The store is shutting down or unavailable.
    #[error("service unavailable: {0}")]
    Unavailable(String),
    /// Too many failed authentications; try again after this long.
    #[error("too many failed attempts; try again in {} s", .0.as_secs())]
    TooManyRequests(std::time::Duration),
}

pub use vigil_sources::token::ErrorBody;

impl ApiError {
    /// The HTTP status it is answered with.
    pub(crate) fn status(&self) -> StatusCode {
        self.status_and_kind().0
    }

    fn status_and_kind(&self) -> (StatusCode, &'static str) {
        match self {
            ApiError::Unauthorized(_) => (StatusCode::UNAUTHORIZED, "unauthorized"),
            ApiError::Forbidden(_) => (StatusCode::FORBIDDEN, "forbidden"),
            ApiError::NotFound(_) => (StatusCode::NOT_FOUND, "not_found"),
            ApiError::BadRequest(_) => (StatusCode::BAD_REQUEST, "bad_request"),
            ApiError::Conflict(_) => (StatusCode::CONFLICT, "conflict"),
            ApiError::Unprocessable(_) => (StatusCode::UNPROCESSABLE_ENTITY, "unprocessable"),
            ApiError::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
            ApiError::Unavailable(_) => (StatusCode::SERVICE_UNAVAILABLE, "unavailable"),
            ApiError::TooManyRequests(_) => (StatusCode::TOO_MANY_REQUESTS, "too_many_requests"),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, kind) = self.status_and_kind();
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
        if let ApiError::TooManyRequests(wait) = &self
            && let Ok(v) = HeaderValue::from_str(&wait.as_secs().max(1).to_string())
        {
            response.headers_mut().insert(header::RETRY_AFTER, v);
        }
        if status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"vigil\""),
            );
        }
        response
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::BadCursor(_) => ApiError::BadRequest(e.to_string()),
            StoreError::NotFound { .. } => ApiError::NotFound(e.to_string()),
            StoreError::Closed => ApiError::Unavailable(e.to_string()),
            _ => ApiError::Internal(e.to_string()),
        }
    }
}

impl From<IngestError> for ApiError {
    fn from(e: IngestError) -> Self {
        match e {
            IngestError::Store(s) => s.into(),
            IngestError::Worker(w) => ApiError::Internal(w),
            e @ IngestError::Log(_) => ApiError::Unavailable(e.to_string()),
        }
    }
}
