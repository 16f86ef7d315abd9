//! The report as a PDF: a title page, then the figures in tables and the
//! charts as vector paths. Text is set in the standard Helvetica fonts
//! every viewer has (WinAnsi encoding), so nothing is embedded; characters
//! outside that encoding are written as `?`.

mod draft;
pub(super) mod evidence;
mod layout;

pub(super) use draft::nis2_draft;

use pdf_writer::{Finish, Name, Pdf, Rect, Ref, Str, TextStr};

use self::layout::{BOLD, Doc, MARGIN, PAGE_H, PAGE_W, REGULAR, fill, width, win_ansi};
use super::chart::{self, Anchor, GREY, INK};
use super::tables;
use super::text::{count, duration, local, month_name, percent};
use crate::reporting::service::ServiceReport;

/// The PDF's bytes.
pub(super) fn document(r: &ServiceReport) -> Vec<u8> {
    let s = &r.summary;
    let tz = r.period.tz();
    let month = month_name(r.period.month);
    let mut doc = Doc::new();

    // Title page.
    doc.y = 250.0;
    doc.text_at(
        MARGIN,
        doc.y,
        "Monthly service report",
        30.0,
        true,
        INK,
        Anchor::Start,
    );
    doc.y += 44.0;
    doc.text_at(
        MARGIN,
        doc.y,
        &r.client.name,
        22.0,
        false,
        INK,
        Anchor::Start,
    );
    doc.y += 30.0;
    doc.text_at(MARGIN, doc.y, &month, 18.0, false, GREY, Anchor::Start);
    doc.y += 40.0;
    for line in [
        format!(
            "Client: {}",
            r.client.tenant.as_deref().unwrap_or("all clients")
        ),
        format!(
            "Period: {} to {} ({})",
            local(r.period.from, tz),
            local(r.period.to, tz),
            r.period.time_zone
        ),
        format!("Clocks and states read at {}", local(r.as_of, tz)),
    ] {
        doc.text_at(MARGIN, doc.y, &line, 11.0, false, INK, Anchor::Start);
        doc.y += 16.0;
    }
    doc.y += 30.0;
    let tiles = [
        ("Alarms raised", count(s.key.alarms)),
        ("Acknowledged within 60 s", percent(s.key.acknowledged_60s)),
        ("SLA clocks met", percent(s.key.sla_compliance)),
        ("False-alarm rate", percent(s.key.false_alarm_rate)),
    ];
    let tile_w = (PAGE_W - 2.0 * MARGIN) / 4.0;
    for (i, (label, value)) in tiles.iter().enumerate() {
        let x = MARGIN + tile_w * i as f32;
        doc.text_at(x, doc.y + 24.0, value, 20.0, true, INK, Anchor::Start);
        doc.text_at(x, doc.y + 40.0, label, 8.5, false, GREY, Anchor::Start);
    }
    doc.y = PAGE_H - MARGIN - 30.0;
    doc.text_at(MARGIN, doc.y, "Prepared by Vigil from the desk's records; the CSV form holds the row behind every figure.", 8.5, false, GREY, Anchor::Start);

    // Summary.
    doc.new_page();
    doc.heading("Summary");
    let v = &s.verdicts;
    let mut rows = vec![
        vec!["Alarms raised".into(), count(s.key.alarms)],
        vec![
            "Alarms for people (not closed by automation)".into(),
            count(s.key.for_people),
        ],
        vec!["Incidents opened".into(), count(s.key.incidents)],
    ];
    for w in &s.acknowledged_within {
        rows.push(vec![
            format!("Acknowledged by a person within {} s", w.seconds),
            format!("{} ({} of {})", percent(w.share), w.acknowledged, w.of),
        ]);
    }
    rows.extend([
        vec![
            "False-alarm rate (people's verdicts)".into(),
            format!(
                "{} ({} of {})",
                percent(v.false_alarm_rate),
                v.false_positive,
                v.true_positive + v.false_positive + v.benign
            ),
        ],
        vec![
            "Verdicts: true / false / benign / duplicate".into(),
            format!(
                "{} / {} / {} / {}",
                v.true_positive, v.false_positive, v.benign, v.duplicate
            ),
        ],
        vec![
            "Closed by the model / by suppressions".into(),
            format!("{} / {}", v.closed_by_model, v.closed_by_suppression),
        ],
        vec![
            "Supervised devices' availability".into(),
            format!(
                "{} ({} devices, {} losses)",
                percent(s.devices.availability),
                s.devices.devices,
                s.devices.losses
            ),
        ],
        vec![
            "Device failures / MTBF / flapping devices".into(),
            format!(
                "{} / {} / {}",
                s.devices.failures,
                duration(s.devices.mtbf_s),
                s.devices.flapping
            ),
        ],
        vec![
            "Platform availability".into(),
            format!(
                "{} ({} starts)",
                percent(s.platform.availability),
                s.platform.starts
            ),
        ],
    ]);
    doc.table(&["Figure", "Value"], &[330.0, 165.0], &rows);
    doc.heading("Times");
    let rows = tables::timings(s, ": ");
    doc.table(
        &["Time to", "Count", "Median", "90th pct"],
        &[200.0, 80.0, 105.0, 110.0],
        &rows,
    );

    // Service levels.
    doc.heading("Service levels");
    doc.chart(&chart::sla_by_class(&s.sla, PAGE_W - 2.0 * MARGIN, 140.0));
    let rows = tables::service_levels(s);
    doc.table(
        &["Class and measure", "Met", "Breached", "Open", "Met share"],
        &[175.0, 70.0, 80.0, 70.0, 100.0],
        &rows,
    );

    // Trends.
    doc.heading("Trends by ISO week");
    doc.chart(&chart::weekly_trends(
        &r.weeks,
        PAGE_W - 2.0 * MARGIN,
        200.0,
    ));
    doc.chart(&chart::weekly_alarms(
        &r.weeks,
        PAGE_W - 2.0 * MARGIN,
        110.0,
    ));
    let rows = tables::weeks(r, false);
    doc.table(
        &[
            "Week",
            "Alarms",
            "Ack <= 60 s",
            "Median ack",
            "False alarms",
            "SLA met",
        ],
        &[105.0, 60.0, 80.0, 85.0, 85.0, 80.0],
        &rows,
    );

    // Categories and people.
    doc.heading("Categories");
    let rows = tables::categories(s);
    doc.table(
        &["Category", "Alarms", "Incidents"],
        &[255.0, 120.0, 120.0],
        &rows,
    );
    doc.heading("Operators");
    let rows = tables::operators(s);
    doc.table(
        &["Operator", "Acknowledged", "Median to ack", "Closed"],
        &[195.0, 100.0, 110.0, 90.0],
        &rows,
    );
    doc.heading("Health over time");
    let rows = tables::client_health(s);
    doc.table(
        &[
            "Client", "Devices", "Avail.", "Failures", "MTBF", "Flapping", "Maint.",
        ],
        &[105.0, 55.0, 65.0, 60.0, 75.0, 60.0, 75.0],
        &rows,
    );
    let worst = tables::device_health(r, 15);
    if !worst.is_empty() {
        doc.table(
            &[
                "Device", "Kind", "Failures", "Down", "Avail.", "MTBF", "Flapping",
            ],
            &[105.0, 75.0, 55.0, 65.0, 60.0, 70.0, 65.0],
            &worst,
        );
    }
    doc.heading("How these were counted");
    for n in &r.notes {
        doc.para(&format!("• {n}"), 8.5, GREY);
    }

    let footer = format!("Vigil service report · {} · {month}", r.client.name);
    let title = format!("Service report: {} {month}", r.client.name);
    finish(doc, &footer, &title)
}

/// Writes the pages, each with `footer` and its number, and the document's
/// catalogue titled `title`.
fn finish(mut doc: Doc, footer: &str, title: &str) -> Vec<u8> {
    let total = doc.pages.len();
    for (i, page) in doc.pages.iter_mut().enumerate() {
        fill(page, GREY);
        page.begin_text();
        page.set_font(REGULAR, 8.0);
        page.next_line(MARGIN, 28.0);
        page.show(Str(&win_ansi(footer)));
        page.end_text();
        let number = format!("page {} of {total}", i + 1);
        page.begin_text();
        page.set_font(REGULAR, 8.0);
        page.next_line(PAGE_W - MARGIN - width(&number, 8.0, false), 28.0);
        page.show(Str(&win_ansi(&number)));
        page.end_text();
    }
    let mut pdf = Pdf::new();
    let catalog = Ref::new(1);
    let tree = Ref::new(2);
    let regular = Ref::new(3);
    let bold = Ref::new(4);
    let info = Ref::new(5);
    let first_page = 10;
    let page_ids: Vec<Ref> = (0..total)
        .map(|i| Ref::new(first_page + 2 * i as i32))
        .collect();
    pdf.catalog(catalog).pages(tree);
    pdf.pages(tree)
        .kids(page_ids.iter().copied())
        .count(total as i32);
    pdf.type1_font(regular)
        .base_font(Name(b"Helvetica"))
        .encoding_predefined(Name(b"WinAnsiEncoding"));
    pdf.type1_font(bold)
        .base_font(Name(b"Helvetica-Bold"))
        .encoding_predefined(Name(b"WinAnsiEncoding"));
    pdf.document_info(info)
        .title(TextStr(title))
        .creator(TextStr("Vigil"))
        .producer(TextStr("Vigil (pdf-writer)"));
    for (page, id) in doc.pages.into_iter().zip(&page_ids) {
        let content_id = Ref::new(id.get() + 1);
        let mut p = pdf.page(*id);
        p.media_box(Rect::new(0.0, 0.0, PAGE_W, PAGE_H))
            .parent(tree)
            .contents(content_id);
        let mut resources = p.resources();
        resources.fonts().pair(REGULAR, regular).pair(BOLD, bold);
        resources.finish();
        p.finish();
        pdf.stream(content_id, &page.finish());
    }
    pdf.finish()
}
