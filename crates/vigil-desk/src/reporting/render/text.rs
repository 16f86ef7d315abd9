//! How figures are written for people: shares, durations, instants.

use chrono_tz::Tz;
use vigil_model::Timestamp;

/// What stands for a figure that has no value (nothing to count).
pub const NONE: &str = "–";

/// A share as a percentage with one decimal (`93.3 %`).
pub fn percent(share: Option<f64>) -> String {
    share.map_or_else(|| NONE.to_owned(), |s| format!("{:.1} %", s * 100.0))
}

/// Seconds for people: `42 s`, `3 min 05 s`, `2 h 07 min`, `1 d 04 h`.
pub fn duration(seconds: Option<f64>) -> String {
    let Some(s) = seconds else {
        return NONE.to_owned();
    };
    let s = s.max(0.0);
    if s < 60.0 {
        return if s < 10.0 && s.fract() != 0.0 {
            format!("{s:.1} s")
        } else {
            format!("{s:.0} s")
        };
    }
    let whole = s.round() as i64;
    let (d, h, m, sec) = (
        whole / 86_400,
        whole % 86_400 / 3600,
        whole % 3600 / 60,
        whole % 60,
    );
    if d > 0 {
        format!("{d} d {h:02} h")
    } else if h > 0 {
        format!("{h} h {m:02} min")
    } else {
        format!("{m} min {sec:02} s")
    }
}

/// An instant in the report's zone, to the minute (`2026-03-04 13:05`).
pub fn local(t: Timestamp, tz: Tz) -> String {
    t.with_timezone(&tz).format("%Y-%m-%d %H:%M").to_string()
}

/// The month's name for titles (`March 2026`).
pub fn month_name(month: crate::reporting::service::Month) -> String {
    month.first_day().format("%B %Y").to_string()
}

/// A count.
pub fn count(n: u64) -> String {
    n.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_as_people_say_them() {
        assert_eq!(duration(None), NONE);
        assert_eq!(duration(Some(4.5)), "4.5 s");
        assert_eq!(duration(Some(42.0)), "42 s");
        assert_eq!(duration(Some(185.0)), "3 min 05 s");
        assert_eq!(duration(Some(7620.0)), "2 h 07 min");
        assert_eq!(duration(Some(100_800.0)), "1 d 04 h");
        assert_eq!(percent(Some(0.9333)), "93.3 %");
        assert_eq!(percent(None), NONE);
    }
}
