// Dashboards: alarms per hour by category, false-alarm rate, MTTA/MTTR,
// top rules, devices offline, and the open queue per client — per client
// or across clients — from GET /api/v1/stats; a month's service report to
// download (GET /api/v1/reports/service: PDF, HTML or CSV); and a client's
// compliance evidence pack (GET /api/v1/compliance/{framework}/report).

import { ApiError, api, isProvider, query } from "./api.js";
import { duration, fill, h, serverNow, when } from "./dom.js";
import { hbars, line, stackedBars, swatch } from "./charts.js";

const CATS = ["cyber", "physical", "converged", "environmental"];

function hourLabel(iso) {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? "" : `${String(d.getHours()).padStart(2, "0")}h`;
}

/** "2026-03" for the month holding `ms` (the server's now: a demo runs ahead). */
function monthOf(ms) {
  const d = new Date(ms);
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}`;
}

/**
 * The service report card: a month picker and one download link per
 * format. Plain links: the session cookie authenticates a GET, and the
 * server scopes the report to the caller's client.
 */
function serviceReportCard(tenant) {
  const month = h("input", { type: "month", id: "report-month", value: monthOf(serverNow()), required: true });
  const formats = [["pdf", "PDF"], ["html", "HTML"], ["csv", "CSV (every row)"]];
  const links = formats.map(([format, label]) => h("a", { class: "button", id: `report-${format}`, "data-format": format }, label));
  const point = () => {
    for (const a of links) {
      const href = `/api/v1/reports/service${query({ tenant, month: month.value, format: a.dataset.format })}`;
      if (month.value) a.setAttribute("href", href);
      else a.removeAttribute("href");
    }
  };
  month.addEventListener("input", point);
  point();
  return h("div", { class: "card", id: "service-report" },
    h("h2", {}, "Service report"),
    h("p", { class: "muted" }, `The month's figures for ${tenant || "all clients"}: acknowledgement times, SLA met and breached per class, false alarms, availability, trends.`),
    h("div", { class: "toolbar" }, h("label", {}, "month", month), ...links));
}

/**
 * The compliance evidence card: a framework and a month, and the pack as
 * JSON or PDF. Making a pack records its digests in the audit chain, so
 * each download is on the record; a provider names the client first.
 */
function evidenceCard(tenant) {
  const framework = h("select", { id: "evidence-framework" },
    [["iso27001", "ISO/IEC 27001:2022 Annex A"], ["nis2", "NIS-2 Art. 21(2)"]].map(([v, l]) => h("option", { value: v }, l)));
  const month = h("input", { type: "month", id: "evidence-month", value: monthOf(serverNow()), required: true });
  const formats = [["json", "JSON"], ["pdf", "PDF"]];
  const links = formats.map(([format, label]) => h("a", { class: "button", id: `evidence-${format}`, "data-format": format }, label));
  const point = () => {
    const [y, m] = month.value.split("-").map(Number);
    for (const a of links) {
      if (!month.value || (isProvider() && !tenant)) {
        a.removeAttribute("href");
        continue;
      }
      const last = new Date(Date.UTC(y, m, 0)).getUTCDate();
      const from = `${month.value}-01`;
      const to = `${month.value}-${String(last).padStart(2, "0")}`;
      a.setAttribute("href", `/api/v1/compliance/${framework.value}/report${query({ tenant, from, to, format: a.dataset.format })}`);
    }
  };
  month.addEventListener("input", point);
  framework.addEventListener("change", point);
  point();
  return h("div", { class: "card", id: "evidence-pack" },
    h("h2", {}, "Compliance evidence"),
    h("p", { class: "muted" }, isProvider() && !tenant
      ? "Choose a client above: an evidence pack is one client's."
      : `What the platform's own records evidence for ${tenant || "your organisation"}, per control, each entry with its digest; the pack's digests go into the audit chain.`),
    h("div", { class: "toolbar" }, framework, h("label", {}, "month", month), ...links));
}

export default async function dashboardsPage(root) {
  const url = new URL(location.href);
  const tenant = url.searchParams.get("tenant") || "";
  const hours = url.searchParams.get("hours") || "24";
  const tenants = isProvider() ? await api("/api/v1/tenants").catch(() => []) : [];
  const pick = (name, value, options) => {
    const el = h("select", { id: `dash-${name}` }, options.map(([v, l]) => h("option", { value: v, selected: v === value }, l)));
    el.addEventListener("change", () => {
      const u = new URL(location.href);
      if (el.value) u.searchParams.set(name, el.value);
      else u.searchParams.delete(name);
      location.assign(u);
    });
    return el;
  };
  const toolbar = h("div", { class: "toolbar" },
    isProvider() ? h("label", {}, "client", pick("tenant", tenant, [["", "all clients"], ...tenants.map((t) => [t.id, t.name || t.id])])) : null,
    h("label", {}, "period", pick("hours", hours, [["6", "6 hours"], ["24", "24 hours"], ["72", "3 days"], ["168", "7 days"]])));

  let stats;
  try {
    stats = await api(`/api/v1/stats${query({ tenant, hours })}`);
  } catch (e) {
    const why = e instanceof ApiError && e.status === 404 ? "This server does not offer statistics yet." : e.message;
    fill(root, h("h1", {}, "Dashboards"), toolbar, h("div", { class: "empty", id: "no-data" }, "No data. ", why), serviceReportCard(tenant), evidenceCard(tenant));
    return;
  }
  const perHour = (stats.alarms_per_hour || []).map((r) => ({ label: hourLabel(r.hour), values: r }));
  // An hour without verdicts has no rate (not 0 %): the line breaks there.
  const far = (stats.false_alarm_rate || []).map((r) => ({ label: hourLabel(r.hour), value: r.closed ? r.rate : null }));
  const top = (stats.top_rules || []).slice(0, 10).map((r) => ({ label: r.title || r.rule_id, value: r.count }));
  const byTenant = (stats.by_tenant || []).map((r) => ({ label: r.tenant, value: r.open }));
  const offline = stats.devices_offline || [];
  const card = (title, ...body) => h("div", { class: "card" }, h("h2", {}, title), ...body);
  fill(root,
    h("h1", {}, "Dashboards", h("span", { class: "muted" }, ` ${tenant || "all clients"} · ${when(stats.from)} – ${when(stats.to)}`)),
    toolbar,
    h("div", { class: "cards" },
      card("Mean time to acknowledge", h("div", { class: "figure", id: "mtta" }, duration(stats.mtta_seconds))),
      card("Mean time to resolve", h("div", { class: "figure", id: "mttr" }, duration(stats.mttr_seconds))),
      card("Devices offline", h("div", { class: "figure" }, offline.length, h("small", {}, " now"))),
      serviceReportCard(tenant), evidenceCard(tenant)),
    h("div", { class: "charts" },
      card("Alarms per hour by category",
        h("div", { class: "legend" }, CATS.map((c) => h("span", {}, swatch(`cat-${c}`), ` ${c}`))),
        perHour.length ? stackedBars(perHour, CATS, "Alarms per hour by category") : h("p", { class: "muted" }, "No alarms in the period.")),
      card("False-alarm rate", far.some((p) => p.value !== null) ? line(far, "False-alarm rate per hour", { max: 1, fmt: (v) => `${Math.round(v * 100)}%` }) : h("p", { class: "muted" }, "No verdicts in the period.")),
      card("Top rules", top.length ? hbars(top, "Top rules by alarms") : h("p", { class: "muted" }, "No alarms in the period.")),
      isProvider() ? card("Open alarms per client", byTenant.length ? hbars(byTenant, "Open alarms per client", "cat-physical") : h("p", { class: "muted" }, "None.")) : null,
      card("Devices offline",
        offline.length ? h("table", { class: "grid" }, h("tbody", {}, offline.map((d) => h("tr", {},
          h("td", {}, h("a", { href: `/sites/${encodeURIComponent(d.tenant)}/${encodeURIComponent(d.site)}` }, `${d.tenant} · ${d.site}`)),
          h("td", {}, d.name || d.device),
          h("td", { class: "muted" }, `since ${when(d.since)}`))))) : h("p", { class: "muted" }, "Every device is reporting."))));
  // Keep a wall screen current.
  setTimeout(() => location.reload(), 60000);
}
