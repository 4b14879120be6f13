//! Reactions end to end over a SQLite store: a member reacts over the WebSocket and
//! the other sees it live; REST takes percent-encoded emoji; history carries each
//! viewer's summary; a reconnecting client catches up by re-fetching history.
#![allow(clippy::unwrap_used)]

mod common;

use std::sync::Arc;

use chatcore::{Chat, Limits};
use chatcore_sqlite::SqliteStore;
use common::{Server, Setup};
use reqwest::Method;
use serde_json::{Value, json};

async fn sqlite_server(dir: &tempfile::TempDir) -> Server {
    let store = SqliteStore::open(dir.path().join("chat.db")).await.unwrap();
    let chat = Chat::builder(Arc::new(store))
        .limits(Limits::without_rate_limits())
        .build();
    Server::start_with(Setup {
        chat: Some(chat),
        ..Setup::default()
    })
    .await
}

fn reactions_of(page: &Value, id: &str) -> Value {
    let m = page["messages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["id"] == id)
        .unwrap();
    m.get("reactions").cloned().unwrap_or(json!([]))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reactions_live_in_history_and_after_a_reconnect() {
    let dir = tempfile::tempdir().unwrap();
    let s = sqlite_server(&dir).await;
    let alice = s.register("alice").await;
    let bob = s.register("bob").await;
    let room = s.room(&alice, "public", "General").await;
    s.join(&bob, &room).await;
    let msg = s.send(&alice, &room, "lunch?").await["id"]
        .as_str()
        .unwrap()
        .to_owned();

    let mut a = s.ws(&alice).await;
    let mut b = s.ws(&bob).await;
    let ack = b
        .request(1, json!({"type": "react", "message": msg, "emoji": "👍"}))
        .await;
    assert_eq!(ack["type"], "ack", "{ack}");
    let ev = a.next_of(&["reaction_added"]).await;
    assert_eq!(ev["message_id"], json!(msg));
    assert_eq!(ev["emoji"], "👍");
    assert_eq!(ev["user"], json!(bob.id));
    assert_eq!(ev["count"], 1);

    // REST, percent-encoded; again is no change.
    let path = format!("/messages/{msg}/reactions/%F0%9F%91%8D");
    for _ in 0..2 {
        let r = s.call(Some(&alice), Method::PUT, &path, None).await;
        assert_eq!(r.status, 204, "{}", r.body);
    }
    let alice_id = json!(alice.id);
    let ev = b
        .until(|e| e["type"] == "reaction_added" && e["user"] == alice_id)
        .await
        .pop()
        .unwrap();
    assert_eq!(
        (ev["user"].clone(), ev["count"].clone()),
        (json!(alice.id), json!(2))
    );

    // Not an emoji.
    let r = s
        .call(
            Some(&alice),
            Method::PUT,
            &format!("/messages/{msg}/reactions/ok"),
            None,
        )
        .await;
    r.assert_error(422, "invalid_input");
    let err = b
        .request(2, json!({"type": "react", "message": msg, "emoji": "👍👍"}))
        .await;
    assert_eq!(
        (err["type"].clone(), err["field"].clone()),
        (json!("error"), json!("emoji"))
    );

    // History: each viewer's `me`.
    let page = s.get(&bob, &format!("/rooms/{room}/messages")).await.body;
    assert_eq!(
        reactions_of(&page, &msg),
        json!([{"emoji": "👍", "count": 2, "me": true}])
    );

    // Alice goes away; Bob takes his back and adds another. After reconnecting, the
    // re-fetched history is current (the story PROTOCOL.md tells).
    drop(a);
    let ack = b
        .request(3, json!({"type": "unreact", "message": msg, "emoji": "👍"}))
        .await;
    assert_eq!(ack["type"], "ack");
    b.request(4, json!({"type": "react", "message": msg, "emoji": "🎉"}))
        .await;
    let mut a = s.ws(&alice).await;
    let page = a.request(5, json!({"type": "history", "room": room})).await;
    assert_eq!(
        reactions_of(&page, &msg),
        json!([{"emoji": "👍", "count": 1, "me": true}, {"emoji": "🎉", "count": 1, "me": false}])
    );
    let r = s.call(Some(&alice), Method::DELETE, &path, None).await;
    assert_eq!(r.status, 204);
    let ev = b
        .until(|e| e["type"] == "reaction_removed" && e["user"] == alice_id)
        .await
        .pop()
        .unwrap();
    assert_eq!(ev["count"], 0);
    let page = s.get(&alice, &format!("/rooms/{room}/messages")).await.body;
    assert_eq!(
        reactions_of(&page, &msg),
        json!([{"emoji": "🎉", "count": 1, "me": false}])
    );
}
