//! Where areas and devices go when the configuration does not say: one area
//! per zone in a grid filling the plan, devices on a grid inside their
//! zone's area, and the rest along the plan's bottom edge. A configured
//! position outside the device's zone is moved to the nearest point inside
//! it: a device drawn in the wrong room sends a guard to the wrong room.

use std::collections::{BTreeMap, HashMap};

use super::PlanArea;

/// Space around and between laid-out areas, in plan units.
const MARGIN: f64 = 20.0;

/// How far inside its area's edge a device is kept, in plan units.
const INSET: f64 = 8.0;

/// The area of devices with no zone, when areas are laid out.
pub const UNZONED: &str = "unzoned";

/// Columns and rows of a near-square grid of `n` cells in a `w`×`h` box.
fn grid(n: usize, w: f64, h: f64) -> (usize, usize) {
    if n == 0 {
        return (1, 1);
    }
    let aspect = if h > 0.0 { w / h } else { 1.0 };
    let cols = ((n as f64 * aspect).sqrt().ceil() as usize).clamp(1, n);
    (cols, n.div_ceil(cols))
}

/// One area per zone, in a grid filling the plan, in the order given.
pub fn grid_areas(zones: &[String], width: f64, height: f64) -> Vec<PlanArea> {
    let (cols, rows) = grid(zones.len(), width, height);
    // Small plans get narrower gaps, so that the areas still fit.
    let gap_x = MARGIN.min(width / (cols as f64 * 4.0));
    let gap_y = MARGIN.min(height / (rows as f64 * 4.0));
    let cell_w = (width - gap_x) / cols as f64 - gap_x;
    let cell_h = (height - gap_y) / rows as f64 - gap_y;
    zones
        .iter()
        .enumerate()
        .map(|(i, zone)| {
            let (c, r) = (i % cols, i / cols);
            PlanArea {
                id: zone.clone(),
                name: zone.clone(),
                x: gap_x + c as f64 * (cell_w + gap_x),
                y: gap_y + r as f64 * (cell_h + gap_y),
                w: cell_w,
                h: cell_h,
            }
        })
        .collect()
}

/// Positions of `devices` (id, zone, configured position), in the order
/// given: configured ones as given; the rest on a grid inside their zone's
/// area, or along the plan's bottom edge when no area is theirs.
pub(super) fn place<'a>(
    devices: impl IntoIterator<Item = (&'a str, Option<&'a str>, Option<(f64, f64)>)>,
    areas: &[PlanArea],
    width: f64,
    height: f64,
) -> HashMap<String, (f64, f64)> {
    let mut out = HashMap::new();
    let mut by_area: BTreeMap<usize, Vec<&str>> = BTreeMap::new();
    let mut homeless = Vec::new();
    for (id, zone, pos) in devices {
        if let Some((x, y)) = pos {
            let area = zone.and_then(|z| areas.iter().find(|a| a.id == z));
            let p = match area {
                Some(a) => (clamp_into(x, a.x, a.w), clamp_into(y, a.y, a.h)),
                None => (x, y),
            };
            out.insert(id.to_owned(), p);
            continue;
        }
        let zone = zone.unwrap_or(UNZONED);
        match areas.iter().position(|a| a.id == zone) {
            Some(i) => by_area.entry(i).or_default().push(id),
            None => homeless.push(id),
        }
    }
    for (i, ids) in by_area {
        let Some(a) = areas.get(i) else { continue };
        let (cols, rows) = grid(ids.len(), a.w, a.h);
        for (j, id) in ids.into_iter().enumerate() {
            let (c, r) = (j % cols, j / cols);
            let x = a.x + a.w * (c as f64 + 0.5) / cols as f64;
            let y = a.y + a.h * (r as f64 + 0.5) / rows as f64;
            out.insert(id.to_owned(), (x, y));
        }
    }
    let n = homeless.len();
    for (j, id) in homeless.into_iter().enumerate() {
        let x = width * (j as f64 + 0.5) / n as f64;
        out.insert(id.to_owned(), (x, (height - MARGIN / 2.0).max(0.0)));
    }
    out
}

/// `v` moved into `[start + INSET, start + len - INSET]` (the middle when
/// the area is narrower than two insets).
fn clamp_into(v: f64, start: f64, len: f64) -> f64 {
    let inset = INSET.min(len / 2.0);
    v.clamp(start + inset, start + len - inset)
}
