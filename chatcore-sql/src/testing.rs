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

use std::collections::BTreeSet;
use std::time::Duration;

use chatcore::model::{
    Attachment, Ban, Membership, Message, MessageKind, NewMessage, NewUser, PageRequest, Role,
    Room, RoomKind, Session, User,
};
use chatcore::store::{Maintenance, MessageStore, RoomStore, SessionStore, UserStore};
use chatcore::{Conflict, Error, MessageId, RoomCode, RoomId, SessionId, UserId, Username};
use chrono::{DateTime, TimeZone, Utc};
use sea_orm::{ConnectionTrait, DatabaseTransaction, EntityTrait, QuerySelect};

use crate::SqlStore;
use crate::entity::rooms;
use crate::store::begin_write;

/// Emit one `#[tokio::test]` per case, each calling `$setup().await` for a fresh
/// store (`Option<SqlStore>`; `None` skips with a message).
#[macro_export]
macro_rules! sql_store_tests {
    ($setup:path) => {
        $crate::__sql_store_cases!($setup;
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
    ($setup:path; $($case:ident),* $(,)?) => {
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
}

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

// ---------------------------------------------------------------- cases

/// Unknown rooms, unknown authors and an id collision in the same batch as good
/// appends fail alone; the good ones get gapless sequence numbers.
pub async fn append_batch_isolates_failures(store: SqlStore) {
    let alice = create_user(&store, "alice").await;
    let r = create_room(&store, alice.id, "general").await;
    let first = store
        .append_message(text(r.id, alice.id, "first"))
        .await
        .unwrap();
    assert_eq!(first.seq, 1);

    let before = store.append_stats();
    let held = hold(&store, r.id).await;
    let mut good = Vec::new();
    for i in 0..6 {
        good.push(spawn_append(
            &store,
            text(r.id, alice.id, &format!("good {i}")),
        ));
    }
    let missing_room = spawn_append(&store, text(RoomId::new(), alice.id, "nowhere"));
    let missing_author = spawn_append(&store, text(r.id, UserId::new(), "ghost"));
    let mut dup = text(r.id, alice.id, "same id as the first");
    dup.id = first.id;
    let dup = spawn_append(&store, dup);
    for i in 6..10 {
        good.push(spawn_append(
            &store,
            text(r.id, alice.id, &format!("good {i}")),
        ));
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    held.commit().await.unwrap();

    let mut got = Vec::new();
    for h in good {
        got.push(h.await.unwrap().unwrap());
    }
    assert!(matches!(
        missing_room.await.unwrap(),
        Err(Error::NotFound("room"))
    ));
    assert!(matches!(
        missing_author.await.unwrap(),
        Err(Error::NotFound("user"))
    ));
    assert!(matches!(dup.await.unwrap(), Err(Error::Backend(_))));

    let assigned: BTreeSet<i64> = got.iter().map(|m| m.seq).collect();
    assert_eq!(assigned, (2..=11).collect::<BTreeSet<_>>());
    assert_eq!(store.last_seq(r.id).await.unwrap(), 11);
    let stored = all_messages(&store, r.id).await;
    assert_eq!(seqs(&stored), (1..=11).collect::<Vec<_>>());
    assert_eq!(stored[0], first, "the first message is untouched");
    for m in &got {
        assert_eq!(stored.iter().find(|s| s.id == m.id), Some(m));
    }
    let after = store.append_stats();
    let appends = after.appends - before.appends;
    let batches = after.batches - before.batches;
    assert_eq!(appends, 13);
    assert!(
        batches < appends,
        "appends were grouped ({batches} batches)"
    );
    assert!(
        after.retried_alone > before.retried_alone,
        "a failed batch was retried"
    );
}

/// Ten appends with one nonce in one batch store one message; appends without a
/// nonce in the same batch are not affected.
pub async fn append_nonce_repeats_within_one_batch(store: SqlStore) {
    let alice = create_user(&store, "alice").await;
    let bob = create_user(&store, "bob").await;
    let r = create_room(&store, alice.id, "general").await;
    store
        .add_member(
            Membership {
                role: Role::Member,
                ..owner(r.id, bob.id)
            },
            100,
        )
        .await
        .unwrap();

    let held = hold(&store, r.id).await;
    let mut same = Vec::new();
    for i in 0..10 {
        let mut m = text(r.id, alice.id, &format!("attempt {i}"));
        m.client_nonce = Some("n-1".into());
        same.push(spawn_append(&store, m));
    }
    // The same nonce from another author is another message.
    let mut other = text(r.id, bob.id, "bob's");
    other.client_nonce = Some("n-1".into());
    let other = spawn_append(&store, other);
    let plain: Vec<_> = (0..3)
        .map(|i| spawn_append(&store, text(r.id, alice.id, &format!("plain {i}"))))
        .collect();
    tokio::time::sleep(Duration::from_millis(200)).await;
    held.commit().await.unwrap();

    let mut ids = BTreeSet::new();
    for h in same {
        ids.insert(h.await.unwrap().unwrap().id);
    }
    assert_eq!(ids.len(), 1, "one message for one nonce");
    let other = other.await.unwrap().unwrap();
    assert!(!ids.contains(&other.id));
    for h in plain {
        h.await.unwrap().unwrap();
    }
    assert_eq!(store.last_seq(r.id).await.unwrap(), 5);
    assert_eq!(seqs(&all_messages(&store, r.id).await), vec![1, 2, 3, 4, 5]);

    // And again later, outside any batch: still the first message.
    let mut again = text(r.id, alice.id, "late retry");
    again.client_nonce = Some("n-1".into());
    let again = store.append_message(again).await.unwrap();
    assert!(ids.contains(&again.id));
    assert_eq!(store.last_seq(r.id).await.unwrap(), 5);
}

/// Unique violations come back as the right `Conflict`; missing parents as `NotFound`.
pub async fn conflicts_map_to_their_variants(store: SqlStore) {
    let mut a = user("Alice");
    a.email = Some("alice@example.com".into());
    a.external_id = Some("idp:alice".into());
    store
        .create_user(NewUser {
            user: a.clone(),
            password_hash: None,
        })
        .await
        .unwrap();

    let conflict = |r: chatcore::Result<User>| match r {
        Err(Error::Conflict(c)) => c,
        other => panic!("expected a conflict, got {other:?}"),
    };
    let dup_name = user("aLiCe");
    assert_eq!(
        conflict(
            store
                .create_user(NewUser {
                    user: dup_name,
                    password_hash: None
                })
                .await
        ),
        Conflict::Username
    );
    let mut dup_email = user("alice2");
    dup_email.email = a.email.clone();
    assert_eq!(
        conflict(
            store
                .create_user(NewUser {
                    user: dup_email,
                    password_hash: None
                })
                .await
        ),
        Conflict::Email
    );
    let mut dup_ext = user("alice3");
    dup_ext.external_id = a.external_id.clone();
    assert_eq!(
        conflict(
            store
                .create_user(NewUser {
                    user: dup_ext,
                    password_hash: None
                })
                .await
        ),
        Conflict::ExternalIdentity
    );

    // Updates: the same rules, and NotFound for a missing user.
    let b = create_user(&store, "bob").await;
    let mut b2 = b.clone();
    b2.username = Username::parse("ALICE").unwrap();
    assert!(matches!(
        store.update_user(&b2).await,
        Err(Error::Conflict(Conflict::Username))
    ));
    let mut b3 = b.clone();
    b3.email = a.email.clone();
    assert!(matches!(
        store.update_user(&b3).await,
        Err(Error::Conflict(Conflict::Email))
    ));
    assert!(matches!(
        store.update_user(&user("nobody")).await,
        Err(Error::NotFound("user"))
    ));
    // Renaming to another case of one's own name is fine.
    let mut b4 = b.clone();
    b4.username = Username::parse("BoB").unwrap();
    store.update_user(&b4).await.unwrap();
    assert_eq!(
        store
            .find_user_by_username("bob")
            .await
            .unwrap()
            .unwrap()
            .username
            .as_str(),
        "BoB"
    );

    // Rooms.
    let code = RoomCode::parse("ABCD1234").unwrap();
    let mut r1 = room(a.id, "one");
    r1.kind = RoomKind::Private;
    r1.code = Some(code.clone());
    let r1_id = r1.id;
    store
        .create_room(r1, vec![owner(r1_id, a.id)])
        .await
        .unwrap();
    let mut r2 = room(a.id, "two");
    r2.kind = RoomKind::Private;
    r2.code = Some(code.clone());
    let r2_id = r2.id;
    assert!(matches!(
        store
            .create_room(r2.clone(), vec![owner(r2_id, a.id)])
            .await,
        Err(Error::Conflict(Conflict::RoomCode))
    ));
    assert!(
        store.get_room(r2_id).await.unwrap().is_none(),
        "nothing half-created"
    );
    r2.code = Some(RoomCode::parse("ZZZZ9999").unwrap());
    store
        .create_room(r2.clone(), vec![owner(r2_id, a.id)])
        .await
        .unwrap();
    r2.code = Some(code);
    assert!(matches!(
        store.update_room(&r2).await,
        Err(Error::Conflict(Conflict::RoomCode))
    ));

    let key = format!("{}:{}", a.id.min(b.id), a.id.max(b.id));
    let mut d1 = room(a.id, "");
    d1.kind = RoomKind::Direct;
    d1.direct_key = Some(key.clone());
    let d1_id = d1.id;
    store
        .create_room(d1, vec![owner(d1_id, a.id)])
        .await
        .unwrap();
    let mut d2 = room(b.id, "");
    d2.kind = RoomKind::Direct;
    d2.direct_key = Some(key);
    let d2_id = d2.id;
    assert!(matches!(
        store.create_room(d2, vec![owner(d2_id, b.id)]).await,
        Err(Error::Conflict(Conflict::DirectRoomExists))
    ));

    // A room whose member does not exist is not created.
    let r3 = room(a.id, "three");
    let r3_id = r3.id;
    assert!(matches!(
        store
            .create_room(r3, vec![owner(r3_id, UserId::new())])
            .await,
        Err(Error::NotFound("user"))
    ));
    assert!(store.get_room(r3_id).await.unwrap().is_none());

    // Memberships.
    assert!(matches!(
        store.add_member(owner(r1_id, a.id), 10).await,
        Err(Error::Conflict(Conflict::AlreadyMember))
    ));
    assert!(matches!(
        store.add_member(owner(RoomId::new(), a.id), 10).await,
        Err(Error::NotFound("room"))
    ));
    assert!(matches!(
        store.add_member(owner(r1_id, UserId::new()), 10).await,
        Err(Error::NotFound("user"))
    ));
    assert!(matches!(
        store.add_member(owner(r1_id, b.id), 1).await,
        Err(Error::Conflict(Conflict::RoomFull))
    ));

    // Sessions need a user.
    let now = Utc::now();
    let s = Session {
        id: SessionId::new(),
        user_id: UserId::new(),
        token_hash: [7; 32],
        created_at: now,
        last_used_at: now,
        expires_at: now,
        user_agent: None,
    };
    assert!(matches!(
        store.create_session(s).await,
        Err(Error::NotFound("user"))
    ));
}

/// Timestamps come back to the nanosecond; ones that cannot be stored are refused.
pub async fn timestamps_round_trip_exactly(store: SqlStore) {
    let t = Utc.timestamp_opt(1_700_000_000, 123_456_789).unwrap();
    let mut u = user("timely");
    u.created_at = t;
    u.last_seen_at = Some(t + chrono::Duration::nanoseconds(1));
    store
        .create_user(NewUser {
            user: u.clone(),
            password_hash: None,
        })
        .await
        .unwrap();
    assert_eq!(store.get_user(u.id).await.unwrap(), Some(u.clone()));

    let r = create_room(&store, u.id, "times").await;
    let mut m = text(r.id, u.id, "at a precise time");
    m.created_at = t;
    m.attachment = Some(Attachment {
        blob_id: "b1".into(),
        name: "a.png".into(),
        content_type: "image/png".into(),
        size: u64::MAX,
    });
    m.kind = MessageKind::Image;
    let sent = store.append_message(m).await.unwrap();
    assert_eq!(store.get_message(sent.id).await.unwrap(), Some(sent));

    let far = DateTime::<Utc>::from_timestamp(40_000_000_000, 0).unwrap(); // year 3237
    let ban = Ban {
        room_id: r.id,
        user_id: u.id,
        banned_by: None,
        reason: String::new(),
        created_at: Utc::now(),
        expires_at: Some(far),
    };
    assert!(matches!(
        store.ban(ban).await,
        Err(Error::Invalid {
            field: "timestamp",
            ..
        })
    ));
    let mut late = text(r.id, u.id, "from the future");
    late.created_at = far;
    assert!(matches!(
        store.append_message(late).await,
        Err(Error::Invalid { .. })
    ));
    assert_eq!(
        store.last_seq(r.id).await.unwrap(),
        1,
        "a refused append assigns nothing"
    );
}

/// `list_messages` with every combination of cursors.
pub async fn paging_edges(store: SqlStore) {
    let u = create_user(&store, "pager").await;
    let r = create_room(&store, u.id, "pages").await;
    for i in 1..=10 {
        store
            .append_message(text(r.id, u.id, &format!("m{i}")))
            .await
            .unwrap();
    }
    let page = |before, after, limit| PageRequest {
        before,
        after,
        limit,
    };
    let cases: [(PageRequest, Vec<i64>); 9] = [
        (page(None, None, 3), vec![8, 9, 10]),
        (page(None, None, 100), (1..=10).collect()),
        (page(Some(8), None, 3), vec![5, 6, 7]),
        (page(Some(2), None, 5), vec![1]),
        (page(None, Some(3), 4), vec![4, 5, 6, 7]),
        (page(None, Some(8), 5), vec![9, 10]),
        (page(Some(6), Some(2), 10), vec![3, 4, 5]),
        (page(Some(6), Some(2), 2), vec![3, 4]),
        (page(None, None, 0), vec![]),
    ];
    for (req, want) in cases {
        let got = store.list_messages(r.id, req).await.unwrap();
        assert_eq!(seqs(&got), want, "{req:?}");
    }
    assert!(
        store
            .list_messages(RoomId::new(), page(None, None, 10))
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(store.last_seq(RoomId::new()).await.unwrap(), 0);
}

/// Deleting a user erases their messages, keeps bans they issued (without
/// issuer), removes what was theirs, and frees their unique names.
pub async fn delete_user_erases_and_frees(store: SqlStore) {
    let mut gone = user("gone");
    gone.email = Some("gone@example.com".into());
    store
        .create_user(NewUser {
            user: gone.clone(),
            password_hash: Some("h".into()),
        })
        .await
        .unwrap();
    let stays = create_user(&store, "stays").await;
    let r = create_room(&store, stays.id, "room").await;
    store
        .add_member(
            Membership {
                role: Role::Moderator,
                ..owner(r.id, gone.id)
            },
            10,
        )
        .await
        .unwrap();
    let troll = create_user(&store, "troll").await;
    store
        .ban(Ban {
            room_id: r.id,
            user_id: troll.id,
            banned_by: Some(gone.id),
            reason: "spam".into(),
            created_at: Utc::now(),
            expires_at: None,
        })
        .await
        .unwrap();
    let mut with_file = text(r.id, gone.id, "see attached");
    with_file.kind = MessageKind::File;
    with_file.client_nonce = Some("nonce".into());
    with_file.attachment = Some(Attachment {
        blob_id: "blob".into(),
        name: "f.txt".into(),
        content_type: "text/plain".into(),
        size: 3,
    });
    let m1 = store.append_message(with_file).await.unwrap();
    let m2 = store
        .append_message(text(r.id, gone.id, "bye"))
        .await
        .unwrap();
    let earlier = Utc.timestamp_opt(1_600_000_000, 1).unwrap();
    store.delete_message(m2.id, earlier).await.unwrap();
    let kept = store
        .append_message(text(r.id, stays.id, "hello"))
        .await
        .unwrap();
    let now = Utc::now();
    store
        .create_session(Session {
            id: SessionId::new(),
            user_id: gone.id,
            token_hash: [1; 32],
            created_at: now,
            last_used_at: now,
            expires_at: now + chrono::Duration::days(1),
            user_agent: None,
        })
        .await
        .unwrap();

    let at = Utc.timestamp_opt(1_700_000_000, 5).unwrap();
    store.delete_user(gone.id, at).await.unwrap();
    assert!(matches!(
        store.delete_user(gone.id, at).await,
        Err(Error::NotFound("user"))
    ));

    assert_eq!(store.get_user(gone.id).await.unwrap(), None);
    assert_eq!(store.get_password_hash(gone.id).await.unwrap(), None);
    assert!(store.list_sessions(gone.id).await.unwrap().is_empty());
    assert!(store.find_session(&[1; 32]).await.unwrap().is_none());
    assert_eq!(store.get_member(r.id, gone.id).await.unwrap(), None);
    let e1 = store.get_message(m1.id).await.unwrap().unwrap();
    assert_eq!(
        (
            e1.author_id,
            e1.body.as_str(),
            &e1.attachment,
            e1.deleted_at
        ),
        (None, "", &None, Some(at))
    );
    assert_eq!((e1.seq, e1.kind), (m1.seq, m1.kind));
    let e2 = store.get_message(m2.id).await.unwrap().unwrap();
    assert_eq!((e2.author_id, e2.deleted_at), (None, Some(earlier)));
    assert_eq!(store.get_message(kept.id).await.unwrap(), Some(kept));
    let ban = store.get_ban(r.id, troll.id).await.unwrap().unwrap();
    assert_eq!((ban.banned_by, ban.reason.as_str()), (None, "spam"));

    // Name and email are free again.
    let mut again = user("GONE");
    again.email = gone.email.clone();
    store
        .create_user(NewUser {
            user: again,
            password_hash: None,
        })
        .await
        .unwrap();
}

/// Many tasks doing every kind of write at once: no "database is locked", no
/// lost update.
pub async fn mixed_concurrent_writers(store: SqlStore) {
    let founder = create_user(&store, "founder").await;
    let r = create_room(&store, founder.id, "busy").await;
    let tasks = 8;
    let rounds = 15;
    let mut handles = Vec::new();
    for t in 0..tasks {
        let store = store.clone();
        handles.push(tokio::spawn(async move {
            let me = create_user(&store, &format!("worker{t}")).await;
            store
                .add_member(
                    Membership {
                        role: Role::Member,
                        ..owner(r.id, me.id)
                    },
                    1000,
                )
                .await
                .unwrap();
            let own = create_room(&store, me.id, &format!("own {t}")).await;
            let now = Utc::now();
            let session = SessionId::new();
            let mut hash = [0u8; 32];
            hash[0] = t;
            store
                .create_session(Session {
                    id: session,
                    user_id: me.id,
                    token_hash: hash,
                    created_at: now,
                    last_used_at: now,
                    expires_at: now,
                    user_agent: Some("test".into()),
                })
                .await
                .unwrap();
            for i in 0..rounds {
                store
                    .append_message(text(r.id, me.id, &format!("{t}/{i}")))
                    .await
                    .unwrap();
                store
                    .append_message(text(own.id, me.id, &format!("{t}/{i}")))
                    .await
                    .unwrap();
                store.set_last_seen(me.id, Utc::now()).await.unwrap();
                store
                    .touch_session(session, Utc::now(), Utc::now())
                    .await
                    .unwrap();
                store.set_role(r.id, me.id, Role::Moderator).await.unwrap();
                store.get_room(r.id).await.unwrap().unwrap();
                store.list_members(r.id).await.unwrap();
            }
            assert_eq!(store.last_seq(own.id).await.unwrap(), i64::from(rounds));
            seqs(&all_messages(&store, own.id).await)
        }));
    }
    for h in handles {
        assert_eq!(
            h.await.unwrap(),
            (1..=i64::from(rounds)).collect::<Vec<_>>()
        );
    }
    let total = i64::from(tasks) * i64::from(rounds);
    assert_eq!(store.last_seq(r.id).await.unwrap(), total);
    assert_eq!(
        seqs(&all_messages(&store, r.id).await),
        (1..=total).collect::<Vec<_>>()
    );
    assert_eq!(
        store.count_members(r.id).await.unwrap(),
        u64::from(tasks) + 1
    );
    assert_eq!(
        store.delete_expired(Utc::now()).await.unwrap(),
        u64::from(tasks)
    );
}

/// Migrating twice is a no-op; a database migrated by a newer version (a
/// migration this one does not know) is refused.
pub async fn migrations_idempotent_and_guarded(store: SqlStore) {
    let db = store.write_connection();
    crate::migrate(db).await.unwrap();
    let backend = db.get_database_backend();
    let insert = sea_orm::Statement::from_string(
        backend,
        "INSERT INTO seaql_migrations (version, applied_at) VALUES ('m29990101_000001_future', 0)",
    );
    db.execute_raw(insert).await.unwrap();
    assert!(
        crate::migrate(db).await.is_err(),
        "unknown migration refused"
    );
    db.execute_raw(sea_orm::Statement::from_string(
        backend,
        "DELETE FROM seaql_migrations WHERE version = 'm29990101_000001_future'",
    ))
    .await
    .unwrap();
    crate::migrate(db).await.unwrap();
    // The store still works.
    create_user(&store, "after").await;
}
