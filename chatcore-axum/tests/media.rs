//! Accounts and media through the real stack: the router over HTTP, a SQLite file
//! store and the local-filesystem blob store. The mailer records emails and the
//! service's clock is moved by the test (no sleeps for expiry).
#![allow(clippy::unwrap_used)]

mod common;

use std::sync::Arc;
use std::time::Duration;

use chatcore::mail::{RecordingMailer, token_in};
use chatcore::model::Timestamp;
use chatcore::{AccountSettings, Chat, Limits};
use chatcore_media::ObjectBlobStore;
use chatcore_sqlite::SqliteStore;
use common::{Resp, Server, Setup, User};
use parking_lot::Mutex;
use reqwest::Method;
use serde_json::{Value, json};

/// A valid 1×1 PNG.
const PNG: &[u8] = &[
    137, 80, 78, 71, 13, 10, 26, 10, 0, 0, 0, 13, 73, 72, 68, 82, 0, 0, 0, 1, 0, 0, 0, 1, 8, 6, 0,
    0, 0, 31, 21, 196, 137, 0, 0, 0, 13, 73, 68, 65, 84, 120, 218, 99, 252, 207, 192, 80, 15, 0, 4,
    133, 1, 128, 132, 169, 140, 33, 0, 0, 0, 0, 73, 69, 78, 68, 174, 66, 96, 130,
];
const HTML: &[u8] =
    b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>";
const SVG: &[u8] =
    b"<svg xmlns=\"http://www.w3.org/2000/svg\"><script>alert(document.cookie)</script></svg>";

struct Env {
    s: Server,
    mailer: Arc<RecordingMailer>,
    now: Arc<Mutex<Timestamp>>,
    dir: tempfile::TempDir,
}

async fn start(require_verification: bool, limits: Limits) -> Env {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path().join("chat.db")).await.unwrap();
    let blobs = ObjectBlobStore::local(dir.path().join("files")).unwrap();
    let mailer = Arc::new(RecordingMailer::new());
    let now = Arc::new(Mutex::new(chrono::Utc::now()));
    let clock = now.clone();
    let chat = Chat::builder(Arc::new(store))
        .limits(limits)
        .mailer(mailer.clone())
        .blobs(Arc::new(blobs))
        .accounts(
            AccountSettings::default()
                .require_email_verification(require_verification)
                .public_url("http://chat.example"),
        )
        .clock(move || *clock.lock())
        .build();
    let s = Server::start_with(Setup {
        chat: Some(chat),
        ..Setup::default()
    })
    .await;
    Env {
        s,
        mailer,
        now,
        dir,
    }
}

impl Env {
    fn advance(&self, d: chrono::Duration) {
        *self.now.lock() += d;
    }

    /// The `nth` link token of this kind mailed to `to` (waits for background mail).
    async fn token(&self, to: &str, link: &str, nth: usize) -> String {
        for _ in 0..1000 {
            let found: Vec<String> = self
                .mailer
                .emails()
                .into_iter()
                .filter(|e| e.to == to)
                .filter_map(|e| {
                    assert!(e.text.contains("http://chat.example/#"), "{}", e.text);
                    token_in(&e.text, link)
                })
                .collect();
            if let Some(t) = found.get(nth) {
                return t.clone();
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!("no {link} email #{nth} to {to}");
    }

    async fn register(&self, name: &str, email: Option<&str>) -> User {
        let r = self
            .s
            .call(
                None,
                Method::POST,
                "/auth/register",
                Some(json!({"username": name, "password": "tulip radar canyon", "email": email})),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.body);
        User {
            id: r.body["user"]["id"].as_str().unwrap().to_owned(),
            name: name.to_owned(),
            token: r.body["token"].as_str().unwrap().to_owned(),
        }
    }

    /// POST a multipart form: one file (with the name and the content type the client
    /// claims) and text fields.
    async fn upload(
        &self,
        user: &User,
        path: &str,
        file: (&str, &str, &[u8]),
        fields: &[(&str, &str)],
    ) -> Resp {
        let boundary = "----chatcore-test-boundary-7MA4YWxkTrZu0gW";
        let mut body = Vec::new();
        for (k, v) in fields {
            body.extend_from_slice(
                format!(
                    "--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n"
                )
                .as_bytes(),
            );
        }
        let (name, claimed, bytes) = file;
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\nContent-Type: {claimed}\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        let r = self
            .s
            .req(Method::POST, path)
            .bearer_auth(&user.token)
            .header(
                "content-type",
                format!("multipart/form-data; boundary={boundary}"),
            )
            .body(body)
            .send()
            .await
            .unwrap();
        Resp::from(r).await
    }

    /// GET a file as `user`: status, headers and raw bytes.
    async fn fetch(
        &self,
        user: &User,
        url_or_path: &str,
    ) -> (u16, reqwest::header::HeaderMap, Vec<u8>) {
        let url = if url_or_path.starts_with("/chat/") {
            format!("http://{}{url_or_path}", self.s.addr)
        } else {
            self.s.url(url_or_path)
        };
        let r = self
            .s
            .http
            .get(url)
            .bearer_auth(&user.token)
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        let headers = r.headers().clone();
        (status, headers, r.bytes().await.unwrap().to_vec())
    }
}

fn header<'a>(h: &'a reqwest::header::HeaderMap, name: &str) -> &'a str {
    h.get(name).and_then(|v| v.to_str().ok()).unwrap_or("")
}

fn assert_safe_headers(h: &reqwest::header::HeaderMap) {
    assert_eq!(header(h, "x-content-type-options"), "nosniff");
    assert_eq!(
        header(h, "content-security-policy"),
        "default-src 'none'; sandbox"
    );
}

fn file_id(message: &Value) -> String {
    message["attachment"]["blob_id"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn email_verification_gates_sending_and_tokens_are_single_use_and_expire() {
    let env = start(true, Limits::without_rate_limits()).await;
    let s = &env.s;
    let walt = env.register("walt", Some("Walt@Example.com")).await;
    let room = s.room(&walt, "public", "lobby").await;
    let me = s.get(&walt, "/me").await;
    assert_eq!(me.body["email_verified"], false);

    // Unverified: login and reading work, sending and uploading do not.
    s.post(
        &walt,
        &format!("/rooms/{room}/messages"),
        json!({"body": "hi"}),
    )
    .await
    .assert_error(403, "email_unverified");
    env.upload(
        &walt,
        &format!("/rooms/{room}/files"),
        ("a.png", "image/png", PNG),
        &[],
    )
    .await
    .assert_error(403, "email_unverified");
    assert_eq!(
        s.get(&walt, &format!("/rooms/{room}/messages"))
            .await
            .status,
        200
    );

    // The link mailed at registration verifies the address, once.
    let token = env.token("walt@example.com", "verify-email", 0).await;
    let verify = |t: &str| {
        let t = t.to_owned();
        async move {
            s.call(
                None,
                Method::POST,
                "/auth/verify-email",
                Some(json!({"token": t})),
            )
            .await
        }
    };
    verify("forged-token")
        .await
        .assert_error(400, "invalid_token");
    assert_eq!(verify(&token).await.status, 204);
    verify(&token).await.assert_error(400, "invalid_token");
    assert_eq!(s.get(&walt, "/me").await.body["email_verified"], true);
    s.send(&walt, &room, "verified now").await;

    // A changed address needs a new verification; an expired link is refused.
    let r = s
        .call(
            Some(&walt),
            Method::PATCH,
            "/me",
            Some(json!({"email": "walt2@example.com"})),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["email_verified"], false);
    s.post(
        &walt,
        &format!("/rooms/{room}/messages"),
        json!({"body": "hi"}),
    )
    .await
    .assert_error(403, "email_unverified");
    assert_eq!(
        s.post(&walt, "/me/verify-email", json!({})).await.status,
        204
    );
    let fresh = env.token("walt2@example.com", "verify-email", 1).await;
    env.advance(chrono::Duration::hours(25));
    verify(&fresh).await.assert_error(400, "invalid_token");
    assert_eq!(s.get(&walt, "/me").await.body["email_verified"], false);

    // An account without an address cannot ask for a link.
    let nomail = env.register("nomail", None).await;
    s.post(&nomail, "/me/verify-email", json!({}))
        .await
        .assert_error(422, "invalid_input");
}

#[tokio::test]
async fn verification_is_off_by_default() {
    let env = start(false, Limits::without_rate_limits()).await;
    let u = env.register("free", Some("free@example.com")).await;
    let room = env.s.room(&u, "public", "open").await;
    env.s.send(&u, &room, "no verification needed").await;
}

#[tokio::test]
async fn password_reset_is_single_use_expires_and_ends_sessions() {
    let env = start(false, Limits::without_rate_limits()).await;
    let s = &env.s;
    let rita = env.register("rita", Some("rita@example.com")).await;
    let request = |email: &str| {
        let email = email.to_owned();
        async move {
            s.call(
                None,
                Method::POST,
                "/auth/password-reset/request",
                Some(json!({"email": email})),
            )
            .await
        }
    };
    let reset = |token: &str, password: &str| {
        let body = json!({"token": token, "password": password});
        async move {
            s.call(None, Method::POST, "/auth/password-reset", Some(body))
                .await
        }
    };
    // Same answer for unknown and known addresses.
    let unknown = request("ghost@example.com").await;
    let known = request("rita@example.com").await;
    assert_eq!((unknown.status, known.status), (202, 202));
    assert_eq!(unknown.body, known.body);
    let token = env.token("rita@example.com", "reset-password", 0).await;
    assert!(env.mailer.last_to("ghost@example.com").is_none());

    reset("forged", "new password 1")
        .await
        .assert_error(400, "invalid_token");
    // A password the policy refuses does not use the token up.
    reset(&token, "short")
        .await
        .assert_error(422, "invalid_input");
    assert_eq!(reset(&token, "new password 1").await.status, 204);
    // Every session ended; the new password works, the old one does not.
    assert_eq!(s.get(&rita, "/me").await.status, 401);
    let login = |p: &str| {
        let body = json!({"username": "rita", "password": p});
        async move { s.call(None, Method::POST, "/auth/login", Some(body)).await }
    };
    assert_eq!(login("new password 1").await.status, 200);
    assert_eq!(login("tulip radar canyon").await.status, 401);
    // Reuse refused.
    reset(&token, "new password 2")
        .await
        .assert_error(400, "invalid_token");

    // Expiry refused (the reset TTL is one hour).
    assert_eq!(request("rita@example.com").await.status, 202);
    let late = env.token("rita@example.com", "reset-password", 1).await;
    env.advance(chrono::Duration::minutes(61));
    reset(&late, "new password 3")
        .await
        .assert_error(400, "invalid_token");
    assert_eq!(login("new password 1").await.status, 200);

    // A newer link voids the older one.
    assert_eq!(request("rita@example.com").await.status, 202);
    let older = env.token("rita@example.com", "reset-password", 2).await;
    assert_eq!(request("rita@example.com").await.status, 202);
    let newer = env.token("rita@example.com", "reset-password", 3).await;
    reset(&older, "new password 4")
        .await
        .assert_error(400, "invalid_token");
    assert_eq!(reset(&newer, "new password 4").await.status, 204);
}

#[tokio::test]
async fn reset_requests_are_rate_limited_per_address() {
    let mut limits = Limits::without_rate_limits();
    limits.mail_rate = Some(chatcore::rate::Rate::new(2, Duration::from_secs(600)));
    let env = start(false, limits).await;
    let body = json!({"email": "someone@example.com"});
    for _ in 0..2 {
        let r = env
            .s
            .call(
                None,
                Method::POST,
                "/auth/password-reset/request",
                Some(body.clone()),
            )
            .await;
        assert_eq!(r.status, 202);
    }
    env.s
        .call(
            None,
            Method::POST,
            "/auth/password-reset/request",
            Some(body),
        )
        .await
        .assert_error(429, "rate_limited");
}

fn small_limits() -> Limits {
    let mut l = Limits::without_rate_limits();
    l.max_avatar_bytes = 1024;
    l.max_file_bytes = 4096;
    l
}

#[tokio::test]
async fn avatars_for_users_and_rooms() {
    let env = start(false, small_limits()).await;
    let s = &env.s;
    let alice = env.register("alice", None).await;
    let bob = env.register("bob", None).await;

    // A PNG, whatever the client calls it.
    let r = env
        .upload(&alice, "/me/avatar", ("me.txt", "text/plain", PNG), &[])
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let url = r.body["avatar_url"].as_str().unwrap().to_owned();
    assert!(url.starts_with("/chat/files/"), "{url}");
    // Other users see it (inline, as an image).
    let (status, h, bytes) = env.fetch(&bob, &url).await;
    assert_eq!(status, 200);
    assert_eq!(header(&h, "content-type"), "image/png");
    assert!(header(&h, "content-disposition").starts_with("inline"));
    assert_safe_headers(&h);
    assert_eq!(bytes, PNG);
    assert_eq!(
        s.get(&bob, &format!("/users/{}", alice.id)).await.body["avatar_url"],
        url.as_str()
    );

    // Only raster images; within the limit.
    env.upload(&alice, "/me/avatar", ("evil.png", "image/png", SVG), &[])
        .await
        .assert_error(415, "unsupported_file_type");
    env.upload(&alice, "/me/avatar", ("page.png", "image/png", HTML), &[])
        .await
        .assert_error(415, "unsupported_file_type");
    let mut big = PNG.to_vec();
    big.resize(1025, 0);
    env.upload(&alice, "/me/avatar", ("big.png", "image/png", &big), &[])
        .await
        .assert_error(413, "too_large");

    // A new avatar replaces the old one, which becomes unreachable.
    let r = env
        .upload(&alice, "/me/avatar", ("again.png", "image/png", PNG), &[])
        .await;
    assert_eq!(r.status, 200);
    assert_ne!(r.body["avatar_url"].as_str().unwrap(), url);
    assert_eq!(env.fetch(&bob, &url).await.0, 404);

    // Room avatars: owners and admins only.
    let room = s.room(&alice, "public", "pics").await;
    s.join(&bob, &room).await;
    let r = env
        .upload(
            &alice,
            &format!("/rooms/{room}/avatar"),
            ("r.png", "image/png", PNG),
            &[],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let room_url = r.body["avatar_url"].as_str().unwrap().to_owned();
    assert_eq!(env.fetch(&bob, &room_url).await.0, 200);
    env.upload(
        &bob,
        &format!("/rooms/{room}/avatar"),
        ("r.png", "image/png", PNG),
        &[],
    )
    .await
    .assert_error(403, "forbidden");

    // A private room's avatar reaches its members only.
    let secret = s.room(&alice, "private", "secret").await;
    let r = env
        .upload(
            &alice,
            &format!("/rooms/{secret}/avatar"),
            ("s.png", "image/png", PNG),
            &[],
        )
        .await;
    let secret_url = r.body["avatar_url"].as_str().unwrap().to_owned();
    assert_eq!(env.fetch(&alice, &secret_url).await.0, 200);
    assert_eq!(env.fetch(&bob, &secret_url).await.0, 404);

    // The bytes are files on disk under the blob directory.
    let id = room_url.rsplit('/').next().unwrap();
    assert!(env.dir.path().join("files/files").join(id).exists());
}

#[tokio::test]
async fn image_and_file_messages_are_sniffed_and_served_safely() {
    let env = start(false, small_limits()).await;
    let s = &env.s;
    let alice = env.register("alice", None).await;
    let bob = env.register("bob", None).await;
    let room = s.room(&alice, "public", "share").await;
    s.join(&bob, &room).await;
    let files = format!("/rooms/{room}/files");

    // A PNG named .txt and claimed as text is an image message, served inline.
    let r = env
        .upload(
            &alice,
            &files,
            ("notes.txt", "text/plain", PNG),
            &[("caption", "look")],
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.body["kind"], "image");
    assert_eq!(r.body["body"], "look");
    assert_eq!(r.body["attachment"]["content_type"], "image/png");
    assert_eq!(r.body["attachment"]["name"], "notes.txt");
    assert_eq!(r.body["attachment"]["size"], PNG.len());
    let image = file_id(&r.body);
    let (status, h, bytes) = env.fetch(&bob, &format!("/files/{image}")).await;
    assert_eq!(status, 200);
    assert_eq!(header(&h, "content-type"), "image/png");
    assert!(header(&h, "content-disposition").starts_with("inline"));
    assert_safe_headers(&h);
    assert_eq!(bytes, PNG);

    // HTML claimed as an image is a file message, served as a download.
    let r = env
        .upload(&alice, &files, ("page.html", "image/png", HTML), &[])
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.body["kind"], "file");
    let (status, h, bytes) = env
        .fetch(&bob, &format!("/files/{}", file_id(&r.body)))
        .await;
    assert_eq!(status, 200);
    assert_eq!(header(&h, "content-type"), "application/octet-stream");
    assert!(header(&h, "content-disposition").starts_with("attachment; filename=\"page.html\""));
    assert_safe_headers(&h);
    assert_eq!(bytes, HTML);

    // SVG is never inline.
    let r = env
        .upload(&alice, &files, ("logo.svg", "image/svg+xml", SVG), &[])
        .await;
    assert_eq!(r.body["kind"], "file");
    let (_, h, _) = env
        .fetch(&bob, &format!("/files/{}", file_id(&r.body)))
        .await;
    assert_eq!(header(&h, "content-type"), "application/octet-stream");
    assert!(header(&h, "content-disposition").starts_with("attachment"));
    assert_safe_headers(&h);

    // Size limit, empty files, a form without a file.
    let big = vec![b'x'; 4097];
    env.upload(
        &alice,
        &files,
        ("big.bin", "application/octet-stream", &big),
        &[],
    )
    .await
    .assert_error(413, "too_large");
    env.upload(
        &alice,
        &files,
        ("empty.bin", "application/octet-stream", b""),
        &[],
    )
    .await
    .assert_error(422, "invalid_input");
    // A nonce makes the upload idempotent, like a text message.
    let a = env
        .upload(
            &alice,
            &files,
            ("n.png", "image/png", PNG),
            &[("nonce", "n-1")],
        )
        .await;
    let b = env
        .upload(
            &alice,
            &files,
            ("n.png", "image/png", PNG),
            &[("nonce", "n-1")],
        )
        .await;
    assert_eq!(a.body["id"], b.body["id"]);
    assert_eq!(a.body["attachment"], b.body["attachment"]);

    // Others see the attachment in history.
    let h = s.get(&bob, &format!("/rooms/{room}/messages")).await;
    let kinds: Vec<&str> = h.body["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["attachment"].is_object())
        .map(|m| m["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["image", "file", "file", "image"]);

    // An attachment cannot be claimed through the JSON send: the field is not part
    // of it, and the message stays a text message.
    let r = s
        .post(
            &alice,
            &format!("/rooms/{room}/messages"),
            json!({"body": "x", "attachment": {"blob_id": image, "name": "x", "content_type": "image/png", "size": 1}}),
        )
        .await;
    assert_eq!(r.status, 201);
    assert_eq!(r.body["kind"], "text");
    assert!(r.body["attachment"].is_null());
}

#[tokio::test]
async fn private_files_reach_members_only_and_deleted_ones_nobody() {
    let env = start(false, small_limits()).await;
    let s = &env.s;
    let alice = env.register("alice", None).await;
    let bob = env.register("bob", None).await;
    let carol = env.register("carol", None).await;
    let room = s.room(&alice, "private", "secret").await;
    let code = s.get(&alice, &format!("/rooms/{room}/code")).await.body["code"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        s.post(&carol, "/rooms/join-by-code", json!({"code": code}))
            .await
            .status,
        200
    );
    let r = env
        .upload(
            &alice,
            &format!("/rooms/{room}/files"),
            ("p.png", "image/png", PNG),
            &[],
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let msg = r.body["id"].as_str().unwrap().to_owned();
    let path = format!("/files/{}", file_id(&r.body));

    assert_eq!(env.fetch(&alice, &path).await.0, 200);
    assert_eq!(env.fetch(&carol, &path).await.0, 200);
    // A non-member gets the same answer as for a file that does not exist.
    let (status, _, body) = env.fetch(&bob, &path).await;
    assert_eq!(status, 404);
    let missing = env
        .fetch(&bob, &format!("/files/{}", uuid::Uuid::now_v7()))
        .await;
    assert_eq!(missing.0, 404);
    assert_eq!(
        serde_json::from_slice::<Value>(&body).unwrap()["error"]["code"],
        "not_found"
    );
    // Non-members cannot post files either.
    env.upload(
        &bob,
        &format!("/rooms/{room}/files"),
        ("p.png", "image/png", PNG),
        &[],
    )
    .await
    .assert_error(404, "not_found");
    // Unauthenticated: 401.
    let anon = s.http.get(s.url(&path)).send().await.unwrap();
    assert_eq!(anon.status(), 401);

    // Leaving the room cuts access.
    assert_eq!(
        s.post(&carol, &format!("/rooms/{room}/leave"), json!({}))
            .await
            .status,
        204
    );
    assert_eq!(env.fetch(&carol, &path).await.0, 404);

    // Deleting the message makes its file unreachable, even for its author.
    let r = s
        .call(
            Some(&alice),
            Method::DELETE,
            &format!("/messages/{msg}"),
            None,
        )
        .await;
    assert_eq!(r.status, 204, "{}", r.body);
    assert_eq!(env.fetch(&alice, &path).await.0, 404);
    let id = path.rsplit('/').next().unwrap();
    assert!(!env.dir.path().join("files/files").join(id).exists());
}

#[tokio::test]
async fn upload_bodies_are_bounded_and_must_be_multipart() {
    let env = start(false, small_limits()).await;
    let s = &env.s;
    let alice = env.register("alice", None).await;
    let room = s.room(&alice, "public", "bounded").await;
    let path = format!("/rooms/{room}/files");
    // Not multipart.
    let r = s
        .req(Method::POST, &path)
        .bearer_auth(&alice.token)
        .json(&json!({"file": "x"}))
        .send()
        .await
        .unwrap();
    Resp::from(r)
        .await
        .assert_error(415, "unsupported_media_type");
    // Endless framing without a boundary: cut at the body cap (file limit + fields
    // + 64 KiB), never buffered whole.
    let r = s
        .req(Method::POST, &path)
        .bearer_auth(&alice.token)
        .header("content-type", "multipart/form-data; boundary=never-sent")
        .body(vec![b'a'; 2 * 1024 * 1024])
        .send()
        .await
        .unwrap();
    Resp::from(r).await.assert_error(413, "too_large");
    // A text field over its limit.
    let long = "x".repeat(16 * 1024 + 1);
    env.upload(
        &alice,
        &path,
        ("a.png", "image/png", PNG),
        &[("caption", &long)],
    )
    .await
    .assert_error(413, "too_large");
}
