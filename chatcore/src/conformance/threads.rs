//! Conformance cases of threads ([`ThreadStore`](crate::store::ThreadStore) and the
//! thread parts of appends and deletes): the root's rules, the separate pages, the
//! summary, and its exact count under parallel replies and deletes.

use std::sync::Arc;

use super::{chat, register, room, say, stored_user};
use crate::error::Error;
use crate::ids::{MessageId, RoomId, UserId};
use crate::model::{
    MessageKind, NewMessage, PageRequest, RoomKind, THREAD_PARTICIPANTS_MAX, ThreadSummary,
};
use crate::store::Store;
use crate::{Chat, SendMessage};

fn all() -> PageRequest {
    PageRequest {
        limit: 100,
        ..Default::default()
    }
}

async fn reply(
    chat: &Chat,
    user: UserId,
    room: RoomId,
    root: MessageId,
    body: &str,
    also_in_room: bool,
) -> crate::Result<crate::Message> {
    chat.send_message(
        user,
        room,
        SendMessage {
            body: body.into(),
            thread_root: Some(root),
            also_in_room,
            ..Default::default()
        },
    )
    .await
}

fn is_invalid<T: std::fmt::Debug>(r: &crate::Result<T>, field: &str) -> bool {
    matches!(r, Err(Error::Invalid { field: f, .. }) if *f == field)
}

async fn summary(store: &Arc<dyn Store>, root: MessageId) -> ThreadSummary {
    store
        .get_message(root)
        .await
        .unwrap()
        .unwrap()
        .thread
        .unwrap_or_default()
}

pub async fn threads_replies_paged_apart_and_summarized(store: Arc<dyn Store>) {
    let chat = chat(store.clone());
    let a = register(&chat, "ann").await.user.id;
    let b = register(&chat, "bob").await.user.id;
    let r = room(&chat, a, RoomKind::Public, "lobby").await;
    chat.join_room(b, r.id, None).await.unwrap();
    let root = say(&chat, a, r.id, "root").await;
    assert_eq!(root.thread, None, "no summary before the first reply");
    let r1 = reply(&chat, b, r.id, root.id, "one", false).await.unwrap();
    let r2 = reply(&chat, a, r.id, root.id, "two", true).await.unwrap();
    let r3 = reply(&chat, b, r.id, root.id, "three", false)
        .await
        .unwrap();
    let after = say(&chat, a, r.id, "after").await;
    assert_eq!(r1.thread_root, Some(root.id));
    assert!(!r1.also_in_room && r2.also_in_room);
    // One gapless sequence over the room, replies included.
    assert_eq!(
        [r1.seq, r2.seq, r3.seq, after.seq],
        [root.seq + 1, root.seq + 2, root.seq + 3, root.seq + 4]
    );

    let s = summary(&store, root.id).await;
    assert_eq!(s.reply_count, 3);
    assert_eq!(s.last_reply_at, Some(r3.created_at));
    assert_eq!(
        s.participants,
        [b, a],
        "in order of their first reply, once each"
    );

    // The room's timeline: the thread-only replies are left out, the root shows
    // its summary.
    let room_page = chat.history(b, r.id, all()).await.unwrap();
    let ids: Vec<MessageId> = room_page
        .messages
        .iter()
        .filter(|m| m.kind == MessageKind::Text)
        .map(|m| m.id)
        .collect();
    assert_eq!(ids, [root.id, r2.id, after.id]);
    assert_eq!(room_page.thread, None);
    assert_eq!(
        room_page.messages[ids_pos(&room_page, root.id)].thread,
        Some(s.clone())
    );

    // The thread's page: its replies only, with the same cursors.
    let t = chat.thread_history(b, r.id, root.id, all()).await.unwrap();
    let bodies: Vec<&str> = t.messages.iter().map(|m| m.body.as_str()).collect();
    assert_eq!(bodies, ["one", "two", "three"]);
    assert_eq!(t.thread, Some(root.id));
    let last = chat
        .thread_history(
            b,
            r.id,
            root.id,
            PageRequest {
                limit: 1,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(last.messages.len(), 1);
    assert_eq!(last.messages[0].id, r3.id);
    assert!(last.has_more);
    let next = chat
        .thread_history(
            b,
            r.id,
            root.id,
            PageRequest {
                after: Some(r1.seq),
                limit: 1,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(next.messages[0].id, r2.id);
    assert!(next.has_more);

    // A resuming client replays every message, thread replies included.
    let missed = chat.missed(b, r.id, root.seq).await.unwrap();
    let ids: Vec<MessageId> = missed.messages.iter().map(|m| m.id).collect();
    assert_eq!(ids, [r1.id, r2.id, r3.id, after.id]);

    // Deleting a reply recounts the summary from the replies left.
    chat.delete_message(a, r2.id).await.unwrap();
    let s = summary(&store, root.id).await;
    assert_eq!(s.reply_count, 2);
    assert_eq!(s.participants, [b], "ann's only reply is gone");
    chat.delete_message(b, r3.id).await.unwrap();
    let s = summary(&store, root.id).await;
    assert_eq!(s.reply_count, 1);
    assert_eq!(s.last_reply_at, Some(r1.created_at));
    chat.delete_message(b, r3.id).await.unwrap(); // again: nothing changes
    assert_eq!(summary(&store, root.id).await.reply_count, 1);
    chat.delete_message(b, r1.id).await.unwrap();
    let s = summary(&store, root.id).await;
    assert_eq!((s.reply_count, s.last_reply_at), (0, None));
    assert!(s.participants.is_empty());
}

fn ids_pos(page: &crate::protocol::HistoryPage, id: MessageId) -> usize {
    page.messages.iter().position(|m| m.id == id).unwrap()
}

pub async fn threads_root_rules_refuse_without_taking_a_seq(store: Arc<dyn Store>) {
    let chat = chat(store.clone());
    let a = register(&chat, "ann").await.user.id;
    let r = room(&chat, a, RoomKind::Public, "lobby").await;
    let other = room(&chat, a, RoomKind::Public, "other").await;
    let root = say(&chat, a, r.id, "root").await;
    let a_reply = reply(&chat, a, r.id, root.id, "in thread", false)
        .await
        .unwrap();
    let elsewhere = say(&chat, a, other.id, "elsewhere").await;
    let gone = say(&chat, a, r.id, "gone").await;
    chat.delete_message(a, gone.id).await.unwrap();
    let system = chat
        .history(a, r.id, all())
        .await
        .unwrap()
        .messages
        .into_iter()
        .find(|m| m.kind == MessageKind::System)
        .unwrap();
    let before = store.last_seq(r.id).await.unwrap();
    for bad in [
        a_reply.id,
        elsewhere.id,
        gone.id,
        system.id,
        MessageId::new(),
    ] {
        let res = reply(&chat, a, r.id, bad, "no", false).await;
        assert!(is_invalid(&res, "thread_root"), "{bad:?}: {res:?}");
    }
    // The store refuses on its own too (a root deleted after the service's check).
    for bad in [
        a_reply.id,
        elsewhere.id,
        gone.id,
        system.id,
        MessageId::new(),
    ] {
        let res = store
            .append_message(NewMessage {
                id: MessageId::new(),
                room_id: r.id,
                author_id: Some(a),
                kind: MessageKind::Text,
                body: "no".into(),
                system: None,
                attachment: None,
                reply_to: None,
                client_nonce: None,
                created_at: chrono::Utc::now(),
                mentions: Vec::new(),
                thread_root: Some(bad),
                also_in_room: false,
                extra: None,
            })
            .await;
        assert!(is_invalid(&res, "thread_root"), "store, {bad:?}: {res:?}");
    }
    assert_eq!(store.last_seq(r.id).await.unwrap(), before, "no seq taken");
    // A thread page needs a root of the room.
    for bad in [a_reply.id, elsewhere.id, MessageId::new()] {
        let res = chat.thread_history(a, r.id, bad, all()).await;
        assert!(is_invalid(&res, "thread"), "{res:?}");
    }
}

pub async fn threads_participants_are_bounded(store: Arc<dyn Store>) {
    let chat = chat(store.clone());
    let a = register(&chat, "ann").await.user.id;
    let r = room(&chat, a, RoomKind::Public, "lobby").await;
    let root = say(&chat, a, r.id, "root").await;
    let mut authors = Vec::new();
    for i in 0..THREAD_PARTICIPANTS_MAX + 2 {
        let u = stored_user(&store, &format!("user{i}")).await;
        authors.push(u);
        store
            .append_message(NewMessage {
                id: MessageId::new(),
                room_id: r.id,
                author_id: Some(u),
                kind: MessageKind::Text,
                body: format!("reply {i}"),
                system: None,
                attachment: None,
                reply_to: None,
                client_nonce: None,
                created_at: chrono::Utc::now(),
                mentions: Vec::new(),
                thread_root: Some(root.id),
                also_in_room: false,
                extra: None,
            })
            .await
            .unwrap();
    }
    let s = summary(&store, root.id).await;
    assert_eq!(s.reply_count as usize, THREAD_PARTICIPANTS_MAX + 2);
    assert_eq!(s.participants, authors[..THREAD_PARTICIPANTS_MAX]);
}

pub async fn threads_parallel_replies_and_deletes_keep_the_exact_count(store: Arc<dyn Store>) {
    let chat = chat(store.clone());
    let owner = register(&chat, "own").await.user.id;
    let r = room(&chat, owner, RoomKind::Public, "busy").await;
    let mut users = Vec::new();
    for i in 0..4 {
        let u = register(&chat, &format!("user{i}")).await.user.id;
        chat.join_room(u, r.id, None).await.unwrap();
        users.push(u);
    }
    let root = say(&chat, owner, r.id, "root").await;
    let mut first = Vec::new();
    for i in 0..12 {
        first.push(
            reply(&chat, users[i % 4], r.id, root.id, "early", false)
                .await
                .unwrap(),
        );
    }
    // 24 new replies in parallel with the deletes of 8 early ones.
    let mut tasks = Vec::new();
    for i in 0..24 {
        let (chat, u) = (chat.clone(), users[i % 4]);
        tasks.push(tokio::spawn(async move {
            reply(&chat, u, r.id, root.id, "late", i % 3 == 0)
                .await
                .map(|_| ())
        }));
    }
    for m in first.iter().take(8) {
        let (chat, id) = (chat.clone(), m.id);
        tasks.push(tokio::spawn(
            async move { chat.delete_message(owner, id).await },
        ));
    }
    for t in tasks {
        t.await.unwrap().unwrap();
    }
    let s = summary(&store, root.id).await;
    assert_eq!(s.reply_count, 12 - 8 + 24);
    let thread = chat
        .thread_history(owner, r.id, root.id, all())
        .await
        .unwrap();
    let alive = thread
        .messages
        .iter()
        .filter(|m| m.deleted_at.is_none())
        .count();
    assert_eq!(alive as u64, s.reply_count, "the summary counts the page");
    assert_eq!(
        s.last_reply_at,
        thread
            .messages
            .iter()
            .filter(|m| m.deleted_at.is_none())
            .map(|m| m.created_at)
            .max()
    );
    assert_eq!(s.participants.len(), 4);
}

/// Account deletion erases the user's replies into tombstones; like deleted replies
/// they count no more: each root they replied to is recounted (count, last reply,
/// participants) in the deletion's transaction.
pub async fn threads_account_deletion_recounts_summaries(store: Arc<dyn Store>) {
    let chat = chat(store.clone());
    let a = register(&chat, "ann").await.user.id;
    let b = register(&chat, "bob").await.user.id;
    let c = register(&chat, "cat").await.user.id;
    let r = room(&chat, a, RoomKind::Public, "lobby").await;
    chat.join_room(b, r.id, None).await.unwrap();
    chat.join_room(c, r.id, None).await.unwrap();
    let root = say(&chat, a, r.id, "root").await;
    let other = say(&chat, a, r.id, "other root").await;
    let c1 = reply(&chat, c, r.id, root.id, "c first", false)
        .await
        .unwrap();
    reply(&chat, b, r.id, root.id, "b one", false)
        .await
        .unwrap();
    reply(&chat, b, r.id, root.id, "b two", true).await.unwrap();
    reply(&chat, b, r.id, other.id, "b only", false)
        .await
        .unwrap();
    let s = summary(&store, root.id).await;
    assert_eq!((s.reply_count, s.participants.clone()), (3, vec![c, b]));

    chat.delete_account(b, Some("correct horse battery"))
        .await
        .unwrap();
    let s = summary(&store, root.id).await;
    assert_eq!(s.reply_count, 1, "erased replies are not counted");
    assert_eq!(s.participants, vec![c], "the erased user is no participant");
    assert_eq!(s.last_reply_at, Some(c1.created_at));
    let s = summary(&store, other.id).await;
    assert_eq!(s, ThreadSummary::default(), "no live reply is left");
    // The page agrees with the summary, and history shows the same summary.
    let thread = chat.thread_history(a, r.id, root.id, all()).await.unwrap();
    let alive: Vec<_> = thread
        .messages
        .iter()
        .filter(|m| m.deleted_at.is_none())
        .collect();
    assert_eq!(alive.len(), 1);
    assert!(
        thread
            .messages
            .iter()
            .filter(|m| m.deleted_at.is_some())
            .all(|m| m.author_id.is_none() && m.body.is_empty())
    );
    let page = chat.history(a, r.id, all()).await.unwrap();
    let shown = page.messages.iter().find(|m| m.id == root.id).unwrap();
    assert_eq!(shown.thread.as_ref().map(|t| t.reply_count), Some(1));
    // Replying again after the deletion counts from the recounted summary.
    reply(&chat, c, r.id, root.id, "c again", false)
        .await
        .unwrap();
    assert_eq!(summary(&store, root.id).await.reply_count, 2);
}
