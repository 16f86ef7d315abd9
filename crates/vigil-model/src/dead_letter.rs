//! Input Vigil could not accept.

use serde::{Deserialize, Serialize};

use crate::clock::Timestamp;
use crate::ids::{SourceId, TenantId};

/// Raw input that could not be parsed or accepted, kept with the reason so
/// that an operator can see it and nothing is silently dropped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeadLetter {
    /// Store-assigned sequence number (0 before it is stored).
    pub id: i64,
    /// The tenant of the binding it arrived through.
    pub tenant: TenantId,
    /// The source (binding) it arrived through.
    pub source: SourceId,
    /// When Vigil received it.
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub received_at: Timestamp,
    /// What was wrong with it, and where.
    pub reason: String,
    /// The bytes as received (possibly truncated to the store's limit).
    #[serde(with = "raw_bytes")]
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub raw: Vec<u8>,
}

/// Raw bytes travel as text, lossily where they are not UTF-8: the API is for
/// people reading them; the store keeps the exact bytes.
mod raw_bytes {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(raw: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&String::from_utf8_lossy(raw))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        Ok(String::deserialize(d)?.into_bytes())
    }
}
