//! Things that happen at most once a day at a random time (a cooling unit
//! fault, a camera dropping out, a delivery run): decided per day from the
//! day's own random stream, so every minute of the day agrees on them.

use chrono::{Duration, NaiveDate, NaiveTime};
use chrono_tz::Tz;
use rand::Rng;
use vigil_model::Timestamp;

use super::{Slot, secs};
use crate::calendar::{at_local, day_number, local};
use crate::rng::{SimRng, stream_at};

/// A once-a-day happening.
#[derive(Debug)]
pub struct Happening {
    /// When it starts.
    pub start: Timestamp,
    /// Its own random stream, for its details.
    pub rng: SimRng,
}

/// Whether `what` about `key` happens on local `date` (with probability
/// `chance`, between local hours `from` and `to`), and when.
#[allow(clippy::too_many_arguments)]
pub fn on_day(
    seed: u64,
    tenant: &str,
    what: &str,
    key: &str,
    date: NaiveDate,
    tz: Tz,
    chance: f64,
    hours: (f64, f64),
) -> Option<Happening> {
    let mut rng = stream_at(seed, &[tenant, what, key], &[day_number(date)]);
    if !rng.random_bool(chance.clamp(0.0, 1.0)) {
        return None;
    }
    let (from, to) = hours;
    let minute = if to > from {
        rng.random_range(from * 60.0..to * 60.0)
    } else {
        from * 60.0
    };
    let start = at_local(date, NaiveTime::MIN, tz)
        + Duration::seconds((minute * 60.0) as i64)
        + secs(&mut rng, 0.0, 1.0);
    Some(Happening { start, rng })
}

/// The happening of `what` about `key` that starts in `slot`, checking the
/// local day of the slot and the day before (hours may run past midnight).
#[allow(clippy::too_many_arguments)]
pub fn starting_in(
    slot: &Slot,
    tenant: &str,
    what: &str,
    key: &str,
    tz: Tz,
    chance: f64,
    hours: (f64, f64),
) -> Option<Happening> {
    let today = local(slot.start, tz).date_naive();
    [today.pred_opt(), Some(today)]
        .into_iter()
        .flatten()
        .filter_map(|date| on_day(slot.seed, tenant, what, key, date, tz, chance, hours))
        .find(|h| slot.contains(h.start))
}

/// The happenings of `what` about `key` on the local days around `at` that
/// are under way at `at`, given how long each lasts.
#[allow(clippy::too_many_arguments)]
pub fn under_way(
    seed: u64,
    at: Timestamp,
    tenant: &str,
    what: &str,
    key: &str,
    tz: Tz,
    chance: f64,
    hours: (f64, f64),
    minutes: (i64, i64),
) -> Option<(Timestamp, Timestamp)> {
    let today = local(at, tz).date_naive();
    [today.pred_opt(), Some(today)]
        .into_iter()
        .flatten()
        .filter_map(|date| on_day(seed, tenant, what, key, date, tz, chance, hours))
        .map(|mut h| {
            let (lo, hi) = minutes;
            let length = if hi > lo {
                h.rng.random_range(lo..hi)
            } else {
                lo
            };
            (h.start, h.start + Duration::minutes(length))
        })
        .find(|(start, end)| *start <= at && at < *end + Duration::minutes(30))
}
