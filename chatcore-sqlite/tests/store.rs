//! The SQL store's own cases (group commit, error mapping, …) against a SQLite
//! file, so that the writer/reader connection split is exercised.

mod common;

use chatcore_sqlite::SqliteStore;

async fn setup() -> Option<chatcore_sql::SqlStore> {
    let path = common::temp_dir().join("store.db");
    let store = SqliteStore::open(&path).await.expect("open SQLite file");
    Some(store.clone())
}

chatcore_sql::sql_store_tests!(setup);
