//! The report as one CSV table: a row per alarm, incident, SLA clock,
//! supervised device and platform gap (`record` says which), then a row per
//! figure of the month (`summary`) and per figure of each week (`week`).
//! Times are RFC 3339 UTC, durations seconds, shares 0–1; an empty cell is
//! no value. Each summary figure can be recounted from the rows above it
//! (rows with `in_month` true, `for_people` as the figure says).

use serde::{Deserialize, Serialize};
use vigil_model::Timestamp;

use crate::reporting::service::{KeyFigures, ServiceReport};

/// One line of the CSV. Which columns are filled depends on `record`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CsvRow {
    /// `alarm`, `incident`, `clock`, `device`, `platform_gap`, `summary` or `week`.
    pub record: String,
    /// The alarm's, incident's or device's id (a clock's: its subject's).
    pub id: String,
    /// The client.
    pub tenant: String,
    /// The site.
    pub site: String,
    /// Whether the row is in the report's month (`true`/`false`).
    pub in_month: String,
    /// The ISO week.
    pub week: String,
    /// The rule's, incident's or device's name.
    pub title: String,
    /// The category (alarm, incident), or the clock's subject kind.
    pub category: String,
    /// The contract's class.
    pub class: String,
    /// The clock's measure.
    pub measure: String,
    /// The severity (alarm, incident) or device kind.
    pub severity: String,
    /// The priority score.
    pub score: String,
    /// The alarm's status, incident's state or clock's state.
    pub state: String,
    /// A clock's outcome: met, breached, open.
    pub outcome: String,
    /// The alarm's verdict or incident's resolution.
    pub verdict: String,
    /// person, model or suppression.
    pub closed_by: String,
    /// Whether a person had to look at the alarm (clocks: counted).
    pub for_people: String,
    /// Who acknowledged the alarm first.
    pub acknowledged_by: String,
    /// Who closed it.
    pub closer: String,
    /// An alarm's first evidence (event time).
    pub first_seen: String,
    /// An alarm's raise, an incident's opening, a clock's start, a gap's start.
    pub started_at: String,
    /// An alarm's or incident's first acknowledgement (incident: triaged).
    pub acknowledged_at: String,
    /// An incident's notification of the client.
    pub notified_at: String,
    /// An incident's containment.
    pub contained_at: String,
    /// A close; a clock's stop; a gap's end.
    pub closed_at: String,
    /// A clock's due time.
    pub due: String,
    /// A clock's breach.
    pub breached_at: String,
    /// A clock's target, seconds.
    pub target_s: String,
    /// A clock's counted calendar time, seconds.
    pub elapsed_s: String,
    /// Paused wall time, seconds.
    pub paused_s: String,
    /// Time to detect, seconds.
    pub detect_s: String,
    /// Time to acknowledge, seconds.
    pub acknowledge_s: String,
    /// Time to notify, seconds.
    pub notify_s: String,
    /// Time to contain, seconds.
    pub contain_s: String,
    /// Time to resolve, seconds.
    pub resolve_s: String,
    /// Seconds measured (devices, platform).
    pub measured_s: String,
    /// Seconds down (devices, platform gaps).
    pub down_s: String,
    /// A summary's or week's figure name.
    pub figure: String,
    /// Its value.
    pub value: String,
}

fn t(at: Timestamp) -> String {
    at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

fn ot(at: Option<Timestamp>) -> String {
    at.map(t).unwrap_or_default()
}

fn n(v: f64) -> String {
    // -0 (an empty sum) is 0.
    let v = v + 0.0;
    // Whole seconds print without a fraction; shares keep four places.
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{v:.0}")
    } else {
        format!("{v:.4}")
    }
}

fn on(v: Option<f64>) -> String {
    v.map(n).unwrap_or_default()
}

fn name<T: Serialize>(v: &T) -> String {
    match serde_json::to_value(v) {
        Ok(serde_json::Value::String(s)) => s,
        Ok(other) => other.to_string(),
        Err(_) => String::new(),
    }
}

/// Every figure of the month, named as the CSV names them:
/// (figure, class, measure, value).
pub fn summary_figures(report: &ServiceReport) -> Vec<(String, String, String, String)> {
    let s = &report.summary;
    let mut out = Vec::new();
    let mut put = |f: &str, class: String, measure: String, v: String| {
        out.push((f.to_owned(), class, measure, v));
    };
    for (f, v) in key_figures(&s.key) {
        put(f, String::new(), String::new(), v);
    }
    for w in &s.acknowledged_within {
        let f = format!("acknowledged_within_{}s", w.seconds);
        put(&f, String::new(), String::new(), w.acknowledged.to_string());
        put(
            &format!("{f}_share"),
            String::new(),
            String::new(),
            on(w.share),
        );
    }
    for tm in &s.timings {
        let f = format!("{}_{}", tm.subject, tm.measure);
        put(
            &format!("{f}_count"),
            String::new(),
            String::new(),
            tm.count.to_string(),
        );
        put(
            &format!("{f}_median_s"),
            String::new(),
            String::new(),
            on(tm.median_s),
        );
        put(
            &format!("{f}_p90_s"),
            String::new(),
            String::new(),
            on(tm.p90_s),
        );
    }
    for c in &s.sla {
        let class = c
            .class
            .map_or_else(|| "all".to_owned(), |k| k.as_str().to_owned());
        let measure = c
            .measure
            .map_or_else(|| "all".to_owned(), |m| m.as_str().to_owned());
        put("sla_met", class.clone(), measure.clone(), c.met.to_string());
        put(
            "sla_breached",
            class.clone(),
            measure.clone(),
            c.breached.to_string(),
        );
        put(
            "sla_open",
            class.clone(),
            measure.clone(),
            c.open.to_string(),
        );
        put("sla_compliance", class, measure, on(c.compliance));
    }
    let v = &s.verdicts;
    for (f, x) in [
        ("verdict_true_positive", v.true_positive),
        ("verdict_false_positive", v.false_positive),
        ("verdict_benign", v.benign),
        ("verdict_duplicate", v.duplicate),
        ("closed_by_model", v.closed_by_model),
        ("closed_by_suppression", v.closed_by_suppression),
    ] {
        put(f, String::new(), String::new(), x.to_string());
    }
    for c in &s.alarms_by_category {
        put(
            &format!("alarms_{}", c.category.as_str()),
            String::new(),
            String::new(),
            c.count.to_string(),
        );
    }
    for c in &s.incidents_by_category {
        put(
            &format!("incidents_{}", c.category.as_str()),
            String::new(),
            String::new(),
            c.count.to_string(),
        );
    }
    let d = &s.devices;
    put(
        "devices",
        String::new(),
        String::new(),
        d.devices.to_string(),
    );
    put(
        "device_seconds",
        String::new(),
        String::new(),
        n(d.device_seconds),
    );
    put(
        "device_down_seconds",
        String::new(),
        String::new(),
        n(d.down_seconds),
    );
    put(
        "device_availability",
        String::new(),
        String::new(),
        on(d.availability),
    );
    for (f, v) in [
        ("device_maintenance_seconds", n(d.maintenance_seconds)),
        ("device_failures", d.failures.to_string()),
        ("device_mtbf_s", on(d.mtbf_s)),
        ("device_flapping", d.flapping.to_string()),
    ] {
        put(f, String::new(), String::new(), v);
    }
    let p = &s.platform;
    put(
        "platform_measured_seconds",
        String::new(),
        String::new(),
        n(p.measured_seconds),
    );
    put(
        "platform_down_seconds",
        String::new(),
        String::new(),
        n(p.down_seconds),
    );
    put(
        "platform_starts",
        String::new(),
        String::new(),
        p.starts.to_string(),
    );
    put(
        "platform_availability",
        String::new(),
        String::new(),
        on(p.availability),
    );
    for o in &s.operators {
        put(
            &format!("operator_acknowledged:{}", o.operator),
            String::new(),
            String::new(),
            o.acknowledged.to_string(),
        );
        put(
            &format!("operator_median_acknowledge_s:{}", o.operator),
            String::new(),
            String::new(),
            on(o.median_acknowledge_s),
        );
        put(
            &format!("operator_closed:{}", o.operator),
            String::new(),
            String::new(),
            o.closed.to_string(),
        );
    }
    out
}

fn key_figures(k: &KeyFigures) -> Vec<(&'static str, String)> {
    vec![
        ("alarms", k.alarms.to_string()),
        ("alarms_for_people", k.for_people.to_string()),
        ("incidents", k.incidents.to_string()),
        ("acknowledged_within_60s_share", on(k.acknowledged_60s)),
        ("acknowledge_median_s", on(k.acknowledge_median_s)),
        ("acknowledge_p90_s", on(k.acknowledge_p90_s)),
        ("false_alarm_rate", on(k.false_alarm_rate)),
        ("sla_met_all", k.sla_met.to_string()),
        ("sla_breached_all", k.sla_breached.to_string()),
        ("sla_compliance_all", on(k.sla_compliance)),
    ]
}

/// Every line of the CSV, in order.
pub fn csv_rows(report: &ServiceReport) -> Vec<CsvRow> {
    let mut out = Vec::new();
    for a in &report.rows.alarms {
        out.push(CsvRow {
            record: "alarm".into(),
            id: a.id.clone(),
            tenant: a.tenant.clone(),
            site: a.site.clone().unwrap_or_default(),
            in_month: a.in_month.to_string(),
            week: a.week.clone(),
            title: a.title.clone(),
            category: a.category.as_str().into(),
            class: a.class.as_str().into(),
            severity: a.severity.as_str().into(),
            score: n(a.score),
            state: a.status.as_str().into(),
            verdict: a.verdict.map(|v| v.as_str().to_owned()).unwrap_or_default(),
            closed_by: a
                .closed_by
                .map(|c| c.as_str().to_owned())
                .unwrap_or_default(),
            for_people: a.for_people.to_string(),
            acknowledged_by: a.acknowledged_by.clone().unwrap_or_default(),
            closer: a.closer.clone().unwrap_or_default(),
            first_seen: t(a.first_seen),
            started_at: t(a.raised_at),
            acknowledged_at: ot(a.acknowledged_at),
            closed_at: ot(a.closed_at),
            detect_s: n(a.detect_s),
            acknowledge_s: on(a.acknowledge_s),
            resolve_s: on(a.resolve_s),
            ..Default::default()
        });
    }
    for i in &report.rows.incidents {
        out.push(CsvRow {
            record: "incident".into(),
            id: i.id.clone(),
            tenant: i.tenant.clone(),
            in_month: i.in_month.to_string(),
            week: i.week.clone(),
            title: i.title.clone(),
            category: i.category.as_str().into(),
            class: i.class.as_str().into(),
            severity: i.severity.as_str().into(),
            state: i.state.as_str().into(),
            verdict: i.resolution.as_ref().map(name).unwrap_or_default(),
            started_at: t(i.opened_at),
            acknowledged_at: ot(i.triaged_at),
            notified_at: ot(i.notified_at),
            contained_at: ot(i.contained_at),
            closed_at: ot(i.closed_at),
            paused_s: n(i.paused_s),
            acknowledge_s: on(i.acknowledge_s),
            notify_s: on(i.notify_s),
            contain_s: on(i.contain_s),
            resolve_s: on(i.resolve_s),
            ..Default::default()
        });
    }
    for c in &report.rows.clocks {
        out.push(CsvRow {
            record: "clock".into(),
            id: c.id.clone(),
            tenant: c.tenant.clone(),
            in_month: c.in_month.to_string(),
            week: c.week.clone(),
            title: c.calendar.clone(),
            category: c.subject.into(),
            class: c.class.as_str().into(),
            measure: c.measure.as_str().into(),
            state: name(&c.state),
            outcome: c.outcome.as_str().into(),
            for_people: c.counted.to_string(),
            started_at: ot(c.started_at),
            closed_at: ot(c.stopped_at),
            due: ot(c.due),
            breached_at: ot(c.breached_at),
            target_s: n(c.target_s),
            elapsed_s: n(c.elapsed_s),
            paused_s: n(c.paused_s),
            ..Default::default()
        });
    }
    for d in &report.rows.devices {
        out.push(CsvRow {
            record: "device".into(),
            id: d.device.clone(),
            tenant: d.tenant.clone(),
            site: d.site.clone().unwrap_or_default(),
            in_month: "true".into(),
            title: d.name.clone(),
            severity: d.kind.clone(),
            measured_s: n(d.measured_s),
            down_s: n(d.down_s),
            figure: "losses".into(),
            value: d.losses.to_string(),
            ..Default::default()
        });
    }
    for d in &report.rows.devices {
        for (figure, value) in [
            ("availability", on(d.availability)),
            ("maintenance_s", n(d.maintenance_s)),
            ("failures", d.failures.to_string()),
            ("mtbf_s", on(d.mtbf_s)),
            ("most_transitions", d.most_transitions.to_string()),
            ("flapping", d.flapping.to_string()),
        ] {
            out.push(CsvRow {
                record: "device_health".into(),
                id: d.device.clone(),
                tenant: d.tenant.clone(),
                site: d.site.clone().unwrap_or_default(),
                in_month: "true".into(),
                measured_s: n(d.measured_s),
                down_s: n(d.down_s),
                figure: figure.into(),
                value,
                ..Default::default()
            });
        }
    }
    for c in &report.summary.devices.clients {
        for (figure, value) in [
            ("devices", c.devices.to_string()),
            ("availability", on(c.availability)),
            ("maintenance_s", n(c.maintenance_s)),
            ("failures", c.failures.to_string()),
            ("mtbf_s", on(c.mtbf_s)),
            ("flapping", c.flapping.to_string()),
        ] {
            out.push(CsvRow {
                record: "client_health".into(),
                tenant: c.tenant.clone(),
                in_month: "true".into(),
                measured_s: n(c.measured_s),
                down_s: n(c.down_s),
                figure: figure.into(),
                value,
                ..Default::default()
            });
        }
    }
    for g in &report.rows.platform {
        out.push(CsvRow {
            record: "platform_gap".into(),
            in_month: "true".into(),
            started_at: t(g.from),
            closed_at: t(g.to),
            down_s: n(g.seconds),
            ..Default::default()
        });
    }
    let tenant = report.client.tenant.clone().unwrap_or_default();
    for (figure, class, measure, value) in summary_figures(report) {
        out.push(CsvRow {
            record: "summary".into(),
            tenant: tenant.clone(),
            in_month: "true".into(),
            class,
            measure,
            figure,
            value,
            ..Default::default()
        });
    }
    for w in &report.weeks {
        for (figure, value) in key_figures(&w.figures) {
            out.push(CsvRow {
                record: "week".into(),
                tenant: tenant.clone(),
                week: w.week.label.clone(),
                started_at: t(w.week.from),
                closed_at: t(w.week.to),
                figure: figure.into(),
                value,
                ..Default::default()
            });
        }
    }
    out
}

/// The CSV's bytes.
pub(super) fn write(report: &ServiceReport) -> Result<Vec<u8>, ::csv::Error> {
    let mut w = ::csv::Writer::from_writer(Vec::new());
    for row in csv_rows(report) {
        w.serialize(row)?;
    }
    w.into_inner()
        .map_err(|e| ::csv::Error::from(e.into_error()))
}
