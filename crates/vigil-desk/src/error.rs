//! What can go wrong with a desk command.

use vigil_store::StoreError;

/// A desk command was refused or failed.
#[derive(Debug, thiserror::Error)]
pub enum DeskError {
    /// The caller's role does not allow the command.
    #[error("{actor} ({role}) may not {action}")]
    Forbidden {
        /// Who asked.
        actor: String,
        /// Their role.
        role: String,
        /// What they asked to do.
        action: String,
    },
    /// The object does not exist (or is not the caller's to see).
    #[error("{what} `{id}` not found")]
    NotFound {
        /// What kind of object.
        what: &'static str,
        /// Its id.
        id: String,
    },
    /// The command does not apply in the object's current state.
    #[error("cannot {command} {what} `{id}`: it is {state}; {hint}")]
    Transition {
        /// What kind of object.
        what: &'static str,
        /// Its id.
        id: String,
        /// The command refused.
        command: &'static str,
        /// The state it is in.
        state: String,
        /// What would be allowed instead.
        hint: String,
    },
    /// Someone else holds the alarm.
    #[error("alarm `{id}` is held by {owner}; {actor} must take it over explicitly, with a reason")]
    NotOwner {
        /// The alarm.
        id: String,
        /// Who holds it.
        owner: String,
        /// Who tried.
        actor: String,
    },
    /// A field of the command is wrong.
    #[error("{field}: {reason}")]
    Invalid {
        /// Which field.
        field: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// Configuration (SOPs, escalation, scoring) is wrong.
    #[error("configuration {source_name}: {reason}")]
    Config {
        /// The file or section.
        source_name: String,
        /// What is wrong, and where.
        reason: String,
    },
    /// An idempotency key came again with another request than the one
    /// first made with it.
    #[error(
        "Idempotency-Key `{key}` was used for another request; a retry must repeat the request unchanged, and a new request needs a new key"
    )]
    IdempotencyKeyReused {
        /// The key (at most its first 80 characters).
        key: String,
    },
    /// Someone changed the object between read and write.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl DeskError {
    /// An invalid field.
    pub fn invalid(field: &'static str, reason: impl Into<String>) -> Self {
        DeskError::Invalid {
            field,
            reason: reason.into(),
        }
    }
}
