//! Live access-control events, as access-control systems post them as JSON:
//! the action in Vigil's words (`access_denied`) or in the vendor's
//! (`Access Denied - Card Expired`), turned into Vigil's `physical_access`
//! fields; and what each event says about its reader's supervision.
//!
//! An event names its action in `action` or, failing that, in `event`,
//! `event_type`, `description` or `message` (the vendor's text). A word
//! that is neither one of [`ACTIONS`] nor recognisable vendor text is
//! refused with an error that lists the accepted actions: an event the
//! rules cannot read must not pass as stored.
//!
//! Reader supervision: a `heartbeat` (only that: it is not stored) or any
//! other event naming a `reader` means the reader is alive;
//! `reader_offline` means its path is lost now; `reader_online` is stored
//! and, like any word from the reader, restores it.

use chrono::Duration;
use serde::Deserialize;
use serde_json::Value;
use vigil_model::Fields;

use super::{ACTIONS, DENIAL_REASONS, classify, denial_reason};

/// Fields a vendor's event text may be in when there is no `action`.
const VENDOR_TEXT_FIELDS: [&str; 4] = ["event", "event_type", "description", "message"];

/// Why a live event was refused. Each says which field was wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LiveEventError {
    /// No `action` (nor vendor text) at all.
    #[error(
        "no `action`: name one of {} (or put the access-control system's own words in `action` or `event`)",
        ACTIONS.join(", ")
    )]
    NoAction,
    /// The action field is not a string.
    #[error("`{0}` must be a string")]
    NotText(&'static str),
    /// The action is neither Vigil's nor a vendor's word for one.
    #[error(
        "`{field}` is `{text}`, which is not an access-control action: use one of {} (denials with `reason` one of {}), or the system's own words for them, e.g. `Access Denied - Card Expired`, `Door Forced Open`, `Reader Offline`",
        ACTIONS.join(", "),
        DENIAL_REASONS.join(", ")
    )]
    UnknownAction {
        /// The field it was in.
        field: &'static str,
        /// What it said.
        text: String,
    },
    /// The event says it is another class of event.
    #[error("`class` is `{0}`; the access-control endpoint takes physical_access events")]
    WrongClass(String),
    /// A heartbeat that does not say whose it is.
    #[error("a heartbeat must name its `reader`")]
    HeartbeatWithoutReader,
}

/// What an event means for its reader's supervision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReaderSignal {
    /// The reader is alive.
    Heard(String),
    /// The access-control system says the reader is offline.
    Offline(String),
    /// The event names no reader.
    None,
}

/// A live event, read.
#[derive(Debug, Clone, PartialEq)]
pub struct LiveEvent {
    /// The fields to store, in Vigil's words; `None` for a heartbeat,
    /// which is only supervision.
    pub fields: Option<Fields>,
    /// What it says about its reader.
    pub reader: ReaderSignal,
}

/// `Access Denied`, `access-denied`, `ACCESS_DENIED` → `access_denied`.
fn as_word(text: &str) -> String {
    text.trim().to_ascii_lowercase().replace([' ', '-'], "_")
}

/// Vigil's action (and denial reason) for what an event says, or `None`
/// when it is neither Vigil's word nor recognisable vendor text.
pub fn live_action(text: &str) -> Option<(&'static str, Option<&'static str>)> {
    let word = as_word(text);
    if let Some(own) = ACTIONS.iter().find(|a| **a == word) {
        return Some((own, None));
    }
    match classify(text) {
        ("other", _) => None,
        found => Some(found),
    }
}

/// Reads one live event.
pub fn live_event(mut fields: Fields) -> Result<LiveEvent, LiveEventError> {
    match fields.get("class") {
        None => {}
        Some(Value::String(c)) if c == "physical_access" => {}
        Some(other) => {
            let text = other
                .as_str()
                .map_or_else(|| other.to_string(), str::to_owned);
            return Err(LiveEventError::WrongClass(text));
        }
    }
    let (field, text) = action_text(&fields)?;
    let (action, vendor_reason) =
        live_action(&text).ok_or_else(|| LiveEventError::UnknownAction {
            field,
            text: text.clone(),
        })?;
    let reader = fields.get("reader").and_then(|v| match v {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_owned()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    });
    if action == "heartbeat" {
        let reader = reader.ok_or(LiveEventError::HeartbeatWithoutReader)?;
        return Ok(LiveEvent {
            fields: None,
            reader: ReaderSignal::Heard(reader),
        });
    }
    // The system's own words are kept beside Vigil's.
    if (field != "action" || text != action)
        && let Some(old) = fields.insert("action".into(), action.into())
        && old != Value::String(action.into())
    {
        fields.insert("source_action".into(), old);
    }
    if action == "access_denied" {
        let reason = match fields.get("reason") {
            Some(Value::String(r)) => {
                let word = as_word(r);
                Some(match DENIAL_REASONS.iter().find(|d| **d == word) {
                    Some(own) => *own,
                    None => denial_reason(r),
                })
            }
            _ => vendor_reason,
        };
        if let Some(reason) = reason
            && let Some(old) = fields.insert("reason".into(), reason.into())
            && old != Value::String(reason.into())
        {
            fields.insert("source_reason".into(), old);
        }
    }
    fields.insert("class".into(), "physical_access".into());
    if !fields.contains_key("severity") {
        fields.insert("severity".into(), severity_of(action).into());
    }
    let signal = match (action, reader) {
        ("reader_offline", Some(r)) => ReaderSignal::Offline(r),
        (_, Some(r)) => ReaderSignal::Heard(r),
        (_, None) => ReaderSignal::None,
    };
    Ok(LiveEvent {
        fields: Some(fields),
        reader: signal,
    })
}

/// Where the event names its action, and the text.
fn action_text(fields: &Fields) -> Result<(&'static str, String), LiveEventError> {
    for field in std::iter::once("action").chain(VENDOR_TEXT_FIELDS) {
        match fields.get(field) {
            None | Some(Value::Null) => continue,
            Some(Value::String(s)) if s.trim().is_empty() => continue,
            Some(Value::String(s)) => return Ok((field, s.clone())),
            Some(_) => return Err(LiveEventError::NotText(field)),
        }
    }
    Err(LiveEventError::NoAction)
}

/// The severity an access action has when the event gives none.
pub fn severity_of(action: &str) -> &'static str {
    match action {
        "door_forced_open" | "duress" | "tamper" => "high",
        "door_held_open" | "reader_offline" => "medium",
        "access_denied" => "low",
        _ => "info",
    }
}

/// The supervision settings of an access-control source
/// (`[sources.access]` in `vigil.toml`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccessConfig {
    /// Every reader of this source must be heard from (a heartbeat or any
    /// event naming it) at least this often, in seconds. Without it only
    /// the readers listed with their own interval are supervised.
    pub heartbeat_secs: Option<u32>,
    /// Readers by id: their place, and their own interval.
    #[serde(default)]
    pub readers: Vec<ReaderConfig>,
}

/// One reader of an access-control source.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReaderConfig {
    /// Its id, as events name it in `reader`.
    pub id: String,
    /// Its own interval, in seconds (else the source's).
    pub heartbeat_secs: Option<u32>,
    /// The door it reads for.
    pub door: Option<String>,
    /// The zone it is in.
    pub zone: Option<String>,
    /// A name for people.
    pub name: Option<String>,
}

/// What was wrong with an access source's settings.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AccessConfigError {
    /// An interval of zero seconds.
    #[error("`heartbeat_secs` of {0} must be at least 1")]
    ZeroInterval(String),
    /// A reader listed twice, or with no id.
    #[error("reader `{0}` is listed twice or has an empty id")]
    BadReader(String),
}

impl AccessConfig {
    /// Checks the settings.
    pub fn validate(&self) -> Result<(), AccessConfigError> {
        if self.heartbeat_secs == Some(0) {
            return Err(AccessConfigError::ZeroInterval("the source".into()));
        }
        let mut seen = std::collections::HashSet::new();
        for r in &self.readers {
            if r.id.trim().is_empty() || !seen.insert(r.id.as_str()) {
                return Err(AccessConfigError::BadReader(r.id.clone()));
            }
            if r.heartbeat_secs == Some(0) {
                return Err(AccessConfigError::ZeroInterval(format!(
                    "reader `{}`",
                    r.id
                )));
            }
        }
        Ok(())
    }

    /// How often `reader` must be heard from, when it is supervised.
    pub fn interval_of(&self, reader: &str) -> Option<Duration> {
        self.readers
            .iter()
            .find(|r| r.id == reader)
            .and_then(|r| r.heartbeat_secs)
            .or(self.heartbeat_secs)
            .map(|s| Duration::seconds(i64::from(s)))
    }
}

#[cfg(test)]
#[path = "live_tests.rs"]
mod tests;
