//! The push endpoint: cameras POST WS-BaseNotification `Notify` messages to
//! `/onvif/notify/{token}/{camera}`.
//!
//! Authentication: the token in the subscription URL's path. It is the
//! ingest token of an `onvif_push` source (configured like any source's,
//! as `token_sha256` or `token_env`), so it fixes the tenant and site; the
//! camera segment names the camera within that source. A path token is what
//! a camera can be given — ONVIF `Subscribe` takes a consumer address, not
//! credentials — so these URLs should only travel over TLS or a private
//! network. Answers: `200` once the events are durable (the camera may
//! then forget them), `401` for an unknown token, `400` with a SOAP fault
//! (and a dead letter) for a body that is not a notification.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use chrono::Duration;
use vigil_ingest::{Payload, Pipeline};
use vigil_model::{Fields, SourceBinding, SourceId, SourceKind};
use vigil_store::Store;

use super::events::{CameraPlace, CameraStates};
use super::notify::{Notification, parse_notifications};
use crate::token::{Refusal, source_of_token};
use vigil_estate::supervision::{Heard, SupervisionHandle};

/// Largest Notify body accepted.
pub const MAX_NOTIFY_BYTES: usize = 1 << 20;

/// What the push endpoint needs.
#[derive(Clone)]
pub struct OnvifPush {
    /// Where events go.
    pub pipeline: Pipeline,
    /// Where source tokens are looked up.
    pub store: Arc<dyn Store>,
    /// Cameras each source knows (camera id → place); a camera not listed is
    /// accepted under the id in its URL, without a zone.
    pub cameras: HashMap<SourceId, HashMap<String, CameraPlace>>,
    /// Heartbeat interval per source, for supervising its cameras.
    pub heartbeats: HashMap<SourceId, Duration>,
    /// Supervision, when cameras are supervised.
    pub supervision: Option<SupervisionHandle>,
    /// The cameras' property states (for `Initialized` resynchronisation).
    pub states: Arc<Mutex<CameraStates>>,
}

impl std::fmt::Debug for OnvifPush {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OnvifPush").finish_non_exhaustive()
    }
}

/// The routes of the push endpoint, to merge into the server's router.
pub fn router(push: OnvifPush) -> Router {
    Router::new()
        .route(
            "/onvif/notify/{token}/{camera}",
            post(notify).layer(DefaultBodyLimit::max(MAX_NOTIFY_BYTES)),
        )
        .with_state(push)
}

/// A camera id from a URL: a slug-like name, at most 64 characters.
fn valid_camera(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 64
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

fn soap_fault(status: StatusCode, reason: &str) -> Response {
    let text = quick_xml::escape::escape(reason);
    let body = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body><s:Fault><s:Code><s:Value>s:Sender</s:Value></s:Code><s:Reason><s:Text xml:lang="en">{text}</s:Text></s:Reason></s:Fault></s:Body></s:Envelope>"#
    );
    (
        status,
        [(header::CONTENT_TYPE, "application/soap+xml; charset=utf-8")],
        body,
    )
        .into_response()
}

/// The canonical bytes of one notification, for its fingerprint: the same
/// notification delivered twice is the same content.
pub fn canonical(camera: &str, n: &Notification) -> Vec<u8> {
    format!(
        "{camera}|{}|{}|{}|{:?}|{:?}|{:?}",
        n.raw_topic,
        n.utc_time.map(|t| t.timestamp_millis()).unwrap_or_default(),
        n.operation.as_str(),
        n.source,
        n.key,
        n.data
    )
    .into_bytes()
}

/// Turns notifications from `camera` into records, through `states`.
pub fn records(
    states: &Mutex<CameraStates>,
    place: &CameraPlace,
    notifications: &[Notification],
    now: vigil_model::Timestamp,
) -> Vec<(Result<Fields, String>, Vec<u8>)> {
    let mut states = states.lock().unwrap_or_else(|p| p.into_inner());
    notifications
        .iter()
        .filter_map(|n| {
            states
                .event(place, n, now)
                .map(|f| (Ok(f), canonical(&place.id, n)))
        })
        .collect()
}

/// Takes a camera's WS-BaseNotification `Notify` message.
///
/// The token in the path is the ingest token of an `onvif_push` source (a
/// camera's subscription carries only an address), the camera segment names
/// the camera within that source.
#[utoipa::path(
    post,
    path = "/onvif/notify/{token}/{camera}",
    tag = "ingest",
    params(
        ("token" = String, Path, description = "The ingest token of an `onvif_push` source"),
        ("camera" = String, Path, description = "The camera's id: letters, digits, `-`, `_` or `.`, at most 64"),
    ),
    request_body(content = String, content_type = "application/soap+xml",
        description = "A SOAP 1.2 envelope holding a WS-BaseNotification `Notify`"),
    responses(
        (status = 200, description = "Durable: the camera may forget the notifications"),
        (status = 400, description = "Not a notification (a SOAP fault; the body is kept as a dead letter)"),
        (status = 401, description = "Unknown notification token (a SOAP fault)"),
        (status = 413, description = "Body larger than 1 MiB"),
        (status = 503, description = "The store cannot take the events; send again (a SOAP fault)"),
    )
)]
pub(crate) async fn notify(
    State(push): State<OnvifPush>,
    Path((token, camera)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    let binding =
        match source_of_token(push.store.as_ref(), token.trim(), &[SourceKind::OnvifPush]).await {
            Ok(b) => b,
            Err(Refusal::Unavailable(_) | Refusal::Internal(_)) => {
                return soap_fault(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "store unavailable; send again",
                );
            }
            Err(_) => return soap_fault(StatusCode::UNAUTHORIZED, "unknown notification token"),
        };
    if !valid_camera(&camera) {
        return soap_fault(
            StatusCode::BAD_REQUEST,
            "the camera id in the URL must be letters, digits, `-`, `_` or `.`",
        );
    }
    let place = push
        .cameras
        .get(&binding.id)
        .and_then(|c| c.get(&camera))
        .cloned()
        .unwrap_or(CameraPlace {
            id: camera.clone(),
            zone: None,
            covers_door: None,
        });
    let now = push.pipeline.clock().now();
    let parsed = std::str::from_utf8(&body)
        .map_err(|e| format!("body is not UTF-8: {e}"))
        .and_then(|text| parse_notifications(text).map_err(|e| e.to_string()));
    let notifications = match parsed {
        Ok(n) => n,
        Err(reason) => {
            let letter = (
                Err(format!("ONVIF notify from camera `{camera}`: {reason}")),
                body.to_vec(),
            );
            if let Err(e) = push
                .pipeline
                .ingest(&binding, Payload::Records(vec![letter]))
                .await
            {
                tracing::warn!(error = %e, "onvif dead letter could not be stored");
            }
            return soap_fault(StatusCode::BAD_REQUEST, &reason);
        }
    };
    heard(&push, &binding, &place.id, now);
    let records = records(&push.states, &place, &notifications, now);
    if !records.is_empty()
        && let Err(e) = push
            .pipeline
            .ingest(&binding, Payload::Records(records))
            .await
    {
        tracing::error!(source = %binding.id, error = %e, "onvif events could not be stored");
        return soap_fault(
            StatusCode::SERVICE_UNAVAILABLE,
            "events could not be stored; send again",
        );
    }
    StatusCode::OK.into_response()
}

fn heard(push: &OnvifPush, binding: &SourceBinding, camera: &str, at: vigil_model::Timestamp) {
    if let (Some(s), Some(interval)) = (&push.supervision, push.heartbeats.get(&binding.id)) {
        s.heard(Heard {
            binding: binding.clone(),
            device: camera.to_owned(),
            device_type: "camera".into(),
            interval: *interval,
            at,
            armed: None,
        });
    }
}
