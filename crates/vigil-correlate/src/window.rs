//! The value of one window for each correlation type, and whether it
//! satisfies the correlation's condition.

use std::collections::{HashSet, VecDeque};

use vigil_detect::sigma::correlation::CorrelationType;

use crate::compile::Compiled;
use crate::input::EntryValue;
use crate::state::Entry;

/// Evaluates the window that ends at `entries[end]` and reaches back one
/// timespan (inclusive). Returns the index of its first entry and the
/// window's value when the condition holds.
pub(crate) fn evaluate(
    c: &Compiled,
    entries: &VecDeque<Entry>,
    end: usize,
) -> Option<(usize, f64)> {
    let last = entries.get(end)?;
    let from = last.time - c.timespan;
    let start = entries.partition_point(|e| e.time < from).min(end);
    let window = entries.range(start..=end);
    let value = match c.kind {
        CorrelationType::EventCount => (end - start + 1) as f64,
        CorrelationType::ValueCount => {
            let distinct: HashSet<&str> = window
                .filter_map(|e| match &e.value {
                    EntryValue::Text(t) => Some(t.as_str()),
                    _ => None,
                })
                .collect();
            distinct.len() as f64
        }
        CorrelationType::Temporal => {
            let distinct: HashSet<usize> = window.map(|e| e.slot).collect();
            distinct.len() as f64
        }
        CorrelationType::TemporalOrdered => {
            // The longest prefix of the rules seen in order; taking the
            // earliest occurrence of each next rule is optimal. The window
            // starts where the sequence does.
            let mut next = 0;
            let mut first = None;
            for (i, e) in window.enumerate() {
                if e.slot == next {
                    first.get_or_insert(start + i);
                    next += 1;
                }
            }
            let value = next as f64;
            return c.holds(value).then_some((first.unwrap_or(start), value));
        }
        CorrelationType::ValueSum | CorrelationType::ValueAvg => {
            let (sum, n) = window.fold((0.0, 0usize), |(sum, n), e| match e.value {
                EntryValue::Number(v) => (sum + v, n + 1),
                _ => (sum, n),
            });
            if c.kind == CorrelationType::ValueSum {
                sum
            } else if n == 0 {
                return None;
            } else {
                sum / n as f64
            }
        }
        CorrelationType::ValuePercentile => {
            // The share of the window's events whose value is the newest
            // event's: rare values have a low percentile.
            let EntryValue::Text(newest) = &last.value else {
                return None;
            };
            let total = end - start + 1;
            let same = window
                .filter(|e| matches!(&e.value, EntryValue::Text(t) if t == newest))
                .count();
            100.0 * same as f64 / total as f64
        }
    };
    c.holds(value).then_some((start, value))
}
