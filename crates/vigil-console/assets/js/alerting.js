// Alerting that cannot be missed, on every page: a tone by the alarm's
// level when a new alarm arrives (repeated while a critical one waits to be
// acknowledged), the count of unacknowledged critical alarms in the tab's
// title and icon, and a desktop notification when the browser allows one.
// The operator can mute the sound for a set time; the header always says
// whether sound is on, muted (until when) or blocked by the browser.

import { api, onLive, query } from "./api.js";
import { ask, h, toast } from "./dom.js";

/** Tones per level: pitch, beeps; critical repeats until acknowledged. */
export const TONES = {
  critical: { freq: 1040, beeps: 3 },
  high: { freq: 780, beeps: 2 },
  medium: { freq: 520, beeps: 1 },
};
/** How often a waiting critical alarm sounds again. */
const REMIND_MS = 30000;
const MUTED_UNTIL = "vigil.alerting.mutedUntil";
const SEEN = "vigil.alerting.seen";
const LAST_SOUND = "vigil.alerting.lastSound";
const SEEN_MAX = 2000;

let ctx = null;
let control = null;
let baseTitle = document.title;
let critical = [];

/** The alerting level of an alarm: its severity, where it has a tone. */
export function level(alarm) {
  return TONES[alarm.severity] ? alarm.severity : null;
}

function mutedUntil() {
  const t = Number(localStorage.getItem(MUTED_UNTIL) || 0);
  return t > Date.now() ? t : 0;
}

function seenIds() {
  try {
    return new Set(JSON.parse(localStorage.getItem(SEEN) || "[]"));
  } catch {
    return new Set();
  }
}

function remember(ids) {
  const all = [...seenIds(), ...ids];
  localStorage.setItem(SEEN, JSON.stringify(all.slice(-SEEN_MAX)));
}

function audioState() {
  if (!window.AudioContext) return "unsupported";
  return ctx ? ctx.state : "suspended";
}

function context() {
  if (!ctx && window.AudioContext) ctx = new AudioContext();
  if (ctx && ctx.state === "suspended") ctx.resume().then(show, show);
  return ctx;
}

/**
 * Sounds `which` level's tone. Every request is counted on the header's
 * control (`data-requests`, `data-last`), muted or not, so that what the
 * console asked for can be checked.
 */
export function sound(which) {
  const tone = TONES[which];
  if (!tone || !control) return;
  control.dataset.requests = String(Number(control.dataset.requests || 0) + 1);
  control.dataset.last = which;
  localStorage.setItem(LAST_SOUND, String(Date.now()));
  if (mutedUntil()) return;
  const ac = context();
  if (!ac) return;
  const t0 = ac.currentTime + 0.02;
  for (let i = 0; i < tone.beeps; i++) {
    const osc = ac.createOscillator();
    const gain = ac.createGain();
    osc.type = "square";
    osc.frequency.value = tone.freq;
    const at = t0 + i * 0.28;
    gain.gain.setValueAtTime(0.0001, at);
    gain.gain.exponentialRampToValueAtTime(0.25, at + 0.02);
    gain.gain.exponentialRampToValueAtTime(0.0001, at + 0.2);
    osc.connect(gain).connect(ac.destination);
    osc.start(at);
    osc.stop(at + 0.22);
  }
  show();
}

function clock(ms) {
  return new Date(ms).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", hour12: false });
}

/** Draws the header's control: sound state, the critical count. */
function show() {
  if (!control) return;
  const until = mutedUntil();
  const state = audioState();
  let text;
  let cls;
  if (until) {
    text = `Sound muted until ${clock(until)}`;
    cls = "alerting muted";
  } else if (state !== "running") {
    text = state === "unsupported" ? "No sound in this browser" : "Sound blocked: enable";
    cls = "alerting blocked";
  } else {
    text = "Sound on";
    cls = "alerting on";
  }
  control.dataset.sound = until ? "muted" : state === "running" ? "on" : "blocked";
  control.className = cls;
  control.querySelector(".alerting-sound").textContent = text;
  const count = control.querySelector(".alerting-count");
  count.hidden = critical.length === 0;
  count.textContent = `${critical.length} critical waiting`;
  count.title = `${critical.length} critical alarms not yet acknowledged`;
  control.dataset.critical = String(critical.length);
  const perm = control.querySelector(".alerting-notify");
  perm.hidden = !("Notification" in window) || Notification.permission !== "default";
  document.title = critical.length ? `(${critical.length}) ${baseTitle}` : baseTitle;
  badge(critical.length);
}

/** The tab's icon with the count on it (a data: URL, which the policy allows). */
function badge(n) {
  let link = document.querySelector("link[rel='icon']");
  if (!link) return;
  if (!link.dataset.plain) link.dataset.plain = link.href;
  if (!n) {
    link.href = link.dataset.plain;
    return;
  }
  const label = n > 99 ? "99+" : String(n);
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><circle cx="16" cy="16" r="16" fill="#ff4d5e"/><text x="16" y="22" font-family="sans-serif" font-size="${label.length > 2 ? 12 : 17}" font-weight="bold" text-anchor="middle" fill="#fff">${label}</text></svg>`;
  const next = `data:image/svg+xml,${encodeURIComponent(svg)}`;
  if (link.href !== next) {
    // Some browsers only notice a new icon on a new element.
    const fresh = link.cloneNode();
    fresh.href = next;
    link.replaceWith(fresh);
  }
}

async function toggle() {
  if (mutedUntil()) {
    localStorage.removeItem(MUTED_UNTIL);
    toast("Alarm sound on");
  } else if (audioState() !== "running") {
    context();
  } else {
    const v = await ask("Mute the alarm sound", [
      { name: "minutes", label: "For", type: "select", value: "15", options: [["5", "5 minutes"], ["15", "15 minutes"], ["30", "30 minutes"], ["60", "1 hour"]] },
    ]);
    if (!v) return;
    const until = Date.now() + Number(v.minutes) * 60000;
    localStorage.setItem(MUTED_UNTIL, String(until));
    toast(`Alarm sound muted until ${clock(until)}; titles and notifications go on`);
  }
  show();
}

function notify(alarm) {
  if (!("Notification" in window) || Notification.permission !== "granted") return;
  try {
    const n = new Notification(`${alarm.severity.toUpperCase()}: ${alarm.rule_title}`, {
      body: `${alarm.tenant}${alarm.site ? ` · ${alarm.site}` : ""}`,
      tag: alarm.id,
      requireInteraction: alarm.severity === "critical",
    });
    n.onclick = () => {
      window.focus();
      location.assign(`/alarms/${alarm.id}`);
    };
  } catch {
    // Some browsers allow notifications only from a service worker; the
    // title, icon and sound still alert.
  }
}

async function check() {
  let waiting;
  try {
    waiting = (await api(`/api/v1/alarms${query({ status: "new", limit: 1000 })}`)).items || [];
  } catch {
    return;
  }
  critical = waiting.filter((a) => a.severity === "critical");
  const seen = seenIds();
  const fresh = waiting.filter((a) => !seen.has(a.id));
  remember(fresh.map((a) => a.id));
  const levels = fresh.map(level).filter(Boolean);
  const top = ["critical", "high", "medium"].find((l) => levels.includes(l));
  if (top) sound(top);
  for (const a of fresh.filter((x) => x.severity === "critical" || x.severity === "high")) notify(a);
  show();
}

function remind() {
  const last = Number(localStorage.getItem(LAST_SOUND) || 0);
  if (critical.length && Date.now() - last >= REMIND_MS) sound("critical");
  show();
}

/** Starts alerting on this page (for people who work alarms). */
export function startAlerting() {
  baseTitle = document.title;
  control = h("span", { id: "alerting", class: "alerting", "data-requests": "0" },
    h("button", { type: "button", class: "ghost alerting-sound", onclick: toggle, title: "Alarm sound: mute for a while, or enable" }),
    h("a", { class: "alerting-count urgent", href: "/queue?state=new", hidden: true }),
    h("button", { type: "button", class: "ghost alerting-notify", hidden: true, title: "Desktop notifications of critical and high alarms", onclick: async () => {
      await Notification.requestPermission();
      show();
    } }, "Notify me…"));
  document.getElementById("live")?.before(control);
  if (window.AudioContext) {
    ctx = new AudioContext();
    ctx.onstatechange = show;
  }
  // The first click anywhere may unblock sound (browsers' autoplay rule).
  addEventListener("pointerdown", () => { if (ctx && ctx.state === "suspended") ctx.resume().then(show, show); }, { once: true });
  addEventListener("storage", (ev) => { if (ev.key === MUTED_UNTIL) show(); });
  show();
  let timer = null;
  onLive((kind) => {
    if (kind !== "alarm" && kind !== "resync") return;
    clearTimeout(timer);
    timer = setTimeout(check, 100);
  });
  setInterval(remind, 5000);
  return check();
}
