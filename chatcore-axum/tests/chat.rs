//! Two users chat over real WebSockets: messages, replies, edits, deletes, typing,
//! history, ping.
#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use common::{Server, Setup, Ws};
use serde_json::json;

#[tokio::test]
async fn two_users_chat_over_websockets() {
    let s = Server::start().await;
    let alice = s.register("alice").await;
    let bob = s.register("bob").await;
    let room = s.room(&alice, "public", "General").await;
    s.join(&bob, &room).await;

    let mut a = s.ws(&alice).await;
    let mut b = s.ws(&bob).await;
    assert_eq!(a.hello["protocol"], 1);
    assert_eq!(a.hello["user"]["username"], "alice");
    assert!(a.hello["rooms"].as_array().unwrap().contains(&json!(room)));
    assert!(a.hello["heartbeat_ms"].as_u64().unwrap() > 0);

    // Alice sends; she gets `sent` (nonce → id, seq) and both get the message.
    let sent = a
        .request(
            1,
            json!({"type": "send", "room": room, "nonce": "n-1", "body": "hi bob"}),
        )
        .await;
    assert_eq!(sent["type"], "sent", "{sent}");
    assert_eq!(sent["nonce"], "n-1");
    assert_eq!(sent["room"], json!(room));
    let seq = sent["seq"].as_i64().unwrap();
    let msg_id = sent["message_id"].as_str().unwrap().to_owned();

    let got = b.next_of(&["message_created"]).await;
    assert_eq!(got["message"]["body"], "hi bob");
    assert_eq!(got["message"]["seq"], seq);
    assert_eq!(got["message"]["author_id"], json!(alice.id));
    assert!(
        got["message"].get("client_nonce").is_none(),
        "nonces stay private"
    );

    // Bob replies.
    let sent = b
        .request(
            2,
            json!({"type": "send", "room": room, "nonce": "b-1", "body": "hello alice", "reply_to": msg_id}),
        )
        .await;
    assert_eq!(sent["type"], "sent", "{sent}");
    let reply = a
        .until(|e| e["type"] == "message_created" && e["message"]["body"] == "hello alice")
        .await;
    assert_eq!(reply.last().unwrap()["message"]["reply_to"], json!(msg_id));

    // Retrying with the same nonce does not post twice.
    let again = b
        .request(
            3,
            json!({"type": "send", "room": room, "nonce": "b-1", "body": "hello alice"}),
        )
        .await;
    assert_eq!(again["message_id"], sent["message_id"]);

    // Edit and delete reach the other side; acks echo the ids.
    let ack = a
        .request(
            4,
            json!({"type": "edit", "message": msg_id, "body": "hi bob!"}),
        )
        .await;
    assert_eq!(ack, json!({"type": "ack", "id": 4}));
    let edited = b.next_of(&["message_edited"]).await;
    assert_eq!(edited["message"]["body"], "hi bob!");
    let ack = a
        .request(5, json!({"type": "delete", "message": msg_id}))
        .await;
    assert_eq!(ack["type"], "ack");
    let deleted = b.next_of(&["message_deleted"]).await;
    assert_eq!(deleted["message_id"], json!(msg_id));
    assert_eq!(deleted["by"], json!(alice.id));

    // Bob may not edit Alice's message: an error event with his request id.
    let err = b
        .request(6, json!({"type": "edit", "message": msg_id, "body": "x"}))
        .await;
    assert_eq!(err["type"], "error");
    assert!(
        err["code"] == "forbidden" || err["code"] == "not_found",
        "{err}"
    );

    // History over the socket.
    let page = b
        .request(7, json!({"type": "history", "room": room, "limit": 10}))
        .await;
    assert_eq!(page["type"], "history");
    assert_eq!(page["room"], json!(room));
    let seqs: Vec<i64> = page["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["seq"].as_i64().unwrap())
        .collect();
    assert!(seqs.windows(2).all(|w| w[0] < w[1]), "{seqs:?}");
    assert_eq!(page["has_more"], false);

    // Application ping.
    let pong = a.request(8, json!({"type": "ping"})).await;
    assert_eq!(pong, json!({"type": "pong", "id": 8}));
}

#[tokio::test]
async fn typing_reaches_the_other_user_and_expires() {
    let mut setup = Setup::default();
    setup.limits.typing_ttl = Duration::from_millis(300);
    let s = Server::start_with(setup).await;
    let alice = s.register("alice").await;
    let bob = s.register("bob").await;
    let room = s.room(&alice, "private", "Plans").await;
    let code = s.get(&alice, &format!("/rooms/{room}/code")).await.body["code"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = s
        .post(&bob, "/rooms/join-by-code", json!({"code": code}))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);

    let mut a = s.ws(&alice).await;
    let mut b = s.ws(&bob).await;

    let ack = a
        .request(1, json!({"type": "typing_start", "room": room}))
        .await;
    assert_eq!(ack["type"], "ack", "{ack}");
    let start = b.next_of(&["typing"]).await;
    assert_eq!(start["user"], json!(alice.id));
    assert_eq!(start["typing"], true);
    assert_eq!(start["expires_in_ms"], 300);
    // Without a repeat, the server itself announces the stop.
    let stop = b.next_of(&["typing"]).await;
    assert_eq!(stop["user"], json!(alice.id));
    assert_eq!(stop["typing"], false);

    // An explicit stop is broadcast too.
    a.send(json!({"type": "typing_start", "room": room})).await;
    assert_eq!(b.next_of(&["typing"]).await["typing"], true);
    a.send(json!({"type": "typing_stop", "room": room})).await;
    assert_eq!(b.next_of(&["typing"]).await["typing"], false);
}

#[tokio::test]
async fn a_new_public_room_is_joined_over_the_socket_and_presence_is_announced() {
    let s = Server::start().await;
    let alice = s.register("alice").await;
    let bob = s.register("bob").await;
    let room = s.room(&alice, "public", "Lobby").await;

    let mut a = s.ws(&alice).await;
    let mut b = s.ws(&bob).await;
    // Bob joins over the socket: ack, and his connection receives the room.
    let ack = b.request(1, json!({"type": "join", "room": room})).await;
    assert_eq!(ack, json!({"type": "ack", "id": 1}));
    let joined = a.next_of(&["member_joined"]).await;
    assert_eq!(joined["member"]["user"]["id"], json!(bob.id));
    a.request(
        2,
        json!({"type": "send", "room": room, "nonce": "x", "body": "welcome"}),
    )
    .await;
    let got = b
        .until(|e| e["type"] == "message_created" && e["message"]["body"] == "welcome")
        .await;
    assert!(!got.is_empty());

    // Joining again on the same connection just (re)subscribes it.
    let ack = b.request(3, json!({"type": "join", "room": room})).await;
    assert_eq!(ack["type"], "ack");

    // Bob leaves; Alice sees him go, offline when his socket closes.
    let ack = b.request(4, json!({"type": "leave", "room": room})).await;
    assert_eq!(ack["type"], "ack");
    let removed = a.next_of(&["member_removed"]).await;
    assert_eq!(removed["reason"], "left");
    drop(b);

    // A second connection of Alice gets the same live events.
    let mut a2: Ws = s.ws(&alice).await;
    s.send(&alice, &room, "to every tab").await;
    for ws in [&mut a, &mut a2] {
        ws.until(|e| e["type"] == "message_created" && e["message"]["body"] == "to every tab")
            .await;
    }
}

/// WebSocket `error` events name the offending field, as the REST error bodies do.
#[tokio::test]
async fn websocket_errors_name_the_field() {
    let s = Server::start().await;
    let alice = s.register("alice").await;
    let room = s.room(&alice, "public", "General").await;
    let mut a = s.ws(&alice).await;
    let err = a
        .request(
            1,
            json!({"type": "send", "room": room, "nonce": "n-1", "body": "  "}),
        )
        .await;
    assert_eq!(err["type"], "error", "{err}");
    assert_eq!(err["code"], "invalid_input");
    assert_eq!(err["field"], "body");
    let err = a
        .request(
            2,
            json!({"type": "send", "room": room, "nonce": "n-2", "body": "x".repeat(4001)}),
        )
        .await;
    assert_eq!(err["code"], "too_large", "{err}");
    assert_eq!(err["field"], "body");
    // Errors about no field leave it out.
    let err = a
        .request(3, json!({"type": "join", "room": uuid::Uuid::new_v4()}))
        .await;
    assert_eq!(err["code"], "not_found", "{err}");
    assert!(err.get("field").is_none(), "{err}");
}
