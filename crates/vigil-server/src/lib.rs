//! Vigil's network edge.
//!
//! - the HTTP API under `/api/v1` (alerts, events, dead letters, the desk,
//!   the site view), described by the OpenAPI document at
//!   `/api/openapi.json` (which also describes the sources' endpoints:
//!   they are served by `vigil-sources`, merged into the same router);
//! - `/healthz` and `/metrics`.
//!
//! Every endpoint but `/healthz` authenticates with a bearer token. API
//! tokens carry a role and (for client roles) a tenant; ingest tokens belong
//! to one source binding, which fixes the tenant of everything sent with it.
//! The console logs in once with an API token (`POST /api/v1/session`) and
//! then authenticates with an `HttpOnly` session cookie instead; writes made
//! with the cookie must echo the session's CSRF value (see [`session`]).

#![warn(missing_docs)]

mod api;
pub mod auth;
mod error;
pub mod session;
mod session_auth;
pub mod site_plan;
pub mod throttle;
pub mod tls;

use std::sync::Arc;

use axum::Router;
use vigil_ingest::Pipeline;
use vigil_store::{Bus, Store};

pub use api::openapi_document;
pub use error::ApiError;

/// What every request handler shares.
#[derive(Debug, Clone)]
pub struct AppState {
    /// The ingest pipeline.
    pub pipeline: Pipeline,
    /// The durable record.
    pub store: Arc<dyn Store>,
    /// The live stream.
    pub bus: Arc<dyn Bus>,
    /// The operator's desk: alarms, incidents, audit.
    pub desk: vigil_desk::service::Desk,
    /// Console sessions (browser logins) of this node.
    pub sessions: session::SessionStore,
    /// The site view's and dashboards' sources: the estate store, floor
    /// plans, facts about the rules (`Default` serves neither plans nor
    /// sites: the site endpoints answer `503`).
    pub estate: site_plan::EstateView,
}

/// The whole HTTP application.
pub fn router(state: AppState) -> Router {
    api::routes(state)
}
