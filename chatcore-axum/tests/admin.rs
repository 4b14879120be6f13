//! Site administration through the real router: suspension closes sockets and
//! refuses login; an administrator deletes a room they are not in; private rooms show
//! their members, never their messages. (Who gets 403 on which admin route is in the
//! authorization matrix, tests/authz.rs.)
#![allow(clippy::unwrap_used)]

mod common;

use common::Server;
use reqwest::Method;
use serde_json::json;

/// Bob's password (strong enough for any password policy).
const PASSWORD: &str = "tulip radar canyon";

async fn register(s: &Server, name: &str) -> common::User {
    let r = s
        .call(
            None,
            Method::POST,
            "/auth/register",
            Some(json!({"username": name, "password": PASSWORD})),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    common::User {
        id: r.body["user"]["id"].as_str().unwrap().to_owned(),
        name: name.to_owned(),
        token: r.body["token"].as_str().unwrap().to_owned(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_suspended_users_socket_closes_and_login_is_refused() {
    let s = Server::start().await;
    let admin = s.register("admin").await;
    let bob = register(&s, "bob").await;
    assert!(s.chat.grant_site_admin("admin").await.unwrap());
    let room = s.room(&bob, "public", "Bob's").await;
    s.send(&bob, &room, "kept").await;
    let mut socket = s.ws(&bob).await;

    let r = s
        .post(
            &admin,
            &format!("/admin/users/{}/suspend", bob.id),
            json!({}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.body["suspended_at"].is_string(), "{}", r.body);
    assert_eq!(socket.close_code().await, Some(4004));

    // The old token is dead, a new login is refused with the documented code.
    assert_eq!(s.get(&bob, "/me").await.status, 401);
    let login = s
        .call(
            None,
            Method::POST,
            "/auth/login",
            Some(json!({"username": "bob", "password": PASSWORD})),
        )
        .await;
    assert_eq!(login.status, 403, "{}", login.body);
    assert_eq!(login.body["error"]["code"], "account_suspended");

    // The audit log names the action, the actor and the target.
    let log = s.get(&admin, "/admin/audit").await;
    assert_eq!(log.status, 200);
    assert_eq!(log.body[0]["action"], "suspend");
    assert_eq!(log.body[0]["actor"], admin.id.as_str());
    assert_eq!(log.body[0]["target_user"], bob.id.as_str());

    // Lifted: bob logs in again and his message is still there.
    let r = s
        .post(
            &admin,
            &format!("/admin/users/{}/unsuspend", bob.id),
            json!({}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.body["suspended_at"].is_null());
    let login = s
        .call(
            None,
            Method::POST,
            "/auth/login",
            Some(json!({"username": "bob", "password": PASSWORD})),
        )
        .await;
    assert_eq!(login.status, 200, "{}", login.body);
    let bob = common::User {
        token: login.body["token"].as_str().unwrap().to_owned(),
        ..bob
    };
    let history = s.get(&bob, &format!("/rooms/{room}/messages")).await;
    let bodies: Vec<&str> = history.body["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|m| m["body"].as_str())
        .collect();
    assert!(bodies.contains(&"kept"), "{}", history.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_site_admin_deletes_a_private_room_they_are_not_in() {
    let s = Server::start().await;
    let admin = s.register("admin").await;
    let carol = s.register("carol").await;
    s.chat.grant_site_admin("admin").await.unwrap();
    let room = s.room(&carol, "private", "Secret").await;
    s.send(&carol, &room, "private words").await;
    let mut carols_socket = s.ws(&carol).await;

    // Existence and members, never messages.
    let rooms = s.get(&admin, "/admin/rooms").await;
    assert_eq!(rooms.status, 200);
    assert_eq!(rooms.body[0]["id"], room.as_str());
    assert_eq!(rooms.body[0]["member_count"], 1);
    assert!(!rooms.body.to_string().contains("private words"));
    let members = s.get(&admin, &format!("/admin/rooms/{room}/members")).await;
    assert_eq!(members.body[0]["user"]["id"], carol.id.as_str());
    assert_eq!(members.body[0]["role"], "owner");
    assert_eq!(
        s.get(&admin, &format!("/rooms/{room}/messages"))
            .await
            .status,
        404,
        "the ordinary routes treat the admin as any non-member"
    );

    let r = s
        .call(
            Some(&admin),
            Method::DELETE,
            &format!("/admin/rooms/{room}"),
            None,
        )
        .await;
    assert_eq!(r.status, 204, "{}", r.body);
    let ev = carols_socket.next_of(&["room_deleted"]).await;
    assert_eq!(ev["room"], room.as_str());
    assert_eq!(s.get(&carol, &format!("/rooms/{room}")).await.status, 404);
    let log = s.get(&admin, "/admin/audit").await;
    assert_eq!(log.body[0]["action"], "delete_room");
    assert_eq!(log.body[0]["target_room"], room.as_str());
    assert_eq!(log.body[0]["detail"], "Secret");

    // The owner is no site admin: the admin routes refuse her.
    assert_eq!(s.get(&carol, "/admin/rooms").await.status, 403);
    let bad = s.get(&admin, "/admin/users?limit=0").await;
    assert_eq!(bad.status, 422, "{}", bad.body);
}
