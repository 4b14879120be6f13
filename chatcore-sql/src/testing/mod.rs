//! Store-level test cases of [`SqlStore`] (feature `testing`).
//!
//! They check what the chatcore conformance suite cannot see from outside: that a
//! group-commit batch isolates a failing append, that nonces repeat correctly
//! inside one batch, how database errors map to [`chatcore::Error`], exact
//! timestamps, paging edges, account erasure, mixed concurrent writers, and the
//! migration guard. Each backend crate runs them all with
//! [`sql_store_tests!`](crate::sql_store_tests):
//!
//! ```ignore
//! async fn setup() -> Option<chatcore_sql::SqlStore> { /* a fresh, migrated store */ }
//! chatcore_sql::sql_store_tests!(setup);
//! ```

#![allow(missing_docs, clippy::unwrap_used, clippy::missing_panics_doc)]

mod append;
mod errors;
mod records;

pub use append::*;
pub use errors::*;
pub use records::*;

use chatcore::model::{
    Membership, Message, MessageKind, NewMessage, NewUser, PageRequest, Role, Room, User,
};
use chatcore::store::{MessageStore, RoomStore, UserStore};
use chatcore::{MessageId, RoomId, UserId, Username};
use chrono::Utc;
use sea_orm::{DatabaseTransaction, EntityTrait, QuerySelect};

use crate::SqlStore;
use crate::entity::rooms;
use crate::store::begin_write;

/// Emit one `#[tokio::test]` per case, each calling `$setup().await` for a fresh
/// store (`Option<SqlStore>`; `None` skips with a message).
///
/// The list of cases is written here only: it also makes
/// [`CASES`](crate::testing::CASES), and a unit test fails if a
/// `pub async fn …(store: SqlStore)` of this module is missing from it.
#[macro_export]
macro_rules! sql_store_tests {
    ($setup:path) => {
        $crate::sql_store_tests!(@cases [tests $setup]);
    };
    (@cases $mode:tt) => {
        $crate::__sql_store_cases!($mode;
            append_batch_isolates_failures,
            append_nonce_repeats_within_one_batch,
            conflicts_map_to_their_variants,
            timestamps_round_trip_exactly,
            paging_edges,
            delete_user_erases_and_frees,
            mixed_concurrent_writers,
            migrations_idempotent_and_guarded,
        );
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __sql_store_cases {
    ([tests $setup:path]; $($case:ident),* $(,)?) => {
        $(
            #[::tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $case() {
                match $setup().await {
                    Some(store) => $crate::testing::$case(store).await,
                    None => {
                        use ::std::io::Write as _;
                        let _ = writeln!(
                            ::std::io::stderr(),
                            "SKIPPED SQL store case {}: database not configured",
                            stringify!($case)
                        );
                    }
                }
            }
        )*
    };
    ([names]; $($case:ident),* $(,)?) => {
        /// The names of the cases [`sql_store_tests!`](crate::sql_store_tests) runs.
        pub const CASES: &[&str] = &[$(stringify!($case)),*];
    };
}

crate::sql_store_tests!(@cases [names]);

// ---------------------------------------------------------------- helpers

fn user(name: &str) -> User {
    User {
        id: UserId::new(),
        username: Username::parse(name).unwrap(),
        email: None,
        display_name: name.to_owned(),
        bio: String::new(),
        avatar_url: None,
        external_id: None,
        created_at: Utc::now(),
        last_seen_at: None,
        guest: false,
    }
}

async fn create_user(store: &SqlStore, name: &str) -> User {
    store
        .create_user(NewUser {
            user: user(name),
            password_hash: Some("$argon2id$fake".into()),
        })
        .await
        .unwrap()
}

fn room(owner: UserId, name: &str) -> Room {
    chatcore::conformance::plain_room(name, Some(owner))
}

fn owner(room: RoomId, user: UserId) -> Membership {
    Membership {
        room_id: room,
        user_id: user,
        role: Role::Owner,
        joined_at: Utc::now(),
        extra: None,
    }
}

async fn create_room(store: &SqlStore, by: UserId, name: &str) -> Room {
    let r = room(by, name);
    let id = r.id;
    store.create_room(r, vec![owner(id, by)]).await.unwrap()
}

fn text(room: RoomId, author: UserId, body: &str) -> NewMessage {
    NewMessage {
        id: MessageId::new(),
        room_id: room,
        author_id: Some(author),
        kind: MessageKind::Text,
        body: body.to_owned(),
        system: None,
        attachment: None,
        reply_to: None,
        client_nonce: None,
        created_at: Utc::now(),
        mentions: Vec::new(),
        thread_root: None,
        also_in_room: false,
        extra: None,
    }
}

/// Hold the room row (and, on SQLite, the write lock) in a transaction, so that
/// appends queue up behind it and form one batch.
async fn hold(store: &SqlStore, room: RoomId) -> DatabaseTransaction {
    let txn = begin_write(store.write_connection()).await.unwrap();
    rooms::Entity::find_by_id(room.0)
        .select_only()
        .column(rooms::Column::Id)
        .lock_exclusive()
        .into_tuple::<uuid::Uuid>()
        .one(&txn)
        .await
        .unwrap()
        .unwrap();
    txn
}

fn spawn_append(
    store: &SqlStore,
    new: NewMessage,
) -> tokio::task::JoinHandle<chatcore::Result<Message>> {
    let store = store.clone();
    tokio::spawn(async move { store.append_message(new).await })
}

fn seqs(msgs: &[Message]) -> Vec<i64> {
    msgs.iter().map(|m| m.seq).collect()
}

async fn all_messages(store: &SqlStore, room: RoomId) -> Vec<Message> {
    store
        .list_messages(
            room,
            PageRequest {
                before: None,
                after: Some(0),
                limit: 10_000,
            },
        )
        .await
        .unwrap()
}

#[cfg(test)]
mod tests {
    /// The source of every module holding cases.
    const SOURCES: &[&str] = &[
        include_str!("append.rs"),
        include_str!("errors.rs"),
        include_str!("records.rs"),
    ];

    #[test]
    fn every_case_is_listed_in_sql_store_tests() {
        let mut found = 0;
        for source in SOURCES {
            let cases = source
                .lines()
                .filter_map(|l| l.strip_prefix("pub async fn "))
                .filter_map(|l| l.strip_suffix("(store: SqlStore) {"));
            for case in cases {
                found += 1;
                assert!(
                    super::CASES.contains(&case),
                    "SQL store case {case} is missing from the list in sql_store_tests!"
                );
            }
        }
        assert_eq!(found, super::CASES.len(), "every listed case is found once");
    }
}
