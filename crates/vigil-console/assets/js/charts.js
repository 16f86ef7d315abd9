// SVG charts drawn from data: stacked bars, a line, horizontal bars.

import { s } from "./dom.js";

const W = 720;
const H = 300;
const PAD = { l: 48, r: 16, t: 16, b: 44 };

function niceMax(v) {
  if (v <= 0) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  return [1, 2, 5, 10].map((m) => m * p).find((m) => m >= v);
}

// A top for counts: four whole-number steps of 1, 2 or 5 × 10^k.
function countMax(v) {
  return 4 * Math.max(1, niceMax(Math.ceil(v / 4)));
}

function axes(max, labels, fmt = (v) => String(v)) {
  const x0 = PAD.l;
  const y0 = H - PAD.b;
  const parts = [s("line", { class: "axis", x1: x0, y1: PAD.t, x2: x0, y2: y0 }), s("line", { class: "axis", x1: x0, y1: y0, x2: W - PAD.r, y2: y0 })];
  for (let i = 0; i <= 4; i++) {
    const v = (max * i) / 4;
    const y = y0 - ((y0 - PAD.t) * i) / 4;
    parts.push(s("line", { class: "axis", x1: x0 - 4, y1: y, x2: W - PAD.r, y2: y, "stroke-dasharray": i ? "2 4" : null }));
    parts.push(s("text", { class: "tick", x: x0 - 8, y: y + 4, "text-anchor": "end" }, fmt(v)));
  }
  const step = Math.max(1, Math.ceil(labels.length / 12));
  const bw = (W - PAD.l - PAD.r) / Math.max(1, labels.length);
  labels.forEach((l, i) => {
    if (i % step) return;
    parts.push(s("text", { class: "tick", x: x0 + bw * (i + 0.5), y: y0 + 18, "text-anchor": "middle" }, l));
  });
  return parts;
}

/** Stacked bars: `rows` of {label, values: {series: n}}; `series` in stacking order. */
export function stackedBars(rows, series, title) {
  const totals = rows.map((r) => series.reduce((t, k) => t + (Number(r.values[k]) || 0), 0));
  const max = countMax(Math.max(0, ...totals));
  const y0 = H - PAD.b;
  const plotH = y0 - PAD.t;
  const bw = (W - PAD.l - PAD.r) / Math.max(1, rows.length);
  const bars = [];
  rows.forEach((r, i) => {
    let y = y0;
    for (const k of series) {
      const v = Number(r.values[k]) || 0;
      if (!v) continue;
      const hgt = (v / max) * plotH;
      y -= hgt;
      bars.push(s("rect", { class: `cat-${k}`, x: PAD.l + bw * i + bw * 0.12, y, width: bw * 0.76, height: hgt }, s("title", {}, `${r.label} ${k}: ${v}`)));
    }
  });
  return s("svg", { class: "chart", viewBox: `0 0 ${W} ${H}`, role: "img", "aria-label": title }, axes(max, rows.map((r) => r.label)), bars);
}

/**
 * A line of `points` ({label, value}) between 0 and `max` (fixed, e.g. 1
 * for rates). A point whose value is null has no data (a rate of nothing):
 * it is not drawn, and the line breaks there rather than dropping to 0.
 */
export function line(points, title, { max = null, fmt = (v) => String(v) } = {}) {
  const top = max ?? niceMax(Math.max(0, ...points.map((p) => p.value ?? 0)));
  const y0 = H - PAD.b;
  const plotH = y0 - PAD.t;
  const bw = (W - PAD.l - PAD.r) / Math.max(1, points.length);
  const xy = points.map((p, i) => (p.value === null || p.value === undefined ? null : [PAD.l + bw * (i + 0.5), y0 - (p.value / top) * plotH]));
  let d = "";
  xy.forEach((pt, i) => {
    if (pt) d += `${i && xy[i - 1] ? "L" : "M"}${pt[0].toFixed(1)},${pt[1].toFixed(1)} `;
  });
  return s("svg", { class: "chart", viewBox: `0 0 ${W} ${H}`, role: "img", "aria-label": title },
    axes(top, points.map((p) => p.label), fmt),
    d ? s("path", { class: "line", d: d.trim() }) : null,
    xy.map((pt, i) => (pt ? s("circle", { class: "dot", cx: pt[0], cy: pt[1], r: 4, "data-label": points[i].label }, s("title", {}, `${points[i].label}: ${fmt(points[i].value)}`)) : null)));
}

/** Horizontal bars of {label, value}, longest first. */
export function hbars(items, title, cls = "bar-rule") {
  const rowH = 30;
  const height = Math.max(60, items.length * rowH + 10);
  const max = countMax(Math.max(0, ...items.map((i) => i.value)));
  const labelW = 300;
  const plotW = W - labelW - 60;
  return s("svg", { class: "chart", viewBox: `0 0 ${W} ${height}`, role: "img", "aria-label": title },
    items.map((it, i) => {
      const y = 5 + i * rowH;
      const w = Math.max(2, (it.value / max) * plotW);
      const label = it.label.length > 40 ? `${it.label.slice(0, 39)}…` : it.label;
      return [
        s("text", { class: "bar-label", x: labelW - 8, y: y + 19, "text-anchor": "end" }, label, s("title", {}, it.label)),
        s("rect", { class: cls, x: labelW, y: y + 4, width: w, height: rowH - 10 }),
        s("text", { class: "tick", x: labelW + w + 6, y: y + 19 }, String(it.value)),
      ];
    }));
}

/** A small coloured marker for legends. */
export function swatch(cls) {
  return s("svg", { width: 14, height: 14, viewBox: "0 0 14 14" }, s("rect", { class: cls, width: 14, height: 14, rx: 3 }));
}
