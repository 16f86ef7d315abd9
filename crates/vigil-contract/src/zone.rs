//! UTC offsets of a time zone as a table of their changes.
//!
//! `chrono-tz` answers each conversion with a search of its own spans, about
//! 70 ns each here, and business-time arithmetic needs one or two for every
//! day it crosses. chrono-tz does not expose its spans, so the changes are
//! found once per zone per process by sampling the offset every day from
//! 1970 to 2100 and bisecting each change to the second (a few ms), and
//! shared by every calendar in that zone. Outside those years, and for the
//! few wall times the table cannot place, chrono-tz is asked directly.
//!
//! Sampling daily would miss a pair of changes that cancel out within one
//! day; sampling every zone of chrono-tz 0.10.4 hourly from 1970 to 2100
//! found none. (Pairs a week apart do exist, such as Recife's one week of
//! summer time in 2000, which is why calendars ask this table whether a week
//! holds any change rather than comparing its two ends.)

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use chrono::offset::LocalResult;
use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime, Offset, TimeZone};
use chrono_tz::Tz;
use vigil_model::Timestamp;

const DAY: i64 = 86_400;
/// 1970-01-01 and 2101-01-01 as Unix seconds.
const TABLE_FROM: i64 = 0;
const TABLE_UNTIL: i64 = 4_133_980_800;
/// Days from 0001-01-01 (day 1 of the common era) to 1970-01-01.
const EPOCH_DAYS_FROM_CE: i64 = 719_163;

/// A stretch of constant UTC offset.
#[derive(Debug, Clone, Copy)]
struct Span {
    /// First UTC second of the span.
    utc_start: i64,
    /// Offset from UTC in seconds.
    offset: i64,
    /// `utc_start + offset`: the wall time the span starts at.
    local_start: i64,
}

/// A zone's offset changes between 1970 and 2100.
#[derive(Debug)]
pub(crate) struct ZoneTable {
    tz: Tz,
    spans: Vec<Span>,
}

impl PartialEq for ZoneTable {
    fn eq(&self, other: &Self) -> bool {
        self.tz == other.tz
    }
}

/// A date as a day number since 1970-01-01.
pub(crate) fn epoch_day(date: NaiveDate) -> i64 {
    i64::from(date.num_days_from_ce()) - EPOCH_DAYS_FROM_CE
}

#[cfg(test)]
fn date_of_local_secs(local: i64) -> Option<NaiveDate> {
    let days = local.div_euclid(DAY) + EPOCH_DAYS_FROM_CE;
    NaiveDate::from_num_days_from_ce_opt(i32::try_from(days).ok()?)
}

fn offset_from_chrono(tz: Tz, utc: i64) -> i64 {
    DateTime::from_timestamp(utc, 0).map_or(0, |t| {
        i64::from(
            tz.offset_from_utc_datetime(&t.naive_utc())
                .fix()
                .local_minus_utc(),
        )
    })
}

impl ZoneTable {
    /// The shared table of a zone, built on first use.
    pub(crate) fn for_zone(tz: Tz) -> Arc<ZoneTable> {
        static CACHE: OnceLock<Mutex<HashMap<Tz, Arc<ZoneTable>>>> = OnceLock::new();
        let cache = CACHE.get_or_init(Default::default);
        // A poisoned lock only means another thread panicked mid-insert; the map is still sound.
        let mut map = cache.lock().unwrap_or_else(|e| e.into_inner());
        Arc::clone(map.entry(tz).or_insert_with(|| Arc::new(Self::build(tz))))
    }

    fn build(tz: Tz) -> ZoneTable {
        let offset = |utc: i64| offset_from_chrono(tz, utc);
        let first = offset(TABLE_FROM);
        let mut spans = vec![Span {
            utc_start: TABLE_FROM,
            offset: first,
            local_start: TABLE_FROM + first,
        }];
        let (mut t, mut current) = (TABLE_FROM, first);
        while t < TABLE_UNTIL {
            let next = (t + DAY).min(TABLE_UNTIL);
            if offset(next) == current {
                t = next;
                continue;
            }
            // The first second in (t, next] with another offset.
            let (mut lo, mut hi) = (t, next);
            while hi - lo > 1 {
                let mid = lo + (hi - lo) / 2;
                if offset(mid) == current {
                    lo = mid;
                } else {
                    hi = mid;
                }
            }
            current = offset(hi);
            spans.push(Span {
                utc_start: hi,
                offset: current,
                local_start: hi + current,
            });
            t = hi;
        }
        ZoneTable { tz, spans }
    }

    /// The zone.
    pub(crate) fn tz(&self) -> Tz {
        self.tz
    }

    /// The UTC offset in seconds at a UTC second.
    fn offset_at(&self, utc: i64) -> i64 {
        if !(TABLE_FROM..TABLE_UNTIL).contains(&utc) {
            return offset_from_chrono(self.tz, utc);
        }
        let i = self.spans.partition_point(|s| s.utc_start <= utc);
        // i ≥ 1: the first span starts at TABLE_FROM ≤ utc.
        self.spans[i.saturating_sub(1)].offset
    }

    /// Whether no offset change falls in `[from, to)` (Unix seconds), or
    /// `None` outside the table's years.
    pub(crate) fn steady(&self, from: i64, to: i64) -> Option<bool> {
        if from < TABLE_FROM || to > TABLE_UNTIL {
            return None;
        }
        let i = self.spans.partition_point(|s| s.utc_start <= from);
        Some(self.spans.get(i).is_none_or(|s| s.utc_start >= to))
    }

    /// The span of constant offset around a UTC second: its first second
    /// and the first second of the next (the table's end when none), or
    /// `None` outside the table's years.
    pub(crate) fn span_around(&self, utc: i64) -> Option<(i64, i64)> {
        if !(TABLE_FROM..TABLE_UNTIL).contains(&utc) {
            return None;
        }
        let i = self.spans.partition_point(|s| s.utc_start <= utc);
        let start = self.spans[i.saturating_sub(1)].utc_start;
        Some((
            start,
            self.spans.get(i).map_or(TABLE_UNTIL, |s| s.utc_start),
        ))
    }

    /// The local day number (since 1970-01-01) of a UTC second.
    pub(crate) fn local_day(&self, utc: i64) -> i64 {
        (utc + self.offset_at(utc)).div_euclid(DAY)
    }

    /// The instant a local wall time (seconds since 1970-01-01 00:00 local)
    /// stands for, as Unix seconds: the first instant the wall clock shows
    /// it, or, inside a gap, the instant the gap ends.
    pub(crate) fn resolve_secs(&self, local: i64) -> i64 {
        self.resolve_in_table(local)
            .unwrap_or_else(|| self.resolve_with_chrono(local).timestamp())
    }

    /// The local date of an instant.
    #[cfg(test)]
    fn local_date(&self, t: Timestamp) -> NaiveDate {
        let utc = t.timestamp();
        date_of_local_secs(utc + self.offset_at(utc)).unwrap_or_else(|| t.date_naive())
    }

    /// [`ZoneTable::resolve_secs`] as an instant.
    #[cfg(test)]
    fn resolve(&self, local: i64) -> Timestamp {
        self.resolve_in_table(local)
            .and_then(|u| DateTime::from_timestamp(u, 0))
            .unwrap_or_else(|| self.resolve_with_chrono(local))
    }

    fn resolve_in_table(&self, local: i64) -> Option<i64> {
        let spans = &self.spans;
        let j = spans
            .partition_point(|s| s.local_start <= local)
            .checked_sub(1)?;
        let utc_end = |k: usize| spans.get(k + 1).map_or(TABLE_UNTIL, |s| s.utc_start);
        // In a fold the span before shows the wall time first.
        if j >= 1 && local < spans[j].utc_start + spans[j - 1].offset {
            return Some(local - spans[j - 1].offset);
        }
        if local < utc_end(j) + spans[j].offset {
            return Some(local - spans[j].offset);
        }
        // A gap: the wall time is skipped and the next span starts it.
        spans.get(j + 1).map(|s| s.utc_start)
    }

    fn resolve_with_chrono(&self, local: i64) -> Timestamp {
        let Some(naive) = DateTime::from_timestamp(local, 0).map(|t| t.naive_utc()) else {
            return if local < 0 {
                Timestamp::MIN_UTC
            } else {
                Timestamp::MAX_UTC
            };
        };
        match self.tz.from_local_datetime(&naive) {
            LocalResult::Single(t) => t.to_utc(),
            LocalResult::Ambiguous(first, _) => first.to_utc(),
            LocalResult::None => self.end_of_gap(naive),
        }
    }

    /// The first instant whose wall time is at or after `naive`, which lies in a gap.
    fn end_of_gap(&self, naive: NaiveDateTime) -> Timestamp {
        // No zone is more than 14 h from UTC, so the answer lies within a day
        // of `naive` read as UTC; the wall time rises across that span except
        // at folds, which cannot sit next to a gap.
        let as_utc = naive.and_utc().timestamp();
        let (mut lo, mut hi) = (as_utc - DAY, as_utc + DAY);
        let wall = |secs: i64| {
            Timestamp::from_timestamp(secs, 0)
                .map(|t| self.tz.from_utc_datetime(&t.naive_utc()).naive_local())
        };
        while hi - lo > 1 {
            let mid = lo + (hi - lo) / 2;
            if wall(mid).is_some_and(|w| w >= naive) {
                hi = mid;
            } else {
                lo = mid;
            }
        }
        Timestamp::from_timestamp(hi, 0).unwrap_or(Timestamp::MAX_UTC)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;
    use chrono_tz::GapInfo;

    /// What chrono-tz says, with its own gap information.
    fn chrono_resolve(tz: Tz, local: i64) -> Timestamp {
        let naive = DateTime::from_timestamp(local, 0).unwrap().naive_utc();
        match tz.from_local_datetime(&naive) {
            LocalResult::Single(t) => t.to_utc(),
            LocalResult::Ambiguous(first, _) => first.to_utc(),
            LocalResult::None => GapInfo::new(&naive, &tz)
                .and_then(|g| g.end)
                .expect("a gap has an end")
                .to_utc(),
        }
    }

    #[test]
    fn the_table_agrees_with_chrono_tz_in_awkward_zones() {
        // Samoa skipped 30 December 2011; Lord Howe shifts by 30 minutes;
        // São Paulo changed at midnight; Casablanca pauses for Ramadan;
        // Kathmandu is +05:45; Troll shifts by two hours; Recife kept summer
        // time for one week in 2000.
        for name in [
            "Europe/Berlin",
            "Europe/London",
            "America/New_York",
            "Australia/Lord_Howe",
            "Pacific/Apia",
            "America/Sao_Paulo",
            "Africa/Casablanca",
            "Asia/Kathmandu",
            "Antarctica/Troll",
            "America/Recife",
            "UTC",
        ] {
            let tz: Tz = name.parse().unwrap();
            let table = ZoneTable::for_zone(tz);
            // Every 3 days 1 h 3 min from 1971 to 2100, plus both sides of every change.
            let mut probes: Vec<i64> = (0..)
                .map(|k: i64| 31_536_000 + k * 263_000)
                .take_while(|t| *t < TABLE_UNTIL - DAY)
                .collect();
            for s in &table.spans[1..] {
                for d in [-3601, -1, 0, 1, 1799, 3600] {
                    probes.push(s.utc_start + d);
                    probes.push(s.local_start + d);
                }
            }
            for &p in &probes {
                assert_eq!(
                    table.offset_at(p),
                    offset_from_chrono(tz, p),
                    "{name} offset at {p}"
                );
                assert_eq!(
                    table.resolve(p),
                    chrono_resolve(tz, p),
                    "{name} wall time {p}"
                );
                let t = DateTime::from_timestamp(p, 0).unwrap();
                assert_eq!(
                    table.local_date(t),
                    tz.from_utc_datetime(&t.naive_utc()).date_naive()
                );
            }
        }
    }

    #[test]
    fn outside_the_table_chrono_tz_answers() {
        let tz: Tz = "Europe/Berlin".parse().unwrap();
        let table = ZoneTable::for_zone(tz);
        for p in [-86_400 * 400, TABLE_UNTIL + 86_400 * 200] {
            assert_eq!(table.resolve(p), chrono_resolve(tz, p));
            let t = DateTime::from_timestamp(p, 0).unwrap() + Duration::hours(5);
            assert_eq!(
                table.local_date(t),
                tz.from_utc_datetime(&t.naive_utc()).date_naive()
            );
        }
        assert!(
            Arc::ptr_eq(&table, &ZoneTable::for_zone(tz)),
            "one table per zone"
        );
    }
}
