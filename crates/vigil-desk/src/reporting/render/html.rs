//! The report as one self-contained HTML page: styles inline, charts as
//! inline SVG, no script and nothing fetched, so it can be mailed or
//! archived as it is. The rows themselves are in the CSV.

use std::fmt::Write;

use super::chart::{self, Anchor, Chart, Rgb, Shape};
use super::tables;
use super::text::{count, duration, local, month_name, percent};
use crate::reporting::service::ServiceReport;

/// Escapes text for HTML and SVG.
pub(super) fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn rgb((r, g, b): Rgb) -> String {
    format!("#{r:02x}{g:02x}{b:02x}")
}

/// A chart as an inline SVG element.
pub(super) fn svg(c: &Chart) -> String {
    let mut s = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {w} {h}\" width=\"{w}\" height=\"{h}\" role=\"img\" aria-label=\"{t}\" font-family=\"Helvetica, Arial, sans-serif\">",
        w = c.width,
        h = c.height,
        t = esc(&c.title)
    );
    for shape in &c.shapes {
        // Writing to a String cannot fail.
        let _ = match shape {
            Shape::Line {
                from,
                to,
                color,
                width,
            } => write!(
                s,
                "<line x1=\"{:.1}\" y1=\"{:.1}\" x2=\"{:.1}\" y2=\"{:.1}\" stroke=\"{}\" stroke-width=\"{width}\"/>",
                from.0,
                from.1,
                to.0,
                to.1,
                rgb(*color)
            ),
            Shape::Polyline {
                points,
                color,
                width,
            } => {
                let pts: Vec<String> = points
                    .iter()
                    .map(|(x, y)| format!("{x:.1},{y:.1}"))
                    .collect();
                write!(
                    s,
                    "<polyline points=\"{}\" fill=\"none\" stroke=\"{}\" stroke-width=\"{width}\" stroke-linejoin=\"round\"/>",
                    pts.join(" "),
                    rgb(*color)
                )
            }
            Shape::Rect { x, y, w, h, fill } => write!(
                s,
                "<rect x=\"{x:.1}\" y=\"{y:.1}\" width=\"{w:.1}\" height=\"{h:.1}\" fill=\"{}\"/>",
                rgb(*fill)
            ),
            Shape::Text {
                at,
                text,
                size,
                anchor,
                color,
            } => write!(
                s,
                "<text x=\"{:.1}\" y=\"{:.1}\" font-size=\"{size}\" text-anchor=\"{}\" fill=\"{}\">{}</text>",
                at.0,
                at.1,
                match anchor {
                    Anchor::Start => "start",
                    Anchor::Middle => "middle",
                    Anchor::End => "end",
                },
                rgb(*color),
                esc(text)
            ),
        };
    }
    s.push_str("</svg>");
    s
}

const STYLE: &str = "body{font-family:Helvetica,Arial,sans-serif;color:#1e1e1e;max-width:60rem;margin:2rem auto;padding:0 1rem;line-height:1.4}\
h1{font-size:1.6rem;margin-bottom:.2rem}h2{font-size:1.15rem;margin-top:2rem;border-bottom:1px solid #ccc;padding-bottom:.2rem}\
table{border-collapse:collapse;margin:.5rem 0}th,td{padding:.25rem .6rem;border-bottom:1px solid #e4e4e4;text-align:left}\
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}.meta{color:#555}.tiles{display:flex;flex-wrap:wrap;gap:.8rem;margin:1rem 0}\
.tile{border:1px solid #ddd;border-radius:4px;padding:.6rem .9rem;min-width:9rem}.tile b{display:block;font-size:1.4rem}\
figure{margin:1rem 0}figure svg{width:100%;max-width:46rem;height:auto}figcaption{color:#555;font-size:.9rem}ul.notes{color:#555;font-size:.9rem}";

fn table(out: &mut String, head: &[&str], rows: &[Vec<String>]) {
    out.push_str("<table><thead><tr>");
    for (i, h) in head.iter().enumerate() {
        let class = if i == 0 { "" } else { " class=\"n\"" };
        let _ = write!(out, "<th{class}>{}</th>", esc(h));
    }
    out.push_str("</tr></thead><tbody>");
    for r in rows {
        out.push_str("<tr>");
        for (i, c) in r.iter().enumerate() {
            let class = if i == 0 { "" } else { " class=\"n\"" };
            let _ = write!(out, "<td{class}>{}</td>", esc(c));
        }
        out.push_str("</tr>");
    }
    out.push_str("</tbody></table>");
}

/// The page.
pub(super) fn page(r: &ServiceReport) -> String {
    let s = &r.summary;
    let tz = r.period.tz();
    let title = format!(
        "Service report — {} — {}",
        r.client.name,
        month_name(r.period.month)
    );
    let mut o = String::new();
    let _ = write!(
        o,
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{}</title><style>{STYLE}</style></head><body>",
        esc(&title)
    );
    let _ = write!(
        o,
        "<h1>{}</h1><p class=\"meta\">{} · {} to {} ({}) · read at {}</p>",
        esc(&title),
        esc(&match (&r.client.tenant, &r.client.residency) {
            (Some(t), Some(at)) => format!("{t} (data residency {at})"),
            (Some(t), None) => t.clone(),
            (None, _) => "all clients".into(),
        }),
        esc(&local(r.period.from, tz)),
        esc(&local(r.period.to, tz)),
        esc(&r.period.time_zone),
        esc(&local(r.as_of, tz)),
    );
    o.push_str("<div class=\"tiles\">");
    for (label, value) in [
        ("Alarms raised", count(s.key.alarms)),
        ("Acknowledged within 60 s", percent(s.key.acknowledged_60s)),
        ("SLA met", percent(s.key.sla_compliance)),
        ("False-alarm rate", percent(s.key.false_alarm_rate)),
        ("Device availability", percent(s.devices.availability)),
        ("Platform availability", percent(s.platform.availability)),
    ] {
        let _ = write!(
            o,
            "<div class=\"tile\">{}<b>{}</b></div>",
            esc(label),
            esc(&value)
        );
    }
    o.push_str("</div>");

    o.push_str("<h2>Summary</h2>");
    let mut rows = vec![
        vec!["Alarms raised".into(), count(s.key.alarms)],
        vec![
            "… for people (not closed by automation)".into(),
            count(s.key.for_people),
        ],
        vec!["Incidents opened".into(), count(s.key.incidents)],
    ];
    for w in &s.acknowledged_within {
        rows.push(vec![
            format!("Acknowledged within {} s", w.seconds),
            format!("{} ({} of {})", percent(w.share), w.acknowledged, w.of),
        ]);
    }
    let v = &s.verdicts;
    rows.push(vec![
        "False-alarm rate (people's verdicts)".into(),
        format!(
            "{} ({} false of {})",
            percent(v.false_alarm_rate),
            v.false_positive,
            v.true_positive + v.false_positive + v.benign
        ),
    ]);
    rows.push(vec![
        "Verdicts: true / false / benign / duplicate".into(),
        format!(
            "{} / {} / {} / {}",
            v.true_positive, v.false_positive, v.benign, v.duplicate
        ),
    ]);
    rows.push(vec![
        "Closed by the model / by suppressions".into(),
        format!("{} / {}", v.closed_by_model, v.closed_by_suppression),
    ]);
    rows.push(vec![
        "Supervised devices' availability".into(),
        format!(
            "{} ({} devices, {} losses)",
            percent(s.devices.availability),
            s.devices.devices,
            s.devices.losses
        ),
    ]);
    rows.push(vec![
        "Device failures / MTBF / flapping devices".into(),
        format!(
            "{} / {} / {}",
            s.devices.failures,
            duration(s.devices.mtbf_s),
            s.devices.flapping
        ),
    ]);
    rows.push(vec![
        "Platform availability".into(),
        format!(
            "{} ({} starts, {} down)",
            percent(s.platform.availability),
            s.platform.starts,
            duration(Some(s.platform.down_seconds))
        ),
    ]);
    table(&mut o, &["Figure", "Value"], &rows);

    o.push_str("<h2>Times</h2>");
    let rows = tables::timings(s, " — ");
    table(
        &mut o,
        &["Time to", "Count", "Median", "90th percentile"],
        &rows,
    );

    o.push_str("<h2>Service levels</h2>");
    let _ = write!(
        o,
        "<figure>{}<figcaption>Clocks met and breached per class (open clocks not shown).</figcaption></figure>",
        svg(&chart::sla_by_class(&s.sla, 520.0, 150.0))
    );
    let rows = tables::service_levels(s);
    table(
        &mut o,
        &["Class and measure", "Met", "Breached", "Open", "Met share"],
        &rows,
    );

    o.push_str("<h2>Trends by week</h2>");
    let _ = write!(
        o,
        "<figure>{}<figcaption>Weekly shares over the month and the two before it.</figcaption></figure>",
        svg(&chart::weekly_trends(&r.weeks, 620.0, 220.0))
    );
    let _ = write!(
        o,
        "<figure>{}</figure>",
        svg(&chart::weekly_alarms(&r.weeks, 620.0, 120.0))
    );
    let rows = tables::weeks(r, true);
    table(
        &mut o,
        &[
            "Week",
            "Alarms",
            "Incidents",
            "Ack ≤ 60 s",
            "Median ack",
            "False alarms",
            "SLA met",
        ],
        &rows,
    );

    o.push_str("<h2>Categories</h2>");
    let rows = tables::categories(s);
    table(&mut o, &["Category", "Alarms", "Incidents"], &rows);

    o.push_str("<h2>Operators</h2>");
    let rows = tables::operators(s);
    table(
        &mut o,
        &[
            "Operator",
            "Acknowledged",
            "Median time to acknowledge",
            "Closed",
        ],
        &rows,
    );

    o.push_str("<h2>Health over time</h2>");
    let rows = tables::client_health(s);
    table(
        &mut o,
        &[
            "Client",
            "Devices",
            "Availability",
            "Failures",
            "MTBF",
            "Flapping",
            "Planned maintenance",
        ],
        &rows,
    );
    let worst = tables::device_health(r, 15);
    if !worst.is_empty() {
        o.push_str("<h2>Devices with lost paths</h2>");
        table(
            &mut o,
            &[
                "Device",
                "Kind",
                "Failures",
                "Down",
                "Availability",
                "MTBF",
                "Flapping",
            ],
            &worst,
        );
    }

    o.push_str("<h2>How these were counted</h2><ul class=\"notes\">");
    for n in &r.notes {
        let _ = write!(o, "<li>{}</li>", esc(n));
    }
    o.push_str("<li>The CSV form of this report holds the row behind every figure.</li></ul></body></html>");
    o
}
