// Sites' time zones (from /api/v1/tenants), so that times are shown as
// the site's local time with its zone.

import { api } from "./api.js";

let tenants = null;

/** The IANA time zone of `site` at `tenant`; null when not known. */
export async function siteZone(tenant, site) {
  if (!site) return null;
  tenants ||= api("/api/v1/tenants").catch(() => []);
  const t = (await tenants).find((x) => x.id === tenant);
  return (t?.sites || []).find((s) => s.id === site)?.timezone || null;
}
