//! `http` sources: events posted over HTTP with a source's ingest token —
//! NDJSON at `POST /api/v1/ingest` ([`ingest`]) and, for access-control
//! systems (product `access`, or an `[sources.access]` table), their live
//! events at `POST /api/v1/access/events` ([`crate::access::endpoint`]).
//!
//! The token decides the tenant and site of every event; what the events
//! say about their tenant is kept as data only. Both answer after the batch
//! is durable.

use std::collections::HashMap;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::HeaderMap;
use axum::routing::post;
use vigil_ingest::{IngestOutcome, Payload, Pipeline};
use vigil_model::SourceKind;
use vigil_store::Store;

use crate::access::endpoint::{AccessEndpoint, expect_readers, reader_records};
use crate::access::live::AccessConfig;
use crate::config::{Env, SourceSection};
use crate::source::{Configured, Needs, Source, SourceContext, Started};
use crate::token::{ErrorBody, Refusal, source_of_bearer};

/// The NDJSON endpoint's path.
pub const INGEST_PATH: &str = "/api/v1/ingest";

/// Sources of kind `http`.
#[derive(Debug, Clone, Copy)]
pub struct HttpSource;

impl Source for HttpSource {
    /// The access-control settings, for access sources that have them.
    type Settings = Option<AccessConfig>;

    fn kinds(&self) -> &'static [&'static str] {
        &["http"]
    }

    fn tables(&self) -> &'static [&'static str] {
        &["access"]
    }

    fn needs(&self, _kind: SourceKind) -> Needs {
        Needs {
            token: true,
            listen: false,
        }
    }

    fn configure(&self, section: &SourceSection, _env: Env<'_>) -> anyhow::Result<Self::Settings> {
        let Some(access) = section.table::<AccessConfig>("access")? else {
            return Ok(None);
        };
        access.validate()?;
        Ok(Some(access))
    }

    async fn start(
        &self,
        sources: Vec<Configured<Self::Settings>>,
        context: &SourceContext,
    ) -> anyhow::Result<Started> {
        let mut access = AccessEndpoint {
            pipeline: context.pipeline.clone(),
            store: context.store.clone(),
            sources: HashMap::new(),
            supervision: Some(context.supervision.clone()),
        };
        let mut started = Started::default();
        let now = context.pipeline.clock().now();
        for source in sources {
            if let Some(config) = source.settings {
                expect_readers(&context.supervision, &source.binding, &config, now);
                started
                    .devices
                    .extend(reader_records(&source.binding, &config));
                access.sources.insert(source.binding.id.clone(), config);
            }
        }
        let ndjson = NdjsonEndpoint {
            pipeline: context.pipeline.clone(),
            store: context.store.clone(),
        };
        started.router = axum::Router::new()
            .route(
                INGEST_PATH,
                post(ingest).layer(DefaultBodyLimit::max(context.limits.max_ingest_bytes)),
            )
            .with_state(ndjson)
            .merge(crate::access::endpoint::router(access));
        Ok(started)
    }
}

/// What the NDJSON endpoint needs.
#[derive(Clone)]
pub(crate) struct NdjsonEndpoint {
    pipeline: Pipeline,
    store: std::sync::Arc<dyn Store>,
}

/// Accepts a batch of newline-delimited JSON events from one source.
///
/// The source's token decides the tenant and site of every event; what the
/// events say about their tenant is kept as data only. The answer comes
/// after the batch is durable: a `200` means every accepted line is stored
/// and every rejected line is in dead letters with its reason. On a node
/// sharing its ingest with others (`[bus] url`), durable means held by the
/// cluster's ingest log: the answer says `logged` and how many records the
/// log took (`logged_records`); the node that consumes the tenant's
/// partition turns each into an event or a dead letter moments later.
#[utoipa::path(
    post,
    path = "/api/v1/ingest",
    tag = "ingest",
    request_body(content = Option<String>, content_type = "application/x-ndjson",
        description = "One JSON object per line (an empty or absent body is a batch of none, answered with zero counts)"),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Durable: accepted lines stored, rejected lines in dead letters; \
            or, with a shared ingest log, every line held by the log (`logged`, `logged_records`)",
            body = IngestOutcome),
        (status = 401, description = "No or unknown ingest token", body = ErrorBody),
        (status = 403, description = "The token belongs to a source of another kind", body = ErrorBody),
        (status = 413, description = "Body larger than the configured limit"),
        (status = 503, description = "Store or ingest log unavailable; nothing was accepted, retry (any node)", body = ErrorBody),
    )
)]
pub(crate) async fn ingest(
    State(endpoint): State<NdjsonEndpoint>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<IngestOutcome>, Refusal> {
    let binding = source_of_bearer(endpoint.store.as_ref(), &headers, &[SourceKind::Http]).await?;
    let payload = Payload::Ndjson {
        body: body.to_vec(),
        first_line: 1,
        origin: None,
    };
    Ok(Json(endpoint.pipeline.ingest(&binding, payload).await?))
}
