//! `GET /api/v1/stream`: server-sent events of desk changes in the caller's
//! scope.
//!
//! Each event is one change of a desk record (`event:` its kind, `id:` its
//! position in the desk feed, `data:` tenant, id, status, rank). The stream
//! reads the store's desk feed — so it also carries changes made by other
//! nodes — and is woken the moment this node commits, so a new alarm
//! reaches the console well within a second. A client that reconnects
//! with `Last-Event-ID` resumes where it left off.

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures::Stream;
use vigil_desk::Permission;

use super::actor;
use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, ErrorBody};

/// Longest wait between feed reads when nothing wakes the stream (changes
/// committed by other nodes).
const POLL: Duration = Duration::from_millis(500);

/// Live desk changes (text/event-stream).
#[utoipa::path(get, path = "/api/v1/stream", tag = "desk", security(("bearer" = [])),
    params(("Last-Event-ID" = Option<String>, Header, description = "Resume after this feed position")),
    responses((status = 200, description = "An event stream of desk changes in the caller's scope", content_type = "text/event-stream"),
              (status = 403, description = "The caller may not", body = ErrorBody)))]
pub(crate) async fn stream(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    let who = actor(&caller);
    who.require(Permission::View, who.tenant.as_ref())
        .map_err(ApiError::from)?;
    let scope = caller.scope(None)?;
    let resume = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<i64>().ok());
    let start = match resume {
        Some(n) => n,
        None => state.desk.store().desk_feed_head().await?,
    };
    let store = state.desk.store().clone();
    let changes = state.desk.changes();
    let events = futures::stream::unfold(
        (start, changes, store, scope),
        |(mut cursor, mut changes, store, scope)| async move {
            loop {
                match store.desk_feed(cursor, &scope, 200).await {
                    Ok(entries) if !entries.is_empty() => {
                        cursor = entries.last().map_or(cursor, |e| e.seq);
                        let batch: Vec<Result<Event, Infallible>> = entries
                            .iter()
                            .map(|e| {
                                Ok(Event::default()
                                    .id(e.seq.to_string())
                                    .event(e.kind.clone())
                                    .json_data(e)
                                    .unwrap_or_else(|_| Event::default().comment("unencodable")))
                            })
                            .collect();
                        return Some((
                            futures::stream::iter(batch),
                            (cursor, changes, store, scope),
                        ));
                    }
                    Ok(_) => {}
                    Err(e) => {
                        tracing::warn!(error = %e, "live stream could not read the desk feed")
                    }
                }
                tokio::select! {
                    _ = changes.changed() => {}
                    _ = tokio::time::sleep(POLL) => {}
                }
            }
        },
    );
    use futures::StreamExt;
    Ok(Sse::new(events.flatten()).keep_alive(KeepAlive::default()))
}
