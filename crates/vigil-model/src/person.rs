//! People as HR knows them: their employment status.

use serde::{Deserialize, Serialize};

/// A person's employment status as HR records it.
///
/// The serde names (`active`, `on_leave`, `terminated`) are persisted in the
/// store and written into events' `hr_status` and `person_status`, so they
/// must not change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PersonStatus {
    /// Working normally.
    Active,
    /// Away for a while (`status_from` … `status_until`); does not come in.
    OnLeave,
    /// Has left the organisation (from `status_from`).
    Terminated,
}

impl PersonStatus {
    /// The status's name in data and events (the same as its serde name).
    pub fn as_str(self) -> &'static str {
        match self {
            PersonStatus::Active => "active",
            PersonStatus::OnLeave => "on_leave",
            PersonStatus::Terminated => "terminated",
        }
    }

    /// Parses a status as written by [`PersonStatus::as_str`] (and the
    /// spellings HR exports use: `on leave`, `leave`, `inactive`, `left` …).
    pub fn parse(text: &str) -> Option<Self> {
        let t = text.trim().to_ascii_lowercase().replace([' ', '-'], "_");
        Some(match t.as_str() {
            "active" | "employed" | "current" => PersonStatus::Active,
            "on_leave" | "leave" | "onleave" | "suspended" | "inactive" => PersonStatus::OnLeave,
            "terminated" | "left" | "leaver" | "former" | "offboarded" => PersonStatus::Terminated,
            _ => return None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_persisted_names_are_the_names_in_events() {
        for s in [
            PersonStatus::Active,
            PersonStatus::OnLeave,
            PersonStatus::Terminated,
        ] {
            let json = serde_json::to_value(s).unwrap();
            assert_eq!(json, s.as_str());
            assert_eq!(serde_json::from_value::<PersonStatus>(json).unwrap(), s);
            assert_eq!(PersonStatus::parse(s.as_str()), Some(s));
        }
        assert_eq!(PersonStatus::parse("On Leave"), Some(PersonStatus::OnLeave));
        assert_eq!(PersonStatus::parse("contractor"), None);
    }
}
