// One site's estate: the inventory (vendor, model, serial, firmware, dates,
// where on the plan), the vendor advisories affecting each device (from
// GET /api/v1/estate/{tenant}/inventory, matched by the server against
// the imported CSAF catalogue) and the maintenance calendar (the client's
// work orders on this site's devices, GET …/work-orders) as five weeks and
// as a list.

import { ApiError, api } from "./api.js";
import { fill, h, serverNow, timeEl, useZone } from "./dom.js";
import { siteZone } from "./zones.js";

const STATUS = {
  planned: "planned, awaiting approval",
  approved: "approved",
  done: "done",
  failed: "failed",
  rolled_back: "rolled back",
};
const WORK = {
  firmware_upgrade: "firmware upgrade",
  configuration_change: "configuration change",
  preventive_maintenance: "preventive maintenance",
};
const ADVICE = {
  vendor_fix: "Vendor fix",
  workaround: "Workaround",
  mitigation: "Mitigation",
  no_fix_planned: "No fix planned",
  none_available: "None available",
};
const DAY = 24 * 3600 * 1000;
const WEEKS = 5;

const text = (v) => (v === null || v === undefined || v === "" ? "—" : String(v));

function planLink(tenant, site, d) {
  const zone = d.position?.zone;
  return h("a", { href: `/sites/${encodeURIComponent(tenant)}/${encodeURIComponent(site)}?device=${encodeURIComponent(d.id)}`, class: "plan-link" }, zone ? `${zone} · on plan` : "on plan");
}

function certainty(m) {
  const c = m.certainty || {};
  if (c.certainty === "conditional") return h("span", { class: "pill", title: c.condition }, "if: ", c.condition);
  if (c.certainty === "unverified") return h("span", { class: "pill", title: c.reason }, "unverified: ", c.reason);
  return h("span", { class: "pill affected" }, "affected");
}

function inventoryTable(tenant, site, views) {
  return h("table", { class: "grid", id: "inventory" },
    h("thead", {}, h("tr", {}, ["Device", "Vendor", "Model", "Serial", "Firmware", "Installed", "Warranty until", "End of support", "Location", "Advisories"].map((c) => h("th", {}, c)))),
    h("tbody", {}, views.map(({ device: d, findings: f }) => {
      const affected = (f.advisories || []).length;
      return h("tr", { "data-device": d.id, "data-affected": affected ? "true" : "false", "data-eos": f.past_end_of_support ? "past" : "" },
        h("td", {}, h("strong", {}, d.id), h("div", { class: "muted" }, d.kind.replace(/_/g, " "))),
        h("td", {}, d.vendor),
        h("td", {}, d.model),
        h("td", { class: "mono" }, text(d.serial)),
        h("td", { class: "mono" }, text(d.firmware)),
        h("td", {}, text(d.installed)),
        h("td", {}, text(d.warranty_until)),
        h("td", { class: f.past_end_of_support ? "urgent eos-past" : "" }, text(d.end_of_support), f.past_end_of_support ? " · past end of support" : ""),
        h("td", {}, planLink(tenant, site, d)),
        h("td", {}, affected
          ? h("a", { href: `#findings-${d.id}`, class: "warn" }, `${affected} advisor${affected === 1 ? "y" : "ies"}`)
          : h("span", { class: "muted" }, "none known")));
    })));
}

function advisory(d, m) {
  return h("li", { class: "advisory", "data-advisory": m.advisory, "data-device": d.id },
    h("div", {},
      m.link ? h("a", { href: m.link, rel: "noreferrer noopener", target: "_blank", class: "advisory-id" }, m.advisory) : h("strong", { class: "advisory-id" }, m.advisory),
      " ", h("span", {}, m.title), " ", certainty(m),
      m.max_cvss !== null && m.max_cvss !== undefined ? h("span", { class: m.max_cvss >= 9 ? "urgent" : m.max_cvss >= 7 ? "warn" : "" }, ` CVSS ${m.max_cvss.toFixed(1)}`) : null),
    h("div", { class: "muted" }, "Published ", timeEl(m.since), (m.cves || []).length ? " · " : "",
      (m.cves || []).map((c, i) => [i ? ", " : "", h("a", { href: `https://www.cve.org/CVERecord?id=${encodeURIComponent(c)}`, rel: "noreferrer noopener", target: "_blank" }, c)])),
    (m.products || []).length ? h("div", { class: "muted" }, "Matched: ", m.products.join("; ")) : null,
    (m.advice || []).length
      ? h("ul", { class: "advice" }, m.advice.map((a) => h("li", { "data-category": a.category },
        h("strong", {}, `${ADVICE[a.category] || a.category}: `), a.details,
        a.url ? [" ", h("a", { href: a.url, rel: "noreferrer noopener", target: "_blank" }, "more")] : null)))
      : h("p", { class: "muted" }, "The advisory says nothing to do."));
}

function findingsSection(views) {
  const concerned = views.filter((v) => (v.findings.advisories || []).length || v.findings.past_end_of_support);
  if (!concerned.length) return h("div", { class: "empty", id: "no-findings" }, "No device on this site is named by an imported advisory or past its end of support.");
  return h("div", { id: "findings" }, concerned.map(({ device: d, findings: f }) => h("section", { class: "card finding", id: `findings-${d.id}`, "data-device": d.id },
    h("h3", {}, `${d.id} · ${d.vendor} ${d.model}`, d.firmware ? h("span", { class: "muted" }, ` (${d.firmware})`) : null),
    f.past_end_of_support ? h("p", { class: "urgent" }, `Past its end of support (${f.end_of_support}): the vendor no longer fixes it.`) : null,
    (f.advisories || []).length ? h("ol", { class: "plain advisories" }, f.advisories.map((m) => advisory(d, m))) : null)));
}

/** Midnight (browser's zone) of the Monday of the week holding `ms`. */
function mondayOf(ms) {
  const d = new Date(ms);
  d.setHours(0, 0, 0, 0);
  d.setDate(d.getDate() - ((d.getDay() + 6) % 7));
  return d;
}

function calendar(orders) {
  // Days are the browser's; the list below gives each window in the
  // site's zone.
  const start = mondayOf(serverNow());
  const today = new Date(serverNow());
  today.setHours(0, 0, 0, 0);
  const days = [];
  for (let i = 0; i < WEEKS * 7; i++) {
    const day = new Date(start);
    day.setDate(start.getDate() + i);
    const next = new Date(day);
    next.setDate(day.getDate() + 1);
    const on = orders.filter((o) => Date.parse(o.window.start) < next.getTime() && Date.parse(o.window.end) > day.getTime());
    days.push(h("div", { class: `cal-day${on.length ? "" : " free"}${day.getTime() === today.getTime() ? " today" : ""}${day < today ? " past" : ""}`, "data-day": day.toISOString().slice(0, 10) },
      h("div", { class: "cal-date" }, day.toLocaleDateString("en-GB", { weekday: "short", day: "numeric", month: "short" })),
      on.map((o) => h("a", { href: `#wo-${o.id}`, class: `wo wo-${o.status}`, "data-work-order": o.id, title: `${WORK[o.kind] || o.kind}: ${o.description} (${STATUS[o.status] || o.status})` },
        `${WORK[o.kind] || o.kind} · ${STATUS[o.status] || o.status}`))));
  }
  return h("div", { class: "calendar", id: "calendar", "data-from": start.toISOString() },
    ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"].map((d) => h("div", { class: "cal-head" }, d)),
    days);
}

function orderList(orders, site) {
  if (!orders.length) return h("div", { class: "empty", id: "no-work-orders" }, "No work orders on this site's devices.");
  const sorted = [...orders].sort((a, b) => Date.parse(a.window.start) - Date.parse(b.window.start));
  return h("table", { class: "grid", id: "work-orders" },
    h("thead", {}, h("tr", {}, ["Window", "Work", "Devices", "Approver", "Status", "Outcome"].map((c) => h("th", {}, c)))),
    h("tbody", {}, sorted.map((o) => h("tr", { id: `wo-${o.id}`, "data-work-order": o.id, "data-status": o.status },
      h("td", {}, timeEl(o.window.start), " – ", timeEl(o.window.end)),
      h("td", {}, h("strong", {}, WORK[o.kind] || o.kind), h("div", {}, o.description), h("div", { class: "muted mono" }, o.id)),
      h("td", {}, o.devices.filter((d) => d.site === site).map((d) => d.device).join(", "),
        o.devices.some((d) => d.site !== site) ? h("div", { class: "muted" }, "and devices on other sites") : null),
      h("td", {}, o.approver, o.approved_at ? h("div", { class: "muted" }, "approved ", timeEl(o.approved_at)) : null),
      h("td", { class: `wo-status wo-${o.status}` }, STATUS[o.status] || o.status),
      h("td", {}, o.outcome ? [timeEl(o.outcome.at), ` by ${o.outcome.by}`, o.outcome.note ? h("div", {}, o.outcome.note) : null,
        o.outcome.new_firmware ? h("div", { class: "mono" }, `firmware ${o.outcome.new_firmware}`) : null] : "—")))));
}

export default async function estatePage(root) {
  const parts = location.pathname.split("/");
  const tenant = decodeURIComponent(parts[2] || "");
  const site = decodeURIComponent(parts[3] || "");
  const base = `/api/v1/estate/${encodeURIComponent(tenant)}`;
  const title = h("h1", {}, `Estate · ${tenant} · ${site}`);
  const links = h("div", { class: "actions" },
    h("a", { href: `/sites/${encodeURIComponent(tenant)}/${encodeURIComponent(site)}` }, "Floor plan"),
    h("a", { href: `/sites/${encodeURIComponent(tenant)}/${encodeURIComponent(site)}/roll-call` }, "Roll call"));
  let inventory;
  let orders;
  try {
    useZone(await siteZone(tenant, site));
    [inventory, orders] = await Promise.all([api(`${base}/inventory`), api(`${base}/work-orders`)]);
  } catch (e) {
    const why = e instanceof ApiError && (e.status === 403 || e.status === 404) ? "Not found (or not a client you may see)." : e.message;
    fill(root, title, links, h("div", { class: "empty", id: "no-data" }, why));
    return;
  }
  const views = (inventory.devices || []).filter((v) => v.device.site === site)
    .sort((a, b) => (b.findings.advisories || []).length - (a.findings.advisories || []).length || a.device.id.localeCompare(b.device.id));
  const mine = (orders.items || []).filter((o) => (o.devices || []).some((d) => d.site === site));
  const affected = views.filter((v) => (v.findings.advisories || []).length).length;
  const eos = views.filter((v) => v.findings.past_end_of_support).length;
  fill(root, title, links,
    h("p", { class: "muted", id: "estate-summary" },
      `${views.length} device${views.length === 1 ? "" : "s"} · `,
      h("span", { class: affected ? "warn" : "" }, `${affected} affected by advisories`), " · ",
      h("span", { class: eos ? "urgent" : "" }, `${eos} past end of support`),
      ` · matched against ${inventory.advisories} advisor${inventory.advisories === 1 ? "y" : "ies"}`),
    h("h2", {}, "Inventory"),
    views.length ? inventoryTable(tenant, site, views) : h("div", { class: "empty", id: "no-devices" }, "No devices recorded for this site."),
    h("h2", {}, "Advisories and end of support"),
    findingsSection(views),
    h("h2", {}, "Maintenance calendar"),
    h("div", { class: "legend" }, Object.entries(STATUS).map(([k, v]) => h("span", { class: `wo wo-${k}` }, v))),
    calendar(mine),
    orderList(mine, site));
}
