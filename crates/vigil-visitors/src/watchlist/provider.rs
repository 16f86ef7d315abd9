//! The provider's watchlist across clients, anonymised: keyed hashes only.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::{MatchBasis, MatchedList, Subject, WatchlistError, WatchlistMatch, checked_key};
use crate::ids::{KeyedHash, TenantSecret};
use crate::visit::IdentityDocument;

const NAME: &str = "vigil-watchlist-name";
const NAME_BIRTH: &str = "vigil-watchlist-name-birth";
const DOCUMENT: &str = "vigil-watchlist-document";

/// One person on the provider's list, as hashes under the provider's key:
/// the name's comparison key; with the birth date, when known; the
/// document, when known. Nothing here can be read back.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ProviderEntry {
    /// The name key's hash (none: listed by document only).
    pub name: Option<KeyedHash>,
    /// The name key and birth date's hash.
    pub name_birth: Option<KeyedHash>,
    /// The document's hash.
    pub document: Option<KeyedHash>,
}

fn document_hash(key: &TenantSecret, doc: &IdentityDocument) -> Result<KeyedHash, WatchlistError> {
    let number = doc.canonical_number()?;
    Ok(key.keyed_hash(DOCUMENT, &format!("{}:{number}", doc.kind.as_str())))
}

fn name_birth(key: &TenantSecret, name_key: &str, birth: NaiveDate) -> KeyedHash {
    key.keyed_hash(NAME_BIRTH, &format!("{name_key}|{birth}"))
}

impl ProviderEntry {
    /// Hashes a person under the provider's `key`; the inputs are not kept.
    /// A name, a document or both: a document alone (a stolen card) lists
    /// whoever shows it.
    pub fn new(
        key: &TenantSecret,
        name: Option<&str>,
        birth_date: Option<NaiveDate>,
        document: Option<&IdentityDocument>,
    ) -> Result<Self, WatchlistError> {
        let name_key = name.map(checked_key).transpose()?;
        let document = document.map(|d| document_hash(key, d)).transpose()?;
        if name_key.is_none() && document.is_none() {
            return Err(WatchlistError::Invalid {
                field: "name",
                reason: "an entry needs a name or a document".into(),
            });
        }
        Ok(Self {
            name: name_key.as_ref().map(|n| key.keyed_hash(NAME, n)),
            name_birth: name_key
                .as_ref()
                .zip(birth_date)
                .map(|(n, b)| name_birth(key, n, b)),
            document,
        })
    }
}

/// The provider's list.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProviderWatchlist {
    /// The entries.
    pub entries: Vec<ProviderEntry>,
}

impl ProviderWatchlist {
    /// Adds an entry (an identical one is not added twice).
    pub fn add(&mut self, entry: ProviderEntry) {
        if !self.entries.contains(&entry) {
            self.entries.push(entry);
        }
    }

    /// At most one signal: the strongest basis any entry matches on.
    /// A stored visit's document hash is under the tenant's secret, not the
    /// provider's key, so only a document in hand is compared.
    pub fn matches(&self, subject: &Subject<'_>, key: &TenantSecret) -> Option<WatchlistMatch> {
        // MatchBasis orders strongest first.
        self.matching(subject, key)
            .into_iter()
            .map(|(_, basis)| basis)
            .min()
            .map(|basis| WatchlistMatch {
                list: MatchedList::Provider,
                basis,
            })
    }

    /// Each entry `subject` matches, with its basis: for the desk to
    /// remember which person a signal was for (see
    /// [`ProviderEntry::person_key`]), never to show.
    pub fn matching(
        &self,
        subject: &Subject<'_>,
        key: &TenantSecret,
    ) -> Vec<(&ProviderEntry, MatchBasis)> {
        let name_key = super::name_key(subject.name);
        let name = (!name_key.is_empty()).then(|| key.keyed_hash(NAME, &name_key));
        let with_birth = subject
            .birth_date
            .filter(|_| !name_key.is_empty())
            .map(|b| name_birth(key, &name_key, b));
        let doc = subject.document.and_then(|d| document_hash(key, d).ok());
        let mut out = Vec::new();
        for entry in &self.entries {
            let basis = if doc.is_some() && entry.document == doc {
                Some(MatchBasis::Document)
            } else if name.is_some() && entry.name == name {
                match (&entry.name_birth, &with_birth) {
                    (Some(e), Some(s)) if e == s => Some(MatchBasis::NameAndBirthDate),
                    (Some(_), Some(_)) => None,
                    _ => Some(MatchBasis::Name),
                }
            } else {
                None
            };
            if let Some(basis) = basis {
                out.push((entry, basis));
            }
        }
        out
    }
}
