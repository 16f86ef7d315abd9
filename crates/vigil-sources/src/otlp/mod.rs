//! `otlp` sources: OpenTelemetry logs over HTTP at the protocol's standard
//! path, `POST /v1/logs`, as protobuf (`application/x-protobuf`) or
//! OTLP/JSON (`application/json`), plain or gzip — what the OpenTelemetry
//! Collector's `otlphttp` exporter and the SDKs' OTLP HTTP log exporters
//! send.
//!
//! The bearer token of an `otlp` source decides the tenant and site (the
//! Collector's `headers: {authorization: "Bearer …"}`). Each log record is
//! one event ([`decode`] says which fields it gets). The answer is the
//! protocol's `ExportLogsServiceResponse`, in the request's encoding, once
//! the batch is durable; refused records (in dead letters) are counted in
//! its `partial_success`. A `503` (with `Retry-After`) means nothing was
//! stored: OTLP exporters retry it.

pub mod decode;

use std::sync::{Arc, LazyLock};

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use opentelemetry_proto::tonic::collector::logs::v1::{
    ExportLogsPartialSuccess, ExportLogsServiceRequest, ExportLogsServiceResponse,
};
use prost::Message;
use vigil_ingest::{Payload, Pipeline};
use vigil_model::{SourceBinding, SourceKind};
use vigil_store::Store;

use crate::config::{Env, SourceSection};
use crate::source::{Configured, Needs, Source, SourceContext, Started};
use crate::token::{ErrorBody, Refusal, source_of_token};
use crate::wire::{CredentialError, Scheme, credential, inflated, media_type, refuse};

/// The endpoint's path (OTLP/HTTP's default for logs).
pub const LOGS_PATH: &str = "/v1/logs";

/// The kind's name in `vigil.toml`.
pub const KIND: &str = "otlp";

/// The `otlp` kind.
pub static OTLP: LazyLock<SourceKind> = LazyLock::new(|| {
    SourceKind::register(KIND).unwrap_or_else(|e| unreachable!("`{KIND}` is a valid kind: {e}"))
});

/// How many refusal reasons `partial_success.error_message` names.
const REASONS_NAMED: usize = 3;

/// Sources of kind `otlp`.
#[derive(Debug, Clone, Copy)]
pub struct OtlpSource;

impl Source for OtlpSource {
    type Settings = ();

    fn kinds(&self) -> &'static [&'static str] {
        &[KIND]
    }

    fn needs(&self, _kind: SourceKind) -> Needs {
        Needs {
            token: true,
            listen: false,
        }
    }

    fn configure(&self, _section: &SourceSection, _env: Env<'_>) -> anyhow::Result<()> {
        Ok(())
    }

    async fn start(
        &self,
        _sources: Vec<Configured<()>>,
        context: &SourceContext,
    ) -> anyhow::Result<Started> {
        Ok(Started {
            router: router(OtlpEndpoint {
                pipeline: context.pipeline.clone(),
                store: context.store.clone(),
                max_body_bytes: context.limits.max_ingest_bytes,
            }),
            ..Started::default()
        })
    }
}

/// What the endpoint needs.
#[derive(Clone)]
pub struct OtlpEndpoint {
    /// Where events go.
    pub pipeline: Pipeline,
    /// Where source tokens are looked up.
    pub store: Arc<dyn Store>,
    /// Largest body accepted, before and after decompression.
    pub max_body_bytes: usize,
}

/// The endpoint's route, to merge into the node's router.
pub fn router(endpoint: OtlpEndpoint) -> axum::Router {
    let limit = endpoint.max_body_bytes;
    axum::Router::new()
        .route(LOGS_PATH, post(logs).layer(DefaultBodyLimit::max(limit)))
        .with_state(endpoint)
}

/// The encodings OTLP/HTTP defines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Encoding {
    Protobuf,
    Json,
}

impl Encoding {
    fn content_type(self) -> &'static str {
        match self {
            Encoding::Protobuf => "application/x-protobuf",
            Encoding::Json => "application/json",
        }
    }
}

/// Accepts OpenTelemetry log records (OTLP/HTTP).
///
/// Each log record becomes one event of the token's source; the answer,
/// an `ExportLogsServiceResponse` in the request's encoding, comes once the
/// batch is durable, with refused records (kept as dead letters) counted in
/// `partial_success`.
#[utoipa::path(
    post,
    path = "/v1/logs",
    tag = "ingest",
    request_body(
        content(
            (Vec<u8> = "application/x-protobuf"),
            (serde_json::Value = "application/json"),
        ),
        description = "An OTLP `ExportLogsServiceRequest`, protobuf or OTLP/JSON, optionally with `Content-Encoding: gzip`"),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Durable: an `ExportLogsServiceResponse` in the request's encoding; `partial_success.rejected_log_records` counts the records kept as dead letters",
            content(
                (Vec<u8> = "application/x-protobuf"),
                (serde_json::Value = "application/json"),
            )),
        (status = 400, description = "The body is not an ExportLogsServiceRequest in the encoding its content type names", body = ErrorBody),
        (status = 401, description = "No or unknown ingest token", body = ErrorBody),
        (status = 403, description = "The token belongs to a source of another kind", body = ErrorBody),
        (status = 413, description = "Body larger than the configured limit (before or after decompression)"),
        (status = 415, description = "Neither application/x-protobuf nor application/json, or an encoding other than gzip", body = ErrorBody),
        (status = 503, description = "Store unavailable; nothing was stored, retry", body = ErrorBody),
    )
)]
pub(crate) async fn logs(
    State(endpoint): State<OtlpEndpoint>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let binding = match binding(&endpoint, &headers).await {
        Ok(binding) => binding,
        Err(refusal) => return refusal.into_response(),
    };
    let encoding = match media_type(&headers).as_deref() {
        Some("application/x-protobuf") => Encoding::Protobuf,
        Some("application/json") => Encoding::Json,
        other => {
            return refuse(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                format!(
                    "content type `{}` is not OTLP; send application/x-protobuf or application/json",
                    other.unwrap_or("")
                ),
            );
        }
    };
    let body = match inflated(&headers, &body, endpoint.max_body_bytes) {
        Ok(body) => body,
        Err(e) => return e.into_response(),
    };
    let request = match decode_request(encoding, &body) {
        Ok(request) => request,
        Err(reason) => return refuse(StatusCode::BAD_REQUEST, "bad_request", reason),
    };
    let records = decode::records(&request);
    let reasons: Vec<String> = records
        .iter()
        .filter_map(|(r, _)| r.as_ref().err().cloned())
        .collect();
    if !records.is_empty()
        && let Err(e) = endpoint
            .pipeline
            .ingest(&binding, Payload::Records(records))
            .await
    {
        return Refusal::from(e).into_response();
    }
    let partial_success = (!reasons.is_empty()).then(|| ExportLogsPartialSuccess {
        rejected_log_records: i64::try_from(reasons.len()).unwrap_or(i64::MAX),
        error_message: refusals_message(&reasons),
    });
    answer(encoding, &ExportLogsServiceResponse { partial_success })
}

/// The `otlp` source of the request's bearer token.
async fn binding(endpoint: &OtlpEndpoint, headers: &HeaderMap) -> Result<SourceBinding, Refusal> {
    let token = credential(headers, &[Scheme::Bearer]).map_err(|e| {
        Refusal::Unauthorized(match e {
            CredentialError::Missing(_) => "missing `Authorization: Bearer <token>` header",
            CredentialError::Malformed(_) => "the Authorization header must be `Bearer <token>`",
        })
    })?;
    source_of_token(endpoint.store.as_ref(), &token, &[*OTLP]).await
}

fn decode_request(encoding: Encoding, body: &[u8]) -> Result<ExportLogsServiceRequest, String> {
    match encoding {
        Encoding::Protobuf => ExportLogsServiceRequest::decode(body)
            .map_err(|e| format!("the body is not a protobuf ExportLogsServiceRequest: {e}")),
        Encoding::Json => serde_json::from_slice(body)
            .map_err(|e| format!("the body is not an OTLP/JSON ExportLogsServiceRequest: {e}")),
    }
}

fn refusals_message(reasons: &[String]) -> String {
    let mut message = format!("{} log record(s) kept as dead letters: ", reasons.len());
    message.push_str(&reasons[..reasons.len().min(REASONS_NAMED)].join("; "));
    if reasons.len() > REASONS_NAMED {
        message.push_str("; …");
    }
    message
}

fn answer(encoding: Encoding, response: &ExportLogsServiceResponse) -> Response {
    let body = match encoding {
        Encoding::Protobuf => response.encode_to_vec(),
        Encoding::Json => match serde_json::to_vec(response) {
            Ok(body) => body,
            Err(e) => return Refusal::Internal(e.to_string()).into_response(),
        },
    };
    (
        StatusCode::OK,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static(encoding.content_type()),
        )],
        body,
    )
        .into_response()
}

#[cfg(test)]
mod tests;
