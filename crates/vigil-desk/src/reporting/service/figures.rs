//! The figures, each counted from rows ([`super::rows`]).

use std::collections::BTreeMap;

use serde::Serialize;
use vigil_contract::{Measure, PriorityClass};
use vigil_model::Category;

use super::rows::{AlarmRow, ClockRow, ClosedBy, IncidentRow, Outcome};
use crate::alarm::Verdict;

/// The acknowledgement thresholds reported, seconds after raising.
pub const ACK_WITHIN: [u32; 3] = [30, 60, 180];

/// The nearest-rank percentile `p` (0–100) of `values`: the value at rank
/// ⌈p/100 · n⌉ of the sorted values (so the median of an even count is the
/// lower middle value). None for no values.
pub fn percentile(values: &[f64], p: f64) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let rank = ((p / 100.0) * sorted.len() as f64).ceil().max(1.0) as usize;
    sorted.get(rank.min(sorted.len()) - 1).copied()
}

fn share(part: u64, whole: u64) -> Option<f64> {
    (whole > 0).then(|| part as f64 / whole as f64)
}

/// Alarms a person acknowledged within a number of seconds.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WithinShare {
    /// The threshold, seconds after raising.
    pub seconds: u32,
    /// Alarms for people acknowledged by a person within it.
    pub acknowledged: u64,
    /// Alarms for people.
    pub of: u64,
    /// acknowledged / of.
    pub share: Option<f64>,
}

/// Median and 90th percentile of one kind of duration.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Timing {
    /// `alarm` or `incident`.
    pub subject: &'static str,
    /// `detect`, `acknowledge`, `notify`, `contain` or `resolve`.
    pub measure: &'static str,
    /// How many durations.
    pub count: u64,
    /// Their median, seconds.
    pub median_s: Option<f64>,
    /// Their 90th percentile, seconds.
    pub p90_s: Option<f64>,
}

/// SLA clocks of one class and measure (`None`: all of them).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SlaCell {
    /// The class, or all.
    pub class: Option<PriorityClass>,
    /// The measure, or all.
    pub measure: Option<Measure>,
    /// Stopped in time.
    pub met: u64,
    /// Past due.
    pub breached: u64,
    /// Not yet decided.
    pub open: u64,
    /// met / (met + breached).
    pub compliance: Option<f64>,
}

/// The verdicts on the month's alarms that people closed.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Verdicts {
    /// Real.
    pub true_positive: u64,
    /// The rule fired on the wrong thing.
    pub false_positive: u64,
    /// Real but harmless.
    pub benign: u64,
    /// Handled under another alarm.
    pub duplicate: u64,
    /// false_positive / (true_positive + false_positive + benign).
    pub false_alarm_rate: Option<f64>,
    /// Closed by the false-alarm model (no verdict by a person).
    pub closed_by_model: u64,
    /// Closed by suppressions and maintenance windows.
    pub closed_by_suppression: u64,
}

/// How many of one category.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CategoryCount {
    /// The category.
    pub category: Category,
    /// Alarms raised (or incidents opened) in the month.
    pub count: u64,
}

/// One operator's month.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OperatorFigures {
    /// Their name.
    pub operator: String,
    /// The month's alarms they acknowledged first.
    pub acknowledged: u64,
    /// Median seconds from raising to their acknowledgement.
    pub median_acknowledge_s: Option<f64>,
    /// The month's alarms they closed.
    pub closed: u64,
}

/// The figures followed week by week (and for the month).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KeyFigures {
    /// Alarms raised.
    pub alarms: u64,
    /// Of which a person had to look at.
    pub for_people: u64,
    /// Incidents opened.
    pub incidents: u64,
    /// Share of alarms for people acknowledged by a person within 60 s.
    pub acknowledged_60s: Option<f64>,
    /// Median time to acknowledge, seconds.
    pub acknowledge_median_s: Option<f64>,
    /// 90th percentile time to acknowledge, seconds.
    pub acknowledge_p90_s: Option<f64>,
    /// The false-alarm rate of people's verdicts.
    pub false_alarm_rate: Option<f64>,
    /// Counted SLA clocks met.
    pub sla_met: u64,
    /// Counted SLA clocks breached.
    pub sla_breached: u64,
    /// met / (met + breached).
    pub sla_compliance: Option<f64>,
}

/// Shares of alarms for people acknowledged within each of [`ACK_WITHIN`].
pub(crate) fn within_shares(alarms: &[&AlarmRow]) -> Vec<WithinShare> {
    let people: Vec<&&AlarmRow> = alarms.iter().filter(|a| a.for_people).collect();
    ACK_WITHIN
        .iter()
        .map(|&s| {
            let acknowledged = people
                .iter()
                .filter(|a| a.acknowledge_s.is_some_and(|t| t <= f64::from(s)))
                .count() as u64;
            WithinShare {
                seconds: s,
                acknowledged,
                of: people.len() as u64,
                share: share(acknowledged, people.len() as u64),
            }
        })
        .collect()
}

fn timing(subject: &'static str, measure: &'static str, values: Vec<f64>) -> Timing {
    Timing {
        subject,
        measure,
        count: values.len() as u64,
        median_s: percentile(&values, 50.0),
        p90_s: percentile(&values, 90.0),
    }
}

/// Median and p90 of each duration the rows carry.
pub(crate) fn timings(alarms: &[&AlarmRow], incidents: &[&IncidentRow]) -> Vec<Timing> {
    let of_alarms = |f: fn(&AlarmRow) -> Option<f64>| alarms.iter().filter_map(|a| f(a)).collect();
    let of_incidents =
        |f: fn(&IncidentRow) -> Option<f64>| incidents.iter().filter_map(|i| f(i)).collect();
    vec![
        timing("alarm", "detect", of_alarms(|a| Some(a.detect_s))),
        timing("alarm", "acknowledge", of_alarms(|a| a.acknowledge_s)),
        timing("alarm", "resolve", of_alarms(|a| a.resolve_s)),
        timing("incident", "acknowledge", of_incidents(|i| i.acknowledge_s)),
        timing("incident", "notify", of_incidents(|i| i.notify_s)),
        timing("incident", "contain", of_incidents(|i| i.contain_s)),
        timing("incident", "resolve", of_incidents(|i| i.resolve_s)),
    ]
}

fn cell(class: Option<PriorityClass>, measure: Option<Measure>, clocks: &[&ClockRow]) -> SlaCell {
    let mut c = SlaCell {
        class,
        measure,
        met: 0,
        breached: 0,
        open: 0,
        compliance: None,
    };
    for r in clocks.iter().filter(|r| {
        r.counted && class.is_none_or(|k| k == r.class) && measure.is_none_or(|m| m == r.measure)
    }) {
        match r.outcome {
            Outcome::Met => c.met += 1,
            Outcome::Breached => c.breached += 1,
            Outcome::Open => c.open += 1,
        }
    }
    c.compliance = share(c.met, c.met + c.breached);
    c
}

/// Met, breached and open counted clocks: every class × measure that has
/// any, then each class, each measure, and all.
pub(crate) fn sla_cells(clocks: &[&ClockRow]) -> Vec<SlaCell> {
    let mut out = Vec::new();
    for class in PriorityClass::ALL {
        for measure in Measure::ALL {
            let c = cell(Some(class), Some(measure), clocks);
            if c.met + c.breached + c.open > 0 {
                out.push(c);
            }
        }
    }
    out.extend(PriorityClass::ALL.map(|k| cell(Some(k), None, clocks)));
    out.extend(Measure::ALL.map(|m| cell(None, Some(m), clocks)));
    out.push(cell(None, None, clocks));
    out
}

/// The verdicts of people's closes and the automation's closes.
pub(crate) fn verdicts(alarms: &[&AlarmRow]) -> Verdicts {
    let mut v = Verdicts::default();
    for a in alarms {
        match a.closed_by {
            Some(ClosedBy::Model) => v.closed_by_model += 1,
            Some(ClosedBy::Suppression) => v.closed_by_suppression += 1,
            Some(ClosedBy::Person) => match a.verdict {
                Some(Verdict::TruePositive) => v.true_positive += 1,
                Some(Verdict::FalsePositive) => v.false_positive += 1,
                Some(Verdict::Benign) => v.benign += 1,
                Some(Verdict::Duplicate) => v.duplicate += 1,
                None => {}
            },
            None => {}
        }
    }
    v.false_alarm_rate = share(
        v.false_positive,
        v.true_positive + v.false_positive + v.benign,
    );
    v
}

/// Counts per category, every category listed.
pub(crate) fn by_category(categories: impl Iterator<Item = Category>) -> Vec<CategoryCount> {
    let mut counts: BTreeMap<Category, u64> = Category::ALL.map(|c| (c, 0)).into_iter().collect();
    for c in categories {
        *counts.entry(c).or_default() += 1;
    }
    counts
        .into_iter()
        .map(|(category, count)| CategoryCount { category, count })
        .collect()
}

/// Per person: the month's alarms they acknowledged first (and how fast)
/// and closed; by name.
pub(crate) fn operators(alarms: &[&AlarmRow]) -> Vec<OperatorFigures> {
    let mut acks: BTreeMap<&str, Vec<f64>> = BTreeMap::new();
    let mut closes: BTreeMap<&str, u64> = BTreeMap::new();
    for a in alarms {
        if let (Some(who), Some(t)) = (&a.acknowledged_by, a.acknowledge_s) {
            acks.entry(who).or_default().push(t);
        }
        if let (Some(ClosedBy::Person), Some(who)) = (a.closed_by, &a.closer)
            && !who.starts_with("system:")
        {
            *closes.entry(who).or_default() += 1;
        }
    }
    let mut names: Vec<&str> = acks.keys().chain(closes.keys()).copied().collect();
    names.sort_unstable();
    names.dedup();
    names
        .into_iter()
        .map(|n| {
            let times = acks.get(n).map(Vec::as_slice).unwrap_or_default();
            OperatorFigures {
                operator: n.to_owned(),
                acknowledged: times.len() as u64,
                median_acknowledge_s: percentile(times, 50.0),
                closed: closes.get(n).copied().unwrap_or(0),
            }
        })
        .collect()
}

/// The key figures of a set of rows.
pub(crate) fn key_figures(
    alarms: &[&AlarmRow],
    incidents: &[&IncidentRow],
    clocks: &[&ClockRow],
) -> KeyFigures {
    let within = within_shares(alarms);
    let tta: Vec<f64> = alarms.iter().filter_map(|a| a.acknowledge_s).collect();
    let all = cell(None, None, clocks);
    KeyFigures {
        alarms: alarms.len() as u64,
        for_people: alarms.iter().filter(|a| a.for_people).count() as u64,
        incidents: incidents.len() as u64,
        acknowledged_60s: within
            .iter()
            .find(|w| w.seconds == 60)
            .and_then(|w| w.share),
        acknowledge_median_s: percentile(&tta, 50.0),
        acknowledge_p90_s: percentile(&tta, 90.0),
        false_alarm_rate: verdicts(alarms).false_alarm_rate,
        sla_met: all.met,
        sla_breached: all.breached,
        sla_compliance: all.compliance,
    }
}
