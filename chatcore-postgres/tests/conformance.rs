//! The chatcore store conformance suite against PostgreSQL: every case gets a
//! fresh database on the server named by `CHATCORE_TEST_DATABASE_URL` (skipped,
//! with a message, without it).

mod common;

use std::sync::Arc;

use chatcore_postgres::{PostgresOptions, PostgresStore};

async fn setup() -> Option<Arc<dyn chatcore::Store>> {
    let url = common::server_url("PostgreSQL conformance case")?;
    let db = common::fresh_database(&url).await;
    let store = PostgresStore::connect_with(&db, PostgresOptions::default().max_connections(4))
        .await
        .expect("connect to the test database");
    Some(Arc::new(store))
}

chatcore::conformance_tests!(setup);
