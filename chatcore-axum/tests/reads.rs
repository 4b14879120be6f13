//! Read state end to end: the real router and WebSocket over a SQLite file.
#![allow(clippy::unwrap_used)]

mod common;

use std::sync::Arc;

use chatcore::{Chat, Limits, RoomId, UserId};
use chatcore_sqlite::SqliteStore;
use common::{Server, Setup, User};
use serde_json::{Value, json};

async fn sqlite_server() -> (Server, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path().join("chat.db")).await.unwrap();
    let chat = Chat::builder(Arc::new(store))
        .limits(Limits::without_rate_limits())
        .build();
    let server = Server::start_with(Setup {
        chat: Some(chat),
        ..Setup::default()
    })
    .await;
    (server, dir)
}

/// The user's `read` of `room` in `GET /me/rooms`.
async fn listed(s: &Server, user: &User, room: &str) -> Value {
    let r = s.get(user, "/me/rooms").await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.body["public"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["id"] == room)
        .unwrap()["read"]
        .clone()
}

fn hello_state(hello: &Value, room: &str) -> Value {
    hello["read_states"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["room"] == room)
        .cloned()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reading_on_one_connection_clears_the_other() {
    let (s, _dir) = sqlite_server().await;
    let alice = s.register("alice").await;
    let bob = s.register("bob").await;
    let room = s.room(&alice, "public", "general").await;
    s.join(&bob, &room).await;
    let mut alice_ws = s.ws(&alice).await;
    let mut phone = s.ws(&bob).await;
    let mut laptop = s.ws(&bob).await;
    assert_eq!(hello_state(&laptop.hello, &room)["unread"], 0);
    // Live events flow once a connection has sent its first command.
    for ws in [&mut alice_ws, &mut phone, &mut laptop] {
        ws.request(0, json!({"type": "ping"})).await;
    }

    let m = s.send(&alice, &room, "hi @bob").await;
    assert_eq!(m["mentions"], json!([bob.id]));
    let seq = m["seq"].as_i64().unwrap();
    for ws in [&mut phone, &mut laptop] {
        let ev = ws.next_of(&["message_created"]).await;
        assert_eq!(ev["message"]["seq"], seq);
        assert_eq!(ev["message"]["mentions"], json!([bob.id]));
    }
    let read = listed(&s, &bob, &room).await;
    assert_eq!(
        (read["unread"].as_u64(), read["mentions"].as_u64()),
        (Some(1), Some(1))
    );
    // A third device sees the same in its hello.
    let tablet = s.ws(&bob).await;
    assert_eq!(hello_state(&tablet.hello, &room)["unread"], 1);

    phone
        .send(json!({"type": "mark_read", "id": 1, "room": room, "seq": seq}))
        .await;
    // The phone gets its `ack` and its own `read_state`, in either order.
    let (mut acked, mut told) = (false, false);
    while !(acked && told) {
        let ev = phone.next().await;
        acked |= ev["type"] == "ack" && ev["id"] == 1;
        told |= ev["type"] == "read_state" && ev["unread"] == 0;
        assert_ne!(ev["type"], "error", "{ev}");
    }
    let ev = laptop.next_of(&["read_state"]).await;
    assert_eq!(
        ev,
        json!({"type": "read_state", "room": room, "last_read_seq": seq, "last_seq": seq,
               "unread": 0, "mentions": 0, "notifications": "all"})
    );
    // Alice sees that bob has read it (a small room: receipts are shown).
    let ev = alice_ws.next_of(&["receipt"]).await;
    assert_eq!(
        ev,
        json!({"type": "receipt", "room": room, "user": bob.id, "seq": seq})
    );
    let r = s.get(&alice, &format!("/rooms/{room}/receipts")).await;
    assert_eq!(r.body, json!([{"room": room, "user": bob.id, "seq": seq}]));
    assert_eq!(listed(&s, &bob, &room).await["unread"], 0);

    // Written by the flush: a new service over the same database sees it.
    s.chat.flush_read_positions().await.unwrap();
    let room_id: RoomId = room.parse().unwrap();
    let bob_id: UserId = bob.id.parse().unwrap();
    assert_eq!(
        s.chat.store().read_position(room_id, bob_id).await.unwrap(),
        Some(seq)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rest_read_and_unread() {
    let (s, _dir) = sqlite_server().await;
    let alice = s.register("alice").await;
    let bob = s.register("bob").await;
    let room = s.room(&alice, "public", "general").await;
    s.join(&bob, &room).await;
    let mut ws = s.ws(&bob).await;
    ws.request(0, json!({"type": "ping"})).await;
    let first = s.send(&alice, &room, "one").await["seq"].as_i64().unwrap();
    let second = s.send(&alice, &room, "two").await["seq"].as_i64().unwrap();
    s.send(&bob, &room, "mine").await;

    let r = s
        .post(&bob, &format!("/rooms/{room}/read"), json!({"seq": second}))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        (r.body["last_read_seq"].as_i64(), r.body["unread"].as_u64()),
        (Some(second), Some(0))
    );
    assert_eq!(ws.next_of(&["read_state"]).await["unread"], 0);

    let r = s
        .post(
            &bob,
            &format!("/rooms/{room}/unread"),
            json!({"seq": first}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        (r.body["last_read_seq"].as_i64(), r.body["unread"].as_u64()),
        (Some(first - 1), Some(2))
    );
    assert_eq!(ws.next_of(&["read_state"]).await["unread"], 2);

    s.post(&bob, &format!("/rooms/{room}/unread"), json!({"seq": 0}))
        .await
        .assert_error(422, "invalid_input");
    s.post(&bob, &format!("/rooms/{room}/read"), json!({"seq": -1}))
        .await
        .assert_error(422, "invalid_input");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn notification_setting_over_rest_and_websocket() {
    let (s, _dir) = sqlite_server().await;
    let alice = s.register("alice").await;
    let bob = s.register("bob").await;
    let room = s.room(&alice, "public", "general").await;
    s.join(&bob, &room).await;
    let mut phone = s.ws(&bob).await;
    let mut laptop = s.ws(&bob).await;
    assert_eq!(hello_state(&phone.hello, &room)["notifications"], "all");
    assert_eq!(listed(&s, &bob, &room).await["notifications"], "all");
    for ws in [&mut phone, &mut laptop] {
        ws.request(0, json!({"type": "ping"})).await;
    }

    // REST: the answer and every connection carry the new setting.
    let path = format!("/rooms/{room}/notifications");
    let r = s
        .call(
            Some(&bob),
            reqwest::Method::PUT,
            &path,
            Some(json!({"level": "none"})),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["notifications"], "none");
    for ws in [&mut phone, &mut laptop] {
        assert_eq!(ws.next_of(&["read_state"]).await["notifications"], "none");
    }
    // Muted still counts.
    s.send(&alice, &room, "hi").await;
    let read = listed(&s, &bob, &room).await;
    assert_eq!(
        (read["notifications"].as_str(), read["unread"].as_u64()),
        (Some("none"), Some(1))
    );

    // WebSocket: ack, and the other device hears of it.
    let ack = phone
        .request(
            7,
            json!({"type": "set_notifications", "room": room, "level": "mentions"}),
        )
        .await;
    assert_eq!(ack, json!({"type": "ack", "id": 7}));
    assert_eq!(
        laptop.next_of(&["read_state"]).await["notifications"],
        "mentions"
    );
    let tablet = s.ws(&bob).await;
    assert_eq!(
        hello_state(&tablet.hello, &room)["notifications"],
        "mentions"
    );
    // Alice's own setting is untouched.
    assert_eq!(listed(&s, &alice, &room).await["notifications"], "all");

    // Not a level: refused, nothing changed.
    s.call(
        Some(&bob),
        reqwest::Method::PUT,
        &path,
        Some(json!({"level": "loud"})),
    )
    .await
    .assert_error(422, "invalid_input");
    let err = phone
        .request(
            8,
            json!({"type": "set_notifications", "room": room, "level": "loud"}),
        )
        .await;
    assert_eq!(err["type"], "error", "{err}");
    assert_eq!(listed(&s, &bob, &room).await["notifications"], "mentions");
}
