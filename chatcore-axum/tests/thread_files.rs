//! Image and file messages as thread replies, through the real router over a SQLite
//! store and the local blob store: `POST /rooms/{id}/files` with `thread_root` (and
//! `also_in_room`) makes a reply like a text one: live with `thread_root`, counted in
//! the root's summary (`thread_updated`), on the thread's page and not in the room's
//! history unless also sent there; a bad root is refused with its field and stores
//! nothing.
#![allow(clippy::unwrap_used)]

mod common;

use std::sync::Arc;

use chatcore::{Chat, Limits};
use chatcore_media::ObjectBlobStore;
use chatcore_sqlite::SqliteStore;
use common::{Resp, Server, Setup, User};
use reqwest::Method;
use serde_json::{Value, json};

/// A valid 1×1 PNG.
const PNG: &[u8] = &[
    137, 80, 78, 71, 13, 10, 26, 10, 0, 0, 0, 13, 73, 72, 68, 82, 0, 0, 0, 1, 0, 0, 0, 1, 8, 6, 0,
    0, 0, 31, 21, 196, 137, 0, 0, 0, 13, 73, 68, 65, 84, 120, 218, 99, 252, 207, 192, 80, 15, 0, 4,
    133, 1, 128, 132, 169, 140, 33, 0, 0, 0, 0, 73, 69, 78, 68, 174, 66, 96, 130,
];

async fn upload(
    s: &Server,
    user: &User,
    room: &str,
    file: (&str, &str, &[u8]),
    fields: &[(&str, &str)],
) -> Resp {
    let boundary = "----chatcore-thread-files-boundary";
    let mut body = Vec::new();
    for (k, v) in fields {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n")
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
    Resp::from(r).await
}

fn ids(page: &Value) -> Vec<String> {
    page["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn files_and_images_reply_in_threads() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path().join("chat.db")).await.unwrap();
    let blobs = ObjectBlobStore::local(dir.path().join("files")).unwrap();
    let chat = Chat::builder(Arc::new(store))
        .limits(Limits::without_rate_limits())
        .blobs(Arc::new(blobs))
        .build();
    let s = Server::start_with(Setup {
        chat: Some(chat),
        ..Setup::default()
    })
    .await;
    let alice = s.register("alice").await;
    let bob = s.register("bob").await;
    let room = s.room(&alice, "public", "General").await;
    s.join(&bob, &room).await;
    let root = s.send(&alice, &room, "show me").await;
    let root_id = root["id"].as_str().unwrap().to_owned();
    let mut a = s.ws(&alice).await;

    // An image into the thread only.
    let img = upload(
        &s,
        &bob,
        &room,
        ("pic.png", "image/png", PNG),
        &[("caption", "here"), ("thread_root", &root_id)],
    )
    .await;
    assert_eq!(img.status, 201, "{}", img.body);
    assert_eq!(img.body["kind"], "image");
    assert_eq!(img.body["thread_root"], json!(root_id));
    assert!(img.body.get("also_in_room").is_none());
    let img_id = img.body["id"].as_str().unwrap().to_owned();
    let ev = a.next_of(&["message_created"]).await;
    assert_eq!(ev["message"]["id"], json!(img_id));
    assert_eq!(ev["message"]["thread_root"], json!(root_id));
    assert_eq!(ev["message"]["attachment"]["name"], "pic.png");
    let ev = a.next_of(&["thread_updated"]).await;
    assert_eq!(ev["root"], json!(root_id));
    assert_eq!(ev["thread"]["reply_count"], 1);
    assert_eq!(ev["thread"]["participants"], json!([bob.id]));

    // A file also sent to the room.
    let file = upload(
        &s,
        &alice,
        &room,
        ("notes.txt", "text/plain", b"plain notes"),
        &[("thread_root", &root_id), ("also_in_room", "true")],
    )
    .await;
    assert_eq!(file.status, 201, "{}", file.body);
    assert_eq!(file.body["kind"], "file");
    assert_eq!(file.body["also_in_room"], true);
    let file_id = file.body["id"].as_str().unwrap().to_owned();

    // The thread's page has both; the room's history only the one also sent there.
    let thread = s
        .get(&bob, &format!("/rooms/{room}/messages?thread={root_id}"))
        .await
        .body;
    assert_eq!(ids(&thread), vec![img_id.clone(), file_id.clone()]);
    let history = s.get(&bob, &format!("/rooms/{room}/messages")).await.body;
    let hist = ids(&history);
    assert!(
        hist.contains(&file_id) && !hist.contains(&img_id),
        "{hist:?}"
    );
    let shown = history["messages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["id"] == json!(root_id))
        .unwrap();
    assert_eq!(shown["thread"]["reply_count"], 2);
    assert_eq!(shown["thread"]["participants"], json!([bob.id, alice.id]));
    // The attachment of a thread reply is readable by a member like any other.
    let blob = img.body["attachment"]["blob_id"].as_str().unwrap();
    let r = s
        .req(Method::GET, &format!("/files/{blob}"))
        .bearer_auth(&alice.token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);

    // A reply cannot be a root; a bad flag is refused; neither posts anything.
    upload(
        &s,
        &bob,
        &room,
        ("x.png", "image/png", PNG),
        &[("thread_root", &img_id)],
    )
    .await
    .assert_error(422, "invalid_input");
    let bad = upload(
        &s,
        &bob,
        &room,
        ("x.png", "image/png", PNG),
        &[("thread_root", &root_id), ("also_in_room", "maybe")],
    )
    .await;
    bad.assert_error(422, "invalid_input");
    assert_eq!(bad.body["error"]["field"], "also_in_room");
    let after = s
        .get(&bob, &format!("/rooms/{room}/messages?thread={root_id}"))
        .await
        .body;
    assert_eq!(ids(&after).len(), 2);
}
