//! Query-string extraction with errors in the API's own shape.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use crate::error::ApiError;

/// Like axum's `Query`, but repeated keys collect into `Vec`s and a bad
/// parameter is a JSON `400` saying which one. A parameter given with no
/// value (`until=`) is refused rather than read as absent: a client that
/// meant a value and sent none learns so, instead of getting everything.
pub(crate) struct Params<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for Params<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        let query = parts.uri.query().unwrap_or_default();
        let pairs: Vec<(String, String)> = serde_html_form::from_str(query)
            .map_err(|e| ApiError::BadRequest(format!("invalid query parameters: {e}")))?;
        if let Some((name, _)) = pairs.iter().find(|(_, value)| value.is_empty()) {
            return Err(ApiError::BadRequest(format!(
                "`{name}=` has no value; leave the parameter out instead"
            )));
        }
        serde_html_form::from_str(query)
            .map(Params)
            .map_err(|e| ApiError::BadRequest(format!("invalid query parameters: {e}")))
    }
}

/// Default page size when the caller does not say.
pub(crate) const DEFAULT_LIMIT: usize = 100;

/// The page size to use: the caller's, within bounds.
pub(crate) fn page_limit(asked: Option<usize>) -> usize {
    asked
        .unwrap_or(DEFAULT_LIMIT)
        .clamp(1, vigil_store::MAX_PAGE_SIZE)
}

/// Decodes an optional cursor from a client.
pub(crate) fn cursor(text: Option<&str>) -> Result<Option<vigil_store::Cursor>, ApiError> {
    text.filter(|t| !t.is_empty())
        .map(vigil_store::Cursor::decode)
        .transpose()
        .map_err(ApiError::from)
}

/// Like axum's `Json` for request bodies, but a body that is not the JSON
/// asked for (malformed, a missing or unknown field, a wrong type, not
/// `application/json`) is a JSON `400` saying what and where, as every other
/// bad input is, rather than axum's plain-text `415`/`422`.
pub(crate) struct JsonBody<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> axum::extract::FromRequest<S> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, ApiError> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(value)) => Ok(JsonBody(value)),
            Err(rejection) => Err(ApiError::BadRequest(format!(
                "invalid request body: {}",
                rejection.body_text()
            ))),
        }
    }
}

/// Like axum's `Path`, but a path segment that does not parse (a negative
/// version number, bytes that are not UTF-8) is a JSON `400` saying which,
/// as every other bad input is, rather than axum's plain-text one.
pub(crate) struct Path<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for Path<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(value)) => Ok(Path(value)),
            Err(rejection) => Err(ApiError::BadRequest(format!(
                "invalid path: {}",
                rejection.body_text()
            ))),
        }
    }
}
