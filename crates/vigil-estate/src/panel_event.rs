//! Alarm panel events in Vigil's terms, whatever protocol brought them:
//! what kind of alarm, whether it is the alarm or its restore, and how it
//! becomes an event's fields.

use serde::{Deserialize, Serialize};
use vigil_model::{EventClass, Severity};

/// What an alarm panel reported, in the categories an operator acts on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AlarmKind {
    /// Fire, smoke, heat, manual call point.
    Fire,
    /// Intrusion: perimeter, interior, entry/exit, 24-hour zones.
    Burglary,
    /// A panic button.
    Panic,
    /// A duress code or hold-up button: someone is being forced.
    Duress,
    /// A medical emergency button.
    Medical,
    /// A tamper switch or a tampered keypad.
    Tamper,
    /// Mains power lost.
    AcPowerLoss,
    /// A battery (panel or wireless device) is low.
    LowBattery,
    /// The system or an area was unset (disarmed).
    Opening,
    /// The system or an area was set (armed).
    Closing,
    /// A test report (periodic or manual).
    Test,
    /// A communication or system fault.
    Trouble,
    /// Gas, water, temperature and other environmental alarms.
    Environmental,
    /// A code Vigil does not classify; kept with its code.
    Other,
}

impl AlarmKind {
    /// The event's `action` for this kind.
    pub fn action(self) -> &'static str {
        match self {
            AlarmKind::Fire => "fire",
            AlarmKind::Burglary => "burglary",
            AlarmKind::Panic => "panic",
            AlarmKind::Duress => "duress",
            AlarmKind::Medical => "medical",
            AlarmKind::Tamper => "tamper",
            AlarmKind::AcPowerLoss => "ac_power_loss",
            AlarmKind::LowBattery => "low_battery",
            AlarmKind::Opening => "disarmed",
            AlarmKind::Closing => "armed",
            AlarmKind::Test => "test",
            AlarmKind::Trouble => "trouble",
            AlarmKind::Environmental => "environmental",
            AlarmKind::Other => "other",
        }
    }

    /// The event class for this kind.
    pub fn class(self) -> EventClass {
        match self {
            AlarmKind::Fire => EventClass::FireAlarm,
            AlarmKind::AcPowerLoss
            | AlarmKind::LowBattery
            | AlarmKind::Test
            | AlarmKind::Trouble => EventClass::DeviceStatus,
            _ => EventClass::IntrusionAlarm,
        }
    }

    /// How bad the alarm itself is (a restore is always info).
    pub fn severity(self) -> Severity {
        match self {
            AlarmKind::Fire | AlarmKind::Panic | AlarmKind::Duress => Severity::Critical,
            AlarmKind::Burglary | AlarmKind::Medical | AlarmKind::Tamper => Severity::High,
            AlarmKind::AcPowerLoss | AlarmKind::Trouble | AlarmKind::Environmental => {
                Severity::Medium
            }
            AlarmKind::LowBattery | AlarmKind::Other => Severity::Low,
            AlarmKind::Opening | AlarmKind::Closing | AlarmKind::Test => Severity::Info,
        }
    }

    /// Whether the kind is a state change (set/unset, test) rather than an
    /// alarm with a restore.
    pub fn is_report(self) -> bool {
        matches!(
            self,
            AlarmKind::Opening | AlarmKind::Closing | AlarmKind::Test
        )
    }
}

/// One decoded panel event, before it is placed at a site.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PanelEvent {
    /// `sia` (DC-03 codes) or `contact_id`.
    pub scheme: &'static str,
    /// The code as sent (`BA`, `130`).
    pub code: String,
    /// What Vigil makes of it.
    pub kind: AlarmKind,
    /// A restore (alarm over) rather than the alarm.
    pub restore: bool,
    /// What the code means, for people.
    pub description: &'static str,
    /// The zone (or point) number, when the code carries one.
    pub zone: Option<String>,
    /// The area / partition number.
    pub area: Option<String>,
    /// The panel user number.
    pub user: Option<String>,
    /// Text the panel sent with the event (names, ASCII messages).
    pub text: Option<String>,
    /// The Contact ID qualifier (1 new, 3 restore/closing, 6 previous).
    pub qualifier: Option<char>,
    /// The panel's own time of day for the event (SIA `ti`), as sent.
    pub panel_time: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_map_to_classes_actions_and_severities() {
        assert_eq!(AlarmKind::Fire.class(), EventClass::FireAlarm);
        assert_eq!(AlarmKind::Burglary.class(), EventClass::IntrusionAlarm);
        assert_eq!(AlarmKind::AcPowerLoss.class(), EventClass::DeviceStatus);
        assert_eq!(AlarmKind::Closing.action(), "armed");
        assert_eq!(AlarmKind::Opening.action(), "disarmed");
        assert_eq!(AlarmKind::Duress.severity(), Severity::Critical);
        assert!(AlarmKind::Test.is_report() && !AlarmKind::Tamper.is_report());
    }
}
