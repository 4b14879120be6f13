//! Through the real router and WebSocket: a socket whose opening races a logout, a
//! password change or a kick. The hub is paused between the token check and the
//! registration ([`chatcore::conformance::pause::PausingHub`]), the revocation runs
//! over REST meanwhile, then the registration goes on.

#![allow(clippy::unwrap_used)]

mod common;

use std::sync::Arc;

use chatcore::conformance::pause::{PausingHub, Point};
use chatcore::{Chat, Limits, LocalHub, MemoryStore};
use common::{Server, Setup, User, WAIT, Ws};
use reqwest::Method;
use serde_json::json;

async fn server() -> (Server, Arc<PausingHub>) {
    let hub = PausingHub::new(Arc::new(LocalHub::default()));
    let chat = Chat::builder(Arc::new(MemoryStore::new()))
        .limits(Limits::without_rate_limits())
        .hub(hub.clone())
        .build();
    let server = Server::start_with(Setup {
        chat: Some(chat),
        ..Setup::default()
    })
    .await;
    (server, hub)
}

async fn login(s: &Server, name: &str, password: &str) -> User {
    let r = s
        .call(
            None,
            Method::POST,
            "/auth/login",
            Some(json!({"username": name, "password": password})),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    User {
        id: r.body["user"]["id"].as_str().unwrap().to_owned(),
        name: name.to_owned(),
        token: r.body["token"].as_str().unwrap().to_owned(),
    }
}

/// Open a socket for `user` with the hub paused before the registration, run
/// `revoke`, let the registration go on; the socket.
async fn open_racing(
    s: &Server,
    hub: &PausingHub,
    user: &User,
    revoke: impl std::future::Future<Output = ()>,
) -> Ws {
    let pause = hub.pause(Point::Connect);
    let ws = Ws::connect(s, &[("authorization", &format!("Bearer {}", user.token))])
        .await
        .expect("websocket handshake");
    tokio::time::timeout(WAIT, pause.reached())
        .await
        .expect("the socket reached the hub registration");
    revoke.await;
    pause.release();
    ws
}

/// A socket racing a logout or a password change is closed with 4002
/// (`session_revoked`); before the fix it stayed open and got its `hello`.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_socket_racing_a_logout_or_password_change_is_closed_4002() {
    let (s, hub) = server().await;
    s.register("racer").await;
    for what in ["logout", "logout-all", "password"] {
        let victim = login(&s, "racer", "tulip radar canyon").await;
        let kept = login(&s, "racer", "tulip radar canyon").await;
        let mut ws = open_racing(&s, &hub, &victim, async {
            let r = match what {
                "password" => {
                    s.post(
                        &kept,
                        "/me/password",
                        json!({"old": "tulip radar canyon", "new": "tulip radar canyon"}),
                    )
                    .await
                }
                path => s.post(&victim, &format!("/auth/{path}"), json!({})).await,
            };
            assert_eq!(r.status, 204, "{what}: {}", r.body);
        })
        .await;
        assert_eq!(ws.close_code().await, Some(4002), "a socket racing {what}");
    }
}

/// A socket racing a kick never receives the room it was kicked from.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_socket_racing_a_kick_gets_nothing_from_the_room() {
    let (s, hub) = server().await;
    let owner = s.register("owner").await;
    let target = s.register("target").await;
    let kicked = s.room(&owner, "public", "kicked").await;
    let stays = s.room(&owner, "public", "stays").await;
    s.join(&target, &kicked).await;
    s.join(&target, &stays).await;
    let mut ws = open_racing(&s, &hub, &target, async {
        let r = s
            .call(
                Some(&owner),
                Method::POST,
                &format!("/rooms/{kicked}/members/{}/kick", target.id),
                None,
            )
            .await;
        assert_eq!(r.status, 204, "{}", r.body);
    })
    .await;
    let hello = ws.next().await;
    assert_eq!(hello["type"], "hello");
    s.send(&owner, &kicked, "not for you").await;
    s.send(&owner, &stays, "sentinel").await;
    let events = ws
        .until(|e| e["type"] == "message_created" && e["message"]["body"] == "sentinel")
        .await;
    assert!(
        !events
            .iter()
            .any(|e| e["type"] == "message_created" && e["message"]["room_id"] == kicked.as_str()),
        "{events:?}"
    );
}
