//! `/api/v1/sites` and `/api/v1/sites/{tenant}/{site}/plan`: the control
//! room's site view — every site in the caller's scope with its device and
//! alarm counts, and a site's floor plan with each device in its live state
//! (drawn by [`vigil_estate::site_plan`], which says how the state is
//! derived).
//!
//! A client user asking for another tenant's site gets `404`, as if it did
//! not exist.

use std::sync::Arc;

use crate::api::params::Path;
use axum::Json;
use axum::extract::State;
use serde::Serialize;
use utoipa::ToSchema;
use vigil_desk::alarm::Alarm;
use vigil_estate::site_plan::{self, DrawnPlan, EstateRecords, alarmed_devices};
use vigil_model::{Site, SiteId, TenantId, Timestamp};
use vigil_store::{EstateStore, TenantScope};

use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, ErrorBody};

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
    /// Of which in no known state (never heard, no event): counted apart
    /// from offline, so that the two figures agree with the plan.
    unknown: usize,
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
    areas: Vec<AreaView>,
    /// Its devices.
    devices: Vec<DeviceView>,
    /// The site's floor-plan image to draw under the devices, stretched to
    /// the plan's width and height, when it has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    image: Option<String>,
}

/// A rectangle of a plan.
// Described as the configuration's `PlanArea` was (strict, `name` optional),
// so that the API document stays as it was before the two types parted.
#[derive(Debug, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = PlanArea)]
pub(crate) struct AreaView {
    /// Its id: the zone it draws.
    id: String,
    /// A name for people (default: the id).
    #[schema(required = false)]
    name: String,
    /// Left edge.
    x: f64,
    /// Top edge.
    y: f64,
    /// Width.
    w: f64,
    /// Height.
    h: f64,
}

impl From<site_plan::PlanArea> for AreaView {
    fn from(a: site_plan::PlanArea) -> Self {
        Self {
            id: a.id,
            name: a.name,
            x: a.x,
            y: a.y,
            w: a.w,
            h: a.h,
        }
    }
}

/// A device on a plan, in its live state.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = PlanDevice)]
pub(crate) struct DeviceView {
    /// Its id.
    id: String,
    /// A name for people.
    name: String,
    /// `door`, `camera`, `panel`, `reader`, `sensor` or `gateway`.
    kind: String,
    /// The zone it is in.
    zone: Option<String>,
    /// Across the plan.
    x: f64,
    /// Down the plan.
    y: f64,
    /// `online`, `offline`, `armed`, `disarmed`, `door_open`, `alarm` or `unknown`.
    state: String,
    /// When its latest event happened.
    #[schema(value_type = Option<String>, format = DateTime)]
    last_event_at: Option<Timestamp>,
    /// When supervision last heard it.
    #[schema(value_type = Option<String>, format = DateTime)]
    last_seen: Option<Timestamp>,
}

impl From<site_plan::PlanDevice> for DeviceView {
    fn from(d: site_plan::PlanDevice) -> Self {
        Self {
            id: d.id,
            name: d.name,
            kind: d.kind,
            zone: d.zone,
            x: d.x,
            y: d.y,
            state: d.state,
            last_event_at: d.last_event_at,
            last_seen: d.last_seen,
        }
    }
}

fn estate_store(state: &AppState) -> Result<&Arc<dyn EstateStore>, ApiError> {
    state
        .estate
        .store
        .as_ref()
        .ok_or_else(|| ApiError::Unavailable("this node has no estate store".into()))
}

/// The estate's records in a scope, or `503` on a node without an estate
/// store.
async fn read_records(state: &AppState, scope: &TenantScope) -> Result<EstateRecords, ApiError> {
    Ok(EstateRecords::read(estate_store(state)?.as_ref(), scope).await?)
}

/// Draws one site with the devices its open alarms name.
async fn draw_site(
    state: &AppState,
    site: &Site,
    records: &EstateRecords,
    alarms: &[Alarm],
) -> Result<DrawnPlan, ApiError> {
    let store = estate_store(state)?;
    let alarmed = alarmed_devices(
        alarms
            .iter()
            .filter(|a| a.tenant == site.tenant && a.site.as_ref() == Some(&site.id))
            .flat_map(|a| &a.entities),
    );
    let plan = state
        .estate
        .plans
        .get(&(site.tenant.clone(), site.id.clone()));
    let now = state.desk.now();
    Ok(site_plan::draw_site(store.as_ref(), site, plan, records, alarmed, now).await?)
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
    let records = read_records(&state, &scope).await?;
    let mut out = Vec::with_capacity(sites.len());
    for site in &sites {
        let plan = draw_site(&state, site, &records, &alarms).await?;
        out.push(SiteSummary {
            tenant: site.tenant.to_string(),
            site: site.id.to_string(),
            name: site.name.clone(),
            devices: plan.devices.len(),
            offline: plan.devices.iter().filter(|d| d.state == "offline").count(),
            unknown: plan.devices.iter().filter(|d| d.state == "unknown").count(),
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
        ("tenant" = vigil_model::TenantId, Path, description = "The tenant's id"),
        ("site" = vigil_model::SiteId, Path, description = "The site's id"),
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
    let records = read_records(&state, &one).await?;
    let drawn = draw_site(&state, &found, &records, &alarms).await?;
    let image = super::site_image::image_url(&state, &caller, &tenant_id, &site_id).await?;
    Ok(Json(SitePlanView {
        image,
        tenant: found.tenant.to_string(),
        site: found.id.to_string(),
        name: found.name,
        width: drawn.width,
        height: drawn.height,
        areas: drawn.areas.into_iter().map(AreaView::from).collect(),
        devices: drawn.devices.into_iter().map(DeviceView::from).collect(),
    }))
}
