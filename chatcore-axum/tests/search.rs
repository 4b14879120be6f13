//! Search end to end over a SQLite store (FTS5): members find, others never do; an
//! edit is found at once.
#![allow(clippy::unwrap_used)]

mod common;

use std::sync::Arc;

use chatcore::{Chat, Limits};
use chatcore_sqlite::SqliteStore;
use common::{Server, Setup};
use reqwest::Method;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn search_over_rest_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path().join("chat.db")).await.unwrap();
    let chat = Chat::builder(Arc::new(store))
        .limits(Limits::without_rate_limits())
        .build();
    let s = Server::start_with(Setup {
        chat: Some(chat),
        ..Setup::default()
    })
    .await;
    let alice = s.register("alice").await;
    let carol = s.register("carol").await;
    let room = s.room(&alice, "private", "Plans").await;
    let msg = s.send(&alice, &room, "the launch date is Friday").await;

    let r = s.get(&alice, "/search?q=LAUNCH%20friday").await;
    assert_eq!(r.status, 200, "{}", r.body);
    let hit = &r.body["hits"][0];
    assert_eq!(hit["message"]["id"], msg["id"]);
    assert_eq!(hit["snippet"], "the launch date is Friday");
    assert_eq!(hit["highlights"], json!([[4, 10], [19, 25]]));
    assert_eq!(r.body["has_more"], false);

    let r = s.get(&carol, "/search?q=launch").await;
    assert_eq!(r.body["hits"], json!([]), "a non-member never finds it");
    s.get(&carol, &format!("/search?q=launch&room={room}"))
        .await
        .assert_error(404, "not_found");

    let r = s
        .call(
            Some(&alice),
            Method::PATCH,
            &format!("/messages/{}", msg["id"].as_str().unwrap()),
            Some(json!({"body": "the rollout date is Friday"})),
        )
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(
        s.get(&alice, "/search?q=launch").await.body["hits"],
        json!([])
    );
    assert_eq!(
        s.get(&alice, "/search?q=rollout").await.body["hits"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    s.get(&alice, "/search?q=%3F%3F")
        .await
        .assert_error(422, "invalid_input");
}
