//! What the Elasticsearch-compatible endpoints answer, in Elasticsearch's
//! shapes: the `_bulk` result with one entry per action, errors as
//! `{"error": {...}, "status": N}`, and the cluster's version object.

use std::collections::BTreeMap;

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::token::RETRY_AFTER_SECS;

/// The version Vigil's `GET /` claims: shippers pick their request format
/// by the major version (Beats, Logstash and Vector speak 8's `_bulk`).
pub const CLAIMED_VERSION: &str = "8.19.0";

/// The header Elasticsearch clients (8 and later) require in every answer.
pub const PRODUCT_HEADER: &str = "x-elastic-product";

/// A `_bulk` answer.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct BulkAnswer {
    /// Milliseconds the request took.
    pub took: u64,
    /// Whether any item failed.
    pub errors: bool,
    /// One entry per action, in order, keyed by the action (`index`,
    /// `create`, `update`, `delete`).
    pub items: Vec<BTreeMap<String, ItemResult>>,
}

/// What became of one action.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ItemResult {
    /// The index the action named.
    #[serde(rename = "_index")]
    pub index: String,
    /// The document's id: the action's, else one derived from the content
    /// (a request sent again gets the same ids).
    #[serde(rename = "_id")]
    pub id: String,
    /// The item's HTTP status: 201 stored, 400 refused (kept as a dead
    /// letter).
    pub status: u16,
    /// `created` for a stored document.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub result: Option<&'static str>,
    /// Always 1 for a stored document.
    #[serde(rename = "_version", skip_serializing_if = "Option::is_none")]
    pub version: Option<u64>,
    /// Shard counts, as Elasticsearch reports them (one, successful).
    #[serde(rename = "_shards", skip_serializing_if = "Option::is_none")]
    pub shards: Option<Shards>,
    /// Why the item failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<Cause>,
}

/// Shard counts of a stored document.
#[derive(Debug, Clone, Copy, Serialize, utoipa::ToSchema)]
pub struct Shards {
    /// Copies written.
    pub total: u32,
    /// Copies that succeeded.
    pub successful: u32,
    /// Copies that failed.
    pub failed: u32,
}

/// An error's type and reason.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Cause {
    /// Elasticsearch's error type (`document_parsing_exception` …).
    #[serde(rename = "type")]
    pub kind: String,
    /// What was wrong.
    pub reason: String,
}

/// An error answer to the whole request.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct EsError {
    /// The error.
    pub error: EsErrorDetail,
    /// The HTTP status, repeated.
    pub status: u16,
}

/// An error with its root causes.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct EsErrorDetail {
    /// The causes (here, the error itself).
    pub root_cause: Vec<Cause>,
    /// Elasticsearch's error type.
    #[serde(rename = "type")]
    pub kind: String,
    /// What was wrong.
    pub reason: String,
}

/// The cluster's description (`GET /`).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Info {
    /// The node's name.
    pub name: &'static str,
    /// The cluster's name.
    pub cluster_name: &'static str,
    /// The cluster's id.
    pub cluster_uuid: &'static str,
    /// The version claimed.
    pub version: Version,
    /// Elasticsearch's tagline, which some clients look for.
    pub tagline: &'static str,
}

/// A version object as Elasticsearch's.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Version {
    /// The version number ([`CLAIMED_VERSION`]).
    pub number: &'static str,
    /// `default`.
    pub build_flavor: &'static str,
    /// `vigil`.
    pub build_type: &'static str,
    /// Vigil's own version.
    pub build_hash: &'static str,
    /// Not a snapshot.
    pub build_snapshot: bool,
    /// The Lucene version of the claimed release.
    pub lucene_version: &'static str,
    /// Oldest wire-compatible version.
    pub minimum_wire_compatibility_version: &'static str,
    /// Oldest index-compatible version.
    pub minimum_index_compatibility_version: &'static str,
}

impl Info {
    /// Vigil's description.
    pub fn vigil() -> Info {
        Info {
            name: "vigil",
            cluster_name: "vigil",
            cluster_uuid: "vigil",
            version: Version {
                number: CLAIMED_VERSION,
                build_flavor: "default",
                build_type: "vigil",
                build_hash: env!("CARGO_PKG_VERSION"),
                build_snapshot: false,
                lucene_version: "9.12.2",
                minimum_wire_compatibility_version: "7.17.0",
                minimum_index_compatibility_version: "7.0.0",
            },
            tagline: "You Know, for Search",
        }
    }
}

/// `body` as JSON with `status` and the product header (and `Retry-After`
/// on a `503`, `WWW-Authenticate` on a `401`).
pub fn respond(status: StatusCode, body: impl Serialize) -> Response {
    let mut response = (status, Json(body)).into_response();
    let headers = response.headers_mut();
    headers.insert(PRODUCT_HEADER, HeaderValue::from_static("Elasticsearch"));
    if status == StatusCode::SERVICE_UNAVAILABLE {
        headers.insert(
            header::RETRY_AFTER,
            HeaderValue::from_static(RETRY_AFTER_SECS),
        );
    }
    if status == StatusCode::UNAUTHORIZED {
        headers.insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Basic realm=\"vigil\", ApiKey, Bearer realm=\"vigil\""),
        );
    }
    response
}

/// An error answer to the whole request.
pub fn error(status: StatusCode, kind: &str, reason: impl Into<String>) -> Response {
    let reason = reason.into();
    respond(
        status,
        EsError {
            error: EsErrorDetail {
                root_cause: vec![Cause {
                    kind: kind.to_owned(),
                    reason: reason.clone(),
                }],
                kind: kind.to_owned(),
                reason,
            },
            status: status.as_u16(),
        },
    )
}
