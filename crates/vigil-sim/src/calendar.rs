//! Local time at the clients' sites: shifts, office hours and nights are local
//! matters, while every event carries UTC.

use std::str::FromStr;

use chrono::{DateTime, Datelike, NaiveDate, NaiveTime, TimeZone, Timelike, Utc, Weekday};
use chrono_tz::Tz;
use vigil_model::Timestamp;

/// The time zone named by a site's `timezone`, UTC when the name is unknown.
pub fn zone_named(name: &str) -> Tz {
    Tz::from_str(name).unwrap_or(Tz::UTC)
}

/// `t` in the zone `tz`.
pub fn local(t: Timestamp, tz: Tz) -> DateTime<Tz> {
    t.with_timezone(&tz)
}

/// The UTC instant of local `date` and `time` in `tz`. In a spring-forward gap
/// the time is taken an hour later (as a person's alarm clock would be); in an
/// autumn overlap, the earlier of the two instants.
pub fn at_local(date: NaiveDate, time: NaiveTime, tz: Tz) -> Timestamp {
    let naive = date.and_time(time);
    match tz.from_local_datetime(&naive).earliest() {
        Some(t) => t.with_timezone(&Utc),
        None => {
            let later = naive + chrono::Duration::hours(1);
            match tz.from_local_datetime(&later).earliest() {
                Some(t) => t.with_timezone(&Utc),
                None => Utc.from_utc_datetime(&naive),
            }
        }
    }
}

/// A stable number for a local date (days since 1970-01-01), used to name the
/// random stream of that day's decisions.
pub fn day_number(date: NaiveDate) -> u64 {
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or(NaiveDate::MIN);
    (date - epoch).num_days().max(0) as u64
}

/// The local hour of `t` in `tz` as a fraction (13.5 = half past one).
pub fn local_hour(t: Timestamp, tz: Tz) -> f64 {
    let l = local(t, tz);
    f64::from(l.hour()) + f64::from(l.minute()) / 60.0 + f64::from(l.second()) / 3600.0
}

/// Whether the local date of `t` in `tz` is a Saturday or Sunday.
pub fn is_weekend(t: Timestamp, tz: Tz) -> bool {
    matches!(local(t, tz).weekday(), Weekday::Sat | Weekday::Sun)
}

/// Whether `t` is night in `tz` (22:00–06:00 local).
pub fn is_night(t: Timestamp, tz: Tz) -> bool {
    let h = local_hour(t, tz);
    !(6.0..22.0).contains(&h)
}

/// How busy an office-hours organisation is at `t`, from about 0.05 at night
/// to 1 at mid-morning and mid-afternoon on a weekday, with a lunch dip;
/// weekends run at a fifth of weekdays.
pub fn office_load(t: Timestamp, tz: Tz) -> f64 {
    let h = local_hour(t, tz);
    let day = match h {
        h if h < 6.0 => 0.05,
        h if h < 8.0 => 0.05 + 0.4 * (h - 6.0) / 2.0,
        h if h < 12.0 => 1.0,
        h if h < 13.5 => 0.7,
        h if h < 17.0 => 1.0,
        h if h < 20.0 => 1.0 - 0.85 * (h - 17.0) / 3.0,
        _ => 0.08,
    };
    if is_weekend(t, tz) { day * 0.2 } else { day }
}

/// Whether `t` falls in the weekday delivery window (07:00–11:00 local).
pub fn is_delivery_window(t: Timestamp, tz: Tz) -> bool {
    let h = local_hour(t, tz);
    !is_weekend(t, tz) && (7.0..11.0).contains(&h)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> Timestamp {
        DateTime::parse_from_rfc3339(s)
            .map(|t| t.with_timezone(&Utc))
            .unwrap()
    }

    #[test]
    fn local_times_follow_summer_time() {
        let london = zone_named("Europe/London");
        assert_eq!(local_hour(utc("2026-07-01T12:00:00Z"), london), 13.0);
        assert_eq!(local_hour(utc("2026-12-01T12:00:00Z"), london), 12.0);
        assert_eq!(zone_named("Not/AZone"), Tz::UTC);
    }

    #[test]
    fn a_time_in_the_spring_gap_moves_an_hour_on() {
        let london = zone_named("Europe/London");
        let date = NaiveDate::from_ymd_opt(2026, 3, 29).unwrap();
        let t = at_local(date, NaiveTime::from_hms_opt(1, 30, 0).unwrap(), london);
        assert_eq!(t, utc("2026-03-29T01:30:00Z"));
    }

    #[test]
    fn offices_are_busy_by_day_and_quiet_at_night_and_weekends() {
        let tz = zone_named("Europe/London");
        let tuesday_ten = utc("2026-11-24T10:00:00Z");
        let tuesday_three = utc("2026-11-24T03:00:00Z");
        let saturday_ten = utc("2026-11-28T10:00:00Z");
        assert_eq!(office_load(tuesday_ten, tz), 1.0);
        assert!(office_load(tuesday_three, tz) < 0.1);
        assert!(office_load(saturday_ten, tz) < 0.3);
        assert!(is_night(tuesday_three, tz));
        assert!(is_delivery_window(tuesday_ten, tz));
        assert!(!is_delivery_window(saturday_ten, tz));
    }
}
