//! The shift log: what the control room hands from one shift to the next.
//!
//! A shift's people write notes (what happened, what was agreed) and open
//! items (what still has to be done). A handover ends a shift: who handed
//! over, to whom, and a summary. Open items are not tied to the shift that
//! wrote them: they stay open — carried over from shift to shift — until
//! someone marks them done. The log is the provider's own: client users
//! never see it.

use serde::{Deserialize, Serialize};
use vigil_model::{TenantId, Timestamp};

use crate::{Actor, DeskError, Permission};

/// Longest text of an entry.
pub const MAX_TEXT: usize = 4000;

/// What an entry is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EntryKind {
    /// Something that happened or was agreed.
    Note,
    /// Something still to do, carried over until done.
    Item,
    /// The end of a shift.
    Handover,
}

/// Who marked an open item done, and when.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Done {
    /// Who.
    pub by: String,
    /// When.
    pub at: Timestamp,
}

/// One entry of the shift log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ShiftEntry {
    /// Its id.
    pub id: String,
    /// What it is.
    pub kind: EntryKind,
    /// The note, the item, or the handover's summary.
    pub text: String,
    /// Who wrote it.
    pub author: String,
    /// When.
    pub at: Timestamp,
    /// The client it concerns, if one (for reading; the log stays the
    /// provider's).
    #[serde(default)]
    pub client: Option<TenantId>,
    /// A handover's next shift lead, when named.
    #[serde(default)]
    pub handed_to: Option<String>,
    /// An item's completion.
    #[serde(default)]
    pub done: Option<Done>,
    /// When it last changed.
    pub updated_at: Timestamp,
}

fn text_of(field: &'static str, text: &str) -> Result<String, DeskError> {
    let t = text.trim();
    if t.is_empty() {
        return Err(DeskError::invalid(field, "must not be empty"));
    }
    if t.chars().count() > MAX_TEXT {
        return Err(DeskError::invalid(
            field,
            format!("longer than {MAX_TEXT} characters"),
        ));
    }
    Ok(t.to_owned())
}

/// Whether `actor` may write to the shift log: provider staff who work
/// alarms (a client user never may).
pub fn may_write(actor: &Actor) -> Result<(), DeskError> {
    actor.require(Permission::WorkAlarms, None)
}

/// Whether `actor` may read the shift log: provider staff only.
pub fn may_read(actor: &Actor) -> Result<(), DeskError> {
    actor.require(Permission::View, None)
}

impl ShiftEntry {
    /// A note or an open item, written by `actor` at `now`.
    pub fn write(
        actor: &Actor,
        id: String,
        kind: EntryKind,
        text: &str,
        client: Option<TenantId>,
        now: Timestamp,
    ) -> Result<ShiftEntry, DeskError> {
        may_write(actor)?;
        if kind == EntryKind::Handover {
            return Err(DeskError::invalid(
                "kind",
                "a handover is made with its own command (summary and next lead)",
            ));
        }
        Ok(ShiftEntry {
            id,
            kind,
            text: text_of("text", text)?,
            author: actor.name.clone(),
            at: now,
            client,
            handed_to: None,
            done: None,
            updated_at: now,
        })
    }

    /// The end of the shift: `actor` hands over to `to` with `summary`.
    pub fn handover(
        actor: &Actor,
        id: String,
        summary: &str,
        to: Option<&str>,
        now: Timestamp,
    ) -> Result<ShiftEntry, DeskError> {
        may_write(actor)?;
        let handed_to = match to.map(str::trim).filter(|t| !t.is_empty()) {
            Some(t) if t.chars().count() > 200 => {
                return Err(DeskError::invalid("to", "longer than 200 characters"));
            }
            other => other.map(str::to_owned),
        };
        Ok(ShiftEntry {
            id,
            kind: EntryKind::Handover,
            text: text_of("summary", summary)?,
            author: actor.name.clone(),
            at: now,
            client: None,
            handed_to,
            done: None,
            updated_at: now,
        })
    }

    /// Marks an open item done.
    pub fn complete(&self, actor: &Actor, now: Timestamp) -> Result<ShiftEntry, DeskError> {
        may_write(actor)?;
        let refuse = |state: &str, hint: &str| DeskError::Transition {
            what: "shift entry",
            id: self.id.clone(),
            command: "complete",
            state: state.into(),
            hint: hint.into(),
        };
        if self.kind != EntryKind::Item {
            return Err(refuse("a note", "only open items are marked done"));
        }
        if let Some(done) = &self.done {
            return Err(refuse(
                "done",
                &format!("{} marked it done already", done.by),
            ));
        }
        let mut next = self.clone();
        next.done = Some(Done {
            by: actor.name.clone(),
            at: now,
        });
        next.updated_at = now;
        Ok(next)
    }

    /// Its status column: `note`, `open`, `done` or `handover`.
    pub fn status(&self) -> &'static str {
        match (self.kind, &self.done) {
            (EntryKind::Note, _) => "note",
            (EntryKind::Item, None) => "open",
            (EntryKind::Item, Some(_)) => "done",
            (EntryKind::Handover, _) => "handover",
        }
    }
}

impl crate::record::DeskObject for ShiftEntry {
    const KIND: &'static str = "shift_entry";
    fn id(&self) -> String {
        self.id.clone()
    }
    /// None: the log is provider-wide, so no client's scope reaches it.
    fn tenant(&self) -> Option<TenantId> {
        None
    }
    fn status(&self) -> String {
        ShiftEntry::status(self).into()
    }
    fn owner(&self) -> Option<String> {
        Some(self.author.clone())
    }
    fn at(&self) -> Timestamp {
        self.at
    }
    fn updated_at(&self) -> Timestamp {
        self.updated_at
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use vigil_store::Role;

    fn t(min: i64) -> Timestamp {
        chrono::DateTime::from_timestamp(1_764_000_000, 0).unwrap() + chrono::Duration::minutes(min)
    }

    fn op() -> Actor {
        Actor::person("olga", Role::ProviderOperator, None)
    }

    #[test]
    fn items_are_done_once_and_notes_never() {
        let item = ShiftEntry::write(
            &op(),
            "s-1".into(),
            EntryKind::Item,
            " call the guard company ",
            None,
            t(0),
        )
        .unwrap();
        assert_eq!(item.text, "call the guard company");
        assert_eq!(item.status(), "open");
        let done = item.complete(&op(), t(5)).unwrap();
        assert_eq!(done.status(), "done");
        assert_eq!(done.done.as_ref().unwrap().by, "olga");
        assert!(matches!(
            done.complete(&op(), t(6)),
            Err(DeskError::Transition { .. })
        ));
        let note = ShiftEntry::write(
            &op(),
            "s-2".into(),
            EntryKind::Note,
            "quiet night",
            None,
            t(1),
        )
        .unwrap();
        assert!(note.complete(&op(), t(2)).is_err());
    }

    #[test]
    fn the_log_is_the_providers_and_says_what_was_wrong() {
        let client = Actor::person("cat", Role::ClientAdmin, Some(TenantId::new("a").unwrap()));
        assert!(matches!(
            ShiftEntry::write(&client, "s".into(), EntryKind::Note, "x", None, t(0)),
            Err(DeskError::Forbidden { .. })
        ));
        assert!(may_read(&client).is_err());
        assert!(may_read(&op()).is_ok());
        let empty = ShiftEntry::write(&op(), "s".into(), EntryKind::Note, "  ", None, t(0));
        assert!(empty.unwrap_err().to_string().contains("text"));
        let long = "x".repeat(MAX_TEXT + 1);
        assert!(ShiftEntry::write(&op(), "s".into(), EntryKind::Note, &long, None, t(0)).is_err());
        assert!(
            ShiftEntry::write(&op(), "s".into(), EntryKind::Handover, "x", None, t(0)).is_err()
        );
        let h = ShiftEntry::handover(&op(), "h".into(), "all calm", Some(" petra "), t(0)).unwrap();
        assert_eq!(h.handed_to.as_deref(), Some("petra"));
        assert_eq!(h.status(), "handover");
    }
}
