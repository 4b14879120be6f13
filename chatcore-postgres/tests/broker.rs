//! The hub conformance suite on PostgreSQL LISTEN/NOTIFY (`CHATCORE_TEST_DATABASE_URL`).

chatcore::engine_conformance_tests!("CHATCORE_TEST_DATABASE_URL", chatcore_postgres::PgEngine);
