//! Identifiers of the visitor domain, and the keyed hash that stands in for
//! personal data wherever only equality matters.

use std::fmt;
use std::str::FromStr;

use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use uuid::Uuid;
use vigil_model::{TenantId, Timestamp};

/// An identifier or secret did not meet its rules.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    /// A visit id was not a UUID.
    #[error("visit id `{0}` is not a UUID")]
    NotUuid(String),
    /// An actor id was empty, too long or held control characters.
    #[error("actor id {0}")]
    BadActor(&'static str),
    /// A tenant secret was too short to key a hash.
    #[error("a tenant secret needs at least {min} bytes, got {got}", min = TenantSecret::MIN_LEN)]
    ShortSecret {
        /// The length given.
        got: usize,
    },
}

/// A visit's identity, assigned once, when the visit is pre-registered: a
/// time-ordered UUID (v7), or, for a request that carries an idempotency
/// key, a name-based one (v5) of the tenant, the registering actor and the
/// key, so that the client's retry names the same visit.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct VisitId(pub Uuid);

impl VisitId {
    /// A new id for a visit registered at `at`; `random` comes from the
    /// caller so that this crate stays pure.
    pub fn new_at(at: Timestamp, random: [u8; 10]) -> Self {
        let millis = at.timestamp_millis().max(0) as u64;
        Self(uuid::Builder::from_unix_timestamp_millis(millis, &random).into_uuid())
    }

    /// The id of the visit `by` pre-registers for `tenant` with the
    /// idempotency key `key` (the same for every retry of the request).
    pub fn for_idempotency_key(tenant: &TenantId, by: &ActorId, key: &str) -> Self {
        // Lengths first, so that no two triples run together the same.
        let mut name =
            Vec::with_capacity(tenant.as_str().len() + by.as_str().len() + key.len() + 24);
        for part in [tenant.as_str(), by.as_str(), key] {
            name.extend_from_slice(&(part.len() as u64).to_le_bytes());
            name.extend_from_slice(part.as_bytes());
        }
        Self(Uuid::new_v5(&IDEMPOTENT_VISITS, &name))
    }
}

/// The namespace of visit ids made from idempotency keys.
const IDEMPOTENT_VISITS: Uuid = Uuid::from_u128(0x20c0bb83_9916_440c_987f_03cf072b6863);

impl fmt::Display for VisitId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl fmt::Debug for VisitId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "VisitId({})", self.0)
    }
}

impl FromStr for VisitId {
    type Err = IdError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Uuid::parse_str(s)
            .map(Self)
            .map_err(|_| IdError::NotUuid(s.chars().take(64).collect()))
    }
}

/// Who did something: a user, token or person id as the server
/// authenticated it (never a display name), so that audit records hold
/// identifiers only.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ActorId(String);

impl ActorId {
    /// Longest actor id accepted.
    pub const MAX_LEN: usize = 128;

    /// Checks an actor id: not blank, at most [`Self::MAX_LEN`] characters,
    /// no control characters.
    pub fn new(id: &str) -> Result<Self, IdError> {
        let id = id.trim();
        if id.is_empty() {
            return Err(IdError::BadActor("must not be empty"));
        }
        if id.chars().count() > Self::MAX_LEN {
            return Err(IdError::BadActor("is longer than 128 characters"));
        }
        if id.chars().any(char::is_control) {
            return Err(IdError::BadActor("holds a control character"));
        }
        Ok(Self(id.to_owned()))
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for ActorId {
    type Error = IdError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::new(&value)
    }
}

impl From<ActorId> for String {
    fn from(value: ActorId) -> Self {
        value.0
    }
}

impl fmt::Display for ActorId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A secret key for keyed hashes: the tenant's salt for its identity
/// documents and its watchlist, or the provider's key for the shared list.
/// Never printed, never serialised.
#[derive(Clone, PartialEq, Eq)]
pub struct TenantSecret(Vec<u8>);

impl TenantSecret {
    /// Shortest key accepted: 128 bits.
    pub const MIN_LEN: usize = 16;

    /// A key from its bytes.
    pub fn new(bytes: impl Into<Vec<u8>>) -> Result<Self, IdError> {
        let bytes = bytes.into();
        if bytes.len() < Self::MIN_LEN {
            return Err(IdError::ShortSecret { got: bytes.len() });
        }
        Ok(Self(bytes))
    }

    /// HMAC-SHA256 of `text` under this key. `purpose` separates the uses
    /// (a document number and a name that happen to be the same text must
    /// not hash alike).
    pub fn keyed_hash(&self, purpose: &str, text: &str) -> KeyedHash {
        // A key of any length is accepted by HMAC, so this cannot fail.
        let mut mac = match <Hmac<Sha256> as Mac>::new_from_slice(&self.0) {
            Ok(mac) => mac,
            Err(_) => unreachable!("HMAC takes keys of any length"),
        };
        mac.update(purpose.as_bytes());
        mac.update(&[0]);
        mac.update(text.as_bytes());
        KeyedHash(hex::encode(mac.finalize().into_bytes()))
    }
}

impl fmt::Debug for TenantSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TenantSecret(…)")
    }
}

/// A keyed hash (HMAC-SHA256, lower-case hex): comparable for equality,
/// useless without the key.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct KeyedHash(String);

impl KeyedHash {
    /// The hash as hex.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keyed_hashes_depend_on_key_purpose_and_text() {
        let a = TenantSecret::new(*b"0123456789abcdef").unwrap();
        let b = TenantSecret::new(*b"0123456789abcdeF").unwrap();
        let h = a.keyed_hash("doc", "X123");
        assert_eq!(h.as_str().len(), 64);
        assert_eq!(h, a.keyed_hash("doc", "X123"));
        assert_ne!(h, b.keyed_hash("doc", "X123"));
        assert_ne!(h, a.keyed_hash("name", "X123"));
        assert_ne!(h, a.keyed_hash("doc", "X124"));
        assert_eq!(format!("{a:?}"), "TenantSecret(…)");
    }

    #[test]
    fn short_secrets_and_bad_actors_are_refused() {
        assert_eq!(
            TenantSecret::new(vec![1; 8]),
            Err(IdError::ShortSecret { got: 8 })
        );
        assert!(ActorId::new("  ").is_err());
        assert!(ActorId::new("a\nb").is_err());
        assert!(ActorId::new(&"a".repeat(129)).is_err());
        assert_eq!(ActorId::new(" desk-1 ").unwrap().as_str(), "desk-1");
        assert!(serde_json::from_str::<ActorId>("\"\"").is_err());
    }

    #[test]
    fn visit_ids_parse_and_sort_by_time() {
        let t0 = chrono::DateTime::from_timestamp(1_800_000_000, 0).unwrap();
        let a = VisitId::new_at(t0, [9; 10]);
        let b = VisitId::new_at(t0 + chrono::Duration::milliseconds(1), [0; 10]);
        assert!(a < b);
        assert_eq!(a.to_string().parse::<VisitId>().unwrap(), a);
        assert!("nope".parse::<VisitId>().is_err());
    }
}
