//! `bulk` sources: an Elasticsearch-compatible `_bulk` endpoint, for the
//! shippers that write to Elasticsearch (Filebeat, Winlogbeat and the other
//! Beats, Logstash's and Vector's `elasticsearch` outputs, Fluent Bit's
//! `es`, the Elasticsearch clients' bulk helpers).
//!
//! - `POST /_bulk` and `POST /{index}/_bulk` (or `PUT`): each `index` or `create`
//!   action's document is one event ([`decode`]); the answer lists every
//!   item as Elasticsearch does, with `errors` set when any failed;
//! - `GET /` (and `HEAD /`) from an API client: the version object shippers
//!   ask for before they send; a browser without credentials still gets
//!   the console ([`ApiRoot`]).
//!
//! The token of a `bulk` source — the password of Basic authentication
//! (any user name), an API key (`ApiKey base64(id:token)`) or a bearer
//! token — decides the tenant and site. Bodies may be gzip. The answer
//! comes once the documents are durable; a refused item is kept as a
//! dead letter.

pub mod answer;
pub mod decode;

use std::collections::BTreeMap;
use std::sync::{Arc, LazyLock};
use std::time::Instant;

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, Request, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use sha2::{Digest, Sha256};
use vigil_ingest::{Payload, Pipeline};
use vigil_model::{SourceBinding, SourceKind};
use vigil_store::Store;

use crate::config::{Env, SourceSection};
use crate::source::{Configured, Needs, Source, SourceContext, Started};
use crate::token::{Refusal, source_of_token};
use crate::wire::{BodyError, Scheme, credential, inflated};
use answer::{BulkAnswer, Cause, EsError, Info, ItemResult, Shards, error, respond};

/// The kind's name in `vigil.toml`.
pub const KIND: &str = "bulk";

/// The `bulk` kind.
pub static BULK: LazyLock<SourceKind> = LazyLock::new(|| {
    SourceKind::register(KIND).unwrap_or_else(|e| unreachable!("`{KIND}` is a valid kind: {e}"))
});

/// The ways a shipper presents its token.
const SCHEMES: [Scheme; 3] = [Scheme::Basic, Scheme::ApiKey, Scheme::Bearer];

/// Sources of kind `bulk`.
#[derive(Debug, Clone, Copy)]
pub struct BulkSource;

impl Source for BulkSource {
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
        let endpoint = BulkEndpoint {
            pipeline: context.pipeline.clone(),
            store: context.store.clone(),
            max_body_bytes: context.limits.max_ingest_bytes,
        };
        Ok(Started {
            api_root: Some(ApiRoot {
                store: context.store.clone(),
            }),
            router: router(endpoint),
            ..Started::default()
        })
    }
}

/// What the endpoint needs.
#[derive(Clone)]
pub struct BulkEndpoint {
    /// Where events go.
    pub pipeline: Pipeline,
    /// Where source tokens are looked up.
    pub store: Arc<dyn Store>,
    /// Largest body accepted, before and after decompression.
    pub max_body_bytes: usize,
}

/// The endpoint's routes, to merge into the node's router.
pub fn router(endpoint: BulkEndpoint) -> axum::Router {
    let limit = DefaultBodyLimit::max(endpoint.max_body_bytes);
    axum::Router::new()
        // Elasticsearch takes both; its Python client sends PUT.
        .route("/_bulk", post(bulk).put(bulk).layer(limit))
        .route(
            "/{index}/_bulk",
            post(bulk_into).put(bulk_into).layer(limit),
        )
        .with_state(endpoint)
}

/// Answers `GET /` for API clients in front of the console: shippers that
/// write to Elasticsearch ask for the version there first, and the console
/// sends browsers from there to its pages. A request with credentials, or
/// one that does not ask for HTML, is an API client's.
#[derive(Clone)]
pub struct ApiRoot {
    store: Arc<dyn Store>,
}

impl ApiRoot {
    /// `app`, with `GET /` and `HEAD /` from API clients answered here.
    pub fn around(self, app: axum::Router) -> axum::Router {
        app.layer(axum::middleware::from_fn_with_state(self, api_root))
    }
}

async fn api_root(State(root): State<ApiRoot>, request: Request, next: Next) -> Response {
    let is_root = request.uri().path() == "/"
        && (request.method() == Method::GET || request.method() == Method::HEAD);
    if !is_root || is_browser(request.headers()) {
        return next.run(request).await;
    }
    match binding(root.store.as_ref(), request.headers(), "/").await {
        Ok(_) => respond(StatusCode::OK, Info::vigil()),
        Err(refused) => refused,
    }
}

/// A browser on its own: it asks for HTML and brings no credentials.
fn is_browser(headers: &HeaderMap) -> bool {
    let wants_html = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|accept| accept.contains("text/html"));
    wants_html && !headers.contains_key(header::AUTHORIZATION)
}

/// Describes the cluster, as Elasticsearch's `GET /` does: what Beats,
/// Logstash and Vector ask before they send. Browsers without credentials
/// get the console instead (a `303` to its pages).
#[utoipa::path(
    get,
    path = "/",
    tag = "ingest",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The version object (with `X-Elastic-Product: Elasticsearch`)", body = Info),
        (status = 303, description = "A browser without credentials (it asks for text/html): to the console"),
        (status = 401, description = "No credentials, or not a known token (`security_exception`)", body = EsError),
        (status = 403, description = "The token belongs to a source of another kind (`security_exception`)", body = EsError),
        (status = 503, description = "Store unavailable; ask again (`Retry-After`)", body = EsError),
    )
)]
#[allow(dead_code)] // Documents `api_root`, which serves the path.
pub(crate) async fn info() {}

/// The `bulk` source the request's credentials name, or the refusal in
/// Elasticsearch's words.
async fn binding(
    store: &dyn Store,
    headers: &HeaderMap,
    path: &str,
) -> Result<SourceBinding, Response> {
    let token = credential(headers, &SCHEMES).map_err(|e| {
        error(
            StatusCode::UNAUTHORIZED,
            "security_exception",
            format!("missing authentication credentials for REST request [{path}]: {e}"),
        )
    })?;
    source_of_token(store, &token, &[*BULK])
        .await
        .map_err(|refusal| match refusal {
            Refusal::Unauthorized(why) => error(
                StatusCode::UNAUTHORIZED,
                "security_exception",
                format!("unable to authenticate for REST request [{path}]: {why}"),
            ),
            Refusal::Forbidden(why) => error(StatusCode::FORBIDDEN, "security_exception", why),
            other => refusal_answer(other),
        })
}

fn refusal_answer(refusal: Refusal) -> Response {
    match refusal {
        Refusal::Unavailable(why) => error(
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable_shards_exception",
            why,
        ),
        Refusal::Internal(why) => {
            tracing::error!(error = %why, "bulk request failed");
            error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "exception",
                "internal error",
            )
        }
        Refusal::Unauthorized(why) => error(StatusCode::UNAUTHORIZED, "security_exception", why),
        Refusal::Forbidden(why) => error(StatusCode::FORBIDDEN, "security_exception", why),
    }
}

fn body_refusal(e: BodyError) -> Response {
    let status = e.clone().into_response().status();
    let kind = match e {
        BodyError::Encoding(_) => "content_type_header_exception",
        BodyError::Gzip(_) => "parse_exception",
        BodyError::TooLarge(_) => "circuit_breaking_exception",
    };
    error(status, kind, e.to_string())
}

/// Takes documents as Elasticsearch's `_bulk` API does (`POST` or `PUT`).
///
/// Each `index` or `create` action's document becomes one event of the
/// token's source; `update` and `delete` are answered as failed items. The
/// answer comes once the events are durable.
#[utoipa::path(
    method(post, put),
    path = "/_bulk",
    tag = "ingest",
    request_body(content = String, content_type = "application/x-ndjson",
        description = "Action lines, each `index` or `create` followed by its document (NDJSON); gzip with `Content-Encoding: gzip`"),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Durable: every item's result; `errors` when any item failed (kept as a dead letter)", body = BulkAnswer),
        (status = 400, description = "A malformed action line (`illegal_argument_exception`); nothing was stored", body = EsError),
        (status = 401, description = "No credentials, or not a known token (`security_exception`)", body = EsError),
        (status = 403, description = "The token belongs to a source of another kind (`security_exception`)", body = EsError),
        (status = 413, description = "Body larger than the configured limit (before or after decompression)"),
        (status = 415, description = "A content encoding other than gzip", body = EsError),
        (status = 503, description = "Store unavailable; nothing was stored, send again (`Retry-After`)", body = EsError),
    )
)]
pub(crate) async fn bulk(
    State(endpoint): State<BulkEndpoint>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    take(&endpoint, None, &headers, &body).await
}

/// Takes documents into an index, as Elasticsearch's `/{index}/_bulk`:
/// actions that name no index take the path's.
#[utoipa::path(
    method(post, put),
    path = "/{index}/_bulk",
    tag = "ingest",
    params(("index" = String, Path, description = "The index for actions that name none (kept as the events' `_index`)")),
    request_body(content = String, content_type = "application/x-ndjson",
        description = "Action lines, each `index` or `create` followed by its document (NDJSON); gzip with `Content-Encoding: gzip`"),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Durable: every item's result; `errors` when any item failed (kept as a dead letter)", body = BulkAnswer),
        (status = 400, description = "A malformed action line (`illegal_argument_exception`); nothing was stored", body = EsError),
        (status = 401, description = "No credentials, or not a known token (`security_exception`)", body = EsError),
        (status = 403, description = "The token belongs to a source of another kind (`security_exception`)", body = EsError),
        (status = 413, description = "Body larger than the configured limit (before or after decompression)"),
        (status = 415, description = "A content encoding other than gzip", body = EsError),
        (status = 503, description = "Store unavailable; nothing was stored, send again (`Retry-After`)", body = EsError),
    )
)]
pub(crate) async fn bulk_into(
    State(endpoint): State<BulkEndpoint>,
    Path(index): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    take(&endpoint, Some(&index), &headers, &body).await
}

async fn take(
    endpoint: &BulkEndpoint,
    index: Option<&str>,
    headers: &HeaderMap,
    body: &[u8],
) -> Response {
    // Elapsed time for `took`, not a time of day: no clock is read.
    let started = Instant::now();
    let binding = match binding(endpoint.store.as_ref(), headers, "/_bulk").await {
        Ok(b) => b,
        Err(refused) => return refused,
    };
    let body = match inflated(headers, body, endpoint.max_body_bytes) {
        Ok(body) => body,
        Err(e) => return body_refusal(e),
    };
    let decoded = match decode::bulk(&body, index) {
        Ok(d) => d,
        Err(m) => return error(StatusCode::BAD_REQUEST, m.kind, m.reason),
    };
    let ids: Vec<String> = decoded
        .items
        .iter()
        .zip(&decoded.records)
        .map(|(item, (_, raw))| item.id.clone().unwrap_or_else(|| content_id(&binding, raw)))
        .collect();
    if !decoded.records.is_empty()
        && let Err(e) = endpoint
            .pipeline
            .ingest(&binding, Payload::Records(decoded.records))
            .await
    {
        return refusal_answer(Refusal::from(e));
    }
    let mut errors = false;
    let items = decoded
        .items
        .into_iter()
        .zip(ids)
        .map(|(item, id)| {
            let result = match item.error {
                None => ItemResult {
                    index: item.index,
                    id,
                    status: 201,
                    result: Some("created"),
                    version: Some(1),
                    shards: Some(Shards {
                        total: 1,
                        successful: 1,
                        failed: 0,
                    }),
                    error: None,
                },
                Some((kind, reason)) => {
                    errors = true;
                    ItemResult {
                        index: item.index,
                        id,
                        status: 400,
                        result: None,
                        version: None,
                        shards: None,
                        error: Some(Cause {
                            kind: kind.to_owned(),
                            reason,
                        }),
                    }
                }
            };
            BTreeMap::from([(item.op.name().to_owned(), result)])
        })
        .collect();
    respond(
        StatusCode::OK,
        BulkAnswer {
            took: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
            errors,
            items,
        },
    )
}

/// A document id from its content and source, for actions that name none:
/// a request sent again is answered with the same ids (and, its content
/// being the same, stores nothing new).
fn content_id(binding: &SourceBinding, raw: &[u8]) -> String {
    let mut hash = Sha256::new();
    hash.update(binding.id.as_str().as_bytes());
    hash.update([0]);
    hash.update(raw);
    hex::encode(&hash.finalize()[..15])
}

#[cfg(test)]
mod tests;
