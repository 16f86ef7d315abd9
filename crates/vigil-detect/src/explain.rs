//! Why a rule matched an event, or did not.
//!
//! Every detection carries a [`MatchDetail`]: the selections that made it
//! and the fields and values that made them hold (what the reference
//! engine calls `matched_selections` and `matched_fields`). It is worked
//! out only for a rule that has matched, after the fast evaluation said
//! so, never while rules are being evaluated. [`crate::RuleSet::explain`]
//! goes further, on demand: whether the event is routed to the rule at
//! all, then every selection, every field test in it, the values the rule
//! compares and the event's values, whether they held or not.

use std::fmt;

use serde::Serialize;

/// What made a detection: its selections and the event's values.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct MatchDetail {
    /// The selections (search identifiers) that held where the condition
    /// needs them to hold, that is not under a `not`, in the rule's order.
    pub selections: Vec<String>,
    /// The fields of those selections whose test held, with the event's
    /// value that satisfied it, in the rule's order.
    pub fields: Vec<MatchedField>,
}

/// One field (or keyword) of a detection and the value that matched.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MatchedField {
    /// The field; `None` for a keyword, which may match any value of the
    /// event.
    pub field: Option<String>,
    /// The event's value, as text.
    pub value: String,
}

/// Why one rule matched one event, or did not, selection by selection.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Explanation {
    /// The rule's id.
    pub rule_id: String,
    /// The rule's title.
    pub rule_title: String,
    /// Where the rule was loaded from.
    pub rule_origin: String,
    /// The rule's log source, as `product windows, category …`.
    pub rule_logsource: String,
    /// The ways the event's log source is seen (see
    /// [`crate::EventLogSource`]), one per view.
    pub event_logsource: Vec<String>,
    /// Whether the event is tested against the rule at all: its log source
    /// fits the rule's.
    pub routed: bool,
    /// The rule's condition over its selections, global filters included,
    /// as compiled (`1 of x*` shows the selections it stands for).
    pub condition: String,
    /// Whether the condition holds on the event.
    pub condition_holds: bool,
    /// Whether the rule matches the event: routed, and the condition holds.
    pub matched: bool,
    /// Every selection, in the rule's order.
    pub selections: Vec<SelectionExplanation>,
}

/// One selection (search identifier) and how it fared.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SelectionExplanation {
    /// Its identifier; a global filter's are `filter N (title): name`.
    pub name: String,
    /// Whether it holds on the event.
    pub holds: bool,
    /// Its tests.
    pub body: Part,
}

/// A part of a selection: its tests as the rule combines them.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Part {
    /// Every part must hold (a YAML map).
    All {
        /// Whether all hold.
        holds: bool,
        /// The parts.
        parts: Vec<Part>,
    },
    /// Some part must hold (a YAML list of maps, or a field mapped to
    /// several names).
    Any {
        /// Whether one holds.
        holds: bool,
        /// The parts.
        parts: Vec<Part>,
    },
    /// One field or keyword test.
    Item(ItemExplanation),
}

impl Part {
    /// Whether this part holds.
    pub fn holds(&self) -> bool {
        match self {
            Part::All { holds, .. } | Part::Any { holds, .. } => *holds,
            Part::Item(item) => item.holds,
        }
    }
}

/// One test of a field (or keyword) and the event's values it compared.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ItemExplanation {
    /// The field; `None` for a keyword test over every value of the event.
    pub field: Option<String>,
    /// What the rule tests, as compiled: Sigma wildcards (`'*\x.exe'` for
    /// `endswith`), case-folded unless marked `(cased)`; `re`, comparisons,
    /// networks and the like by name. Long lists are cut.
    pub test: String,
    /// Whether the test holds (after a `neq`).
    pub holds: bool,
    /// Whether the test is negated (`neq`): it holds when the values do not
    /// match.
    pub negated: bool,
    /// The event's side: the field's values, or its absence.
    pub event: EventValue,
    /// The event's values that satisfied the rule's values.
    pub matching: Vec<String>,
}

/// What an event holds for a field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EventValue {
    /// The event has no such field.
    Absent,
    /// The field is null.
    Null,
    /// The field's values, as text (a list gives several).
    Values(Vec<String>),
    /// A keyword test reads every value of the event.
    Anywhere,
}

/// An event's value is cut to this many characters in text.
const VALUE_CHARS: usize = 160;

impl fmt::Display for Explanation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "rule:       {} ({})", self.rule_title, self.rule_id)?;
        writeln!(f, "file:       {}", self.rule_origin)?;
        writeln!(f, "log source: {}", self.rule_logsource)?;
        let routed = if self.routed {
            "fits the rule's"
        } else {
            "does not fit the rule's: the rule is never tested on this event"
        };
        writeln!(f, "the event:  {routed}")?;
        for view in &self.event_logsource {
            writeln!(f, "            seen as {view}")?;
        }
        writeln!(f, "condition:  {}", self.condition)?;
        writeln!(f, "            {}", yes_no(self.condition_holds))?;
        let result = if self.matched {
            "MATCHES"
        } else {
            "DOES NOT MATCH"
        };
        writeln!(f, "result:     {result}")?;
        for selection in &self.selections {
            writeln!(f)?;
            writeln!(f, "{}: {}", selection.name, yes_no(selection.holds))?;
            write_part(f, &selection.body, 1)?;
        }
        Ok(())
    }
}

fn yes_no(holds: bool) -> &'static str {
    if holds { "holds" } else { "does not hold" }
}

fn write_part(f: &mut fmt::Formatter<'_>, part: &Part, depth: usize) -> fmt::Result {
    let indent = "  ".repeat(depth);
    match part {
        Part::All { parts, .. } if depth == 1 => {
            for p in parts {
                write_part(f, p, depth)?;
            }
            Ok(())
        }
        Part::All { holds, parts } | Part::Any { holds, parts } => {
            let which = if matches!(part, Part::All { .. }) {
                "all of"
            } else {
                "any of"
            };
            writeln!(f, "{indent}{which}: {}", yes_no(*holds))?;
            for p in parts {
                write_part(f, p, depth + 1)?;
            }
            Ok(())
        }
        Part::Item(item) => {
            let mark = if item.holds { "yes" } else { "no " };
            let field = item.field.as_deref().unwrap_or("<keywords>");
            writeln!(f, "{indent}{mark} {field}: {}", item.test)?;
            let event = match &item.event {
                EventValue::Absent => "absent".to_owned(),
                EventValue::Null => "null".to_owned(),
                EventValue::Anywhere if item.matching.is_empty() => {
                    "no value of the event".to_owned()
                }
                EventValue::Anywhere => quoted(&item.matching),
                EventValue::Values(values) => quoted(values),
            };
            writeln!(f, "{indent}    event: {event}")?;
            // Which of several values matched; with one, the event's value says it.
            let all_matched =
                matches!(&item.event, EventValue::Values(values) if *values == item.matching);
            if !item.matching.is_empty()
                && !all_matched
                && !matches!(item.event, EventValue::Anywhere)
            {
                writeln!(f, "{indent}    matched by: {}", quoted(&item.matching))?;
            }
            Ok(())
        }
    }
}

fn quoted(values: &[String]) -> String {
    values
        .iter()
        .map(|v| format!("'{}'", cut(v, VALUE_CHARS)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// At most `chars` characters of `text`, on one line.
fn cut(text: &str, chars: usize) -> String {
    let one_line: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    match one_line.char_indices().nth(chars) {
        Some((at, _)) => format!("{}…", &one_line[..at]),
        None => one_line,
    }
}
