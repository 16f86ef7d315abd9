//! Bearer tokens: minting, hashing and reading them from a request's
//! `Authorization` header. Every endpoint that takes a token — people's API
//! tokens and sources' ingest tokens alike — reads it through here, so the
//! rules for what a token looks like exist once.

use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::TokenHash;

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

/// The token of an `Authorization: Bearer <token>` header value, or what is
/// wrong with it (`None`: no header).
pub fn bearer(header: Option<&[u8]>) -> Result<&str, &'static str> {
    let value = header.ok_or("missing `Authorization: Bearer <token>` header")?;
    let value = std::str::from_utf8(value).map_err(|_| "Authorization header is not text")?;
    match value.split_once(' ') {
        Some((scheme, token))
            if scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty() =>
        {
            Ok(token.trim())
        }
        _ => Err("Authorization header must be `Bearer <token>`"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn bearer_headers_are_read_strictly() {
        assert_eq!(bearer(Some(b"Bearer abc")), Ok("abc"));
        assert_eq!(bearer(Some(b"bearer  abc ")), Ok("abc"));
        assert!(bearer(None).is_err());
        assert!(bearer(Some(b"Basic abc")).is_err());
        assert!(bearer(Some(b"Bearer ")).is_err());
        assert!(bearer(Some(b"Bearer\xff")).is_err());
    }
}
