//! The report's tables as rows of text, shared by the HTML and the PDF
//! (which differ in layout, not in what the tables say).

use super::text::{count, duration, percent};
use crate::reporting::service::{ServiceReport, Summary};

/// Times to detect, acknowledge, notify, contain and resolve: subject and
/// measure (joined by `sep`), count, median, 90th percentile.
pub(super) fn timings(s: &Summary, sep: &str) -> Vec<Vec<String>> {
    s.timings
        .iter()
        .map(|t| {
            vec![
                format!("{}{sep}{}", t.subject, t.measure),
                count(t.count),
                duration(t.median_s),
                duration(t.p90_s),
            ]
        })
        .collect()
}

/// SLA clocks per class and measure: met, breached, open, met share.
pub(super) fn service_levels(s: &Summary) -> Vec<Vec<String>> {
    s.sla
        .iter()
        .filter(|c| c.class.is_some() && c.measure.is_some())
        .map(|c| {
            vec![
                format!(
                    "{} {}",
                    c.class.map_or("all", |k| k.as_str()),
                    c.measure.map_or("all", |m| m.as_str())
                ),
                count(c.met),
                count(c.breached),
                count(c.open),
                percent(c.compliance),
            ]
        })
        .collect()
}

/// The key figures week by week; with `incidents`, their count too.
pub(super) fn weeks(r: &ServiceReport, incidents: bool) -> Vec<Vec<String>> {
    r.weeks
        .iter()
        .map(|w| {
            let f = &w.figures;
            let mut row = vec![
                format!(
                    "{}{}",
                    w.week.label,
                    if w.week.partial { " (part)" } else { "" }
                ),
                count(f.alarms),
            ];
            if incidents {
                row.push(count(f.incidents));
            }
            row.extend([
                percent(f.acknowledged_60s),
                duration(f.acknowledge_median_s),
                percent(f.false_alarm_rate),
                percent(f.sla_compliance),
            ]);
            row
        })
        .collect()
}

/// Alarms and incidents per category.
pub(super) fn categories(s: &Summary) -> Vec<Vec<String>> {
    s.alarms_by_category
        .iter()
        .zip(&s.incidents_by_category)
        .map(|(a, i)| vec![a.category.as_str().into(), count(a.count), count(i.count)])
        .collect()
}

/// Per operator: acknowledged, median time to acknowledge, closed.
pub(super) fn operators(s: &Summary) -> Vec<Vec<String>> {
    s.operators
        .iter()
        .map(|o| {
            vec![
                o.operator.clone(),
                count(o.acknowledged),
                duration(o.median_acknowledge_s),
                count(o.closed),
            ]
        })
        .collect()
}

/// Health over time per client: devices, availability, failures, MTBF,
/// flapping devices, planned maintenance.
pub(super) fn client_health(s: &Summary) -> Vec<Vec<String>> {
    s.devices
        .clients
        .iter()
        .map(|c| {
            vec![
                c.tenant.clone(),
                count(c.devices),
                percent(c.availability),
                count(c.failures),
                duration(c.mtbf_s),
                count(c.flapping),
                duration(Some(c.maintenance_s)),
            ]
        })
        .collect()
}

/// The devices that lost their path or flapped, most down first (at most
/// `limit`): name, kind, failures, down, availability, MTBF, flapping.
pub(super) fn device_health(r: &ServiceReport, limit: usize) -> Vec<Vec<String>> {
    let mut d: Vec<_> = r
        .rows
        .devices
        .iter()
        .filter(|d| d.down_s > 0.0 || d.flapping)
        .collect();
    d.sort_by(|a, b| {
        b.down_s
            .total_cmp(&a.down_s)
            .then(b.flapping.cmp(&a.flapping))
    });
    d.iter()
        .take(limit)
        .map(|d| {
            vec![
                d.name.clone(),
                d.kind.clone(),
                count(u64::from(d.failures)),
                duration(Some(d.down_s)),
                percent(d.availability),
                duration(d.mtbf_s),
                if d.flapping {
                    format!("yes ({})", d.most_transitions)
                } else {
                    "no".into()
                },
            ]
        })
        .collect()
}
