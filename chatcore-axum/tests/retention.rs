//! Retention through the real router, on SQLite and PostgreSQL: a room admin sets
//! `retention_days` with `PATCH /rooms/{id}`, messages age (a clock the test
//! moves), housekeeping deletes the old ones, and `GET /rooms/{id}/messages`,
//! the room view and a WebSocket `resume` say that history starts later.
#![allow(clippy::unwrap_used)]

mod common;
#[path = "../../chatcore-postgres/tests/common/mod.rs"]
mod pg;

use std::sync::Arc;

use chrono::Duration;
use common::{Server, Setup, seqs_of};
use parking_lot::Mutex;
use reqwest::Method;
use serde_json::json;

async fn retention_case(store: Arc<dyn chatcore::Store>) {
    let now = Arc::new(Mutex::new(chrono::Utc::now() - Duration::days(10)));
    let clock = now.clone();
    let mut limits = chatcore::Limits::without_rate_limits();
    limits.max_retention_days = Some(365);
    let chat = chatcore::Chat::builder(store)
        .limits(limits)
        .clock(move || *clock.lock())
        .build();
    let s = Server::start_with(Setup {
        chat: Some(chat),
        ..Setup::default()
    })
    .await;
    let alice = s.register("alice").await;
    let bob = s.register("bob").await;
    let room = s.room(&alice, "public", "Forgetful").await;
    s.join(&bob, &room).await;
    let path = format!("/rooms/{room}");

    // Members may not set it; admins may, within the site maximum.
    let r = s
        .call(
            Some(&bob),
            Method::PATCH,
            &path,
            Some(json!({"retention_days": 7})),
        )
        .await;
    r.assert_error(403, "forbidden");
    let r = s
        .call(
            Some(&alice),
            Method::PATCH,
            &path,
            Some(json!({"retention_days": 400})),
        )
        .await;
    r.assert_error(422, "invalid_input");
    let r = s
        .call(
            Some(&alice),
            Method::PATCH,
            &path,
            Some(json!({"retention_days": 7})),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["retention_days"], 7);
    assert!(r.body.get("history_start_seq").is_none(), "{}", r.body);

    // Ten days ago: three messages; now: two.
    let mut old = Vec::new();
    for i in 0..3 {
        old.push(s.send(&alice, &room, &format!("old {i}")).await);
    }
    *now.lock() += Duration::days(10);
    let kept1 = s.send(&alice, &room, "kept 1").await;
    let kept2 = s.send(&alice, &room, "kept 2").await;
    let (start, last) = (
        kept1["seq"].as_i64().unwrap(),
        kept2["seq"].as_i64().unwrap(),
    );

    s.chat.housekeeping().await.unwrap();

    let h = s
        .get(&bob, &format!("/rooms/{room}/messages?limit=50"))
        .await;
    assert_eq!(h.status, 200, "{}", h.body);
    let seqs: Vec<i64> = h.body["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["seq"].as_i64().unwrap())
        .collect();
    assert_eq!(seqs, [start, last]);
    assert_eq!(h.body["has_more"], false);
    assert_eq!(h.body["history_start_seq"], start);
    // Paging before the start finds nothing, and says so.
    let h = s
        .get(
            &bob,
            &format!("/rooms/{room}/messages?before={start}&limit=50"),
        )
        .await;
    assert_eq!(h.body["messages"], json!([]));
    assert_eq!(h.body["history_start_seq"], start);
    // The old messages are gone for good.
    let gone = old[0]["id"].as_str().unwrap();
    let r = s
        .call(
            Some(&alice),
            Method::PATCH,
            &format!("/messages/{gone}"),
            Some(json!({"body": "edit"})),
        )
        .await;
    assert_eq!(r.status, 404, "{}", r.body);
    // The room view says where history starts; last_seq keeps its value.
    let v = s.get(&bob, &path).await;
    assert_eq!(v.body["history_start_seq"], start);
    assert_eq!(v.body["last_seq"], last);
    // Read counts: bob read nothing since he joined; only the kept two are unread.
    let mine = s.get(&bob, "/me/rooms").await;
    let entry = mine.body["public"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == json!(room))
        .unwrap()
        .clone();
    assert_eq!(entry["read"]["unread"], 2, "{entry}");

    // A resume from before the start is told history starts later, then gets
    // what is left.
    let mut ws = s.ws(&bob).await;
    let since = old[0]["seq"].as_i64().unwrap();
    ws.send(json!({"type": "resume", "id": 3, "rooms": {room.clone(): since}}))
        .await;
    let events = ws.until(|e| e["type"] == "ack" && e["id"] == 3).await;
    let notice = events
        .iter()
        .find(|e| e["type"] == "history_start")
        .expect("a history_start event");
    assert_eq!(notice["room"], json!(room));
    assert_eq!(notice["history_start_seq"], start);
    assert_eq!(seqs_of(&events, &room), [start, last]);
    // A resume (on a new connection) from inside the kept history is not.
    drop(ws);
    let mut ws = s.ws(&bob).await;
    ws.send(json!({"type": "resume", "id": 4, "rooms": {room.clone(): start}}))
        .await;
    let events = ws.until(|e| e["type"] == "ack" && e["id"] == 4).await;
    assert!(events.iter().all(|e| e["type"] != "history_start"));
    assert_eq!(seqs_of(&events, &room), [last]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retention_through_the_router_on_sqlite() {
    let store = chatcore_sqlite::SqliteStore::memory().await.unwrap();
    retention_case(Arc::new(store)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retention_through_the_router_on_postgres() {
    let Some(url) = pg::server_url("retention router test on PostgreSQL") else {
        return;
    };
    let db = pg::fresh_database(&url).await;
    let store = chatcore_postgres::PostgresStore::connect_with(
        &db,
        chatcore_postgres::PostgresOptions::default().max_connections(4),
    )
    .await
    .unwrap();
    retention_case(Arc::new(store)).await;
}
