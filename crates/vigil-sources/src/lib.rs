//! Vigil's sources: everything that brings events in, one folder each —
//! its configuration table, its decoding, its listener and its tests — in
//! the shape Vector gives its sources.
//!
//! | folder | kinds (`kind =` in `vigil.toml`) | acknowledges once durable with |
//! |---|---|---|
//! | [`http`] | `http` (NDJSON at `POST /api/v1/ingest`, access-control events at `POST /api/v1/access/events`) | HTTP 200 |
//! | [`syslog`] | `syslog_tcp`, `syslog_udp` | the next TCP read (backpressure) |
//! | [`dc09`] | `dc09_tcp`, `dc09_udp` (SIA DC-09 alarm panels) | DC-09 `ACK` |
//! | [`mqtt`] | `mqtt` (JSON and Sparkplug B sensors) | MQTT `PUBACK` |
//! | [`onvif`] | `onvif_push`, `onvif_pull` (cameras) | HTTP 200 / the next pull |
//! | [`bulk`] | `bulk` (Elasticsearch `_bulk`, and `GET /` for API clients) | per-item results |
//! | [`hec`] | `hec` (Splunk HEC: `/services/collector/event`, `/raw`, `/ack`) | HEC `Success`, ack ids |
//! | [`otlp`] | `otlp` (OpenTelemetry logs at `POST /v1/logs`, protobuf or JSON) | `ExportLogsServiceResponse` |
//! | [`relp`] | `relp` (rsyslog's RELP, `omrelp`) | RELP `rsp 200 OK` per message |
//!
//! Every source sits behind one trait, [`Source`]: from its configuration
//! section to running tasks that hand accepted batches to the ingest path
//! ([`vigil_ingest::Pipeline::ingest`]) and acknowledge only what it says is
//! durable. The [`Registry`] knows the source types; the binary configures
//! every `[[sources]]` entry through it and starts them in one loop.
//! Adding a protocol is one folder here and one line in
//! [`Registry::built_in`].
//!
//! Sources that listen on TCP (syslog, RELP, DC-09) take connections in
//! through one loop, [`accept`], with TLS from one table, [`tls`].
//!
//! Sources bound by a token (the HTTP-borne ones) check it in one place,
//! [`token`], which also holds each token to the kinds of source its
//! endpoint serves.

#![warn(missing_docs)]

pub mod accept;
pub mod access;
pub mod bulk;
mod config;
pub mod dc09;
pub mod hec;
pub mod http;
pub mod mqtt;
pub mod onvif;
pub mod otlp;
mod registry;
pub mod relp;
mod source;
pub mod syslog;
pub mod tls;
pub mod token;
mod wire;

pub use config::{ConfigError, Env, SourceSection, token_secret};
pub use registry::{ConfiguredSource, Registry, Running};
pub use source::{Configured, Limits, Needs, Source, SourceContext, Started};

/// The OpenAPI description of the sources' HTTP endpoints, merged into the
/// server's document.
pub fn openapi() -> utoipa::openapi::OpenApi {
    use utoipa::OpenApi;
    #[derive(OpenApi)]
    #[openapi(
        paths(
            http::ingest,
            access::endpoint::events,
            onvif::push::notify,
            otlp::logs,
            hec::event,
            hec::collector,
            hec::raw,
            hec::ack_status,
            bulk::bulk,
            bulk::bulk_into,
            bulk::info,
        ),
        tags(
            (name = "ingest", description = "Sending events"),
        )
    )]
    struct SourcesDoc;
    SourcesDoc::openapi()
}
