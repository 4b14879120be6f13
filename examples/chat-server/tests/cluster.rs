//! Several real `chat-server` processes on different loopback ports, coordinated by the
//! real Redis, the real NATS server and PostgreSQL LISTEN/NOTIFY, over one PostgreSQL
//! database: clients on different nodes chat, type and see presence; a ban on one node
//! refuses the banned user's very next send on another and cuts their subscription
//! there; a killed node restarts and its client resumes with nothing lost or doubled, in
//! order. One scenario, one setup per broker.
//!
//! Needs `CHATCORE_TEST_DATABASE_URL` (and `CHATCORE_TEST_REDIS_URL`,
//! `CHATCORE_TEST_NATS_URL` for those brokers); skips with a visible line without them.
//! `.ci/run` sets all three.

#![allow(clippy::unwrap_used)]

use std::io::BufRead as _;
use std::io::Write as _;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

fn skip(what: &str) {
    let _ = writeln!(std::io::stderr(), "SKIPPED cluster test: set {what}");
}

/// A fresh database on the test server, so parallel tests don't meet (NOTIFY channels
/// are per database, too).
async fn fresh_database(admin_url: &str) -> String {
    let name = format!("chatcore_cluster_{}", uuid::Uuid::new_v4().simple());
    let pool = sqlx::postgres::PgPoolOptions::new()
        .max_connections(1)
        .connect(admin_url)
        .await
        .unwrap();
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&pool)
        .await
        .unwrap();
    pool.close().await;
    let base = admin_url.rsplit_once('/').map_or(admin_url, |(b, _)| b);
    format!("{base}/{name}")
}

struct Node {
    port: u16,
    child: Child,
    args: Vec<String>,
}

impl Node {
    async fn start(database_url: &str, broker: &str) -> Node {
        let args = vec![
            "--database-url".to_owned(),
            database_url.to_owned(),
            "--broker".to_owned(),
            broker.to_owned(),
        ];
        // The server binds port 0 and prints the port it got.
        let (child, port) = spawn(&args, 0);
        let node = Node { port, child, args };
        node.wait_healthy().await;
        node
    }

    async fn wait_healthy(&self) {
        let url = format!("http://127.0.0.1:{}/health", self.port);
        for _ in 0..200 {
            if let Ok(r) = reqwest::get(&url).await
                && r.status().is_success()
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("node on port {} did not come up", self.port);
    }

    fn kill(&mut self) {
        let _ = self.child.kill(); // SIGKILL: no graceful anything
        let _ = self.child.wait();
    }

    async fn restart(&mut self) {
        self.child = spawn(&self.args, self.port).0;
        self.wait_healthy().await;
    }

    fn api(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}/api{path}", self.port)
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Start a server; returns it and the port it listens on (read from its first line).
fn spawn(args: &[String], port: u16) -> (Child, u16) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_chat-server"))
        .args(args)
        .args(["--port", &port.to_string()])
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut lines = std::io::BufReader::new(stdout).lines();
    let line = lines.next().unwrap().unwrap();
    let port = line
        .split_whitespace()
        .find_map(|w| w.rsplit_once(':').and_then(|(_, p)| p.parse::<u16>().ok()))
        .unwrap_or_else(|| panic!("no port in {line:?}"));
    // Keep draining its output so the server never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    (child, port)
}

async fn post(url: &str, token: Option<&str>, body: Value) -> Value {
    let mut req = reqwest::Client::new()
        .post(url)
        .header("x-requested-with", "chatcore-tests")
        .json(&body);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let resp = req.send().await.unwrap();
    let status = resp.status();
    let v: Value = resp.json().await.unwrap_or(Value::Null);
    assert!(status.is_success(), "{url}: {status} {v}");
    v
}

async fn register(node: &Node, name: &str) -> (String, String) {
    let v = post(
        &node.api("/auth/register"),
        None,
        json!({"username": name, "password": "correct horse battery"}),
    )
    .await;
    (
        v["token"].as_str().unwrap().to_owned(),
        v["user"]["id"].as_str().unwrap().to_owned(),
    )
}

async fn connect(node: &Node, token: &str) -> Ws {
    // Releases live events at once (the server holds them until the first command).
    connect_first(node, token, json!({"type": "ping"})).await
}

/// Connect and send `first` as the first command: a `resume` sent first is replayed
/// before any live event (docs/PROTOCOL.md); sent later, a live message may overtake
/// the replayed ones.
async fn connect_first(node: &Node, token: &str, first: Value) -> Ws {
    let mut req = format!("ws://127.0.0.1:{}/api/ws", node.port)
        .into_client_request()
        .unwrap();
    req.headers_mut()
        .insert("authorization", format!("Bearer {token}").parse().unwrap());
    let (mut ws, _) = tokio_tungstenite::connect_async(req).await.unwrap();
    // `hello` comes once the server registered the connection: from then on it
    // receives everything.
    let hello = next(&mut ws).await;
    assert!(is(&hello, "hello"), "{hello}");
    send(&mut ws, first).await;
    ws
}

async fn send(ws: &mut Ws, v: Value) {
    ws.send(Message::text(v.to_string())).await.unwrap();
}

async fn next(ws: &mut Ws) -> Value {
    loop {
        let msg = tokio::time::timeout(Duration::from_secs(10), ws.next())
            .await
            .expect("an event within 10 s")
            .expect("socket open")
            .unwrap();
        if let Message::Text(t) = msg {
            return serde_json::from_str(&t).unwrap();
        }
    }
}

async fn wait_for(ws: &mut Ws, pred: impl Fn(&Value) -> bool) -> Value {
    loop {
        let v = next(ws).await;
        if pred(&v) {
            return v;
        }
    }
}

fn is(v: &Value, ty: &str) -> bool {
    v["type"] == ty
}

/// Messages (text, from users) carried by `message_created` events: (seq, body).
fn created(v: &Value) -> Option<(i64, String)> {
    if is(v, "message_created") && !v["message"]["author_id"].is_null() {
        Some((
            v["message"]["seq"].as_i64().unwrap(),
            v["message"]["body"].as_str().unwrap().to_owned(),
        ))
    } else {
        None
    }
}

async fn scenario(database_url: String, broker: &str) {
    let a = Node::start(&database_url, broker).await;
    let mut b = Node::start(&database_url, broker).await;
    let (alice_t, alice) = register(&a, "alice").await;
    let (bob_t, bob) = register(&b, "bob").await;
    let (mal_t, mal) = register(&a, "mallory").await;
    let room = post(
        &a.api("/rooms"),
        Some(&alice_t),
        json!({"kind": "public", "name": "across"}),
    )
    .await;
    let room_id = room["id"].as_str().unwrap().to_owned();
    post(
        &b.api(&format!("/rooms/{room_id}/join")),
        Some(&bob_t),
        json!({}),
    )
    .await;
    post(
        &b.api(&format!("/rooms/{room_id}/join")),
        Some(&mal_t),
        json!({}),
    )
    .await;

    let mut alice_ws = connect(&a, &alice_t).await;
    let mut bob_ws = connect(&b, &bob_t).await;
    // Presence crosses nodes.
    wait_for(&mut alice_ws, |v| {
        is(v, "presence") && v["user"] == bob.as_str() && v["online"] == true
    })
    .await;

    // Chat and typing across nodes.
    send(
        &mut alice_ws,
        json!({"type": "typing_start", "room": room_id}),
    )
    .await;
    wait_for(&mut bob_ws, |v| {
        is(v, "typing") && v["user"] == alice.as_str() && v["typing"] == true
    })
    .await;
    send(
        &mut alice_ws,
        json!({"type": "send", "id": 1, "room": room_id, "nonce": "n1", "body": "hello from A"}),
    )
    .await;
    let got = wait_for(&mut bob_ws, |v| created(v).is_some()).await;
    assert_eq!(created(&got).unwrap().1, "hello from A");
    send(
        &mut bob_ws,
        json!({"type": "send", "room": room_id, "nonce": "n2", "body": "hi from B"}),
    )
    .await;
    let reply = wait_for(&mut alice_ws, |v| {
        created(v).is_some_and(|(_, b)| b == "hi from B")
    })
    .await;
    let last_seq = created(&reply).unwrap().0;

    // Read state across nodes: bob reads on B; his connection on A is told.
    let hello_seq = created(&got).unwrap().0;
    let mut bob_on_a = connect(&a, &bob_t).await;
    send(
        &mut bob_ws,
        json!({"type": "mark_read", "room": room_id, "seq": hello_seq}),
    )
    .await;
    let state = wait_for(&mut bob_on_a, |v| is(v, "read_state")).await;
    assert_eq!(
        state,
        json!({"type": "read_state", "room": room_id, "last_read_seq": hello_seq,
               "last_seq": last_seq, "unread": 0, "mentions": 0, "notifications": "all"})
    );
    drop(bob_on_a);

    // A ban issued on A refuses mallory's very next send on B (B's access cache was
    // told before the ban returned) and cuts her subscription there.
    let mut mal_ws = connect(&b, &mal_t).await;
    send(
        &mut mal_ws,
        json!({"type": "send", "id": 30, "room": room_id, "nonce": "m1", "body": "before the ban"}),
    )
    .await;
    wait_for(&mut mal_ws, |v| is(v, "sent") && v["id"] == 30).await;
    post(
        &a.api(&format!("/rooms/{room_id}/bans")),
        Some(&alice_t),
        json!({"user_id": mal, "reason": "spam"}),
    )
    .await;
    send(
        &mut mal_ws,
        json!({"type": "send", "id": 31, "room": room_id, "nonce": "m2", "body": "refused"}),
    )
    .await;
    let (mut answer, mut removed) = (Value::Null, false);
    while answer.is_null() || !removed {
        let v = next(&mut mal_ws).await;
        if v["id"] == 31 {
            answer = v;
        } else if is(&v, "member_removed") && v["user"] == mal.as_str() {
            assert_eq!(v["reason"], "banned");
            removed = true;
        }
    }
    assert!(
        is(&answer, "error"),
        "a banned user's send was taken: {answer}"
    );
    send(
        &mut alice_ws,
        json!({"type": "send", "room": room_id, "nonce": "n3", "body": "after the ban"}),
    )
    .await;
    wait_for(&mut bob_ws, |v| {
        created(v).is_some_and(|(_, b)| b == "after the ban")
    })
    .await;
    let quiet = tokio::time::timeout(Duration::from_millis(700), async {
        loop {
            let v = next(&mut mal_ws).await;
            if created(&v).is_some() {
                return v;
            }
        }
    })
    .await;
    assert!(
        quiet.is_err(),
        "the banned user received a message: {quiet:?}"
    );

    // Bob's last seen sequence number, then node B dies while alice keeps talking.
    let last_seen = {
        send(
            &mut bob_ws,
            json!({"type": "send", "room": room_id, "nonce": "n4", "body": "bob's last"}),
        )
        .await;
        let v = wait_for(&mut bob_ws, |v| {
            created(v).is_some_and(|(_, b)| b == "bob's last")
        })
        .await;
        created(&v).unwrap().0
    };
    b.kill();
    drop(bob_ws);
    // 12 + 5 below stays within the default per-user message burst (20).
    for i in 0..12 {
        send(&mut alice_ws, json!({"type": "send", "room": room_id, "nonce": format!("k{i}"), "body": format!("while B was down {i}")})).await;
    }
    // Wait until alice saw her own messages stored.
    let mut last_sent = 0;
    while last_sent == 0 {
        let v = next(&mut alice_ws).await;
        if let Some((seq, body)) = created(&v)
            && body == "while B was down 11"
        {
            last_sent = seq;
        }
    }
    b.restart().await;
    let mut bob_ws = connect_first(
        &b,
        &bob_t,
        json!({"type": "resume", "id": 7, "rooms": {room_id.clone(): last_seen}}),
    )
    .await;
    // Live traffic races the replay.
    for i in 0..5 {
        send(&mut alice_ws, json!({"type": "send", "room": room_id, "nonce": format!("l{i}"), "body": format!("live {i}")})).await;
    }
    let mut seqs = Vec::new();
    let mut bodies = Vec::new();
    let mut last_created = Value::Null;
    while bodies.last().map(String::as_str) != Some("live 4") {
        let v = next(&mut bob_ws).await;
        if let Some((seq, body)) = created(&v) {
            seqs.push(seq);
            bodies.push(body);
            last_created = v;
        }
    }
    let want: Vec<i64> = (last_seen + 1..=seqs[seqs.len() - 1]).collect();
    assert_eq!(
        seqs, want,
        "resumed in order, nothing lost, nothing doubled"
    );
    let expect: Vec<String> = (0..12)
        .map(|i| format!("while B was down {i}"))
        .chain((0..5).map(|i| format!("live {i}")))
        .collect();
    let texts: Vec<String> = bodies.into_iter().filter(|b| !b.is_empty()).collect();
    assert_eq!(texts, expect);
    assert!(last_sent > last_seen);

    // Edits and deletes cross nodes: alice (on A) edits, then deletes, her last
    // message; bob (on B) sees both.
    let live4 = last_created["message"]["id"].as_str().unwrap().to_owned();
    send(
        &mut alice_ws,
        json!({"type": "edit", "id": 8, "message": live4, "body": "live 4, edited"}),
    )
    .await;
    wait_for(&mut bob_ws, |v| {
        is(v, "message_edited")
            && v["message"]["id"] == live4.as_str()
            && v["message"]["body"] == "live 4, edited"
    })
    .await;
    send(
        &mut alice_ws,
        json!({"type": "delete", "id": 9, "message": live4}),
    )
    .await;
    wait_for(&mut bob_ws, |v| {
        is(v, "message_deleted") && v["message_id"] == live4.as_str()
    })
    .await;

    // Resume through a different node: B dies again and bob comes back through A,
    // from the last sequence number he saw, while alice talks on.
    let last_on_b = *seqs.last().unwrap();
    b.kill();
    drop(bob_ws);
    // Alice has spent 19 of her burst of 20 messages; one comes back every 200 ms.
    tokio::time::sleep(Duration::from_secs(1)).await;
    for i in 0..3 {
        send(&mut alice_ws, json!({"type": "send", "room": room_id, "nonce": format!("m{i}"), "body": format!("to A {i}")})).await;
    }
    let mut bob_ws = connect_first(
        &a,
        &bob_t,
        json!({"type": "resume", "id": 10, "rooms": {room_id.clone(): last_on_b}}),
    )
    .await;
    let mut seqs = Vec::new();
    let mut bodies = Vec::new();
    while bodies.last().map(String::as_str) != Some("to A 2") {
        let v = next(&mut bob_ws).await;
        if let Some((seq, body)) = created(&v) {
            seqs.push(seq);
            bodies.push(body);
        }
    }
    let want: Vec<i64> = (last_on_b + 1..=seqs[seqs.len() - 1]).collect();
    assert_eq!(
        seqs, want,
        "resumed on another node in order, nothing lost or doubled"
    );
    let texts: Vec<String> = bodies.into_iter().filter(|b| !b.is_empty()).collect();
    assert_eq!(texts, ["to A 0", "to A 1", "to A 2"]);
}

/// Run the scenario over the broker named by `broker` (`None`: read from the
/// environment variable `broker_var`), on a fresh database.
async fn over(broker_var: Option<&str>, broker: &str) {
    let Ok(db) = std::env::var("CHATCORE_TEST_DATABASE_URL") else {
        return skip("CHATCORE_TEST_DATABASE_URL");
    };
    let broker = match broker_var.map(std::env::var) {
        None => broker.to_owned(),
        Some(Ok(url)) => url,
        Some(Err(_)) => return skip(broker_var.unwrap_or_default()),
    };
    scenario(fresh_database(&db).await, &broker).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_nodes_over_redis() {
    over(Some("CHATCORE_TEST_REDIS_URL"), "").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_nodes_over_nats() {
    over(Some("CHATCORE_TEST_NATS_URL"), "").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_nodes_over_postgres_notify() {
    over(None, "postgres").await;
}
