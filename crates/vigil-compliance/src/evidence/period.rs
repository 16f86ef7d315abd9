//! The period a pack covers, as people write it: `FROM..TO`, each a date
//! (`2026-01-01`, cut at midnight in the client's time zone, the last day
//! included) or an RFC 3339 instant (the end excluded).

use std::fmt;

use chrono::{Datelike, Duration, NaiveDate};
use vigil_model::Timestamp;

use super::Span;

/// One end of a period.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bound {
    /// A calendar day in the client's zone.
    Date(NaiveDate),
    /// An instant.
    Instant(Timestamp),
}

/// A period as asked for, before it is cut in a time zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PeriodSpec {
    /// The first day or instant.
    pub from: Bound,
    /// The last day (included) or the instant after the end.
    pub to: Bound,
}

/// A period that cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PeriodError {
    /// Not of the form `FROM..TO`.
    #[error(
        "period `{0}` is not of the form FROM..TO (dates such as 2026-01-01..2026-03-31, or RFC 3339 instants)"
    )]
    Shape(String),
    /// One end is neither a date nor an instant.
    #[error("period end `{0}` is neither a date (YYYY-MM-DD) nor an RFC 3339 instant")]
    End(String),
    /// The end is not after the start.
    #[error("period {from} to {to} is empty: the end must come after the start")]
    Empty {
        /// The start, as cut.
        from: String,
        /// The end, as cut.
        to: String,
    },
}

impl Bound {
    /// Reads a date or an RFC 3339 instant.
    pub fn parse(text: &str) -> Result<Self, PeriodError> {
        let t = text.trim();
        if let Ok(d) = NaiveDate::parse_from_str(t, "%Y-%m-%d") {
            return Ok(Bound::Date(d));
        }
        chrono::DateTime::parse_from_rfc3339(t)
            .map(|at| Bound::Instant(at.to_utc()))
            .map_err(|_| PeriodError::End(text.to_owned()))
    }
}

impl fmt::Display for Bound {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Bound::Date(d) => write!(f, "{d}"),
            Bound::Instant(t) => f.write_str(&t.to_rfc3339()),
        }
    }
}

impl PeriodSpec {
    /// Reads `FROM..TO`.
    pub fn parse(text: &str) -> Result<Self, PeriodError> {
        let (from, to) = text
            .trim()
            .split_once("..")
            .ok_or_else(|| PeriodError::Shape(text.to_owned()))?;
        Ok(Self {
            from: Bound::parse(from)?,
            to: Bound::parse(to)?,
        })
    }

    /// The calendar month of `first_day` (any day of it works), days included.
    pub fn month_of(first_day: NaiveDate) -> Self {
        let start = first_day.with_day0(0).unwrap_or(first_day);
        let next = start
            .checked_add_months(chrono::Months::new(1))
            .unwrap_or(start);
        Self {
            from: Bound::Date(start),
            to: Bound::Date(next.pred_opt().unwrap_or(start)),
        }
    }

    /// The instants it runs between, with dates cut by `midnight` (the
    /// instant a day begins in the client's zone).
    pub fn resolve(&self, midnight: impl Fn(NaiveDate) -> Timestamp) -> Result<Span, PeriodError> {
        let from = match self.from {
            Bound::Date(d) => midnight(d),
            Bound::Instant(t) => t,
        };
        let to = match self.to {
            // The last day is included: the period ends when the next begins.
            Bound::Date(d) => midnight(d + Duration::days(1)),
            Bound::Instant(t) => t,
        };
        if to <= from {
            return Err(PeriodError::Empty {
                from: from.to_rfc3339(),
                to: to.to_rfc3339(),
            });
        }
        Ok(Span { from, to })
    }
}

impl fmt::Display for PeriodSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}..{}", self.from, self.to)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc_midnight(d: NaiveDate) -> Timestamp {
        d.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc()
    }

    #[test]
    fn dates_include_the_last_day_and_instants_exclude_the_end() {
        let today = chrono::Utc::now().date_naive();
        let start = today - Duration::days(10);
        let text = format!("{start}..{today}");
        let span = PeriodSpec::parse(&text)
            .expect("dates")
            .resolve(utc_midnight)
            .expect("span");
        assert_eq!(span.from, utc_midnight(start));
        assert_eq!(span.to, utc_midnight(today + Duration::days(1)));

        let now = chrono::Utc::now();
        let text = format!(
            "{}..{}",
            (now - Duration::hours(3)).to_rfc3339(),
            now.to_rfc3339()
        );
        let span = PeriodSpec::parse(&text)
            .expect("instants")
            .resolve(utc_midnight)
            .expect("span");
        assert_eq!(span.to - span.from, Duration::hours(3));
    }

    #[test]
    fn a_month_runs_from_its_first_to_its_last_day() {
        let day = chrono::Utc::now().date_naive();
        let m = PeriodSpec::month_of(day);
        let Bound::Date(first) = m.from else {
            panic!("a date")
        };
        let Bound::Date(last) = m.to else {
            panic!("a date")
        };
        assert_eq!(first.day(), 1);
        assert_eq!(first.month(), day.month());
        assert_eq!(last.month(), day.month());
        assert_ne!((last + Duration::days(1)).month(), day.month());
    }

    #[test]
    fn bad_periods_say_what_is_wrong() {
        let today = chrono::Utc::now().date_naive();
        assert!(matches!(
            PeriodSpec::parse("last week"),
            Err(PeriodError::Shape(_))
        ));
        let err = PeriodSpec::parse(&format!("{today}..soon")).expect_err("bad end");
        assert_eq!(err, PeriodError::End("soon".into()));
        let backwards = format!("{today}..{}", today - Duration::days(2));
        let err = PeriodSpec::parse(&backwards)
            .expect("parses")
            .resolve(utc_midnight)
            .expect_err("empty");
        assert!(err.to_string().contains("must come after"), "{err}");
    }
}
