// Incidents, newest first.

import { api, me, query } from "./api.js";
import { ago, fill, h, sev } from "./dom.js";

export default async function incidentsPage(root) {
  const url = new URL(location.href);
  const closed = url.searchParams.get("closed") === "true";
  const mine = url.searchParams.get("assignee") === "me";
  const data = await api(`/api/v1/incidents${query({ closed: closed ? "true" : "", limit: 500 })}`);
  const items = (data.items || []).filter((i) => !mine || i.assignee === me().name);
  const link = (params) => {
    const u = new URL(location.href);
    for (const [k, v] of Object.entries(params)) {
      if (v) u.searchParams.set(k, v);
      else u.searchParams.delete(k);
    }
    return `${u.pathname}${u.search}`;
  };
  fill(root,
    h("h1", {}, "Incidents"),
    h("div", { class: "toolbar" },
      h("a", { href: link({ closed: closed ? "" : "true" }) }, closed ? "Hide closed" : "Show closed"),
      h("a", { href: link({ assignee: mine ? "" : "me" }), id: "mine" }, mine ? "Everyone's" : "Assigned to me"),
      h("span", { class: "count" }, `${items.length} incidents`)),
    items.length === 0 ? h("div", { class: "empty" }, "No incidents. Open one from an alarm in the queue (i).")
      : h("table", { class: "grid", id: "incidents" },
        h("thead", {}, h("tr", {}, ["Severity", "Incident", "Client", "Category", "State", "Assignee", "Opened", "Alarms", "Tasks"].map((t) => h("th", {}, t)))),
        h("tbody", {}, items.map((i) => h("tr", { class: "row", "data-id": i.id, onclick: () => location.assign(`/incidents/${encodeURIComponent(i.id)}`) },
          h("td", {}, sev(i.severity)),
          h("td", {}, h("a", { href: `/incidents/${encodeURIComponent(i.id)}` }, i.title), h("div", { class: "muted mono" }, i.id)),
          h("td", {}, i.tenant),
          h("td", {}, i.category),
          h("td", { class: "status" }, i.state),
          h("td", { class: "assignee" }, i.assignee || "—"),
          h("td", {}, `${ago(i.opened_at)} by ${i.opened_by}`),
          h("td", {}, (i.alarms || []).length),
          h("td", {}, `${(i.tasks || []).filter((t) => t.done).length}/${(i.tasks || []).length}`))))));
}
