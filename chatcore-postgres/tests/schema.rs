//! The migrated schema is what the entities describe and has the indexes of the
//! hot queries (PostgreSQL; skipped without `CHATCORE_TEST_DATABASE_URL`).

mod common;

use std::collections::BTreeSet;

use chatcore_postgres::PostgresStore;
use chatcore_sql::schema;
use sea_orm::{ConnectionTrait, Database, Statement};

#[tokio::test]
async fn migrations_match_entities() {
    let Some(url) = common::server_url("PostgreSQL schema test") else {
        return;
    };
    let store = PostgresStore::connect(&common::fresh_database(&url).await)
        .await
        .expect("connect");
    let migrated = schema::describe(store.read_connection())
        .await
        .expect("describe migrated");

    let scratch = Database::connect(common::fresh_database(&url).await)
        .await
        .expect("scratch database");
    schema::create_entity_tables(&scratch)
        .await
        .expect("create tables from entities");
    let entities = schema::describe(&scratch).await.expect("describe entities");
    let _ = scratch.close().await;

    let diff = schema::diff(&entities, &migrated);
    assert!(diff.is_empty(), "schema drift:\n{}", diff.join("\n"));
    assert_eq!(migrated.len(), schema::TABLES.len());
    assert!(migrated.values().all(|cols| !cols.is_empty()));
}

#[tokio::test]
async fn hot_queries_have_indexes_and_names_sort_bytewise() {
    let Some(url) = common::server_url("PostgreSQL schema test") else {
        return;
    };
    let store = PostgresStore::connect(&common::fresh_database(&url).await)
        .await
        .expect("connect");
    let db = store.read_connection();
    let mut have = BTreeSet::new();
    for t in schema::TABLES {
        for i in schema::index_names(db, t).await.expect("indexes") {
            have.insert((t.to_owned(), i));
        }
    }
    for (t, i) in schema::INDEXES.into_iter().chain(schema::POSTGRES_INDEXES) {
        assert!(
            have.contains(&(t.to_owned(), i.to_owned())),
            "missing index {t}.{i}"
        );
    }
    let row = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT collation_name::text AS c FROM information_schema.columns \
             WHERE table_schema = current_schema() AND table_name = 'rooms' AND column_name = 'name'",
        ))
        .await
        .expect("query")
        .expect("rooms.name exists");
    assert_eq!(row.try_get::<String>("", "c").expect("collation"), "C");
}
