//! Errors of the SQL store and their mapping to [`chatcore::Error`].

use chatcore::{Conflict, Error};
use sea_orm::{DbErr, SqlErr};

/// Failures specific to the SQL store. They reach callers as the source of
/// [`chatcore::Error::Backend`] (downcast it to inspect one).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SqlStoreError {
    /// A row could not be turned into a domain record (unknown enum string,
    /// invalid JSON, number out of range): the database was changed by hand or by
    /// a newer version.
    #[error("corrupt row in {table}: {what}")]
    CorruptRow {
        /// The table.
        table: &'static str,
        /// What was wrong.
        what: String,
    },
    /// The group-commit writer task is gone (its runtime shut down).
    #[error("the message writer task has stopped")]
    WriterStopped,
    /// [`crate::SqlStore::new`] was called outside a Tokio runtime.
    #[error("the SQL store must be created inside a Tokio runtime")]
    NoRuntime,
    /// A sequence update found the room changed under a held lock (never expected).
    #[error("room {0} changed concurrently during a message append")]
    SequenceRace(uuid::Uuid),
    /// A database error.
    #[error(transparent)]
    Db(#[from] DbErr),
}

impl From<SqlStoreError> for Error {
    fn from(e: SqlStoreError) -> Self {
        Error::backend(e)
    }
}

pub(crate) fn corrupt(table: &'static str, what: impl Into<String>) -> Error {
    Error::backend(SqlStoreError::CorruptRow {
        table,
        what: what.into(),
    })
}

/// Any database error, kept as the source of [`Error::Backend`].
pub(crate) fn backend(e: DbErr) -> Error {
    Error::backend(e)
}

/// Which [`Conflict`] a unique-constraint message names.
///
/// SQLite reports `UNIQUE constraint failed: table.column[, table.column]`,
/// PostgreSQL `duplicate key value violates unique constraint "index_name"`: the
/// index names of [`crate::migration`] contain table and column names, so one set
/// of markers serves both.
pub(crate) fn conflict_of(message: &str) -> Option<Conflict> {
    let m = message;
    if m.contains("username_normalized") {
        Some(Conflict::Username)
    } else if m.contains("external_id") {
        Some(Conflict::ExternalIdentity)
    } else if m.contains("users.email") || m.contains("ux_users_email") {
        Some(Conflict::Email)
    } else if m.contains("direct_key") {
        Some(Conflict::DirectRoomExists)
    } else if m.contains("rooms.code") || m.contains("ux_rooms_code") {
        Some(Conflict::RoomCode)
    } else if m.contains("memberships") {
        Some(Conflict::AlreadyMember)
    } else {
        None
    }
}

/// Map a write error: unique violations to their [`Conflict`], foreign-key
/// violations to `NotFound(missing)`, the rest to [`Error::Backend`].
pub(crate) fn write_err(e: DbErr, missing: &'static str) -> Error {
    match e.sql_err() {
        Some(SqlErr::UniqueConstraintViolation(msg)) => match conflict_of(&msg) {
            Some(c) => Error::Conflict(c),
            None => backend(e),
        },
        Some(SqlErr::ForeignKeyConstraintViolation(_)) => Error::NotFound(missing),
        _ => backend(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markers_of_both_backends() {
        let cases = [
            (
                "UNIQUE constraint failed: users.username_normalized",
                Conflict::Username,
            ),
            (
                "duplicate key value violates unique constraint \"ux_users_username_normalized\"",
                Conflict::Username,
            ),
            ("UNIQUE constraint failed: users.email", Conflict::Email),
            (
                "duplicate key value violates unique constraint \"ux_users_email\"",
                Conflict::Email,
            ),
            (
                "UNIQUE constraint failed: users.external_id",
                Conflict::ExternalIdentity,
            ),
            (
                "duplicate key value violates unique constraint \"ux_users_external_id\"",
                Conflict::ExternalIdentity,
            ),
            ("UNIQUE constraint failed: rooms.code", Conflict::RoomCode),
            (
                "duplicate key value violates unique constraint \"ux_rooms_code\"",
                Conflict::RoomCode,
            ),
            (
                "UNIQUE constraint failed: rooms.direct_key",
                Conflict::DirectRoomExists,
            ),
            (
                "duplicate key value violates unique constraint \"ux_rooms_direct_key\"",
                Conflict::DirectRoomExists,
            ),
            (
                "UNIQUE constraint failed: memberships.room_id, memberships.user_id",
                Conflict::AlreadyMember,
            ),
            (
                "duplicate key value violates unique constraint \"pk_memberships\"",
                Conflict::AlreadyMember,
            ),
        ];
        for (msg, want) in cases {
            assert_eq!(conflict_of(msg), Some(want), "{msg}");
        }
        assert_eq!(conflict_of("UNIQUE constraint failed: messages.id"), None);
        assert_eq!(
            conflict_of("UNIQUE constraint failed: sessions.token_hash"),
            None
        );
    }
}
