//! Retention: archived events observed before a cutoff go.
//!
//! Whole days before the cutoff's day are dropped as partitions — no row
//! is read or deleted one by one, and the space returns to the system at
//! once. Only the day the cutoff falls in is deleted from row by row (its
//! index on observed time bounds the work). Dropping a partition is counted
//! first, since the caller is told how many events went.

use super::ingest::day_of;
use super::{Lock, PgResult, PgStore, transaction};
use crate::encoding::micros;

impl PgStore {
    /// The body of [`crate::Store::purge_events_before`].
    pub(crate) async fn purge(&self, cutoff: vigil_model::Timestamp) -> PgResult<u64> {
        let cutoff = micros(cutoff);
        let cutoff_day = day_of(cutoff);
        let dropped = transaction!(self, |tx| {
            self.lock(&tx, Lock::Partitions).await?;
            let whole = tx
                .query(
                    "SELECT from_micros, name FROM event_partitions WHERE to_micros <= $1 \
                     ORDER BY from_micros",
                    &[&cutoff_day],
                )
                .await?;
            let mut count: u64 = 0;
            for row in &whole {
                let from: i64 = row.try_get(0)?;
                let name: String = row.try_get(1)?;
                // The name was written by this store from a date: no quoting
                // is needed, and nothing a client sent is in it.
                let n: i64 = tx
                    .query_one(&format!("SELECT count(*) FROM {name}"), &[])
                    .await?
                    .try_get(0)?;
                count += u64::try_from(n).unwrap_or(0);
                tx.batch_execute(&format!("DROP TABLE {name}")).await?;
                tx.execute(
                    "DELETE FROM event_partitions WHERE from_micros = $1",
                    &[&from],
                )
                .await?;
            }
            count
        })?;
        if dropped > 0 {
            self.forget_partitions();
        }
        let deleted = transaction!(self, |tx| {
            tx.execute("DELETE FROM events WHERE observed_at < $1", &[&cutoff])
                .await?
        })?;
        Ok(dropped + deleted)
    }
}
