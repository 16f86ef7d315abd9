// Every site in scope, with its devices, how many are offline and how many
// in no known state (the plan shows the same), and its open alarms.

import { ApiError, api } from "./api.js";
import { fill, h } from "./dom.js";

export default async function sitesPage(root) {
  let sites;
  try {
    sites = await api("/api/v1/sites");
  } catch (e) {
    const why = e instanceof ApiError && e.status === 404 ? "This server does not offer site views yet." : e.message;
    fill(root, h("h1", {}, "Sites"), h("div", { class: "empty", id: "no-data" }, "No data. ", why));
    return;
  }
  const list = Array.isArray(sites) ? sites : sites.items || [];
  fill(root,
    h("h1", {}, "Sites"),
    list.length === 0 ? h("div", { class: "empty", id: "no-data" }, "No sites with a floor plan.")
      : h("div", { class: "cards", id: "sites" }, list.map((site) => h("a", { class: "card", href: `/sites/${encodeURIComponent(site.tenant)}/${encodeURIComponent(site.site)}`, "data-site": `${site.tenant}/${site.site}` },
        h("h3", {}, site.name || site.site),
        h("p", { class: "muted" }, `${site.tenant} · ${site.site}`),
        h("dl", { class: "kv" },
          h("dt", {}, "devices"), h("dd", {}, site.devices ?? "—"),
          h("dt", {}, "offline"), h("dd", { class: site.offline ? "warn" : "", "data-count": "offline" }, site.offline ?? "—"),
          h("dt", {}, "state unknown"), h("dd", { class: site.unknown ? "muted" : "", "data-count": "unknown" }, site.unknown ?? "—"),
          h("dt", {}, "open alarms"), h("dd", { class: site.alarms ? "urgent" : "" }, site.alarms ?? "—"))))));
}
