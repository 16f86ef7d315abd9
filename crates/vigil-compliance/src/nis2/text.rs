//! Small shared pieces: amounts and durations written for people, and
//! durations as JSON seconds.

use chrono::TimeDelta;

/// An amount in whole euros with thousands separators (`EUR 500,001`), the
/// way the regulation writes its thresholds, so a facts line can be read
/// against the article.
pub(crate) fn eur(amount: u64) -> String {
    format!("EUR {}", grouped(amount))
}

/// A count with thousands separators (`1,000,001`).
pub(crate) fn grouped(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A duration as days, hours, minutes and seconds, leaving out zero parts
/// (`1 h 1 min`, `30 min`, `30 min 1 s`); seconds are kept because a
/// threshold of "more than 30 minutes" is crossed by one.
pub(crate) fn duration(d: TimeDelta) -> String {
    let total = d.num_seconds();
    if total <= 0 {
        return "0 s".to_owned();
    }
    let (days, rest) = (total / 86_400, total % 86_400);
    let (hours, rest) = (rest / 3_600, rest % 3_600);
    let (minutes, seconds) = (rest / 60, rest % 60);
    let parts: Vec<String> = [(days, "d"), (hours, "h"), (minutes, "min"), (seconds, "s")]
        .into_iter()
        .filter(|(n, _)| *n > 0)
        .map(|(n, unit)| format!("{n} {unit}"))
        .collect();
    parts.join(" ")
}

/// Whether a text says nothing.
pub(crate) fn is_blank(s: &str) -> bool {
    s.trim().is_empty()
}

/// Durations as whole JSON seconds: facts are entered by people in minutes
/// and hours, and a fraction of a second never decides a threshold.
pub(crate) mod seconds {
    use chrono::TimeDelta;
    use serde::{Deserialize, Deserializer, Serializer, de::Error};

    pub(crate) fn serialize<S: Serializer>(d: &TimeDelta, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_i64(d.num_seconds())
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<TimeDelta, D::Error> {
        let secs = u32::deserialize(d)?;
        TimeDelta::try_seconds(i64::from(secs))
            .ok_or_else(|| D::Error::custom(format!("{secs} seconds is out of range")))
    }
}

/// Optional durations as whole JSON seconds (see [`seconds`]).
pub(crate) mod seconds_opt {
    use chrono::TimeDelta;
    use serde::{Deserialize, Deserializer, Serializer, de::Error};

    pub(crate) fn serialize<S: Serializer>(d: &Option<TimeDelta>, s: S) -> Result<S::Ok, S::Error> {
        match d {
            Some(d) => s.serialize_some(&d.num_seconds()),
            None => s.serialize_none(),
        }
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<TimeDelta>, D::Error> {
        match Option::<u32>::deserialize(d)? {
            Some(secs) => TimeDelta::try_seconds(i64::from(secs))
                .map(Some)
                .ok_or_else(|| D::Error::custom(format!("{secs} seconds is out of range"))),
            None => Ok(None),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_are_grouped_by_thousands() {
        assert_eq!(eur(0), "EUR 0");
        assert_eq!(eur(999), "EUR 999");
        assert_eq!(eur(1_000), "EUR 1,000");
        assert_eq!(eur(500_001), "EUR 500,001");
        assert_eq!(grouped(1_000_000), "1,000,000");
        assert_eq!(grouped(u64::MAX), "18,446,744,073,709,551,615");
    }

    #[test]
    fn durations_leave_out_zero_parts() {
        assert_eq!(duration(TimeDelta::minutes(30)), "30 min");
        assert_eq!(duration(TimeDelta::seconds(30 * 60 + 1)), "30 min 1 s");
        assert_eq!(duration(TimeDelta::minutes(61)), "1 h 1 min");
        assert_eq!(duration(TimeDelta::hours(49)), "2 d 1 h");
        assert_eq!(duration(TimeDelta::zero()), "0 s");
    }
}
