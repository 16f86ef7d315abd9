//! Business-time arithmetic on whole numbers.
//!
//! chrono's `DateTime` arithmetic works the calendar date out again on every
//! `+` and `-`; in a loop over weeks and days that was most of the cost of
//! reading a clock (about 2 µs for a clock open a month). Here instants are
//! nanoseconds since 1970 and days are local day numbers since 1970, and a
//! [`Walk`] remembers until when midnights are known to fall every 24 hours
//! (the next change of offset), so only days around a change need a lookup.

use std::sync::Arc;

use chrono::{DateTime, TimeDelta};
use vigil_model::Timestamp;

use super::WeekHours;
use crate::holidays::HolidaySet;
use crate::zone::{ZoneTable, epoch_day};

const NS: i64 = 1_000_000_000;
const DAY_SECS: i64 = 86_400;
const DAY_NS: i64 = DAY_SECS * NS;
const WEEK_NS: i64 = 7 * DAY_NS;
/// Instants are clamped to 1900-01-01 .. 2200-01-01 so that the arithmetic
/// below cannot overflow.
const MIN_NS: i64 = -2_208_988_800 * NS;
const MAX_NS: i64 = 7_258_118_400 * NS;
/// Searching stops here (in 2255, short of `i64` nanoseconds' end in 2262):
/// a calendar whose every business day is a holiday would search forever.
const HORIZON_NS: i64 = 9_000_000_000 * NS;

/// An instant as clamped nanoseconds since 1970.
pub(super) fn to_ns(t: Timestamp) -> i64 {
    match t.timestamp_nanos_opt() {
        Some(n) => n.clamp(MIN_NS, MAX_NS),
        None if t.timestamp() < 0 => MIN_NS,
        None => MAX_NS,
    }
}

/// Nanoseconds since 1970 as an instant.
pub(super) fn from_ns(n: i64) -> Timestamp {
    DateTime::from_timestamp_nanos(n)
}

/// A duration in nanoseconds (saturating: nothing that long is ever reached).
pub(super) fn delta_ns(d: TimeDelta) -> i64 {
    d.num_nanoseconds().unwrap_or(i64::MAX)
}

/// Business hours in a zone, less holidays.
#[derive(Clone, PartialEq)]
pub(super) struct Business {
    pub(super) zone: Arc<ZoneTable>,
    pub(super) week: WeekHours,
    /// Ranges per weekday, Monday first, in seconds after local midnight.
    ranges: [Vec<(i64, i64)>; 7],
    pub(super) week_total_ns: i64,
    /// Business time of each weekday, Monday first.
    day_total_ns: [i64; 7],
    pub(super) holidays: HolidaySet,
    /// The holidays as local day numbers since 1970, sorted.
    holiday_days: Vec<i64>,
}

impl Business {
    pub(super) fn new(zone: Arc<ZoneTable>, week: WeekHours, holidays: HolidaySet) -> Self {
        let ranges = std::array::from_fn(|d| {
            week.days[d]
                .iter()
                .map(|&(s, e)| (i64::from(s), i64::from(e)))
                .collect()
        });
        let holiday_days = holidays.dates().iter().map(|d| epoch_day(*d)).collect();
        let day_total_ns = std::array::from_fn(|d| {
            week.days[d]
                .iter()
                .map(|&(s, e)| i64::from(e - s) * NS)
                .sum()
        });
        Self {
            day_total_ns,
            zone,
            week_total_ns: week.weekly_seconds() * NS,
            week,
            ranges,
            holidays,
            holiday_days,
        }
    }

    /// Monday = 0 for a day number (1970-01-01 was a Thursday).
    fn weekday(day: i64) -> usize {
        (day + 3).rem_euclid(7) as usize
    }

    fn is_holiday(&self, day: i64) -> bool {
        self.holiday_days.binary_search(&day).is_ok()
    }

    /// The local day number of an instant.
    pub(super) fn local_day(&self, n: i64) -> i64 {
        self.zone.local_day(n.div_euclid(NS))
    }

    /// The instant a wall time of a day stands for.
    fn wall(&self, day: i64, secs: i64) -> i64 {
        self.zone
            .resolve_secs(day * DAY_SECS + secs)
            .saturating_mul(NS)
    }

    fn midnight(&self, day: i64) -> i64 {
        self.wall(day, 0)
    }

    /// Whether the days from midnight `m0` to midnight `m1` are `len` long
    /// with no change of UTC offset between, so that their wall times are
    /// offsets from `m0`. The length alone would miss changes that cancel out
    /// within a week; the table alone would miss a midnight that fell in a
    /// gap (the day then starts at the gap's end, not at 00:00).
    fn steady(&self, m0: i64, m1: i64, len: i64) -> bool {
        m1 - m0 == len
            && self
                .zone
                .steady(m0.div_euclid(NS), m1.div_euclid(NS))
                .unwrap_or(true)
    }

    /// One range of a day as instants, given the day's midnight.
    fn window(&self, day: i64, m0: i64, regular: bool, (s, e): (i64, i64)) -> (i64, i64) {
        if regular {
            // No offset change inside a 24-hour day: wall time is an offset from midnight.
            (m0 + s * NS, m0 + e * NS)
        } else {
            (self.wall(day, s), self.wall(day, e))
        }
    }

    /// The day's windows as instants (none on a holiday).
    pub(super) fn windows(&self, day: i64) -> Vec<(i64, i64)> {
        if self.is_holiday(day) {
            return Vec::new();
        }
        let (m0, m1) = (self.midnight(day), self.midnight(day + 1));
        self.ranges[Self::weekday(day)]
            .iter()
            .map(|r| self.window(day, m0, self.steady(m0, m1, DAY_NS), *r))
            .collect()
    }

    /// A walk starting on the local day of `t`.
    fn walk_from(&self, t: i64) -> Walk {
        let day = self.local_day(t);
        let m0 = self.midnight(day);
        Walk {
            day,
            m0,
            known_until: self.known_until(m0),
        }
    }

    /// The instant before which midnights after `m0` fall every 24 hours:
    /// the next offset change, when `m0` is a wall midnight inside the
    /// table. A midnight at a change instant may be the end of a gap (the
    /// day then starts late), so nothing is assumed from it.
    fn known_until(&self, m0: i64) -> i64 {
        match self.zone.span_around(m0.div_euclid(NS)) {
            Some((start, next)) if start.saturating_mul(NS) != m0 => next.saturating_mul(NS),
            _ => m0,
        }
    }

    /// Moves the walk on by `days` to midnight `m`.
    fn advance(&self, w: &mut Walk, days: i64, m: i64) {
        w.day += days;
        w.m0 = m;
        if w.m0 + DAY_NS >= w.known_until {
            w.known_until = self.known_until(m);
        }
    }

    /// The next midnight, and whether the current day is steady.
    fn next_midnight(&self, w: &Walk) -> (i64, bool) {
        if w.m0 + DAY_NS < w.known_until {
            (w.m0 + DAY_NS, true)
        } else {
            let m1 = self.midnight(w.day + 1);
            (m1, self.steady(w.m0, m1, DAY_NS))
        }
    }

    /// How many whole weeks from the walk's day, at most `max_weeks`, hold
    /// no change of UTC offset, with the midnight after them and the
    /// business time in them (the weekly total each, less the holidays);
    /// `None` when not even one week does. Jumping to the next offset change
    /// at once keeps a span of months to a few lookups.
    fn clear_weeks(&self, w: &Walk, max_weeks: i64) -> Option<(i64, i64, i64)> {
        if max_weeks < 1 {
            return None;
        }
        let (weeks, m_end) = if w.known_until > w.m0 {
            // The next change is known: the weeks before it are clear.
            let weeks = max_weeks.min((w.known_until - w.m0 - 1) / WEEK_NS);
            (weeks, w.m0 + weeks * WEEK_NS)
        } else {
            // Beyond the table, or from a midnight at a change: look.
            let m7 = self.midnight(w.day + 7);
            (i64::from(self.steady(w.m0, m7, WEEK_NS)), m7)
        };
        if weeks < 1 {
            return None;
        }
        let end_day = w.day + 7 * weeks;
        let from = self.holiday_days.partition_point(|h| *h < w.day);
        let until = self.holiday_days.partition_point(|h| *h < end_day);
        let off: i64 = self.holiday_days[from..until]
            .iter()
            .map(|h| self.day_total_ns[Self::weekday(*h)])
            .sum();
        Some((weeks, m_end, weeks * self.week_total_ns - off))
    }

    /// Business nanoseconds in `[a, b)`.
    pub(super) fn between(&self, a: i64, b: i64) -> i64 {
        let mut total = 0;
        let mut w = self.walk_from(a);
        while w.m0 < b {
            if w.m0 >= a
                && let Some((weeks, m_end, business)) = self.clear_weeks(&w, (b - w.m0) / WEEK_NS)
                && m_end <= b
            {
                total += business;
                self.advance(&mut w, 7 * weeks, m_end);
                continue;
            }
            let (m1, steady) = self.next_midnight(&w);
            if !self.is_holiday(w.day) {
                for r in &self.ranges[Self::weekday(w.day)] {
                    let (s, e) = self.window(w.day, w.m0, steady, *r);
                    let (s, e) = (s.max(a), e.min(b));
                    if e > s {
                        total += e - s;
                    }
                }
            }
            self.advance(&mut w, 1, m1);
        }
        total
    }

    /// The first instant `d` nanoseconds of business time after `start`,
    /// or `None` if there is none before the search horizon.
    pub(super) fn add(&self, start: i64, d: i64) -> Option<i64> {
        let mut remaining = d;
        let mut w = self.walk_from(start);
        while w.m0 < HORIZON_NS {
            // Only weeks that leave some time over (holidays only leave more):
            // the answer lies beyond them.
            if w.m0 >= start
                && let Some((weeks, m_end, business)) =
                    self.clear_weeks(&w, (remaining - 1) / self.week_total_ns)
            {
                remaining -= business;
                self.advance(&mut w, 7 * weeks, m_end);
                continue;
            }
            let (m1, steady) = self.next_midnight(&w);
            if !self.is_holiday(w.day) {
                for r in &self.ranges[Self::weekday(w.day)] {
                    let (s, e) = self.window(w.day, w.m0, steady, *r);
                    let s = s.max(start);
                    if e <= s {
                        continue;
                    }
                    if remaining <= e - s {
                        return Some(s + remaining);
                    }
                    remaining -= e - s;
                }
            }
            self.advance(&mut w, 1, m1);
        }
        None
    }
}

/// A walk over local days: the day, its midnight, and the instant before
/// which later midnights are known to fall every 24 hours.
struct Walk {
    day: i64,
    m0: i64,
    known_until: i64,
}
