//! Bearer tokens: minting, hashing, and turning a request into a caller.

use std::net::{IpAddr, SocketAddr};
use std::time::Instant;

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use vigil_model::TenantId;
use vigil_store::{ApiToken, TenantScope};

use crate::error::ApiError;
use crate::{AppState, throttle};

pub use vigil_store::token::{TOKEN_PREFIX, hash_token, new_token, parse_token_hash};

fn bearer(parts: &Parts) -> Result<&str, ApiError> {
    vigil_store::token::bearer(parts.headers.get(AUTHORIZATION).map(|v| v.as_bytes()))
        .map_err(ApiError::Unauthorized)
}

/// An authenticated API caller (a person or an integration with an API token).
#[derive(Debug, Clone)]
pub struct Caller {
    /// The token's record.
    pub token: ApiToken,
}

impl Caller {
    /// The tenants this caller may see, narrowed to `requested` when given.
    ///
    /// A client user asking for another tenant is refused; a provider user
    /// may narrow to any tenant.
    pub fn scope(&self, requested: Option<&TenantId>) -> Result<TenantScope, ApiError> {
        match (&self.token.tenant, requested) {
            (Some(own), Some(asked)) if own != asked => Err(ApiError::Forbidden(format!(
                "token `{}` is limited to tenant `{own}`",
                self.token.name
            ))),
            (Some(own), _) => Ok(TenantScope::One(own.clone())),
            (None, Some(asked)) if self.token.role.is_provider() => {
                Ok(TenantScope::One(asked.clone()))
            }
            (None, None) if self.token.role.is_provider() => Ok(TenantScope::All),
            // A client role without a tenant is a misconfiguration: see nothing.
            (None, _) => Err(ApiError::Forbidden(format!(
                "token `{}` has a client role but no tenant",
                self.token.name
            ))),
        }
    }

    /// Refuses callers that are not provider staff.
    pub fn require_provider(&self) -> Result<(), ApiError> {
        if self.token.role.is_provider() && self.token.tenant.is_none() {
            Ok(())
        } else {
            Err(ApiError::Forbidden(format!(
                "token `{}` is not a provider token",
                self.token.name
            )))
        }
    }
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        // A bearer header always wins; the console's session cookie is
        // only looked at when there is none, so integrations are unaffected.
        let (hash, presented) = if parts.headers.contains_key(AUTHORIZATION) {
            let token = bearer(parts)?;
            (hash_token(token), Some(token.to_owned()))
        } else if let Some(session) = crate::session_auth::session_of(parts, state)? {
            (session.token, None)
        } else {
            return Err(ApiError::Unauthorized(
                "missing `Authorization: Bearer <token>` header (or console session cookie)",
            ));
        };
        let failure_keys = throttle::keys(client_address(parts), presented.as_deref());
        state
            .sessions
            .throttle()
            .check(&failure_keys, Instant::now())
            .map_err(ApiError::TooManyRequests)?;
        match state.store.api_token(&hash).await? {
            Some(token) => Ok(Caller { token }),
            None => {
                authentication_failed(state, &failure_keys, &hash, parts.uri.path()).await;
                Err(ApiError::Unauthorized("unknown or revoked API token"))
            }
        }
    }
}

/// The client's address, when the server was started with it.
pub(crate) fn client_address(parts: &Parts) -> Option<IpAddr> {
    parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip())
}

/// Counts a failed authentication and puts it on the record — the
/// address, the path, and a short prefix of the token's SHA-256 (so that
/// repeated attempts with one token show as such), never the token.
pub(crate) async fn authentication_failed(
    state: &AppState,
    keys: &[String],
    hash: &vigil_store::TokenHash,
    path: &str,
) {
    state.sessions.throttle().failed(keys, Instant::now());
    let detail = serde_json::json!({
        "client": keys.iter().find_map(|k| k.strip_prefix("address:")),
        "path": path,
        "token_sha256_prefix": hex::encode(&hash[..4]),
    });
    if let Err(e) = state
        .desk
        .record_act(
            &vigil_desk::Actor::system("auth"),
            None,
            "auth.failed",
            "auth",
            detail,
        )
        .await
    {
        tracing::warn!(error = %e, "could not audit a failed authentication");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use vigil_store::Role;

    fn caller(role: Role, tenant: Option<&str>) -> Caller {
        Caller {
            token: ApiToken {
                name: "t".into(),
                role,
                tenant: tenant.map(|t| TenantId::new(t).unwrap()),
                hash: [0; 32],
            },
        }
    }

    #[test]
    fn client_users_see_only_their_tenant() {
        let a = TenantId::new("a").unwrap();
        let b = TenantId::new("b").unwrap();
        let client = caller(Role::ClientViewer, Some("a"));
        assert_eq!(client.scope(None).unwrap(), TenantScope::One(a.clone()));
        assert_eq!(client.scope(Some(&a)).unwrap(), TenantScope::One(a.clone()));
        assert!(matches!(
            client.scope(Some(&b)),
            Err(ApiError::Forbidden(_))
        ));
        assert!(client.require_provider().is_err());
    }

    #[test]
    fn provider_staff_see_all_or_narrow() {
        let b = TenantId::new("b").unwrap();
        let staff = caller(Role::ProviderOperator, None);
        assert_eq!(staff.scope(None).unwrap(), TenantScope::All);
        assert_eq!(staff.scope(Some(&b)).unwrap(), TenantScope::One(b));
        assert!(staff.require_provider().is_ok());
        let orphan = caller(Role::ClientViewer, None);
        assert!(orphan.scope(None).is_err());
    }
}
