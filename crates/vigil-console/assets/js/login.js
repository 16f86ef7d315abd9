// The login form: trades an API token for a session cookie.

const form = document.getElementById("login-form");
const error = document.getElementById("login-error");

function next() {
  const n = new URLSearchParams(location.search).get("next") || "/queue";
  // Only same-site paths: never an open redirect.
  return n.startsWith("/") && !n.startsWith("//") ? n : "/queue";
}

form.addEventListener("submit", async (ev) => {
  ev.preventDefault();
  error.hidden = true;
  const token = new FormData(form).get("token");
  const r = await fetch("/api/v1/session", {
    method: "POST",
    headers: { "Content-Type": "application/json", Accept: "application/json" },
    credentials: "same-origin",
    body: JSON.stringify({ token: String(token || "").trim() }),
  });
  if (r.ok) {
    location.assign(next());
    return;
  }
  let message = "That token was not accepted.";
  try {
    const body = await r.json();
    if (body && body.message) message = body.message;
  } catch {
    // keep the generic message
  }
  error.textContent = message;
  error.hidden = false;
});
