//! Writing one ingest batch: events, dead letters, and the alert merge.
//!
//! Runs on the writer thread inside the group's transaction (see
//! `writer.rs`). Every statement is a cached prepared statement, prepared
//! once per batch and executed once per row, so the per-event cost is one
//! bind-and-step of an insert whose values were encoded beforehand.
//!
//! Idempotence is the point of the conflict clauses: an event whose id is
//! already stored is not written again, evidence whose (alert, fingerprint)
//! is already stored is not added again, and an alert that exists is merged
//! into rather than replaced. A replay of an acknowledged batch therefore
//! changes nothing, and the receipt says so (no events written, no alerts
//! created or updated).
//!
//! `event_count` is kept as a counter, increased by the number of evidence
//! rows that were actually inserted, rather than recounted per commit: a hot
//! alert with a million pieces of evidence costs the same to update as a new
//! one.
//!
//! Every alert a batch creates or adds evidence to is appended to the desk's
//! alert feed (`desk_alert_feed`) here, in the same transaction. Until
//! migration 7 two triggers on `alerts` did it; a trigger makes every
//! `UPDATE alerts` a statement that may abort halfway, so SQLite opened a
//! statement journal for each one and copied every page it touched (the
//! alert's, the feed's, `sqlite_sequence`'s: 16 KiB each) before writing —
//! measured with callgrind in `vigil bench dc09 --code BA`, that copying was
//! the largest single cost of an alarm frame on the writer thread. Only this
//! module writes `alerts`, so the feed misses nothing.

use rusqlite::{CachedStatement, Connection, OptionalExtension, params};

use vigil_model::{DeadLetter, Entity};

use super::codec::{EncodedEvent, corrupt, micros};
use super::evidence;
use crate::encoding::{capped, entities_json, truncate_raw};
use crate::{AlertDetection, CommitReceipt, IngestBatch, MAX_ALERT_ENTITIES, StoreError};

/// An ingest batch with its events already encoded for storage.
#[derive(Debug)]
pub(crate) struct EncodedBatch {
    events: Vec<EncodedEvent>,
    dead_letters: Vec<DeadLetter>,
    detections: Vec<AlertDetection>,
}

impl EncodedBatch {
    /// Encodes `batch`. An event without a fingerprint (the list is shorter
    /// than the events) is stored with none; fingerprints only matter to
    /// evidence, which carries its own.
    pub fn new(batch: IngestBatch) -> Result<Self, StoreError> {
        let IngestBatch {
            events,
            fingerprints,
            dead_letters,
            detections,
        } = batch;
        let events = events
            .into_iter()
            .enumerate()
            .map(|(i, e)| EncodedEvent::new(e, fingerprints.get(i).copied()))
            .collect::<Result<_, _>>()?;
        Ok(Self {
            events,
            dead_letters,
            detections,
        })
    }

    /// How many events it carries.
    pub fn event_count(&self) -> usize {
        self.events.len()
    }

    /// Roughly how many bytes writing it adds to the log (rows and index
    /// entries), for pacing checkpoints.
    pub fn approx_bytes(&self) -> usize {
        let events: usize = self
            .events
            .iter()
            .map(|e| e.fields.len() + e.entities.len() + e.product.len() + 160)
            .sum();
        let dead: usize = self
            .dead_letters
            .iter()
            .map(|d| d.raw.len() + d.reason.len() + 64)
            .sum();
        let alerts: usize = self
            .detections
            .iter()
            .map(|d| 512 + 64 * d.evidence.len())
            .sum();
        events + dead + alerts
    }
}

const INSERT_EVENT: &str = "INSERT INTO events (id, tenant, site, observed_at, received_at, \
     source_id, source_kind, product, device, class, severity, entities, fields, fingerprint) \
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14) \
     ON CONFLICT (id) DO NOTHING";

const INSERT_DEAD_LETTER: &str = "INSERT INTO dead_letters (tenant, source, received_at, reason, raw) \
     VALUES (?1, ?2, ?3, ?4, ?5)";

const INSERT_ALERT: &str = "INSERT INTO alerts (id, tenant, site, rule_id, rule_title, severity, \
     status, group_key, window_start, first_seen, last_seen, event_count, entities, created_at, \
     updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, 0, ?12, ?13, ?14) \
     ON CONFLICT (id) DO NOTHING";

const COUNT_EVIDENCE: &str = "UPDATE alerts SET event_count = event_count + ?2, \
     evidence_cutoff_at = ?3, evidence_cutoff_id = ?4 WHERE id = ?1";

const ALERT_ENTITIES: &str = "SELECT entities, event_count, evidence_cutoff_at, \
     evidence_cutoff_id FROM alerts WHERE id = ?1";

const APPEND_ALERT_FEED: &str = "INSERT INTO desk_alert_feed (alert_id) VALUES (?1)";

/// Migration 7: the desk's alert feed is written by [`write`] rather than by
/// triggers on `alerts` (see the module's documentation for why).
pub(crate) const ALERT_FEED_WITHOUT_TRIGGERS: &str = r#"
DROP TRIGGER desk_alert_raised;
DROP TRIGGER desk_alert_grew;
"#;

const MERGE_ALERT: &str = "UPDATE alerts SET first_seen = min(first_seen, ?2), \
     last_seen = max(last_seen, ?3), updated_at = ?4, entities = ?5, \
     event_count = event_count + ?6, evidence_cutoff_at = ?7, evidence_cutoff_id = ?8 \
     WHERE id = ?1";

/// Writes `batch`; the caller owns the transaction.
pub(crate) fn write(
    conn: &Connection,
    batch: &EncodedBatch,
    max_raw_bytes: usize,
) -> Result<CommitReceipt, StoreError> {
    let mut receipt = CommitReceipt::default();
    if !batch.events.is_empty() {
        let mut insert = conn.prepare_cached(INSERT_EVENT)?;
        for e in &batch.events {
            receipt.events_written += insert.execute(params![
                e.id,
                e.tenant.as_str(),
                e.site.as_ref().map(|s| s.as_str()),
                e.observed_at,
                e.received_at,
                e.source_id.as_str(),
                e.source_kind,
                e.product,
                e.device,
                e.class,
                e.severity,
                e.entities,
                e.fields,
                e.fingerprint,
            ])?;
        }
    }
    if !batch.dead_letters.is_empty() {
        let mut insert = conn.prepare_cached(INSERT_DEAD_LETTER)?;
        for dl in &batch.dead_letters {
            let (reason, raw) = truncate_raw(&dl.reason, &dl.raw, max_raw_bytes);
            insert.execute(params![
                dl.tenant.as_str(),
                dl.source.as_str(),
                micros(dl.received_at),
                reason,
                raw,
            ])?;
            receipt.dead_letters_written += 1;
        }
    }
    if !batch.detections.is_empty() {
        let mut statements = MergeStatements::prepare(conn)?;
        for detection in &batch.detections {
            match merge_detection(conn, &mut statements, detection)? {
                Merge::Created => receipt.alerts_created.push(detection.alert.id),
                Merge::Updated => receipt.alerts_updated.push(detection.alert.id),
                Merge::Unchanged => continue,
            }
            statements
                .feed
                .execute([detection.alert.id.0.into_bytes()])?;
        }
    }
    Ok(receipt)
}

/// What the merge reads of an alert that exists.
struct StoredAlert {
    entities: String,
    /// Evidence pieces it holds.
    event_count: i64,
    /// Its last shown piece of evidence, when known (see `evidence.rs`).
    cutoff: Option<evidence::SortKey>,
}

enum Merge {
    Created,
    Updated,
    Unchanged,
}

/// The statements every merge runs, taken from the statement cache once per
/// batch rather than once per detection: each lookup hashes the whole SQL
/// text, and an alarm frame's detections made eight of them.
struct MergeStatements<'c> {
    stored: CachedStatement<'c>,
    evidence: CachedStatement<'c>,
    merge: CachedStatement<'c>,
    feed: CachedStatement<'c>,
}

impl<'c> MergeStatements<'c> {
    fn prepare(conn: &'c Connection) -> Result<Self, StoreError> {
        Ok(Self {
            stored: conn.prepare_cached(ALERT_ENTITIES)?,
            evidence: conn.prepare_cached(evidence::INSERT_EVIDENCE)?,
            merge: conn.prepare_cached(MERGE_ALERT)?,
            feed: conn.prepare_cached(APPEND_ALERT_FEED)?,
        })
    }
}

fn merge_detection(
    conn: &Connection,
    statements: &mut MergeStatements<'_>,
    detection: &AlertDetection,
) -> Result<Merge, StoreError> {
    let alert = &detection.alert;
    let id = alert.id.0.into_bytes();
    // Looked up first: a hot alert (a panel alarming in every batch) is
    // then merged with one read and one update, without an insert that
    // conflicts every time.
    let stored: Option<StoredAlert> = statements
        .stored
        .query_row([id], |row| {
            Ok(StoredAlert {
                entities: row.get(0)?,
                event_count: row.get(1)?,
                cutoff: match (row.get(2)?, row.get(3)?) {
                    (Some(at), Some(event)) => Some((at, event)),
                    _ => None,
                },
            })
        })
        .optional()?;
    let (held, known_cutoff) = stored
        .as_ref()
        .map_or((0, None), |s| (s.event_count, s.cutoff));
    let created = match &stored {
        Some(_) => false,
        None => {
            let entities = entities_json(alert.id, &capped(&alert.entities))?;
            conn.prepare_cached(INSERT_ALERT)?.execute(params![
                id,
                alert.tenant.as_str(),
                alert.site.as_ref().map(|s| s.as_str()),
                alert.rule_id,
                alert.rule_title,
                i64::from(alert.severity.rank()),
                alert.status.as_str(),
                alert.group_key,
                micros(alert.window_start),
                micros(alert.first_seen),
                micros(alert.last_seen),
                entities,
                micros(alert.created_at),
                micros(alert.updated_at),
            ])? == 1
        }
    };

    let (added, cutoff) = evidence::add(
        conn,
        &mut statements.evidence,
        id,
        &detection.evidence,
        held,
        known_cutoff,
    )?;
    let (cutoff_at, cutoff_id) = cutoff.unzip();

    if created {
        if added > 0 {
            conn.prepare_cached(COUNT_EVIDENCE)?
                .execute(params![id, added, cutoff_at, cutoff_id])?;
        }
        return Ok(Merge::Created);
    }
    if added == 0 {
        // A replay: everything it says is already recorded.
        return Ok(Merge::Unchanged);
    }
    let stored = stored
        .ok_or_else(|| corrupt("alert", alert.id, "vanished during its own merge"))?
        .entities;
    let mut entities: Vec<Entity> = serde_json::from_str(&stored)
        .map_err(|e| corrupt("alert", alert.id, format_args!("entities: {e}")))?;
    let before = entities.len();
    for entity in &alert.entities {
        if entities.len() >= MAX_ALERT_ENTITIES {
            break;
        }
        if !entities.contains(entity) {
            entities.push(entity.clone());
        }
    }
    let entities = if entities.len() == before {
        stored
    } else {
        entities_json(alert.id, &entities)?
    };
    statements.merge.execute(params![
        id,
        micros(alert.first_seen),
        micros(alert.last_seen),
        micros(alert.updated_at),
        entities,
        added,
        cutoff_at,
        cutoff_id,
    ])?;
    Ok(Merge::Updated)
}

#[cfg(test)]
mod tests {
    use super::*;
    use vigil_model::EntityKind;

    #[test]
    fn raw_input_over_the_limit_is_cut_and_the_reason_says_so() {
        let (reason, raw) = truncate_raw("bad json at line 1", &[b'x'; 10], 4);
        assert_eq!(raw, b"xxxx");
        assert_eq!(
            reason,
            "bad json at line 1 (raw input truncated from 10 to 4 bytes)"
        );
        let (reason, raw) = truncate_raw("short", &[b'y'; 4], 4);
        assert_eq!((reason.as_ref(), raw.len()), ("short", 4));
    }

    #[test]
    fn entities_are_deduplicated_and_capped() {
        let many: Vec<Entity> = (0..MAX_ALERT_ENTITIES + 5)
            .flat_map(|i| {
                let e = Entity::new(EntityKind::Host, format!("h{i}"));
                [e.clone(), e]
            })
            .collect();
        let kept = capped(&many);
        assert_eq!(kept.len(), MAX_ALERT_ENTITIES);
        assert_eq!(kept[1].value, "h1");
    }
}
