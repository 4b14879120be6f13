//! The chatcore store conformance suite against SQLite: every case gets a fresh
//! in-memory database.

use std::sync::Arc;

use chatcore_sqlite::SqliteStore;

async fn setup() -> Option<Arc<dyn chatcore::Store>> {
    let store = SqliteStore::memory().await.expect("open in-memory SQLite");
    Some(Arc::new(store))
}

chatcore::conformance_tests!(setup);
