//! Every error status, each in the one JSON shape; bad input never yields a 500.
#![allow(clippy::unwrap_used)]

mod common;

use common::{Server, Setup};
use reqwest::Method;
use serde_json::json;

#[tokio::test]
async fn bad_requests_are_400() {
    let s = Server::start().await;
    let alice = s.register("alice").await;

    // Malformed JSON.
    let r = s
        .req(Method::POST, "/rooms")
        .bearer_auth(&alice.token)
        .header("content-type", "application/json")
        .body("{\"kind\": \"public\", \"name\": ")
        .send()
        .await
        .unwrap();
    common::Resp::from(r)
        .await
        .assert_error(400, "malformed_json");

    // Well-formed JSON that is not an object (serde alone would read `[null, null]`
    // as the fields of a struct, in order).
    for body in [json!([null, null]), json!("x"), json!(3)] {
        let r = s.call(Some(&alice), Method::PATCH, "/me", Some(body)).await;
        r.assert_error(422, "invalid_input");
        assert_eq!(r.body["error"]["field"], "body");
    }

    // A path parameter that is not an id (hyphenated UUIDs only).
    s.get(&alice, &format!("/rooms/{}", uuid::Uuid::new_v4().simple()))
        .await
        .assert_error(400, "bad_request");
    s.get(&alice, "/rooms/not-a-uuid")
        .await
        .assert_error(400, "bad_request");
    s.get(&alice, "/users/123")
        .await
        .assert_error(400, "bad_request");
    // A query parameter of the wrong type.
    s.get(&alice, "/rooms?limit=lots")
        .await
        .assert_error(400, "bad_request");
    let room = s.room(&alice, "public", "R").await;
    s.get(&alice, &format!("/rooms/{room}/messages?before=x"))
        .await
        .assert_error(400, "bad_request");
}

#[tokio::test]
async fn unauthenticated_is_401() {
    let s = Server::start().await;
    let r = s.call(None, Method::GET, "/me", None).await;
    r.assert_error(401, "unauthenticated");
    assert_eq!(r.headers.get("www-authenticate").unwrap(), "Bearer");

    let r = s
        .http
        .get(s.url("/me"))
        .bearer_auth("not-a-token")
        .send()
        .await
        .unwrap();
    common::Resp::from(r)
        .await
        .assert_error(401, "unauthenticated");
    let r = s
        .http
        .get(s.url("/me"))
        .header("authorization", "Basic Zm9vOmJhcg==")
        .send()
        .await
        .unwrap();
    common::Resp::from(r)
        .await
        .assert_error(401, "unauthenticated");

    s.register("alice").await;
    s.call(
        None,
        Method::POST,
        "/auth/login",
        Some(json!({"username": "alice", "password": "wrong-password"})),
    )
    .await
    .assert_error(401, "unauthenticated");
    s.call(
        None,
        Method::POST,
        "/auth/login",
        Some(json!({"username": "nobody", "password": "tulip radar canyon"})),
    )
    .await
    .assert_error(401, "unauthenticated");
}

#[tokio::test]
async fn forbidden_is_403() {
    let s = Server::start().await;
    let alice = s.register("alice").await;
    let bob = s.register("bob").await;
    let room = s.room(&alice, "public", "R").await;
    s.join(&bob, &room).await;
    // A member may not delete the room or see its bans.
    s.call(Some(&bob), Method::DELETE, &format!("/rooms/{room}"), None)
        .await
        .assert_error(403, "forbidden");
    s.get(&bob, &format!("/rooms/{room}/bans"))
        .await
        .assert_error(403, "forbidden");
    // A non-member may not post in a public room.
    let carol = s.register("carol").await;
    s.post(
        &carol,
        &format!("/rooms/{room}/messages"),
        json!({"body": "hi"}),
    )
    .await
    .assert_error(403, "forbidden");
    // Wrong room password.
    let locked = s
        .post(
            &alice,
            "/rooms",
            json!({"kind": "public", "name": "Locked", "password": "sesame-42"}),
        )
        .await;
    let locked = locked.body["id"].as_str().unwrap();
    s.post(
        &carol,
        &format!("/rooms/{locked}/join"),
        json!({"password": "nope"}),
    )
    .await
    .assert_error(403, "forbidden");
    let r = s
        .post(
            &carol,
            &format!("/rooms/{locked}/join"),
            json!({"password": "sesame-42"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
}

#[tokio::test]
async fn not_found_is_404() {
    let s = Server::start().await;
    let alice = s.register("alice").await;
    let nobody = uuid::Uuid::new_v4();
    s.get(&alice, &format!("/rooms/{nobody}"))
        .await
        .assert_error(404, "not_found");
    s.get(&alice, &format!("/users/{nobody}"))
        .await
        .assert_error(404, "not_found");
    s.get(&alice, "/users/by-name/nobody")
        .await
        .assert_error(404, "not_found");
    s.call(
        Some(&alice),
        Method::PATCH,
        &format!("/messages/{nobody}"),
        Some(json!({"body": "x"})),
    )
    .await
    .assert_error(404, "not_found");
    s.call(
        Some(&alice),
        Method::DELETE,
        &format!("/me/invites/{nobody}"),
        None,
    )
    .await
    .assert_error(404, "not_found");
    // Unknown routes answer in the same shape.
    s.get(&alice, "/no/such/route")
        .await
        .assert_error(404, "not_found");
}

#[tokio::test]
async fn conflicts_are_409() {
    let s = Server::start().await;
    let alice = s.register("alice").await;
    s.call(
        None,
        Method::POST,
        "/auth/register",
        Some(json!({"username": "ALICE", "password": "tulip radar canyon"})),
    )
    .await
    .assert_error(409, "username_taken");
    let room = s.room(&alice, "public", "R").await;
    s.post(&alice, &format!("/rooms/{room}/join"), json!({}))
        .await
        .assert_error(409, "already_member");
}

#[tokio::test]
async fn too_large_is_413() {
    let mut setup = Setup::default();
    setup.config.max_body_bytes = 8 * 1024;
    let s = Server::start_with(setup).await;
    let alice = s.register("alice").await;
    let room = s.room(&alice, "public", "R").await;
    // A body over the request limit.
    let big = "x".repeat(20 * 1024);
    let r = s
        .post(
            &alice,
            &format!("/rooms/{room}/messages"),
            json!({"body": big}),
        )
        .await;
    r.assert_error(413, "too_large");
    // A message over the length limit (chatcore's `TooLarge`), within the body limit.
    let long = "y".repeat(4001);
    let r = s
        .post(
            &alice,
            &format!("/rooms/{room}/messages"),
            json!({"body": long}),
        )
        .await;
    r.assert_error(413, "too_large");
    assert_eq!(r.body["error"]["field"], "body");
}

#[tokio::test]
async fn wrong_media_type_is_415_and_wrong_method_is_405() {
    let s = Server::start().await;
    let alice = s.register("alice").await;
    let r = s
        .req(Method::POST, "/rooms")
        .bearer_auth(&alice.token)
        .header("content-type", "text/plain")
        .body(r#"{"kind":"public","name":"R"}"#)
        .send()
        .await
        .unwrap();
    common::Resp::from(r)
        .await
        .assert_error(415, "unsupported_media_type");
    s.call(Some(&alice), Method::PUT, "/me", Some(json!({})))
        .await
        .assert_error(405, "method_not_allowed");
}

#[tokio::test]
async fn invalid_input_is_422_with_the_field() {
    let s = Server::start().await;
    let r = s
        .call(
            None,
            Method::POST,
            "/auth/register",
            Some(json!({"username": "a b", "password": "tulip radar canyon"})),
        )
        .await;
    r.assert_error(422, "invalid_input");
    assert_eq!(r.body["error"]["field"], "username");
    let r = s
        .call(
            None,
            Method::POST,
            "/auth/register",
            Some(json!({"username": "dave", "password": "short"})),
        )
        .await;
    r.assert_error(422, "invalid_input");
    assert_eq!(r.body["error"]["field"], "password");

    let alice = s.register("alice").await;
    let r = s
        .post(&alice, "/rooms", json!({"kind": "public", "name": "   "}))
        .await;
    r.assert_error(422, "invalid_input");
    assert_eq!(r.body["error"]["field"], "name");
    // Well-formed JSON of the wrong shape: a missing field, an unknown enum value.
    let r = s.post(&alice, "/rooms", json!({"name": "R"})).await;
    r.assert_error(422, "invalid_input");
    assert_eq!(r.body["error"]["field"], "kind");
    s.post(&alice, "/rooms", json!({"kind": "secret", "name": "R"}))
        .await
        .assert_error(422, "invalid_input");
    // A query value out of its documented range.
    let r = s.get(&alice, "/rooms?limit=0").await;
    r.assert_error(422, "invalid_input");
    assert_eq!(r.body["error"]["field"], "limit");
}

#[tokio::test]
async fn slow_mode_is_429_with_retry_after() {
    let s = Server::start().await;
    let alice = s.register("alice").await;
    let bob = s.register("bob").await;
    let room = s.room(&alice, "public", "Slow").await;
    s.join(&bob, &room).await;
    let r = s
        .call(
            Some(&alice),
            Method::PATCH,
            &format!("/rooms/{room}"),
            Some(json!({"slow_mode_secs": 60})),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["slow_mode_secs"], 60);

    s.send(&bob, &room, "first").await;
    let r = s
        .post(
            &bob,
            &format!("/rooms/{room}/messages"),
            json!({"body": "second"}),
        )
        .await;
    r.assert_error(429, "rate_limited");
    let retry_ms = r.body["error"]["retry_after_ms"].as_u64().unwrap();
    assert!(retry_ms > 0 && retry_ms <= 60_000, "{retry_ms}");
    let header: u64 = r.headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=60).contains(&header), "{header}");

    // The same limit over the WebSocket: an error event with retry_after_ms.
    let mut b = s.ws(&bob).await;
    let err = b
        .request(
            1,
            json!({"type": "send", "room": room, "nonce": "n", "body": "third"}),
        )
        .await;
    assert_eq!(err["type"], "error");
    assert_eq!(err["code"], "rate_limited");
    assert!(err["retry_after_ms"].as_u64().unwrap() > 0);
    // Moderators and up are exempt.
    s.send(&alice, &room, "owner speaks").await;
}
