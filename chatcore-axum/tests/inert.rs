//! HTML and script in every free-text field come back as inert data: stored and
//! returned unchanged as JSON strings, in `application/json` responses and WebSocket
//! text frames; never interpreted, never stripped into something else. Fields with a
//! grammar (usernames, URLs, room codes) refuse markup instead.
#![allow(clippy::unwrap_used)]

mod common;

use common::{Resp, Server};
use reqwest::Method;
use serde_json::{Value, json};

/// Short enough for every name field (64 characters).
const XSS: &str = r#"<script>alert(1)</script><img src=x onerror='alert(2)'>&amp;"#;

#[track_caller]
fn json_response(r: &Resp) {
    assert_eq!(
        r.headers.get("content-type").and_then(|v| v.to_str().ok()),
        Some("application/json"),
        "{}",
        r.body
    );
}

#[tokio::test]
async fn markup_in_every_text_field_is_returned_unchanged_as_json_data() {
    let s = Server::start().await;
    // Display name at registration.
    let r = s
        .call(
            None,
            Method::POST,
            "/auth/register",
            Some(
                json!({"username": "alice", "password": "tulip radar canyon", "display_name": XSS}),
            ),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    json_response(&r);
    assert_eq!(r.body["user"]["display_name"], XSS);
    let alice = common::User {
        id: r.body["user"]["id"].as_str().unwrap().to_owned(),
        name: "alice".into(),
        token: r.body["token"].as_str().unwrap().to_owned(),
    };
    let bob = s.register("bob").await;

    // Profile: display name and bio.
    let r = s
        .call(
            Some(&bob),
            Method::PATCH,
            "/me",
            Some(json!({"display_name": XSS, "bio": XSS})),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["display_name"], XSS);
    assert_eq!(r.body["bio"], XSS);
    let r = s.get(&alice, &format!("/users/{}", bob.id)).await;
    json_response(&r);
    assert_eq!(r.body["display_name"], XSS);
    assert_eq!(r.body["bio"], XSS);

    // Room name and description.
    let r = s
        .post(
            &alice,
            "/rooms",
            json!({"kind": "public", "name": XSS, "description": XSS}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let room = r.body["id"].as_str().unwrap().to_owned();
    let r = s.get(&bob, &format!("/rooms/{room}")).await;
    json_response(&r);
    assert_eq!(r.body["name"], XSS);
    assert_eq!(r.body["description"], XSS);
    let r = s.get(&bob, "/rooms").await;
    assert!(r.body.to_string().contains(&json!(XSS).to_string()));
    s.join(&bob, &room).await;

    // Messages, over REST and the WebSocket, and their edits.
    let mut ws = s.ws(&bob).await;
    ws.send(json!({"type": "ping", "id": 1})).await;
    let sent = s.send(&alice, &room, XSS).await;
    assert_eq!(sent["body"], XSS);
    let ev = ws.next_of(&["message_created"]).await;
    assert_eq!(ev["message"]["body"], XSS);
    let reply = ws
        .request(
            2,
            json!({"type": "send", "room": room, "nonce": "x", "body": XSS}),
        )
        .await;
    assert_eq!(reply["type"], "sent", "{reply}");
    let id = sent["id"].as_str().unwrap();
    let edit = format!("{XSS} (edited)");
    let r = s
        .call(
            Some(&alice),
            Method::PATCH,
            &format!("/messages/{id}"),
            Some(json!({"body": edit})),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["body"], edit.as_str());
    let ev = ws.next_of(&["message_edited", "message_updated"]).await;
    assert!(ev.to_string().contains(&json!(edit).to_string()), "{ev}");
    let r = s.get(&bob, &format!("/rooms/{room}/messages")).await;
    json_response(&r);
    let bodies: Vec<&Value> = r.body["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| &m["body"])
        .collect();
    assert!(bodies.contains(&&json!(edit)), "{bodies:?}");
    assert!(bodies.contains(&&json!(XSS)), "{bodies:?}");

    // A ban reason.
    let carol = s.register("carol").await;
    let r = s
        .post(
            &alice,
            &format!("/rooms/{room}/bans"),
            json!({"user_id": carol.id, "reason": XSS}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let r = s.get(&alice, &format!("/rooms/{room}/bans")).await;
    json_response(&r);
    assert_eq!(r.body[0]["reason"], XSS);

    // Members list shows the display names unchanged.
    let r = s.get(&alice, &format!("/rooms/{room}/members")).await;
    json_response(&r);
    assert!(r.body.to_string().contains(&json!(XSS).to_string()));

    // The raw bytes are JSON-escaped text, never a live tag in an HTML response.
    let raw = s
        .req(Method::GET, &format!("/rooms/{room}"))
        .bearer_auth(&bob.token)
        .send()
        .await
        .unwrap();
    assert_eq!(
        raw.headers()["content-type"].to_str().unwrap(),
        "application/json"
    );
    let text = raw.text().await.unwrap();
    assert!(!text.trim_start().starts_with('<'), "{text}");
}

#[tokio::test]
async fn fields_with_a_grammar_refuse_markup() {
    let s = Server::start().await;
    let alice = s.register("alice").await;
    let r = s
        .call(
            None,
            Method::POST,
            "/auth/register",
            Some(json!({"username": "<script>", "password": "tulip radar canyon"})),
        )
        .await;
    r.assert_error(422, "invalid_input");
    for url in [
        "javascript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
    ] {
        let r = s
            .call(
                Some(&alice),
                Method::PATCH,
                "/me",
                Some(json!({"avatar_url": url})),
            )
            .await;
        r.assert_error(422, "invalid_input");
        let r = s
            .post(
                &alice,
                "/rooms",
                json!({"kind": "public", "name": "R", "avatar_url": url}),
            )
            .await;
        r.assert_error(422, "invalid_input");
    }
    let r = s
        .post(&alice, "/rooms/join-by-code", json!({"code": "<b>x</b>"}))
        .await;
    r.assert_error(422, "invalid_input");
}
