// An incident under NIS-2 Art. 23 on the incident page: the significance
// Vigil proposed and the analyst's decision, each report's deadline with a
// countdown that runs while the page is open, the drafts (JSON as
// submitted, PDF to read) and what was sent to whom.

import { api } from "./api.js";
import { ask, h, serverNow, toast, when } from "./dom.js";

const NAMES = {
  early_warning: "Early warning (24 h)",
  incident_notification: "Incident notification (72 h)",
  intermediate_report: "Intermediate report (on request)",
  final_report: "Final report (1 month)",
  progress_report: "Progress report (while ongoing)",
};

/** "17 h 42 min 05 s left" or "overdue by 3 h 10 min". */
export function countdown(dueIso, now = serverNow()) {
  const ms = Date.parse(dueIso) - now;
  if (!Number.isFinite(ms)) return "—";
  const secs = Math.floor(Math.abs(ms) / 1000);
  const d = Math.floor(secs / 86400);
  const hh = Math.floor((secs % 86400) / 3600);
  const mm = Math.floor((secs % 3600) / 60);
  const ss = String(secs % 60).padStart(2, "0");
  const text = d > 0 ? `${d} d ${hh} h ${mm} min` : hh > 0 ? `${hh} h ${mm} min ${ss} s` : `${mm} min ${ss} s`;
  return ms >= 0 ? `${text} left` : `overdue by ${text}`;
}

let ticker = null;

/** Keeps every countdown on the page current, once a second. */
function tick() {
  for (const el of document.querySelectorAll("[data-countdown]")) {
    el.textContent = countdown(el.dataset.countdown);
  }
}

function startTicker() {
  if (ticker === null) ticker = setInterval(tick, 1000);
}

/** The NIS-2 card of `inc`; `reload` re-reads the incident after a change. */
export function nis2Card(inc, deadlines, { operate, reload }) {
  const record = inc.nis2;
  if (!record) {
    return h("div", { class: "card", id: "nis2" }, h("h3", {}, "NIS-2"),
      h("p", { class: "muted" }, "Not assessed. An analyst records the facts (POST /api/v1/incidents/{id}/nis2/assessment) and Vigil proposes whether it is significant."));
  }
  const base = `/api/v1/incidents/${encodeURIComponent(inc.id)}/nis2`;
  const significant = record.confirmation ? record.confirmation.significant : record.assessment.significant;
  const met = (record.assessment.criteria || []).filter((c) => c.met).map((c) => c.id);
  const decision = record.confirmation
    ? `${significant ? "significant" : "not significant"}, decided by ${record.confirmation.by} ${when(record.confirmation.at)}`
    : `proposed: ${significant ? "significant" : "not significant"} (awaiting an analyst's decision)`;

  async function draft(kind) {
    const v = await ask(`Draft: ${NAMES[kind]}`, [
      { name: "impact", label: "Impact", type: "textarea", required: true },
      { name: "malicious", label: "Suspected unlawful or malicious", type: "select", value: "unknown", options: [["unknown", "not known yet"], ["yes", "yes"], ["no", "no"]] },
      { name: "cross_border", label: "Cross-border impact possible", type: "select", value: "unknown", options: [["unknown", "not known yet"], ["yes", "yes"], ["no", "no"]] },
      { name: "root_cause", label: "Root cause (final report)" },
    ]);
    if (!v) return;
    try {
      const r = await api(`${base}/drafts`, { method: "POST", body: {
        kind,
        impact: v.impact,
        suspected_cause: { unlawful_or_malicious: v.malicious, root_cause: v.root_cause || null },
        cross_border: { possible: v.cross_border },
      } });
      toast(`${NAMES[kind]}: version ${r.draft.version} drafted`);
      await reload();
    } catch (e) {
      toast(`draft: ${e.message}`, true);
    }
  }

  async function submit(d) {
    const v = await ask(`Sent version ${d.version} of the ${NAMES[d.kind]}`, [
      { name: "to", label: "To (authority or portal)", required: true },
    ]);
    if (!v) return;
    try {
      await api(`${base}/submissions`, { method: "POST", body: { kind: d.kind, version: d.version, to: v.to } });
      toast(`${NAMES[d.kind]}: submission recorded`);
      await reload();
    } catch (e) {
      toast(`submission: ${e.message}`, true);
    }
  }

  const rows = (deadlines || []).map((o) => {
    const state = o.state.state;
    const open = ["pending", "due_soon", "overdue"].includes(state);
    const cls = state === "overdue" ? "urgent" : state === "due_soon" ? "warn" : "";
    return h("tr", { "data-kind": o.kind, "data-state": state },
      h("td", {}, NAMES[o.kind] || o.kind),
      h("td", { class: cls }, state.replace(/_/g, " "), o.state.at ? ` ${when(o.state.at)}` : ""),
      h("td", { title: o.due || "" }, o.due ? when(o.due) : "—"),
      h("td", open && o.due ? { class: `countdown ${cls}`, "data-countdown": o.due } : { class: "muted" }, open && o.due ? countdown(o.due) : "—"),
      h("td", {}, operate && open && o.due ? h("button", { type: "button", onclick: () => draft(o.kind) }, "Draft…") : null));
  });
  const drafts = (record.drafts || []).map((d) => {
    const sent = (record.submissions || []).filter((s) => s.kind === d.kind && s.version === d.version);
    return h("li", { "data-draft": `${d.kind}/${d.version}` },
      `${NAMES[d.kind] || d.kind} v${d.version} `,
      h("a", { href: `${base}/drafts/${d.kind}/${d.version}` }, "JSON"), " · ",
      h("a", { href: `${base}/drafts/${d.kind}/${d.version}?format=pdf` }, "PDF"),
      h("span", { class: "muted", title: d.digest }, ` sha256 ${d.digest.slice(0, 12)}…`),
      sent.length ? h("span", { class: "muted" }, ` · sent to ${sent.map((s) => `${s.to} by ${s.by} ${when(s.at)}`).join("; ")}`)
        : operate ? [" ", h("button", { type: "button", onclick: () => submit(d) }, "Sent…")] : null);
  });
  startTicker();
  return h("div", { class: "card", id: "nis2", "data-significant": String(significant) },
    h("h3", {}, "NIS-2 Art. 23"),
    h("p", {}, decision, met.length ? h("span", { class: "muted" }, ` — ${met.join(", ")}`) : ""),
    h("p", { class: "muted" }, `Aware since ${when(record.aware_at)}`),
    rows.length ? h("table", { class: "sla", id: "nis2-deadlines" },
      h("thead", {}, h("tr", {}, ["Report", "State", "Due", "Countdown", ""].map((t) => h("th", {}, t)))),
      h("tbody", {}, rows)) : h("p", { class: "muted" }, "No report is owed."),
    drafts.length ? h("ul", { class: "plain", id: "nis2-drafts" }, drafts) : null);
}
