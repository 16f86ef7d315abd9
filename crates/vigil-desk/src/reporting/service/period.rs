//! The month a service report covers, in the client's time zone, and the
//! ISO weeks its trends are drawn over.

use std::fmt;
use std::str::FromStr;

use chrono::{Datelike, Duration, NaiveDate, TimeZone};
use chrono_tz::Tz;
use serde::{Serialize, Serializer};
use vigil_contract::{Contract, PriorityClass};
use vigil_model::{Site, Timestamp};

/// How many months the trends cover, the report's month included.
pub const TREND_MONTHS: u32 = 3;

/// A calendar month, written `YYYY-MM`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Month {
    /// The year (1970–9999).
    pub year: i32,
    /// The month, 1–12.
    pub month: u32,
}

/// Why a month could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MonthError {
    /// Not of the form `YYYY-MM`.
    #[error("month `{0}` is not of the form YYYY-MM (e.g. 2026-03)")]
    Shape(String),
    /// The month number is not 1–12.
    #[error("month `{0}` has no month {1}; months are 01 to 12")]
    MonthNumber(String, u32),
    /// The year is outside what the report handles.
    #[error("month `{0}` has year {1}; years 1970 to 9999 are reported")]
    Year(String, i32),
}

impl Month {
    /// The month `text` names (`2026-03`).
    pub fn parse(text: &str) -> Result<Self, MonthError> {
        let shape = || MonthError::Shape(text.to_owned());
        let (y, m) = text.trim().split_once('-').ok_or_else(shape)?;
        if y.len() != 4 || m.len() != 2 || !y.bytes().chain(m.bytes()).all(|b| b.is_ascii_digit()) {
            return Err(shape());
        }
        let year: i32 = y.parse().map_err(|_| shape())?;
        let month: u32 = m.parse().map_err(|_| shape())?;
        if !(1..=12).contains(&month) {
            return Err(MonthError::MonthNumber(text.to_owned(), month));
        }
        if year < 1970 {
            return Err(MonthError::Year(text.to_owned(), year));
        }
        Ok(Self { year, month })
    }

    /// The month `n` months before this one.
    pub fn minus(self, n: u32) -> Self {
        let index = self.year * 12 + self.month as i32 - 1 - n as i32;
        Self {
            year: index.div_euclid(12),
            month: index.rem_euclid(12) as u32 + 1,
        }
    }

    /// The month after this one.
    pub fn next(self) -> Self {
        let index = self.year * 12 + self.month as i32;
        Self {
            year: index.div_euclid(12),
            month: index.rem_euclid(12) as u32 + 1,
        }
    }

    /// Its first day.
    pub fn first_day(self) -> NaiveDate {
        // Month::parse and minus/next keep year and month in range.
        NaiveDate::from_ymd_opt(self.year, self.month, 1).unwrap_or(NaiveDate::MIN)
    }

    /// The instant its first day begins in `tz`.
    pub fn start_in(self, tz: Tz) -> Timestamp {
        local_midnight(self.first_day(), tz)
    }
}

impl FromStr for Month {
    type Err = MonthError;
    fn from_str(s: &str) -> Result<Self, MonthError> {
        Self::parse(s)
    }
}

impl fmt::Display for Month {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

impl Serialize for Month {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// The instant `date` begins in `tz`. Where midnight does not exist (a
/// zone that springs forward at midnight) it is the first instant that does.
pub fn local_midnight(date: NaiveDate, tz: Tz) -> Timestamp {
    let mut t = date.and_hms_opt(0, 0, 0).unwrap_or_default();
    for _ in 0..4 {
        if let Some(at) = tz.from_local_datetime(&t).earliest() {
            return at.to_utc();
        }
        t += Duration::minutes(30);
    }
    date.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc()
}

/// The time zone a client's report is cut in: its contract's business
/// calendar's (the zone its service hours are kept in), else the zone most
/// of its sites are in (sites carry an IANA zone for people reading times;
/// a tie goes to the site whose id sorts first), else UTC. A report over
/// every client is cut in UTC.
pub fn report_time_zone(contract: Option<&Contract>, sites: &[Site]) -> Tz {
    if let Some(tz) = contract.and_then(|c| {
        PriorityClass::ALL
            .iter()
            .filter_map(|k| c.terms(*k))
            .find_map(|t| t.calendar.time_zone())
    }) {
        return tz;
    }
    let mut sites: Vec<&Site> = sites.iter().collect();
    sites.sort_by(|a, b| a.id.as_str().cmp(b.id.as_str()));
    let zones: Vec<Tz> = sites
        .iter()
        .filter_map(|s| s.timezone.parse::<Tz>().ok())
        .collect();
    let mut best: Option<(usize, Tz)> = None;
    for tz in &zones {
        let n = zones.iter().filter(|z| *z == tz).count();
        if best.is_none_or(|(m, _)| n > m) {
            best = Some((n, *tz));
        }
    }
    best.map_or(Tz::UTC, |(_, tz)| tz)
}

/// The instants a report covers.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Period {
    /// The month.
    pub month: Month,
    /// The IANA zone its boundaries are in.
    pub time_zone: String,
    /// The month's first instant (local midnight on the 1st).
    pub from: Timestamp,
    /// The next month's first instant (excluded).
    pub to: Timestamp,
    /// The first instant of the trends: [`TREND_MONTHS`] months, this one included.
    pub trend_from: Timestamp,
    /// The ISO weeks the trends are drawn over.
    pub weeks: Vec<Week>,
    #[serde(skip)]
    tz: Tz,
}

/// One ISO week of the trends, clipped to them.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Week {
    /// `2026-W14`.
    pub label: String,
    /// Its first instant (Monday 00:00 local, or the trends' start).
    pub from: Timestamp,
    /// Its end, excluded (next Monday, or the month's end).
    pub to: Timestamp,
    /// Whether the trends' bounds cut it short.
    pub partial: bool,
}

impl Period {
    /// `month` cut in `tz`.
    pub fn new(month: Month, tz: Tz) -> Self {
        let from = month.start_in(tz);
        let to = month.next().start_in(tz);
        let trend_from = month.minus(TREND_MONTHS - 1).start_in(tz);
        let mut weeks = Vec::new();
        let first = month.minus(TREND_MONTHS - 1).first_day();
        let mut monday = first - Duration::days(i64::from(first.weekday().num_days_from_monday()));
        while local_midnight(monday, tz) < to {
            let start = local_midnight(monday, tz);
            let end = local_midnight(monday + Duration::days(7), tz);
            let iso = monday.iso_week();
            weeks.push(Week {
                label: format!("{}-W{:02}", iso.year(), iso.week()),
                from: start.max(trend_from),
                to: end.min(to),
                partial: start < trend_from || end > to,
            });
            monday += Duration::days(7);
        }
        Self {
            month,
            time_zone: tz.name().to_owned(),
            from,
            to,
            trend_from,
            weeks,
            tz,
        }
    }

    /// The zone.
    pub fn tz(&self) -> Tz {
        self.tz
    }

    /// Whether `t` is in the month.
    pub fn in_month(&self, t: Timestamp) -> bool {
        self.from <= t && t < self.to
    }

    /// Whether `t` is in the trends' months.
    pub fn in_trend(&self, t: Timestamp) -> bool {
        self.trend_from <= t && t < self.to
    }

    /// The label of the week `t` falls in, if it is in the trends.
    pub fn week_of(&self, t: Timestamp) -> Option<&Week> {
        self.weeks.iter().find(|w| w.from <= t && t < w.to)
    }

    /// The end of what can be measured at `as_of`: the month's end, or
    /// `as_of` if the month is not over.
    pub fn measured_to(&self, as_of: Timestamp) -> Timestamp {
        self.to.min(as_of).max(self.from)
    }
}
