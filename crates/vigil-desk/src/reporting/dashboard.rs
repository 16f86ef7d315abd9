//! The dashboards' figures, per client or across clients: alarms per hour
//! by category, the false-alarm rate, mean times to acknowledge and to
//! resolve, the rules that fire most, devices offline, and open alarms by
//! tenant.
//!
//! Hours are whole UTC hours ending with the one that holds "now" (from the
//! node's clock). An alarm counts in the hour its desk record says it
//! began; a close counts in the hour it was made. Only people's
//! acknowledgements and closes count for the mean times: the automation's
//! instant closes would flatter them.

use std::collections::{BTreeMap, HashMap};

use chrono::{Duration, DurationRound};
use serde::Serialize;
use vigil_model::{Tenant, TenantId, Timestamp};
use vigil_store::{DeviceRecord, SupervisionRecord};

use super::category::{Category, RuleFacts, category};
use crate::alarm::{Alarm, AlarmStatus, Verdict};

/// How long before the window alarms are read, for closes and
/// acknowledgements inside it of alarms raised before it.
const LOOKBACK_DAYS: i64 = 7;
/// Rules listed in `top_rules`.
const TOP_RULES: usize = 10;

/// The hours a dashboard covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    /// Start of the first hour.
    pub from: Timestamp,
    /// How many hours.
    pub hours: i64,
    /// Now, within the last hour.
    pub now: Timestamp,
}

impl Window {
    /// The `hours` whole UTC hours ending with the one that holds `now`.
    pub fn last_hours(now: Timestamp, hours: i64) -> Self {
        let this_hour = now.duration_trunc(Duration::hours(1)).unwrap_or(now);
        Self {
            from: this_hour - Duration::hours(hours - 1),
            hours,
            now,
        }
    }

    /// From when the dashboard's alarms must be read: an alarm raised up to
    /// a week before the window may be acknowledged or closed inside it.
    pub fn read_from(&self) -> Timestamp {
        self.from - Duration::days(LOOKBACK_DAYS)
    }

    /// The index of the hour that holds `t`, if it is in the window (and
    /// not after now).
    fn hour_of(&self, t: Timestamp) -> Option<usize> {
        if t < self.from || t > self.now {
            return None;
        }
        let i = (t - self.from).num_hours();
        (0..self.hours).contains(&i).then_some(i as usize)
    }

    fn hour_start(&self, i: usize) -> Timestamp {
        self.from + Duration::hours(i as i64)
    }
}

/// Alarms raised in one hour, by category.
#[derive(Debug, Default, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct HourCounts {
    /// The hour's start.
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub hour: Timestamp,
    /// Cyber alarms.
    pub cyber: u64,
    /// Physical alarms (access, intrusion, video, devices).
    pub physical: u64,
    /// Converged alarms (rules spanning cyber and physical).
    pub converged: u64,
    /// Environmental alarms (building sensors).
    pub environmental: u64,
}

/// The false-alarm rate of one hour's closes.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct HourRate {
    /// The hour's start.
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub hour: Timestamp,
    /// False positives among the alarms closed in the hour, 0–1 (0 when none closed).
    pub rate: f64,
    /// Alarms closed in the hour.
    pub closed: u64,
    /// Of which false positives.
    pub false_positive: u64,
}

/// A rule and how many alarms it raised.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RuleCount {
    /// The rule's id.
    pub rule_id: String,
    /// Its title.
    pub title: String,
    /// Alarms it raised in the window.
    pub count: u64,
}

/// A device whose supervision is lost.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OfflineDevice {
    /// The tenant.
    pub tenant: String,
    /// The site, when known.
    pub site: Option<String>,
    /// The device's id.
    pub device: String,
    /// Its name (its id when it has none).
    pub name: String,
    /// Since when it is lost.
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub since: Timestamp,
}

/// Open alarms of one tenant.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TenantCounts {
    /// The tenant.
    pub tenant: String,
    /// Alarms not closed.
    pub open: u64,
    /// Of which nobody has taken yet.
    pub new: u64,
}

/// The dashboards' numbers.
// Named `Stats` in the OpenAPI document: the name clients have generated
// code against since `/api/v1/stats` first served it.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = Stats))]
pub struct Dashboard {
    /// Start of the first hour.
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub from: Timestamp,
    /// Now.
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub to: Timestamp,
    /// Alarms per hour by category, oldest hour first.
    pub alarms_per_hour: Vec<HourCounts>,
    /// False-alarm rate per hour, oldest first.
    pub false_alarm_rate: Vec<HourRate>,
    /// Mean seconds from raising to a person's acknowledgement, for
    /// acknowledgements in the window.
    pub mtta_seconds: Option<f64>,
    /// Mean seconds from raising to a person's close, for closes in the window.
    pub mttr_seconds: Option<f64>,
    /// The rules that raised most alarms in the window.
    pub top_rules: Vec<RuleCount>,
    /// Devices offline now.
    pub devices_offline: Vec<OfflineDevice>,
    /// Open alarms by tenant, now.
    pub by_tenant: Vec<TenantCounts>,
}

/// What a dashboard is computed from, all in the asker's scope.
#[derive(Debug, Clone, Copy)]
pub struct DashboardInput<'a> {
    /// The hours it covers.
    pub window: Window,
    /// The alarms whose records are dated from [`Window::read_from`], any
    /// status ([`crate::service::Desk::alarms_since`]).
    pub alarms: &'a [Alarm],
    /// The alarms open now ([`crate::service::Desk::open_alarms`]).
    pub open_alarms: &'a [Alarm],
    /// Facts about the loaded rules, by rule id; alarms of rules not in it
    /// are categorised by their entities.
    pub rules: &'a HashMap<String, RuleFacts>,
    /// The tenants, each listed in `by_tenant` even with nothing open.
    pub tenants: &'a [Tenant],
    /// The estate's devices, for their names (empty without an estate).
    pub devices: &'a [DeviceRecord],
    /// The devices' supervision states (empty without an estate).
    pub supervision: &'a [SupervisionRecord],
}

/// The dashboard computed from `input`.
pub fn dashboard(input: &DashboardInput<'_>) -> Dashboard {
    let numbers = alarm_numbers(input.alarms, input.rules, &input.window);
    Dashboard {
        from: input.window.from,
        to: input.window.now,
        alarms_per_hour: numbers.alarms_per_hour,
        false_alarm_rate: numbers.false_alarm_rate,
        mtta_seconds: numbers.mtta_seconds,
        mttr_seconds: numbers.mttr_seconds,
        top_rules: numbers.top_rules,
        devices_offline: devices_offline(input.devices, input.supervision),
        by_tenant: open_by_tenant(input.tenants, input.open_alarms),
    }
}

/// The numbers computed from alarms alone.
struct AlarmNumbers {
    alarms_per_hour: Vec<HourCounts>,
    false_alarm_rate: Vec<HourRate>,
    mtta_seconds: Option<f64>,
    mttr_seconds: Option<f64>,
    top_rules: Vec<RuleCount>,
}

fn mean(values: &[f64]) -> Option<f64> {
    (!values.is_empty()).then(|| values.iter().sum::<f64>() / values.len() as f64)
}

/// The alarm numbers for the hours of `window`.
fn alarm_numbers(
    alarms: &[Alarm],
    rules: &HashMap<String, RuleFacts>,
    window: &Window,
) -> AlarmNumbers {
    let slots = window.hours.max(0) as usize;
    let mut per_hour: Vec<HourCounts> = (0..slots)
        .map(|i| HourCounts {
            hour: window.hour_start(i),
            ..Default::default()
        })
        .collect();
    let mut closes = vec![(0u64, 0u64); slots];
    let (mut acks, mut resolves) = (Vec::new(), Vec::new());
    let mut rule_counts: BTreeMap<&str, (&str, u64)> = BTreeMap::new();
    for a in alarms {
        if let Some(slot) = window
            .hour_of(a.first_seen)
            .and_then(|i| per_hour.get_mut(i))
        {
            match category(rules.get(&a.rule_id), &a.entities) {
                Category::Cyber => slot.cyber += 1,
                Category::Physical => slot.physical += 1,
                Category::Converged => slot.converged += 1,
                Category::Environmental => slot.environmental += 1,
            }
            rule_counts
                .entry(&a.rule_id)
                .or_insert((&a.rule_title, 0))
                .1 += 1;
        }
        let ack = a
            .transitions
            .iter()
            .find(|t| t.to == AlarmStatus::Acknowledged && t.from == AlarmStatus::New);
        if let Some(t) = ack
            && window.hour_of(t.at).is_some()
        {
            acks.push((t.at - a.raised_at).num_milliseconds() as f64 / 1000.0);
        }
        if a.status == AlarmStatus::Closed
            && let Some(close) = a
                .transitions
                .iter()
                .rev()
                .find(|t| t.to == AlarmStatus::Closed)
            && let Some(i) = window.hour_of(close.at)
            && let Some(c) = closes.get_mut(i)
        {
            c.0 += 1;
            if a.verdict == Some(Verdict::FalsePositive) {
                c.1 += 1;
            }
            // A person's close; the automation closes by `suppress`
            // (suppressions, maintenance) and `auto_close` (the model).
            if close.command == "close" {
                resolves.push((close.at - a.raised_at).num_milliseconds() as f64 / 1000.0);
            }
        }
    }
    let false_alarm_rate = closes
        .into_iter()
        .enumerate()
        .map(|(i, (closed, fp))| HourRate {
            hour: window.hour_start(i),
            rate: if closed == 0 {
                0.0
            } else {
                fp as f64 / closed as f64
            },
            closed,
            false_positive: fp,
        })
        .collect();
    let mut top: Vec<RuleCount> = rule_counts
        .into_iter()
        .map(|(id, (title, count))| RuleCount {
            rule_id: id.to_owned(),
            title: title.to_owned(),
            count,
        })
        .collect();
    top.sort_by(|a, b| b.count.cmp(&a.count).then(a.rule_id.cmp(&b.rule_id)));
    top.truncate(TOP_RULES);
    AlarmNumbers {
        alarms_per_hour: per_hour,
        false_alarm_rate,
        mtta_seconds: mean(&acks),
        mttr_seconds: mean(&resolves),
        top_rules: top,
    }
}

/// The devices whose supervision is lost, longest lost first, named from
/// the device register.
fn devices_offline(
    devices: &[DeviceRecord],
    supervision: &[SupervisionRecord],
) -> Vec<OfflineDevice> {
    let names: HashMap<(&TenantId, &str), Option<&String>> = devices
        .iter()
        .map(|d| ((&d.tenant, d.id.as_str()), d.name.as_ref()))
        .collect();
    let mut out: Vec<OfflineDevice> = supervision
        .iter()
        .filter_map(|s| {
            let since = s.lost_since?;
            let name = names
                .get(&(&s.tenant, s.device.as_str()))
                .copied()
                .flatten()
                .unwrap_or(&s.device);
            Some(OfflineDevice {
                tenant: s.tenant.to_string(),
                site: s.site.as_ref().map(|s| s.to_string()),
                device: s.device.clone(),
                name: name.clone(),
                since,
            })
        })
        .collect();
    out.sort_by(|a, b| a.since.cmp(&b.since).then(a.device.cmp(&b.device)));
    out
}

/// Open and untaken alarms per tenant, every tenant listed.
fn open_by_tenant(tenants: &[Tenant], open: &[Alarm]) -> Vec<TenantCounts> {
    let mut by_tenant: BTreeMap<&TenantId, (u64, u64)> =
        tenants.iter().map(|t| (&t.id, (0, 0))).collect();
    for a in open {
        let entry = by_tenant.entry(&a.tenant).or_default();
        entry.0 += 1;
        if a.status == AlarmStatus::New {
            entry.1 += 1;
        }
    }
    by_tenant
        .into_iter()
        .map(|(t, (open, new))| TenantCounts {
            tenant: t.to_string(),
            open,
            new,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    #[test]
    fn a_window_is_whole_hours_ending_with_the_one_holding_now() {
        let now = chrono::Utc.with_ymd_and_hms(2026, 3, 2, 10, 30, 0).unwrap();
        let w = Window::last_hours(now, 2);
        assert_eq!(
            w.from,
            chrono::Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).unwrap()
        );
        assert_eq!(w.read_from(), w.from - Duration::days(7));
        assert_eq!(w.hour_of(w.from), Some(0));
        assert_eq!(w.hour_of(now), Some(1));
        assert_eq!(w.hour_of(now + Duration::minutes(1)), None);
        assert_eq!(w.hour_of(w.from - Duration::seconds(1)), None);
    }
}
