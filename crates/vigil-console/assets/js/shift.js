// The shift log: this shift's notes and items, the open items carried over
// from earlier shifts (until someone marks them done), and the handovers.

import { api, canOperate, onLive, query } from "./api.js";
import { ask, fill, h, timeEl, toast } from "./dom.js";

function entryRow(e, since, done) {
  const carried = e.kind === "item" && !e.done && since && Date.parse(e.at) < Date.parse(since);
  return h("li", { class: `shift-entry kind-${e.kind}${e.done ? " done" : ""}`, "data-id": e.id, "data-kind": e.kind },
    h("div", { class: "at" }, timeEl(e.at), ` · ${e.author}`, e.client ? ` · ${e.client}` : "",
      carried ? h("span", { class: "pill carried" }, "carried over") : null,
      e.done ? h("span", { class: "pill" }, `done by ${e.done.by}`) : null),
    h("div", { class: "text" }, e.kind === "item" ? h("strong", {}, "To do: ") : null, e.text),
    e.kind === "item" && !e.done && done ? h("button", { type: "button", class: "done-button", onclick: () => done(e) }, "Done") : null);
}

export default async function shiftPage(root, who) {
  let tenants = [];
  try {
    tenants = await api("/api/v1/tenants");
  } catch {
    tenants = [];
  }
  const clientOptions = [["", "no client"], ...tenants.map((t) => [t.id, t.name || t.id])];

  async function write(kind) {
    const v = await ask(kind === "item" ? "Add an open item (carried over until done)" : "Write a note", [
      { name: "text", label: kind === "item" ? "What has to be done" : "Note", type: "textarea", required: true },
      { name: "client", label: "Client", type: "select", value: "", options: clientOptions },
    ]);
    if (!v) return;
    try {
      await api("/api/v1/shift-log/entries", { method: "POST", body: { kind, text: v.text, client: v.client || null } });
      await load();
    } catch (e) {
      toast(`shift log: ${e.message}`, true);
    }
  }
  async function handOver() {
    const v = await ask("Hand over the shift", [
      { name: "summary", label: "Summary for the next shift", type: "textarea", required: true },
      { name: "to", label: "Next shift lead" },
    ]);
    if (!v) return;
    try {
      await api("/api/v1/shift-log/handovers", { method: "POST", body: { summary: v.summary, to: v.to || null } });
      toast("Handed over; open items carry over");
      await load();
    } catch (e) {
      toast(`handover: ${e.message}`, true);
    }
  }
  async function done(e) {
    try {
      await api(`/api/v1/shift-log/entries/${encodeURIComponent(e.id)}/done`, { method: "POST" });
      await load();
    } catch (err) {
      toast(`done: ${err.message}`, true);
    }
  }

  async function load() {
    const [log, mine] = await Promise.all([
      api(`/api/v1/shift-log${query({ handovers: 5 })}`),
      api(`/api/v1/alarms${query({ owner: who.name, limit: 1000 })}`).catch(() => ({ items: [] })),
    ]);
    const markDone = canOperate() ? done : null;
    const last = (log.handovers || [])[0];
    fill(root,
      h("h1", {}, "Shift log"),
      h("p", { class: "muted", id: "shift-since" }, log.since ? ["This shift began with ", last.author, "'s handover at ", timeEl(log.since), last.handed_to ? ` to ${last.handed_to}` : ""] : "No handover yet: everything below is this shift's."),
      canOperate() ? h("div", { class: "actions" },
        h("button", { type: "button", id: "shift-note", onclick: () => write("note") }, "Write a note"),
        h("button", { type: "button", id: "shift-item", onclick: () => write("item") }, "Add an open item"),
        h("button", { type: "button", id: "shift-handover", class: "primary", onclick: handOver }, "Hand over…")) : null,
      h("div", { class: "cols" },
        h("div", {},
          h("h2", {}, `Open items (${(log.open || []).length})`),
          (log.open || []).length ? h("ul", { class: "plain shift", id: "shift-open" }, log.open.map((e) => entryRow(e, log.since, markDone))) : h("p", { class: "muted" }, "Nothing open."),
          h("h2", {}, "This shift"),
          (log.entries || []).length ? h("ul", { class: "plain shift", id: "shift-entries" }, log.entries.map((e) => entryRow(e, log.since, markDone))) : h("p", { class: "muted" }, "No notes yet.")),
        h("div", {},
          h("div", { class: "card" },
            h("h3", {}, `My alarms (${(mine.items || []).length})`),
            (mine.items || []).length ? h("ul", { class: "plain", id: "my-alarms" }, mine.items.map((a) => h("li", {}, h("a", { href: `/alarms/${a.id}` }, a.rule_title), h("span", { class: "muted" }, ` ${a.tenant} · ${a.status.replace("_", " ")}`)))) : h("p", { class: "muted" }, "You hold no open alarms."),
            h("a", { href: "/queue?owner=me" }, "Open them in the queue")),
          h("div", { class: "card" },
            h("h3", {}, "Handovers"),
            (log.handovers || []).length ? h("ol", { class: "timeline", id: "handovers" }, log.handovers.map((e) => h("li", {}, h("div", { class: "at" }, timeEl(e.at), ` · ${e.author}${e.handed_to ? ` → ${e.handed_to}` : ""}`), e.text))) : h("p", { class: "muted" }, "None yet.")))));
  }

  onLive((kind) => { if (kind === "resync" || kind === "shift_entry") load(); });
  await load();
}
