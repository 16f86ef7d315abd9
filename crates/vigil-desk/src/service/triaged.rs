//! The alarms triage last read or wrote, with their versions.
//!
//! A busy alert grows in every triage pass, and each pass would read its
//! alarm back from the store (a query and a JSON document decoded) only to
//! refresh it and write it again. Triage keeps what it read and wrote
//! instead. A remembered alarm is only trusted as far as the store's
//! version check goes: every write names the version it read, so if
//! anyone else changed the alarm the pass's commit fails with a conflict,
//! and triage forgets everything and runs the pass again from the store.
//! Writes through this desk forget the alarms they touch at once, so the
//! common case (an operator working an alarm) costs no failed pass.

use std::collections::HashMap;
use std::sync::Mutex;

use vigil_store::DeskWrite;

use crate::alarm::Alarm;
use crate::record::{DeskObject, Stored};

/// Alarms remembered at most; past this triage starts afresh.
const MAX_REMEMBERED: usize = 8192;

/// Alarms by record id, as triage last saw them in the store.
#[derive(Debug, Default)]
pub(crate) struct TriagedAlarms {
    alarms: Mutex<HashMap<String, Stored<Alarm>>>,
}

impl TriagedAlarms {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Stored<Alarm>>> {
        self.alarms.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The alarm with record id `id` as last seen, if remembered.
    pub fn get(&self, id: &str) -> Option<Stored<Alarm>> {
        self.lock().get(id).cloned()
    }

    /// Remembers `alarm` as stored at `version`.
    pub fn remember(&self, id: String, alarm: Stored<Alarm>) {
        let mut alarms = self.lock();
        if alarms.len() >= MAX_REMEMBERED && !alarms.contains_key(&id) {
            alarms.clear();
        }
        alarms.insert(id, alarm);
    }

    /// Forgets every alarm.
    pub fn forget_all(&self) {
        self.lock().clear();
    }

    /// Forgets the alarms `write` changes or deletes.
    pub fn forget_written(&self, write: &DeskWrite) {
        let touched = write
            .records
            .iter()
            .filter(|r| r.kind == Alarm::KIND)
            .map(|r| r.id.as_str())
            .chain(
                write
                    .deletes
                    .iter()
                    .filter(|(kind, _, _)| kind == Alarm::KIND)
                    .map(|(_, id, _)| id.as_str()),
            );
        let mut alarms = None;
        for id in touched {
            alarms.get_or_insert_with(|| self.lock()).remove(id);
        }
    }
}
