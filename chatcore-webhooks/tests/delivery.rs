//! Webhooks end to end: a receiver on loopback that fails the first three deliveries
//! and is down while the server restarts (SQLite file, a new `Chat`): every event
//! arrives at least once, in order per room, with a valid signature; a tampered body
//! is refused by the signature check.
#![allow(clippy::unwrap_used)]

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use chatcore::{Chat, Limits, NewRoom, Register, RoomKind, SendMessage, UserId};
use chatcore_webhooks::{
    EVENT_ID_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, WebhookConfig, Webhooks, sign, verify,
};
use futures::{FutureExt, StreamExt};
use parking_lot::Mutex;

const SECRET: &[u8] = b"test secret";
/// A guard against hangs, not a performance assertion.
const WAIT: Duration = Duration::from_secs(30);

#[derive(Default)]
struct Received {
    /// Valid requests seen (the first three are answered 500).
    valid: usize,
    /// (event id, room, body) of accepted deliveries, in arrival order.
    accepted: Vec<(String, String, String)>,
    /// Requests refused for a bad signature.
    refused: usize,
}

type Shared = Arc<Mutex<Received>>;

/// Every answer closes the connection, so that a receiver that is stopped is down
/// (no kept-alive connection outlives it).
async fn receive(
    State(got): State<Shared>,
    headers: HeaderMap,
    body: String,
) -> (StatusCode, [(axum::http::HeaderName, &'static str); 1]) {
    (
        check(&got, &headers, &body),
        [(axum::http::header::CONNECTION, "close")],
    )
}

fn check(got: &Shared, headers: &HeaderMap, body: &str) -> StatusCode {
    let h = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned()
    };
    let ts: i64 = h(TIMESTAMP_HEADER).parse().unwrap_or(0);
    let now = chrono::Utc::now().timestamp();
    let mut got = got.lock();
    if !verify(SECRET, ts, &h(SIGNATURE_HEADER), body.as_bytes(), now, 300) {
        got.refused += 1;
        return StatusCode::BAD_REQUEST;
    }
    got.valid += 1;
    if got.valid <= 3 {
        return StatusCode::INTERNAL_SERVER_ERROR;
    }
    let v: serde_json::Value = serde_json::from_str(body).unwrap();
    assert_eq!(v["id"].as_str().unwrap(), h(EVENT_ID_HEADER));
    let room = room_of(&v);
    got.accepted
        .push((h(EVENT_ID_HEADER), room, body.to_owned()));
    StatusCode::OK
}

fn room_of(v: &serde_json::Value) -> String {
    v.get("room")
        .and_then(|r| {
            r.as_str()
                .map(str::to_owned)
                .or_else(|| r["id"].as_str().map(str::to_owned))
        })
        .or_else(|| v["message"]["room_id"].as_str().map(str::to_owned))
        .unwrap()
}

/// Serve the receiver on `addr` until the returned handle is aborted.
async fn receiver(addr: SocketAddr, got: Shared) -> (SocketAddr, tokio::task::JoinHandle<()>) {
    let listener = tokio::net::TcpListener::bind(addr).await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = axum::Router::new()
        .route("/hook", axum::routing::post(receive))
        .with_state(got);
    let task = tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    (addr, task)
}

async fn open(path: &std::path::Path) -> Chat {
    let store = chatcore_sqlite::SqliteStore::open(path).await.unwrap();
    Chat::builder(Arc::new(store))
        .limits(Limits::without_rate_limits())
        .build()
}

fn config(addr: SocketAddr) -> WebhookConfig {
    WebhookConfig::new(format!("http://{addr}/hook"), SECRET)
        .backoff(Duration::from_millis(20), Duration::from_millis(200))
        .poll(Duration::from_millis(50))
        .max_attempts(1000)
}

type Events = std::pin::Pin<Box<dyn futures::Stream<Item = chatcore::events::DomainEvent> + Send>>;

/// The events emitted so far, (id, room) in emission order (an event is in the
/// stream once the call that made it returns).
fn drain(events: &mut Events) -> Vec<(String, String)> {
    let mut out = Vec::new();
    while let Some(Some(e)) = events.next().now_or_never() {
        out.push((e.id.to_string(), e.room().to_string()));
    }
    out
}

async fn user(chat: &Chat, name: &str) -> UserId {
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

async fn say(chat: &Chat, u: UserId, room: chatcore::RoomId, body: &str) {
    chat.send_message(
        u,
        room,
        SendMessage {
            body: body.into(),
            ..Default::default()
        },
    )
    .await
    .unwrap();
}

async fn wait_for(got: &Shared, what: &str, done: impl Fn(&Received) -> bool) {
    tokio::time::timeout(WAIT, async {
        while !done(&got.lock()) {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .unwrap_or_else(|_| panic!("timed out waiting for {what}"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_event_arrives_in_order_per_room_across_failures_and_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("chat.db");
    let got: Shared = Arc::default();
    let (addr, rx_task) = receiver("127.0.0.1:0".parse().unwrap(), got.clone()).await;

    // First run: two rooms, messages in both.
    let chat = open(&db).await;
    let mut seen1: Events = Box::pin(chat.events());
    let hooks = Webhooks::start(&chat, config(addr));
    let ann = user(&chat, "ann").await;
    let bob = user(&chat, "bob").await;
    let r1 = chat
        .create_room(ann, NewRoom::new(RoomKind::Public, "one"))
        .await
        .unwrap()
        .id;
    let r2 = chat
        .create_room(bob, NewRoom::new(RoomKind::Public, "two"))
        .await
        .unwrap()
        .id;
    chat.join_room(bob, r1, None).await.unwrap();
    for i in 0..5 {
        say(&chat, ann, r1, &format!("one {i}")).await;
        say(&chat, bob, r2, &format!("two {i}")).await;
    }
    let mut emitted = drain(&mut seen1);
    let first_run = emitted.len();
    wait_for(&got, "the first deliveries", |g| {
        g.accepted.len() >= first_run
    })
    .await;

    // The receiver goes down; more changes are made, then the server stops.
    rx_task.abort();
    let _ = rx_task.await;
    for i in 5..8 {
        say(&chat, ann, r1, &format!("one {i}")).await;
        say(&chat, bob, r2, &format!("two {i}")).await;
    }
    chat.kick(ann, r1, bob).await.unwrap();
    // Let the deliverer fail against the closed port a few times.
    tokio::time::sleep(Duration::from_millis(100)).await;
    hooks.shutdown().await;
    emitted.extend(drain(&mut seen1));
    let waiting = chat.store().pending_events(100).await.unwrap();
    assert!(
        waiting.len() >= 7,
        "events wait in the outbox over the restart"
    );
    assert!(waiting.iter().any(|e| e.attempts > 0), "and were tried");
    drop(chat);

    // Second run over the same database; the receiver comes back on the same port.
    let chat = open(&db).await;
    let mut seen2: Events = Box::pin(chat.events());
    let (_, _rx_task) = receiver(addr, got.clone()).await;
    let hooks = Webhooks::start(&chat, config(addr));
    say(&chat, ann, r1, "after restart").await;
    say(&chat, bob, r2, "after restart").await;
    emitted.extend(drain(&mut seen2));

    let ids: std::collections::HashSet<String> = emitted.iter().map(|(id, _)| id.clone()).collect();
    wait_for(&got, "every event", |g| {
        let arrived: std::collections::HashSet<&String> = g.accepted.iter().map(|a| &a.0).collect();
        ids.iter().all(|id| arrived.contains(id))
    })
    .await;
    hooks.shutdown().await;

    let g = got.lock();
    assert!(g.valid > 3, "the first three were refused and retried");
    assert_eq!(g.refused, 0, "every signature was valid");
    // In order per room: the first arrival of each event follows emission order.
    let mut by_room_emitted: HashMap<&str, Vec<&str>> = HashMap::new();
    for (id, room) in &emitted {
        by_room_emitted.entry(room).or_default().push(id);
    }
    let mut by_room_arrived: HashMap<&str, Vec<&str>> = HashMap::new();
    let mut first = std::collections::HashSet::new();
    for (id, room, _) in &g.accepted {
        if first.insert(id.as_str()) {
            by_room_arrived.entry(room).or_default().push(id);
        }
    }
    assert_eq!(by_room_emitted.len(), 2);
    for (room, want) in &by_room_emitted {
        assert_eq!(by_room_arrived.get(room), Some(want), "room {room}");
    }
    assert!(emitted.len() > 20, "{} events", emitted.len());
}

#[tokio::test]
async fn a_tampered_body_is_refused_by_the_signature_check() {
    let got: Shared = Arc::default();
    let (addr, _task) = receiver("127.0.0.1:0".parse().unwrap(), got.clone()).await;
    let http = reqwest::Client::builder().no_proxy().build().unwrap();
    let body = r#"{"id":"x","type":"room_deleted","room":"r"}"#;
    let ts = chrono::Utc::now().timestamp();
    let signature = sign(SECRET, ts, body.as_bytes());
    let tampered = body.replace("room_deleted", "room_created");
    let res = http
        .post(format!("http://{addr}/hook"))
        .header(TIMESTAMP_HEADER, ts.to_string())
        .header(SIGNATURE_HEADER, &signature)
        .body(tampered)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    // A replay of the signature with an old timestamp is refused as well.
    let old = ts - 3600;
    let res = http
        .post(format!("http://{addr}/hook"))
        .header(TIMESTAMP_HEADER, old.to_string())
        .header(SIGNATURE_HEADER, sign(SECRET, old, body.as_bytes()))
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    assert_eq!(got.lock().refused, 2);
}

/// The outbox is written by the `Chat` with each change (message events in the
/// change's own transaction), not by a task beside it: events made while no
/// deliverer runs, or with the deliverer dropped right after the change and the
/// process gone (no shutdown, no flush), are all delivered by the next run.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_survive_a_dropped_deliverer_and_a_dead_process() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("chat.db");
    let got: Shared = Arc::default();
    // The receiver's port, reserved then closed: down during the first run.
    let (addr, rx_task) = receiver("127.0.0.1:0".parse().unwrap(), got.clone()).await;
    rx_task.abort();
    let _ = rx_task.await;

    let store = chatcore_sqlite::SqliteStore::open(&db).await.unwrap();
    let chat = Chat::builder(Arc::new(store))
        .limits(Limits::without_rate_limits())
        .outbox(true)
        .build();
    let mut seen: Events = Box::pin(chat.events());
    let ann = user(&chat, "ann").await;
    let bob = user(&chat, "bob").await;
    let r = chat
        .create_room(ann, NewRoom::new(RoomKind::Public, "one"))
        .await
        .unwrap()
        .id;
    chat.join_room(bob, r, None).await.unwrap();
    // No deliverer at all for these.
    say(&chat, ann, r, "no deliverer").await;
    let m = chat
        .send_message(
            bob,
            r,
            SendMessage {
                body: "to edit".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    chat.edit_message(bob, m.id, "edited").await.unwrap();
    chat.delete_message(bob, m.id).await.unwrap();
    // A deliverer started, then dropped right after a change: no shutdown.
    let hooks = Webhooks::start(&chat, config(addr));
    say(&chat, ann, r, "then dropped").await;
    drop(hooks);
    chat.kick(ann, r, bob).await.unwrap();
    let emitted = drain(&mut seen);
    let queued = chat.store().pending_events(100).await.unwrap();
    let queued_ids: Vec<String> = queued.iter().map(|e| e.id.to_string()).collect();
    let emitted_ids: Vec<String> = emitted.iter().map(|(id, _)| id.clone()).collect();
    assert_eq!(
        queued_ids, emitted_ids,
        "every event is in the outbox under its stream id, in emission order"
    );
    let kinds: Vec<String> = queued
        .iter()
        .map(|e| {
            let v: serde_json::Value = serde_json::from_str(&e.payload).unwrap();
            v["type"].as_str().unwrap().to_owned()
        })
        .collect();
    for k in [
        "room_created",
        "member_joined",
        "message_created",
        "message_edited",
        "message_deleted",
        "member_kicked",
    ] {
        assert!(kinds.iter().any(|x| x == k), "{k} in {kinds:?}");
    }
    // The process dies: the chat and its store are dropped without any flush.
    drop(seen);
    drop(chat);

    // Next run: the receiver is up on the same port.
    let chat = open(&db).await;
    let (_, _rx_task) = receiver(addr, got.clone()).await;
    let hooks = Webhooks::start(&chat, config(addr));
    wait_for(&got, "every event of the first run", |g| {
        let arrived: std::collections::HashSet<&String> = g.accepted.iter().map(|a| &a.0).collect();
        emitted_ids.iter().all(|id| arrived.contains(id))
    })
    .await;
    hooks.shutdown().await;
    let g = got.lock();
    let mut first = std::collections::HashSet::new();
    let arrived: Vec<&str> = g
        .accepted
        .iter()
        .filter(|(id, _, _)| first.insert(id.as_str()))
        .map(|(id, _, _)| id.as_str())
        .collect();
    assert_eq!(arrived, emitted_ids, "in order (one room)");
    // The message_created payload carries the seq assigned in the transaction.
    let created: Vec<i64> = g
        .accepted
        .iter()
        .filter_map(|(_, _, body)| {
            let v: serde_json::Value = serde_json::from_str(body).unwrap();
            (v["type"] == "message_created").then(|| v["message"]["seq"].as_i64().unwrap())
        })
        .collect();
    assert!(created.windows(2).all(|w| w[0] < w[1]), "{created:?}");
    assert!(created.iter().all(|s| *s > 0), "{created:?}");
}
