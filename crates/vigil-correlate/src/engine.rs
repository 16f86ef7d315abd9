//! Running correlations over detections: sliding event-time windows per
//! group, lateness against a per-tenant watermark, episodes that make one
//! alert each, chains, and the bounds on state.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::Arc;

use chrono::Duration;
use serde::{Deserialize, Serialize};
use vigil_model::Timestamp;
use xxhash_rust::xxh3::Xxh3;

use crate::compile::{CorrelationMeta, CorrelationSet, Source};
use crate::input::{EntryValue, Evidence, Prepared, chained_value};
use crate::state::{Entry, Episode, Group, GroupKey};
use crate::window::evaluate;

/// The engine's limits and tolerances.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EngineConfig {
    /// How far behind the newest event time seen for its tenant (the
    /// watermark) an event may be and still count. Older events are
    /// dropped and counted as late.
    pub allowed_lateness: Duration,
    /// How far ahead of `now` an event's time may move the watermark, so
    /// that one event with a wrong clock cannot make every other one late.
    pub max_clock_skew: Duration,
    /// Most groups kept across all correlations and tenants; beyond it the
    /// least recently fed group is evicted.
    pub max_groups: usize,
    /// Most entries kept in one group's window; beyond it the oldest go.
    pub max_entries_per_group: usize,
    /// Most events cited as evidence by one firing.
    pub max_evidence: usize,
}

impl Default for EngineConfig {
    fn default() -> Self {
        Self {
            allowed_lateness: Duration::minutes(5),
            max_clock_skew: Duration::minutes(5),
            max_groups: 100_000,
            max_entries_per_group: 10_000,
            max_evidence: 32,
        }
    }
}

/// What the engine has counted since it started (carried across restarts
/// by snapshots).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EngineMetrics {
    /// Events that fed at least one correlation.
    pub observed: u64,
    /// Detections dropped for arriving later than the allowed lateness.
    pub late_dropped: u64,
    /// Detections already in their window (a replay of the same content).
    pub duplicates: u64,
    /// Detections lacking a group-by field.
    pub missing_group_field: u64,
    /// Detections lacking the field a value_* correlation aggregates.
    pub missing_value: u64,
    /// Groups evicted because the group cap was reached.
    pub groups_evicted: u64,
    /// Entries evicted because a group's cap was reached.
    pub entries_evicted: u64,
    /// Groups dropped because nothing in them could matter again.
    pub groups_expired: u64,
    /// Windows that started an episode (one alert each).
    pub firings: u64,
}

/// A correlation's condition held.
#[derive(Debug, Clone, PartialEq)]
pub struct Firing {
    /// The correlation.
    pub correlation: Arc<CorrelationMeta>,
    /// The tenant whose events these are.
    pub tenant: String,
    /// The group: each group-by name and its value.
    pub group: Vec<(String, String)>,
    /// When the episode's first satisfied window started (the time of its
    /// first entry): with the correlation and group, what names the alert.
    pub window_start: Timestamp,
    /// The event time at which the condition held.
    pub time: Timestamp,
    /// The window's value (count, distinct values, sum, average, percent).
    pub value: f64,
    /// The events that made the window (bounded), or the new event when
    /// this extends an episode already reported.
    pub evidence: Vec<Evidence>,
    /// Whether this starts the episode (a new alert) or extends it.
    pub first: bool,
}

impl Firing {
    /// The group as text (`User=jdoe,IpAddress=203.0.113.9`), for alert
    /// grouping and display.
    pub fn group_key(&self) -> String {
        self.group
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join(",")
    }
}

/// A unit of work: one entry for one group.
struct Work {
    correlation: usize,
    slot: usize,
    group: Vec<String>,
    value: EntryValue,
    time: Timestamp,
    dedup: u64,
    evidence: Vec<Evidence>,
}

/// The correlation engine: explicit state, fed prepared events with their
/// own times and the caller's `now`. Not shared by itself: the pipeline
/// keeps it behind a lock and prepares events outside it.
#[derive(Debug, Clone)]
pub struct CorrelationEngine {
    pub(crate) set: Arc<CorrelationSet>,
    pub(crate) config: EngineConfig,
    pub(crate) groups: HashMap<GroupKey, Group>,
    /// `touched` → group, oldest first.
    pub(crate) recency: BTreeMap<u64, GroupKey>,
    pub(crate) watermarks: BTreeMap<String, Timestamp>,
    pub(crate) seq: u64,
    pub(crate) touch: u64,
    pub(crate) metrics: EngineMetrics,
}

/// Groups looked at for expiry on every observation.
const SWEEP_PER_OBSERVATION: usize = 2;

impl CorrelationEngine {
    /// An engine with no state.
    pub fn new(set: Arc<CorrelationSet>, config: EngineConfig) -> Self {
        Self {
            set,
            config,
            groups: HashMap::new(),
            recency: BTreeMap::new(),
            watermarks: BTreeMap::new(),
            seq: 0,
            touch: 0,
            metrics: EngineMetrics::default(),
        }
    }

    /// The correlations it runs.
    pub fn set(&self) -> &Arc<CorrelationSet> {
        &self.set
    }

    /// What it has counted.
    pub fn metrics(&self) -> EngineMetrics {
        self.metrics
    }

    /// How many groups it holds.
    pub fn group_count(&self) -> usize {
        self.groups.len()
    }

    /// How many window entries it holds.
    pub fn entry_count(&self) -> usize {
        self.groups.values().map(|g| g.entries.len()).sum()
    }

    /// Feeds one prepared event; appends a firing for each window that
    /// satisfies a correlation which raises alerts (chained correlations
    /// are fed too, silently when they raise none).
    pub fn observe(&mut self, input: Prepared, now: Timestamp, out: &mut Vec<Firing>) {
        self.metrics.missing_group_field += input.missing_group_field;
        self.metrics.missing_value += input.missing_value;
        if input.hits.is_empty() {
            return;
        }
        self.metrics.observed += 1;
        let watermark = self.watermarks.get(&input.tenant).copied();
        if watermark.is_some_and(|wm| input.time < wm - self.config.allowed_lateness) {
            self.metrics.late_dropped += input.hits.len() as u64;
            return;
        }
        let advance = input.time.min(now + self.config.max_clock_skew);
        let watermark = watermark.map_or(advance, |wm| wm.max(advance));
        self.watermarks.insert(input.tenant.clone(), watermark);

        let mut work: VecDeque<Work> = input
            .hits
            .into_iter()
            .map(|hit| Work {
                correlation: hit.correlation,
                slot: hit.slot,
                group: hit.group,
                value: hit.value,
                time: input.time,
                dedup: input.evidence.fingerprint,
                evidence: vec![input.evidence],
            })
            .collect();
        while let Some(item) = work.pop_front() {
            self.insert(&input.tenant, watermark, item, out, &mut work);
        }
        self.sweep(SWEEP_PER_OBSERVATION);
    }

    fn insert(
        &mut self,
        tenant: &str,
        watermark: Timestamp,
        item: Work,
        out: &mut Vec<Firing>,
        work: &mut VecDeque<Work>,
    ) {
        let set = Arc::clone(&self.set);
        let Some(c) = set.correlations.get(item.correlation) else {
            return;
        };
        let horizon = watermark - self.config.allowed_lateness - c.timespan;
        let key = GroupKey {
            correlation: item.correlation,
            tenant: tenant.to_owned(),
            values: item.group,
        };
        if !self.groups.contains_key(&key) {
            while self.groups.len() >= self.config.max_groups.max(1) {
                if !self.evict_least_recent() {
                    break;
                }
            }
        }
        self.touch += 1;
        let touched = self.touch;
        let group = self.groups.entry(key.clone()).or_default();
        if group.touched != 0 {
            self.recency.remove(&group.touched);
        }
        group.touched = touched;
        self.recency.insert(touched, key.clone());

        group.prune(horizon);
        if group.seen.contains(&(item.slot, item.dedup)) {
            self.metrics.duplicates += 1;
            return;
        }
        self.seq += 1;
        let seq = self.seq;
        let mut pos = group
            .entries
            .partition_point(|e| (e.time, e.seq) <= (item.time, seq));
        group.entries.insert(
            pos,
            Entry {
                time: item.time,
                seq,
                slot: item.slot,
                dedup: item.dedup,
                value: item.value,
                evidence: item.evidence,
            },
        );
        group.seen.insert((item.slot, item.dedup));
        while group.entries.len() > self.config.max_entries_per_group.max(1) {
            if let Some(old) = group.entries.pop_front() {
                group.seen.remove(&(old.slot, old.dedup));
            }
            self.metrics.entries_evicted += 1;
            if pos == 0 {
                // The new entry was the oldest, and is gone.
                return;
            }
            pos -= 1;
        }

        // The windows that the new entry can be part of end at it or at a
        // later entry within one timespan (later ones only when it arrived
        // out of order); the first satisfied one decides.
        let limit = item.time + c.timespan;
        let mut satisfied = None;
        for end in pos..group.entries.len() {
            if group.entries[end].time > limit {
                break;
            }
            if let Some((start, value)) = evaluate(c, &group.entries, end) {
                satisfied = Some((start, end, value));
                break;
            }
        }
        let Some((start, end, value)) = satisfied else {
            return;
        };
        let (window_start, time) = (group.entries[start].time, group.entries[end].time);
        let current = group.episode.filter(|ep| {
            let span_end = ep.window_start + c.timespan;
            (ep.window_start..=span_end).contains(&time)
                || (ep.window_start..=span_end).contains(&window_start)
        });
        let group_pairs = || -> Vec<(String, String)> {
            c.meta
                .group_by
                .iter()
                .cloned()
                .zip(key.values.iter().cloned())
                .collect()
        };
        if let Some(episode) = current {
            if c.meta.raises_alerts {
                out.push(Firing {
                    correlation: Arc::clone(&c.meta),
                    tenant: tenant.to_owned(),
                    group: group_pairs(),
                    window_start: episode.window_start,
                    time,
                    value,
                    evidence: group.entries[pos].evidence.clone(),
                    first: false,
                });
            }
            return;
        }
        group.episode = Some(Episode { window_start });
        self.metrics.firings += 1;
        let evidence = bounded_evidence(
            group
                .entries
                .range(start..=end)
                .flat_map(|e| e.evidence.iter().copied()),
            self.config.max_evidence,
        );
        let mut digest = Xxh3::new();
        digest.update(c.meta.id.as_bytes());
        for v in &key.values {
            digest.update(&[0]);
            digest.update(v.as_bytes());
        }
        digest.update(&window_start.timestamp_micros().to_be_bytes());
        let dedup = digest.digest();
        for &(parent, slot) in &c.parents {
            let Some(p) = set.correlations.get(parent) else {
                continue;
            };
            let Some(s) = p.slots.get(slot) else { continue };
            let from_child = |source: &Source| match source {
                Source::Group(k) => key.values.get(*k),
                Source::Field(_) => None,
            };
            let group: Option<Vec<String>> =
                s.group.iter().map(|src| from_child(src).cloned()).collect();
            let values: Vec<Option<&String>> = s.values.iter().map(from_child).collect();
            match (group, chained_value(p.kind, &values)) {
                (Some(group), Some(value)) => work.push_back(Work {
                    correlation: parent,
                    slot,
                    group,
                    value,
                    time,
                    dedup,
                    evidence: evidence.clone(),
                }),
                (None, _) => self.metrics.missing_group_field += 1,
                (_, None) => self.metrics.missing_value += 1,
            }
        }
        if c.meta.raises_alerts {
            out.push(Firing {
                correlation: Arc::clone(&c.meta),
                tenant: tenant.to_owned(),
                group: group_pairs(),
                window_start,
                time,
                value,
                evidence,
                first: true,
            });
        }
    }

    fn evict_least_recent(&mut self) -> bool {
        let Some((_, key)) = self.recency.pop_first() else {
            return false;
        };
        self.groups.remove(&key);
        self.metrics.groups_evicted += 1;
        true
    }

    /// The horizon before which nothing of `key`'s group matters.
    fn horizon(&self, key: &GroupKey) -> Option<Timestamp> {
        let watermark = *self.watermarks.get(&key.tenant)?;
        let span = self.set.correlations.get(key.correlation)?.timespan;
        Some(watermark - self.config.allowed_lateness - span)
    }

    /// Looks at up to `budget` of the least recently fed groups and drops
    /// those that can no longer matter.
    fn sweep(&mut self, budget: usize) {
        let candidates: Vec<(u64, GroupKey)> = self
            .recency
            .iter()
            .take(budget)
            .map(|(t, k)| (*t, k.clone()))
            .collect();
        for (touched, key) in candidates {
            let expired = self
                .horizon(&key)
                .is_none_or(|h| self.groups.get(&key).is_none_or(|g| g.is_expired(h)));
            if expired {
                self.groups.remove(&key);
                self.recency.remove(&touched);
                self.metrics.groups_expired += 1;
            }
        }
    }

    /// Drops every group that can no longer matter; returns how many. Cheap
    /// enough to call periodically (the pipeline does before a snapshot).
    pub fn expire(&mut self) -> usize {
        let before = self.groups.len();
        self.sweep(usize::MAX);
        before - self.groups.len()
    }
}

/// At most `max` pieces of evidence, the first half and the last half
/// when there are more, each event once.
fn bounded_evidence(all: impl Iterator<Item = Evidence>, max: usize) -> Vec<Evidence> {
    let mut unique: Vec<Evidence> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for e in all {
        if seen.insert((e.event, e.fingerprint)) {
            unique.push(e);
        }
    }
    if unique.len() <= max {
        return unique;
    }
    let head = max / 2;
    let tail = max - head;
    let mut out: Vec<Evidence> = unique[..head].to_vec();
    out.extend_from_slice(&unique[unique.len() - tail..]);
    out
}
