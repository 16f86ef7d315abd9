//! Health over time, per device and per client, from supervision's
//! transitions over a report period, with the client's approved planned
//! maintenance ([`crate::planned_maintenance`]) left out:
//!
//! - **Availability**: 1 − down / measured, where *measured* is the period
//!   less the device's planned maintenance, and *down* the time its path
//!   was lost outside that maintenance.
//! - **Failures**: losses that began inside the period and outside planned
//!   maintenance (a loss already running when the period began was counted
//!   in the period before).
//! - **MTBF** (mean time between failures): the time up (measured − down)
//!   divided by the failures; none without a failure. Per client, the
//!   clients' devices' up time over their failures.
//! - **Flapping**: a device whose transitions (losses and restores, outside
//!   planned maintenance) reach [`FlapRule::transitions`] within any
//!   [`FlapRule::window_minutes`] of the period.
//!
//! All are pure functions of the intervals; `uptime` reads the intervals
//! from the `device_status` events.

use chrono::Duration;
use serde::{Deserialize, Serialize};
use vigil_model::Timestamp;

use super::rows::seconds;

/// When a device counts as flapping.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FlapRule {
    /// Transitions (losses and restores) that make a device flap…
    pub transitions: u32,
    /// …within this many minutes.
    pub window_minutes: i64,
}

impl Default for FlapRule {
    /// Three losses and their restores within an hour.
    fn default() -> Self {
        Self {
            transitions: 6,
            window_minutes: 60,
        }
    }
}

impl FlapRule {
    /// The window.
    pub fn window(&self) -> Duration {
        Duration::minutes(self.window_minutes)
    }

    /// Why the rule cannot be used, if it cannot.
    pub fn problem(&self) -> Option<String> {
        if self.transitions < 2 {
            return Some(format!(
                "flapping.transitions {} must be at least 2",
                self.transitions
            ));
        }
        if !(1..=7 * 24 * 60).contains(&self.window_minutes) {
            return Some(format!(
                "flapping.window_minutes {} must be from 1 to 10080 (a week)",
                self.window_minutes
            ));
        }
        None
    }
}

/// One device's health over a period.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct DeviceHealth {
    /// Seconds measured: the period less planned maintenance.
    pub measured_s: f64,
    /// Seconds of planned maintenance within the period.
    pub maintenance_s: f64,
    /// Seconds down outside planned maintenance.
    pub down_s: f64,
    /// Losses that began in the period, outside planned maintenance.
    pub failures: u32,
    /// 1 − down / measured.
    pub availability: Option<f64>,
    /// Mean time between failures, seconds up per failure.
    pub mtbf_s: Option<f64>,
    /// The most transitions within one flapping window.
    pub most_transitions: u32,
    /// Whether that reaches the flapping rule.
    pub flapping: bool,
}

/// Seconds of `[a, b)` covered by `spans` (sorted, not overlapping).
fn covered(spans: &[(Timestamp, Timestamp)], a: Timestamp, b: Timestamp) -> f64 {
    spans
        .iter()
        .map(|(s, e)| seconds((*s).max(a), (*e).min(b)).max(0.0))
        .sum::<f64>()
}

fn inside(spans: &[(Timestamp, Timestamp)], at: Timestamp) -> bool {
    spans.iter().any(|(s, e)| *s <= at && at < *e)
}

/// The health of one device over `[from, to)`: `down` its lost intervals
/// (in order, not overlapping; they may reach outside the period),
/// `transitions` the instants of its losses and restores, `maintenance`
/// its planned maintenance (merged, in order).
pub fn device_health(
    down: &[(Timestamp, Timestamp)],
    transitions: &[Timestamp],
    maintenance: &[(Timestamp, Timestamp)],
    from: Timestamp,
    to: Timestamp,
    rule: &FlapRule,
) -> DeviceHealth {
    let period = seconds(from, to).max(0.0);
    let maintenance_s = covered(maintenance, from, to);
    let measured_s = (period - maintenance_s).max(0.0);
    let down_s = down
        .iter()
        .map(|(a, b)| {
            let (a, b) = ((*a).max(from), (*b).min(to));
            if a >= b {
                return 0.0;
            }
            seconds(a, b) - covered(maintenance, a, b)
        })
        .sum::<f64>()
        .max(0.0);
    let failures = down
        .iter()
        .filter(|(a, _)| *a >= from && *a < to && !inside(maintenance, *a))
        .count() as u32;
    let mut times: Vec<Timestamp> = transitions
        .iter()
        .copied()
        .filter(|t| *t >= from && *t < to && !inside(maintenance, *t))
        .collect();
    times.sort();
    let window = rule.window();
    let mut most = 0;
    let mut first = 0;
    for (last, t) in times.iter().enumerate() {
        while *t - times[first] >= window {
            first += 1;
        }
        most = most.max((last - first + 1) as u32);
    }
    DeviceHealth {
        measured_s,
        maintenance_s,
        down_s,
        failures,
        availability: (measured_s > 0.0).then(|| 1.0 - down_s / measured_s),
        mtbf_s: (failures > 0).then(|| (measured_s - down_s).max(0.0) / f64::from(failures)),
        most_transitions: most,
        flapping: most >= rule.transitions,
    }
}

/// One client's devices together.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ClientHealth {
    /// The client.
    pub tenant: String,
    /// Its supervised devices.
    pub devices: u64,
    /// Device-seconds measured (planned maintenance left out).
    pub measured_s: f64,
    /// Device-seconds of planned maintenance.
    pub maintenance_s: f64,
    /// Device-seconds down.
    pub down_s: f64,
    /// Failures.
    pub failures: u64,
    /// 1 − down / measured.
    pub availability: Option<f64>,
    /// Device-seconds up per failure.
    pub mtbf_s: Option<f64>,
    /// Its devices that flapped.
    pub flapping: u64,
}

impl ClientHealth {
    /// An empty account for `tenant`.
    pub fn new(tenant: &str) -> Self {
        Self {
            tenant: tenant.to_owned(),
            ..Default::default()
        }
    }

    /// Adds one device.
    pub fn add(&mut self, d: &DeviceHealth) {
        self.devices += 1;
        self.measured_s += d.measured_s;
        self.maintenance_s += d.maintenance_s;
        self.down_s += d.down_s;
        self.failures += u64::from(d.failures);
        self.flapping += u64::from(d.flapping);
        self.availability = (self.measured_s > 0.0).then(|| 1.0 - self.down_s / self.measured_s);
        self.mtbf_s = (self.failures > 0)
            .then(|| (self.measured_s - self.down_s).max(0.0) / self.failures as f64);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};

    fn h(hours: i64) -> Timestamp {
        Utc.with_ymd_and_hms(2026, 3, 2, 0, 0, 0).unwrap() + Duration::hours(hours)
    }

    fn m(minutes: i64) -> Timestamp {
        h(0) + Duration::minutes(minutes)
    }

    #[test]
    fn availability_and_mtbf_of_a_known_sequence() {
        // A 100-hour period; down 2 h (hours 10–12) and 3 h (40–43).
        let down = [(h(10), h(12)), (h(40), h(43))];
        let marks = [h(10), h(12), h(40), h(43)];
        let d = device_health(&down, &marks, &[], h(0), h(100), &FlapRule::default());
        assert_eq!(d.measured_s, 100.0 * 3600.0);
        assert_eq!(d.down_s, 5.0 * 3600.0);
        assert_eq!(d.failures, 2);
        assert_eq!(d.availability, Some(0.95));
        assert_eq!(d.mtbf_s, Some(47.5 * 3600.0), "95 hours up over 2 failures");
        assert!(!d.flapping);
    }

    #[test]
    fn planned_maintenance_is_neither_measured_nor_down() {
        // Down hours 10–14, of which 12–16 is approved maintenance; a second
        // loss begins inside the maintenance (hour 15, to 15:30).
        let down = [(h(10), h(14)), (h(15), m(15 * 60 + 30))];
        let maintenance = [(h(12), h(16))];
        let d = device_health(&down, &[], &maintenance, h(0), h(100), &FlapRule::default());
        assert_eq!(d.maintenance_s, 4.0 * 3600.0);
        assert_eq!(d.measured_s, 96.0 * 3600.0);
        assert_eq!(d.down_s, 2.0 * 3600.0, "only 10–12 counts");
        assert_eq!(
            d.failures, 1,
            "the loss inside the maintenance is not a failure"
        );
        assert_eq!(d.availability, Some(1.0 - 2.0 / 96.0));
        assert_eq!(d.mtbf_s, Some(94.0 * 3600.0));
    }

    #[test]
    fn a_loss_running_when_the_period_began_is_down_but_not_a_failure() {
        let down = [(h(-5), h(2))];
        let d = device_health(&down, &[h(2)], &[], h(0), h(10), &FlapRule::default());
        assert_eq!(d.down_s, 2.0 * 3600.0);
        assert_eq!(d.failures, 0);
        assert_eq!(d.mtbf_s, None);
        assert_eq!(d.availability, Some(0.8));
    }

    #[test]
    fn flapping_is_enough_transitions_within_the_window() {
        let rule = FlapRule {
            transitions: 6,
            window_minutes: 60,
        };
        // Six transitions within 50 minutes: flapping.
        let quick: Vec<Timestamp> = (0..6).map(|i| m(100 + i * 10)).collect();
        let d = device_health(&[], &quick, &[], h(0), h(24), &rule);
        assert_eq!((d.most_transitions, d.flapping), (6, true));
        // The same six a quarter of an hour apart: at most four in any hour
        // (one an hour after another is outside its window).
        let slow: Vec<Timestamp> = (0..6).map(|i| m(100 + i * 15)).collect();
        let d = device_health(&[], &slow, &[], h(0), h(24), &rule);
        assert_eq!((d.most_transitions, d.flapping), (4, false));
        // Inside planned maintenance they do not count.
        let d = device_health(&[], &quick, &[(m(90), m(200))], h(0), h(24), &rule);
        assert_eq!((d.most_transitions, d.flapping), (0, false));
        assert!(
            FlapRule {
                transitions: 1,
                window_minutes: 60
            }
            .problem()
            .is_some()
        );
        assert!(
            FlapRule {
                transitions: 4,
                window_minutes: 0
            }
            .problem()
            .is_some()
        );
        assert!(FlapRule::default().problem().is_none());
    }

    #[test]
    fn a_client_adds_its_devices() {
        let a = device_health(
            &[(h(10), h(12))],
            &[],
            &[],
            h(0),
            h(100),
            &FlapRule::default(),
        );
        let b = device_health(
            &[(h(20), h(21)), (h(30), h(31))],
            &[],
            &[],
            h(0),
            h(100),
            &FlapRule::default(),
        );
        let mut c = ClientHealth::new("alpha");
        c.add(&a);
        c.add(&b);
        assert_eq!((c.devices, c.failures), (2, 3));
        assert_eq!(c.down_s, 4.0 * 3600.0);
        assert_eq!(c.availability, Some(1.0 - 4.0 / 200.0));
        assert_eq!(c.mtbf_s, Some(196.0 * 3600.0 / 3.0));
    }
}
