//! Coalesced read positions: written within `Limits::read_flush_interval`, not on
//! every `mark_read`. The clock is Tokio's paused test clock, so the test waits for
//! nothing real.

#![allow(clippy::unwrap_used)]

use std::sync::Arc;
use std::time::Duration;

use chatcore::store::Store;
use chatcore::{Chat, Limits, MemoryStore, NewRoom, Register, RoomKind, SendMessage};

async fn register(chat: &Chat, name: &str) -> chatcore::UserId {
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
    .user
    .id
}

#[tokio::test(start_paused = true)]
async fn read_positions_are_written_within_the_flush_interval() {
    let store: Arc<dyn Store> = Arc::new(MemoryStore::new());
    let chat = Chat::builder(store.clone())
        .limits(Limits::without_rate_limits())
        .build();
    assert_eq!(chat.limits().read_flush_interval, Duration::from_secs(2));
    let a = register(&chat, "alice").await;
    let b = register(&chat, "bob").await;
    let room = chat
        .create_room(a, NewRoom::new(RoomKind::Public, "general"))
        .await
        .unwrap()
        .id;
    chat.join_room(b, room, None).await.unwrap();
    let start = store.read_position(room, b).await.unwrap().unwrap();
    let mut last = 0;
    for i in 0..10 {
        last = chat
            .send_message(
                a,
                room,
                SendMessage {
                    body: format!("m{i}"),
                    ..Default::default()
                },
            )
            .await
            .unwrap()
            .seq;
    }
    // A client marking read on every message: answered at once, not written yet.
    tokio::time::sleep(Duration::from_millis(1)).await;
    let begun = tokio::time::Instant::now();
    for seq in start + 1..=last {
        let s = chat.mark_read(b, room, seq).await.unwrap();
        assert_eq!(s.last_read_seq, seq);
    }
    assert_eq!(chat.read_state(b, room).await.unwrap().unread, 0);
    assert_eq!(store.read_position(room, b).await.unwrap(), Some(start));
    tokio::time::sleep_until(begun + Duration::from_millis(1900)).await;
    assert_eq!(store.read_position(room, b).await.unwrap(), Some(start));
    // Within the bound, the latest value is written.
    tokio::time::sleep_until(begun + Duration::from_millis(2100)).await;
    assert_eq!(store.read_position(room, b).await.unwrap(), Some(last));
}

#[tokio::test]
async fn flush_writes_what_is_pending_at_once() {
    let store: Arc<dyn Store> = Arc::new(MemoryStore::new());
    let chat = Chat::builder(store.clone())
        .limits(Limits::without_rate_limits())
        .build();
    let a = register(&chat, "alice").await;
    let room = chat
        .create_room(a, NewRoom::new(RoomKind::Public, "general"))
        .await
        .unwrap()
        .id;
    let last = store.last_seq(room).await.unwrap();
    chat.mark_read(a, room, last).await.unwrap();
    assert_eq!(store.read_position(room, a).await.unwrap(), Some(0));
    chat.flush_read_positions().await.unwrap();
    assert_eq!(store.read_position(room, a).await.unwrap(), Some(last));
}

/// Records notifications.
#[derive(Default)]
struct Recorder(parking_lot::Mutex<Vec<chatcore::Notification>>);

#[async_trait::async_trait]
impl chatcore::Notifier for Recorder {
    async fn notify(&self, n: chatcore::Notification) {
        self.0.lock().push(n);
    }
}

impl Recorder {
    async fn wait_for(&self, n: usize) -> Vec<chatcore::Notification> {
        for _ in 0..500 {
            if self.0.lock().len() >= n {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        self.0.lock().clone()
    }
}

#[tokio::test]
async fn offline_members_are_notified_once_per_room_until_they_read() {
    let recorder = Arc::new(Recorder::default());
    let store: Arc<dyn Store> = Arc::new(MemoryStore::new());
    let chat = Chat::builder(store.clone())
        .limits(Limits::without_rate_limits())
        .notifier(recorder.clone())
        .build();
    let a = register(&chat, "alice").await;
    let b = register(&chat, "bob").await;
    let dm = chat.open_direct(a, b).await.unwrap().id;
    let say = |body: &str| SendMessage {
        body: body.into(),
        ..Default::default()
    };
    let first = chat.send_message(a, dm, say("one")).await.unwrap();
    chat.send_message(a, dm, say("two")).await.unwrap();
    let got = recorder.wait_for(1).await;
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!((got[0].user, got[0].room), (b, dm));
    assert_eq!(got[0].reason, chatcore::NotifyReason::Direct);
    assert_eq!(got[0].message.id, first.id);
    // Once bob has read, the next message notifies again.
    let last = store.last_seq(dm).await.unwrap();
    chat.mark_read(b, dm, last).await.unwrap();
    let third = chat.send_message(a, dm, say("three")).await.unwrap();
    let got = recorder.wait_for(2).await;
    assert_eq!(got.len(), 2, "{got:?}");
    assert_eq!(got[1].message.id, third.id);
    // The author is never notified of their own messages.
    assert!(got.iter().all(|n| n.user == b));
}
