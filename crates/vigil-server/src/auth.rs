//! Bearer tokens: minting, hashing, and turning a request into a caller.

use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use rand::RngCore;
use sha2::{Digest, Sha256};
use vigil_model::{SourceBinding, TenantId};
use vigil_store::{ApiToken, TenantScope, TokenHash};

use crate::AppState;
use crate::error::ApiError;

/// Prefix of tokens Vigil mints, so that a leaked one is recognisable.
pub const TOKEN_PREFIX: &str = "vgl_";

/// A new random token (256 bits of entropy).
pub fn new_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    format!("{TOKEN_PREFIX}{}", hex::encode(bytes))
}

/// The hash under which a token is stored.
pub fn hash_token(token: &str) -> TokenHash {
    Sha256::digest(token.as_bytes()).into()
}

/// Parses a hex SHA-256 (as written in configuration files).
pub fn parse_token_hash(hex_text: &str) -> Option<TokenHash> {
    let bytes = hex::decode(hex_text.trim()).ok()?;
    bytes.try_into().ok()
}

fn bearer(parts: &Parts) -> Result<&str, ApiError> {
    let value = parts
        .headers
        .get(AUTHORIZATION)
        .ok_or(ApiError::Unauthorized(
            "missing `Authorization: Bearer <token>` header",
        ))?;
    let value = value
        .to_str()
        .map_err(|_| ApiError::Unauthorized("Authorization header is not text"))?;
    let (scheme, token) = value.split_once(' ').ok_or(ApiError::Unauthorized(
        "Authorization header must be `Bearer <token>`",
    ))?;
    if !scheme.eq_ignore_ascii_case("bearer") || token.trim().is_empty() {
        return Err(ApiError::Unauthorized(
            "Authorization header must be `Bearer <token>`",
        ));
    }
    Ok(token.trim())
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
        let hash = if parts.headers.contains_key(AUTHORIZATION) {
            hash_token(bearer(parts)?)
        } else if let Some(session) = crate::session_auth::session_of(parts, state)? {
            session.token
        } else {
            return Err(ApiError::Unauthorized(
                "missing `Authorization: Bearer <token>` header (or console session cookie)",
            ));
        };
        match state.store.api_token(&hash).await? {
            Some(token) => Ok(Caller { token }),
            None => Err(ApiError::Unauthorized("unknown or revoked API token")),
        }
    }
}

/// An authenticated ingest source: the binding its token belongs to.
#[derive(Debug, Clone)]
pub struct IngestSource(pub SourceBinding);

impl FromRequestParts<AppState> for IngestSource {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let token = bearer(parts)?;
        let hash = hash_token(token);
        match state.store.source_by_token(&hash).await? {
            Some(binding) => Ok(IngestSource(binding)),
            None => Err(ApiError::Unauthorized("unknown or revoked ingest token")),
        }
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
    fn tokens_are_long_random_and_hash_stably() {
        let a = new_token();
        let b = new_token();
        assert_ne!(a, b);
        assert!(a.starts_with(TOKEN_PREFIX) && a.len() == 4 + 64);
        assert_eq!(hash_token(&a), hash_token(&a));
        assert_eq!(
            parse_token_hash(&hex::encode(hash_token(&a))),
            Some(hash_token(&a))
        );
        assert_eq!(parse_token_hash("zz"), None);
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
