//! The shift log: reading the current shift with what it carries over, and
//! writing notes, open items and handovers.

use serde::Serialize;
use vigil_model::{TenantId, Timestamp};
use vigil_store::{RecordOrder, RecordQuery, TenantScope};

use super::Desk;
use crate::record::DeskObject;
use crate::shift::{EntryKind, ShiftEntry, may_read};
use crate::{Actor, DeskError};

/// Most entries one read returns per part.
const MAX_READ: usize = 500;

/// The shift log as the console shows it.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ShiftLog {
    /// When the current shift began: the last handover (none before the
    /// first).
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub since: Option<Timestamp>,
    /// The current shift's notes and items, newest first.
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<Object>))]
    pub entries: Vec<ShiftEntry>,
    /// Every open item, newest first; those written before `since` were
    /// carried over from an earlier shift.
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<Object>))]
    pub open: Vec<ShiftEntry>,
    /// The latest handovers, newest first.
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<Object>))]
    pub handovers: Vec<ShiftEntry>,
}

impl Desk {
    async fn shift_entries(
        &self,
        statuses: &[&str],
        from: Option<Timestamp>,
        limit: usize,
    ) -> Result<Vec<ShiftEntry>, DeskError> {
        let mut q = RecordQuery::new(ShiftEntry::KIND, TenantScope::All);
        q.statuses = statuses.iter().map(|s| (*s).to_owned()).collect();
        q.at_from = from;
        q.order = RecordOrder::Newest;
        q.limit = limit;
        Ok(self
            .list::<ShiftEntry>(&q)
            .await?
            .into_iter()
            .map(|s| s.value)
            .collect())
    }

    /// The shift log: the current shift, open items, recent handovers.
    pub async fn shift_log(&self, actor: &Actor, handovers: usize) -> Result<ShiftLog, DeskError> {
        may_read(actor)?;
        let handovers = self
            .shift_entries(&["handover"], None, handovers.clamp(1, 50))
            .await?;
        let since = handovers.first().map(|h| h.at);
        let entries = self
            .shift_entries(&["note", "open", "done"], since, MAX_READ)
            .await?;
        let open = self.shift_entries(&["open"], None, MAX_READ).await?;
        Ok(ShiftLog {
            since,
            entries,
            open,
            handovers,
        })
    }

    /// Writes a note or an open item.
    pub async fn write_shift_entry(
        &self,
        actor: &Actor,
        kind: EntryKind,
        text: &str,
        client: Option<TenantId>,
    ) -> Result<ShiftEntry, DeskError> {
        let now = self.now();
        let entry = ShiftEntry::write(actor, self.new_id("shift"), kind, text, client, now)?;
        self.commit_one(actor, "write", None, &entry, serde_json::Value::Null, now)
            .await?;
        Ok(entry)
    }

    /// Ends the shift: a handover to `to` with `summary`.
    pub async fn hand_over(
        &self,
        actor: &Actor,
        summary: &str,
        to: Option<&str>,
    ) -> Result<ShiftEntry, DeskError> {
        let now = self.now();
        let entry = ShiftEntry::handover(actor, self.new_id("shift"), summary, to, now)?;
        let detail = serde_json::json!({ "to": entry.handed_to });
        self.commit_one(actor, "handover", None, &entry, detail, now)
            .await?;
        Ok(entry)
    }

    /// Marks an open item done.
    pub async fn complete_shift_item(
        &self,
        actor: &Actor,
        id: &str,
    ) -> Result<ShiftEntry, DeskError> {
        may_read(actor)?;
        let now = self.now();
        let stored = self.read::<ShiftEntry>(id, &TenantScope::All).await?;
        let after = stored.value.complete(actor, now)?;
        self.commit_one(
            actor,
            "complete",
            Some(&stored),
            &after,
            serde_json::Value::Null,
            now,
        )
        .await?;
        Ok(after)
    }
}
