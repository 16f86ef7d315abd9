//! The engine's state: groups of window entries, their episodes, and the
//! recency order that bounds them. Plain data, serialisable as it is.

use std::collections::{HashSet, VecDeque};

use serde::{Deserialize, Serialize};
use vigil_model::Timestamp;

use crate::input::{EntryValue, Evidence};

/// What a correlation's state is kept per: the correlation, the tenant
/// (correlations never cross tenants) and the group-by values.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub(crate) struct GroupKey {
    pub correlation: usize,
    pub tenant: String,
    pub values: Vec<String>,
}

/// One detection (or chained firing) in a group's window.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Entry {
    /// Its event time.
    pub time: Timestamp,
    /// Arrival order, to order entries of equal time.
    pub seq: u64,
    /// Which referred rule it came from.
    pub slot: usize,
    /// What makes it the same as another entry (a replay): the event's
    /// content fingerprint, or a digest of the chained firing.
    pub dedup: u64,
    /// What it contributes.
    pub value: EntryValue,
    /// The events behind it (one, or a chained firing's).
    pub evidence: Vec<Evidence>,
}

/// A run of satisfied windows that makes one alert: it starts with the
/// first satisfied window and lasts one timespan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Episode {
    pub window_start: Timestamp,
}

/// One group's state.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct Group {
    /// Ordered by (time, seq).
    pub entries: VecDeque<Entry>,
    pub episode: Option<Episode>,
    /// When it was last fed (a counter), for least-recently-used eviction.
    pub touched: u64,
    /// (slot, dedup) of the entries, rebuilt from them.
    #[serde(skip)]
    pub seen: HashSet<(usize, u64)>,
}

impl Group {
    /// Rebuilds what is derived from the entries (after a restore).
    pub fn reindex(&mut self) {
        self.seen = self.entries.iter().map(|e| (e.slot, e.dedup)).collect();
    }

    /// Drops entries older than `horizon`.
    pub fn prune(&mut self, horizon: Timestamp) {
        while self.entries.front().is_some_and(|e| e.time < horizon) {
            if let Some(old) = self.entries.pop_front() {
                self.seen.remove(&(old.slot, old.dedup));
            }
        }
    }

    /// Whether nothing in it can matter again: no entry at or after
    /// `horizon`, and no episode that a new window could still extend.
    pub fn is_expired(&self, horizon: Timestamp) -> bool {
        self.entries.back().is_none_or(|e| e.time < horizon)
            && self.episode.is_none_or(|ep| ep.window_start < horizon)
    }
}
