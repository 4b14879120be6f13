//! Conformance cases of pipelined sends: a store sequences a room's appends in the
//! order they are queued (their futures first polled), and one connection's sends
//! in flight together ([`Chat::start_send`](crate::Chat::start_send)) are stored in
//! the order started and answered in that order.

use std::sync::Arc;
use std::task::Poll;

use super::{chat, register, room};
use crate::SendMessage;
use crate::ids::{MessageId, RoomId};
use crate::model::{MessageKind, NewMessage, PageRequest, RoomKind};
use crate::protocol::ServerEvent;
use crate::store::Store;

pub(super) fn new_message(
    room: RoomId,
    author: crate::UserId,
    body: &str,
    nonce: &str,
) -> NewMessage {
    NewMessage {
        id: MessageId::new(),
        room_id: room,
        author_id: Some(author),
        kind: MessageKind::Text,
        body: body.to_owned(),
        system: None,
        attachment: None,
        reply_to: None,
        client_nonce: Some(nonce.to_owned()),
        created_at: chrono::Utc::now(),
        mentions: Vec::new(),
        thread_root: None,
        also_in_room: false,
        extra: None,
    }
}

/// Appends whose futures were polled once, one after another, get their `seq` in
/// that order, however the futures are then awaited (here: last first).
pub async fn messages_appends_sequenced_in_first_poll_order(store: Arc<dyn Store>) {
    let chat = chat(store.clone());
    let u = register(&chat, "poller").await.user.id;
    let r = room(&chat, u, RoomKind::Public, "queue").await;
    let before = store.last_seq(r.id).await.unwrap();
    let mut started = Vec::new();
    for i in 0..64 {
        let mut append =
            store.append_message(new_message(r.id, u, &format!("m{i}"), &format!("n{i}")));
        // One poll queues it (a store may finish it at once).
        let first = std::future::poll_fn(|cx| Poll::Ready(append.as_mut().poll(cx))).await;
        started.push((append, first));
    }
    let mut seqs = Vec::new();
    for (append, first) in started.into_iter().rev() {
        let m = match first {
            Poll::Ready(m) => m,
            Poll::Pending => append.await,
        }
        .unwrap();
        seqs.push((m.body.clone(), m.seq));
    }
    seqs.reverse();
    let expect: Vec<(String, i64)> = (0..64).map(|i| (format!("m{i}"), before + 1 + i)).collect();
    assert_eq!(seqs, expect, "seq in the order the appends were queued");
}

/// One connection's burst of sends, all in flight before the first is answered,
/// over two rooms and with a repeated nonce: each room stores them in the order
/// started, the answers come in that order, and the repeat gets the first copy.
pub async fn messages_pipelined_sends_stored_and_answered_in_order(store: Arc<dyn Store>) {
    let chat = chat(store.clone());
    let u = register(&chat, "piper").await.user.id;
    let a = room(&chat, u, RoomKind::Public, "pipe a").await.id;
    let b = room(&chat, u, RoomKind::Public, "pipe b").await.id;
    let mut pending = Vec::new();
    for i in 0..120u64 {
        let r = if i.is_multiple_of(3) { b } else { a };
        // Send 60 repeats the nonce of send 30 (in room a).
        let nonce = if i == 60 {
            "n30".to_owned()
        } else {
            format!("n{i}")
        };
        let p = chat
            .start_send(
                u,
                Some(i),
                r,
                SendMessage {
                    body: format!("m{i}"),
                    reply_to: None,
                    nonce: Some(nonce),
                    thread_root: None,
                    also_in_room: false,
                    extra: None,
                },
            )
            .await
            .unwrap();
        pending.push((i, r, p));
    }
    let mut answered = Vec::new();
    for (i, r, p) in pending {
        match p.await.unwrap() {
            ServerEvent::Sent {
                id,
                room,
                seq,
                message_id,
                ..
            } => {
                assert_eq!(id, Some(i), "answered in the order sent");
                assert_eq!(room, r);
                answered.push((i, r, seq, message_id));
            }
            other => panic!("send {i}: {other:?}"),
        }
    }
    let repeat = answered[60];
    let first = answered[30];
    assert_eq!(
        (repeat.2, repeat.3),
        (first.2, first.3),
        "a repeat gets the first copy"
    );
    for r in [a, b] {
        let seqs: Vec<i64> = answered
            .iter()
            .filter(|x| x.1 == r && x.0 != 60)
            .map(|x| x.2)
            .collect();
        assert!(
            seqs.windows(2).all(|w| w[1] == w[0] + 1),
            "consecutive seqs in the order sent: {seqs:?}"
        );
        let stored = store
            .list_messages(
                r,
                PageRequest {
                    after: Some(0),
                    before: None,
                    limit: 500,
                },
            )
            .await
            .unwrap();
        let bodies: Vec<String> = stored
            .iter()
            .filter(|m| m.kind == MessageKind::Text)
            .map(|m| m.body.clone())
            .collect();
        let expect: Vec<String> = answered
            .iter()
            .filter(|x| x.1 == r && x.0 != 60)
            .map(|x| format!("m{}", x.0))
            .collect();
        assert_eq!(bodies, expect, "stored in the order sent");
    }
}
