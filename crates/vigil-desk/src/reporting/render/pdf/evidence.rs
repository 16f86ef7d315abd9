//! A compliance evidence pack as a PDF, laid out with the service
//! report's pages, tables and footers: a title page with the counts and
//! the pack's digest, every control with its status, then every piece of
//! evidence with its finding and digest. The JSON form is the one that
//! verifies; this is its reading copy.

use vigil_compliance::evidence::{EvidencePack, Status};
use vigil_model::Timestamp;

use super::finish;
use super::layout::{Doc, MARGIN, PAGE_H, PAGE_W, width};
use crate::reporting::render::chart::{Anchor, GREY, INK};

/// Control titles are cut to fit the table's first column.
const TITLE_WIDTH: f32 = 360.0;

/// The PDF's bytes.
pub(crate) fn document(p: &EvidencePack) -> Vec<u8> {
    let mut doc = Doc::new();

    // Title page.
    doc.y = 230.0;
    doc.text_at(
        MARGIN,
        doc.y,
        "Compliance evidence pack",
        28.0,
        true,
        INK,
        Anchor::Start,
    );
    doc.y += 40.0;
    doc.text_at(MARGIN, doc.y, &p.client, 22.0, false, INK, Anchor::Start);
    doc.y += 28.0;
    doc.text_at(
        MARGIN,
        doc.y,
        &p.framework_title,
        16.0,
        false,
        GREY,
        Anchor::Start,
    );
    doc.y += 36.0;
    let mut lines = vec![
        format!("Client: {}", p.tenant),
        format!(
            "Period: {} to {} (end excluded)",
            utc(p.period.from),
            utc(p.period.to)
        ),
        format!("Evidence read at {}", utc(p.generated_at)),
        format!("Pack digest (SHA-256): {}", p.digest),
    ];
    if let Some(r) = &p.record {
        lines.push(format!(
            "Recorded as audit entry {}{}",
            r.seq,
            match (r.checkpoint, r.tree_size) {
                (Some(c), Some(n)) => format!(", covered by signed checkpoint {c} ({n} entries)"),
                _ => ", not yet under a signed checkpoint".to_owned(),
            }
        ));
    }
    for line in lines {
        doc.text_at(MARGIN, doc.y, &line, 9.5, false, INK, Anchor::Start);
        doc.y += 15.0;
    }
    doc.y += 30.0;
    let s = &p.summary;
    let tiles = [
        (Status::Evidenced, s.evidenced),
        (Status::Partially, s.partially),
        (Status::NotEvidenced, s.not_evidenced),
        (Status::NotApplicable, s.not_applicable),
    ];
    let tile_w = (PAGE_W - 2.0 * MARGIN) / 4.0;
    for (i, (status, n)) in tiles.iter().enumerate() {
        let x = MARGIN + tile_w * i as f32;
        doc.text_at(
            x,
            doc.y + 24.0,
            &n.to_string(),
            20.0,
            true,
            INK,
            Anchor::Start,
        );
        doc.text_at(
            x,
            doc.y + 40.0,
            status.label(),
            8.0,
            false,
            GREY,
            Anchor::Start,
        );
    }
    doc.y = PAGE_H - MARGIN - 30.0;
    doc.text_at(
        MARGIN,
        doc.y,
        "Prepared by Vigil from its own records; `vigil compliance verify` checks the JSON form against the audit chain.",
        8.5,
        false,
        GREY,
        Anchor::Start,
    );

    // Controls.
    doc.new_page();
    doc.heading("Controls");
    let rows: Vec<Vec<String>> = p
        .controls
        .iter()
        .map(|c| {
            vec![
                fit(&format!("{}  {}", c.id, c.title), TITLE_WIDTH),
                c.status.label().to_owned(),
            ]
        })
        .collect();
    doc.table(&["Control", "Status"], &[TITLE_WIDTH, 135.0], &rows);

    // Evidence.
    doc.heading("Evidence");
    let rows: Vec<Vec<String>> = p
        .entries
        .iter()
        .map(|e| vec![fit(&e.title, TITLE_WIDTH), e.status.label().to_owned()])
        .collect();
    doc.table(&["Evidence", "Status"], &[TITLE_WIDTH, 135.0], &rows);
    for e in &p.entries {
        doc.heading(&e.title);
        doc.para(&e.finding, 9.5, INK);
        doc.para(
            &format!(
                "Entry {} · controls {} · SHA-256 {}",
                e.id,
                e.controls.join(", "),
                e.digest
            ),
            8.0,
            GREY,
        );
    }

    // Why each control shown in part or whole has its status.
    doc.heading("Basis of each status");
    for c in p
        .controls
        .iter()
        .filter(|c| matches!(c.status, Status::Evidenced | Status::Partially))
    {
        doc.para(
            &format!("{} {} ({}): {}", c.id, c.title, c.status.label(), c.basis),
            8.5,
            INK,
        );
    }
    doc.heading("How this was read");
    for n in &p.notes {
        doc.para(&format!("• {n}"), 8.5, GREY);
    }

    let footer = format!("Vigil evidence pack · {} · {}", p.client, p.framework_title);
    let title = format!("Compliance evidence: {} ({})", p.client, p.framework);
    finish(doc, &footer, &title)
}

fn utc(t: Timestamp) -> String {
    t.format("%Y-%m-%d %H:%M UTC").to_string()
}

/// `s` cut with an ellipsis to fit `max` points at the table's size.
fn fit(s: &str, max: f32) -> String {
    if width(s, 9.0, false) <= max {
        return s.to_owned();
    }
    let mut out = String::new();
    for c in s.chars() {
        if width(&format!("{out}{c}…"), 9.0, false) > max {
            break;
        }
        out.push(c);
    }
    format!("{}…", out.trim_end())
}
