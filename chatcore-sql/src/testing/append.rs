//! Cases of the group-commit append path and of concurrent writers.

use std::collections::BTreeSet;
use std::time::Duration;

use chatcore::model::{Membership, Role, Session};
use chatcore::store::{Maintenance, MessageStore, RoomStore, SessionStore, UserStore};
use chatcore::{Error, RoomId, SessionId, UserId};
use chrono::Utc;

use super::{all_messages, create_room, create_user, hold, owner, seqs, spawn_append, text};
use crate::SqlStore;

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
                let (from, to) = if i % 2 == 0 {
                    (Role::Member, Role::Moderator)
                } else {
                    (Role::Moderator, Role::Member)
                };
                store.set_role(r.id, me.id, from, to).await.unwrap();
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
