//! Reconnect and resume: exactly the missed messages, in order, without duplicates,
//! while live messages race the replay.
#![allow(clippy::unwrap_used)]

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::{Server, Setup, seqs_of};
use serde_json::json;

/// When Bob sends `resume` after reconnecting.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Resume {
    /// Right after `hello`, while Alice's live messages are still coming.
    Immediately,
    /// After Alice's live messages were all published: they reached Bob's connection
    /// before the replay, which must not repeat them.
    AfterLive,
}

/// Bob reads live messages, disconnects, misses `missed` messages, reconnects while
/// Alice keeps sending `racing` more, and resumes from his last seq.
async fn resume_case(s: Server, missed: usize, racing: usize, when: Resume, in_order: bool) {
    let alice = s.register("alice").await;
    let bob = s.register("bob").await;
    let room = s.room(&alice, "public", "Busy").await;
    s.join(&bob, &room).await;

    let mut b = s.ws(&bob).await;
    let mut last = 0;
    for i in 0..3 {
        let m = s.send(&alice, &room, &format!("before {i}")).await;
        last = m["seq"].as_i64().unwrap();
    }
    b.until(|e| e["type"] == "message_created" && e["message"]["seq"] == last)
        .await;
    drop(b);

    for i in 0..missed {
        s.send(&alice, &room, &format!("missed {i}")).await;
    }

    // Alice keeps talking while Bob reconnects and replays.
    let s = Arc::new(s);
    let live = {
        let (s, alice, room) = (s.clone(), alice.clone(), room.clone());
        tokio::spawn(async move {
            let mut final_seq = 0;
            for i in 0..racing {
                let m = s.send(&alice, &room, &format!("live {i}")).await;
                final_seq = m["seq"].as_i64().unwrap();
                tokio::task::yield_now().await;
            }
            final_seq
        })
    };
    let mut b = s.ws(&bob).await;
    let final_seq = if when == Resume::AfterLive {
        let f = live.await.unwrap();
        b.send(json!({"type": "resume", "id": 7, "rooms": {room.clone(): last}}))
            .await;
        f
    } else {
        b.send(json!({"type": "resume", "id": 7, "rooms": {room.clone(): last}}))
            .await;
        live.await.unwrap()
    };
    let (mut acked, mut saw_final) = (false, false);
    let events = b
        .until(|e| {
            acked |= e["type"] == "ack" && e["id"] == 7;
            saw_final |= e["type"] == "message_created"
                && e["message"]["room_id"] == json!(room)
                && e["message"]["seq"] == final_seq;
            acked && saw_final
        })
        .await;
    let mut got = seqs_of(&events, &room);
    let want: Vec<i64> = (last + 1..=final_seq).collect();
    assert_eq!(want.len(), missed + racing);
    if in_order {
        assert_eq!(got, want, "missed {missed}, racing {racing}, {when:?}");
    } else {
        // Live messages delivered before the resume came in may precede the replay
        // (clients order by seq); still exactly once each.
        let n = got.len();
        got.sort_unstable();
        got.dedup();
        assert_eq!(got.len(), n, "duplicates delivered");
        assert_eq!(got, want, "missed {missed}, racing {racing}, {when:?}");
    }

    // Nothing else is pending: a ping comes back with no message before it.
    b.send(json!({"type": "ping", "id": 8})).await;
    let after = b.until(|e| e["type"] == "pong").await;
    assert!(seqs_of(&after, &room).is_empty(), "{after:?}");
}

#[tokio::test]
async fn resume_delivers_exactly_the_missed_messages_while_live_ones_race() {
    resume_case(Server::start().await, 25, 25, Resume::Immediately, true).await;
}

#[tokio::test]
async fn resume_after_live_messages_arrived_does_not_repeat_them() {
    // The live messages are held until the resume (the client's first command), then
    // dropped as already replayed: exactly once, in order.
    resume_case(Server::start().await, 20, 20, Resume::AfterLive, true).await;
}

#[tokio::test]
async fn resume_after_the_grace_period_still_delivers_each_message_once() {
    // No hold: the live messages are written before the resume arrives, and the
    // replay skips them.
    let mut setup = Setup::default();
    setup.config.ws.resume_grace = Duration::ZERO;
    resume_case(
        Server::start_with(setup).await,
        20,
        20,
        Resume::AfterLive,
        false,
    )
    .await;
}

#[tokio::test]
async fn resume_pages_through_long_gaps() {
    // Pages of 10: the replay needs several `missed` calls.
    let mut setup = Setup::default();
    setup.limits.history_page_max = 10;
    resume_case(
        Server::start_with(setup).await,
        47,
        30,
        Resume::Immediately,
        true,
    )
    .await;
}

#[tokio::test]
async fn join_with_since_replays_and_the_ack_comes_after() {
    let s = Server::start().await;
    let alice = s.register("alice").await;
    let bob = s.register("bob").await;
    let room = s.room(&alice, "public", "Busy").await;
    s.join(&bob, &room).await;
    let mut seqs = vec![];
    for i in 0..5 {
        seqs.push(
            s.send(&alice, &room, &format!("m{i}")).await["seq"]
                .as_i64()
                .unwrap(),
        );
    }
    let mut b = s.ws(&bob).await;
    b.send(json!({"type": "join", "id": 1, "room": room, "since": seqs[1]}))
        .await;
    let events = b.until(|e| e["type"] == "ack").await;
    assert_eq!(seqs_of(&events, &room), seqs[2..].to_vec());
    // Asking again replays nothing this connection already delivered.
    b.send(json!({"type": "join", "id": 2, "room": room, "since": seqs[1]}))
        .await;
    let events = b.until(|e| e["type"] == "ack").await;
    assert!(seqs_of(&events, &room).is_empty(), "{events:?}");
}

#[tokio::test]
async fn a_slow_consumer_is_closed_with_4008_and_catches_up_by_resuming() {
    let mut setup = Setup::default();
    // Hold live events long enough for the queue to overflow.
    setup.config.ws.resume_grace = Duration::from_secs(30);
    setup.config.ws.max_held_events = 4;
    let s = Server::start_with(setup).await;
    let alice = s.register("alice").await;
    let bob = s.register("bob").await;
    let room = s.room(&alice, "public", "Flood").await;
    s.join(&bob, &room).await;
    let start = s.get(&bob, &format!("/rooms/{room}")).await.body["last_seq"]
        .as_i64()
        .unwrap();

    let mut b = s.ws(&bob).await;
    let mut last = 0;
    for i in 0..10 {
        last = s.send(&alice, &room, &format!("flood {i}")).await["seq"]
            .as_i64()
            .unwrap();
    }
    assert_eq!(b.close_code().await, Some(4008));

    let mut b = s.ws(&bob).await;
    b.send(json!({"type": "resume", "id": 1, "rooms": {room.clone(): start}}))
        .await;
    let events = b.until(|e| e["type"] == "ack").await;
    assert_eq!(
        seqs_of(&events, &room),
        (start + 1..=last).collect::<Vec<_>>()
    );
}

/// 4008 is the answer to a client that stops reading: its queue overflowed, or its
/// socket took none of our bytes for two heartbeats. Not 4009 (the client was not
/// silent by choice: nothing reached it) and not 1000 (a client told "normal" may not
/// resume). The client reads again later and finds the close code after its backlog.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_stops_reading_is_closed_with_4008() {
    use futures::StreamExt;
    use tokio_tungstenite::tungstenite::Message;
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    let heartbeat = Duration::from_secs(1);
    let mut setup = Setup::default();
    setup.config.ws.heartbeat = heartbeat;
    setup.hub_queue = Some(64);
    let s = Server::start_with(setup).await;
    let alice = s.register("alice").await;
    let bob = s.register("bob").await;
    let room = s.room(&alice, "public", "Flood").await;
    s.join(&bob, &room).await;
    // Bob's socket takes little at a time (a small receive buffer), so that his
    // connection stalls after a few hundred KiB.
    let sock = tokio::net::TcpSocket::new_v4().unwrap();
    sock.set_recv_buffer_size(4096).unwrap();
    let tcp = sock.connect(s.addr).await.unwrap();
    let mut req = s.ws_url().into_client_request().unwrap();
    req.headers_mut().insert(
        "authorization",
        format!("Bearer {}", bob.token).parse().unwrap(),
    );
    let (mut ws, _) = tokio_tungstenite::client_async(req, tcp).await.unwrap();
    let opened = tokio::time::Instant::now();
    let hello = ws.next().await.unwrap().unwrap();
    assert!(hello.to_text().unwrap().contains("hello"));
    // Bob stops reading while Alice floods the room.
    let author: chatcore::UserId = alice.id.parse().unwrap();
    let room_id: chatcore::RoomId = room.parse().unwrap();
    let body = "x".repeat(3900);
    for _ in 0..1500 {
        s.chat
            .send_message(
                author,
                room_id,
                chatcore::SendMessage {
                    body: body.clone(),
                    reply_to: None,
                    nonce: None,
                    ..Default::default()
                },
            )
            .await
            .unwrap();
    }
    // Past the heartbeat timeout (his reader saw no pong) and the write timeout (his
    // socket took nothing), he reads again.
    tokio::time::sleep_until(opened + heartbeat * 3).await;
    let mut code = None;
    while let Some(Ok(msg)) = ws.next().await {
        if let Message::Close(frame) = msg {
            code = frame.map(|f| u16::from(f.code));
            break;
        }
    }
    assert_eq!(code, Some(4008));
}
