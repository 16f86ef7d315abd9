// The live alarm queue: ordered by priority, SLA urgency and age; filtered
// by client, site, category and state; worked from the keyboard.

import { api, canOperate, isProvider, onLive, query } from "./api.js";
import { askVerdict, bulkBar, openInGroup, runBulk } from "./bulk.js";
import { age, ask, fill, h, noteServerTime, serverNow, sev, toast, typing, when } from "./dom.js";

const PHYSICAL = new Set(["device", "door", "camera", "sensor", "badge", "zone"]);
const CYBER = new Set(["user", "host", "ip", "process", "hash", "domain"]);

/**
 * The alarm's category, from the kinds of thing its evidence touches (the
 * desk does not carry one): a sensor alone is environmental; doors,
 * badges, cameras and panels are physical; accounts, hosts, addresses are
 * cyber; both at once is converged.
 */
export function category(alarm) {
  const kinds = new Set((alarm.entities || []).map((e) => e.kind));
  const physical = [...kinds].some((k) => PHYSICAL.has(k));
  const cyber = [...kinds].some((k) => CYBER.has(k));
  if (physical && cyber) return "converged";
  if (physical) return kinds.size === 1 && kinds.has("sensor") ? "environmental" : "physical";
  return "cyber";
}

/** The alarm's acknowledgement clock, as the server computed it from the
 * client's contract (class, target, due time, state). */
export function ackClock(alarm) {
  return (alarm.sla?.clocks || []).find((c) => c.measure === "acknowledge");
}

/**
 * How far into its acknowledgement target an open alarm is (1 = due): the
 * target and due time come from the server; between two reads the page
 * only moves the hands of the clock.
 */
export function slaUse(alarm, now = serverNow()) {
  const clock = ackClock(alarm);
  if (!clock || alarm.status !== "new") return 0;
  if (clock.state === "breached") return Math.max(1, useAt(clock, now));
  if (clock.state === "paused" || clock.state === "met" || !clock.due) return 0;
  return useAt(clock, now);
}

function useAt(clock, now) {
  const target = clock.target * 1000;
  if (!clock.due || target <= 0) return 1;
  return Math.max(0, 1 - (Date.parse(clock.due) - now) / target);
}

/** What the SLA cell says: the class and the time left, or overdue. */
function slaText(alarm, use, now) {
  const clock = ackClock(alarm);
  if (!clock || alarm.status !== "new") return "—";
  const cls = alarm.sla?.class || "";
  if (use >= 1) return `${cls} overdue`;
  const left = Math.max(0, Date.parse(clock.due) - now);
  const min = Math.floor(left / 60000);
  return `${cls} ${min >= 60 ? `${Math.floor(min / 60)} h ${min % 60} min` : `${min} min`} left`;
}

/** Queue order: priority, then the more urgent SLA, then the older. */
export function order(a, b, now = serverNow()) {
  const p = (b.priority?.score || 0) - (a.priority?.score || 0);
  if (Math.abs(p) > 0.5) return p;
  const u = slaUse(b, now) - slaUse(a, now);
  if (Math.abs(u) > 0.01) return u;
  return Date.parse(a.first_seen) - Date.parse(b.first_seen);
}

const STATES = [
  ["open", "open (new, acknowledged, in progress)"],
  ["new", "new"],
  ["acknowledged", "acknowledged"],
  ["in_progress", "in progress"],
  ["closed", "closed"],
];

export default async function queuePage(root, who) {
  const url = new URL(location.href);
  const filter = {
    tenant: url.searchParams.get("tenant") || "",
    site: url.searchParams.get("site") || "",
    category: url.searchParams.get("category") || "",
    state: url.searchParams.get("state") || "open",
    group: url.searchParams.get("group") || "",
    // "me", "none" (nobody holds it) or a person's name.
    owner: url.searchParams.get("owner") || "",
    text: "",
  };
  let alarms = [];
  let seen = null;
  let selected = null;
  // The alarms ticked for bulk work (`selected` is the keyboard's row).
  const chosen = new Set();
  let tenants = [];
  try {
    tenants = await api("/api/v1/tenants");
  } catch {
    tenants = [];
  }

  const count = h("span", { class: "count" });
  const body = h("tbody");
  const textInput = h("input", { type: "search", id: "filter", placeholder: "filter: rule, site, entity…  ( / )", "aria-label": "Filter" });
  const select = (name, options) => {
    const el = h("select", { name, id: `filter-${name}` }, options.map(([v, l]) => h("option", { value: v, selected: v === filter[name] }, l)));
    el.addEventListener("change", () => {
      filter[name] = el.value;
      const u = new URL(location.href);
      if (el.value) u.searchParams.set(name, el.value);
      else u.searchParams.delete(name);
      history.replaceState(null, "", u);
      if (name === "tenant" || name === "state") refresh();
      else render();
    });
    return el;
  };
  const siteSelect = select("site", [["", "all sites"]]);
  const OWNERS = [["", "anyone"], ["me", "my alarms"], ["none", "nobody"]];
  const ownerSelect = select("owner", OWNERS);
  textInput.addEventListener("input", () => {
    filter.text = textInput.value.toLowerCase();
    render();
  });

  const toolbar = h("div", { class: "toolbar" },
    textInput,
    isProvider() ? h("label", {}, "client", select("tenant", [["", "all clients"], ...tenants.map((t) => [t.id, t.name || t.id])])) : null,
    h("label", {}, "site", siteSelect),
    h("label", {}, "held by", ownerSelect),
    h("label", {}, "category", select("category", [["", "all"], ["cyber", "cyber"], ["physical", "physical"], ["converged", "converged"], ["environmental", "environmental"]])),
    h("label", {}, "state", select("state", STATES)),
    filter.group ? h("span", { class: "pill" }, `group ${filter.group.slice(0, 8)} `, h("a", { href: "/queue" }, "×")) : null,
    count);
  const bulk = canOperate() ? bulkBar(chosen, () => alarms, async () => { render(); await refresh(); }) : null;
  const all = h("input", { type: "checkbox", id: "pick-all", "aria-label": "Select every alarm shown", onchange: () => {
    for (const a of visible()) {
      if (all.checked) chosen.add(a.id);
      else chosen.delete(a.id);
    }
    render();
  } });
  const table = h("table", { class: "grid", id: "queue" },
    h("thead", {}, h("tr", {}, canOperate() ? h("th", { class: "pick" }, all) : null, ["Priority", "Severity", "Alarm", "Client · site", "Category", "State", "Age", "SLA", ""].map((t) => h("th", {}, t)))),
    body);
  fill(root, h("h1", {}, "Alarm queue"), toolbar, bulk ? bulk.element : null, table);

  function visible() {
    const now = serverNow();
    return alarms
      .filter((a) => !filter.site || a.site === filter.site)
      .filter((a) => !filter.category || category(a) === filter.category)
      .filter((a) => {
        if (!filter.owner) return true;
        if (filter.owner === "me") return a.owner === who.name;
        if (filter.owner === "none") return !a.owner;
        return a.owner === filter.owner;
      })
      .filter((a) => {
        if (!filter.text) return true;
        const hay = [a.rule_title, a.rule_id, a.tenant, a.site, a.owner, ...(a.entities || []).map((e) => e.value)].join(" ").toLowerCase();
        return hay.includes(filter.text);
      })
      .sort((x, y) => order(x, y, now));
  }

  async function act(alarm, what) {
    try {
      if (what === "acknowledge") {
        await api(`/api/v1/alarms/${alarm.id}/acknowledge`, { method: "POST" });
        toast(`Acknowledged: ${alarm.rule_title}`);
      } else if (what === "take-over") {
        const v = await ask(`Take over from ${alarm.owner || "its owner"}`, [{ name: "reason", label: "Reason (recorded)", required: true }]);
        if (!v) return;
        await api(`/api/v1/alarms/${alarm.id}/take-over`, { method: "POST", body: { reason: v.reason } });
        toast("Taken over");
      } else if (what === "close") {
        // The head of a group offers to close the group with it.
        const others = alarm.group === alarm.id ? (await openInGroup(alarm.group)).filter((id) => id !== alarm.id) : [];
        const v = await askVerdict("Close with a verdict", others.length ? [
          { name: "scope", label: "Which", type: "select", value: "group", options: [["group", `this alarm and the ${others.length} other open alarms of its group`], ["one", "this alarm only"]] },
        ] : []);
        if (!v) return;
        if (v.scope === "group") {
          const names = new Map(alarms.map((a) => [a.id, a.rule_title]));
          await runBulk({ action: "close", ids: [alarm.id, ...others], verdict: v.verdict, note: v.note || null }, names, document.getElementById("bulk-report"));
        } else {
          await api(`/api/v1/alarms/${alarm.id}/close`, { method: "POST", body: { verdict: v.verdict, note: v.note || null } });
          toast("Closed");
        }
      } else if (what === "suppress") {
        const tomorrow = new Date(serverNow() + 86400000);
        const local = new Date(tomorrow.getTime() - tomorrow.getTimezoneOffset() * 60000).toISOString().slice(0, 16);
        const entity = (alarm.entities || [])[0];
        const v = await ask("Suppress this rule", [
          { name: "scope", label: "For", type: "select", value: entity ? "entity" : "rule", options: [["rule", `“${alarm.rule_title}” at ${alarm.tenant}`], ...(entity ? [["entity", `“${alarm.rule_title}” on ${entity.kind} ${entity.value} only`]] : [])] },
          { name: "expires", label: "Until", type: "datetime-local", value: local, required: true },
          { name: "reason", label: "Reason", required: true },
        ]);
        if (!v) return;
        await api("/api/v1/suppressions", {
          method: "POST",
          body: {
            tenant: alarm.tenant,
            rule_id: alarm.rule_id,
            entity: v.scope === "entity" && entity ? entity.value : null,
            site: alarm.site || null,
            expires_at: new Date(v.expires).toISOString(),
            reason: v.reason,
          },
        });
        toast("Suppression created");
      } else if (what === "incident") {
        await openIncident(alarm);
        return;
      } else if (what === "group") {
        location.assign(`/queue?group=${encodeURIComponent(alarm.group)}&state=open`);
        return;
      }
      await refresh();
    } catch (e) {
      toast(`${what}: ${e.message}`, true);
    }
  }

  function actions(a) {
    if (!canOperate()) return null;
    const held = a.owner && a.owner !== who.name;
    const b = (label, what, title, enabled = true) =>
      h("button", { type: "button", title, "data-action": what, disabled: !enabled, onclick: (ev) => { ev.stopPropagation(); act(a, what); } }, label);
    return h("div", { class: "actions" },
      b("Ack", "acknowledge", "Acknowledge (a)", a.status === "new"),
      b("Take over", "take-over", "Take over with a reason", !!held && a.status !== "closed"),
      b("Close", "close", "Close with a verdict", a.status !== "new" && a.status !== "closed" && !held),
      b("Suppress", "suppress", "Suppress the rule, with an expiry"),
      b("Incident", "incident", "Open an incident (i)", !a.incident),
      b("Group", "group", `Related alarms (${a.related || 0})`, (a.related || 0) > 0 || a.group !== a.id));
  }

  function render() {
    const rows = visible();
    const now = serverNow();
    const sites = [...new Set(alarms.map((a) => a.site).filter(Boolean))].sort();
    const current = siteSelect.value;
    fill(siteSelect, h("option", { value: "" }, "all sites"), sites.map((s) => h("option", { value: s, selected: s === current }, s)));
    const owners = [...new Set([...alarms.map((a) => a.owner), filter.owner].filter((o) => o && o !== "me" && o !== "none"))].sort();
    fill(ownerSelect, [...OWNERS, ...owners.map((o) => [o, o])].map(([v, l]) => h("option", { value: v, selected: v === filter.owner }, l)));
    count.textContent = `${rows.length} of ${alarms.length} alarms`;
    for (const id of [...chosen]) if (!alarms.some((a) => a.id === id && a.status !== "closed")) chosen.delete(id);
    all.checked = rows.length > 0 && rows.every((a) => chosen.has(a.id));
    if (bulk) bulk.update();
    if (selected && !rows.some((a) => a.id === selected)) selected = null;
    if (!selected && rows.length) selected = rows[0].id;
    fill(body, rows.length === 0
      ? h("tr", {}, h("td", { colspan: canOperate() ? 10 : 9 }, h("div", { class: "empty" }, "No alarms match. The queue updates live.")))
      : rows.map((a) => {
        const use = slaUse(a, now);
        const fresh = seen && !seen.has(a.id);
        const tr = h("tr", {
          class: `row${a.id === selected ? " selected" : ""}${fresh ? " fresh" : ""}`,
          "data-id": a.id, "data-status": a.status, "data-tenant": a.tenant,
          onclick: () => { selected = a.id; render(); },
          ondblclick: () => location.assign(`/alarms/${a.id}`),
        },
        canOperate() ? h("td", { class: "pick" }, h("input", { type: "checkbox", class: "pick", "aria-label": `Select ${a.rule_title}`, checked: chosen.has(a.id), onclick: (ev) => ev.stopPropagation(), onchange: (ev) => {
          if (ev.target.checked) chosen.add(a.id);
          else chosen.delete(a.id);
          render();
        } })) : null,
        h("td", { class: "prio" }, Math.round(a.priority?.score || 0)),
        h("td", {}, sev(a.severity)),
        h("td", { class: "alarm" }, h("a", { href: `/alarms/${a.id}`, class: "rule" }, a.rule_title), h("div", { class: "muted" }, (a.entities || []).slice(0, 4).map((e) => h("span", { class: "pill" }, `${e.kind} ${e.value}`)))),
        h("td", {}, a.tenant, a.site ? ` · ${a.site}` : ""),
        h("td", {}, category(a)),
        h("td", { class: `status status-${a.status}` }, a.status.replace("_", " "), a.owner ? h("div", { class: "muted" }, a.owner) : null),
        h("td", { title: `first seen ${when(a.first_seen)} (${a.first_seen})` }, age(a.first_seen, now)),
        h("td", { class: use >= 1 ? "urgent" : use >= 0.75 ? "warn" : "muted", title: ackClock(a)?.due ? `due ${ackClock(a).due}` : "" }, slaText(a, use, now)),
        h("td", {}, actions(a)));
        return tr;
      }));
    seen = new Set(alarms.map((a) => a.id));
  }

  let inflight = null;
  let again = false;
  async function refresh() {
    if (inflight) {
      again = true;
      return inflight;
    }
    inflight = (async () => {
      try {
        const status = filter.state === "open" ? "" : filter.state;
        const data = await api(`/api/v1/alarms${query({ tenant: filter.tenant, status, group: filter.group, limit: 1000 })}`);
        alarms = data.items || [];
        for (const a of alarms) noteServerTime(a.updated_at);
        render();
      } catch (e) {
        toast(`queue: ${e.message}`, true);
      } finally {
        inflight = null;
      }
      if (again) {
        again = false;
        await refresh();
      }
    })();
    return inflight;
  }

  async function openIncident(alarm) {
    const cat = category(alarm);
    const v = await ask("Open an incident", [
      { name: "title", label: "Title", value: alarm.rule_title, required: true },
      { name: "severity", label: "Severity", type: "select", value: alarm.severity, options: ["critical", "high", "medium", "low"].map((x) => [x, x]) },
      { name: "category", label: "Category", type: "select", value: cat, options: ["cyber", "physical", "converged", "environmental"].map((x) => [x, x]) },
    ]);
    if (!v) return;
    try {
      const r = await api("/api/v1/incidents", {
        method: "POST",
        body: { tenant: alarm.tenant, title: v.title, severity: v.severity, category: v.category, sites: alarm.site ? [alarm.site] : [], alarms: [alarm.id] },
      });
      location.assign(`/incidents/${encodeURIComponent(r.incident.id)}`);
    } catch (e) {
      toast(`incident: ${e.message}`, true);
    }
  }

  document.addEventListener("keydown", (ev) => {
    if (typing(ev) || ev.ctrlKey || ev.metaKey || ev.altKey || document.querySelector("dialog[open]")) return;
    const rows = visible();
    const i = rows.findIndex((a) => a.id === selected);
    const cur = rows[i];
    if (ev.key === "j" || ev.key === "k") {
      const next = rows[Math.min(rows.length - 1, Math.max(0, i + (ev.key === "j" ? 1 : -1)))];
      if (next) {
        selected = next.id;
        render();
        body.querySelector("tr.selected")?.scrollIntoView({ block: "nearest" });
      }
    } else if (ev.key === "/") {
      ev.preventDefault();
      textInput.focus();
    } else if (ev.key === "o" && cur) {
      location.assign(`/alarms/${cur.id}`);
    } else if (ev.key === "a" && cur && canOperate()) {
      act(cur, "acknowledge");
    } else if (ev.key === "i" && cur && canOperate()) {
      act(cur, "incident");
    } else if (ev.key === "x" && cur && canOperate()) {
      if (chosen.has(cur.id)) chosen.delete(cur.id);
      else chosen.add(cur.id);
      render();
    }
  });

  let timer = null;
  onLive((kind) => {
    if (kind !== "alarm" && kind !== "resync") return;
    clearTimeout(timer);
    timer = setTimeout(refresh, 50);
  });
  // Ages and SLA figures move with time even when nothing changes.
  setInterval(render, 15000);
  await refresh();
}
