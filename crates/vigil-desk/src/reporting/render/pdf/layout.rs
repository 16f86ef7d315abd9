//! Laying out the PDF's pages: text in the standard Helvetica fonts (with
//! their widths, to align and wrap), tables that break across pages, and
//! charts drawn as paths.

use pdf_writer::{Content, Name, Str};

use super::super::chart::{Anchor, Chart, GREY, INK, LIGHT, Rgb, Shape};

pub(super) const PAGE_W: f32 = 595.0;
pub(super) const PAGE_H: f32 = 842.0;
pub(super) const MARGIN: f32 = 50.0;
pub(super) const REGULAR: Name<'static> = Name(b"F1");
pub(super) const BOLD: Name<'static> = Name(b"F2");

/// Helvetica's advance widths (per 1000 em) for ASCII 32–126, from its AFM.
const HELVETICA: [u16; 95] = [
    278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278, 556, 556, 556,
    556, 556, 556, 556, 556, 556, 556, 278, 278, 584, 584, 584, 556, 1015, 667, 667, 722, 722, 667,
    611, 778, 722, 278, 500, 667, 556, 833, 722, 778, 667, 778, 722, 667, 611, 722, 667, 944, 667,
    667, 611, 278, 278, 278, 469, 556, 333, 556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500,
    222, 833, 556, 556, 556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, 334, 260, 334, 584,
];

/// `s` in WinAnsi bytes.
pub(super) fn win_ansi(s: &str) -> Vec<u8> {
    let s = s.replace('≤', "<=").replace('≥', ">=");
    s.chars()
        .map(|c| match c {
            ' '..='~' => c as u8,
            '\u{a0}'..='\u{ff}' => c as u32 as u8,
            '–' => 0x96,
            '—' => 0x97,
            '…' => 0x85,
            '•' => 0x95,
            '‘' => 0x91,
            '’' => 0x92,
            '“' => 0x93,
            '”' => 0x94,
            '€' => 0x80,
            _ => b'?',
        })
        .collect()
}

/// The width of `s` at `size` points.
pub(super) fn width(s: &str, size: f32, bold: bool) -> f32 {
    let units: u32 = win_ansi(s)
        .iter()
        .map(|&b| match b {
            32..=126 => u32::from(HELVETICA[usize::from(b - 32)]),
            0x97 | 0x85 => 1000,
            0xB7 => 278,
            _ => 556,
        })
        .sum();
    // Helvetica-Bold runs about 6 % wider than the regular weight.
    units as f32 * size / 1000.0 * if bold { 1.06 } else { 1.0 }
}

pub(super) fn fill(c: &mut Content, (r, g, b): Rgb) {
    c.set_fill_rgb(
        f32::from(r) / 255.0,
        f32::from(g) / 255.0,
        f32::from(b) / 255.0,
    );
}

fn stroke(c: &mut Content, (r, g, b): Rgb) {
    c.set_stroke_rgb(
        f32::from(r) / 255.0,
        f32::from(g) / 255.0,
        f32::from(b) / 255.0,
    );
}

/// Pages being laid out, top to bottom, with y measured from the top.
pub(super) struct Doc {
    pub(super) pages: Vec<Content>,
    pub(super) y: f32,
}

impl Doc {
    pub(super) fn new() -> Self {
        Self {
            pages: vec![Content::new()],
            y: MARGIN,
        }
    }

    fn page(&mut self) -> &mut Content {
        if self.pages.is_empty() {
            self.pages.push(Content::new());
        }
        let last = self.pages.len() - 1;
        &mut self.pages[last]
    }

    pub(super) fn new_page(&mut self) {
        self.pages.push(Content::new());
        self.y = MARGIN;
    }

    /// Starts a new page unless `h` more points fit on this one.
    fn room(&mut self, h: f32) {
        if self.y + h > PAGE_H - MARGIN - 20.0 {
            self.new_page();
        }
    }

    #[allow(clippy::too_many_arguments)]
    pub(super) fn text_at(
        &mut self,
        x: f32,
        y_top: f32,
        s: &str,
        size: f32,
        bold: bool,
        color: Rgb,
        anchor: Anchor,
    ) {
        let w = width(s, size, bold);
        let x = match anchor {
            Anchor::Start => x,
            Anchor::Middle => x - w / 2.0,
            Anchor::End => x - w,
        };
        let c = self.page();
        fill(c, color);
        c.begin_text();
        c.set_font(if bold { BOLD } else { REGULAR }, size);
        c.next_line(x, PAGE_H - y_top);
        c.show(Str(&win_ansi(s)));
        c.end_text();
    }

    pub(super) fn heading(&mut self, s: &str) {
        self.room(60.0);
        self.y += 22.0;
        self.text_at(MARGIN, self.y, s, 14.0, true, INK, Anchor::Start);
        self.y += 6.0;
        let y = PAGE_H - self.y;
        let c = self.page();
        stroke(c, LIGHT);
        c.set_line_width(0.8);
        c.move_to(MARGIN, y);
        c.line_to(PAGE_W - MARGIN, y);
        c.stroke();
        self.y += 10.0;
    }

    /// A paragraph wrapped to the text width.
    pub(super) fn para(&mut self, s: &str, size: f32, color: Rgb) {
        let max = PAGE_W - 2.0 * MARGIN;
        let mut line = String::new();
        for word in s.split_whitespace() {
            let candidate = if line.is_empty() {
                word.to_owned()
            } else {
                format!("{line} {word}")
            };
            if width(&candidate, size, false) > max && !line.is_empty() {
                self.room(size * 1.4);
                self.y += size * 1.4;
                self.text_at(MARGIN, self.y, &line, size, false, color, Anchor::Start);
                line = word.to_owned();
            } else {
                line = candidate;
            }
        }
        if !line.is_empty() {
            self.room(size * 1.4);
            self.y += size * 1.4;
            self.text_at(MARGIN, self.y, &line, size, false, color, Anchor::Start);
        }
        self.y += size * 0.6;
    }

    /// A table: the first column left, the others right-aligned, in
    /// columns of the given widths; the header repeats after a page break.
    pub(super) fn table(&mut self, head: &[&str], widths: &[f32], rows: &[Vec<String>]) {
        let size = 9.0;
        let line_h = 15.0;
        let header = |doc: &mut Doc| {
            doc.room(line_h * 2.0);
            doc.y += line_h;
            let mut x = MARGIN;
            for (i, (h, w)) in head.iter().zip(widths).enumerate() {
                let (at, anchor) = if i == 0 {
                    (x, Anchor::Start)
                } else {
                    (x + w, Anchor::End)
                };
                doc.text_at(at, doc.y, h, size, true, INK, anchor);
                x += w;
            }
            doc.rule(doc.y + 4.0, GREY);
        };
        header(self);
        for r in rows {
            if self.y + line_h > PAGE_H - MARGIN - 20.0 {
                self.new_page();
                header(self);
            }
            self.y += line_h;
            let mut x = MARGIN;
            for (i, (cell, w)) in r.iter().zip(widths).enumerate() {
                let (at, anchor) = if i == 0 {
                    (x, Anchor::Start)
                } else {
                    (x + w, Anchor::End)
                };
                self.text_at(at, self.y, cell, size, false, INK, anchor);
                x += w;
            }
            self.rule(self.y + 4.0, LIGHT);
        }
        self.y += 10.0;
    }

    fn rule(&mut self, y_top: f32, color: Rgb) {
        let c = self.page();
        stroke(c, color);
        c.set_line_width(0.5);
        c.move_to(MARGIN, PAGE_H - y_top);
        c.line_to(PAGE_W - MARGIN, PAGE_H - y_top);
        c.stroke();
    }

    /// Draws a chart's shapes as paths at the left margin, below the cursor.
    pub(super) fn chart(&mut self, chart: &Chart) {
        self.room(chart.height + 24.0);
        self.y += 14.0;
        self.text_at(MARGIN, self.y, &chart.title, 10.0, true, INK, Anchor::Start);
        self.y += 6.0;
        let (ox, oy) = (MARGIN, self.y);
        for shape in &chart.shapes {
            match shape {
                Shape::Line {
                    from,
                    to,
                    color,
                    width,
                } => {
                    let c = self.page();
                    stroke(c, *color);
                    c.set_line_width(*width);
                    c.move_to(ox + from.0, PAGE_H - oy - from.1);
                    c.line_to(ox + to.0, PAGE_H - oy - to.1);
                    c.stroke();
                }
                Shape::Polyline {
                    points,
                    color,
                    width,
                } => {
                    let c = self.page();
                    stroke(c, *color);
                    c.set_line_width(*width);
                    for (i, (x, y)) in points.iter().enumerate() {
                        if i == 0 {
                            c.move_to(ox + x, PAGE_H - oy - y);
                        } else {
                            c.line_to(ox + x, PAGE_H - oy - y);
                        }
                    }
                    c.stroke();
                }
                Shape::Rect {
                    x,
                    y,
                    w,
                    h,
                    fill: color,
                } => {
                    let c = self.page();
                    fill(c, *color);
                    c.rect(ox + x, PAGE_H - oy - y - h, *w, *h);
                    c.fill_nonzero();
                }
                Shape::Text {
                    at,
                    text,
                    size,
                    anchor,
                    color,
                } => {
                    self.text_at(ox + at.0, oy + at.1, text, *size, false, *color, *anchor);
                }
            }
        }
        self.y += chart.height + 8.0;
    }
}
