//! Health, metrics, the API document, and configuration reads.

use axum::Json;
use axum::extract::State;
use axum::http::header::CONTENT_TYPE;
use axum::response::IntoResponse;
use serde::Serialize;
use utoipa::ToSchema;

use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, ErrorBody};

/// What `/healthz` found.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct Health {
    /// `ok` when the store and the bus are both reachable, else `unavailable`.
    pub status: &'static str,
    /// `ok`, or why the store could not be read.
    pub store: String,
    /// `ok`, or why the bus does not reach the other nodes.
    pub bus: String,
    /// `local` (this node alone) or `nats` (shared with other nodes).
    pub bus_kind: &'static str,
}

/// How long the store may take to answer the health check.
const STORE_CHECK: std::time::Duration = std::time::Duration::from_secs(3);

/// Health: whether this node can reach its store and its bus (`200`), or
/// which it cannot (`503`, so that a load balancer sends sources to
/// another node). No authentication.
#[utoipa::path(get, path = "/healthz", tag = "operations",
    responses((status = 200, description = "Store and bus reachable", body = Health),
              (status = 503, description = "The store or the bus is unreachable", body = Health)))]
pub(crate) async fn healthz(State(state): State<AppState>) -> impl IntoResponse {
    let store = match tokio::time::timeout(STORE_CHECK, state.desk.store().desk_feed_head()).await {
        Ok(Ok(_)) => "ok".to_owned(),
        Ok(Err(e)) => e.to_string(),
        Err(_) => format!("no answer within {STORE_CHECK:?}"),
    };
    let bus = match state.bus.reachable() {
        Ok(()) => "ok".to_owned(),
        Err(e) => e,
    };
    let healthy = store == "ok" && bus == "ok";
    let status = if healthy {
        axum::http::StatusCode::OK
    } else {
        axum::http::StatusCode::SERVICE_UNAVAILABLE
    };
    let health = Health {
        status: if healthy { "ok" } else { "unavailable" },
        store,
        bus,
        bus_kind: state.bus.kind(),
    };
    (status, Json(health))
}

/// Prometheus metrics (provider tokens only).
#[utoipa::path(get, path = "/metrics", tag = "operations",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Prometheus text exposition (OpenMetrics)", body = String, content_type = "application/openmetrics-text; version=1.0.0; charset=utf-8"),
        (status = 401, description = "No or unknown token", body = ErrorBody),
        (status = 403, description = "Not a provider token", body = ErrorBody),
    ))]
pub(crate) async fn metrics(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<impl IntoResponse, ApiError> {
    caller.require_provider()?;
    Ok((
        [(
            CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        state.pipeline.metrics().encode(),
    ))
}

/// This API's OpenAPI document.
#[utoipa::path(get, path = "/api/openapi.json", tag = "operations",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "OpenAPI 3.1 document", body = Object),
        (status = 401, description = "No or unknown token", body = ErrorBody),
    ))]
pub(crate) async fn openapi(_caller: Caller) -> Json<utoipa::openapi::OpenApi> {
    Json(super::openapi_document())
}

/// A tenant as the API shows it.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct TenantView {
    /// Its slug.
    pub id: String,
    /// Its display name.
    pub name: String,
    /// Where its data must stay (`EU/DE`), when configured.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub residency: Option<String>,
    /// Its sites, with the time zone their times are shown in.
    pub sites: Vec<SiteZone>,
}

/// A site's name and time zone.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct SiteZone {
    /// Its id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// IANA time zone (`Europe/Berlin`): the console shows the site's
    /// times in it, with the zone named.
    pub timezone: String,
}

/// The tenants the caller may see, with where each one's data must stay and
/// their sites' time zones.
#[utoipa::path(get, path = "/api/v1/tenants", tag = "operations",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Tenants in scope", body = Vec<TenantView>),
        (status = 401, description = "No or unknown token", body = ErrorBody),
    ))]
pub(crate) async fn tenants(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Vec<TenantView>>, ApiError> {
    let scope = caller.scope(None)?;
    let tenants = state.store.tenants(&scope).await?;
    let sites = state.store.sites(&scope).await?;
    Ok(Json(
        tenants
            .into_iter()
            .map(|t| TenantView {
                residency: state.desk.residency(&t.id).map(String::from),
                sites: sites
                    .iter()
                    .filter(|s| s.tenant == t.id)
                    .map(|s| SiteZone {
                        id: s.id.to_string(),
                        name: s.name.clone(),
                        timezone: s.timezone.clone(),
                    })
                    .collect(),
                id: t.id.to_string(),
                name: t.name,
            })
            .collect(),
    ))
}
