// One alarm: the rule and why it fired, the evidence with matched fields
// highlighted, related alarms, the device and its recent events, and the
// person behind a badge or account.

import { ApiError, api, canOperate, me, query } from "./api.js";
import { ago, ask, fill, h, noteServerTime, sev, slaTable, timeEl, toast, useZone, when } from "./dom.js";
import { category } from "./queue.js";
import { procedureCard, ruleCard } from "./procedure.js";
import { videoCard } from "./video.js";
import { siteZone } from "./zones.js";

const DEVICE_KINDS = ["device", "door", "camera", "sensor"];

/**
 * Which fields of an event to highlight. The API does not say which fields
 * the rule matched, so we highlight the fields whose value is one of the
 * alarm's entities (what the detection grouped and named) and the fields
 * the console knows carry the verdict-relevant facts (action, reason, HR
 * status).
 */
export function matchedFields(event, alarm) {
  const values = new Set((alarm.entities || []).map((e) => String(e.value).toLowerCase()));
  const hits = new Set();
  for (const [k, v] of Object.entries(event.fields || {})) {
    if (v !== null && typeof v !== "object" && values.has(String(v).toLowerCase())) hits.add(k);
  }
  for (const k of ["action", "reason", "hr_status", "person_status"]) if (k in (event.fields || {})) hits.add(k);
  return hits;
}

function eventCard(e, hits) {
  const fields = Object.entries(e.fields || {});
  return h("div", { class: "event" },
    h("div", {}, h("strong", {}, when(e.observed_at)), " ", sev(e.severity), " ", h("span", { class: "muted" }, `${e.class} · ${e.source?.id || ""}`)),
    h("div", { class: "fields" }, fields.flatMap(([k, v]) => [
      h("span", { class: "k" }, k),
      h("span", { class: hits.has(k) ? "v hit" : "v", "data-field": k }, typeof v === "object" ? JSON.stringify(v) : String(v)),
    ])));
}

function people(events) {
  const seen = new Map();
  for (const e of events) {
    const f = e.fields || {};
    const id = f.person_id || f.person;
    if (!id) continue;
    seen.set(String(id), { id, name: f.person_name || f.person || "", hr: f.hr_status || "unknown", badge: f.badge || "", account: f.user || f.TargetUserName || f.account || "" });
  }
  return [...seen.values()];
}

export default async function alarmPage(root) {
  const id = decodeURIComponent(location.pathname.split("/")[2] || "");
  let alarm;
  try {
    alarm = (await api(`/api/v1/alarms/${encodeURIComponent(id)}`)).alarm;
  } catch (e) {
    if (e instanceof ApiError && (e.status === 404 || e.status === 400)) {
      fill(root, h("div", { class: "empty", id: "not-found" }, h("h1", {}, "Alarm not found"), h("p", {}, "There is no such alarm in what you may see."), h("a", { href: "/queue" }, "Back to the queue")));
      return;
    }
    throw e;
  }
  noteServerTime(alarm.updated_at);
  // The alarm's times in its site's zone.
  useZone(await siteZone(alarm.tenant, alarm.site));
  const [detail, related, procedure] = await Promise.all([
    api(`/api/v1/alerts/${alarm.id}`).catch(() => ({ evidence: [] })),
    api(`/api/v1/alarms${query({ group: alarm.group, status: "new,acknowledged,in_progress,closed", limit: 50 })}`).catch(() => ({ items: [] })),
    api(`/api/v1/alarms/${alarm.id}/procedure`).catch(() => ({})),
  ]);
  const evidence = detail.evidence || [];
  const devices = (alarm.entities || []).filter((e) => DEVICE_KINDS.includes(e.kind));
  const deviceEvents = await Promise.all(devices.slice(0, 3).map((d) =>
    api(`/api/v1/events${query({ tenant: alarm.tenant, field: `${d.kind === "device" ? "device" : d.kind}=${d.value}`, limit: 20 })}`)
      .then((r) => [d, r.items || []]).catch(() => [d, []])));

  async function command(path, body) {
    try {
      await api(`/api/v1/alarms/${alarm.id}/${path}`, { method: "POST", body });
      location.reload();
    } catch (e) {
      toast(`${path}: ${e.message}`, true);
    }
  }
  const buttons = canOperate() ? h("div", { class: "actions" },
    h("button", { type: "button", class: "primary", id: "ack", disabled: alarm.status !== "new", onclick: () => command("acknowledge") }, "Acknowledge"),
    h("button", { type: "button", disabled: alarm.status !== "acknowledged", onclick: () => command("start") }, "Start"),
    h("button", { type: "button", id: "take-over", title: "Take over an alarm someone else holds", disabled: alarm.status === "closed" || !alarm.owner || alarm.owner === me().name, onclick: async () => {
      const v = await ask("Take over", [{ name: "reason", label: "Reason (recorded)", required: true }]);
      if (v) command("take-over", { reason: v.reason });
    } }, "Take over"),
    h("button", { type: "button", id: "close", disabled: alarm.status === "new" || alarm.status === "closed", onclick: async () => {
      const v = await ask("Close with a verdict", [
        { name: "verdict", label: "Verdict", type: "select", value: "true_positive", options: [["true_positive", "true positive"], ["false_positive", "false positive"], ["benign", "benign"], ["duplicate", "duplicate"]] },
        { name: "note", label: "Note", type: "textarea" }]);
      if (v) command("close", { verdict: v.verdict, note: v.note || null });
    } }, "Close"),
    h("button", { type: "button", disabled: alarm.status !== "closed", onclick: async () => {
      const v = await ask("Reopen", [{ name: "reason", label: "Reason", required: true }]);
      if (v) command("reopen", { reason: v.reason });
    } }, "Reopen"),
    alarm.incident ? h("a", { href: `/incidents/${encodeURIComponent(alarm.incident)}` }, `Incident ${alarm.incident}`) : h("button", { type: "button", id: "open-incident", onclick: async () => {
      try {
        const r = await api("/api/v1/incidents", { method: "POST", body: { tenant: alarm.tenant, title: alarm.rule_title, severity: alarm.severity === "informational" ? "low" : alarm.severity, category: category(alarm), sites: alarm.site ? [alarm.site] : [], alarms: [alarm.id] } });
        location.assign(`/incidents/${encodeURIComponent(r.incident.id)}`);
      } catch (e) {
        toast(`incident: ${e.message}`, true);
      }
    } }, "Open incident")) : null;

  const persons = people(evidence);
  const others = (related.items || []).filter((a) => a.id !== alarm.id);
  fill(root,
    h("h1", { id: "alarm-title" }, sev(alarm.severity), " ", alarm.rule_title),
    h("p", { class: "muted", id: "alarm-seen" }, `${alarm.tenant}${alarm.site ? ` · ${alarm.site}` : ""} · first seen `, timeEl(alarm.first_seen), ` (${ago(alarm.first_seen)}) · ${alarm.event_count} events`),
    alarm.site ? h("p", {}, h("a", {
      id: "on-plan",
      href: `/sites/${encodeURIComponent(alarm.tenant)}/${encodeURIComponent(alarm.site)}${devices.length ? `?device=${encodeURIComponent(devices[0].value)}` : ""}`,
    }, devices.length ? `Show ${devices[0].kind} ${devices[0].value} on the site plan` : "Show the site plan")) : null,
    buttons,
    h("div", { class: "cols" },
      h("div", {},
        h("h2", {}, "Why it fired"),
        h("dl", { class: "kv" },
          h("dt", {}, "rule"), h("dd", {}, alarm.rule_title, " ", h("code", {}, alarm.rule_id)),
          h("dt", {}, "grouped by"), h("dd", {}, h("code", {}, alarm.group_key || "—")),
          h("dt", {}, "entities"), h("dd", {}, (alarm.entities || []).map((e) => h("span", { class: "pill" }, `${e.kind} ${e.value}`))),
          h("dt", {}, "priority"), h("dd", {}, `${Math.round(alarm.priority?.score || 0)} — `, (alarm.priority?.factors || []).map(([k, v]) => h("span", { class: "pill" }, `${k} ${typeof v === "number" ? v.toFixed(2) : v}`))),
          h("dt", {}, "false-alarm chance"), h("dd", {}, alarm.false_alarm === null || alarm.false_alarm === undefined ? "no model yet" : `${Math.round(alarm.false_alarm * 100)} %`)),
        h("h2", {}, "Service levels"),
        h("div", { id: "alarm-sla" }, slaTable(alarm.sla)),
        h("h2", {}, `Evidence (${evidence.length})`),
        h("p", { class: "muted" }, "Highlighted: fields whose value is one of the alarm's entities, and the action, reason and HR status."),
        evidence.length ? evidence.map((e) => eventCard(e, matchedFields(e, alarm))) : h("p", { class: "muted" }, "No evidence left in the archive."),
        deviceEvents.map(([d, items]) => [
          h("h2", {}, `${d.kind} ${d.value}: recent events`),
          items.length ? h("table", { class: "grid" }, h("tbody", {}, items.map((e) => h("tr", {}, h("td", {}, when(e.observed_at)), h("td", {}, e.fields?.action || e.class), h("td", { class: "muted" }, e.fields?.person_name || e.fields?.badge || ""))))) : h("p", { class: "muted" }, "No events found for it."),
        ])),
      h("div", {},
        h("div", { class: "card" },
          h("h3", {}, "State"),
          h("dl", { class: "kv" },
            h("dt", {}, "status"), h("dd", { class: `status status-${alarm.status}`, id: "alarm-status" }, alarm.status.replace("_", " ")),
            h("dt", {}, "owner"), h("dd", {}, alarm.owner || "—"),
            h("dt", {}, "verdict"), h("dd", {}, alarm.verdict || "—"))),
        h("div", { class: "card" },
          h("h3", {}, "People"),
          persons.length ? persons.map((p) => h("dl", { class: "kv" },
            h("dt", {}, "person"), h("dd", {}, `${p.name} (${p.id})`),
            h("dt", {}, "HR status"), h("dd", { class: p.hr === "active" ? "" : "urgent" }, p.hr),
            p.badge ? [h("dt", {}, "badge"), h("dd", {}, p.badge)] : null,
            p.account ? [h("dt", {}, "account"), h("dd", {}, p.account)] : null)) : h("p", { class: "muted" }, "No person named in the evidence.")),
        h("div", { class: "card" },
          h("h3", {}, `Related alarms (${others.length})`),
          others.length ? h("ul", { class: "plain" }, others.map((a) => h("li", {}, sev(a.severity), " ", h("a", { href: `/alarms/${a.id}` }, a.rule_title), h("span", { class: "muted" }, ` ${a.status} · ${ago(a.first_seen)}`)))) : h("p", { class: "muted" }, "None.")),
        videoCard(alarm),
        procedureCard(procedure, { operate: canOperate() && alarm.status !== "closed", reload: () => location.reload() }),
        ruleCard(procedure.rule),
        h("div", { class: "card" },
          h("h3", {}, "History"),
          h("ol", { class: "timeline" }, (alarm.transitions || []).map((t) => h("li", {}, h("div", { class: "at" }, timeEl(t.at)), `${t.actor}: ${t.command} (${t.from} → ${t.to})`, t.reason ? h("div", { class: "muted" }, t.reason) : null)))))));
}
