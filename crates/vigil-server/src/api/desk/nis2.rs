//! `/api/v1/incidents/{id}/nis2/…`: an incident under NIS-2 Art. 23 — its
//! significance assessment and the analyst's decision, the report drafts
//! (JSON, the form that is submitted and digested, or PDF), and their
//! submissions. What is significant and what each report holds:
//! `vigil_compliance::nis2`; the desk records every step on the incident
//! and in the audit chain; this scopes, parses and serves.

use crate::api::params::Path;
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use vigil_compliance::nis2::{ReportDraft, ReportKind, Submission};
use vigil_desk::regulation::DraftContent;

use super::WithSla;
use super::actor;
use super::incidents::IncidentBody;
use crate::AppState;
use crate::api::params::{JsonBody, Params};
use crate::auth::Caller;
use crate::error::{ApiError, ErrorBody};

/// The facts of an incident, for its NIS-2 significance.
#[derive(Debug, Deserialize, ToSchema)]
pub(crate) struct Nis2FactsBody {
    /// `occurred_at`, `direct_financial_loss_eur`, `trade_secret_exfiltration_suspected`,
    /// `deaths`, `death_possible`, `considerable_health_damage`, `unauthorised_access`
    /// (`{successful, suspectedly_malicious, capable_of_severe_disruption}`),
    /// `complete_unavailability_seconds`, `limited_availability`, `data_compromise`,
    /// `planned_maintenance`, `apparent_root_cause`, `previous_incidents`.
    #[schema(value_type = Object)]
    pub facts: vigil_compliance::nis2::IncidentFacts,
}

/// Records an incident's facts and proposes its NIS-2 significance under
/// the client's profile (Implementing Regulation (EU) 2024/2690), criterion
/// by criterion with the facts each rests on.
#[utoipa::path(post, path = "/api/v1/incidents/{id}/nis2/assessment", tag = "desk", params(("id" = String, Path)), request_body = Nis2FactsBody, security(("bearer" = [])),
    responses((status = 200, description = "Assessed; the incident's `nis2` holds the proposal", body = IncidentBody),
              (status = 400, description = "A fact is wrong, or the client has no NIS-2 profile", body = ErrorBody),
              (status = 403, description = "The caller's role may not", body = ErrorBody),
              (status = 404, description = "No such incident in the caller's scope", body = ErrorBody)))]
pub(crate) async fn assess_nis2(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    JsonBody(b): JsonBody<Nis2FactsBody>,
) -> Result<Json<IncidentBody>, ApiError> {
    let incident = state
        .desk
        .assess_nis2(&actor(&caller), &id, b.facts)
        .await?;
    Ok(Json(IncidentBody {
        incident: WithSla::incident(&state.desk, incident),
    }))
}

/// An analyst's decision on the proposed significance.
#[derive(Debug, Deserialize, ToSchema)]
pub(crate) struct Nis2DecisionBody {
    /// Significant or not.
    pub significant: bool,
    /// Why; required when the decision differs from the proposal.
    #[serde(default)]
    pub reason: String,
}

/// Confirms the proposed NIS-2 significance, or changes it with a reason.
#[utoipa::path(post, path = "/api/v1/incidents/{id}/nis2/decision", tag = "desk", params(("id" = String, Path)), request_body = Nis2DecisionBody, security(("bearer" = [])),
    responses((status = 200, description = "Decided; a significant incident's Art. 23 deadlines show in `nis2_deadlines`", body = IncidentBody),
              (status = 400, description = "Not assessed yet, or changed without a reason", body = ErrorBody),
              (status = 403, description = "The caller's role may not", body = ErrorBody),
              (status = 404, description = "No such incident in the caller's scope", body = ErrorBody)))]
pub(crate) async fn decide_nis2(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    JsonBody(b): JsonBody<Nis2DecisionBody>,
) -> Result<Json<IncidentBody>, ApiError> {
    let incident = state
        .desk
        .decide_nis2(&actor(&caller), &id, b.significant, &b.reason)
        .await?;
    Ok(Json(IncidentBody {
        incident: WithSla::incident(&state.desk, incident),
    }))
}

/// A report kind in a path: `early_warning`, `incident_notification`,
/// `intermediate_report`, `final_report`, `progress_report`.
fn kind_of(text: &str) -> Result<ReportKind, ApiError> {
    ReportKind::ALL
        .into_iter()
        .find(|k| k.as_str() == text)
        .ok_or_else(|| {
            let known: Vec<&str> = ReportKind::ALL.iter().map(|k| k.as_str()).collect();
            ApiError::BadRequest(format!(
                "unknown NIS-2 report kind `{text}`; known: {}",
                known.join(", ")
            ))
        })
}

/// What the analyst adds to a report draft.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct DraftBody {
    /// `early_warning`, `incident_notification`, `intermediate_report`,
    /// `final_report` or `progress_report`.
    pub kind: ReportKind,
    /// The incident's impact, in words.
    #[serde(default)]
    pub impact: String,
    /// `{unlawful_or_malicious: yes|no|unknown, threat_type, root_cause}`;
    /// a final report needs the threat type or the root cause.
    #[schema(value_type = Object)]
    #[serde(default)]
    pub suspected_cause: vigil_compliance::nis2::SuspectedCause,
    /// `{possible: yes|no|unknown, member_states: ["DE", …], description}`.
    #[schema(value_type = Object)]
    #[serde(default)]
    pub cross_border: vigil_compliance::nis2::CrossBorderImpact,
    /// `{applied: […], ongoing: […]}`.
    #[schema(value_type = Object)]
    #[serde(default)]
    pub mitigation: vigil_compliance::nis2::Mitigation,
}

/// A drafted report and the incident it belongs to.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct DraftResponse {
    /// The draft: `kind`, `version`, `digest` (SHA-256 of the canonical
    /// JSON of `document`) and `document`.
    #[schema(value_type = Object)]
    pub draft: ReportDraft,
    /// The incident, its `nis2.drafts` holding every version.
    #[schema(value_type = Object)]
    pub incident: WithSla<vigil_desk::incident::Incident>,
}

/// Drafts the next version of an Art. 23(4) report from the incident's
/// record (timeline, severity, shareable indicators, significance) and the
/// analyst's additions; the draft's digest goes into the audit chain.
#[utoipa::path(post, path = "/api/v1/incidents/{id}/nis2/drafts", tag = "desk", params(("id" = String, Path)), request_body = DraftBody, security(("bearer" = [])),
    responses((status = 201, description = "Drafted", body = DraftResponse),
              (status = 400, description = "Not assessed, not significant, no NIS-2 profile, or what the kind needs is missing", body = ErrorBody),
              (status = 401, description = "No or unknown token", body = ErrorBody),
              (status = 403, description = "The caller's role may not", body = ErrorBody),
              (status = 404, description = "No such incident in the caller's scope", body = ErrorBody)))]
pub(crate) async fn draft(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    JsonBody(b): JsonBody<DraftBody>,
) -> Result<(StatusCode, Json<DraftResponse>), ApiError> {
    let content = DraftContent {
        impact: b.impact,
        suspected_cause: b.suspected_cause,
        cross_border: b.cross_border,
        mitigation: b.mitigation,
    };
    let (incident, draft) = state
        .desk
        .draft_nis2_report(&actor(&caller), &id, b.kind, content)
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(DraftResponse {
            draft,
            incident: WithSla::incident(&state.desk, incident),
        }),
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct DraftParams {
    /// `json` (default: the draft with its digest) or `pdf`.
    format: Option<String>,
}

/// One drafted version of a report, as drafted: JSON (the draft with its
/// digest) or a PDF of the same content.
#[utoipa::path(get, path = "/api/v1/incidents/{id}/nis2/drafts/{kind}/{version}", tag = "desk",
    params(("id" = String, Path), ("kind" = vigil_compliance::nis2::ReportKind, Path, description = "The report kind"), ("version" = u32, Path, description = "The draft version, from 1"), DraftParams),
    security(("bearer" = [])),
    responses((status = 200, description = "The draft", content((Object = "application/json"), (Vec<u8> = "application/pdf"))),
              (status = 400, description = "Unknown kind or format", body = ErrorBody),
              (status = 401, description = "No or unknown token", body = ErrorBody),
              (status = 403, description = "The caller's role may not", body = ErrorBody),
              (status = 404, description = "No such incident or version in the caller's scope", body = ErrorBody)))]
pub(crate) async fn draft_version(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, kind, version)): Path<(String, String, u32)>,
    Params(p): Params<DraftParams>,
) -> Result<Response, ApiError> {
    let kind = kind_of(&kind)?;
    let pdf = match p.format.as_deref().unwrap_or("json") {
        "json" => false,
        "pdf" => true,
        other => {
            return Err(ApiError::BadRequest(format!(
                "unknown format `{other}`; known: json, pdf"
            )));
        }
    };
    let draft = state
        .desk
        .nis2_report(&actor(&caller), &id, kind, version)
        .await?;
    if !pdf {
        return Ok(Json(draft).into_response());
    }
    let body = vigil_desk::reporting::render::nis2_draft_pdf(&draft);
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/pdf"),
    );
    // Incident ids are UUIDs and kinds ASCII words: a plain file name.
    let name = format!("nis2-{kind}-{id}-v{version}.pdf");
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
        headers.insert(header::CONTENT_DISPOSITION, v);
    }
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

/// A submission of a drafted version to the authority.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct SubmissionBody {
    /// The report kind.
    pub kind: ReportKind,
    /// The version sent.
    pub version: u32,
    /// To whom: the CSIRT or competent authority, or its portal.
    pub to: String,
}

/// A recorded submission and the incident it belongs to.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct SubmissionResponse {
    /// Who sent which version (and its digest) to whom, when.
    #[schema(value_type = Object)]
    pub submission: Submission,
    /// The incident; its `nis2_deadlines` count the submission.
    #[schema(value_type = Object)]
    pub incident: WithSla<vigil_desk::incident::Incident>,
}

/// Records that a drafted version was sent to the authority: on the
/// incident, where the Art. 23 deadlines read it, and in the audit chain
/// with the version's digest.
#[utoipa::path(post, path = "/api/v1/incidents/{id}/nis2/submissions", tag = "desk", params(("id" = String, Path)), request_body = SubmissionBody, security(("bearer" = [])),
    responses((status = 201, description = "Recorded", body = SubmissionResponse),
              (status = 400, description = "No such version drafted, or no recipient", body = ErrorBody),
              (status = 401, description = "No or unknown token", body = ErrorBody),
              (status = 403, description = "The caller's role may not", body = ErrorBody),
              (status = 404, description = "No such incident in the caller's scope", body = ErrorBody)))]
pub(crate) async fn submit(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    JsonBody(b): JsonBody<SubmissionBody>,
) -> Result<(StatusCode, Json<SubmissionResponse>), ApiError> {
    if b.to.len() > 512 {
        return Err(ApiError::BadRequest(
            "to: at most 512 bytes are taken".into(),
        ));
    }
    let (incident, submission) = state
        .desk
        .submit_nis2_report(&actor(&caller), &id, b.kind, b.version, &b.to)
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(SubmissionResponse {
            submission,
            incident: WithSla::incident(&state.desk, incident),
        }),
    ))
}
