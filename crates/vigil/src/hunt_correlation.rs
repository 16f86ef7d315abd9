//! How `vigil hunt` shows correlation alerts: a table row with the
//! contributing events under it, or a JSON line, and a summary per
//! correlation.

use std::collections::BTreeMap;
use std::io::{self, Write};

use chrono::SecondsFormat;
use vigil_hunt::{AlertEvent, CorrelationAlert, Position};
use vigil_model::Timestamp;

/// Contributing events listed under a correlation alert in the table.
const TABLE_EVENTS: usize = 5;

/// Correlation alerts, per correlation id: its title, level and count.
#[derive(Debug, Default)]
pub(crate) struct CorrelationCounts {
    per_correlation: BTreeMap<String, (String, vigil_model::Severity, u64)>,
    alerts: u64,
}

impl CorrelationCounts {
    /// Counts `alert`.
    pub(crate) fn add(&mut self, alert: &CorrelationAlert) {
        let meta = &alert.correlation;
        self.alerts += 1;
        self.per_correlation
            .entry(meta.id.clone())
            .or_insert_with(|| (meta.title.clone(), meta.level, 0))
            .2 += 1;
    }

    /// The summary: how many alerts by how many correlations, then a row per
    /// correlation, the most severe first. Nothing when no correlation ran.
    pub(crate) fn write(&self, out: &mut dyn Write, correlations: usize) -> io::Result<()> {
        if correlations == 0 {
            return Ok(());
        }
        let mut rows: Vec<(&String, &(String, vigil_model::Severity, u64))> =
            self.per_correlation.iter().collect();
        writeln!(out)?;
        rows.sort_by(|a, b| {
            b.1.1
                .cmp(&a.1.1)
                .then(b.1.2.cmp(&a.1.2))
                .then(a.1.0.cmp(&b.1.0))
        });
        writeln!(
            out,
            "{} correlation alerts by {} of {correlations} correlation rules",
            self.alerts,
            rows.len()
        )?;
        for (id, (title, level, count)) in rows {
            writeln!(out, "{count:>8}  {:<8}  {title} ({id})", level.as_str())?;
        }
        Ok(())
    }
}

fn time(t: Timestamp) -> String {
    t.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

fn place(event: &AlertEvent) -> String {
    match &event.place {
        Some((origin, Position::Offset(o))) => format!("{origin} at byte {o}"),
        Some((origin, Position::Record(r))) => format!("{origin} at record {r}"),
        None => "-".to_owned(),
    }
}

/// The window's value, as the correlation type counts it.
fn value_text(alert: &CorrelationAlert) -> String {
    let value = alert.value;
    if value.fract() == 0.0 && value.abs() < 1e15 {
        format!("{value:.0}")
    } else {
        format!("{value:.3}")
    }
}

/// A table row for `alert`, with up to [`TABLE_EVENTS`] contributing events
/// on the lines under it.
pub(crate) fn table_lines(alert: &CorrelationAlert) -> String {
    let meta = &alert.correlation;
    let mut text = format!(
        "{:<26} {:<8} {:<60} {:<24} correlation={} value={} events={} window={}..{}",
        time(alert.window_start),
        meta.level.as_str(),
        crate::hunt::cut(&meta.title, 60),
        alert.group_key(),
        meta.kind.as_str(),
        value_text(alert),
        alert.event_count,
        time(alert.window_start),
        time(alert.last_seen),
    );
    for event in alert.events.iter().take(TABLE_EVENTS) {
        text.push_str(&format!("\n    {} {}", time(event.time), place(event)));
    }
    let listed = alert.events.len().min(TABLE_EVENTS) as u64;
    if alert.event_count > listed {
        text.push_str(&format!("\n    … and {} more", alert.event_count - listed));
    }
    text
}

/// A JSON line for `alert`: `correlation` tells it from a detection's line.
pub(crate) fn json_line(alert: &CorrelationAlert) -> String {
    let meta = &alert.correlation;
    let group: serde_json::Map<String, serde_json::Value> = alert
        .group
        .iter()
        .map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone())))
        .collect();
    let events: Vec<serde_json::Value> = alert
        .events
        .iter()
        .map(|e| {
            let (origin, position) = match &e.place {
                Some((origin, Position::Offset(o))) => {
                    (Some(&**origin), serde_json::json!({ "offset": o }))
                }
                Some((origin, Position::Record(r))) => {
                    (Some(&**origin), serde_json::json!({ "record": r }))
                }
                None => (None, serde_json::Value::Null),
            };
            serde_json::json!({ "time": time(e.time), "origin": origin, "position": position })
        })
        .collect();
    serde_json::json!({
        "time": time(alert.last_seen),
        "rule": {
            "id": meta.id,
            "title": meta.title,
            "level": meta.level.as_str(),
            "tags": meta.tags,
        },
        "correlation": {
            "type": meta.kind.as_str(),
            "timespan_seconds": meta.timespan_seconds,
            "group_by": meta.group_by,
            "rules": meta.rules,
        },
        "group": group,
        "group_key": alert.group_key(),
        "window_start": time(alert.window_start),
        "first_seen": time(alert.first_seen),
        "last_seen": time(alert.last_seen),
        "value": alert.value,
        "event_count": alert.event_count,
        "events": events,
    })
    .to_string()
}
