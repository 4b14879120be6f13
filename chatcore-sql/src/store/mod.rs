//! [`SqlStore`]: every chatcore store trait over sea-orm connections.

use std::sync::Arc;

use chatcore::Result;
use chatcore::store::{Maintenance, Store};
use sea_orm::{DatabaseConnection, DatabaseTransaction, DbBackend};
use tokio::sync::mpsc;

use crate::error::{SqlStoreError, backend};

mod append;
mod extra;
mod hooks;
mod media;
mod messages;
mod moderated;
mod moderation;
mod notify;
mod outbox;
mod paging;
mod pins;
mod queued;
mod reactions;
mod reads;
mod retention;
mod rooms;
mod search;
mod sessions;
mod site;
mod threads;
mod txn;
mod users;

pub use append::AppendStats;
pub(crate) use txn::{IN_CHUNK, begin_write};

/// Tuning of a [`SqlStore`].
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct SqlStoreConfig {
    /// Most appends committed in one transaction by the group-commit writer.
    pub max_batch: usize,
    /// Appends that may wait for a writer before callers are held back.
    pub queue_capacity: usize,
    /// Group-commit writer tasks. Rooms are shared out among them (by room id), so
    /// the appends of one room stay in order in one writer while the writers
    /// commit in parallel. Use 1 for SQLite (one writer connection); a few for
    /// PostgreSQL.
    pub writers: usize,
}

impl Default for SqlStoreConfig {
    fn default() -> Self {
        Self {
            max_batch: 256,
            queue_capacity: 8192,
            writers: 1,
        }
    }
}

impl SqlStoreConfig {
    /// Set [`SqlStoreConfig::max_batch`] (at least 1).
    pub fn max_batch(mut self, n: usize) -> Self {
        self.max_batch = n.max(1);
        self
    }
    /// Set [`SqlStoreConfig::writers`] (at least 1).
    pub fn writers(mut self, n: usize) -> Self {
        self.writers = n.max(1);
        self
    }
    /// Set [`SqlStoreConfig::queue_capacity`] (at least 1).
    pub fn queue_capacity(mut self, n: usize) -> Self {
        self.queue_capacity = n.max(1);
        self
    }
}

/// A [`chatcore::Store`] over sea-orm connections, for SQLite and PostgreSQL.
///
/// - Every write runs on the `write` connection, in a transaction where it reads
///   before it writes (SQLite: `BEGIN IMMEDIATE`; PostgreSQL: the room row is
///   locked with `SELECT … FOR UPDATE` where limits and sequences are checked).
/// - Reads run on the `read` connection (the same pool on PostgreSQL; a pool of
///   `query_only` connections for a SQLite file).
/// - [`append_message`](chatcore::store::MessageStore::append_message) goes through
///   a group-commit writer task: concurrent appends are committed together, in one
///   transaction, and each call returns once its message is committed.
///
/// The schema must be migrated first ([`crate::migrate`]). Cloning is cheap (an `Arc`).
#[derive(Clone)]
pub struct SqlStore {
    inner: Arc<Inner>,
}

struct Inner {
    write: DatabaseConnection,
    read: DatabaseConnection,
    backend: DbBackend,
    /// One queue per writer task; a room's appends always go to the same one.
    appends: Vec<mpsc::Sender<append::Job>>,
    counters: Arc<append::Counters>,
}

impl std::fmt::Debug for SqlStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqlStore")
            .field("backend", &self.inner.backend)
            .finish_non_exhaustive()
    }
}

impl SqlStore {
    /// A store writing through `write` and reading through `read` (pass the same
    /// connection twice when there is one pool). Must be called inside a Tokio
    /// runtime: it starts the group-commit writer task, which ends when the last
    /// clone of the store is dropped.
    pub fn new(
        mut write: DatabaseConnection,
        mut read: DatabaseConnection,
        config: SqlStoreConfig,
    ) -> std::result::Result<Self, SqlStoreError> {
        // Statement latencies, for `chatcore::metrics` (a no-op without a recorder).
        for db in [&mut write, &mut read] {
            db.set_metric_callback(|i| {
                chatcore::metrics::store_query(&i.statement.sql, i.elapsed, i.failed);
            });
        }
        let runtime =
            tokio::runtime::Handle::try_current().map_err(|_| SqlStoreError::NoRuntime)?;
        let backend = write.get_database_backend();
        let counters = Arc::new(append::Counters::default());
        let writers = config.writers.max(1);
        let mut appends = Vec::with_capacity(writers);
        for _ in 0..writers {
            let (tx, rx) = mpsc::channel(config.queue_capacity.max(1));
            runtime.spawn(append::run(
                write.clone(),
                rx,
                config.max_batch.max(1),
                counters.clone(),
            ));
            appends.push(tx);
        }
        Ok(Self {
            inner: Arc::new(Inner {
                write,
                read,
                backend,
                appends,
                counters,
            }),
        })
    }

    /// The connection writes go through.
    pub fn write_connection(&self) -> &DatabaseConnection {
        &self.inner.write
    }

    /// The connection reads go through.
    pub fn read_connection(&self) -> &DatabaseConnection {
        &self.inner.read
    }

    /// What the group-commit writer has done so far.
    pub fn append_stats(&self) -> AppendStats {
        self.inner.counters.snapshot()
    }

    /// The database backend.
    pub fn backend(&self) -> DbBackend {
        self.inner.backend
    }

    /// The queue of the writer that owns `room`.
    fn appender(&self, room: chatcore::RoomId) -> &mpsc::Sender<append::Job> {
        let queues = &self.inner.appends;
        // UUIDv7 ids end in random bits: the low 64 spread rooms evenly.
        let i = (room.0.as_u128() as u64 % queues.len().max(1) as u64) as usize;
        &queues[i]
    }

    fn read(&self) -> &DatabaseConnection {
        &self.inner.read
    }

    fn write(&self) -> &DatabaseConnection {
        &self.inner.write
    }

    /// Run `f` in a write transaction: committed when it returns `Ok`, rolled back
    /// otherwise.
    async fn write_txn<T>(
        &self,
        f: impl AsyncFnOnce(&DatabaseTransaction) -> Result<T>,
    ) -> Result<T> {
        let txn = begin_write(self.write()).await.map_err(backend)?;
        match f(&txn).await {
            Ok(v) => {
                txn.commit().await.map_err(backend)?;
                Ok(v)
            }
            Err(e) => {
                if let Err(rb) = txn.rollback().await {
                    tracing::warn!(error = %rb, "rollback failed");
                }
                Err(e)
            }
        }
    }
}

impl Store for SqlStore {
    fn maintenance(&self) -> Option<&dyn Maintenance> {
        Some(self)
    }
}
