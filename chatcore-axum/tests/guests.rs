//! Guest accounts over HTTP: off by default, `POST /auth/guest`, the rows of what a
//! guest may and may not do (enforced in chatcore), the stricter send rate and the
//! per-address limit.
#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use chatcore::Limits;
use chatcore::rate::Rate;
use common::{Resp, Server, Setup, User};
use reqwest::Method;
use serde_json::{Value, json};

fn guests_on() -> Setup {
    Setup {
        limits: Limits {
            guests: true,
            ..Limits::without_rate_limits()
        },
        ..Default::default()
    }
}

async fn guest(s: &Server, name: &str) -> (User, Resp) {
    let r = s
        .call(
            None,
            Method::POST,
            "/auth/guest",
            Some(json!({"display_name": name})),
        )
        .await;
    assert_eq!(r.status, 201, "guest: {}", r.body);
    let u = User {
        id: r.body["user"]["id"].as_str().unwrap().to_owned(),
        name: r.body["user"]["username"].as_str().unwrap().to_owned(),
        token: r.body["token"].as_str().unwrap().to_owned(),
    };
    (u, r)
}

/// A valid 1×1 PNG.
const PNG: &[u8] = &[
    137, 80, 78, 71, 13, 10, 26, 10, 0, 0, 0, 13, 73, 72, 68, 82, 0, 0, 0, 1, 0, 0, 0, 1, 8, 6, 0,
    0, 0, 31, 21, 196, 137, 0, 0, 0, 13, 73, 68, 65, 84, 120, 218, 99, 252, 207, 192, 80, 15, 0, 4,
    133, 1, 128, 132, 169, 140, 33, 0, 0, 0, 0, 73, 69, 78, 68, 174, 66, 96, 130,
];

async fn upload(s: &Server, user: &User, path: &str) -> Resp {
    let boundary = "----chatcore-guests-boundary";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"p.png\"\r\n\
         Content-Type: image/png\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(PNG);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let r = s
        .req(Method::POST, path)
        .header(
            "content-type",
            format!("multipart/form-data; boundary={boundary}"),
        )
        .bearer_auth(&user.token);
    Resp::from(r.body(body).send().await.unwrap()).await
}

#[tokio::test]
async fn guests_are_off_by_default() {
    let s = Server::start().await;
    let r = s
        .call(
            None,
            Method::POST,
            "/auth/guest",
            Some(json!({"display_name": "Visitor"})),
        )
        .await;
    r.assert_error(403, "guests_disabled");
    let r = s.call(None, Method::GET, "/auth/options", None).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body, json!({"password_auth": true, "guests": false}));
}

/// Who calls, what, and the status expected.
struct GuestRow {
    caller: &'static str,
    method: &'static str,
    route: &'static str,
    body: Option<Value>,
    expect: u16,
}

fn row(
    caller: &'static str,
    method: &'static str,
    route: &'static str,
    body: Option<Value>,
    expect: u16,
) -> GuestRow {
    GuestRow {
        caller,
        method,
        route,
        body,
        expect,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn guest_matrix() {
    let s = Server::start_with(guests_on()).await;
    let r = s.call(None, Method::GET, "/auth/options", None).await;
    assert_eq!(r.body, json!({"password_auth": true, "guests": true}));

    let alice = s.register("alice").await;
    let lobby = s.room(&alice, "public", "Lobby").await;
    let secret = s.room(&alice, "private", "Secret").await;
    let code = s.get(&alice, &format!("/rooms/{secret}/code")).await.body["code"]
        .as_str()
        .unwrap()
        .to_owned();
    let (g, created) = guest(&s, "Visitor").await;
    let user = &created.body["user"];
    assert_eq!(user["guest"], true);
    assert_eq!(user["has_password"], false);
    assert_eq!(user["display_name"], "Visitor");
    assert!(g.name.starts_with("guest-"), "{}", g.name);
    // The cookie lives as long as the guest's session: 24 h.
    let cookie = created.headers["set-cookie"].to_str().unwrap().to_owned();
    assert!(cookie.contains("Max-Age=86400"), "{cookie}");
    // Others see the flag.
    let r = s.get(&alice, &format!("/users/{}", g.id)).await;
    assert_eq!(r.body["guest"], true);
    assert_eq!(s.get(&alice, "/me").await.body["guest"], false);

    let rows = vec![
        // What guests may do.
        row("guest", "GET", "/rooms", None, 200),
        row("guest", "POST", "/rooms/{lobby}/join", Some(json!({})), 200),
        row(
            "guest",
            "POST",
            "/rooms/{lobby}/messages",
            Some(json!({"body": "hi"})),
            201,
        ),
        row("guest", "GET", "/rooms/{lobby}/messages", None, 200),
        row(
            "guest",
            "PATCH",
            "/me",
            Some(json!({"display_name": "Visitor 2"})),
            200,
        ),
        // What they may not.
        row(
            "guest",
            "POST",
            "/rooms",
            Some(json!({"kind": "public", "name": "Mine"})),
            403,
        ),
        row(
            "guest",
            "POST",
            "/direct",
            Some(json!({"user_id": "{alice}"})),
            403,
        ),
        row(
            "guest",
            "POST",
            "/rooms/join-by-code",
            Some(json!({"code": "{code}"})),
            403,
        ),
        row(
            "guest",
            "PATCH",
            "/me",
            Some(json!({"email": "g@example.com"})),
            403,
        ),
        row("guest", "POST", "/me/avatar", None, 403),
        row("guest", "POST", "/rooms/{lobby}/files", None, 403),
        row(
            "anonymous",
            "POST",
            "/auth/login",
            Some(json!({"username": "{guest_name}", "password": "anything at all"})),
            401,
        ),
        // What others may not do with a guest.
        row(
            "alice",
            "POST",
            "/direct",
            Some(json!({"user_id": "{guest}"})),
            403,
        ),
        row(
            "alice",
            "POST",
            "/rooms/{secret}/invites",
            Some(json!({"user_id": "{guest}"})),
            403,
        ),
        row(
            "alice",
            "PUT",
            "/rooms/{lobby}/members/{guest}/role",
            Some(json!({"role": "moderator"})),
            403,
        ),
        row(
            "alice",
            "POST",
            "/rooms/{lobby}/transfer",
            Some(json!({"user_id": "{guest}"})),
            403,
        ),
    ];
    let fill = |t: &str| {
        t.replace("{lobby}", &lobby)
            .replace("{secret}", &secret)
            .replace("{alice}", &alice.id)
            .replace("{guest_name}", &g.name)
            .replace("{guest}", &g.id)
            .replace("{code}", &code)
    };
    let mut failures = Vec::new();
    for r in rows {
        let caller = match r.caller {
            "guest" => Some(&g),
            "alice" => Some(&alice),
            _ => None,
        };
        let path = fill(r.route);
        let body = r
            .body
            .map(|b| serde_json::from_str::<Value>(&fill(&b.to_string())).unwrap());
        let resp = if r.route.ends_with("/avatar") || r.route.ends_with("/files") {
            upload(&s, caller.unwrap(), &path).await
        } else {
            let method = Method::from_bytes(r.method.as_bytes()).unwrap();
            s.call(caller, method, &path, body).await
        };
        if resp.status != r.expect {
            failures.push(format!(
                "{} {} {}: expected {}, got {} {}",
                r.caller, r.method, r.route, r.expect, resp.status, resp.body
            ));
        } else if r.expect == 403 {
            assert_eq!(resp.code(), "forbidden", "{} {}", r.method, r.route);
        }
    }
    assert!(failures.is_empty(), "guest rows:\n{}", failures.join("\n"));
}

#[tokio::test]
async fn guests_have_a_stricter_send_rate() {
    let s = Server::start_with(Setup {
        limits: Limits {
            guests: true,
            guest_send_rate: Some(Rate::new(2, Duration::from_secs(60))),
            ..Limits::without_rate_limits()
        },
        ..Default::default()
    })
    .await;
    let alice = s.register("alice").await;
    let lobby = s.room(&alice, "public", "Lobby").await;
    let (g, _) = guest(&s, "Visitor").await;
    s.join(&g, &lobby).await;
    s.send(&g, &lobby, "one").await;
    s.send(&g, &lobby, "two").await;
    let r = s
        .post(
            &g,
            &format!("/rooms/{lobby}/messages"),
            json!({"body": "three"}),
        )
        .await;
    r.assert_error(429, "rate_limited");
    // Registered users are not under the guest rate.
    for n in 0..5 {
        s.send(&alice, &lobby, &format!("alice {n}")).await;
    }
}

#[tokio::test]
async fn guests_count_against_the_registration_limit_per_address() {
    let mut setup = guests_on();
    setup.config.register_rate_per_ip = Some(Rate::new(2, Duration::from_secs(600)));
    let s = Server::start_with(setup).await;
    guest(&s, "One").await;
    s.register("two").await;
    let r = s
        .call(
            None,
            Method::POST,
            "/auth/guest",
            Some(json!({"display_name": "Three"})),
        )
        .await;
    r.assert_error(429, "rate_limited");
}
