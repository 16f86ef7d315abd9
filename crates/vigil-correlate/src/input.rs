//! What the engine is fed: one event's detections of referred rules, with
//! the values its correlations group and aggregate by, read from the event
//! before the engine's lock is taken.

use serde::{Deserialize, Serialize};
use vigil_detect::{Detection, Document, Scalar};
use vigil_model::{Event, EventId, Timestamp};

use crate::compile::{CorrelationSet, Source};
use vigil_detect::sigma::correlation::CorrelationType;

/// An event as evidence: its id, the digest of its content (a replay of
/// the same content is recognised and not counted twice) and its time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Evidence {
    /// The event.
    pub event: EventId,
    /// Its content fingerprint.
    pub fingerprint: u64,
    /// When it happened.
    pub time: Timestamp,
}

/// The value an entry contributes to its window.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) enum EntryValue {
    /// Counted only (event_count, temporal types).
    None,
    /// Distinct values and shares (value_count, value_percentile).
    Text(String),
    /// Sums and averages (value_sum, value_avg).
    Number(f64),
}

/// One (correlation, referred rule) an event fed.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Hit {
    pub correlation: usize,
    pub slot: usize,
    pub group: Vec<String>,
    pub value: EntryValue,
}

/// One event, ready for [`crate::CorrelationEngine::observe`]: its tenant,
/// time and evidence, and what it feeds. Prepared without the engine's
/// state, so it can be built outside the engine's lock.
#[derive(Debug, Clone, PartialEq)]
pub struct Prepared {
    pub(crate) tenant: String,
    pub(crate) time: Timestamp,
    pub(crate) evidence: Evidence,
    pub(crate) hits: Vec<Hit>,
    pub(crate) missing_group_field: u64,
    pub(crate) missing_value: u64,
}

impl Prepared {
    /// Whether the event feeds no correlation (nothing to lock for).
    pub fn is_empty(&self) -> bool {
        self.hits.is_empty() && self.missing_group_field == 0 && self.missing_value == 0
    }

    /// The event time it is fed at (what windows are measured in).
    pub fn time(&self) -> Timestamp {
        self.time
    }

    /// The event it came from.
    pub fn evidence(&self) -> Evidence {
        self.evidence
    }
}

/// Separates the parts of a distinct-value tuple (`value_count` over
/// several fields); a control character no field value is expected to hold.
const TUPLE_SEPARATOR: char = '\u{1f}';

/// The first scalar of `field`, as text.
pub(crate) fn field_text<D: Document>(doc: &D, field: &str) -> Option<String> {
    let value = doc.field(field)?;
    let mut out = None;
    let mut buf = String::new();
    value.any_scalar(&mut |s| {
        out = Some(s.text(&mut buf).to_owned());
        true
    });
    out
}

fn field_number<D: Document>(doc: &D, field: &str) -> Option<f64> {
    let value = doc.field(field)?;
    let mut out = None;
    value.any_scalar(&mut |s| {
        out = match s {
            Scalar::Int(i) => Some(i as f64),
            Scalar::UInt(u) => Some(u as f64),
            Scalar::Float(f) => Some(f),
            Scalar::Str(t) => t.trim().parse::<f64>().ok(),
            Scalar::Bool(_) => None,
        }
        .filter(|f| f.is_finite());
        true
    });
    out
}

impl CorrelationSet {
    /// What `event` (whose content has `fingerprint`) feeds the
    /// correlations through its `detections`, at its own time
    /// (`observed_at`); `None` when it feeds none. The live pipeline and
    /// `vigil hunt` both read their events' contributions here, so that a
    /// hunt over a file correlates exactly as the pipeline does on the
    /// same events.
    pub fn prepare_detections(
        &self,
        event: &Event,
        fingerprint: u64,
        detections: &[Detection],
    ) -> Option<Prepared> {
        if !detections.iter().any(|d| self.refers_to(&d.rule.id)) {
            return None;
        }
        let evidence = Evidence {
            event: event.id,
            fingerprint,
            time: event.observed_at,
        };
        let prepared = self.prepare(
            event.tenant.as_str(),
            event.observed_at,
            evidence,
            event,
            detections.iter().map(|d| d.rule.id.as_str()),
        );
        (!prepared.is_empty()).then_some(prepared)
    }

    /// Reads what `doc` (an event of `tenant` at `time`) contributes to the
    /// correlations that refer to the rules it matched (`rule_ids`). An
    /// event lacking a group-by field (or the aggregated field) feeds
    /// nothing to that correlation; it is counted.
    pub fn prepare<'r, D: Document>(
        &self,
        tenant: &str,
        time: Timestamp,
        evidence: Evidence,
        doc: &D,
        rule_ids: impl IntoIterator<Item = &'r str>,
    ) -> Prepared {
        let mut prepared = Prepared {
            tenant: tenant.to_owned(),
            time,
            evidence,
            hits: Vec::new(),
            missing_group_field: 0,
            missing_value: 0,
        };
        for rule in rule_ids {
            let Some(refs) = self.by_rule.get(rule) else {
                continue;
            };
            for &(correlation, slot) in refs {
                let Some(c) = self.correlations.get(correlation) else {
                    continue;
                };
                let Some(s) = c.slots.get(slot) else { continue };
                let group: Option<Vec<String>> = s
                    .group
                    .iter()
                    .map(|source| match source {
                        Source::Field(f) => field_text(doc, f),
                        Source::Group(_) => None,
                    })
                    .collect();
                let Some(group) = group else {
                    prepared.missing_group_field += 1;
                    continue;
                };
                let fields = s.values.iter().map(|source| match source {
                    Source::Field(f) => f.as_str(),
                    Source::Group(_) => "",
                });
                let Some(value) = entry_value(c.kind, doc, fields) else {
                    prepared.missing_value += 1;
                    continue;
                };
                prepared.hits.push(Hit {
                    correlation,
                    slot,
                    group,
                    value,
                });
            }
        }
        // Children before parents, so an event's own hits land in the order
        // chains need.
        prepared.hits.sort_by_key(|h| (h.correlation, h.slot));
        prepared
    }
}

fn entry_value<'f, D: Document>(
    kind: CorrelationType,
    doc: &D,
    mut fields: impl Iterator<Item = &'f str>,
) -> Option<EntryValue> {
    Some(match kind {
        CorrelationType::EventCount
        | CorrelationType::Temporal
        | CorrelationType::TemporalOrdered => EntryValue::None,
        CorrelationType::ValueCount | CorrelationType::ValuePercentile => {
            let mut tuple = String::new();
            for (i, f) in fields.enumerate() {
                if i > 0 {
                    tuple.push(TUPLE_SEPARATOR);
                }
                tuple.push_str(&field_text(doc, f)?);
            }
            EntryValue::Text(tuple)
        }
        CorrelationType::ValueSum | CorrelationType::ValueAvg => {
            EntryValue::Number(field_number(doc, fields.next()?)?)
        }
    })
}

/// The value a chained firing contributes to a parent slot: taken from the
/// child's group values.
pub(crate) fn chained_value(
    kind: CorrelationType,
    values: &[Option<&String>],
) -> Option<EntryValue> {
    Some(match kind {
        CorrelationType::EventCount
        | CorrelationType::Temporal
        | CorrelationType::TemporalOrdered => EntryValue::None,
        CorrelationType::ValueCount | CorrelationType::ValuePercentile => {
            let mut tuple = String::new();
            for (i, v) in values.iter().enumerate() {
                if i > 0 {
                    tuple.push(TUPLE_SEPARATOR);
                }
                tuple.push_str(v.as_ref()?);
            }
            EntryValue::Text(tuple)
        }
        CorrelationType::ValueSum | CorrelationType::ValueAvg => {
            let v = values.first()?.as_ref()?;
            EntryValue::Number(v.trim().parse::<f64>().ok().filter(|f| f.is_finite())?)
        }
    })
}
