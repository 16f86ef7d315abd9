// Things named for people: an alarm is its rule's title (and state), not
// its UUID; the UUID stays on hover.

import { api } from "./api.js";
import { h } from "./dom.js";

const alarms = new Map();

/** The alarm `id` (null when it cannot be read), read once per page. */
export function alarmNamed(id) {
  if (!alarms.has(id)) {
    alarms.set(id, api(`/api/v1/alarms/${encodeURIComponent(id)}`).then((r) => r.alarm).catch(() => null));
  }
  return alarms.get(id);
}

/** A link to the alarm `id`, named by its rule's title once read. */
export function alarmLink(id) {
  const a = h("a", { href: `/alarms/${encodeURIComponent(id)}`, class: "alarm-link", "data-id": id, title: id }, `alarm ${String(id).slice(0, 8)}…`);
  alarmNamed(id).then((alarm) => {
    if (alarm) a.textContent = `${alarm.rule_title} (${alarm.status.replace("_", " ")})`;
  });
  return a;
}
