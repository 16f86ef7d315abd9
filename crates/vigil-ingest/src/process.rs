//! The pure part of ingest: payload in, a batch to commit out.

use std::time::{Duration as StdDuration, Instant};

use chrono::Duration;
use serde::Serialize;
use vigil_detect::{Detection, Detector, JsonDocument, JsonParser};
use vigil_model::{
    AlertId, DeadLetter, Event, EventId, Fields, Severity, SourceBinding, TenantId, Timestamp,
};
use vigil_store::IngestBatch;
use xxhash_rust::xxh3::Xxh3;

use crate::alerts::AlertAccumulator;
use crate::correlation::{BatchCorrelation, CorrelationStage};
use crate::people_register::PeopleRegister;

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
    /// Records a protocol listener has already decoded (alarm panels,
    /// sensors, cameras), each with the raw bytes it came from — for the
    /// fingerprint, and for the dead letter when decoding failed.
    Records(Vec<(Result<Fields, String>, Vec<u8>)>),
}

impl Payload {
    /// How many records it holds: the non-blank lines of an NDJSON body,
    /// the frames of a syslog batch (broken ones too), the decoded records.
    /// Each becomes an event or a dead letter when the payload is processed.
    pub fn records(&self) -> usize {
        match self {
            Payload::Ndjson { body, .. } => {
                let body = body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body);
                body.split(|b| *b == b'\n')
                    .filter(|line| !line.iter().all(u8::is_ascii_whitespace))
                    .count()
            }
            Payload::Syslog { frames, broken } => frames.len() + broken.len(),
            Payload::Records(records) => records.len(),
        }
    }
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
    /// Time spent in detection: rules, correlations, grouping into alerts
    /// (the rest of processing is parsing).
    pub detect_time: StdDuration,
}

/// Parses, normalizes and runs detection over `payload`.
#[cfg(test)]
pub(crate) fn process(
    binding: &SourceBinding,
    payload: Payload,
    received_at: Timestamp,
    detector: &dyn Detector,
    alert_window: Duration,
    people: &PeopleRegister,
) -> Processed {
    process_with(
        binding,
        payload,
        Context {
            received_at,
            detector,
            alert_window,
            people,
            correlation: None,
            seed: None,
        },
    )
}

/// What processing a payload depends on beside the payload.
pub(crate) struct Context<'a> {
    /// When the payload was received.
    pub received_at: Timestamp,
    /// The rules.
    pub detector: &'a dyn Detector,
    /// The alert grouping window.
    pub alert_window: Duration,
    /// The register events are enriched from.
    pub people: &'a PeopleRegister,
    /// Correlation after detection, when loaded.
    pub correlation: Option<&'a CorrelationStage>,
    /// The key event ids derive from when given (a batch from the ingest
    /// log, logged with its payload's key), else the payload's own key.
    pub seed: Option<u128>,
}

/// As `process`, in `context`.
pub(crate) fn process_with(
    binding: &SourceBinding,
    payload: Payload,
    context: Context<'_>,
) -> Processed {
    let Context {
        received_at,
        detector,
        alert_window,
        people,
        correlation,
        seed,
    } = context;
    // A batch from the ingest log carries its key (content-derived when it
    // was logged, so a redelivery and a client's resend agree); else the
    // payload's own.
    let batch_key = seed.unwrap_or_else(|| batch_key(binding, &payload));
    let mut work = Work {
        people,
        binding,
        received_at,
        batch_key,
        accepted: 0,
        batch: IngestBatch::default(),
        rejections: Vec::new(),
        alerts: AlertAccumulator::new(alert_window),
        detections: Vec::new(),
        detector,
        origin: None,
        unit: "line",
        correlation: correlation.map(BatchCorrelation::new),
        detect_time: StdDuration::ZERO,
    };
    match payload {
        Payload::Ndjson {
            body,
            first_line,
            origin,
        } => {
            work.origin = origin;
            // Counted a byte at a time, the newlines were half a per cent of
            // `vigil bench ingest`'s CPU.
            work.reserve(memchr::memchr_iter(b'\n', &body).count() + 1);
            let mut parser = JsonParser::new();
            let limit = vigil_codecs::DEFAULT_MAX_LINE_BYTES;
            let mut lines = vigil_codecs::ndjson_lines(&body, limit);
            while let Some((n, raw)) = lines.next_line() {
                // The detection engine's reader accepts exactly the objects
                // `serde_json` reads, without building a map of them.
                if raw.len() <= limit
                    && let Ok(doc) = parser.parse(raw)
                {
                    work.accept_read(&doc, raw);
                    continue;
                }
                // Over the limit, or not one JSON object: the codec's
                // verdict, in its words.
                match vigil_codecs::parse_line(n, raw, limit) {
                    Ok(fields) => work.accept(fields, raw),
                    Err(e) => work.reject(first_line + n as usize - 1, raw, e.kind.to_string()),
                }
            }
        }
        Payload::Syslog { frames, broken } => {
            work.unit = "frame";
            for (index, frame) in frames.iter().enumerate() {
                match vigil_codecs::decode_message(frame, received_at) {
                    Ok(fields) => work.accept(fields, frame),
                    Err(e) => work.reject(index + 1, frame, e.to_string()),
                }
            }
            for (index, (raw, reason)) in broken.iter().enumerate() {
                work.reject(frames.len() + index + 1, raw, reason.clone());
            }
        }
        Payload::Records(records) => {
            work.unit = "record";
            for (index, (decoded, raw)) in records.into_iter().enumerate() {
                match decoded {
                    Ok(fields) => work.accept(fields, &raw),
                    Err(reason) => work.reject(index + 1, &raw, reason),
                }
            }
        }
    }
    let grouping = Instant::now();
    if let Some(batch) = work.correlation.take() {
        let events = &work.batch.events;
        crate::correlation::finish(batch, events, binding, received_at, &mut work.alerts);
    }
    let (detections, alert_heads) = work.alerts.finish();
    work.batch.detections = detections;
    Processed {
        batch: work.batch,
        rejections: work.rejections,
        alert_heads,
        detect_time: work.detect_time + grouping.elapsed(),
    }
}

struct Work<'a> {
    binding: &'a SourceBinding,
    received_at: Timestamp,
    /// The digest of the payload and its source: the seed of its events' ids.
    batch_key: u128,
    /// Records accepted so far: the next one's place in the batch.
    accepted: u64,
    batch: IngestBatch,
    rejections: Vec<LineRejection>,
    alerts: AlertAccumulator,
    detections: Vec<Detection>,
    detector: &'a dyn Detector,
    /// The register events naming a badge or an account are enriched from.
    people: &'a PeopleRegister,
    origin: Option<String>,
    /// What a numbered record is called in reasons: `line` or `frame`.
    unit: &'static str,
    /// The batch's part in correlation, when correlations are loaded.
    correlation: Option<BatchCorrelation<'a>>,
    /// Time spent in detection so far. Two clock reads per event (tens of
    /// nanoseconds against microseconds of work) buy the share of time
    /// `vigil bench ingest` prints on every run, without a profiler.
    detect_time: StdDuration,
}

/// Most events room is made for ahead: a body of tiny lines must not
/// reserve far more than its own size.
const MAX_RESERVED_EVENTS: usize = 4096;

impl Work<'_> {
    /// Makes room for about `records` events at once: grown by doubling, a
    /// batch's event list (a few hundred bytes an event) was reallocated
    /// and copied ten times, each time into freshly zeroed pages.
    fn reserve(&mut self, records: usize) {
        let n = records.min(MAX_RESERVED_EVENTS);
        self.batch.events.reserve(n);
        self.batch.fingerprints.reserve(n);
    }

    /// Accepts a record decoded into `fields` from `raw`.
    fn accept(&mut self, fields: Fields, raw: &[u8]) {
        let placeholder = EventId::new_at(self.received_at, [0; 10]);
        let event = vigil_codecs::normalize(self.binding, fields, self.received_at, placeholder);
        self.add(event, raw, None);
    }

    /// Accepts the NDJSON line `raw`, read into `doc`. The event's fields
    /// keep the line's text (the store writes it as sent) and are not
    /// built into a map: normalization takes the few members it looks at,
    /// and detection reads `doc`.
    fn accept_read(&mut self, doc: &JsonDocument<'_>, raw: &[u8]) {
        let read = doc.read_members(vigil_codecs::normalizes);
        let fields = Fields::from_checked_json(doc.text().trim_ascii_start().to_owned());
        let placeholder = EventId::new_at(self.received_at, [0; 10]);
        let event = vigil_codecs::normalize_read(
            self.binding,
            fields,
            &read,
            self.received_at,
            placeholder,
        );
        self.add(event, raw, Some(doc));
    }

    /// Gives `event` its id, enriches it, detects on it (on `doc` when its
    /// fields were read from it and are unchanged) and adds it to the batch.
    fn add(&mut self, mut event: Event, raw: &[u8], doc: Option<&JsonDocument<'_>>) {
        event.id = event_id(self.batch_key, self.accepted, event.observed_at);
        self.accepted += 1;
        let enriched = self.people.enrich(&mut event);
        let fingerprint = fingerprint(self.binding, raw);
        let detecting = Instant::now();
        self.detections.clear();
        match doc {
            // Enriched fields say more than the line: rules read the event.
            Some(doc) if !enriched => self.detector.detect_read(&event, doc, &mut self.detections),
            _ => self.detector.detect(&event, &mut self.detections),
        }
        crate::correlation::route(
            self.correlation.as_mut(),
            &event,
            fingerprint,
            &mut self.detections,
            &mut self.alerts,
        );
        self.detect_time += detecting.elapsed();
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
/// The digest of a payload and the source it came through. A client that
/// sends the same batch again — an HTTP shipper retrying after a lost
/// response, a panel repeating a frame whose ACK it missed, an MQTT broker
/// redelivering, the ingest log redelivering to another node — sends the
/// same bytes through the same source, so its events get the same ids and
/// the store, which writes an id once, stores nothing new. The same line
/// in another batch is another event (a repeated syslog message is not a
/// resend).
pub(crate) fn batch_key(binding: &SourceBinding, payload: &Payload) -> u128 {
    let mut h = Xxh3::new();
    h.update(binding.id.as_str().as_bytes());
    h.update(&[0]);
    let mut part = |tag: u8, bytes: &[u8]| {
        h.update(&[tag]);
        h.update(&(bytes.len() as u64).to_le_bytes());
        h.update(bytes);
    };
    match payload {
        Payload::Ndjson { body, .. } => part(b'n', body),
        Payload::Syslog { frames, broken } => {
            for frame in frames {
                part(b's', frame);
            }
            for (raw, _) in broken {
                part(b'b', raw);
            }
        }
        Payload::Records(records) => {
            for (_, raw) in records {
                part(b'r', raw);
            }
        }
    }
    h.digest128()
}

/// The id of the `ordinal`-th record accepted from the batch `batch_key`:
/// time-ordered by when it happened, the rest derived from the batch and
/// the record's place in it (80 bits: distinct events never meet).
fn event_id(batch_key: u128, ordinal: u64, observed_at: Timestamp) -> EventId {
    let mut h = Xxh3::new();
    h.update(&batch_key.to_le_bytes());
    h.update(&ordinal.to_le_bytes());
    let digest = h.digest128().to_le_bytes();
    let mut random = [0u8; 10];
    random.copy_from_slice(&digest[..10]);
    EventId::new_at(observed_at, random)
}

fn fingerprint(binding: &SourceBinding, raw: &[u8]) -> u64 {
    let mut h = Xxh3::new();
    h.update(binding.id.as_str().as_bytes());
    h.update(&[0]);
    h.update(raw.trim_ascii_end());
    h.digest()
}

#[cfg(test)]
#[path = "read_path_tests.rs"]
mod read_path_tests;

#[cfg(test)]
mod tests {
    use super::*;
    use vigil_detect::{LoadOptions, RuleSet};
    use vigil_model::{EntityKind, SourceId, SourceKind};

    const RULE: &str = r#"
title: Door forced
id: 11111111-2222-3333-4444-555555555555
level: high
logsource:
  product: vigil
  category: physical_access
detection:
  selection:
    action: door_forced_open
  condition: selection
"#;

    fn binding() -> SourceBinding {
        SourceBinding {
            id: SourceId::new("acme-access").unwrap(),
            tenant: TenantId::new("acme").unwrap(),
            site: None,
            kind: SourceKind::Http,
            product: "access".into(),
        }
    }

    fn rules() -> RuleSet {
        let report = RuleSet::load_sources(
            [("t".to_string(), RULE.to_string())],
            &LoadOptions::default(),
        );
        assert!(report.outcomes.iter().all(|o| o.result.is_ok()));
        report.ruleset
    }

    fn now() -> Timestamp {
        chrono::DateTime::from_timestamp(1_764_000_000, 0).unwrap()
    }

    fn run(body: &str, first_line: usize, origin: Option<&str>) -> Processed {
        let payload = Payload::Ndjson {
            body: body.as_bytes().to_vec(),
            first_line,
            origin: origin.map(str::to_owned),
        };
        process(
            &binding(),
            payload,
            now(),
            &rules(),
            Duration::hours(1),
            &Default::default(),
        )
    }

    const FORCED: &str = r#"{"time":"2026-11-26T10:15:00Z","class":"physical_access","action":"door_forced_open","door":"dh1-east","tenant":"someone-else"}"#;

    #[test]
    fn good_lines_become_events_and_bad_lines_dead_letters_with_their_line() {
        let body = format!("{FORCED}\n\n[1,2]\n{{broken\n");
        let out = run(&body, 10, Some("doors.jsonl"));
        assert_eq!(out.batch.events.len(), 1);
        assert_eq!(out.rejections.len(), 2);
        assert_eq!(out.rejections[0].line, 12);
        assert_eq!(out.rejections[1].line, 13);
        let letter = &out.batch.dead_letters[0];
        assert!(
            letter.reason.starts_with("doors.jsonl line 12: "),
            "{}",
            letter.reason
        );
        assert_eq!(letter.raw, b"[1,2]");
        // The binding, not the payload, decides the tenant.
        assert_eq!(out.batch.events[0].tenant.as_str(), "acme");
        assert_eq!(out.batch.dead_letters[0].tenant.as_str(), "acme");
        // The line is kept as the fields' JSON text, not read into a map.
        let fields = &out.batch.events[0].fields;
        assert_eq!(fields.json_text(), Some(FORCED));
        assert!(!fields.is_read(), "normalising and detecting read the line");
        assert_eq!(
            out.batch.events[0].entity(EntityKind::Door),
            Some("dh1-east")
        );
    }

    #[test]
    fn detections_group_into_one_alert_per_rule_group_and_window() {
        let other_door = FORCED.replace("dh1-east", "dh2-west");
        let later = FORCED.replace("10:15:00", "10:45:00");
        let next_hour = FORCED.replace("10:15:00", "11:05:00");
        let body = [FORCED, &later, &other_door, &next_hour, FORCED].join("\n");
        let out = run(&body, 1, None);
        assert_eq!(out.batch.events.len(), 5);
        let alerts = &out.batch.detections;
        assert_eq!(
            alerts.len(),
            3,
            "door 1 at 10h, door 2 at 10h, door 1 at 11h"
        );
        let first = &alerts[0];
        assert_eq!(first.alert.group_key, "door:dh1-east");
        // The repeated identical line is the same content: one piece of evidence.
        assert_eq!(first.evidence.len(), 2);
        assert_eq!(first.alert.event_count, 2);
        assert_eq!(first.alert.severity, vigil_model::Severity::High);
        assert_eq!(out.alert_heads.len(), 3);
    }

    #[test]
    fn oversized_dead_letters_are_cut_and_say_so() {
        let long = "x".repeat(MAX_DEAD_LETTER_BYTES + 10);
        let out = run(&long, 1, None);
        let letter = &out.batch.dead_letters[0];
        assert_eq!(letter.raw.len(), MAX_DEAD_LETTER_BYTES);
        assert!(
            letter.reason.contains("the first 65536 are kept"),
            "{}",
            letter.reason
        );
    }

    #[test]
    fn syslog_frames_and_broken_frames() {
        let payload = Payload::Syslog {
            frames: vec![
                b"<134>1 2026-11-26T10:00:00Z fw01 app - - - hello".to_vec(),
                b"no priority here".to_vec(),
            ],
            broken: vec![(Vec::new(), "frame at stream byte 9: too long".into())],
        };
        let out = process(
            &binding(),
            payload,
            now(),
            &rules(),
            Duration::hours(1),
            &Default::default(),
        );
        assert_eq!(out.batch.events.len(), 1);
        assert_eq!(out.batch.events[0].fields.json_text(), None);
        let reasons: Vec<&str> = out
            .batch
            .dead_letters
            .iter()
            .map(|d| d.reason.as_str())
            .collect();
        assert!(reasons[0].starts_with("frame 2: "), "{reasons:?}");
        assert!(reasons[1].starts_with("frame 3: "), "{reasons:?}");
    }

    #[test]
    fn records_and_lines_naming_a_badge_are_enriched_and_enriched_lines_reserialised() {
        let people = PeopleRegister::new(vec![vigil_store::PersonRecord {
            tenant: TenantId::new("acme").unwrap(),
            id: "ann".into(),
            name: "Ann".into(),
            status: vigil_store::PersonStatus::Terminated,
            status_from: None,
            status_until: None,
            badges: vec!["40211".into()],
            accounts: Vec::new(),
        }]);
        let line =
            r#"{"class":"physical_access","action":"access_granted","door":"d1","badge":"40211"}"#;
        let fields: Fields = serde_json::from_str(line).unwrap();
        let records = Payload::Records(vec![(Ok(fields), line.as_bytes().to_vec())]);
        let out = process(
            &binding(),
            records,
            now(),
            &rules(),
            Duration::hours(1),
            &people,
        );
        assert_eq!(out.batch.events[0].fields["hr_status"], "terminated");
        let ndjson = Payload::Ndjson {
            body: line.as_bytes().to_vec(),
            first_line: 1,
            origin: None,
        };
        let out = process(
            &binding(),
            ndjson,
            now(),
            &rules(),
            Duration::hours(1),
            &people,
        );
        assert_eq!(out.batch.events[0].fields["person_id"], "ann");
        assert_eq!(
            out.batch.events[0].fields.json_text(),
            None,
            "the line is no longer the fields"
        );
    }

    #[test]
    fn a_batch_sent_again_gets_the_same_ids_and_another_batch_other_ids() {
        let b = binding();
        let rules = RuleSet::load_sources(Vec::<(String, String)>::new(), &LoadOptions::default());
        let people = PeopleRegister::default();
        let body = concat!(
            r#"{"time":"2026-01-05T10:00:00Z","class":"physical_access","door":"d1"}"#,
            "\n",
            r#"{"time":"2026-01-05T10:00:00Z","class":"physical_access","door":"d1"}"#,
            "\n",
        );
        let run = |body: &str, received_at: Timestamp| {
            let payload = Payload::Ndjson {
                body: body.as_bytes().to_vec(),
                first_line: 1,
                origin: None,
            };
            process(
                &b,
                payload,
                received_at,
                &rules.ruleset,
                Duration::hours(1),
                &people,
            )
            .batch
            .events
            .iter()
            .map(|e| e.id)
            .collect::<Vec<_>>()
        };
        let now = chrono::Utc::now();
        let first = run(body, now);
        // Two identical lines in one batch are two events.
        assert_eq!(first.len(), 2);
        assert_ne!(first[0], first[1]);
        // The same batch, resent a minute later: the same ids.
        assert_eq!(run(body, now + Duration::minutes(1)), first);
        // The first line alone is another batch: another event.
        let (one, _) = body.split_at(body.find('\n').unwrap() + 1);
        assert!(!first.contains(&run(one, now)[0]));
    }

    #[test]
    fn a_seeded_batch_gets_the_same_event_ids_every_time() {
        let body = format!("{FORCED}\n{FORCED}\n");
        let seeded = |seed| {
            let payload = Payload::Ndjson {
                body: body.as_bytes().to_vec(),
                first_line: 1,
                origin: None,
            };
            let (rules, people) = (rules(), PeopleRegister::default());
            let context = Context {
                received_at: now(),
                detector: &rules,
                alert_window: Duration::hours(1),
                people: &people,
                correlation: None,
                seed: Some(seed),
            };
            let out = process_with(&binding(), payload, context);
            out.batch.events.iter().map(|e| e.id).collect::<Vec<_>>()
        };
        let first = seeded(7);
        assert_eq!(first.len(), 2);
        assert_ne!(first[0], first[1], "each event its own id");
        assert_eq!(first, seeded(7));
        assert_ne!(first, seeded(8));
    }

    #[test]
    fn fingerprints_ignore_trailing_whitespace_but_not_content() {
        let b = binding();
        assert_eq!(fingerprint(&b, b"abc"), fingerprint(&b, b"abc \r"));
        assert_ne!(fingerprint(&b, b"abc"), fingerprint(&b, b"abd"));
    }

    #[test]
    fn a_payload_counts_the_records_processing_will_see() {
        let ndjson = |body: &str| Payload::Ndjson {
            body: body.as_bytes().to_vec(),
            first_line: 1,
            origin: None,
        };
        let body = "\u{feff}{\"a\":1}\r\n\n  \n{\"b\":2}\nnot json\n";
        let lines = vigil_codecs::ndjson_lines(body.as_bytes(), 1 << 20).count();
        assert_eq!((ndjson(body).records(), lines), (3, 3));
        assert_eq!(ndjson("").records(), 0);
        let syslog = Payload::Syslog {
            frames: vec![b"<13>a".to_vec(), b"<13>b".to_vec()],
            broken: vec![(b"x".to_vec(), "broken".into())],
        };
        assert_eq!(syslog.records(), 3);
        assert_eq!(
            Payload::Records(vec![(Err("x".into()), Vec::new())]).records(),
            1
        );
    }
}
