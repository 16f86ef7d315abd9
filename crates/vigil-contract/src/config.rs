//! The contract as written in `vigil.toml`, and its validation.
//!
//! A client's contract sits in its `[[tenants]]` table:
//!
//! ```toml
//! [[tenants]]
//! id = "northgate"
//! name = "Northgate Colocation"
//!
//! [tenants.contract]
//! warn_fraction = 0.75          # warn at three quarters of a target (the default)
//! calendar = "24x7"             # the classes' calendar unless they name one (the default)
//! default_class = "P4"          # when no rule matches (default: the least urgent class)
//!
//! [tenants.contract.calendars.office]
//! time_zone = "Europe/London"
//! hours = ["mon-fri 08:00-18:00", "sat 09:00-13:00"]
//! holidays = ["2025-12-25", "2025-12-26"]
//! holiday_files = ["holidays/uk-bank-holidays.ics"]   # relative to vigil.toml's folder
//!
//! [tenants.contract.classes.P1]
//! acknowledge = "5m"
//! notify = "15m"
//! contain = "1h"
//! resolve = "4h"
//! warn_fraction = 0.5           # this class warns at half time
//!
//! [tenants.contract.classes.P3]
//! calendar = "office"
//! acknowledge = "30m"
//! resolve = "3d"                # notify and contain are not measured for P3
//!
//! [[tenants.contract.rules]]
//! category = "physical"
//! min_score = 80
//! class = "P1"
//!
//! [[tenants.contract.rules]]
//! min_score = 90                # alarms scoring 90 or more …
//! min_severity = "critical"     # … and critical incidents
//! class = "P1"
//! ```
//!
//! Durations are written with a unit (`"30s"`, `"15m"`, `"4h"`, `"1d"`,
//! `"1h 30m"`). A missing target is not measured; zero, negative or
//! unparseable ones are refused.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{NaiveDate, TimeDelta};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use vigil_model::Severity;

use crate::calendar::{ALWAYS, ServiceCalendar, WeekHours};
use crate::contract::{Category, ClassRule, ClassTerms, Contract, Measure, PriorityClass};
use crate::error::{ContractError, Problem};
use crate::holidays::{HolidaySet, read_ics_file};

/// The warning fraction when the contract does not state one.
pub const DEFAULT_WARN_FRACTION: f64 = 0.75;

/// The longest target a contract may state.
const MAX_TARGET: TimeDelta = TimeDelta::days(366);

/// A `[tenants.contract]` table as written, before validation.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContractConfig {
    /// Warning fraction for every class that does not state its own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub warn_fraction: Option<f64>,
    /// Calendar for every class that does not name its own (default `24x7`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub calendar: Option<String>,
    /// Class when no rule matches (default: the least urgent defined class).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_class: Option<String>,
    /// Business calendars by name.
    #[serde(default)]
    pub calendars: BTreeMap<String, CalendarConfig>,
    /// Terms by class name (`P1` … `P4`).
    #[serde(default)]
    pub classes: BTreeMap<String, ClassConfig>,
    /// The mapping to classes; first match wins.
    #[serde(default)]
    pub rules: Vec<RuleConfig>,
}

/// A business calendar as written.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CalendarConfig {
    /// IANA time zone of the hours, such as `Europe/London`.
    pub time_zone: String,
    /// Lines like `mon-fri 08:00-18:00`.
    pub hours: Vec<String>,
    /// Holiday dates, `YYYY-MM-DD`.
    #[serde(default)]
    pub holidays: Vec<String>,
    /// iCalendar files of all-day holiday events.
    #[serde(default)]
    pub holiday_files: Vec<String>,
}

/// One class's terms as written.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClassConfig {
    /// `24x7` or a calendar of the contract.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub calendar: Option<String>,
    /// Overrides the contract's warning fraction.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub warn_fraction: Option<f64>,
    /// Time to acknowledge.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acknowledge: Option<DurationText>,
    /// Time to tell the client.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notify: Option<DurationText>,
    /// Time to contain.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contain: Option<DurationText>,
    /// Time to resolve.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolve: Option<DurationText>,
}

/// A duration as written: text with a unit; a bare number is kept only to
/// be refused with a clear message instead of a type error.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum DurationText {
    /// `"15m"` and the like.
    Text(String),
    /// A number without a unit.
    Number(f64),
}

/// One mapping rule as written.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleConfig {
    /// `physical`, `cyber`, `converged` or `environmental` (any when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    /// Alarms scoring at least this (0–100).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_score: Option<f64>,
    /// Alarms scoring at most this (0–100).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_score: Option<f64>,
    /// Incidents at least this severe.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_severity: Option<String>,
    /// The class it assigns.
    pub class: String,
}

impl ContractConfig {
    /// Reads a contract table from TOML text (the body of `[tenants.contract]`).
    pub fn from_toml_str(client: &str, text: &str) -> Result<Self, ContractError> {
        toml::from_str(text).map_err(|e| {
            ContractError::new(
                client,
                "[tenants.contract]",
                Problem::Shape(toml_message(text, &e)),
            )
        })
    }

    /// Reads a contract table from an already parsed TOML value.
    pub fn from_toml_value(client: &str, value: toml::Value) -> Result<Self, ContractError> {
        value.try_into().map_err(|e: toml::de::Error| {
            ContractError::new(
                client,
                "[tenants.contract]",
                Problem::Shape(e.message().to_owned()),
            )
        })
    }

    /// Checks the contract and builds it. Relative holiday files are read
    /// from `base_dir` (the folder of `vigil.toml`), else from the working
    /// folder.
    pub fn validate(
        &self,
        client: &str,
        base_dir: Option<&Path>,
    ) -> Result<Contract, ContractError> {
        let fail = |place: String, problem: Problem| ContractError::new(client, place, problem);

        let warn = match self.warn_fraction {
            Some(f) => check_fraction(f).map_err(|p| fail("warn_fraction".into(), p))?,
            None => DEFAULT_WARN_FRACTION,
        };

        let mut calendars = BTreeMap::new();
        for (name, cal) in &self.calendars {
            let built = build_calendar(name, cal, base_dir)
                .map_err(|(place, p)| fail(format!("calendars.{name}{place}"), p))?;
            calendars.insert(name.clone(), Arc::new(built));
        }
        let always = Arc::new(ServiceCalendar::always());
        let find_calendar = |name: &str| -> Result<Arc<ServiceCalendar>, Problem> {
            if name == ALWAYS {
                return Ok(Arc::clone(&always));
            }
            calendars
                .get(name)
                .cloned()
                .ok_or_else(|| Problem::UnknownCalendar(name.to_owned()))
        };
        let contract_calendar = self.calendar.as_deref().unwrap_or(ALWAYS);
        let default_calendar =
            find_calendar(contract_calendar).map_err(|p| fail("calendar".into(), p))?;

        let mut classes: [Option<ClassTerms>; 4] = Default::default();
        for (name, terms) in &self.classes {
            let place = |field: &str| format!("classes.{name}.{field}");
            let class = PriorityClass::parse(name).ok_or_else(|| {
                fail(
                    format!("classes.{name}"),
                    Problem::UnknownClass(name.clone()),
                )
            })?;
            let calendar = match &terms.calendar {
                Some(c) => find_calendar(c).map_err(|p| fail(place("calendar"), p))?,
                None => Arc::clone(&default_calendar),
            };
            let warn_fraction = match terms.warn_fraction {
                Some(f) => check_fraction(f).map_err(|p| fail(place("warn_fraction"), p))?,
                None => warn,
            };
            let mut targets = [None; 4];
            let written = [
                &terms.acknowledge,
                &terms.notify,
                &terms.contain,
                &terms.resolve,
            ];
            for (measure, text) in Measure::ALL.into_iter().zip(written) {
                if let Some(text) = text {
                    targets[measure.index()] =
                        Some(parse_target(text).map_err(|p| fail(place(measure.as_str()), p))?);
                }
            }
            classes[class.index()] = Some(ClassTerms {
                class,
                calendar,
                warn_fraction,
                targets,
            });
        }

        let defined = |class: PriorityClass, place: String| {
            if classes[class.index()].is_some() {
                Ok(class)
            } else {
                Err(fail(
                    place,
                    Problem::UndefinedClass(class.as_str().to_owned()),
                ))
            }
        };
        let default_class = match &self.default_class {
            Some(name) => {
                let class = PriorityClass::parse(name).ok_or_else(|| {
                    fail("default_class".into(), Problem::UnknownClass(name.clone()))
                })?;
                defined(class, "default_class".into())?
            }
            None => PriorityClass::ALL
                .into_iter()
                .rev()
                .find(|c| classes[c.index()].is_some())
                .ok_or_else(|| fail("classes".into(), Problem::NoClasses))?,
        };

        let mut rules = Vec::with_capacity(self.rules.len());
        for (i, rule) in self.rules.iter().enumerate() {
            let place = |field: &str| format!("rules[{i}].{field}");
            let class = PriorityClass::parse(&rule.class)
                .ok_or_else(|| fail(place("class"), Problem::UnknownClass(rule.class.clone())))?;
            let class = defined(class, place("class"))?;
            let category =
                match &rule.category {
                    Some(c) => Some(c.parse::<Category>().map_err(|_| {
                        fail(place("category"), Problem::UnknownCategory(c.clone()))
                    })?),
                    None => None,
                };
            for (field, score) in [("min_score", rule.min_score), ("max_score", rule.max_score)] {
                if let Some(s) = score
                    && !(0.0..=100.0).contains(&s)
                {
                    return Err(fail(place(field), Problem::ScoreOutOfRange(s)));
                }
            }
            if let (Some(min), Some(max)) = (rule.min_score, rule.max_score)
                && min > max
            {
                return Err(fail(
                    place("min_score"),
                    Problem::EmptyScoreBand { min, max },
                ));
            }
            let min_severity = match &rule.min_severity {
                Some(s) => Some(s.parse::<Severity>().map_err(|_| {
                    fail(place("min_severity"), Problem::UnknownSeverity(s.clone()))
                })?),
                None => None,
            };
            rules.push(ClassRule {
                category,
                min_score: rule.min_score,
                max_score: rule.max_score,
                min_severity,
                class,
            });
        }

        Ok(Contract {
            client: client.to_owned(),
            classes,
            rules,
            default_class,
            calendars,
        })
    }
}

/// A TOML error as one line that starts with the line of `text` it is about.
pub(crate) fn toml_message(text: &str, e: &toml::de::Error) -> String {
    match e.span().and_then(|span| text.get(..span.start)) {
        Some(before) => format!("line {}: {}", before.matches('\n').count() + 1, e.message()),
        None => e.message().to_owned(),
    }
}

fn check_fraction(f: f64) -> Result<f64, Problem> {
    if f > 0.0 && f < 1.0 {
        Ok(f)
    } else {
        Err(Problem::BadWarnFraction(f))
    }
}

/// A target: positive, at most a year, written with a unit.
pub(crate) fn parse_target(text: &DurationText) -> Result<TimeDelta, Problem> {
    let text = match text {
        DurationText::Text(t) => t.trim(),
        DurationText::Number(n) => {
            return Err(Problem::BadDuration {
                text: n.to_string(),
                reason: "a number without a unit".into(),
            });
        }
    };
    if text.starts_with('-') {
        return Err(Problem::NonPositiveDuration(text.to_owned()));
    }
    let std = humantime::parse_duration(text).map_err(|e| Problem::BadDuration {
        text: text.to_owned(),
        reason: e.to_string(),
    })?;
    let d = TimeDelta::from_std(std).map_err(|_| Problem::TooLong(text.to_owned()))?;
    if d <= TimeDelta::zero() {
        return Err(Problem::NonPositiveDuration(text.to_owned()));
    }
    if d > MAX_TARGET {
        return Err(Problem::TooLong(text.to_owned()));
    }
    Ok(d)
}

/// Builds one business calendar; the error's place is relative to `calendars.NAME`.
fn build_calendar(
    name: &str,
    cal: &CalendarConfig,
    base_dir: Option<&Path>,
) -> Result<ServiceCalendar, (String, Problem)> {
    if name == ALWAYS {
        return Err((String::new(), Problem::ReservedCalendar));
    }
    let tz: Tz = cal.time_zone.trim().parse().map_err(|_| {
        (
            ".time_zone".to_owned(),
            Problem::UnknownTimeZone(cal.time_zone.clone()),
        )
    })?;
    let hours =
        WeekHours::parse(&cal.hours).map_err(|e| (format!(".hours[{}]", e.index), e.problem))?;
    let mut holidays = HolidaySet::new();
    for (i, text) in cal.holidays.iter().enumerate() {
        let date = NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d").map_err(|_| {
            (
                format!(".holidays[{i}]"),
                Problem::BadHolidayDate(text.clone()),
            )
        })?;
        holidays.add_date(date);
    }
    for (i, file) in cal.holiday_files.iter().enumerate() {
        let path = resolve_path(file, base_dir);
        let read = read_ics_file(&path).map_err(|p| (format!(".holiday_files[{i}]"), p))?;
        for h in &read {
            holidays.add(h);
        }
    }
    ServiceCalendar::business(name, tz, hours, holidays).map_err(|p| (".hours".to_owned(), p))
}

fn resolve_path(file: &str, base_dir: Option<&Path>) -> PathBuf {
    let path = Path::new(file);
    match base_dir {
        Some(base) if path.is_relative() => base.join(path),
        _ => path.to_path_buf(),
    }
}

#[cfg(test)]
mod tests;
