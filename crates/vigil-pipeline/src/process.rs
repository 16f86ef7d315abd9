//! The pure part of ingest: payload in, a batch to commit out.

use chrono::Duration;
use serde::Serialize;
use vigil_detect::{Detection, Detector};
use vigil_model::{
    AlertId, DeadLetter, EventId, Fields, Severity, SourceBinding, TenantId, Timestamp,
};
use vigil_store::IngestBatch;
use xxhash_rust::xxh3::Xxh3;

use crate::alerts::AlertAccumulator;

/// Raw bytes kept per dead letter; longer input is cut and the cut noted.
pub const MAX_DEAD_LETTER_BYTES: usize = 64 * 1024;

/// Input that arrived through one binding, not yet parsed.
#[derive(Debug, Clone)]
pub enum Payload {
    /// Newline-delimited JSON objects.
    Ndjson {
        /// The bytes.
        body: Vec<u8>,
        /// The number of the body's first line in its file (1 for an HTTP body),
        /// so that rejections name the line a person can find.
        first_line: usize,
        /// Where the body came from (a file name), for dead-letter reasons.
        origin: Option<String>,
    },
    /// Syslog messages, one per frame (framing already removed), and frames
    /// the framing layer already found broken, with the reason.
    Syslog {
        /// Whole frames.
        frames: Vec<Vec<u8>>,
        /// Broken frames: the bytes kept, and what was wrong.
        broken: Vec<(Vec<u8>, String)>,
    },
}

/// A record that went to dead letters.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LineRejection {
    /// Its line (NDJSON) or frame (syslog) number, from 1.
    pub line: usize,
    /// What was wrong with it.
    pub reason: String,
}

/// What [`process`] produced.
pub(crate) struct Processed {
    pub batch: IngestBatch,
    pub rejections: Vec<LineRejection>,
    /// Id, tenant, severity and title of every alert the batch touches.
    pub alert_heads: Vec<(AlertId, TenantId, Severity, String)>,
}

/// Parses, normalizes and runs detection over `payload`.
pub(crate) fn process(
    binding: &SourceBinding,
    payload: Payload,
    received_at: Timestamp,
    detector: &dyn Detector,
    alert_window: Duration,
) -> Processed {
    let mut work = Work {
        binding,
        received_at,
        batch: IngestBatch::default(),
        rejections: Vec::new(),
        alerts: AlertAccumulator::new(alert_window),
        detections: Vec::new(),
        detector,
        origin: None,
        unit: "line",
    };
    match payload {
        Payload::Ndjson {
            body,
            first_line,
            origin,
        } => {
            work.origin = origin;
            let mut lines =
                vigil_sources::ndjson_lines(&body, vigil_sources::DEFAULT_MAX_LINE_BYTES);
            while let Some((number, raw, parsed)) = lines.next_with_raw() {
                let number = first_line + number as usize - 1;
                match parsed {
                    Ok(fields) => work.accept(fields, raw),
                    Err(e) => work.reject(number, raw, e.kind.to_string()),
                }
            }
        }
        Payload::Syslog { frames, broken } => {
            work.unit = "frame";
            for (index, frame) in frames.iter().enumerate() {
                match vigil_sources::decode_message(frame, received_at) {
                    Ok(fields) => work.accept(fields, frame),
                    Err(e) => work.reject(index + 1, frame, e.to_string()),
                }
            }
            for (index, (raw, reason)) in broken.iter().enumerate() {
                work.reject(frames.len() + index + 1, raw, reason.clone());
            }
        }
    }
    let (detections, alert_heads) = work.alerts.finish();
    work.batch.detections = detections;
    Processed {
        batch: work.batch,
        rejections: work.rejections,
        alert_heads,
    }
}

struct Work<'a> {
    binding: &'a SourceBinding,
    received_at: Timestamp,
    batch: IngestBatch,
    rejections: Vec<LineRejection>,
    alerts: AlertAccumulator,
    detections: Vec<Detection>,
    detector: &'a dyn Detector,
    origin: Option<String>,
    /// What a numbered record is called in reasons: `line` or `frame`.
    unit: &'static str,
}

impl Work<'_> {
    fn accept(&mut self, fields: Fields, raw: &[u8]) {
        let id = EventId::new_at(self.received_at, rand::random());
        let event = vigil_sources::normalize(self.binding, fields, self.received_at, id);
        let fingerprint = fingerprint(self.binding, raw);
        self.detections.clear();
        self.detector.detect(&event, &mut self.detections);
        for detection in self.detections.drain(..) {
            self.alerts.add(&event, fingerprint, &detection);
        }
        self.batch.events.push(event);
        self.batch.fingerprints.push(fingerprint);
    }

    fn reject(&mut self, line: usize, raw: &[u8], reason: String) {
        let mut raw = raw.to_vec();
        let unit = self.unit;
        let mut stored_reason = match &self.origin {
            Some(origin) => format!("{origin} {unit} {line}: {reason}"),
            None => format!("{unit} {line}: {reason}"),
        };
        if raw.len() > MAX_DEAD_LETTER_BYTES {
            stored_reason.push_str(&format!(
                " (input was {} bytes; the first {} are kept)",
                raw.len(),
                MAX_DEAD_LETTER_BYTES
            ));
            raw.truncate(MAX_DEAD_LETTER_BYTES);
        }
        self.batch.dead_letters.push(DeadLetter {
            id: 0,
            tenant: self.binding.tenant.clone(),
            source: self.binding.id.clone(),
            received_at: self.received_at,
            reason: stored_reason,
            raw,
        });
        self.rejections.push(LineRejection { line, reason });
    }
}

/// A digest of what the source sent, so that the same content replayed lands
/// on the same alert evidence instead of inflating it.
fn fingerprint(binding: &SourceBinding, raw: &[u8]) -> u64 {
    let mut h = Xxh3::new();
    h.update(binding.id.as_str().as_bytes());
    h.update(&[0]);
    h.update(raw.trim_ascii_end());
    h.digest()
}
