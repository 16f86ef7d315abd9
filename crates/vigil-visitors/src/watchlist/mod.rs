//! Watchlists: who must not come in unnoticed.
//!
//! - [`ClientWatchlist`]: a client's own list. Names are kept as written
//!   (it is the client's data, shown to its own people) with their
//!   comparison key; a document only as its keyed hash under the tenant's
//!   secret — the same hash a visit keeps, so a stored visit can be
//!   screened again when an entry is added.
//! - [`ProviderWatchlist`]: the provider's list across clients, kept only as
//!   keyed hashes under the provider's key. A match says that the provider
//!   list matched and on what basis — never which entry, which client put it
//!   there, or anything about the person.
//! - [`rescreen_client`], [`rescreen_provider`]: the stored visits still
//!   relevant screened again against an entry just added; [`hit_alarm`]:
//!   a hit they find as the event and alert the desk commits for it.
//!
//! A subject matches on its document, or on its name (the parts compared
//! without case, accents, punctuation or order, see [`crate::normalise`])
//! unless both sides know a birth date and the dates differ.

mod provider;
mod rescreen;

#[cfg(test)]
mod tests;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use vigil_model::Timestamp;

pub use provider::{ProviderEntry, ProviderWatchlist};
pub use rescreen::{
    HitAlarm, Rescreened, hit_alarm, rescreen_client, rescreen_provider, still_relevant,
};

use crate::ids::{ActorId, KeyedHash, TenantSecret};
use crate::normalise::name_key;
use crate::visit::{IdentityDocument, PreRegistration, RecordedDocument, Visit, VisitError};

/// What was wrong with a watchlist entry.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WatchlistError {
    /// A field is wrong.
    #[error("{field}: {reason}")]
    Invalid {
        /// The field (`name`, `document_number`, `reason`).
        field: &'static str,
        /// What is wrong.
        reason: String,
    },
}

impl From<VisitError> for WatchlistError {
    fn from(e: VisitError) -> Self {
        match e {
            VisitError::Invalid { field, reason } => WatchlistError::Invalid { field, reason },
            other => WatchlistError::Invalid {
                field: "document_number",
                reason: other.to_string(),
            },
        }
    }
}

/// Who is being screened: a pre-registration (name only), an arrival (name
/// and the document in hand), or a stored visit (name and the document's
/// keyed hash).
#[derive(Debug, Clone, Copy)]
pub struct Subject<'a> {
    /// The name as written.
    pub name: &'a str,
    /// The birth date, when known.
    pub birth_date: Option<NaiveDate>,
    /// The document in hand (at the desk).
    pub document: Option<&'a IdentityDocument>,
    /// The document's keyed hash under the tenant's secret (a stored visit).
    pub document_hash: Option<&'a KeyedHash>,
}

impl<'a> Subject<'a> {
    /// The visitor of a pre-registration.
    pub fn pre_registration(request: &'a PreRegistration) -> Self {
        Self {
            name: &request.visitor_name,
            birth_date: None,
            document: None,
            document_hash: None,
        }
    }

    /// A visitor at the desk showing `document`.
    pub fn arrival(visit: &'a Visit, document: &'a IdentityDocument) -> Self {
        Self {
            name: &visit.visitor.name,
            birth_date: None,
            document: Some(document),
            document_hash: None,
        }
    }

    /// A stored visit (re-screened when a list changes).
    pub fn visit(visit: &'a Visit) -> Self {
        let document_hash = match visit.arrival.as_ref().map(|a| &a.document) {
            Some(RecordedDocument::KeyedHash { hash, .. }) => Some(hash),
            _ => None,
        };
        Self {
            name: &visit.visitor.name,
            birth_date: None,
            document: None,
            document_hash,
        }
    }
}

/// Which list matched.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "list", rename_all = "snake_case")]
pub enum MatchedList {
    /// The client's own list, and its entry.
    Client {
        /// The entry's id.
        entry: String,
    },
    /// The provider's list across clients: a signal only.
    Provider,
}

/// What the match rests on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MatchBasis {
    /// The same identity document.
    Document,
    /// The same name and birth date.
    NameAndBirthDate,
    /// The same name (no birth date to compare).
    Name,
}

/// A watchlist hit: no personal data, only where and on what.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct WatchlistMatch {
    /// The list.
    #[serde(flatten)]
    pub list: MatchedList,
    /// The basis.
    pub basis: MatchBasis,
}

/// An entry of a client's list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WatchlistEntry {
    /// The entry's id (assigned by the caller).
    pub id: String,
    /// The name as written.
    pub name: String,
    /// The name's comparison key ([`name_key`]).
    pub name_key: String,
    /// The birth date, when known.
    pub birth_date: Option<NaiveDate>,
    /// The document's keyed hash under the tenant's secret, when known.
    pub document: Option<KeyedHash>,
    /// Why the person is listed.
    pub reason: String,
    /// Who listed them.
    pub added_by: ActorId,
    /// When.
    pub added_at: Timestamp,
}

/// A request to list someone.
#[derive(Debug, Clone, Deserialize)]
pub struct NewEntry {
    /// The name.
    pub name: String,
    /// The birth date, when known.
    #[serde(default)]
    pub birth_date: Option<NaiveDate>,
    /// The document, when known (kept only as its keyed hash).
    #[serde(default)]
    pub document: Option<IdentityDocument>,
    /// Why.
    pub reason: String,
}

/// The comparison key of a name, refused when nothing is left of it.
pub(crate) fn checked_key(name: &str) -> Result<String, WatchlistError> {
    if name.chars().count() > 200 {
        return Err(WatchlistError::Invalid {
            field: "name",
            reason: "at most 200 characters".into(),
        });
    }
    let key = name_key(name);
    if key.is_empty() {
        return Err(WatchlistError::Invalid {
            field: "name",
            reason: "holds no letters or digits".into(),
        });
    }
    Ok(key)
}

/// Whether two birth dates allow a name match: unless both are known and differ.
pub(crate) fn dates_agree(a: Option<NaiveDate>, b: Option<NaiveDate>) -> Option<MatchBasis> {
    match (a, b) {
        (Some(a), Some(b)) if a == b => Some(MatchBasis::NameAndBirthDate),
        (Some(_), Some(_)) => None,
        _ => Some(MatchBasis::Name),
    }
}

/// A client's watchlist.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientWatchlist {
    /// The entries.
    pub entries: Vec<WatchlistEntry>,
}

impl ClientWatchlist {
    /// Lists someone; the document is hashed under the tenant's `secret`
    /// and dropped.
    pub fn add(
        &mut self,
        id: String,
        entry: &NewEntry,
        secret: &TenantSecret,
        by: ActorId,
        now: Timestamp,
    ) -> Result<&WatchlistEntry, WatchlistError> {
        let key = checked_key(&entry.name)?;
        let reason = entry.reason.trim();
        if reason.is_empty() || reason.chars().count() > 500 {
            return Err(WatchlistError::Invalid {
                field: "reason",
                reason: "1 to 500 characters".into(),
            });
        }
        let document = match &entry.document {
            Some(d) => Some(d.keyed_hash(secret)?),
            None => None,
        };
        self.entries.push(WatchlistEntry {
            id,
            name: entry.name.trim().to_owned(),
            name_key: key,
            birth_date: entry.birth_date,
            document,
            reason: reason.to_owned(),
            added_by: by,
            added_at: now,
        });
        let last = self.entries.len() - 1;
        Ok(&self.entries[last])
    }

    /// The entries `subject` matches (hashing a document in hand under the
    /// tenant's `secret`), the strongest basis per entry.
    pub fn matches(&self, subject: &Subject<'_>, secret: &TenantSecret) -> Vec<WatchlistMatch> {
        let key = name_key(subject.name);
        let in_hand = subject.document.and_then(|d| d.keyed_hash(secret).ok());
        let doc = in_hand.as_ref().or(subject.document_hash);
        let mut out = Vec::new();
        for entry in &self.entries {
            let basis = if doc.is_some() && entry.document.as_ref() == doc {
                Some(MatchBasis::Document)
            } else if !key.is_empty() && entry.name_key == key {
                dates_agree(entry.birth_date, subject.birth_date)
            } else {
                None
            };
            if let Some(basis) = basis {
                out.push(WatchlistMatch {
                    list: MatchedList::Client {
                        entry: entry.id.clone(),
                    },
                    basis,
                });
            }
        }
        out
    }
}

/// Screens `subject` against the client's list and the provider's: every
/// match, the client's first.
pub fn screen(
    subject: &Subject<'_>,
    client: &ClientWatchlist,
    tenant_secret: &TenantSecret,
    provider: &ProviderWatchlist,
    provider_key: &TenantSecret,
) -> Vec<WatchlistMatch> {
    let mut out = client.matches(subject, tenant_secret);
    out.extend(provider.matches(subject, provider_key));
    out
}
