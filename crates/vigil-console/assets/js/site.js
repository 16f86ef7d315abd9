// One site's floor plan: areas and devices from GET
// /api/v1/sites/{tenant}/{site}/plan drawn as SVG, each device coloured by
// its live state and clickable to its recent events. The plan is fetched
// again every 2 seconds and whenever the desk stream reports a change.

import { ApiError, api, onLive, query } from "./api.js";
import { ago, fill, h, noteServerTime, s, when } from "./dom.js";

const STATES = ["online", "offline", "armed", "disarmed", "door_open", "alarm", "unknown"];
const NOTABLE = ["alarm", "door_open", "offline"];
const SHAPES = { door: "rect", camera: "polygon", panel: "rect", reader: "circle", sensor: "circle", gateway: "polygon" };

function marker(d, r) {
  const st = STATES.includes(d.state) ? d.state : "unknown";
  const cls = `device st-${st}`;
  const attrs = { class: cls, "data-device": d.id, "data-state": st, tabindex: 0, role: "button", "aria-label": `${d.name || d.id}: ${st.replace("_", " ")}` };
  const x = Number(d.x) || 0;
  const y = Number(d.y) || 0;
  switch (SHAPES[d.kind] || "circle") {
  case "rect":
    return s("rect", { ...attrs, x: x - r, y: y - r, width: 2 * r, height: 2 * r, rx: d.kind === "door" ? 2 : 6 });
  case "polygon":
    return s("polygon", { ...attrs, points: `${x},${y - r * 1.2} ${x + r * 1.15},${y + r * 0.9} ${x - r * 1.15},${y + r * 0.9}` });
  default:
    return s("circle", { ...attrs, cx: x, cy: y, r });
  }
}

export default async function sitePage(root) {
  const [, , tenant, site] = location.pathname.split("/").map(decodeURIComponent);
  const planUrl = `/api/v1/sites/${encodeURIComponent(tenant)}/${encodeURIComponent(site)}/plan`;
  let selected = null;
  let plan = null;
  const side = h("div", { class: "card", id: "device-panel" }, h("p", { class: "muted" }, "Click a device to see its recent events."));

  async function showDevice(d) {
    selected = d.id;
    draw();
    fill(side, h("h3", {}, d.name || d.id), h("p", { class: "muted" }, `${d.kind} · ${d.zone || "—"} · ${d.state.replace("_", " ")} · last seen ${ago(d.last_seen)}`), h("p", { class: "muted" }, "Loading events…"));
    let items = [];
    try {
      const field = d.kind === "door" ? "door" : "device";
      items = (await api(`/api/v1/events${query({ tenant, field: `${field}=${d.id}`, limit: 20 })}`)).items || [];
    } catch {
      items = [];
    }
    if (selected !== d.id) return;
    fill(side, h("h3", {}, d.name || d.id),
      h("p", { class: "muted" }, `${d.kind} · ${d.zone || "—"} · ${d.state.replace("_", " ")} · last seen ${ago(d.last_seen)}`),
      items.length ? h("table", { class: "grid", id: "device-events" }, h("tbody", {}, items.map((e) => h("tr", {},
        h("td", {}, when(e.observed_at)),
        h("td", {}, e.fields?.action || e.fields?.state || e.class),
        h("td", { class: "muted" }, e.fields?.person_name || e.fields?.badge || ""))))) : h("p", { class: "muted" }, "No recent events."));
  }

  const svgBox = h("div", { id: "plan-box" });
  const title = h("h1", {}, `${tenant} · ${site}`);
  fill(root, title,
    h("div", { class: "legend" }, STATES.map((st) => h("span", {}, s("svg", { width: 14, height: 14, viewBox: "0 0 14 14" }, s("circle", { class: `st-${st}`, cx: 7, cy: 7, r: 6 })), ` ${st.replace("_", " ")}`))),
    h("div", { class: "plan-wrap" }, svgBox, side));

  function draw() {
    if (!plan) return;
    title.textContent = `${plan.name || site} · ${tenant}`;
    const w = Number(plan.width) || 1000;
    const hgt = Number(plan.height) || 600;
    const crowded = (plan.devices || []).length > 16;
    const r = (crowded ? 9 : 15) * Math.max(0.6, Math.min(w, hgt * 1.6) / 1000);
    const svg = s("svg", { class: "plan", id: "plan", viewBox: `0 0 ${w} ${hgt}`, role: "img", "aria-label": `Floor plan of ${plan.name || site}` },
      (plan.areas || []).map((a) => [
        s("rect", { class: "area", x: a.x, y: a.y, width: a.w, height: a.h, rx: 6 }),
        s("text", { class: "area-label", x: Number(a.x) + 10, y: Number(a.y) + 22 }, a.name || a.id),
      ]),
      (plan.devices || []).map((d) => {
        const m = marker(d, r);
        if (d.id === selected) m.classList.add("selected");
        m.addEventListener("click", () => showDevice(d));
        m.addEventListener("keydown", (ev) => { if (ev.key === "Enter" || ev.key === " ") showDevice(d); });
        m.append(s("title", {}, `${d.name || d.id} (${d.kind}): ${d.state}`));
        // A crowded plan names only what needs attention (and the selected
        // device); the rest name themselves on hover.
        const named = !crowded || d.id === selected || NOTABLE.includes(d.state);
        return [m, named ? s("text", { class: "device-label", x: Number(d.x) + r + 6, y: Number(d.y) + 6 }, d.name || d.id) : null];
      }));
    svgBox.replaceChildren(svg);
  }

  let stop = false;
  async function load() {
    try {
      plan = await api(planUrl);
      for (const d of plan.devices || []) noteServerTime(d.last_seen || d.last_event_at);
      draw();
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
