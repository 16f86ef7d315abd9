//! `/api/v1/reports/service`: a client's monthly service report as JSON,
//! CSV, HTML or PDF. What the figures are and how they are counted:
//! `vigil_desk::reporting::service`; this scopes the request to the caller,
//! has the desk compute the report, and serves it in the asked form.

use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use utoipa::IntoParams;
use vigil_desk::reporting::render::{Format, file_name, render};
use vigil_desk::reporting::service::Month;
use vigil_desk::service::ServiceReportRequest;
use vigil_model::TenantId;
use vigil_store::{EstateStore, TenantScope};

use super::params::Params;
use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, ErrorBody};

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct ServiceReportParams {
    /// The client (client users: their own, always; provider users without
    /// it: every client).
    tenant: Option<TenantId>,
    /// The month, `YYYY-MM`, cut at midnight in the client's time zone.
    #[param(pattern = "^[0-9]{4}-(0[1-9]|1[0-2])$")]
    month: String,
    /// `json` (default), `csv`, `html` or `pdf`.
    format: Option<String>,
}

/// A client's monthly service report: acknowledgement shares, times to
/// detect, acknowledge, notify, contain and resolve, SLA clocks met and
/// breached per class, the false-alarm rate, categories, availability,
/// operators and weekly trends, with the rows behind every figure.
#[utoipa::path(
    get,
    path = "/api/v1/reports/service",
    tag = "desk",
    params(ServiceReportParams),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The report in the asked form", content(
            (Object = "application/json"),
            (String = "text/csv"),
            (String = "text/html"),
            (Vec<u8> = "application/pdf"),
        )),
        (status = 400, description = "Bad month or format", body = ErrorBody),
        (status = 401, description = "No or unknown token", body = ErrorBody),
        (status = 403, description = "Tenant not in the token's scope", body = ErrorBody),
    )
)]
pub(crate) async fn service(
    State(state): State<AppState>,
    caller: Caller,
    Params(p): Params<ServiceReportParams>,
) -> Result<Response, ApiError> {
    let scope = caller.scope(p.tenant.as_ref())?;
    let month = Month::parse(&p.month).map_err(|e| ApiError::BadRequest(e.to_string()))?;
    let format: Format = p.format.as_deref().unwrap_or("json").parse().map_err(
        |e: vigil_desk::reporting::render::FormatError| ApiError::BadRequest(e.to_string()),
    )?;
    let tenant = match scope {
        TenantScope::One(t) => Some(t),
        TenantScope::All => None,
    };
    let estate: Option<&dyn EstateStore> = match &state.estate.store {
        Some(s) => Some(s.as_ref()),
        None => None,
    };
    let report = state
        .desk
        .service_report(
            &ServiceReportRequest {
                tenant,
                month,
                as_of: None,
            },
            estate,
        )
        .await?;
    let body = render(&report, format).map_err(|e| ApiError::Internal(e.to_string()))?;
    let disposition = match format {
        Format::Json | Format::Html => "inline",
        Format::Csv | Format::Pdf => "attachment",
    };
    let name = file_name(&report, format);
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(format.content_type()),
    );
    // The file name is built from a tenant slug and a month: plain ASCII.
    if let Ok(v) = HeaderValue::from_str(&format!("{disposition}; filename=\"{name}\"")) {
        headers.insert(header::CONTENT_DISPOSITION, v);
    }
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}
