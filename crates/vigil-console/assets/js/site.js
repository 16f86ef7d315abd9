// One site's floor plan: areas and devices from GET
// /api/v1/sites/{tenant}/{site}/plan drawn as SVG over the site's floor-plan
// image when it has one, each device shaped by its type (with a legend),
// coloured by its live state, labelled where the label does not cover
// another, and clickable to its recent events and alarms. `?device=ID`
// opens the plan with that device highlighted (the alarm page links so).
// The plan is fetched again every 2 seconds and whenever the desk stream
// reports a change.

import { ApiError, api, onLive, query } from "./api.js";
import { ago, fill, h, noteServerTime, s, sev, when } from "./dom.js";

const STATES = ["online", "offline", "armed", "disarmed", "door_open", "alarm", "unknown"];
const NOTABLE = ["alarm", "door_open", "offline"];
const SHAPES = { door: "door", camera: "camera", panel: "panel", reader: "diamond", sensor: "circle", gateway: "gateway" };
const KINDS = ["door", "camera", "panel", "reader", "sensor", "gateway"];

function shape(kind, x, y, r, attrs) {
  switch (SHAPES[kind] || "circle") {
  case "door":
  case "panel":
    return s("rect", { ...attrs, x: x - r, y: y - r, width: 2 * r, height: 2 * r, rx: kind === "door" ? 2 : r * 0.45 });
  case "camera":
    return s("polygon", { ...attrs, points: `${x},${y - r * 1.2} ${x + r * 1.15},${y + r * 0.9} ${x - r * 1.15},${y + r * 0.9}` });
  case "gateway":
    return s("polygon", { ...attrs, points: `${x},${y + r * 1.2} ${x + r * 1.15},${y - r * 0.9} ${x - r * 1.15},${y - r * 0.9}` });
  case "diamond":
    return s("polygon", { ...attrs, points: `${x},${y - r * 1.25} ${x + r * 1.25},${y} ${x},${y + r * 1.25} ${x - r * 1.25},${y}` });
  default:
    return s("circle", { ...attrs, cx: x, cy: y, r });
  }
}

/**
 * Where each label goes: to the right of its device, else left, above or
 * below, the first spot that covers no other label or device and stays on
 * the plan; a label with no such spot is left out (the device names itself
 * on hover). `items` are the labelled devices {id, x, y, text}, `devices`
 * every device {x, y}; returns id → {x, y, anchor}.
 */
export function placeLabels(items, devices, r, fs, w, hgt) {
  const boxes = devices.map((d) => ({ x: d.x - r, y: d.y - r, w: 2 * r, h: 2 * r }));
  const overlaps = (a, b) => a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
  const out = new Map();
  for (const d of items) {
    const lw = fs * 0.6 * d.text.length;
    const spots = [
      { x: d.x + r + 4, y: d.y + fs * 0.35, anchor: "start", box: { x: d.x + r + 4, y: d.y - fs * 0.6, w: lw, h: fs * 1.2 } },
      { x: d.x - r - 4, y: d.y + fs * 0.35, anchor: "end", box: { x: d.x - r - 4 - lw, y: d.y - fs * 0.6, w: lw, h: fs * 1.2 } },
      { x: d.x, y: d.y - r - 4, anchor: "middle", box: { x: d.x - lw / 2, y: d.y - r - 4 - fs, w: lw, h: fs * 1.2 } },
      { x: d.x, y: d.y + r + fs, anchor: "middle", box: { x: d.x - lw / 2, y: d.y + r + 2, w: lw, h: fs * 1.2 } },
    ];
    const spot = spots.find((p) => p.box.x >= 0 && p.box.y >= 0 && p.box.x + p.box.w <= w && p.box.y + p.box.h <= hgt && !boxes.some((b) => overlaps(p.box, b)));
    if (!spot) continue;
    boxes.push(spot.box);
    out.set(d.id, spot);
  }
  return out;
}

function marker(d, r) {
  const st = STATES.includes(d.state) ? d.state : "unknown";
  const cls = `device st-${st}`;
  const attrs = { class: cls, "data-device": d.id, "data-state": st, tabindex: 0, role: "button", "aria-label": `${d.name || d.id}: ${st.replace("_", " ")}` };
  return shape(d.kind, Number(d.x) || 0, Number(d.y) || 0, r, attrs);
}

export default async function sitePage(root) {
  const [, , tenant, site] = location.pathname.split("/").map(decodeURIComponent);
  const planUrl = `/api/v1/sites/${encodeURIComponent(tenant)}/${encodeURIComponent(site)}/plan`;
  let selected = new URLSearchParams(location.search).get("device");
  let opened = false;
  let plan = null;
  const side = h("div", { class: "card", id: "device-panel" }, h("p", { class: "muted" }, "Click a device to see its recent events."));

  async function showDevice(d) {
    selected = d.id;
    draw();
    fill(side, h("h3", {}, d.name || d.id), h("p", { class: "muted" }, `${d.kind} · ${d.zone || "—"} · ${d.state.replace("_", " ")} · last seen ${ago(d.last_seen)}`), h("p", { class: "muted" }, "Loading events…"));
    const field = d.kind === "door" ? "door" : d.kind === "camera" ? "camera" : "device";
    const [items, alarms] = await Promise.all([
      api(`/api/v1/events${query({ tenant, field: `${field}=${d.id}`, limit: 20 })}`).then((r) => r.items || []).catch(() => []),
      // The alarms naming the device, among the site's recent ones.
      api(`/api/v1/alarms${query({ tenant, status: "new,acknowledged,in_progress,closed", limit: 1000 })}`)
        .then((r) => (r.items || []).filter((a) => (a.entities || []).some((e) => e.value === d.id)))
        .catch(() => []),
    ]);
    if (selected !== d.id) return;
    fill(side, h("h3", {}, d.name || d.id),
      h("p", { class: "muted" }, `${d.kind} · ${d.zone || "—"} · ${d.state.replace("_", " ")} · last seen ${ago(d.last_seen)}`),
      h("h4", {}, `Alarms (${alarms.length})`),
      alarms.length ? h("ul", { class: "plain", id: "device-alarms" }, alarms.slice(0, 20).map((a) => h("li", {},
        sev(a.severity), " ", h("a", { href: `/alarms/${encodeURIComponent(a.id)}` }, a.rule_title),
        h("span", { class: "muted" }, ` ${a.status.replace("_", " ")} · ${ago(a.first_seen)}`))))
        : h("p", { class: "muted", id: "device-alarms" }, "No alarms name it."),
      h("h4", {}, "Recent events"),
      items.length ? h("table", { class: "grid", id: "device-events" }, h("tbody", {}, items.map((e) => h("tr", {},
        h("td", {}, when(e.observed_at)),
        h("td", {}, e.fields?.action || e.fields?.state || e.class),
        h("td", { class: "muted" }, e.fields?.person_name || e.fields?.badge || ""))))) : h("p", { class: "muted" }, "No recent events."));
  }

  const svgBox = h("div", { id: "plan-box" });
  const title = h("h1", {}, `${tenant} · ${site}`);
  const here = `/sites/${encodeURIComponent(tenant)}/${encodeURIComponent(site)}`;
  fill(root, title,
    h("div", { class: "actions site-links" },
      h("a", { href: `${here}/estate`, id: "estate-link" }, "Estate: inventory, advisories, maintenance"),
      h("a", { href: `${here}/roll-call` }, "Roll call")),
    h("div", { class: "legend" }, STATES.map((st) => h("span", {}, s("svg", { width: 14, height: 14, viewBox: "0 0 14 14" }, s("circle", { class: `st-${st}`, cx: 7, cy: 7, r: 6 })), ` ${st.replace("_", " ")}`))),
    h("div", { class: "legend", id: "kind-legend" }, KINDS.map((k) => h("span", { "data-kind": k }, s("svg", { width: 16, height: 16, viewBox: "0 0 16 16" }, shape(k, 8, 8, 5.5, { class: "device st-unknown" })), ` ${k}`))),
    h("div", { class: "plan-wrap" }, svgBox, side));

  function draw() {
    if (!plan) return;
    title.textContent = `${plan.name || site} · ${tenant}`;
    const w = Number(plan.width) || 1000;
    const hgt = Number(plan.height) || 600;
    const crowded = (plan.devices || []).length > 16;
    const r = (crowded ? 9 : 15) * Math.max(0.6, Math.min(w, hgt * 1.6) / 1000);
    const fs = Math.max(10, r * 1.05);
    const named = (d) => !crowded || d.id === selected || NOTABLE.includes(d.state);
    const at = (d) => ({ id: d.id, x: Number(d.x) || 0, y: Number(d.y) || 0, text: d.name || d.id });
    const devices = plan.devices || [];
    // The selected device is labelled first: its label must not be the one left out.
    const order = [...devices.filter((d) => d.id === selected), ...devices.filter((d) => d.id !== selected && named(d))];
    const labels = placeLabels(order.map(at), devices.map(at), r, fs, w, hgt);
    const svg = s("svg", { class: "plan", id: "plan", viewBox: `0 0 ${w} ${hgt}`, role: "img", "aria-label": `Floor plan of ${plan.name || site}` },
      plan.image ? s("image", { class: "floor-image", href: plan.image, x: 0, y: 0, width: w, height: hgt, preserveAspectRatio: "xMidYMid meet" }) : null,
      (plan.areas || []).map((a) => [
        s("rect", { class: "area", x: a.x, y: a.y, width: a.w, height: a.h, rx: 6 }),
        s("text", { class: "area-label", x: Number(a.x) + 10, y: Number(a.y) + 22 }, a.name || a.id),
      ]),
      devices.map((d) => {
        const m = marker(d, r);
        if (d.id === selected) m.classList.add("selected");
        m.addEventListener("click", () => showDevice(d));
        m.addEventListener("keydown", (ev) => { if (ev.key === "Enter" || ev.key === " ") showDevice(d); });
        m.append(s("title", {}, `${d.name || d.id} (${d.kind}): ${d.state}`));
        // A crowded plan names only what needs attention (and the selected
        // device); the rest name themselves on hover.
        const spot = labels.get(d.id);
        return [m, spot ? s("text", { class: "device-label", "data-label": d.id, x: spot.x, y: spot.y, "text-anchor": spot.anchor, "font-size": fs }, d.name || d.id) : null];
      }));
    svgBox.replaceChildren(svg);
  }

  let stop = false;
  async function load() {
    try {
      plan = await api(planUrl);
      for (const d of plan.devices || []) noteServerTime(d.last_seen || d.last_event_at);
      draw();
      const wanted = !opened && selected && (plan.devices || []).find((d) => d.id === selected);
      if (wanted) {
        opened = true;
        showDevice(wanted);
      }
    } catch (e) {
      if (e instanceof ApiError && (e.status === 404 || e.status === 503)) {
        stop = true;
        fill(svgBox, h("div", { class: "empty", id: "no-data" }, "No floor plan for this site (or no such site in what you may see)."));
        return;
      }
      // A transient failure: keep the last drawing, try again next tick.
    }
  }
  await load();
  const timer = setInterval(() => { if (stop) clearInterval(timer); else load(); }, 2000);
  onLive((kind) => { if ((kind === "alarm" || kind === "resync") && !stop) load(); });
}
