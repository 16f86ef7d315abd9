// An alarm's pictures: what each camera covering it showed at alarm time
// (kept as evidence with its SHA-256), the live stream and the VMS
// recording at that time, or why a camera gave no picture.

import { api } from "./api.js";
import { fill, h, when } from "./dom.js";

function shot(alarm, s) {
  const src = `/api/v1/alarms/${encodeURIComponent(alarm.id)}/snapshots/${encodeURIComponent(s.camera)}`;
  return h("figure", { class: "snapshot", "data-camera": s.camera },
    s.error ? h("p", { class: "urgent snapshot-error" }, `No picture: ${s.error}`)
      : h("a", { href: src, target: "_blank", rel: "noopener" }, h("img", { src, alt: `Camera ${s.camera} at ${when(s.taken_at)}` })),
    h("figcaption", {},
      h("strong", {}, s.camera), h("span", { class: "muted" }, ` ${when(s.taken_at)}`),
      s.sha256 ? h("div", { class: "muted digest", title: "SHA-256 of the picture as kept" }, `SHA-256 ${s.sha256}`) : null,
      h("div", { class: "actions" },
        s.stream_uri ? h("a", { href: s.stream_uri, class: "stream" }, "Live stream") : null,
        s.recording_url ? h("a", { href: s.recording_url, target: "_blank", rel: "noopener", class: "recording" }, "Recording at alarm time") : null)));
}

/**
 * The video card. Pictures arrive a few seconds after the alarm, so an
 * empty list is asked again a few times.
 */
export function videoCard(alarm) {
  const card = h("div", { class: "card", id: "video" }, h("h3", {}, "Video"), h("p", { class: "muted" }, "Loading…"));
  let tries = 0;
  async function load() {
    let items = [];
    try {
      items = (await api(`/api/v1/alarms/${encodeURIComponent(alarm.id)}/snapshots`)).items || [];
    } catch {
      items = [];
    }
    fill(card, h("h3", {}, "Video"),
      items.length ? items.map((s) => shot(alarm, s)) : h("p", { class: "muted" }, "No camera picture for this alarm."));
    if (!items.length && tries++ < 10) setTimeout(load, 3000);
  }
  load();
  return card;
}
