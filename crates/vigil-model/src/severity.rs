//! How bad a thing is.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Severity of an event or alert, ordered from least to most severe.
///
/// The names follow Sigma's `level` values (with `informational` shortened to
/// `info` in Vigil's own output; both spellings parse).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Worth recording, not worth a look.
    #[serde(alias = "informational")]
    Info,
    /// Worth a look when there is time.
    Low,
    /// Worth a look this shift.
    Medium,
    /// Worth a look now.
    High,
    /// Drop everything.
    Critical,
}

/// A severity name that is not one of Vigil's or Sigma's.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown severity `{0}`; expected info, informational, low, medium, high or critical")]
pub struct SeverityParseError(pub String);

impl Severity {
    /// Every severity, least severe first.
    pub const ALL: [Severity; 5] = [
        Severity::Info,
        Severity::Low,
        Severity::Medium,
        Severity::High,
        Severity::Critical,
    ];

    /// Vigil's name for the severity.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }

    /// A number for ordering in storage (0 = info … 4 = critical).
    pub fn rank(self) -> u8 {
        self as u8
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Severity {
    type Err = SeverityParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "info" | "informational" => Ok(Severity::Info),
            "low" => Ok(Severity::Low),
            "medium" => Ok(Severity::Medium),
            "high" => Ok(Severity::High),
            "critical" => Ok(Severity::Critical),
            _ => Err(SeverityParseError(s.chars().take(40).collect())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_sigma_and_vigil_names() {
        assert_eq!("informational".parse::<Severity>(), Ok(Severity::Info));
        assert_eq!("High".parse::<Severity>(), Ok(Severity::High));
        assert!("urgent".parse::<Severity>().is_err());
    }

    #[test]
    fn orders_by_badness() {
        assert!(Severity::Critical > Severity::High);
        assert!(Severity::Info < Severity::Low);
        assert_eq!(Severity::ALL.map(Severity::rank), [0, 1, 2, 3, 4]);
    }
}
