//! `hec` sources: a Splunk HTTP Event Collector-compatible endpoint, for
//! shippers that speak HEC (Vector's and Fluent Bit's `splunk` outputs,
//! the OpenTelemetry Collector's `splunk_hec` exporter, logging libraries).
//!
//! - `POST /services/collector/event` (and `/services/collector`): JSON
//!   event envelopes, one after another ([`decode`] says which fields they
//!   give);
//! - `POST /services/collector/raw`: one event per line;
//! - `POST /services/collector/ack`: which acknowledgement ids are durable.
//!
//! The token (`Authorization: Splunk <token>`, or `Bearer`, or Basic with
//! the token as password) of a `hec` source decides the tenant and site.
//! Bodies may be gzip. Answers are HEC's (`{"text":"Success","code":0}`)
//! and come once the events are durable; with a channel
//! (`X-Splunk-Request-Channel` or `?channel=`) the answer carries an
//! `ackId` that [`ack`] reports as durable. An event HEC would refuse
//! (no `event` field, not JSON) is kept as a dead letter and named in a
//! `400` with `invalid-event-number`, after the others are stored.

pub mod ack;
pub mod decode;

use std::collections::BTreeMap;
use std::sync::{Arc, LazyLock};

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::QueryRejection;
use axum::extract::{DefaultBodyLimit, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde::{Deserialize, Serialize};
use vigil_ingest::{Payload, Pipeline};
use vigil_model::{SourceBinding, SourceKind};
use vigil_store::Store;

use crate::config::{Env, SourceSection};
use crate::source::{Configured, Needs, Source, SourceContext, Started};
use crate::token::{RETRY_AFTER_SECS, Refusal, source_of_token};
use crate::wire::{BodyError, CredentialError, Scheme, credential, inflated};
use ack::{AckBook, MAX_QUERIED, valid_channel};

/// The kind's name in `vigil.toml`.
pub const KIND: &str = "hec";

/// The `hec` kind.
pub static HEC: LazyLock<SourceKind> = LazyLock::new(|| {
    SourceKind::register(KIND).unwrap_or_else(|e| unreachable!("`{KIND}` is a valid kind: {e}"))
});

/// The event endpoint's path.
pub const EVENT_PATH: &str = "/services/collector/event";
/// The event endpoint's older path (what `splunk_hec` exporters post to).
pub const COLLECTOR_PATH: &str = "/services/collector";
/// The raw endpoint's path.
pub const RAW_PATH: &str = "/services/collector/raw";
/// The acknowledgement endpoint's path.
pub const ACK_PATH: &str = "/services/collector/ack";

/// The header naming a request's channel.
const CHANNEL_HEADER: &str = "x-splunk-request-channel";

/// The ways a HEC client presents its token.
const SCHEMES: [Scheme; 3] = [Scheme::Splunk, Scheme::Bearer, Scheme::Basic];

/// Sources of kind `hec`.
#[derive(Debug, Clone, Copy)]
pub struct HecSource;

impl Source for HecSource {
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
            router: router(HecEndpoint {
                pipeline: context.pipeline.clone(),
                store: context.store.clone(),
                max_body_bytes: context.limits.max_ingest_bytes,
                acks: Arc::default(),
            }),
            ..Started::default()
        })
    }
}

/// What the endpoints need.
#[derive(Clone)]
pub struct HecEndpoint {
    /// Where events go.
    pub pipeline: Pipeline,
    /// Where source tokens are looked up.
    pub store: Arc<dyn Store>,
    /// Largest body accepted, before and after decompression.
    pub max_body_bytes: usize,
    /// The acknowledgement ids issued.
    pub acks: Arc<AckBook>,
}

/// The endpoints' routes, to merge into the node's router.
pub fn router(endpoint: HecEndpoint) -> axum::Router {
    let limit = DefaultBodyLimit::max(endpoint.max_body_bytes);
    axum::Router::new()
        .route(EVENT_PATH, post(event).layer(limit))
        .route(COLLECTOR_PATH, post(collector).layer(limit))
        .route(RAW_PATH, post(raw).layer(limit))
        .route(ACK_PATH, post(ack_status).layer(limit))
        .with_state(endpoint)
}

/// A HEC answer: `{"text":"Success","code":0}`, with the ack id when the
/// request named a channel, or what was wrong.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct HecAnswer {
    /// HEC's text for the code (with Vigil's detail after a colon).
    pub text: String,
    /// HEC's status code: 0 success, 2 token required, 3 invalid
    /// authorization, 4 invalid token, 5 no data, 6 invalid data format,
    /// 8 internal error, 9 busy, 10 channel missing, 11 invalid channel,
    /// 12 event field required, 13 event field blank, 15 indexed fields.
    pub code: u16,
    /// The request's acknowledgement id (with a channel).
    #[serde(rename = "ackId", skip_serializing_if = "Option::is_none")]
    pub ack_id: Option<u64>,
    /// The first refused event's place in the request, from 0.
    #[serde(
        rename = "invalid-event-number",
        skip_serializing_if = "Option::is_none"
    )]
    pub invalid_event_number: Option<usize>,
}

/// An ack query: the ids to ask about.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct AckQuery {
    /// Acknowledgement ids from earlier answers on the same channel.
    pub acks: Vec<u64>,
}

/// An ack answer: each queried id, `true` when its events are durable.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AckAnswer {
    /// Id (as text) to durable.
    pub acks: BTreeMap<String, bool>,
}

/// The query parameters HEC clients send.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct HecParams {
    /// The channel, when not in `X-Splunk-Request-Channel` (a GUID).
    pub channel: Option<String>,
    /// The raw endpoint's `host` for every line.
    pub host: Option<String>,
    /// The raw endpoint's `source` for every line.
    pub source: Option<String>,
    /// The raw endpoint's `sourcetype` for every line.
    pub sourcetype: Option<String>,
}

/// A HEC answer with `status`; a `503` also says when to come back.
fn respond(status: StatusCode, body: HecAnswer) -> Response {
    let mut response = (status, Json(body)).into_response();
    if status == StatusCode::SERVICE_UNAVAILABLE {
        response.headers_mut().insert(
            header::RETRY_AFTER,
            HeaderValue::from_static(RETRY_AFTER_SECS),
        );
    }
    response
}

/// A refusal in HEC's words.
fn answer(status: StatusCode, code: u16, text: impl Into<String>) -> Response {
    respond(
        status,
        HecAnswer {
            text: text.into(),
            code,
            ack_id: None,
            invalid_event_number: None,
        },
    )
}

fn refusal(refusal: Refusal) -> Response {
    match refusal {
        Refusal::Unauthorized(why) => {
            answer(StatusCode::FORBIDDEN, 4, format!("Invalid token: {why}"))
        }
        Refusal::Forbidden(why) => {
            answer(StatusCode::FORBIDDEN, 4, format!("Invalid token: {why}"))
        }
        Refusal::Unavailable(why) => answer(
            StatusCode::SERVICE_UNAVAILABLE,
            9,
            format!("Server is busy: {why}"),
        ),
        Refusal::Internal(why) => {
            tracing::error!(error = %why, "HEC request failed");
            answer(
                StatusCode::INTERNAL_SERVER_ERROR,
                8,
                "Internal server error",
            )
        }
    }
}

fn body_refusal(e: BodyError) -> Response {
    let status = e.clone().into_response().status();
    answer(status, 6, format!("Invalid data format: {e}"))
}

/// The `hec` source the request's token belongs to.
async fn binding(endpoint: &HecEndpoint, headers: &HeaderMap) -> Result<SourceBinding, Response> {
    let token = credential(headers, &SCHEMES).map_err(|e| match e {
        CredentialError::Missing(_) => answer(
            StatusCode::UNAUTHORIZED,
            2,
            format!("Token is required: {e}"),
        ),
        CredentialError::Malformed(_) => answer(
            StatusCode::UNAUTHORIZED,
            3,
            format!("Invalid authorization: {e}"),
        ),
    })?;
    source_of_token(endpoint.store.as_ref(), &token, &[*HEC])
        .await
        .map_err(refusal)
}

/// A bad request in HEC's words: its code and text.
type BadRequest = (u16, String);

/// The request's channel (header first, then query), if it names one.
fn channel(headers: &HeaderMap, params: &HecParams) -> Result<Option<String>, BadRequest> {
    let invalid = || {
        (
            11,
            "Invalid data channel: letters, digits and `-`, at most 128".to_owned(),
        )
    };
    let named = match headers.get(CHANNEL_HEADER) {
        Some(value) => Some(value.to_str().map_err(|_| invalid())?.trim().to_owned()),
        None => params.channel.clone(),
    };
    match named {
        Some(c) if !valid_channel(&c) => Err(invalid()),
        other => Ok(other),
    }
}

fn params(query: Result<Query<HecParams>, QueryRejection>) -> Result<HecParams, BadRequest> {
    query
        .map(|Query(p)| p)
        .map_err(|e| (6, format!("Invalid data format: {e}")))
}

/// What every HEC request carries: its source, query, body (inflated)
/// and channel.
struct Request {
    binding: SourceBinding,
    params: HecParams,
    body: Vec<u8>,
    channel: Option<String>,
}

impl Request {
    /// Reads the token, the query, the body and the channel, or answers
    /// why not.
    async fn read(
        endpoint: &HecEndpoint,
        query: Result<Query<HecParams>, QueryRejection>,
        headers: &HeaderMap,
        body: &[u8],
    ) -> Result<Request, Response> {
        let binding = binding(endpoint, headers).await?;
        let bad = |(code, text): BadRequest| answer(StatusCode::BAD_REQUEST, code, text);
        let params = params(query).map_err(bad)?;
        let body = inflated(headers, body, endpoint.max_body_bytes).map_err(body_refusal)?;
        let channel = channel(headers, &params).map_err(bad)?;
        Ok(Request {
            binding,
            params,
            body,
            channel,
        })
    }
}

/// Stores `records`, then answers: success with an ack id (for a channel),
/// or the first refused event.
async fn ingest(
    endpoint: &HecEndpoint,
    binding: &SourceBinding,
    channel: Option<String>,
    decoded: decode::Decoded,
) -> Response {
    if decoded.records.is_empty() {
        return answer(StatusCode::BAD_REQUEST, 5, "No data");
    }
    if let Err(e) = endpoint
        .pipeline
        .ingest(binding, Payload::Records(decoded.records))
        .await
    {
        return refusal(Refusal::from(e));
    }
    if let Some(problem) = decoded.problem {
        return respond(
            StatusCode::BAD_REQUEST,
            HecAnswer {
                text: problem.text.into(),
                code: problem.code,
                ack_id: None,
                invalid_event_number: Some(problem.event_number),
            },
        );
    }
    // Durable: only now is an ack id issued.
    let ack_id = channel.map(|c| endpoint.acks.issue(&binding.id, &c));
    Json(HecAnswer {
        text: "Success".into(),
        code: 0,
        ack_id,
        invalid_event_number: None,
    })
    .into_response()
}

/// Takes HEC event envelopes (Splunk's `/services/collector/event`).
///
/// The body is JSON objects one after another, each with an `event` (text
/// or an object) and optional `time`, `host`, `source`, `sourcetype`,
/// `index` and `fields`. The answer comes once the events are durable.
#[utoipa::path(
    post,
    path = "/services/collector/event",
    tag = "ingest",
    params(HecParams),
    request_body(content = String, content_type = "application/json",
        description = "HEC event envelopes (`{\"event\": …, \"time\": …}`), one after another; gzip with `Content-Encoding: gzip`"),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Durable; `ackId` with a channel", body = HecAnswer),
        (status = 400, description = "No data, an invalid channel, or a refused event (named by `invalid-event-number`; the other events are stored, the refused ones kept as dead letters)", body = HecAnswer),
        (status = 401, description = "No token (code 2), or not `Splunk <token>`, `Bearer <token>` or Basic (code 3)", body = HecAnswer),
        (status = 403, description = "Unknown token, or a token of a source of another kind (code 4)", body = HecAnswer),
        (status = 413, description = "Body larger than the configured limit (before or after decompression)"),
        (status = 415, description = "A content encoding other than gzip", body = HecAnswer),
        (status = 503, description = "Store unavailable; nothing was stored, send again (code 9, `Retry-After`)", body = HecAnswer),
    )
)]
pub(crate) async fn event(
    State(endpoint): State<HecEndpoint>,
    query: Result<Query<HecParams>, QueryRejection>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    events(endpoint, query, headers, body).await
}

/// Takes HEC event envelopes at Splunk's older path (as
/// `/services/collector/event`).
#[utoipa::path(
    post,
    path = "/services/collector",
    tag = "ingest",
    params(HecParams),
    request_body(content = String, content_type = "application/json",
        description = "HEC event envelopes, as for `/services/collector/event`"),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Durable; `ackId` with a channel", body = HecAnswer),
        (status = 400, description = "No data, an invalid channel, or a refused event (as for `/services/collector/event`)", body = HecAnswer),
        (status = 401, description = "No token (code 2), or not `Splunk <token>`, `Bearer <token>` or Basic (code 3)", body = HecAnswer),
        (status = 403, description = "Unknown token, or a token of a source of another kind (code 4)", body = HecAnswer),
        (status = 413, description = "Body larger than the configured limit (before or after decompression)"),
        (status = 415, description = "A content encoding other than gzip", body = HecAnswer),
        (status = 503, description = "Store unavailable; nothing was stored, send again (code 9, `Retry-After`)", body = HecAnswer),
    )
)]
pub(crate) async fn collector(
    State(endpoint): State<HecEndpoint>,
    query: Result<Query<HecParams>, QueryRejection>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    events(endpoint, query, headers, body).await
}

async fn events(
    endpoint: HecEndpoint,
    query: Result<Query<HecParams>, QueryRejection>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let Request {
        binding,
        body,
        channel,
        ..
    } = match Request::read(&endpoint, query, &headers, &body).await {
        Ok(r) => r,
        Err(r) => return r,
    };
    ingest(&endpoint, &binding, channel, decode::events(&body)).await
}

/// Takes raw lines (Splunk's `/services/collector/raw`): each line is an
/// event, a JSON object's keys as its fields, any other line its
/// `message`; `host`, `source` and `sourcetype` may come in the query.
#[utoipa::path(
    post,
    path = "/services/collector/raw",
    tag = "ingest",
    params(HecParams),
    request_body(content = String, content_type = "text/plain",
        description = "Lines, one event each; gzip with `Content-Encoding: gzip`"),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Durable; `ackId` with a channel", body = HecAnswer),
        (status = 400, description = "No data (code 5) or an invalid channel (code 11)", body = HecAnswer),
        (status = 401, description = "No token (code 2), or not `Splunk <token>`, `Bearer <token>` or Basic (code 3)", body = HecAnswer),
        (status = 403, description = "Unknown token, or a token of a source of another kind (code 4)", body = HecAnswer),
        (status = 413, description = "Body larger than the configured limit (before or after decompression)"),
        (status = 415, description = "A content encoding other than gzip", body = HecAnswer),
        (status = 503, description = "Store unavailable; nothing was stored, send again (code 9, `Retry-After`)", body = HecAnswer),
    )
)]
pub(crate) async fn raw(
    State(endpoint): State<HecEndpoint>,
    query: Result<Query<HecParams>, QueryRejection>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let Request {
        binding,
        params,
        body,
        channel,
    } = match Request::read(&endpoint, query, &headers, &body).await {
        Ok(r) => r,
        Err(r) => return r,
    };
    let meta: Vec<(&'static str, String)> = [
        ("host", &params.host),
        ("source", &params.source),
        ("sourcetype", &params.sourcetype),
    ]
    .into_iter()
    .filter_map(|(k, v)| v.clone().map(|v| (k, v)))
    .collect();
    let decoded = decode::Decoded {
        records: decode::lines(&body, &meta),
        problem: None,
    };
    ingest(&endpoint, &binding, channel, decoded).await
}

/// Reports which acknowledgement ids of a channel are durable (Splunk's
/// `/services/collector/ack`): `true` for every id this channel was given
/// (ids are given only once their events are durable), `false` for others
/// — a client sends those requests again, which stores nothing twice.
#[utoipa::path(
    post,
    path = "/services/collector/ack",
    tag = "ingest",
    params(HecParams),
    request_body(content = AckQuery, description = "The ids to ask about (at most 10,000)"),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Each id, durable or not", body = AckAnswer),
        (status = 400, description = "No channel (code 10), an invalid channel (code 11), or not `{\"acks\": [ids]}` (code 6)", body = HecAnswer),
        (status = 401, description = "No token (code 2), or not `Splunk <token>`, `Bearer <token>` or Basic (code 3)", body = HecAnswer),
        (status = 403, description = "Unknown token, or a token of a source of another kind (code 4)", body = HecAnswer),
        (status = 413, description = "Body larger than the configured limit"),
        (status = 415, description = "A content encoding other than gzip", body = HecAnswer),
        (status = 503, description = "Store unavailable (code 9, `Retry-After`)", body = HecAnswer),
    )
)]
pub(crate) async fn ack_status(
    State(endpoint): State<HecEndpoint>,
    query: Result<Query<HecParams>, QueryRejection>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let Request {
        binding,
        body,
        channel,
        ..
    } = match Request::read(&endpoint, query, &headers, &body).await {
        Ok(r) => r,
        Err(r) => return r,
    };
    let Some(channel) = channel else {
        return answer(StatusCode::BAD_REQUEST, 10, "Data channel is missing");
    };
    let query: AckQuery = match serde_json::from_slice(&body) {
        Ok(q) => q,
        Err(e) => {
            return answer(
                StatusCode::BAD_REQUEST,
                6,
                format!("Invalid data format: expected {{\"acks\": [ids]}}: {e}"),
            );
        }
    };
    if query.acks.len() > MAX_QUERIED {
        return answer(
            StatusCode::BAD_REQUEST,
            6,
            format!("Invalid data format: at most {MAX_QUERIED} ids a query"),
        );
    }
    Json(AckAnswer {
        acks: endpoint.acks.status(&binding.id, &channel, &query.acks),
    })
    .into_response()
}

#[cfg(test)]
mod tests;
