// The API client: the same /api/v1 endpoints the CLI uses, authenticated by
// the session cookie; writes carry the session's CSRF value.

let session = null;

/** An API answer that was not a success. */
export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

/** Who is logged in ({name, role, tenant, csrf}), after `loadSession`. */
export function me() {
  return session;
}

/** Whether the logged-in person is provider staff (sees every client). */
export function isProvider() {
  return !!session && session.role.startsWith("provider_") && !session.tenant;
}

/** Whether the logged-in person may work alarms and incidents. */
export function canOperate() {
  return isProvider();
}

function toLogin() {
  const next = location.pathname + location.search;
  location.assign(`/login?next=${encodeURIComponent(next)}`);
}

/** Calls the API; resolves to the parsed JSON (null for 204). */
export async function api(path, { method = "GET", body } = {}) {
  const headers = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (method !== "GET" && session && session.csrf) headers["X-CSRF-Token"] = session.csrf;
  const r = await fetch(path, {
    method,
    headers,
    credentials: "same-origin",
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (r.status === 401 && path !== "/api/v1/session") {
    toLogin();
    throw new ApiError(401, "not logged in");
  }
  if (r.status === 204) return null;
  let data = null;
  try {
    data = await r.json();
  } catch {
    data = null;
  }
  if (!r.ok) throw new ApiError(r.status, (data && data.message) || r.statusText || `HTTP ${r.status}`);
  return data;
}

/** Loads who is logged in; sends the browser to the login page if nobody. */
export async function loadSession() {
  try {
    session = await api("/api/v1/session");
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) {
      toLogin();
      return null;
    }
    throw e;
  }
  return session;
}

export async function logout() {
  try {
    await api("/api/v1/session", { method: "DELETE" });
  } finally {
    session = null;
    location.assign("/login");
  }
}

/** `?a=1&b=2` from an object, leaving out empty values. */
export function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined || v === null || v === "") continue;
    if (Array.isArray(v)) v.forEach((x) => q.append(k, x));
    else q.set(k, v);
  }
  const text = q.toString();
  return text ? `?${text}` : "";
}

const listeners = new Set();
const KINDS = ["alarm", "incident", "sop_run", "suppression", "maintenance", "escalation", "delivery", "shift_entry"];
let stream = null;

function setLive(state) {
  const el = document.getElementById("live");
  if (!el) return;
  el.textContent = { on: "● live", off: "○ reconnecting", paused: "○ paused" }[state];
  el.className = state === "on" ? "live on" : "live";
}

function tell(kind, change) {
  for (const l of listeners) l(kind, change);
}

function openStream() {
  stream = new EventSource("/api/v1/stream");
  stream.onopen = () => setLive("on");
  stream.onerror = () => {
    setLive("off");
    // A stream the browser gave up on (an expired session answers 401)
    // is not retried by the browser: find out whether the session ended.
    if (stream && stream.readyState === EventSource.CLOSED) {
      stream = null;
      loadSession().then(
        (who) => { if (who && listeners.size && !stream) openStream(); },
        // The node is unreachable: try again as the browser would have.
        () => setTimeout(() => { if (listeners.size && !stream) openStream(); }, 3000));
    }
  };
  for (const kind of KINDS) {
    stream.addEventListener(kind, (ev) => {
      let change = null;
      try {
        change = JSON.parse(ev.data);
      } catch {
        return;
      }
      tell(kind, change);
    });
  }
}

function closeStream() {
  if (!stream) return;
  stream.close();
  stream = null;
  setLive("paused");
}

// A page kept in the back-forward cache would otherwise keep its stream:
// every open connection counts against the browser's six per host over
// HTTP/1.1, so after a few pages back and forth the next page's requests
// queue behind streams nobody looks at and it sits on "Loading…". The
// stream is closed whenever the page is hidden and opened again when it is
// shown; what changed meanwhile is read afresh ("resync").
addEventListener("pagehide", closeStream);
addEventListener("pageshow", async (ev) => {
  if (!ev.persisted) return;
  // Restored from the cache: the session may have ended meanwhile
  // (logged out in this or another tab), and then the page must not
  // show what it held.
  let who = null;
  try {
    who = await loadSession();
  } catch {
    // Unreachable now; the stream's own retries take over.
    who = session;
  }
  if (!who || !listeners.size || stream) return;
  openStream();
  tell("resync", null);
});

/**
 * Subscribes to the desk's live stream (server-sent events of alarm,
 * incident and SOP changes in the caller's scope); `fn(kind, change)` is
 * called for each, and with `"resync"` when changes may have been missed
 * (the page came back from the back-forward cache), so read afresh. One
 * EventSource serves every subscriber; the browser reconnects by itself
 * and resumes with Last-Event-ID.
 */
export function onLive(fn) {
  listeners.add(fn);
  if (!stream) openStream();
  return () => listeners.delete(fn);
}
