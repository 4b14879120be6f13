#![doc = include_str!("../README.md")]

use std::time::Duration;

use chatcore::{Error, Result};
use chatcore_sql::{SqlStore, SqlStoreConfig};
use sea_orm::{ConnectOptions, Database};

pub use chatcore_sql;

pub mod broker;
pub use broker::{PgEngine, PgHub};

/// Options of [`PostgresStore::connect_with`].
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct PostgresOptions {
    /// Most pooled connections (default 16). The group-commit writer uses one at a
    /// time; the rest serve reads and the other writes.
    pub max_connections: u32,
    /// Connections kept open while idle (default 1).
    pub min_connections: u32,
    /// How long to wait for a pooled connection before failing (default 30 s).
    pub acquire_timeout: Duration,
    /// How long to wait when opening a connection (default 10 s).
    pub connect_timeout: Duration,
    /// Group-commit tuning (default: 4 writers, so appends to different rooms
    /// commit in parallel).
    pub store: SqlStoreConfig,
}

impl Default for PostgresOptions {
    fn default() -> Self {
        Self {
            max_connections: 16,
            min_connections: 1,
            acquire_timeout: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(10),
            store: SqlStoreConfig::default().writers(4),
        }
    }
}

impl PostgresOptions {
    /// Set [`PostgresOptions::max_connections`] (at least 2: the writer and a reader).
    pub fn max_connections(mut self, n: u32) -> Self {
        self.max_connections = n.max(2);
        self
    }
    /// Set [`PostgresOptions::min_connections`].
    pub fn min_connections(mut self, n: u32) -> Self {
        self.min_connections = n;
        self
    }
    /// Set [`PostgresOptions::acquire_timeout`].
    pub fn acquire_timeout(mut self, t: Duration) -> Self {
        self.acquire_timeout = t;
        self
    }
    /// Set [`PostgresOptions::connect_timeout`].
    pub fn connect_timeout(mut self, t: Duration) -> Self {
        self.connect_timeout = t;
        self
    }
    /// Set [`PostgresOptions::store`].
    pub fn store(mut self, c: SqlStoreConfig) -> Self {
        self.store = c;
        self
    }
}

/// Opens a [`SqlStore`] in a PostgreSQL database. See the crate documentation.
///
/// There are no values of this type: the stores it opens are plain [`SqlStore`]s
/// (every chatcore store trait is implemented there, once, for both backends).
#[derive(Debug)]
pub enum PostgresStore {}

impl PostgresStore {
    /// Connect to `url` (`postgres://user:password@host:port/database`) with default
    /// [`PostgresOptions`], and migrate the database. Must be called inside a Tokio
    /// runtime.
    pub async fn connect(url: &str) -> Result<SqlStore> {
        Self::connect_with(url, PostgresOptions::default()).await
    }

    /// Connect to `url` with `options`, and migrate the database.
    pub async fn connect_with(url: &str, options: PostgresOptions) -> Result<SqlStore> {
        let mut connect = ConnectOptions::new(url);
        connect
            .max_connections(options.max_connections.max(2))
            .min_connections(options.min_connections.min(options.max_connections))
            .acquire_timeout(options.acquire_timeout)
            .connect_timeout(options.connect_timeout)
            .sqlx_logging(false);
        let db = Database::connect(connect).await.map_err(Error::backend)?;
        chatcore_sql::migrate(&db).await.map_err(Error::backend)?;
        Ok(SqlStore::new(db.clone(), db, options.store)?)
    }
}
