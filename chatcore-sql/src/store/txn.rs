//! Write transactions and statement sizes shared by the store's parts.

use sea_orm::{
    DatabaseConnection, DatabaseTransaction, DbBackend, SqliteTransactionMode, TransactionOptions,
    TransactionTrait,
};

/// Largest number of values bound in one `IN (…)` list.
pub(crate) const IN_CHUNK: usize = 500;

/// Begin a write transaction: `BEGIN IMMEDIATE` on SQLite (the write lock is taken
/// at once, so a read-then-write never fails to upgrade), a plain `BEGIN` elsewhere.
pub(crate) async fn begin_write(
    db: &DatabaseConnection,
) -> std::result::Result<DatabaseTransaction, sea_orm::DbErr> {
    if db.get_database_backend() == DbBackend::Sqlite {
        db.begin_with_options(TransactionOptions {
            sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
            ..Default::default()
        })
        .await
    } else {
        db.begin().await
    }
}
