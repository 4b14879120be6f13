//! Live behaviour through the in-process hub: fan-out only to those who may see it,
//! typing expiry, presence over several connections, bans cutting live subscriptions,
//! slow consumers, logout closing connections.

#![allow(clippy::unwrap_used)]

mod common;

use std::sync::Arc;
use std::time::Duration;

use chatcore::protocol::ServerEvent;
use chatcore::{
    Chat, ChatConnection, CloseReason, Limits, LocalHub, MemoryStore, NewRoom, Register, RoomId,
    RoomKind, UserId,
};
use common::{drain, say, texts};

async fn register(chat: &Chat, name: &str) -> (UserId, chatcore::SessionToken) {
    let (me, token) = chat
        .register(
            Register {
                username: name.into(),
                password: "correct horse battery".into(),
                ..Default::default()
            },
            None,
        )
        .await
        .unwrap();
    (me.user.id, token)
}

async fn room(chat: &Chat, owner: UserId, kind: RoomKind) -> chatcore::protocol::RoomView {
    chat.create_room(owner, NewRoom::new(kind, "live"))
        .await
        .unwrap()
}

async fn next_event(conn: &mut ChatConnection) -> ServerEvent {
    let frame = tokio::time::timeout(Duration::from_secs(5), conn.connection().recv())
        .await
        .expect("an event in time")
        .expect("connection open");
    serde_json::from_slice(&frame.json).unwrap()
}

#[tokio::test]
async fn events_reach_members_only() {
    let chat = Chat::builder(Arc::new(MemoryStore::new()))
        .limits(Limits::without_rate_limits())
        .build();
    let (a, _) = register(&chat, "alice").await;
    let (b, _) = register(&chat, "bob").await;
    let (c, _) = register(&chat, "carol").await;
    let r = room(&chat, a, RoomKind::Private).await;
    chat.join_by_code(b, r.code.as_ref().unwrap().as_str(), None)
        .await
        .unwrap();
    let mut cb = chat.connect(b, None).await.unwrap();
    let mut cc = chat.connect(c, None).await.unwrap();
    drain(&mut cb);
    drain(&mut cc);
    chat.send_message(a, r.id, say("for members"))
        .await
        .unwrap();
    assert_eq!(texts(&drain(&mut cb)), ["for members"]);
    assert!(drain(&mut cc).is_empty(), "a non-member receives nothing");
    // A join subscribes the joiner's live connections at once.
    chat.join_by_code(c, r.code.as_ref().unwrap().as_str(), None)
        .await
        .unwrap();
    drain(&mut cc);
    chat.send_message(a, r.id, say("now you too"))
        .await
        .unwrap();
    assert_eq!(texts(&drain(&mut cc)), ["now you too"]);
}

#[tokio::test]
async fn each_event_is_encoded_once_and_shared() {
    let chat = Chat::builder(Arc::new(MemoryStore::new()))
        .limits(Limits::without_rate_limits())
        .build();
    let (a, _) = register(&chat, "alice").await;
    let r = room(&chat, a, RoomKind::Public).await;
    let mut c1 = chat.connect(a, None).await.unwrap();
    let mut c2 = chat.connect(a, None).await.unwrap();
    drain(&mut c1);
    drain(&mut c2);
    let m = chat.send_message(a, r.id, say("shared")).await.unwrap();
    let f1 = c1.connection().recv().await.unwrap();
    let f2 = c2.connection().recv().await.unwrap();
    assert_eq!(
        f1.json.as_ptr(),
        f2.json.as_ptr(),
        "same buffer, not a copy"
    );
    assert_eq!(f1.seq, Some((r.id, m.seq)));
}

#[tokio::test(start_paused = true)]
async fn typing_reaches_others_and_expires() {
    let limits = Limits {
        typing_ttl: Duration::from_secs(5),
        typing_throttle: Duration::from_secs(2),
        ..Limits::default()
    };
    let chat = Chat::builder(Arc::new(MemoryStore::new()))
        .limits(limits)
        .build();
    let (a, _) = register(&chat, "alice").await;
    let (b, _) = register(&chat, "bob").await;
    let r = room(&chat, a, RoomKind::Public).await;
    chat.join_room(b, r.id, None).await.unwrap();
    let mut cb = chat.connect(b, None).await.unwrap();
    drain(&mut cb);

    chat.typing(a, r.id, true).await.unwrap();
    assert!(matches!(next_event(&mut cb).await,
        ServerEvent::Typing { user, typing: true, expires_in_ms: 5000, .. } if user == a));
    assert_eq!(chat.typing_users(r.id), [a]);
    // Repeats inside the throttle window are not re-broadcast…
    tokio::time::advance(Duration::from_secs(1)).await;
    chat.typing(a, r.id, true).await.unwrap();
    assert!(drain(&mut cb).is_empty());
    // …but extend the expiry: 5 s after the last start, not the first.
    tokio::time::advance(Duration::from_millis(4500)).await;
    tokio::task::yield_now().await;
    assert_eq!(chat.typing_users(r.id), [a]);
    assert!(drain(&mut cb).is_empty());
    tokio::time::advance(Duration::from_millis(600)).await;
    let ev = next_event(&mut cb).await;
    assert!(
        matches!(ev, ServerEvent::Typing { user, typing: false, .. } if user == a),
        "{ev:?}"
    );
    assert!(chat.typing_users(r.id).is_empty());

    // An explicit stop is broadcast at once; sending a message also stops typing.
    chat.typing(a, r.id, true).await.unwrap();
    chat.typing(a, r.id, false).await.unwrap();
    let evs = drain(&mut cb);
    assert!(matches!(
        evs.as_slice(),
        [
            ServerEvent::Typing { typing: true, .. },
            ServerEvent::Typing { typing: false, .. }
        ]
    ));
    chat.typing(a, r.id, true).await.unwrap();
    chat.send_message(a, r.id, say("done typing"))
        .await
        .unwrap();
    let evs = drain(&mut cb);
    assert!(
        evs.iter()
            .any(|e| matches!(e, ServerEvent::Typing { typing: false, .. })),
        "{evs:?}"
    );
    assert!(chat.typing_users(r.id).is_empty());
    // Non-members cannot type in a room.
    let (c, _) = register(&chat, "carol").await;
    assert!(chat.typing(c, r.id, true).await.is_err());
}

#[tokio::test]
async fn presence_with_two_connections_of_one_user() {
    let chat = Chat::builder(Arc::new(MemoryStore::new()))
        .limits(Limits::without_rate_limits())
        .build();
    let (a, _) = register(&chat, "alice").await;
    let (b, _) = register(&chat, "bob").await;
    let r = room(&chat, a, RoomKind::Public).await;
    chat.join_room(b, r.id, None).await.unwrap();
    let mut watcher = chat.connect(a, None).await.unwrap();
    drain(&mut watcher);

    let b1 = chat.connect(b, None).await.unwrap();
    assert!(matches!(next_event(&mut watcher).await,
        ServerEvent::Presence { user, online: true, .. } if user == b));
    let b2 = chat.connect(b, None).await.unwrap();
    assert!(
        drain(&mut watcher).is_empty(),
        "a second connection is no news"
    );
    assert!(chat.is_online(b).await.unwrap());
    let members = chat.members(a, r.id).await.unwrap();
    assert!(members.iter().find(|m| m.user.id == b).unwrap().online);

    b1.close().await;
    assert!(
        chat.is_online(b).await.unwrap(),
        "still online through the other connection"
    );
    assert!(drain(&mut watcher).is_empty());
    b2.close().await;
    assert!(!chat.is_online(b).await.unwrap());
    let ev = next_event(&mut watcher).await;
    let ServerEvent::Presence {
        user,
        online: false,
        last_seen_at: Some(seen),
        ..
    } = ev
    else {
        panic!("expected offline presence, got {ev:?}");
    };
    assert_eq!(user, b);
    let stored = chat.get_user(b).await.unwrap();
    assert_eq!(stored.last_seen_at, Some(seen), "last seen recorded");
    let members = chat.members(a, r.id).await.unwrap();
    assert!(!members.iter().find(|m| m.user.id == b).unwrap().online);
}

#[tokio::test]
async fn dropping_a_connection_also_settles_presence() {
    let chat = Chat::builder(Arc::new(MemoryStore::new()))
        .limits(Limits::without_rate_limits())
        .build();
    let (a, _) = register(&chat, "alice").await;
    let conn = chat.connect(a, None).await.unwrap();
    assert!(chat.is_online(a).await.unwrap());
    drop(conn);
    for _ in 0..100 {
        if !chat.is_online(a).await.unwrap() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("still online after the connection was dropped");
}

#[tokio::test]
async fn ban_cuts_the_live_subscription_at_once() {
    let chat = Chat::builder(Arc::new(MemoryStore::new()))
        .limits(Limits::without_rate_limits())
        .build();
    let (a, _) = register(&chat, "alice").await;
    let (b, _) = register(&chat, "bob").await;
    let r = room(&chat, a, RoomKind::Public).await;
    chat.join_room(b, r.id, None).await.unwrap();
    let mut cb1 = chat.connect(b, None).await.unwrap();
    let mut cb2 = chat.connect(b, None).await.unwrap();
    drain(&mut cb1);
    drain(&mut cb2);
    chat.ban(a, r.id, b, "spam", None).await.unwrap();
    for conn in [&mut cb1, &mut cb2] {
        let evs = drain(conn);
        assert!(
            evs.iter().any(|e| matches!(e,
                ServerEvent::MemberRemoved { user, reason: chatcore::protocol::RemovalReason::Banned, .. } if *user == b)),
            "the banned user is told: {evs:?}"
        );
    }
    chat.send_message(a, r.id, say("after the ban"))
        .await
        .unwrap();
    assert!(texts(&drain(&mut cb1)).is_empty());
    assert!(texts(&drain(&mut cb2)).is_empty());
    // A fresh connection is not subscribed either.
    let mut cb3 = chat.connect(b, None).await.unwrap();
    drain(&mut cb3);
    chat.send_message(a, r.id, say("still banned"))
        .await
        .unwrap();
    assert!(texts(&drain(&mut cb3)).is_empty());
    assert!(chat.subscribe_connection(b, cb3.id(), r.id).await.is_err());
}

#[tokio::test]
async fn room_deletion_and_kick_unsubscribe() {
    let chat = Chat::builder(Arc::new(MemoryStore::new()))
        .limits(Limits::without_rate_limits())
        .build();
    let (a, _) = register(&chat, "alice").await;
    let (b, _) = register(&chat, "bob").await;
    let r = room(&chat, a, RoomKind::Public).await;
    chat.join_room(b, r.id, None).await.unwrap();
    let mut cb = chat.connect(b, None).await.unwrap();
    drain(&mut cb);
    chat.kick(a, r.id, b).await.unwrap();
    chat.send_message(a, r.id, say("kicked out")).await.unwrap();
    assert!(texts(&drain(&mut cb)).is_empty());
    chat.join_room(b, r.id, None).await.unwrap();
    drain(&mut cb);
    chat.delete_room(a, r.id).await.unwrap();
    let evs = drain(&mut cb);
    assert!(
        evs.iter()
            .any(|e| matches!(e, ServerEvent::RoomDeleted { room } if *room == r.id))
    );
}

#[tokio::test]
async fn logout_closes_that_sessions_connections() {
    let chat = Chat::builder(Arc::new(MemoryStore::new()))
        .limits(Limits::without_rate_limits())
        .build();
    let (a, t1) = register(&chat, "alice").await;
    let (_, t2) = chat
        .login("alice", "correct horse battery", None)
        .await
        .unwrap();
    let mut c1 = chat.connect(a, Some(t1.session.id)).await.unwrap();
    let mut c2 = chat.connect(a, Some(t2.session.id)).await.unwrap();
    chat.logout(a, t1.session.id).await.unwrap();
    while c1.connection().recv().await.is_some() {}
    assert_eq!(
        c1.connection().close_reason(),
        Some(CloseReason::SessionRevoked)
    );
    assert!(c2.connection().close_reason().is_none());
    chat.logout_everywhere(a).await.unwrap();
    while c2.connection().recv().await.is_some() {}
    assert_eq!(
        c2.connection().close_reason(),
        Some(CloseReason::SessionRevoked)
    );
}

#[tokio::test]
async fn a_slow_consumer_is_closed_without_stalling_others() {
    let hub = Arc::new(LocalHub::new(8));
    let chat = Chat::builder(Arc::new(MemoryStore::new()))
        .limits(Limits::without_rate_limits())
        .hub(hub.clone())
        .build();
    let (a, _) = register(&chat, "alice").await;
    let r = room(&chat, a, RoomKind::Public).await;
    let mut slow = chat.connect(a, None).await.unwrap();
    let mut fast = chat.connect(a, None).await.unwrap();
    let mut received = 0;
    for i in 0..50 {
        chat.send_message(a, r.id, say(&format!("m{i}")))
            .await
            .unwrap();
        received += texts(&drain(&mut fast)).len();
    }
    assert_eq!(received, 50, "the reader that keeps up gets everything");
    let mut queued = 0;
    while slow.connection().recv().await.is_some() {
        queued += 1;
    }
    assert!(queued <= 8, "bounded queue, got {queued}");
    assert_eq!(
        slow.connection().close_reason(),
        Some(CloseReason::SlowConsumer)
    );
    assert_eq!(
        hub.user_connection_count(a),
        2,
        "closed, but presence settles on disconnect"
    );
    slow.close().await;
    assert_eq!(hub.user_connection_count(a), 1);
}

#[tokio::test]
async fn resume_reads_exactly_what_was_missed() {
    let chat = Chat::builder(Arc::new(MemoryStore::new()))
        .limits(Limits::without_rate_limits())
        .build();
    let (a, _) = register(&chat, "alice").await;
    let r: RoomId = room(&chat, a, RoomKind::Public).await.id;
    let mut last = 0;
    for i in 0..5 {
        last = chat
            .send_message(a, r, say(&format!("seen {i}")))
            .await
            .unwrap()
            .seq;
    }
    for i in 0..130 {
        chat.send_message(a, r, say(&format!("missed {i}")))
            .await
            .unwrap();
    }
    let mut got = Vec::new();
    let mut since = last;
    loop {
        let page = chat.missed(a, r, since).await.unwrap();
        got.extend(page.messages.iter().map(|m| m.body.clone()));
        since = page.messages.last().map_or(since, |m| m.seq);
        if !page.has_more {
            break;
        }
    }
    let want: Vec<String> = (0..130).map(|i| format!("missed {i}")).collect();
    assert_eq!(got, want);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_sends_are_broadcast_in_seq_order() {
    let chat = Chat::builder(Arc::new(MemoryStore::new()))
        .limits(Limits::without_rate_limits())
        .hub(Arc::new(LocalHub::new(10_000)))
        .build();
    let (a, _) = register(&chat, "alice").await;
    let r = room(&chat, a, RoomKind::Public).await;
    let mut watcher = chat.connect(a, None).await.unwrap();
    drain(&mut watcher);
    let mut tasks = Vec::new();
    for t in 0..16 {
        let chat = chat.clone();
        tasks.push(tokio::spawn(async move {
            for i in 0..50 {
                chat.send_message(a, r.id, say(&format!("{t}-{i}")))
                    .await
                    .unwrap();
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let mut seqs = Vec::new();
    while seqs.len() < 800 {
        if let ServerEvent::MessageCreated { message } = next_event(&mut watcher).await {
            seqs.push(message.seq);
        }
    }
    let first = seqs[0];
    let want: Vec<i64> = (first..first + 800).collect();
    assert_eq!(
        seqs, want,
        "broadcast strictly in seq order, no gaps, no repeats"
    );
}
