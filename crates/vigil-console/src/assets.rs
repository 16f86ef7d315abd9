//! The embedded styles, scripts and icon, and how they are served.

use std::sync::OnceLock;

use axum::extract::Path;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE, X_CONTENT_TYPE_OPTIONS};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

/// One embedded file.
#[derive(Debug, Clone, Copy)]
pub struct Asset {
    /// Its path under `/assets/<version>/`.
    pub path: &'static str,
    /// Its `Content-Type`.
    pub content_type: &'static str,
    /// Its bytes.
    pub body: &'static [u8],
}

macro_rules! asset {
    ($path:literal, $type:expr) => {
        Asset {
            path: $path,
            content_type: $type,
            body: include_bytes!(concat!("../assets/", $path)),
        }
    };
}

const JS: &str = "text/javascript; charset=utf-8";

/// Every asset the pages use.
pub const ASSETS: &[Asset] = &[
    asset!("console.css", "text/css; charset=utf-8"),
    asset!("icon.svg", "image/svg+xml"),
    asset!("js/app.js", JS),
    asset!("js/api.js", JS),
    asset!("js/alerting.js", JS),
    asset!("js/dom.js", JS),
    asset!("js/charts.js", JS),
    asset!("js/login.js", JS),
    asset!("js/queue.js", JS),
    asset!("js/alarm.js", JS),
    asset!("js/procedure.js", JS),
    asset!("js/video.js", JS),
    asset!("js/incidents.js", JS),
    asset!("js/incident.js", JS),
    asset!("js/nis2.js", JS),
    asset!("js/sites.js", JS),
    asset!("js/site.js", JS),
    asset!("js/dashboards.js", JS),
    asset!("js/bulk.js", JS),
    asset!("js/shift.js", JS),
    asset!("js/names.js", JS),
    asset!("js/zones.js", JS),
    asset!("js/visitors.js", JS),
    asset!("js/rollcall.js", JS),
    asset!("js/estate.js", JS),
];

/// The asset at `path`, if there is one.
pub fn asset(path: &str) -> Option<&'static Asset> {
    ASSETS.iter().find(|a| a.path == path)
}

/// A digest of every asset: part of each asset URL, so a changed asset
/// gets a new URL and a browser's year-long cache is never stale.
pub fn asset_version() -> &'static str {
    static VERSION: OnceLock<String> = OnceLock::new();
    VERSION.get_or_init(|| {
        let mut h = Sha256::new();
        for a in ASSETS {
            h.update(a.path.as_bytes());
            h.update([0]);
            h.update(a.body);
        }
        hex::encode(&h.finalize()[..8])
    })
}

/// `GET /assets/{version}/{*path}`.
pub(crate) async fn serve(Path((version, path)): Path<(String, String)>) -> Response {
    let Some(a) = asset(&path) else {
        return (StatusCode::NOT_FOUND, "no such asset").into_response();
    };
    // An old page may ask for an older version during an upgrade: give it
    // the current file, but do not let that answer be cached as the old one.
    let cache = if version == asset_version() {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    };
    let mut r = a.body.into_response();
    let h = r.headers_mut();
    h.insert(CONTENT_TYPE, HeaderValue::from_static(a.content_type));
    h.insert(CACHE_CONTROL, HeaderValue::from_static(cache));
    h.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_asset_is_found_by_its_path() {
        for a in ASSETS {
            assert!(!a.body.is_empty(), "{} is empty", a.path);
            assert_eq!(asset(a.path).map(|x| x.path), Some(a.path));
        }
        assert!(asset("../Cargo.toml").is_none());
        assert_eq!(asset_version().len(), 16);
    }

    #[test]
    fn every_module_import_names_an_embedded_asset() {
        // A script that imports a file we do not embed would fail in the
        // browser only; catch it here.
        for a in ASSETS.iter().filter(|a| a.path.ends_with(".js")) {
            let text = std::str::from_utf8(a.body).unwrap();
            for line in text.lines() {
                let Some(rest) = line.split(" from \"./").nth(1) else {
                    continue;
                };
                let name = rest.split('"').next().unwrap();
                assert!(
                    asset(&format!("js/{name}")).is_some(),
                    "{} imports {name}, which is not embedded",
                    a.path
                );
            }
        }
    }
}
