//! [`crate::DeskStore::delete_expired`] for PostgreSQL: one transaction
//! deletes one batch of a class and appends its proof under the audit
//! lock, so the deletion and its audit entry commit together.
//!
//! Events are deleted row by row even where whole day partitions could be
//! dropped: a partition holds every client's events, and retention is per
//! client. A day's partition is dropped once it is empty (after the last
//! client's batch). Each statement returns what it deleted (`RETURNING`),
//! so the ids proven are the rows that went.

use tokio_postgres::Transaction;
use uuid::Uuid;

use super::{Lock, PgResult, PgStore, audit_log, transaction};
use crate::encoding::micros;
use crate::governance::{
    DataClass, Deletion, ExpiryRequest, PURGE_TABLES, TenantPurge, ids_digest, proof_of,
    proof_record, purge_record,
};

impl PgStore {
    /// The body of [`crate::DeskStore::delete_expired`].
    pub(crate) async fn delete_expired_batch(&self, request: &ExpiryRequest) -> PgResult<Deletion> {
        let deletion = self.delete_and_prove(request).await?;
        if request.class == DataClass::Events && deletion.ids.len() < request.limit {
            self.drop_empty_days(micros(request.before)).await?;
        }
        Ok(deletion)
    }

    /// Drops the day partitions wholly before `cutoff` that no client has
    /// an event in any more. Retention deletes per client, row by row, so
    /// a day empties only when the last client's events of it went; without
    /// this its empty table would stay for good.
    async fn drop_empty_days(&self, cutoff: i64) -> PgResult<()> {
        let cutoff_day = super::ingest::day_of(cutoff);
        let dropped = transaction!(self, |tx| {
            self.lock(&tx, Lock::Partitions).await?;
            let days = tx
                .query(
                    "SELECT from_micros, name FROM event_partitions WHERE to_micros <= $1",
                    &[&cutoff_day],
                )
                .await?;
            let mut dropped = 0u32;
            for row in &days {
                let from: i64 = row.try_get(0)?;
                let name: String = row.try_get(1)?;
                // The name was written by this store from a date: nothing a
                // client sent is in it.
                let empty = tx
                    .query_opt(&format!("SELECT 1 FROM {name} LIMIT 1"), &[])
                    .await?
                    .is_none();
                if empty {
                    tx.batch_execute(&format!("DROP TABLE {name}")).await?;
                    tx.execute(
                        "DELETE FROM event_partitions WHERE from_micros = $1",
                        &[&from],
                    )
                    .await?;
                    dropped += 1;
                }
            }
            dropped
        })?;
        if dropped > 0 {
            self.forget_partitions();
        }
        Ok(())
    }

    async fn delete_and_prove(&self, request: &ExpiryRequest) -> PgResult<Deletion> {
        transaction!(self, |tx| {
            let mut ids = delete(&tx, request).await?;
            let proof = proof_of(request, &mut ids);
            let audit_seq = if ids.is_empty() {
                None
            } else {
                self.lock(&tx, Lock::Audit).await?;
                Some(audit_log::append(&tx, &proof_record(request, &proof)).await?)
            };
            Deletion {
                ids,
                proof,
                audit_seq,
            }
        })
    }
}

async fn delete(tx: &Transaction<'_>, request: &ExpiryRequest) -> PgResult<Vec<String>> {
    let tenant = request.tenant.as_str();
    let before = micros(request.before);
    let limit = i64::try_from(request.limit).unwrap_or(i64::MAX);
    let kept_alerts: Vec<Uuid> = request.keep_alerts.iter().map(|a| a.0).collect();
    Ok(match request.class {
        DataClass::Events => tx
            .query(
                "DELETE FROM events WHERE (id, observed_at) IN (SELECT id, observed_at FROM events \
                 WHERE tenant = $1 AND observed_at < $2 AND id NOT IN \
                 (SELECT event_id FROM alert_evidence WHERE alert_id = ANY($3)) LIMIT $4) \
                 RETURNING id",
                &[&tenant, &before, &kept_alerts, &limit],
            )
            .await?
            .iter()
            .map(|r| r.try_get::<_, Uuid>(0).map(|u| u.to_string()))
            .collect::<Result<_, _>>()?,
        DataClass::Alerts => {
            let deleted: Vec<Uuid> = tx
                .query(
                    "DELETE FROM alerts WHERE seq IN (SELECT seq FROM alerts \
                     WHERE tenant = $1 AND last_seen < $2 AND NOT (id = ANY($3)) LIMIT $4) \
                     RETURNING id",
                    &[&tenant, &before, &kept_alerts, &limit],
                )
                .await?
                .iter()
                .map(|r| r.try_get::<_, Uuid>(0))
                .collect::<Result<_, _>>()?;
            // The desk's view of each alert goes with it: its alarm, the
            // records hanging off the alarm, and any unread feed entry.
            tx.execute(
                "DELETE FROM desk_records WHERE kind = 'alarm' AND alert = ANY($1)",
                &[&deleted],
            )
            .await?;
            tx.execute(
                "DELETE FROM desk_alert_feed WHERE alert_id = ANY($1)",
                &[&deleted],
            )
            .await?;
            let ids: Vec<String> = deleted.iter().map(Uuid::to_string).collect();
            delete_linked(tx, tenant, "alarm", &ids).await?;
            ids
        }
        DataClass::Incidents => {
            let ids: Vec<String> = tx
                .query(
                    "DELETE FROM desk_records WHERE (kind, id) IN (SELECT kind, id FROM desk_records \
                     WHERE kind = 'incident' AND tenant = $1 AND status = 'closed' \
                     AND updated_at < $2 AND NOT (id = ANY($3)) LIMIT $4) RETURNING id",
                    &[&tenant, &before, &request.keep_incidents, &limit],
                )
                .await?
                .iter()
                .map(|r| r.try_get::<_, String>(0))
                .collect::<Result<_, _>>()?;
            delete_linked(tx, tenant, "incident", &ids).await?;
            ids
        }
        DataClass::DeadLetters => tx
            .query(
                "DELETE FROM dead_letters WHERE seq IN (SELECT seq FROM dead_letters \
                 WHERE tenant = $1 AND received_at < $2 LIMIT $3) RETURNING seq",
                &[&tenant, &before, &limit],
            )
            .await?
            .iter()
            .map(|r| r.try_get::<_, i64>(0).map(|s| s.to_string()))
            .collect::<Result<_, _>>()?,
        // Erased in place by the desk; nothing of the store's to delete.
        DataClass::Visitors => Vec::new(),
    })
}

/// Deletes the desk records that hang off the alarms or incidents `ids`
/// (SOP runs, deliveries, service-level crossings, NIS-2 reminders): they
/// link to one by its id or by `kind:id`. Alarms are left alone (an alarm
/// links to its group, which is another alarm's id).
async fn delete_linked(
    tx: &Transaction<'_>,
    tenant: &str,
    kind: &str,
    ids: &[String],
) -> PgResult<()> {
    if ids.is_empty() {
        return Ok(());
    }
    let prefixed: Vec<String> = ids.iter().map(|id| format!("{kind}:{id}")).collect();
    tx.execute(
        "DELETE FROM desk_records WHERE tenant = $1 AND kind <> 'alarm' \
         AND (link = ANY($2) OR link = ANY($3))",
        &[&tenant, &ids, &prefixed],
    )
    .await?;
    Ok(())
}

impl PgStore {
    /// The body of [`crate::DeskStore::purge_tenant`].
    pub(crate) async fn purge_tenant_rows(
        &self,
        tenant: &vigil_model::TenantId,
        actor: &str,
        at: vigil_model::Timestamp,
    ) -> PgResult<TenantPurge> {
        let t = tenant.as_str();
        transaction!(self, |tx| {
            let mut records: Vec<String> = tx
                .query(
                    "DELETE FROM desk_records WHERE tenant = $1 RETURNING kind, id",
                    &[&t],
                )
                .await?
                .iter()
                .map(|r| {
                    Ok::<_, tokio_postgres::Error>(format!(
                        "{}/{}",
                        r.try_get::<_, String>(0)?,
                        r.try_get::<_, String>(1)?
                    ))
                })
                .collect::<Result<_, _>>()?;
            let mut rows = std::collections::BTreeMap::new();
            let feed = tx
                .execute(
                    "DELETE FROM desk_alert_feed WHERE alert_id IN \
                     (SELECT id FROM alerts WHERE tenant = $1)",
                    &[&t],
                )
                .await?;
            if feed > 0 {
                rows.insert("desk_alert_feed".to_owned(), feed);
            }
            for (table, column) in PURGE_TABLES {
                // Both names are constants of this crate, not input.
                let n = tx
                    .execute(&format!("DELETE FROM {table} WHERE {column} = $1"), &[&t])
                    .await?;
                if n > 0 {
                    rows.insert((*table).to_owned(), n);
                }
            }
            let mut purge = TenantPurge {
                tenant: tenant.clone(),
                desk_records: records.len() as u64,
                desk_records_sha256: hex::encode(ids_digest(&mut records)),
                rows,
                audit_seq: 0,
            };
            self.lock(&tx, Lock::Audit).await?;
            purge.audit_seq = audit_log::append(&tx, &purge_record(&purge, actor, at)).await?;
            purge
        })
    }
}
