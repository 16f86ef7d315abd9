//! A checked service contract: priority classes, their targets and
//! calendars, and the rules that put an alarm or incident in a class.
//!
//! A [`Contract`] only comes out of [`crate::ContractConfig::validate`] (or
//! the built-in [`Contract::default_terms`]), so everything in it is known to
//! make sense: every class a rule names exists, every target is positive, and
//! every calendar parsed.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use chrono::TimeDelta;
use serde::{Deserialize, Serialize};
use vigil_model::{Severity, Timestamp};

use crate::calendar::ServiceCalendar;
use crate::clock::{SlaClock, SlaTarget, SlaTransition};

/// A priority class of the contract, P1 the most urgent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum PriorityClass {
    /// The most urgent.
    P1,
    /// Urgent.
    P2,
    /// Routine.
    P3,
    /// Informational.
    P4,
}

impl PriorityClass {
    /// Every class, most urgent first.
    pub const ALL: [PriorityClass; 4] = [Self::P1, Self::P2, Self::P3, Self::P4];

    /// The class's name (`P1` …).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::P1 => "P1",
            Self::P2 => "P2",
            Self::P3 => "P3",
            Self::P4 => "P4",
        }
    }

    /// Parses `P1`–`P4` (either case).
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|c| c.as_str().eq_ignore_ascii_case(name.trim()))
    }

    pub(crate) fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for PriorityClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What an SLA target measures: the time until …
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Measure {
    /// … an operator acknowledges the alarm.
    Acknowledge,
    /// … the client is told.
    Notify,
    /// … the threat is contained.
    Contain,
    /// … the incident is resolved.
    Resolve,
}

impl Measure {
    /// Every measure, in the order they usually happen.
    pub const ALL: [Measure; 4] = [
        Self::Acknowledge,
        Self::Notify,
        Self::Contain,
        Self::Resolve,
    ];

    /// The measure's name as in the contract and the API.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Acknowledge => "acknowledge",
            Self::Notify => "notify",
            Self::Contain => "contain",
            Self::Resolve => "resolve",
        }
    }

    pub(crate) fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for Measure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

pub use vigil_model::Category;

/// What is being classified.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Subject {
    /// An alarm, with the desk's priority score (0–100, higher is more urgent).
    Alarm {
        /// Its category.
        category: Category,
        /// Its priority score.
        score: f64,
    },
    /// An incident, with its severity.
    Incident {
        /// Its category.
        category: Category,
        /// Its severity.
        severity: Severity,
    },
}

/// One rule of the contract's mapping to classes; the first that matches wins.
///
/// Each condition applies to what has that attribute: a score band to
/// alarms, a minimum severity to incidents. A rule with only a score band
/// therefore never matches an incident, and one with only a severity never
/// matches an alarm; a rule with both matches either by its own condition; a
/// rule with neither matches anything of its category.
#[derive(Debug, Clone, PartialEq)]
pub struct ClassRule {
    /// Only this category (any when `None`).
    pub category: Option<Category>,
    /// Alarms scoring at least this.
    pub min_score: Option<f64>,
    /// Alarms scoring at most this.
    pub max_score: Option<f64>,
    /// Incidents at least this severe.
    pub min_severity: Option<Severity>,
    /// The class it assigns.
    pub class: PriorityClass,
}

impl ClassRule {
    /// Whether the rule applies to the subject.
    pub fn matches(&self, subject: &Subject) -> bool {
        let (category, fits) = match *subject {
            Subject::Alarm { category, score } => {
                let has_band = self.min_score.is_some() || self.max_score.is_some();
                let fits = if has_band {
                    // A NaN score fails both comparisons and so falls in no band.
                    self.min_score.is_none_or(|m| score >= m)
                        && self.max_score.is_none_or(|m| score <= m)
                } else {
                    self.min_severity.is_none()
                };
                (category, fits)
            }
            Subject::Incident { category, severity } => {
                let fits = match self.min_severity {
                    Some(min) => severity >= min,
                    None => self.min_score.is_none() && self.max_score.is_none(),
                };
                (category, fits)
            }
        };
        fits && self.category.is_none_or(|c| c == category)
    }
}

/// One class's terms: its calendar, warning point and targets.
#[derive(Debug, Clone, PartialEq)]
pub struct ClassTerms {
    /// The class.
    pub class: PriorityClass,
    /// The calendar its clocks count on.
    pub calendar: Arc<ServiceCalendar>,
    /// Fraction of a target after which the clock warns.
    pub warn_fraction: f64,
    /// Targets by [`Measure`] order; `None` is not measured.
    pub targets: [Option<TimeDelta>; 4],
}

impl ClassTerms {
    /// The target for one measure, if the contract measures it.
    pub fn target(&self, measure: Measure) -> Option<SlaTarget> {
        self.targets[measure.index()].map(|target| SlaTarget {
            class: self.class,
            measure,
            target,
            warn_fraction: self.warn_fraction,
        })
    }

    /// Every measured target, in [`Measure`] order.
    pub fn measured(&self) -> impl Iterator<Item = SlaTarget> + '_ {
        Measure::ALL.into_iter().filter_map(|m| self.target(m))
    }

    /// The clock of one measure folded from its recorded transitions as of
    /// `now`, or `None` when the contract does not measure it.
    pub fn clock(
        &self,
        measure: Measure,
        transitions: &[SlaTransition],
        now: Timestamp,
    ) -> Option<SlaClock> {
        let target = self.target(measure)?;
        Some(crate::recompute(&target, &self.calendar, transitions, now))
    }
}

/// A client's checked service contract.
#[derive(Debug, Clone, PartialEq)]
pub struct Contract {
    pub(crate) client: String,
    pub(crate) classes: [Option<ClassTerms>; 4],
    pub(crate) rules: Vec<ClassRule>,
    pub(crate) default_class: PriorityClass,
    pub(crate) calendars: BTreeMap<String, Arc<ServiceCalendar>>,
}

impl Contract {
    /// Whose contract it is (the tenant id, or `default`).
    pub fn client(&self) -> &str {
        &self.client
    }

    /// The terms of a class (every class a rule can give has them).
    pub fn terms(&self, class: PriorityClass) -> Option<&ClassTerms> {
        self.classes[class.index()].as_ref()
    }

    /// The defined classes, most urgent first.
    pub fn classes(&self) -> impl Iterator<Item = &ClassTerms> {
        self.classes.iter().flatten()
    }

    /// The mapping rules, in order.
    pub fn rules(&self) -> &[ClassRule] {
        &self.rules
    }

    /// The class when no rule matches.
    pub fn default_class(&self) -> PriorityClass {
        self.default_class
    }

    /// A named business calendar of the contract (`24x7` is not listed).
    pub fn calendar(&self, name: &str) -> Option<&Arc<ServiceCalendar>> {
        self.calendars.get(name)
    }

    /// The class of an alarm or incident: the first matching rule's, else the default.
    pub fn classify(&self, subject: &Subject) -> PriorityClass {
        self.rules
            .iter()
            .find(|r| r.matches(subject))
            .map_or(self.default_class, |r| r.class)
    }

    /// The class of an alarm with the desk's priority score.
    pub fn class_for_alarm(&self, category: Category, score: f64) -> PriorityClass {
        self.classify(&Subject::Alarm { category, score })
    }

    /// The class of an incident of a severity.
    pub fn class_for_incident(&self, category: Category, severity: Severity) -> PriorityClass {
        self.classify(&Subject::Incident { category, severity })
    }

    /// One started clock per measured target of the class.
    pub fn clocks(&self, class: PriorityClass, started_at: Timestamp) -> Vec<SlaClock> {
        let Some(terms) = self.terms(class) else {
            return Vec::new();
        };
        terms
            .measured()
            .map(|t| SlaClock::started(t, Arc::clone(&terms.calendar), started_at))
            .collect()
    }
}

#[cfg(test)]
mod tests;
