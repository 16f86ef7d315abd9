// A site's evacuation roll call, made to be printed: everyone on site now —
// employees by their last access event, visitors signed in and not out,
// badges nobody resolves — by zone, with where and when each was last seen.

import { api } from "./api.js";
import { fill, h, timeEl } from "./dom.js";

const KINDS = { employee: "employee", visitor: "visitor", unknown_badge: "unknown badge" };

export default async function rollCallPage(root) {
  const parts = location.pathname.split("/");
  const tenant = decodeURIComponent(parts[2] || "");
  const site = decodeURIComponent(parts[3] || "");
  const r = await api(`/api/v1/sites/${encodeURIComponent(tenant)}/${encodeURIComponent(site)}/roll-call`);
  const people = r.on_site || [];
  fill(root,
    h("h1", {}, `Roll call · ${tenant} · ${site}`),
    h("p", { class: "muted" }, "Taken at ", timeEl(r.at), ` · ${people.length} on site`),
    h("div", { class: "actions no-print" }, h("button", { type: "button", id: "print", onclick: () => window.print() }, "Print")),
    people.length === 0 ? h("div", { class: "empty", id: "nobody" }, "Nobody on site.")
      : h("table", { class: "roll-call", id: "roll-call" },
        h("thead", {}, h("tr", {}, ["Zone", "Who", "Kind", "Host", "Badge", "Last seen", "Present"].map((c) => h("th", {}, c)))),
        h("tbody", {}, people.map((p) => h("tr", { "data-id": p.id, "data-kind": p.kind },
          h("td", {}, p.last_seen.zone || "front desk"),
          h("td", {}, p.name || p.id),
          h("td", {}, KINDS[p.kind] || p.kind),
          h("td", {}, p.host || ""),
          h("td", {}, p.badge || ""),
          h("td", {}, timeEl(p.last_seen.at), p.last_seen.door ? ` · ${p.last_seen.door}` : ""),
          h("td", { class: "tick" }, "☐"))))));
}
