//! The authorization matrix at the HTTP level: every route × every kind of caller
//! (anonymous, non-member, banned, member, moderator, admin, owner, and a site
//! administrator who is not in the room), against a public and a private room, each
//! cell on a fresh fixture, compared with the expected status.
//!
//! The site administrator expects what a non-member gets (the ordinary routes give
//! them nothing more: no private room's messages), except on the rows of
//! [`SITE_ADMIN`]; the `/admin/*` rows answer 403 to every other caller.
//!
//! A route added to the router without a row here fails
//! `every_route_is_in_the_matrix`.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::BTreeSet;
use std::fmt::Write as _;

use chatcore::ExternalUser;
use common::{Resp, Server, User};
use reqwest::Method;
use serde_json::{Value, json};

/// The callers, in matrix column order.
const WHO: [&str; 7] = [
    "anonymous",
    "nonmember",
    "banned",
    "member",
    "moderator",
    "admin",
    "owner",
];

/// The caller of the extra column: a site administrator who is in no room.
const SITE_ADMIN_CALLER: &str = "site_admin";

/// Where the site administrator's status differs from a non-member's: method,
/// route, public room, private room.
const SITE_ADMIN: &[(&str, &str, u16, u16)] = &[
    ("GET", "/admin/users", 200, 200),
    ("POST", "/admin/users/{victim}/suspend", 200, 200),
    ("POST", "/admin/users/{victim}/unsuspend", 200, 200),
    ("GET", "/admin/rooms", 200, 200),
    ("DELETE", "/admin/rooms/{room}", 204, 204),
    ("GET", "/admin/rooms/{room}/members", 200, 200),
    ("GET", "/admin/audit", 200, 200),
    ("GET", "/rooms/{room}/reports", 200, 200),
    ("POST", "/reports/{report}/resolve", 200, 200),
    ("GET", "/rooms/{room}/audit", 200, 200),
    ("GET", "/admin/reports", 200, 200),
];

/// Statuses of an `/admin/*` route for the callers of [`WHO`]: none of them is a site
/// administrator.
const NOT_SITE_ADMIN: [u16; 7] = [401, 403, 403, 403, 403, 403, 403];

/// One fresh world: a room of `kind` with one user per role, a victim (a plain
/// member) to act upon, an invitee, a message of the member.
struct Fixture {
    users: std::collections::HashMap<&'static str, User>,
    session_of_owner: String,
    room: String,
    message_of_member: String,
    /// The id of an image the member posted to the room.
    file_of_member: String,
    code: String,
    /// An open report (by the victim) of the member's message.
    report: String,
}

/// A valid 1×1 PNG.
const PNG: &[u8] = &[
    137, 80, 78, 71, 13, 10, 26, 10, 0, 0, 0, 13, 73, 72, 68, 82, 0, 0, 0, 1, 0, 0, 0, 1, 8, 6, 0,
    0, 0, 31, 21, 196, 137, 0, 0, 0, 13, 73, 68, 65, 84, 120, 218, 99, 252, 207, 192, 80, 15, 0, 4,
    133, 1, 128, 132, 169, 140, 33, 0, 0, 0, 0, 73, 69, 78, 68, 174, 66, 96, 130,
];

/// A row body that stands for "a multipart form with one PNG file" (upload routes).
const UPLOAD_MARKER: &str = "$upload-png";

fn png_upload(_: &Fixture) -> Option<Value> {
    Some(json!(UPLOAD_MARKER))
}

/// POST a multipart form with one PNG file as `user` (or anonymously).
async fn upload(s: &Server, user: Option<&User>, path: &str) -> Resp {
    let boundary = "----chatcore-authz-boundary-3f9c";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"p.png\"\r\n\
         Content-Type: image/png\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(PNG);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let mut r = s.req(Method::POST, path).header(
        "content-type",
        format!("multipart/form-data; boundary={boundary}"),
    );
    if let Some(u) = user {
        r = r.bearer_auth(&u.token);
    }
    Resp::from(r.body(body).send().await.unwrap()).await
}

async fn user(s: &Server, tag: &str, role: &str) -> User {
    let chat = &s.chat;
    let u = chat
        .ensure_external_user(ExternalUser {
            external_id: format!("{tag}:{role}"),
            username: format!("{role}{}", tag.len()),
            display_name: None,
        })
        .await
        .unwrap();
    let t = chat.create_session(u.id, None).await.unwrap();
    User {
        id: u.id.to_string(),
        name: u.username.to_string(),
        token: t.token,
    }
}

async fn ok(r: Resp, what: &str) -> Value {
    assert!(
        (200..300).contains(&r.status),
        "fixture {what}: {} {}",
        r.status,
        r.body
    );
    r.body
}

async fn fixture(s: &Server, tag: &str, kind: &str) -> Fixture {
    let mut users = std::collections::HashMap::new();
    for role in [
        "nonmember",
        "banned",
        "member",
        "moderator",
        "admin",
        "owner",
        "victim",
        "invitee",
        SITE_ADMIN_CALLER,
    ] {
        users.insert(role, user(s, tag, role).await);
    }
    let site_admin = users[SITE_ADMIN_CALLER].name.clone();
    s.chat.grant_site_admin(&site_admin).await.unwrap();
    let owner = users["owner"].clone();
    let room = ok(
        s.post(
            &owner,
            "/rooms",
            json!({"kind": kind, "name": format!("Room {tag}")}),
        )
        .await,
        "room",
    )
    .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    // Private rooms are joined by code; public rooms have none.
    let code = if kind == "private" {
        ok(s.get(&owner, &format!("/rooms/{room}/code")).await, "code").await["code"]
            .as_str()
            .unwrap()
            .to_owned()
    } else {
        "ZZZZZZZZ".to_owned()
    };
    for role in ["banned", "member", "moderator", "admin", "victim"] {
        let u = &users[role];
        let r = if kind == "private" {
            s.post(u, "/rooms/join-by-code", json!({"code": code}))
                .await
        } else {
            s.post(u, &format!("/rooms/{room}/join"), json!({})).await
        };
        ok(r, "join").await;
    }
    for (role, as_role) in [("moderator", "moderator"), ("admin", "admin")] {
        let r = s
            .call(
                Some(&owner),
                Method::PUT,
                &format!("/rooms/{room}/members/{}/role", users[role].id),
                Some(json!({"role": as_role})),
            )
            .await;
        ok(r, "role").await;
    }
    ok(
        s.post(
            &owner,
            &format!("/rooms/{room}/bans"),
            json!({"user_id": users["banned"].id, "reason": "test"}),
        )
        .await,
        "ban",
    )
    .await;
    let message_of_member = ok(
        s.post(
            &users["member"],
            &format!("/rooms/{room}/messages"),
            json!({"body": "hello"}),
        )
        .await,
        "message",
    )
    .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let file = ok(
        upload(s, Some(&users["member"]), &format!("/rooms/{room}/files")).await,
        "file",
    )
    .await;
    let file_of_member = file["attachment"]["blob_id"].as_str().unwrap().to_owned();
    let report = ok(
        s.post(
            &users["victim"],
            &format!("/messages/{message_of_member}/report"),
            json!({"reason": "spam"}),
        )
        .await,
        "report",
    )
    .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    ok(
        s.call(
            Some(&owner),
            Method::PUT,
            &format!("/rooms/{room}/members/{}/timeout", users["victim"].id),
            Some(json!({"duration_secs": 600})),
        )
        .await,
        "timeout",
    )
    .await;
    let sessions = ok(s.get(&owner, "/auth/sessions").await, "sessions").await;
    let session_of_owner = sessions[0]["id"].as_str().unwrap().to_owned();
    Fixture {
        users,
        session_of_owner,
        room,
        message_of_member,
        file_of_member,
        code,
        report,
    }
}

/// One row: method, route template, body, and the expected status per caller (in
/// [`WHO`] order) in a public room and in a private room.
struct Row {
    method: &'static str,
    route: &'static str,
    body: fn(&Fixture) -> Option<Value>,
    public: [u16; 7],
    private: [u16; 7],
}

fn none(_: &Fixture) -> Option<Value> {
    None
}

fn empty(_: &Fixture) -> Option<Value> {
    Some(json!({}))
}

/// Statuses that do not depend on the room: anonymous 401, everyone else `ok`.
const fn any_user(ok: u16) -> [u16; 7] {
    [401, ok, ok, ok, ok, ok, ok]
}

fn rows() -> Vec<Row> {
    // Columns: anonymous, nonmember, banned, member, moderator, admin, owner.
    vec![
        Row {
            method: "POST",
            route: "/auth/register",
            body: |_| Some(json!({"username": "newcomer", "password": "tulip radar canyon"})),
            public: [201, 201, 201, 201, 201, 201, 201],
            private: [201, 201, 201, 201, 201, 201, 201],
        },
        Row {
            method: "POST",
            route: "/auth/login",
            body: |f| {
                Some(json!({"username": f.users["owner"].name, "password": "whatever lantern one"}))
            },
            public: [401; 7],
            private: [401; 7],
        },
        Row {
            method: "POST",
            route: "/auth/logout",
            body: none,
            public: any_user(204),
            private: any_user(204),
        },
        Row {
            method: "POST",
            route: "/auth/logout-all",
            body: none,
            public: any_user(204),
            private: any_user(204),
        },
        Row {
            method: "GET",
            route: "/auth/sessions",
            body: none,
            public: any_user(200),
            private: any_user(200),
        },
        // Only the owner of a session may revoke it; to others it does not exist.
        Row {
            method: "DELETE",
            route: "/auth/sessions/{owner_session}",
            body: none,
            public: [401, 404, 404, 404, 404, 404, 204],
            private: [401, 404, 404, 404, 404, 404, 204],
        },
        Row {
            method: "GET",
            route: "/me",
            body: none,
            public: any_user(200),
            private: any_user(200),
        },
        Row {
            method: "PATCH",
            route: "/me",
            body: |_| Some(json!({"bio": "hi"})),
            public: any_user(200),
            private: any_user(200),
        },
        // Host-made users have no password: deleting needs none.
        Row {
            method: "DELETE",
            route: "/me",
            body: empty,
            public: any_user(204),
            private: any_user(204),
        },
        Row {
            method: "POST",
            route: "/me/password",
            body: |_| Some(json!({"old": "tulip radar canyon", "new": "tulip radar meadow"})),
            public: any_user(403),
            private: any_user(403),
        },
        Row {
            method: "GET",
            route: "/users/{victim}",
            body: none,
            public: any_user(200),
            private: any_user(200),
        },
        Row {
            method: "GET",
            route: "/users/by-name/{victim_name}",
            body: none,
            public: any_user(200),
            private: any_user(200),
        },
        Row {
            method: "GET",
            route: "/rooms",
            body: none,
            public: any_user(200),
            private: any_user(200),
        },
        Row {
            method: "GET",
            route: "/me/rooms",
            body: none,
            public: any_user(200),
            private: any_user(200),
        },
        Row {
            method: "POST",
            route: "/rooms",
            body: |_| Some(json!({"kind": "public", "name": "Another"})),
            public: any_user(201),
            private: any_user(201),
        },
        Row {
            method: "GET",
            route: "/rooms/{room}",
            body: none,
            public: any_user(200),
            private: [401, 404, 404, 200, 200, 200, 200],
        },
        Row {
            method: "PATCH",
            route: "/rooms/{room}",
            body: |_| Some(json!({"description": "changed"})),
            public: [401, 403, 403, 403, 403, 200, 200],
            private: [401, 404, 404, 403, 403, 200, 200],
        },
        Row {
            method: "DELETE",
            route: "/rooms/{room}",
            body: none,
            public: [401, 403, 403, 403, 403, 403, 204],
            private: [401, 404, 404, 403, 403, 403, 204],
        },
        Row {
            method: "POST",
            route: "/rooms/{room}/join",
            body: empty,
            public: [401, 200, 403, 409, 409, 409, 409],
            private: [401, 404, 404, 409, 409, 409, 409],
        },
        Row {
            method: "POST",
            route: "/rooms/join-by-code",
            body: |f| Some(json!({"code": f.code})),
            public: any_user(404),
            private: [401, 200, 403, 409, 409, 409, 409],
        },
        // An owner who leaves hands the room to the highest-ranked member (DOMAIN.md).
        Row {
            method: "POST",
            route: "/rooms/{room}/leave",
            body: none,
            public: [401, 403, 403, 204, 204, 204, 204],
            private: [401, 404, 404, 204, 204, 204, 204],
        },
        Row {
            method: "GET",
            route: "/rooms/{room}/members",
            body: none,
            public: [401, 200, 200, 200, 200, 200, 200],
            private: [401, 404, 404, 200, 200, 200, 200],
        },
        // Public rooms have no code.
        Row {
            method: "GET",
            route: "/rooms/{room}/code",
            body: none,
            public: [401, 403, 403, 403, 403, 404, 404],
            private: [401, 404, 404, 403, 403, 200, 200],
        },
        Row {
            method: "POST",
            route: "/rooms/{room}/code/rotate",
            body: none,
            public: [401, 403, 403, 422, 422, 422, 422],
            private: [401, 404, 404, 403, 403, 200, 200],
        },
        Row {
            method: "POST",
            route: "/rooms/{room}/transfer",
            body: |f| Some(json!({"user_id": f.users["victim"].id})),
            public: [401, 403, 403, 403, 403, 403, 204],
            private: [401, 404, 404, 403, 403, 403, 204],
        },
        Row {
            method: "POST",
            route: "/rooms/{room}/invites",
            body: |f| Some(json!({"user_id": f.users["invitee"].id})),
            public: [401, 403, 403, 403, 204, 204, 204],
            private: [401, 404, 404, 403, 204, 204, 204],
        },
        Row {
            method: "GET",
            route: "/me/invites",
            body: none,
            public: any_user(200),
            private: any_user(200),
        },
        // Nobody was invited: declining is "not found" for everyone.
        Row {
            method: "DELETE",
            route: "/me/invites/{room}",
            body: none,
            public: any_user(404),
            private: any_user(404),
        },
        Row {
            method: "PUT",
            route: "/rooms/{room}/members/{victim}/role",
            body: |_| Some(json!({"role": "moderator"})),
            public: [401, 403, 403, 403, 403, 204, 204],
            private: [401, 404, 404, 403, 403, 204, 204],
        },
        Row {
            method: "POST",
            route: "/rooms/{room}/members/{victim}/kick",
            body: none,
            public: [401, 403, 403, 403, 204, 204, 204],
            private: [401, 404, 404, 403, 204, 204, 204],
        },
        Row {
            method: "POST",
            route: "/rooms/{room}/bans",
            body: |f| Some(json!({"user_id": f.users["victim"].id, "reason": "spam"})),
            public: [401, 403, 403, 403, 201, 201, 201],
            private: [401, 404, 404, 403, 201, 201, 201],
        },
        Row {
            method: "GET",
            route: "/rooms/{room}/bans",
            body: none,
            public: [401, 403, 403, 403, 200, 200, 200],
            private: [401, 404, 404, 403, 200, 200, 200],
        },
        Row {
            method: "DELETE",
            route: "/rooms/{room}/bans/{banned}",
            body: none,
            public: [401, 403, 403, 403, 204, 204, 204],
            private: [401, 404, 404, 403, 204, 204, 204],
        },
        Row {
            method: "GET",
            route: "/rooms/{room}/blocklist",
            body: none,
            public: [401, 403, 403, 403, 403, 200, 200],
            private: [401, 404, 404, 403, 403, 200, 200],
        },
        Row {
            method: "PUT",
            route: "/rooms/{room}/blocklist",
            body: |_| Some(json!({"entries": ["spam*"]})),
            public: [401, 403, 403, 403, 403, 200, 200],
            private: [401, 404, 404, 403, 403, 200, 200],
        },
        Row {
            method: "POST",
            route: "/messages/{message}/report",
            body: |_| Some(json!({"reason": "spam"})),
            public: [401, 404, 404, 422, 201, 201, 201],
            private: [401, 404, 404, 422, 201, 201, 201],
        },
        Row {
            method: "GET",
            route: "/rooms/{room}/reports",
            body: none,
            public: [401, 403, 403, 403, 200, 200, 200],
            private: [401, 404, 404, 403, 200, 200, 200],
        },
        Row {
            method: "POST",
            route: "/reports/{report}/resolve",
            body: |_| Some(json!({"resolution": "dismiss"})),
            public: [401, 404, 404, 404, 200, 200, 200],
            private: [401, 404, 404, 404, 200, 200, 200],
        },
        Row {
            method: "GET",
            route: "/rooms/{room}/audit",
            body: none,
            public: [401, 403, 403, 403, 403, 200, 200],
            private: [401, 404, 404, 403, 403, 200, 200],
        },
        // Data export: one's own data for everyone; a room's history for its owner.
        Row {
            method: "GET",
            route: "/me/export",
            body: none,
            public: any_user(200),
            private: any_user(200),
        },
        Row {
            method: "GET",
            route: "/rooms/{room}/export",
            body: none,
            public: [401, 403, 403, 403, 403, 403, 200],
            private: [401, 404, 404, 403, 403, 403, 200],
        },
        Row {
            method: "PUT",
            route: "/rooms/{room}/members/{victim}/timeout",
            body: |_| Some(json!({"duration_secs": 600, "reason": "calm"})),
            public: [401, 403, 403, 403, 200, 200, 200],
            private: [401, 404, 404, 403, 200, 200, 200],
        },
        Row {
            method: "DELETE",
            route: "/rooms/{room}/members/{victim}/timeout",
            body: none,
            public: [401, 403, 403, 403, 204, 204, 204],
            private: [401, 404, 404, 403, 204, 204, 204],
        },
        Row {
            method: "GET",
            route: "/me/blocks",
            body: none,
            public: any_user(200),
            private: any_user(200),
        },
        Row {
            method: "POST",
            route: "/me/blocks/{victim}",
            body: none,
            public: any_user(204),
            private: any_user(204),
        },
        Row {
            method: "DELETE",
            route: "/me/blocks/{victim}",
            body: none,
            public: any_user(204),
            private: any_user(204),
        },
        Row {
            method: "GET",
            route: "/admin/reports",
            body: none,
            public: NOT_SITE_ADMIN,
            private: NOT_SITE_ADMIN,
        },
        Row {
            method: "GET",
            route: "/rooms/{room}/messages",
            body: none,
            public: [401, 403, 403, 200, 200, 200, 200],
            private: [401, 404, 404, 200, 200, 200, 200],
        },
        Row {
            method: "POST",
            route: "/rooms/{room}/messages",
            body: |_| Some(json!({"body": "hi"})),
            public: [401, 403, 403, 201, 201, 201, 201],
            private: [401, 404, 404, 201, 201, 201, 201],
        },
        // Read positions are the members' own.
        Row {
            method: "POST",
            route: "/rooms/{room}/read",
            body: |_| Some(json!({"seq": 1})),
            public: [401, 403, 403, 200, 200, 200, 200],
            private: [401, 404, 404, 200, 200, 200, 200],
        },
        Row {
            method: "POST",
            route: "/rooms/{room}/unread",
            body: |_| Some(json!({"seq": 1})),
            public: [401, 403, 403, 200, 200, 200, 200],
            private: [401, 404, 404, 200, 200, 200, 200],
        },
        Row {
            method: "GET",
            route: "/rooms/{room}/receipts",
            body: none,
            public: [401, 403, 403, 200, 200, 200, 200],
            private: [401, 404, 404, 200, 200, 200, 200],
        },
        Row {
            method: "GET",
            route: "/me/read-settings",
            body: none,
            public: any_user(200),
            private: any_user(200),
        },
        Row {
            method: "PUT",
            route: "/me/read-settings",
            body: |_| Some(json!({"private_receipts": true})),
            public: any_user(200),
            private: any_user(200),
        },
        Row {
            method: "PUT",
            route: "/rooms/{room}/notifications",
            body: |_| Some(json!({"level": "mentions"})),
            public: [401, 403, 403, 200, 200, 200, 200],
            private: [401, 404, 404, 200, 200, 200, 200],
        },
        // Only the author edits; moderators and up delete messages of lower ranks.
        // Messages of rooms one is not a member of do not exist for them.
        Row {
            method: "PATCH",
            route: "/messages/{message}",
            body: |_| Some(json!({"body": "edited"})),
            public: [401, 404, 404, 200, 403, 403, 403],
            private: [401, 404, 404, 200, 403, 403, 403],
        },
        Row {
            method: "DELETE",
            route: "/messages/{message}",
            body: none,
            public: [401, 404, 404, 204, 204, 204, 204],
            private: [401, 404, 404, 204, 204, 204, 204],
        },
        // Every member reacts; messages of rooms one is not in do not exist for them.
        Row {
            method: "PUT",
            route: "/messages/{message}/reactions/{emoji}",
            body: none,
            public: [401, 404, 404, 204, 204, 204, 204],
            private: [401, 404, 404, 204, 204, 204, 204],
        },
        Row {
            method: "DELETE",
            route: "/messages/{message}/reactions/{emoji}",
            body: none,
            public: [401, 404, 404, 204, 204, 204, 204],
            private: [401, 404, 404, 204, 204, 204, 204],
        },
        // Members read the pins; moderators and up pin and unpin.
        Row {
            method: "GET",
            route: "/rooms/{room}/pins",
            body: none,
            public: [401, 403, 403, 200, 200, 200, 200],
            private: [401, 404, 404, 200, 200, 200, 200],
        },
        Row {
            method: "PUT",
            route: "/messages/{message}/pin",
            body: none,
            public: [401, 404, 404, 403, 204, 204, 204],
            private: [401, 404, 404, 403, 204, 204, 204],
        },
        Row {
            method: "DELETE",
            route: "/messages/{message}/pin",
            body: none,
            public: [401, 404, 404, 403, 204, 204, 204],
            private: [401, 404, 404, 403, 204, 204, 204],
        },
        // Search: any user, over their own rooms only (the rooms filter is checked).
        Row {
            method: "GET",
            route: "/search?q=hello",
            body: none,
            public: any_user(200),
            private: any_user(200),
        },
        Row {
            method: "GET",
            route: "/search?q=hello&room={room}",
            body: none,
            public: [401, 403, 403, 200, 200, 200, 200],
            private: [401, 404, 404, 200, 200, 200, 200],
        },
        Row {
            method: "POST",
            route: "/direct",
            body: |f| Some(json!({"user_id": f.users["victim"].id})),
            public: any_user(200),
            private: any_user(200),
        },
        Row {
            method: "GET",
            route: "/direct",
            body: none,
            public: any_user(200),
            private: any_user(200),
        },
        // Accounts (email verification, password reset): a made-up token is refused
        // the same way for everyone; a reset request answers 202 whether or not the
        // address exists. The matrix's users come from the host app and have no
        // email address, so asking for a verification link is invalid for them.
        Row {
            method: "POST",
            route: "/auth/verify-email",
            body: |_| Some(json!({"token": "A".repeat(43)})),
            public: [400; 7],
            private: [400; 7],
        },
        Row {
            method: "POST",
            route: "/me/verify-email",
            body: empty,
            public: any_user(422),
            private: any_user(422),
        },
        Row {
            method: "POST",
            route: "/auth/password-reset/request",
            body: |_| Some(json!({"email": "nobody@example.com"})),
            public: [202; 7],
            private: [202; 7],
        },
        Row {
            method: "POST",
            route: "/auth/password-reset",
            body: |_| Some(json!({"token": "A".repeat(43), "password": "tulip radar meadow"})),
            public: [400; 7],
            private: [400; 7],
        },
        // Media: one's own avatar; a room's avatar is a room setting (admin and up);
        // a file message is a message; a room's files reach its members only.
        Row {
            method: "POST",
            route: "/me/avatar",
            body: png_upload,
            public: any_user(200),
            private: any_user(200),
        },
        Row {
            method: "POST",
            route: "/rooms/{room}/avatar",
            body: png_upload,
            public: [401, 403, 403, 403, 403, 200, 200],
            private: [401, 404, 404, 403, 403, 200, 200],
        },
        Row {
            method: "POST",
            route: "/rooms/{room}/files",
            body: png_upload,
            public: [401, 403, 403, 201, 201, 201, 201],
            private: [401, 404, 404, 201, 201, 201, 201],
        },
        Row {
            method: "GET",
            route: "/files/{file}",
            body: none,
            public: [401, 404, 404, 200, 200, 200, 200],
            private: [401, 404, 404, 200, 200, 200, 200],
        },
        Row {
            method: "GET",
            route: "/openapi.json",
            body: none,
            public: [200; 7],
            private: [200; 7],
        },
        // Site administration (the site administrator's statuses are in SITE_ADMIN).
        Row {
            method: "GET",
            route: "/admin/users",
            body: none,
            public: NOT_SITE_ADMIN,
            private: NOT_SITE_ADMIN,
        },
        Row {
            method: "POST",
            route: "/admin/users/{victim}/suspend",
            body: none,
            public: NOT_SITE_ADMIN,
            private: NOT_SITE_ADMIN,
        },
        Row {
            method: "POST",
            route: "/admin/users/{victim}/unsuspend",
            body: none,
            public: NOT_SITE_ADMIN,
            private: NOT_SITE_ADMIN,
        },
        Row {
            method: "GET",
            route: "/admin/rooms",
            body: none,
            public: NOT_SITE_ADMIN,
            private: NOT_SITE_ADMIN,
        },
        Row {
            method: "DELETE",
            route: "/admin/rooms/{room}",
            body: none,
            public: NOT_SITE_ADMIN,
            private: NOT_SITE_ADMIN,
        },
        Row {
            method: "GET",
            route: "/admin/rooms/{room}/members",
            body: none,
            public: NOT_SITE_ADMIN,
            private: NOT_SITE_ADMIN,
        },
        Row {
            method: "GET",
            route: "/admin/audit",
            body: none,
            public: NOT_SITE_ADMIN,
            private: NOT_SITE_ADMIN,
        },
        // Guests are on in this matrix's server; what guests may not do is in
        // tests/guests.rs (`guest_matrix`).
        Row {
            method: "POST",
            route: "/auth/guest",
            body: |_| Some(json!({"display_name": "Visitor"})),
            public: [201; 7],
            private: [201; 7],
        },
        Row {
            method: "GET",
            route: "/auth/options",
            body: none,
            public: [200; 7],
            private: [200; 7],
        },
    ]
}

/// The site administrator's expected status on `row`.
fn site_admin_expects(row: &Row, private: bool) -> u16 {
    let special = SITE_ADMIN
        .iter()
        .find(|(m, r, _, _)| *m == row.method && *r == row.route);
    match (special, private) {
        (Some(&(_, _, public, _)), false) => public,
        (Some(&(_, _, _, private)), true) => private,
        // Column 1 of WHO: the non-member.
        (None, false) => row.public[1],
        (None, true) => row.private[1],
    }
}

fn concrete(route: &str, f: &Fixture) -> String {
    route
        .replace("{room}", &f.room)
        .replace("{victim}", &f.users["victim"].id)
        .replace("{victim_name}", &f.users["victim"].name)
        .replace("{banned}", &f.users["banned"].id)
        .replace("{message}", &f.message_of_member)
        .replace("{owner_session}", &f.session_of_owner)
        .replace("{file}", &f.file_of_member)
        .replace("{emoji}", "%F0%9F%91%8D")
        .replace("{report}", &f.report)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn authorization_matrix() {
    let s = Server::start_with(common::Setup {
        limits: chatcore::Limits {
            guests: true,
            ..chatcore::Limits::without_rate_limits()
        },
        ..Default::default()
    })
    .await;
    let mut failures = String::new();
    let mut n = 0;
    for (kind, private) in [("public", false), ("private", true)] {
        for row in rows() {
            for (col, who) in WHO.iter().chain([&SITE_ADMIN_CALLER]).enumerate() {
                n += 1;
                // A fresh world per cell: a successful call cannot change the next one.
                let f = fixture(&s, &format!("c{n}"), kind).await;
                let caller = f.users.get(who).cloned();
                let method = Method::from_bytes(row.method.as_bytes()).unwrap();
                let path = concrete(row.route, &f);
                let mut body = (row.body)(&f);
                if row.route == "/auth/register" {
                    body = Some(
                        json!({"username": format!("new{n}"), "password": "tulip radar canyon"}),
                    );
                }
                let r = if body.as_ref().and_then(Value::as_str) == Some(UPLOAD_MARKER) {
                    upload(&s, caller.as_ref(), &path).await
                } else {
                    s.call(caller.as_ref(), method, &path, body).await
                };
                let expected = if col == WHO.len() {
                    site_admin_expects(&row, private)
                } else if private {
                    row.private[col]
                } else {
                    row.public[col]
                };
                if r.status != expected {
                    let _ = writeln!(
                        failures,
                        "{kind:7} {:6} {:40} {who:9}: expected {expected}, got {} {}",
                        row.method, row.route, r.status, r.body
                    );
                }
                // Every error has the one JSON shape.
                if r.status >= 400 {
                    assert!(
                        r.body["error"]["code"].is_string(),
                        "{} {}: {}",
                        row.method,
                        row.route,
                        r.body
                    );
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "authorization matrix mismatches:\n{failures}"
    );
}

#[test]
fn every_route_is_in_the_matrix() {
    let covered: BTreeSet<(String, String)> = rows()
        .iter()
        .map(|r| {
            let route = r
                .route
                .replace("{room}", "{id}")
                .replace("{owner_session}", "{id}")
                .replace("{message}", "{id}")
                .replace("{victim_name}", "{username}")
                .replace("{victim}", "{id}")
                .replace("{banned}", "{user_id}")
                .replace("{file}", "{id}")
                .replace("{report}", "{id}");
            let route = route.split('?').next().unwrap_or_default().to_owned();
            (r.method.to_owned(), route)
        })
        .collect();
    for (method, route, _, _) in SITE_ADMIN {
        assert!(
            rows()
                .iter()
                .any(|r| r.method == *method && r.route == *route),
            "{method} {route} of SITE_ADMIN has no row"
        );
    }
    for (method, route) in common::ROUTES {
        // The WebSocket upgrade is authorized in tests/security.rs
        // (websocket_authentication_modes, websocket_origins_are_checked_before_the_upgrade).
        if *route == "/ws" {
            continue;
        }
        let normalized = route
            .replace("{user_id}", "{id}")
            .replace("{room_id}", "{id}");
        let ours: BTreeSet<String> = covered
            .iter()
            .filter(|(m, _)| m == method)
            .map(|(_, r)| r.replace("{user_id}", "{id}"))
            .collect();
        assert!(
            ours.contains(&normalized),
            "{method} {route} has no row in the authorization matrix"
        );
    }
}
