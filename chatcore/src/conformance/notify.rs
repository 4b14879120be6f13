//! Conformance cases of notification settings and of the notifier they steer.

use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;

use super::{chat, register, room, say};
use crate::Chat;
use crate::chat::{Notification, Notifier, NotifyReason};
use crate::ids::{RoomId, UserId};
use crate::model::{NotifyLevel, RoomKind};
use crate::protocol::ServerEvent;
use crate::store::Store;

/// The notifications delivered so far.
#[derive(Default)]
struct Recorder(Mutex<Vec<Notification>>);

#[async_trait::async_trait]
impl Notifier for Recorder {
    async fn notify(&self, n: Notification) {
        self.0.lock().push(n);
    }
}

impl Recorder {
    /// Wait until a notification of `user` in `room` arrived (the notification task
    /// handles messages in order, so everything sent before it has been decided),
    /// then take all of them. Panics after a generous while without it.
    async fn until(&self, user: UserId, room: RoomId) -> Vec<(UserId, RoomId, NotifyReason)> {
        for _ in 0..2000 {
            if self
                .0
                .lock()
                .iter()
                .any(|n| n.user == user && n.room == room)
            {
                break;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        let got: Vec<_> = self
            .0
            .lock()
            .drain(..)
            .map(|n| (n.user, n.room, n.reason))
            .collect();
        assert!(
            got.iter().any(|(u, r, _)| (*u, *r) == (user, room)),
            "no notification of {user:?} in {room:?}: {got:?}"
        );
        got
    }
}

pub async fn notify_levels_default_set_and_forgotten(store: Arc<dyn Store>) {
    let chat = chat(store.clone());
    let a = register(&chat, "nota").await.user.id;
    let b = register(&chat, "notb").await.user.id;
    let r = room(&chat, a, RoomKind::Public, "levels").await.id;
    chat.join_room(b, r, None).await.unwrap();
    let dm = chat.open_direct(a, b).await.unwrap().id;
    // The default: all in small rooms, mentions in rooms over the limit, all in
    // direct rooms whatever the limit.
    let level = |c: &Chat, room| {
        let c = c.clone();
        async move { c.read_state(b, room).await.unwrap().notifications }
    };
    assert_eq!(level(&chat, r).await, NotifyLevel::All);
    let strict = Chat::builder(store.clone())
        .limits(crate::Limits {
            notify_all_max_members: 1,
            ..crate::Limits::without_rate_limits()
        })
        .build();
    assert_eq!(level(&strict, r).await, NotifyLevel::Mentions);
    assert_eq!(level(&strict, dm).await, NotifyLevel::All);
    assert_eq!(store.notify_level(r, b).await.unwrap(), None);
    // Set by the member: stored, shown everywhere the read state is.
    let s = chat
        .set_notifications(b, r, NotifyLevel::None)
        .await
        .unwrap();
    assert_eq!(s.notifications, NotifyLevel::None);
    assert_eq!(level(&strict, r).await, NotifyLevel::None);
    assert_eq!(
        store.notify_levels(r).await.unwrap(),
        vec![(b, NotifyLevel::None)]
    );
    let mine = chat.list_my_rooms(b).await.unwrap();
    let view = mine.iter().find(|v| v.id == r).unwrap();
    assert_eq!(view.read.unwrap().notifications, NotifyLevel::None);
    let dm_view = mine.iter().find(|v| v.id == dm).unwrap();
    assert_eq!(dm_view.read.unwrap().notifications, NotifyLevel::All);
    let ServerEvent::Hello { read_states, .. } =
        chat.hello(b, Duration::from_secs(30)).await.unwrap()
    else {
        panic!("not a hello")
    };
    let hello = read_states.iter().find(|s| s.room == r).unwrap();
    assert_eq!(hello.notifications, NotifyLevel::None);
    // Muted still counts.
    say(&chat, a, r, "while muted @notb").await;
    let s = chat.read_state(b, r).await.unwrap();
    assert_eq!((s.unread, s.mentions), (1, 1));
    // Changed again; a's setting is a's own.
    chat.set_notifications(b, r, NotifyLevel::Mentions)
        .await
        .unwrap();
    assert_eq!(level(&chat, r).await, NotifyLevel::Mentions);
    assert_eq!(
        chat.read_state(a, r).await.unwrap().notifications,
        NotifyLevel::All
    );
    // Members only.
    let c = register(&chat, "notc").await.user.id;
    assert!(
        chat.set_notifications(c, r, NotifyLevel::All)
            .await
            .is_err()
    );
    assert!(
        !store
            .set_notify_level(r, c, NotifyLevel::All)
            .await
            .unwrap()
    );
    assert_eq!(store.notify_level(r, c).await.unwrap(), None);
    // Leaving forgets it: back at the default after joining again.
    chat.leave_room(b, r).await.unwrap();
    assert_eq!(store.notify_level(r, b).await.unwrap(), None);
    assert!(store.notify_levels(r).await.unwrap().is_empty());
    chat.join_room(b, r, None).await.unwrap();
    assert_eq!(level(&chat, r).await, NotifyLevel::All);
}

pub async fn notify_notifier_follows_the_setting(store: Arc<dyn Store>) {
    let recorder = Arc::new(Recorder::default());
    let chat = Chat::builder(store.clone())
        .limits(crate::Limits::without_rate_limits())
        .notifier(recorder.clone())
        .build();
    let a = register(&chat, "nfa").await.user.id;
    let muted = register(&chat, "nfmuted").await.user.id;
    let quiet = register(&chat, "nfquiet").await.user.id;
    let loud = register(&chat, "nfloud").await.user.id;
    let r = room(&chat, a, RoomKind::Public, "notify").await.id;
    for u in [muted, quiet, loud] {
        chat.join_room(u, r, None).await.unwrap();
    }
    chat.set_notifications(muted, r, NotifyLevel::None)
        .await
        .unwrap();
    chat.set_notifications(quiet, r, NotifyLevel::Mentions)
        .await
        .unwrap();
    // A plain message: only `all` (loud, by default in a small room) hears of it.
    say(&chat, a, r, "hello all").await;
    let got = recorder.until(loud, r).await;
    assert_eq!(got, vec![(loud, r, NotifyReason::All)]);
    // A mention of everyone: `mentions` hears of it, `none` does not, and loud
    // was notified already (once per room until read).
    say(&chat, a, r, "@nfmuted @nfquiet @nfloud look").await;
    let got = recorder.until(quiet, r).await;
    assert_eq!(got, vec![(quiet, r, NotifyReason::Mention)]);
    // Once loud has read, the next message notifies them again.
    let last = store.last_seq(r).await.unwrap();
    chat.mark_read(loud, r, last).await.unwrap();
    say(&chat, a, r, "again").await;
    let got = recorder.until(loud, r).await;
    assert_eq!(got, vec![(loud, r, NotifyReason::All)]);
    // Direct rooms: `mentions` hears of every message there, `none` of none.
    let dm_quiet = chat.open_direct(a, quiet).await.unwrap().id;
    let dm_muted = chat.open_direct(a, muted).await.unwrap().id;
    chat.set_notifications(quiet, dm_quiet, NotifyLevel::Mentions)
        .await
        .unwrap();
    chat.set_notifications(muted, dm_muted, NotifyLevel::None)
        .await
        .unwrap();
    say(&chat, a, dm_muted, "psst").await;
    say(&chat, a, dm_quiet, "psst").await;
    let got = recorder.until(quiet, dm_quiet).await;
    assert_eq!(got, vec![(quiet, dm_quiet, NotifyReason::Direct)]);
    // In a room over the size limit the default is `mentions`; an explicit `all`
    // still hears of everything.
    let big = Chat::builder(store.clone())
        .limits(crate::Limits {
            notify_all_max_members: 2,
            ..crate::Limits::without_rate_limits()
        })
        .notifier(recorder.clone())
        .build();
    chat.set_notifications(quiet, r, NotifyLevel::All)
        .await
        .unwrap();
    say(&big, a, r, "big room now").await;
    let got = recorder.until(quiet, r).await;
    assert_eq!(got, vec![(quiet, r, NotifyReason::All)]);
    say(&big, a, r, "@nfloud you").await;
    let got = recorder.until(loud, r).await;
    assert_eq!(got, vec![(loud, r, NotifyReason::Mention)]);
}
