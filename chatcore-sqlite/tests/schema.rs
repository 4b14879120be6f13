//! The migrated schema is what the entities describe, has the indexes of the hot
//! queries, and a file is opened with the documented settings.

mod common;

use std::collections::BTreeSet;

use chatcore_sql::schema;
use chatcore_sqlite::SqliteStore;
use sea_orm::{ConnectionTrait, Database, DatabaseConnection, Statement};

async fn pragma(db: &DatabaseConnection, name: &str) -> String {
    let row = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            format!("PRAGMA {name}"),
        ))
        .await
        .expect("pragma")
        .expect("a row");
    // Pragmas answer text or integers.
    row.try_get_by_index::<String>(0)
        .or_else(|_| row.try_get_by_index::<i64>(0).map(|n| n.to_string()))
        .expect("pragma value")
}

#[tokio::test]
async fn migrations_match_entities() {
    let store = SqliteStore::memory().await.expect("open");
    let migrated = schema::describe(store.read_connection())
        .await
        .expect("describe migrated");

    let scratch = Database::connect("sqlite::memory:").await.expect("scratch");
    schema::create_entity_tables(&scratch)
        .await
        .expect("create tables from entities");
    let entities = schema::describe(&scratch).await.expect("describe entities");

    let diff = schema::diff(&entities, &migrated);
    assert!(diff.is_empty(), "schema drift:\n{}", diff.join("\n"));
    assert_eq!(migrated.len(), schema::TABLES.len());
    assert!(migrated.values().all(|cols| !cols.is_empty()));
}

#[tokio::test]
async fn hot_queries_have_indexes() {
    let store = SqliteStore::memory().await.expect("open");
    let db = store.read_connection();
    let mut have = BTreeSet::new();
    for t in schema::TABLES {
        for i in schema::index_names(db, t).await.expect("indexes") {
            have.insert((t.to_owned(), i));
        }
    }
    for (t, i) in schema::INDEXES {
        assert!(
            have.contains(&(t.to_owned(), i.to_owned())),
            "missing index {t}.{i}"
        );
    }
}

#[tokio::test]
async fn file_settings() {
    let path = common::temp_dir().join("settings.db");
    let store = SqliteStore::open(&path).await.expect("open");
    let write = store.write_connection();
    let read = store.read_connection();
    assert_eq!(pragma(write, "journal_mode").await, "wal");
    assert_eq!(pragma(write, "foreign_keys").await, "1");
    assert_eq!(pragma(write, "synchronous").await, "1", "NORMAL by default");
    assert_eq!(pragma(write, "wal_autocheckpoint").await, "4000");
    assert_eq!(pragma(write, "temp_store").await, "2", "MEMORY");
    assert_eq!(pragma(write, "busy_timeout").await, "5000");
    assert_eq!(pragma(read, "foreign_keys").await, "1");
    assert_eq!(pragma(read, "query_only").await, "1");
    // Readers cannot write.
    let err = read
        .execute_unprepared("DELETE FROM users")
        .await
        .expect_err("a reader refuses writes");
    assert!(err.to_string().contains("readonly"), "{err}");
    drop(store);

    // Reopening migrates nothing and keeps the data.
    let store = SqliteStore::open_with(
        &path,
        chatcore_sqlite::SqliteOptions::default().synchronous(chatcore_sqlite::Synchronous::Normal),
    )
    .await
    .expect("reopen");
    assert_eq!(pragma(store.write_connection(), "synchronous").await, "1");
    let applied = store
        .read_connection()
        .query_all_raw(Statement::from_string(
            sea_orm::DbBackend::Sqlite,
            "SELECT version FROM seaql_migrations",
        ))
        .await
        .expect("migrations table");
    assert_eq!(
        applied.len(),
        <chatcore_sql::Migrator as sea_orm_migration::MigratorTrait>::migrations().len()
    );
}
