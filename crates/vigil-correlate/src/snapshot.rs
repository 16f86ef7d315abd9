//! Saving and restoring the engine's state, so that windows survive a
//! restart. State is saved by correlation id with a digest of the
//! correlation's definition: a group whose correlation is gone or was
//! changed is not restored into the new one (its entries would mean
//! something else) and is counted instead.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use vigil_model::Timestamp;

use crate::compile::CorrelationSet;
use crate::engine::{CorrelationEngine, EngineConfig, EngineMetrics};
use crate::state::{Group, GroupKey};

/// The snapshot format this build writes and reads.
const FORMAT: u32 = 1;

/// The engine's state at one moment, serialisable with serde.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Snapshot {
    format: u32,
    seq: u64,
    touch: u64,
    watermarks: BTreeMap<String, Timestamp>,
    metrics: EngineMetrics,
    /// Correlation id → digest of its definition when saved.
    definitions: BTreeMap<String, u64>,
    groups: Vec<SavedGroup>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct SavedGroup {
    correlation: String,
    tenant: String,
    values: Vec<String>,
    group: Group,
}

/// What a restore kept and dropped.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RestoreReport {
    /// Groups restored.
    pub groups: usize,
    /// Groups dropped: their correlation is no longer loaded.
    pub dropped_unknown: usize,
    /// Groups dropped: their correlation's definition changed.
    pub dropped_changed: usize,
    /// Groups dropped to fit the group cap.
    pub dropped_over_cap: usize,
}

/// Why a snapshot could not be read.
#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    /// The bytes are not a snapshot.
    #[error("correlation state is not readable: {0}")]
    Decode(String),
    /// Written by a build with another format.
    #[error("correlation state has format {found}; this build reads format {FORMAT}")]
    Format {
        /// The format found.
        found: u32,
    },
}

impl Snapshot {
    /// The snapshot as bytes (JSON).
    pub fn to_bytes(&self) -> Vec<u8> {
        // Serialising plain data to a Vec cannot fail.
        serde_json::to_vec(self).unwrap_or_default()
    }

    /// Reads bytes written by [`Snapshot::to_bytes`].
    pub fn from_bytes(bytes: &[u8]) -> Result<Snapshot, SnapshotError> {
        let snapshot: Snapshot =
            serde_json::from_slice(bytes).map_err(|e| SnapshotError::Decode(e.to_string()))?;
        if snapshot.format != FORMAT {
            return Err(SnapshotError::Format {
                found: snapshot.format,
            });
        }
        Ok(snapshot)
    }

    /// How many groups it holds.
    pub fn group_count(&self) -> usize {
        self.groups.len()
    }
}

impl CorrelationEngine {
    /// The state as it is now.
    pub fn snapshot(&self) -> Snapshot {
        let mut groups: Vec<SavedGroup> = self
            .groups
            .iter()
            .filter_map(|(key, group)| {
                let c = self.set.correlations.get(key.correlation)?;
                Some(SavedGroup {
                    correlation: c.meta.id.clone(),
                    tenant: key.tenant.clone(),
                    values: key.values.clone(),
                    group: group.clone(),
                })
            })
            .collect();
        groups.sort_by_key(|g| g.group.touched);
        Snapshot {
            format: FORMAT,
            seq: self.seq,
            touch: self.touch,
            watermarks: self.watermarks.clone(),
            metrics: self.metrics,
            definitions: self
                .set
                .correlations
                .iter()
                .map(|c| (c.meta.id.clone(), c.definition))
                .collect(),
            groups,
        }
    }

    /// An engine for `set` continuing from `snapshot`.
    pub fn restore(
        set: Arc<CorrelationSet>,
        config: EngineConfig,
        snapshot: Snapshot,
    ) -> (CorrelationEngine, RestoreReport) {
        let mut report = RestoreReport::default();
        let index: HashMap<&str, (usize, u64)> = set
            .correlations
            .iter()
            .enumerate()
            .map(|(i, c)| (c.meta.id.as_str(), (i, c.definition)))
            .collect();
        let mut engine = CorrelationEngine::new(Arc::clone(&set), config);
        engine.seq = snapshot.seq;
        engine.touch = snapshot.touch;
        engine.watermarks = snapshot.watermarks;
        engine.metrics = snapshot.metrics;
        for saved in snapshot.groups {
            let Some(&(correlation, definition)) = index.get(saved.correlation.as_str()) else {
                report.dropped_unknown += 1;
                continue;
            };
            if snapshot.definitions.get(&saved.correlation) != Some(&definition) {
                report.dropped_changed += 1;
                continue;
            }
            let key = GroupKey {
                correlation,
                tenant: saved.tenant,
                values: saved.values,
            };
            let mut group = saved.group;
            group.reindex();
            engine.recency.insert(group.touched, key.clone());
            engine.groups.insert(key, group);
            report.groups += 1;
        }
        while engine.groups.len() > engine.config.max_groups.max(1) {
            let Some((_, key)) = engine.recency.pop_first() else {
                break;
            };
            engine.groups.remove(&key);
            report.groups -= 1;
            report.dropped_over_cap += 1;
        }
        (engine, report)
    }
}
