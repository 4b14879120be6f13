//! The chatcore store conformance suite against a SQLite file (one writer
//! connection, a pool of readers): every case gets a fresh file.

mod common;

use std::sync::Arc;

use chatcore_sqlite::SqliteStore;

async fn setup() -> Option<Arc<dyn chatcore::Store>> {
    let path = common::temp_dir().join("conformance.db");
    let store = SqliteStore::open(&path).await.expect("open SQLite file");
    Some(Arc::new(store))
}

chatcore::conformance_tests!(setup);
