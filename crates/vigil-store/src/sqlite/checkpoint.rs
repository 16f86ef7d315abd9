//! WAL checkpoints, off the write path.
//!
//! In WAL mode every commit appends to the log, and a checkpoint copies
//! the logged pages back into the database file and fsyncs it. Left to
//! SQLite, the checkpoint runs inside whichever commit crosses the size
//! threshold: measured here, every ~13th 1,000-event commit took 70–190 ms
//! instead of ~25 ms, and every source waiting on that group waited with it.
//!
//! So the writer's own automatic checkpoint is only a backstop, and a
//! dedicated thread with its own connection runs PASSIVE checkpoints, which
//! never block the writer or readers. The writer signals it after roughly
//! [`CHECKPOINT_AFTER_BYTES`] of writes and whenever its queue runs dry, so
//! a burst is folded in soon after it ends; signals that arrive while a
//! checkpoint runs coalesce into one more.

use std::sync::mpsc::{self, Receiver, SyncSender, TrySendError};
use std::thread::JoinHandle;

use rusqlite::Connection;

/// Roughly how many bytes of writes trigger a checkpoint.
pub(crate) const CHECKPOINT_AFTER_BYTES: usize = 16 * 1024 * 1024;

/// The writer's own automatic checkpoint, in pages: only reached when the
/// checkpoint thread cannot keep up.
pub(crate) const BACKSTOP_PAGES: i64 = 4096;

/// The writer's side: counts what it wrote and signals the thread.
#[derive(Debug)]
pub(crate) struct CheckpointTrigger {
    signal: SyncSender<()>,
    pending_bytes: usize,
}

impl CheckpointTrigger {
    /// Records `bytes` written by a committed group.
    pub fn wrote(&mut self, bytes: usize) {
        self.pending_bytes = self.pending_bytes.saturating_add(bytes);
        if self.pending_bytes >= CHECKPOINT_AFTER_BYTES {
            self.fire();
        }
    }

    /// The writer has nothing queued: fold in what it wrote.
    pub fn idle(&mut self) {
        if self.pending_bytes > 0 {
            self.fire();
        }
    }

    fn fire(&mut self) {
        match self.signal.try_send(()) {
            // Full: a checkpoint is already due and will include these pages.
            Ok(()) | Err(TrySendError::Full(())) => self.pending_bytes = 0,
            Err(TrySendError::Disconnected(())) => {
                // The thread is gone (it logged why); the backstop remains.
            }
        }
    }
}

/// Starts the checkpoint thread on `conn`; it stops when the trigger is
/// dropped.
pub(crate) fn start(conn: Connection) -> std::io::Result<(CheckpointTrigger, JoinHandle<()>)> {
    let (signal, rx) = mpsc::sync_channel(1);
    let thread = std::thread::Builder::new()
        .name("vigil-store-checkpoint".into())
        .spawn(move || run(conn, rx))?;
    Ok((
        CheckpointTrigger {
            signal,
            pending_bytes: 0,
        },
        thread,
    ))
}

fn run(conn: Connection, rx: Receiver<()>) {
    while rx.recv().is_ok() {
        let outcome = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |row| {
            Ok((
                row.get::<_, i64>(0)?,
                row.get::<_, i64>(1)?,
                row.get::<_, i64>(2)?,
            ))
        });
        match outcome {
            Ok((busy, log_frames, checkpointed)) => {
                tracing::trace!(busy, log_frames, checkpointed, "wal checkpoint");
            }
            // Not fatal: the next signal tries again, the backstop remains.
            Err(e) => tracing::warn!("wal checkpoint failed: {e}"),
        }
    }
}
