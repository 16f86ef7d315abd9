//! Service calendars: the time an SLA clock counts.
//!
//! A calendar is either round the clock (`24x7`) or business hours per
//! weekday in the client's IANA time zone, less public holidays. Business
//! hours are wall-clock times, so they are resolved to instants day by day:
//!
//! - a wall time that does not exist (inside a spring-forward gap) resolves to
//!   the instant the gap ends, so `01:00-04:00` on Berlin's 23-hour day is
//!   two real hours;
//! - a wall time that exists twice (inside an autumn fold) resolves to the
//!   first time the clock shows it, so the same range on the 25-hour day is
//!   four real hours; ranges that meet (`08:00-12:00`, `12:00-18:00`) still
//!   meet as instants.
//!
//! Arithmetic skips whole weeks: between two changes of UTC offset a week
//! holds exactly the weekly total less its holidays, and a day's ranges are
//! offsets from its midnight, so a span of months costs a few lookups plus
//! day-by-day work only around each change of clocks. Offsets come from a
//! per-zone table of changes (`zone.rs`) and the loop works on integer
//! nanoseconds (`calendar/business.rs`): reading a clock takes a few hundred
//! nanoseconds.

use std::fmt;

use chrono::{NaiveDate, NaiveTime, TimeDelta, Weekday};
use chrono_tz::Tz;
use vigil_model::Timestamp;

use crate::error::{HoursError, Problem};
use crate::holidays::HolidaySet;
use crate::zone::{ZoneTable, epoch_day};
use business::Business;

/// The name of the built-in round-the-clock calendar.
pub const ALWAYS: &str = "24x7";

const DAY_SECS: u32 = 86_400;

const DAY_NAMES: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

/// Business hours for each weekday, in seconds after local midnight.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WeekHours {
    /// Monday first; each day's ranges sorted, disjoint and not touching.
    days: [Vec<(u32, u32)>; 7],
}

impl WeekHours {
    /// Parses lines such as `mon-fri 08:00-18:00`, `sat 09:00-13:00`, or
    /// `mon,wed 08:00-12:00 13:00-17:00`.
    ///
    /// Days are three-letter or full English names, lists with commas and
    /// ranges with a dash (a range may wrap the week: `sun-thu`). Times are
    /// `HH:MM`, the end may be `24:00`, and a range must end after it starts
    /// (overnight hours are written as two ranges, one on each day). Two
    /// ranges that overlap on one day are refused; ranges that meet are joined.
    pub fn parse<S: AsRef<str>>(lines: &[S]) -> Result<Self, HoursError> {
        // (start, end, line index, range text) per weekday, to name both sides of an overlap.
        let mut seen: [Vec<(u32, u32, usize, String)>; 7] = Default::default();
        for (index, line) in lines.iter().enumerate() {
            let line = line.as_ref();
            let fail = |reason: String| HoursError {
                index,
                problem: Problem::BadHours {
                    text: line.to_owned(),
                    reason,
                },
            };
            let mut words = line.split_whitespace();
            let Some(day_spec) = words.next() else {
                return Err(fail(
                    "empty; write days then times, like `mon-fri 08:00-18:00`".into(),
                ));
            };
            let days = parse_days(day_spec).map_err(&fail)?;
            let ranges: Vec<&str> = words.collect();
            if ranges.is_empty() {
                return Err(fail(format!(
                    "no times after `{day_spec}`; add a range like 08:00-18:00"
                )));
            }
            for range in ranges {
                let (start, end) = parse_range(range).map_err(&fail)?;
                for &d in &days {
                    seen[d].push((start, end, index, range.to_owned()));
                }
            }
        }
        let mut week = WeekHours::default();
        for (d, ranges) in seen.iter_mut().enumerate() {
            ranges.sort_by_key(|r| (r.0, r.1));
            for pair in ranges.windows(2) {
                let (a, b) = (&pair[0], &pair[1]);
                if b.0 < a.1 {
                    return Err(HoursError {
                        index: a.2.max(b.2),
                        problem: Problem::OverlappingHours {
                            day: DAY_NAMES[d].to_owned(),
                            first: format!("{} (hours[{}])", a.3, a.2),
                            second: format!("{} (hours[{}])", b.3, b.2),
                        },
                    });
                }
            }
            for &(start, end, _, _) in ranges.iter() {
                match week.days[d].last_mut() {
                    Some(last) if last.1 == start => last.1 = end,
                    _ => week.days[d].push((start, end)),
                }
            }
        }
        Ok(week)
    }

    /// Business seconds in a whole week.
    pub fn weekly_seconds(&self) -> i64 {
        self.days
            .iter()
            .flatten()
            .map(|(s, e)| i64::from(e - s))
            .sum()
    }

    /// The ranges of one weekday, in seconds after local midnight.
    pub fn ranges(&self, day: Weekday) -> &[(u32, u32)] {
        &self.days[day.num_days_from_monday() as usize]
    }
}

fn parse_days(spec: &str) -> Result<Vec<usize>, String> {
    let mut days = Vec::new();
    for part in spec.split(',') {
        let (from, to) = match part.split_once('-') {
            Some((a, b)) => (day_index(a)?, day_index(b)?),
            None => {
                let d = day_index(part)?;
                (d, d)
            }
        };
        let mut d = from;
        loop {
            if !days.contains(&d) {
                days.push(d);
            }
            if d == to {
                break;
            }
            d = (d + 1) % 7;
        }
    }
    Ok(days)
}

fn day_index(name: &str) -> Result<usize, String> {
    const FULL: [&str; 7] = [
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
        "sunday",
    ];
    let lower = name.trim().to_ascii_lowercase();
    DAY_NAMES
        .iter()
        .position(|d| *d == lower)
        .or_else(|| FULL.iter().position(|d| *d == lower))
        .ok_or_else(|| format!("`{name}` is not a day; use mon, tue, wed, thu, fri, sat, sun"))
}

fn parse_range(text: &str) -> Result<(u32, u32), String> {
    let (a, b) = text
        .split_once('-')
        .ok_or_else(|| format!("`{text}` is not a range of times like 08:00-18:00"))?;
    let start = parse_clock(a)?;
    let end = parse_clock(b)?;
    if start == DAY_SECS {
        return Err(format!(
            "`{text}` starts at 24:00; a range starts before midnight"
        ));
    }
    if end <= start {
        return Err(format!(
            "`{text}` ends before it starts; write overnight hours as two ranges, one on each day"
        ));
    }
    Ok((start, end))
}

fn parse_clock(text: &str) -> Result<u32, String> {
    let bad = || format!("`{text}` is not a time of day (HH:MM, 00:00 to 24:00)");
    let (h, m) = text.split_once(':').ok_or_else(bad)?;
    if h.is_empty() || h.len() > 2 || m.len() != 2 {
        return Err(bad());
    }
    let h: u32 = h.parse().map_err(|_| bad())?;
    let m: u32 = m.parse().map_err(|_| bad())?;
    if m > 59 || h > 24 || (h == 24 && m != 0) {
        return Err(bad());
    }
    Ok(h * 3600 + m * 60)
}

/// When an SLA clock counts: round the clock, or business hours in a time zone.
#[derive(Clone, PartialEq)]
pub struct ServiceCalendar {
    name: String,
    kind: Kind,
}

#[derive(Clone, PartialEq)]
enum Kind {
    Always,
    Business(Box<Business>),
}

impl fmt::Debug for ServiceCalendar {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            Kind::Always => write!(f, "ServiceCalendar({ALWAYS})"),
            Kind::Business(b) => write!(
                f,
                "ServiceCalendar({}: {}, {} h/week, {} holiday dates)",
                self.name,
                b.zone.tz().name(),
                b.week_total_ns as f64 / 3.6e12,
                b.holidays.len()
            ),
        }
    }
}

impl ServiceCalendar {
    /// The round-the-clock calendar: every instant counts.
    pub fn always() -> Self {
        Self {
            name: ALWAYS.to_owned(),
            kind: Kind::Always,
        }
    }

    /// Business hours in `time_zone`, less `holidays`. Refused without any hours.
    pub fn business(
        name: impl Into<String>,
        time_zone: Tz,
        hours: WeekHours,
        holidays: HolidaySet,
    ) -> Result<Self, Problem> {
        if hours.weekly_seconds() <= 0 {
            return Err(Problem::NoHours);
        }
        Ok(Self {
            name: name.into(),
            kind: Kind::Business(Box::new(Business::new(
                ZoneTable::for_zone(time_zone),
                hours,
                holidays,
            ))),
        })
    }

    /// The calendar's name (`24x7` or the contract's name for it).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Whether every instant counts.
    pub fn is_always(&self) -> bool {
        matches!(self.kind, Kind::Always)
    }

    /// The time zone business hours are in (`None` for `24x7`).
    pub fn time_zone(&self) -> Option<Tz> {
        match &self.kind {
            Kind::Always => None,
            Kind::Business(b) => Some(b.zone.tz()),
        }
    }

    /// The business hours (`None` for `24x7`).
    pub fn hours(&self) -> Option<&WeekHours> {
        match &self.kind {
            Kind::Always => None,
            Kind::Business(b) => Some(&b.week),
        }
    }

    /// Whether the instant is inside the calendar's hours.
    pub fn contains(&self, t: Timestamp) -> bool {
        match &self.kind {
            Kind::Always => true,
            Kind::Business(b) => {
                let n = business::to_ns(t);
                b.windows(b.local_day(n))
                    .iter()
                    .any(|(s, e)| *s <= n && n < *e)
            }
        }
    }

    /// The business windows of one local date, as instants (empty on a
    /// holiday; the whole UTC day for `24x7`).
    pub fn windows_on(&self, date: NaiveDate) -> Vec<(Timestamp, Timestamp)> {
        match &self.kind {
            Kind::Always => {
                let start = date.and_time(NaiveTime::MIN).and_utc();
                vec![(start, start + TimeDelta::days(1))]
            }
            Kind::Business(b) => b
                .windows(epoch_day(date))
                .into_iter()
                .map(|(s, e)| (business::from_ns(s), business::from_ns(e)))
                .collect(),
        }
    }

    /// Calendar time inside `[a, b)`; zero when `b` is not after `a`.
    ///
    /// On a business calendar, instants before 1900 or after 2199 are taken
    /// as the nearest of those years' ends.
    pub fn business_time_between(&self, a: Timestamp, b: Timestamp) -> TimeDelta {
        if b <= a {
            return TimeDelta::zero();
        }
        match &self.kind {
            Kind::Always => b - a,
            Kind::Business(cal) => {
                TimeDelta::nanoseconds(cal.between(business::to_ns(a), business::to_ns(b)))
            }
        }
    }

    /// The first instant at which `d` of calendar time has elapsed after
    /// `start` (`start` itself when `d` is zero or less).
    ///
    /// A result that falls exactly at the end of a window is that end, not
    /// the next opening: the target is reached when the time is used up. A
    /// result past the 2250s (a calendar whose every business day is a
    /// holiday) is [`Timestamp::MAX_UTC`], meaning never.
    pub fn add_business_time(&self, start: Timestamp, d: TimeDelta) -> Timestamp {
        if d <= TimeDelta::zero() {
            return start;
        }
        match &self.kind {
            Kind::Always => start.checked_add_signed(d).unwrap_or(Timestamp::MAX_UTC),
            Kind::Business(cal) => cal
                .add(business::to_ns(start), business::delta_ns(d))
                .map_or(Timestamp::MAX_UTC, business::from_ns),
        }
    }
}

mod business;
#[cfg(test)]
mod tests;
