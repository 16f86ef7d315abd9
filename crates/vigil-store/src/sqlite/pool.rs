//! A small pool of read-only connections.
//!
//! In WAL mode readers do not block the writer nor each other, so reads run
//! on their own connections alongside ingest. SQLite calls block, so each
//! read runs on tokio's blocking pool (`spawn_blocking`) with a connection
//! checked out of the pool; a semaphore bounds how many run at once to the
//! number of connections. Connections are opened read-only: a read path
//! cannot write, whatever SQL it builds.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};
use tokio::sync::Semaphore;

use crate::StoreError;

/// How read connections are opened.
#[derive(Debug, Clone)]
pub(crate) struct ReaderSettings {
    pub path: PathBuf,
    pub busy_timeout: Duration,
    pub cache_size_kib: u32,
}

impl ReaderSettings {
    pub fn open(&self) -> Result<Connection, StoreError> {
        let conn = Connection::open_with_flags(
            &self.path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        conn.busy_timeout(self.busy_timeout)?;
        conn.pragma_update(None, "cache_size", -i64::from(self.cache_size_kib))?;
        conn.set_prepared_statement_cache_capacity(64);
        Ok(conn)
    }
}

/// Read-only connections and the permits to use them.
#[derive(Debug)]
pub(crate) struct ReadPool {
    settings: ReaderSettings,
    idle: Mutex<Vec<Connection>>,
    permits: Semaphore,
}

impl ReadPool {
    /// Opens `size` connections (at least one).
    pub fn open(settings: ReaderSettings, size: usize) -> Result<Arc<Self>, StoreError> {
        let size = size.max(1);
        let idle = (0..size)
            .map(|_| settings.open())
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Arc::new(Self {
            settings,
            idle: Mutex::new(idle),
            permits: Semaphore::new(size),
        }))
    }

    /// Runs `read` on a pooled connection on the blocking pool.
    pub async fn run<T, F>(self: &Arc<Self>, read: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
    {
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|_| StoreError::Closed)?;
        let pool = Arc::clone(self);
        tokio::task::spawn_blocking(move || {
            let conn = pool.checkout()?;
            let result = read(&conn);
            pool.checkin(conn);
            result
        })
        .await
        .map_err(|e| StoreError::Database(format!("read task failed: {e}")))?
    }

    fn checkout(&self) -> Result<Connection, StoreError> {
        let pooled = match self.idle.lock() {
            Ok(mut idle) => idle.pop(),
            Err(poisoned) => poisoned.into_inner().pop(),
        };
        // A connection is missing only if a read panicked while holding
        // it; open a replacement rather than shrink the pool for good.
        match pooled {
            Some(conn) => Ok(conn),
            None => self.settings.open(),
        }
    }

    fn checkin(&self, conn: Connection) {
        match self.idle.lock() {
            Ok(mut idle) => idle.push(conn),
            Err(poisoned) => poisoned.into_inner().push(conn),
        }
    }
}
