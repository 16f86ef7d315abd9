// Bulk work on the queue: several alarms (or whole groups) acknowledged,
// closed with one verdict, or suppressed at once. Each alarm is still
// checked, applied and audited on its own by the server
// (`POST /api/v1/alarms/bulk`); what failed is listed per alarm.

import { api, query } from "./api.js";
import { ask, fill, h, serverNow, toast } from "./dom.js";

/** The verdicts an operator closes with. */
export const VERDICTS = [["true_positive", "true positive"], ["false_positive", "false positive"], ["benign", "benign"], ["duplicate", "duplicate"]];

/** Asks for a verdict and a note; null when cancelled. */
export function askVerdict(title, extra = []) {
  return ask(title, [
    { name: "verdict", label: "Verdict", type: "select", value: "true_positive", options: VERDICTS },
    { name: "note", label: "Note", type: "textarea" },
    ...extra,
  ]);
}

/**
 * Runs a bulk action on `ids`; shows what was applied and what failed
 * (in `report`, one line per failed alarm, named by its rule).
 */
export async function runBulk(body, names, report) {
  const r = await api("/api/v1/alarms/bulk", { method: "POST", body });
  const failed = (r.items || []).filter((o) => !o.ok);
  toast(`${body.action}: ${r.applied} done${failed.length ? `, ${failed.length} not` : ""}`, failed.length > 0);
  if (report) {
    fill(report, failed.length ? h("ul", { class: "plain" }, failed.map((o) =>
      h("li", { "data-id": o.id }, h("strong", {}, names.get(o.id) || o.id), `: ${o.error}`))) : null);
    report.hidden = failed.length === 0;
  }
  return r;
}

/** The ids of a group's alarms that are still open. */
export async function openInGroup(group) {
  const r = await api(`/api/v1/alarms${query({ group, limit: 1000 })}`);
  return (r.items || []).map((a) => a.id);
}

/**
 * The bar above the queue: how many are selected and what can be done to
 * them. `chosen` is the queue's Set of selected ids, `alarms()` the loaded
 * alarms, `changed()` redraws and re-reads the queue.
 */
export function bulkBar(chosen, alarms, changed) {
  const count = h("strong", { id: "bulk-count" });
  const report = h("div", { id: "bulk-report", class: "card", hidden: true });
  const picked = () => alarms().filter((a) => chosen.has(a.id));
  const names = () => new Map(alarms().map((a) => [a.id, `${a.rule_title} (${a.tenant}${a.site ? ` · ${a.site}` : ""})`]));
  const act = (fn) => async () => {
    try {
      await fn();
    } catch (e) {
      toast(`bulk: ${e.message}`, true);
    }
    await changed();
  };
  const acknowledge = act(async () => {
    const ids = picked().filter((a) => a.status === "new").map((a) => a.id);
    if (!ids.length) return toast("None of the selected alarms is new", true);
    await runBulk({ action: "acknowledge", ids }, names(), report);
    chosen.clear();
  });
  const close = act(async () => {
    const ids = picked().filter((a) => a.status !== "closed").map((a) => a.id);
    if (!ids.length) return;
    const v = await askVerdict(`Close ${ids.length} alarms with one verdict`);
    if (!v) return;
    await runBulk({ action: "close", ids, verdict: v.verdict, note: v.note || null }, names(), report);
    chosen.clear();
  });
  const suppress = act(async () => {
    const rules = new Map();
    for (const a of picked()) rules.set(`${a.tenant}\u0000${a.rule_id}`, a);
    if (!rules.size) return;
    const tomorrow = new Date(serverNow() + 86400000);
    const local = new Date(tomorrow.getTime() - tomorrow.getTimezoneOffset() * 60000).toISOString().slice(0, 16);
    const v = await ask(`Suppress ${rules.size} rule${rules.size > 1 ? "s" : ""} at their clients`, [
      { name: "expires", label: "Until", type: "datetime-local", value: local, required: true },
      { name: "reason", label: "Reason", required: true },
    ]);
    if (!v) return;
    let made = 0;
    const failed = [];
    for (const a of rules.values()) {
      try {
        await api("/api/v1/suppressions", { method: "POST", body: { tenant: a.tenant, rule_id: a.rule_id, entity: null, site: null, expires_at: new Date(v.expires).toISOString(), reason: v.reason } });
        made += 1;
      } catch (e) {
        failed.push(h("li", {}, h("strong", {}, `${a.rule_title} (${a.tenant})`), `: ${e.message}`));
      }
    }
    fill(report, failed.length ? h("ul", { class: "plain" }, failed) : null);
    report.hidden = failed.length === 0;
    toast(`${made} suppression${made === 1 ? "" : "s"} created${failed.length ? `, ${failed.length} not` : ""}`, failed.length > 0);
    chosen.clear();
  });
  const groups = act(async () => {
    const wanted = new Set(picked().map((a) => a.group));
    for (const g of wanted) for (const id of await openInGroup(g)) chosen.add(id);
  });
  const bar = h("div", { class: "bulk toolbar", id: "bulk", hidden: true },
    count,
    h("button", { type: "button", id: "bulk-ack", onclick: acknowledge }, "Acknowledge"),
    h("button", { type: "button", id: "bulk-close", onclick: close }, "Close with verdict…"),
    h("button", { type: "button", id: "bulk-suppress", onclick: suppress }, "Suppress…"),
    h("button", { type: "button", id: "bulk-groups", onclick: groups, title: "Add every open alarm of the selected alarms' groups" }, "Add their groups"),
    h("button", { type: "button", class: "ghost", onclick: () => { chosen.clear(); changed(); } }, "Clear"));
  return {
    element: h("div", {}, bar, report),
    /** Redraws the bar after the selection changed. */
    update() {
      const n = picked().length;
      bar.hidden = n === 0;
      count.textContent = `${n} selected`;
    },
  };
}
