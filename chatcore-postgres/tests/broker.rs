//! The hub conformance suite on PostgreSQL LISTEN/NOTIFY (`CHATCORE_TEST_DATABASE_URL`).

async fn connect(url: String, cluster: String) -> chatcore::Result<chatcore_postgres::PgEngine> {
    chatcore_postgres::PgEngine::connect(&url, &cluster).await
}

chatcore::engine_conformance_tests!("CHATCORE_TEST_DATABASE_URL", connect);
