//! Limits and rate limits at the HTTP and WebSocket level: per-address login and
//! registration limits (with and without a trusted proxy), the message rate over REST
//! and WebSocket, room-code guessing, the maximum number of WebSockets, the history
//! page ceiling and the per-user connection limit.
#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use chatcore::Limits;
use chatcore::rate::Rate;
use common::{Resp, Server, Setup, Ws};
use reqwest::Method;
use serde_json::json;

const MINUTE: Duration = Duration::from_secs(60);

#[track_caller]
fn assert_429(r: &Resp) {
    r.assert_error(429, "rate_limited");
    assert!(r.body["error"]["retry_after_ms"].as_u64().unwrap() > 0);
    let secs: u64 = r.headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert!(secs >= 1, "{secs}");
}

async fn login(s: &Server, name: &str, forwarded_for: Option<&str>) -> Resp {
    let mut r = s
        .req(Method::POST, "/auth/login")
        .json(&json!({"username": name, "password": "wrong-password"}));
    if let Some(ip) = forwarded_for {
        r = r.header("x-forwarded-for", ip);
    }
    Resp::from(r.send().await.unwrap()).await
}

#[tokio::test]
async fn login_attempts_are_limited_per_address_and_per_account() {
    let mut setup = Setup::default();
    setup.config.login_rate_per_ip = Some(Rate::new(3, MINUTE));
    let s = Server::start_with(setup).await;
    // Different accounts (none needs to exist), one address: the address is limited.
    for name in ["a1", "a2", "a3"] {
        login(&s, name, None)
            .await
            .assert_error(401, "unauthenticated");
    }
    assert_429(&login(&s, "a4", None).await);
    // Without a trusted proxy, X-Forwarded-For is ignored: no way around the limit.
    assert_429(&login(&s, "a5", Some("203.0.113.9")).await);

    // Per account and address (chatcore's login_rate).
    let setup = Setup {
        limits: Limits {
            login_rate: Some(Rate::new(2, MINUTE)),
            ..Limits::without_rate_limits()
        },
        ..Setup::default()
    };
    let s = Server::start_with(setup).await;
    s.register("victim").await;
    login(&s, "victim", None)
        .await
        .assert_error(401, "unauthenticated");
    login(&s, "victim", None)
        .await
        .assert_error(401, "unauthenticated");
    assert_429(&login(&s, "victim", None).await);
    // Even the right password waits: guessing cannot continue.
    let r = s
        .call(
            None,
            Method::POST,
            "/auth/login",
            Some(json!({"username": "victim", "password": "tulip radar canyon"})),
        )
        .await;
    assert_429(&r);
    // Other accounts are unaffected.
    s.register("other").await;
    let r = s
        .call(
            None,
            Method::POST,
            "/auth/login",
            Some(json!({"username": "other", "password": "tulip radar canyon"})),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
}

#[tokio::test]
async fn behind_a_trusted_proxy_the_forwarded_address_is_limited() {
    let mut setup = Setup::default();
    setup.config.login_rate_per_ip = Some(Rate::new(2, MINUTE));
    setup.config.trusted_proxies = vec!["127.0.0.1".parse().unwrap()];
    let s = Server::start_with(setup).await;
    for _ in 0..2 {
        login(&s, "x", Some("198.51.100.1"))
            .await
            .assert_error(401, "unauthenticated");
    }
    assert_429(&login(&s, "x", Some("198.51.100.1")).await);
    // A client in front of the proxy cannot pick its address: the proxy appends the
    // real one, and that is the one counted.
    assert_429(&login(&s, "x", Some("1.1.1.1, 198.51.100.1")).await);
    // Another client behind the same proxy has its own budget.
    login(&s, "x", Some("198.51.100.2"))
        .await
        .assert_error(401, "unauthenticated");
}

#[tokio::test]
async fn registrations_are_limited_per_address() {
    let mut setup = Setup::default();
    setup.config.register_rate_per_ip = Some(Rate::new(2, MINUTE));
    let s = Server::start_with(setup).await;
    let one = s.register("one").await;
    s.register("two").await;
    let r = s
        .call(
            None,
            Method::POST,
            "/auth/register",
            Some(json!({"username": "three", "password": "tulip radar canyon"})),
        )
        .await;
    assert_429(&r);
    // Nothing was created.
    let r = s.get(&one, "/users/by-name/three").await;
    r.assert_error(404, "not_found");
}

#[tokio::test]
async fn messages_per_user_are_limited_over_rest_and_websocket() {
    let setup = Setup {
        limits: Limits {
            send_rate: Some(Rate::new(3, MINUTE)),
            ..Limits::without_rate_limits()
        },
        ..Setup::default()
    };
    let s = Server::start_with(setup).await;
    let alice = s.register("alice").await;
    let bob = s.register("bob").await;
    let room = s.room(&alice, "public", "R").await;
    for i in 0..3 {
        s.send(&alice, &room, &format!("m{i}")).await;
    }
    let r = s
        .post(
            &alice,
            &format!("/rooms/{room}/messages"),
            json!({"body": "over"}),
        )
        .await;
    assert_429(&r);
    // The same bucket over the WebSocket: an error event with retry_after_ms.
    let mut ws = s.ws(&alice).await;
    let err = ws
        .request(
            7,
            json!({"type": "send", "room": room, "nonce": "n1", "body": "over"}),
        )
        .await;
    assert_eq!(err["type"], "error", "{err}");
    assert_eq!(err["code"], "rate_limited");
    assert!(err["retry_after_ms"].as_u64().unwrap() > 0);
    // Per user: bob is not affected.
    s.join(&bob, &room).await;
    s.send(&bob, &room, "hi").await;
    // Nothing over the limit was stored.
    let page = s
        .get(&alice, &format!("/rooms/{room}/messages?limit=100"))
        .await;
    let bodies: Vec<&str> = page.body["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|m| m["body"].as_str())
        .collect();
    assert!(!bodies.contains(&"over"), "{bodies:?}");
}

#[tokio::test]
async fn room_code_guessing_is_limited() {
    let setup = Setup {
        limits: Limits {
            code_join_rate: Some(Rate::new(3, MINUTE)),
            ..Limits::without_rate_limits()
        },
        ..Setup::default()
    };
    let s = Server::start_with(setup).await;
    let owner = s.register("owner").await;
    let guesser = s.register("guesser").await;
    let room = s.room(&owner, "private", "Secret").await;
    let code = s.get(&owner, &format!("/rooms/{room}/code")).await;
    assert_eq!(code.status, 200, "{}", code.body);
    let code = code.body["code"].as_str().unwrap().to_owned();
    for guess in ["AAAAAAAA", "BBBBBBBB", "CCCCCCCC"] {
        let r = s
            .post(&guesser, "/rooms/join-by-code", json!({"code": guess}))
            .await;
        assert!(
            r.status == 404 || r.status == 422,
            "{} {}",
            r.status,
            r.body
        );
    }
    // Out of attempts: even the right code must wait.
    let r = s
        .post(&guesser, "/rooms/join-by-code", json!({"code": code}))
        .await;
    assert_429(&r);
}

#[tokio::test]
async fn the_number_of_websockets_is_bounded() {
    let mut setup = Setup::default();
    setup.config.ws.max_connections = 2;
    let s = Server::start_with(setup).await;
    let alice = s.register("alice").await;
    let bob = s.register("bob").await;
    let a = s.ws(&alice).await;
    let _b = s.ws(&bob).await;
    let refused = Ws::connect(&s, &[("authorization", &format!("Bearer {}", alice.token))])
        .await
        .err()
        .expect("a third WebSocket is refused");
    assert_eq!(refused.status, 503);
    assert_eq!(refused.body["error"]["code"], "server_busy");
    assert!(refused.body["error"]["retry_after_ms"].as_u64().unwrap() > 0);
    assert_eq!(s.state.open_connections(), 2);
    // A closed connection frees its slot.
    drop(a);
    let deadline = tokio::time::Instant::now() + common::WAIT;
    while s.state.open_connections() > 1 {
        assert!(tokio::time::Instant::now() < deadline, "slot never freed");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let _c = s.ws(&alice).await;
    // REST keeps working while the sockets are full.
    let r = s.get(&alice, "/me").await;
    assert_eq!(r.status, 200);
}

#[tokio::test]
async fn connections_per_user_are_bounded() {
    let setup = Setup {
        limits: Limits {
            max_connections_per_user: 2,
            ..Limits::without_rate_limits()
        },
        ..Setup::default()
    };
    let s = Server::start_with(setup).await;
    let alice = s.register("alice").await;
    let _a = s.ws(&alice).await;
    let _b = s.ws(&alice).await;
    let mut c = Ws::connect(&s, &[("authorization", &format!("Bearer {}", alice.token))])
        .await
        .unwrap_or_else(|r| panic!("refused: {r:?}"));
    assert_eq!(c.close_code().await, Some(4029));
}

#[tokio::test]
async fn history_pages_are_capped() {
    let setup = Setup {
        limits: Limits {
            history_page_max: 5,
            ..Limits::without_rate_limits()
        },
        ..Setup::default()
    };
    let s = Server::start_with(setup).await;
    let alice = s.register("alice").await;
    let room = s.room(&alice, "public", "R").await;
    for i in 0..8 {
        s.send(&alice, &room, &format!("m{i}")).await;
    }
    // The REST API refuses a page larger than the cap (its OpenAPI document says
    // so); the largest page it takes holds the cap.
    let r = s
        .get(&alice, &format!("/rooms/{room}/messages?limit=1000"))
        .await;
    r.assert_error(422, "invalid_input");
    assert_eq!(r.body["error"]["field"], "limit");
    let r = s
        .get(&alice, &format!("/rooms/{room}/messages?limit=5"))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        r.body["messages"].as_array().unwrap().len(),
        5,
        "{}",
        r.body
    );
    // Over the WebSocket, a larger request is capped.
    let mut ws = s.ws(&alice).await;
    let page = ws
        .request(1, json!({"type": "history", "room": room, "limit": 1000}))
        .await;
    assert_eq!(page["type"], "history", "{page}");
    assert_eq!(page["messages"].as_array().unwrap().len(), 5, "{page}");
}

async fn login_as(s: &Server, name: &str, password: &str, from: &str) -> Resp {
    let r = s
        .req(Method::POST, "/auth/login")
        .header("x-forwarded-for", from)
        .json(&json!({"username": name, "password": password}));
    Resp::from(r.send().await.unwrap()).await
}

/// Wrong passwords from many addresses use up their own (account, address) budgets
/// and then the account's ceiling, but the owner, from an address that logged in
/// before, still gets in with the right password.
#[tokio::test]
async fn failed_logins_from_other_addresses_cannot_lock_the_owner_out() {
    let mut setup = Setup::default();
    setup.config.trusted_proxies = vec!["127.0.0.1".parse().unwrap()];
    setup.limits = Limits {
        login_rate: Some(Rate::new(3, MINUTE)),
        login_account_rate: Some(Rate::new(5, MINUTE)),
        ..Limits::without_rate_limits()
    };
    let s = Server::start_with(setup).await;
    s.register("owner").await;
    let home = "203.0.113.1";
    let r = login_as(&s, "owner", "tulip radar canyon", home).await;
    assert_eq!(r.status, 200, "{}", r.body);
    // Ten attackers: the ceiling (5, one taken by the owner) stops them after four.
    let mut refused = 0;
    for i in 0..10 {
        let r = login_as(&s, "owner", "wrong-password", &format!("198.51.100.{i}")).await;
        match r.status {
            401 => {}
            429 => refused += 1,
            other => panic!("{other}: {}", r.body),
        }
    }
    assert_eq!(refused, 6);
    // The owner, from home, is let through the ceiling.
    let r = login_as(&s, "owner", "tulip radar canyon", home).await;
    assert_eq!(r.status, 200, "{}", r.body);
    // From a new address the ceiling holds (a guess would get through otherwise).
    assert_429(&login_as(&s, "owner", "tulip radar canyon", "192.0.2.7").await);
    // A wrong password from home is still only a wrong password, until the
    // (account, address) budget is gone.
    login_as(&s, "owner", "wrong-password", home)
        .await
        .assert_error(401, "unauthenticated");
    assert_429(&login_as(&s, "owner", "wrong-password", home).await);

    // Without the ceiling, one address's failures leave the owner's budget alone.
    let mut setup = Setup::default();
    setup.config.trusted_proxies = vec!["127.0.0.1".parse().unwrap()];
    setup.limits = Limits {
        login_rate: Some(Rate::new(3, MINUTE)),
        ..Limits::without_rate_limits()
    };
    let s = Server::start_with(setup).await;
    s.register("owner").await;
    for _ in 0..3 {
        login_as(&s, "owner", "wrong-password", "198.51.100.1")
            .await
            .assert_error(401, "unauthenticated");
    }
    assert_429(&login_as(&s, "owner", "wrong-password", "198.51.100.1").await);
    let r = login_as(&s, "owner", "tulip radar canyon", home).await;
    assert_eq!(r.status, 200, "{}", r.body);
}

/// Room passwords, the current password of `POST /me/password` and the password of
/// `DELETE /me` are limited per user (one budget for all three) and per address.
#[tokio::test]
async fn password_guesses_are_limited_per_user_and_per_address() {
    let setup = Setup {
        limits: Limits {
            password_rate: Some(Rate::new(3, MINUTE)),
            ..Limits::without_rate_limits()
        },
        ..Setup::default()
    };
    let s = Server::start_with(setup).await;
    let alice = s.register("alice").await;
    let r = s
        .post(
            &alice,
            "/rooms",
            json!({"kind": "public", "name": "Locked", "password": "room-secret"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let room = r.body["id"].as_str().unwrap().to_owned();
    let bob = s.register("bob").await;
    let join = format!("/rooms/{room}/join");
    for _ in 0..3 {
        s.post(&bob, &join, json!({"password": "guess"}))
            .await
            .assert_error(403, "forbidden");
    }
    assert_429(&s.post(&bob, &join, json!({"password": "guess"})).await);
    // Even the right password waits, and so do the account's own passwords.
    assert_429(
        &s.post(&bob, &join, json!({"password": "room-secret"}))
            .await,
    );
    assert_429(
        &s.post(
            &bob,
            "/me/password",
            json!({"old": "guess-guess", "new": "violet anchor meadow"}),
        )
        .await,
    );
    assert_429(
        &s.call(
            Some(&bob),
            Method::DELETE,
            "/me",
            Some(json!({"password": "guess"})),
        )
        .await,
    );
    // The account's password, guessed through `DELETE /me` and `POST /me/password`.
    let carol = s.register("carol").await;
    for _ in 0..2 {
        s.call(
            Some(&carol),
            Method::DELETE,
            "/me",
            Some(json!({"password": "guess"})),
        )
        .await
        .assert_error(401, "unauthenticated");
    }
    s.post(
        &carol,
        "/me/password",
        json!({"old": "guess-guess", "new": "violet anchor meadow"}),
    )
    .await
    .assert_error(401, "unauthenticated");
    assert_429(
        &s.post(
            &carol,
            "/me/password",
            json!({"old": "tulip radar canyon", "new": "violet anchor meadow"}),
        )
        .await,
    );
    // Others are unaffected.
    let dave = s.register("dave").await;
    let r = s
        .post(&dave, &join, json!({"password": "room-secret"}))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);

    // Per address: many users from one address share its budget.
    let mut setup = Setup::default();
    setup.config.password_rate_per_ip = Some(Rate::new(2, MINUTE));
    let s = Server::start_with(setup).await;
    let alice = s.register("alice").await;
    let r = s
        .post(
            &alice,
            "/rooms",
            json!({"kind": "public", "name": "Locked", "password": "room-secret"}),
        )
        .await;
    let join = format!("/rooms/{}/join", r.body["id"].as_str().unwrap());
    for name in ["user1", "user2"] {
        let u = s.register(name).await;
        s.post(&u, &join, json!({"password": "guess"}))
            .await
            .assert_error(403, "forbidden");
    }
    let u3 = s.register("user3").await;
    assert_429(&s.post(&u3, &join, json!({"password": "guess"})).await);
    assert_429(
        &s.post(
            &u3,
            "/me/password",
            json!({"old": "tulip radar canyon", "new": "violet anchor meadow"}),
        )
        .await,
    );
}

async fn patch_email(s: &Server, u: &common::User, email: &str) -> Resp {
    s.call(Some(u), Method::PATCH, "/me", Some(json!({"email": email})))
        .await
}

/// Email changes mail a verification link and may answer `email_taken`: limited per
/// user, and the mails per address.
#[tokio::test]
async fn email_changes_are_limited_per_user_and_per_address() {
    let setup = Setup {
        limits: Limits {
            email_change_rate: Some(Rate::new(3, MINUTE)),
            ..Limits::without_rate_limits()
        },
        ..Setup::default()
    };
    let s = Server::start_with(setup).await;
    let alice = s.register("alice").await;
    let bob = s.register("bob").await;
    let r = patch_email(&s, &alice, "alice@example.com").await;
    assert_eq!(r.status, 200, "{}", r.body);
    // Probing for taken addresses counts too.
    for _ in 0..3 {
        patch_email(&s, &bob, "alice@example.com")
            .await
            .assert_error(409, "email_taken");
    }
    assert_429(&patch_email(&s, &bob, "alice@example.com").await);
    assert_429(&patch_email(&s, &bob, "bob@example.com").await);
    // Unchanged addresses and other fields are not changes.
    for _ in 0..5 {
        let r = patch_email(&s, &alice, "alice@example.com").await;
        assert_eq!(r.status, 200, "{}", r.body);
    }
    for e in ["a2@example.com", "a3@example.com"] {
        assert_eq!(patch_email(&s, &alice, e).await.status, 200);
    }
    assert_429(&patch_email(&s, &alice, "a4@example.com").await);

    // Per address: flipping between two addresses mails each at most mail_rate.
    let setup = Setup {
        limits: Limits {
            mail_rate: Some(Rate::new(1, MINUTE)),
            ..Limits::without_rate_limits()
        },
        ..Setup::default()
    };
    let s = Server::start_with(setup).await;
    let carol = s.register("carol").await;
    for e in ["c1@example.com", "c2@example.com"] {
        let r = s
            .call(
                Some(&carol),
                Method::PATCH,
                "/me",
                Some(json!({"email": e})),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
    }
    let r = s
        .call(
            Some(&carol),
            Method::PATCH,
            "/me",
            Some(json!({"email": "c1@example.com"})),
        )
        .await;
    assert_429(&r);
}

const BOUNDARY: &str = "limits-test-boundary";

/// Open an upload to `path` that announces 10 MiB and sends only its first bytes.
async fn start_upload(s: &Server, user: &common::User, path: &str) -> tokio::net::TcpStream {
    use tokio::io::AsyncWriteExt;
    let mut tcp = tokio::net::TcpStream::connect(s.addr).await.unwrap();
    let head = format!(
        "POST {}{path} HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {}\r\n\
         X-Requested-With: t\r\nContent-Type: multipart/form-data; boundary={BOUNDARY}\r\n\
         Content-Length: {}\r\n\r\n--{BOUNDARY}\r\nContent-Disposition: form-data; \
         name=\"file\"; filename=\"a.bin\"\r\n\r\n",
        s.mount,
        s.addr,
        user.token,
        10 * 1024 * 1024
    );
    tcp.write_all(head.as_bytes()).await.unwrap();
    tcp.write_all(&[0u8; 4096]).await.unwrap();
    tcp
}

/// The status of the answer on `tcp` (None: the connection closed first). The
/// timeout guards against a hang; it asserts no speed.
async fn status_of(tcp: &mut tokio::net::TcpStream) -> Option<u16> {
    use tokio::io::AsyncReadExt;
    let mut buf = Vec::new();
    let read = async {
        let mut chunk = [0u8; 1024];
        while !buf.windows(2).any(|w| w == b"\r\n") {
            match tcp.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(30), read)
        .await
        .expect("an answer without the rest of the body");
    let line = String::from_utf8_lossy(&buf);
    line.split_whitespace().nth(1).and_then(|c| c.parse().ok())
}

/// A complete small file upload.
async fn small_upload(s: &Server, user: &common::User, room: &str) -> Resp {
    let body = format!(
        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; \
         filename=\"a.txt\"\r\nContent-Type: text/plain\r\n\r\nhello\r\n--{BOUNDARY}--\r\n"
    );
    let r = s
        .req(Method::POST, &format!("/rooms/{room}/files"))
        .bearer_auth(&user.token)
        .header(
            "content-type",
            format!("multipart/form-data; boundary={BOUNDARY}"),
        )
        .body(body)
        .send()
        .await
        .unwrap();
    Resp::from(r).await
}

/// Room access is checked before an upload's body is read: a room that does not
/// exist, or one the user is not in, is refused at once.
#[tokio::test]
async fn uploads_are_refused_before_their_body_is_read() {
    let s = Server::start().await;
    let alice = s.register("alice").await;
    let bob = s.register("bob").await;
    let room = s.room(&alice, "public", "General").await;
    let nowhere = uuid::Uuid::now_v7();
    for (user, path, status) in [
        (&bob, format!("/rooms/{nowhere}/files"), 404),
        (&bob, format!("/rooms/{room}/files"), 403),
        (&bob, format!("/rooms/{room}/avatar"), 403),
        (&bob, format!("/rooms/{nowhere}/avatar"), 404),
    ] {
        let mut tcp = start_upload(&s, user, &path).await;
        assert_eq!(status_of(&mut tcp).await, Some(status), "{path}");
    }
}

/// At most `max_concurrent_uploads` uploads are read at once; others get 503
/// `server_busy` until one ends.
#[tokio::test]
async fn concurrent_uploads_are_bounded() {
    let mut setup = Setup::default();
    setup.config.max_concurrent_uploads = 1;
    let s = Server::start_with(setup).await;
    let alice = s.register("alice").await;
    let room = s.room(&alice, "public", "General").await;
    let slow = start_upload(&s, &alice, &format!("/rooms/{room}/files")).await;
    // Once the slow upload holds the slot (it is being read), others are refused.
    let mut busy = None;
    for _ in 0..500 {
        let r = small_upload(&s, &alice, &room).await;
        if r.status == 503 {
            busy = Some(r);
            break;
        }
        assert_eq!(r.status, 201, "{}", r.body);
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let busy = busy.expect("an upload refused while another is read");
    busy.assert_error(503, "server_busy");
    assert!(busy.headers.contains_key("retry-after"));
    // The slow client goes away: its slot is free again.
    drop(slow);
    let mut done = false;
    for _ in 0..500 {
        let r = small_upload(&s, &alice, &room).await;
        if r.status == 201 {
            done = true;
            break;
        }
        r.assert_error(503, "server_busy");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(done, "the slot was never released");
}

/// Sockets opened without credentials wait for their `auth` frame in slots of their
/// own, capped per address: they cannot take the slots of authenticated ones.
#[tokio::test]
async fn unauthenticated_websockets_have_their_own_slots_capped_per_address() {
    let mut setup = Setup::default();
    setup.config.ws.max_connections = 2;
    setup.config.ws.max_unauthenticated_per_ip = 3;
    setup.config.ws.auth_timeout = Duration::from_secs(30);
    let s = Server::start_with(setup).await;
    let alice = s.register("alice").await;
    let bob = s.register("bob").await;
    let mut anonymous = Vec::new();
    for _ in 0..3 {
        anonymous.push(Ws::connect(&s, &[]).await.expect("an anonymous socket"));
    }
    let refused = Ws::connect(&s, &[])
        .await
        .err()
        .expect("a fourth anonymous socket from this address is refused");
    assert_eq!(refused.status, 503);
    assert_eq!(refused.body["error"]["code"], "server_busy");
    // The authenticated get their slots.
    let _a = s.ws(&alice).await;
    let _b = s.ws(&bob).await;
    assert_eq!(s.state.open_connections(), 2);
    // An anonymous socket that authenticates needs a regular slot: all are taken.
    let mut late = anonymous.pop().unwrap();
    late.send(json!({"type": "auth", "token": alice.token}))
        .await;
    assert_eq!(late.close_code().await, Some(4029));
    // Its unauthenticated slot is free again.
    let deadline = tokio::time::Instant::now() + common::WAIT;
    loop {
        match Ws::connect(&s, &[]).await {
            Ok(ws) => {
                anonymous.push(ws);
                break;
            }
            Err(r) => assert_eq!(r.status, 503),
        }
        assert!(tokio::time::Instant::now() < deadline, "slot never freed");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
