//! Custom data (`extra`) through the real router over SQLite: REST and WebSocket sends
//! carry it into history and live events, rooms carry it in their views; non-objects
//! and oversized objects are refused with stable codes; by default (host-set only)
//! a user's `extra` is `forbidden`.
#![allow(clippy::unwrap_used)]

mod common;

use std::sync::Arc;

use chatcore::{Chat, Limits};
use chatcore_sqlite::SqliteStore;
use common::{Server, Setup};
use serde_json::json;

async fn server(dir: &tempfile::TempDir, client_extra: bool) -> Server {
    let store = SqliteStore::open(dir.path().join("chat.db")).await.unwrap();
    let chat = Chat::builder(Arc::new(store))
        .limits(Limits {
            client_extra,
            ..Limits::without_rate_limits()
        })
        .build();
    Server::start_with(Setup {
        chat: Some(chat),
        ..Setup::default()
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn extra_over_rest_and_websocket() {
    let dir = tempfile::tempdir().unwrap();
    let s = server(&dir, true).await;
    let alice = s.register("alice").await;
    let bob = s.register("bob").await;
    let r = s
        .post(
            &alice,
            "/rooms",
            json!({"kind": "public", "name": "shop", "extra": {"sku": "A-1"}}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.body["extra"], json!({"sku": "A-1"}));
    let room = r.body["id"].as_str().unwrap().to_owned();
    s.join(&bob, &room).await;
    let got = s.get(&bob, &format!("/rooms/{room}")).await;
    assert_eq!(got.body["extra"], json!({"sku": "A-1"}));

    let mut b = s.ws(&bob).await;
    let r = s
        .post(
            &alice,
            &format!("/rooms/{room}/messages"),
            json!({"body": "order", "extra": {"order": 17}}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.body["extra"], json!({"order": 17}));
    let ev = b.next_of(&["message_created"]).await;
    assert_eq!(ev["message"]["extra"], json!({"order": 17}));

    let mut a = s.ws(&alice).await;
    let sent = b
        .request(
            1,
            json!({"type": "send", "room": room, "nonce": "x-1", "body": "ws", "extra": {"k": [1, 2]}}),
        )
        .await;
    assert_eq!(sent["type"], "sent", "{sent}");
    let ev = a.next_of(&["message_created"]).await;
    assert_eq!(ev["message"]["extra"], json!({"k": [1, 2]}));
    let id = sent["message_id"].as_str().unwrap().to_owned();
    let ack = b
        .request(
            2,
            json!({"type": "edit", "message": id, "body": "ws", "extra": {"k": "edited"}}),
        )
        .await;
    assert_eq!(ack["type"], "ack", "{ack}");
    let ev = a.next_of(&["message_edited"]).await;
    assert_eq!(ev["message"]["extra"], json!({"k": "edited"}));
    let page = s.get(&alice, &format!("/rooms/{room}/messages")).await.body;
    let extras: Vec<_> = page["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["kind"] == "text")
        .map(|m| m["extra"].clone())
        .collect();
    assert_eq!(extras, vec![json!({"order": 17}), json!({"k": "edited"})]);

    // Objects only, at most 4 KiB.
    let r = s
        .post(
            &alice,
            &format!("/rooms/{room}/messages"),
            json!({"body": "x", "extra": [1]}),
        )
        .await;
    r.assert_error(422, "invalid_input");
    assert_eq!(r.body["error"]["field"], "extra");
    let big = "x".repeat(4096);
    s.post(
        &alice,
        &format!("/rooms/{room}/messages"),
        json!({"body": "x", "extra": {"k": big}}),
    )
    .await
    .assert_error(413, "too_large");
    let err = b
        .request(
            3,
            json!({"type": "send", "room": room, "nonce": "x-2", "body": "ws", "extra": "no"}),
        )
        .await;
    assert_eq!(
        (err["code"].clone(), err["field"].clone()),
        (json!("invalid_input"), json!("extra"))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn users_extra_is_forbidden_by_default() {
    let dir = tempfile::tempdir().unwrap();
    let s = server(&dir, false).await;
    let alice = s.register("alice").await;
    let room = s.room(&alice, "public", "General").await;
    s.post(
        &alice,
        &format!("/rooms/{room}/messages"),
        json!({"body": "x", "extra": {"a": 1}}),
    )
    .await
    .assert_error(403, "forbidden");
    let mut a = s.ws(&alice).await;
    let err = a
        .request(
            1,
            json!({"type": "send", "room": room, "nonce": "n", "body": "x", "extra": {"a": 1}}),
        )
        .await;
    assert_eq!(err["code"], "forbidden", "{err}");
    let page = s.get(&alice, &format!("/rooms/{room}/messages")).await.body;
    assert!(
        page["messages"]
            .as_array()
            .unwrap()
            .iter()
            .all(|m| m["kind"] != "text")
    );
}
