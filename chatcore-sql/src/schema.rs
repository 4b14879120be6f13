//! Schema introspection, to check that the migrations create what the entities
//! describe.
//!
//! Each backend crate's `schema` test creates the entities' tables with
//! [`create_entity_tables`] (sea-orm's `Schema::create_table_from_entity`) in a
//! scratch database, migrates another with [`crate::migrate`], and compares
//! [`describe`] of both with [`diff`]: column names, declared types, nullability and
//! primary keys. [`index_names`] lets the tests check the indexes of the hot
//! queries, which entities do not describe.

use std::collections::BTreeMap;

use sea_orm::{ConnectionTrait, DbBackend, DbErr, EntityTrait, Schema, Statement};

use crate::entity::{
    account_tokens, admin_audit, bans, files, invites, memberships, message_mentions, messages,
    outbox, pins, reactions, read_settings, room_blocklists, rooms, sessions, users,
};
use crate::entity::{mod_log, reports, timeouts, user_blocks};

/// The tables chatcore owns, in creation order.
pub const TABLES: [&str; 20] = [
    "users",
    "sessions",
    "rooms",
    "memberships",
    "bans",
    "invites",
    "messages",
    "account_tokens",
    "files",
    "reactions",
    "pins",
    "message_mentions",
    "read_settings",
    "room_blocklists",
    "outbox",
    "admin_audit",
    "reports",
    "mod_log",
    "timeouts",
    "user_blocks",
];

/// The named indexes the migrations create, as `(table, index)`: every hot query
/// has one. Primary keys (`users.id`, `sessions.id`, `rooms.id`, `messages.id`,
/// `memberships (room_id, user_id)`, `bans (room_id, user_id)`,
/// `invites (room_id, user_id)`) are not listed.
pub const INDEXES: [(&str, &str); 30] = [
    ("users", "ux_users_username_normalized"),
    ("users", "ux_users_email"),
    ("users", "ux_users_external_id"),
    ("sessions", "ux_sessions_token_hash"),
    ("sessions", "ix_sessions_user_id"),
    ("sessions", "ix_sessions_expires_at"),
    ("rooms", "ux_rooms_code"),
    ("rooms", "ux_rooms_direct_key"),
    ("rooms", "ix_rooms_kind_name_id"),
    ("memberships", "ix_memberships_user_id"),
    ("bans", "ix_bans_user_id"),
    ("bans", "ix_bans_banned_by"),
    ("invites", "ix_invites_user_id"),
    ("messages", "ux_messages_room_id_seq"),
    ("messages", "ux_messages_author_id_room_id_client_nonce"),
    ("account_tokens", "ux_account_tokens_token_hash"),
    ("account_tokens", "ix_account_tokens_user_id"),
    ("reactions", "ix_reactions_user_id"),
    ("pins", "ix_pins_room_id_pinned_at"),
    ("pins", "ix_pins_pinned_by"),
    ("messages", "ix_messages_room_id_author_id_seq"),
    ("messages", "ix_messages_uncounted"),
    (
        "message_mentions",
        "ix_message_mentions_user_id_room_id_seq",
    ),
    ("outbox", "ux_outbox_position"),
    ("reports", "ux_reports_open_key"),
    ("reports", "ix_reports_room_id_id"),
    ("mod_log", "ix_mod_log_room_id_id"),
    ("timeouts", "ix_timeouts_user_id"),
    ("user_blocks", "ix_user_blocks_blocked_id"),
    ("messages", "ix_messages_thread_root_seq"),
];

/// The indexes only PostgreSQL has, as `(table, index)`: the GIN index of full-text
/// search (SQLite searches through its FTS5 table `messages_fts` instead).
pub const POSTGRES_INDEXES: [(&str, &str); 1] = [("messages", "ix_messages_body_fts")];

/// One column as the database reports it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct ColumnInfo {
    /// Column name.
    pub name: String,
    /// Declared type (SQLite `PRAGMA table_info`) or `data_type`
    /// (PostgreSQL `information_schema.columns`).
    pub sql_type: String,
    /// Whether NULL is allowed.
    pub nullable: bool,
    /// Whether the column is part of the primary key.
    pub primary_key: bool,
}

async fn create<E: EntityTrait>(
    db: &impl ConnectionTrait,
    schema: &Schema,
    e: E,
) -> Result<(), DbErr> {
    db.execute(&schema.create_table_from_entity(e))
        .await
        .map(|_| ())
}

/// Create every entity's table as sea-orm derives it from the entity, in an empty
/// database (not one to use as a store).
pub async fn create_entity_tables(db: &impl ConnectionTrait) -> Result<(), DbErr> {
    let schema = Schema::new(db.get_database_backend());
    create(db, &schema, users::Entity).await?;
    create(db, &schema, sessions::Entity).await?;
    create(db, &schema, rooms::Entity).await?;
    create(db, &schema, memberships::Entity).await?;
    create(db, &schema, bans::Entity).await?;
    create(db, &schema, invites::Entity).await?;
    create(db, &schema, messages::Entity).await?;
    create(db, &schema, account_tokens::Entity).await?;
    create(db, &schema, files::Entity).await?;
    create(db, &schema, reactions::Entity).await?;
    create(db, &schema, pins::Entity).await?;
    create(db, &schema, message_mentions::Entity).await?;
    create(db, &schema, read_settings::Entity).await?;
    create(db, &schema, room_blocklists::Entity).await?;
    create(db, &schema, outbox::Entity).await?;
    create(db, &schema, admin_audit::Entity).await?;
    create(db, &schema, reports::Entity).await?;
    create(db, &schema, mod_log::Entity).await?;
    create(db, &schema, timeouts::Entity).await?;
    create(db, &schema, user_blocks::Entity).await?;
    Ok(())
}

/// The columns of `table`, ordered by name (empty if there is no such table).
pub async fn describe_table(
    db: &impl ConnectionTrait,
    table: &str,
) -> Result<Vec<ColumnInfo>, DbErr> {
    let backend = db.get_database_backend();
    let mut cols = Vec::new();
    match backend {
        DbBackend::Sqlite => {
            let rows = db
                .query_all_raw(Statement::from_sql_and_values(
                    backend,
                    "SELECT name, type, \"notnull\", pk FROM pragma_table_info(?)",
                    [table.into()],
                ))
                .await?;
            for r in rows {
                cols.push(ColumnInfo {
                    name: r.try_get("", "name")?,
                    sql_type: r.try_get::<String>("", "type")?.to_lowercase(),
                    nullable: r.try_get::<i64>("", "notnull")? == 0,
                    primary_key: r.try_get::<i64>("", "pk")? > 0,
                });
            }
        }
        _ => {
            let rows = db
                .query_all_raw(Statement::from_sql_and_values(
                    backend,
                    "SELECT c.column_name::text AS name, c.data_type::text AS sql_type, \
                            c.is_nullable::text AS nullable, \
                            EXISTS (SELECT 1 FROM information_schema.table_constraints tc \
                                    JOIN information_schema.key_column_usage k \
                                      ON k.constraint_name = tc.constraint_name \
                                     AND k.table_schema = tc.table_schema \
                                     AND k.table_name = tc.table_name \
                                    WHERE tc.constraint_type = 'PRIMARY KEY' \
                                      AND tc.table_schema = c.table_schema \
                                      AND tc.table_name = c.table_name \
                                      AND k.column_name = c.column_name) AS pk \
                     FROM information_schema.columns c \
                     WHERE c.table_schema = current_schema() AND c.table_name = $1",
                    [table.into()],
                ))
                .await?;
            for r in rows {
                cols.push(ColumnInfo {
                    name: r.try_get("", "name")?,
                    sql_type: r.try_get("", "sql_type")?,
                    nullable: r.try_get::<String>("", "nullable")? == "YES",
                    primary_key: r.try_get("", "pk")?,
                });
            }
        }
    }
    cols.sort();
    Ok(cols)
}

/// [`describe_table`] of every table in [`TABLES`].
pub async fn describe(
    db: &impl ConnectionTrait,
) -> Result<BTreeMap<String, Vec<ColumnInfo>>, DbErr> {
    let mut out = BTreeMap::new();
    for t in TABLES {
        out.insert(t.to_owned(), describe_table(db, t).await?);
    }
    Ok(out)
}

/// The differences between two descriptions, one line each (empty when equal).
pub fn diff(
    expected: &BTreeMap<String, Vec<ColumnInfo>>,
    actual: &BTreeMap<String, Vec<ColumnInfo>>,
) -> Vec<String> {
    let mut out = Vec::new();
    for (table, want) in expected {
        let Some(got) = actual.get(table) else {
            out.push(format!("{table}: missing table"));
            continue;
        };
        if want.is_empty() {
            out.push(format!("{table}: no columns expected (table not created?)"));
        }
        for w in want {
            match got.iter().find(|g| g.name == w.name) {
                None => out.push(format!("{table}.{}: missing column", w.name)),
                Some(g) if g != w => {
                    out.push(format!("{table}.{}: expected {w:?}, found {g:?}", w.name))
                }
                Some(_) => {}
            }
        }
        for g in got {
            if !want.iter().any(|w| w.name == g.name) {
                out.push(format!("{table}.{}: unexpected column {g:?}", g.name));
            }
        }
    }
    for table in actual.keys() {
        if !expected.contains_key(table) {
            out.push(format!("{table}: unexpected table"));
        }
    }
    out
}

/// Names of the indexes of `table` (including unique ones; SQLite's automatic
/// primary-key indexes excluded), sorted.
pub async fn index_names(db: &impl ConnectionTrait, table: &str) -> Result<Vec<String>, DbErr> {
    let backend = db.get_database_backend();
    let stmt = match backend {
        DbBackend::Sqlite => Statement::from_sql_and_values(
            backend,
            "SELECT name FROM pragma_index_list(?) WHERE origin <> 'pk'",
            [table.into()],
        ),
        _ => Statement::from_sql_and_values(
            backend,
            "SELECT indexname::text AS name FROM pg_indexes \
             WHERE schemaname = current_schema() AND tablename = $1",
            [table.into()],
        ),
    };
    let mut names = Vec::new();
    for r in db.query_all_raw(stmt).await? {
        names.push(r.try_get::<String>("", "name")?);
    }
    names.sort();
    Ok(names)
}
