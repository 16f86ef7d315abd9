//! What can be wrong with a contract, and where.

use std::fmt;

/// A contract was refused: names the client, the place in its
/// `[tenants.contract]` table, and the problem.
///
/// The place is a dotted path as the operator wrote it, such as
/// `classes.P2.acknowledge` or `calendars.office.hours[1]`, so the message
/// can be acted on without reading code.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("contract of client `{client}`, at `{place}`: {problem}")]
pub struct ContractError {
    /// The client (tenant id) whose contract it is, or `default`.
    pub client: String,
    /// Where in the contract table.
    pub place: String,
    /// What is wrong there.
    pub problem: Problem,
}

impl ContractError {
    pub(crate) fn new(client: &str, place: impl Into<String>, problem: Problem) -> Self {
        Self {
            client: client.to_owned(),
            place: place.into(),
            problem,
        }
    }
}

/// What is wrong with one place of a contract.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Problem {
    /// The table does not have the contract's shape (a misspelt key, a wrong type).
    #[error("{0}")]
    Shape(String),
    /// A tenant id that is not a valid slug.
    #[error("{0}")]
    BadTenantId(String),
    /// A priority class name that is not P1–P4.
    #[error("unknown priority class `{0}`; expected P1, P2, P3 or P4")]
    UnknownClass(String),
    /// A class is referred to but has no `[classes.Px]` table.
    #[error("class {0} is used here but the contract has no [classes.{0}] table")]
    UndefinedClass(String),
    /// The contract defines no class at all.
    #[error("the contract defines no priority class; add at least one [classes.Px] table")]
    NoClasses,
    /// A duration that does not parse.
    #[error(
        "`{text}` is not a duration ({reason}); write it like \"15m\", \"4h\", \"30s\" or \"1d\""
    )]
    BadDuration {
        /// What was written.
        text: String,
        /// Why it does not parse.
        reason: String,
    },
    /// A target of zero or less.
    #[error("target `{0}` must be longer than zero; leave the target out to not measure it")]
    NonPositiveDuration(String),
    /// A target longer than the longest one the clocks accept.
    #[error("target `{0}` is longer than a year (366d), which no clock measures")]
    TooLong(String),
    /// A warning fraction outside (0, 1).
    #[error(
        "warning fraction {0} must be between 0 and 1, exclusive (0.75 warns at three quarters)"
    )]
    BadWarnFraction(f64),
    /// A calendar name that is neither `24x7` nor defined.
    #[error("unknown calendar `{0}`; use \"24x7\" or define it under [calendars.{0}]")]
    UnknownCalendar(String),
    /// A calendar table named like the built-in one.
    #[error("`24x7` is the built-in round-the-clock calendar and cannot be redefined")]
    ReservedCalendar,
    /// A time zone the IANA database does not know.
    #[error("`{0}` is not an IANA time zone (like \"Europe/London\" or \"America/New_York\")")]
    UnknownTimeZone(String),
    /// A line of business hours that does not parse.
    #[error("hours `{text}`: {reason}")]
    BadHours {
        /// The line as written.
        text: String,
        /// Why it does not parse.
        reason: String,
    },
    /// Two ranges of business hours overlap on one weekday.
    #[error("hours overlap on {day}: {first} and {second}")]
    OverlappingHours {
        /// The weekday.
        day: String,
        /// The earlier range, with the line it came from.
        first: String,
        /// The later range, with the line it came from.
        second: String,
    },
    /// A business calendar without any hours.
    #[error("a business calendar needs at least one range of hours (or use \"24x7\")")]
    NoHours,
    /// A holiday date that does not parse.
    #[error("`{0}` is not a date; write holidays as YYYY-MM-DD")]
    BadHolidayDate(String),
    /// A holiday file that cannot be read at all.
    #[error("holiday file `{path}` cannot be read: {reason}")]
    HolidayFileUnreadable {
        /// The file.
        path: String,
        /// The operating system's or decoder's reason.
        reason: String,
    },
    /// A holiday file with a line that is wrong.
    #[error("holiday file `{path}`, line {line}: {reason}")]
    HolidayFile {
        /// The file.
        path: String,
        /// The 1-based line of the file.
        line: usize,
        /// What is wrong on it.
        reason: String,
    },
    /// A category that is not one of the four.
    #[error("unknown category `{0}`; expected physical, cyber, converged or environmental")]
    UnknownCategory(String),
    /// A severity that is not one of Vigil's.
    #[error("unknown severity `{0}`; expected low, medium, high or critical")]
    UnknownSeverity(String),
    /// A score bound outside the desk's 0–100 scale.
    #[error("score {0} is outside the desk's scale of 0 to 100")]
    ScoreOutOfRange(f64),
    /// A score band that no score falls in.
    #[error("min_score {min} is above max_score {max}, so the rule can never match")]
    EmptyScoreBand {
        /// The lower bound.
        min: f64,
        /// The upper bound.
        max: f64,
    },
}

/// A line of an iCalendar file that is wrong (before the file's name is known).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {reason}")]
pub struct IcsError {
    /// The 1-based physical line of the file (the first line of a folded one).
    pub line: usize,
    /// What is wrong on it.
    pub reason: String,
}

/// A line of business hours that was refused, before the calendar's name is known.
#[derive(Debug, Clone, PartialEq)]
pub struct HoursError {
    /// Which line of the `hours` list (0-based, as in `hours[1]`).
    pub index: usize,
    /// What is wrong.
    pub problem: Problem,
}

impl fmt::Display for HoursError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "hours[{}]: {}", self.index, self.problem)
    }
}

impl std::error::Error for HoursError {}
