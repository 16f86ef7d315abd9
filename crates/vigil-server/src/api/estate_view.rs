//! `/api/v1/sites` and `/api/v1/sites/{tenant}/{site}/plan`: the control
//! room's site view — every site in the caller's scope with its device and
//! alarm counts, and a site's floor plan with each device in its live state
//! (see [`crate::site_plan`] for how the state is derived).
//!
//! A client user asking for another tenant's site gets `404`, as if it did
//! not exist.

use std::collections::BTreeSet;
use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, State};
use chrono::Duration;
use serde::Serialize;
use utoipa::ToSchema;
use vigil_desk::alarm::Alarm;
use vigil_model::{Site, SiteId, TenantId};
use vigil_store::{
    DeviceRecord, PanelAccountRecord, SiteViewStore, SupervisionRecord, TenantScope,
};

use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, ErrorBody};
use crate::site_plan::{DEVICE_ENTITIES, DrawnPlan, PlanArea, PlanDevice, SiteFacts, draw};

/// How far back the site view looks for device events.
const EVENT_HORIZON_DAYS: i64 = 7;
/// At most this many recent events are read per site.
const EVENT_LIMIT: usize = 5000;

/// One site, in brief.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct SiteSummary {
    /// The tenant.
    tenant: String,
    /// The site's id.
    site: String,
    /// Its name.
    name: String,
    /// Devices known at the site.
    devices: usize,
    /// Of which offline.
    offline: usize,
    /// Open alarms at the site.
    alarms: usize,
}

/// A site's floor plan with its devices in their live state.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct SitePlanView {
    /// The tenant.
    tenant: String,
    /// The site's id.
    site: String,
    /// Its name.
    name: String,
    /// The plan's width.
    width: f64,
    /// The plan's height.
    height: f64,
    /// Its areas (zones).
    areas: Vec<PlanArea>,
    /// Its devices.
    devices: Vec<PlanDevice>,
}

fn estate_store(state: &AppState) -> Result<&Arc<dyn SiteViewStore>, ApiError> {
    state
        .estate
        .store
        .as_ref()
        .ok_or_else(|| ApiError::Unavailable("this node has no estate store".into()))
}

/// The estate's register in a scope, read once for every site drawn.
struct Register {
    devices: Vec<DeviceRecord>,
    panels: Vec<PanelAccountRecord>,
    supervision: Vec<SupervisionRecord>,
}

impl Register {
    async fn read(state: &AppState, scope: &TenantScope) -> Result<Self, ApiError> {
        let store = estate_store(state)?;
        Ok(Self {
            devices: store.devices(scope).await?,
            panels: store.panel_accounts(scope).await?,
            supervision: store.supervision(scope).await?,
        })
    }
}

/// Draws one site from the store.
async fn draw_site(
    state: &AppState,
    site: &Site,
    register: &Register,
    alarms: &[Alarm],
) -> Result<DrawnPlan, ApiError> {
    let store = estate_store(state)?;
    let here = |tenant: &TenantId, s: &Option<SiteId>| {
        tenant == &site.tenant && s.as_ref() == Some(&site.id)
    };
    let since = state.desk.now() - Duration::days(EVENT_HORIZON_DAYS);
    let events = store
        .recent_site_events(&site.tenant, &site.id, since, EVENT_LIMIT)
        .await?;
    let alarmed: BTreeSet<String> = alarms
        .iter()
        .filter(|a| here(&a.tenant, &a.site))
        .flat_map(|a| {
            a.entities
                .iter()
                .filter(|e| DEVICE_ENTITIES.contains(&e.kind))
                .map(|e| e.value.clone())
        })
        .collect();
    let r = register;
    let facts = SiteFacts {
        plan: state
            .estate
            .plans
            .get(&(site.tenant.clone(), site.id.clone())),
        devices: r
            .devices
            .iter()
            .filter(|d| here(&d.tenant, &d.site))
            .collect(),
        panels: r
            .panels
            .iter()
            .filter(|p| here(&p.tenant, &p.site))
            .collect(),
        supervision: r
            .supervision
            .iter()
            .filter(|s| here(&s.tenant, &s.site))
            .collect(),
        events: &events,
        alarmed,
    };
    Ok(draw(&facts))
}

/// Lists the sites in the caller's scope with device and alarm counts.
#[utoipa::path(
    get,
    path = "/api/v1/sites",
    tag = "estate",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The sites", body = Vec<SiteSummary>),
        (status = 401, description = "No or unknown token", body = ErrorBody),
        (status = 503, description = "No estate store on this node", body = ErrorBody),
    )
)]
pub(crate) async fn sites(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Vec<SiteSummary>>, ApiError> {
    let scope = caller.scope(None)?;
    let sites = state.store.sites(&scope).await?;
    let alarms = state.desk.open_alarms(&scope).await?;
    let register = Register::read(&state, &scope).await?;
    let mut out = Vec::with_capacity(sites.len());
    for site in &sites {
        let plan = draw_site(&state, site, &register, &alarms).await?;
        out.push(SiteSummary {
            tenant: site.tenant.to_string(),
            site: site.id.to_string(),
            name: site.name.clone(),
            devices: plan.devices.len(),
            offline: plan.devices.iter().filter(|d| d.state == "offline").count(),
            alarms: alarms
                .iter()
                .filter(|a| a.tenant == site.tenant && a.site.as_ref() == Some(&site.id))
                .count(),
        });
    }
    Ok(Json(out))
}

/// A site's floor plan with its devices in their live state.
#[utoipa::path(
    get,
    path = "/api/v1/sites/{tenant}/{site}/plan",
    tag = "estate",
    params(
        ("tenant" = String, Path, description = "The tenant's id"),
        ("site" = String, Path, description = "The site's id"),
    ),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The plan", body = SitePlanView),
        (status = 401, description = "No or unknown token", body = ErrorBody),
        (status = 404, description = "No such site in the caller's scope", body = ErrorBody),
        (status = 503, description = "No estate store on this node", body = ErrorBody),
    )
)]
pub(crate) async fn plan(
    State(state): State<AppState>,
    caller: Caller,
    Path((tenant, site)): Path<(String, String)>,
) -> Result<Json<SitePlanView>, ApiError> {
    let not_found = || ApiError::NotFound(format!("site `{tenant}/{site}` not found"));
    let tenant_id = TenantId::new(&tenant).map_err(|_| not_found())?;
    let site_id = SiteId::new(&site).map_err(|_| not_found())?;
    // Another tenant's site does not exist for a client user (404, not 403).
    let scope = caller.scope(None)?;
    if !scope.allows(&tenant_id) {
        return Err(not_found());
    }
    let one = TenantScope::One(tenant_id.clone());
    let found = state
        .store
        .sites(&one)
        .await?
        .into_iter()
        .find(|s| s.id == site_id)
        .ok_or_else(not_found)?;
    let alarms = state.desk.open_alarms(&one).await?;
    let register = Register::read(&state, &one).await?;
    let drawn = draw_site(&state, &found, &register, &alarms).await?;
    Ok(Json(SitePlanView {
        tenant: found.tenant.to_string(),
        site: found.id.to_string(),
        name: found.name,
        width: drawn.width,
        height: drawn.height,
        areas: drawn.areas,
        devices: drawn.devices,
    }))
}
