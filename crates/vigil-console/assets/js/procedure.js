// An alarm's procedure, shown from the moment it is raised: the steps its
// type calls for with whom to call (the client's contacts and keyholders in
// order, the guard, police or fire where the contract says), which steps the
// contract requires before closing, and what the rule says about itself.

import { api } from "./api.js";
import { ask, h, toast, when } from "./dom.js";

function callee(c) {
  return h("li", { class: "callee" },
    h("strong", {}, c.name),
    c.role ? h("span", { class: "muted" }, ` ${c.role}`) : null,
    " ", h("a", { href: `tel:${c.phone.replace(/[^+0-9]/g, "")}` }, c.phone));
}

/** Whom a step calls, in order (empty when it calls nobody). */
export function calls(step) {
  if (!step.call) return null;
  if (!(step.calls || []).length) return h("div", { class: "muted" }, "Nobody on record in the client's response plan.");
  return h("ol", { class: "calls" }, step.calls.map(callee));
}

/** The card about the rule: its description and known false positives. */
export function ruleCard(rule) {
  return h("div", { class: "card", id: "rule-notes" },
    h("h3", {}, "About this rule"),
    rule?.description ? h("p", { id: "rule-description" }, rule.description) : h("p", { class: "muted" }, "The rule has no description."),
    h("h4", {}, "Known false positives"),
    (rule?.falsepositives || []).length
      ? h("ul", { class: "plain", id: "rule-falsepositives" }, rule.falsepositives.map((f) => h("li", {}, f)))
      : h("p", { class: "muted" }, "None listed."));
}

/**
 * The procedure card. `view` is `GET /api/v1/alarms/{id}/procedure`;
 * `operate` whether the caller may record steps; `reload` redraws the page.
 */
export function procedureCard(view, { operate, reload }) {
  const run = view.run;
  const p = run || view.procedure;
  if (!p) return h("div", { class: "card", id: "procedure" }, h("h3", {}, "Procedure"), h("p", { class: "muted" }, "No procedure applies to this alarm."));
  const firstOpen = run ? run.steps.findIndex((s) => !s.outcome) : -1;

  async function record(s, outcome) {
    let note = null;
    if (outcome !== "done") {
      const v = await ask(`${outcome === "skipped" ? "Skip" : "Failed"}: ${s.title}`, [{ name: "note", label: "Note", type: "textarea", required: s.required }]);
      if (!v) return;
      note = v.note;
    }
    try {
      await api(`/api/v1/sop-runs/${encodeURIComponent(run.id)}/steps/${encodeURIComponent(s.id)}`, { method: "POST", body: { outcome, note } });
      reload();
    } catch (e) {
      toast(`step: ${e.message}`, true);
    }
  }

  return h("div", { class: "card", id: "procedure", "data-sop": p.sop_id },
    h("h3", {}, p.title, h("span", { class: "muted" }, ` v${p.sop_version}`)),
    run ? null : h("p", { class: "muted" }, "Starts when the alarm is acknowledged."),
    (view.outstanding || []).length
      ? h("p", { class: "urgent", id: "procedure-outstanding" }, `Required before closing: ${view.outstanding.join(", ")}`)
      : null,
    h("ol", { class: "sop" }, p.steps.map((s, i) => h("li", { class: s.outcome ? "done" : "", "data-step": s.id },
      s.title,
      s.before_close ? h("span", { class: "pill required", title: "The client's contract requires this step before the alarm is closed" }, "required before closing")
        : s.required ? null : h("span", { class: "muted" }, " (optional)"),
      calls(s),
      s.outcome
        ? [h("span", { class: `outcome outcome-${s.outcome}` }, s.outcome), h("span", { class: "muted" }, ` ${s.by || ""} ${when(s.at)}${s.note ? ` — ${s.note}` : ""}`)]
        : operate && i === firstOpen ? h("div", { class: "actions" },
          h("button", { type: "button", class: "primary", "data-outcome": "done", onclick: () => record(s, "done") }, "Done"),
          s.before_close ? null : h("button", { type: "button", "data-outcome": "skipped", onclick: () => record(s, "skipped") }, "Skip"),
          h("button", { type: "button", class: "danger", "data-outcome": "failed", onclick: () => record(s, "failed") }, "Failed")) : null))));
}
