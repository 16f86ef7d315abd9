//! Turning a console session cookie into the session it names, and the
//! `/api/v1/session` endpoints that open and close one.

use axum::Json;
use axum::extract::State;
use axum::http::header::{COOKIE, SET_COOKIE};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use vigil_desk::Actor;

use std::time::Instant;

use crate::api::params::JsonBody;
use crate::auth::{Caller, authentication_failed, client_address, hash_token};
use crate::error::{ApiError, ErrorBody};
use crate::session::{
    CSRF_HEADER, SESSION_COOKIE, Session, clear_cookie, cookie_value, same_secret, set_cookie,
};
use crate::{AppState, throttle};

/// Sessions run on wall time: a security timer must not follow a demo's
/// accelerated clock (at 3600× a twelve-hour session would last twelve
/// seconds).
fn wall_now() -> vigil_model::Timestamp {
    use vigil_model::Clock;
    vigil_model::SystemClock.now()
}

fn session_id(headers: &HeaderMap) -> Option<&str> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|h| cookie_value(h, SESSION_COOKIE))
        .filter(|id| !id.is_empty())
}

/// The session a request's cookie names, checking the CSRF header on
/// anything but a read. `None` when the request carries no session cookie.
pub(crate) fn session_of(parts: &Parts, state: &AppState) -> Result<Option<Session>, ApiError> {
    let Some(id) = session_id(&parts.headers) else {
        return Ok(None);
    };
    let session = state
        .sessions
        .get(id, wall_now())
        .ok_or(ApiError::Unauthorized(
            "console session expired or logged out; log in again",
        ))?;
    let safe = matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS);
    if !safe {
        let sent = parts
            .headers
            .get(CSRF_HEADER)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        if !same_secret(sent, &session.csrf) {
            return Err(ApiError::Forbidden(
                "a write with a session cookie needs the session's `X-CSRF-Token` header".into(),
            ));
        }
    }
    Ok(Some(session))
}

/// What a console logs in with.
#[derive(Debug, Deserialize, ToSchema)]
pub(crate) struct LoginBody {
    /// The person's API token (`vgl_…`).
    pub token: String,
}

/// Who is logged in.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct SessionBody {
    /// The token's name (the person).
    pub name: String,
    /// Their role (`provider_operator`, `client_viewer`, …).
    pub role: String,
    /// Their tenant, for client roles.
    pub tenant: Option<String>,
    /// What writes must send in `X-CSRF-Token` (absent for bearer callers).
    pub csrf: Option<String>,
}

fn body(caller: &Caller, csrf: Option<String>) -> SessionBody {
    SessionBody {
        name: caller.token.name.clone(),
        role: caller.token.role.as_str().to_owned(),
        tenant: caller.token.tenant.as_ref().map(|t| t.to_string()),
        csrf,
    }
}

async fn audit(state: &AppState, caller: &Caller, action: &str) {
    let actor = Actor::person(
        &caller.token.name,
        caller.token.role,
        caller.token.tenant.clone(),
    );
    // A failed audit write must not lock people out of the console; it is
    // logged loudly instead.
    if let Err(e) = state
        .desk
        .record_act(
            &actor,
            caller.token.tenant.clone(),
            action,
            "console",
            serde_json::Value::Null,
        )
        .await
    {
        tracing::warn!(error = %e, action, "could not audit a console session change");
    }
}

/// Logs in to the console: sets the session cookie.
#[utoipa::path(post, path = "/api/v1/session", tag = "operations", request_body = LoginBody,
    responses((status = 200, description = "Logged in; `Set-Cookie` carries the session", body = SessionBody),
              (status = 401, description = "Unknown or revoked token", body = ErrorBody)))]
pub(crate) async fn login(
    State(state): State<AppState>,
    parts: Parts,
    JsonBody(b): JsonBody<LoginBody>,
) -> Result<Response, ApiError> {
    let keys = throttle::keys(client_address(&parts), Some(b.token.trim()));
    state
        .sessions
        .throttle()
        .check(&keys, Instant::now())
        .map_err(ApiError::TooManyRequests)?;
    let hash = hash_token(b.token.trim());
    let Some(token) = state.store.api_token(&hash).await? else {
        authentication_failed(&state, &keys, &hash, "/api/v1/session").await;
        return Err(ApiError::Unauthorized("unknown or revoked API token"));
    };
    let caller = Caller { token };
    let opened = state.sessions.open(hash, wall_now());
    audit(&state, &caller, "session.login").await;
    let secure = parts
        .extensions
        .get::<crate::tls::ServedOverTls>()
        .is_some();
    let cookie = HeaderValue::from_str(&set_cookie(&opened, secure))
        .map_err(|e| ApiError::Internal(format!("session cookie: {e}")))?;
    let mut response = Json(body(&caller, Some(opened.csrf))).into_response();
    response.headers_mut().insert(SET_COOKIE, cookie);
    Ok(response)
}

/// Who is logged in (also answers bearer callers, without a CSRF value).
#[utoipa::path(get, path = "/api/v1/session", tag = "operations", security(("bearer" = [])),
    responses((status = 200, description = "The caller", body = SessionBody),
              (status = 401, description = "Not logged in", body = ErrorBody)))]
pub(crate) async fn current(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
) -> Json<SessionBody> {
    let csrf = session_id(&headers)
        .filter(|_| !headers.contains_key(axum::http::header::AUTHORIZATION))
        .and_then(|id| state.sessions.get(id, wall_now()))
        .map(|s| s.csrf);
    Json(body(&caller, csrf))
}

/// Logs out: ends the session and clears the cookie.
#[utoipa::path(delete, path = "/api/v1/session", tag = "operations",
    responses((status = 204, description = "Logged out")))]
pub(crate) async fn logout(
    State(state): State<AppState>,
    caller: Caller,
    tls: Option<axum::Extension<crate::tls::ServedOverTls>>,
    headers: HeaderMap,
) -> Response {
    if let Some(id) = session_id(&headers)
        && state.sessions.close(id)
    {
        audit(&state, &caller, "session.logout").await;
    }
    let mut response = axum::http::StatusCode::NO_CONTENT.into_response();
    if let Ok(v) = HeaderValue::from_str(&clear_cookie(tls.is_some())) {
        response.headers_mut().insert(SET_COOKIE, v);
    }
    response
}
