//! Full-text search of message bodies.
//!
//! - SQLite: an FTS5 table `messages_fts` over `messages.body` (external content,
//!   keyed by the message row's `rowid`), kept in step by triggers on insert,
//!   update of `body` and delete, so an edit or a delete (which empties the body)
//!   changes the index in the same transaction. `messages` has no `INTEGER PRIMARY
//!   KEY`, so a `VACUUM` may renumber its rowids: run
//!   `INSERT INTO messages_fts(messages_fts) VALUES('rebuild')` after one.
//! - PostgreSQL: a GIN index on `to_tsvector('simple', body)`, which the search query
//!   uses as its expression.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

pub(super) struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261202_02c_search"
    }
}

const SQLITE: &[&str] = &[
    "CREATE VIRTUAL TABLE messages_fts USING fts5(body, content='messages', \
     content_rowid='rowid', tokenize='unicode61 remove_diacritics 0')",
    "CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages BEGIN \
     INSERT INTO messages_fts(rowid, body) VALUES (new.rowid, new.body); END",
    "CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN \
     INSERT INTO messages_fts(messages_fts, rowid, body) VALUES ('delete', old.rowid, old.body); END",
    "CREATE TRIGGER messages_fts_update AFTER UPDATE OF body ON messages BEGIN \
     INSERT INTO messages_fts(messages_fts, rowid, body) VALUES ('delete', old.rowid, old.body); \
     INSERT INTO messages_fts(rowid, body) VALUES (new.rowid, new.body); END",
    "INSERT INTO messages_fts(messages_fts) VALUES ('rebuild')",
];

const POSTGRES: &[&str] =
    &["CREATE INDEX ix_messages_body_fts ON messages USING GIN (to_tsvector('simple', body))"];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        let statements = match manager.get_database_backend() {
            DbBackend::Sqlite => SQLITE,
            _ => POSTGRES,
        };
        for sql in statements {
            db.execute_unprepared(sql).await?;
        }
        Ok(())
    }
}
