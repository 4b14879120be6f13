//! Data export through the real router: `GET /me/export` (a tar archive of the
//! caller's profile, memberships, messages and files) and `GET /rooms/{id}/export`
//! (a room's history, its owner only).
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::BTreeMap;
use std::io::Read;

use common::{Server, User};
use reqwest::Method;
use serde_json::Value;

/// Bytes that sniff as no known type (served as a plain file).
const DOC: &[u8] = b"quarterly numbers\x00\x01\x02 not an image";

async fn upload(s: &Server, user: &User, room: &str, name: &str, bytes: &[u8]) -> Value {
    let boundary = "----chatcore-export-boundary";
    let mut body = Vec::new();
    body.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let r = s
        .req(Method::POST, &format!("/rooms/{room}/files"))
        .bearer_auth(&user.token)
        .header(
            "content-type",
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(body)
        .send()
        .await
        .unwrap();
    let r = common::Resp::from(r).await;
    assert_eq!(r.status, 201, "upload: {}", r.body);
    r.body
}

/// GET raw bytes as `user`: status, content type, body.
async fn fetch(s: &Server, user: &User, path: &str) -> (u16, String, Vec<u8>) {
    let r = s
        .req(Method::GET, path)
        .bearer_auth(&user.token)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    let ct = r
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (status, ct, r.bytes().await.unwrap().to_vec())
}

/// The archive's entries by path.
fn untar(bytes: &[u8]) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut archive = tar::Archive::new(bytes);
    for entry in archive.entries().unwrap() {
        let mut entry = entry.unwrap();
        let path = entry.path().unwrap().to_string_lossy().into_owned();
        let mut data = Vec::new();
        entry.read_to_end(&mut data).unwrap();
        out.insert(path, data);
    }
    out
}

#[tokio::test]
async fn my_export_holds_my_profile_messages_and_file_bytes() {
    let s = Server::start().await;
    let alice = s.register("alice").await;
    let bob = s.register("bob").await;
    let room = s.room(&alice, "public", "lobby").await;
    let private = s.room(&bob, "private", "bobs").await;
    s.join(&bob, &room).await;
    // More than one export page (200) of alice's messages, with bob's in between.
    for i in 0..205 {
        s.send(&alice, &room, &format!("alice says {i}")).await;
        if i % 50 == 0 {
            s.send(&bob, &room, &format!("bob says {i}")).await;
        }
    }
    s.send(&bob, &private, "bob alone").await;
    let file = upload(&s, &alice, &room, "numbers.bin", DOC).await;
    let file_id = file["attachment"]["blob_id"].as_str().unwrap().to_owned();
    let gone = s.send(&alice, &room, "regretted").await;
    let r = s
        .call(
            Some(&alice),
            Method::DELETE,
            &format!("/messages/{}", gone["id"].as_str().unwrap()),
            None,
        )
        .await;
    assert_eq!(r.status, 204, "{}", r.body);

    let (status, ct, bytes) = fetch(&s, &alice, "/me/export").await;
    assert_eq!(status, 200);
    assert_eq!(ct, "application/x-tar");
    let entries = untar(&bytes);

    let profile: Value = serde_json::from_slice(&entries["profile.json"]).unwrap();
    assert_eq!(profile["profile"]["username"], "alice");
    let rooms: Vec<&str> = profile["memberships"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["room_id"].as_str().unwrap())
        .collect();
    assert_eq!(rooms, [room.as_str()], "alice is in the lobby only");
    assert_eq!(profile["memberships"][0]["role"], "owner");

    // Every message alice wrote, nothing of bob's, no tombstone; in pages.
    let mut bodies = Vec::new();
    let pages: Vec<&String> = entries
        .keys()
        .filter(|k| k.starts_with(&format!("messages/{room}/")))
        .collect();
    assert_eq!(pages.len(), 2, "{pages:?}");
    for page in pages {
        let messages: Vec<Value> = serde_json::from_slice(&entries[page]).unwrap();
        for m in messages {
            assert_eq!(m["author_id"], alice.id.as_str());
            bodies.push(m["body"].as_str().unwrap().to_owned());
        }
    }
    let expected: Vec<String> = (0..205)
        .map(|i| format!("alice says {i}"))
        .chain(std::iter::once(String::new()))
        .collect();
    assert_eq!(bodies, expected, "the file message has an empty caption");
    assert!(!entries.keys().any(|k| k.contains(&private)), "bob's room");
    assert!(bytes.windows(9).all(|w| w != b"bob alone"));

    // The file's bytes.
    assert_eq!(entries[&format!("files/{file_id}")], DOC);

    // Bob's export does not carry alice's file.
    let (status, _, bytes) = fetch(&s, &bob, "/me/export").await;
    assert_eq!(status, 200);
    let entries = untar(&bytes);
    assert!(!entries.contains_key(&format!("files/{file_id}")));
    // Bob's lobby messages span both store pages; his private room has one page.
    assert_eq!(
        entries
            .keys()
            .filter(|k| k.starts_with("messages/"))
            .count(),
        3
    );
    assert!(entries.contains_key(&format!("messages/{private}/000001.json")));

    let r = s.call(None, Method::GET, "/me/export", None).await;
    r.assert_error(401, "unauthenticated");
}

#[tokio::test]
async fn the_owner_exports_a_room_others_are_refused() {
    let s = Server::start().await;
    let alice = s.register("alice").await;
    let bob = s.register("bob").await;
    let carol = s.register("carol").await;
    let room = s.room(&alice, "public", "lobby").await;
    s.join(&bob, &room).await;
    for i in 0..203 {
        let who = if i % 2 == 0 { &alice } else { &bob };
        s.send(who, &room, &format!("m{i}")).await;
    }

    let (status, ct, bytes) = fetch(&s, &alice, &format!("/rooms/{room}/export")).await;
    assert_eq!(status, 200);
    assert_eq!(ct, "application/json");
    let v: Value = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(v["room"]["name"], "lobby");
    let mut members: Vec<(&str, &str)> = v["room"]["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["user"]["username"].as_str().unwrap(),
                m["role"].as_str().unwrap(),
            )
        })
        .collect();
    members.sort();
    assert_eq!(members, [("alice", "owner"), ("bob", "member")]);
    let messages = v["messages"].as_array().unwrap();
    let seqs: Vec<i64> = messages
        .iter()
        .map(|m| m["seq"].as_i64().unwrap())
        .collect();
    let last = seqs.last().copied().unwrap();
    assert_eq!(
        seqs,
        (seqs[0]..=last).collect::<Vec<_>>(),
        "gapless, in order"
    );
    let texts: Vec<&str> = messages
        .iter()
        .filter(|m| m["kind"] == "text")
        .map(|m| m["body"].as_str().unwrap())
        .collect();
    let expected: Vec<String> = (0..203).map(|i| format!("m{i}")).collect();
    assert_eq!(texts, expected);

    // A member who is not the owner: 403; a non-member of a public room: 403.
    let r = s.get(&bob, &format!("/rooms/{room}/export")).await;
    r.assert_error(403, "forbidden");
    let r = s.get(&carol, &format!("/rooms/{room}/export")).await;
    r.assert_error(403, "forbidden");

    // A private room: its owner exports it, a non-member does not learn it exists.
    let private = s.room(&alice, "private", "secret").await;
    s.send(&alice, &private, "hush").await;
    let (status, _, bytes) = fetch(&s, &alice, &format!("/rooms/{private}/export")).await;
    assert_eq!(status, 200);
    let v: Value = serde_json::from_slice(&bytes).unwrap();
    assert!(
        v["messages"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["body"] == "hush")
    );
    let r = s.get(&carol, &format!("/rooms/{private}/export")).await;
    r.assert_error(404, "not_found");
    let r = s
        .get(&carol, &format!("/rooms/{}/export", uuid::Uuid::now_v7()))
        .await;
    r.assert_error(404, "not_found");
}
