//! The lifecycle of a client's security systems: `/api/v1/estate/{tenant}/…`
//! (the inventory with each device's findings, its history of changes, CSV
//! import, work orders)
//! and `/api/v1/advisories` (CSAF 2.0 import, provider staff only). The
//! desk checks roles (see `vigil_desk::permissions`); the tenant in the
//! path must be in the token's scope.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use vigil_desk::lifecycle::{AdvisoryImport, DeviceView, InventoryImport};
use vigil_desk::service::WorkOrderPlan;
use vigil_lifecycle::work_order::{WorkOrder, WorkStatus};

use super::desk::actor;
use super::governance::tenant_in_path;
use crate::AppState;
use crate::api::params::{JsonBody, Params, Path};
use crate::auth::Caller;
use crate::error::{ApiError, ErrorBody};

/// A client's inventory.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct InventoryBody {
    /// Advisories in the catalogue the devices were matched against.
    pub advisories: usize,
    /// Each device (vendor, model, serial, firmware, dates, position) with
    /// its findings: the advisories affecting it (id, title, CVEs, highest
    /// CVSS, since, certainty, advice) and whether it is past end of support.
    #[schema(value_type = Vec<Object>)]
    pub devices: Vec<DeviceView>,
}

/// A client's devices, each with the advisories affecting it and its
/// end-of-support flag.
#[utoipa::path(get, path = "/api/v1/estate/{tenant}/inventory", tag = "lifecycle",
    params(("tenant" = vigil_model::TenantId, Path, description = "The client")), security(("bearer" = [])),
    responses((status = 200, description = "The inventory with findings", body = InventoryBody),
              (status = 403, description = "Another client's", body = ErrorBody)))]
pub(crate) async fn inventory(
    State(state): State<AppState>,
    caller: Caller,
    Path(tenant): Path<String>,
) -> Result<Json<InventoryBody>, ApiError> {
    let tenant = tenant_in_path(&caller, &tenant)?;
    let actor = actor(&caller);
    let devices = state.desk.inventory_findings(&actor, &tenant).await?;
    let advisories = state.desk.advisory_count(&actor).await.unwrap_or(0);
    Ok(Json(InventoryBody {
        advisories,
        devices,
    }))
}

/// Which changes of an inventory's history to list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct ChangeParams {
    /// Only the changes of devices on this site.
    site: Option<vigil_model::SiteId>,
    /// Only the changes of the device with this id.
    device: Option<String>,
}

/// An inventory's history.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ChangeList {
    /// Oldest first: when, by whom, from where (`configuration`,
    /// `device_report` with its protocol, `import` with its file) and what
    /// (`added`, `removed`, or `updated` with each field's old and new
    /// value; the `configuration` field says whether the configuration
    /// names the device).
    #[schema(value_type = Vec<Object>)]
    pub items: Vec<vigil_lifecycle::inventory::Change>,
}

/// Every change of a client's inventory, or of one site's or device's.
#[utoipa::path(get, path = "/api/v1/estate/{tenant}/inventory/changes", tag = "lifecycle",
    params(("tenant" = vigil_model::TenantId, Path, description = "The client"), ChangeParams),
    security(("bearer" = [])),
    responses((status = 200, description = "The changes, oldest first", body = ChangeList),
              (status = 400, description = "A bad parameter (named)", body = ErrorBody),
              (status = 403, description = "Another client's", body = ErrorBody)))]
pub(crate) async fn inventory_changes(
    State(state): State<AppState>,
    caller: Caller,
    Path(tenant): Path<String>,
    Params(p): Params<ChangeParams>,
) -> Result<Json<ChangeList>, ApiError> {
    let tenant = tenant_in_path(&caller, &tenant)?;
    let inventory = state.desk.inventory(&actor(&caller), &tenant).await?;
    let items = inventory
        .history()
        .iter()
        .filter(|c| p.site.as_ref().is_none_or(|s| &c.site == s))
        .filter(|c| p.device.as_ref().is_none_or(|d| &c.device == d))
        .cloned()
        .collect();
    Ok(Json(ChangeList { items }))
}

/// Imports an inventory CSV (header row; `site`, `device_id`, `kind`,
/// `vendor`, `model` required; see docs/lifecycle.md): all of it or, on
/// any bad line, nothing — the error names the line and column.
#[utoipa::path(post, path = "/api/v1/estate/{tenant}/inventory", tag = "lifecycle",
    params(("tenant" = vigil_model::TenantId, Path, description = "The client")),
    request_body(content = String, content_type = "text/csv", description = "The inventory CSV"),
    security(("bearer" = [])),
    responses((status = 200, description = "Imported", body = InventoryImport),
              (status = 400, description = "A bad line (named), a duplicate serial, not UTF-8", body = ErrorBody),
              (status = 403, description = "Not provider staff, or another client's", body = ErrorBody),
              (status = 404, description = "No such client", body = ErrorBody),
              (status = 409, description = "The inventory changed meanwhile; try again", body = ErrorBody),
              (status = 413, description = "Larger than the request body limit")))]
pub(crate) async fn import_inventory(
    State(state): State<AppState>,
    caller: Caller,
    Path(tenant): Path<String>,
    body: Bytes,
) -> Result<Json<InventoryImport>, ApiError> {
    let tenant = tenant_in_path(&caller, &tenant)?;
    let text = std::str::from_utf8(&body)
        .map_err(|e| ApiError::BadRequest(format!("csv: not UTF-8 ({e})")))?;
    let import = state
        .desk
        .import_inventory(&actor(&caller), &tenant, text, None)
        .await?;
    Ok(Json(import))
}

/// Imports one CSAF 2.0 advisory, or a JSON array of them, into the
/// provider-wide catalogue (a newer revision replaces the one held). A
/// document that does not validate is refused with its JSON path, and
/// nothing is imported.
#[utoipa::path(post, path = "/api/v1/advisories", tag = "lifecycle",
    request_body(content = Object, content_type = "application/json", description = "A CSAF 2.0 document or an array of them"),
    security(("bearer" = [])),
    responses((status = 200, description = "Imported", body = AdvisoryImport),
              (status = 400, description = "Not CSAF 2.0 (the JSON path named)", body = ErrorBody),
              (status = 403, description = "Not provider staff", body = ErrorBody),
              (status = 409, description = "The catalogue changed meanwhile; try again", body = ErrorBody),
              (status = 413, description = "Larger than the request body limit")))]
pub(crate) async fn import_advisories(
    State(state): State<AppState>,
    caller: Caller,
    body: Bytes,
) -> Result<Json<AdvisoryImport>, ApiError> {
    caller.require_provider()?;
    let value: serde_json::Value = serde_json::from_slice(&body)
        .map_err(|e| ApiError::BadRequest(format!("not JSON: {e}")))?;
    let documents = match value {
        serde_json::Value::Array(items) => items,
        one => vec![one],
    };
    if documents.is_empty() {
        return Err(ApiError::BadRequest(
            "no documents: the array is empty".into(),
        ));
    }
    let mut advisories = Vec::with_capacity(documents.len());
    for (i, doc) in documents.iter().enumerate() {
        let bytes = serde_json::to_vec(doc).map_err(|e| ApiError::Internal(e.to_string()))?;
        let advisory = vigil_lifecycle::advisory::parse(&bytes)
            .map_err(|e| ApiError::BadRequest(format!("document {i}: {e}")))?;
        advisories.push(advisory);
    }
    let import = state
        .desk
        .import_advisories(&actor(&caller), advisories)
        .await?;
    Ok(Json(import))
}

/// A client's work orders.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct WorkOrderList {
    /// Newest window first.
    #[schema(value_type = Vec<Object>)]
    pub items: Vec<WorkOrder>,
}

/// One work order.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct WorkOrderBody {
    /// The work order: kind, description, window, devices, approver,
    /// status (`planned`, `approved`, `done`, `failed`, `rolled_back`),
    /// outcome.
    #[schema(value_type = Object)]
    pub work_order: WorkOrder,
}

/// A client's work orders.
#[utoipa::path(get, path = "/api/v1/estate/{tenant}/work-orders", tag = "lifecycle",
    params(("tenant" = vigil_model::TenantId, Path, description = "The client")), security(("bearer" = [])),
    responses((status = 200, description = "Work orders", body = WorkOrderList),
              (status = 403, description = "Another client's", body = ErrorBody)))]
pub(crate) async fn work_orders(
    State(state): State<AppState>,
    caller: Caller,
    Path(tenant): Path<String>,
) -> Result<Json<WorkOrderList>, ApiError> {
    let tenant = tenant_in_path(&caller, &tenant)?;
    let items = state.desk.work_orders(&actor(&caller), &tenant).await?;
    Ok(Json(WorkOrderList { items }))
}

/// Plans a work order on devices of the inventory (provider staff, or the
/// client's administrator); the named approver approves it.
#[utoipa::path(post, path = "/api/v1/estate/{tenant}/work-orders", tag = "lifecycle",
    params(("tenant" = vigil_model::TenantId, Path, description = "The client")),
    request_body = WorkOrderPlan, security(("bearer" = [])),
    responses((status = 200, description = "Planned", body = WorkOrderBody),
              (status = 400, description = "A window ending before it starts or longer than 14 days, a device not in the inventory, no approver", body = ErrorBody),
              (status = 403, description = "The caller may not, or another client's", body = ErrorBody),
              (status = 404, description = "No such client", body = ErrorBody)))]
pub(crate) async fn plan(
    State(state): State<AppState>,
    caller: Caller,
    Path(tenant): Path<String>,
    JsonBody(plan): JsonBody<WorkOrderPlan>,
) -> Result<Json<WorkOrderBody>, ApiError> {
    let tenant = tenant_in_path(&caller, &tenant)?;
    let work_order = state.desk.plan_work(&actor(&caller), &tenant, plan).await?;
    Ok(Json(WorkOrderBody { work_order }))
}

/// The client's approver approves a work order: its window then holds back
/// its devices' alarms and covers their firmware changes.
#[utoipa::path(post, path = "/api/v1/estate/{tenant}/work-orders/{id}/approve", tag = "lifecycle",
    params(("tenant" = vigil_model::TenantId, Path, description = "The client"),
           ("id" = String, Path, description = "The work order")),
    security(("bearer" = [])),
    responses((status = 200, description = "Approved", body = WorkOrderBody),
              (status = 400, description = "The caller is not the named approver, or the order is not planned, or its window is over", body = ErrorBody),
              (status = 403, description = "Not the client's administrator", body = ErrorBody),
              (status = 404, description = "No such work order of the client", body = ErrorBody),
              (status = 409, description = "Changed meanwhile; try again", body = ErrorBody)))]
pub(crate) async fn approve(
    State(state): State<AppState>,
    caller: Caller,
    Path((tenant, id)): Path<(String, String)>,
) -> Result<Json<WorkOrderBody>, ApiError> {
    let tenant = tenant_in_path(&caller, &tenant)?;
    let work_order = state
        .desk
        .approve_work(&actor(&caller), &tenant, &id)
        .await?;
    Ok(Json(WorkOrderBody { work_order }))
}

/// How the work ended.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewOutcome {
    /// `done`, `failed` or `rolled_back`.
    #[schema(value_type = String, example = "done")]
    pub status: WorkStatus,
    /// What happened.
    #[serde(default)]
    #[schema(max_length = 2000)]
    pub note: String,
    /// The firmware the devices run now, for an upgrade.
    #[serde(default)]
    pub new_firmware: Option<String>,
}

/// Records how approved work ended (provider staff); its windows close.
#[utoipa::path(post, path = "/api/v1/estate/{tenant}/work-orders/{id}/outcome", tag = "lifecycle",
    params(("tenant" = vigil_model::TenantId, Path, description = "The client"),
           ("id" = String, Path, description = "The work order")),
    request_body = NewOutcome, security(("bearer" = [])),
    responses((status = 200, description = "Recorded", body = WorkOrderBody),
              (status = 400, description = "Not approved, or not an ending status", body = ErrorBody),
              (status = 403, description = "Not provider staff", body = ErrorBody),
              (status = 404, description = "No such work order of the client", body = ErrorBody),
              (status = 409, description = "Changed meanwhile; try again", body = ErrorBody)))]
pub(crate) async fn outcome(
    State(state): State<AppState>,
    caller: Caller,
    Path((tenant, id)): Path<(String, String)>,
    JsonBody(b): JsonBody<NewOutcome>,
) -> Result<Json<WorkOrderBody>, ApiError> {
    let tenant = tenant_in_path(&caller, &tenant)?;
    if b.note.chars().count() > 2000 {
        return Err(ApiError::BadRequest("note: at most 2000 characters".into()));
    }
    let work_order = state
        .desk
        .record_work(
            &actor(&caller),
            &tenant,
            &id,
            b.status,
            &b.note,
            b.new_firmware,
        )
        .await?;
    Ok(Json(WorkOrderBody { work_order }))
}
