//! The REST routes end to end: accounts and sessions, room lifecycle, membership,
//! invitations, roles, direct rooms — and that REST changes reach open sockets.
#![allow(clippy::unwrap_used)]

mod common;

use common::{Server, User};
use reqwest::Method;
use serde_json::json;

async fn login(s: &Server, name: &str, password: &str) -> common::Resp {
    s.call(
        None,
        Method::POST,
        "/auth/login",
        Some(json!({"username": name, "password": password})),
    )
    .await
}

#[tokio::test]
async fn accounts_profiles_and_sessions() {
    let s = Server::start().await;
    let alice = s.register("alice").await;
    let bob = s.register("bob").await;

    let r = login(&s, "ALICE", "tulip radar canyon").await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["user"]["id"], json!(alice.id));
    let second = User {
        token: r.body["token"].as_str().unwrap().to_owned(),
        ..alice.clone()
    };

    let me = s
        .call(
            Some(&alice),
            Method::PATCH,
            "/me",
            Some(json!({"display_name": "Alice A.", "bio": "hi", "email": "Alice@Example.com"})),
        )
        .await;
    assert_eq!(me.status, 200, "{}", me.body);
    assert_eq!(me.body["display_name"], "Alice A.");
    assert_eq!(me.body["email"], "alice@example.com");
    assert_eq!(me.body["has_password"], true);
    // Others see the profile without the email.
    let seen = s.get(&bob, "/users/by-name/Alice").await;
    assert_eq!(seen.status, 200);
    assert_eq!(seen.body["display_name"], "Alice A.");
    assert!(seen.body.get("email").is_none());
    let seen = s.get(&bob, &format!("/users/{}", alice.id)).await;
    assert_eq!(seen.body["username"], "alice");

    // Changing the password keeps this session and ends the others.
    let r = s
        .post(
            &alice,
            "/me/password",
            json!({"old": "wrong-password", "new": "new-password-1"}),
        )
        .await;
    r.assert_error(401, "unauthenticated");
    let r = s
        .post(
            &alice,
            "/me/password",
            json!({"old": "tulip radar canyon", "new": "new-password-1"}),
        )
        .await;
    assert_eq!(r.status, 204, "{}", r.body);
    assert_eq!(s.get(&alice, "/me").await.status, 200);
    s.get(&second, "/me")
        .await
        .assert_error(401, "unauthenticated");
    assert_eq!(login(&s, "alice", "new-password-1").await.status, 200);

    // Logout everywhere ends every session.
    let r = s
        .call(Some(&alice), Method::POST, "/auth/logout-all", None)
        .await;
    assert_eq!(r.status, 204);
    s.get(&alice, "/me")
        .await
        .assert_error(401, "unauthenticated");

    // Deleting the account needs the password.
    let r = login(&s, "bob", "tulip radar canyon").await;
    let bob2 = User {
        token: r.body["token"].as_str().unwrap().to_owned(),
        ..bob.clone()
    };
    s.call(
        Some(&bob2),
        Method::DELETE,
        "/me",
        Some(json!({"password": "nope-nope"})),
    )
    .await
    .assert_error(401, "unauthenticated");
    let r = s
        .call(
            Some(&bob2),
            Method::DELETE,
            "/me",
            Some(json!({"password": "tulip radar canyon"})),
        )
        .await;
    assert_eq!(r.status, 204, "{}", r.body);
    login(&s, "bob", "tulip radar canyon")
        .await
        .assert_error(401, "unauthenticated");
}

#[tokio::test]
async fn room_lifecycle_membership_and_roles() {
    let s = Server::start().await;
    let alice = s.register("alice").await;
    let bob = s.register("bob").await;
    let carol = s.register("carol").await;

    let room = s
        .post(&alice, "/rooms", json!({"kind": "private", "name": "Team", "description": "work", "password": "sesame-42"}))
        .await;
    assert_eq!(room.status, 201, "{}", room.body);
    assert_eq!(room.body["my_role"], "owner");
    assert_eq!(room.body["has_password"], true);
    let id = room.body["id"].as_str().unwrap().to_owned();
    let code = room.body["code"].as_str().unwrap().to_owned();

    // Join by code (case-insensitive) needs the room password.
    s.post(
        &bob,
        "/rooms/join-by-code",
        json!({"code": code.to_lowercase()}),
    )
    .await
    .assert_error(403, "forbidden");
    let r = s
        .post(
            &bob,
            "/rooms/join-by-code",
            json!({"code": code.to_lowercase(), "password": "sesame-42"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["my_role"], "member");
    assert!(r.body["code"].is_null(), "members do not see the code");
    s.get(&bob, &format!("/rooms/{id}/code"))
        .await
        .assert_error(403, "forbidden");

    // Rotating the code retires the old one.
    let rotated = s
        .call(
            Some(&alice),
            Method::POST,
            &format!("/rooms/{id}/code/rotate"),
            None,
        )
        .await;
    assert_eq!(rotated.status, 200);
    assert_ne!(rotated.body["code"], json!(code));
    s.post(
        &carol,
        "/rooms/join-by-code",
        json!({"code": code, "password": "sesame-42"}),
    )
    .await
    .assert_error(404, "not_found");

    // An invitation lets Carol in without code or password; declining removes it.
    let r = s
        .post(
            &bob,
            &format!("/rooms/{id}/invites"),
            json!({"user_id": carol.id}),
        )
        .await;
    r.assert_error(403, "forbidden");
    let r = s
        .post(
            &alice,
            &format!("/rooms/{id}/invites"),
            json!({"user_id": carol.id}),
        )
        .await;
    assert_eq!(r.status, 204, "{}", r.body);
    let invites = s.get(&carol, "/me/invites").await;
    assert_eq!(invites.body[0]["room_id"], json!(id));
    let r = s
        .call(
            Some(&carol),
            Method::DELETE,
            &format!("/me/invites/{id}"),
            None,
        )
        .await;
    assert_eq!(r.status, 204);
    assert_eq!(s.get(&carol, "/me/invites").await.body, json!([]));
    s.post(
        &alice,
        &format!("/rooms/{id}/invites"),
        json!({"user_id": carol.id}),
    )
    .await;
    let r = s
        .post(&carol, &format!("/rooms/{id}/join"), json!({}))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);

    // Roles: promote Bob to admin; he may then edit settings.
    let r = s
        .call(
            Some(&alice),
            Method::PUT,
            &format!("/rooms/{id}/members/{}/role", bob.id),
            Some(json!({"role": "admin"})),
        )
        .await;
    assert_eq!(r.status, 204, "{}", r.body);
    let r = s
        .call(
            Some(&bob),
            Method::PATCH,
            &format!("/rooms/{id}"),
            Some(json!({"name": "Team 2", "password": ""})),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["name"], "Team 2");
    assert_eq!(r.body["has_password"], false);
    let members = s.get(&carol, &format!("/rooms/{id}/members")).await;
    let roles: Vec<(String, String)> = members
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["user"]["username"].as_str().unwrap().into(),
                m["role"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert!(roles.contains(&("bob".into(), "admin".into())), "{roles:?}");

    // Transfer: Alice hands the room to Carol and becomes admin.
    let r = s
        .post(
            &alice,
            &format!("/rooms/{id}/transfer"),
            json!({"user_id": carol.id}),
        )
        .await;
    assert_eq!(r.status, 204, "{}", r.body);
    assert_eq!(
        s.get(&carol, &format!("/rooms/{id}")).await.body["my_role"],
        "owner"
    );
    assert_eq!(
        s.get(&alice, &format!("/rooms/{id}")).await.body["my_role"],
        "admin"
    );

    // Leaving; the owner deletes the room.
    let r = s
        .call(
            Some(&bob),
            Method::POST,
            &format!("/rooms/{id}/leave"),
            None,
        )
        .await;
    assert_eq!(r.status, 204);
    s.get(&bob, &format!("/rooms/{id}"))
        .await
        .assert_error(404, "not_found");
    s.call(Some(&alice), Method::DELETE, &format!("/rooms/{id}"), None)
        .await
        .assert_error(403, "forbidden");
    let r = s
        .call(Some(&carol), Method::DELETE, &format!("/rooms/{id}"), None)
        .await;
    assert_eq!(r.status, 204);
    s.get(&carol, &format!("/rooms/{id}"))
        .await
        .assert_error(404, "not_found");
}

#[tokio::test]
async fn room_lists_and_direct_rooms() {
    let s = Server::start().await;
    let alice = s.register("alice").await;
    let bob = s.register("bob").await;
    for name in ["Alpha", "Bravo", "Charlie", "Delta", "Echo"] {
        s.room(&alice, "public", name).await;
    }
    s.room(&alice, "private", "Hidden").await;

    // Public rooms, by name, two at a time.
    let mut names = vec![];
    let mut query = "/rooms?limit=2".to_owned();
    loop {
        let page = s.get(&bob, &query).await;
        assert_eq!(page.status, 200, "{}", page.body);
        let rooms = page.body.as_array().unwrap().clone();
        if rooms.is_empty() {
            break;
        }
        assert!(rooms.len() <= 2);
        for r in &rooms {
            names.push(r["name"].as_str().unwrap().to_owned());
        }
        let last = rooms.last().unwrap();
        query = format!(
            "/rooms?limit=2&after_name={}&after_id={}",
            last["name"].as_str().unwrap(),
            last["id"].as_str().unwrap()
        );
    }
    assert_eq!(names, ["Alpha", "Bravo", "Charlie", "Delta", "Echo"]);
    // Either half of the cursor alone: from a name on, or after a room.
    let names_of = |body: &serde_json::Value| -> Vec<String> {
        body.as_array()
            .unwrap()
            .iter()
            .map(|r| r["name"].as_str().unwrap().to_owned())
            .collect()
    };
    let from = s.get(&bob, "/rooms?after_name=Charlie").await;
    assert_eq!(names_of(&from.body), ["Charlie", "Delta", "Echo"]);
    let first = s.get(&bob, "/rooms?limit=1").await;
    let alpha = first.body[0]["id"].as_str().unwrap().to_owned();
    let after = s
        .get(&bob, &format!("/rooms?limit=2&after_id={alpha}"))
        .await;
    assert_eq!(names_of(&after.body), ["Bravo", "Charlie"]);
    s.get(&bob, &format!("/rooms?after_id={}", uuid::Uuid::new_v4()))
        .await
        .assert_error(404, "not_found");

    // Direct rooms, by username or id; one per pair.
    let dm = s.post(&alice, "/direct", json!({"username": "bob"})).await;
    assert_eq!(dm.status, 200, "{}", dm.body);
    assert_eq!(dm.body["kind"], "direct");
    let again = s.post(&bob, "/direct", json!({"user_id": alice.id})).await;
    assert_eq!(again.body["id"], dm.body["id"]);
    assert_eq!(again.body["peer"]["username"], "alice");
    s.post(&alice, "/direct", json!({}))
        .await
        .assert_error(422, "invalid_input");
    s.post(&alice, "/direct", json!({"user_id": alice.id}))
        .await
        .assert_error(422, "invalid_input");
    let list = s.get(&bob, "/direct").await;
    assert_eq!(list.body.as_array().unwrap().len(), 1);

    let mine = s.get(&alice, "/me/rooms").await;
    assert_eq!(mine.body["public"].as_array().unwrap().len(), 5);
    assert_eq!(mine.body["private"].as_array().unwrap().len(), 1);
    assert_eq!(mine.body["direct"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn rest_changes_reach_open_sockets() {
    let s = Server::start().await;
    let alice = s.register("alice").await;
    let bob = s.register("bob").await;
    let mut b = s.ws(&bob).await;

    // A room created by Alice, then Bob invited: the invitation arrives live.
    let room = s.room(&alice, "private", "Surprise").await;
    let r = s
        .post(
            &alice,
            &format!("/rooms/{room}/invites"),
            json!({"user_id": bob.id}),
        )
        .await;
    assert_eq!(r.status, 204);
    let invited = b.next_of(&["invited"]).await;
    assert_eq!(invited["room"], json!(room));
    assert_eq!(invited["room_name"], "Surprise");

    // Bob accepts with the `join` command: his sockets learn of the room and receive it.
    b.send(json!({"type": "join", "id": 1, "room": room})).await;
    let (mut acked, mut created) = (false, false);
    b.until(|e| {
        acked |= e["type"] == "ack" && e["id"] == 1;
        created |= e["type"] == "room_created" && e["room"]["id"] == json!(room);
        assert_ne!(e["type"], "error", "{e}");
        acked && created
    })
    .await;
    s.send(&alice, &room, "you made it").await;
    b.until(|e| e["type"] == "message_created" && e["message"]["body"] == "you made it")
        .await;

    // Edits and deletes over REST are broadcast too.
    let m = s.send(&alice, &room, "typo").await;
    let mid = m["id"].as_str().unwrap();
    let r = s
        .call(
            Some(&alice),
            Method::PATCH,
            &format!("/messages/{mid}"),
            Some(json!({"body": "fixed"})),
        )
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["body"], "fixed");
    assert!(r.body["edited_at"].is_string());
    assert_eq!(
        b.next_of(&["message_edited"]).await["message"]["body"],
        "fixed"
    );
    let r = s
        .call(
            Some(&alice),
            Method::DELETE,
            &format!("/messages/{mid}"),
            None,
        )
        .await;
    assert_eq!(r.status, 204);
    assert_eq!(
        b.next_of(&["message_deleted"]).await["message_id"],
        json!(mid)
    );

    // Settings changes are announced (without the code).
    let r = s
        .call(
            Some(&alice),
            Method::PATCH,
            &format!("/rooms/{room}"),
            Some(json!({"description": "new"})),
        )
        .await;
    assert_eq!(r.status, 200);
    let updated = b.next_of(&["room_updated"]).await;
    assert_eq!(updated["room"]["description"], "new");
    assert!(updated["room"]["code"].is_null());

    // Deleting the room tells the members.
    let r = s
        .call(
            Some(&alice),
            Method::DELETE,
            &format!("/rooms/{room}"),
            None,
        )
        .await;
    assert_eq!(r.status, 204);
    assert_eq!(b.next_of(&["room_deleted"]).await["room"], json!(room));
}
