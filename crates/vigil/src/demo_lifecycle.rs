//! The simulated clients' security systems and visitors in `vigil demo`:
//! CISA's 2024 OT advisories imported (when the corpus is there), each
//! client's inventory, maintenance calendar, watchlist and visits loaded
//! — so that the console's estate and visitors pages show affected devices
//! and visits from the first minute.
//!
//! Everything but the advisories goes through the node's own HTTP API, as
//! a client's people and the provider's staff would: the provider
//! administrator imports inventories, plans work and works the front desk;
//! each client's administrator (`<client>-admin`, a demo token) approves.
//! A watchlist hit is thus raised as an alarm the way the server raises it.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::Context;
use serde_json::{Value, json};
use vigil_desk::Actor;
use vigil_desk::service::Desk;
use vigil_model::{TenantId, Timestamp};
use vigil_server::auth::{hash_token, new_token};
use vigil_sim::{InstalledDevice, PlannedVisit, PlannedWork, TenantWorld, VisitFate, WorkFate};
use vigil_store::{ApiToken, Role};

use crate::config::Resolved;

/// Adds each simulated client's administrator (`<client>-admin`), who
/// approves its work orders and visits; their tokens by client.
pub fn approver_tokens(
    world: &vigil_sim::World,
    resolved: &mut Resolved,
) -> BTreeMap<TenantId, String> {
    let mut tokens = BTreeMap::new();
    for tw in &world.tenants {
        let token = new_token();
        resolved.tokens.push(ApiToken {
            name: approver(&tw.tenant.id),
            role: Role::ClientAdmin,
            tenant: Some(tw.tenant.id.clone()),
            hash: hash_token(&token),
        });
        tokens.insert(tw.tenant.id.clone(), token);
    }
    tokens
}

fn approver(tenant: &TenantId) -> String {
    format!("{tenant}-admin")
}

/// Imports the advisories of `dir` (every `.json` file) into the node's
/// catalogue; says so and goes on without them when the folder is absent
/// or a file does not read.
pub async fn import_advisories(desk: &Desk, dir: &Path) {
    if !dir.is_dir() {
        eprintln!(
            "no advisories at {} (the shared CSAF corpus): the estate pages will show no affected devices; \
             give --advisories DIR to import some",
            dir.display()
        );
        return;
    }
    match read_advisories(dir) {
        Ok(advisories) => {
            let count = advisories.len();
            match desk
                .import_advisories(&Actor::system("demo"), advisories)
                .await
            {
                Ok(import) => eprintln!(
                    "imported {count} advisories from {} ({} new)",
                    dir.display(),
                    import.added
                ),
                Err(e) => eprintln!("the advisories of {} were not imported: {e}", dir.display()),
            }
        }
        Err(e) => eprintln!("the advisories were not imported: {e:#}"),
    }
}

fn read_advisories(dir: &Path) -> anyhow::Result<Vec<vigil_lifecycle::advisory::Advisory>> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .with_context(|| format!("cannot read {}", dir.display()))?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    files
        .iter()
        .map(|file| {
            let bytes =
                std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
            vigil_lifecycle::advisory::parse(&bytes)
                .with_context(|| format!("{} is not a valid CSAF 2.0 advisory", file.display()))
        })
        .collect()
}

/// The inventory CSV of `devices`, as `vigil estate inventory import` reads it.
pub fn inventory_csv(devices: &[InstalledDevice]) -> String {
    let mut out = String::from(
        "site,device_id,kind,vendor,model,serial,firmware,installed,warranty_until,end_of_support,zone\n",
    );
    for d in devices {
        // No simulated name holds a comma or a quote; quoting every field
        // keeps the file right if one ever does.
        let cells = [
            d.site.to_string(),
            d.id.clone(),
            d.kind.to_owned(),
            d.vendor.to_owned(),
            d.model.to_owned(),
            d.serial.clone(),
            d.firmware.to_owned(),
            d.installed.to_string(),
            d.warranty_until.to_string(),
            d.end_of_support.map(|e| e.to_string()).unwrap_or_default(),
            d.zone.clone(),
        ];
        let line: Vec<String> = cells
            .iter()
            .map(|c| format!("\"{}\"", c.replace('"', "\"\"")))
            .collect();
        out.push_str(&line.join(","));
        out.push('\n');
    }
    out
}

/// Talks to the node's API as the provider's administrator and the
/// clients' administrators.
pub struct EstateLoader {
    http: reqwest::Client,
    base: String,
    admin: String,
    approvers: BTreeMap<TenantId, String>,
}

impl EstateLoader {
    /// A loader for the node at `base`.
    pub fn new(base: String, admin: String, approvers: BTreeMap<TenantId, String>) -> Self {
        Self {
            http: reqwest::Client::new(),
            base,
            admin,
            approvers,
        }
    }

    /// Loads one client's inventory, work orders, watchlist and visits
    /// around `start`. A step that fails is logged and the rest goes on.
    pub async fn load(&self, tw: &TenantWorld, start: Timestamp) {
        let tenant = &tw.tenant.id;
        let devices = tw.inventory(start.date_naive());
        let csv = inventory_csv(&devices);
        if let Err(e) = self
            .send(
                &self.admin,
                &format!("/api/v1/estate/{tenant}/inventory"),
                Body::Csv(csv),
            )
            .await
        {
            tracing::warn!(%tenant, error = %format!("{e:#}"), "demo inventory not loaded");
            return;
        }
        for work in tw.maintenance(start) {
            if let Err(e) = self.work(tenant, &work).await {
                tracing::warn!(%tenant, work = %work.description, error = %format!("{e:#}"), "demo work order not loaded");
            }
        }
        for entry in tw.watchlist() {
            let body = json!({"tenant": tenant, "name": entry.name, "reason": entry.reason});
            if let Err(e) = self
                .send(&self.admin, "/api/v1/watchlist", Body::Json(body))
                .await
            {
                tracing::warn!(%tenant, error = %format!("{e:#}"), "demo watchlist entry not loaded");
            }
        }
        for visit in tw.visits(start) {
            if let Err(e) = self.visit(tenant, &visit).await {
                tracing::warn!(%tenant, error = %format!("{e:#}"), "demo visit not loaded");
            }
        }
        tracing::info!(%tenant, devices = devices.len(), "demo estate and visitors loaded");
    }

    fn approver(&self, tenant: &TenantId) -> anyhow::Result<&str> {
        self.approvers
            .get(tenant)
            .map(String::as_str)
            .with_context(|| format!("no administrator token for {tenant}"))
    }

    async fn work(&self, tenant: &TenantId, work: &PlannedWork) -> anyhow::Result<()> {
        let devices: Vec<Value> = work
            .devices
            .iter()
            .map(|(site, device)| json!({"site": site, "device": device}))
            .collect();
        let planned = self
            .send(
                &self.admin,
                &format!("/api/v1/estate/{tenant}/work-orders"),
                Body::Json(json!({
                    "kind": work.kind,
                    "description": work.description,
                    "starts_at": work.starts_at,
                    "ends_at": work.ends_at,
                    "devices": devices,
                    "approver": approver(tenant),
                })),
            )
            .await?;
        let id = planned["work_order"]["id"]
            .as_str()
            .context("the planned work order has no id")?
            .to_owned();
        if work.fate == WorkFate::Planned {
            return Ok(());
        }
        let path = format!("/api/v1/estate/{tenant}/work-orders/{id}");
        self.send(
            self.approver(tenant)?,
            &format!("{path}/approve"),
            Body::Json(json!({})),
        )
        .await?;
        let (status, note, firmware) = match &work.fate {
            WorkFate::Planned | WorkFate::Approved => return Ok(()),
            WorkFate::Done { note, new_firmware } => ("done", note, new_firmware.clone()),
            WorkFate::Failed { note } => ("failed", note, None),
            WorkFate::RolledBack { note } => ("rolled_back", note, None),
        };
        self.send(
            &self.admin,
            &format!("{path}/outcome"),
            Body::Json(json!({"status": status, "note": note, "new_firmware": firmware})),
        )
        .await?;
        Ok(())
    }

    async fn visit(&self, tenant: &TenantId, visit: &PlannedVisit) -> anyhow::Result<()> {
        let registered = self
            .send(
                &self.admin,
                "/api/v1/visits",
                Body::Json(json!({
                    "tenant": tenant,
                    "site": visit.site,
                    "visitor_name": visit.visitor_name,
                    "company": visit.company,
                    "purpose": visit.purpose,
                    "host": visit.host,
                    "window_start": visit.window_start,
                    "window_end": visit.window_end,
                    "zones": visit.zones,
                })),
            )
            .await?;
        let id = registered["visit"]["id"]
            .as_str()
            .context("the pre-registered visit has no id")?
            .to_owned();
        let path = format!("/api/v1/visits/{id}");
        let (document, badge, out) = match &visit.fate {
            VisitFate::PreRegistered => return Ok(()),
            VisitFate::Approved => (None, None, false),
            VisitFate::Arrived { document } => (Some(document), None, false),
            VisitFate::BadgeIssued { document, badge } => (Some(document), Some(badge), false),
            VisitFate::SignedOut { document, badge } => (Some(document), Some(badge), true),
        };
        self.send(
            self.approver(tenant)?,
            &format!("{path}/approve"),
            Body::Json(json!({})),
        )
        .await?;
        let Some(document) = document else {
            return Ok(());
        };
        let doc = json!({"document": {"kind": "passport", "number": document}});
        self.send(&self.admin, &format!("{path}/arrive"), Body::Json(doc))
            .await?;
        if let Some(badge) = badge {
            self.send(
                &self.admin,
                &format!("{path}/badge"),
                Body::Json(json!({"badge": badge})),
            )
            .await?;
        }
        if out {
            self.send(
                &self.admin,
                &format!("{path}/sign-out"),
                Body::Json(json!({})),
            )
            .await?;
        }
        Ok(())
    }

    async fn send(&self, token: &str, path: &str, body: Body) -> anyhow::Result<Value> {
        let request = self
            .http
            .post(format!("{}{path}", self.base))
            .bearer_auth(token);
        let request = match body {
            Body::Json(v) => request.json(&v),
            Body::Csv(text) => request.header("content-type", "text/csv").body(text),
        };
        let response = request.send().await?;
        let status = response.status();
        let body: Value = response.json().await.unwrap_or(Value::Null);
        anyhow::ensure!(status.is_success(), "POST {path}: {status} {body}");
        Ok(body)
    }
}

enum Body {
    Json(Value),
    Csv(String),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_simulated_inventory_reads_back_as_an_inventory_file() {
        let world = vigil_sim::World::generate(7);
        let today = chrono::Utc::now().date_naive();
        for tw in &world.tenants {
            let devices = tw.inventory(today);
            let parsed =
                vigil_lifecycle::inventory::parse_csv(&tw.tenant.id, &inventory_csv(&devices))
                    .unwrap_or_else(|e| panic!("{}: {e}", tw.tenant.id));
            assert_eq!(parsed.len(), devices.len());
            let ccure = parsed
                .iter()
                .find(|d| d.model == "Software House C•CURE 9000");
            assert!(tw.tenant.id.as_str() != "northgate" || ccure.is_some());
        }
    }
}
