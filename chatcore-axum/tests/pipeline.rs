//! One connection's sends pipelined (`WsConfig::max_pipelined_sends`): a burst of
//! sends written at once, over two rooms, is stored in the order sent (per room,
//! `seq` follows the sends) and answered in that order, and a command after the
//! burst is answered after every send of it.
#![allow(clippy::unwrap_used)]

mod common;

use common::{Server, Setup};
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pipelined_burst_is_stored_in_order_and_acked_in_order() {
    let mut setup = Setup::default();
    setup.config.ws.commands_per_sec = 10_000;
    setup.config.ws.command_burst = 10_000;
    let s = Server::start_with(setup).await;
    let alice = s.register("alice").await;
    let a = s.room(&alice, "public", "A").await;
    let b = s.room(&alice, "public", "B").await;
    let mut ws = s.ws(&alice).await;

    let n = 90u64;
    let room_of = |i: u64| if i.is_multiple_of(3) { &b } else { &a };
    for i in 1..=n {
        ws.send(json!({"type": "send", "id": i, "room": room_of(i), "nonce": format!("n{i}"), "body": format!("m{i}")}))
            .await;
    }
    ws.send(json!({"type": "ping", "id": 1000})).await;

    let replies = ws
        .until(|v| v["type"] == "pong")
        .await
        .into_iter()
        .filter(|v| v["type"] == "sent" || v["type"] == "error" || v["type"] == "pong")
        .collect::<Vec<_>>();
    let ids: Vec<u64> = replies.iter().map(|v| v["id"].as_u64().unwrap()).collect();
    let expect: Vec<u64> = (1..=n).chain([1000]).collect();
    assert_eq!(ids, expect, "answered in the order sent: {replies:?}");
    for room in [&a, &b] {
        let seqs: Vec<i64> = replies
            .iter()
            .filter(|v| v["type"] == "sent" && v["room"] == json!(room))
            .map(|v| v["seq"].as_i64().unwrap())
            .collect();
        assert!(
            seqs.windows(2).all(|w| w[1] == w[0] + 1),
            "seq in the order sent: {seqs:?}"
        );
        let history = s
            .get(&alice, &format!("/rooms/{room}/messages?limit=100"))
            .await;
        let bodies: Vec<String> = history.body["messages"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|m| m["kind"] == "text")
            .map(|m| m["body"].as_str().unwrap().to_owned())
            .collect();
        let expect: Vec<String> = (1..=n)
            .filter(|i| room_of(*i) == room)
            .map(|i| format!("m{i}"))
            .collect();
        assert_eq!(bodies, expect, "stored in the order sent");
    }
}
