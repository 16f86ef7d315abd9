//! What kind of matter an alarm or incident is: one word for the desk's
//! dashboards, its incidents and the service contracts' priority rules.

use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// What kind of matter: cyber, physical, both, or the building's
/// environment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Category {
    /// IT: malware, intrusion, account compromise.
    Cyber,
    /// Doors, badges, intruders, theft.
    Physical,
    /// Both at once (a badge used to reach a server, then a login).
    Converged,
    /// Fire, flood, temperature, power.
    Environmental,
}

impl Category {
    /// Every category.
    pub const ALL: [Category; 4] = [
        Self::Cyber,
        Self::Physical,
        Self::Converged,
        Self::Environmental,
    ];

    /// The category's name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Cyber => "cyber",
            Self::Physical => "physical",
            Self::Converged => "converged",
            Self::Environmental => "environmental",
        }
    }
}

impl FromStr for Category {
    /// The name that is not a category.
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|c| c.as_str().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| s.to_owned())
    }
}

impl std::fmt::Display for Category {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}
