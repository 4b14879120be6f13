//! Cookies, CSRF, origins, WebSocket authentication and the connection's guards
//! (heartbeat, size limit, malformed frames, command rate), closing codes.
#![allow(clippy::unwrap_used)]

mod common;

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use axum::http::request::Parts;
use chatcore::{Chat, ExternalUser};
use chatcore_axum::{Actor, Authenticator};
use common::{Resp, Server, Setup, Ws};
use reqwest::Method;
use serde_json::json;
use tokio_tungstenite::tungstenite::Message;

fn set_cookie(r: &Resp) -> String {
    r.headers
        .get("set-cookie")
        .expect("a Set-Cookie header")
        .to_str()
        .unwrap()
        .to_owned()
}

fn attrs(cookie: &str) -> Vec<String> {
    cookie.split(';').map(|a| a.trim().to_owned()).collect()
}

#[tokio::test]
async fn the_session_cookie_has_the_right_flags() {
    let s = Server::start().await;
    let r = s
        .call(
            None,
            Method::POST,
            "/auth/register",
            Some(json!({"username": "alice", "password": "tulip radar canyon"})),
        )
        .await;
    assert_eq!(r.status, 201);
    let token = r.body["token"].as_str().unwrap();
    let cookie = set_cookie(&r);
    let a = attrs(&cookie);
    assert_eq!(a[0], format!("chatcore_session={token}"));
    assert!(a.contains(&"HttpOnly".to_owned()), "{cookie}");
    assert!(a.contains(&"SameSite=Lax".to_owned()), "{cookie}");
    assert!(a.contains(&"Path=/".to_owned()), "{cookie}");
    assert!(!a.contains(&"Secure".to_owned()), "{cookie}");
    let max_age: u64 = a
        .iter()
        .find_map(|x| x.strip_prefix("Max-Age="))
        .unwrap()
        .parse()
        .unwrap();
    assert!(max_age > 0);

    // The cookie authenticates; logout clears it.
    let me = s
        .http
        .get(s.url("/me"))
        .header("cookie", &a[0])
        .send()
        .await
        .unwrap();
    let me = Resp::from(me).await;
    assert_eq!(me.status, 200);
    assert_eq!(me.body["username"], "alice");
    let out = s
        .req(Method::POST, "/auth/logout")
        .header("cookie", &a[0])
        .send()
        .await
        .unwrap();
    let out = Resp::from(out).await;
    assert_eq!(out.status, 204);
    let cleared = set_cookie(&out);
    assert!(
        attrs(&cleared).contains(&"Max-Age=0".to_owned()),
        "{cleared}"
    );
    assert!(cleared.starts_with("chatcore_session=;"), "{cleared}");
    let me = s
        .http
        .get(s.url("/me"))
        .header("cookie", &a[0])
        .send()
        .await
        .unwrap();
    Resp::from(me).await.assert_error(401, "unauthenticated");

    // `Secure` when configured.
    let mut setup = Setup::default();
    setup.config.cookie_secure = true;
    let s = Server::start_with(setup).await;
    let r = s
        .call(
            None,
            Method::POST,
            "/auth/register",
            Some(json!({"username": "alice", "password": "tulip radar canyon"})),
        )
        .await;
    assert!(attrs(&set_cookie(&r)).contains(&"Secure".to_owned()));
}

#[tokio::test]
async fn csrf_guard_refuses_cookie_requests_without_the_header_or_from_foreign_origins() {
    let s = Server::start().await;
    let alice = s.register("alice").await;
    let cookie = format!("chatcore_session={}", alice.token);
    let body = json!({"kind": "public", "name": "R"});

    // Cookie, no header: refused before anything happens.
    let r = s
        .http
        .post(s.url("/rooms"))
        .header("cookie", &cookie)
        .json(&body)
        .send()
        .await
        .unwrap();
    Resp::from(r).await.assert_error(403, "csrf_rejected");
    // Also without credentials (login CSRF), and for bodiless unsafe routes.
    let r = s
        .http
        .post(s.url("/auth/login"))
        .json(&json!({"username": "alice", "password": "tulip radar canyon"}))
        .send()
        .await
        .unwrap();
    Resp::from(r).await.assert_error(403, "csrf_rejected");
    let r = s
        .http
        .post(s.url("/auth/logout"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    Resp::from(r).await.assert_error(403, "csrf_rejected");

    // Cookie + header from a foreign origin: refused.
    let r = s
        .http
        .post(s.url("/rooms"))
        .header("cookie", &cookie)
        .header("x-requested-with", "x")
        .header("origin", "https://evil.example")
        .json(&body)
        .send()
        .await
        .unwrap();
    Resp::from(r).await.assert_error(403, "origin_rejected");

    // Cookie + header from the server's own origin: fine.
    let r = s
        .http
        .post(s.url("/rooms"))
        .header("cookie", &cookie)
        .header("x-requested-with", "x")
        .header("origin", format!("http://{}", s.addr))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);

    // Bearer tokens need neither.
    let r = s
        .http
        .post(s.url("/rooms"))
        .bearer_auth(&alice.token)
        .header("origin", "https://evil.example")
        .json(&json!({"kind": "public", "name": "R2"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);

    // Credentials a browser attaches by itself (Basic) do not exempt a request.
    let r = s
        .http
        .post(s.url("/rooms"))
        .header("cookie", &cookie)
        .header("authorization", "Basic YWxpY2U6cGFzc3dvcmQxMjM=")
        .json(&json!({"kind": "public", "name": "R3"}))
        .send()
        .await
        .unwrap();
    Resp::from(r).await.assert_error(403, "csrf_rejected");

    // Safe methods are never refused.
    let r = s
        .http
        .get(s.url("/me"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
}

#[tokio::test]
async fn websocket_origins_are_checked_before_the_upgrade() {
    let mut setup = Setup::default();
    setup.config.allowed_origins = vec!["https://app.example".into()];
    let s = Server::start_with(setup).await;
    let alice = s.register("alice").await;
    let bearer = format!("Bearer {}", alice.token);

    let refused = Ws::connect(
        &s,
        &[
            ("authorization", &bearer),
            ("origin", "https://evil.example"),
        ],
    )
    .await
    .err()
    .expect("refused");
    assert_eq!(refused.status, 403);
    assert_eq!(refused.body["error"]["code"], "origin_rejected");
    // Even a cookie-carrying browser from another site gets nothing.
    let cookie = format!("chatcore_session={}", alice.token);
    let refused = Ws::connect(&s, &[("cookie", &cookie), ("origin", "null")])
        .await
        .err()
        .unwrap();
    assert_eq!(refused.status, 403);

    for origin in ["https://app.example", &format!("http://{}", s.addr)] {
        let mut ws = Ws::connect(&s, &[("cookie", &cookie), ("origin", origin)])
            .await
            .expect("allowed origin");
        assert_eq!(ws.next().await["type"], "hello");
    }
    // No Origin: not a browser; allowed.
    let mut ws = Ws::connect(&s, &[("authorization", &bearer)])
        .await
        .unwrap();
    assert_eq!(ws.next().await["user"]["username"], "alice");
}

#[tokio::test]
async fn websocket_authentication_modes() {
    let mut setup = Setup::default();
    setup.config.ws.auth_timeout = Duration::from_millis(300);
    let s = Server::start_with(setup).await;
    let alice = s.register("alice").await;

    // A bad bearer token is refused before the upgrade.
    let refused = Ws::connect(&s, &[("authorization", "Bearer nope")])
        .await
        .err()
        .unwrap();
    assert_eq!(refused.status, 401);
    assert_eq!(refused.body["error"]["code"], "unauthenticated");

    // No credentials: the first frame authenticates.
    let mut ws = Ws::connect(&s, &[]).await.unwrap();
    ws.send(json!({"type": "auth", "token": alice.token})).await;
    let hello = ws.next().await;
    assert_eq!(hello["type"], "hello");
    assert_eq!(hello["user"]["id"], json!(alice.id));
    // A second auth is an error, not a re-login.
    let err = ws
        .request(1, json!({"type": "auth", "token": alice.token}))
        .await;
    assert_eq!(err["type"], "error");

    // A wrong token, or another first frame, or none in time: closed with 4001.
    let mut ws = Ws::connect(&s, &[]).await.unwrap();
    ws.send(json!({"type": "auth", "token": "wrong"})).await;
    assert_eq!(ws.close_code().await, Some(4001));
    let mut ws = Ws::connect(&s, &[]).await.unwrap();
    ws.send(json!({"type": "ping"})).await;
    assert_eq!(ws.close_code().await, Some(4001));
    let mut ws = Ws::connect(&s, &[]).await.unwrap();
    assert_eq!(ws.close_code().await, Some(4001));
}

#[tokio::test]
async fn revoking_a_session_closes_its_sockets_with_4002() {
    let s = Server::start().await;
    let alice = s.register("alice").await;
    let mut ws = s.ws(&alice).await;
    let r = s
        .call(Some(&alice), Method::POST, "/auth/logout", None)
        .await;
    assert_eq!(r.status, 204);
    assert_eq!(ws.close_code().await, Some(4002));

    // Revoking another session by id closes that session's sockets only.
    let login = |name: &'static str| {
        let s = &s;
        async move {
            let r = s
                .call(
                    None,
                    Method::POST,
                    "/auth/login",
                    Some(json!({"username": name, "password": "tulip radar canyon"})),
                )
                .await;
            assert_eq!(r.status, 200, "{}", r.body);
            common::User {
                id: r.body["user"]["id"].as_str().unwrap().to_owned(),
                name: name.to_owned(),
                token: r.body["token"].as_str().unwrap().to_owned(),
            }
        }
    };
    let phone = login("alice").await;
    let laptop = login("alice").await;
    let mut on_phone = s.ws(&phone).await;
    let mut on_laptop = s.ws(&laptop).await;
    let sessions = s.get(&laptop, "/auth/sessions").await;
    let list = sessions.body.as_array().unwrap();
    assert_eq!(list.len(), 2, "{}", sessions.body);
    assert_eq!(list.iter().filter(|x| x["current"] == true).count(), 1);
    let phone_session = list.iter().find(|x| x["current"] == false).unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = s
        .call(
            Some(&laptop),
            Method::DELETE,
            &format!("/auth/sessions/{phone_session}"),
            None,
        )
        .await;
    assert_eq!(r.status, 204, "{}", r.body);
    assert_eq!(on_phone.close_code().await, Some(4002));
    let pong = on_laptop.request(1, json!({"type": "ping"})).await;
    assert_eq!(pong["type"], "pong");

    // Deleting the account closes its sockets with 4003.
    let r = s
        .call(
            Some(&laptop),
            Method::DELETE,
            "/me",
            Some(json!({"password": "tulip radar canyon"})),
        )
        .await;
    assert_eq!(r.status, 204, "{}", r.body);
    assert_eq!(on_laptop.close_code().await, Some(4003));
}

#[tokio::test]
async fn silence_closes_with_4009_but_answered_pings_keep_the_connection() {
    let mut setup = Setup::default();
    setup.config.ws.heartbeat = Duration::from_millis(150);
    let s = Server::start_with(setup).await;
    let alice = s.register("alice").await;

    // A client that keeps reading answers the server's pings (its library does).
    let mut live = s.ws(&alice).await;
    assert_eq!(live.hello["heartbeat_ms"], 150);
    let reader = tokio::spawn(async move {
        let deadline = tokio::time::Instant::now() + Duration::from_millis(900);
        while let Ok(Some(Ok(_))) =
            tokio::time::timeout_at(deadline, futures::StreamExt::next(&mut live.inner)).await
        {
        }
        live
    });

    // A client that stops reading answers nothing and is closed.
    let mut silent = s.ws(&alice).await;
    tokio::time::sleep(Duration::from_millis(900)).await;
    assert_eq!(silent.close_code().await, Some(4009));

    let mut live = reader.await.unwrap();
    let pong = live.request(1, json!({"type": "ping"})).await;
    assert_eq!(pong["type"], "pong");
}

#[tokio::test]
async fn oversized_frames_close_with_1009() {
    let mut setup = Setup::default();
    setup.config.ws.max_message_bytes = 1024;
    let s = Server::start_with(setup).await;
    let alice = s.register("alice").await;
    let mut ws = s.ws(&alice).await;
    let big = json!({"type": "ping", "pad": "x".repeat(4096)}).to_string();
    ws.send_raw(Message::text(big)).await;
    assert_eq!(ws.close_code().await, Some(1009));

    // A binary message in fragments each under the limit, together over it.
    use tokio_tungstenite::tungstenite::protocol::frame::Frame;
    use tokio_tungstenite::tungstenite::protocol::frame::coding::{Data, OpCode};
    let mut ws = s.ws(&alice).await;
    let piece = vec![0u8; 512];
    ws.send_raw(Message::Frame(Frame::message(
        piece.clone(),
        OpCode::Data(Data::Binary),
        false,
    )))
    .await;
    for _ in 0..3 {
        ws.send_raw(Message::Frame(Frame::message(
            piece.clone(),
            OpCode::Data(Data::Continue),
            false,
        )))
        .await;
    }
    assert_eq!(ws.close_code().await, Some(1009));
}

#[tokio::test]
async fn malformed_frames_get_errors_then_close_with_1008() {
    let s = Server::start().await;
    let alice = s.register("alice").await;
    let mut ws = s.ws(&alice).await;
    ws.send_raw(Message::text("not json")).await;
    let err = ws.next().await;
    assert_eq!(err["type"], "error");
    assert_eq!(err["code"], "bad_frame");
    assert_eq!(err["id"], serde_json::Value::Null);
    // The id of a frame with an unknown type is still echoed.
    ws.send(json!({"type": "fly", "id": 9})).await;
    let err = ws.next().await;
    assert_eq!(err["code"], "bad_frame");
    assert_eq!(err["id"], 9);
    // A known command with an unreadable field is malformed too.
    let err = ws
        .request(10, json!({"type": "history", "room": "nope"}))
        .await;
    assert_eq!(err["code"], "bad_frame");
    ws.send_raw(Message::binary(vec![1u8, 2, 3])).await;
    assert_eq!(ws.next().await["code"], "bad_frame");
    // Still usable.
    assert_eq!(
        ws.request(11, json!({"type": "ping"})).await["type"],
        "pong"
    );
    // Abuse: five malformed frames are answered, the sixth closes the connection.
    ws.send_raw(Message::text("{")).await;
    assert_eq!(ws.next().await["code"], "bad_frame");
    ws.send_raw(Message::text("{")).await;
    assert_eq!(ws.close_code().await, Some(1008));
}

#[tokio::test]
async fn command_flooding_is_refused_then_closed_with_4029() {
    let mut setup = Setup::default();
    setup.config.ws.commands_per_sec = 1;
    setup.config.ws.command_burst = 3;
    let s = Server::start_with(setup).await;
    let alice = s.register("alice").await;
    let mut ws = s.ws(&alice).await;
    for id in 0..3 {
        assert_eq!(
            ws.request(id, json!({"type": "ping"})).await["type"],
            "pong"
        );
    }
    let err = ws.request(3, json!({"type": "ping"})).await;
    assert_eq!(err["type"], "error");
    assert_eq!(err["code"], "rate_limited");
    assert!(err["retry_after_ms"].as_u64().unwrap() > 0);
    for id in 4..20 {
        ws.send(json!({"type": "ping", "id": id})).await;
    }
    assert_eq!(ws.close_code().await, Some(4029));
}

#[tokio::test]
async fn shutdown_closes_sockets_with_1001() {
    let s = Server::start().await;
    let alice = s.register("alice").await;
    let mut ws = s.ws(&alice).await;
    s.state.shutdown();
    assert_eq!(ws.close_code().await, Some(1001));
}

/// A host application that authenticates with its own header, mapped to chatcore
/// users through `ensure_external_user`.
#[derive(Debug)]
struct HostAuth;

#[async_trait]
impl Authenticator for HostAuth {
    async fn authenticate(&self, chat: &Chat, parts: &Parts) -> chatcore::Result<Option<Actor>> {
        let Some(name) = parts
            .headers
            .get("x-host-user")
            .and_then(|v| v.to_str().ok())
        else {
            return Ok(None);
        };
        if name == "mallory" {
            return Err(chatcore::Error::Unauthenticated("host session expired"));
        }
        let user = chat
            .ensure_external_user(ExternalUser {
                external_id: format!("host:{name}"),
                username: name.to_owned(),
                display_name: Some(format!("{name} (host)")),
            })
            .await?;
        Ok(Some(Actor::host(user.id)))
    }
}

#[tokio::test]
async fn a_host_authenticator_replaces_password_accounts() {
    let mut setup = Setup::default();
    setup.config.password_auth = false;
    setup.authenticator = Some(Arc::new(HostAuth));
    let s = Server::start_with(setup).await;

    s.call(
        None,
        Method::POST,
        "/auth/register",
        Some(json!({"username": "eve", "password": "tulip radar canyon"})),
    )
    .await
    .assert_error(403, "password_auth_disabled");
    s.call(None, Method::GET, "/me", None)
        .await
        .assert_error(401, "unauthenticated");
    let r = s
        .http
        .get(s.url("/me"))
        .header("x-host-user", "mallory")
        .send()
        .await
        .unwrap();
    Resp::from(r).await.assert_error(401, "unauthenticated");

    let as_host = |m: Method, path: &str| s.req(m, path).header("x-host-user", "hank");
    let me = Resp::from(as_host(Method::GET, "/me").send().await.unwrap()).await;
    assert_eq!(me.status, 200, "{}", me.body);
    assert_eq!(me.body["username"], "hank");
    assert_eq!(me.body["display_name"], "hank (host)");
    assert_eq!(me.body["has_password"], false);
    // The same host user maps to the same chatcore user every time.
    let again = Resp::from(as_host(Method::GET, "/me").send().await.unwrap()).await;
    assert_eq!(again.body["id"], me.body["id"]);

    let room = Resp::from(
        as_host(Method::POST, "/rooms")
            .json(&json!({"kind": "public", "name": "Host room"}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(room.status, 201, "{}", room.body);
    // Unsafe requests authenticated by the host still need the CSRF header.
    let r = s
        .http
        .post(s.url("/rooms"))
        .header("x-host-user", "hank")
        .json(&json!({"kind": "public", "name": "No header"}))
        .send()
        .await
        .unwrap();
    Resp::from(r).await.assert_error(403, "csrf_rejected");

    // The WebSocket goes through the same hook.
    let mut ws = Ws::connect(&s, &[("x-host-user", "hank")]).await.unwrap();
    let hello = ws.next().await;
    assert_eq!(hello["user"]["username"], "hank");
    assert_eq!(hello["rooms"][0], room.body["id"]);
    // Logout without a chatcore session just clears the cookie.
    let out = Resp::from(as_host(Method::POST, "/auth/logout").send().await.unwrap()).await;
    assert_eq!(out.status, 204);
}

/// Names refuse bidirectional controls (`n\u{202e}gnp.exe` shows as `nexe.png`) and
/// invisible-only text; message bodies refuse invisible-only text.
#[tokio::test]
async fn names_refuse_bidi_controls_and_invisible_only_text() {
    let s = Server::start().await;
    let alice = s.register("alice").await;
    let room = s.room(&alice, "public", "General").await;
    for bad in [
        "n\u{202e}gnp.exe",
        "a\u{2066}b",
        "\u{200b}",
        "\u{200b}\u{200d}",
        "\u{3164}",
    ] {
        s.call(
            Some(&alice),
            Method::PATCH,
            "/me",
            Some(json!({"display_name": bad})),
        )
        .await
        .assert_error(422, "invalid_input");
        s.post(&alice, "/rooms", json!({"kind": "public", "name": bad}))
            .await
            .assert_error(422, "invalid_input");
        s.call(
            Some(&alice),
            Method::PATCH,
            &format!("/rooms/{room}"),
            Some(json!({"name": bad})),
        )
        .await
        .assert_error(422, "invalid_input");
    }
    for bad in ["\u{200b}", " \u{200b}\u{feff} ", "\u{200f}"] {
        s.post(
            &alice,
            &format!("/rooms/{room}/messages"),
            json!({"body": bad}),
        )
        .await
        .assert_error(422, "invalid_input");
    }
    // Visible text with joiners (emoji) and right-to-left scripts pass.
    let ok = s
        .call(
            Some(&alice),
            Method::PATCH,
            "/me",
            Some(json!({"display_name": "\u{05e9}\u{05dc}\u{05d5}\u{05dd} \u{1f468}\u{200d}\u{1f469}"})),
        )
        .await;
    assert_eq!(ok.status, 200, "{}", ok.body);
    s.send(&alice, &room, "a\u{200b}b").await;
}
