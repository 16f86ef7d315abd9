//! Sigma correlation meta-rules (specification v2.1) over Vigil's
//! detections.
//!
//! ```text
//! LoadReport ──CorrelationSet::compile──► CorrelationSet (+ one outcome per correlation document)
//! (event, rules it matched) ──CorrelationSet::prepare──► Prepared ──CorrelationEngine::observe──► Firings
//! CorrelationEngine::snapshot ──► Snapshot (serde) ──► CorrelationEngine::restore
//! ```
//!
//! Semantics, where the specification leaves room:
//! - **Windows slide on event time.** A correlation is evaluated, for each
//!   detection of a referred rule, over the group's entries in the
//!   timespan that ends at that detection (inclusive at both ends); there
//!   are no fixed buckets, so a burst that straddles an hour boundary
//!   fires like any other.
//! - **Groups** are per correlation, tenant and group-by values (exact
//!   text). An event lacking a group-by field does not take part (it is
//!   counted). `aliases` name, per referred rule, the field that holds a
//!   group-by value; a referred rule not named in an alias uses the alias
//!   name itself.
//! - **Conditions** are evaluated when each entry arrives: the count of
//!   events (`event_count`), of distinct values of the field(s)
//!   (`value_count`; several fields count distinct combinations), of
//!   distinct referred rules (`temporal`), the length of the longest prefix
//!   of the referred rules seen in order (`temporal_ordered`), the sum or
//!   average of a numeric field (`value_sum`, `value_avg`; events where it
//!   is not a number do not take part), or the percentage of the window's
//!   events whose field has the newest event's value (`value_percentile`:
//!   `lte: 1` is "a value seen in at most 1% of the group's events").
//!   `temporal` types without a condition need every referred rule.
//! - **Episodes.** The first satisfied window of a group starts an episode
//!   that lasts one timespan; it is reported once as a new firing (`first`,
//!   with the window's events as evidence) and later satisfied windows in
//!   it extend it (with the new event). Alerts are named by (correlation,
//!   group, episode start), so a replay lands on the same alert.
//! - **Chains.** A correlation referring to another is fed one entry per
//!   episode of the other, at the time its condition first held, carrying
//!   its group values; the outer correlation may group only by names the
//!   inner one groups by (checked at load). Order in `temporal_ordered` is
//!   event time, then arrival.
//! - **generate.** A rule (or correlation) that correlations refer to
//!   raises no alerts of its own unless one of them says `generate: true`
//!   ([`CorrelationSet::generates`], [`CorrelationMeta::raises_alerts`]).
//! - **Lateness.** Each tenant has a watermark: the newest event time seen
//!   (moved at most [`EngineConfig::max_clock_skew`] past `now`). An event
//!   older than the watermark minus [`EngineConfig::allowed_lateness`] is
//!   dropped and counted; within it, events may arrive in any order.
//! - **Replays.** An entry whose content fingerprint is already in its
//!   window is not counted again.
//! - **Bounds.** At most [`EngineConfig::max_groups`] groups (least
//!   recently fed evicted first) and
//!   [`EngineConfig::max_entries_per_group`] entries per group (oldest
//!   first); both evictions are counted in [`EngineMetrics`].

#![warn(missing_docs)]

mod compile;
mod engine;
mod input;
mod snapshot;
mod state;
mod window;

pub use compile::{CorrelationMeta, CorrelationSet};
pub use engine::{CorrelationEngine, EngineConfig, EngineMetrics, Firing};
pub use input::{Evidence, Prepared};
pub use snapshot::{RestoreReport, Snapshot, SnapshotError};
pub use vigil_detect::sigma::correlation::CorrelationType;

#[cfg(test)]
mod tests;
