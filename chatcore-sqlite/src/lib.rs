#![doc = include_str!("../README.md")]

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use chatcore::{Error, Result};
use chatcore_sql::{SqlStore, SqlStoreConfig};
use sea_orm::sqlx::ConnectOptions as _;
use sea_orm::sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sea_orm::{DatabaseConnection, SqlxSqliteConnector};

pub use chatcore_sql;

mod backup;

/// When SQLite syncs the write-ahead log to disk (`PRAGMA synchronous`).
///
/// In WAL mode both settings keep every acknowledged message across a crash or
/// kill of the **process**: a commit is written to the WAL file (the operating
/// system's page cache) before the append returns, and the OS writes it out even
/// if the process dies. They differ on **power loss or an operating-system
/// crash**: [`Synchronous::Full`] fsyncs the WAL at every commit (one fsync per
/// group-commit batch), [`Synchronous::Normal`] only at checkpoints, so the last
/// commits before a power cut may be lost (the database stays consistent either
/// way).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Synchronous {
    /// fsync at checkpoints only: durable against process crashes and kills (the
    /// default).
    #[default]
    Normal,
    /// fsync at every commit: durable against power loss too.
    Full,
}

/// Options of [`SqliteStore::open_with`].
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct SqliteOptions {
    /// WAL sync policy (default [`Synchronous::Normal`]).
    pub synchronous: Synchronous,
    /// WAL size, in pages, at which a commit checkpoints it into the database file
    /// (`PRAGMA wal_autocheckpoint`; default 4000 pages of 4 KiB). Larger: fewer,
    /// longer checkpoints and less copying (a page rewritten many times is copied
    /// once).
    pub checkpoint_pages: u32,
    /// How long a connection waits for a lock held by another process before it
    /// fails with "database is locked" (default 5 s).
    pub busy_timeout: Duration,
    /// Read-only (`query_only`) connections for concurrent reads (default 4).
    pub readers: u32,
    /// Group-commit tuning.
    pub store: SqlStoreConfig,
}

impl Default for SqliteOptions {
    fn default() -> Self {
        Self {
            synchronous: Synchronous::default(),
            checkpoint_pages: 4000,
            busy_timeout: Duration::from_secs(5),
            readers: 4,
            store: SqlStoreConfig::default(),
        }
    }
}

impl SqliteOptions {
    /// Set [`SqliteOptions::synchronous`].
    pub fn synchronous(mut self, s: Synchronous) -> Self {
        self.synchronous = s;
        self
    }
    /// Set [`SqliteOptions::checkpoint_pages`] (at least 100).
    pub fn checkpoint_pages(mut self, pages: u32) -> Self {
        self.checkpoint_pages = pages.max(100);
        self
    }
    /// Set [`SqliteOptions::busy_timeout`].
    pub fn busy_timeout(mut self, t: Duration) -> Self {
        self.busy_timeout = t;
        self
    }
    /// Set [`SqliteOptions::readers`] (at least 1).
    pub fn readers(mut self, n: u32) -> Self {
        self.readers = n.max(1);
        self
    }
    /// Set [`SqliteOptions::store`].
    pub fn store(mut self, c: SqlStoreConfig) -> Self {
        self.store = c;
        self
    }
}

/// Opens a [`SqlStore`] in a SQLite database: a file ([`SqliteStore::open`]) or
/// memory ([`SqliteStore::memory`]). See the crate documentation for the choices.
///
/// There are no values of this type: the stores it opens are plain [`SqlStore`]s
/// (every chatcore store trait is implemented there, once, for both backends).
#[derive(Debug)]
pub enum SqliteStore {}

fn pool_options(max: u32) -> SqlitePoolOptions {
    SqlitePoolOptions::new()
        .max_connections(max)
        .min_connections(1)
        // The writer's queue may be long under load; waiting beats failing.
        .acquire_timeout(Duration::from_secs(60))
        // No ping before handing a connection out: it is a file handle in this
        // process, not a socket that may have died, and the ping is a round trip to
        // the connection's worker thread on every acquire (every transaction).
        .test_before_acquire(false)
        .idle_timeout(None)
        .max_lifetime(None)
}

async fn connect(options: SqliteConnectOptions, max: u32) -> Result<SqlitePool> {
    pool_options(max)
        .connect_with(options.disable_statement_logging())
        .await
        .map_err(Error::backend)
}

impl SqliteStore {
    /// Open (creating it if missing) the database file at `path` with default
    /// [`SqliteOptions`], and migrate it. Must be called inside a Tokio runtime.
    pub async fn open(path: impl AsRef<Path>) -> Result<SqlStore> {
        Self::open_with(path, SqliteOptions::default()).await
    }

    /// Open the database file at `path` with `options`, and migrate it.
    ///
    /// One connection writes (all writes are serialized through it, each in a
    /// `BEGIN IMMEDIATE` transaction), `options.readers` connections read.
    pub async fn open_with(path: impl AsRef<Path>, options: SqliteOptions) -> Result<SqlStore> {
        let path = path.as_ref().to_path_buf();
        let synchronous = match options.synchronous {
            Synchronous::Normal => SqliteSynchronous::Normal,
            Synchronous::Full => SqliteSynchronous::Full,
        };
        let base = SqliteConnectOptions::new()
            .filename(&path)
            .foreign_keys(true)
            .busy_timeout(options.busy_timeout)
            .synchronous(synchronous);
        let writer = connect(
            base.clone()
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                // Statement journals (multi-row inserts) in memory, not temp files.
                .pragma("temp_store", "MEMORY")
                // 64 MiB of page cache: the indexes of a busy database stay in memory.
                .pragma("cache_size", "-65536")
                .pragma(
                    "wal_autocheckpoint",
                    options.checkpoint_pages.max(100).to_string(),
                )
                // After a checkpoint resets the WAL, truncate it back to 64 MiB.
                .pragma("journal_size_limit", "67108864"),
            1,
        )
        .await?;
        let write = SqlxSqliteConnector::from_sqlx_sqlite_pool(writer);
        chatcore_sql::migrate(&write)
            .await
            .map_err(Error::backend)?;
        // Readers come after the writer made the file, switched it to WAL and migrated it.
        let reader = connect(base.pragma("query_only", "ON"), options.readers.max(1)).await?;
        let read = SqlxSqliteConnector::from_sqlx_sqlite_pool(reader);
        Ok(SqlStore::new(write, read, options.store)?)
    }

    /// A fresh in-memory database, migrated. Nothing survives the store.
    ///
    /// An in-memory SQLite database belongs to one connection, so reads and writes
    /// share a single connection.
    pub async fn memory() -> Result<SqlStore> {
        Self::memory_with(SqlStoreConfig::default()).await
    }

    /// [`SqliteStore::memory`] with group-commit tuning.
    pub async fn memory_with(config: SqlStoreConfig) -> Result<SqlStore> {
        let options = SqliteConnectOptions::from_str("sqlite://?mode=memory&cache=private")
            .map_err(Error::backend)?
            .foreign_keys(true);
        let pool = connect(options, 1).await?;
        let db: DatabaseConnection = SqlxSqliteConnector::from_sqlx_sqlite_pool(pool);
        chatcore_sql::migrate(&db).await.map_err(Error::backend)?;
        Ok(SqlStore::new(db.clone(), db, config)?)
    }
}
