//! The identity check at the front desk: which document, and how much of it
//! is kept.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::VisitError;
use crate::ids::{KeyedHash, TenantSecret};

/// How a client keeps identity documents (its configuration).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DocumentPolicy {
    /// The document's type and a keyed hash (HMAC-SHA256 under the tenant's
    /// secret) of its number: enough to recognise the same document again
    /// (a watchlist entry, a returning visitor), useless to anyone without
    /// the secret.
    KeyedHash,
    /// Only the fact that the desk checked a document.
    NotRecorded,
}

/// Kinds of identity document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DocumentKind {
    /// A passport.
    Passport,
    /// A national identity card.
    IdentityCard,
    /// A driving licence.
    DrivingLicence,
    /// A residence permit.
    ResidencePermit,
    /// Anything else the desk accepts.
    Other,
}

impl DocumentKind {
    /// The kind's name in data.
    pub fn as_str(self) -> &'static str {
        match self {
            DocumentKind::Passport => "passport",
            DocumentKind::IdentityCard => "identity_card",
            DocumentKind::DrivingLicence => "driving_licence",
            DocumentKind::ResidencePermit => "residence_permit",
            DocumentKind::Other => "other",
        }
    }
}

/// A document as shown at the desk. Held only in memory for the check; its
/// number is never printed (`Debug` hides it) nor stored in clear.
#[derive(Clone, PartialEq, Eq, Deserialize)]
pub struct IdentityDocument {
    /// The kind.
    pub kind: DocumentKind,
    /// The number as read.
    pub number: String,
}

impl fmt::Debug for IdentityDocument {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IdentityDocument")
            .field("kind", &self.kind)
            .field("number", &"…")
            .finish()
    }
}

impl IdentityDocument {
    /// The number without spaces, hyphens, dots or slashes, in upper case,
    /// checked: 3 to 40 letters and digits.
    pub fn canonical_number(&self) -> Result<String, VisitError> {
        let number: String = self
            .number
            .chars()
            .filter(|c| !matches!(c, ' ' | '-' | '.' | '/'))
            .flat_map(char::to_uppercase)
            .collect();
        let len = number.chars().count();
        if !(3..=40).contains(&len) {
            return Err(VisitError::invalid(
                "document_number",
                "3 to 40 letters and digits",
            ));
        }
        if !number.chars().all(|c| c.is_alphanumeric()) {
            return Err(VisitError::invalid(
                "document_number",
                "only letters and digits (spaces, hyphens, dots and slashes are ignored)",
            ));
        }
        Ok(number)
    }

    /// The document's keyed hash under `secret` (kind and number, so that a
    /// passport and an identity card with the same number differ).
    pub fn keyed_hash(&self, secret: &TenantSecret) -> Result<KeyedHash, VisitError> {
        let number = self.canonical_number()?;
        Ok(secret.keyed_hash(
            "vigil-visitor-document",
            &format!("{}:{number}", self.kind.as_str()),
        ))
    }

    /// What `policy` allows to be kept of this document.
    pub fn record(
        &self,
        policy: DocumentPolicy,
        secret: &TenantSecret,
    ) -> Result<RecordedDocument, VisitError> {
        // The number is checked whatever the policy: a desk typing nothing
        // has not checked anything.
        let hash = self.keyed_hash(secret)?;
        Ok(match policy {
            DocumentPolicy::KeyedHash => RecordedDocument::KeyedHash {
                kind: self.kind,
                hash,
            },
            DocumentPolicy::NotRecorded => RecordedDocument::NotRecorded,
        })
    }
}

/// What a visit keeps of the identity document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "recorded", rename_all = "snake_case")]
pub enum RecordedDocument {
    /// The kind and a keyed hash of the number.
    KeyedHash {
        /// The kind.
        kind: DocumentKind,
        /// HMAC-SHA256 under the tenant's secret.
        hash: KeyedHash,
    },
    /// Checked, not recorded.
    NotRecorded,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secret() -> TenantSecret {
        TenantSecret::new(*b"northgate-secret-0001").unwrap()
    }

    #[test]
    fn numbers_are_compared_in_canonical_form() {
        let a = IdentityDocument {
            kind: DocumentKind::Passport,
            number: "ab 123-456".into(),
        };
        let b = IdentityDocument {
            kind: DocumentKind::Passport,
            number: "AB123456".into(),
        };
        let card = IdentityDocument {
            kind: DocumentKind::IdentityCard,
            number: "AB123456".into(),
        };
        assert_eq!(a.keyed_hash(&secret()), b.keyed_hash(&secret()));
        assert_ne!(a.keyed_hash(&secret()), card.keyed_hash(&secret()));
        assert!(!format!("{a:?}").contains("123"));
    }

    #[test]
    fn the_policy_decides_what_is_kept() {
        let doc = IdentityDocument {
            kind: DocumentKind::DrivingLicence,
            number: "DL-998877".into(),
        };
        let kept = doc.record(DocumentPolicy::KeyedHash, &secret()).unwrap();
        let json = serde_json::to_string(&kept).unwrap();
        assert!(!json.contains("998877"), "{json}");
        assert!(json.contains("driving_licence"));
        assert_eq!(
            doc.record(DocumentPolicy::NotRecorded, &secret()).unwrap(),
            RecordedDocument::NotRecorded
        );
        let blank = IdentityDocument {
            kind: DocumentKind::Other,
            number: " - ".into(),
        };
        assert!(matches!(
            blank.record(DocumentPolicy::NotRecorded, &secret()),
            Err(VisitError::Invalid {
                field: "document_number",
                ..
            })
        ));
    }
}
