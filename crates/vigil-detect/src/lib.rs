//! Vigil's Sigma detection engine.
//!
//! Rules are loaded from folders or embedded text into a [`RuleSet`]
//! ([`RuleSet::load_dirs`], [`RuleSet::load_sources`]), with a
//! [`LoadReport`] that says for every document whether it loaded and, if
//! not, exactly why. The pipeline calls the set through [`Detector`].
//!
//! Matching follows the Sigma specification v2.1: values are
//! case-insensitive unless `cased`, field names are case-sensitive, all the
//! modifiers of the modifiers appendix are supported, conditions have the
//! precedence `or` < `and` < `not`, and global filters are applied to the
//! rules they name. An event is only tested against rules whose log source
//! fits it ([`EventLogSource`]).
//!
//! Where the specification leaves room, this engine decides as follows:
//! - A keyword (a value without a field) matches when it occurs anywhere
//!   in any value of the event, nested values included, as a full-text
//!   search would; with `startswith`/`endswith`/`re` it is applied to each
//!   value as written.
//! - A list in the event matches when any element does; `null` matches an
//!   absent field or a JSON null; numbers and booleans match by their text
//!   (`EventID: 4688` matches `4688` and `"4688"`).
//! - `neq` negates the whole item, so an absent field counts as different.
//! - `re` searches (it is not anchored unless the pattern says so), using
//!   the linear-time `regex` crate: look-around and back-references are
//!   load errors naming the rule and pattern.
//! - `1 of x*` patterns match whole identifiers; identifiers starting with
//!   `_` are left out of `them` and of patterns not starting with `_`. A
//!   pattern matching nothing, or `n of` asking for more searches than
//!   exist, is a load error.
//! - A global filter applies to the rules it names by id or name (or all,
//!   with `rules: any`) whose log source its own contains; the rule's
//!   condition becomes `(rule condition) and (filter condition)`, so
//!   filters are written `condition: not selection`, as in pySigma.
//! - Field names are case-sensitive; see [`Document`] for the lookup order
//!   and the interim fallback for nested Windows events.

#![warn(missing_docs)]

mod automaton;
mod document;
mod error;
mod explain;
mod logsource;
mod meta;
pub mod pipeline;
mod prefilter;
mod ruleset;
pub mod sigma;
mod textfold;

use std::sync::Arc;

pub use document::{
    Document, FieldValue, JsonDocument, JsonError, JsonErrorKind, JsonParser, Scalar,
    lookup_nested_windows,
};
pub use error::{LoadError, RuleError};
pub use explain::{
    EventValue, Explanation, ItemExplanation, MatchDetail, MatchedField, Part, SelectionExplanation,
};
pub use logsource::{EventLogSource, LogSourceView, Services};
pub use meta::{LogSource, RuleMeta, RuleStatus, derive_rule_id};
pub use prefilter::EngineSummary;
pub use ruleset::{
    CacheUse, DocumentKind, LoadOptions, LoadReport, RuleCache, RuleOutcome, RuleSet,
};

/// The seam the pipeline calls: runs rules over events.
pub trait Detector: Send + Sync + std::fmt::Debug {
    /// Appends a Detection for every rule that matches `event`.
    fn detect(&self, event: &vigil_model::Event, out: &mut Vec<Detection>);
    /// As [`Detector::detect`], for an event whose fields were read from
    /// `doc` and are unchanged since (ingest reads an NDJSON line once):
    /// a detector that reads documents reads `doc` rather than the
    /// event's fields, with the same answers and without building the
    /// fields' map. A detector wrapping another passes it on (a
    /// [`DetectorLayer`] does). Required, not defaulted, for the reason
    /// [`Detector::matched`] is: a default calling `detect` would let a
    /// wrapper drop the document unnoticed.
    fn detect_read(
        &self,
        event: &vigil_model::Event,
        doc: &JsonDocument<'_>,
        out: &mut Vec<Detection>,
    );
    /// How many rules are loaded.
    fn rule_count(&self) -> usize;
    /// What made the rule with id `rule_id` match `event`, worked out
    /// again on demand (for an alert's evidence); `None` when the rule is
    /// not one of this detector's Sigma rules or does not match `event`.
    ///
    /// Required, not defaulted: a detector wrapping another must pass the
    /// question on, and a default answering `None` let a wrapper forget to
    /// (the alarm page then showed no matched fields).
    fn matched(&self, rule_id: &str, event: &vigil_model::Event) -> Option<MatchDetail>;
}

/// A detector that adds detections of its own to those of the detector it
/// wraps (the converged and visitor rules written in code, over the Sigma
/// rules). It is a [`Detector`]: every question is passed on to the
/// wrapped detector, so that a wrapper cannot forget one (the alarm page
/// once showed no matched fields because a wrapper did not pass `matched`
/// on).
pub trait DetectorLayer: Send + Sync + std::fmt::Debug {
    /// The detector it wraps.
    fn inner(&self) -> &dyn Detector;
    /// How many rules of its own it runs.
    fn own_rule_count(&self) -> usize;
    /// Appends its own detections for `event`, after the wrapped detector's.
    fn detect_own(&self, event: &vigil_model::Event, out: &mut Vec<Detection>);
}

impl<L: DetectorLayer> Detector for L {
    fn detect(&self, event: &vigil_model::Event, out: &mut Vec<Detection>) {
        self.inner().detect(event, out);
        self.detect_own(event, out);
    }

    fn detect_read(
        &self,
        event: &vigil_model::Event,
        doc: &JsonDocument<'_>,
        out: &mut Vec<Detection>,
    ) {
        self.inner().detect_read(event, doc, out);
        self.detect_own(event, out);
    }

    fn rule_count(&self) -> usize {
        self.inner().rule_count() + self.own_rule_count()
    }

    fn matched(&self, rule_id: &str, event: &vigil_model::Event) -> Option<MatchDetail> {
        self.inner().matched(rule_id, event)
    }
}

/// One rule matched one event.
#[derive(Debug, Clone, PartialEq)]
pub struct Detection {
    /// The rule that matched.
    pub rule: Arc<RuleMeta>,
    /// The selections and the event's values that made it match (empty for
    /// detectors that are not Sigma rules).
    pub matched: MatchDetail,
}

impl Detection {
    /// A detection of `rule` with nothing to say about why.
    pub fn of_rule(rule: Arc<RuleMeta>) -> Self {
        Detection {
            rule,
            matched: MatchDetail::default(),
        }
    }
}
