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

pub mod hub;
mod media;

pub use media::*;

use std::collections::HashSet;
use std::sync::Arc;

use chrono::Duration as ChronoDuration;

use crate::error::{Conflict, Error};
use crate::ids::{MessageId, RoomCode, RoomId, SessionId, UserId, Username};
use crate::model::{
    Membership, MessageKind, NewUser, PageRequest, Role, Room, RoomKind, Session, User,
};
use crate::protocol::{MeView, RoomView};
use crate::store::Store;
use crate::{Chat, NewRoom, ProfileUpdate, Register, RoomUpdate, SendMessage};

/// Emit one `#[tokio::test]` per conformance case, each calling `$setup().await`
/// for a fresh store (`Option<Arc<dyn Store>>`; `None` skips).
#[macro_export]
macro_rules! conformance_tests {
    ($setup:path) => {
        $crate::__conformance_cases!($setup;
            users_unique_case_insensitive,
            users_unique_email_and_external_id,
            users_update_and_lookup,
            users_get_many_and_last_seen,
            sessions_roundtrip,
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
            bans_every_rejoin_path_refused,
            bans_expire_and_unban,
            kick_allows_rejoin,
            invites_let_into_private_rooms,
            messages_send_edit_delete,
            messages_reply_must_be_in_room,
            messages_nonce_is_idempotent,
            messages_parallel_sends_gapless,
            messages_parallel_sends_many_rooms,
            history_paging,
            history_private_needs_membership,
            direct_rooms_one_per_pair,
            room_delete_cascades,
            account_deletion_rule,
            maintenance_deletes_expired,
            accounts_email_lookup_and_verified_flag,
            accounts_tokens_are_taken_once,
            accounts_verification_rules,
            accounts_password_reset_rules,
            files_records_attach_once_and_delete,
            files_message_attachment_rules,
            files_go_with_their_room_and_their_uploader,
        );
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __conformance_cases {
    ($setup:path; $($case:ident),* $(,)?) => {
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
}

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

// ---------------------------------------------------------------- users

pub async fn users_unique_case_insensitive(store: Arc<dyn Store>) {
    let chat = chat(store.clone());
    let alice = register(&chat, "Alice").await;
    let again = chat
        .register(
            Register {
                username: "aLiCe".into(),
                password: "another password".into(),
                ..Default::default()
            },
            None,
        )
        .await;
    assert_conflict(again, Conflict::Username);
    let found = store.find_user_by_username("alice").await.unwrap().unwrap();
    assert_eq!(found.id, alice.user.id);
    assert_eq!(
        found.username.as_str(),
        "Alice",
        "username kept as registered"
    );
    // Direct store insert with a differently-cased name also conflicts.
    let dup = store
        .create_user(NewUser {
            user: plain_user("ALICE"),
            password_hash: None,
        })
        .await;
    assert_conflict(dup, Conflict::Username);
}

pub async fn users_unique_email_and_external_id(store: Arc<dyn Store>) {
    let chat = chat(store.clone());
    let reg = |name: &str, email: &str| Register {
        username: name.into(),
        password: "correct horse battery".into(),
        email: Some(email.into()),
        display_name: None,
    };
    chat.register(reg("bob", "Bob@Example.com"), None)
        .await
        .unwrap();
    let dup = chat.register(reg("bobby", "bob@example.COM"), None).await;
    assert_conflict(dup, Conflict::Email);

    let mut u = plain_user("ext1");
    u.external_id = Some("app:1".into());
    store
        .create_user(NewUser {
            user: u,
            password_hash: None,
        })
        .await
        .unwrap();
    let mut u2 = plain_user("ext2");
    u2.external_id = Some("app:1".into());
    let dup = store
        .create_user(NewUser {
            user: u2,
            password_hash: None,
        })
        .await;
    assert_conflict(dup, Conflict::ExternalIdentity);

    // ensure_external_user is idempotent and picks a free username.
    let a = chat
        .ensure_external_user(crate::ExternalUser {
            external_id: "host:42".into(),
            username: "bob".into(),
            display_name: Some("Bob from host".into()),
        })
        .await
        .unwrap();
    assert_ne!(
        a.username.normalized(),
        "bob",
        "taken username gets a suffix"
    );
    let b = chat
        .ensure_external_user(crate::ExternalUser {
            external_id: "host:42".into(),
            username: "whatever".into(),
            display_name: None,
        })
        .await
        .unwrap();
    assert_eq!(a.id, b.id);
    assert!(store.get_password_hash(a.id).await.unwrap().is_none());
}

pub async fn users_update_and_lookup(store: Arc<dyn Store>) {
    let chat = chat(store.clone());
    let a = register(&chat, "carol").await;
    register(&chat, "dave").await;
    let me = chat
        .update_profile(
            a.user.id,
            ProfileUpdate {
                display_name: Some("Carol C".into()),
                bio: Some("hello\nworld".into()),
                avatar_url: Some("https://img.example/c.png".into()),
                email: Some("carol@example.com".into()),
            },
        )
        .await
        .unwrap();
    assert_eq!(me.user.display_name, "Carol C");
    assert_eq!(me.user.bio, "hello\nworld");
    assert_eq!(me.email.as_deref(), Some("carol@example.com"));
    let stored = store.get_user(a.user.id).await.unwrap().unwrap();
    assert_eq!(
        stored.avatar_url.as_deref(),
        Some("https://img.example/c.png")
    );
    // Renaming onto another user's name conflicts.
    let mut clash = stored.clone();
    clash.username = Username::parse("DAVE").unwrap();
    assert_conflict(store.update_user(&clash).await, Conflict::Username);
    // Clearing the email frees it.
    chat.update_profile(
        a.user.id,
        ProfileUpdate {
            email: Some(String::new()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert!(
        store
            .get_user(a.user.id)
            .await
            .unwrap()
            .unwrap()
            .email
            .is_none()
    );
    // Unknown user updates are NotFound.
    assert!(is_not_found(&store.update_user(&plain_user("ghost")).await));
    assert!(is_not_found(&chat.find_user("nobody-here").await));
    assert_eq!(chat.find_user("CAROL").await.unwrap().id, a.user.id);
}

pub async fn users_get_many_and_last_seen(store: Arc<dyn Store>) {
    let chat = chat(store.clone());
    let a = register(&chat, "erin").await;
    let b = register(&chat, "frank").await;
    let got = store
        .get_users(&[a.user.id, b.user.id, UserId::new()])
        .await
        .unwrap();
    let ids: HashSet<UserId> = got.iter().map(|u| u.id).collect();
    assert_eq!(ids, HashSet::from([a.user.id, b.user.id]));
    let at = chrono::Utc::now();
    store.set_last_seen(a.user.id, at).await.unwrap();
    let seen = store
        .get_user(a.user.id)
        .await
        .unwrap()
        .unwrap()
        .last_seen_at
        .unwrap();
    assert!((seen - at).num_milliseconds().abs() < 1000);
}

// ---------------------------------------------------------------- sessions

pub async fn sessions_roundtrip(store: Arc<dyn Store>) {
    let user = store
        .create_user(NewUser {
            user: plain_user("sess"),
            password_hash: None,
        })
        .await
        .unwrap();
    let now = chrono::Utc::now();
    let mk = |n: u8, created: chrono::DateTime<chrono::Utc>| Session {
        id: SessionId::new(),
        user_id: user.id,
        token_hash: [n; 32],
        created_at: created,
        last_used_at: created,
        expires_at: created + ChronoDuration::days(1),
        user_agent: Some(format!("agent {n}")),
    };
    let s1 = mk(1, now - ChronoDuration::minutes(5));
    let s2 = mk(2, now);
    store.create_session(s1.clone()).await.unwrap();
    store.create_session(s2.clone()).await.unwrap();
    let found = store.find_session(&[1; 32]).await.unwrap().unwrap();
    assert_eq!(found.id, s1.id);
    assert_eq!(found.user_agent.as_deref(), Some("agent 1"));
    assert!(store.find_session(&[9; 32]).await.unwrap().is_none());
    let later = now + ChronoDuration::hours(2);
    store
        .touch_session(s1.id, later, later + ChronoDuration::days(1))
        .await
        .unwrap();
    let touched = store.find_session(&[1; 32]).await.unwrap().unwrap();
    assert!(
        (touched.expires_at - (later + ChronoDuration::days(1)))
            .num_seconds()
            .abs()
            <= 1
    );
    let list = store.list_sessions(user.id).await.unwrap();
    assert_eq!(
        list.iter().map(|s| s.id).collect::<Vec<_>>(),
        vec![s2.id, s1.id],
        "newest first"
    );
    // Deleting someone else's session id is refused.
    assert!(!store.delete_session(UserId::new(), s1.id).await.unwrap());
    assert!(store.delete_session(user.id, s1.id).await.unwrap());
    assert!(store.find_session(&[1; 32]).await.unwrap().is_none());
    assert_eq!(store.delete_user_sessions(user.id).await.unwrap(), 1);
    assert!(store.list_sessions(user.id).await.unwrap().is_empty());
}

pub async fn accounts_register_login_logout(store: Arc<dyn Store>) {
    let chat = chat(store.clone());
    let (me, token) = chat
        .register(
            Register {
                username: "gina".into(),
                password: "correct horse battery".into(),
                ..Default::default()
            },
            Some("test agent".into()),
        )
        .await
        .unwrap();
    // Tokens carry at least 128 bits and are stored only hashed.
    assert!(token.token.len() >= 22);
    let sess = store.list_sessions(me.user.id).await.unwrap();
    assert_eq!(sess.len(), 1);
    assert_ne!(&sess[0].token_hash[..], token.token.as_bytes());
    assert_eq!(
        chat.authenticate(&token.token).await.unwrap().user_id,
        me.user.id
    );
    // The password is stored as an argon2id hash.
    let hash = store.get_password_hash(me.user.id).await.unwrap().unwrap();
    assert!(hash.starts_with("$argon2id$"), "{hash}");

    assert!(matches!(
        chat.login("gina", "wrong password!", None).await,
        Err(Error::Unauthenticated(_))
    ));
    assert!(matches!(
        chat.login("nobody", "whatever123", None).await,
        Err(Error::Unauthenticated(_))
    ));
    let (_, t2) = chat
        .login("GINA", "correct horse battery", None)
        .await
        .unwrap();
    assert_ne!(t2.token, token.token);
    chat.logout(me.user.id, t2.session.id).await.unwrap();
    assert!(matches!(
        chat.authenticate(&t2.token).await,
        Err(Error::Unauthenticated(_))
    ));
    assert!(chat.authenticate(&token.token).await.is_ok());
    let (_, t3) = chat
        .login("gina", "correct horse battery", None)
        .await
        .unwrap();
    assert_eq!(chat.logout_everywhere(me.user.id).await.unwrap(), 2);
    assert!(chat.authenticate(&token.token).await.is_err());
    assert!(chat.authenticate(&t3.token).await.is_err());
}

pub async fn accounts_change_password_and_delete(store: Arc<dyn Store>) {
    let chat = chat(store.clone());
    let (me, t1) = chat
        .register(
            Register {
                username: "hank".into(),
                password: "correct horse battery".into(),
                ..Default::default()
            },
            None,
        )
        .await
        .unwrap();
    let (_, t2) = chat
        .login("hank", "correct horse battery", None)
        .await
        .unwrap();
    assert!(matches!(
        chat.change_password(
            me.user.id,
            Some(t1.session.id),
            "wrong one!",
            "new password 1"
        )
        .await,
        Err(Error::Unauthenticated(_))
    ));
    chat.change_password(
        me.user.id,
        Some(t1.session.id),
        "correct horse battery",
        "new password 1",
    )
    .await
    .unwrap();
    assert!(
        chat.authenticate(&t1.token).await.is_ok(),
        "current session kept"
    );
    assert!(
        chat.authenticate(&t2.token).await.is_err(),
        "other sessions ended"
    );
    assert!(
        chat.login("hank", "correct horse battery", None)
            .await
            .is_err()
    );
    assert!(chat.login("hank", "new password 1", None).await.is_ok());
    assert!(matches!(
        chat.delete_account(me.user.id, Some("nope nope")).await,
        Err(Error::Unauthenticated(_))
    ));
    chat.delete_account(me.user.id, Some("new password 1"))
        .await
        .unwrap();
    assert!(store.get_user(me.user.id).await.unwrap().is_none());
    assert!(chat.authenticate(&t1.token).await.is_err());
    // The username is free again.
    register(&chat, "hank").await;
}

// ---------------------------------------------------------------- rooms

pub async fn rooms_create_get_update_delete(store: Arc<dyn Store>) {
    let chat = chat(store.clone());
    let owner = register(&chat, "ivy").await.user.id;
    let other = register(&chat, "jack").await.user.id;
    let r = chat
        .create_room(
            owner,
            NewRoom {
                description: "about things".into(),
                max_members: Some(10),
                ..NewRoom::new(RoomKind::Public, "  Lobby ")
            },
        )
        .await
        .unwrap();
    assert_eq!(r.name, "Lobby");
    assert_eq!(r.my_role, Some(Role::Owner));
    assert_eq!(r.member_count, 1);
    assert_eq!(r.max_members, 10);
    assert!(r.code.is_none(), "public rooms have no code");
    assert_eq!(r.last_seq, 1, "the creation system message");
    let seen = chat.get_room(other, r.id).await.unwrap();
    assert_eq!(seen.my_role, None);
    let upd = chat
        .update_room(
            owner,
            r.id,
            RoomUpdate {
                name: Some("Hall".into()),
                description: Some("new".into()),
                password: Some("room secret".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(upd.name, "Hall");
    assert!(upd.has_password);
    let stored = store.get_room(r.id).await.unwrap().unwrap();
    assert_eq!(stored.description, "new");
    assert!(
        stored
            .password_hash
            .as_deref()
            .unwrap()
            .starts_with("$argon2id$")
    );
    assert_eq!(stored.last_seq, 1, "settings updates never touch last_seq");
    assert!(matches!(
        chat.update_room(
            other,
            r.id,
            RoomUpdate {
                name: Some("x".into()),
                ..Default::default()
            }
        )
        .await,
        Err(Error::Forbidden(_))
    ));
    assert!(matches!(
        chat.delete_room(other, r.id).await,
        Err(Error::Forbidden(_))
    ));
    chat.delete_room(owner, r.id).await.unwrap();
    assert!(store.get_room(r.id).await.unwrap().is_none());
    assert!(is_not_found(&chat.get_room(owner, r.id).await));
}

pub async fn rooms_public_listing_pages_and_hides_private(store: Arc<dyn Store>) {
    let chat = chat(store.clone());
    let owner = register(&chat, "kate").await.user.id;
    let viewer = register(&chat, "liam").await.user.id;
    for name in ["delta", "alpha", "charlie", "bravo", "echo"] {
        room(&chat, owner, RoomKind::Public, name).await;
    }
    let secret = room(&chat, owner, RoomKind::Private, "aaa secret").await;
    let page1 = chat.list_public_rooms(viewer, None, 2).await.unwrap();
    let names: Vec<_> = page1.iter().map(|r| r.name.clone()).collect();
    assert_eq!(names, ["alpha", "bravo"]);
    let last = page1.last().unwrap();
    let page2 = chat
        .list_public_rooms(viewer, Some((&last.name, last.id)), 10)
        .await
        .unwrap();
    let names: Vec<_> = page2.iter().map(|r| r.name.clone()).collect();
    assert_eq!(names, ["charlie", "delta", "echo"]);
    assert!(page1.iter().chain(&page2).all(|r| r.id != secret.id));
    assert!(
        is_not_found(&chat.get_room(viewer, secret.id).await),
        "private rooms are invisible"
    );
    assert!(is_not_found(&chat.members(viewer, secret.id).await));
}

pub async fn rooms_list_user_rooms(store: Arc<dyn Store>) {
    let chat = chat(store.clone());
    let a = register(&chat, "mia").await.user.id;
    let b = register(&chat, "noah").await.user.id;
    let r1 = room(&chat, a, RoomKind::Public, "one").await;
    let r2 = room(&chat, a, RoomKind::Private, "two").await;
    let dm = chat.open_direct(a, b).await.unwrap();
    let mine = chat.list_my_rooms(a).await.unwrap();
    let ids: HashSet<RoomId> = mine.iter().map(|r| r.id).collect();
    assert_eq!(ids, HashSet::from([r1.id, r2.id, dm.id]));
    let raw = store.list_user_rooms(a).await.unwrap();
    let sorted: Vec<RoomId> = raw.iter().map(|(r, _)| r.id).collect();
    let mut expect = sorted.clone();
    expect.sort();
    assert_eq!(sorted, expect, "ordered by room id");
    assert!(raw.iter().all(|(r, m)| m.room_id == r.id && m.user_id == a));
    assert_eq!(chat.list_my_rooms(b).await.unwrap().len(), 1);
}

// ---------------------------------------------------------------- codes

pub async fn codes_join_case_insensitive(store: Arc<dyn Store>) {
    let chat = chat(store.clone());
    let owner = register(&chat, "olga").await.user.id;
    let guest = register(&chat, "pete").await.user.id;
    let r = room(&chat, owner, RoomKind::Private, "club").await;
    let code = r.code.clone().expect("owner sees the code");
    assert_eq!(code.as_str().len(), 8);
    assert!(
        code.as_str()
            .bytes()
            .all(|b| RoomCode::ALPHABET.contains(&b))
    );
    // Members below admin do not see the code.
    let lower = format!("  {}  ", code.as_str().to_ascii_lowercase());
    let joined = chat.join_by_code(guest, &lower, None).await.unwrap();
    assert_eq!(joined.id, r.id);
    assert!(joined.code.is_none());
    assert!(matches!(
        chat.room_code(guest, r.id).await,
        Err(Error::Forbidden(_))
    ));
    assert_eq!(chat.room_code(owner, r.id).await.unwrap(), code);
    // Admins see it.
    chat.set_role(owner, r.id, guest, Role::Admin)
        .await
        .unwrap();
    assert_eq!(chat.get_room(guest, r.id).await.unwrap().code, Some(code));
    assert!(matches!(
        chat.join_by_code(guest, "short", None).await,
        Err(Error::Invalid { .. })
    ));
    assert!(is_not_found(
        &chat.join_by_code(guest, "ZZZZZZZZ", None).await
    ));
}

pub async fn codes_rotate_old_stops_working(store: Arc<dyn Store>) {
    let chat = chat(store.clone());
    let owner = register(&chat, "quinn").await.user.id;
    let member = register(&chat, "rosa").await.user.id;
    let guest = register(&chat, "sam").await.user.id;
    let r = room(&chat, owner, RoomKind::Private, "vault").await;
    let old = r.code.unwrap();
    chat.join_by_code(member, old.as_str(), None).await.unwrap();
    assert!(matches!(
        chat.rotate_code(member, r.id).await,
        Err(Error::Forbidden(_))
    ));
    let new = chat.rotate_code(owner, r.id).await.unwrap();
    assert_ne!(new, old);
    assert!(is_not_found(
        &chat.join_by_code(guest, old.as_str(), None).await
    ));
    assert!(store.find_room_by_code(&old).await.unwrap().is_none());
    chat.join_by_code(guest, new.as_str(), None).await.unwrap();
    let public = room(&chat, owner, RoomKind::Public, "open").await;
    assert!(matches!(
        chat.rotate_code(owner, public.id).await,
        Err(Error::Invalid { .. })
    ));
}

pub async fn codes_unique_concurrently(store: Arc<dyn Store>) {
    let chat = chat(store.clone());
    let owner = register(&chat, "tina").await.user.id;
    let mut tasks = Vec::new();
    for i in 0..40 {
        let chat = chat.clone();
        tasks.push(tokio::spawn(async move {
            chat.create_room(owner, NewRoom::new(RoomKind::Private, format!("r{i}")))
                .await
                .unwrap()
        }));
    }
    let mut codes = HashSet::new();
    for t in tasks {
        let r = t.await.unwrap();
        assert!(codes.insert(r.code.unwrap()), "duplicate code");
    }
    assert_eq!(codes.len(), 40);
    for code in &codes {
        assert!(store.find_room_by_code(code).await.unwrap().is_some());
    }
}

pub async fn codes_store_rejects_duplicate(store: Arc<dyn Store>) {
    let owner = store
        .create_user(NewUser {
            user: plain_user("uma"),
            password_hash: None,
        })
        .await
        .unwrap();
    let code = RoomCode::parse("ABCD1234").unwrap();
    let mk = |code: Option<RoomCode>| Room {
        id: RoomId::new(),
        kind: RoomKind::Private,
        name: "x".into(),
        description: String::new(),
        avatar_url: None,
        code,
        password_hash: None,
        max_members: None,
        direct_key: None,
        created_by: Some(owner.id),
        created_at: chrono::Utc::now(),
        last_seq: 0,
        slow_mode_secs: 0,
    };
    let member = |room: RoomId| Membership {
        room_id: room,
        user_id: owner.id,
        role: Role::Owner,
        joined_at: chrono::Utc::now(),
    };
    let a = mk(Some(code.clone()));
    store
        .create_room(a.clone(), vec![member(a.id)])
        .await
        .unwrap();
    let b = mk(Some(code.clone()));
    assert_conflict(
        store.create_room(b.clone(), vec![member(b.id)]).await,
        Conflict::RoomCode,
    );
    assert!(
        store.get_room(b.id).await.unwrap().is_none(),
        "nothing half-created"
    );
    let mut c = mk(None);
    store
        .create_room(c.clone(), vec![member(c.id)])
        .await
        .unwrap();
    c.code = Some(code);
    assert_conflict(store.update_room(&c).await, Conflict::RoomCode);
}

// ---------------------------------------------------------------- joining

pub async fn join_password_rules(store: Arc<dyn Store>) {
    let chat = chat(store.clone());
    let owner = register(&chat, "vera").await.user.id;
    let guest = register(&chat, "will").await.user.id;
    let r = chat
        .create_room(
            owner,
            NewRoom {
                password: Some("open sesame".into()),
                ..NewRoom::new(RoomKind::Public, "guarded")
            },
        )
        .await
        .unwrap();
    assert!(r.has_password);
    assert!(matches!(
        chat.join_room(guest, r.id, None).await,
        Err(Error::Forbidden(_))
    ));
    assert!(matches!(
        chat.join_room(guest, r.id, Some("wrong")).await,
        Err(Error::Forbidden(_))
    ));
    chat.join_room(guest, r.id, Some("open sesame"))
        .await
        .unwrap();
    assert_conflict(
        chat.join_room(guest, r.id, Some("open sesame")).await,
        Conflict::AlreadyMember,
    );
    // Private room with password: the code alone is not enough.
    let p = chat
        .create_room(
            owner,
            NewRoom {
                password: Some("inner".into()),
                ..NewRoom::new(RoomKind::Private, "inner")
            },
        )
        .await
        .unwrap();
    let code = p.code.unwrap();
    assert!(matches!(
        chat.join_by_code(guest, code.as_str(), None).await,
        Err(Error::Forbidden(_))
    ));
    chat.join_by_code(guest, code.as_str(), Some("inner"))
        .await
        .unwrap();
    // Private rooms cannot be joined by id without an invitation.
    let q = room(&chat, owner, RoomKind::Private, "hidden").await;
    assert!(is_not_found(&chat.join_room(guest, q.id, None).await));
}

pub async fn members_limit_under_parallel_joins(store: Arc<dyn Store>) {
    let chat = chat(store.clone());
    let owner = register(&chat, "xena").await.user.id;
    let r = chat
        .create_room(
            owner,
            NewRoom {
                max_members: Some(5),
                ..NewRoom::new(RoomKind::Public, "small")
            },
        )
        .await
        .unwrap();
    let mut users = Vec::new();
    for i in 0..12 {
        let u = store
            .create_user(NewUser {
                user: plain_user(&format!("joiner{i}")),
                password_hash: None,
            })
            .await
            .unwrap();
        users.push(u.id);
    }
    let mut tasks = Vec::new();
    for u in users {
        let chat = chat.clone();
        tasks.push(tokio::spawn(
            async move { chat.join_room(u, r.id, None).await },
        ));
    }
    let (mut ok, mut full) = (0, 0);
    for t in tasks {
        match t.await.unwrap() {
            Ok(_) => ok += 1,
            Err(Error::Conflict(Conflict::RoomFull)) => full += 1,
            Err(e) => panic!("unexpected {e:?}"),
        }
    }
    assert_eq!(ok, 4, "owner + 4 joiners = 5");
    assert_eq!(full, 8);
    assert_eq!(store.count_members(r.id).await.unwrap(), 5);
}

pub async fn members_roles_and_transfer(store: Arc<dyn Store>) {
    let chat = chat(store.clone());
    let owner = register(&chat, "yara").await.user.id;
    let a = register(&chat, "zane").await.user.id;
    let b = register(&chat, "abel").await.user.id;
    let r = room(&chat, owner, RoomKind::Public, "ranks").await;
    chat.join_room(a, r.id, None).await.unwrap();
    chat.join_room(b, r.id, None).await.unwrap();
    chat.set_role(owner, r.id, a, Role::Admin).await.unwrap();
    assert_eq!(
        store.get_member(r.id, a).await.unwrap().unwrap().role,
        Role::Admin
    );
    chat.set_role(a, r.id, b, Role::Moderator).await.unwrap();
    assert!(matches!(
        chat.set_role(a, r.id, b, Role::Admin).await,
        Err(Error::Forbidden(_))
    ));
    assert!(matches!(
        chat.set_role(b, r.id, a, Role::Member).await,
        Err(Error::Forbidden(_))
    ));
    let members = chat.members(owner, r.id).await.unwrap();
    let roles: Vec<Role> = members.iter().map(|m| m.role).collect();
    assert_eq!(
        roles,
        [Role::Owner, Role::Admin, Role::Moderator],
        "ordered by join time"
    );
    assert!(matches!(
        chat.transfer_ownership(a, r.id, b).await,
        Err(Error::Forbidden(_))
    ));
    chat.transfer_ownership(owner, r.id, b).await.unwrap();
    assert_eq!(
        store.get_member(r.id, b).await.unwrap().unwrap().role,
        Role::Owner
    );
    assert_eq!(
        store.get_member(r.id, owner).await.unwrap().unwrap().role,
        Role::Admin
    );
    assert!(matches!(
        chat.delete_room(owner, r.id).await,
        Err(Error::Forbidden(_))
    ));
}

pub async fn members_owner_leaving_hands_on(store: Arc<dyn Store>) {
    let chat = chat(store.clone());
    let owner = register(&chat, "bea").await.user.id;
    let early = register(&chat, "cyd").await.user.id;
    let admin = register(&chat, "dot").await.user.id;
    let r = room(&chat, owner, RoomKind::Public, "heirs").await;
    chat.join_room(early, r.id, None).await.unwrap();
    chat.join_room(admin, r.id, None).await.unwrap();
    chat.set_role(owner, r.id, admin, Role::Admin)
        .await
        .unwrap();
    chat.leave_room(owner, r.id).await.unwrap();
    assert!(store.get_member(r.id, owner).await.unwrap().is_none());
    assert_eq!(
        store.get_member(r.id, admin).await.unwrap().unwrap().role,
        Role::Owner,
        "the highest-ranked member inherits"
    );
    chat.leave_room(admin, r.id).await.unwrap();
    assert_eq!(
        store.get_member(r.id, early).await.unwrap().unwrap().role,
        Role::Owner
    );
    chat.leave_room(early, r.id).await.unwrap();
    assert!(
        store.get_room(r.id).await.unwrap().is_none(),
        "empty room deleted"
    );
}

// ---------------------------------------------------------------- bans and kicks

pub async fn bans_every_rejoin_path_refused(store: Arc<dyn Store>) {
    let chat = chat(store.clone());
    let owner = register(&chat, "eve").await.user.id;
    let bad = register(&chat, "mallory").await.user.id;
    let p = chat
        .create_room(
            owner,
            NewRoom {
                password: Some("pw for room".into()),
                ..NewRoom::new(RoomKind::Private, "private")
            },
        )
        .await
        .unwrap();
    let code = p.code.clone().unwrap();
    chat.join_by_code(bad, code.as_str(), Some("pw for room"))
        .await
        .unwrap();
    let pubr = room(&chat, owner, RoomKind::Public, "public").await;
    chat.join_room(bad, pubr.id, None).await.unwrap();

    let ban = chat.ban(owner, p.id, bad, "spam", None).await.unwrap();
    assert_eq!(ban.reason, "spam");
    assert_eq!(ban.banned_by, Some(owner));
    chat.ban(owner, pubr.id, bad, "spam", None).await.unwrap();
    assert!(
        store.get_member(p.id, bad).await.unwrap().is_none(),
        "removed at once"
    );
    // Every path back in is refused.
    assert!(matches!(
        chat.join_by_code(bad, code.as_str(), Some("pw for room"))
            .await,
        Err(Error::Banned)
    ));
    assert!(matches!(
        chat.join_room(bad, pubr.id, None).await,
        Err(Error::Banned)
    ));
    assert!(matches!(
        chat.invite(owner, p.id, bad).await,
        Err(Error::Banned)
    ));
    // An invitation issued before the ban is void.
    let pubr2 = room(&chat, owner, RoomKind::Private, "second").await;
    chat.invite(owner, pubr2.id, bad).await.unwrap();
    chat.ban(owner, pubr2.id, bad, "", None).await.unwrap();
    assert!(store.get_invite(pubr2.id, bad).await.unwrap().is_none());
    assert!(is_not_found(&chat.join_room(bad, pubr2.id, None).await));
    // Nor can they read, post or see the private room.
    assert!(is_not_found(
        &chat.history(bad, p.id, PageRequest::default()).await
    ));
    assert!(
        chat.send_message(
            bad,
            pubr.id,
            SendMessage {
                body: "hi".into(),
                ..Default::default()
            }
        )
        .await
        .is_err()
    );
    assert!(is_not_found(&chat.get_room(bad, p.id).await));
    let bans = chat.list_bans(owner, p.id).await.unwrap();
    assert_eq!(bans.len(), 1);
    assert_eq!(bans[0].user_id, bad);
}

pub async fn bans_expire_and_unban(store: Arc<dyn Store>) {
    let clock = Arc::new(parking_lot::Mutex::new(chrono::Utc::now()));
    let c2 = clock.clone();
    let chat = Chat::builder(store.clone())
        .clock(move || *c2.lock())
        .build();
    let owner = register(&chat, "gus").await.user.id;
    let user = register(&chat, "hal").await.user.id;
    let r = room(&chat, owner, RoomKind::Public, "temp").await;
    chat.join_room(user, r.id, None).await.unwrap();
    let now = *clock.lock();
    assert!(matches!(
        chat.ban(
            owner,
            r.id,
            user,
            "cool off",
            Some(now - ChronoDuration::minutes(1))
        )
        .await,
        Err(Error::Invalid { .. })
    ));
    chat.ban(
        owner,
        r.id,
        user,
        "cool off",
        Some(now + ChronoDuration::hours(1)),
    )
    .await
    .unwrap();
    assert!(matches!(
        chat.join_room(user, r.id, None).await,
        Err(Error::Banned)
    ));
    *clock.lock() = now + ChronoDuration::hours(2);
    chat.join_room(user, r.id, None).await.unwrap();
    // Permanent ban, then unban.
    chat.ban(owner, r.id, user, "again", None).await.unwrap();
    assert!(matches!(
        chat.join_room(user, r.id, None).await,
        Err(Error::Banned)
    ));
    assert!(matches!(
        chat.unban(user, r.id, user).await,
        Err(Error::Forbidden(_) | Error::NotFound(_))
    ));
    chat.unban(owner, r.id, user).await.unwrap();
    assert!(is_not_found(&chat.unban(owner, r.id, user).await));
    chat.join_room(user, r.id, None).await.unwrap();
}

pub async fn kick_allows_rejoin(store: Arc<dyn Store>) {
    let chat = chat(store.clone());
    let owner = register(&chat, "ida").await.user.id;
    let m = register(&chat, "jon").await.user.id;
    let r = room(&chat, owner, RoomKind::Public, "kicks").await;
    chat.join_room(m, r.id, None).await.unwrap();
    assert!(matches!(
        chat.kick(m, r.id, owner).await,
        Err(Error::Forbidden(_))
    ));
    chat.kick(owner, r.id, m).await.unwrap();
    assert!(store.get_member(r.id, m).await.unwrap().is_none());
    assert!(is_not_found(&chat.kick(owner, r.id, m).await));
    chat.join_room(m, r.id, None).await.unwrap();
}

pub async fn invites_let_into_private_rooms(store: Arc<dyn Store>) {
    let chat = chat(store.clone());
    let owner = register(&chat, "kim").await.user.id;
    let guest = register(&chat, "lou").await.user.id;
    let member = register(&chat, "max").await.user.id;
    let r = chat
        .create_room(
            owner,
            NewRoom {
                password: Some("pw pw pw".into()),
                ..NewRoom::new(RoomKind::Private, "by invite")
            },
        )
        .await
        .unwrap();
    chat.join_by_code(member, r.code.as_ref().unwrap().as_str(), Some("pw pw pw"))
        .await
        .unwrap();
    assert!(matches!(
        chat.invite(member, r.id, guest).await,
        Err(Error::Forbidden(_))
    ));
    chat.invite(owner, r.id, guest).await.unwrap();
    chat.invite(owner, r.id, guest).await.unwrap(); // idempotent
    let invites = chat.list_invites(guest).await.unwrap();
    assert_eq!(invites.len(), 1);
    assert_eq!(invites[0].room_name, "by invite");
    assert_eq!(invites[0].invited_by, Some(owner));
    // The invitation admits without the code and without the password.
    chat.join_room(guest, r.id, None).await.unwrap();
    assert!(
        chat.list_invites(guest).await.unwrap().is_empty(),
        "consumed"
    );
    assert_conflict(
        chat.invite(owner, r.id, guest).await,
        Conflict::AlreadyMember,
    );
    let other = register(&chat, "ned").await.user.id;
    chat.invite(owner, r.id, other).await.unwrap();
    chat.decline_invite(other, r.id).await.unwrap();
    assert!(is_not_found(&chat.join_room(other, r.id, None).await));
}

// ---------------------------------------------------------------- messages

pub async fn messages_send_edit_delete(store: Arc<dyn Store>) {
    let chat = chat(store.clone());
    let owner = register(&chat, "oli").await.user.id;
    let a = register(&chat, "pam").await.user.id;
    let mod_ = register(&chat, "ray").await.user.id;
    let r = room(&chat, owner, RoomKind::Public, "talk").await;
    chat.join_room(a, r.id, None).await.unwrap();
    chat.join_room(mod_, r.id, None).await.unwrap();
    chat.set_role(owner, r.id, mod_, Role::Moderator)
        .await
        .unwrap();
    let m = say(&chat, a, r.id, "hello <b>world</b>").await;
    assert_eq!(
        m.body, "hello <b>world</b>",
        "stored as given, never interpreted"
    );
    assert_eq!(m.author_id, Some(a));
    assert_eq!(m.kind, MessageKind::Text);
    assert!(matches!(
        chat.edit_message(mod_, m.id, "hijack").await,
        Err(Error::Forbidden(_))
    ));
    let e = chat.edit_message(a, m.id, "hello again").await.unwrap();
    assert!(e.edited_at.is_some());
    let stored = store.get_message(m.id).await.unwrap().unwrap();
    assert_eq!(stored.body, "hello again");
    assert!(stored.edited_at.is_some());
    assert_eq!(stored.seq, m.seq);
    // Validation.
    assert!(matches!(
        chat.send_message(
            a,
            r.id,
            SendMessage {
                body: "   ".into(),
                ..Default::default()
            }
        )
        .await,
        Err(Error::Invalid { .. })
    ));
    assert!(matches!(
        chat.send_message(
            a,
            r.id,
            SendMessage {
                body: "x".repeat(4001),
                ..Default::default()
            }
        )
        .await,
        Err(Error::TooLarge { .. })
    ));
    // A moderator deletes a member's message; the tombstone stays.
    chat.delete_message(mod_, m.id).await.unwrap();
    let tomb = store.get_message(m.id).await.unwrap().unwrap();
    assert!(tomb.deleted_at.is_some());
    assert!(tomb.body.is_empty());
    assert!(matches!(
        chat.edit_message(a, m.id, "back").await,
        Err(Error::NotFound(_))
    ));
    let page = chat
        .history(owner, r.id, PageRequest::default())
        .await
        .unwrap();
    assert!(
        page.messages
            .iter()
            .any(|x| x.id == m.id && x.deleted_at.is_some())
    );
    // A member cannot delete the moderator's message; the author can.
    let mm = say(&chat, mod_, r.id, "mod says").await;
    assert!(matches!(
        chat.delete_message(a, mm.id).await,
        Err(Error::Forbidden(_))
    ));
    chat.delete_message(mod_, mm.id).await.unwrap();
    // Non-members cannot touch messages.
    let outsider = register(&chat, "sal").await.user.id;
    let m3 = say(&chat, a, r.id, "third").await;
    assert!(chat.delete_message(outsider, m3.id).await.is_err());
    assert!(is_not_found(
        &chat.edit_message(outsider, MessageId::new(), "x").await
    ));
}

pub async fn messages_reply_must_be_in_room(store: Arc<dyn Store>) {
    let chat = chat(store.clone());
    let u = register(&chat, "tom").await.user.id;
    let r1 = room(&chat, u, RoomKind::Public, "r1").await;
    let r2 = room(&chat, u, RoomKind::Public, "r2").await;
    let parent = say(&chat, u, r1.id, "parent").await;
    let reply = chat
        .send_message(
            u,
            r1.id,
            SendMessage {
                body: "child".into(),
                reply_to: Some(parent.id),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(
        store.get_message(reply.id).await.unwrap().unwrap().reply_to,
        Some(parent.id)
    );
    let wrong = chat
        .send_message(
            u,
            r2.id,
            SendMessage {
                body: "x".into(),
                reply_to: Some(parent.id),
                ..Default::default()
            },
        )
        .await;
    assert!(matches!(wrong, Err(Error::Invalid { .. })));
}

pub async fn messages_nonce_is_idempotent(store: Arc<dyn Store>) {
    let chat = chat(store.clone());
    let u = register(&chat, "uli").await.user.id;
    let v = register(&chat, "val").await.user.id;
    let r = room(&chat, u, RoomKind::Public, "once").await;
    chat.join_room(v, r.id, None).await.unwrap();
    let send = |user: UserId, body: &str| {
        let chat = chat.clone();
        let body = body.to_owned();
        async move {
            chat.send_message(
                user,
                r.id,
                SendMessage {
                    body,
                    nonce: Some("n-1".into()),
                    ..Default::default()
                },
            )
            .await
            .unwrap()
        }
    };
    let first = send(u, "first").await;
    let retry = send(u, "first (retry)").await;
    assert_eq!(first.id, retry.id);
    assert_eq!(first.seq, retry.seq);
    assert_eq!(retry.body, "first");
    // The same nonce from another user is a different message.
    let other = send(v, "other").await;
    assert_ne!(other.id, first.id);
    assert_eq!(texts(&chat, u, r.id).await, ["first", "other"]);
    assert_eq!(store.last_seq(r.id).await.unwrap(), other.seq);
}

pub async fn messages_parallel_sends_gapless(store: Arc<dyn Store>) {
    let chat = chat(store.clone());
    let owner = register(&chat, "wes").await.user.id;
    let r = room(&chat, owner, RoomKind::Public, "busy").await;
    let mut users = vec![owner];
    for i in 0..7 {
        let u = store
            .create_user(NewUser {
                user: plain_user(&format!("sender{i}")),
                password_hash: None,
            })
            .await
            .unwrap();
        chat.join_room(u.id, r.id, None).await.unwrap();
        users.push(u.id);
    }
    let before = store.last_seq(r.id).await.unwrap();
    let mut tasks = Vec::new();
    for (i, u) in users.iter().copied().enumerate() {
        let chat = chat.clone();
        tasks.push(tokio::spawn(async move {
            let mut seqs = Vec::new();
            for j in 0..25 {
                let m = chat
                    .send_message(
                        u,
                        r.id,
                        SendMessage {
                            body: format!("{i}-{j}"),
                            ..Default::default()
                        },
                    )
                    .await
                    .unwrap();
                seqs.push(m.seq);
            }
            seqs
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        let seqs = t.await.unwrap();
        assert!(
            seqs.windows(2).all(|w| w[0] < w[1]),
            "each sender sees increasing seqs"
        );
        all.extend(seqs);
    }
    all.sort_unstable();
    let expect: Vec<i64> = (before + 1..=before + 200).collect();
    assert_eq!(all, expect, "unique and gapless");
    assert_eq!(store.last_seq(r.id).await.unwrap(), before + 200);
    let stored = store
        .list_messages(
            r.id,
            PageRequest {
                after: Some(before),
                before: None,
                limit: 500,
            },
        )
        .await
        .unwrap();
    assert_eq!(stored.iter().map(|m| m.seq).collect::<Vec<_>>(), expect);
}

pub async fn messages_parallel_sends_many_rooms(store: Arc<dyn Store>) {
    let chat = chat(store.clone());
    let u = register(&chat, "xan").await.user.id;
    let mut rooms = Vec::new();
    for i in 0..4 {
        rooms.push(
            room(&chat, u, RoomKind::Public, &format!("room{i}"))
                .await
                .id,
        );
    }
    let mut tasks = Vec::new();
    for (i, r) in rooms.iter().copied().enumerate() {
        for k in 0..3 {
            let chat = chat.clone();
            tasks.push(tokio::spawn(async move {
                for j in 0..10 {
                    chat.send_message(
                        u,
                        r,
                        SendMessage {
                            body: format!("{i}/{k}/{j}"),
                            ..Default::default()
                        },
                    )
                    .await
                    .unwrap();
                }
            }));
        }
    }
    for t in tasks {
        t.await.unwrap();
    }
    for r in rooms {
        let msgs = store
            .list_messages(
                r,
                PageRequest {
                    limit: 100,
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        let seqs: Vec<i64> = msgs.iter().map(|m| m.seq).collect();
        assert_eq!(
            seqs,
            (1..=31).collect::<Vec<i64>>(),
            "1 system + 30 texts, gapless"
        );
    }
}

// ---------------------------------------------------------------- history

pub async fn history_paging(store: Arc<dyn Store>) {
    let chat = chat(store.clone());
    let u = register(&chat, "yul").await.user.id;
    let r = room(&chat, u, RoomKind::Public, "pages").await; // seq 1: system
    for i in 2..=130 {
        say(&chat, u, r.id, &format!("m{i}")).await;
    }
    let seqs =
        |p: &crate::protocol::HistoryPage| p.messages.iter().map(|m| m.seq).collect::<Vec<_>>();
    // Latest page.
    let latest = chat
        .history(
            u,
            r.id,
            PageRequest {
                limit: 20,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(seqs(&latest), (111..=130).collect::<Vec<_>>());
    assert!(latest.has_more);
    // Older, before a cursor.
    let older = chat
        .history(
            u,
            r.id,
            PageRequest {
                before: Some(111),
                limit: 20,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(seqs(&older), (91..=110).collect::<Vec<_>>());
    let oldest = chat
        .history(
            u,
            r.id,
            PageRequest {
                before: Some(11),
                limit: 20,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(seqs(&oldest), (1..=10).collect::<Vec<_>>());
    assert!(!oldest.has_more);
    // Forward from a cursor.
    let fwd = chat
        .history(
            u,
            r.id,
            PageRequest {
                after: Some(100),
                limit: 20,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(seqs(&fwd), (101..=120).collect::<Vec<_>>());
    assert!(fwd.has_more);
    let tail = chat
        .history(
            u,
            r.id,
            PageRequest {
                after: Some(120),
                limit: 20,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(seqs(&tail), (121..=130).collect::<Vec<_>>());
    assert!(!tail.has_more);
    // Between two cursors.
    let mid = chat
        .history(
            u,
            r.id,
            PageRequest {
                after: Some(10),
                before: Some(15),
                limit: 50,
            },
        )
        .await
        .unwrap();
    assert_eq!(seqs(&mid), [11, 12, 13, 14]);
    // Page size is capped at 100.
    let big = chat
        .history(
            u,
            r.id,
            PageRequest {
                limit: 1000,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(big.messages.len(), 100);
    assert!(matches!(
        chat.history(
            u,
            r.id,
            PageRequest {
                after: Some(5),
                before: Some(5),
                limit: 10
            }
        )
        .await,
        Err(Error::Invalid { .. })
    ));
    // Order and content survive the store.
    let bodies: Vec<String> = latest.messages.iter().map(|m| m.body.clone()).collect();
    assert_eq!(bodies.first().map(String::as_str), Some("m111"));
}

pub async fn history_private_needs_membership(store: Arc<dyn Store>) {
    let chat = chat(store.clone());
    let owner = register(&chat, "zed").await.user.id;
    let outsider = register(&chat, "amy").await.user.id;
    let p = room(&chat, owner, RoomKind::Private, "secret").await;
    say(&chat, owner, p.id, "classified").await;
    assert!(is_not_found(
        &chat.history(outsider, p.id, PageRequest::default()).await
    ));
    assert!(is_not_found(&chat.missed(outsider, p.id, 0).await));
    let pubr = room(&chat, owner, RoomKind::Public, "open").await;
    assert!(matches!(
        chat.history(outsider, pubr.id, PageRequest::default())
            .await,
        Err(Error::Forbidden(_))
    ));
    chat.join_by_code(outsider, p.code.unwrap().as_str(), None)
        .await
        .unwrap();
    assert_eq!(texts(&chat, outsider, p.id).await, ["classified"]);
}

// ---------------------------------------------------------------- direct rooms

pub async fn direct_rooms_one_per_pair(store: Arc<dyn Store>) {
    let chat = chat(store.clone());
    let a = register(&chat, "ann").await.user.id;
    let b = register(&chat, "ben").await.user.id;
    let c = register(&chat, "cat").await.user.id;
    let mut tasks = Vec::new();
    for i in 0..6 {
        let chat = chat.clone();
        let (x, y) = if i % 2 == 0 { (a, b) } else { (b, a) };
        tasks.push(tokio::spawn(async move {
            chat.open_direct(x, y).await.unwrap().id
        }));
    }
    let mut ids = HashSet::new();
    for t in tasks {
        ids.insert(t.await.unwrap());
    }
    assert_eq!(
        ids.len(),
        1,
        "one direct room per pair, even when opened concurrently"
    );
    let dm = *ids.iter().next().unwrap();
    let view = chat.get_room(a, dm).await.unwrap();
    assert_eq!(view.kind, RoomKind::Direct);
    assert_eq!(view.peer.as_ref().map(|p| p.id), Some(b));
    assert_eq!(view.member_count, 2);
    assert!(is_not_found(&chat.get_room(c, dm).await));
    assert!(is_not_found(&chat.join_room(c, dm, None).await));
    assert!(matches!(
        chat.kick(a, dm, b).await,
        Err(Error::Forbidden(_))
    ));
    assert!(matches!(
        chat.open_direct(a, a).await,
        Err(Error::Invalid { .. })
    ));
    say(&chat, a, dm, "psst").await;
    assert_eq!(texts(&chat, b, dm).await, ["psst"]);
    // Leaving and reopening keeps the same room and history.
    chat.leave_room(b, dm).await.unwrap();
    assert_eq!(chat.open_direct(b, a).await.unwrap().id, dm);
    assert_eq!(texts(&chat, b, dm).await, ["psst"]);
    assert_eq!(chat.list_direct(a).await.unwrap().len(), 1);
}

pub async fn room_delete_cascades(store: Arc<dyn Store>) {
    let chat = chat(store.clone());
    let owner = register(&chat, "dan").await.user.id;
    let m = register(&chat, "eli").await.user.id;
    let b = register(&chat, "fay").await.user.id;
    let i = register(&chat, "gil").await.user.id;
    let r = room(&chat, owner, RoomKind::Private, "doomed").await;
    chat.join_by_code(m, r.code.as_ref().unwrap().as_str(), None)
        .await
        .unwrap();
    chat.ban(owner, r.id, b, "", None).await.unwrap();
    chat.invite(owner, r.id, i).await.unwrap();
    let msg = say(&chat, m, r.id, "bye").await;
    chat.delete_room(owner, r.id).await.unwrap();
    assert!(store.get_room(r.id).await.unwrap().is_none());
    assert!(store.get_member(r.id, m).await.unwrap().is_none());
    assert!(store.get_ban(r.id, b).await.unwrap().is_none());
    assert!(store.get_invite(r.id, i).await.unwrap().is_none());
    assert!(store.get_message(msg.id).await.unwrap().is_none());
    assert!(
        store
            .find_room_by_code(r.code.as_ref().unwrap())
            .await
            .unwrap()
            .is_none()
    );
    assert!(chat.list_my_rooms(m).await.unwrap().is_empty());
}

pub async fn account_deletion_rule(store: Arc<dyn Store>) {
    let chat = chat(store.clone());
    let (gone, _) = chat
        .register(
            Register {
                username: "leaver".into(),
                password: "correct horse battery".into(),
                ..Default::default()
            },
            None,
        )
        .await
        .unwrap();
    let gone = gone.user.id;
    let stay = register(&chat, "stayer").await.user.id;
    let shared = room(&chat, gone, RoomKind::Public, "shared").await;
    chat.join_room(stay, shared.id, None).await.unwrap();
    let alone = room(&chat, gone, RoomKind::Private, "alone").await;
    let banned_here = room(&chat, stay, RoomKind::Public, "ban list").await;
    let victim = register(&chat, "victim").await.user.id;
    chat.join_room(gone, banned_here.id, None).await.unwrap();
    chat.set_role(stay, banned_here.id, gone, Role::Moderator)
        .await
        .unwrap();
    chat.ban(
        gone,
        banned_here.id,
        victim,
        "by a moderator who leaves",
        None,
    )
    .await
    .unwrap();
    let m = say(&chat, gone, shared.id, "my words").await;
    chat.delete_account(gone, Some("correct horse battery"))
        .await
        .unwrap();

    assert!(store.get_user(gone).await.unwrap().is_none());
    assert!(store.list_sessions(gone).await.unwrap().is_empty());
    assert!(store.list_user_rooms(gone).await.unwrap().is_empty());
    assert_eq!(
        store
            .get_member(shared.id, stay)
            .await
            .unwrap()
            .unwrap()
            .role,
        Role::Owner
    );
    assert!(store.get_room(alone.id).await.unwrap().is_none());
    let erased = store.get_message(m.id).await.unwrap().unwrap();
    assert!(erased.body.is_empty());
    assert!(erased.author_id.is_none());
    assert!(erased.deleted_at.is_some());
    let ban = store
        .get_ban(banned_here.id, victim)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(ban.banned_by, None, "the ban stays in force");
    assert!(matches!(
        chat.join_room(victim, banned_here.id, None).await,
        Err(Error::Banned)
    ));
}

pub async fn maintenance_deletes_expired(store: Arc<dyn Store>) {
    let Some(m) = store.maintenance() else {
        return; // optional capability
    };
    let user = store
        .create_user(NewUser {
            user: plain_user("old"),
            password_hash: None,
        })
        .await
        .unwrap();
    let now = chrono::Utc::now();
    let mk = |n: u8, exp: chrono::DateTime<chrono::Utc>| Session {
        id: SessionId::new(),
        user_id: user.id,
        token_hash: [n; 32],
        created_at: now - ChronoDuration::days(2),
        last_used_at: now - ChronoDuration::days(2),
        expires_at: exp,
        user_agent: None,
    };
    store
        .create_session(mk(1, now - ChronoDuration::hours(1)))
        .await
        .unwrap();
    store
        .create_session(mk(2, now + ChronoDuration::hours(1)))
        .await
        .unwrap();
    let n = m.delete_expired(now).await.unwrap();
    assert_eq!(n, 1);
    assert!(store.find_session(&[1; 32]).await.unwrap().is_none());
    assert!(store.find_session(&[2; 32]).await.unwrap().is_some());
}
