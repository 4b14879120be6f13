//! The store conformance suite (feature `conformance`).
//!
//! Plain async cases, each taking a fresh, empty store. Every store runs exactly the
//! same cases through [`conformance_tests!`](crate::conformance_tests), which emits one
//! named `#[tokio::test]` per case:
//!
//! ```ignore
//! async fn setup() -> Option<std::sync::Arc<dyn chatcore::Store>> {
//!     Some(std::sync::Arc::new(chatcore::MemoryStore::new()))
//! }
//! chatcore::conformance_tests!(setup);
//! ```
//!
//! `setup` returning `None` skips (for stores whose server is not configured); the
//! case then prints a visible `SKIPPED` line.
//!
//! Most cases drive the store through [`Chat`], so they check the rules *and* what
//! the store must guarantee for them; some call the store directly.

#![allow(missing_docs, clippy::unwrap_used, clippy::missing_panics_doc)]

mod accounts;
mod bans;
mod direct;
mod extra;
mod guests;
mod history;
mod hooks;
pub mod hub;
mod media;
mod members;
mod messages;
mod moderated;
mod moderation;
mod notify;
mod outbox;
pub mod pause;
mod pins;
mod pipeline;
mod reactions;
mod reads;
mod retention;
mod rooms;
mod search;
mod site;
mod threads;
mod users;

pub use accounts::*;
pub use bans::*;
pub use direct::*;
pub use extra::*;
pub use guests::*;
pub use history::*;
pub use hooks::*;
pub use media::*;
pub use members::*;
pub use messages::*;
pub use moderated::*;
pub use moderation::*;
pub use notify::*;
pub use outbox::*;
pub use pins::*;
pub use pipeline::*;
pub use reactions::*;
pub use reads::*;
pub use retention::*;
pub use rooms::*;
pub use search::*;
pub use site::*;
pub use threads::*;
pub use users::*;

use std::sync::Arc;

use crate::error::{Conflict, Error};
use crate::ids::{RoomId, UserId, Username};
use crate::model::{MessageKind, NewUser, PageRequest, Room, RoomKind, User};
use crate::protocol::{MeView, RoomView};
use crate::store::Store;
use crate::{Chat, NewRoom, Register, SendMessage};

/// Emit one `#[tokio::test]` per conformance case, each calling `$setup().await`
/// for a fresh store (`Option<Arc<dyn Store>>`; `None` skips).
///
/// The list of cases is written here only: it also makes
/// [`CASES`](crate::conformance::CASES), and a unit test of chatcore fails if a
/// `pub async fn …(store: Arc<dyn Store>)` of this module is missing from it (a
/// listed case that does not exist fails to compile).
#[macro_export]
macro_rules! conformance_tests {
    ($setup:path) => {
        $crate::conformance_tests!(@cases [tests $setup]);
    };
    (@cases $mode:tt) => {
        $crate::__conformance_cases!($mode;
            users_unique_case_insensitive,
            users_unique_email_and_external_id,
            users_update_and_lookup,
            users_get_many_and_last_seen,
            sessions_roundtrip,
            sessions_lookup_by_id,
            accounts_register_login_logout,
            accounts_change_password_and_delete,
            rooms_create_get_update_delete,
            rooms_public_listing_pages_and_hides_private,
            rooms_list_user_rooms,
            codes_join_case_insensitive,
            codes_rotate_old_stops_working,
            codes_unique_concurrently,
            codes_store_rejects_duplicate,
            join_password_rules,
            members_limit_under_parallel_joins,
            members_roles_and_transfer,
            members_owner_leaving_hands_on,
            members_one_owner_under_racing_transfers,
            bans_every_rejoin_path_refused,
            bans_expire_and_unban,
            kick_allows_rejoin,
            bans_race_joins_never_leave_a_banned_member,
            invites_let_into_private_rooms,
            messages_send_edit_delete,
            messages_reply_must_be_in_room,
            messages_nonce_is_idempotent,
            messages_nonce_retry_is_answered_under_limits,
            messages_edit_racing_delete_keeps_the_tombstone_empty,
            messages_parallel_sends_gapless,
            messages_parallel_sends_many_rooms,
            history_paging,
            history_private_needs_membership,
            direct_rooms_one_per_pair,
            room_delete_cascades,
            account_deletion_rule,
            account_deletion_racing_a_transfer_keeps_an_owner,
            maintenance_deletes_expired,
            accounts_email_lookup_and_verified_flag,
            accounts_tokens_are_taken_once,
            accounts_verification_rules,
            accounts_password_reset_rules,
            files_records_attach_once_and_delete,
            files_message_attachment_rules,
            files_go_with_their_room_and_their_uploader,
            reactions_one_per_user_and_emoji,
            reactions_distinct_limit_under_parallel_adds,
            pins_by_moderators_listed_newest_first,
            pins_limit_under_parallel_pins,
            search_finds_words_with_filters_and_pages,
            search_sees_edits_and_deletes_at_once,
            search_never_crosses_membership,
            reads_position_is_monotonic_and_capped,
            reads_counts_exclude_own_and_system_messages,
            reads_mentions_counted_and_cleared,
            reads_mark_unread_moves_back,
            reads_deleted_messages_do_not_count,
            reads_parallel_devices_end_at_the_maximum,
            reads_receipts_show_public_positions_only,
            hooks_room_blocklist_refuses_and_stores_nothing,
            hooks_blocklist_limits_and_direct_rooms,
            outbox_keeps_order_and_outcomes,
            outbox_cleanup_deletes_old_delivered_only,
            site_admins_granted_by_the_operator_only,
            site_suspension_ends_sessions_and_refuses_login,
            site_session_racing_suspension_never_survives,
            site_admin_lists_and_deletes_rooms_they_are_not_in,
            reports_one_open_per_reporter_and_the_queue,
            reports_resolutions_delete_kick_ban,
            reports_racing_resolutions_act_once,
            timeouts_mute_until_the_end_on_every_path,
            mod_log_records_who_what_whom,
            moderated_actions_recheck_the_actors_role,
            blocks_close_direct_rooms_both_ways,
            moderation_records_go_with_room_and_user,
            notify_levels_default_set_and_forgotten,
            notify_notifier_follows_the_setting,
            reads_edit_with_mentions_is_one_change,
            threads_replies_paged_apart_and_summarized,
            threads_root_rules_refuse_without_taking_a_seq,
            threads_participants_are_bounded,
            threads_parallel_replies_and_deletes_keep_the_exact_count,
            threads_account_deletion_recounts_summaries,
            extra_round_trips_on_messages_rooms_and_members,
            extra_is_a_bounded_object_and_host_set_by_default,
            messages_appends_sequenced_in_first_poll_order,
            messages_pipelined_sends_stored_and_answered_in_order,
            retention_deletes_old_messages_history_starts_later,
            retention_store_purges_in_batches,
            outbox_rows_commit_with_their_message_change,
            outbox_parallel_appends_each_have_their_row,
            outbox_chat_queues_every_event_under_its_stream_id,
            guests_flag_stored_and_expired_listed,
            guests_rules_and_housekeeping,
        );
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __conformance_cases {
    ([tests $setup:path]; $($case:ident),* $(,)?) => {
        $(
            #[::tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $case() {
                match $setup().await {
                    Some(store) => $crate::conformance::$case(store).await,
                    None => {
                        use ::std::io::Write as _;
                        let _ = writeln!(
                            ::std::io::stderr(),
                            "SKIPPED conformance case {}: store not configured",
                            stringify!($case)
                        );
                    }
                }
            }
        )*
    };
    ([names]; $($case:ident),* $(,)?) => {
        /// The names of the cases [`conformance_tests!`](crate::conformance_tests) runs.
        pub const CASES: &[&str] = &[$(stringify!($case)),*];
    };
}

crate::conformance_tests!(@cases [names]);

// ---------------------------------------------------------------- helpers

fn chat(store: Arc<dyn Store>) -> Chat {
    Chat::builder(store)
        .limits(crate::Limits::without_rate_limits())
        .build()
}

async fn register(chat: &Chat, name: &str) -> MeView {
    chat.register(
        Register {
            username: name.into(),
            password: "correct horse battery".into(),
            ..Default::default()
        },
        None,
    )
    .await
    .unwrap()
    .0
}

async fn room(chat: &Chat, owner: UserId, kind: RoomKind, name: &str) -> RoomView {
    chat.create_room(owner, NewRoom::new(kind, name))
        .await
        .unwrap()
}

async fn say(chat: &Chat, user: UserId, room: RoomId, body: &str) -> crate::Message {
    chat.send_message(
        user,
        room,
        SendMessage {
            body: body.into(),
            ..Default::default()
        },
    )
    .await
    .unwrap()
}

/// A user with only a username (as `name`) and display name, for tests.
pub fn plain_user(name: &str) -> User {
    User {
        id: UserId::new(),
        username: Username::parse(name).unwrap(),
        email: None,
        display_name: name.into(),
        bio: String::new(),
        avatar_url: None,
        external_id: None,
        created_at: chrono::Utc::now(),
        last_seen_at: None,
        guest: false,
    }
}

/// A public room with only a name, created by `created_by`, for tests (not stored).
pub fn plain_room(name: &str, created_by: Option<UserId>) -> Room {
    Room {
        id: RoomId::new(),
        kind: RoomKind::Public,
        name: name.into(),
        description: String::new(),
        avatar_url: None,
        code: None,
        password_hash: None,
        max_members: None,
        direct_key: None,
        created_by,
        created_at: chrono::Utc::now(),
        last_seq: 0,
        slow_mode_secs: 0,
        retention_days: None,
        history_start_seq: 0,
        extra: None,
    }
}

/// [`plain_user`] stored in `store`, without a password; its id.
pub async fn stored_user(store: &Arc<dyn Store>, name: &str) -> UserId {
    store
        .create_user(NewUser {
            user: plain_user(name),
            password_hash: None,
        })
        .await
        .unwrap()
        .id
}

fn assert_conflict<T: std::fmt::Debug>(r: crate::Result<T>, want: Conflict) {
    match r {
        Err(Error::Conflict(c)) if c == want => {}
        other => panic!("expected conflict {want:?}, got {other:?}"),
    }
}

fn is_not_found<T>(r: &crate::Result<T>) -> bool {
    matches!(r, Err(Error::NotFound(_)))
}

/// Text messages (not system messages) of a room, in order.
async fn texts(chat: &Chat, user: UserId, room: RoomId) -> Vec<String> {
    chat.history(
        user,
        room,
        PageRequest {
            limit: 100,
            ..Default::default()
        },
    )
    .await
    .unwrap()
    .messages
    .into_iter()
    .filter(|m| m.kind == MessageKind::Text)
    .map(|m| m.body)
    .collect()
}

#[cfg(test)]
mod tests {
    /// The source of every module holding store cases.
    const SOURCES: &[(&str, &str)] = &[
        ("accounts.rs", include_str!("accounts.rs")),
        ("bans.rs", include_str!("bans.rs")),
        ("direct.rs", include_str!("direct.rs")),
        ("extra.rs", include_str!("extra.rs")),
        ("guests.rs", include_str!("guests.rs")),
        ("history.rs", include_str!("history.rs")),
        ("hooks.rs", include_str!("hooks.rs")),
        ("media.rs", include_str!("media.rs")),
        ("members.rs", include_str!("members.rs")),
        ("messages.rs", include_str!("messages.rs")),
        ("moderated.rs", include_str!("moderated.rs")),
        ("moderation.rs", include_str!("moderation.rs")),
        ("outbox.rs", include_str!("outbox.rs")),
        ("pins.rs", include_str!("pins.rs")),
        ("pipeline.rs", include_str!("pipeline.rs")),
        ("reactions.rs", include_str!("reactions.rs")),
        ("reads.rs", include_str!("reads.rs")),
        ("retention.rs", include_str!("retention.rs")),
        ("notify.rs", include_str!("notify.rs")),
        ("rooms.rs", include_str!("rooms.rs")),
        ("search.rs", include_str!("search.rs")),
        ("site.rs", include_str!("site.rs")),
        ("threads.rs", include_str!("threads.rs")),
        ("users.rs", include_str!("users.rs")),
    ];

    /// Names of the `pub async fn NAME(store: Arc<dyn Store>)` in `source`.
    fn cases_in(source: &str) -> Vec<&str> {
        source
            .lines()
            .filter_map(|l| l.strip_prefix("pub async fn "))
            .filter_map(|l| l.strip_suffix("(store: Arc<dyn Store>) {"))
            .collect()
    }

    #[test]
    fn every_case_is_listed_in_conformance_tests() {
        let mut found = 0;
        for (file, source) in SOURCES {
            for case in cases_in(source) {
                found += 1;
                assert!(
                    super::CASES.contains(&case),
                    "conformance case {case} (in conformance/{file}) is missing from the \
                     list in conformance_tests!: no store would run it"
                );
            }
        }
        assert_eq!(found, super::CASES.len(), "every listed case is found once");
    }

    #[test]
    fn every_case_module_is_scanned() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/src/conformance");
        for entry in std::fs::read_dir(dir).unwrap() {
            let name = entry.unwrap().file_name().into_string().unwrap();
            let skip = ["mod.rs", "hub.rs", "pause.rs"].contains(&name.as_str());
            assert!(
                skip || SOURCES.iter().any(|(f, _)| *f == name),
                "conformance/{name} is not in SOURCES of the case-list test"
            );
        }
    }
}
