//! [`DeskStore`] for [`PgStore`]: versioned records, the alert change feed,
//! the desk feed, leases, and the audit chain's entry points.
//!
//! A record write names the version it read. Against other nodes that is
//! enforced by the statements themselves rather than by a read before the
//! write: an update applies only `WHERE version = <read>` (PostgreSQL
//! re-checks that condition after waiting for a concurrent writer of the
//! row, so of two writers who read the same version exactly one wins), and
//! a create is an insert that does nothing if the record exists. Either way
//! the loser gets [`StoreError::Conflict`] with the version now stored, and
//! its whole write (records, audit entries, feed) is rolled back.
//!
//! Leases are one `INSERT … ON CONFLICT DO UPDATE … WHERE` as in SQLite: the
//! row is taken over only by its holder or once expired, atomically.

use async_trait::async_trait;
use tokio_postgres::{Client, Row, Transaction};

use vigil_model::{AlertId, TenantId, Timestamp};

use super::codec::{
    ALERT_COLUMNS, Conditions, Param, alert_from_row, decode_all, int, page_limit, sql_limit,
    stored_time, text,
};
use super::{Lock, PgResult, PgStore, audit_log, transaction};
use crate::audit::{AuditEntry, AuditRecord, AuditSigner, Checkpoint, TenantExport};
use crate::encoding::{corrupt, micros};
use crate::{
    AlertChange, DeskReceipt, DeskRecord, DeskStore, DeskWrite, FeedEntry, RecordBody, RecordOrder,
    RecordQuery, StoreError, TenantScope,
};

/// Desk feed entries kept; older ones are dropped as new ones arrive.
const FEED_KEEP: i64 = 100_000;

const RECORD_COLUMNS: &str =
    "kind, id, tenant, version, status, rank, owner, link, alert, at, due_at, updated_at, body";

fn record_from_row(row: &Row) -> PgResult<DeskRecord> {
    let kind: String = row.try_get(0)?;
    let id: String = row.try_get(1)?;
    let what = "desk record";
    let key = format!("{kind}/{id}");
    let body: String = row.try_get(12)?;
    Ok(DeskRecord {
        tenant: match row.try_get::<_, Option<String>>(2)? {
            Some(t) => Some(TenantId::new(&t).map_err(|e| corrupt(what, &key, e))?),
            None => None,
        },
        version: row.try_get(3)?,
        status: row.try_get(4)?,
        rank: row.try_get(5)?,
        owner: row.try_get(6)?,
        link: row.try_get(7)?,
        alert: row.try_get::<_, Option<uuid::Uuid>>(8)?.map(AlertId),
        at: stored_time(what, &key, "at", row.try_get(9)?)?,
        due_at: match row.try_get::<_, Option<i64>>(10)? {
            Some(v) => Some(stored_time(what, &key, "due_at", v)?),
            None => None,
        },
        updated_at: stored_time(what, &key, "updated_at", row.try_get(11)?)?,
        body: RecordBody::from_text(body).map_err(|e| corrupt(what, &key, e))?,
        kind,
        id,
    })
}

async fn stored_version(tx: &Transaction<'_>, kind: &str, id: &str) -> PgResult<i64> {
    Ok(
        match tx
            .query_opt(
                "SELECT version FROM desk_records WHERE kind = $1 AND id = $2",
                &[&kind, &id],
            )
            .await?
        {
            Some(row) => row.try_get(0)?,
            None => 0,
        },
    )
}

fn conflict(kind: &str, id: &str, expected: i64, found: i64) -> StoreError {
    StoreError::Conflict {
        what: kind.to_owned(),
        id: id.to_owned(),
        expected,
        found,
    }
}

/// Writes `write` in `tx`.
async fn commit(store: &PgStore, tx: &Transaction<'_>, write: &DeskWrite) -> PgResult<DeskReceipt> {
    let mut receipt = DeskReceipt::default();
    for r in &write.records {
        let body = r.body.text();
        let tenant = r.tenant.as_ref().map(|t| t.as_str());
        let alert = r.alert.map(|a| a.0);
        let next = r.version + 1;
        let (at, due_at, updated_at) = (micros(r.at), r.due_at.map(micros), micros(r.updated_at));
        let values: [&(dyn tokio_postgres::types::ToSql + Sync); 13] = [
            &r.kind,
            &r.id,
            &tenant,
            &next,
            &r.status,
            &r.rank,
            &r.owner,
            &r.link,
            &alert,
            &at,
            &due_at,
            &updated_at,
            &body,
        ];
        let written = if r.version == 0 {
            tx.execute(
                &format!(
                    "INSERT INTO desk_records ({RECORD_COLUMNS}) VALUES \
                     ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) \
                     ON CONFLICT (kind, id) DO NOTHING"
                ),
                &values,
            )
            .await?
        } else {
            let mut with_read: Vec<&(dyn tokio_postgres::types::ToSql + Sync)> = values.to_vec();
            with_read.push(&r.version);
            tx.execute(
                "UPDATE desk_records SET tenant = $3, version = $4, status = $5, rank = $6, \
                 owner = $7, link = $8, alert = $9, at = $10, due_at = $11, updated_at = $12, \
                 body = $13 WHERE kind = $1 AND id = $2 AND version = $14",
                &with_read,
            )
            .await?
        };
        if written != 1 {
            let found = stored_version(tx, &r.kind, &r.id).await?;
            return Err(conflict(&r.kind, &r.id, r.version, found).into());
        }
        receipt.versions.push(next);
    }
    for (kind, id, version) in &write.deletes {
        let deleted = tx
            .execute(
                "DELETE FROM desk_records WHERE kind = $1 AND id = $2 AND version = $3",
                &[kind, id, version],
            )
            .await?;
        if deleted == 0 {
            // Deleting what does not exist, having read that it does not
            // (version 0), is no conflict: SQLite's rule.
            let found = stored_version(tx, kind, id).await?;
            if found != *version {
                return Err(conflict(kind, id, *version, found).into());
            }
        }
    }
    for (alert, status) in &write.alert_status {
        tx.execute(
            "UPDATE alerts SET status = $2 WHERE id = $1",
            &[&alert.0, &status.as_str()],
        )
        .await?;
    }
    if let Some(done) = write.alert_feed_done {
        tx.execute("DELETE FROM desk_alert_feed WHERE seq <= $1", &[&done])
            .await?;
    }
    if !write.records.is_empty() {
        append_feed(store, tx, &write.records).await?;
    }
    if !write.audit.is_empty() {
        store.lock(tx, Lock::Audit).await?;
        for record in &write.audit {
            receipt
                .audit_seqs
                .push(audit_log::append(tx, record).await?);
        }
    }
    Ok(receipt)
}

/// Appends the records' changes to the desk feed, under its lock (positions
/// in commit order), and drops what is older than [`FEED_KEEP`].
async fn append_feed(
    store: &PgStore,
    tx: &Transaction<'_>,
    records: &[DeskRecord],
) -> PgResult<()> {
    store.lock(tx, Lock::DeskFeed).await?;
    let mut last = 0;
    for r in records {
        last = tx
            .query_one(
                "INSERT INTO desk_feed (tenant, kind, id, status, rank, at) \
                 VALUES ($1, $2, $3, $4, $5, $6) RETURNING seq",
                &[
                    &r.tenant.as_ref().map(|t| t.as_str()),
                    &r.kind,
                    &r.id,
                    &r.status,
                    &r.rank,
                    &micros(r.updated_at),
                ],
            )
            .await?
            .try_get(0)?;
    }
    if last % 1000 < i64::try_from(records.len()).unwrap_or(i64::MAX) {
        tx.execute(
            "DELETE FROM desk_feed WHERE seq <= $1",
            &[&(last - FEED_KEEP)],
        )
        .await?;
    }
    Ok(())
}

fn scope_condition(w: &mut Conditions, scope: &TenantScope) {
    if let TenantScope::One(t) = scope {
        w.and("tenant = ?", [text(t.as_str())]);
    }
}

async fn record(
    client: &Client,
    kind: &str,
    id: &str,
    scope: &TenantScope,
) -> PgResult<Option<DeskRecord>> {
    let mut w = Conditions::default();
    w.and("kind = ?", [text(kind)]);
    w.and("id = ?", [text(id)]);
    scope_condition(&mut w, scope);
    let sql = format!("SELECT {RECORD_COLUMNS} FROM desk_records{}", w.sql());
    client
        .query_opt(&sql, &w.refs())
        .await?
        .map(|row| record_from_row(&row))
        .transpose()
}

async fn records_by_id(
    client: &Client,
    kind: &str,
    ids: &[String],
    scope: &TenantScope,
) -> PgResult<Vec<DeskRecord>> {
    let mut w = Conditions::default();
    w.and("kind = ?", [text(kind)]);
    in_list("id", false, ids, &mut w);
    scope_condition(&mut w, scope);
    let sql = format!("SELECT {RECORD_COLUMNS} FROM desk_records{}", w.sql());
    let rows = client.query(&sql, &w.refs()).await?;
    rows.iter().map(record_from_row).collect()
}

fn in_list(column: &str, negate: bool, values: &[String], w: &mut Conditions) {
    if values.is_empty() {
        return;
    }
    let not = if negate { "NOT " } else { "" };
    w.and(
        &format!("{not}({column} = ANY(?))"),
        [Box::new(values.to_vec()) as Param],
    );
}

async fn records(client: &Client, q: &RecordQuery) -> PgResult<Vec<DeskRecord>> {
    let mut w = Conditions::default();
    w.and("kind = ?", [text(&q.kind)]);
    scope_condition(&mut w, &q.scope);
    in_list("status", false, &q.statuses, &mut w);
    in_list("status", true, &q.not_statuses, &mut w);
    if let Some(owner) = &q.owner {
        w.and("owner = ?", [text(owner)]);
    }
    if let Some(link) = &q.link {
        w.and("link = ?", [text(link)]);
    }
    if let Some(t) = q.at_from {
        w.and("at >= ?", [int(micros(t))]);
    }
    if let Some(t) = q.at_to {
        w.and("at < ?", [int(micros(t))]);
    }
    if let Some(t) = q.due_by {
        w.and("due_at <= ?", [int(micros(t))]);
    }
    // SQLite sorts NULL first in ascending order; PostgreSQL last unless told.
    let order = match q.order {
        RecordOrder::RankThenAge => "rank DESC, at ASC, id",
        RecordOrder::Newest => "at DESC, id",
        RecordOrder::Due => "due_at ASC NULLS FIRST, id",
    };
    let limit = w.push(int(sql_limit(page_limit(q.limit))));
    let offset = w.push(int(i64::try_from(q.offset).unwrap_or(i64::MAX)));
    // `id` compared bytewise, as SQLite compares text.
    let order = order.replace(", id", ", id COLLATE \"C\"");
    let sql = format!(
        "SELECT {RECORD_COLUMNS} FROM desk_records{} ORDER BY {order} LIMIT {limit} OFFSET {offset}",
        w.sql()
    );
    decode_all(&client.query(&sql, &w.refs()).await?, record_from_row)
}

async fn alert_changes(client: &Client, after: i64, limit: usize) -> PgResult<Vec<AlertChange>> {
    let columns: Vec<String> = ALERT_COLUMNS
        .split(", ")
        .map(|c| format!("a.{c}"))
        .collect();
    let sql = format!(
        "SELECT {}, f.seq FROM desk_alert_feed f JOIN alerts a ON a.id = f.alert_id \
         WHERE f.seq > $1 ORDER BY f.seq LIMIT $2",
        columns.join(", ")
    );
    let rows = client
        .query(&sql, &[&after, &sql_limit(page_limit(limit))])
        .await?;
    decode_all(&rows, |row| {
        Ok(AlertChange {
            seq: row.try_get(15)?,
            alert: alert_from_row(row)?,
        })
    })
}

async fn feed(
    client: &Client,
    after: i64,
    scope: &TenantScope,
    limit: usize,
) -> PgResult<Vec<FeedEntry>> {
    let mut w = Conditions::default();
    w.and("seq > ?", [int(after)]);
    scope_condition(&mut w, scope);
    let limit = w.push(int(sql_limit(page_limit(limit))));
    let sql = format!(
        "SELECT seq, tenant, kind, id, status, rank, at FROM desk_feed{} ORDER BY seq LIMIT {limit}",
        w.sql()
    );
    decode_all(&client.query(&sql, &w.refs()).await?, |row| {
        let seq: i64 = row.try_get(0)?;
        let key = seq.to_string();
        Ok(FeedEntry {
            seq,
            tenant: match row.try_get::<_, Option<String>>(1)? {
                Some(t) => Some(TenantId::new(&t).map_err(|e| corrupt("desk feed", &key, e))?),
                None => None,
            },
            kind: row.try_get(2)?,
            id: row.try_get(3)?,
            status: row.try_get(4)?,
            rank: row.try_get(5)?,
            at: stored_time("desk feed", &key, "at", row.try_get(6)?)?,
        })
    })
}

#[async_trait]
impl DeskStore for PgStore {
    async fn desk_commit(&self, write: DeskWrite) -> Result<DeskReceipt, StoreError> {
        Ok(transaction!(self, |tx| commit(self, &tx, &write).await?)?)
    }

    async fn desk_record(
        &self,
        kind: &str,
        id: &str,
        scope: &TenantScope,
    ) -> Result<Option<DeskRecord>, StoreError> {
        Ok(record(&**self.client().await?, kind, id, scope).await?)
    }

    async fn desk_records(&self, query: &RecordQuery) -> Result<Vec<DeskRecord>, StoreError> {
        Ok(records(&**self.client().await?, query).await?)
    }

    async fn desk_records_by_id(
        &self,
        kind: &str,
        ids: &[String],
        scope: &TenantScope,
    ) -> Result<Vec<DeskRecord>, StoreError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        Ok(records_by_id(&**self.client().await?, kind, ids, scope).await?)
    }

    async fn alert_changes(
        &self,
        after: i64,
        limit: usize,
    ) -> Result<Vec<AlertChange>, StoreError> {
        Ok(alert_changes(&**self.client().await?, after, limit).await?)
    }

    async fn desk_feed(
        &self,
        after: i64,
        scope: &TenantScope,
        limit: usize,
    ) -> Result<Vec<FeedEntry>, StoreError> {
        Ok(feed(&**self.client().await?, after, scope, limit).await?)
    }

    async fn desk_feed_head(&self) -> Result<i64, StoreError> {
        let client = self.client().await?;
        let row = client
            .query_one("SELECT coalesce(max(seq), 0)::BIGINT FROM desk_feed", &[])
            .await
            .map_err(super::PgError::from)?;
        Ok(row.try_get(0).map_err(super::PgError::from)?)
    }

    async fn try_lease(
        &self,
        name: &str,
        holder: &str,
        now: Timestamp,
        ttl: chrono::Duration,
    ) -> Result<bool, StoreError> {
        let (until, now) = (micros(now + ttl), micros(now));
        let changed = transaction!(self, |tx| {
            tx.execute(
                "INSERT INTO desk_leases (name, holder, expires_at) VALUES ($1, $2, $3) \
                 ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, \
                 expires_at = excluded.expires_at \
                 WHERE desk_leases.holder = excluded.holder OR desk_leases.expires_at <= $4",
                &[&name, &holder, &until, &now],
            )
            .await?
        })?;
        Ok(changed == 1)
    }

    async fn audit_append(&self, records: Vec<AuditRecord>) -> Result<Vec<u64>, StoreError> {
        Ok(transaction!(self, |tx| {
            self.lock(&tx, Lock::Audit).await?;
            let mut seqs = Vec::with_capacity(records.len());
            for r in &records {
                seqs.push(audit_log::append(&tx, r).await?);
            }
            seqs
        })?)
    }

    async fn audit_checkpoint(
        &self,
        signer: &AuditSigner,
        now: Timestamp,
    ) -> Result<Option<Checkpoint>, StoreError> {
        Ok(transaction!(self, |tx| {
            self.lock(&tx, Lock::Audit).await?;
            audit_log::checkpoint(&tx, signer, now).await?
        })?)
    }

    async fn audit_entries(
        &self,
        scope: &TenantScope,
        before: Option<u64>,
        limit: usize,
    ) -> Result<Vec<AuditEntry>, StoreError> {
        Ok(audit_log::entries(&**self.client().await?, scope, before, limit).await?)
    }

    async fn audit_export(&self, tenant: &TenantId) -> Result<TenantExport, StoreError> {
        let mut client = self.client().await?;
        Ok(audit_log::export(&mut client, tenant).await?)
    }

    async fn delete_expired(
        &self,
        request: &crate::governance::ExpiryRequest,
    ) -> Result<crate::governance::Deletion, StoreError> {
        Ok(self.delete_expired_batch(request).await?)
    }

    async fn purge_tenant(
        &self,
        tenant: &TenantId,
        actor: &str,
        at: Timestamp,
    ) -> Result<crate::governance::TenantPurge, StoreError> {
        Ok(self.purge_tenant_rows(tenant, actor, at).await?)
    }
}
