//! Vigil's parsers for outside input, and normalization into events.
//!
//! Pure and synchronous: the listeners own the sockets and call in here.
//! Every parser takes untrusted bytes, never panics on them, and reports
//! what was wrong and where (byte offset, line, column), so that a bad
//! input becomes a dead letter with a reason.
//!
//! The ingest path, by transport:
//! - syslog over UDP: each datagram → [`decode_message`] → [`normalize()`];
//! - syslog over TCP: bytes → [`FrameDecoder`] → each frame →
//!   [`decode_message`] → [`normalize()`];
//! - HTTP NDJSON: body → [`ndjson_lines`] → each object → [`normalize()`];
//! - `vigil ingest FILE`: [`JsonLinesReader`] (plain or gzip) → [`normalize()`].

#![warn(missing_docs)]

mod asa;
pub mod cef;
pub mod framing;
pub mod leef;
pub mod ndjson;
pub mod normalize;
pub mod payload;
pub mod syslog;
mod timestamp;

pub use cef::{CefError, CefEvent, CefSeverity, parse_cef};
pub use framing::{FrameDecoder, FramingError};
pub use leef::{LeefError, LeefEvent, LeefVersion, parse_leef};
pub use ndjson::{
    DEFAULT_MAX_LINE_BYTES, JsonLinesReader, LineError, LineErrorKind, NdjsonLines, RAW_KEEP_BYTES,
    ndjson_lines, parse_line, parse_object,
};
pub use normalize::{event_time, normalize, normalize_read, normalizes};
pub use payload::{MessageError, cef_fields, decode_message, leef_fields, syslog_fields};
pub use syslog::{Found, SdElement, SyslogError, SyslogFormat, SyslogMessage, parse_syslog};
