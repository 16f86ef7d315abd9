//! Charts as shapes: laid out once, drawn as SVG by the HTML and as PDF
//! paths by the PDF, so both show the same picture. Coordinates are points
//! with y growing downwards (SVG's way; the PDF flips them).

use vigil_contract::PriorityClass;

use super::text::{NONE, percent};
use crate::reporting::service::{SlaCell, WeekFigures};

/// An RGB colour.
pub type Rgb = (u8, u8, u8);

/// Met clocks.
pub const GREEN: Rgb = (46, 139, 87);
/// Breached clocks.
pub const RED: Rgb = (200, 55, 55);
/// Open clocks and the second series.
pub const BLUE: Rgb = (45, 100, 180);
/// The third series.
pub const AMBER: Rgb = (215, 140, 20);
/// Axes and labels.
pub const GREY: Rgb = (110, 110, 110);
/// Grid lines.
pub const LIGHT: Rgb = (220, 220, 220);
/// Text.
pub const INK: Rgb = (30, 30, 30);

/// How a label sits on its point.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Anchor {
    /// Starts at it.
    Start,
    /// Centred on it.
    Middle,
    /// Ends at it.
    End,
}

/// One thing drawn.
#[derive(Debug, Clone, PartialEq)]
pub enum Shape {
    /// A straight line.
    Line {
        /// From.
        from: (f32, f32),
        /// To.
        to: (f32, f32),
        /// Colour.
        color: Rgb,
        /// Width.
        width: f32,
    },
    /// Joined line segments.
    Polyline {
        /// The points, in order.
        points: Vec<(f32, f32)>,
        /// Colour.
        color: Rgb,
        /// Width.
        width: f32,
    },
    /// A filled rectangle (top-left corner, size).
    Rect {
        /// Left.
        x: f32,
        /// Top.
        y: f32,
        /// Width.
        w: f32,
        /// Height.
        h: f32,
        /// Fill.
        fill: Rgb,
    },
    /// A label; `y` is its baseline.
    Text {
        /// Where.
        at: (f32, f32),
        /// What.
        text: String,
        /// Font size, points.
        size: f32,
        /// How it sits on `at`.
        anchor: Anchor,
        /// Colour.
        color: Rgb,
    },
}

/// A chart: its size and its shapes.
#[derive(Debug, Clone, PartialEq)]
pub struct Chart {
    /// A title for people (and the SVG's label).
    pub title: String,
    /// Width, points.
    pub width: f32,
    /// Height, points.
    pub height: f32,
    /// What to draw, in order.
    pub shapes: Vec<Shape>,
}

fn text(at: (f32, f32), s: impl Into<String>, size: f32, anchor: Anchor, color: Rgb) -> Shape {
    Shape::Text {
        at,
        text: s.into(),
        size,
        anchor,
        color,
    }
}

fn line(from: (f32, f32), to: (f32, f32), color: Rgb, width: f32) -> Shape {
    Shape::Line {
        from,
        to,
        color,
        width,
    }
}

/// A line of the trend chart: its name, colour and weekly value.
type Series = (&'static str, Rgb, fn(&WeekFigures) -> Option<f64>);

/// Weekly shares (0–100 %): acknowledged within 60 s, SLA compliance and
/// the false-alarm rate, one line each; a week without a value breaks its line.
pub fn weekly_trends(weeks: &[WeekFigures], width: f32, height: f32) -> Chart {
    let (left, right, top, bottom) = (40.0, 10.0, 12.0, 48.0);
    let plot_w = width - left - right;
    let plot_h = height - top - bottom;
    let mut shapes = Vec::new();
    for i in 0..=4 {
        let y = top + plot_h - plot_h * i as f32 / 4.0;
        shapes.push(line((left, y), (left + plot_w, y), LIGHT, 0.5));
        shapes.push(text(
            (left - 4.0, y + 3.0),
            format!("{} %", i * 25),
            7.0,
            Anchor::End,
            GREY,
        ));
    }
    let n = weeks.len().max(1);
    let x_of = |i: usize| left + plot_w * (i as f32 + 0.5) / n as f32;
    let y_of = |v: f64| top + plot_h - plot_h * v.clamp(0.0, 1.0) as f32;
    let every = n.div_ceil(7).max(1);
    for (i, w) in weeks.iter().enumerate() {
        if i % every == 0 {
            let label = w
                .week
                .label
                .split_once('-')
                .map_or(&w.week.label[..], |x| x.1);
            shapes.push(text(
                (x_of(i), top + plot_h + 11.0),
                label,
                7.0,
                Anchor::Middle,
                GREY,
            ));
        }
    }
    let series: [Series; 3] = [
        ("Acknowledged within 60 s", BLUE, |w| {
            w.figures.acknowledged_60s
        }),
        ("SLA met", GREEN, |w| w.figures.sla_compliance),
        ("False-alarm rate", AMBER, |w| w.figures.false_alarm_rate),
    ];
    for (s, (name, color, value)) in series.iter().enumerate() {
        let mut run: Vec<(f32, f32)> = Vec::new();
        for (i, w) in weeks.iter().enumerate() {
            match value(w) {
                Some(v) => run.push((x_of(i), y_of(v))),
                None => flush(&mut run, *color, &mut shapes),
            }
        }
        flush(&mut run, *color, &mut shapes);
        let lx = left + s as f32 * (plot_w / 3.0);
        let ly = height - 10.0;
        shapes.push(Shape::Rect {
            x: lx,
            y: ly - 6.0,
            w: 10.0,
            h: 6.0,
            fill: *color,
        });
        shapes.push(text((lx + 14.0, ly), *name, 7.5, Anchor::Start, INK));
    }
    shapes.push(line((left, top), (left, top + plot_h), GREY, 0.8));
    shapes.push(line(
        (left, top + plot_h),
        (left + plot_w, top + plot_h),
        GREY,
        0.8,
    ));
    Chart {
        title: "Weekly trends".into(),
        width,
        height,
        shapes,
    }
}

/// Ends a run of a line: a polyline through its points, each marked with a
/// dot so that a value on the axis (0 %) or a lone week still shows.
fn flush(run: &mut Vec<(f32, f32)>, color: Rgb, shapes: &mut Vec<Shape>) {
    if run.len() > 1 {
        shapes.push(Shape::Polyline {
            points: run.clone(),
            color,
            width: 1.6,
        });
    }
    for (x, y) in run.drain(..) {
        shapes.push(Shape::Rect {
            x: x - 2.0,
            y: y - 2.0,
            w: 4.0,
            h: 4.0,
            fill: color,
        });
    }
}

/// Met and breached clocks per class: one bar per class, met then breached
/// stacked, with the compliance written beside it.
pub fn sla_by_class(cells: &[SlaCell], width: f32, height: f32) -> Chart {
    let (left, right, top, bottom) = (30.0, 70.0, 8.0, 22.0);
    let plot_w = width - left - right;
    let rows: Vec<&SlaCell> = PriorityClass::ALL
        .iter()
        .filter_map(|k| {
            cells
                .iter()
                .find(|c| c.class == Some(*k) && c.measure.is_none())
        })
        .collect();
    let most = rows
        .iter()
        .map(|c| c.met + c.breached)
        .max()
        .unwrap_or(0)
        .max(1) as f32;
    let band = (height - top - bottom) / rows.len().max(1) as f32;
    let mut shapes = Vec::new();
    for (i, c) in rows.iter().enumerate() {
        let y = top + band * i as f32;
        let bar_h = (band * 0.6).min(18.0);
        let by = y + (band - bar_h) / 2.0;
        let class = c.class.map_or("all", |k| k.as_str());
        shapes.push(text(
            (left - 6.0, by + bar_h / 2.0 + 3.0),
            class,
            8.0,
            Anchor::End,
            INK,
        ));
        let met_w = plot_w * c.met as f32 / most;
        let breached_w = plot_w * c.breached as f32 / most;
        if met_w > 0.0 {
            shapes.push(Shape::Rect {
                x: left,
                y: by,
                w: met_w,
                h: bar_h,
                fill: GREEN,
            });
        }
        if breached_w > 0.0 {
            shapes.push(Shape::Rect {
                x: left + met_w,
                y: by,
                w: breached_w,
                h: bar_h,
                fill: RED,
            });
        }
        let label = if c.met + c.breached == 0 {
            NONE.to_owned()
        } else {
            format!(
                "{}/{} · {}",
                c.met,
                c.met + c.breached,
                percent(c.compliance)
            )
        };
        shapes.push(text(
            (left + met_w + breached_w + 4.0, by + bar_h / 2.0 + 3.0),
            label,
            7.5,
            Anchor::Start,
            INK,
        ));
    }
    let ly = height - 6.0;
    for (j, (name, color)) in [("met", GREEN), ("breached", RED)].iter().enumerate() {
        let lx = left + j as f32 * 70.0;
        shapes.push(Shape::Rect {
            x: lx,
            y: ly - 6.0,
            w: 10.0,
            h: 6.0,
            fill: *color,
        });
        shapes.push(text((lx + 14.0, ly), *name, 7.5, Anchor::Start, INK));
    }
    shapes.push(line((left, top), (left, height - bottom), GREY, 0.8));
    Chart {
        title: "SLA clocks met and breached per class".into(),
        width,
        height,
        shapes,
    }
}

/// Alarms raised per week, as bars.
pub fn weekly_alarms(weeks: &[WeekFigures], width: f32, height: f32) -> Chart {
    let (left, right, top, bottom) = (40.0, 10.0, 10.0, 22.0);
    let plot_w = width - left - right;
    let plot_h = height - top - bottom;
    let most = weeks
        .iter()
        .map(|w| w.figures.alarms)
        .max()
        .unwrap_or(0)
        .max(1);
    let n = weeks.len().max(1);
    let band = plot_w / n as f32;
    let mut shapes = vec![
        text(
            (left - 4.0, top + 3.0),
            most.to_string(),
            7.0,
            Anchor::End,
            GREY,
        ),
        text(
            (left - 4.0, top + plot_h + 3.0),
            "0",
            7.0,
            Anchor::End,
            GREY,
        ),
    ];
    let every = n.div_ceil(7).max(1);
    for (i, w) in weeks.iter().enumerate() {
        let h = plot_h * w.figures.alarms as f32 / most as f32;
        let x = left + band * i as f32 + band * 0.15;
        if h > 0.0 {
            shapes.push(Shape::Rect {
                x,
                y: top + plot_h - h,
                w: band * 0.7,
                h,
                fill: BLUE,
            });
        }
        if i % every == 0 {
            let label = w
                .week
                .label
                .split_once('-')
                .map_or(&w.week.label[..], |x| x.1);
            shapes.push(text(
                (x + band * 0.35, top + plot_h + 11.0),
                label,
                7.0,
                Anchor::Middle,
                GREY,
            ));
        }
    }
    shapes.push(line(
        (left, top + plot_h),
        (left + plot_w, top + plot_h),
        GREY,
        0.8,
    ));
    Chart {
        title: "Alarms raised per week".into(),
        width,
        height,
        shapes,
    }
}
