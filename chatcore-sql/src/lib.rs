#![doc = include_str!("../README.md")]

mod convert;
pub mod entity;
mod error;
pub mod migration;
pub mod schema;
mod store;
#[cfg(feature = "testing")]
pub mod testing;

pub use error::SqlStoreError;
pub use migration::Migrator;
pub use store::{AppendStats, SqlStore, SqlStoreConfig};

use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, DbErr};
use sea_orm_migration::MigratorTrait;

/// Key of the PostgreSQL advisory lock held while migrating (`"chatcore"` in ASCII).
const MIGRATION_LOCK_KEY: i64 = 0x63_68_61_74_63_6f_72_65;

/// Apply pending migrations, in one transaction.
///
/// SQLite takes the write lock first (`BEGIN IMMEDIATE`); PostgreSQL takes a
/// transaction-level advisory lock, so concurrent openers of one database wait for
/// each other and every migration runs once. Fails if the database holds a
/// migration this version does not know (it was migrated by a newer version).
pub async fn migrate(db: &DatabaseConnection) -> Result<(), DbErr> {
    let txn = store::begin_write(db).await?;
    if db.get_database_backend() == DbBackend::Postgres {
        txn.execute_unprepared(&format!(
            "SELECT pg_advisory_xact_lock({MIGRATION_LOCK_KEY})"
        ))
        .await?;
    }
    match Migrator::up(&txn, None).await {
        Ok(()) => txn.commit().await,
        Err(e) => {
            let _ = txn.rollback().await;
            Err(e)
        }
    }
}
