// Small DOM helpers: build elements without innerHTML (so nothing from the
// API is ever parsed as markup), format times, show toasts and prompts.

const SVG_NS = "http://www.w3.org/2000/svg";

function build(el, attrs, children) {
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith("on") && typeof v === "function") el.addEventListener(k.slice(2), v);
    else if (k === "dataset") Object.assign(el.dataset, v);
    else el.setAttribute(k, v === true ? "" : String(v));
  }
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

/** An HTML element: h("a", {href: "/x"}, "text", child…). */
export function h(tag, attrs, ...children) {
  return build(document.createElement(tag), attrs, children);
}

/** An SVG element. */
export function s(tag, attrs, ...children) {
  return build(document.createElementNS(SVG_NS, tag), attrs, children);
}

/** Replaces the children of `el`. */
export function fill(el, ...children) {
  el.replaceChildren();
  return build(el, {}, children);
}

export const main = () => document.getElementById("main");

let skew = 0;

/**
 * Notes a time the server wrote. A node may run on a simulated clock
 * (`vigil demo --speed 60`) ahead of the browser's; ages are measured
 * against the latest server time seen rather than the browser's alone.
 */
export function noteServerTime(iso) {
  const t = Date.parse(iso);
  if (Number.isFinite(t)) skew = Math.max(skew, t - Date.now());
}

/** The browser's idea of the server's now (ms). */
export function serverNow() {
  return Date.now() + skew;
}

/** "3 min ago" from an RFC 3339 time and now (ms). */
export function ago(iso, now = serverNow()) {
  return iso ? `${age(iso, now)} ago` : "—";
}

/**
 * "3 min" since an RFC 3339 time, for a column headed Age: without the
 * "ago", so that the queue's row stays one line on a wall screen however
 * old an alarm is.
 */
export function age(iso, now = serverNow()) {
  if (!iso) return "—";
  const secs = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (secs < 60) return `${secs} s`;
  if (secs < 3600) return `${Math.floor(secs / 60)} min`;
  if (secs < 86400) return `${Math.floor(secs / 3600)} h ${Math.floor((secs % 3600) / 60)} min`;
  return `${Math.floor(secs / 86400)} d`;
}

let pageZone;

/**
 * The time zone this page's times are shown in: the site's (IANA name,
 * from the site's configuration) when the page is about one site, else
 * the browser's.
 */
export function useZone(zone) {
  pageZone = zone || undefined;
}

function format(d, zone) {
  const f = new Intl.DateTimeFormat("en-GB", {
    timeZone: zone, year: "numeric", month: "2-digit", day: "2-digit",
    hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23", timeZoneName: "short",
  });
  const p = Object.fromEntries(f.formatToParts(d).map((x) => [x.type, x.value]));
  return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}:${p.second} ${p.timeZoneName}`;
}

/**
 * A date and time, year first, 24-hour, with its zone ("2026-03-01
 * 14:05:09 CET"): in `zone`, else the page's zone, else the browser's.
 */
export function when(iso, zone = pageZone) {
  if (!iso) return "—";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  try {
    return format(d, zone);
  } catch {
    // An unknown zone name in a site's configuration: the browser's.
    return format(d, undefined);
  }
}

/** A <time> showing `when(iso)`, with the exact ISO time on hover. */
export function timeEl(iso, zone) {
  if (!iso) return "—";
  return h("time", { datetime: iso, title: iso }, when(iso, zone));
}

/** A duration in seconds, as "4 min 10 s". */
export function duration(secs) {
  if (secs === null || secs === undefined || !Number.isFinite(secs)) return "—";
  const s = Math.round(secs);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}

export function sev(severity) {
  return h("span", { class: `sev sev-${severity}` }, severity);
}

let toastTimer = null;
/** A short message in the corner; `bad` for errors. */
export function toast(text, bad = false) {
  const t = document.getElementById("toast");
  if (!t) return;
  t.textContent = text;
  t.className = bad ? "toast bad" : "toast";
  t.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { t.hidden = true; }, bad ? 8000 : 3500);
}

/**
 * Asks for values in a modal dialog. `fields` is a list of
 * {name, label, type ("text" | "select" | "datetime-local" | "textarea"), options, value, required}.
 * Resolves to an object of values, or null when cancelled.
 */
export function ask(title, fields) {
  const dialog = document.getElementById("prompt");
  const form = document.getElementById("prompt-form");
  document.getElementById("prompt-title").textContent = title;
  const box = document.getElementById("prompt-fields");
  box.replaceChildren();
  for (const f of fields) {
    let input;
    if (f.type === "select") {
      input = h("select", { name: f.name }, f.options.map(([v, l]) => h("option", { value: v, selected: v === f.value }, l)));
    } else if (f.type === "textarea") {
      input = h("textarea", { name: f.name, rows: 3, required: f.required }, f.value || "");
    } else {
      input = h("input", { name: f.name, type: f.type || "text", value: f.value || "", required: f.required });
    }
    box.append(h("label", {}, f.label, input));
  }
  return new Promise((resolve) => {
    const done = () => {
      dialog.removeEventListener("close", done);
      if (dialog.returnValue !== "ok") return resolve(null);
      resolve(Object.fromEntries(new FormData(form).entries()));
    };
    dialog.returnValue = "";
    dialog.addEventListener("close", done);
    dialog.showModal();
    const first = box.querySelector("input,select,textarea");
    if (first) first.focus();
  });
}

/** Whether the keyboard event comes from typing in a field. */
export function typing(ev) {
  const t = ev.target;
  return t instanceof HTMLElement && (t.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(t.tagName));
}

/**
 * An alarm's or incident's service-level clocks, as the server read them
 * from the client's contract: class, and per clock its state, target, due
 * time, elapsed and paused time.
 */
export function slaTable(sla) {
  if (!sla || !(sla.clocks || []).length) return h("p", { class: "muted" }, "No service-level targets apply.");
  return h("table", { class: "sla", "data-class": sla.class },
    h("thead", {}, h("tr", {}, ["Clock", "State", "Target", "Due", "Elapsed", "Paused"].map((t) => h("th", {}, t)))),
    h("tbody", {}, sla.clocks.map((c) => h("tr", { "data-measure": c.measure, "data-state": c.state },
      h("td", {}, `${sla.class} ${c.measure}`),
      h("td", { class: c.state === "breached" ? "urgent" : c.state === "warned" ? "warn" : "" }, c.state, c.pause ? ` (${c.pause.state.replace(/_/g, " ")}: ${c.pause.reason})` : ""),
      h("td", {}, duration(c.target), c.calendar && c.calendar !== "24x7" ? h("span", { class: "muted" }, ` (${c.calendar})`) : ""),
      h("td", { title: c.due || "" }, c.due ? when(c.due) : "—"),
      h("td", {}, duration(c.elapsed)),
      h("td", {}, duration(c.paused))))));
}
