//! Before-send hooks through the real WebSocket: a blocked word is refused with the
//! hook's code and is in no one's history; a rewrite is stored rewritten.
#![allow(clippy::unwrap_used)]

mod common;

use std::sync::Arc;

use async_trait::async_trait;
use chatcore::hooks::{FilterInput, MessageFilter, Verdict};
use chatcore::{Chat, Limits, MemoryStore};
use common::{Server, Setup};
use serde_json::{Value, json};

/// An application's hook: refuses "forbidden fruit" with its own code, rewrites
/// "heck" into "h*ck".
struct AppFilter;

#[async_trait]
impl MessageFilter for AppFilter {
    async fn check(&self, input: &FilterInput<'_>) -> chatcore::Result<Verdict> {
        if input.body.contains("forbidden fruit") {
            return Ok(Verdict::Reject {
                code: "app_no_fruit",
                message: "no fruit here".into(),
            });
        }
        if input.body.contains("heck") {
            return Ok(Verdict::Rewrite(input.body.replace("heck", "h*ck")));
        }
        Ok(Verdict::Allow)
    }
}

async fn server() -> Server {
    let chat = Chat::builder(Arc::new(MemoryStore::new()))
        .limits(Limits::without_rate_limits())
        .blocklist(["badword"])
        .max_links(1)
        .filter(Arc::new(AppFilter))
        .build();
    Server::start_with(Setup {
        chat: Some(chat),
        ..Setup::default()
    })
    .await
}

fn bodies(history: &Value) -> Vec<String> {
    history["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["kind"] == "text")
        .map(|m| m["body"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn blocked_words_are_refused_and_rewrites_stored_over_the_websocket() {
    let s = server().await;
    let alice = s.register("alice").await;
    let bob = s.register("bob").await;
    let room = s.room(&alice, "public", "General").await;
    s.join(&bob, &room).await;
    let r = s
        .call(
            Some(&alice),
            reqwest::Method::PUT,
            &format!("/rooms/{room}/blocklist"),
            Some(json!({"entries": ["Rude*"]})),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["entries"], json!(["rude*"]));

    let mut a = s.ws(&alice).await;
    let mut b = s.ws(&bob).await;

    // Refused: the global list, the room's list, the link limit, the app's hook.
    let cases = [
        ("a BADWORD here", "blocked_content"),
        ("how rudely", "blocked_content"),
        ("http://a.example https://b.example", "too_many_links"),
        ("the forbidden fruit", "app_no_fruit"),
    ];
    for (i, (body, code)) in cases.iter().enumerate() {
        let id = i as u64 + 1;
        let ev = b
            .request(
                id,
                json!({"type": "send", "room": room, "nonce": format!("n{id}"), "body": body}),
            )
            .await;
        assert_eq!(ev["type"], "error", "{ev}");
        assert_eq!(ev["code"], *code, "{ev}");
        assert_eq!(ev["id"], id);
    }
    assert_eq!(
        b.request(
            9,
            json!({"type": "send", "room": room, "nonce": "x", "body": "the forbidden fruit"})
        )
        .await["message"],
        "no fruit here",
        "the hook's message reaches the sender"
    );

    // A rewrite is stored (and broadcast) rewritten.
    let sent = b
        .request(
            10,
            json!({"type": "send", "room": room, "nonce": "ok", "body": "oh heck"}),
        )
        .await;
    assert_eq!(sent["type"], "sent", "{sent}");
    let got = a.next_of(&["message_created"]).await;
    assert_eq!(
        got["message"]["body"], "oh h*ck",
        "the first broadcast is the rewrite"
    );

    // An edit goes through the hooks too.
    let ev = b
        .request(
            11,
            json!({"type": "edit", "message": sent["message_id"], "body": "rude edit"}),
        )
        .await;
    assert_eq!(ev["code"], "blocked_content", "{ev}");

    // No one's history has the refused messages; REST refuses them the same way.
    for user in [&alice, &bob] {
        let h = s.get(user, &format!("/rooms/{room}/messages")).await;
        assert_eq!(bodies(&h.body), ["oh h*ck"], "{}", user.name);
    }
    s.post(
        &alice,
        &format!("/rooms/{room}/messages"),
        json!({"body": "badword"}),
    )
    .await
    .assert_error(422, "blocked_content");
}
