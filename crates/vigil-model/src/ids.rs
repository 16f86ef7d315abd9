//! Identifiers.
//!
//! Tenants, sites and sources are named by short slugs chosen by the provider
//! (`northgate`, `lon1`, `fw-edge`): they appear in configuration, URLs and
//! audit entries, where a person must be able to read them. Events and alerts
//! are named by UUIDs: events by a time-ordered v7 assigned once at ingest,
//! alerts by a v5 derived from what they are about, so that replays converge.

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use uuid::Uuid;

/// A slug did not meet the rules for identifiers.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    /// The slug was empty.
    #[error("{kind} id must not be empty")]
    Empty {
        /// Which kind of id was being parsed.
        kind: &'static str,
    },
    /// The slug was longer than [`MAX_SLUG_LEN`].
    #[error("{kind} id `{value}` is longer than {max} characters", max = MAX_SLUG_LEN)]
    TooLong {
        /// Which kind of id was being parsed.
        kind: &'static str,
        /// The offending value (truncated).
        value: String,
    },
    /// The slug contained a character outside `[a-z0-9_-]` or began with `-`/`_`.
    #[error(
        "{kind} id `{value}` has `{found}` at position {position}; use lower-case letters, digits, `-` and `_`, starting with a letter or digit"
    )]
    BadCharacter {
        /// Which kind of id was being parsed.
        kind: &'static str,
        /// The offending value.
        value: String,
        /// The first bad character.
        found: char,
        /// Its character position.
        position: usize,
    },
    /// A UUID-based id did not parse.
    #[error("{kind} id `{value}` is not a UUID")]
    NotUuid {
        /// Which kind of id was being parsed.
        kind: &'static str,
        /// The offending value (truncated).
        value: String,
    },
}

/// Longest slug accepted for tenant, site and source ids.
pub const MAX_SLUG_LEN: usize = 64;

fn validate_slug(kind: &'static str, value: &str) -> Result<(), IdError> {
    if value.is_empty() {
        return Err(IdError::Empty { kind });
    }
    if value.chars().count() > MAX_SLUG_LEN {
        return Err(IdError::TooLong {
            kind,
            value: value.chars().take(MAX_SLUG_LEN).collect(),
        });
    }
    for (position, found) in value.chars().enumerate() {
        let ok = found.is_ascii_lowercase()
            || found.is_ascii_digit()
            || (position > 0 && (found == '-' || found == '_'));
        if !ok {
            return Err(IdError::BadCharacter {
                kind,
                value: value.to_owned(),
                found,
                position,
            });
        }
    }
    Ok(())
}

macro_rules! slug_id {
    ($(#[$doc:meta])* $name:ident, $kind:literal) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(Arc<str>);

        impl $name {
            /// Parses and validates a slug.
            pub fn new(value: &str) -> Result<Self, IdError> {
                validate_slug($kind, value)?;
                Ok(Self(Arc::from(value)))
            }

            /// The slug as text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($name), self.0)
            }
        }

        impl FromStr for $name {
            type Err = IdError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::new(s)
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&self.0)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
                Self::new(&s).map_err(serde::de::Error::custom)
            }
        }

        #[cfg(feature = "openapi")]
        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                utoipa::openapi::ObjectBuilder::new()
                    .schema_type(utoipa::openapi::schema::Type::String)
                    .pattern(Some("^[a-z0-9][a-z0-9_-]{0,63}$"))
                    .description(Some(concat!("A ", $kind, " id (slug).")))
                    .into()
            }
        }

        #[cfg(feature = "openapi")]
        impl utoipa::ToSchema for $name {}
    };
}

slug_id!(
    /// A client organisation of the provider (or the provider itself).
    TenantId,
    "tenant"
);
slug_id!(
    /// A physical location of a tenant: a data hall, a plant, a hospital wing.
    SiteId,
    "site"
);
slug_id!(
    /// A configured source of events: one listener, token or device feed.
    SourceId,
    "source"
);

macro_rules! uuid_id {
    ($(#[$doc:meta])* $name:ident, $kind:literal) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub Uuid);

        impl $name {
            /// The underlying UUID.
            pub fn as_uuid(&self) -> Uuid {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(&self.0, f)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($name), self.0)
            }
        }

        impl FromStr for $name {
            type Err = IdError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s).map(Self).map_err(|_| IdError::NotUuid {
                    kind: $kind,
                    value: s.chars().take(64).collect(),
                })
            }
        }

        #[cfg(feature = "openapi")]
        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                utoipa::openapi::ObjectBuilder::new()
                    .schema_type(utoipa::openapi::schema::Type::String)
                    .format(Some(utoipa::openapi::SchemaFormat::KnownFormat(
                        utoipa::openapi::KnownFormat::Uuid,
                    )))
                    .description(Some(concat!("A ", $kind, " id (UUID).")))
                    .into()
            }
        }

        #[cfg(feature = "openapi")]
        impl utoipa::ToSchema for $name {}
    };
}

uuid_id!(
    /// An event's identity, assigned once when Vigil first accepts it.
    EventId,
    "event"
);
uuid_id!(
    /// An alert's identity, derived from (tenant, rule, group key, window).
    AlertId,
    "alert"
);

impl EventId {
    /// A new time-ordered id for an event received at `received`.
    ///
    /// The time part comes from the caller's clock, not the system's, so a
    /// simulated month produces ids that sort in simulated time.
    pub fn new_at(received: chrono::DateTime<chrono::Utc>, random: [u8; 10]) -> Self {
        let millis = received.timestamp_millis().max(0) as u64;
        Self(uuid::Builder::from_unix_timestamp_millis(millis, &random).into_uuid())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_accept_the_usual_names() {
        for ok in ["northgate", "lon1", "fw-edge", "a", "x_y-z9"] {
            assert!(TenantId::new(ok).is_ok(), "{ok}");
        }
    }

    #[test]
    fn slugs_reject_with_a_reason() {
        let err = TenantId::new("North gate").unwrap_err();
        assert_eq!(
            err,
            IdError::BadCharacter {
                kind: "tenant",
                value: "North gate".into(),
                found: 'N',
                position: 0
            }
        );
        assert!(matches!(
            SiteId::new(""),
            Err(IdError::Empty { kind: "site" })
        ));
        assert!(matches!(
            SourceId::new("-x"),
            Err(IdError::BadCharacter { .. })
        ));
        assert!(matches!(
            SourceId::new(&"a".repeat(65)),
            Err(IdError::TooLong { .. })
        ));
    }

    #[test]
    fn slugs_round_trip_through_json() {
        let id = TenantId::new("riverside").unwrap();
        let json = serde_json::to_string(&id).unwrap();
        assert_eq!(json, "\"riverside\"");
        let back: TenantId = serde_json::from_str(&json).unwrap();
        assert_eq!(back, id);
        assert!(serde_json::from_str::<TenantId>("\"Bad!\"").is_err());
    }

    #[test]
    fn event_ids_sort_by_the_given_time() {
        let t0 = chrono::DateTime::from_timestamp(1_700_000_000, 0).unwrap();
        let t1 = t0 + chrono::Duration::milliseconds(1);
        let a = EventId::new_at(t0, [0xff; 10]);
        let b = EventId::new_at(t1, [0x00; 10]);
        assert!(a < b);
        assert_eq!(a.as_uuid().get_version_num(), 7);
    }
}
