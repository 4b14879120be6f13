//! The SQL store's own cases (group commit, error mapping, …) against PostgreSQL:
//! every case gets a fresh database on the server named by
//! `CHATCORE_TEST_DATABASE_URL` (skipped, with a message, without it).

mod common;

use chatcore_postgres::{PostgresOptions, PostgresStore};

async fn setup() -> Option<chatcore_sql::SqlStore> {
    let url = common::server_url("PostgreSQL SQL store case")?;
    let db = common::fresh_database(&url).await;
    let store = PostgresStore::connect_with(&db, PostgresOptions::default().max_connections(8))
        .await
        .expect("connect to the test database");
    Some(store.clone())
}

chatcore_sql::sql_store_tests!(setup);
