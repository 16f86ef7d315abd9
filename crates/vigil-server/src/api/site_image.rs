//! `/api/v1/sites/{tenant}/{site}/plan/image`: a site's floor-plan image,
//! served only to callers who may see the site. An SVG is served with a
//! policy that runs nothing in it, should anyone open it by itself.

use axum::extract::{Path, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use vigil_model::{SiteId, TenantId};

use super::desk::actor;
use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, ErrorBody};

/// The image's URL for a plan, with its digest so that a changed image is
/// fetched anew.
pub(crate) async fn image_url(
    state: &AppState,
    caller: &Caller,
    tenant: &TenantId,
    site: &SiteId,
) -> Result<Option<String>, ApiError> {
    Ok(state
        .desk
        .site_image(&actor(caller), tenant, site)
        .await?
        .map(|i| {
            format!(
                "/api/v1/sites/{tenant}/{site}/plan/image?v={}",
                &i.sha256[..16.min(i.sha256.len())]
            )
        }))
}

/// A site's floor-plan image (SVG or PNG), checked against its digest.
#[utoipa::path(get, path = "/api/v1/sites/{tenant}/{site}/plan/image", tag = "estate",
    params(("tenant" = String, Path, description = "The tenant's id"), ("site" = String, Path, description = "The site's id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The image", content_type = "image/svg+xml"),
        (status = 404, description = "No such site or image in the caller's scope", body = ErrorBody),
    ))]
pub(crate) async fn image(
    State(state): State<AppState>,
    caller: Caller,
    Path((tenant, site)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let not_found = || ApiError::NotFound(format!("no floor-plan image for `{tenant}/{site}`"));
    let tenant_id = TenantId::new(&tenant).map_err(|_| not_found())?;
    let site_id = SiteId::new(&site).map_err(|_| not_found())?;
    if !caller.scope(None)?.allows(&tenant_id) {
        return Err(not_found());
    }
    let image = state
        .desk
        .site_image(&actor(&caller), &tenant_id, &site_id)
        .await?
        .ok_or_else(not_found)?;
    let bytes = image.bytes().ok_or_else(not_found)?;
    let mut response = bytes.into_response();
    let headers = response.headers_mut();
    let content_type = HeaderValue::from_str(&image.content_type)
        .map_err(|e| ApiError::Internal(format!("content type: {e}")))?;
    headers.insert(header::CONTENT_TYPE, content_type);
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; style-src 'unsafe-inline'; sandbox"),
    );
    Ok(response)
}
