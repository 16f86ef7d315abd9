//! The monthly service report: what the desk did for one client (or all)
//! in one month, with the rows behind every figure.
//!
//! The month runs from local midnight on the 1st to local midnight on the
//! next 1st in the client's time zone ([`report_time_zone`]: its contract's
//! business calendar's, else most of its sites', else UTC; a report over
//! every client is cut in UTC). Clocks and states are read at the
//! report's instant (`as_of`), so a month read after it ended shows how its
//! alarms and incidents turned out; the same records and `as_of` give the
//! same report.
//!
//! The figures (all over alarms raised, or incidents opened, in the month):
//!
//! - **Acknowledged within 30 s / 60 s / 180 s**: of the alarms a person had
//!   to look at (all but those the false-alarm model or a suppression
//!   closed), the share whose first acknowledgement, take-over or close by
//!   a person came that soon after the desk raised it.
//! - **Times** (median and 90th percentile, nearest rank): to *detect*, the
//!   first evidence's event time to the alarm's raise; to *acknowledge*, the
//!   raise to a person's first acknowledgement; an alarm's *resolve*, the
//!   raise to a person's close. An incident's *acknowledge*, *notify*,
//!   *contain* and *resolve*: its opening to triaged, the client told,
//!   contained (or closed first) and closed, less the time it was paused
//!   waiting for the client or a third party. Wall time, not business time.
//! - **SLA**: every clock of those alarms and incidents under the client's
//!   contract, read at `as_of`: met, breached, or still open; compliance is
//!   met / (met + breached). Clocks of alarms the automation closed are
//!   listed but not counted.
//! - **False-alarm rate**: false positives among people's verdicts of true
//!   positive, false positive or benign (duplicates say nothing); the
//!   model's and suppressions' closes are counted beside it.
//! - **Categories**: alarms and incidents per category.
//! - **Availability** of the supervised devices and of the platform: see
//!   [`uptime`] for how each is estimated; the devices' health over time
//!   (availability per device and per client, failures, MTBF, flapping)
//!   leaves the client's approved planned maintenance out ([`health`]).
//! - **Operators**: per person, the month's alarms they acknowledged first,
//!   their median time to do so, and the alarms they closed.
//! - **Trends**: the key figures per ISO week (weeks cut by the client's
//!   time zone, the first and last clipped) over the month and the two
//!   before it.

pub mod figures;
pub mod health;
pub mod period;
pub mod rows;
pub mod uptime;

use std::collections::HashMap;

use serde::Serialize;
use vigil_contract::ContractSet;
use vigil_model::Timestamp;
use vigil_store::{DeviceRecord, SupervisionRecord};

use crate::alarm::Alarm;
use crate::incident::Incident;
use crate::planned_maintenance::PlannedMaintenance;
use crate::reporting::category::RuleFacts;

pub use figures::{
    CategoryCount, KeyFigures, OperatorFigures, SlaCell, Timing, Verdicts, WithinShare, percentile,
};
pub use health::{ClientHealth, DeviceHealth, FlapRule};
pub use period::{Month, MonthError, Period, Week, local_midnight, report_time_zone};
pub use rows::{AlarmRow, ClockRow, ClosedBy, IncidentRow, Outcome};
pub use uptime::{
    DeviceAvailability, DeviceMark, DeviceRow, HealthInput, PlatformAvailability, PlatformGap,
    PlatformMark,
};

/// Whom a report is about.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Client {
    /// The tenant's id; none for a report over every client.
    pub tenant: Option<String>,
    /// Its name, for people ("All clients" over every client).
    pub name: String,
    /// Where its data must stay (`EU/DE`), when configured.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub residency: Option<String>,
}

/// What a report is computed from, all in its client's scope (the
/// platform's audit marks excepted: only their times are read).
#[derive(Debug, Clone, Copy)]
pub struct ServiceInput<'a> {
    /// Whom it is about.
    pub client: &'a Client,
    /// The month, cut in the client's zone.
    pub period: &'a Period,
    /// The instant clocks and states are read at.
    pub as_of: Timestamp,
    /// The clients' contracts.
    pub contracts: &'a ContractSet,
    /// Facts about the loaded rules, for alarms' categories.
    pub rules: &'a HashMap<String, RuleFacts>,
    /// At least the alarms raised from [`Period::trend_from`] to the month's
    /// end (others are ignored).
    pub alarms: &'a [Alarm],
    /// At least the incidents opened in the same span.
    pub incidents: &'a [Incident],
    /// The supervised devices' records.
    pub supervision: &'a [SupervisionRecord],
    /// The device register, for names.
    pub devices: &'a [DeviceRecord],
    /// Supervision transitions from the month's `device_status` events.
    pub device_marks: &'a [DeviceMark],
    /// The approved work orders' windows (planned maintenance): alarms'
    /// clocks pause in them, availability leaves them out.
    pub maintenance: &'a PlannedMaintenance,
    /// When a device counts as flapping.
    pub flapping: &'a FlapRule,
    /// The audit log's entries up to the month's end, back to the last one
    /// before it began.
    pub platform_marks: &'a [PlatformMark],
    /// What the reading left out (caps reached), said on the report.
    pub notes: &'a [String],
}

/// The month's figures.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Summary {
    /// The key figures, as the weeks have them.
    pub key: KeyFigures,
    /// Acknowledged within 30, 60 and 180 s.
    pub acknowledged_within: Vec<WithinShare>,
    /// Median and p90 times.
    pub timings: Vec<Timing>,
    /// SLA clocks met and breached per class and measure.
    pub sla: Vec<SlaCell>,
    /// People's verdicts and the automation's closes.
    pub verdicts: Verdicts,
    /// Alarms raised per category.
    pub alarms_by_category: Vec<CategoryCount>,
    /// Incidents opened per category.
    pub incidents_by_category: Vec<CategoryCount>,
    /// The supervised devices' availability.
    pub devices: DeviceAvailability,
    /// The platform's own availability.
    pub platform: PlatformAvailability,
    /// Per operator.
    pub operators: Vec<OperatorFigures>,
}

/// One week of the trends.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WeekFigures {
    /// The week.
    #[serde(flatten)]
    pub week: Week,
    /// Its figures.
    pub figures: KeyFigures,
}

/// The rows behind the figures.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Rows {
    /// Alarms raised over the trends' months, oldest first.
    pub alarms: Vec<AlarmRow>,
    /// Incidents opened over the trends' months, oldest first.
    pub incidents: Vec<IncidentRow>,
    /// Their SLA clocks.
    pub clocks: Vec<ClockRow>,
    /// The supervised devices over the month.
    pub devices: Vec<DeviceRow>,
    /// The stretches the platform is counted down.
    pub platform: Vec<PlatformGap>,
}

/// The monthly service report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ServiceReport {
    /// Whom it is about.
    pub client: Client,
    /// The month and its bounds.
    pub period: Period,
    /// When its clocks and states were read.
    pub as_of: Timestamp,
    /// The month's end, or `as_of` if earlier: what availability measures.
    pub measured_to: Timestamp,
    /// The month's figures.
    pub summary: Summary,
    /// The key figures per ISO week over the trends' months.
    pub weeks: Vec<WeekFigures>,
    /// Every row behind them.
    pub rows: Rows,
    /// Approximations and omissions, in words.
    pub notes: Vec<String>,
}

/// The report computed from `input`.
pub fn service_report(input: &ServiceInput<'_>) -> ServiceReport {
    let period = input.period;
    let mut rows = Rows::default();
    let mut alarms: Vec<&Alarm> = input.alarms.iter().collect();
    alarms.sort_by(|a, b| a.raised_at.cmp(&b.raised_at).then(a.id.cmp(&b.id)));
    alarms.dedup_by(|a, b| a.id == b.id);
    for a in alarms {
        if let Some((row, clocks)) = rows::alarm_rows(
            a,
            period,
            input.contracts,
            input.rules,
            input.maintenance,
            input.as_of,
        ) {
            rows.alarms.push(row);
            rows.clocks.extend(clocks);
        }
    }
    let mut incidents: Vec<&Incident> = input.incidents.iter().collect();
    incidents.sort_by(|a, b| a.opened_at.cmp(&b.opened_at).then(a.id.cmp(&b.id)));
    incidents.dedup_by(|a, b| a.id == b.id);
    for i in incidents {
        if let Some((row, clocks)) =
            rows::incident_rows(i, period, input.contracts, input.maintenance, input.as_of)
        {
            rows.incidents.push(row);
            rows.clocks.extend(clocks);
        }
    }
    let measured_to = period.measured_to(input.as_of);
    let (device_rows, devices) = uptime::device_availability(
        input.supervision,
        input.devices,
        input.device_marks,
        HealthInput {
            maintenance: input.maintenance,
            flapping: input.flapping,
        },
        period.from,
        measured_to,
    );
    rows.devices = device_rows;
    let (gaps, platform) =
        uptime::platform_availability(input.platform_marks, period.from, measured_to);
    rows.platform = gaps;

    let month_alarms: Vec<&AlarmRow> = rows.alarms.iter().filter(|a| a.in_month).collect();
    let month_incidents: Vec<&IncidentRow> = rows.incidents.iter().filter(|i| i.in_month).collect();
    let month_clocks: Vec<&ClockRow> = rows.clocks.iter().filter(|c| c.in_month).collect();
    let summary = Summary {
        key: figures::key_figures(&month_alarms, &month_incidents, &month_clocks),
        acknowledged_within: figures::within_shares(&month_alarms),
        timings: figures::timings(&month_alarms, &month_incidents),
        sla: figures::sla_cells(&month_clocks),
        verdicts: figures::verdicts(&month_alarms),
        alarms_by_category: figures::by_category(month_alarms.iter().map(|a| a.category)),
        incidents_by_category: figures::by_category(month_incidents.iter().map(|i| i.category)),
        devices,
        platform,
        operators: figures::operators(&month_alarms),
    };
    let weeks = period
        .weeks
        .iter()
        .map(|w| {
            let a: Vec<&AlarmRow> = rows.alarms.iter().filter(|r| r.week == w.label).collect();
            let i: Vec<&IncidentRow> = rows
                .incidents
                .iter()
                .filter(|r| r.week == w.label)
                .collect();
            let c: Vec<&ClockRow> = rows.clocks.iter().filter(|r| r.week == w.label).collect();
            WeekFigures {
                week: w.clone(),
                figures: figures::key_figures(&a, &i, &c),
            }
        })
        .collect();
    let mut notes = vec![
        format!(
            "The month runs from {} to {} ({}); clocks and states are read at {}.",
            period.from.to_rfc3339(),
            period.to.to_rfc3339(),
            period.time_zone,
            input.as_of.to_rfc3339()
        ),
        "Device availability: losses run from the transmission-path-lost event (declared \
         once a device has been silent for its whole supervision interval, so up to one \
         interval late) to the restore; devices count for the whole month. Time in \
         maintenance the client approved (a work order's window) is neither measured \
         nor down, and alarms' clocks pause in it."
            .to_owned(),
        format!(
            "Failures are losses that began in the month outside planned maintenance; \
             MTBF is the time up divided by them; a device flaps with {} or more \
             losses and restores within {} minutes.",
            input.flapping.transitions, input.flapping.window_minutes
        ),
        "Platform availability: down from the last audit entry before each node start to \
         that start; an idle node's silence before a restart counts as down."
            .to_owned(),
    ];
    notes.extend(input.notes.iter().cloned());
    ServiceReport {
        client: input.client.clone(),
        period: period.clone(),
        as_of: input.as_of,
        measured_to,
        summary,
        weeks,
        rows,
        notes,
    }
}

#[cfg(test)]
pub(crate) mod tests;
