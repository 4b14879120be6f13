//! Online backups: a consistent copy of a database file while a server uses it.

use std::path::Path;
use std::time::Duration;

use chatcore::{Error, Result};
use sea_orm::sqlx::ConnectOptions as _;
use sea_orm::sqlx::sqlite::SqliteConnectOptions;

use crate::SqliteStore;

impl SqliteStore {
    /// Copy the database file at `database` to a new file `to` with `VACUUM INTO`,
    /// while other connections (a running server) read and write it.
    ///
    /// The copy is one read transaction's snapshot: it holds every transaction
    /// committed before the copy began (so every message acknowledged by then) and
    /// none of those after; writers are not blocked meanwhile. It is compacted and
    /// holds no write-ahead log: a complete database, opened like any other. `to`
    /// must not exist.
    pub async fn backup(database: impl AsRef<Path>, to: impl AsRef<Path>) -> Result<()> {
        let (database, to) = (database.as_ref(), to.as_ref());
        if to.exists() {
            return Err(Error::invalid("to", "the backup file exists already"));
        }
        let target = to
            .to_str()
            .ok_or(Error::invalid("to", "the backup path is not UTF-8"))?;
        // A plain connection (no migration: the server owns the schema). Not
        // `query_only`: SQLite counts writing the copy as a write.
        let mut conn = SqliteConnectOptions::new()
            .filename(database)
            .busy_timeout(Duration::from_secs(30))
            .disable_statement_logging()
            .connect()
            .await
            .map_err(Error::backend)?;
        sea_orm::sqlx::query("VACUUM INTO ?")
            .bind(target)
            .execute(&mut conn)
            .await
            .map_err(Error::backend)?;
        Ok(())
    }
}
