//! Conformance cases of read state: read positions, unread and mention counts.

use std::sync::Arc;

use super::{chat, register, room, say};
use crate::Chat;
use crate::ids::{RoomId, UserId};
use crate::model::RoomKind;
use crate::protocol::ReadState;
use crate::store::Store;

/// A public room of `owner` that `other` joined after `owner` said one thing.
async fn two_in_a_room(chat: &Chat) -> (UserId, UserId, RoomId) {
    let a = register(chat, "reada").await.user.id;
    let b = register(chat, "readb").await.user.id;
    let r = room(chat, a, RoomKind::Public, "reading").await.id;
    say(chat, a, r, "before b joined").await;
    chat.join_room(b, r, None).await.unwrap();
    (a, b, r)
}

async fn state(chat: &Chat, user: UserId, room: RoomId) -> ReadState {
    chat.read_state(user, room).await.unwrap()
}

pub async fn reads_position_is_monotonic_and_capped(store: Arc<dyn Store>) {
    let chat = chat(store.clone());
    let (a, b, r) = two_in_a_room(&chat).await;
    // A new member has read what came before they joined.
    let joined = state(&chat, b, r).await;
    assert_eq!(joined.unread, 0);
    let start = joined.last_read_seq;
    assert!(start >= 2, "at least the creation and the first message");
    for i in 0..5 {
        say(&chat, a, r, &format!("m{i}")).await;
    }
    assert_eq!(state(&chat, b, r).await.unread, 5);
    // Seqs after `start`: b's join (system), then the five messages.
    let last = store.last_seq(r).await.unwrap();
    assert_eq!(last, start + 6);
    let s = chat.mark_read(b, r, start + 3).await.unwrap();
    assert_eq!((s.last_read_seq, s.unread), (start + 3, 3));
    // Backwards is ignored.
    let s = chat.mark_read(b, r, start + 1).await.unwrap();
    assert_eq!((s.last_read_seq, s.unread), (start + 3, 3));
    // Past the end is capped at the last message.
    let s = chat.mark_read(b, r, last + 1000).await.unwrap();
    assert_eq!((s.last_read_seq, s.unread), (last, 0));
    // Durable after a flush, and the store itself never moves back.
    chat.flush_read_positions().await.unwrap();
    assert_eq!(store.read_position(r, b).await.unwrap(), Some(last));
    store
        .advance_read_positions(&[(r, b, start)])
        .await
        .unwrap();
    assert_eq!(store.read_position(r, b).await.unwrap(), Some(last));
    // Non-members have no read state.
    let c = register(&chat, "readc").await.user.id;
    assert!(chat.mark_read(c, r, 1).await.is_err());
    assert!(chat.read_state(c, r).await.is_err());
    assert_eq!(store.read_position(r, c).await.unwrap(), None);
    assert!(chat.mark_read(b, r, -1).await.is_err());
}

pub async fn reads_counts_exclude_own_and_system_messages(store: Arc<dyn Store>) {
    let chat = chat(store.clone());
    let (a, b, r) = two_in_a_room(&chat).await;
    let start = state(&chat, b, r).await.last_read_seq;
    say(&chat, a, r, "one").await;
    say(&chat, b, r, "my own").await;
    let c = register(&chat, "readc").await.user.id;
    chat.join_room(c, r, None).await.unwrap(); // a system message
    say(&chat, a, r, "two").await;
    let last = store.last_seq(r).await.unwrap();
    assert_eq!(last, start + 5, "b's join, one, my own, c's join, two");
    let s = state(&chat, b, r).await;
    assert_eq!((s.last_read_seq, s.unread, s.mentions), (start, 2, 0));
    // a created the room (position 0): of everything, only b's message counts.
    let sa = state(&chat, a, r).await;
    assert_eq!(sa.unread, 1, "only b's message counts for a");
    // From c's join on, c sees only "two".
    assert_eq!(state(&chat, c, r).await.unread, 1);
}

pub async fn reads_mentions_counted_and_cleared(store: Arc<dyn Store>) {
    let chat = chat(store.clone());
    let (a, b, r) = two_in_a_room(&chat).await;
    let outsider = register(&chat, "outsider").await.user.id;
    let m = say(
        &chat,
        a,
        r,
        "hey @READB and @outsider and @reada and @nobody",
    )
    .await;
    assert_eq!(m.mentions, vec![b], "members only, never the author");
    // Stored with the message.
    let stored = store.get_message(m.id).await.unwrap().unwrap();
    assert_eq!(stored.mentions, vec![b]);
    let _ = outsider;
    say(&chat, a, r, "no mention").await;
    let s = state(&chat, b, r).await;
    assert_eq!((s.unread, s.mentions), (2, 1));
    // @room is for moderators and up: a (owner) may, b (member) may not.
    let all = say(&chat, a, r, "@room look").await;
    assert_eq!(all.mentions, vec![b]);
    assert_eq!(state(&chat, b, r).await.mentions, 2);
    let from_b = say(&chat, b, r, "@room me too").await;
    assert!(from_b.mentions.is_empty());
    // An edit updates the mentions.
    let edited = chat.edit_message(a, all.id, "look").await.unwrap();
    assert!(edited.mentions.is_empty());
    assert!(
        store
            .get_message(all.id)
            .await
            .unwrap()
            .unwrap()
            .mentions
            .is_empty()
    );
    assert_eq!(state(&chat, b, r).await.mentions, 1);
    // Reading clears them.
    let s = chat.mark_read(b, r, m.seq).await.unwrap();
    assert_eq!((s.unread, s.mentions), (2, 0));
}

pub async fn reads_mark_unread_moves_back(store: Arc<dyn Store>) {
    let chat = chat(store.clone());
    let (a, b, r) = two_in_a_room(&chat).await;
    let first = say(&chat, a, r, "one @readb").await;
    say(&chat, a, r, "two").await;
    let last = store.last_seq(r).await.unwrap();
    chat.mark_read(b, r, last).await.unwrap();
    let s = chat.mark_unread(b, r, first.seq).await.unwrap();
    assert_eq!(
        (s.last_read_seq, s.unread, s.mentions),
        (first.seq - 1, 2, 1)
    );
    // Written at once, and a pending mark_read does not undo it.
    assert_eq!(
        store.read_position(r, b).await.unwrap(),
        Some(first.seq - 1)
    );
    chat.flush_read_positions().await.unwrap();
    assert_eq!(
        store.read_position(r, b).await.unwrap(),
        Some(first.seq - 1)
    );
    assert!(chat.mark_unread(b, r, 0).await.is_err());
}

pub async fn reads_deleted_messages_do_not_count(store: Arc<dyn Store>) {
    let chat = chat(store.clone());
    let (a, b, r) = two_in_a_room(&chat).await;
    let m1 = say(&chat, a, r, "hi @readb").await;
    say(&chat, a, r, "two").await;
    let mine = say(&chat, b, r, "mine").await;
    assert_eq!(
        (
            state(&chat, b, r).await.unread,
            state(&chat, b, r).await.mentions
        ),
        (2, 1)
    );
    chat.delete_message(a, m1.id).await.unwrap();
    chat.delete_message(b, mine.id).await.unwrap();
    let s = state(&chat, b, r).await;
    assert_eq!((s.unread, s.mentions), (1, 0));
    // The author's account deletion erases their messages: nothing of theirs counts.
    let c = register(&chat, "readc").await.user.id;
    chat.join_room(c, r, None).await.unwrap();
    say(&chat, c, r, "from c @readb").await;
    assert_eq!(state(&chat, b, r).await.unread, 1 + 1);
    assert_eq!(state(&chat, b, r).await.mentions, 1);
    chat.delete_account(c, Some("correct horse battery"))
        .await
        .unwrap();
    let s = state(&chat, b, r).await;
    assert_eq!((s.unread, s.mentions), (1, 0));
}

pub async fn reads_parallel_devices_end_at_the_maximum(store: Arc<dyn Store>) {
    // Two services (two nodes) over one store, one device of b on each.
    let one = chat(store.clone());
    let two = chat(store.clone());
    let a = register(&one, "para").await.user.id;
    let b = register(&one, "parb").await.user.id;
    for _trial in 0..10 {
        let r = room(&one, a, RoomKind::Public, "parallel").await.id;
        one.join_room(b, r, None).await.unwrap();
        for i in 0..20 {
            say(&one, a, r, &format!("m{i}")).await;
        }
        let last = store.last_seq(r).await.unwrap();
        let mut tasks = Vec::new();
        for k in 0..20i64 {
            let c = if k % 2 == 0 { one.clone() } else { two.clone() };
            // Interleaved high and low positions.
            let seq = if k % 2 == 0 { last - k / 2 } else { 1 + k };
            tasks.push(tokio::spawn(async move {
                c.mark_read(b, r, seq).await.unwrap();
                c.flush_read_positions().await.unwrap();
            }));
        }
        for t in tasks {
            t.await.unwrap();
        }
        assert_eq!(store.read_position(r, b).await.unwrap(), Some(last));
        assert_eq!(two.read_state(b, r).await.unwrap().unread, 0);
    }
}

pub async fn reads_receipts_show_public_positions_only(store: Arc<dyn Store>) {
    let chat = chat(store.clone());
    let (a, b, r) = two_in_a_room(&chat).await;
    let m = say(&chat, a, r, "seen?").await;
    chat.mark_read(b, r, m.seq).await.unwrap();
    chat.flush_read_positions().await.unwrap();
    let seen = chat.receipts(a, r).await.unwrap();
    assert_eq!(seen.len(), 1, "the other member only: {seen:?}");
    assert_eq!((seen[0].user, seen[0].seq), (b, m.seq));
    // Private receipts: b's position is no longer shown; b's own state still works.
    let settings = crate::protocol::ReadSettings {
        private_receipts: true,
    };
    chat.set_read_settings(b, settings).await.unwrap();
    assert_eq!(chat.read_settings(b).await.unwrap(), settings);
    assert!(chat.receipts(a, r).await.unwrap().is_empty());
    assert_eq!(state(&chat, b, r).await.last_read_seq, m.seq);
    chat.set_read_settings(b, crate::protocol::ReadSettings::default())
        .await
        .unwrap();
    assert_eq!(chat.receipts(a, r).await.unwrap().len(), 1);
    // Rooms over the size limit show none.
    let small = Chat::builder(store.clone())
        .limits(crate::Limits {
            receipts_max_members: 1,
            ..crate::Limits::without_rate_limits()
        })
        .build();
    assert!(small.receipts(a, r).await.unwrap().is_empty());
    // Non-members see nothing.
    let c = register(&chat, "readc").await.user.id;
    assert!(chat.receipts(c, r).await.is_err());
}

pub async fn reads_edit_with_mentions_is_one_change(store: Arc<dyn Store>) {
    let chat = chat(store.clone());
    let (a, b, r) = two_in_a_room(&chat).await;
    let m = say(&chat, a, r, "plain").await;
    let now = chrono::Utc::now();
    store
        .edit_with_mentions(m.id, "hi @readb", now, &[b])
        .await
        .unwrap();
    let got = store.get_message(m.id).await.unwrap().unwrap();
    assert_eq!(
        (got.body.as_str(), got.mentions.clone()),
        ("hi @readb", vec![b])
    );
    assert!(got.edited_at.is_some());
    assert_eq!(state(&chat, b, r).await.mentions, 1);
    // A deleted message: refused, and neither body nor mentions change.
    chat.delete_message(a, m.id).await.unwrap();
    let gone = store
        .edit_with_mentions(m.id, "back @readb", now, &[b])
        .await;
    assert!(super::is_not_found(&gone), "{gone:?}");
    let got = store.get_message(m.id).await.unwrap().unwrap();
    assert!(got.body.is_empty());
    assert_eq!(state(&chat, b, r).await.mentions, 0);
}
