//! The writer thread: every write, one connection, group commit.
//!
//! SQLite allows one writer at a time. Several connections taking turns at
//! the write lock would spend their time in busy-waits and lock hand-offs;
//! one thread that owns the only write connection never contends, and can
//! keep its prepared statements cached for the life of the process.
//!
//! Durability is `synchronous=FULL`: a commit returns only after the WAL has
//! been fsynced, so a commit that returned survives power loss, which is
//! what lets Vigil acknowledge a source. An fsync per caller would cap
//! ingest at the disk's fsync rate, so the writer does group commit: it
//! takes the first job from the queue, drains every job already waiting
//! behind it (up to a bound), writes them all in ONE transaction, commits
//! once — one fsync for the whole group — and only then replies to every
//! waiter. Under load the groups grow by themselves; when idle a lone job
//! commits at once.
//!
//! A job that fails (a desk write naming a stale version, say) must be
//! rolled back alone while the rest of the group still commits. Ingest
//! batches, the bulk of every group, are written first and directly in the
//! group's transaction, without savepoints: a savepoint copies every page
//! a job touches into the sub-journal first (16 KiB each), and an alarm
//! batch touches several pages per frame (its alerts' rows and evidence
//! leaves), so savepoints were a fifth of the writer's work in `vigil bench
//! dc09 --code BA` (callgrind). Ingest batches almost never fail; when one
//! does, the whole transaction is rolled back, that batch is told its error,
//! and the group is written again without it — the outcome every other job
//! would have had with savepoints, since a failed job leaves nothing behind
//! and the jobs of one group were all waiting at once, so any order is one
//! they could have been committed in. The other jobs (desk writes,
//! configuration, purges) run after the batches, each in its own savepoint
//! (their work cannot be run twice); a group of one runs without (its
//! transaction is its own). If SQLite rolls the whole transaction back by
//! itself (disk full, I/O error) while those run, or the final commit
//! fails, every job in the group is told so: none of them is durable.

use std::thread::JoinHandle;

use rusqlite::{Connection, TransactionBehavior};
use tokio::sync::{mpsc, oneshot};

use super::checkpoint::{self, CheckpointTrigger};
use super::config::{self, ConfigChange};
use super::ingest::{self, EncodedBatch};
use super::retention;
use crate::{CommitReceipt, StoreError};

/// Where a job's result goes.
pub(crate) type Reply<T> = oneshot::Sender<Result<T, StoreError>>;

/// One unit of work for the writer.
#[derive(Debug)]
pub(crate) enum Job {
    Ingest {
        batch: EncodedBatch,
        reply: Reply<CommitReceipt>,
    },
    Config {
        change: ConfigChange,
        reply: Reply<()>,
    },
    Purge {
        cutoff_micros: i64,
        max_rows: u64,
        reply: Reply<u64>,
    },
    /// Work written elsewhere in the store (the desk, the audit chain) that
    /// must commit atomically on the one write connection.
    Custom {
        work: CustomWork,
        reply: Reply<CustomOutput>,
    },
}

/// What a [`Job::Custom`] returns, boxed so one variant serves every caller;
/// [`Writer::run_custom`] unboxes it to the caller's type.
pub(crate) type CustomOutput = Box<dyn std::any::Any + Send>;

/// The work of a [`Job::Custom`]: runs inside the job's savepoint.
pub(crate) struct CustomWork(Box<CustomFn>);

/// The closure a [`CustomWork`] carries.
pub(crate) type CustomFn = dyn FnOnce(&Connection) -> Result<CustomOutput, StoreError> + Send;

impl std::fmt::Debug for CustomWork {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CustomWork")
    }
}

/// Limits the writer works within.
#[derive(Debug, Clone, Copy)]
pub(crate) struct WriterLimits {
    /// Most jobs committed together.
    pub max_group_jobs: usize,
    /// Most raw bytes kept per dead letter.
    pub max_dead_letter_bytes: usize,
}

/// The handle the store keeps: the queue into the writer, its thread, and
/// the checkpoint thread that serves it.
#[derive(Debug)]
pub(crate) struct Writer {
    jobs: Option<mpsc::Sender<Job>>,
    thread: Option<JoinHandle<()>>,
    checkpointer: Option<JoinHandle<()>>,
}

impl Writer {
    /// Starts the writer thread on `conn`, and the checkpoint thread on
    /// `checkpoint_conn`.
    pub fn start(
        conn: Connection,
        checkpoint_conn: Connection,
        queue: usize,
        limits: WriterLimits,
    ) -> std::io::Result<Self> {
        let (trigger, checkpointer) = checkpoint::start(checkpoint_conn)?;
        let (tx, rx) = mpsc::channel(queue.max(1));
        let thread = std::thread::Builder::new()
            .name("vigil-store-writer".into())
            .spawn(move || run(conn, rx, trigger, limits))?;
        Ok(Self {
            jobs: Some(tx),
            thread: Some(thread),
            checkpointer: Some(checkpointer),
        })
    }

    /// Queues a job and waits for its result.
    pub async fn submit<T>(&self, job: impl FnOnce(Reply<T>) -> Job) -> Result<T, StoreError> {
        let jobs = self.jobs.as_ref().ok_or(StoreError::Closed)?;
        let (reply, result) = oneshot::channel();
        jobs.send(job(reply))
            .await
            .map_err(|_| StoreError::Closed)?;
        // A dropped reply means the writer thread is gone.
        result.await.map_err(|_| StoreError::Closed)?
    }

    /// Runs `work` on the writer thread in its own savepoint of a group
    /// transaction; returns once the group is durable.
    pub async fn run_custom<T, F>(&self, work: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
    {
        let work = CustomWork(Box::new(move |conn| {
            work(conn).map(|out| Box::new(out) as CustomOutput)
        }));
        let out = self.submit(|reply| Job::Custom { work, reply }).await?;
        out.downcast::<T>()
            .map(|b| *b)
            .map_err(|_| StoreError::Database("custom write returned an unexpected type".into()))
    }

    /// Closes the queue and waits for the writer to finish what was queued.
    pub fn shutdown(&mut self) {
        self.jobs = None;
        // The writer ends first; its end closes the checkpoint thread's signal.
        for (name, thread) in [
            ("writer", self.thread.take()),
            ("checkpoint", self.checkpointer.take()),
        ] {
            if let Some(thread) = thread
                && thread.join().is_err()
            {
                tracing::error!("the store's {name} thread panicked");
            }
        }
    }
}

impl Drop for Writer {
    fn drop(&mut self) {
        self.shutdown();
    }
}

fn run(
    mut conn: Connection,
    mut rx: mpsc::Receiver<Job>,
    mut checkpoint: CheckpointTrigger,
    limits: WriterLimits,
) {
    let mut group = Vec::with_capacity(limits.max_group_jobs);
    while let Some(first) = rx.blocking_recv() {
        group.push(first);
        while group.len() < limits.max_group_jobs {
            match rx.try_recv() {
                Ok(job) => group.push(job),
                Err(_) => break,
            }
        }
        let written = commit_group(&mut conn, group.drain(..), limits);
        checkpoint.wrote(written);
        if rx.is_empty() {
            checkpoint.idle();
        }
    }
    tracing::debug!("store writer stopped: queue closed");
}

/// A job's result, held until the group's commit decides its fate.
type Delivery = Box<dyn FnOnce(Option<&str>)>;

fn delivery<T: Send + 'static>(reply: Reply<T>, result: Result<T, StoreError>) -> Delivery {
    Box::new(move |group_failure| {
        let result = match group_failure {
            Some(why) => Err(StoreError::Database(why.to_owned())),
            None => result,
        };
        // The caller may have given up waiting; the write stands either way.
        let _ = reply.send(result);
    })
}

impl Job {
    /// Roughly how many bytes the job adds to the log.
    fn approx_bytes(&self) -> usize {
        match self {
            Job::Ingest { batch, .. } => batch.approx_bytes(),
            Job::Config { .. } | Job::Custom { .. } => 1024,
            // Deleting rows rewrites the pages they were on.
            Job::Purge { max_rows, .. } => usize::try_from(*max_rows)
                .unwrap_or(usize::MAX)
                .saturating_mul(1024),
        }
    }

    /// Runs the job; returns whether it succeeded and how to deliver it.
    fn run(self, conn: &Connection, limits: WriterLimits) -> (bool, Delivery) {
        match self {
            Job::Ingest { batch, reply } => {
                let r = ingest::write(conn, &batch, limits.max_dead_letter_bytes);
                (r.is_ok(), delivery(reply, r))
            }
            Job::Config { change, reply } => {
                let r = config::apply(conn, &change);
                (r.is_ok(), delivery(reply, r))
            }
            Job::Purge {
                cutoff_micros,
                max_rows,
                reply,
            } => {
                let r = retention::purge_chunk(conn, cutoff_micros, max_rows);
                (r.is_ok(), delivery(reply, r))
            }
            Job::Custom { work, reply } => {
                let r = (work.0)(conn);
                (r.is_ok(), delivery(reply, r))
            }
        }
    }

    /// Fails the job without running it.
    fn fail(self, why: &str) {
        fn err<T>(why: &str) -> Result<T, StoreError> {
            Err(StoreError::Database(why.to_owned()))
        }
        // As in `delivery`: a caller that gave up has nothing to be told.
        match self {
            Job::Ingest { reply, .. } => drop(reply.send(err(why))),
            Job::Config { reply, .. } => drop(reply.send(err(why))),
            Job::Purge { reply, .. } => drop(reply.send(err(why))),
            Job::Custom { reply, .. } => drop(reply.send(err(why))),
        }
    }
}

/// An ingest job's parts.
type IngestJob = (EncodedBatch, Reply<CommitReceipt>);

/// Commits `jobs` as one group; returns roughly how many bytes it wrote.
fn commit_group(
    conn: &mut Connection,
    jobs: impl ExactSizeIterator<Item = Job>,
    limits: WriterLimits,
) -> usize {
    let mut batches: Vec<IngestJob> = Vec::with_capacity(jobs.len());
    let mut others: Vec<Job> = Vec::new();
    for job in jobs {
        match job {
            Job::Ingest { batch, reply } => batches.push((batch, reply)),
            other => others.push(other),
        }
    }
    loop {
        let tx = match conn.transaction_with_behavior(TransactionBehavior::Immediate) {
            Ok(tx) => tx,
            Err(e) => {
                let why = format!("cannot begin a write transaction: {e}");
                for (_, reply) in batches {
                    let _ = reply.send(Err(StoreError::Database(why.clone())));
                }
                others.into_iter().for_each(|job| job.fail(&why));
                return 0;
            }
        };
        match write_batches(&tx, &batches, limits) {
            Ok(receipts) => return finish_group(tx, batches, receipts, others, limits),
            Err((failed, error)) => {
                // Rolls back every batch written so far; the others are
                // written again without the one that failed.
                drop(tx);
                let (_, reply) = batches.remove(failed);
                // The caller may have given up waiting.
                let _ = reply.send(Err(error));
                if batches.is_empty() && others.is_empty() {
                    return 0;
                }
            }
        }
    }
}

/// Writes every batch into `tx`, in order; on failure, says which one failed
/// and why (what the others wrote is then in `tx`, to be rolled back).
fn write_batches(
    tx: &Connection,
    batches: &[IngestJob],
    limits: WriterLimits,
) -> Result<Vec<CommitReceipt>, (usize, StoreError)> {
    batches
        .iter()
        .enumerate()
        .map(|(i, (batch, _))| {
            ingest::write(tx, batch, limits.max_dead_letter_bytes).map_err(|e| (i, e))
        })
        .collect()
}

/// Runs the jobs other than ingest after the group's batches were written,
/// each in its own savepoint, commits, and tells every job its fate.
fn finish_group(
    mut tx: rusqlite::Transaction<'_>,
    batches: Vec<IngestJob>,
    receipts: Vec<CommitReceipt>,
    others: Vec<Job>,
    limits: WriterLimits,
) -> usize {
    let mut others = others.into_iter();
    if batches.is_empty()
        && others.len() == 1
        && let Some(job) = others.next()
    {
        return commit_alone(tx, job, limits);
    }
    let mut written = batches
        .iter()
        .map(|(batch, _)| batch.approx_bytes())
        .fold(0usize, usize::saturating_add);
    let mut done: Vec<Delivery> = batches
        .into_iter()
        .zip(receipts)
        .map(|((_, reply), receipt)| delivery(reply, Ok(receipt)))
        .collect();
    let mut group_failure: Option<String> = None;
    for job in others.by_ref() {
        let savepoint = match tx.savepoint() {
            Ok(sp) => sp,
            Err(e) => {
                group_failure = Some(format!("cannot open a savepoint: {e}"));
                job.fail(group_failure.as_deref().unwrap_or_default());
                break;
            }
        };
        let bytes = job.approx_bytes();
        let (ok, delivery) = job.run(&savepoint, limits);
        if ok {
            written = written.saturating_add(bytes);
        }
        // A savepoint left to finish() rolls back to its start and releases.
        let ended = if ok {
            savepoint.commit()
        } else {
            savepoint.finish()
        };
        done.push(delivery);
        if let Err(e) = ended {
            group_failure = Some(format!("cannot end a savepoint: {e}"));
            break;
        }
        if tx.is_autocommit() {
            // SQLite abandoned the transaction (I/O error, disk full):
            // nothing before this point is durable.
            group_failure = Some("the write transaction was rolled back by the database".into());
            break;
        }
    }
    let group_failure = match group_failure {
        Some(why) => {
            drop(tx);
            Some(why)
        }
        None => tx.commit().err().map(|e| format!("commit failed: {e}")),
    };
    if let Some(why) = &group_failure {
        tracing::error!(jobs = done.len(), "store write group failed: {why}");
        others.for_each(|job| job.fail(why));
    }
    for d in done {
        d(group_failure.as_deref());
    }
    if group_failure.is_some() { 0 } else { written }
}

/// Commits a group of one. It needs no savepoint of its own — the
/// transaction is its own, and rolling it back undoes the job alone — and
/// a savepoint is not free: every page the job touches is first copied
/// into the sub-journal (16 KiB each), which is most of the cost of a
/// small write.
fn commit_alone(tx: rusqlite::Transaction<'_>, job: Job, limits: WriterLimits) -> usize {
    let bytes = job.approx_bytes();
    let (ok, delivery) = job.run(&tx, limits);
    if !ok {
        // Dropping the transaction rolls back whatever the job wrote
        // before it failed; the job is told its own error.
        drop(tx);
        delivery(None);
        return 0;
    }
    match tx.commit() {
        Ok(()) => {
            delivery(None);
            bytes
        }
        Err(e) => {
            let why = format!("commit failed: {e}");
            tracing::error!(jobs = 1, "store write group failed: {why}");
            delivery(Some(&why));
            0
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::StoreError;
    use crate::sqlite::{SqliteOptions, SqliteStore};

    #[tokio::test]
    async fn a_job_committed_alone_that_fails_leaves_nothing_behind() {
        let store = SqliteStore::open_temporary(SqliteOptions::default()).unwrap();
        let err = store
            .writer
            .run_custom(|conn| {
                conn.execute("INSERT INTO tenants (id, name) VALUES ('half', 'Half')", [])?;
                Err::<(), _>(StoreError::Database("failed after writing".into()))
            })
            .await
            .unwrap_err();
        assert!(err.to_string().contains("failed after writing"), "{err}");
        let written: i64 = store
            .writer
            .run_custom(|conn| {
                Ok(
                    conn.query_row("SELECT count(*) FROM tenants WHERE id = 'half'", [], |r| {
                        r.get(0)
                    })?,
                )
            })
            .await
            .unwrap();
        assert_eq!(written, 0, "the failed job's write was rolled back");
    }
}
