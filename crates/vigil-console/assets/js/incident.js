// One incident: state, severity, timeline, observables, tasks, notes, the
// SOP checklist of its alarms step by step, escalation state, and its NIS-2
// reporting deadlines and drafts.

import { ApiError, api, canOperate, isProvider, me, onLive } from "./api.js";
import { ask, fill, h, sev, slaTable, toast, useZone, when } from "./dom.js";
import { alarmLink } from "./names.js";
import { nis2Card } from "./nis2.js";
import { calls } from "./procedure.js";
import { siteZone } from "./zones.js";

const NEXT = { new: "triaged", triaged: "contained", contained: "eradicated", eradicated: "recovered" };

export default async function incidentPage(root) {
  const id = decodeURIComponent(location.pathname.split("/")[2] || "");

  async function load() {
    let view;
    try {
      view = await api(`/api/v1/incidents/${encodeURIComponent(id)}`);
    } catch (e) {
      if (e instanceof ApiError && e.status === 404) {
        fill(root, h("div", { class: "empty", id: "not-found" }, h("h1", {}, "Incident not found"), h("a", { href: "/incidents" }, "Back to incidents")));
        return;
      }
      throw e;
    }
    const inc = view.incident;
    // Its times in its (first) site's zone.
    useZone(await siteZone(inc.tenant, (inc.sites || [])[0]));
    const [runs, escalations] = await Promise.all([
      Promise.all((inc.alarms || []).map((a) => api(`/api/v1/alarms/${a}/sop`).then((r) => r.items || []).catch(() => []))).then((x) => x.flat()),
      api("/api/v1/escalations").then((r) => (r.items || []).filter((e) => (inc.alarms || []).includes(e.alarm))).catch(() => []),
    ]);
    render(inc, view.timeline || [], runs, escalations, view.incident.nis2_deadlines || []);
  }

  async function command(body) {
    try {
      await api(`/api/v1/incidents/${encodeURIComponent(id)}/commands`, { method: "POST", body });
      await load();
    } catch (e) {
      toast(`${body.command}: ${e.message}`, true);
    }
  }

  async function step(run, s, outcome) {
    let note = null;
    if (outcome !== "done") {
      const v = await ask(`${outcome === "skipped" ? "Skip" : "Fail"}: ${s.title}`, [{ name: "note", label: "Note", type: "textarea", required: s.required }]);
      if (!v) return;
      note = v.note;
    }
    try {
      await api(`/api/v1/sop-runs/${encodeURIComponent(run.id)}/steps/${encodeURIComponent(s.id)}`, { method: "POST", body: { outcome, note } });
      toast(`Step recorded: ${s.title}`);
      await load();
    } catch (e) {
      toast(`step: ${e.message}`, true);
    }
  }

  function render(inc, timeline, runs, escalations, deadlines) {
    const operate = canOperate();
    const lead = isProvider() && ["provider_lead", "provider_admin"].includes(me().role);
    const noteAllowed = operate || me().role === "client_admin";
    const next = NEXT[inc.state];
    const sopList = runs.length === 0 ? h("p", { class: "muted" }, "No SOP run yet: one starts when a linked alarm is acknowledged.")
      : runs.map((run) => {
        const firstOpen = run.steps.findIndex((s) => !s.outcome);
        return h("div", { class: "sop-run", "data-run": run.id },
          h("h3", {}, run.title, h("span", { class: "muted" }, ` v${run.sop_version}${run.completed_at ? " · complete" : ""}`)),
          h("ol", { class: "sop" }, run.steps.map((s, i) => h("li", { class: s.outcome ? "done" : "", "data-step": s.id },
            s.title, s.before_close ? h("span", { class: "pill required" }, "required before closing") : s.required ? "" : h("span", { class: "muted" }, " (optional)"),
            calls(s),
            s.outcome ? [h("span", { class: `outcome outcome-${s.outcome}` }, s.outcome), h("span", { class: "muted" }, ` ${s.by || ""} ${when(s.at)}${s.note ? ` — ${s.note}` : ""}`)]
              : operate && i === firstOpen ? h("div", { class: "actions" },
                h("button", { type: "button", class: "primary", "data-outcome": "done", onclick: () => step(run, s, "done") }, "Done"),
                s.before_close ? null : h("button", { type: "button", "data-outcome": "skipped", onclick: () => step(run, s, "skipped") }, "Skip"),
                h("button", { type: "button", class: "danger", "data-outcome": "failed", onclick: () => step(run, s, "failed") }, "Failed")) : null))));
      });
    const notes = (inc.activity || []).filter((a) => a.action === "note");
    fill(root,
      h("h1", { id: "incident-title" }, sev(inc.severity), " ", inc.title),
      h("p", { class: "muted" }, `${inc.id} · ${inc.tenant} · ${inc.category} · opened ${when(inc.opened_at)} by ${inc.opened_by}${inc.reopened ? ` · reopened ${inc.reopened}×` : ""}`),
      h("div", { class: "actions" },
        h("span", { class: "status", id: "incident-state" }, `State: ${inc.state}`),
        h("span", { id: "incident-assignee" }, `Assignee: ${inc.assignee || "nobody"}`),
        operate && inc.state !== "closed" ? h("button", { type: "button", id: "assign", onclick: async () => {
          const v = await ask("Assign the incident", [{ name: "assignee", label: "To (empty: nobody)", value: inc.assignee || me().name }]);
          if (v) command({ command: "assign", assignee: v.assignee.trim() || null });
        } }, "Assign…") : null,
        operate && next ? h("button", { type: "button", class: "primary", onclick: () => command({ command: "advance", to: next }) }, `Advance to ${next}`) : null,
        lead && inc.state !== "closed" ? h("button", { type: "button", onclick: async () => {
          const v = await ask("Close the incident", [
            { name: "resolution", label: "Resolution", type: "select", value: inc.state === "recovered" ? "resolved" : "false_alarm", options: [["resolved", "resolved"], ["false_alarm", "false alarm"], ["duplicate", "duplicate"]] },
            { name: "summary", label: "Summary", type: "textarea", required: true },
            { name: "lessons_learned", label: "Lessons learned", type: "textarea", required: true }]);
          if (v) command({ command: "close", ...v });
        } }, "Close") : null,
        lead && inc.state === "closed" ? h("button", { type: "button", onclick: async () => {
          const v = await ask("Reopen", [{ name: "reason", label: "Reason", required: true }]);
          if (v) command({ command: "reopen", reason: v.reason });
        } }, "Reopen") : null,
        operate ? h("button", { type: "button", onclick: async () => {
          const v = await ask("Change severity", [
            { name: "severity", label: "Severity", type: "select", value: inc.severity, options: ["critical", "high", "medium", "low"].map((x) => [x, x]) },
            { name: "reason", label: "Reason", required: true }]);
          if (v) command({ command: "set_severity", ...v });
        } }, "Severity…") : null),
      h("h2", {}, "Service levels"),
      h("div", { id: "incident-sla" }, slaTable(inc.sla)),
      operate && inc.state !== "closed" ? h("div", { class: "actions" },
        h("button", { type: "button", onclick: async () => {
          const v = await ask("The client was told", [{ name: "how", label: "How, and whom", required: true }]);
          if (v) command({ command: "notify_client", how: v.how });
        } }, "Client notified…"),
        (inc.sla?.clocks || []).some((c) => c.state === "paused")
          ? h("button", { type: "button", onclick: () => command({ command: "resume_sla" }) }, "Resume clocks")
          : h("button", { type: "button", onclick: async () => {
            const v = await ask("Pause the clocks", [
              { name: "state", label: "Waiting for", type: "select", value: "awaiting_client", options: [["awaiting_client", "the client"], ["awaiting_third_party", "a third party"]] },
              { name: "reason", label: "Reason", required: true }]);
            if (v) command({ command: "pause_sla", ...v });
          } }, "Pause clocks…")) : null,
      h("div", { class: "cols" },
        h("div", {},
          h("h2", {}, "SOP checklist"), h("div", { id: "sop" }, sopList),
          h("h2", {}, "Timeline"),
          timeline.length ? h("ol", { class: "timeline", id: "timeline" }, timeline.map((t) => h("li", {}, h("div", { class: "at" }, `${when(t.at)} · ${t.kind}${t.actor ? ` · ${t.actor}` : ""}`), t.summary))) : h("p", { class: "muted" }, "Nothing yet.")),
        h("div", {},
          nis2Card(inc, deadlines, { operate, reload: load }),
          h("div", { class: "card" },
            h("h3", {}, "Escalation"),
            escalations.length ? escalations.map((e) => h("dl", { class: "kv" },
              h("dt", {}, "alarm"), h("dd", {}, h("a", { href: `/alarms/${e.alarm}` }, e.title)),
              h("dt", {}, "levels fired"), h("dd", {}, (e.fired || []).length),
              h("dt", {}, "next"), h("dd", {}, e.stopped ? `stopped (${e.stopped[0]})` : when(e.next_due)))) : h("p", { class: "muted" }, "No escalation running.")),
          h("div", { class: "card" },
            h("h3", {}, "Alarms"),
            h("ul", { class: "plain", id: "incident-alarms" }, (inc.alarms || []).map((a) => h("li", {}, alarmLink(a))))),
          h("div", { class: "card" },
            h("h3", {}, "Observables"),
            (inc.observables || []).length ? h("ul", { class: "plain" }, inc.observables.map((o) => h("li", {}, h("span", { class: "pill" }, o.kind), " ", h("code", {}, o.value), h("span", { class: "muted" }, ` TLP:${String(o.tlp).toUpperCase()}`)))) : h("p", { class: "muted" }, "None."),
            operate ? h("button", { type: "button", onclick: async () => {
              const v = await ask("Add an observable", [
                { name: "kind", label: "Kind", type: "select", value: "ip", options: ["ip", "domain", "hash", "account", "badge", "device"].map((x) => [x, x]) },
                { name: "value", label: "Value", required: true },
                { name: "tlp", label: "TLP", type: "select", value: "amber", options: ["clear", "green", "amber", "amber_strict", "red"].map((x) => [x, x]) }]);
              if (v) command({ command: "observe", observable: v });
            } }, "Add observable") : null),
          h("div", { class: "card" },
            h("h3", {}, "Tasks"),
            (inc.tasks || []).length ? h("ul", { class: "plain" }, inc.tasks.map((t) => h("li", {},
              t.done ? `✓ ${t.title}` : t.title,
              t.done ? h("span", { class: "muted" }, ` ${t.done[0]}`) : operate ? [" ", h("button", { type: "button", onclick: () => command({ command: "complete_task", task: t.id }) }, "Done")] : null))) : h("p", { class: "muted" }, "None."),
            operate ? h("button", { type: "button", onclick: async () => {
              const v = await ask("Add a task", [{ name: "title", label: "Task", required: true }]);
              if (v) command({ command: "add_task", title: v.title });
            } }, "Add task") : null),
          h("div", { class: "card" },
            h("h3", {}, "Notes"),
            notes.length ? h("ul", { class: "plain" }, notes.map((n) => h("li", {}, h("div", { class: "muted" }, `${n.actor} · ${when(n.at)}`), n.text))) : h("p", { class: "muted" }, "None."),
            noteAllowed ? h("button", { type: "button", onclick: async () => {
              const v = await ask("Add a note", [{ name: "text", label: "Note", type: "textarea", required: true }]);
              if (v) command({ command: "note", text: v.text });
            } }, "Add note") : null))));
  }

  let timer = null;
  onLive((kind) => {
    if (kind !== "incident" && kind !== "sop_run" && kind !== "resync") return;
    clearTimeout(timer);
    timer = setTimeout(load, 200);
  });
  await load();
}
