//! What event values mean to the typed modifiers: case folding, numbers,
//! timestamps and IP networks. Shared by the compiled matcher and the
//! reference interpreter, so both agree on the meaning of a value and
//! differ only in how they search.

use std::net::IpAddr;

use chrono::{DateTime, Datelike, NaiveDateTime, Timelike, Utc};

use super::ast::Number;

/// Case folding for case-insensitive matching: each character to its
/// lowercase form, independently of its neighbours, so that folding a
/// pattern piece by piece equals folding it whole.
pub(crate) fn fold(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    fold_into(text, &mut out);
    out
}

/// [`fold`] into a reused buffer.
pub(crate) fn fold_into(text: &str, out: &mut String) {
    out.clear();
    if text.is_ascii() {
        out.push_str(text);
        out.make_ascii_lowercase();
    } else {
        out.extend(text.chars().flat_map(char::to_lowercase));
    }
}

/// Parses an event value as a number: an integer or a decimal/exponent
/// number, surrounding whitespace ignored.
pub(crate) fn parse_number(text: &str) -> Option<Number> {
    let text = text.trim();
    if let Ok(i) = text.parse::<i128>() {
        return Some(Number::Int(i));
    }
    text.parse::<f64>()
        .ok()
        .filter(|f| f.is_finite())
        .map(Number::Float)
}

/// Compares two numbers: exactly when both are whole, as `f64` otherwise.
pub(crate) fn compare_numbers(a: Number, b: Number) -> Option<std::cmp::Ordering> {
    match (a, b) {
        (Number::Int(x), Number::Int(y)) => Some(x.cmp(&y)),
        _ => a.as_f64().partial_cmp(&b.as_f64()),
    }
}

/// A numeric comparison from `lt`, `lte`, `gt`, `gte`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(crate) enum CmpOp {
    Lt,
    Lte,
    Gt,
    Gte,
}

impl CmpOp {
    /// The operator as a symbol (`<`, `<=` …), for explanations.
    pub(crate) fn symbol(self) -> &'static str {
        match self {
            CmpOp::Lt => "<",
            CmpOp::Lte => "<=",
            CmpOp::Gt => ">",
            CmpOp::Gte => ">=",
        }
    }

    /// Whether `value <op> bound` holds.
    pub(crate) fn holds(self, value: Number, bound: Number) -> bool {
        use std::cmp::Ordering::{Equal, Greater, Less};
        match (self, compare_numbers(value, bound)) {
            (_, None) => false,
            (CmpOp::Lt, Some(o)) => o == Less,
            (CmpOp::Lte, Some(o)) => o != Greater,
            (CmpOp::Gt, Some(o)) => o == Greater,
            (CmpOp::Gte, Some(o)) => o == Greater || o == Equal,
        }
    }
}

/// The part of a timestamp a time modifier extracts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(crate) enum TimePart {
    Minute,
    Hour,
    Day,
    Week,
    Month,
    Year,
}

impl TimePart {
    /// The modifier's name (`hour`, `day` …), for explanations.
    pub(crate) fn name(self) -> &'static str {
        match self {
            TimePart::Minute => "minute",
            TimePart::Hour => "hour",
            TimePart::Day => "day",
            TimePart::Week => "week",
            TimePart::Month => "month",
            TimePart::Year => "year",
        }
    }

    /// The part of `at`.
    pub(crate) fn of(self, at: DateTime<Utc>) -> i64 {
        i64::from(match self {
            TimePart::Minute => at.minute(),
            TimePart::Hour => at.hour(),
            TimePart::Day => at.day(),
            TimePart::Week => at.iso_week().week(),
            TimePart::Month => at.month(),
            TimePart::Year => return i64::from(at.year()),
        })
    }
}

/// Parses a timestamp the way logs write them: RFC 3339
/// (`2024-05-01T10:20:30Z`, with an offset or fraction), or a naive
/// `2024-05-01 10:20:30[.fff]` / `2024-05-01T10:20:30[.fff]` taken as UTC.
/// No time-zone conversion beyond an explicit offset, as the modifiers
/// appendix warns.
pub(crate) fn parse_timestamp(text: &str) -> Option<DateTime<Utc>> {
    let text = text.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Some(t.with_timezone(&Utc));
    }
    for format in ["%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%dT%H:%M:%S%.f"] {
        if let Ok(t) = NaiveDateTime::parse_from_str(text, format) {
            return Some(t.and_utc());
        }
    }
    None
}

/// A timestamp given as whole seconds since the Unix epoch.
pub(crate) fn timestamp_from_epoch(seconds: i128) -> Option<DateTime<Utc>> {
    DateTime::from_timestamp(i64::try_from(seconds).ok()?, 0)
}

/// An IPv4 or IPv6 network from the `cidr` modifier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(crate) struct Cidr {
    network: IpAddr,
    prefix: u8,
}

impl std::fmt::Display for Cidr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.network, self.prefix)
    }
}

impl Cidr {
    /// Parses `10.0.0.0/8`, `fe80::/10`, or a bare address (a network of one).
    pub(crate) fn parse(text: &str) -> Result<Self, String> {
        let text = text.trim();
        let (addr, prefix) = match text.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (text, None),
        };
        let network: IpAddr = addr
            .parse()
            .map_err(|_| format!("`{text}` is not an IP network"))?;
        let max = if network.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            None => max,
            Some(p) => p
                .parse::<u8>()
                .ok()
                .filter(|p| *p <= max)
                .ok_or_else(|| format!("`{text}` has a prefix length outside 0..={max}"))?,
        };
        Ok(Cidr { network, prefix })
    }

    /// Whether `addr` is inside the network.
    pub(crate) fn contains(&self, addr: IpAddr) -> bool {
        match (self.network, addr) {
            (IpAddr::V4(net), IpAddr::V4(a)) => prefix_equal(
                u128::from(u32::from(net)),
                u128::from(u32::from(a)),
                32,
                self.prefix,
            ),
            (IpAddr::V6(net), IpAddr::V6(a)) => {
                prefix_equal(u128::from(net), u128::from(a), 128, self.prefix)
            }
            _ => false,
        }
    }
}

fn prefix_equal(net: u128, addr: u128, width: u32, prefix: u8) -> bool {
    let shift = width - u32::from(prefix);
    if shift >= 128 {
        return true;
    }
    (net >> shift) == (addr >> shift)
}

/// Parses an event value as an IP address.
pub(crate) fn parse_ip(text: &str) -> Option<IpAddr> {
    text.trim().parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folding_is_per_character() {
        assert_eq!(fold("CMD.EXE"), "cmd.exe");
        assert_eq!(fold("ÄÖÜ"), "äöü");
        let mut buf = String::new();
        fold_into("MiXeD", &mut buf);
        assert_eq!(buf, "mixed");
    }

    #[test]
    fn comparisons_are_exact_for_integers() {
        assert!(CmpOp::Lt.holds(Number::Int(1), Number::Int(2)));
        assert!(CmpOp::Lte.holds(Number::Int(2), Number::Int(2)));
        assert!(!CmpOp::Gt.holds(Number::Int(2), Number::Int(2)));
        assert!(CmpOp::Gte.holds(Number::Float(2.5), Number::Int(2)));
        let big = Number::Int(9_007_199_254_740_993);
        assert!(CmpOp::Gt.holds(big, Number::Int(9_007_199_254_740_992)));
        assert_eq!(parse_number(" 42 "), Some(Number::Int(42)));
        assert_eq!(parse_number("4.5"), Some(Number::Float(4.5)));
        assert_eq!(parse_number("abc"), None);
        assert_eq!(parse_number("NaN"), None);
    }

    #[test]
    fn timestamps_in_common_log_formats() {
        let t = parse_timestamp("2024-02-29T23:59:58.123Z").unwrap();
        assert_eq!(TimePart::Hour.of(t), 23);
        assert_eq!(TimePart::Minute.of(t), 59);
        assert_eq!(TimePart::Day.of(t), 29);
        assert_eq!(TimePart::Month.of(t), 2);
        assert_eq!(TimePart::Year.of(t), 2024);
        assert_eq!(TimePart::Week.of(t), 9);
        let t = parse_timestamp("2019-03-02 08:51:00.008").unwrap();
        assert_eq!(TimePart::Hour.of(t), 8);
        let t = parse_timestamp("2024-01-01T05:00:00+02:00").unwrap();
        assert_eq!(TimePart::Hour.of(t), 3);
        assert!(parse_timestamp("yesterday").is_none());
        let t = timestamp_from_epoch(0).unwrap();
        assert_eq!(TimePart::Year.of(t), 1970);
    }

    #[test]
    fn cidr_for_both_families() {
        let net = Cidr::parse("10.0.0.0/8").unwrap();
        assert!(net.contains("10.1.2.3".parse().unwrap()));
        assert!(!net.contains("11.0.0.1".parse().unwrap()));
        assert!(!net.contains("::1".parse().unwrap()));
        let net = Cidr::parse("fe80::/10").unwrap();
        assert!(net.contains("fe80::1".parse().unwrap()));
        assert!(!net.contains("2001:db8::1".parse().unwrap()));
        let all = Cidr::parse("0.0.0.0/0").unwrap();
        assert!(all.contains("255.255.255.255".parse().unwrap()));
        let one = Cidr::parse("192.168.1.1").unwrap();
        assert!(one.contains("192.168.1.1".parse().unwrap()));
        assert!(!one.contains("192.168.1.2".parse().unwrap()));
        assert!(Cidr::parse("10.0.0.0/33").is_err());
        assert!(Cidr::parse("not-an-ip/8").is_err());
    }
}
