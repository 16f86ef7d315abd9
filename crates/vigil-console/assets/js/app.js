// The page frame: who is logged in, navigation, logout, the shortcut help,
// then the page's own module (named by <body data-page>).

import { startAlerting } from "./alerting.js";
import { canOperate, loadSession, logout, me, onLive } from "./api.js";
import { fill, h, main, typing } from "./dom.js";

async function start() {
  const page = document.body.dataset.page;
  for (const a of document.querySelectorAll("[data-nav]")) {
    if (a.dataset.nav.split(" ").includes(page)) a.classList.add("current");
  }
  document.getElementById("logout").addEventListener("click", () => logout());
  const help = document.getElementById("help");
  document.getElementById("help-button").addEventListener("click", () => help.showModal());
  document.addEventListener("keydown", (ev) => {
    if (ev.key === "?" && !typing(ev) && !help.open) {
      ev.preventDefault();
      help.showModal();
    }
  });

  const who = await loadSession();
  if (!who) return;
  document.getElementById("who").title = document.getElementById("who").textContent =
    `${who.name} · ${who.role.replace(/_/g, " ")}${who.tenant ? ` · ${who.tenant}` : ""}`;
  document.body.classList.add(who.tenant ? "role-client" : "role-provider");
  // Every page shows whether the live stream is connected.
  onLive(() => {});
  // Whoever works alarms is alerted on every page, not only the queue.
  if (canOperate()) startAlerting();

  try {
    const module = await import(`./${page}.js`);
    await module.default(main(), me());
  } catch (e) {
    fill(main(), h("div", { class: "empty" }, h("p", { class: "error" }, `This page could not load: ${e.message}`)));
    throw e;
  }
}

start();
