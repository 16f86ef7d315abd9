//! The timestamp forms devices write, parsed by hand: this runs once or more
//! per event on the ingest path, where a format-string parser is too slow.
//!
//! Times without a zone are taken as UTC: a collector cannot know a device's
//! zone, and the binding's site time zone is for people reading times.

use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime, TimeZone, Utc};
use vigil_model::Timestamp;

/// `YYYY-MM-DD[T ]hh:mm:ss[.fraction][Z|±hh:mm|±hhmm]`: RFC 3339 (and so
/// RFC 5424), and the zone-less `2020-08-07 14:32:22.692` Windows writes.
pub(crate) fn parse_iso(text: &str) -> Option<Timestamp> {
    let b = text.as_bytes();
    if b.len() < 19
        || b[4] != b'-'
        || b[7] != b'-'
        || !matches!(b[10], b'T' | b't' | b' ')
        || b[13] != b':'
        || b[16] != b':'
    {
        return None;
    }
    let year = digits(b, 0, 4)? as i32;
    let month = digits(b, 5, 2)?;
    let day = digits(b, 8, 2)?;
    let hour = digits(b, 11, 2)?;
    let minute = digits(b, 14, 2)?;
    let second = digits(b, 17, 2)?;
    let mut pos = 19;
    let mut nanos = 0u32;
    if matches!(b.get(pos), Some(b'.' | b',')) {
        pos += 1;
        let start = pos;
        let mut scale = 100_000_000u32;
        while let Some(d) = b.get(pos).filter(|d| d.is_ascii_digit()) {
            // Digits past nanoseconds are accepted and ignored.
            nanos += u32::from(d - b'0') * scale;
            scale /= 10;
            pos += 1;
        }
        if pos == start {
            return None;
        }
    }
    let offset_seconds: i64 = match b.get(pos) {
        None => 0,
        Some(b'Z' | b'z') => {
            pos += 1;
            0
        }
        Some(&sign @ (b'+' | b'-')) => {
            let oh = digits(b, pos + 1, 2)?;
            let after_colon = if b.get(pos + 3) == Some(&b':') {
                pos + 4
            } else {
                pos + 3
            };
            let om = digits(b, after_colon, 2)?;
            pos = after_colon + 2;
            if oh > 23 || om > 59 {
                return None;
            }
            let magnitude = i64::from(oh * 3600 + om * 60);
            if sign == b'+' { magnitude } else { -magnitude }
        }
        Some(_) => return None,
    };
    if pos != b.len() {
        return None;
    }
    let local =
        NaiveDate::from_ymd_opt(year, month, day)?.and_hms_nano_opt(hour, minute, second, nanos)?;
    let utc = local.checked_sub_signed(chrono::TimeDelta::seconds(offset_seconds))?;
    Some(Utc.from_utc_datetime(&utc))
}

/// A BSD (RFC 3164) timestamp at the start of `b`: `Mmm dd hh:mm:ss` (day
/// space-padded or not), optionally with `.fff` and a year after the time,
/// or `Mmm dd yyyy hh:mm:ss`. The year, when absent, is the one that puts
/// the time nearest `reference`, so December messages read in January land
/// in the old year. Returns the time and the bytes consumed.
pub(crate) fn parse_bsd(b: &[u8], reference: Timestamp) -> Option<(Timestamp, usize)> {
    let month = month_number(b.get(0..3)?)?;
    if b.get(3) != Some(&b' ') {
        return None;
    }
    let mut pos = 4;
    if b.get(pos) == Some(&b' ') {
        pos += 1;
    }
    let day_len = if b.get(pos + 1).is_some_and(u8::is_ascii_digit) {
        2
    } else {
        1
    };
    let day = digits(b, pos, day_len)?;
    pos += day_len;
    if b.get(pos) != Some(&b' ') {
        return None;
    }
    pos += 1;
    let mut year = None;
    if b.get(pos + 4) == Some(&b' ') {
        year = Some(digits(b, pos, 4)? as i32);
        pos += 5;
    }
    let (hour, minute, second) = (
        digits(b, pos, 2)?,
        digits(b, pos + 3, 2)?,
        digits(b, pos + 6, 2)?,
    );
    if b.get(pos + 2) != Some(&b':') || b.get(pos + 5) != Some(&b':') {
        return None;
    }
    pos += 8;
    let mut nanos = 0u32;
    if b.get(pos) == Some(&b'.') && b.get(pos + 1).is_some_and(u8::is_ascii_digit) {
        pos += 1;
        let mut scale = 100_000_000u32;
        while let Some(d) = b.get(pos).filter(|d| d.is_ascii_digit()) {
            nanos += u32::from(d - b'0') * scale;
            scale /= 10;
            pos += 1;
        }
    }
    if year.is_none()
        && b.get(pos) == Some(&b' ')
        && b.get(pos + 5).is_none_or(|c| *c == b' ' || *c == b':')
        && let Some(y) = digits(b, pos + 1, 4)
    {
        year = Some(y as i32);
        pos += 5;
    }
    let at = |year: i32| -> Option<NaiveDateTime> {
        NaiveDate::from_ymd_opt(year, month, day)?.and_hms_nano_opt(hour, minute, second, nanos)
    };
    let naive = match year {
        Some(y) => at(y)?,
        None => {
            let ref_year = reference.year();
            [ref_year - 1, ref_year, ref_year + 1]
                .into_iter()
                .filter_map(at)
                .min_by_key(|t| {
                    (Utc.from_utc_datetime(t) - reference)
                        .num_seconds()
                        .unsigned_abs()
                })?
        }
    };
    Some((Utc.from_utc_datetime(&naive), pos))
}

/// Any time form a field may hold: RFC 3339 and its relatives, epoch
/// seconds/milliseconds/microseconds/nanoseconds as digits, or the
/// `Mmm dd [yyyy] hh:mm:ss[.fff] [UTC|GMT|Z]` form of CEF `rt`.
pub(crate) fn parse_text(text: &str, reference: Timestamp) -> Option<Timestamp> {
    let text = text.trim();
    let first = *text.as_bytes().first()?;
    if first.is_ascii_digit() {
        if let Some(t) = parse_iso(text) {
            return Some(t);
        }
        if text.bytes().all(|c| c.is_ascii_digit()) {
            return from_epoch(text.parse::<i64>().ok()?);
        }
        return text.parse::<f64>().ok().and_then(from_epoch_float);
    }
    let (t, used) = parse_bsd(text.as_bytes(), reference)?;
    match text[used..].trim() {
        "" | "UTC" | "GMT" | "Z" => Some(t),
        _ => None,
    }
}

/// An epoch count, its unit guessed from its size: seconds until the year
/// 5138, then milliseconds, microseconds, nanoseconds.
pub(crate) fn from_epoch(n: i64) -> Option<Timestamp> {
    match n {
        ..0 => None,
        0..100_000_000_000 => DateTime::from_timestamp(n, 0),
        100_000_000_000..100_000_000_000_000 => DateTime::from_timestamp_millis(n),
        100_000_000_000_000..100_000_000_000_000_000 => DateTime::from_timestamp_micros(n),
        _ => Some(DateTime::from_timestamp_nanos(n)),
    }
}

/// Fractional epoch seconds (`1596810742.692`), or larger units as for [`from_epoch`].
pub(crate) fn from_epoch_float(f: f64) -> Option<Timestamp> {
    if !f.is_finite() || f < 0.0 {
        return None;
    }
    if f >= 1e11 {
        return from_epoch(f as i64);
    }
    let secs = f.trunc();
    DateTime::from_timestamp(secs as i64, ((f - secs) * 1e9) as u32)
}

fn digits(b: &[u8], at: usize, len: usize) -> Option<u32> {
    let slice = b.get(at..at.checked_add(len)?)?;
    slice.iter().try_fold(0u32, |acc, &d| {
        d.is_ascii_digit().then(|| acc * 10 + u32::from(d - b'0'))
    })
}

fn month_number(name: &[u8]) -> Option<u32> {
    const MONTHS: [&[u8; 3]; 12] = [
        b"jan", b"feb", b"mar", b"apr", b"may", b"jun", b"jul", b"aug", b"sep", b"oct", b"nov",
        b"dec",
    ];
    let lower = [
        name.first()?.to_ascii_lowercase(),
        name.get(1)?.to_ascii_lowercase(),
        name.get(2)?.to_ascii_lowercase(),
    ];
    MONTHS
        .iter()
        .position(|m| **m == lower)
        .map(|i| i as u32 + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> Timestamp {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn parses_rfc3339_with_fractions_and_offsets() {
        assert_eq!(
            parse_iso("1985-04-12T23:20:50.52Z"),
            Some(utc("1985-04-12T23:20:50.52Z"))
        );
        assert_eq!(
            parse_iso("2003-08-24T05:14:15.000003-07:00"),
            Some(utc("2003-08-24T12:14:15.000003Z"))
        );
        assert_eq!(
            parse_iso("2003-08-24T05:14:15+0130"),
            Some(utc("2003-08-24T03:44:15Z"))
        );
        assert_eq!(
            parse_iso("2020-08-07 14:32:22.692"),
            Some(utc("2020-08-07T14:32:22.692Z"))
        );
        assert_eq!(
            parse_iso("2025-10-24T23:41:48.4971701234Z"),
            Some(utc("2025-10-24T23:41:48.497170123Z"))
        );
    }

    #[test]
    fn rejects_impossible_or_trailing_text() {
        for bad in [
            "2003-02-30T00:00:00Z",
            "2003-10-11T25:00:00Z",
            "2003-10-11T22:14:15Zjunk",
            "2003-10-11T22:14:15.Z",
            "2003-10-11",
        ] {
            assert_eq!(parse_iso(bad), None, "{bad}");
        }
    }

    #[test]
    fn bsd_year_is_nearest_to_reference() {
        let january = utc("2024-01-02T00:00:00Z");
        let (t, used) = parse_bsd(b"Dec 31 23:59:59 host", january).unwrap();
        assert_eq!(t, utc("2023-12-31T23:59:59Z"));
        assert_eq!(used, 15);
        let december = utc("2023-12-31T23:00:00Z");
        assert_eq!(
            parse_bsd(b"Jan  1 00:00:01", december).unwrap().0,
            utc("2024-01-01T00:00:01Z")
        );
        assert_eq!(
            parse_bsd(b"Oct 11 22:14:15", december).unwrap().0,
            utc("2023-10-11T22:14:15Z")
        );
    }

    #[test]
    fn bsd_variants_with_year_and_fraction() {
        let r = utc("2024-06-01T00:00:00Z");
        assert_eq!(
            parse_bsd(b"Feb 29 12:00:00", r).unwrap().0,
            utc("2024-02-29T12:00:00Z")
        );
        assert_eq!(
            parse_bsd(b"Mar 1 18:46:11.123 x", r).unwrap(),
            (utc("2024-03-01T18:46:11.123Z"), 18)
        );
        assert_eq!(
            parse_bsd(b"Mar 12 2019 18:46:11", r).unwrap().0,
            utc("2019-03-12T18:46:11Z")
        );
        assert_eq!(
            parse_bsd(b"Mar 12 18:46:11 2019: x", r).unwrap(),
            (utc("2019-03-12T18:46:11Z"), 20)
        );
        assert_eq!(parse_bsd(b"Foo 12 18:46:11", r), None);
    }

    #[test]
    fn text_forms_of_fields() {
        let r = utc("2024-06-01T00:00:00Z");
        assert_eq!(
            parse_text("1596810742", r),
            Some(utc("2020-08-07T14:32:22Z"))
        );
        assert_eq!(
            parse_text("1596810742692", r),
            Some(utc("2020-08-07T14:32:22.692Z"))
        );
        assert_eq!(
            parse_text("1596810742.5", r),
            Some(utc("2020-08-07T14:32:22.5Z"))
        );
        assert_eq!(
            parse_text("Feb 14 2023 19:04:54 UTC", r),
            Some(utc("2023-02-14T19:04:54Z"))
        );
        assert_eq!(parse_text("Feb 14 2023 19:04:54 CET", r), None);
        assert_eq!(parse_text("yesterday", r), None);
        assert_eq!(parse_text("", r), None);
    }
}
