//! Bans and kicks take effect on open sockets at once; private rooms stay private.
#![allow(clippy::unwrap_used)]

mod common;

use common::Server;
use serde_json::json;

#[tokio::test]
async fn a_ban_removes_the_subscription_at_once_and_blocks_rejoining() {
    let s = Server::start().await;
    let alice = s.register("alice").await;
    let bob = s.register("bob").await;
    let room = s.room(&alice, "public", "Town").await;
    s.join(&bob, &room).await;
    // A direct room: the sentinel that proves later events reach Bob at all.
    let dm = s.post(&alice, "/direct", json!({"username": "bob"})).await;
    assert_eq!(dm.status, 200, "{}", dm.body);
    let dm = dm.body["id"].as_str().unwrap().to_owned();

    let mut a = s.ws(&alice).await;
    let mut b = s.ws(&bob).await;

    let r = s
        .post(
            &alice,
            &format!("/rooms/{room}/bans"),
            json!({"user_id": bob.id, "reason": "spam"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.body["user_id"], json!(bob.id));
    assert_eq!(r.body["reason"], "spam");

    // Bob's open socket is told, then stops receiving the room.
    let removed = b.next_of(&["member_removed"]).await;
    assert_eq!(removed["room"], json!(room));
    assert_eq!(removed["user"], json!(bob.id));
    assert_eq!(removed["reason"], "banned");
    assert_eq!(removed["by"], json!(alice.id));
    let seen = a.next_of(&["member_removed"]).await;
    assert_eq!(seen["user"], json!(bob.id));

    s.send(&alice, &room, "after the ban").await;
    s.send(&alice, &dm, "sentinel").await;
    let events = b
        .until(|e| e["type"] == "message_created" && e["message"]["body"] == "sentinel")
        .await;
    assert!(
        events
            .iter()
            .all(|e| e["room"] != json!(room) && e["message"]["room_id"] != json!(room)),
        "a banned user still received the room: {events:?}"
    );

    // No way back in: REST and WebSocket both answer `banned`.
    let r = s
        .post(&bob, &format!("/rooms/{room}/join"), json!({}))
        .await;
    r.assert_error(403, "banned");
    let err = b.request(1, json!({"type": "join", "room": room})).await;
    assert_eq!(err["type"], "error");
    assert_eq!(err["code"], "banned");
    // Nor may he read or type there any more.
    s.get(&bob, &format!("/rooms/{room}/messages"))
        .await
        .assert_error(403, "forbidden");
    let err = b
        .request(2, json!({"type": "typing_start", "room": room}))
        .await;
    assert_eq!(err["code"], "forbidden");

    // The ban is listed; lifting it lets him back in.
    let bans = s.get(&alice, &format!("/rooms/{room}/bans")).await;
    assert_eq!(bans.status, 200);
    assert_eq!(bans.body.as_array().unwrap().len(), 1);
    let r = s
        .call(
            Some(&alice),
            reqwest::Method::DELETE,
            &format!("/rooms/{room}/bans/{}", bob.id),
            None,
        )
        .await;
    assert_eq!(r.status, 204, "{}", r.body);
    let ack = b.request(3, json!({"type": "join", "room": room})).await;
    assert_eq!(ack["type"], "ack", "{ack}");
}

#[tokio::test]
async fn a_kick_removes_the_subscription_but_allows_rejoining() {
    let s = Server::start().await;
    let alice = s.register("alice").await;
    let bob = s.register("bob").await;
    let room = s.room(&alice, "public", "Town").await;
    s.join(&bob, &room).await;
    let mut b = s.ws(&bob).await;

    let r = s
        .call(
            Some(&alice),
            reqwest::Method::POST,
            &format!("/rooms/{room}/members/{}/kick", bob.id),
            None,
        )
        .await;
    assert_eq!(r.status, 204, "{}", r.body);
    let removed = b.next_of(&["member_removed"]).await;
    assert_eq!(removed["reason"], "kicked");
    // Bob still gets his own pings answered, but not the room's messages.
    s.send(&alice, &room, "without bob").await;
    let pong = b.request(1, json!({"type": "ping"})).await;
    assert_eq!(pong["type"], "pong");
    let ack = b
        .request(2, json!({"type": "join", "room": room, "since": 0}))
        .await;
    assert_eq!(ack["type"], "ack", "{ack}");
}

#[tokio::test]
async fn non_members_cannot_read_a_private_room() {
    let s = Server::start().await;
    let alice = s.register("alice").await;
    let carol = s.register("carol").await;
    let room = s.room(&alice, "private", "Secret").await;
    s.send(&alice, &room, "for members only").await;

    // REST: the room does not exist for Carol.
    s.get(&carol, &format!("/rooms/{room}/messages"))
        .await
        .assert_error(404, "not_found");
    s.get(&carol, &format!("/rooms/{room}"))
        .await
        .assert_error(404, "not_found");
    s.get(&carol, &format!("/rooms/{room}/members"))
        .await
        .assert_error(404, "not_found");
    s.post(&carol, &format!("/rooms/{room}/join"), json!({}))
        .await
        .assert_error(404, "not_found");

    // WebSocket: error events, never the messages.
    let mut c = s.ws(&carol).await;
    let err = c.request(1, json!({"type": "history", "room": room})).await;
    assert_eq!(err["type"], "error");
    assert_eq!(err["code"], "not_found");
    let err = c
        .request(2, json!({"type": "join", "room": room, "since": 0}))
        .await;
    assert_eq!(err["code"], "not_found");
    let mut resume = vec![];
    c.send(json!({"type": "resume", "id": 3, "rooms": {room.clone(): 0}}))
        .await;
    while resume
        .last()
        .is_none_or(|e: &serde_json::Value| e["type"] != "ack")
    {
        resume.push(c.next().await);
    }
    assert_eq!(resume.len(), 2, "{resume:?}");
    assert_eq!(resume[0]["code"], "not_found");
    assert_eq!(resume[0]["id"], 3);
    assert!(resume.iter().all(|e| e["type"] != "message_created"));
    let err = c
        .request(
            4,
            json!({"type": "send", "room": room, "nonce": "x", "body": "let me in"}),
        )
        .await;
    assert_eq!(err["code"], "not_found");
}
