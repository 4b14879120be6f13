//! Conformance cases of retention ([`RetentionStore`](crate::store::RetentionStore)
//! and [`Chat::apply_retention`]): old messages go with their files, reactions and
//! pins, newer ones stay, threads keep working, history starts later and read
//! counts stay right.

use std::sync::Arc;

use bytes::Bytes;
use chrono::Duration;
use parking_lot::Mutex;

use super::register;
use crate::error::Error;
use crate::ids::{FileId, MessageId, RoomId, UserId};
use crate::model::{PageRequest, RoomKind, Timestamp};
use crate::store::Store;
use crate::{Chat, FileUpload, NewRoom, RoomUpdate, SendMessage};

fn chat_at(store: Arc<dyn Store>, max_days: Option<u32>) -> (Chat, Arc<Mutex<Timestamp>>) {
    let now = Arc::new(Mutex::new(chrono::Utc::now() - Duration::days(40)));
    let clock = now.clone();
    let mut limits = crate::Limits::without_rate_limits();
    limits.max_retention_days = max_days;
    let chat = Chat::builder(store)
        .limits(limits)
        .clock(move || *clock.lock())
        .build();
    (chat, now)
}

async fn send(
    chat: &Chat,
    user: UserId,
    room: RoomId,
    body: &str,
    root: Option<MessageId>,
) -> crate::Message {
    chat.send_message(
        user,
        room,
        SendMessage {
            body: body.into(),
            thread_root: root,
            also_in_room: root.is_some(),
            ..Default::default()
        },
    )
    .await
    .unwrap()
}

fn page() -> PageRequest {
    PageRequest {
        limit: 100,
        ..Default::default()
    }
}

fn retention(days: u32) -> RoomUpdate {
    RoomUpdate {
        retention_days: Some(days),
        ..RoomUpdate::default()
    }
}

/// Housekeeping deletes the messages older than the room's retention (with their
/// files, reactions and pins), keeps the newer ones, and history, resume, threads
/// and read counts say where history starts now.
pub async fn retention_deletes_old_messages_history_starts_later(store: Arc<dyn Store>) {
    let (chat, now) = chat_at(store.clone(), Some(90));
    let ann = register(&chat, "ann").await.user.id;
    let bob = register(&chat, "bob").await.user.id;
    let r = chat
        .create_room(ann, NewRoom::new(RoomKind::Public, "lobby"))
        .await
        .unwrap();
    chat.join_room(bob, r.id, None).await.unwrap();

    // Only admins and up set it, within the site maximum.
    assert!(matches!(
        chat.update_room(bob, r.id, retention(30)).await,
        Err(Error::Forbidden(_))
    ));
    assert!(matches!(
        chat.update_room(ann, r.id, retention(91)).await,
        Err(Error::Invalid {
            field: "retention_days",
            ..
        })
    ));
    let view = chat.update_room(ann, r.id, retention(30)).await.unwrap();
    assert_eq!(view.retention_days, Some(30));
    assert_eq!(view.history_start_seq, 0);

    // 40 days ago: a file, a pinned message with a reaction, a thread root.
    let png = Bytes::from_static(&[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13]);
    let file_msg = chat
        .send_file(
            ann,
            r.id,
            FileUpload {
                name: "old.png".into(),
                bytes: png,
            },
            SendMessage::default(),
        )
        .await
        .unwrap();
    let fid: FileId = file_msg
        .attachment
        .clone()
        .unwrap()
        .blob_id
        .parse()
        .unwrap();
    let pinned_old = send(&chat, ann, r.id, "old pinned", None).await;
    chat.pin_message(ann, pinned_old.id).await.unwrap();
    chat.add_reaction(bob, pinned_old.id, "👍").await.unwrap();
    let root = send(&chat, ann, r.id, "root", None).await;
    // 35 days ago: a reply; 15 days ago: another reply and a pinned message.
    *now.lock() += Duration::days(5);
    let old_reply = send(&chat, bob, r.id, "old reply", Some(root.id)).await;
    *now.lock() += Duration::days(20);
    let new_reply = send(&chat, ann, r.id, "new reply", Some(root.id)).await;
    let kept = send(&chat, ann, r.id, "kept", None).await;
    chat.pin_message(ann, kept.id).await.unwrap();
    // The room's own system messages (created, joined, pinned) count too.
    let s0 = file_msg.seq;
    assert!(s0 > 1 && old_reply.seq < new_reply.seq);

    *now.lock() += Duration::days(15);
    chat.housekeeping().await.unwrap();

    for gone in [&file_msg, &pinned_old, &root, &old_reply] {
        assert!(store.get_message(gone.id).await.unwrap().is_none());
    }
    assert!(store.get_message(kept.id).await.unwrap().is_some());
    // The file and its bytes went with its message.
    assert!(matches!(
        chat.open_file(ann, fid).await,
        Err(Error::NotFound(_))
    ));
    assert!(
        chat.blobs()
            .get(&format!("files/{fid}"))
            .await
            .unwrap()
            .is_none()
    );
    // Pins and reactions of deleted messages went; the newer pin stays.
    let pins = chat.pins(ann, r.id).await.unwrap();
    assert_eq!(pins.len(), 1);
    let summaries = store
        .reaction_summaries(&[pinned_old.id], bob)
        .await
        .unwrap();
    assert!(summaries.is_empty());

    // Sequence numbers keep their meaning: history starts at the kept reply,
    // last_seq stays.
    let (start, last) = (new_reply.seq, store.last_seq(r.id).await.unwrap());
    let view = chat.get_room(bob, r.id).await.unwrap();
    assert_eq!((view.history_start_seq, view.last_seq), (start, last));
    let h = chat.history(bob, r.id, page()).await.unwrap();
    let seqs: Vec<i64> = h.messages.iter().map(|m| m.seq).collect();
    assert_eq!(seqs, (start..=last).collect::<Vec<_>>());
    assert!(!h.has_more);
    assert_eq!(h.history_start_seq, Some(start));
    let before_start = chat
        .history(
            bob,
            r.id,
            PageRequest {
                before: Some(start),
                limit: 10,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert!(before_start.messages.is_empty() && !before_start.has_more);
    assert_eq!(before_start.history_start_seq, Some(start));
    // A resume from before the start is told; one from after it is not.
    let missed = chat.missed(bob, r.id, s0 + 1).await.unwrap();
    assert_eq!(missed.history_start_seq, Some(start));
    assert_eq!(missed.messages.first().map(|m| m.id), Some(new_reply.id));
    let missed = chat.missed(bob, r.id, start - 1).await.unwrap();
    assert_eq!(missed.history_start_seq, None);
    assert_eq!(missed.messages.len(), seqs.len());

    // The thread of a deleted root: its kept reply still reads and deletes.
    let t = chat
        .thread_history(bob, r.id, root.id, page())
        .await
        .unwrap();
    let ids: Vec<MessageId> = t.messages.iter().map(|m| m.id).collect();
    assert_eq!(ids, [new_reply.id]);
    assert_eq!(t.history_start_seq, Some(start));

    // Read counts: bob read nothing since he joined; of ann's five messages since,
    // the two kept are unread.
    let state = chat.read_state(bob, r.id).await.unwrap();
    assert_eq!((state.unread, state.last_seq), (2, last));

    // Other settings keep where history starts; new messages go on after last_seq.
    let view = chat
        .update_room(
            ann,
            r.id,
            RoomUpdate {
                name: Some("renamed".into()),
                ..RoomUpdate::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(view.history_start_seq, start);
    assert_eq!(view.retention_days, Some(30));
    assert_eq!(send(&chat, ann, r.id, "next", None).await.seq, last + 1);
    chat.delete_message(ann, new_reply.id).await.unwrap();

    // A second run finds nothing more to delete.
    assert_eq!(chat.apply_retention().await.unwrap(), 0);
    // Clearing it (0) goes back to the site default: none here but the maximum.
    let view = chat.update_room(ann, r.id, retention(0)).await.unwrap();
    assert_eq!(view.retention_days, None);
    assert_eq!(
        chat.effective_retention_days(&store.get_room(r.id).await.unwrap().unwrap()),
        Some(90)
    );
}

/// The store deletes in bounded batches, oldest `seq` first, stops at the first
/// newer message (history stays a suffix) and never moves the start back.
pub async fn retention_store_purges_in_batches(store: Arc<dyn Store>) {
    let (chat, now) = chat_at(store.clone(), None);
    let ann = register(&chat, "ann").await.user.id;
    let r = chat
        .create_room(ann, NewRoom::new(RoomKind::Private, "batches"))
        .await
        .unwrap();
    let other = chat
        .create_room(ann, NewRoom::new(RoomKind::Public, "untouched"))
        .await
        .unwrap();
    for i in 0..3 {
        send(&chat, ann, r.id, &format!("old {i}"), None).await;
    }
    send(&chat, ann, other.id, "other room", None).await;
    *now.lock() += Duration::days(10);
    let newer = send(&chat, ann, r.id, "newer", None).await;
    let cutoff = *now.lock() - Duration::days(5);

    // Seq 1 is the room's "created" system message, 2 to 4 the old ones.
    assert_eq!(newer.seq, 5);
    let p = store.purge_messages(r.id, cutoff, 2).await.unwrap();
    assert_eq!((p.deleted, p.history_start_seq), (2, 3));
    let p = store.purge_messages(r.id, cutoff, 2).await.unwrap();
    assert_eq!((p.deleted, p.history_start_seq), (2, 5));
    let p = store.purge_messages(r.id, cutoff, 2).await.unwrap();
    assert_eq!((p.deleted, p.history_start_seq), (0, 5));
    assert!(store.get_message(newer.id).await.unwrap().is_some());
    assert_eq!(store.get_room(r.id).await.unwrap().unwrap().last_seq, 5);
    // An earlier cutoff deletes nothing and keeps the start.
    let p = store
        .purge_messages(r.id, cutoff - Duration::days(30), 10)
        .await
        .unwrap();
    assert_eq!((p.deleted, p.history_start_seq), (0, 5));
    let o = store.get_room(other.id).await.unwrap().unwrap();
    assert_eq!(o.history_start_seq, 0);
    assert_eq!(store.last_seq(other.id).await.unwrap(), 2);
    assert!(matches!(
        store.purge_messages(RoomId::new(), cutoff, 10).await,
        Err(Error::NotFound(_))
    ));

    // Only rooms with a setting of their own are listed.
    store.set_retention(r.id, Some(7)).await.unwrap();
    let listed = store.list_retention_rooms(None, 10).await.unwrap();
    assert_eq!(listed.iter().map(|x| x.id).collect::<Vec<_>>(), [r.id]);
    assert_eq!(listed[0].retention_days, Some(7));
    assert!(
        store
            .list_retention_rooms(Some(r.id), 10)
            .await
            .unwrap()
            .is_empty()
    );
    // Without a site default or maximum, a room without a setting keeps everything.
    *now.lock() += Duration::days(8);
    assert_eq!(chat.apply_retention().await.unwrap(), 1);
    assert_eq!(
        store
            .get_room(r.id)
            .await
            .unwrap()
            .unwrap()
            .history_start_seq,
        6
    );
    assert_eq!(store.last_seq(other.id).await.unwrap(), 2);
    assert!(
        store
            .list_messages(
                other.id,
                PageRequest {
                    limit: 10,
                    ..Default::default()
                }
            )
            .await
            .unwrap()
            .len()
            == 2
    );
}
