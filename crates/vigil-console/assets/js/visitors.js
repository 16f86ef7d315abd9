// Today's visits per site, with the steps the logged-in person may take:
// hosts (client users) pre-register, the client's administrator approves or
// refuses, the front desk (provider operators) signs visitors in, issues a
// badge and signs them out. Each site links to its printable roll call.

import { api, canOperate, me, query } from "./api.js";
import { ask, fill, h, timeEl, toast } from "./dom.js";

const STATES = {
  pre_registered: "waiting for approval",
  approved: "approved",
  refused: "refused",
  arrived: "signed in",
  badge_issued: "badge issued",
  signed_out: "signed out",
};

const DAY = 24 * 3600 * 1000;
const ON_SITE = ["arrived", "badge_issued"];

function startOfDay() {
  const d = new Date();
  d.setHours(0, 0, 0, 0);
  return d;
}

async function step(visit, path, body, reload) {
  try {
    await api(`/api/v1/visits/${encodeURIComponent(visit.id)}/${path}`, { method: "POST", body: body || {} });
    await reload();
  } catch (e) {
    toast(`${path}: ${e.message}`, true);
  }
}

function actions(v, reload) {
  const who = me();
  const approver = who && who.role === "client_admin";
  const desk = canOperate();
  const out = [];
  if (v.state === "pre_registered" && approver) {
    out.push(h("button", { type: "button", class: "approve", onclick: () => step(v, "approve", {}, reload) }, "Approve"));
    out.push(h("button", { type: "button", class: "refuse", onclick: async () => {
      const a = await ask("Refuse the visit", [{ name: "reason", label: "Why", type: "textarea", required: true }]);
      if (a) await step(v, "refuse", { reason: a.reason }, reload);
    } }, "Refuse"));
  }
  if (v.state === "approved" && desk) {
    out.push(h("button", { type: "button", class: "arrive", onclick: async () => {
      const a = await ask("Sign the visitor in", [
        { name: "kind", label: "Document", type: "select", value: "passport", options: [["passport", "Passport"], ["identity_card", "Identity card"], ["driving_licence", "Driving licence"], ["other", "Other"]] },
        { name: "number", label: "Number (kept as a keyed hash or not at all)", required: true },
      ]);
      if (a) await step(v, "arrive", { document: { kind: a.kind, number: a.number } }, reload);
    } }, "Sign in"));
  }
  if (v.state === "arrived" && desk) {
    out.push(h("button", { type: "button", class: "badge", onclick: async () => {
      const a = await ask("Issue a temporary badge", [{ name: "badge", label: "Badge id", required: true }]);
      if (a) await step(v, "badge", { badge: a.badge }, reload);
    } }, "Issue badge"));
  }
  if ((v.state === "arrived" || v.state === "badge_issued") && desk) {
    out.push(h("button", { type: "button", class: "sign-out", onclick: () => step(v, "sign-out", {}, reload) }, "Sign out"));
  }
  return out;
}

export default async function visitorsPage(root, who) {
  async function register() {
    const v = await ask("Pre-register a visitor", [
      ...(who.tenant ? [] : [{ name: "tenant", label: "Client", required: true }]),
      { name: "site", label: "Site", required: true },
      { name: "visitor_name", label: "Visitor's name", required: true },
      { name: "company", label: "Company" },
      { name: "purpose", label: "Purpose", required: true },
      { name: "host", label: "Host (person id)", required: true },
      { name: "start", label: "From", type: "datetime-local", required: true },
      { name: "end", label: "Until", type: "datetime-local", required: true },
      { name: "zones", label: "Zones (comma separated)" },
    ]);
    if (!v) return;
    try {
      await api("/api/v1/visits", { method: "POST", body: {
        tenant: v.tenant || undefined, site: v.site, visitor_name: v.visitor_name, company: v.company,
        purpose: v.purpose, host: v.host,
        window_start: new Date(v.start).toISOString(), window_end: new Date(v.end).toISOString(),
        zones: (v.zones || "").split(",").map((z) => z.trim()).filter(Boolean),
      } });
      toast("Pre-registered; waiting for the client's approval");
      await load();
    } catch (e) {
      toast(`pre-register: ${e.message}`, true);
    }
  }

  async function load() {
    const today = startOfDay();
    const to = new Date(today.getTime() + DAY);
    // The list is by window start; a visit that began yesterday evening
    // and runs past midnight, or a visitor still on site, is today's too.
    const from = new Date(today.getTime() - DAY);
    const { visits: all } = await api(`/api/v1/visits${query({ from: from.toISOString(), to: to.toISOString() })}`);
    const visits = all.filter((v) => Date.parse(v.window.start) >= today.getTime()
      || Date.parse(v.window.end) > today.getTime() || ON_SITE.includes(v.state));
    const bySite = new Map();
    for (const v of visits) {
      const key = `${v.tenant}/${v.site}`;
      if (!bySite.has(key)) bySite.set(key, []);
      bySite.get(key).push(v);
    }
    fill(root,
      h("h1", {}, "Visitors today"),
      h("div", { class: "actions" }, h("button", { type: "button", id: "visit-register", class: "primary", onclick: register }, "Pre-register a visitor…")),
      bySite.size === 0 ? h("div", { class: "empty", id: "no-visits" }, "No visits today.")
        : h("div", { id: "visits" }, [...bySite.entries()].map(([key, list]) => {
          const [tenant, site] = key.split("/");
          return h("section", { class: "card", "data-site": key },
            h("h2", {}, `${tenant} · ${site}`, " ",
              h("a", { href: `/sites/${encodeURIComponent(tenant)}/${encodeURIComponent(site)}/roll-call`, class: "roll-call-link" }, "Roll call")),
            h("table", { class: "grid visits" },
              h("thead", {}, h("tr", {}, ["Visitor", "Company", "Host", "Window", "Zones", "State", "Badge", ""].map((c) => h("th", {}, c)))),
              h("tbody", {}, list.map((v) => h("tr", { "data-visit": v.id, "data-state": v.state },
                h("td", {}, v.visitor.name), h("td", {}, v.visitor.company), h("td", {}, v.host),
                h("td", {}, timeEl(v.window.start), " – ", timeEl(v.window.end)),
                h("td", {}, (v.zones_approved.length ? v.zones_approved : v.zones_requested).join(", ")),
                h("td", {}, STATES[v.state] || v.state),
                h("td", {}, v.badge ? v.badge.badge : ""),
                h("td", {}, actions(v, load)))))));
        })));
  }
  await load();
}
