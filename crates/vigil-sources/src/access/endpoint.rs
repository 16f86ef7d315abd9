//! The access-control endpoint: `POST /api/v1/access/events`, where
//! access-control systems post their events as newline-delimited JSON.
//!
//! Authentication: `Authorization: Bearer <token>`, the ingest token of a
//! source whose product is `access` (or that has a `[sources.access]`
//! table); the token fixes the tenant and site, as on `/api/v1/ingest`.
//! Each line is read by [`super::live`]: the action in Vigil's words or the
//! system's own, a line that cannot be read goes to dead letters with its
//! reason, and the readers each event names are reported to supervision.
//! Answers `200` once every stored event is durable, with what became of
//! each line (the shape of `/api/v1/ingest`'s answer, plus `heartbeats`);
//! `401` for a missing or unknown token, `403` for a token of a source that
//! is not an access-control source, `503` when the store cannot take the
//! events (nothing was stored: send again).

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use serde::Serialize;
use vigil_ingest::{LineRejection, Payload, Pipeline};
use vigil_model::{SourceBinding, SourceId, SourceKind, Timestamp};
use vigil_store::DeviceRecord;
use vigil_store::Store;

use super::live::{AccessConfig, ReaderSignal, live_event};
use crate::token::{ErrorBody, Refusal, source_of_bearer};
use vigil_estate::supervision::{Heard, SupervisionHandle};

/// The endpoint's path.
pub const ACCESS_EVENTS_PATH: &str = "/api/v1/access/events";

/// Largest body accepted.
pub const MAX_ACCESS_BODY_BYTES: usize = 4 << 20;

/// Longest line accepted.
const MAX_LINE_BYTES: usize = 64 * 1024;

/// The device type of a supervised reader.
pub const READER_DEVICE_TYPE: &str = "reader";

/// What the endpoint needs.
#[derive(Clone)]
pub struct AccessEndpoint {
    /// Where events go.
    pub pipeline: Pipeline,
    /// Where source tokens are looked up.
    pub store: Arc<dyn Store>,
    /// The settings of each access source that has them.
    pub sources: HashMap<SourceId, AccessConfig>,
    /// Supervision of readers, when any is supervised.
    pub supervision: Option<SupervisionHandle>,
}

impl std::fmt::Debug for AccessEndpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AccessEndpoint")
            .field("sources", &self.sources.len())
            .finish_non_exhaustive()
    }
}

/// What became of a body.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct AccessOutcome {
    /// Lines stored as events.
    pub accepted: usize,
    /// Heartbeats (supervision only, not stored).
    pub heartbeats: usize,
    /// Lines refused (kept as dead letters), with their line and reason.
    pub rejected: Vec<LineRejection>,
    /// Alerts raised for the first time.
    pub alerts_created: usize,
    /// Existing alerts that gained evidence.
    pub alerts_updated: usize,
}

/// The endpoint's route, to merge into the server's router.
pub fn router(endpoint: AccessEndpoint) -> Router {
    Router::new()
        .route(
            ACCESS_EVENTS_PATH,
            post(events).layer(DefaultBodyLimit::max(MAX_ACCESS_BODY_BYTES)),
        )
        .with_state(endpoint)
}

/// Accepts live events from an access-control system, as NDJSON.
///
/// Each line is read in Vigil's words or the system's own; a line that
/// cannot be read goes to dead letters with its reason, and the readers
/// each event names are reported to supervision. Answers once every stored
/// event is durable.
#[utoipa::path(
    post,
    path = "/api/v1/access/events",
    tag = "ingest",
    request_body(content = Option<String>, content_type = "application/x-ndjson",
        description = "One access event per line: `action` in Vigil's words (`access_granted`, `access_denied` with `reason`, `door_forced_open`, `door_held_open`, `duress`, `tamper`, `reader_offline`, `heartbeat` …) or the vendor's own, `time`, `door`, `reader`, `zone`, `badge`"),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Durable: accepted lines stored, refused lines in dead letters", body = AccessOutcome),
        (status = 401, description = "No or unknown ingest token", body = ErrorBody),
        (status = 403, description = "The token's source is not an access-control source", body = ErrorBody),
        (status = 413, description = "Body larger than 4 MiB"),
        (status = 503, description = "The store cannot take the events; nothing was stored, send again", body = ErrorBody),
    )
)]
pub(crate) async fn events(
    State(endpoint): State<AccessEndpoint>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let binding =
        match source_of_bearer(endpoint.store.as_ref(), &headers, &[SourceKind::Http]).await {
            Ok(binding) => binding,
            Err(refusal) => return refusal.into_response(),
        };
    let config = endpoint.sources.get(&binding.id);
    if config.is_none() && !binding.product.eq_ignore_ascii_case("access") {
        return Refusal::Forbidden(
            "this token's source is not an access-control source (product `access`)".into(),
        )
        .into_response();
    }
    let now = endpoint.pipeline.clock().now();
    let read = read_body(&body);
    if let (Some(supervision), Some(config)) = (&endpoint.supervision, config) {
        report(supervision, &binding, config, &read.signals, now);
    }
    let mut outcome = AccessOutcome {
        heartbeats: read.heartbeats,
        rejected: read.rejected,
        ..AccessOutcome::default()
    };
    if !read.records.is_empty() {
        match endpoint
            .pipeline
            .ingest(&binding, Payload::Records(read.records))
            .await
        {
            Ok(done) => {
                outcome.accepted = done.accepted;
                outcome.alerts_created = done.alerts_created;
                outcome.alerts_updated = done.alerts_updated;
            }
            Err(e) => {
                tracing::error!(source = %binding.id, error = %e, "access events could not be stored");
                return Refusal::Unavailable(
                    "events could not be stored; nothing was stored, send again".into(),
                )
                .into_response();
            }
        }
    }
    Json(outcome).into_response()
}

/// A body, read: records to ingest (refused lines among them, as dead
/// letters), what the lines said about readers, and the refusals by line.
#[derive(Debug, Default)]
pub struct ReadBody {
    /// Events and dead letters, in line order.
    pub records: Vec<(Result<vigil_model::Fields, String>, Vec<u8>)>,
    /// Each line's word about its reader.
    pub signals: Vec<ReaderSignal>,
    /// Heartbeats read.
    pub heartbeats: usize,
    /// Refused lines.
    pub rejected: Vec<LineRejection>,
}

/// Reads an NDJSON body of live access events.
pub fn read_body(body: &[u8]) -> ReadBody {
    let mut out = ReadBody::default();
    let mut lines = vigil_codecs::ndjson_lines(body, MAX_LINE_BYTES);
    while let Some((line, raw, parsed)) = lines.next_with_raw() {
        let read = parsed
            .map_err(|e| e.kind.to_string())
            .and_then(|fields| live_event(fields).map_err(|e| e.to_string()));
        match read {
            Ok(event) => {
                out.signals.push(event.reader);
                match event.fields {
                    Some(fields) => out.records.push((Ok(fields), raw.to_vec())),
                    None => out.heartbeats += 1,
                }
            }
            Err(reason) => {
                let line = usize::try_from(line).unwrap_or(usize::MAX);
                out.records.push((
                    Err(format!("access event on line {line}: {reason}")),
                    raw.to_vec(),
                ));
                out.rejected.push(LineRejection { line, reason });
            }
        }
    }
    out
}

/// Tells supervision what the events said about the source's readers:
/// those with an interval are watched, the rest are not.
pub fn report(
    supervision: &SupervisionHandle,
    binding: &SourceBinding,
    config: &AccessConfig,
    signals: &[ReaderSignal],
    now: Timestamp,
) {
    for signal in signals {
        let (reader, offline) = match signal {
            ReaderSignal::Heard(r) => (r, false),
            ReaderSignal::Offline(r) => (r, true),
            ReaderSignal::None => continue,
        };
        let Some(interval) = config.interval_of(reader) else {
            continue;
        };
        let heard = Heard {
            binding: binding.clone(),
            device: reader.clone(),
            device_type: READER_DEVICE_TYPE.into(),
            interval,
            at: now,
            armed: None,
        };
        if offline {
            supervision.went_offline(
                heard,
                "the access-control system reported the reader offline",
            );
        } else {
            supervision.heard(heard);
        }
    }
}

/// Starts watching the readers configured with an interval, so that one
/// that never reports is lost after its interval.
pub fn expect_readers(
    supervision: &SupervisionHandle,
    binding: &SourceBinding,
    config: &AccessConfig,
    now: Timestamp,
) {
    for reader in &config.readers {
        if let Some(interval) = config.interval_of(&reader.id) {
            supervision.expect(&Heard {
                binding: binding.clone(),
                device: reader.id.clone(),
                device_type: READER_DEVICE_TYPE.into(),
                interval,
                at: now,
                armed: None,
            });
        }
    }
}

/// The readers of an access source, for the device register.
pub fn reader_records(binding: &SourceBinding, config: &AccessConfig) -> Vec<DeviceRecord> {
    config
        .readers
        .iter()
        .map(|r| DeviceRecord {
            tenant: binding.tenant.clone(),
            id: r.id.clone(),
            site: binding.site.clone(),
            kind: READER_DEVICE_TYPE.into(),
            zone: r.zone.clone(),
            name: r.name.clone(),
            covers_door: None,
            heartbeat_secs: config.interval_of(&r.id).map(|d| d.num_seconds()),
        })
        .collect()
}

#[cfg(test)]
#[path = "endpoint_tests.rs"]
mod tests;
