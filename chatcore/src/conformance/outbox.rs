//! Conformance cases of the outbox rows written with their change
//! ([`OutboxTxnStore`](crate::store::OutboxTxnStore)): a change and its row commit
//! together (a refused change leaves no row, a committed one always has exactly
//! one, under concurrent appends too), and a `Chat` with its outbox on queues every
//! domain event under the id its live stream gives it.

use std::collections::HashMap;
use std::sync::Arc;

use futures::{FutureExt, StreamExt};

use super::pipeline::new_message;
use super::{register, room, say, stored_user};
use crate::events::{DomainEvent, EventKind};
use crate::ids::{MessageId, RoomId};
use crate::model::{PageRequest, RoomKind};
use crate::store::{EventStamp, OutboxEntry, Store};
use crate::{Chat, RoomUpdate};

fn stamp() -> EventStamp {
    EventStamp {
        id: uuid::Uuid::now_v7(),
        at: chrono::Utc::now(),
    }
}

async fn pending(store: &Arc<dyn Store>) -> Vec<OutboxEntry> {
    store.pending_events(1000).await.unwrap()
}

fn decode(e: &OutboxEntry) -> DomainEvent {
    serde_json::from_str(&e.payload).unwrap()
}

/// A row for an event about `room` (what `Chat` passes to edits and deletes).
fn row(room: RoomId, message_id: MessageId) -> crate::store::OutboxRow {
    DomainEvent {
        id: uuid::Uuid::now_v7(),
        at: chrono::Utc::now(),
        kind: EventKind::MessageDeleted {
            room,
            message_id,
            seq: 1,
            by: crate::UserId::new(),
        },
    }
    .to_row()
    .unwrap()
}

pub async fn outbox_rows_commit_with_their_message_change(store: Arc<dyn Store>) {
    let u = stored_user(&store, "writer").await;
    let r = store
        .create_room(super::plain_room("box", Some(u)), vec![])
        .await
        .unwrap()
        .id;

    // Refused appends: no message, no row.
    let unknown = RoomId::new();
    assert!(matches!(
        store
            .append_message_queued(new_message(unknown, u, "x", "n0"), stamp())
            .await,
        Err(crate::Error::NotFound(_))
    ));
    let mut orphan = new_message(r, u, "reply", "n1");
    orphan.thread_root = Some(MessageId::new());
    assert!(store.append_message_queued(orphan, stamp()).await.is_err());
    assert!(
        pending(&store).await.is_empty(),
        "a refused append queues nothing"
    );
    assert_eq!(store.last_seq(r).await.unwrap(), 0);

    // A stored one has its row, completed with the seq of the transaction.
    let s1 = stamp();
    let m = store
        .append_message_queued(new_message(r, u, "hello", "n2"), s1)
        .await
        .unwrap();
    let rows = pending(&store).await;
    assert_eq!(rows.len(), 1);
    assert_eq!((rows[0].id, rows[0].room), (s1.id, r));
    let ev = decode(&rows[0]);
    assert_eq!(ev.id, s1.id);
    // The nonce is not part of a message's JSON.
    let wire = crate::Message {
        client_nonce: None,
        ..m.clone()
    };
    assert_eq!(ev.kind, EventKind::MessageCreated { message: wire });
    assert_eq!(m.seq, 1);
    // A repeated nonce returns the first message and queues nothing more.
    let again = store
        .append_message_queued(new_message(r, u, "hello", "n2"), stamp())
        .await
        .unwrap();
    assert_eq!(again.id, m.id);
    assert_eq!(pending(&store).await.len(), 1);

    // Edits and deletes: a refused one leaves no row.
    let missing = MessageId::new();
    assert!(matches!(
        store
            .edit_message_queued(missing, "b", chrono::Utc::now(), None, &[row(r, missing)])
            .await,
        Err(crate::Error::NotFound(_))
    ));
    assert!(matches!(
        store
            .delete_message_queued(missing, chrono::Utc::now(), &[row(r, missing)])
            .await,
        Err(crate::Error::NotFound(_))
    ));
    assert_eq!(pending(&store).await.len(), 1);
    let edit = row(r, m.id);
    store
        .edit_message_queued(
            m.id,
            "edited",
            chrono::Utc::now(),
            Some(&[u]),
            std::slice::from_ref(&edit),
        )
        .await
        .unwrap();
    let stored = store.get_message(m.id).await.unwrap().unwrap();
    assert_eq!(
        (stored.body.as_str(), stored.mentions.as_slice()),
        ("edited", &[u][..])
    );
    let delete = row(r, m.id);
    store
        .delete_message_queued(m.id, chrono::Utc::now(), std::slice::from_ref(&delete))
        .await
        .unwrap();
    assert!(
        store
            .get_message(m.id)
            .await
            .unwrap()
            .unwrap()
            .deleted_at
            .is_some()
    );
    // An edit of the deleted message is refused, with its row.
    let late = row(r, m.id);
    assert!(
        store
            .edit_message_queued(m.id, "back", chrono::Utc::now(), None, &[late])
            .await
            .is_err()
    );
    let ids: Vec<uuid::Uuid> = pending(&store).await.iter().map(|e| e.id).collect();
    assert_eq!(ids, [s1.id, edit.0, delete.0], "in commit order");
}

/// Concurrent appends, refused ones among them, in two rooms: every stored message
/// has exactly one `message_created` row carrying its seq, nothing else has one, and
/// each room's rows are queued in seq order.
pub async fn outbox_parallel_appends_each_have_their_row(store: Arc<dyn Store>) {
    let u = stored_user(&store, "many").await;
    let mut rooms = Vec::new();
    for name in ["left", "right"] {
        let room = super::plain_room(name, Some(u));
        rooms.push(store.create_room(room, vec![]).await.unwrap().id);
    }
    let mut tasks = Vec::new();
    for i in 0..60usize {
        let store = store.clone();
        let room = rooms[i % 2];
        tasks.push(tokio::spawn(async move {
            let mut new = new_message(room, u, &format!("m{i}"), &format!("n{i}"));
            if i % 7 == 3 {
                new.thread_root = Some(MessageId::new()); // refused in the transaction
            }
            if i % 11 == 5 {
                new.room_id = RoomId::new(); // unknown room
            }
            let s = stamp();
            (s, store.append_message_queued(new, s).await)
        }));
    }
    let mut stored: HashMap<uuid::Uuid, crate::Message> = HashMap::new();
    let mut refused = 0;
    for t in tasks {
        match t.await.unwrap() {
            (s, Ok(m)) => {
                stored.insert(s.id, m);
            }
            (_, Err(_)) => refused += 1,
        }
    }
    assert!(refused > 0 && !stored.is_empty());
    let rows = pending(&store).await;
    assert_eq!(
        rows.len(),
        stored.len(),
        "one row per stored message, none else"
    );
    let mut last: HashMap<RoomId, i64> = HashMap::new();
    for e in &rows {
        let m = stored.get(&e.id).expect("a row of a stored message");
        let EventKind::MessageCreated { message } = decode(e).kind else {
            panic!("not a message_created row");
        };
        assert_eq!(message.client_nonce, None, "not in the JSON");
        assert_eq!(
            message,
            crate::Message {
                client_nonce: None,
                ..m.clone()
            }
        );
        let page = PageRequest {
            after: Some(m.seq - 1),
            limit: 1,
            ..Default::default()
        };
        let listed = store.list_messages(m.room_id, page).await.unwrap();
        assert_eq!(
            listed.first().map(|x| x.id),
            Some(m.id),
            "the row's seq is the stored one"
        );
        let prev = last.insert(e.room, m.seq).unwrap_or(0);
        assert!(m.seq > prev, "rows of a room in seq order");
    }
}

/// A `Chat` with its outbox on queues every domain event, under the id and time of
/// its live stream, in the order of the stream; a refused change queues nothing.
pub async fn outbox_chat_queues_every_event_under_its_stream_id(store: Arc<dyn Store>) {
    let chat = Chat::builder(store.clone())
        .limits(crate::Limits::without_rate_limits())
        .outbox(true)
        .build();
    let mut stream = Box::pin(chat.events());
    let ann = register(&chat, "ann").await.user.id;
    let bob = register(&chat, "bob").await.user.id;
    let r = room(&chat, ann, RoomKind::Public, "queued").await.id;
    chat.join_room(bob, r, None).await.unwrap();
    let m = say(&chat, bob, r, "hi").await;
    chat.edit_message(bob, m.id, "hi @ann").await.unwrap();
    chat.edit_message(bob, m.id, "hi again @ann").await.unwrap();
    chat.delete_message(bob, m.id).await.unwrap();
    let refused = chat.edit_message(bob, m.id, "back").await;
    assert!(refused.is_err());
    let update = RoomUpdate {
        name: Some("renamed".into()),
        ..Default::default()
    };
    chat.update_room(ann, r, update).await.unwrap();
    chat.kick(ann, r, bob).await.unwrap();
    chat.delete_room(ann, r).await.unwrap();

    let mut emitted = Vec::new();
    while let Some(Some(e)) = stream.next().now_or_never() {
        emitted.push(e);
    }
    let queued: Vec<DomainEvent> = pending(&store).await.iter().map(decode).collect();
    assert_eq!(
        queued, emitted,
        "the same events, ids and order as the stream"
    );
    let kinds = |k: fn(&EventKind) -> bool| queued.iter().filter(|e| k(&e.kind)).count();
    assert_eq!(kinds(|k| matches!(k, EventKind::MessageEdited { .. })), 2);
    assert_eq!(kinds(|k| matches!(k, EventKind::MessageDeleted { .. })), 1);
    assert_eq!(kinds(|k| matches!(k, EventKind::RoomCreated { .. })), 1);
    assert_eq!(kinds(|k| matches!(k, EventKind::RoomUpdated { .. })), 1);
    assert_eq!(kinds(|k| matches!(k, EventKind::MemberKicked { .. })), 1);
    assert_eq!(kinds(|k| matches!(k, EventKind::RoomDeleted { .. })), 1);
    assert!(kinds(|k| matches!(k, EventKind::MessageCreated { .. })) >= 1);

    // Off (the default): nothing is queued.
    let quiet = super::chat(store.clone());
    let cy = register(&quiet, "cyd").await.user.id;
    let r2 = room(&quiet, cy, RoomKind::Public, "quiet").await.id;
    say(&quiet, cy, r2, "not queued").await;
    assert_eq!(pending(&store).await.len(), queued.len());
}
