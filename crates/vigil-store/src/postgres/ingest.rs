//! Writing one ingest batch: day partitions for its events, the events and
//! dead letters, and the alert merge — all in one transaction.
//!
//! Idempotence is the SQLite store's: an event already stored (same id and
//! observed time) is not written again, evidence whose (alert, fingerprint)
//! is stored is not added again, an alert that exists is merged into, and a
//! replay changes nothing and says so in its receipt.
//!
//! Unlike SQLite, several commits run at once. Two batches merging into the
//! same alerts lock the alert rows they already find in id order before
//! touching any, so they queue rather than deadlock; a deadlock that still
//! happens (both creating the same new alerts in different orders) rolls one
//! back and the batch is written again from the start. Every alert created
//! or grown is appended to the desk's alert feed last, under the feed's
//! advisory lock, so feed positions are handed out in commit order.

use std::collections::BTreeSet;

use tokio_postgres::Transaction;
use tokio_postgres::error::SqlState;
use uuid::Uuid;

use vigil_model::{DeadLetter, Entity};

use super::{Lock, PgResult, PgStore, transaction};
use crate::encoding::{EncodedEvent, capped, corrupt, entities_json, micros, truncate_raw};
use crate::{AlertDetection, CommitReceipt, IngestBatch, MAX_ALERT_ENTITIES, StoreError};

/// A day, in microseconds: the span of one partition of `events`.
const DAY_MICROS: i64 = 86_400_000_000;

/// Batches with more events than this are encoded on the blocking pool.
const INLINE_ENCODE_MAX_EVENTS: usize = 32;

/// The start of the UTC day holding `micros`.
pub(crate) fn day_of(micros: i64) -> i64 {
    micros.div_euclid(DAY_MICROS) * DAY_MICROS
}

/// The partition holding the day that starts at `from`: `events_YYYYMMDD`,
/// or `events_d<day number>` for days outside years 1000–9999 (whose dates
/// would not make plain names).
pub(crate) fn partition_name(from: i64) -> String {
    match chrono::DateTime::from_timestamp_micros(from) {
        Some(t) if (1000..=9999).contains(&chrono::Datelike::year(&t)) => {
            format!("events_{}", t.format("%Y%m%d"))
        }
        _ => {
            let day = from.div_euclid(DAY_MICROS);
            if day < 0 {
                format!("events_dm{}", day.unsigned_abs())
            } else {
                format!("events_d{day}")
            }
        }
    }
}

/// An ingest batch, its events encoded.
struct Encoded {
    events: Vec<EncodedEvent>,
    dead_letters: Vec<DeadLetter>,
    detections: Vec<AlertDetection>,
}

impl Encoded {
    fn new(batch: IngestBatch) -> Result<Self, StoreError> {
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
}

impl PgStore {
    /// The body of [`crate::Store::commit`] (the batch is not empty).
    pub(crate) async fn commit_batch(&self, batch: IngestBatch) -> PgResult<CommitReceipt> {
        // Encoding a large batch is milliseconds of CPU: too long to hold an
        // async worker.
        let batch = if batch.events.len() > INLINE_ENCODE_MAX_EVENTS {
            tokio::task::spawn_blocking(move || Encoded::new(batch))
                .await
                .map_err(|e| StoreError::Database(format!("encoding task failed: {e}")))??
        } else {
            Encoded::new(batch)?
        };
        let days: BTreeSet<i64> = batch.events.iter().map(|e| day_of(e.observed_at)).collect();
        let mut stale_cache_retried = false;
        loop {
            self.ensure_partitions(&days).await?;
            let (max_raw, space) = (self.max_dead_letter_bytes, self.lock_space);
            let result = transaction!(self, |tx| write(&tx, &batch, max_raw, space).await?);
            match result {
                // Another node's retention dropped a day this node thought
                // it had: forget what it knew and create it again.
                Err(e) if !stale_cache_retried && e.code() == Some(&SqlState::CHECK_VIOLATION) => {
                    stale_cache_retried = true;
                    self.forget_partitions();
                }
                other => return other,
            }
        }
    }

    /// Creates the day partitions among `days` that do not exist yet.
    async fn ensure_partitions(&self, days: &BTreeSet<i64>) -> PgResult<()> {
        let missing: Vec<i64> = {
            let known = self
                .partitions
                .lock()
                .map_err(|_| StoreError::Database("partition cache poisoned".into()))?;
            days.iter()
                .filter(|d| !known.contains(d))
                .copied()
                .collect()
        };
        if missing.is_empty() {
            return Ok(());
        }
        transaction!(self, |tx| {
            self.lock(&tx, Lock::Partitions).await?;
            for &from in &missing {
                let name = partition_name(from);
                let to = from.saturating_add(DAY_MICROS);
                let new = tx
                    .execute(
                        "INSERT INTO event_partitions (from_micros, to_micros, name) \
                         VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
                        &[&from, &to, &name],
                    )
                    .await?;
                if new == 1 {
                    // The name and bounds are made here from integers.
                    tx.batch_execute(&format!(
                        "CREATE TABLE {name} PARTITION OF events FOR VALUES FROM ({from}) TO ({to})"
                    ))
                    .await?;
                }
            }
        })?;
        if let Ok(mut known) = self.partitions.lock() {
            known.extend(missing);
        }
        Ok(())
    }

    /// Forgets which partitions exist (after retention dropped some).
    pub(crate) fn forget_partitions(&self) {
        if let Ok(mut known) = self.partitions.lock() {
            known.clear();
        }
    }
}

const INSERT_EVENTS: &str = "INSERT INTO events (id, tenant, site, observed_at, received_at, \
     source_id, source_kind, product, device, class, severity, entities, fields, fingerprint) \
     SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::int8[], $5::int8[], $6::text[], \
     $7::text[], $8::text[], $9::text[], $10::text[], $11::int8[], $12::text[], $13::text[], \
     $14::int8[]) \
     ON CONFLICT (id, observed_at) DO NOTHING";

const INSERT_DEAD_LETTERS: &str = "INSERT INTO dead_letters (tenant, source, received_at, reason, raw) \
     SELECT tenant, source, received_at, reason, raw \
     FROM unnest($1::text[], $2::text[], $3::int8[], $4::text[], $5::bytea[]) \
     WITH ORDINALITY AS d(tenant, source, received_at, reason, raw, n) ORDER BY n";

async fn write(
    tx: &Transaction<'_>,
    batch: &Encoded,
    max_raw: usize,
    lock_space: i32,
) -> PgResult<CommitReceipt> {
    let mut receipt = CommitReceipt::default();
    if !batch.events.is_empty() {
        let e = &batch.events;
        let ids: Vec<Uuid> = e.iter().map(|e| Uuid::from_bytes(e.id)).collect();
        let tenants: Vec<&str> = e.iter().map(|e| e.tenant.as_str()).collect();
        let sites: Vec<Option<&str>> = e
            .iter()
            .map(|e| e.site.as_ref().map(|s| s.as_str()))
            .collect();
        let observed: Vec<i64> = e.iter().map(|e| e.observed_at).collect();
        let received: Vec<i64> = e.iter().map(|e| e.received_at).collect();
        let sources: Vec<&str> = e.iter().map(|e| e.source_id.as_str()).collect();
        let kinds: Vec<&str> = e.iter().map(|e| e.source_kind).collect();
        let products: Vec<&str> = e.iter().map(|e| e.product.as_str()).collect();
        let devices: Vec<Option<&str>> = e.iter().map(|e| e.device.as_deref()).collect();
        let classes: Vec<&str> = e.iter().map(|e| e.class).collect();
        let severities: Vec<i64> = e.iter().map(|e| e.severity).collect();
        let entities: Vec<&str> = e.iter().map(|e| e.entities.as_str()).collect();
        let fields: Vec<&str> = e.iter().map(|e| e.fields.as_str()).collect();
        let fingerprints: Vec<Option<i64>> = e.iter().map(|e| e.fingerprint).collect();
        let written = tx
            .execute(
                INSERT_EVENTS,
                &[
                    &ids,
                    &tenants,
                    &sites,
                    &observed,
                    &received,
                    &sources,
                    &kinds,
                    &products,
                    &devices,
                    &classes,
                    &severities,
                    &entities,
                    &fields,
                    &fingerprints,
                ],
            )
            .await?;
        receipt.events_written = usize::try_from(written).unwrap_or(usize::MAX);
    }
    if !batch.dead_letters.is_empty() {
        let d = &batch.dead_letters;
        let cut: Vec<_> = d
            .iter()
            .map(|dl| truncate_raw(&dl.reason, &dl.raw, max_raw))
            .collect();
        let tenants: Vec<&str> = d.iter().map(|dl| dl.tenant.as_str()).collect();
        let sources: Vec<&str> = d.iter().map(|dl| dl.source.as_str()).collect();
        let received: Vec<i64> = d.iter().map(|dl| micros(dl.received_at)).collect();
        let reasons: Vec<&str> = cut.iter().map(|(r, _)| r.as_ref()).collect();
        let raws: Vec<&[u8]> = cut.iter().map(|(_, raw)| *raw).collect();
        tx.execute(
            INSERT_DEAD_LETTERS,
            &[&tenants, &sources, &received, &reasons, &raws],
        )
        .await?;
        receipt.dead_letters_written = d.len();
    }
    if !batch.detections.is_empty() {
        merge_all(tx, &batch.detections, &mut receipt, lock_space).await?;
    }
    Ok(receipt)
}

enum Merge {
    Created,
    Updated,
    Unchanged,
}

async fn merge_all(
    tx: &Transaction<'_>,
    detections: &[AlertDetection],
    receipt: &mut CommitReceipt,
    lock_space: i32,
) -> PgResult<()> {
    // The alerts that exist, locked in one order by every committer.
    let mut ids: Vec<Uuid> = detections.iter().map(|d| d.alert.id.0).collect();
    ids.sort_unstable();
    ids.dedup();
    tx.query(
        "SELECT id FROM alerts WHERE id = ANY($1) ORDER BY id FOR UPDATE",
        &[&ids],
    )
    .await?;
    let mut feed: Vec<Uuid> = Vec::new();
    for detection in detections {
        match merge(tx, detection).await? {
            Merge::Created => receipt.alerts_created.push(detection.alert.id),
            Merge::Updated => receipt.alerts_updated.push(detection.alert.id),
            Merge::Unchanged => continue,
        }
        feed.push(detection.alert.id.0);
    }
    if !feed.is_empty() {
        tx.execute(
            "SELECT pg_advisory_xact_lock($1, $2)",
            &[&lock_space, &(Lock::AlertFeed as i32)],
        )
        .await?;
        tx.execute(
            "INSERT INTO desk_alert_feed (alert_id) \
             SELECT id FROM unnest($1::uuid[]) WITH ORDINALITY AS f(id, n) ORDER BY n",
            &[&feed],
        )
        .await?;
    }
    Ok(())
}

const SELECT_STORED: &str = "SELECT entities, event_count FROM alerts WHERE id = $1 FOR UPDATE";

const INSERT_ALERT: &str = "INSERT INTO alerts (id, tenant, site, rule_id, rule_title, severity, \
     status, group_key, window_start, first_seen, last_seen, event_count, entities, created_at, \
     updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 0, $12, $13, $14) \
     ON CONFLICT (id) DO NOTHING";

const INSERT_EVIDENCE: &str = "INSERT INTO alert_evidence (alert_id, fingerprint, event_id, observed_at) \
     SELECT $1, fp, ev, at FROM unnest($2::int8[], $3::uuid[], $4::int8[]) \
     WITH ORDINALITY AS e(fp, ev, at, n) ORDER BY n \
     ON CONFLICT (alert_id, fingerprint) DO NOTHING";

const MERGE_ALERT: &str = "UPDATE alerts SET first_seen = LEAST(first_seen, $2), \
     last_seen = GREATEST(last_seen, $3), updated_at = $4, entities = $5, \
     event_count = event_count + $6 WHERE id = $1";

async fn merge(tx: &Transaction<'_>, detection: &AlertDetection) -> PgResult<Merge> {
    let alert = &detection.alert;
    let id = alert.id.0;
    let mut stored: Option<String> = match tx.query_opt(SELECT_STORED, &[&id]).await? {
        Some(row) => Some(row.try_get(0)?),
        None => None,
    };
    let created = match &stored {
        Some(_) => false,
        None => {
            let entities = entities_json(alert.id, &capped(&alert.entities))?;
            let inserted = tx
                .execute(
                    INSERT_ALERT,
                    &[
                        &id,
                        &alert.tenant.as_str(),
                        &alert.site.as_ref().map(|s| s.as_str()),
                        &alert.rule_id,
                        &alert.rule_title,
                        &i64::from(alert.severity.rank()),
                        &alert.status.as_str(),
                        &alert.group_key,
                        &micros(alert.window_start),
                        &micros(alert.first_seen),
                        &micros(alert.last_seen),
                        &entities,
                        &micros(alert.created_at),
                        &micros(alert.updated_at),
                    ],
                )
                .await?
                == 1;
            if !inserted {
                // Another node created it meanwhile: merge into theirs.
                stored = match tx.query_opt(SELECT_STORED, &[&id]).await? {
                    Some(row) => Some(row.try_get(0)?),
                    None => None,
                };
            }
            inserted
        }
    };

    let added = if detection.evidence.is_empty() {
        0
    } else {
        let fps: Vec<i64> = detection
            .evidence
            .iter()
            .map(|(_, fp, _)| crate::encoding::fingerprint(*fp))
            .collect();
        let events: Vec<Uuid> = detection.evidence.iter().map(|(e, _, _)| e.0).collect();
        let at: Vec<i64> = detection
            .evidence
            .iter()
            .map(|(_, _, t)| micros(*t))
            .collect();
        tx.execute(INSERT_EVIDENCE, &[&id, &fps, &events, &at])
            .await?
    };
    let added = i64::try_from(added).unwrap_or(i64::MAX);

    if created {
        if added > 0 {
            tx.execute(
                "UPDATE alerts SET event_count = event_count + $2 WHERE id = $1",
                &[&id, &added],
            )
            .await?;
        }
        return Ok(Merge::Created);
    }
    if added == 0 {
        // A replay: everything it says is already recorded.
        return Ok(Merge::Unchanged);
    }
    let stored =
        stored.ok_or_else(|| corrupt("alert", alert.id, "vanished during its own merge"))?;
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
    tx.execute(
        MERGE_ALERT,
        &[
            &id,
            &micros(alert.first_seen),
            &micros(alert.last_seen),
            &micros(alert.updated_at),
            &entities,
            &added,
        ],
    )
    .await?;
    Ok(Merge::Updated)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partitions_are_named_by_their_utc_day() {
        let now = chrono::Utc::now();
        let day = day_of(now.timestamp_micros());
        assert_eq!(
            partition_name(day),
            format!("events_{}", now.format("%Y%m%d"))
        );
        assert_eq!(day_of(day + DAY_MICROS - 1), day);
        assert_eq!(day_of(day - 1), day - DAY_MICROS);
        assert_eq!(partition_name(day_of(-1)), "events_19691231");
        let far = day_of(i64::MIN / 2);
        assert_eq!(
            partition_name(far),
            format!("events_dm{}", far.div_euclid(DAY_MICROS).unsigned_abs())
        );
    }
}
