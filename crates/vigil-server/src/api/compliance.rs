//! `/api/v1/compliance/{framework}/report`: a client's evidence pack for
//! ISO/IEC 27001:2022 Annex A or NIS-2 Art. 21(2), as JSON or PDF. What the
//! evidence is: `vigil_compliance::evidence`; this checks the request,
//! scopes it to the caller, and has the desk make (and record) the pack.

use crate::api::params::Path;
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use utoipa::IntoParams;
use vigil_compliance::FrameworkId;
use vigil_compliance::evidence::{Bound, PeriodSpec};
use vigil_desk::reporting::render::{EvidenceFormat, evidence_file_name, render_evidence};
use vigil_desk::service::ComplianceRequest;
use vigil_model::TenantId;
use vigil_store::{EstateStore, TenantScope};

use super::desk::actor;
use super::params::Params;
use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, ErrorBody};

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct EvidenceParams {
    /// The client (client users: their own, always; provider users must
    /// name one).
    tenant: Option<TenantId>,
    /// The first day (`YYYY-MM-DD`, from midnight in the client's time
    /// zone) or instant (RFC 3339).
    from: String,
    /// The last day (included) or the instant after the end (RFC 3339).
    to: String,
    /// `json` (default) or `pdf`.
    format: Option<String>,
}

/// A client's compliance evidence pack: per control (`A.5.1` … `A.8.34`,
/// or `21(2)(a)` … `21(2)(j)`) a status and the platform's evidence, each
/// entry with the SHA-256 of its canonical JSON. Making it records the
/// pack's digests in the audit chain (`compliance.report`) under a signed
/// checkpoint; `vigil compliance verify` checks an exported pack against it.
#[utoipa::path(
    get,
    path = "/api/v1/compliance/{framework}/report",
    tag = "compliance",
    params(
        ("framework" = FrameworkId, Path, description = "`iso27001` or `nis2`"),
        EvidenceParams,
    ),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The evidence pack in the asked form", content(
            (Object = "application/json"),
            (Vec<u8> = "application/pdf"),
        )),
        (status = 400, description = "Unknown framework, bad period or format, or no client named", body = ErrorBody),
        (status = 401, description = "No or unknown token", body = ErrorBody),
        (status = 403, description = "Client not in the token's scope", body = ErrorBody),
        (status = 404, description = "No such client", body = ErrorBody),
    )
)]
pub(crate) async fn report(
    State(state): State<AppState>,
    caller: Caller,
    Path(framework): Path<String>,
    Params(p): Params<EvidenceParams>,
) -> Result<Response, ApiError> {
    // Everything is checked before the desk reads or records anything.
    let framework: FrameworkId = framework
        .parse()
        .map_err(|e: vigil_compliance::CatalogueError| ApiError::BadRequest(e.to_string()))?;
    let tenant = match caller.scope(p.tenant.as_ref())? {
        TenantScope::One(t) => t,
        TenantScope::All => {
            return Err(ApiError::BadRequest(
                "tenant: an evidence pack is for one client; name it with `tenant=`".into(),
            ));
        }
    };
    let bound = |name: &str, text: &str| {
        Bound::parse(text).map_err(|e| ApiError::BadRequest(format!("{name}: {e}")))
    };
    let period = PeriodSpec {
        from: bound("from", &p.from)?,
        to: bound("to", &p.to)?,
    };
    let format: EvidenceFormat = p.format.as_deref().unwrap_or("json").parse().map_err(
        |e: vigil_desk::reporting::render::EvidenceFormatError| ApiError::BadRequest(e.to_string()),
    )?;
    let estate: Option<&dyn EstateStore> = match &state.estate.store {
        Some(s) => Some(s.as_ref()),
        None => None,
    };
    let pack = state
        .desk
        .compliance_report(
            &actor(&caller),
            &ComplianceRequest {
                tenant,
                framework,
                period,
            },
            estate,
        )
        .await?;
    let body = render_evidence(&pack, format).map_err(|e| ApiError::Internal(e.to_string()))?;
    let disposition = match format {
        EvidenceFormat::Json => "inline",
        EvidenceFormat::Pdf => "attachment",
    };
    let name = evidence_file_name(&pack, format);
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(format.content_type()),
    );
    // The file name is built from a tenant slug, a framework and dates: ASCII.
    if let Ok(v) = HeaderValue::from_str(&format!("{disposition}; filename=\"{name}\"")) {
        headers.insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(response)
}
