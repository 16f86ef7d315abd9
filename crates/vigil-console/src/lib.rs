//! Vigil's control-room console: the web pages operators run a shift on.
//!
//! The pages are static shells; a small amount of vanilla ES-module script
//! fetches the same `/api/v1` endpoints the CLI uses and draws the queue,
//! alarm and incident details, floor plans and charts. Everything is
//! embedded in the binary, so `cargo run` is still all it takes.
//!
//! Asset URLs carry a digest of every asset (`/assets/<digest>/…`), so they
//! can be cached for a year and a new build is fetched at once. Every page
//! is sent with a strict Content-Security-Policy: scripts only from this
//! origin, no inline script or style.

#![warn(missing_docs)]

mod assets;
mod pages;

use axum::Router;
use axum::routing::get;

pub use assets::{Asset, asset, asset_version};
pub use pages::{CONTENT_SECURITY_POLICY, Page};

/// The console's routes: the pages and their assets. It needs no state of
/// its own: sessions and data come from the API it calls.
pub fn router() -> Router {
    Router::new()
        .route("/", get(pages::root))
        .route("/login", get(pages::login))
        .route("/queue", get(pages::queue))
        .route("/alarms/{id}", get(pages::alarm))
        .route("/incidents", get(pages::incidents))
        .route("/incidents/{id}", get(pages::incident))
        .route("/sites", get(pages::sites))
        .route("/sites/{tenant}/{site}", get(pages::site))
        .route("/dashboards", get(pages::dashboards))
        .route("/shift", get(pages::shift))
        .route("/visitors", get(pages::visitors))
        .route("/sites/{tenant}/{site}/roll-call", get(pages::roll_call))
        .route("/sites/{tenant}/{site}/estate", get(pages::estate))
        .route("/assets/{version}/{*path}", get(assets::serve))
}
