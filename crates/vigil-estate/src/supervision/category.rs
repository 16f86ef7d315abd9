//! EN 50136-1 transmission categories and their reporting times: how long
//! an alarm transmission path may stay silent before its loss must be
//! reported. Single-path systems are SP1–SP6; dual-path DP1–DP4, whose
//! primary path's reporting time is used here (each DC-09 path is watched
//! on its own). The figures are EN 50136-1:2012's (Table 4); an account may
//! give its own interval instead.

use std::str::FromStr;

use chrono::Duration;

/// An EN 50136-1 transmission category.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TransmissionCategory {
    /// Single path, reporting time 32 days.
    Sp1,
    /// Single path, 25 hours.
    Sp2,
    /// Single path, 30 minutes.
    Sp3,
    /// Single path, 3 minutes.
    Sp4,
    /// Single path, 90 seconds.
    Sp5,
    /// Single path, 20 seconds.
    Sp6,
    /// Dual path, primary 25 hours.
    Dp1,
    /// Dual path, primary 30 minutes.
    Dp2,
    /// Dual path, primary 3 minutes.
    Dp3,
    /// Dual path, primary 90 seconds.
    Dp4,
}

/// A category name that is not one of SP1–SP6, DP1–DP4.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("transmission category `{0}` is not one of SP1-SP6, DP1-DP4")]
pub struct CategoryError(pub String);

impl TransmissionCategory {
    /// The longest silence allowed on the (primary) path.
    pub fn reporting_time(self) -> Duration {
        use TransmissionCategory as C;
        match self {
            C::Sp1 => Duration::days(32),
            C::Sp2 | C::Dp1 => Duration::hours(25),
            C::Sp3 | C::Dp2 => Duration::minutes(30),
            C::Sp4 | C::Dp3 => Duration::minutes(3),
            C::Sp5 | C::Dp4 => Duration::seconds(90),
            C::Sp6 => Duration::seconds(20),
        }
    }
}

impl FromStr for TransmissionCategory {
    type Err = CategoryError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        use TransmissionCategory as C;
        Ok(match s.trim().to_ascii_uppercase().as_str() {
            "SP1" => C::Sp1,
            "SP2" => C::Sp2,
            "SP3" => C::Sp3,
            "SP4" => C::Sp4,
            "SP5" => C::Sp5,
            "SP6" => C::Sp6,
            "DP1" => C::Dp1,
            "DP2" => C::Dp2,
            "DP3" => C::Dp3,
            "DP4" => C::Dp4,
            _ => return Err(CategoryError(s.to_owned())),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn categories_parse_and_give_their_reporting_times() {
        assert_eq!(
            "sp4"
                .parse::<TransmissionCategory>()
                .unwrap()
                .reporting_time(),
            Duration::minutes(3)
        );
        assert_eq!(
            "SP6"
                .parse::<TransmissionCategory>()
                .unwrap()
                .reporting_time(),
            Duration::seconds(20)
        );
        assert_eq!(
            "DP2"
                .parse::<TransmissionCategory>()
                .unwrap()
                .reporting_time(),
            Duration::minutes(30)
        );
        assert_eq!(
            TransmissionCategory::Sp1.reporting_time(),
            Duration::days(32)
        );
        assert!(
            "SP7"
                .parse::<TransmissionCategory>()
                .unwrap_err()
                .to_string()
                .contains("SP7")
        );
    }
}
