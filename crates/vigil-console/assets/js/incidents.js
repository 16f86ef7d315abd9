// Incidents, newest first.

import { api, query } from "./api.js";
import { ago, fill, h, sev } from "./dom.js";

export default async function incidentsPage(root) {
  const closed = new URL(location.href).searchParams.get("closed") === "true";
  const data = await api(`/api/v1/incidents${query({ closed: closed ? "true" : "", limit: 500 })}`);
  const items = data.items || [];
  fill(root,
    h("h1", {}, "Incidents"),
    h("div", { class: "toolbar" }, h("a", { href: closed ? "/incidents" : "/incidents?closed=true" }, closed ? "Hide closed" : "Show closed"), h("span", { class: "count" }, `${items.length} incidents`)),
    items.length === 0 ? h("div", { class: "empty" }, "No incidents. Open one from an alarm in the queue (i).")
      : h("table", { class: "grid", id: "incidents" },
        h("thead", {}, h("tr", {}, ["Severity", "Incident", "Client", "Category", "State", "Opened", "Alarms", "Tasks"].map((t) => h("th", {}, t)))),
        h("tbody", {}, items.map((i) => h("tr", { class: "row", "data-id": i.id, onclick: () => location.assign(`/incidents/${encodeURIComponent(i.id)}`) },
          h("td", {}, sev(i.severity)),
          h("td", {}, h("a", { href: `/incidents/${encodeURIComponent(i.id)}` }, i.title), h("div", { class: "muted mono" }, i.id)),
          h("td", {}, i.tenant),
          h("td", {}, i.category),
          h("td", { class: "status" }, i.state),
          h("td", {}, `${ago(i.opened_at)} by ${i.opened_by}`),
          h("td", {}, (i.alarms || []).length),
          h("td", {}, `${(i.tasks || []).filter((t) => t.done).length}/${(i.tasks || []).length}`))))));
}
