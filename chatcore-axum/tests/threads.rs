//! Threads end to end over a SQLite store, through the real WebSocket and REST: a
//! reply over the WebSocket reaches the other member with `thread_root`, followed by
//! `thread_updated`; the room's history leaves the thread-only reply out, the thread's
//! page (WebSocket and REST) has it; deleting it updates the summary; a resume
//! replays it.
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

fn ids(page: &Value) -> Vec<String> {
    page["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["kind"] == "text")
        .map(|m| m["id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thread_replies_live_paged_apart_and_replayed() {
    let dir = tempfile::tempdir().unwrap();
    let s = sqlite_server(&dir).await;
    let alice = s.register("alice").await;
    let bob = s.register("bob").await;
    let room = s.room(&alice, "public", "General").await;
    s.join(&bob, &room).await;
    let root = s.send(&alice, &room, "lunch?").await;
    let root_id = root["id"].as_str().unwrap().to_owned();
    let root_seq = root["seq"].as_i64().unwrap();

    let mut a = s.ws(&alice).await;
    let mut b = s.ws(&bob).await;
    let sent = b
        .request(
            1,
            json!({"type": "send", "room": room, "nonce": "t-1", "body": "yes", "thread_root": root_id}),
        )
        .await;
    assert_eq!(sent["type"], "sent", "{sent}");
    let reply_id = sent["message_id"].as_str().unwrap().to_owned();
    let ev = a.next_of(&["message_created"]).await;
    assert_eq!(ev["message"]["thread_root"], json!(root_id));
    assert!(ev["message"].get("also_in_room").is_none());
    let ev = a.next_of(&["thread_updated"]).await;
    assert_eq!(
        (ev["root"].clone(), ev["root_seq"].clone()),
        (json!(root_id), json!(root_seq))
    );
    assert_eq!(ev["thread"]["reply_count"], 1);
    assert_eq!(ev["thread"]["participants"], json!([bob.id]));

    // Also sent to the room, over REST.
    let r = s
        .post(
            &alice,
            &format!("/rooms/{room}/messages"),
            json!({"body": "noon", "thread_root": root_id, "also_in_room": true}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.body["also_in_room"], true);
    let both_id = r.body["id"].as_str().unwrap().to_owned();
    let ev = b
        .until(|e| e["type"] == "thread_updated" && e["thread"]["reply_count"] == 2)
        .await
        .pop()
        .unwrap();
    assert_eq!(ev["thread"]["participants"], json!([bob.id, alice.id]));

    // A reply to a reply is refused with its field.
    let err = b
        .request(
            2,
            json!({"type": "send", "room": room, "nonce": "t-2", "body": "no", "thread_root": reply_id}),
        )
        .await;
    assert_eq!(
        (
            err["type"].clone(),
            err["code"].clone(),
            err["field"].clone()
        ),
        (json!("error"), json!("invalid_input"), json!("thread_root"))
    );

    // The room's timeline leaves the thread-only reply out; the root has its summary.
    let page = s.get(&bob, &format!("/rooms/{room}/messages")).await.body;
    assert_eq!(ids(&page), [root_id.clone(), both_id.clone()]);
    assert_eq!(
        page["messages"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["id"] == json!(root_id))
            .unwrap()["thread"]["reply_count"],
        2
    );
    // The thread's page, over REST and the WebSocket.
    let t = s
        .get(&bob, &format!("/rooms/{room}/messages?thread={root_id}"))
        .await;
    assert_eq!(t.status, 200, "{}", t.body);
    assert_eq!(ids(&t.body), [reply_id.clone(), both_id.clone()]);
    assert_eq!(t.body["thread"], json!(root_id));
    let t = b
        .request(
            3,
            json!({"type": "history", "room": room, "thread": root_id}),
        )
        .await;
    assert_eq!(t["type"], "history", "{t}");
    assert_eq!(ids(&t), [reply_id.clone(), both_id.clone()]);
    let r = s
        .get(&bob, &format!("/rooms/{room}/messages?thread={reply_id}"))
        .await;
    r.assert_error(422, "invalid_input");

    // Deleting a reply updates the summary.
    let r = s
        .call(
            Some(&bob),
            Method::DELETE,
            &format!("/messages/{reply_id}"),
            None,
        )
        .await;
    assert!(r.status == 204 || r.status == 200, "{}", r.body);
    let alice_only = json!([alice.id]);
    let ev = a
        .until(|e| e["type"] == "thread_updated" && e["thread"]["participants"] == alice_only)
        .await
        .pop()
        .unwrap();
    assert_eq!(ev["thread"]["reply_count"], 1);

    // A resume replays every message after the seq, the thread-only reply included.
    drop(a);
    let mut a = s.ws(&alice).await;
    let replayed = {
        a.send(json!({"type": "resume", "id": 9, "rooms": {room.clone(): root_seq}}))
            .await;
        a.until(|e| e["type"] == "ack" && e["id"] == 9).await
    };
    let got: Vec<String> = replayed
        .iter()
        .filter(|e| e["type"] == "message_created")
        .map(|e| e["message"]["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(got, [reply_id, both_id]);
}
